// The start-up checks behind `zerog config check` (client layer: they use the transport, JSON-RPC
// and the compute ABI decoders; config stays free of networking): validating a configuration against the network at start-up
// (checklist §3, "validate all endpoints on startup").
//
// `plan_startup_checks` decides which checks run against what; `startup_check` runs them:
//   * chain_id        every rpc URL: eth_chainId == cfg.chain_id (errc::chain_id_mismatch otherwise);
//   * genesis_hash    first rpc URL: eth_getBlockByNumber(0).hash == cfg.genesis_hash (when set);
//   * node_identity   every node URL: zgs_getStatus().networkIdentity {chainId, flowAddress} equals
//                     {cfg.chain_id, cfg.contracts.flow};
//   * indexer         every indexer URL: indexer_getShardedNodes answers with ≥ replicas trusted nodes;
//   * contract_code   flow, ledger, inference (and market/fineTuning when set): eth_getCode != "0x";
//   * provider        every provider: InferenceServing.getService(address) exists, then its URL
//                     (the configured one when set, else Service.url from the chain) answers a
//                     plain `GET <url>` with any HTTP status below 500. Why GET of the service
//                     URL: it is the one thing every real provider (the G3 broker behind its
//                     reverse proxy) and the devnet emulator both answer without a session token;
//                     the emulator's JSON-RPC `devnet_providerStatus` exists only on the devnet.
//                     This proves reachability, not that inference works (`zerog smoke` does).
// Each check gets its own deadline (options.per_check_timeout, default cfg.timeouts.rpc, also
// capping the connect/read/write timeouts) and all checks are reported, not only the first
// failure; each outcome carries its latency and, on success, what was observed. Failures are
// precise: errc::chain_id_mismatch / errc::verification_failed / errc::not_found … with "expected X,
// got Y" and the frame `during("startup check <kind> <field>").at(<redacted endpoint>)`.
//
// Thread safety: plan_startup_checks is pure; startup_check runs on the caller's executor.
#pragma once

#include <zerog/config/profile.hpp>
#include <zerog/client/compute_types.hpp>
#include <zerog/net/jsonrpc.hpp>
#include <zerog/net/transport.hpp>

#include <chrono>

#include <optional>

