// The override layers above the bundled profile: the JSON config file, the environment, and
// explicit API/CLI values. Each layer produces a `partial_config` (only what it sets, each value
// tagged with its source); `apply` lays one over a `config`.
//
// The environment is an injectable map (`environment`), so tests are table-driven and never touch
// the real process environment; `environment::from_process()` snapshots the ZEROG_* and ZG_*
// variables once. An empty variable counts as unset (a stray `export ZEROG_RPC_URLS=` must not wipe
// the profile's endpoints).
//
// The config file is strict: unknown fields are errors (a typo must not silently fall back to a
// default), and anything that looks like a secret is refused before any other check, without
// echoing its value: keys belong in ZG_PRIVATE_KEY or a keystore, never in a file that gets copied,
// committed and attached to bug reports (checklist §3).
//
// Thread safety: pure functions over values; `from_process` reads `environ`, like getenv.
#pragma once

#include <zerog/config/profile.hpp>
#include <zerog/config/values.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

extern char** environ;

namespace zerog::config {

/// Environment variables as a map. Construct from a literal in tests, `from_process()` in programs.
class environment {
public:
    environment() = default;
    explicit environment(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}
    /// `environment({{"ZEROG_PROFILE", "mainnet"}})`: preferred over the map overload for brace lists.
    environment(std::initializer_list<std::pair<const std::string, std::string>> vars) : vars_(vars) {}

    /// Snapshot the variables zerog reads (prefixes ZEROG_ and ZG_) from the process.
    static environment from_process() {
        std::map<std::string, std::string> m;
        for (char** e = environ; e && *e; ++e) {
            std::string_view kv(*e);
            if (kv.rfind("ZEROG_", 0) != 0 && kv.rfind("ZG_", 0) != 0) continue;
            const auto eq = kv.find('=');
            if (eq == std::string_view::npos) continue;
            m.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
        }
        return environment(std::move(m));
    }

