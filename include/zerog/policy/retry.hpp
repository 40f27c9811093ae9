// Retry policy: whether and when to try a failed operation again.
//
// Concept `RetryPolicy`: `next_delay(attempt, error, elapsed)` is asked after failed attempt number
// `attempt` (1-based) of one operation that has run for `elapsed` so far; it returns the delay before
// the next attempt, or nullopt to give up. The policy never sleeps: the client waits (bounded by the
// operation's deadline), so one policy serves sync and async code alike.
//
// What may be retried is decided in ONE place, `is_retryable(error)`: transport failures, timeouts,
// 5xx, server back-pressure ("too many data writing"). Never validation, authentication, reverts,
// proofs or budgets. A retry of a paid operation must in addition pass the client's double-payment
// guard; the retry policy knows nothing about payments (orthogonal policies).
//
// Models: `no_retry` (default, zero size), `testing::scripted_retry` (here); the exponential
// backoff with full jitter arrives with the resilience issue.
#pragma once

#include <zerog/core/error.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <optional>
#include <vector>

namespace zerog::policy {

/// The retryable error classes. Foreign categories (asio/beast system errors) are transport
/// failures and therefore retryable, except cancellation.
inline bool is_retryable(const zerog::error& e) noexcept {
    const auto& c = e.code();
    if (!c) return false;
    if (c.category() != zerog_category()) return c != boost::system::errc::operation_canceled;
    switch (static_cast<errc>(c.value())) {
    case errc::timeout:
    case errc::connection_failed:
    case errc::connection_closed:
    case errc::server_error:
    case errc::server_busy:
    case errc::io_error:
    case errc::tx_not_mined:
    case errc::underpriced:
        return true;
    default:
        return false;
    }
}

template <class R>
concept RetryPolicy = requires(R& r, unsigned attempt, const zerog::error& e, std::chrono::nanoseconds elapsed) {
    { r.next_delay(attempt, e, elapsed) } -> std::same_as<std::optional<std::chrono::nanoseconds>>;
};

/// Never retry. Zero size.
struct no_retry {
    std::optional<std::chrono::nanoseconds> next_delay(unsigned, const zerog::error&, std::chrono::nanoseconds) const noexcept {
        return std::nullopt;
    }
};
static_assert(RetryPolicy<no_retry>);

namespace testing {
/// Retries retryable errors with the scripted delays, in order, then gives up; records each call.
struct scripted_retry {
    std::vector<std::chrono::nanoseconds> delays;
    struct call { unsigned attempt; zerog::error error; std::chrono::nanoseconds elapsed; };
    std::vector<call> calls;

    std::optional<std::chrono::nanoseconds> next_delay(unsigned attempt, const zerog::error& e, std::chrono::nanoseconds elapsed) {
        calls.push_back({attempt, e, elapsed});
        if (!is_retryable(e) || attempt > delays.size()) return std::nullopt;
        return delays[attempt - 1];
    }
};
static_assert(RetryPolicy<scripted_retry>);
}  // namespace testing

}  // namespace zerog::policy
