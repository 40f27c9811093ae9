// Value types of the compute client (compute_client.hpp): on-chain records of the G3 contracts
// (docs/protocol/compute.md §3.1) with their ABI decoders, the client's options, and the request/result of
// one inference. No I/O here, so unit tests and the CLI's formatting code need no Beast.
//
// Thread safety: value types and pure functions.
#pragma once

#include <zerog/compute/chat.hpp>
#include <zerog/compute/chat_sse.hpp>
#include <zerog/config/profile.hpp>
#include <zerog/compute/services.hpp>
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

using compute::one_0g;
using compute::min_ledger_deposit;
using compute::min_first_transfer;
using compute::compute_service;
using compute::compute_ledger;
using compute::compute_account;
namespace compute_abi = compute::compute_abi;
using compute::chat_sse_parser;
using compute::chat_message;
using compute::chat_request;

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
    /// EVM RPC endpoints, preferred first; the others are tried when one cannot be reached
    /// (net/jsonrpc.hpp, "Failover"). At least one.
    std::vector<std::string> rpc_urls;
    std::uint64_t chain_id = 0;   ///< required: transactions are refused on another chain
    crypto::address ledger;       ///< LedgerManager
    crypto::address inference;    ///< InferenceServing
    std::string user;             ///< rate-limiter and budget identity ("" = anonymous)

    std::chrono::milliseconds rpc_timeout{30'000};             ///< one contract read
    std::chrono::milliseconds finality_timeout{120'000};       ///< one transaction, receipt included
    std::chrono::milliseconds inference_timeout{300'000};      ///< one inference, failover included
    std::chrono::milliseconds per_provider_timeout{60'000};    ///< one provider's attempt (then fail over)
    std::chrono::milliseconds connect_timeout{5'000};
    std::chrono::milliseconds state_ttl{10'000};               ///< reuse of account/service reads

    compute::token_cache_options tokens;                        ///< lifetime default 5 min, ≤ 1 h (session_token.hpp)
    token_reuse reuse = token_reuse::adaptive;
    /// On an auth error naming expiry, revocation or generation: re-read the account, take a new
    /// token and retry once. false: return the provider's error as is.
    bool renew_on_auth_error = true;
    verification verify = verification::strict;
    bool check_balance = true;                                  ///< refuse requests the sub-account cannot cover
    compute::estimate_options estimate;

    /// The options of a loaded configuration (endpoints, contracts, timeouts). Addresses were
    /// validated by the configuration layer; a missing one is an error here, not a zero address.
    static result<compute_client_options> from_config(const config::configuration& c) {
        compute_client_options o;
        if (c.rpc_urls.value.empty()) return fail(errc::invalid_argument, "no RPC URL configured");
        o.rpc_urls = c.rpc_urls.value;
        o.chain_id = c.chain_id.value;
        ZEROG_TRY(o.ledger, crypto::address::parse(c.contracts.ledger.value));
        ZEROG_TRY(o.inference, crypto::address::parse(c.contracts.inference.value));
        o.rpc_timeout = c.timeouts.rpc.value;
        o.inference_timeout = c.timeouts.inference.value;
        o.finality_timeout = c.timeouts.finality.value;
        return o;
    }
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
