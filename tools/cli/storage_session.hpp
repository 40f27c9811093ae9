// The CLI's storage clients, built here and nowhere else (see session.hpp).
#pragma once

#include "session.hpp"

#include <zerog/storage.hpp>

namespace zerog::cli {

/// A signing storage client (uploads).
inline result<session<zerog::storage_client>> open_storage_client(const std::optional<std::string>& profile, const config::environment& env) {
    ZEROG_TRY(config::configuration cfg, load_config(profile, env));
    ZEROG_TRY(store::database db, open_database(cfg, env));
    ZEROG_TRY(crypto::private_key key, signing_key(cfg, env));
    session<zerog::storage_client> s;
    s.client = std::make_unique<zerog::storage_client>(client::storage_client_options::from_config(cfg), [&] {
        return zerog::make_storage_policies(crypto::secp256k1_signer(std::move(key)), std::move(db), production_settings());
    });
    s.cfg = std::move(cfg);
    return s;
}

/// A read-only storage client (download, verify, estimate): no key is loaded.
inline result<session<zerog::storage_reader>> open_storage_reader(const std::optional<std::string>& profile, const config::environment& env) {
    ZEROG_TRY(config::configuration cfg, load_config(profile, env));
    session<zerog::storage_reader> s;
    s.client = std::make_unique<zerog::storage_reader>(client::storage_client_options::from_config(cfg),
                                                       [] { return zerog::make_storage_reader_policies(production_settings()); });
    s.cfg = std::move(cfg);
    return s;
}

/// A client that records in the database but holds no key (repair, rebuild): it cannot pay.
inline result<session<zerog::storage_maintainer>> open_storage_maintainer(const std::optional<std::string>& profile,
                                                                         const config::environment& env) {
    ZEROG_TRY(config::configuration cfg, load_config(profile, env));
    ZEROG_TRY(store::database db, open_database(cfg, env));
    session<zerog::storage_maintainer> s;
    s.client = std::make_unique<zerog::storage_maintainer>(client::storage_client_options::from_config(cfg), [&] {
        return zerog::make_storage_maintainer_policies(std::move(db), production_settings());
    });
    s.cfg = std::move(cfg);
    return s;
}

}  // namespace zerog::cli
