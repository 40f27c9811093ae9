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
// Thread safety: all members and permits may be used concurrently (one mutex; Telemetry is called
// after it is released). The tracker must outlive its permits. Not a member of a policy concept of
// policy_set: clients that take a budget hold one beside their policy set.
#pragma once

#include <zerog/core/amount.hpp>
#include <zerog/core/result.hpp>
#include <zerog/core/uint256.hpp>
#include <zerog/policy/clock.hpp>
#include <zerog/policy/detail/string_map.hpp>
#include <zerog/policy/telemetry.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
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

template <Telemetry T = null_telemetry, Clock C = system_clock_policy>
class budget_tracker {
public:
    struct usage {
        uint256 used, reserved;
        std::optional<uint256> limit;
    };

    /// A reservation. Move-only; released on destruction unless committed.
    class permit {
    public:
        permit() = default;
        permit(permit&& o) noexcept
            : owner_(std::exchange(o.owner_, nullptr)), user_(std::move(o.user_)), kind_(o.kind_), amount_(o.amount_) {}
        permit& operator=(permit&& o) noexcept {
            if (this != &o) {
                release();
                owner_ = std::exchange(o.owner_, nullptr);
                user_ = std::move(o.user_);
                kind_ = o.kind_;
                amount_ = o.amount_;
            }
            return *this;
        }
        ~permit() { release(); }

        bool active() const noexcept { return owner_ != nullptr; }
        const uint256& amount() const noexcept { return amount_; }
        budget_kind kind() const noexcept { return kind_; }
        /// The reserved amount was spent.
        void commit() { commit(amount_); }
        /// `actual` was spent (may differ from the reservation).
        void commit(const uint256& actual) {
            if (!owner_) return;
            std::exchange(owner_, nullptr)->settle(user_, kind_, amount_, &actual);
        }
        /// Nothing was spent.
        void release() noexcept {
            if (!owner_) return;
            std::exchange(owner_, nullptr)->settle(user_, kind_, amount_, nullptr);
        }

    private:
        friend class budget_tracker;
        permit(budget_tracker* o, std::string u, budget_kind k, uint256 a) : owner_(o), user_(std::move(u)), kind_(k), amount_(a) {}
        budget_tracker* owner_ = nullptr;
        std::string user_;
        budget_kind kind_ = budget_kind::requests;
        uint256 amount_;
    };

    budget_tracker() : budget_tracker(budget_config{}) {}
    explicit budget_tracker(budget_config cfg, T telemetry = T{}, C clock = C{})
        : cfg_(std::move(cfg)), telemetry_(std::move(telemetry)), clock_(std::move(clock)) {
        for (auto& p : cfg_.alert_percents) p = std::clamp(p, 1u, 100u);
        std::sort(cfg_.alert_percents.begin(), cfg_.alert_percents.end());
        cfg_.alert_percents.erase(std::unique(cfg_.alert_percents.begin(), cfg_.alert_percents.end()), cfg_.alert_percents.end());
    }
    budget_tracker(const budget_tracker&) = delete;
    budget_tracker& operator=(const budget_tracker&) = delete;

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
    result<permit> reserve(std::string_view user, budget_kind kind, const uint256& amount) {
        std::string refusal;
        {
            std::lock_guard lk(mu_);
            counter& c = get(user, kind);
            const auto limit = limit_of(c, kind);
            auto committed = checked_add(c.used, c.reserved);
            auto total = committed ? checked_add(*committed, amount) : committed;
            if (!limit && !total) return fail(errc::overflow, "budget counter overflows uint256");
            if (!limit || (total && *total <= *limit)) {
                c.reserved = c.reserved + amount;  // cannot wrap: total did not
                return permit(this, std::string(user), kind, amount);
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
        return fail(kind == budget_kind::spend ? errc::budget_exhausted : errc::quota_exceeded, std::move(refusal));
    }

    /// Record usage that was not reserved (never refused: it already happened).
    void charge(std::string_view user, budget_kind kind, const uint256& amount) {
        std::vector<pending> alerts;
        {
            std::lock_guard lk(mu_);
            add_used(std::string(user), get(user, kind), kind, amount, alerts);
        }
        emit(alerts);
    }

    usage usage_of(std::string_view user, budget_kind kind) {
        std::lock_guard lk(mu_);
        counter& c = get(user, kind);
        return {c.used, c.reserved, limit_of(c, kind)};
    }

private:
    struct counter {
        uint256 used, reserved;
        std::optional<uint256> limit;
        bool has_limit = false;   // limit overrides the default
        std::size_t fired = 0;    // alert_percents[0..fired) have fired in this period
        long long period = 0;
    };
    using user_counters = std::array<counter, budget_kind_count>;
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

    counter& get(std::string_view user, budget_kind kind) {
        auto it = users_.find(user);
        if (it == users_.end()) it = users_.emplace(std::string(user), user_counters{}).first;
        counter& c = it->second[static_cast<int>(kind)];
        if (cfg_.period.count() > 0) {
            const auto p = std::chrono::duration_cast<std::chrono::seconds>(clock_.wall_now().time_since_epoch()).count() /
                           cfg_.period.count();
            if (p != c.period) {  // a new period: usage starts again, thresholds re-arm
                c.period = p;
                c.used = uint256();
                c.fired = 0;
            }
        }
        return c;
    }

    void add_used(const std::string& user, counter& c, budget_kind kind, const uint256& amount, std::vector<pending>& out) {
        auto sum = checked_add(c.used, amount);
        c.used = sum ? *sum : uint256::max();  // saturate: a counter at 2^256 is over any limit anyway
        const auto limit = limit_of(c, kind);
        const std::size_t now_reached = reached(c.used, limit);
        for (; c.fired < now_reached; ++c.fired) out.push_back({user, kind, cfg_.alert_percents[c.fired], c.used, *limit});
    }

    void settle(const std::string& user, budget_kind kind, const uint256& reserved, const uint256* actual) noexcept {
        std::vector<pending> alerts;
        try {
            {
                std::lock_guard lk(mu_);
                counter& c = get(user, kind);
                c.reserved = c.reserved >= reserved ? c.reserved - reserved : uint256();
                if (actual) add_used(user, c, kind, *actual, alerts);
            }
            emit(alerts);
        } catch (...) {
            // allocation failure while alerting: the counters are already settled; never throw
            // from a permit's destructor
        }
    }

    void emit(const std::vector<pending>& alerts) {
        for (const auto& a : alerts) {
            const std::string used = a.used.to_decimal(), limit = a.limit.to_decimal();
            const field f[] = {{"user", a.user}, {"kind", to_string(a.kind)}, {"percent", a.percent},
                               {"used", used}, {"limit", limit}};
            telemetry_.alert("budget_threshold", f);
        }
    }

    budget_config cfg_;
    [[no_unique_address]] T telemetry_;
    [[no_unique_address]] C clock_;
    std::mutex mu_;
    detail::string_map<user_counters> users_;
};

}  // namespace zerog::policy
