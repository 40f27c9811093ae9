// budget_tracker: per-user quotas and spending budgets with hard limits and alert thresholds
// (checklist §8: quotas, token usage limits, budget controls and alerts, cost estimates).
//
// Four counters per user (`budget_kind`): bytes uploaded, requests, tokens, and spend in neuron.
// All are exact uint256 (a spend never passes through floating point).
//
// Refusing BEFORE spending: a client reserves what an operation will use before doing anything
// costly, `reserve(user, kind, amount)`, and gets a permit or an error:
//   * refused when used + reserved + amount > limit: errc::budget_exhausted for spend,
//     errc::quota_exceeded for the other kinds, with the exact figures in the message
//     ("user \"alice\": spend budget: 0.7 0G used + 0.2 0G reserved + 0.5 0G requested exceeds the
//     limit of 1 0G");
//   * a permit holds the amount as "reserved" (so concurrent operations cannot together overshoot)
//     until `commit()` (the estimate becomes used), `commit(actual)` (the real figure — a provider's
//     bill — becomes used, the rest is released; an actual above the estimate is recorded as is,
//     because that money is gone), or `release()` / destruction (nothing was spent).
// `charge(user, kind, amount)` records usage that was not reserved (after-the-fact bookings).
//
// Alerts: when committed usage reaches each alert percentage of the limit (default 50/80/100 %),
// Telemetry gets `alert("budget_threshold", user, kind, percent, used, limit)` exactly once per
// crossing. A threshold re-arms only when usage falls below it again: a new period starts, or the
// limit is raised (set_limit). A refusal is logged at warn ("budget.refused").
//
// Limits: `config.default_limits[kind]` for every user (nullopt = unlimited), `set_limit` per user.
// Periods: `config.period` 0 (default) = counters for the lifetime of the tracker (persist and
// restore them with `charge`); otherwise used counters restart at each UTC period boundary of the
// Clock's wall time (e.g. 24 h = daily budgets). Reservations survive period changes.
//
// Cost estimates (for the amount to reserve): `estimate_storage_fee(sectors, pricePerSector)` (the
// Flow market's price; sectors from storage::fee_sectors) and `estimate_inference_fee(prompt,
// completion, input/output price)` (token estimate from compute::estimate_request_tokens). They
// live here rather than calling those layers because policy/ depends on core/ only.
//
// Persistence (restarts): `persist_to(persistence)` connects the tracker to any Persistence model
// (persistence.hpp `add_usage` / `load_usage`). Every committed amount (commit, charge) is then
// added to the store under the tracker's lock, and a user's counters are restored from the store
// the first time the tracker sees that user (lazily, so a shared database is read per user, not
// scanned). A failing load refuses `reserve` (nothing is spent on an unknown budget); a failing
// add keeps the amount in memory, logs "budget.persist_failed" and is retried with the next add.
// Counters of another period than the current one are not restored.
//
// The client seam: `budget_ledger` is the non-template interface (reserve / charge / usage_of and
// the permit's settlement), so clients take a `budget_ledger&` without being templated on the
// tracker's Telemetry and Clock. `budget_permit` settles through it; `budget_hold` carries the
// permits of several kinds for one operation, reserved all or nothing by `reserve_all`.
//
// Thread safety: all members and permits may be used concurrently (one mutex; Telemetry is called
// after it is released). The tracker must outlive its permits. Not a member of a policy concept of
// policy_set: clients take one through `use_budget(budget_ledger&)` (storage_client,
// compute_client).
#pragma once

#include <zerog/core/amount.hpp>
#include <zerog/core/result.hpp>
#include <zerog/core/uint256.hpp>
#include <zerog/policy/clock.hpp>
#include <zerog/policy/detail/string_map.hpp>
#include <zerog/policy/persistence.hpp>
#include <zerog/policy/telemetry.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zerog::policy {

enum class budget_kind : std::uint8_t { bytes_uploaded, requests, tokens, spend };
inline constexpr std::size_t budget_kind_count = 4;

inline std::string_view to_string(budget_kind k) noexcept {
    constexpr std::string_view names[] = {"bytes_uploaded", "requests", "tokens", "spend"};
    return names[static_cast<int>(k)];
}
inline std::optional<budget_kind> budget_kind_from(std::string_view name) noexcept {
    for (std::size_t i = 0; i < budget_kind_count; ++i)
        if (to_string(static_cast<budget_kind>(i)) == name) return static_cast<budget_kind>(i);
    return std::nullopt;
}

