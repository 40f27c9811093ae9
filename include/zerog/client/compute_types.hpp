// Value types of the compute client (compute_client.hpp): on-chain records of the G3 contracts
// (spec/compute.md §3.1) with their ABI decoders, the client's options, and the request/result of
// one inference. No I/O here, so unit tests and the CLI's formatting code need no Beast.
//
// Thread safety: value types and pure functions.
#pragma once

#include <zerog/codec/abi.hpp>
#include <zerog/compute/pricing.hpp>
#include <zerog/compute/response_signature.hpp>
#include <zerog/compute/session_token_cache.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace zerog::client {

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

/// How session tokens are reused (spec §4.3: tokens are bearer credentials without replay
/// protection; some providers bind a token's nonce to one request, see devnet replay_mode).
enum class token_reuse {
    cached,       ///< one token per provider and lifetime (the SDK's behaviour)
    per_request,  ///< a fresh token (fresh CSPRNG nonce) for every request: one signature each
    adaptive,     ///< cached until a provider reports a replayed nonce, then per_request for it
};

/// What a failed TEE response verification does.
enum class verification {
    off,      ///< never fetch the signature (`verified` stays false)
    lenient,  ///< fetch and check; failure → verified:false, the answer is still returned
    strict,   ///< failure is an error (and, with several providers, a reason to fail over)
};

/// Compute client configuration. Value type.
struct compute_client_options {
    std::string rpc_url;          ///< the chain's JSON-RPC endpoint
    /// Equivalent endpoints tried after `rpc_url` when it cannot be reached (net/jsonrpc.hpp).
    std::vector<std::string> rpc_fallback_urls;
    std::uint64_t chain_id = 0;   ///< required: transactions are refused on another chain
    crypto::address ledger;       ///< LedgerManager
    crypto::address inference;    ///< InferenceServing
    std::string user_id;          ///< rate-limiter and budget identity ("" = anonymous)

    std::chrono::milliseconds rpc_timeout{30'000};             ///< one contract read
    std::chrono::milliseconds tx_timeout{120'000};             ///< one transaction, receipt included
    std::chrono::milliseconds inference_timeout{300'000};      ///< one inference, failover included
    std::chrono::milliseconds per_provider_timeout{60'000};    ///< one provider's attempt (then fail over)
    std::chrono::milliseconds connect_timeout{5'000};
    std::chrono::milliseconds state_ttl{10'000};               ///< reuse of account/service reads

    compute::token_cache_options tokens;                        ///< lifetime default 1 h, ≤ 24 h
    token_reuse reuse = token_reuse::adaptive;
    /// On an auth error naming expiry, revocation or generation: re-read the account, take a new
    /// token and retry once. false: return the provider's error as is.
    bool renew_on_auth_error = true;
    verification verify = verification::strict;
    bool check_balance = true;                                  ///< refuse requests the sub-account cannot cover
    compute::estimate_options estimate;
};

/// One chat message.
struct chat_message {
    std::string role;
    std::string content;
};

/// An OpenAI-compatible chat-completions request.
struct chat_request {
    std::vector<chat_message> messages;
    std::optional<std::string> model;           ///< default: the service's model
    bool stream = false;
    std::optional<std::uint64_t> max_tokens;
    boost::json::object extra;                  ///< further OpenAI parameters, sent as given
    /// Streaming: called with each content delta as it arrives (on the client's executor).
    std::function<void(std::string_view)> on_delta;
};

/// Where to send an inference: a provider, optionally at another URL than the registered one
/// (config provider_entry.url).
struct provider_target {
    crypto::address provider;
    std::string url;  ///< empty: Service.url from the chain
};

/// The outcome of one inference.
struct chat_result {
    std::string content;
    crypto::address provider;
    std::string model;
    std::string chat_id;             ///< ZG-Res-Key (fallback: the body's / first chunk's id)
    std::string finish_reason;
    compute::token_usage usage;
    uint256 fee;                     ///< inputPrice·prompt + outputPrice·completion (exact)
    uint256 estimated_fee;           ///< the pre-send estimate the balance check used
    bool verified = false;
    std::optional<compute::response_verdict> verdict;  ///< set when a signature was checked
    std::string verification_error;  ///< why verification failed (empty when verified or off)
    std::string request_body;        ///< the exact bytes sent
    std::string response_body;       ///< the exact bytes received (the SSE stream for streams)
    std::vector<std::string> failed_over;  ///< "0xprovider: error" per provider skipped before this one
    std::chrono::nanoseconds exchange_time{0};  ///< inside the provider HTTP exchange (benchmarks)
};

/// A pre-send estimate of one inference at one provider (`compute_client::estimate`): what the
/// client would reserve against a budget and check against the balance. Value type.
struct chat_estimate {
    crypto::address provider;
    std::string model;
    compute::service_prices prices;  ///< neuron per token, from the chain
    compute::token_usage tokens;     ///< estimated prompt / completion tokens (estimate_options)
    uint256 input_fee;               ///< input price · prompt tokens
    uint256 fee;                     ///< input + output (compute::estimate_request_fee's total_fee)
    bool usable = false;             ///< the service is owner-acknowledged (inference would be attempted)
    std::string request_body;        ///< the exact bytes that would be sent
};

/// Render an estimate for `infer --estimate --json`.
inline boost::json::object to_json(const chat_estimate& e) {
    boost::json::object tokens;
    tokens["prompt_tokens"] = e.tokens.prompt_tokens;
    tokens["completion_tokens"] = e.tokens.completion_tokens;
    boost::json::object o;
    o["provider"] = e.provider.to_checksum_hex();
    o["model"] = e.model;
    o["inputPrice"] = e.prices.input_per_token.to_decimal();
    o["outputPrice"] = e.prices.output_per_token.to_decimal();
    o["estimatedTokens"] = std::move(tokens);
    o["inputFee"] = e.input_fee.to_decimal();
    o["fee"] = e.fee.to_decimal();
    o["fee0G"] = format_token_amount(e.fee);
    o["usable"] = e.usable;
    return o;
}

/// Render a result as the CLI's JSON: {"content","provider","model","chatId","usage":{…},"fee","verified"}.
inline boost::json::object to_json(const chat_result& r) {
    boost::json::object usage;
    usage["prompt_tokens"] = r.usage.prompt_tokens;
    usage["completion_tokens"] = r.usage.completion_tokens;
    boost::json::object o;
    o["content"] = r.content;
    o["provider"] = r.provider.to_checksum_hex();
    o["model"] = r.model;
    o["chatId"] = r.chat_id;
    o["usage"] = std::move(usage);
    o["fee"] = r.fee.to_decimal();
    o["verified"] = r.verified;
    return o;
}

/// Render a service for `compute services --json`.
inline boost::json::object to_json(const compute_service& s) {
    boost::json::object o;
    o["provider"] = s.provider.to_checksum_hex();
    o["serviceType"] = s.service_type;
    o["url"] = s.url;
    o["model"] = s.model;
    o["inputPrice"] = s.input_price.to_decimal();
    o["outputPrice"] = s.output_price.to_decimal();
    o["verifiability"] = s.verifiability;
    o["teeSigner"] = s.tee_signer.to_checksum_hex();
    o["teeSignerAcknowledged"] = s.tee_signer_acknowledged;
    return o;
}

}  // namespace zerog::client
