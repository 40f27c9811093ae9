// The bundled network profiles: mainnet ("Aristotle", chain 16661) and testnet ("Galileo", 16602).
//
// Every value is copied from the specs and pinned by tests/config/test_profiles.cpp:
//   * chain id, EVM RPC, storage indexer (turbo), Flow: docs/protocol/storage.md §11;
//   * LedgerManager, InferenceServing, FineTuningServing: docs/protocol/compute.md §1 (SDK 0.9.0 constants).
// The market contract is not published; it is read from Flow.market() at run time (empty here).
// The old Galileo deployment (chain 16601, Flow 0xbD75…) is stale and deliberately absent.
//
// Thread safety: constant data and pure functions.
#pragma once

#include <zerog/config/profile.hpp>

#include <array>
#include <string_view>

namespace zerog::config {

/// The constants of one bundled profile.
struct bundled_profile {
    network net;
    std::uint64_t chain_id;
    std::array<std::string_view, 1> rpc_urls;
    std::array<std::string_view, 1> indexer_urls;
    std::string_view flow;
    std::string_view ledger;
    std::string_view inference;
    std::string_view fine_tuning;
};

/// Mainnet "Aristotle".
inline constexpr bundled_profile mainnet_profile{
    network::mainnet,
    16661,
    {"https://evmrpc.0g.ai"},
    {"https://indexer-storage-turbo.0g.ai"},
    "0x62D4144dB0F0a6fBBaeb6296c785C71B3D57C526",
    "0x2dE54c845Cd948B72D2e32e39586fe89607074E3",
    "0x47340d900bdFec2BD393c626E12ea0656F938d84",
    "0x4e3474095518883744ddf135b7E0A23301c7F9c0",
};

/// Testnet "Galileo" (re-launched as 16602).
inline constexpr bundled_profile testnet_profile{
    network::testnet,
    16602,
    {"https://evmrpc-testnet.0g.ai"},
    {"https://indexer-storage-testnet-turbo.0g.ai"},
    "0x22E03a6A89B950F1c82ec5e74F8eCa321a105296",
    "0xE70830508dAc0A97e6c087c75f402f9Be669E406",
    "0xa79F4c8311FF93C06b8CfB403690cc987c93F91E",
    "0xC6C075D8039763C8f1EbE580be5ADdf2fd6941bA",
};

/// The bundled constants for mainnet/testnet; nullptr for devnet (read from devnet.json).
inline const bundled_profile* find_bundled_profile(network n) noexcept {
    switch (n) {
    case network::mainnet: return &mainnet_profile;
    case network::testnet: return &testnet_profile;
    case network::devnet: return nullptr;
    }
    return nullptr;
}

/// The chain id a profile is pinned to (0 for devnet, whose id is whatever devnet.json says).
inline std::uint64_t expected_chain_id(network n) noexcept {
    const bundled_profile* p = find_bundled_profile(n);
    return p ? p->chain_id : 0;
}

/// Overwrite `cfg`'s network fields with a bundled profile; each gets source "profile:<name>".
/// Limits and timeouts keep their defaults: the profiles do not change them.
inline void apply_bundled_profile(configuration& cfg, const bundled_profile& p) {
    const value_source src = value_source::profile(std::string(to_string(p.net)));
    auto list = [&](const auto& arr) {
        std::vector<std::string> v;
        for (std::string_view s : arr) v.emplace_back(s);
        return setting<std::vector<std::string>>{std::move(v), src};
    };
    auto str = [&](std::string_view s) { return setting<std::string>{std::string(s), src}; };
    cfg.chain_id = {p.chain_id, src};
    cfg.rpc_urls = list(p.rpc_urls);
    cfg.indexer_urls = list(p.indexer_urls);
    cfg.node_urls = {{}, src};
    cfg.providers = {{}, src};
    cfg.contracts.flow = str(p.flow);
    cfg.contracts.market = str("");
    cfg.contracts.ledger = str(p.ledger);
    cfg.contracts.inference = str(p.inference);
    cfg.contracts.fine_tuning = str(p.fine_tuning);
}

}  // namespace zerog::config