/// Exact fee of storing `sectors` fee sectors at the Flow market's pricePerSector (neuron).
inline result<uint256> estimate_storage_fee(std::uint64_t sectors, const uint256& price_per_sector) {
    return checked_mul(uint256(sectors), price_per_sector);
}

/// Exact fee of an inference: input price · prompt tokens + output price · completion tokens.
inline result<uint256> estimate_inference_fee(std::uint64_t prompt_tokens, std::uint64_t completion_tokens,
                                              const uint256& input_price_per_token, const uint256& output_price_per_token) {
    ZEROG_TRY(uint256 in, checked_mul(input_price_per_token, uint256(prompt_tokens)));
    ZEROG_TRY(uint256 out, checked_mul(output_price_per_token, uint256(completion_tokens)));
    return checked_add(in, out);
}

struct budget_config {
    std::array<std::optional<uint256>, budget_kind_count> default_limits{};  ///< per kind; nullopt = unlimited
    std::vector<unsigned> alert_percents{50, 80, 100};                      ///< 1..100
    std::chrono::seconds period{0};                                         ///< 0 = never reset
};

/// One user's counter of one kind.
struct budget_usage {
    uint256 used, reserved;
    std::optional<uint256> limit;
};

class budget_ledger;

/// A reservation. Move-only; released on destruction unless committed. Settles through the
/// ledger that issued it, which must outlive it.
class budget_permit {
public:
    budget_permit() = default;
    budget_permit(budget_permit&& o) noexcept
        : owner_(std::exchange(o.owner_, nullptr)), user_(std::move(o.user_)), kind_(o.kind_), amount_(o.amount_) {}
    budget_permit& operator=(budget_permit&& o) noexcept {
        if (this != &o) {
            release();
            owner_ = std::exchange(o.owner_, nullptr);
            user_ = std::move(o.user_);
            kind_ = o.kind_;
            amount_ = o.amount_;
        }
        return *this;
    }
    ~budget_permit() { release(); }

    bool active() const noexcept { return owner_ != nullptr; }
    const uint256& amount() const noexcept { return amount_; }
    budget_kind kind() const noexcept { return kind_; }
    const std::string& user() const noexcept { return user_; }
    /// The reserved amount was spent.
    void commit() { commit(amount_); }
    /// `actual` was spent (may differ from the reservation).
    inline void commit(const uint256& actual);
    /// Nothing was spent.
    inline void release() noexcept;

private:
    friend class budget_ledger;
    budget_permit(budget_ledger* o, std::string u, budget_kind k, uint256 a) : owner_(o), user_(std::move(u)), kind_(k), amount_(a) {}
    budget_ledger* owner_ = nullptr;
    std::string user_;
    budget_kind kind_ = budget_kind::requests;
    uint256 amount_;
};

/// Permits of several kinds taken together for one operation (`budget_ledger::reserve_all`).
/// Move-only; every permit still held is released on destruction. Empty when no budget applies.
class budget_hold {
public:
    bool empty() const noexcept {
        return std::none_of(permits_.begin(), permits_.end(), [](const budget_permit& p) { return p.active(); });
    }
    bool holds(budget_kind k) const noexcept { return at(k).active(); }
    const uint256& amount(budget_kind k) const noexcept { return at(k).amount(); }
    /// Commit kind `k` as reserved / as `actual`. Does nothing when `k` is not held (any more).
    void commit(budget_kind k) { at(k).commit(); }
    void commit(budget_kind k, const uint256& actual) { at(k).commit(actual); }
    void release(budget_kind k) noexcept { at(k).release(); }
    void release() noexcept {
        for (auto& p : permits_) p.release();
    }
    /// Take over `p` (releasing a permit of the same kind held before).
    void add(budget_permit p) { at(p.kind()) = std::move(p); }

private:
    budget_permit& at(budget_kind k) noexcept { return permits_[static_cast<std::size_t>(k)]; }
    const budget_permit& at(budget_kind k) const noexcept { return permits_[static_cast<std::size_t>(k)]; }
    std::array<budget_permit, budget_kind_count> permits_;
};

/// One amount to reserve.
struct budget_request {
    budget_kind kind;
    uint256 amount;
};

/// The budget seam clients use (non-template): see the file comment. budget_tracker implements it;
/// tests may implement it with a fake.
class budget_ledger {
public:
    virtual ~budget_ledger() = default;

