// store::sql_persistence<Backend>: the Persistence family (policy/persistence.hpp) over a SQL
// database, written once for SQLite (sqlite.hpp) and PostgreSQL (postgres.hpp).
//
// Why one implementation: the two models must agree to the byte on what a claim, a merge or a
// usage add means, and the conformance suite (tests/store) holds them to it. The backends differ
// only in how they connect, lock, retry and spell a few types; the statements here use `$1…`
// placeholders (SQLite's backend rewrites them to `?1…`) and the upsert syntax both accept.
//
// Atomicity: every read-modify-write runs inside `Backend::write`, a transaction that holds the
// row (PostgreSQL: `SELECT … FOR UPDATE` after an `INSERT … ON CONFLICT DO NOTHING` makes sure the
// row exists) or the whole database (SQLite: `BEGIN IMMEDIATE`) until it commits. So a claim is
// decided by exactly one writer, usage adds never lose an update, and two processes resuming one
// transaction never drop each other's hashes.
//
// The same class is the KV namespace registry (policy::NamespaceStore, table zerog_namespaces) and
// the store of a service's API keys (policy::api_key_record, table zerog_api_keys).
//
// Amounts (fees, spend, usage) are stored as decimal text and added in C++ with checked_add: the
// same overflow rule on every backend, and no floating point anywhere.
#pragma once

#include <zerog/policy/persistence.hpp>
#include <zerog/store/schema.hpp>

#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zerog::store {

template <class Backend>
class sql_persistence {
public:
    static constexpr bool durable = true;
    static constexpr bool remembers = true;
    static constexpr bool blocking = true;  // disk syncs, other processes' locks, a server: clients offload the calls

    explicit sql_persistence(Backend backend) : db_(std::move(backend)) {}

    Backend& backend() noexcept { return db_; }
    const Backend& backend() const noexcept { return db_; }

    // ---- submissions -------------------------------------------------------------------------

    result<policy::submission_claim> claim_submission(const policy::submission_record& r, std::string_view tx_key, std::int64_t stale_before,
                                                      std::string_view dead_owner) {
        ZEROG_TRY(auto params, detail::submission_params(r));
        return db_.write("claiming the submission of root " + to_hex(r.root), [&](auto& s) -> result<policy::submission_claim> {
            ZEROG_TRY(auto inserted, s.query(detail::insert_submission_sql(true), params));
            if (!inserted.empty()) return policy::submission_claim{true, r};
            ZEROG_TRY(auto rows, s.query(detail::select_submission_sql(Backend::row_locks), {to_hex(r.root), r.network}));
            if (rows.empty()) return fail(errc::internal, "the submission row vanished inside a transaction");
            ZEROG_TRY(policy::submission_record existing, detail::submission_from_row(rows.front()));
            ZEROG_TRY(auto tx, find_tx_in(s, std::string(tx_key)));
            const bool signed_tx = tx && !tx->hashes.empty();
            if (!policy::claim_may_replace(existing, signed_tx, stale_before, dead_owner)) return policy::submission_claim{false, std::move(existing)};
            policy::submission_record next = r;
            next.created_unix_ms = existing.created_unix_ms;
            ZEROG_TRY(auto next_params, detail::submission_params(next));
            ZEROG_TRY(auto ignored, s.query(detail::upsert_submission_sql(), next_params));
            (void)ignored;
            return policy::submission_claim{true, std::move(next)};
        });
    }

    result<void> put_submission(const policy::submission_record& r) {
        ZEROG_TRY(auto params, detail::submission_params(r));
        return db_.write("recording the submission of root " + to_hex(r.root), [&](auto& s) -> result<void> {
            ZEROG_TRY(auto ignored, s.query(detail::upsert_submission_sql(), params));
            (void)ignored;
            return {};
        });
    }

