// The effective configuration of a zerog client: what it connects to, which contracts it trusts,
// and the limits and timeouts it enforces, each value tagged with where it came from.
//
// A `config` is built in layers (config/load.hpp), lowest precedence first:
//     defaults < bundled profile < JSON config file < environment < explicit API/CLI values
// and every field remembers its `value_source` ("default", "profile:mainnet", "file:PATH",
// "env:ZEROG_RPC_URLS", "cli") so that `zerog config show` and every validation message can say
// which layer to fix. Values are kept as given (addresses as strings, URLs unparsed) so that
// validation (config/validate.hpp) can report *all* problems at once instead of stopping at the
// first parse error.
//
// No secret lives in a `config`: the signing key comes from the environment or a keystore
// (config/secrets.hpp). The only exception is the devnet faucet key, a public development key
// read from devnet.json, held as an unprintable `crypto::private_key`.
//
// Thread safety: plain value types.
#pragma once

#include <zerog/core/result.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace zerog::crypto {
class private_key;
}

namespace zerog::config {

/// Which layer supplied a value, in increasing precedence.
enum class source_kind { default_value, profile, file, env, cli };

/// Where one effective value came from. `where` is the profile name, the file path, the variable
/// name, or the label of the explicit layer ("cli", or what an API caller chooses).
struct value_source {
    source_kind kind = source_kind::default_value;
    std::string where;

    static value_source defaults() { return {}; }
    static value_source profile(std::string name) { return {source_kind::profile, std::move(name)}; }
    static value_source file(std::string path) { return {source_kind::file, std::move(path)}; }
    static value_source env(std::string var) { return {source_kind::env, std::move(var)}; }
    static value_source cli(std::string label = "cli") { return {source_kind::cli, std::move(label)}; }