namespace zerog::client {

using config::configuration;
using config::provider_entry;
using config::setting;

/// The kinds of network check (see file comment).
enum class check_kind { chain_id, genesis_hash, node_identity, indexer, contract_code, provider };

/// "chain_id", "genesis_hash", ...
inline std::string_view to_string(check_kind k) noexcept {
    switch (k) {
    case check_kind::chain_id: return "chain_id";
    case check_kind::genesis_hash: return "genesis_hash";
    case check_kind::node_identity: return "node_identity";
    case check_kind::indexer: return "indexer";
    case check_kind::contract_code: return "contract_code";
    case check_kind::provider: return "provider";
    }
    return "unknown";
}

/// One check to run: its kind, the config field it verifies, and its target (a URL or an address).
struct planned_check {
    check_kind kind;
    std::string field;   ///< e.g. "rpc[0]", "flow", "providers[1]"
    std::string target;  ///< URL (full: it is used, not printed; print with redact_endpoint) or address
    friend bool operator==(const planned_check&, const planned_check&) = default;
};

/// Every check `startup_check` will run for `cfg`, in order.
inline std::vector<planned_check> plan_startup_checks(const configuration& cfg) {
    std::vector<planned_check> plan;
    auto indexed = [](std::string_view n, std::size_t i) { return std::string(n) + "[" + std::to_string(i) + "]"; };
    for (std::size_t i = 0; i < cfg.rpc_urls.value.size(); ++i)
        plan.push_back({check_kind::chain_id, indexed("rpc", i), cfg.rpc_urls.value[i]});
    if (!cfg.genesis_hash.value.empty() && !cfg.rpc_urls.value.empty())
        plan.push_back({check_kind::genesis_hash, "genesisHash", cfg.rpc_urls.value.front()});
    for (std::size_t i = 0; i < cfg.node_urls.value.size(); ++i)
        plan.push_back({check_kind::node_identity, indexed("nodes", i), cfg.node_urls.value[i]});
    for (std::size_t i = 0; i < cfg.indexer_urls.value.size(); ++i)
        plan.push_back({check_kind::indexer, indexed("indexer", i), cfg.indexer_urls.value[i]});
    const std::pair<const char*, const setting<std::string>*> contracts[] = {
        {"flow", &cfg.contracts.flow}, {"market", &cfg.contracts.market}, {"ledger", &cfg.contracts.ledger},
        {"inference", &cfg.contracts.inference}, {"fineTuning", &cfg.contracts.fine_tuning}};
    for (auto [name, s] : contracts)
        if (!s->value.empty()) plan.push_back({check_kind::contract_code, name, s->value});
    for (std::size_t i = 0; i < cfg.providers.value.size(); ++i)
        plan.push_back({check_kind::provider, indexed("providers", i), cfg.providers.value[i].address});
    return plan;
}

/// The outcome of one check. `error` is set when it failed.
struct check_outcome {
    planned_check check;
    bool passed = false;
    std::optional<zerog::error> error;
    std::chrono::milliseconds latency{0};  ///< wall time of the check (its network calls)
    std::string observed;                  ///< on success: what was seen ("chainId 16602", "12345 bytes of code")
    std::string endpoint;                  ///< where it ran (redacted origin); empty for address-only checks
};

/// All outcomes; ok() only when every planned check ran and passed.
struct startup_report {
    std::vector<check_outcome> outcomes;
    bool ok() const noexcept {
        for (const auto& o : outcomes)
            if (!o.passed) return false;
        return true;
    }
};

/// Options of `startup_check`.
struct startup_check_options {
    std::optional<std::chrono::milliseconds> per_check_timeout;  ///< default: cfg.timeouts.rpc
};

namespace startup_detail {

namespace asio = boost::asio;

namespace json = boost::json;

inline std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

inline net::request_options bounded(std::chrono::milliseconds t) {
    net::request_options ro;
    ro.deadline = zerog::steady_time::clock::now() + t;
    ro.connect_timeout = std::min(ro.connect_timeout, t);
    ro.write_timeout = std::min(ro.write_timeout, t);
    ro.read_timeout = std::min(ro.read_timeout, t);
    return ro;
}

inline zerog::error mismatch(errc code, std::string what, const std::string& expected, const std::string& got) {
    return zerog::error(code, std::move(what) + ": expected " + expected + ", got " + got);
}

inline result<std::uint64_t> quantity(const json::value& v, std::string_view what) {
    if (v.is_uint64()) return v.as_uint64();
    if (v.is_int64() && v.as_int64() >= 0) return static_cast<std::uint64_t>(v.as_int64());
    if (v.is_string()) {
        const std::string_view s = v.as_string();
        std::uint64_t out = 0;
        const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
        const std::string_view digits = hex ? s.substr(2) : s;
        if (digits.empty() || digits.size() > (hex ? 16u : 19u)) return fail(errc::malformed_response, std::string(what) + " is not a u64");
        for (char c : digits) {
            int d;
            if (c >= '0' && c <= '9') d = c - '0';
            else if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
            else if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
            else return fail(errc::malformed_response, std::string(what) + " is not a u64");
            out = out * (hex ? 16 : 10) + static_cast<std::uint64_t>(d);
        }
        return out;
    }
    return fail(errc::malformed_response, std::string(what) + " is missing or not a number");
}

template <net::Transport T>
asio::awaitable<result<std::string>> check_chain_id(const configuration& cfg, T transport, std::string url, std::chrono::milliseconds t) {
    net::jsonrpc_client<T> rpc(std::move(transport), url);
    auto id = co_await rpc.template call_as_async<std::uint64_t>("eth_chainId", json::array(), bounded(t));
    if (!id) co_return std::move(id).error();
    if (*id != cfg.chain_id.value)
        co_return mismatch(errc::chain_id_mismatch, "eth_chainId", std::to_string(cfg.chain_id.value), std::to_string(*id));
    co_return "chainId " + std::to_string(*id);
}

template <net::Transport T>
asio::awaitable<result<std::string>> check_genesis(const configuration& cfg, T transport, std::string url, std::chrono::milliseconds t) {
    net::jsonrpc_client<T> rpc(std::move(transport), url);
    json::array params;
    params.emplace_back("0x0");
    params.emplace_back(false);
    auto b = co_await rpc.call_async("eth_getBlockByNumber", std::move(params), bounded(t));
    if (!b) co_return std::move(b).error();
    const json::object* o = b->if_object();
    const json::value* h = o ? o->if_contains("hash") : nullptr;
    if (!h || !h->is_string()) co_return fail(errc::malformed_response, "eth_getBlockByNumber(0): no block hash");
    const std::string got(h->as_string());
    if (lower(got) != lower(cfg.genesis_hash.value)) co_return mismatch(errc::verification_failed, "genesis block hash", cfg.genesis_hash.value, got);
    co_return "genesis " + got;
}

template <net::Transport T>
asio::awaitable<result<std::string>> check_node(const configuration& cfg, T transport, std::string url, std::chrono::milliseconds t) {
    net::jsonrpc_client<T> rpc(std::move(transport), url);
    auto st = co_await rpc.call_async("zgs_getStatus", json::array(), bounded(t));
    if (!st) co_return std::move(st).error();
    const json::object* o = st->if_object();
    const json::value* ni = o ? o->if_contains("networkIdentity") : nullptr;
    if (!ni || !ni->is_object()) co_return fail(errc::malformed_response, "zgs_getStatus: no networkIdentity object");
    const json::object& id = ni->as_object();
    const json::value* cid = id.if_contains("chainId");
    if (!cid) co_return fail(errc::malformed_response, "zgs_getStatus: networkIdentity.chainId missing");
    auto chain = quantity(*cid, "networkIdentity.chainId");
    if (!chain) co_return std::move(chain).error();
    if (*chain != cfg.chain_id.value)
        co_return mismatch(errc::chain_id_mismatch, "zgs_getStatus networkIdentity.chainId", std::to_string(cfg.chain_id.value),
                           std::to_string(*chain));
    const json::value* flow = id.if_contains("flowAddress");
    if (!flow || !flow->is_string()) co_return fail(errc::malformed_response, "zgs_getStatus: networkIdentity.flowAddress missing");
    const std::string got(flow->as_string());
    if (lower(got) != lower(cfg.contracts.flow.value))
        co_return mismatch(errc::verification_failed, "zgs_getStatus networkIdentity.flowAddress", cfg.contracts.flow.value, got);
    co_return "chainId " + std::to_string(*chain) + ", flow " + got;
}

template <net::Transport T>
asio::awaitable<result<std::string>> check_indexer(const configuration& cfg, T transport, std::string url, std::chrono::milliseconds t) {
    net::jsonrpc_client<T> rpc(std::move(transport), url);
    auto v = co_await rpc.call_async("indexer_getShardedNodes", json::array(), bounded(t));
    if (!v) co_return std::move(v).error();
    const json::object* o = v->if_object();
    const json::value* tr = o ? o->if_contains("trusted") : nullptr;
    const std::size_t trusted = tr && tr->is_array() ? tr->as_array().size() : 0;
    if (tr && !tr->is_array() && !tr->is_null()) co_return fail(errc::malformed_response, "indexer_getShardedNodes: trusted is not an array");
    const json::value* di = o ? o->if_contains("discovered") : nullptr;
    const std::size_t discovered = di && di->is_array() ? di->as_array().size() : 0;
    if (!o) co_return fail(errc::malformed_response, "indexer_getShardedNodes: result is not an object");
    if (trusted < cfg.limits.replicas.value)
        co_return mismatch(errc::not_found, "indexer_getShardedNodes trusted nodes (≥ replicas)", std::to_string(cfg.limits.replicas.value),
                           std::to_string(trusted));
    co_return std::to_string(trusted) + " trusted, " + std::to_string(discovered) + " discovered node(s)";
}

template <net::Transport T>
asio::awaitable<result<std::string>> check_code(T transport, std::string url, std::string address, std::chrono::milliseconds t) {
    auto addr = crypto::address::parse(address);
    if (!addr) co_return fail(errc::invalid_argument, "not an address: " + address);
    net::jsonrpc_client<T> rpc(std::move(transport), url);
    json::array params;
    params.emplace_back(addr->to_checksum_hex());
    params.emplace_back("latest");
    auto code = co_await rpc.template call_as_async<bytes>("eth_getCode", std::move(params), bounded(t));
    if (!code) co_return std::move(code).error();
    if (code->empty()) co_return mismatch(errc::not_found, "eth_getCode(" + addr->to_checksum_hex() + ")", "contract code", "0x (no contract at this address)");
    co_return std::to_string(code->size()) + " bytes of code";
}

template <net::Transport T>
asio::awaitable<result<std::string>> check_provider(const configuration& cfg, T transport, std::string rpc_url, provider_entry entry,
                                                    std::chrono::milliseconds t, std::string& endpoint) {
    auto addr = crypto::address::parse(entry.address);
    if (!addr) co_return fail(errc::invalid_argument, "not an address: " + entry.address);
    auto inference = crypto::address::parse(cfg.contracts.inference.value);
    if (!inference) co_return fail(errc::invalid_argument, "inference contract is not configured");
    auto data = codec::abi::encode_call("getService(address)", *addr);
    if (!data) co_return std::move(data).error();
    net::jsonrpc_client<T> rpc(transport, rpc_url);
    json::object call;
    call["to"] = inference->to_checksum_hex();
    call["data"] = to_hex(*data);
    json::array params;
    params.emplace_back(std::move(call));
    params.emplace_back("latest");
    auto ret = co_await rpc.template call_as_async<bytes>("eth_call", std::move(params), bounded(t));
    if (!ret)
        co_return zerog::error(errc::not_found, "InferenceServing.getService(" + addr->to_checksum_hex() +
                                                    "): no service registered (" + ret.error().message() + ")");
    auto svc = client::compute_abi::decode_service(*ret);
    if (!svc) co_return std::move(svc).error().during("decoding getService");
    const std::string url = entry.url.empty() ? svc->url : entry.url;
    if (url.empty()) co_return fail(errc::invalid_argument, "service of " + addr->to_checksum_hex() + " has no URL");
    endpoint = redact_endpoint(url);
    net::http_request req;
    req.method = "GET";
    req.url = url;
    req.options = bounded(t);
    req.options.accept_any_status = true;
    auto res = co_await transport.send_async(std::move(req));
    if (!res) co_return std::move(res).error().during("GET service URL");
    if (res->status >= 500)
        co_return mismatch(errc::server_error, "GET service URL", "an HTTP status below 500", "HTTP " + std::to_string(res->status));
    co_return "service \"" + svc->model + "\" answers (HTTP " + std::to_string(res->status) + ")";
}

}  // namespace startup_detail

/// Run every planned check over `transport` (any copyable net::Transport model: the real HTTP
/// transport, or a mock in tests). The result is an error only when the checks could not run at
/// all; failed checks are reported in the startup_report. Checks run one after the other, each
/// under its own deadline, so the whole run is bounded by (number of checks) × per-check timeout.
template <net::Transport T>
boost::asio::awaitable<result<startup_report>> startup_check(const configuration& cfg, T& transport,
                                                             startup_check_options options = {}) {
    using clock = std::chrono::steady_clock;
    const std::chrono::milliseconds t = options.per_check_timeout.value_or(cfg.timeouts.rpc.value);
    if (t.count() <= 0) co_return fail(errc::invalid_argument, "per-check timeout must be positive");
    const std::string rpc0 = cfg.rpc_urls.value.empty() ? std::string() : cfg.rpc_urls.value.front();
    startup_report rep;
    std::size_t provider_index = 0;
    for (auto& pc : plan_startup_checks(cfg)) {
        check_outcome out;
        out.check = pc;
        const auto t0 = clock::now();
        result<std::string> r = fail(errc::internal, "check did not run");
        switch (pc.kind) {
        case check_kind::chain_id:
            out.endpoint = redact_endpoint(pc.target);
            r = co_await startup_detail::check_chain_id(cfg, transport, pc.target, t);
            break;
        case check_kind::genesis_hash:
            out.endpoint = redact_endpoint(pc.target);
            r = co_await startup_detail::check_genesis(cfg, transport, pc.target, t);
            break;
        case check_kind::node_identity:
            out.endpoint = redact_endpoint(pc.target);
            r = co_await startup_detail::check_node(cfg, transport, pc.target, t);
            break;
        case check_kind::indexer:
            out.endpoint = redact_endpoint(pc.target);
            r = co_await startup_detail::check_indexer(cfg, transport, pc.target, t);
            break;
        case check_kind::contract_code:
            out.endpoint = redact_endpoint(rpc0);
            if (rpc0.empty()) r = fail(errc::invalid_argument, "no RPC URL configured");
            else r = co_await startup_detail::check_code(transport, rpc0, pc.target, t);
            break;
        case check_kind::provider: {
            const provider_entry entry = cfg.providers.value[provider_index++];
            if (rpc0.empty()) r = fail(errc::invalid_argument, "no RPC URL configured");
            else r = co_await startup_detail::check_provider(cfg, transport, rpc0, entry, t, out.endpoint);
            break;
        }
        }
        out.latency = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - t0);
        if (r) {
            out.passed = true;
            out.observed = std::move(*r);
        } else {
            zerog::error e = std::move(r).error();
            e.during("startup check " + std::string(to_string(pc.kind)) + " " + pc.field + (pc.kind == check_kind::contract_code ? " " + pc.target : std::string()));
            if (!out.endpoint.empty()) e.at(out.endpoint);
            out.error = std::move(e);
        }
        rep.outcomes.push_back(std::move(out));
    }
    co_return rep;
}

}  // namespace zerog::client
