// Health checks: the state of every dependency of a configuration, and whether a service built on
// it is ready to take work (checklist §5, "health checks"; `zerog health`).
//
//   auto rep = co_await client::health_check(cfg, transport, opts);
//   rep->ready            every dependency readiness needs has a healthy endpoint
//   rep->dependencies     one entry per endpoint: status, latency, last error, breaker state
//
// What is probed (each with its own deadline, all reported, never only the first failure):
//   * the start-up checks of client/startup_check.hpp: every chain RPC (eth_chainId), the genesis
//     hash, every storage node's identity (zgs_getStatus), every indexer, the contracts' code, every
//     configured compute provider (its service on chain, its URL answering);
//   * every KV node (kv_getHoldingStreamIds);
//   * the database, through `health_options::database` (the caller's store; the client layer does
//     not open databases).
// Readiness (what a load balancer's /readyz asks) holds when: at least one chain RPC answers with
// the configured chain id; every configured contract has code; the genesis hash matches (when
// configured); at least one storage node is healthy (when nodes or indexers are configured);
// at least one compute provider is healthy (when providers are configured); the database answers
// (when a probe is given). An indexer or a KV node that fails makes the report degraded, not
// unready: uploads and downloads go to the nodes directly. `live` is false only when the checks
// could not run at all (a bug or resource exhaustion in this process).
// Breaker states come from `health_options::breaker_state` (e.g. a client's breaker): a service
// reports what its clients currently think of each endpoint beside what the probe saw now.
//
// Thread safety: runs on the caller's executor; the options' callbacks are called from it.
#pragma once

#include <zerog/client/startup_check.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace zerog::client {

enum class health_status { healthy, degraded, unhealthy };

inline std::string_view to_string(health_status s) noexcept {
    switch (s) {
    case health_status::healthy: return "healthy";
    case health_status::degraded: return "degraded";
    case health_status::unhealthy: return "unhealthy";
    }
    return "unknown";
}

/// One endpoint (or contract, or the database) and what the probe found. Value type.
struct dependency_health {
    std::string dependency;  ///< chain_rpc, genesis, storage_node, indexer, contract, compute_provider, kv_node, database
    std::string name;        ///< the configuration field ("rpc[0]", "nodes[1]", "flow", "providers[0]", "database")
    std::string endpoint;    ///< redacted origin (scheme://host:port); empty for the database
    health_status status = health_status::unhealthy;
    std::chrono::milliseconds latency{0};
    std::string observed;    ///< what a healthy probe saw ("chainId 16602")
    std::string last_error;  ///< why it is unhealthy (empty when healthy)
    std::string breaker = "unknown";  ///< closed, open, half_open, or unknown (no breaker consulted)
    bool needed_for_readiness = false;
};

/// The whole picture. Value type.
struct health_report {
    bool live = true;
    bool ready = false;
    health_status overall = health_status::unhealthy;  ///< healthy, degraded (ready, something failing) or unhealthy (not ready)
    std::vector<std::string> not_ready_because;         ///< empty when ready
    std::vector<dependency_health> dependencies;
};

struct health_options {
    startup_check_options checks;  ///< per-check timeout (default cfg.timeouts.rpc)
    /// The database probe (a cheap read); unset: the database is not part of the report.
    std::function<result<void>()> database;
    /// The breaker state of an endpoint (redacted origin) as a client sees it; unset: "unknown".
    std::function<std::string(std::string_view endpoint)> breaker_state;
};

