// Test double for the CircuitBreaker policy family (unit tests only; no production header includes it).
// Moved out of the family's header so that production code never carries mock code.
#pragma once

#include <zerog/policy/circuit_breaker.hpp>

#include <chrono>
#include <concepts>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace zerog::testing {

using namespace zerog::policy;  // mocks are written against the policy vocabulary

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

}  // namespace zerog::testing
