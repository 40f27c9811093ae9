// Building the effective configuration from its layers, lowest precedence first:
//
//     1. defaults             (profile.hpp `defaults`)
//     2. bundled profile      (mainnet/testnet constants, or devnet.json for devnet)
//     3. JSON config file     (--config FILE, else $ZEROG_CONFIG)
//     4. environment          (ZEROG_* variables, sources.hpp `env_variables`)
//     5. explicit values      (API callers and CLI flags: `load_options::explicit_values`)
//
// The profile itself is chosen first, with the same precedence (explicit > ZEROG_PROFILE > the
// file's "profile" > testnet), because it decides what layer 2 is. Then every layer is laid over
// the one below, field by field, each value keeping its source; then the result is validated.
//
// `evaluate` never fails: it returns the configuration together with every problem found (file,
// environment, devnet.json, validation), which is what `zerog config show` prints. `load` is the
// strict form for clients: any problem is an error listing all of them.
//
// Thread safety: pure functions apart from reading the files named.
#pragma once

#include <zerog/config/bundled_profiles.hpp>
#include <zerog/config/devnet.hpp>
#include <zerog/config/sources.hpp>
#include <zerog/config/validate.hpp>

#include <array>

namespace zerog::config {

/// Inputs of `load`/`evaluate`.
struct load_options {
    /// The environment to read (tests pass a literal map; programs pass `environment::from_process()`).
    environment env = {};
    /// --config FILE; when unset, $ZEROG_CONFIG; when both unset, no file layer.
    std::optional<std::string> config_file = {};
    /// Layer 5: values given explicitly by the API caller or on the command line (tag them
    /// `value_source::cli()`).
    partial_config explicit_values = {};
};

/// The effective configuration plus every problem found on the way.
struct load_report {
    configuration cfg;
    std::vector<problem> problems;
    std::optional<std::string> config_file;  ///< the file actually read, if any
    bool ok() const noexcept { return problems.empty(); }
};

/// Build the configuration and collect all problems (see file comment).
inline load_report evaluate(const load_options& opt) {
    load_report rep;
    auto& out = rep.problems;

    // Layers 3 and 4 are parsed first because they may select the profile.
    std::optional<std::string> file = opt.config_file;
    if (!file) file = opt.env.get("ZEROG_CONFIG");
    partial_config file_layer;
    if (file) {
        rep.config_file = file;
        file_layer = read_config_file(*file, out);
    }
    const partial_config env_layer = read_environment(opt.env, out);
    const partial_config& cli_layer = opt.explicit_values;

    configuration& cfg = rep.cfg;
    for (const partial_config* layer : std::array<const partial_config*, 3>{&file_layer, &env_layer, &cli_layer})
        if (layer->profile) cfg.profile = *layer->profile;

    // Layer 2.
    if (const bundled_profile* b = find_bundled_profile(cfg.profile.value)) {
        apply_bundled_profile(cfg, *b);
    } else {  // devnet
        devnet_layer d = read_devnet(opt.env, out);
        apply(cfg, d.values);
        cfg.devnet_faucet_key = std::move(d.faucet_key);
        cfg.devnet_faucet_address = std::move(d.faucet_address);
    }

    // Layers 3..5.
    apply(cfg, file_layer);
    apply(cfg, env_layer);
    apply(cfg, cli_layer);

    for (auto& p : validate(cfg)) out.push_back(std::move(p));
    return rep;
}

/// Build and validate the configuration. Errors: every problem at once (see `to_error`), with the
/// code of the first one.
inline result<configuration> load(const load_options& opt) {
    load_report rep = evaluate(opt);
    if (!rep.ok()) return fail(to_error(rep.problems));
    return std::move(rep.cfg);
}

}  // namespace zerog::config