    /// Reserve `amount` of `kind` for `user`, or refuse without changing anything:
    /// errc::budget_exhausted (spend) / errc::quota_exceeded (other kinds) with the figures.
    virtual result<budget_permit> reserve(std::string_view user, budget_kind kind, const uint256& amount) = 0;
    /// Record usage that was not reserved (never refused: it already happened).
    virtual void charge(std::string_view user, budget_kind kind, const uint256& amount) = 0;
    virtual budget_usage usage_of(std::string_view user, budget_kind kind) = 0;

    /// Reserve every request, in order, all or nothing: the first refusal releases what was
    /// already taken and is returned. Zero amounts are reserved too (they count nothing but keep
    /// the hold's shape).
    result<budget_hold> reserve_all(std::string_view user, std::span<const budget_request> requests) {
        budget_hold h;
        for (const auto& r : requests) {
            auto p = reserve(user, r.kind, r.amount);
            if (!p) return fail(std::move(p).error());
            h.add(std::move(*p));
        }
        return h;
    }

protected:
    friend class budget_permit;
    /// Settle a permit: its `reserved` amount is no longer reserved; `actual` (when not null)
    /// becomes used. Must not throw.
    virtual void settle(const std::string& user, budget_kind kind, const uint256& reserved, const uint256* actual) noexcept = 0;
    budget_permit make_permit(std::string user, budget_kind kind, const uint256& amount) {
        return budget_permit(this, std::move(user), kind, amount);
    }
};

inline void budget_permit::commit(const uint256& actual) {
    if (!owner_) return;
    std::exchange(owner_, nullptr)->settle(user_, kind_, amount_, &actual);
}
inline void budget_permit::release() noexcept {
    if (!owner_) return;
    std::exchange(owner_, nullptr)->settle(user_, kind_, amount_, nullptr);
}

/// The non-template view of a Persistence model that budget_tracker::persist_to stores.
class usage_store {
public:
    virtual ~usage_store() = default;
    virtual result<void> add(std::string_view user, budget_kind kind, std::int64_t period, const uint256& amount) = 0;
    virtual result<std::vector<usage_record>> load(std::string_view user) = 0;
};

/// usage_store over a Persistence model held by reference (it must outlive the tracker).
template <Persistence P>
class persistence_usage_store final : public usage_store {
public:
    explicit persistence_usage_store(P& p) : p_(&p) {}
    result<void> add(std::string_view user, budget_kind kind, std::int64_t period, const uint256& amount) override {
        return p_->add_usage(user, to_string(kind), period, amount);
    }
    result<std::vector<usage_record>> load(std::string_view user) override { return p_->load_usage(user); }

private:
    P* p_;
};

template <Telemetry T = null_telemetry, Clock C = system_clock_policy>
class budget_tracker final : public budget_ledger {
public:
    using usage = budget_usage;
    using permit = budget_permit;

    budget_tracker() : budget_tracker(budget_config{}) {}
    explicit budget_tracker(budget_config cfg, T telemetry = T{}, C clock = C{})
        : cfg_(std::move(cfg)), telemetry_(std::move(telemetry)), clock_(std::move(clock)) {
        for (auto& p : cfg_.alert_percents) p = std::clamp(p, 1u, 100u);
        std::sort(cfg_.alert_percents.begin(), cfg_.alert_percents.end());
        cfg_.alert_percents.erase(std::unique(cfg_.alert_percents.begin(), cfg_.alert_percents.end()), cfg_.alert_percents.end());
    }
    budget_tracker(const budget_tracker&) = delete;
    budget_tracker& operator=(const budget_tracker&) = delete;

    /// Save committed usage to `p` and restore each user's from it (see the file comment). `p`
    /// must outlive the tracker. Usage committed before this call is kept and written with the
    /// user's next committed amount.
    template <Persistence P>
    void persist_to(P& p) {
        std::lock_guard lk(mu_);
        store_ = std::make_unique<persistence_usage_store<P>>(p);
        for (auto& [user, uc] : users_) {
            uc.loaded = false;
            for (auto& c : uc.kinds) c.unsaved = c.used;
        }
    }

    /// This user's limit for `kind` (nullopt = unlimited), replacing the default. Raising a limit
    /// re-arms thresholds that usage is now below.
    void set_limit(std::string_view user, budget_kind kind, std::optional<uint256> limit) {
        std::lock_guard lk(mu_);
        counter& c = get(user, kind);
        c.limit = limit;
        c.has_limit = true;
        c.fired = reached(c.used, limit_of(c, kind));
    }

