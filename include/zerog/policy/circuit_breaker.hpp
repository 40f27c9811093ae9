// Circuit breaker policy: stop calling an endpoint that keeps failing, probe it again later.
//
// Concept `CircuitBreaker`, keyed by endpoint (the redacted origin):
//   * `allow(endpoint)`                -> result<void>; errc::circuit_open while the circuit is open
//   * `on_success(endpoint, latency)`  -> records a success (a slow success may count as failure)
//   * `on_failure(endpoint, error, latency)`
// The client calls allow() before each network call and exactly one of the two reports after it.
// Only failures that say something about the endpoint's health should be reported (the client
// passes transport errors and 5xx, not validation errors); the breaker itself does not classify.
//
// Models: `no_breaker` (default, zero size), `sliding_window_breaker` (sliding_window_breaker.hpp),
// `testing::mock_breaker` (<zerog/testing/mock_breaker.hpp>).
#pragma once

#include <zerog/core/result.hpp>

#include <chrono>
#include <concepts>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace zerog::policy {

template <class B>
concept CircuitBreaker = requires(B& b, std::string_view endpoint, const zerog::error& e, std::chrono::nanoseconds latency) {
    { b.allow(endpoint) } -> std::same_as<result<void>>;
    b.on_success(endpoint, latency);
    b.on_failure(endpoint, e, latency);
};

/// Always closed. Zero size.
struct no_breaker {
    result<void> allow(std::string_view) const noexcept { return {}; }
    void on_success(std::string_view, std::chrono::nanoseconds) const noexcept {}
    void on_failure(std::string_view, const zerog::error&, std::chrono::nanoseconds) const noexcept {}
};
static_assert(CircuitBreaker<no_breaker>);


}  // namespace zerog::policy
