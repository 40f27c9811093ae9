// The one error classification of the library: what a caller may do after a failure. Retry
// policies, RPC endpoint failover, the storage download's resume rule, the circuit breaker's
// failure count and the compute client's provider refusals all read this table; nothing else
// decides it.
//
//   action      meaning                                             errors
//   final       the outcome stands: repeating it cannot help        validation, proofs, reverts, budgets,
//                                                                   4xx, JSON-RPC error objects, deadline,
//                                                                   cancellation, everything not below
//   retry       the endpoint answered "not now": the same request   server_error (5xx, -32603), server_busy
//               may succeed later, here or elsewhere                (429, back-pressure), tx_not_mined, underpriced
//   fail_over   the endpoint was not reached: try an equivalent     timeout, connection_failed/closed,
//               one; the same one may answer after a pause          io_error, foreign (Asio/Beast) codes
//   skip        the endpoint may not be used now: use another,      tls_error, circuit_open, rate_limited
//               do not repeat the request here
//
// Derived questions, each answered from the table:
//   * is_retryable(e)      retry or fail_over: a retry policy may send the request again;
//   * is_unreachable(e)    fail_over or skip: a list of equivalent endpoints moves on to the next;
//   * is_resumable(e)      not final, or the deadline ran out: work done so far (verified segments)
//                          stays valid and a later run may resume it — except io_error, which in a
//                          download means OUR disk failed;
//   * classify_http_status(status): the same classes for an HTTP status a peer answered.
#pragma once

#include <zerog/core/error.hpp>

namespace zerog {

enum class error_action { final, retry, fail_over, skip };

constexpr const char* to_string(error_action a) noexcept {
    switch (a) {
    case error_action::retry: return "retry";
    case error_action::fail_over: return "fail_over";
    case error_action::skip: return "skip";
    default: return "final";
    }
}

/// The table (see the file comment).
inline error_action classify(const zerog::error& e) noexcept {
    const auto& c = e.code();
    if (!c) return error_action::final;
    if (c.category() != zerog_category())  // Asio/Beast/system codes come from the network below us
        return c == boost::system::errc::operation_canceled ? error_action::final : error_action::fail_over;
    switch (static_cast<errc>(c.value())) {
    case errc::server_error:
    case errc::server_busy:
    case errc::tx_not_mined:
    case errc::underpriced:
        return error_action::retry;
    case errc::timeout:
    case errc::connection_failed:
    case errc::connection_closed:
    case errc::io_error:
        return error_action::fail_over;
    case errc::tls_error:
    case errc::circuit_open:
    case errc::rate_limited:
        return error_action::skip;
    default:
        return error_action::final;
    }
}

/// The class of an HTTP status a peer answered: 2xx and other 4xx are answers (final); 429 asks us
/// to go elsewhere (skip); 502/503/504 say the server behind a gateway was not reached (fail_over);
/// other 5xx are the server's own failure (retry).
constexpr error_action classify_http_status(unsigned status) noexcept {
    if (status == 429) return error_action::skip;
    if (status == 502 || status == 503 || status == 504) return error_action::fail_over;
    if (status >= 500 && status < 600) return error_action::retry;
    return error_action::final;
}

/// The errc a failed HTTP status maps to (used by every transport and by the compute client's
/// reading of provider refusals): 5xx → server_error, 429 → server_busy, other → http_status.
constexpr errc errc_for_http_status(unsigned status) noexcept {
    if (status >= 500 && status < 600) return errc::server_error;
    if (status == 429) return errc::server_busy;
    return errc::http_status;
}

inline bool is_retryable(const zerog::error& e) noexcept {
    const auto a = classify(e);
    return a == error_action::retry || a == error_action::fail_over;
}

inline bool is_unreachable(const zerog::error& e) noexcept {
    const auto a = classify(e);
    return a == error_action::fail_over || a == error_action::skip;
}

inline bool is_resumable(const zerog::error& e) noexcept {
    if (e.is(errc::io_error)) return false;
    if (e.is(errc::deadline_exceeded)) return true;
    // A cancelled coroutine (operation_aborted) is final: the caller stopped it.
    if (e.code() == boost::system::errc::operation_canceled) return false;
    return classify(e) != error_action::final;
}

}  // namespace zerog