    result<std::optional<policy::submission_record>> find_submission(const hash256& root, std::string_view network) {
        return db_.read("reading the submission of root " + to_hex(root), [&](auto& s) -> result<std::optional<policy::submission_record>> {
            ZEROG_TRY(auto rows, s.query(detail::select_submission_sql(false), {to_hex(root), std::string(network)}));
            if (rows.empty()) return std::optional<policy::submission_record>{};
            ZEROG_TRY(auto rec, detail::submission_from_row(rows.front()));
            return std::optional<policy::submission_record>{std::move(rec)};
        });
    }

    result<std::vector<policy::submission_record>> list_submissions(const policy::submission_filter& f) {
        const auto limit = static_cast<std::int64_t>(std::min<std::size_t>(f.limit, std::numeric_limits<std::int32_t>::max()));
        return db_.read("listing submissions", [&](auto& s) -> result<std::vector<policy::submission_record>> {
            ZEROG_TRY(auto rows, s.query(detail::list_submissions_sql(),
                                         {f.status ? std::string(policy::to_string(*f.status)) : std::string(), f.since_unix_ms, f.network, limit,
                                          f.root ? to_hex(*f.root) : std::string()}));
            std::vector<policy::submission_record> out;
            out.reserve(rows.size());
            for (const auto& row : rows) {
                ZEROG_TRY(auto rec, detail::submission_from_row(row));
                out.push_back(std::move(rec));
            }
            return out;
        });
    }

    /// Remove one record (retention). Data on 0G Storage is immutable; this forgets our record only.
    result<bool> erase_submission(const hash256& root, std::string_view network) {
        return db_.write("removing the record of root " + to_hex(root), [&](auto& s) -> result<bool> {
            ZEROG_TRY(auto rows, s.query("DELETE FROM zerog_submissions WHERE root = $1 AND network = $2 RETURNING root", {to_hex(root), std::string(network)}));
            return !rows.empty();
        });
    }

    /// Retention: remove every record whose retention ended before `now_unix_ms` (expires > 0), and
    /// its transaction record; returns the removed records. The files stay on 0G Storage (immutable).
    result<std::vector<policy::submission_record>> prune_expired(std::int64_t now_unix_ms) {
        return db_.write("removing expired records", [&](auto& s) -> result<std::vector<policy::submission_record>> {
            ZEROG_TRY(auto rows, s.query("DELETE FROM zerog_submissions WHERE expires_ms > 0 AND expires_ms < $1 RETURNING " +
                                             std::string(detail::submission_columns),
                                         {now_unix_ms}));
            std::vector<policy::submission_record> out;
            for (const auto& row : rows) {
                ZEROG_TRY(auto rec, detail::submission_from_row(row));
                ZEROG_TRY(auto gone, s.query("DELETE FROM zerog_transactions WHERE tx_key = $1", {detail::storage_tx_key(rec)}));
                (void)gone;
                out.push_back(std::move(rec));
            }
            return out;
        });
    }

    // ---- export and import (JSON lines in the CLI: zerog db export / import) --------------------

