// backoff_retry: exponential backoff with full jitter, a RetryPolicy model (policy/retry.hpp).
//
// After failed attempt n (1-based) the delay is drawn uniformly from [0, min(cap, base · 2^(n-1))]
// ("full jitter", AWS architecture blog 2015): clients that failed together do not retry together.
// It gives up (nullopt) when
//   * the error is not retryable: `policy::is_retryable` is the single place deciding that;
//   * `max_attempts` attempts have been made (the first attempt counts: 5 = 1 call + 4 retries);
//   * `elapsed` (the operation's run time so far, measured by the client's Clock) has reached
//     `max_elapsed`. A drawn delay is clamped so the next attempt starts no later than max_elapsed.
// The operation's deadline is applied by the client on top (guarded_call never sleeps past it).
//
// Defaults: base 100 ms, cap 10 s, max_attempts 5, max_elapsed 30 s, seed 0 (= from
// std::random_device). A fixed non-zero seed makes the delay sequence reproducible (tests).
//
// No Clock parameter: the policy never reads time itself; `elapsed` comes from the client's Clock,
// so a manual clock in tests drives it too.
//
// Thread safety: next_delay may be called concurrently (the RNG state is one atomic counter fed
// through splitmix64; no lock). Concept membership: RetryPolicy.
#pragma once

#include <zerog/policy/retry.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

namespace zerog::policy {

struct backoff_config {
    std::chrono::nanoseconds base = std::chrono::milliseconds(100);
    std::chrono::nanoseconds cap = std::chrono::seconds(10);
    unsigned max_attempts = 5;                                  ///< total attempts, first included
    std::chrono::nanoseconds max_elapsed = std::chrono::seconds(30);
    std::uint64_t seed = 0;                                     ///< 0 = nondeterministic
};

class backoff_retry {
public:
    backoff_retry() : backoff_retry(backoff_config{}) {}
    explicit backoff_retry(backoff_config c) : cfg_(c), state_(c.seed ? c.seed : random_seed()) {}
    backoff_retry(const backoff_retry& o) : cfg_(o.cfg_), state_(o.state_.load()) {}
    backoff_retry& operator=(const backoff_retry& o) {
        cfg_ = o.cfg_;
        state_.store(o.state_.load());
        return *this;
    }

    const backoff_config& config() const noexcept { return cfg_; }

    /// The upper bound of the jitter window after failed attempt `attempt`: min(cap, base·2^(attempt-1)).
    std::chrono::nanoseconds ceiling(unsigned attempt) const noexcept {
        if (attempt == 0) attempt = 1;
        const auto base = cfg_.base.count(), cap = cfg_.cap.count();
        if (base <= 0) return std::chrono::nanoseconds(0);
        // doubling stops as soon as it passes cap, so no overflow however large `attempt` is
        std::chrono::nanoseconds::rep d = base;
        for (unsigned i = 1; i < attempt && d < cap; ++i) d = d > cap / 2 ? cap : d * 2;
        return std::chrono::nanoseconds(std::min(d, cap));
    }

    std::optional<std::chrono::nanoseconds> next_delay(unsigned attempt, const zerog::error& e,
                                                       std::chrono::nanoseconds elapsed) noexcept {
        if (!is_retryable(e)) return std::nullopt;
        if (attempt >= cfg_.max_attempts) return std::nullopt;
        if (elapsed >= cfg_.max_elapsed) return std::nullopt;
        const auto hi = static_cast<std::uint64_t>(ceiling(attempt).count());
        // uniform in [0, hi] inclusive; the modulo bias is < 2^-20 for any realistic hi (< 2^44 ns)
        const auto draw = hi == 0 ? 0 : next_random() % (hi + 1);
        auto d = std::chrono::nanoseconds(static_cast<long long>(draw));
        return std::min(d, cfg_.max_elapsed - elapsed);
    }

private:
    static std::uint64_t random_seed() {
        std::random_device rd;
        return (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^ 0x9e3779b97f4a7c15ULL;
    }
    std::uint64_t next_random() noexcept {  // splitmix64 over an atomic Weyl sequence
        std::uint64_t z = state_.fetch_add(0x9e3779b97f4a7c15ULL, std::memory_order_relaxed) + 0x9e3779b97f4a7c15ULL;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

    backoff_config cfg_;
    std::atomic<std::uint64_t> state_;
};
static_assert(RetryPolicy<backoff_retry>);

}  // namespace zerog::policy
