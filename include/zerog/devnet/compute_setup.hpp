// The compute side of `zerog devnet up`: the config each provider emulator process reads
// (services/provider-<i>.json, parsed by provider_config_from_json) and the demo account, so that
// inference works right after `up` without any user transaction.
//
// Demo account = the faucet (anvil key 0, devnet.json `faucetKey`, also the InferenceServing owner
// that acknowledged each provider's TEE signer): addLedger with `demo_deposit`, then transferFund
// `demo_per_provider` to every provider. The first transfer creates the sub-account and
// auto-acknowledges the TEE signer (docs/protocol/compute.md §4.2); we read the account back and only call
// acknowledgeTEESigner(provider, true) when that did not happen, so the setup also works against a
// contract that does not auto-acknowledge.
//
// Thread safety: pure functions and a coroutine using its own rpc_client.
#pragma once

#include <zerog/devnet/compute_provider_chain.hpp>
#include <zerog/devnet/compute_provider_config.hpp>
#include <zerog/devnet/faults.hpp>

#include <vector>

namespace zerog::devnet {

/// How many providers `devnet up --providers N` can run: each needs its own provider and TEE
/// account among anvil's ten public dev keys (#0 faucet/owner, #1–#4 test users, #5 rogue signer,
/// see provider_dev_keys), which leaves two pairs.
inline constexpr unsigned max_devnet_providers = 2;

/// The model every devnet provider serves (the emulator answers with the ROT13 of the prompt).
inline constexpr std::string_view devnet_model = "zerog-devnet-rot13";
/// Devnet prices, neuron per token: 1 gwei per prompt token, 2 gwei per completion token, so a
/// short chat costs well under 0.001 0G and the demo sub-account lasts for thousands of requests.
inline const uint256 devnet_input_price = uint256(1'000'000'000ULL);
inline const uint256 devnet_output_price = uint256(2'000'000'000ULL);

inline const uint256 one_0g = uint256(1'000'000'000'000'000'000ULL);
/// Ledger deposit of the demo account (MIN_ACCOUNT_BALANCE is 3 0G).
inline const uint256 demo_deposit = uint256(10) * one_0g;
/// Moved into each provider sub-account: the provider keeps a 1 0G reserve (MinimumLockedBalance)
/// out of reach, so 3 0G leaves 2 0G to spend. 2 providers × 3 0G fit in the deposit.
inline const uint256 demo_per_provider = uint256(3) * one_0g;

/// services/provider-<i>.json for provider `index` (keys from provider_dev_keys). `replay` is
/// "off": the real broker and the official SDK reuse one session token for many requests, so
/// per-request replay protection would break them; tests of that hardening start their own
/// emulator. Errors: invalid_argument when `index` has no dev keys.
inline result<boost::json::object> provider_service_config(const std::filesystem::path& dir, unsigned index, std::uint16_t port,
                                                           const std::string& rpc, std::uint64_t chain_id, const std::string& serving,
                                                           std::string_view owner_key) {
    if (index >= max_devnet_providers)
        return fail(errc::invalid_argument, "only " + std::to_string(max_devnet_providers) + " devnet providers fit in anvil's dev keys");
    const provider_keys k = provider_dev_keys(index);
    return boost::json::object{{"port", port},
                               {"rpc", rpc},
                               {"chainId", chain_id},
                               {"serving", serving},
                               {"providerKey", k.provider},
                               {"teeKey", k.tee},
                               {"ownerKey", owner_key},
                               {"faultFile", fault_file(dir, "provider", index).string()},
                               {"model", devnet_model},
                               {"inputPrice", devnet_input_price.to_decimal()},
                               {"outputPrice", devnet_output_price.to_decimal()},
                               {"replay", "off"}};
}

/// Set up the demo account of `user` (see the file comment) for `providers`. Returns the
/// devnet.json `demoAccount` entry. Errors: chain errors (reverts name the failing step).
inline asio::awaitable<result<boost::json::object>> setup_demo_account(std::string rpc, std::uint64_t chain_id, crypto::address ledger,
                                                                     crypto::address serving, std::string user_key,
                                                                     std::vector<crypto::address> providers) {
    namespace abi = codec::abi;
    rpc_client c(net::http_transport(), rpc);
    ZEROG_CO_TRY(auto user, crypto::secp256k1_signer::from_hex(user_key));
    // serviceName of transferFund is the registry's fullName ("inference-v1.0"), read rather than
    // assumed so a changed registration cannot silently fund nothing.
    ZEROG_CO_TRY(auto info_call, abi::encode_call("getServiceInfo(address)", serving));
    ZEROG_CO_TRY(auto info_ret, co_await eth_call(c, ledger, std::move(info_call)));
    ZEROG_CO_TRY(auto info, abi::decode("((address,address,string,string,string,string,bool,uint256))", info_ret));
    const auto* fields = info.empty() ? nullptr : info[0].as_list();
    const std::string* full_name = fields && fields->size() > 4 ? (*fields)[4].as_string() : nullptr;
    if (!full_name) co_return fail(errc::malformed_response, "getServiceInfo: unexpected shape");
    const std::string service_name = *full_name;

    ZEROG_CO_TRY(std::uint64_t nonce, co_await pending_nonce(c, user.address()));
    auto step = [&](std::string what, crypto::address to, bytes data, uint256 value) -> asio::awaitable<result<void>> {
        auto r = co_await send_and_wait(c, user, chain_id, nonce, to, std::move(data), value);
        if (!r) co_return fail(std::move(r).error().during("demo account: " + what));
        ++nonce;
        co_return result<void>{};
    };
    ZEROG_CO_TRY(auto add, abi::encode_call("addLedger(string)", std::string()));
    ZEROG_CO_CHECK(co_await step("addLedger", ledger, std::move(add), demo_deposit));
    for (const auto& p : providers) {
        ZEROG_CO_TRY(auto tf, abi::encode_call("transferFund(address,string,uint256)", p, service_name, demo_per_provider));
        ZEROG_CO_CHECK(co_await step("transferFund to " + p.to_checksum_hex(), ledger, std::move(tf), uint256(0)));
        ZEROG_CO_TRY(auto acc, co_await provider_chain::read_account(c, serving, user.address(), p));
        if (!acc.exists) co_return fail(errc::internal, "demo account: no sub-account with " + p.to_checksum_hex() + " after transferFund");
        if (!acc.acknowledged) {
            ZEROG_CO_TRY(auto ack, abi::encode_call("acknowledgeTEESigner(address,bool)", p, true));
            ZEROG_CO_CHECK(co_await step("acknowledgeTEESigner " + p.to_checksum_hex(), serving, std::move(ack), uint256(0)));
        }
    }
    co_return boost::json::object{{"address", user.address().to_checksum_hex()},
                                  {"ledgerDeposit", demo_deposit.to_decimal()},
                                  {"perProvider", demo_per_provider.to_decimal()},
                                  {"serviceName", service_name}};
}

}  // namespace zerog::devnet
