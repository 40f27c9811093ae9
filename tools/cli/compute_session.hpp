// The CLI's compute clients, built here and nowhere else (see session.hpp).
#pragma once

#include "session.hpp"

#include <zerog/compute.hpp>

namespace zerog::cli {

/// A signing compute client (setup, inference).
inline result<session<zerog::compute_client>> open_compute_client(const std::optional<std::string>& profile, const config::environment& env) {
    ZEROG_TRY(config::configuration cfg, load_config(profile, env));
    ZEROG_TRY(auto options, client::compute_client_options::from_config(cfg));
    ZEROG_TRY(store::database db, open_database(cfg, env));
    ZEROG_TRY(crypto::private_key key, signing_key(cfg, env));
    session<zerog::compute_client> s;
    s.client = std::make_unique<zerog::compute_client>(std::move(options), [&] {
        return zerog::make_compute_policies(crypto::secp256k1_signer(std::move(key)), std::move(db), production_settings());
    });
    s.cfg = std::move(cfg);
    return s;
}

/// A read-only compute client (services, estimates): no key is loaded.
inline result<session<zerog::compute_reader>> open_compute_reader(const std::optional<std::string>& profile, const config::environment& env) {
    ZEROG_TRY(config::configuration cfg, load_config(profile, env));
    ZEROG_TRY(auto options, client::compute_client_options::from_config(cfg));
    session<zerog::compute_reader> s;
    s.client = std::make_unique<zerog::compute_reader>(std::move(options),
                                                       [] { return zerog::make_compute_reader_policies(production_settings()); });
    s.cfg = std::move(cfg);
    return s;
}

}  // namespace zerog::cli
