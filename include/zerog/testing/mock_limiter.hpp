// Test double for the RateLimiter policy family (unit tests only; no production header includes it).
// Moved out of the family's header so that production code never carries mock code.
#pragma once

#include <zerog/policy/rate_limiter.hpp>

#include <chrono>
#include <concepts>
#include <string>
#include <string_view>
#include <vector>

namespace zerog::testing {

using namespace zerog::policy;  // mocks are written against the policy vocabulary

/// Grants `budget` units in total, then refuses with `retry_after`; records every request.
struct mock_limiter {
    double budget = 1e300;
    std::chrono::nanoseconds retry_after = std::chrono::milliseconds(100);
    std::vector<std::string> calls;  // "user@endpoint:cost"
    acquire_result try_acquire(const limit_key& k, double cost) {
        calls.push_back(std::string(k.user) + "@" + std::string(k.endpoint) + ":" + std::to_string(cost));
        if (cost > budget) return {false, retry_after};
        budget -= cost;
        return {};
    }
};
static_assert(RateLimiter<mock_limiter>);

}  // namespace zerog::testing
