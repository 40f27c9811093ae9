// sliding_window_breaker: a per-endpoint circuit breaker, the real CircuitBreaker model
// (policy/circuit_breaker.hpp).
//
// States, per endpoint (the redacted origin the client passes):
//   closed     every call is allowed; each outcome goes into a COUNT-BASED sliding window of the
//              last `window_size` calls. Once the window holds at least `minimum_calls` outcomes,
//              the circuit opens when the failure rate ≥ `failure_rate_threshold`, or when the
//              slow-call rate (calls, successful or not, that took ≥ `slow_call_duration`) ≥
//              `slow_call_rate_threshold`: an endpoint that answers but too slowly is treated as
//              failing, while an occasional slow success is not.
//              Count-based rather than time-based because the window then means the same thing at
//              1 call/min and at 1000 calls/s, and needs no timer; `minimum_calls` keeps a few early
//              failures of a quiet endpoint from opening it.
//   open       every call is refused with errc::circuit_open (detail: why it opened, when the next
//              probe is allowed) until `open_duration` has passed; then the next allow() moves it
//              to half-open. Outcomes reported while open (calls admitted earlier) are ignored.
//   half_open  at most `half_open_probes` calls are admitted. Each probe that succeeds fast counts;
//              when all of them have, the circuit closes with an empty window. A probe that fails
//              or is slow reopens it at once for another `open_duration`. If admitted probes never
//              report back (a cancelled caller), new probes are admitted after `open_duration`, so
//              the endpoint cannot stay stuck half-open.
//
// Defaults: window 100 calls, minimum 10 calls, failure rate 50 %, slow call ≥ 5 s, slow rate 80 %,
// open 30 s, 3 half-open probes.
//
// Reporting: every state change is logged ("breaker.state_change", endpoint/from/to; warn when it
// opens, info otherwise) and counted (zerog_breaker_transitions_total); opening also raises
// alert("circuit_open", endpoint, reason, rates). Telemetry is called after the lock is released.
// The Telemetry is held by value: `observe::json_logger` is a shared handle; share any other sink
// with `zerog::ref` (core/ref.hpp).
//
// Thread safety: all members may be called concurrently (one mutex; short critical sections, no
// allocation on the allow() path of a known endpoint). Movable for setup only (see the move
// constructor). Concept membership: CircuitBreaker.
#pragma once

#include <zerog/policy/circuit_breaker.hpp>
#include <zerog/policy/clock.hpp>
#include <zerog/policy/detail/string_map.hpp>
#include <zerog/policy/telemetry.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace zerog::policy {

enum class breaker_state : std::uint8_t { closed, open, half_open };

inline std::string_view to_string(breaker_state s) noexcept {
    constexpr std::string_view names[] = {"closed", "open", "half_open"};
    return names[static_cast<int>(s)];
}

struct breaker_config {
    unsigned window_size = 100;                                  ///< outcomes kept (count-based)
    unsigned minimum_calls = 10;                                 ///< no decision before this many (clamped to window)
    double failure_rate_threshold = 0.5;                         ///< open at ≥ this failure rate
    std::chrono::nanoseconds slow_call_duration = std::chrono::seconds(5);
    double slow_call_rate_threshold = 0.8;                       ///< open at ≥ this slow rate (> 1 disables)
    std::chrono::nanoseconds open_duration = std::chrono::seconds(30);
    unsigned half_open_probes = 3;                               ///< successes needed to close
};

template <Telemetry T = null_telemetry, Clock C = system_clock_policy>
class sliding_window_breaker {
public:
    /// Counters of one endpoint's current window (tests, health endpoints).
    struct snapshot {
        breaker_state state = breaker_state::closed;
        unsigned calls = 0, failures = 0, slow = 0;
    };

