// The 0G Compute serving contracts as data (docs/protocol/compute.md §3): the Service, Account
// and Ledger tuples of InferenceServing / LedgerManager, their ABI decoders and the contracts'
// amount constants. Pure: bytes in, values out; untrusted return data is checked shape by shape.
#pragma once

#include <zerog/codec/abi.hpp>
#include <zerog/compute/pricing.hpp>
#include <zerog/core/uint256.hpp>
#include <zerog/crypto/address.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace zerog::compute {

/// 1 0G in neuron.
inline const uint256 one_0g = uint256(1'000'000'000'000'000'000ULL);
/// LedgerManager.MIN_ACCOUNT_BALANCE: addLedger / a ledger's first deposit (3 0G).
inline const uint256 min_ledger_deposit = uint256(3) * one_0g;
/// LedgerManager.MIN_TRANSFER_AMOUNT: the first transferFund to a provider (1 0G).
inline const uint256 min_first_transfer = one_0g;

/// Service (getService / getAllServices), ABI tuple order.
struct compute_service {
    crypto::address provider;
    std::string service_type;
    std::string url;
    uint256 input_price;   ///< neuron per prompt token
    uint256 output_price;  ///< neuron per completion token
    uint256 updated_at;
    std::string model;
    std::string verifiability;
    std::string additional_info;
    crypto::address tee_signer;
    bool tee_signer_acknowledged = false;  ///< attested by the contract owner

    compute::service_prices prices() const { return {input_price, output_price}; }
    /// The SDK's listService filter (§4.1): owner-acknowledged with a TEE signer set.
    bool usable() const { return tee_signer_acknowledged && tee_signer != crypto::address{}; }
};

/// Ledger (getLedger).
struct compute_ledger {
    crypto::address user;
    uint256 available;  ///< not yet moved into provider sub-accounts
    uint256 total;
    std::string additional_info;
};

/// Account (getAccount): the user's sub-account with one provider.
struct compute_account {
    crypto::address user, provider;
    uint256 nonce, balance, pending_refund;
    std::string additional_info;
    bool acknowledged = false;  ///< the user trusts the owner's TEE acknowledgement
    std::uint64_t generation = 0;
    uint256 revoked_bitmap;
    /// Spendable balance: balance − pendingRefund (0 when the refund exceeds it).
    uint256 locked() const { return balance >= pending_refund ? balance - pending_refund : uint256(0); }
};

namespace compute_abi {
inline constexpr std::string_view service_tuple = "(address,string,string,uint256,uint256,uint256,string,string,string,address,bool)";
inline constexpr std::string_view account_tuple =
    "(address,address,uint256,uint256,uint256,(uint256,uint256,uint256,bool)[],string,bool,uint256,uint256,uint256)";
inline constexpr std::string_view ledger_tuple = "(address,uint256,uint256,string)";
inline constexpr std::size_t max_page = 50;  ///< getAllServices limit (LimitTooLarge above)

namespace detail {
inline failure shape(std::string_view what) { return fail(errc::malformed_response, std::string(what) + ": unexpected ABI shape"); }
}  // namespace detail

/// One Service tuple value.
inline result<compute_service> service_from(const codec::abi::value& v) {
    using codec::abi::from_value;
    const auto* f = v.as_list();
    if (!f || f->size() != 11) return detail::shape("Service");
    compute_service s;
    ZEROG_TRY(s.provider, from_value<crypto::address>((*f)[0]));
    ZEROG_TRY(s.service_type, from_value<std::string>((*f)[1]));
    ZEROG_TRY(s.url, from_value<std::string>((*f)[2]));
    ZEROG_TRY(s.input_price, from_value<uint256>((*f)[3]));
    ZEROG_TRY(s.output_price, from_value<uint256>((*f)[4]));
    ZEROG_TRY(s.updated_at, from_value<uint256>((*f)[5]));
    ZEROG_TRY(s.model, from_value<std::string>((*f)[6]));
    ZEROG_TRY(s.verifiability, from_value<std::string>((*f)[7]));
    ZEROG_TRY(s.additional_info, from_value<std::string>((*f)[8]));
    ZEROG_TRY(s.tee_signer, from_value<crypto::address>((*f)[9]));
    ZEROG_TRY(s.tee_signer_acknowledged, from_value<bool>((*f)[10]));
    return s;
}

/// getService return data.
inline result<compute_service> decode_service(byte_span ret) {
    ZEROG_TRY(auto l, codec::abi::decode("(" + std::string(service_tuple) + ")", ret));
    if (l.size() != 1) return detail::shape("getService");
    return service_from(l[0]);
}

/// getAllServices return data: (Service[] page, uint256 total).
inline result<std::pair<std::vector<compute_service>, std::uint64_t>> decode_service_page(byte_span ret) {
    ZEROG_TRY(auto l, codec::abi::decode("(" + std::string(service_tuple) + "[],uint256)", ret));
    if (l.size() != 2 || !l[0].as_list()) return detail::shape("getAllServices");
    std::vector<compute_service> out;
    for (const auto& e : *l[0].as_list()) {
        ZEROG_TRY(auto s, service_from(e));
        out.push_back(std::move(s));
    }
    ZEROG_TRY(std::uint64_t total, codec::abi::from_value<std::uint64_t>(l[1]));
    return std::pair{std::move(out), total};
}

/// getAccount return data.
inline result<compute_account> decode_account(byte_span ret) {
    using codec::abi::from_value;
    ZEROG_TRY(auto l, codec::abi::decode("(" + std::string(account_tuple) + ")", ret));
    const auto* f = l.size() == 1 ? l[0].as_list() : nullptr;
    if (!f || f->size() != 11) return detail::shape("getAccount");
    compute_account a;
    ZEROG_TRY(a.user, from_value<crypto::address>((*f)[0]));
    ZEROG_TRY(a.provider, from_value<crypto::address>((*f)[1]));
    ZEROG_TRY(a.nonce, from_value<uint256>((*f)[2]));
    ZEROG_TRY(a.balance, from_value<uint256>((*f)[3]));
    ZEROG_TRY(a.pending_refund, from_value<uint256>((*f)[4]));
    ZEROG_TRY(a.additional_info, from_value<std::string>((*f)[6]));
    ZEROG_TRY(a.acknowledged, from_value<bool>((*f)[7]));
    ZEROG_TRY(a.generation, from_value<std::uint64_t>((*f)[9]));
    ZEROG_TRY(a.revoked_bitmap, from_value<uint256>((*f)[10]));
    return a;
}

/// getLedger return data.
inline result<compute_ledger> decode_ledger(byte_span ret) {
    using codec::abi::from_value;
    ZEROG_TRY(auto l, codec::abi::decode("(" + std::string(ledger_tuple) + ")", ret));
    const auto* f = l.size() == 1 ? l[0].as_list() : nullptr;
    if (!f || f->size() != 4) return detail::shape("getLedger");
    compute_ledger g;
    ZEROG_TRY(g.user, from_value<crypto::address>((*f)[0]));
    ZEROG_TRY(g.available, from_value<uint256>((*f)[1]));
    ZEROG_TRY(g.total, from_value<uint256>((*f)[2]));
    ZEROG_TRY(g.additional_info, from_value<std::string>((*f)[3]));
    return g;
}
}  // namespace compute_abi

}  // namespace zerog::compute
