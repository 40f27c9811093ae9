// Test double for the RetryPolicy policy family (unit tests only; no production header includes it).
// Moved out of the family's header so that production code never carries mock code.
#pragma once

#include <zerog/policy/retry.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <optional>
#include <vector>

namespace zerog::testing {

using namespace zerog::policy;  // mocks are written against the policy vocabulary

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

}  // namespace zerog::testing