    /// Every transaction record, by key.
    result<std::vector<policy::tx_record>> list_tx() {
        return db_.read("listing transaction records", [&](auto& s) -> result<std::vector<policy::tx_record>> {
            ZEROG_TRY(auto rows, s.query("SELECT tx_key, nonce, hashes, last_raw, mined FROM zerog_transactions ORDER BY tx_key", {}));
            std::vector<policy::tx_record> out;
            for (const auto& row : rows) {
                ZEROG_TRY(auto r, detail::tx_from_row(row));
                out.push_back(std::move(r));
            }
            return out;
        });
    }
    /// Every usage counter, by user and kind.
    result<std::vector<policy::usage_record>> list_usage() {
        return db_.read("listing budget usage", [&](auto& s) -> result<std::vector<policy::usage_record>> {
            ZEROG_TRY(auto rows, s.query("SELECT usr, kind, period, used FROM zerog_usage ORDER BY usr, kind", {}));
            std::vector<policy::usage_record> out;
            for (const auto& row : rows) {
                policy::usage_record u;
                u.user = row[0].value_or("");
                u.kind = row[1].value_or("");
                ZEROG_TRY(u.period, detail::int_column(row, 2, "zerog_usage.period"));
                ZEROG_TRY(u.used, detail::amount_column(row, 3, "zerog_usage.used"));
                out.push_back(std::move(u));
            }
            return out;
        });
    }
    /// Import one submission without ever going backwards: absent rows are inserted; a stored row
    /// is replaced only by one further along (policy::submission_progress). Idempotent.
    result<bool> import_submission(const policy::submission_record& r) {
        ZEROG_TRY(auto params, detail::submission_params(r));
        return db_.write("importing the record of root " + to_hex(r.root), [&](auto& s) -> result<bool> {
            ZEROG_TRY(auto inserted, s.query(detail::insert_submission_sql(true), params));
            if (!inserted.empty()) return true;
            ZEROG_TRY(auto rows, s.query(detail::select_submission_sql(Backend::row_locks), {to_hex(r.root), r.network}));
            if (rows.empty()) return fail(errc::internal, "the submission row vanished inside a transaction");
            ZEROG_TRY(const policy::submission_record existing, detail::submission_from_row(rows.front()));
            if (policy::submission_progress(r) <= policy::submission_progress(existing)) return false;
            ZEROG_TRY(auto done, s.query(detail::upsert_submission_sql(), params));
            (void)done;
            return true;
        });
    }
    /// Import one usage counter: the larger of the stored and the imported count of the same period
    /// wins (never an add: importing twice changes nothing); a later period replaces an earlier one.
    result<void> import_usage(const policy::usage_record& u) {
        return db_.write("importing budget usage", [&](auto& s) -> result<void> {
            ZEROG_TRY(auto ignored, s.query("INSERT INTO zerog_usage (usr, kind, period, used) VALUES ($1, $2, $3, $4) ON CONFLICT (usr, kind) DO NOTHING",
                                            {u.user, u.kind, u.period, u.used.to_decimal()}));
            (void)ignored;
            ZEROG_TRY(auto rows, s.query(detail::with_lock("SELECT period, used FROM zerog_usage WHERE usr = $1 AND kind = $2", Backend::row_locks), {u.user, u.kind}));
            if (rows.empty()) return fail(errc::internal, "the usage row vanished inside a transaction");
            ZEROG_TRY(const std::int64_t period, detail::int_column(rows.front(), 0, "zerog_usage.period"));
            ZEROG_TRY(const uint256 used, detail::amount_column(rows.front(), 1, "zerog_usage.used"));
            if (u.period < period || (u.period == period && !(used < u.used))) return {};
            ZEROG_TRY(auto done, s.query("UPDATE zerog_usage SET period = $3, used = $4 WHERE usr = $1 AND kind = $2", {u.user, u.kind, u.period, u.used.to_decimal()}));
            (void)done;
            return {};
        });
    }

    // ---- transactions (the tx sender's idempotency records) ----------------------------------

    result<void> put_tx(const policy::tx_record& r) {
        return db_.write("recording transaction hashes", [&](auto& s) -> result<void> {
            ZEROG_TRY(auto found, find_tx_in(s, r.key, Backend::row_locks));
            const policy::tx_record merged = found ? policy::merge_tx_records(std::move(*found), r) : r;
            ZEROG_TRY(auto ignored, s.query(detail::upsert_tx_sql(), detail::tx_params(merged)));
            (void)ignored;
            return {};
        });
    }

    result<std::optional<policy::tx_record>> find_tx(const std::string& key) {
        return db_.read("reading transaction hashes", [&](auto& s) { return find_tx_in(s, key); });
    }

    // ---- compute spend and budget usage ------------------------------------------------------