namespace health_detail {
inline std::string_view dependency_of(check_kind k) noexcept {
    switch (k) {
    case check_kind::chain_id: return "chain_rpc";
    case check_kind::genesis_hash: return "genesis";
    case check_kind::node_identity: return "storage_node";
    case check_kind::indexer: return "indexer";
    case check_kind::contract_code: return "contract";
    case check_kind::provider: return "compute_provider";
    }
    return "unknown";
}

/// Readiness and the overall status from the entries (pure; tests pin the rules).
inline void decide(health_report& rep) {
    auto any_healthy = [&](std::string_view dep) {
        for (const auto& d : rep.dependencies)
            if (d.dependency == dep && d.status == health_status::healthy) return true;
        return false;
    };
    auto any_of = [&](std::string_view dep) {
        for (const auto& d : rep.dependencies)
            if (d.dependency == dep) return true;
        return false;
    };
    auto all_healthy = [&](std::string_view dep) {
        for (const auto& d : rep.dependencies)
            if (d.dependency == dep && d.status != health_status::healthy) return false;
        return true;
    };
    rep.not_ready_because.clear();
    if (!any_healthy("chain_rpc")) rep.not_ready_because.push_back("no chain RPC endpoint answers with the configured chain id");
    if (!all_healthy("genesis")) rep.not_ready_because.push_back("the genesis block hash does not match the configuration");
    if (!all_healthy("contract")) rep.not_ready_because.push_back("a configured contract has no code");
    if ((any_of("storage_node") || any_of("indexer")) && !any_healthy("storage_node"))
        rep.not_ready_because.push_back("no storage node is healthy");
    if (any_of("compute_provider") && !any_healthy("compute_provider")) rep.not_ready_because.push_back("no compute provider is healthy");
    if (!all_healthy("database")) rep.not_ready_because.push_back("the database does not answer");
    rep.ready = rep.live && rep.not_ready_because.empty();
    for (auto& d : rep.dependencies) {
        d.needed_for_readiness = d.dependency != "indexer" && d.dependency != "kv_node";
    }
    bool all_ok = true;
    for (const auto& d : rep.dependencies) all_ok = all_ok && d.status == health_status::healthy;
    rep.overall = !rep.ready ? health_status::unhealthy : all_ok ? health_status::healthy : health_status::degraded;
}
}  // namespace health_detail

/// Probe every dependency of `cfg` (see the file comment). Fails only when nothing could run.
template <net::Transport T>
boost::asio::awaitable<result<health_report>> health_check(const configuration& cfg, T& transport, health_options opts = {}) {
    health_report rep;
    auto checks = co_await startup_check(cfg, transport, opts.checks);
    if (!checks) {
        rep.live = false;
        co_return std::move(checks).error().during("health check");
    }
    for (auto& o : checks->outcomes) {
        dependency_health d;
        d.dependency = std::string(health_detail::dependency_of(o.check.kind));
        d.name = o.check.field;
        d.endpoint = o.endpoint;
        d.latency = o.latency;
        d.status = o.passed ? health_status::healthy : health_status::unhealthy;
        if (o.passed) d.observed = std::move(o.observed);
        else if (o.error) d.last_error = o.error->message();
        rep.dependencies.push_back(std::move(d));
    }
    // KV nodes: one read every node answers (the streams it holds).
    const auto per_check = opts.checks.per_check_timeout.value_or(cfg.timeouts.rpc.value);
    for (std::size_t i = 0; i < cfg.kv_urls.value.size(); ++i) {
        const std::string& url = cfg.kv_urls.value[i];
        dependency_health d;
        d.dependency = "kv_node";
        d.name = "kv[" + std::to_string(i) + "]";
        d.endpoint = redact_endpoint(url);
        const auto t0 = std::chrono::steady_clock::now();
        net::jsonrpc_client<T> rpc(transport, url);
        auto v = co_await rpc.call_async("kv_getHoldingStreamIds", boost::json::array(), startup_detail::bounded(per_check));
        d.latency = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
        if (v && v->is_array()) {
            d.status = health_status::healthy;
            d.observed = std::to_string(v->get_array().size()) + " stream(s) held";
        } else {
            d.last_error = v ? std::string("kv_getHoldingStreamIds did not answer an array") : v.error().message();
        }
        rep.dependencies.push_back(std::move(d));
    }
    if (opts.database) {
        dependency_health d;
        d.dependency = "database";
        d.name = "database";
        const auto t0 = std::chrono::steady_clock::now();
        auto ok = opts.database();
        d.latency = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
        if (ok) {
            d.status = health_status::healthy;
            d.observed = "answers";
        } else {
            d.last_error = ok.error().message();
        }
        rep.dependencies.push_back(std::move(d));
    }
    if (opts.breaker_state)
        for (auto& d : rep.dependencies)
            if (!d.endpoint.empty() && d.dependency != "contract" && d.dependency != "genesis") d.breaker = opts.breaker_state(d.endpoint);
    health_detail::decide(rep);
    co_return rep;
}

}  // namespace zerog::client
