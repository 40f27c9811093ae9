// endpoint_selector: failover over an ordered list of equivalent endpoints (checklist §4
// "fallback mechanisms", §3 "provider failover").
//
// `plan()` returns the endpoints to try, in order:
//   1. health, from the circuit breaker's side-effect-free `state(endpoint)` when the Breaker has
//      one (sliding_window_breaker does): closed first, then half-open (a probe may be admitted);
//      open endpoints are left out, since the breaker would refuse them at once;
//   2. within the same health, "fast" endpoints first in the configured order (the operator's
//      priority), then the slower ones by latency. Latency is an EWMA of answer times
//      (`record_success`); a failure counts as a `failure_latency` sample so that a failing
//      endpoint sinks before its breaker opens. An endpoint is fast when it has no recent sample
//      (never measured, or last measured more than `stale_after` ago, so a once-slow endpoint is
//      tried again) or its EWMA ≤ fastest × `fast_tolerance` (jitter does not reshuffle the list).
// `plan().degraded` is true when no endpoint is usable: the caller switches to its degraded mode
// (e.g. the storage client downloads straight from configured nodes when every indexer is down);
// the hook given to `on_degraded` is called on entering (true) and leaving (false) that mode,
// once per change, outside the lock.
//
// Defaults: EWMA alpha 0.3, fast tolerance 1.5×, failure sample 10 s, stale after 60 s.
//
// Thread safety: all members may be called concurrently; the breaker (not owned, may be null) must
// outlive the selector. Not a policy concept member: every client holds one beside its policy set
// (over its breaker) and reports each call's outcome to it:
//   * storage_client: orders the EVM RPC endpoints (jsonrpc_options::order), the storage nodes a
//     download or verification reads from, and the indexers;
//   * compute_client: orders the EVM RPC endpoints and the providers an inference fails over to.
#pragma once

#include <zerog/policy/circuit_breaker.hpp>
#include <zerog/policy/clock.hpp>
#include <zerog/policy/detail/string_map.hpp>
#include <zerog/policy/sliding_window_breaker.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zerog::policy {

struct selector_config {
    double ewma_alpha = 0.3;
    double fast_tolerance = 1.5;
    std::chrono::nanoseconds failure_latency = std::chrono::seconds(10);
    std::chrono::nanoseconds stale_after = std::chrono::seconds(60);
};

template <class Breaker = no_breaker, Clock C = system_clock_policy>
class endpoint_selector {
public:
    struct plan_type {
        std::vector<std::string> endpoints;  ///< to try, best first
        bool degraded = false;               ///< nothing usable: take the degraded path
        /// How many leading endpoints are healthy (closed) and fast: equally good, so a caller
        /// spreading work (segments of a download) rotates among these and keeps the rest for
        /// failover.
        std::size_t preferred = 0;
    };

    /// The most endpoints whose latency is remembered; beyond it the stalest are forgotten (a
    /// node list comes from an indexer: it must not grow the selector without bound).
    static constexpr std::size_t max_tracked = 4096;

    /// `endpoints`: the configured list plan() orders. Clients that learn their endpoints at run
    /// time (storage nodes from an indexer, providers per request) pass candidates to plan(list).
    explicit endpoint_selector(std::vector<std::string> endpoints = {}, const Breaker* breaker = nullptr,
                               selector_config cfg = {}, C clock = C{})
        : cfg_(cfg), clock_(std::move(clock)), breaker_(breaker), endpoints_(std::move(endpoints)) {}
    endpoint_selector(const endpoint_selector&) = delete;
    endpoint_selector& operator=(const endpoint_selector&) = delete;

    const std::vector<std::string>& endpoints() const noexcept { return endpoints_; }

    /// Called with true when plan() first finds nothing usable, false when something is again.
    void on_degraded(std::function<void(bool)> hook) {
        std::lock_guard lk(mu_);
        hook_ = std::move(hook);
    }

    void record_success(std::string_view endpoint, std::chrono::nanoseconds latency) { sample(endpoint, latency); }
    void record_failure(std::string_view endpoint) { sample(endpoint, cfg_.failure_latency); }

    /// Current latency estimate (nullopt: no recent sample).
    std::optional<std::chrono::nanoseconds> latency(std::string_view endpoint) const {
        std::lock_guard lk(mu_);
        auto it = stats_.find(endpoint);
        if (it == stats_.end() || !fresh(it->second, clock_.now())) return std::nullopt;
        return std::chrono::nanoseconds(static_cast<long long>(it->second.ewma_ns));
    }

