// Compute pricing (docs/protocol/compute.md §2, §4.2, §4.5): usage from OpenAI-compatible responses, exact
// fees, a pre-send fee estimate, and the balance check that refuses a request we cannot pay.
//
//   fee = inputPrice · prompt_tokens + outputPrice · completion_tokens      (neuron, exact uint256)
//
// The provider's bill is authoritative (it may apply cached-input or tiered prices); these numbers
// are the SDK's local booking (base.js calculateFee), used for budgeting and funding decisions.
//
// Thread safety: pure functions.
#pragma once

#include <zerog/core/amount.hpp>
#include <zerog/core/uint256.hpp>

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace zerog::compute {

/// Token counts from a response's `usage` object.
struct token_usage {
    std::uint64_t prompt_tokens = 0;
    std::uint64_t completion_tokens = 0;
    friend bool operator==(const token_usage&, const token_usage&) = default;
};

/// A service's prices in neuron per token (Service.inputPrice / outputPrice on chain).
struct service_prices {
    uint256 input_per_token;
    uint256 output_per_token;
};

namespace detail {
inline result<std::uint64_t> usage_count(const boost::json::object& u, std::string_view key) {
    const boost::json::value* v = u.if_contains(key);
    if (!v) return fail(errc::malformed_response, "usage." + std::string(key) + " is missing");
    if (v->is_uint64()) return v->get_uint64();
    if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
    return fail(errc::malformed_response, "usage." + std::string(key) + " must be a non-negative integer");
}
}  // namespace detail

/// Usage from a parsed `usage` object. Errors: errc::malformed_response.
inline result<token_usage> usage_from_json(const boost::json::value& usage) {
    if (!usage.is_object()) return fail(errc::malformed_response, "usage must be an object");
    token_usage u;
    ZEROG_TRY(u.prompt_tokens, detail::usage_count(usage.get_object(), "prompt_tokens"));
    ZEROG_TRY(u.completion_tokens, detail::usage_count(usage.get_object(), "completion_tokens"));
    return u;
}

/// Usage from a response body: a chat completion, the final SSE chunk's JSON (`data:` stripped),
/// or a bare usage object (what the SDK passes to processResponse). Errors: errc::malformed_response
/// (not JSON, bad counts), errc::not_found (no usage, or `"usage":null` as in non-final chunks).
inline result<token_usage> parse_usage(std::string_view body) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(body, ec);
    if (ec) return fail(errc::malformed_response, "response is not JSON: " + ec.message());
    if (!v.is_object()) return fail(errc::malformed_response, "response is not a JSON object");
    const auto& o = v.get_object();
    if (o.contains("prompt_tokens")) return usage_from_json(v);
    const boost::json::value* u = o.if_contains("usage");
    if (!u || u->is_null()) return fail(errc::not_found, "response has no usage");
    return usage_from_json(*u);
}

/// inputPrice · prompt + outputPrice · completion, exact. Errors: errc::overflow.
inline result<uint256> fee_for(const token_usage& u, const service_prices& p) {
    ZEROG_TRY(uint256 in, checked_mul(p.input_per_token, uint256(u.prompt_tokens)));
    ZEROG_TRY(uint256 out, checked_mul(p.output_per_token, uint256(u.completion_tokens)));
    return checked_add(in, out);
}

// ---------------------------------------------------------------------------------------------
// Estimating before sending

/// How request size turns into a token estimate.
///
/// `conservative` (default): prompt tokens = UTF-8 bytes of every string in `messages` and `tools`
/// (contents, names, tool-call arguments; keys and roles are not counted) + `per_message` for each
/// message + `per_request`, with each image part counted as `image_tokens`. Byte-level BPE
/// tokenizers (GPT, Llama 3, Qwen, DeepSeek) never emit fewer than one byte per text token, so
/// this bounds their text tokens from above; the overheads cover chat-template tokens. It
/// over-estimates English text ~4×, which is the point when deciding whether a balance suffices.
/// `typical`: the same with ceil(bytes / 4) (OpenAI's rule of thumb), for budgeting displays.
///
/// Completion tokens: `max_completion_tokens`, else `max_tokens`, else `default_completion_tokens`,
/// times `n` when n > 1.
struct estimate_options {
    enum class mode { conservative, typical };
    mode kind = mode::conservative;
    std::uint64_t per_message = 4;
    std::uint64_t per_request = 3;
    std::uint64_t image_tokens = 1536;
    std::uint64_t default_completion_tokens = 1024;
};

/// A pre-send estimate.
struct fee_estimate {
    token_usage tokens;
    uint256 input_fee;   ///< what the provider's balance check counts for the request (§4.2)
    uint256 total_fee;   ///< input + output
};

namespace detail {
struct size_walk {
    std::uint64_t bytes = 0;
    std::uint64_t images = 0;
    void walk(const boost::json::value& v) {
        switch (v.kind()) {
        case boost::json::kind::string: bytes += v.get_string().size(); break;
        case boost::json::kind::array:
            for (const auto& e : v.get_array()) walk(e);
            break;
        case boost::json::kind::object: {
            const auto& o = v.get_object();
            if (const auto* t = o.if_contains("type"); t && t->is_string() &&
                (t->get_string() == "image_url" || t->get_string() == "input_image" || t->get_string() == "image")) {
                ++images;  // a data: URL's base64 says nothing about the model's image tokens
                break;
            }
            for (const auto& kv : o) {
                if (kv.key() == "role" || kv.key() == "type") continue;
                walk(kv.value());
            }
            break;
        }
        default: break;
        }
    }
};
inline result<std::uint64_t> optional_count(const boost::json::object& o, std::string_view key, std::uint64_t fallback) {
    const boost::json::value* v = o.if_contains(key);
    if (!v || v->is_null()) return fallback;
    if (v->is_uint64()) return v->get_uint64();
    if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
    return fail(errc::invalid_argument, std::string(key) + " must be a non-negative integer");
}
}  // namespace detail

