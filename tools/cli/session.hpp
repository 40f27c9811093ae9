// How every CLI command gets its configuration, its key and its clients: the one place the CLI
// builds storage and compute clients (storage_session / compute_session below).
//
//   * configuration: the layered precedence of config/load.hpp (defaults < profile < file < env <
//     --profile);
//   * key: ZG_PRIVATE_KEY or ZG_KEYSTORE (config/secrets.hpp); on the devnet profile only, the
//     devnet's public faucet key when neither is set. Read-only commands never ask for one and
//     never invent one: they get the reader clients (crypto::null_signer), which cannot sign;
//   * database: where payments are recorded (store/database.hpp): --db, else ZEROG_DB, else the
//     configuration's `database`, else on the devnet profile the devnet's own file
//     ($ZEROG_DEVNET_DIR/zerog.db: a new devnet starts with no records of an old one), else
//     $XDG_STATE_HOME/zerog/zerog.db (~/.local/state/zerog/zerog.db). Opened before any key is
//     used: a bad database fails the command before anything is paid;
//   * policies: the production mix (client/production.hpp), logging JSON lines to stderr at the
//     level of `--log-level` (any command), else ZEROG_LOG_LEVEL, else warn; redacted.
#pragma once

#include "cli.hpp"

#include <zerog/client/production.hpp>
#include <zerog/config/devnet.hpp>
#include <zerog/config/load.hpp>
#include <zerog/config/secrets.hpp>
#include <zerog/store/database.hpp>
#include <zerog/crypto/private_key.hpp>

#include <memory>
#include <optional>
#include <string>

namespace zerog::cli {

/// The level given with --log-level (main() takes it off the command line before dispatch).
inline std::optional<policy::log_level>& log_level_option() {
    static std::optional<policy::log_level> level;
    return level;
}

/// The database given with --db (main() takes it off the command line before dispatch).
inline std::optional<std::string>& db_option() {
    static std::optional<std::string> db;
    return db;
}

/// The process's metrics registry: created by main() when --metrics-textfile or --metrics-port
/// asks for metrics (null otherwise: the clients then count nothing).
inline std::shared_ptr<observe::metrics_registry>& metrics_option() {
    static std::shared_ptr<observe::metrics_registry> metrics;
    return metrics;
}

/// The process's tracer: created by main() when --otlp-endpoint asks for traces.
inline std::shared_ptr<observe::tracer>& tracer_option() {
    static std::shared_ptr<observe::tracer> tracer;
    return tracer;
}

/// The observability settings of the configuration (config file, ZEROG_METRICS_*, ZEROG_OTLP_ENDPOINT,
/// OTEL_EXPORTER_OTLP_ENDPOINT), for the global options not given on the command line. A value with
/// a problem is left out here; the command reports the problem when it loads its configuration.
inline config::observability_config configured_observability() {
    config::load_options lo;
    lo.env = config::environment::from_process();
    auto rep = config::evaluate(lo);
    config::observability_config o = std::move(rep.cfg.observability);
    for (const auto& p : rep.problems) {
        if (p.field == "observability.otlpEndpoint") o.otlp_endpoint.value.clear();
        if (p.field == "observability.metricsTextfile") o.metrics_textfile.value.clear();
        if (p.field == "observability.metricsPort") o.metrics_port.value = 0;
    }
    return o;
}

/// The production settings of every client the CLI builds.
inline client::production_settings production_settings() {
    client::production_settings s;
    s.log_level = log_level_option();  // nullopt: ZEROG_LOG_LEVEL, else warn
    s.metrics = metrics_option();
    s.tracer = tracer_option();
    return s;
}

/// The configuration for `profile` (nullopt: the usual precedence).
inline result<config::configuration> load_config(const std::optional<std::string>& profile, const config::environment& env) {
    config::load_options lo;
    lo.env = env;
    if (db_option()) lo.explicit_values.database = config::setting<std::string>{*db_option(), config::value_source::cli()};
    if (profile) {
        ZEROG_TRY(const config::network n, config::parse_network(*profile));
        lo.explicit_values.profile = config::setting<config::network>{n, config::value_source::cli()};
    }
    return config::load(lo);
}

/// The signing key of `cfg`'s account (see the file comment). errc::invalid_key when none is
/// configured: only commands that sign ask for it.
inline result<crypto::private_key> signing_key(const config::configuration& cfg, const config::environment& env) {
    ZEROG_TRY(auto loaded, config::load_signing_key(env, cfg.profile.value));
    if (loaded) return std::move(loaded->key);
    if (cfg.profile.value == config::network::devnet && cfg.devnet_faucet_key)
        return crypto::private_key::from_bytes(cfg.devnet_faucet_key->unsafe_bytes());
    return zerog::error(errc::invalid_key, "no signing key: set ZG_PRIVATE_KEY or ZG_KEYSTORE (profile " +
                                               std::string(config::to_string(cfg.profile.value)) + ")");
}

/// What the database setting of `cfg` names (see the file comment).
inline result<std::string> database_spec(const config::configuration& cfg, const config::environment& env) {
    if (!cfg.database.value.empty()) return cfg.database.value;
    if (cfg.profile.value == config::network::devnet) return config::devnet_dir(env) + "/zerog.db";
    auto p = store::default_database_path(env.get("XDG_STATE_HOME").value_or(""), env.get("HOME").value_or(""));
    if (p.empty()) return zerog::error(errc::invalid_argument, "no database: set --db, ZEROG_DB, or HOME");
    return p.string();
}

/// Open the database of `cfg` (see the file comment).
inline result<store::database> open_database(const config::configuration& cfg, const config::environment& env) {
    ZEROG_TRY(const std::string spec, database_spec(cfg, env));
    return store::database::open(spec);
}

/// A loaded configuration and a client built from it.
template <class Client>
struct session {
    config::configuration cfg;
    std::unique_ptr<Client> client;
};

}  // namespace zerog::cli
