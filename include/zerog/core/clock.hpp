// The Clock concept: where "now" comes from. Every time-dependent piece (retry backoff, breaker
// windows, token buckets, budgets, session-token expiry) takes a Clock so tests can drive time by
// hand. It lives in core because protocol code (token expiry) needs wall time as much as the
// policies do; policy/clock.hpp names it as the Clock policy family.
//
// Concept `Clock`: `now()` is a monotonic steady_clock time point (deadlines, windows);
// `wall_now()` is system time (token expiry, timestamps on the wire).
//
// Models: `system_clock_policy` (the default: the real clocks, zero size) and, for tests,
// `testing::manual_clock` / `testing::clock_ref` (<zerog/testing/manual_clock.hpp>).
#pragma once

#include <chrono>
#include <concepts>

namespace zerog {

using steady_time = std::chrono::steady_clock::time_point;
using wall_time = std::chrono::system_clock::time_point;

template <class C>
concept Clock = requires(const C& c) {
    { c.now() } -> std::same_as<steady_time>;
    { c.wall_now() } -> std::same_as<wall_time>;
};

/// The real clocks. Stateless, zero size.
struct system_clock_policy {
    steady_time now() const noexcept { return std::chrono::steady_clock::now(); }
    wall_time wall_now() const noexcept { return std::chrono::system_clock::now(); }
};
static_assert(Clock<system_clock_policy>);

}  // namespace zerog
