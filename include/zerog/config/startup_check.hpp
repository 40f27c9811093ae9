// The seam for `zerog config check`: validating a configuration against the network at start-up
// (checklist §3, "validate all endpoints on startup").
//
// Status: the plan (which checks run against what) is implemented and tested; running the checks
// needs the chain client, which does not exist yet, so `startup_check` currently fails with
// errc::not_supported. When the chain client lands, only its body changes:
//   * chain_id        every rpc URL: eth_chainId == cfg.chain_id (errc::chain_id_mismatch otherwise);
//   * genesis_hash    first rpc URL: eth_getBlockByNumber(0).hash == cfg.genesis_hash (when set);
//   * node_identity   every node URL: zgs_getStatus().networkIdentity {chainId, flowAddress} equals
//                     {cfg.chain_id, cfg.contracts.flow};
//   * indexer         every indexer URL: indexer_getShardedNodes answers with ≥ replicas trusted nodes;
//   * contract_code   flow, ledger, inference (and market/fineTuning when set): eth_getCode != "0x";
//   * provider        every provider: InferenceServing.getService(address) exists (and the URL
//                     matches when one is configured).
// Each check gets its own deadline (options.per_check_timeout, default cfg.timeouts.rpc) and all
// checks are reported, not only the first failure.
//
// Thread safety: plan_startup_checks is pure; startup_check runs on the caller's executor.
#pragma once

#include <zerog/config/profile.hpp>
#include <zerog/policy/transport.hpp>

#include <optional>

namespace zerog::config {

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

/// Run every planned check over `transport` (any policy::Transport model: the real HTTP transport,
/// or a mock in tests). The result is an error only when the checks could not run at all; failed
/// checks are reported in the startup_report. NOT IMPLEMENTED YET: fails with errc::not_supported
/// until the chain client exists (see file comment).
template <policy::Transport T>
boost::asio::awaitable<result<startup_report>> startup_check(const configuration& cfg, T& transport,
                                                             startup_check_options options = {}) {
    (void)cfg;
    (void)transport;
    (void)options;
    co_return fail(zerog::error(errc::not_supported, "network start-up checks need the chain client (not implemented yet)")
                       .during("checking the configuration against the network"));
}

}  // namespace zerog::config