    sliding_window_breaker() : sliding_window_breaker(breaker_config{}) {}
    explicit sliding_window_breaker(breaker_config cfg, T telemetry = T{}, C clock = C{})
        : cfg_(cfg), telemetry_(std::move(telemetry)), clock_(std::move(clock)) {
        if (cfg_.window_size == 0) cfg_.window_size = 1;
        cfg_.minimum_calls = std::clamp(cfg_.minimum_calls, 1u, cfg_.window_size);
        if (cfg_.half_open_probes == 0) cfg_.half_open_probes = 1;
    }
    /// Moving is for setup (aggregate initialization of a policy_set, whose [[no_unique_address]]
    /// members do not get guaranteed copy elision); the source must not be in use concurrently.
    sliding_window_breaker(sliding_window_breaker&& o)
        : cfg_(o.cfg_), telemetry_(std::move(o.telemetry_)), clock_(std::move(o.clock_)) {
        std::lock_guard lk(o.mu_);
        map_ = std::move(o.map_);
    }
    sliding_window_breaker& operator=(sliding_window_breaker&&) = delete;

    const breaker_config& config() const noexcept { return cfg_; }

    result<void> allow(std::string_view endpoint) {
        std::optional<transition> t;
        zerog::error refused;
        {
            std::lock_guard lk(mu_);
            auto it = map_.find(endpoint);
            if (it == map_.end()) return {};  // never reported: closed
            ep_state& s = it->second;
            const auto now = clock_.now();
            if (s.state == breaker_state::closed) return {};
            if (s.state == breaker_state::open) {
                if (now < s.since + cfg_.open_duration) {
                    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(s.since + cfg_.open_duration - now);
                    refused = zerog::error(errc::circuit_open, s.reason + "; next probe in " + std::to_string(wait.count()) + " ms");
                } else {
                    t = move_to(it->first, s, breaker_state::half_open, now, "open duration elapsed");
                }
            }
            if (!refused && s.state == breaker_state::half_open) {
                if (s.probes_admitted >= cfg_.half_open_probes && now >= s.since + cfg_.open_duration)
                    s.probes_admitted = s.probes_succeeded;  // lost probes: admit new ones (see file comment)
                if (s.probes_admitted < cfg_.half_open_probes) ++s.probes_admitted;
                else
                    refused = zerog::error(errc::circuit_open, "circuit half-open: " + std::to_string(cfg_.half_open_probes) +
                                                                   " probe call(s) already in flight");
            }
        }
        if (t) emit(*t);
        if (refused) return fail(std::move(refused).at(endpoint));
        return {};
    }

    void on_success(std::string_view endpoint, std::chrono::nanoseconds latency) {
        record(endpoint, false, latency >= cfg_.slow_call_duration);
    }
    void on_failure(std::string_view endpoint, const zerog::error&, std::chrono::nanoseconds latency) {
        record(endpoint, true, latency >= cfg_.slow_call_duration);
    }

    /// The state as allow() would see it now, without side effects: an open circuit whose
    /// open_duration has passed reads half_open.
    breaker_state state(std::string_view endpoint) const {
        std::lock_guard lk(mu_);
        auto it = map_.find(endpoint);
        if (it == map_.end()) return breaker_state::closed;
        const ep_state& s = it->second;
        if (s.state == breaker_state::open && clock_.now() >= s.since + cfg_.open_duration) return breaker_state::half_open;
        return s.state;
    }

    snapshot stats(std::string_view endpoint) const {
        std::lock_guard lk(mu_);
        auto it = map_.find(endpoint);
        if (it == map_.end()) return {};
        return {it->second.state, it->second.count, it->second.failures, it->second.slow};
    }

private:
    struct ep_state {
        breaker_state state = breaker_state::closed;
        std::vector<std::uint8_t> ring;  // bit 0: failed, bit 1: slow
        unsigned next = 0, count = 0, failures = 0, slow = 0;
        steady_time since{};             // when the current open/half-open state began
        unsigned probes_admitted = 0, probes_succeeded = 0;
        std::string reason;
    };
    struct transition {
        std::string endpoint;
        breaker_state from, to;
        std::string reason;
        double failure_rate = 0, slow_rate = 0;
        unsigned calls = 0;
    };

