// Umbrella header for the configuration layer (docs/configuration.md):
//   profile.hpp           the `config` value type, sources, defaults and caps, `problem`
//   bundled_profiles.hpp  mainnet and testnet constants (pinned to the specs)
//   devnet.hpp            the devnet profile read from devnet.json
//   values.hpp            text/JSON forms of sizes, durations, lists
//   sources.hpp           the config-file and environment layers, secret detection in files
//   validate.hpp          the validation layer (all problems at once)
//   secrets.hpp           the signing key from ZG_PRIVATE_KEY or a keystore; development keys refused
//   load.hpp              the layering: defaults < profile < file < env < explicit
//   render.hpp            `zerog config show` output (text / JSON), secrets redacted
// startup_check.hpp (the network checks' seam) is not included here: it pulls in Asio.
#pragma once

#include <zerog/config/bundled_profiles.hpp>
#include <zerog/config/devnet.hpp>
#include <zerog/config/load.hpp>
#include <zerog/config/profile.hpp>
#include <zerog/config/render.hpp>
#include <zerog/config/secrets.hpp>
#include <zerog/config/sources.hpp>
#include <zerog/config/validate.hpp>
#include <zerog/config/values.hpp>
