// Retry policy: whether and when to try a failed operation again.
//
// Concept `RetryPolicy`: `next_delay(attempt, error, elapsed)` is asked after failed attempt number
// `attempt` (1-based) of one operation that has run for `elapsed` so far; it returns the delay before
// the next attempt, or nullopt to give up. The policy never sleeps: the client waits (bounded by the
// operation's deadline), so one policy serves sync and async code alike.
//
// What may be retried is decided in ONE place, `is_retryable(error)` over the classification table
// of core/error_class.hpp: transport failures, timeouts,
// 5xx, server back-pressure ("too many data writing"). Never validation, authentication, reverts,
// proofs or budgets. A retry of a paid operation must in addition pass the client's double-payment
// guard; the retry policy knows nothing about payments (orthogonal policies).
//
// Models: `no_retry` (default, zero size), `backoff_retry` (backoff_retry.hpp: exponential backoff
// with full jitter), `testing::scripted_retry` (<zerog/testing/scripted_retry.hpp>).
#pragma once

#include <zerog/core/error_class.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <optional>
#include <vector>

namespace zerog::policy {

/// Whether a retry policy may send a failed request again: the one table in core/error_class.hpp.
using zerog::is_retryable;

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


}  // namespace zerog::policy