    result<void> add_spend(std::string_view account, std::string_view provider, const uint256& amount) {
        return db_.write("adding compute spend", [&](auto& s) -> result<void> {
            const std::string a(account), p(provider);
            ZEROG_TRY(auto ignored, s.query("INSERT INTO zerog_spend (account, provider, amount) VALUES ($1, $2, '0') ON CONFLICT (account, provider) DO NOTHING", {a, p}));
            (void)ignored;
            ZEROG_TRY(auto rows, s.query(detail::with_lock("SELECT amount FROM zerog_spend WHERE account = $1 AND provider = $2", Backend::row_locks), {a, p}));
            if (rows.empty()) return fail(errc::internal, "the spend row vanished inside a transaction");
            ZEROG_TRY(const uint256 old, detail::amount_column(rows.front(), 0, "zerog_spend.amount"));
            auto sum = checked_add(old, amount);
            if (!sum) return fail(std::move(sum).error().during("adding compute spend of " + a + " with provider " + p));
            ZEROG_TRY(auto done, s.query("UPDATE zerog_spend SET amount = $3 WHERE account = $1 AND provider = $2", {a, p, sum->to_decimal()}));
            (void)done;
            return {};
        });
    }

    result<uint256> spend(std::string_view account, std::string_view provider) {
        return db_.read("reading compute spend", [&](auto& s) -> result<uint256> {
            ZEROG_TRY(auto rows, s.query("SELECT amount FROM zerog_spend WHERE account = $1 AND provider = $2", {std::string(account), std::string(provider)}));
            if (rows.empty()) return uint256{};
            return detail::amount_column(rows.front(), 0, "zerog_spend.amount");
        });
    }

    result<void> add_usage(std::string_view user, std::string_view kind, std::int64_t period, const uint256& amount) {
        return db_.write("adding budget usage", [&](auto& s) -> result<void> {
            const std::string u(user), k(kind);
            ZEROG_TRY(auto ignored, s.query("INSERT INTO zerog_usage (usr, kind, period, used) VALUES ($1, $2, $3, '0') ON CONFLICT (usr, kind) DO NOTHING", {u, k, period}));
            (void)ignored;
            ZEROG_TRY(auto rows, s.query(detail::with_lock("SELECT period, used FROM zerog_usage WHERE usr = $1 AND kind = $2", Backend::row_locks), {u, k}));
            if (rows.empty()) return fail(errc::internal, "the usage row vanished inside a transaction");
            ZEROG_TRY(const std::int64_t stored_period, detail::int_column(rows.front(), 0, "zerog_usage.period"));
            ZEROG_TRY(const uint256 old, detail::amount_column(rows.front(), 1, "zerog_usage.used"));
            uint256 next = amount;  // a counter of another period is replaced: the new period starts at `amount`
            if (stored_period == period) {
                auto sum = checked_add(old, amount);
                if (!sum) return fail(std::move(sum).error().during("adding budget usage of user \"" + u + "\" (" + k + ")"));
                next = *sum;
            }
            ZEROG_TRY(auto done, s.query("UPDATE zerog_usage SET period = $3, used = $4 WHERE usr = $1 AND kind = $2", {u, k, period, next.to_decimal()}));
            (void)done;
            return {};
        });
    }

    result<std::vector<policy::usage_record>> load_usage(std::string_view user) {
        return db_.read("loading budget usage", [&](auto& s) -> result<std::vector<policy::usage_record>> {
            ZEROG_TRY(auto rows, s.query("SELECT kind, period, used FROM zerog_usage WHERE usr = $1 ORDER BY kind", {std::string(user)}));
            std::vector<policy::usage_record> out;
            for (const auto& row : rows) {
                policy::usage_record u;
                u.user = std::string(user);
                u.kind = row[0].value_or("");
                ZEROG_TRY(u.period, detail::int_column(row, 1, "zerog_usage.period"));
                ZEROG_TRY(u.used, detail::amount_column(row, 2, "zerog_usage.used"));
                out.push_back(std::move(u));
            }
            return out;
        });
    }

    // ---- the KV namespace registry (policy::NamespaceStore; table zerog_namespaces) ------------