    /// The configured endpoints, ordered (see the file comment).
    plan_type plan() { return plan(endpoints_); }

    /// `candidates` (in the caller's order of preference), ordered the same way. Duplicates are
    /// kept as given; endpoints never seen count as unmeasured (fast).
    plan_type plan(const std::vector<std::string>& candidates) {
        struct cand { std::size_t index; int health; bool fast; double ewma; };
        std::vector<cand> c;
        c.reserve(candidates.size());
        std::function<void(bool)> hook;
        bool changed = false;
        plan_type out;
        {
            std::lock_guard lk(mu_);
            const auto now = clock_.now();
            double fastest = -1;
            for (std::size_t i = 0; i < candidates.size(); ++i) {
                const int h = health(candidates[i]);
                if (h > 1) continue;  // open
                auto it = stats_.find(candidates[i]);
                const bool measured = it != stats_.end() && fresh(it->second, now);
                const double ewma = measured ? it->second.ewma_ns : 0.0;
                c.push_back({i, h, !measured, ewma});
                if (measured && (fastest < 0 || ewma < fastest)) fastest = ewma;
            }
            for (auto& x : c)
                if (!x.fast) x.fast = x.ewma <= fastest * cfg_.fast_tolerance;
            std::stable_sort(c.begin(), c.end(), [](const cand& a, const cand& b) {
                if (a.health != b.health) return a.health < b.health;
                if (a.fast != b.fast) return a.fast;
                if (a.fast) return false;  // both fast: the caller's order (stable)
                return a.ewma < b.ewma;
            });
            for (auto& x : c) {
                out.endpoints.push_back(candidates[x.index]);
                if (x.health == 0 && x.fast && out.preferred + 1 == out.endpoints.size()) ++out.preferred;
            }
            out.degraded = out.endpoints.empty();
            if (out.degraded != degraded_) {
                degraded_ = out.degraded;
                changed = true;
                hook = hook_;
            }
        }
        if (changed && hook) hook(out.degraded);
        return out;
    }

    /// The best configured endpoint now, or nullopt (degraded).
    std::optional<std::string> pick() {
        auto p = plan();
        if (p.endpoints.empty()) return std::nullopt;
        return std::move(p.endpoints.front());
    }

private:
    struct stat {
        double ewma_ns = 0;
        steady_time last{};
        bool any = false;
    };

    int health(std::string_view ep) const {
        if constexpr (requires(const Breaker& b) { { b.state(ep) } -> std::same_as<breaker_state>; }) {
            if (!breaker_) return 0;
            switch (breaker_->state(ep)) {
            case breaker_state::closed: return 0;
            case breaker_state::half_open: return 1;
            case breaker_state::open: return 2;
            }
        }
        return 0;
    }
    bool fresh(const stat& s, steady_time now) const { return s.any && now - s.last <= cfg_.stale_after; }
    void sample(std::string_view ep, std::chrono::nanoseconds latency) {
        std::lock_guard lk(mu_);
        const auto now = clock_.now();
        auto it = stats_.find(ep);
        if (it == stats_.end()) {
            if (stats_.size() >= max_tracked) forget_stalest();
            it = stats_.emplace(std::string(ep), stat{}).first;
        }
        stat& s = it->second;
        const double v = static_cast<double>(latency.count());
        // a stale estimate says nothing about now: restart from this sample
        s.ewma_ns = fresh(s, now) ? cfg_.ewma_alpha * v + (1 - cfg_.ewma_alpha) * s.ewma_ns : v;
        s.last = now;
        s.any = true;
    }
    void forget_stalest() {
        auto oldest = stats_.begin();
        for (auto it = stats_.begin(); it != stats_.end(); ++it)
            if (it->second.last < oldest->second.last) oldest = it;
        if (oldest != stats_.end()) stats_.erase(oldest);
    }

    selector_config cfg_;
    [[no_unique_address]] C clock_;
    const Breaker* breaker_;
    std::vector<std::string> endpoints_;
    mutable std::mutex mu_;
    detail::string_map<stat> stats_;
    std::function<void(bool)> hook_;
    bool degraded_ = false;
};

}  // namespace zerog::policy
