// Persistence policy: durable memory of what the client paid for, so nothing is paid twice.
//
// The storage client records its own submission (root -> tx hash, tx_seq, state) BEFORE sending the
// transaction and consults the record on every retry and re-run. Compute records cumulative spend.
// Concept `Persistence`:
//   * `put_submission(record)`     upsert by (root, network)
//   * `find_submission(root, net)` -> result<optional<record>>
//   * `add_spend(account, provider, neuron)` / `spend(account, provider)` cumulative compute spend
//   * `add_usage(user, kind, period, amount)` adds committed budget usage (budget.hpp) to the
//     (user, kind) counter of `period`; a counter stored for another period is replaced (a new
//     period starts at `amount`). An ADD, not a put, so a store shared by several processes
//     (PostgreSQL: `INSERT … ON CONFLICT DO UPDATE SET used = CASE …`) stays exact.
//   * `load_usage(user)` -> every stored counter of `user` (one usage_record per kind), for
//     budget_tracker to restore what was committed before a restart.
// All calls are synchronous and must be fast (local storage); a failing store fails the operation
// before any payment (never "pay and forget").
//
// Models: `no_persistence` (stores nothing: only safe for read-only clients), `memory_persistence`
// (the default for paying clients: process lifetime, thread-safe), `testing::mock_persistence`
// (memory + failure injection + call log; <zerog/testing/mock_persistence.hpp>). Durable models
// (SQLite, PostgreSQL) plug in here unchanged.
#pragma once

#include <zerog/core/result.hpp>
#include <zerog/core/uint256.hpp>

#include <concepts>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace zerog::policy {

/// One flow submission the client made (or found on chain).
struct submission_record {
    enum class state : std::uint8_t { intent, sent, mined, uploaded, finalized, failed };
    hash256 root{};
    std::string network;             ///< e.g. "16602:0x22e0…" (chain id and flow address)
    std::string tx_hash;             ///< "0x…" once signed (known before broadcast)
    std::optional<std::uint64_t> tx_seq;
    std::uint64_t size = 0;
    uint256 fee;
    state status = state::intent;
    std::int64_t updated_unix_ms = 0;
};

/// Committed budget usage of one user and kind in one period (budget_tracker, budget.hpp).
struct usage_record {
    std::string user;
    std::string kind;         ///< budget_kind name: "bytes_uploaded", "requests", "tokens", "spend"
    std::int64_t period = 0;  ///< index of the budget period (0 for lifetime budgets)
    uint256 used;
    friend bool operator==(const usage_record&, const usage_record&) = default;
};

template <class P>
concept Persistence = requires(P& p, const submission_record& r, const hash256& root, std::string_view s, const uint256& amount,
                               std::int64_t period) {
    { p.put_submission(r) } -> std::same_as<result<void>>;
    { p.find_submission(root, s) } -> std::same_as<result<std::optional<submission_record>>>;
    { p.add_spend(s, s, amount) } -> std::same_as<result<void>>;
    { p.spend(s, s) } -> std::same_as<result<uint256>>;
    { p.add_usage(s, s, period, amount) } -> std::same_as<result<void>>;
    { p.load_usage(s) } -> std::same_as<result<std::vector<usage_record>>>;
};

/// Remembers nothing. Zero size. Read-only clients only: a paying client refuses to run with it
/// unless the caller opts out of the double-payment guard explicitly.
struct no_persistence {
    static constexpr bool durable = false;
    static constexpr bool remembers = false;
    result<void> put_submission(const submission_record&) const noexcept { return {}; }
    result<std::optional<submission_record>> find_submission(const hash256&, std::string_view) const {
        return std::optional<submission_record>{};
    }
    result<void> add_spend(std::string_view, std::string_view, const uint256&) const noexcept { return {}; }
    result<uint256> spend(std::string_view, std::string_view) const { return uint256{}; }
    result<void> add_usage(std::string_view, std::string_view, std::int64_t, const uint256&) const noexcept { return {}; }
    result<std::vector<usage_record>> load_usage(std::string_view) const { return std::vector<usage_record>{}; }
};
static_assert(Persistence<no_persistence>);

/// In-process memory. Thread-safe (one mutex; calls are rare and tiny).
class memory_persistence {
public:
    static constexpr bool durable = false;
    static constexpr bool remembers = true;
    result<void> put_submission(const submission_record& r) {
        std::lock_guard lk(mu_);
        subs_[{r.root, r.network}] = r;
        return {};
    }
    result<std::optional<submission_record>> find_submission(const hash256& root, std::string_view network) {
        std::lock_guard lk(mu_);
        auto it = subs_.find({root, std::string(network)});
        if (it == subs_.end()) return std::optional<submission_record>{};
        return std::optional<submission_record>{it->second};
    }
    result<void> add_spend(std::string_view account, std::string_view provider, const uint256& amount) {
        std::lock_guard lk(mu_);
        auto& v = spend_[{std::string(account), std::string(provider)}];
        ZEROG_TRY(v, checked_add(v, amount));
        return {};
    }
    result<uint256> spend(std::string_view account, std::string_view provider) {
        std::lock_guard lk(mu_);
        auto it = spend_.find({std::string(account), std::string(provider)});
        return it == spend_.end() ? uint256{} : it->second;
    }
    result<void> add_usage(std::string_view user, std::string_view kind, std::int64_t period, const uint256& amount) {
        std::lock_guard lk(mu_);
        auto [it, fresh] = usage_.try_emplace({std::string(user), std::string(kind)}, usage_record{std::string(user), std::string(kind), period, amount});
        if (fresh) return {};
        usage_record& u = it->second;
        if (u.period != period) {
            u.period = period;
            u.used = amount;
            return {};
        }
        auto sum = checked_add(u.used, amount);
        if (!sum) return fail(std::move(sum).error().during("adding budget usage of user \"" + std::string(user) + "\" (" + std::string(kind) + ")"));
        u.used = *sum;
        return {};
    }
    result<std::vector<usage_record>> load_usage(std::string_view user) {
        std::lock_guard lk(mu_);
        std::vector<usage_record> out;
        for (auto it = usage_.lower_bound({std::string(user), std::string()}); it != usage_.end() && it->first.first == user; ++it)
            out.push_back(it->second);
        return out;
    }

private:
    std::mutex mu_;
    std::map<std::pair<hash256, std::string>, submission_record> subs_;
    std::map<std::pair<std::string, std::string>, uint256> spend_;
    std::map<std::pair<std::string, std::string>, usage_record> usage_;
};
static_assert(Persistence<memory_persistence>);


}  // namespace zerog::policy
