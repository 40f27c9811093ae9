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
// Models: `no_breaker` (default, zero size), `testing::mock_breaker` (here); the real
// sliding-window breaker arrives with the resilience issue.
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

namespace testing {
/// Open for the endpoints in `open`; records every call in order ("allow:E", "ok:E", "fail:E").
struct mock_breaker {
    std::set<std::string> open;
    std::vector<std::string> calls;
    result<void> allow(std::string_view ep) {
        calls.push_back("allow:" + std::string(ep));
        if (open.count(std::string(ep)))
            return fail(zerog::error(errc::circuit_open, "circuit open for this endpoint").at(ep));
        return {};
    }
    void on_success(std::string_view ep, std::chrono::nanoseconds) { calls.push_back("ok:" + std::string(ep)); }
    void on_failure(std::string_view ep, const zerog::error&, std::chrono::nanoseconds) {
        calls.push_back("fail:" + std::string(ep));
    }
};
static_assert(CircuitBreaker<mock_breaker>);
}  // namespace testing

}  // namespace zerog::policy