    /// Both uniqueness checks run inside the write transaction, so the error names the entry that
    /// is in the way. SQLite: BEGIN IMMEDIATE serialises writers. PostgreSQL: two adds of one new
    /// key racing past the checks collide on the primary key or the UNIQUE (network, stream)
    /// constraint (SQLSTATE 23505); the backend runs the transaction again, and the checks then
    /// see the winner's row.
    result<void> add_namespace(const policy::namespace_record& r) {
        return db_.write("registering the namespace \"" + r.name + "\"", [&](auto& s) -> result<void> {
            ZEROG_TRY(auto by_name, s.query(detail::select_namespaces_sql("name = $2"), {r.network, r.name}));
            if (!by_name.empty()) return fail(policy::namespace_name_taken(r));
            ZEROG_TRY(auto by_stream, s.query(detail::select_namespaces_sql("stream = $2"), {r.network, to_hex(r.stream)}));
            if (!by_stream.empty()) {
                ZEROG_TRY(const policy::namespace_record other, detail::namespace_from_row(by_stream.front()));
                return fail(policy::namespace_stream_taken(r, other.name));
            }
            ZEROG_TRY(auto ignored, s.query(detail::insert_namespace_sql(), detail::namespace_params(r)));
            (void)ignored;
            return {};
        });
    }

    /// Replaces role, admin, account, metadata_json and updated_at (never the stream or created_at).
    result<void> update_namespace(const policy::namespace_record& r) {
        return db_.write("updating the namespace \"" + r.name + "\"", [&](auto& s) -> result<void> {
            ZEROG_TRY(auto rows, s.query("UPDATE zerog_namespaces SET role = $3, admin = $4, account = $5, metadata_json = $6, updated_s = $7 "
                                         "WHERE network = $1 AND name = $2 RETURNING name",
                                         {r.network, r.name, r.role, r.admin, r.account, r.metadata_json, r.updated_at}));
            if (rows.empty()) return fail(policy::namespace_missing(r.network, r.name));
            return {};
        });
    }

    result<std::optional<policy::namespace_record>> find_namespace(std::string_view network, std::string_view name) {
        return db_.read("reading the namespace \"" + std::string(name) + "\"", [&](auto& s) {
            return one_namespace(s, detail::select_namespaces_sql("name = $2"), {std::string(network), std::string(name)});
        });
    }

    result<std::optional<policy::namespace_record>> find_namespace_by_stream(std::string_view network, const hash256& stream) {
        return db_.read("reading the namespace of stream " + to_hex(stream), [&](auto& s) {
            return one_namespace(s, detail::select_namespaces_sql("stream = $2"), {std::string(network), to_hex(stream)});
        });
    }

    /// One network's entries by name (byte order: BINARY in SQLite, COLLATE "C" in PostgreSQL).
    result<std::vector<policy::namespace_record>> list_namespaces(std::string_view network) {
        return db_.read("listing namespaces", [&](auto& s) -> result<std::vector<policy::namespace_record>> {
            ZEROG_TRY(auto rows, s.query(detail::select_namespaces_sql(""), {std::string(network)}));
            std::vector<policy::namespace_record> out;
            out.reserve(rows.size());
            for (const auto& row : rows) {
                ZEROG_TRY(auto rec, detail::namespace_from_row(row));
                out.push_back(std::move(rec));
            }
            return out;
        });
    }

    /// Forgets the local entry only (the namespace on the network is untouched).
    result<bool> remove_namespace(std::string_view network, std::string_view name) {
        return db_.write("removing the namespace \"" + std::string(name) + "\"", [&](auto& s) -> result<bool> {
            ZEROG_TRY(auto rows, s.query("DELETE FROM zerog_namespaces WHERE network = $1 AND name = $2 RETURNING name",
                                         {std::string(network), std::string(name)}));
            return !rows.empty();
        });
    }

    // ---- API keys of a service built on zerog (table zerog_api_keys; policy::api_key_record) ----