    static std::string percent(double r) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%.0f%%", r * 100);
        return buf;
    }

    void reset_window(ep_state& s) {
        std::fill(s.ring.begin(), s.ring.end(), std::uint8_t{0});
        s.next = s.count = s.failures = s.slow = 0;
    }

    transition move_to(const std::string& ep, ep_state& s, breaker_state to, steady_time now, std::string reason) {
        transition t{ep, s.state, to, std::move(reason)};
        t.calls = s.count;
        if (s.count) {
            t.failure_rate = double(s.failures) / s.count;
            t.slow_rate = double(s.slow) / s.count;
        }
        s.state = to;
        s.since = now;
        s.probes_admitted = s.probes_succeeded = 0;
        if (to == breaker_state::open) s.reason = "circuit opened: " + t.reason;
        if (to == breaker_state::closed) reset_window(s);
        return t;
    }

    void record(std::string_view endpoint, bool failed, bool slow) {
        std::optional<transition> t;
        {
            std::lock_guard lk(mu_);
            auto it = map_.find(endpoint);
            if (it == map_.end()) it = map_.emplace(std::string(endpoint), ep_state{}).first;
            ep_state& s = it->second;
            const auto now = clock_.now();
            switch (s.state) {
            case breaker_state::open:
                break;  // a call admitted before the circuit opened: says nothing new
            case breaker_state::half_open:
                if (failed || slow) t = move_to(it->first, s, breaker_state::open, now, failed ? "half-open probe failed" : "half-open probe was slow");
                else if (++s.probes_succeeded >= cfg_.half_open_probes)
                    t = move_to(it->first, s, breaker_state::closed, now, std::to_string(cfg_.half_open_probes) + " probe(s) succeeded");
                break;
            case breaker_state::closed: {
                if (s.ring.empty()) s.ring.assign(cfg_.window_size, 0);
                if (s.count == cfg_.window_size) {  // evict the oldest outcome
                    const auto old = s.ring[s.next];
                    s.failures -= old & 1u;
                    s.slow -= (old >> 1) & 1u;
                } else {
                    ++s.count;
                }
                s.ring[s.next] = static_cast<std::uint8_t>((failed ? 1u : 0u) | (slow ? 2u : 0u));
                s.next = (s.next + 1) % cfg_.window_size;
                s.failures += failed;
                s.slow += slow;
                if (s.count >= cfg_.minimum_calls) {
                    const double fr = double(s.failures) / s.count, sr = double(s.slow) / s.count;
                    if (fr >= cfg_.failure_rate_threshold)
                        t = move_to(it->first, s, breaker_state::open, now,
                                    "failure rate " + percent(fr) + " over the last " + std::to_string(s.count) + " calls");
                    else if (sr >= cfg_.slow_call_rate_threshold)
                        t = move_to(it->first, s, breaker_state::open, now,
                                    "slow-call rate " + percent(sr) + " over the last " + std::to_string(s.count) + " calls");
                }
                break;
            }
            }
        }
        if (t) emit(*t);
    }

    void emit(const transition& t) {
        const bool opened = t.to == breaker_state::open;
        const auto level = opened ? log_level::warn : log_level::info;
        if (telemetry_.enabled(level)) {
            const field f[] = {{"endpoint", t.endpoint}, {"from", to_string(t.from)}, {"to", to_string(t.to)}, {"reason", t.reason}};
            telemetry_.log(level, "breaker.state_change", f);
        }
        const field labels[] = {{"endpoint", t.endpoint}, {"to", to_string(t.to)}};
        telemetry_.count("zerog_breaker_transitions_total", 1, labels);
        const field ep[] = {{"endpoint", t.endpoint}};
        telemetry_.gauge("zerog_breaker_state", t.to == breaker_state::open ? 2.0 : t.to == breaker_state::half_open ? 1.0 : 0.0, ep);
        if (opened) {
            const field f[] = {{"endpoint", t.endpoint}, {"reason", t.reason}, {"failure_rate", t.failure_rate},
                               {"slow_rate", t.slow_rate}, {"calls", t.calls}};
            telemetry_.alert("circuit_open", f);
        }
    }

    breaker_config cfg_;
    [[no_unique_address]] T telemetry_;
    [[no_unique_address]] C clock_;
    mutable std::mutex mu_;
    detail::string_map<ep_state> map_;
};
static_assert(CircuitBreaker<sliding_window_breaker<>>);

}  // namespace zerog::policy