    /// Reserve `amount` of `kind` for `user`, or refuse without changing anything.
    result<permit> reserve(std::string_view user, budget_kind kind, const uint256& amount) override {
        std::string refusal;
        {
            std::lock_guard lk(mu_);
            user_counters& uc = get_user(user);
            if (store_ && !uc.loaded)
                return fail(errc::io_error, "user \"" + std::string(user) + "\": " + std::string(to_string(kind)) +
                                                " budget could not be restored from persistence (" + last_load_error_ +
                                                "); refusing before anything is spent");
            counter& c = at_period(uc, kind);
            const auto limit = limit_of(c, kind);
            auto committed = checked_add(c.used, c.reserved);
            auto total = committed ? checked_add(*committed, amount) : committed;
            if (!limit && !total) return fail(errc::overflow, "budget counter overflows uint256");
            if (!limit || (total && *total <= *limit)) {
                c.reserved = c.reserved + amount;  // cannot wrap: total did not
                return make_permit(std::string(user), kind, amount);
            }
            refusal = "user \"" + std::string(user) + "\": " + std::string(to_string(kind)) + " " +
                      (kind == budget_kind::spend ? "budget" : "quota") + ": " + show(kind, c.used) + " used + " +
                      show(kind, c.reserved) + " reserved + " + show(kind, amount) + " requested exceeds the limit of " +
                      show(kind, *limit);
        }
        if (telemetry_.enabled(log_level::warn)) {
            const field f[] = {{"user", user}, {"kind", to_string(kind)}, {"detail", refusal}};
            telemetry_.log(log_level::warn, "budget.refused", f);
        }
        {
            const field l[] = {{"kind", to_string(kind)}, {"user", user}};  // user: a label only when the metrics opt in
            telemetry_.count("zerog_budget_refusals_total", 1, l);
        }
        return fail(kind == budget_kind::spend ? errc::budget_exhausted : errc::quota_exceeded, std::move(refusal));
    }

    /// Record usage that was not reserved (never refused: it already happened).
    void charge(std::string_view user, budget_kind kind, const uint256& amount) override {
        std::vector<pending> alerts;
        std::vector<std::string> failures;
        {
            std::lock_guard lk(mu_);
            add_used(std::string(user), get(user, kind), kind, amount, alerts, failures);
        }
        emit(alerts, failures);
    }

    usage usage_of(std::string_view user, budget_kind kind) override {
        std::lock_guard lk(mu_);
        counter& c = get(user, kind);
        return {c.used, c.reserved, limit_of(c, kind)};
    }

private:
    struct counter {
        uint256 used, reserved;
        uint256 unsaved;          // committed but not yet added to the store (its add failed)
        std::optional<uint256> limit;
        bool has_limit = false;   // limit overrides the default
        std::size_t fired = 0;    // alert_percents[0..fired) have fired in this period
        long long period = 0;
    };
    struct user_counters {
        std::array<counter, budget_kind_count> kinds{};
        bool loaded = false;      // restored from the store (when there is one)
    };
    struct pending {
        std::string user;
        budget_kind kind;
        unsigned percent;
        uint256 used, limit;
    };

    static std::string show(budget_kind k, const uint256& v) {
        if (k == budget_kind::spend) return format_token_amount(v) + " 0G";
        return v.to_decimal() + (k == budget_kind::bytes_uploaded ? " bytes" : "");
    }

    std::optional<uint256> limit_of(const counter& c, budget_kind k) const {
        return c.has_limit ? c.limit : cfg_.default_limits[static_cast<int>(k)];
    }

    /// ceil(limit · percent / 100), exactly and without overflow (percent ≤ 100).
    static uint256 threshold(const uint256& limit, unsigned percent) {
        std::uint64_t r = 0;
        const uint256 q = limit.divmod_u64(100, r);
        return q * uint256(percent) + uint256((r * percent + 99) / 100);
    }
    std::size_t reached(const uint256& used, const std::optional<uint256>& limit) const {
        if (!limit || used.is_zero()) return 0;
        std::size_t n = 0;
        while (n < cfg_.alert_percents.size() && used >= threshold(*limit, cfg_.alert_percents[n])) ++n;
        return n;
    }

    long long current_period() const {
        if (cfg_.period.count() <= 0) return 0;
        return std::chrono::duration_cast<std::chrono::seconds>(clock_.wall_now().time_since_epoch()).count() / cfg_.period.count();
    }

