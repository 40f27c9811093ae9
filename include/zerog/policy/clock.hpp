// Clock policy: where "now" comes from. Every time-dependent model (retry backoff, breaker windows,
// token buckets, budgets, token expiry) takes a Clock so tests can drive time by hand.
//
// Concept `Clock`: `now()` is a monotonic steady_clock time point (deadlines, windows);
// `wall_now()` is system time (token expiry, timestamps on the wire).
//
// Models: `system_clock_policy` (the default: the real clocks, zero size) and
// `testing::manual_clock` (time moves only when the test says so; thread-safe).
#pragma once

#include <atomic>
#include <chrono>
#include <concepts>

namespace zerog::policy {

using steady_time = std::chrono::steady_clock::time_point;
using wall_time = std::chrono::system_clock::time_point;

template <class C>
concept Clock = requires(const C& c) {
    { c.now() } -> std::same_as<steady_time>;
    { c.wall_now() } -> std::same_as<wall_time>;
};

/// The real clocks. Stateless.
struct system_clock_policy {
    steady_time now() const noexcept { return std::chrono::steady_clock::now(); }
    wall_time wall_now() const noexcept { return std::chrono::system_clock::now(); }
};
static_assert(Clock<system_clock_policy>);

namespace testing {
/// A clock that moves only by `advance()`/`set_wall()`. Copies share nothing; pass by reference
/// (models hold a `const manual_clock*` through `clock_ref`).
class manual_clock {
public:
    manual_clock() = default;
    steady_time now() const noexcept { return steady_time(std::chrono::nanoseconds(steady_ns_.load())); }
    wall_time wall_now() const noexcept {
        return wall_time(std::chrono::duration_cast<wall_time::duration>(std::chrono::nanoseconds(wall_ns_.load())));
    }
    void advance(std::chrono::nanoseconds d) noexcept {
        steady_ns_ += d.count();
        wall_ns_ += d.count();
    }
    void set_wall(wall_time t) noexcept {
        wall_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    }

private:
    std::atomic<long long> steady_ns_{1'000'000'000LL};           // never the epoch: 0 means "unset" elsewhere
    std::atomic<long long> wall_ns_{1'700'000'000'000'000'000LL};  // 2023-11-14, the vectors' pinned time
};

/// A Clock model that refers to a shared manual_clock (so several policies see the same time).
struct clock_ref {
    const manual_clock* clock;
    steady_time now() const noexcept { return clock->now(); }
    wall_time wall_now() const noexcept { return clock->wall_now(); }
};
static_assert(Clock<clock_ref>);
}  // namespace testing

}  // namespace zerog::policy
