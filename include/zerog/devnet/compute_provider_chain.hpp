// The compute provider emulator's view of the chain (InferenceServing, docs/protocol/compute.md §3): the
// service registration a provider does at start (addOrUpdateService + the contract owner's
// acknowledgeTEESignerByOwner) and the two reads its request validation needs (getAccount,
// getService), with the real ABI signatures.
//
// Thread safety: coroutines; the rpc_client may be shared by concurrent coroutines.
#pragma once

#include <zerog/codec/abi.hpp>
#include <zerog/devnet/chain.hpp>

namespace zerog::devnet::provider_chain {

/// InferenceServing.MIN_PROVIDER_STAKE (100 0G): the value of the first addOrUpdateService.
inline const uint256 min_provider_stake = uint256(100) * uint256(1'000'000'000'000'000'000ULL);

/// ServiceParams of addOrUpdateService, in ABI tuple order.
struct service_params {
    std::string service_type = "chatbot";
    std::string url;
    std::string model;
    std::string verifiability = "TeeML";
    uint256 input_price;
    uint256 output_price;
    std::string additional_info;
    crypto::address tee_signer;
};

/// The fields of Account the provider checks (getAccount).
struct account_view {
    bool exists = false;          ///< false: AccountNotExists (every other field zero)
    uint256 balance;
    uint256 pending_refund;
    bool acknowledged = false;    ///< Account.acknowledged (user trusts the owner's TEE attestation)
    std::uint64_t generation = 0;
    uint256 revoked_bitmap;
    /// Spendable ("locked") balance: balance − pendingRefund (0 if the refund exceeds it).
    uint256 locked() const { return balance >= pending_refund ? balance - pending_refund : uint256(0); }
};

/// The fields of Service the provider checks (getService).
struct service_view {
    bool exists = false;
    crypto::address tee_signer;
    bool tee_signer_acknowledged = false;  ///< set by the owner (acknowledgeTEESignerByOwner)
    std::string url;
};

inline constexpr std::string_view account_tuple =
    "((address,address,uint256,uint256,uint256,(uint256,uint256,uint256,bool)[],string,bool,uint256,uint256,uint256))";
inline constexpr std::string_view service_tuple =
    "((address,string,string,uint256,uint256,uint256,string,string,string,address,bool))";

/// The pending nonce of `who`.
inline asio::awaitable<result<std::uint64_t>> pending_nonce(rpc_client& c, const crypto::address& who) {
    json::array p;
    p.push_back(json::value(who.to_lower_hex()));
    p.push_back(json::value("pending"));
    ZEROG_CO_TRY(auto n, co_await c.call_async("eth_getTransactionCount", std::move(p), local_request()));
    co_return quantity_u64(n);
}

/// A bool view call `sig(args)` on `to`.
template <class... Args>
asio::awaitable<result<bool>> view_bool(rpc_client& c, crypto::address to, std::string sig, Args... args) {
    ZEROG_CO_TRY(auto data, codec::abi::encode_call(sig, args...));
    ZEROG_CO_TRY(auto ret, co_await eth_call(c, to, std::move(data)));
    co_return codec::abi::decode_as<bool>("(bool)", ret);
}

/// Register (first call, staking MIN_PROVIDER_STAKE) or update the service of `provider`, then,
/// when `owner` is given, have the contract owner acknowledge its TEE signer (an update that
/// changes anything but url/prices clears the acknowledgement, so it always comes second).
inline asio::awaitable<result<void>> register_service(rpc_client& c, std::uint64_t chain_id, crypto::address serving,
                                                      const crypto::secp256k1_signer& provider, service_params p,
                                                      const crypto::secp256k1_signer* owner) {
    const crypto::address me = provider.address();
    ZEROG_CO_TRY(bool exists, co_await view_bool(c, serving, "serviceExists(address)", me));
    auto params = std::make_tuple(p.service_type, p.url, p.model, p.verifiability, p.input_price, p.output_price,
                                  p.additional_info, p.tee_signer);
    ZEROG_CO_TRY(auto call, codec::abi::encode_call("addOrUpdateService((string,string,string,string,uint256,uint256,string,address))", params));
    ZEROG_CO_TRY(std::uint64_t nonce, co_await pending_nonce(c, me));
    const uint256 stake = exists ? uint256(0) : min_provider_stake;
    ZEROG_CO_TRY(auto r1, co_await send_and_wait(c, provider, chain_id, nonce, serving, std::move(call), stake));
    (void)r1;
    if (owner) {
        ZEROG_CO_TRY(auto ack, codec::abi::encode_call("acknowledgeTEESignerByOwner(address)", me));
        ZEROG_CO_TRY(std::uint64_t on, co_await pending_nonce(c, owner->address()));
        ZEROG_CO_TRY(auto r2, co_await send_and_wait(c, *owner, chain_id, on, serving, std::move(ack)));
        (void)r2;
    }
    co_return result<void>{};
}

/// getAccount(user, provider); a missing account (accountExists false) is `exists == false`.
inline asio::awaitable<result<account_view>> read_account(rpc_client& c, crypto::address serving, crypto::address user,
                                                          crypto::address provider) {
    account_view a;
    // accountExists first: getAccount reverts AccountNotExists, and telling that revert apart
    // from a transport failure is more fragile than one more view call.
    ZEROG_CO_TRY(a.exists, co_await view_bool(c, serving, "accountExists(address,address)", user, provider));
    if (!a.exists) co_return a;
    ZEROG_CO_TRY(auto data, codec::abi::encode_call("getAccount(address,address)", user, provider));
    ZEROG_CO_TRY(auto ret, co_await eth_call(c, serving, std::move(data)));
    ZEROG_CO_TRY(auto vals, codec::abi::decode(account_tuple, ret));
    const auto* t = vals.empty() ? nullptr : vals[0].as_list();
    if (!t || t->size() != 11) co_return fail(errc::malformed_response, "getAccount: unexpected tuple");
    auto u = [&](std::size_t i) { return (*t)[i].as_uint() ? *(*t)[i].as_uint() : uint256(0); };
    a.balance = u(3);
    a.pending_refund = u(4);
    a.acknowledged = (*t)[7].as_bool() && *(*t)[7].as_bool();
    const uint256 gen = u(9);
    if (!gen.fits_u64()) co_return fail(errc::malformed_response, "getAccount: generation above 2^64");
    a.generation = gen.low64();
    a.revoked_bitmap = u(10);
    co_return a;
}

/// getService(provider); a missing service is `exists == false`.
inline asio::awaitable<result<service_view>> read_service(rpc_client& c, crypto::address serving, crypto::address provider) {
    service_view s;
    ZEROG_CO_TRY(s.exists, co_await view_bool(c, serving, "serviceExists(address)", provider));
    if (!s.exists) co_return s;
    ZEROG_CO_TRY(auto data, codec::abi::encode_call("getService(address)", provider));
    ZEROG_CO_TRY(auto ret, co_await eth_call(c, serving, std::move(data)));
    ZEROG_CO_TRY(auto vals, codec::abi::decode(service_tuple, ret));
    const auto* t = vals.empty() ? nullptr : vals[0].as_list();
    if (!t || t->size() != 11) co_return fail(errc::malformed_response, "getService: unexpected tuple");
    if ((*t)[2].as_string()) s.url = *(*t)[2].as_string();
    if ((*t)[9].as_address()) s.tee_signer = *(*t)[9].as_address();
    s.tee_signer_acknowledged = (*t)[10].as_bool() && *(*t)[10].as_bool();
    co_return s;
}

}  // namespace zerog::devnet::provider_chain
