// concurrency_limiter: at most N calls in flight per user and per endpoint, with RAII permits.
//
// A token bucket limits how OFTEN a caller may start calls; this limits how MANY of its calls may be
// running at once (long uploads, streaming inference), which a rate cannot express. It is not a
// RateLimiter model: a RateLimiter grant has no end, a concurrency slot must be given back. So it
// has its own small concept, `ConcurrencyLimiter`: `try_enter(key) -> result<permit>`, the permit
// releasing its slot when destroyed.
//
// How clients use it: it is the `concurrency` member of client::policy_set (default
// no_concurrency_limit; the production mix holds a concurrency_limiter). A client takes one permit
// per public operation before anything is sent or paid — the storage client per upload, download
// and verification under {options().user, "storage"}, the compute client per inference attempt
// under {options().user, provider address} — and holds it until the operation ends. It never
// waits: a full slot is errc::rate_limited at once, because how long the running calls take is
// unknown.
//
// Defaults: 8 per user, 64 per endpoint (0 = unlimited on that side). Anonymous callers (user "")
// share one user slot pool.
//
// Thread safety: all members, and permits' destruction, may run concurrently. The limiter must
// outlive its permits. No Clock: nothing here depends on time.
#pragma once

#include <zerog/core/result.hpp>
#include <zerog/policy/rate_limiter.hpp>
#include <zerog/policy/detail/string_map.hpp>

#include <concepts>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace zerog::policy {

struct concurrency_config {
    unsigned max_per_user = 8;       ///< 0 = unlimited
    unsigned max_per_endpoint = 64;  ///< 0 = unlimited
};

class concurrency_limiter {
    using counts = detail::string_map<unsigned>;

public:
    /// One admitted call. Move-only; releases its slots on destruction (or release()).
    class permit {
    public:
        permit() = default;
        permit(permit&& o) noexcept
            : owner_(std::exchange(o.owner_, nullptr)), user_(std::exchange(o.user_, nullptr)), ep_(std::exchange(o.ep_, nullptr)) {}
        permit& operator=(permit&& o) noexcept {
            if (this != &o) {
                release();
                owner_ = std::exchange(o.owner_, nullptr);
                user_ = std::exchange(o.user_, nullptr);
                ep_ = std::exchange(o.ep_, nullptr);
            }
            return *this;
        }
        ~permit() { release(); }
        bool active() const noexcept { return owner_ != nullptr; }
        void release() noexcept {
            if (owner_) owner_->leave(user_, ep_);
            owner_ = nullptr;
        }

    private:
        friend class concurrency_limiter;
        permit(concurrency_limiter* o, counts::value_type* u, counts::value_type* e) : owner_(o), user_(u), ep_(e) {}
        concurrency_limiter* owner_ = nullptr;
        counts::value_type* user_ = nullptr;  // map nodes are stable while their count is > 0
        counts::value_type* ep_ = nullptr;
    };

    concurrency_limiter() = default;
    explicit concurrency_limiter(concurrency_config c) : cfg_(c) {}
    /// For setup only (aggregate initialisation of a policy_set, whose [[no_unique_address]]
    /// members get no guaranteed copy elision): takes the configuration, not the counts; never
    /// move a limiter that has permits out.
    concurrency_limiter(concurrency_limiter&& o) noexcept : cfg_(o.cfg_) {}
    concurrency_limiter(const concurrency_limiter&) = delete;
    concurrency_limiter& operator=(const concurrency_limiter&) = delete;

    /// A permit, or errc::rate_limited naming the side that is full.
    result<permit> try_enter(const limit_key& key) {
        std::lock_guard lk(mu_);
        if (cfg_.max_per_user && current(users_, key.user) >= cfg_.max_per_user)
            return fail(zerog::error(errc::rate_limited, "user \"" + std::string(key.user) + "\" already has " +
                                                             std::to_string(cfg_.max_per_user) + " calls in flight")
                            .at(key.endpoint));
        if (cfg_.max_per_endpoint && current(endpoints_, key.endpoint) >= cfg_.max_per_endpoint)
            return fail(zerog::error(errc::rate_limited, "endpoint already has " + std::to_string(cfg_.max_per_endpoint) +
                                                             " calls in flight")
                            .at(key.endpoint));
        counts::value_type* u = cfg_.max_per_user ? enter(users_, key.user) : nullptr;
        counts::value_type* e = cfg_.max_per_endpoint ? enter(endpoints_, key.endpoint) : nullptr;
        return permit(this, u, e);
    }

    unsigned in_flight_user(std::string_view user) const {
        std::lock_guard lk(mu_);
        return current(users_, user);
    }
    unsigned in_flight_endpoint(std::string_view endpoint) const {
        std::lock_guard lk(mu_);
        return current(endpoints_, endpoint);
    }

private:
    static unsigned current(const counts& m, std::string_view k) {
        auto it = m.find(k);
        return it == m.end() ? 0 : it->second;
    }
    static counts::value_type* enter(counts& m, std::string_view k) {
        auto it = m.find(k);
        if (it == m.end()) it = m.emplace(std::string(k), 0u).first;
        ++it->second;
        return &*it;
    }
    static void drop(counts& m, counts::value_type* node) {
        if (!node || --node->second) return;
        m.erase(m.find(node->first));  // last holder: forget the key so the map stays small
    }
    void leave(counts::value_type* u, counts::value_type* e) noexcept {
        std::lock_guard lk(mu_);
        drop(users_, u);
        drop(endpoints_, e);
    }

    concurrency_config cfg_;
    mutable std::mutex mu_;
    counts users_, endpoints_;
};

template <class L>
concept ConcurrencyLimiter = requires(L& l, const limit_key& k) {
    { l.try_enter(k) } -> std::same_as<result<typename L::permit>>;
};
static_assert(ConcurrencyLimiter<concurrency_limiter>);

/// No cap. Zero size; every call is admitted with an empty permit. The default of client::policy_set.
struct no_concurrency_limit {
    struct permit {
        bool active() const noexcept { return false; }
        void release() noexcept {}
    };
    result<permit> try_enter(const limit_key&) const noexcept { return permit{}; }
};
static_assert(ConcurrencyLimiter<no_concurrency_limit>);

}  // namespace zerog::policy