/// Token estimate of a chat-completions request body (see estimate_options).
/// Errors: errc::invalid_argument (not JSON, no `messages` array, bad max_tokens / n), errc::overflow.
inline result<token_usage> estimate_request_tokens(std::string_view request_body, const estimate_options& opt = {}) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(request_body, ec);
    if (ec) return fail(errc::invalid_argument, "request body is not JSON: " + ec.message());
    if (!v.is_object()) return fail(errc::invalid_argument, "request body is not a JSON object");
    const auto& o = v.get_object();
    const boost::json::value* msgs = o.if_contains("messages");
    if (!msgs || !msgs->is_array()) return fail(errc::invalid_argument, "request body has no \"messages\" array");
    detail::size_walk w;
    w.walk(*msgs);
    if (const auto* tools = o.if_contains("tools")) w.walk(*tools);
    const std::uint64_t text = opt.kind == estimate_options::mode::conservative ? w.bytes : (w.bytes + 3) / 4;
    const uint256 prompt = uint256(text) + uint256(msgs->get_array().size()) * uint256(opt.per_message) +
                           uint256(opt.per_request) + uint256(w.images) * uint256(opt.image_tokens);
    ZEROG_TRY(std::uint64_t max_out, detail::optional_count(o, "max_tokens", opt.default_completion_tokens));
    ZEROG_TRY(max_out, detail::optional_count(o, "max_completion_tokens", max_out));
    ZEROG_TRY(std::uint64_t n, detail::optional_count(o, "n", 1));
    ZEROG_TRY(uint256 completion, checked_mul(uint256(max_out), uint256(n == 0 ? 1 : n)));
    if (!prompt.fits_u64() || !completion.fits_u64()) return fail(errc::overflow, "token estimate exceeds 2^64");
    return token_usage{prompt.low64(), completion.low64()};
}

/// Fee estimate of a request body at `prices`. Errors: those of estimate_request_tokens, overflow.
inline result<fee_estimate> estimate_request_fee(std::string_view request_body, const service_prices& prices,
                                                 const estimate_options& opt = {}) {
    fee_estimate e;
    ZEROG_TRY(e.tokens, estimate_request_tokens(request_body, opt));
    ZEROG_TRY(e.input_fee, checked_mul(prices.input_per_token, uint256(e.tokens.prompt_tokens)));
    ZEROG_TRY(e.total_fee, fee_for(e.tokens, prices));
    return e;
}

/// The answer of GET /v1/user/{addr}/unsettledfee: {"unsettledFee":"<neuron>"} (§4.2). A decimal
/// string as documented; a non-negative JSON integer is accepted too. Errors: errc::malformed_response.
inline result<uint256> parse_unsettled_fee(std::string_view body) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(body, ec);
    if (ec) return fail(errc::malformed_response, "unsettled fee answer is not JSON: " + ec.message());
    const boost::json::value* f = v.is_object() ? v.get_object().if_contains("unsettledFee") : nullptr;
    if (!f) return fail(errc::malformed_response, "unsettled fee answer has no \"unsettledFee\"");
    if (f->is_uint64()) return uint256(f->get_uint64());
    if (f->is_int64() && f->get_int64() >= 0) return uint256(static_cast<std::uint64_t>(f->get_int64()));
    if (!f->is_string()) return fail(errc::malformed_response, "unsettledFee must be a decimal string");
    auto n = uint256::from_decimal(std::string_view(f->get_string()));
    if (!n) return fail(errc::malformed_response, "unsettledFee: " + n.error().detail());
    return *n;
}

/// The provider's minimum locked balance (MinimumLockedBalance, 1 0G; spec §4.2).
inline constexpr uint256 minimum_locked_balance = uint256(1'000'000'000'000'000'000ULL);

/// A provider sub-account's spendable state.
struct account_balance {
    uint256 locked;                           ///< balance − pendingRefund on chain
    uint256 unsettled_fee;                    ///< GET /v1/user/{addr}/unsettledfee, or the local booking
    uint256 reserve = minimum_locked_balance; ///< the provider's minimum locked balance
};

/// Refuse a request whose `fee` the account cannot cover: requires locked ≥ reserve +
/// unsettled_fee + fee (the provider's validateBalanceAdequacy rule with our estimate in place of
/// its input-fee estimate; pass fee_estimate::total_fee to also cover the answer).
/// Errors: errc::insufficient_funds with the broker-style breakdown in 0G, errc::overflow.
inline result<void> check_affordable(const account_balance& b, const uint256& fee) {
    ZEROG_TRY(uint256 need, checked_add(b.reserve, b.unsettled_fee));
    ZEROG_TRY(need, checked_add(need, fee));
    if (b.locked >= need) return {};
    return fail(errc::insufficient_funds,
                "insufficient balance: your locked balance is " + format_token_amount(b.locked) +
                    " 0G, but the required minimum is " + format_token_amount(need) + " 0G (breakdown: minimum reserve " +
                    format_token_amount(b.reserve) + " 0G + unsettled fees " + format_token_amount(b.unsettled_fee) +
                    " 0G + current request fee " + format_token_amount(fee) + " 0G)");
}

}  // namespace zerog::compute
