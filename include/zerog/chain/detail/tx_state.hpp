// State kept by chain::tx_sender (chain/tx_sender.hpp): the nonce allocator for one key and the
// idempotency store behind its small interface.
//
// Thread safety: every class here is safe to call concurrently (one mutex each, never held across
// a suspension point: the sender does its network I/O outside these calls).
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/core/result.hpp>
#include <zerog/policy/persistence.hpp>

#include <concepts>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace zerog::chain {

/// Local nonce allocator for one account shared by concurrent senders.
///
/// Why local: asking the node for the pending count before every send races (two coroutines read
/// the same count and collide). The allocator is seeded once from the node's pending count and is
/// then authoritative; it is resynced when the node says "nonce too low" (another process used the
/// key). A nonce taken for a transaction that was never broadcast must not leave a gap (every later
/// nonce would be stuck in the pool): `release` hands it back when it is the highest one taken,
/// otherwise the caller fills it (a 0-value self-transfer) or, failing that, `reuse`s it so the
/// next `acquire` takes it before any new nonce.
class nonce_allocator {
public:
    bool seeded() const {
        std::lock_guard lk(m_);
        return seeded_;
    }
    /// First seed wins; a later one (another coroutine's fetch) only raises the counter.
    void seed(std::uint64_t pending_count) {
        std::lock_guard lk(m_);
        if (!seeded_ || pending_count > next_) next_ = std::max(next_, pending_count);
        seeded_ = true;
    }
    /// The next nonce to use: the lowest handed-back gap first, else a fresh one.
    std::uint64_t acquire() {
        std::lock_guard lk(m_);
        if (!reuse_.empty()) {
            const std::uint64_t n = *reuse_.begin();
            reuse_.erase(reuse_.begin());
            return n;
        }
        return next_++;
    }
    /// `n` will never be broadcast. true: it was the highest nonce taken and is simply returned
    /// (no gap). false: higher nonces are out; the caller must fill `n` or `reuse` it.
    bool release(std::uint64_t n) {
        std::lock_guard lk(m_);
        if (n + 1 != next_) return false;
        --next_;
        while (!reuse_.empty() && *reuse_.rbegin() + 1 == next_) {  // gaps just below collapse too
            reuse_.erase(std::prev(reuse_.end()));
            --next_;
        }
        return true;
    }
    /// `n` could not be filled: the next `acquire` takes it (before any fresh nonce).
    void reuse(std::uint64_t n) {
        std::lock_guard lk(m_);
        if (n < next_) reuse_.insert(n);
    }
    /// The node's pending count says nonces below `pending_count` are used (by us or by another
    /// process on the same key): never hand them out again.
    void resync(std::uint64_t pending_count) {
        std::lock_guard lk(m_);
        seeded_ = true;
        if (pending_count > next_) next_ = pending_count;
        reuse_.erase(reuse_.begin(), reuse_.lower_bound(pending_count));
    }
    std::uint64_t peek_next() const {
        std::lock_guard lk(m_);
        return next_;
    }
    /// Nonces waiting to be reused (gaps), ascending.
    std::vector<std::uint64_t> gaps() const {
        std::lock_guard lk(m_);
        return {reuse_.begin(), reuse_.end()};
    }

private:
    mutable std::mutex m_;
    bool seeded_ = false;
    std::uint64_t next_ = 0;
    std::set<std::uint64_t> reuse_;
};

/// What the idempotency store remembers about one logical transaction: the Persistence family's
/// tx_record (policy/persistence.hpp), so a durable store (SQLite, PostgreSQL) keeps it unchanged.
using idempotency_record = policy::tx_record;

/// Interface of the idempotency store: `find(key)` and `put(record)` (upsert by key). A failing
/// store fails the send before anything is broadcast. A Persistence-backed model (SQLite,
/// PostgreSQL) plugs in here unchanged.
template <class S>
concept IdempotencyStore = requires(S& s, const std::string& key, const idempotency_record& r) {
    { s.find(key) } -> std::same_as<result<std::optional<idempotency_record>>>;
    { s.put(r) } -> std::same_as<result<void>>;
};

/// In-process idempotency store (process lifetime). Thread-safe.
class memory_idempotency_store {
public:
    result<std::optional<idempotency_record>> find(const std::string& key) {
        std::lock_guard lk(m_);
        auto it = records_.find(key);
        if (it == records_.end()) return std::optional<idempotency_record>();
        return std::optional<idempotency_record>(it->second);
    }
    result<void> put(const idempotency_record& r) {
        std::lock_guard lk(m_);
        auto [it, fresh] = records_.try_emplace(r.key, r);
        if (!fresh) it->second = policy::merge_tx_records(std::move(it->second), r);
        return {};
    }
    std::size_t size() const {
        std::lock_guard lk(m_);
        return records_.size();
    }

private:
    mutable std::mutex m_;
    std::map<std::string, idempotency_record> records_;
};
static_assert(IdempotencyStore<memory_idempotency_store>);

}  // namespace zerog::chain