    /// The value if set and non-empty.
    std::optional<std::string> get(std::string_view name) const {
        auto it = vars_.find(std::string(name));
        if (it == vars_.end() || it->second.empty()) return std::nullopt;
        return it->second;
    }
    const std::map<std::string, std::string>& vars() const noexcept { return vars_; }

private:
    std::map<std::string, std::string> vars_;
};

/// What one layer sets. Unset fields leave the value below untouched.
struct partial_config {
    std::optional<setting<network>> profile;
    std::optional<setting<std::uint64_t>> chain_id;
    std::optional<setting<std::vector<std::string>>> rpc_urls, indexer_urls, node_urls, kv_urls;
    std::optional<setting<std::vector<provider_entry>>> providers;
    std::optional<setting<std::string>> flow, market, ledger, inference, fine_tuning, genesis_hash, database;
    std::optional<setting<std::uint64_t>> max_file_size, fragment_size;
    std::optional<setting<std::uint32_t>> replicas;
    std::optional<setting<std::chrono::milliseconds>> timeout_rpc, timeout_upload, timeout_download,
        timeout_inference, timeout_finality;
    std::optional<setting<std::string>> otlp_endpoint, metrics_textfile;
    std::optional<setting<std::uint32_t>> metrics_port;
};

/// Lay `p` over `cfg` (the profile field is not applied here: it selects the bundled layer first).
inline void apply(configuration& cfg, const partial_config& p) {
    auto put = [](auto& dst, const auto& src) {
        if (src) dst = *src;
    };
    put(cfg.chain_id, p.chain_id);
    put(cfg.rpc_urls, p.rpc_urls);
    put(cfg.indexer_urls, p.indexer_urls);
    put(cfg.node_urls, p.node_urls);
    put(cfg.kv_urls, p.kv_urls);
    put(cfg.providers, p.providers);
    put(cfg.contracts.flow, p.flow);
    put(cfg.contracts.market, p.market);
    put(cfg.contracts.ledger, p.ledger);
    put(cfg.contracts.inference, p.inference);
    put(cfg.contracts.fine_tuning, p.fine_tuning);
    put(cfg.genesis_hash, p.genesis_hash);
    put(cfg.database, p.database);
    put(cfg.limits.max_file_size, p.max_file_size);
    put(cfg.limits.fragment_size, p.fragment_size);
    put(cfg.limits.replicas, p.replicas);
    put(cfg.timeouts.rpc, p.timeout_rpc);
    put(cfg.timeouts.upload, p.timeout_upload);
    put(cfg.timeouts.download, p.timeout_download);
    put(cfg.timeouts.inference, p.timeout_inference);
    put(cfg.timeouts.finality, p.timeout_finality);
    put(cfg.observability.otlp_endpoint, p.otlp_endpoint);
    put(cfg.observability.metrics_textfile, p.metrics_textfile);
    put(cfg.observability.metrics_port, p.metrics_port);
}

/// A provider from text: "0xADDRESS" or "0xADDRESS@URL" (split at the first '@'; an address has none).
inline provider_entry parse_provider_text(std::string_view s) {
    provider_entry p;
    const auto at = s.find('@');
    p.address = std::string(trim(s.substr(0, at)));
    if (at != std::string_view::npos) p.url = std::string(trim(s.substr(at + 1)));
    return p;
}

// ---- secrets in files ---------------------------------------------------------------------------

namespace detail {
/// Lower case without '_', '-', '.': "private_key", "privateKey" and "Private-Key" all compare equal.
inline std::string normalize_name(std::string_view name) {
    std::string n;
    for (char c : name)
        if (c != '_' && c != '-' && c != '.') n.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    return n;
}
inline bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
}  // namespace detail

/// Whether a field name says "secret": key, privateKey, private_key, apiKey, pk, mnemonic,
/// password, passphrase, secret, seed... (public keys excepted).
inline bool is_secret_field_name(std::string_view name) {
    const std::string n = detail::normalize_name(name);
    if (n == "pk" || n == "sk" || n == "privkey") return true;
    if (detail::ends_with(n, "key") && n != "publickey" && n != "pubkey") return true;
    for (std::string_view bad : {"privatekey", "mnemonic", "password", "passphrase", "passwd", "secret", "seed"})
        if (n.find(bad) != std::string::npos) return true;
    return false;
}

/// Whether a field name says "hash" (genesisHash, txHash, root, merkleRoot): 64 hex digits there are expected.
inline bool is_hash_field_name(std::string_view name) {
    const std::string n = detail::normalize_name(name);
    return detail::ends_with(n, "hash") || detail::ends_with(n, "root");
}

/// 64 hex digits, with or without "0x": the shape of a raw private key.
inline bool looks_like_raw_key(std::string_view s) {
    s = trim(s);
    if (s.size() == 66 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
    if (s.size() != 64) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

/// The fixed advice every secret-in-file problem carries.
inline constexpr std::string_view where_keys_belong =
    "configuration files must not hold secrets: put the key in ZG_PRIVATE_KEY, or in a keystore file named by "
    "ZG_KEYSTORE (password from ZG_KEYSTORE_PASSWORD or the prompt)";

/// Walk a parsed config file and report every field that holds, or is named like, a secret.
/// The value is never copied into a problem.
inline void scan_for_secrets(const boost::json::value& v, const std::string& path, bool hash_context,
                             const value_source& src, std::vector<problem>& out) {
    if (v.is_object()) {
        for (const auto& kv : v.get_object()) {
            const std::string child = path.empty() ? std::string(kv.key()) : path + "." + std::string(kv.key());
            if (is_secret_field_name(kv.key())) {
                out.push_back({child, src, errc::invalid_argument,
                               "field named like a secret; " + std::string(where_keys_belong)});
                continue;
            }
            scan_for_secrets(kv.value(), child, is_hash_field_name(kv.key()), src, out);
        }
    } else if (v.is_array()) {
        const auto& a = v.get_array();
        for (std::size_t i = 0; i < a.size(); ++i)
            scan_for_secrets(a[i], path + "[" + std::to_string(i) + "]", hash_context, src, out);
    } else if (v.is_string() && !hash_context && looks_like_raw_key(v.get_string())) {
        out.push_back({path, src, errc::invalid_argument,
                       "value has the shape of a private key (64 hex digits; not shown); " + std::string(where_keys_belong)});
    }
}

// ---- the JSON config file -----------------------------------------------------------------------

/// Fields a config file may contain (docs/configuration.md documents each).
inline constexpr std::string_view file_fields[] = {"profile", "chainId", "rpc", "indexer", "nodes", "kv", "providers",
                                                   "flow", "market", "ledger", "inference", "fineTuning",
                                                   "genesisHash", "database", "limits", "timeouts", "observability"};
inline constexpr std::string_view file_limit_fields[] = {"maxFileSize", "fragmentSize", "replicas"};
inline constexpr std::string_view file_timeout_fields[] = {"rpc", "upload", "download", "inference", "finality"};
inline constexpr std::string_view file_observability_fields[] = {"otlpEndpoint", "metricsTextfile", "metricsPort"};

namespace detail {
template <std::size_t N>
inline bool known(const std::string_view (&names)[N], std::string_view k) {
    return std::find(std::begin(names), std::end(names), k) != std::end(names);
}
template <std::size_t N>
inline std::string known_list(const std::string_view (&names)[N]) {
    std::string s;
    for (auto n : names) { if (!s.empty()) s += ", "; s += n; }
    return s;
}
/// Run `parse(value)`; store its value in `dst` tagged with `src`, or record a problem for `field`.
template <class T, class Parse>
inline void take(const boost::json::value& v, const std::string& field, const value_source& src,
                 std::optional<setting<T>>& dst, std::vector<problem>& out, Parse parse) {
    auto r = parse(v);
    if (!r) { out.push_back({field, src, r.error().code() == make_error_code(errc::overflow) ? errc::overflow : errc::invalid_argument, r.error().detail()}); return; }
    if constexpr (std::is_same_v<T, std::uint32_t>) {
        if (*r > std::numeric_limits<std::uint32_t>::max()) { out.push_back({field, src, errc::out_of_range, "too large"}); return; }
        dst = setting<T>{static_cast<T>(*r), src};
    } else {
        dst = setting<T>{T(std::move(*r)), src};
    }
}
inline result<std::vector<provider_entry>> json_providers(const boost::json::value& v, std::vector<problem>& out,
                                                         const value_source& src) {
    if (v.is_string()) {
        std::vector<provider_entry> ps;
        for (auto& s : parse_list(v.get_string())) ps.push_back(parse_provider_text(s));
        return ps;
    }
    if (!v.is_array()) return fail(errc::invalid_argument, "expected an array, got " + json_kind(v));
    std::vector<provider_entry> ps;
    const auto& a = v.get_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
        const std::string f = "providers[" + std::to_string(i) + "]";
        if (a[i].is_string()) { ps.push_back(parse_provider_text(a[i].get_string())); continue; }
        if (!a[i].is_object()) { out.push_back({f, src, errc::invalid_argument, "expected a string or an object, got " + json_kind(a[i])}); continue; }
        provider_entry p;
        bool item_ok = true;  // a half-understood provider entry is dropped, not used
        for (const auto& kv : a[i].get_object()) {
            std::string* dst = kv.key() == "address" ? &p.address : kv.key() == "url" ? &p.url : kv.key() == "model" ? &p.model : nullptr;
            if (!dst) { out.push_back({f + "." + std::string(kv.key()), src, errc::invalid_argument, "unknown field (known: address, url, model)"}); item_ok = false; continue; }
            if (!kv.value().is_string()) { out.push_back({f + "." + std::string(kv.key()), src, errc::invalid_argument, "expected a string, got " + json_kind(kv.value())}); item_ok = false; continue; }
            *dst = std::string(kv.value().get_string());
        }
        if (item_ok) ps.push_back(std::move(p));
    }
    return ps;
}
}  // namespace detail

/// Parse the text of a config file into a layer. Problems (bad JSON, unknown fields, wrong types,
/// secrets) are appended to `out`; fields with problems are left unset.
inline partial_config parse_config_file(std::string_view text, const std::string& path, std::vector<problem>& out) {
    partial_config p;
    const value_source src = value_source::file(path);
    boost::system::error_code ec;
    boost::json::value doc = boost::json::parse(text, ec);
    if (ec) { out.push_back({"(file)", src, errc::parse_error, "not valid JSON: " + ec.message()}); return p; }
    if (!doc.is_object()) { out.push_back({"(file)", src, errc::parse_error, "the top level must be a JSON object, got " + json_kind(doc)}); return p; }

    const std::size_t before = out.size();
    scan_for_secrets(doc, "", false, src, out);
    if (out.size() != before) return p;  // refuse the whole file: a file holding a key is not to be trusted as written

    using namespace detail;
    for (const auto& kv : doc.get_object()) {
        const std::string k(kv.key());
        const auto& v = kv.value();
        if (!known(file_fields, k)) { out.push_back({k, src, errc::invalid_argument, "unknown field (known: " + known_list(file_fields) + ")"}); continue; }
        if (k == "profile") take(v, k, src, p.profile, out, [](const auto& x) -> result<network> { ZEROG_TRY(auto s, json_string(x)); return parse_network(s); });
        else if (k == "chainId") take(v, k, src, p.chain_id, out, json_uint);
        else if (k == "rpc") take(v, k, src, p.rpc_urls, out, json_string_list);
        else if (k == "indexer") take(v, k, src, p.indexer_urls, out, json_string_list);
        else if (k == "nodes") take(v, k, src, p.node_urls, out, json_string_list);
        else if (k == "kv") take(v, k, src, p.kv_urls, out, json_string_list);
        else if (k == "providers") take(v, k, src, p.providers, out, [&](const auto& x) { return json_providers(x, out, src); });
        else if (k == "flow") take(v, k, src, p.flow, out, json_string);
        else if (k == "market") take(v, k, src, p.market, out, json_string);
        else if (k == "ledger") take(v, k, src, p.ledger, out, json_string);
        else if (k == "inference") take(v, k, src, p.inference, out, json_string);
        else if (k == "fineTuning") take(v, k, src, p.fine_tuning, out, json_string);
        else if (k == "genesisHash") take(v, k, src, p.genesis_hash, out, json_string);
        else if (k == "database") take(v, k, src, p.database, out, json_string);
        else if (k == "limits" || k == "timeouts" || k == "observability") {
            if (!v.is_object()) { out.push_back({k, src, errc::invalid_argument, "expected an object, got " + json_kind(v)}); continue; }
            for (const auto& sub : v.get_object()) {
                const std::string sk(sub.key());
                const std::string f = k + "." + sk;
                const bool is_known = k == "limits" ? known(file_limit_fields, sk)
                                      : k == "timeouts" ? known(file_timeout_fields, sk)
                                                        : known(file_observability_fields, sk);
                if (!is_known) {
                    out.push_back({f, src, errc::invalid_argument,
                                   "unknown field (known: " + (k == "limits" ? known_list(file_limit_fields)
                                                               : k == "timeouts" ? known_list(file_timeout_fields)
                                                                                 : known_list(file_observability_fields)) + ")"});
                    continue;
                }
                const auto& sv = sub.value();
                if (f == "limits.maxFileSize") take(sv, f, src, p.max_file_size, out, json_size);
                else if (f == "limits.fragmentSize") take(sv, f, src, p.fragment_size, out, json_size);
                else if (f == "limits.replicas") take(sv, f, src, p.replicas, out, json_uint);
                else if (f == "timeouts.rpc") take(sv, f, src, p.timeout_rpc, out, json_duration);
                else if (f == "timeouts.upload") take(sv, f, src, p.timeout_upload, out, json_duration);
                else if (f == "timeouts.download") take(sv, f, src, p.timeout_download, out, json_duration);
                else if (f == "timeouts.inference") take(sv, f, src, p.timeout_inference, out, json_duration);
                else if (f == "timeouts.finality") take(sv, f, src, p.timeout_finality, out, json_duration);
                else if (f == "observability.otlpEndpoint") take(sv, f, src, p.otlp_endpoint, out, json_string);
                else if (f == "observability.metricsTextfile") take(sv, f, src, p.metrics_textfile, out, json_string);
                else if (f == "observability.metricsPort") take(sv, f, src, p.metrics_port, out, json_uint);
            }
        }
    }
    return p;
}

/// Read and parse a config file. An unreadable file is a problem, not a silent fallback.
inline partial_config read_config_file(const std::string& path, std::vector<problem>& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) { out.push_back({"(file)", value_source::file(path), errc::io_error, "cannot open the configuration file"}); return {}; }
    std::ostringstream ss;
    ss << in.rdbuf();
    return parse_config_file(ss.str(), path, out);
}

// ---- the environment ----------------------------------------------------------------------------

/// One configuration variable: its name and the config-file field it overrides.
struct env_variable {
    std::string_view name;
    std::string_view field;
    std::string_view meaning;
};

/// Every configuration variable zerog reads (docs/configuration.md is generated from the same list by hand).
inline constexpr env_variable env_variables[] = {
    {"ZEROG_PROFILE", "profile", "mainnet, testnet or devnet"},
    {"ZEROG_CHAIN_ID", "chainId", "expected chain id"},
    {"ZEROG_RPC_URLS", "rpc", "EVM JSON-RPC endpoints, comma-separated, in failover order"},
    {"ZEROG_INDEXER_URLS", "indexer", "storage indexer endpoints, comma-separated"},
    {"ZEROG_NODE_URLS", "nodes", "storage node endpoints, comma-separated"},
    {"ZEROG_KV_URLS", "kv", "0G KV node endpoints, comma-separated, in failover order"},
    {"ZEROG_PROVIDERS", "providers", "compute providers: ADDRESS or ADDRESS@URL, comma-separated"},
    {"ZEROG_FLOW_ADDRESS", "flow", "Flow contract"},
    {"ZEROG_MARKET_ADDRESS", "market", "Market contract (empty: read Flow.market())"},
    {"ZEROG_LEDGER_ADDRESS", "ledger", "LedgerManager contract"},
    {"ZEROG_INFERENCE_ADDRESS", "inference", "InferenceServing contract"},
    {"ZEROG_FINE_TUNING_ADDRESS", "fineTuning", "FineTuningServing contract"},
    {"ZEROG_GENESIS_HASH", "genesisHash", "expected block-0 hash (optional)"},
    {"ZEROG_DB", "database", "records of payments: an SQLite path or a postgresql:// URL (default ~/.local/state/zerog/zerog.db)"},
    {"ZEROG_MAX_FILE_SIZE", "limits.maxFileSize", "largest file accepted for upload (bytes or 10MiB)"},
    {"ZEROG_FRAGMENT_SIZE", "limits.fragmentSize", "fragment size for large files (power of two)"},
    {"ZEROG_REPLICAS", "limits.replicas", "expected replica count"},
    {"ZEROG_TIMEOUT_RPC", "timeouts.rpc", "one JSON-RPC call (e.g. 30s)"},
    {"ZEROG_TIMEOUT_UPLOAD", "timeouts.upload", "a whole upload"},
    {"ZEROG_TIMEOUT_DOWNLOAD", "timeouts.download", "a whole download"},
    {"ZEROG_TIMEOUT_INFERENCE", "timeouts.inference", "one inference request"},
    {"ZEROG_TIMEOUT_FINALITY", "timeouts.finality", "waiting for a receipt / storage finality"},
    // OpenTelemetry's standard variable first, so that ZEROG_OTLP_ENDPOINT (read after it) wins.
    {"OTEL_EXPORTER_OTLP_ENDPOINT", "observability.otlpEndpoint", "OTLP/HTTP collector for traces (OpenTelemetry's variable)"},
    {"ZEROG_OTLP_ENDPOINT", "observability.otlpEndpoint", "OTLP/HTTP collector for traces (http://host:4318)"},
    {"ZEROG_METRICS_TEXTFILE", "observability.metricsTextfile", "Prometheus exposition written when a CLI command ends"},
    {"ZEROG_METRICS_PORT", "observability.metricsPort", "serve GET /metrics on 127.0.0.1:PORT while a CLI command runs"},
};

/// Read the environment layer. Parse problems are appended to `out`, naming field and variable.
inline partial_config read_environment(const environment& env, std::vector<problem>& out) {
    partial_config p;
    for (const env_variable& var : env_variables) {
        const auto raw = env.get(var.name);
        if (!raw) continue;
        const value_source src = value_source::env(std::string(var.name));
        const std::string field(var.field);
        const boost::json::value v(*raw);  // reuse the JSON parsers: a string value takes their text path
        using namespace detail;
        if (field == "profile") take(v, field, src, p.profile, out, [](const auto& x) { return parse_network(x.get_string()); });
        else if (field == "chainId") take(v, field, src, p.chain_id, out, json_uint);
        else if (field == "rpc") take(v, field, src, p.rpc_urls, out, json_string_list);
        else if (field == "indexer") take(v, field, src, p.indexer_urls, out, json_string_list);
        else if (field == "nodes") take(v, field, src, p.node_urls, out, json_string_list);
        else if (field == "kv") take(v, field, src, p.kv_urls, out, json_string_list);
        else if (field == "providers") take(v, field, src, p.providers, out, [&](const auto& x) { return json_providers(x, out, src); });
        else if (field == "flow") take(v, field, src, p.flow, out, json_string);
        else if (field == "market") take(v, field, src, p.market, out, json_string);
        else if (field == "ledger") take(v, field, src, p.ledger, out, json_string);
        else if (field == "inference") take(v, field, src, p.inference, out, json_string);
        else if (field == "fineTuning") take(v, field, src, p.fine_tuning, out, json_string);
        else if (field == "genesisHash") take(v, field, src, p.genesis_hash, out, json_string);
        else if (field == "database") take(v, field, src, p.database, out, json_string);
        else if (field == "limits.maxFileSize") take(v, field, src, p.max_file_size, out, json_size);
        else if (field == "limits.fragmentSize") take(v, field, src, p.fragment_size, out, json_size);
        else if (field == "limits.replicas") take(v, field, src, p.replicas, out, json_uint);
        else if (field == "timeouts.rpc") take(v, field, src, p.timeout_rpc, out, json_duration);
        else if (field == "timeouts.upload") take(v, field, src, p.timeout_upload, out, json_duration);
        else if (field == "timeouts.download") take(v, field, src, p.timeout_download, out, json_duration);
        else if (field == "timeouts.inference") take(v, field, src, p.timeout_inference, out, json_duration);
        else if (field == "observability.otlpEndpoint") take(v, field, src, p.otlp_endpoint, out, json_string);
        else if (field == "observability.metricsTextfile") take(v, field, src, p.metrics_textfile, out, json_string);
        else if (field == "observability.metricsPort") take(v, field, src, p.metrics_port, out, json_uint);
        else if (field == "timeouts.finality") take(v, field, src, p.timeout_finality, out, json_duration);
    }
    return p;
}

}  // namespace zerog::config