    /// Store a new key's record. The id and the hash are unique (a collision of 64 random bits is
    /// refused, never merged).
    result<void> add_api_key(const policy::api_key_record& r) {
        return db_.write("storing API key " + r.id, [&](auto& s) -> result<void> {
            ZEROG_TRY(auto taken, s.query("SELECT id FROM zerog_api_keys WHERE id = $1 OR key_hash = $2", {r.id, r.key_hash}));
            if (!taken.empty()) return fail(errc::already_exists, "an API key with id " + r.id + " (or the same hash) already exists");
            ZEROG_TRY(auto ignored, s.query("INSERT INTO zerog_api_keys (" + std::string(detail::api_key_columns) + ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
                                            detail::api_key_params(r)));
            (void)ignored;
            return {};
        });
    }

    result<std::optional<policy::api_key_record>> find_api_key(std::string_view id) {
        return db_.read("reading API key " + std::string(id), [&](auto& s) -> result<std::optional<policy::api_key_record>> {
            ZEROG_TRY(auto rows, s.query(detail::select_api_keys_sql("id = $1"), {std::string(id)}));
            if (rows.empty()) return std::optional<policy::api_key_record>{};
            ZEROG_TRY(auto rec, detail::api_key_from_row(rows.front()));
            return std::optional<policy::api_key_record>{std::move(rec)};
        });
    }

    /// The keys of `user` (every user's when empty), oldest first; revoked and expired ones included.
    result<std::vector<policy::api_key_record>> list_api_keys(std::string_view user) {
        return db_.read("listing API keys", [&](auto& s) -> result<std::vector<policy::api_key_record>> {
            ZEROG_TRY(auto rows, user.empty() ? s.query(detail::select_api_keys_sql(""), {})
                                              : s.query(detail::select_api_keys_sql("usr = $1"), {std::string(user)}));
            std::vector<policy::api_key_record> out;
            out.reserve(rows.size());
            for (const auto& row : rows) {
                ZEROG_TRY(auto rec, detail::api_key_from_row(row));
                out.push_back(std::move(rec));
            }
            return out;
        });
    }

    /// Mark key `id` revoked at `now_s` (a key already revoked keeps its first time). The record
    /// after, or nullopt when there is no such key.
    result<std::optional<policy::api_key_record>> revoke_api_key(std::string_view id, std::int64_t now_s) {
        return db_.write("revoking API key " + std::string(id), [&](auto& s) -> result<std::optional<policy::api_key_record>> {
            ZEROG_TRY(auto ignored, s.query("UPDATE zerog_api_keys SET revoked_s = $2 WHERE id = $1 AND revoked_s = 0 RETURNING id",
                                            {std::string(id), now_s}));
            (void)ignored;
            ZEROG_TRY(auto rows, s.query(detail::select_api_keys_sql("id = $1"), {std::string(id)}));
            if (rows.empty()) return std::optional<policy::api_key_record>{};
            ZEROG_TRY(auto rec, detail::api_key_from_row(rows.front()));
            return std::optional<policy::api_key_record>{std::move(rec)};
        });
    }

private:
    template <class Session>
    static result<std::optional<policy::namespace_record>> one_namespace(Session& s, const std::string& sql, const std::vector<sql_value>& params) {
        ZEROG_TRY(auto rows, s.query(sql, params));
        if (rows.empty()) return std::optional<policy::namespace_record>{};
        ZEROG_TRY(auto rec, detail::namespace_from_row(rows.front()));
        return std::optional<policy::namespace_record>{std::move(rec)};
    }

    template <class Session>
    static result<std::optional<policy::tx_record>> find_tx_in(Session& s, const std::string& key, bool lock = false) {
        ZEROG_TRY(auto rows, s.query(detail::with_lock("SELECT tx_key, nonce, hashes, last_raw, mined FROM zerog_transactions WHERE tx_key = $1", lock), {key}));
        if (rows.empty()) return std::optional<policy::tx_record>{};
        ZEROG_TRY(auto rec, detail::tx_from_row(rows.front()));
        return std::optional<policy::tx_record>{std::move(rec)};
    }

    Backend db_;
};

}  // namespace zerog::store
