// token_bucket: per-user AND per-endpoint token buckets, the real RateLimiter model
// (policy/rate_limiter.hpp).
//
// Each call asks `try_acquire({user, endpoint}, cost)`. It is granted only if BOTH the caller's
// bucket and the endpoint's bucket hold `cost` tokens; then both are debited atomically. Refused
// requests debit nothing and say exactly when to ask again (`retry_after`).
//   * per user: protects the service from one caller (checklist §8, "rate limiting per user").
//     All anonymous callers (user "") share one bucket, so leaving the identity empty is no way
//     around the limit; changing the endpoint is none either (the user bucket is endpoint-blind).
//   * per endpoint: protects each upstream node/provider from us, whoever the callers are.
// A bucket has a capacity (the burst) and a refill rate (tokens per second); capacity 0 or rate 0
// disables that side. `set_user_limit` gives one user other numbers (tiers).
//
// Exactness: a bucket is stored as its "theoretical arrival time" (the GCRA form of a token
// bucket) in integer nanoseconds, so there is no floating-point drift: when a request is refused
// with `retry_after = d` and nobody else uses the bucket meanwhile, the same request is granted at
// now + d and refused at now + d − 1 ns. A cost above the capacity can never be granted:
// `retry_after` is then `token_bucket::never` (10 years), so a client fails with rate_limited
// instead of waiting.
//
// Defaults: per user burst 20, 10 tokens/s; per endpoint burst 1000, 1000 tokens/s. The endpoint
// limit stops a runaway loop, it must not cap a transfer: every 256 KiB segment is one request, and
// the earlier 100 tokens/s held every download to 25 MiB/s per node (found by the transfer-speed
// issue: a 100 MiB download spent 2 of its 2.2 s waiting for tokens). Idle keys (full buckets,
// which are the same as absent ones) are pruned when more than `max_keys` are tracked.
//
// Thread safety: all members may be called concurrently (one mutex; check-and-debit is atomic,
// which is what keeps many threads sharing one user id under the limit). Movable for setup only.
// Concept membership: RateLimiter. Clock: any Clock model (default the system steady clock).
#pragma once

#include <zerog/policy/clock.hpp>
#include <zerog/policy/rate_limiter.hpp>
#include <zerog/policy/detail/string_map.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <string>
#include <string_view>

namespace zerog::policy {

struct bucket_limit {
    double capacity = 0;           ///< burst size in tokens (0 = no limit on this side)
    double refill_per_second = 0;  ///< tokens added per second (0 = no limit on this side)
    bool enabled() const noexcept { return capacity > 0 && refill_per_second > 0; }
};

struct token_bucket_config {
    bucket_limit per_user{20, 10};
    bucket_limit per_endpoint{1000, 1000};
    std::size_t max_keys = 100'000;  ///< prune idle keys above this many per side
};

template <Clock C = system_clock_policy>
class token_bucket {
public:
    static constexpr std::chrono::nanoseconds never = std::chrono::hours(24 * 365 * 10);

    token_bucket() : token_bucket(token_bucket_config{}) {}
    explicit token_bucket(token_bucket_config cfg, C clock = C{}) : cfg_(cfg), clock_(std::move(clock)) {}
    /// Moving is for setup (aggregate initialization of a policy_set, whose [[no_unique_address]]
    /// members do not get guaranteed copy elision); the source must not be in use concurrently.
    token_bucket(token_bucket&& o) : cfg_(o.cfg_), clock_(std::move(o.clock_)) {
        std::lock_guard lk(o.mu_);
        users_ = std::move(o.users_);
        endpoints_ = std::move(o.endpoints_);
        user_limits_ = std::move(o.user_limits_);
    }
    token_bucket& operator=(token_bucket&&) = delete;

    const token_bucket_config& config() const noexcept { return cfg_; }

    /// Give `user` its own limits instead of `per_user` (a disabled limit = unlimited user).
    void set_user_limit(std::string_view user, bucket_limit l) {
        std::lock_guard lk(mu_);
        user_limits_.insert_or_assign(std::string(user), l);
    }

    acquire_result try_acquire(const limit_key& key, double cost) {
        if (!(cost >= 0)) cost = 0;  // NaN or negative: nothing to debit (the client never passes them)
        const long long now = clock_.now().time_since_epoch().count();
        std::lock_guard lk(mu_);
        bucket_limit ul = cfg_.per_user;
        if (!user_limits_.empty())
            if (auto it = user_limits_.find(key.user); it != user_limits_.end()) ul = it->second;
        step u = plan(users_, key.user, ul, cost, now);
        step e = plan(endpoints_, key.endpoint, cfg_.per_endpoint, cost, now);
        if (u.wait > 0 || e.wait > 0) return {false, std::chrono::nanoseconds(std::max(u.wait, e.wait))};
        commit(users_, key.user, u, now);
        commit(endpoints_, key.endpoint, e, now);
        return {};
    }

private:
    struct step {
        bool active = false;
        long long new_tat = 0;
        long long wait = 0;  // > 0: refused, ask again after this many ns
    };

    step plan(const detail::string_map<long long>& m, std::string_view k, const bucket_limit& l, double cost,
              long long now) const {
        if (!l.enabled()) return {};
        const double ns_per_token = 1e9 / l.refill_per_second;
        const long long inc = std::llround(cost * ns_per_token);  // time to refill `cost` tokens
        const long long tau = std::llround(l.capacity * ns_per_token);  // time to refill a full bucket
        if (inc > tau) return {true, 0, never.count()};
        long long tat = now;
        if (auto it = m.find(k); it != m.end()) tat = std::max(it->second, now);
        const long long new_tat = tat + inc;
        if (new_tat - now > tau) return {true, 0, new_tat - now - tau};
        return {true, new_tat, 0};
    }

    void commit(detail::string_map<long long>& m, std::string_view k, const step& s, long long now) {
        if (!s.active) return;
        if (auto it = m.find(k); it != m.end()) {
            it->second = s.new_tat;
            return;
        }
        if (m.size() >= cfg_.max_keys) std::erase_if(m, [&](const auto& kv) { return kv.second <= now; });
        m.emplace(std::string(k), s.new_tat);
    }

    token_bucket_config cfg_;
    [[no_unique_address]] C clock_;
    mutable std::mutex mu_;
    detail::string_map<long long> users_, endpoints_;  // theoretical arrival time, steady ns
    detail::string_map<bucket_limit> user_limits_;
};
static_assert(RateLimiter<token_bucket<>>);

}  // namespace zerog::policy