    /// The user's counters, restored from the store on first sight (retried while it fails).
    user_counters& get_user(std::string_view user) {
        auto it = users_.find(user);
        if (it == users_.end()) it = users_.emplace(std::string(user), user_counters{}).first;
        user_counters& uc = it->second;
        if (store_ && !uc.loaded) {
            auto recs = store_->load(user);
            if (!recs) {
                last_load_error_ = recs.error().message();
            } else {
                const long long p = current_period();
                for (auto& c : uc.kinds) {  // what the store has + what it missed
                    c.used = c.unsaved;
                    c.period = p;
                }
                for (const auto& r : *recs) {
                    const auto k = budget_kind_from(r.kind);
                    if (!k || r.period != p) continue;  // unknown kind, or a past period
                    counter& c = uc.kinds[static_cast<std::size_t>(*k)];
                    auto sum = checked_add(c.used, r.used);
                    c.used = sum ? *sum : uint256::max();
                }
                for (std::size_t k = 0; k < budget_kind_count; ++k) {  // thresholds already crossed stay quiet
                    counter& c = uc.kinds[k];
                    c.fired = reached(c.used, limit_of(c, static_cast<budget_kind>(k)));
                }
                uc.loaded = true;
            }
        }
        return uc;
    }

    counter& at_period(user_counters& uc, budget_kind kind) {
        counter& c = uc.kinds[static_cast<int>(kind)];
        if (cfg_.period.count() > 0) {
            const long long p = current_period();
            if (p != c.period) {  // a new period: usage starts again, thresholds re-arm
                c.period = p;
                c.used = uint256();
                c.unsaved = uint256();
                c.fired = 0;
            }
        }
        return c;
    }

    counter& get(std::string_view user, budget_kind kind) { return at_period(get_user(user), kind); }

    void add_used(const std::string& user, counter& c, budget_kind kind, const uint256& amount, std::vector<pending>& out,
                  std::vector<std::string>& failures) {
        auto sum = checked_add(c.used, amount);
        c.used = sum ? *sum : uint256::max();  // saturate: a counter at 2^256 is over any limit anyway
        const auto limit = limit_of(c, kind);
        const std::size_t now_reached = reached(c.used, limit);
        if (limit && !limit->is_zero()) {
            const field l[] = {{"kind", to_string(kind)}, {"user", std::string_view(user)}};
            telemetry_.gauge("zerog_budget_used_ratio", c.used.to_double() / limit->to_double(), l);
        }
        for (; c.fired < now_reached; ++c.fired) out.push_back({user, kind, cfg_.alert_percents[c.fired], c.used, *limit});
        if (store_ && !amount.is_zero()) {
            auto add = checked_add(c.unsaved, amount);
            const uint256 delta = add ? *add : uint256::max();
            // Added even while the user's load fails: the load, once it succeeds, includes it.
            if (auto r = store_->add(user, kind, c.period, delta); r) {
                c.unsaved = uint256();
            } else {
                c.unsaved = delta;
                failures.push_back("user \"" + user + "\": " + std::string(to_string(kind)) + ": " + r.error().message());
            }
        }
    }

    void settle(const std::string& user, budget_kind kind, const uint256& reserved, const uint256* actual) noexcept override {
        std::vector<pending> alerts;
        std::vector<std::string> failures;
        try {
            {
                std::lock_guard lk(mu_);
                counter& c = get(user, kind);
                c.reserved = c.reserved >= reserved ? c.reserved - reserved : uint256();
                if (actual) add_used(user, c, kind, *actual, alerts, failures);
            }
            emit(alerts, failures);
        } catch (...) {
            // allocation failure while alerting: the counters are already settled; never throw
            // from a permit's destructor
        }
    }

    void emit(const std::vector<pending>& alerts, const std::vector<std::string>& failures) {
        for (const auto& a : alerts) {
            const std::string used = a.used.to_decimal(), limit = a.limit.to_decimal();
            const field f[] = {{"user", a.user}, {"kind", to_string(a.kind)}, {"percent", a.percent},
                               {"used", used}, {"limit", limit}};
            telemetry_.alert("budget_threshold", f);
        }
        if (!failures.empty() && telemetry_.enabled(log_level::warn))
            for (const auto& d : failures) {
                const field f[] = {{"detail", d}};
                telemetry_.log(log_level::warn, "budget.persist_failed", f);
            }
    }

    budget_config cfg_;
    [[no_unique_address]] T telemetry_;
    [[no_unique_address]] C clock_;
    std::mutex mu_;
    detail::string_map<user_counters> users_;
    std::unique_ptr<usage_store> store_;
    std::string last_load_error_;
};

}  // namespace zerog::policy
