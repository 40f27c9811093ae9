// Test double for the Clock policy family (unit tests only; no production header includes it).
// Moved out of the family's header so that production code never carries mock code.
#pragma once

#include <zerog/policy/clock.hpp>

#include <atomic>
#include <chrono>
#include <concepts>

namespace zerog::testing {

using namespace zerog::policy;  // mocks are written against the policy vocabulary

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

}  // namespace zerog::testing