    /// "default", "profile:mainnet", "file:/etc/zerog.json", "env:ZEROG_REPLICAS", "cli".
    std::string to_string() const {
        switch (kind) {
        case source_kind::default_value: return "default";
        case source_kind::profile: return "profile:" + where;
        case source_kind::file: return "file:" + where;
        case source_kind::env: return "env:" + where;
        case source_kind::cli: return where.empty() ? "cli" : where;
        }
        return "unknown";
    }
    friend bool operator==(const value_source&, const value_source&) = default;
};

/// One effective value and the layer it came from.
template <class T>
struct setting {
    T value{};
    value_source source{};
    friend bool operator==(const setting&, const setting&) = default;
};

/// The networks zerog knows. mainnet and testnet are bundled (pinned to the specs); devnet is
/// read from the local devnet's devnet.json.
enum class network { mainnet, testnet, devnet };

/// "mainnet" / "testnet" / "devnet".
inline std::string_view to_string(network n) noexcept {
    switch (n) {
    case network::mainnet: return "mainnet";
    case network::testnet: return "testnet";
    case network::devnet: return "devnet";
    }
    return "unknown";
}

/// Parse a profile name (exact, lower case). Errors: invalid_argument listing the known names.
inline result<network> parse_network(std::string_view s) {
    if (s == "mainnet") return network::mainnet;
    if (s == "testnet") return network::testnet;
    if (s == "devnet") return network::devnet;
    return fail(errc::invalid_argument,
                "unknown profile \"" + std::string(s.substr(0, 40)) + "\" (known: mainnet, testnet, devnet)");
}

/// A compute provider to use, in failover order. `url` and `model` are optional: when empty the
/// client reads them from the InferenceServing contract (`getService`), which is the source of truth.
struct provider_entry {
    std::string address;
    std::string url;
    std::string model;
    friend bool operator==(const provider_entry&, const provider_entry&) = default;
};

/// Documented defaults and hard caps (docs/configuration.md repeats them; a test pins both).
namespace defaults {
inline constexpr std::uint64_t max_file_size = 10ull << 20;     ///< 10 MiB (checklist §1 MVP limit)
inline constexpr std::uint64_t max_file_size_cap = 1ull << 40;  ///< 1 TiB: beyond this a typo is likelier than intent
inline constexpr std::uint32_t replicas = 1;                    ///< the SDKs' expectedReplica
inline constexpr std::uint32_t replicas_cap = 32;
inline constexpr std::uint64_t fragment_size = 4ull << 30;      ///< 4 GiB (storage.md §1, §9.6)
inline constexpr std::uint64_t fragment_size_min = 256;         ///< one chunk
inline constexpr std::uint64_t fragment_size_cap = 64ull << 30; ///< 64 GiB
inline constexpr std::chrono::milliseconds rpc_timeout{30'000};             ///< one JSON-RPC exchange
inline constexpr std::chrono::milliseconds upload_timeout{30 * 60'000};     ///< a whole file upload
inline constexpr std::chrono::milliseconds download_timeout{30 * 60'000};   ///< a whole file download
inline constexpr std::chrono::milliseconds inference_timeout{5 * 60'000};   ///< one inference request
inline constexpr std::chrono::milliseconds finality_timeout{10 * 60'000};   ///< tx receipt + storage finality
inline constexpr std::chrono::milliseconds rpc_timeout_cap{10 * 60'000};
inline constexpr std::chrono::milliseconds transfer_timeout_cap{24 * 3'600'000};  ///< upload, download
inline constexpr std::chrono::milliseconds inference_timeout_cap{3'600'000};
inline constexpr std::chrono::milliseconds finality_timeout_cap{6 * 3'600'000};
inline constexpr std::size_t max_endpoints = 32;  ///< per list; more is a pasted log, not a failover list
inline constexpr network profile = network::testnet;  ///< no real funds at risk when nothing is said
}  // namespace defaults

/// Contract addresses (strings as configured; validated as EIP-55 by validate.hpp). An empty
/// `market` means "read Flow.market() at run time" (the spec publishes no market address).
struct contracts_config {
    setting<std::string> flow, market, ledger, inference, fine_tuning;
};

/// Storage limits enforced before anything is sent.
struct limits_config {
    setting<std::uint64_t> max_file_size{defaults::max_file_size, {}};
    setting<std::uint64_t> fragment_size{defaults::fragment_size, {}};
    setting<std::uint32_t> replicas{defaults::replicas, {}};
};

/// Deadlines per kind of operation; each bounds every retry and wait inside that operation.
struct timeouts_config {
    setting<std::chrono::milliseconds> rpc{defaults::rpc_timeout, {}};
    setting<std::chrono::milliseconds> upload{defaults::upload_timeout, {}};
    setting<std::chrono::milliseconds> download{defaults::download_timeout, {}};
    setting<std::chrono::milliseconds> inference{defaults::inference_timeout, {}};
    setting<std::chrono::milliseconds> finality{defaults::finality_timeout, {}};
};

/// Where the process's telemetry goes (docs/configuration.md). Empty / 0: off. The library's
/// clients take a metrics registry and a tracer (client::production_settings); these say where a
/// program (the CLI) sends them.
struct observability_config {
    setting<std::string> otlp_endpoint;     ///< OTLP/HTTP collector base URL (traces)
    setting<std::string> metrics_textfile;  ///< Prometheus exposition written when a command ends
    setting<std::uint32_t> metrics_port;    ///< 127.0.0.1:PORT serving GET /metrics; 0: not served
};

/// The whole effective configuration. Every endpoint is a list, tried in order (failover).
struct configuration {
    setting<network> profile{defaults::profile, {}};
    setting<std::uint64_t> chain_id;
    setting<std::vector<std::string>> rpc_urls;
    setting<std::vector<std::string>> indexer_urls;
    setting<std::vector<std::string>> node_urls;   ///< storage nodes used directly (devnet, or no indexer)
    setting<std::vector<std::string>> kv_urls;     ///< 0G KV nodes (reads of KV streams and namespaces); none by default
    setting<std::vector<provider_entry>> providers;
    contracts_config contracts;
    setting<std::string> genesis_hash;  ///< optional expected block-0 hash, checked by startup_check
    /// Where records of payments live: an SQLite path or a postgresql:// URL (store/database.hpp);
    /// empty = the default path. A URL's password belongs in PGPASSWORD or ~/.pgpass, not here.
    setting<std::string> database;
    limits_config limits;
    timeouts_config timeouts;
    observability_config observability;
    /// devnet only: the faucet account's key (a public development key) and its address.
    std::shared_ptr<const crypto::private_key> devnet_faucet_key;
    std::string devnet_faucet_address;
};

/// One configuration problem: the field (as named in the JSON file), where its value came from,
/// and what is wrong. Never contains a secret.
struct problem {
    std::string field;
    value_source source;
    errc code = errc::invalid_argument;
    std::string message;

    /// "rpc[1] (env:ZEROG_RPC_URLS): scheme must be http or https".
    std::string to_string() const {
        std::string out = field;
        out += " (";
        out += source.to_string();
        out += "): ";
        out += message;
        return out;
    }
};

/// Fold a list of problems into one error: code of the first problem, every problem in the detail.
inline zerog::error to_error(const std::vector<problem>& problems) {
    if (problems.empty()) return zerog::error(errc::internal, "no configuration problem to report");
    std::string detail = std::to_string(problems.size()) + (problems.size() == 1 ? " problem: " : " problems: ");
    for (std::size_t i = 0; i < problems.size(); ++i) {
        if (i) detail += "; ";
        detail += problems[i].to_string();
    }
    return zerog::error(problems.front().code, std::move(detail)).during("loading the configuration");
}

}  // namespace zerog::config
