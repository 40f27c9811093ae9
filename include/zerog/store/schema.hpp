// The zerog database schema (SQLite and PostgreSQL), its versioned migrations, and the mapping
// between records and rows. One file so the two dialects are read side by side.
//
// Versioning: table `zerog_meta` holds `schema_version`. Opening applies every migration above the
// stored version, in one transaction. A database whose version is newer than `schema_version` is
// refused with a clear error and never altered (an older zerog must not write a newer layout).
//
// Columns are portable on purpose: hashes, addresses and amounts are text (lower-case 0x-hex,
// decimal), times are Unix milliseconds (`*_ms`; the namespace registry's are seconds, `*_s`, as in
// its record), states are their names, so `sqlite3 zerog.db` or `psql` show readable rows and an
// export is the rows as they are.
//
// Versions: 1 submissions, transactions, spend, usage; 2 adds zerog_namespaces (the KV namespace
// registry, policy::NamespaceStore); 3 adds zerog_api_keys (a service's API keys, hashed).
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/core/result.hpp>
#include <zerog/policy/persistence.hpp>

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace zerog::store {

/// The layout version this zerog writes and understands.
inline constexpr int schema_version = 3;

/// A statement parameter: NULL, an integer, or text.
using sql_value = std::variant<std::nullptr_t, std::int64_t, std::string>;
/// One result row: each column as text, or nullopt for NULL.
using sql_row = std::vector<std::optional<std::string>>;

enum class dialect { sqlite, postgresql };

/// Migration N takes a database from version N-1 to N. Index 0 is version 1.
inline const std::vector<std::string>& migrations(dialect d) {
    // Version 1. Text columns in PostgreSQL use COLLATE "C" so ordering by a hash is the byte order
    // whatever the database's locale.
    static const std::vector<std::string> sqlite = {R"sql(
CREATE TABLE zerog_submissions (
  root TEXT NOT NULL, network TEXT NOT NULL, account TEXT NOT NULL DEFAULT '', tx_hash TEXT NOT NULL DEFAULT '',
  tx_seq INTEGER, size INTEGER NOT NULL, fee TEXT NOT NULL, status TEXT NOT NULL,
  file_name TEXT NOT NULL DEFAULT '', local_path TEXT NOT NULL DEFAULT '', replicas INTEGER NOT NULL DEFAULT 0,
  name_space TEXT NOT NULL DEFAULT '', owner TEXT NOT NULL DEFAULT '', last_error TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (root, network));
CREATE INDEX zerog_submissions_by_created ON zerog_submissions (created_ms);
CREATE TABLE zerog_transactions (
  tx_key TEXT PRIMARY KEY, nonce INTEGER NOT NULL, hashes TEXT NOT NULL, last_raw TEXT NOT NULL, mined TEXT);
CREATE TABLE zerog_spend (account TEXT NOT NULL, provider TEXT NOT NULL, amount TEXT NOT NULL, PRIMARY KEY (account, provider));
CREATE TABLE zerog_usage (usr TEXT NOT NULL, kind TEXT NOT NULL, period INTEGER NOT NULL, used TEXT NOT NULL, PRIMARY KEY (usr, kind));
)sql",
        // Version 2: the KV namespace registry (policy::NamespaceStore).
        R"sql(
CREATE TABLE zerog_namespaces (
  network TEXT NOT NULL, name TEXT NOT NULL, stream TEXT NOT NULL, role TEXT NOT NULL,
  admin TEXT NOT NULL DEFAULT '', account TEXT NOT NULL DEFAULT '', metadata_json TEXT NOT NULL DEFAULT '',
  created_s INTEGER NOT NULL, updated_s INTEGER NOT NULL,
  PRIMARY KEY (network, name), UNIQUE (network, stream));
)sql",
        // Version 3: API keys of a service built on zerog (policy::api_key_record; never the key).
        R"sql(
CREATE TABLE zerog_api_keys (
  id TEXT PRIMARY KEY, usr TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE, scopes TEXT NOT NULL,
  created_s INTEGER NOT NULL, expires_s INTEGER NOT NULL DEFAULT 0, revoked_s INTEGER NOT NULL DEFAULT 0);
CREATE INDEX zerog_api_keys_by_user ON zerog_api_keys (usr);
)sql"};
    static const std::vector<std::string> postgresql = {R"sql(
CREATE TABLE zerog_submissions (
  root TEXT COLLATE "C" NOT NULL, network TEXT COLLATE "C" NOT NULL, account TEXT NOT NULL DEFAULT '', tx_hash TEXT NOT NULL DEFAULT '',
  tx_seq BIGINT, size BIGINT NOT NULL, fee NUMERIC(78,0) NOT NULL, status TEXT NOT NULL,
  file_name TEXT NOT NULL DEFAULT '', local_path TEXT NOT NULL DEFAULT '', replicas INTEGER NOT NULL DEFAULT 0,
  name_space TEXT NOT NULL DEFAULT '', owner TEXT NOT NULL DEFAULT '', last_error TEXT NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL, expires_ms BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (root, network));
CREATE INDEX zerog_submissions_by_created ON zerog_submissions (created_ms);
CREATE TABLE zerog_transactions (
  tx_key TEXT COLLATE "C" PRIMARY KEY, nonce BIGINT NOT NULL, hashes TEXT NOT NULL, last_raw TEXT NOT NULL, mined TEXT);
CREATE TABLE zerog_spend (account TEXT COLLATE "C" NOT NULL, provider TEXT COLLATE "C" NOT NULL, amount NUMERIC(78,0) NOT NULL, PRIMARY KEY (account, provider));
CREATE TABLE zerog_usage (usr TEXT COLLATE "C" NOT NULL, kind TEXT COLLATE "C" NOT NULL, period BIGINT NOT NULL, used NUMERIC(78,0) NOT NULL, PRIMARY KEY (usr, kind));
)sql",
        // Version 2: the KV namespace registry (policy::NamespaceStore).
        R"sql(
CREATE TABLE zerog_namespaces (
  network TEXT COLLATE "C" NOT NULL, name TEXT COLLATE "C" NOT NULL, stream TEXT COLLATE "C" NOT NULL, role TEXT NOT NULL,
  admin TEXT NOT NULL DEFAULT '', account TEXT NOT NULL DEFAULT '', metadata_json TEXT NOT NULL DEFAULT '',
  created_s BIGINT NOT NULL, updated_s BIGINT NOT NULL,
  PRIMARY KEY (network, name), UNIQUE (network, stream));
)sql",
        // Version 3: API keys of a service built on zerog (policy::api_key_record; never the key).
        R"sql(
CREATE TABLE zerog_api_keys (
  id TEXT COLLATE "C" PRIMARY KEY, usr TEXT COLLATE "C" NOT NULL, key_hash TEXT COLLATE "C" NOT NULL UNIQUE, scopes TEXT NOT NULL,
  created_s BIGINT NOT NULL, expires_s BIGINT NOT NULL DEFAULT 0, revoked_s BIGINT NOT NULL DEFAULT 0);
CREATE INDEX zerog_api_keys_by_user ON zerog_api_keys (usr);
)sql"};
    return d == dialect::sqlite ? sqlite : postgresql;
}

/// The error for a database written by a newer zerog (never altered).
inline zerog::error newer_schema_error(int found, std::string_view where) {
    return zerog::error(errc::not_supported, "the database has schema version " + std::to_string(found) + ", newer than this zerog understands (" +
                                                 std::to_string(schema_version) + "); it was left unchanged: use the newer zerog, or another database")
        .with("database", std::string(where));
}

namespace detail {

inline std::string with_lock(std::string sql, bool lock) { return lock ? sql + " FOR UPDATE" : sql; }

inline constexpr std::string_view submission_columns =
    "root, network, account, tx_hash, tx_seq, size, fee, status, file_name, local_path, replicas, name_space, owner, last_error, "
    "created_ms, updated_ms, expires_ms";

inline std::string insert_submission_sql(bool do_nothing) {
    std::string s = "INSERT INTO zerog_submissions (" + std::string(submission_columns) +
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";
    if (do_nothing) s += " ON CONFLICT (root, network) DO NOTHING RETURNING root";
    return s;
}

/// Upsert by (root, network); the creation time of an existing row is kept.
inline std::string upsert_submission_sql() {
    return insert_submission_sql(false) +
           " ON CONFLICT (root, network) DO UPDATE SET account = excluded.account, tx_hash = excluded.tx_hash, tx_seq = excluded.tx_seq, "
           "size = excluded.size, fee = excluded.fee, status = excluded.status, file_name = excluded.file_name, local_path = excluded.local_path, "
           "replicas = excluded.replicas, name_space = excluded.name_space, owner = excluded.owner, last_error = excluded.last_error, "
           "updated_ms = excluded.updated_ms, expires_ms = excluded.expires_ms";
}

inline std::string select_submission_sql(bool lock) {
    return with_lock("SELECT " + std::string(submission_columns) + " FROM zerog_submissions WHERE root = $1 AND network = $2", lock);
}

inline std::string list_submissions_sql() {
    return "SELECT " + std::string(submission_columns) +
           " FROM zerog_submissions WHERE ($1 = '' OR status = $1) AND created_ms >= $2 AND ($3 = '' OR network = $3)"
           " AND ($5 = '' OR root = $5) ORDER BY created_ms DESC, root ASC, network ASC LIMIT $4";
}

/// The tx sender key of a storage submission (client/storage_upload.hpp uses the same).
inline std::string storage_tx_key(const policy::submission_record& r) { return "zerog-storage:" + r.network + ":" + to_hex(r.root); }

inline std::string upsert_tx_sql() {
    return "INSERT INTO zerog_transactions (tx_key, nonce, hashes, last_raw, mined) VALUES ($1, $2, $3, $4, $5) "
           "ON CONFLICT (tx_key) DO UPDATE SET nonce = excluded.nonce, hashes = excluded.hashes, last_raw = excluded.last_raw, mined = excluded.mined";
}

inline result<std::int64_t> to_int64(std::uint64_t v, std::string_view what) {
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return fail(errc::overflow, std::string(what) + " " + std::to_string(v) + " does not fit a database integer");
    return static_cast<std::int64_t>(v);
}

inline result<std::vector<sql_value>> submission_params(const policy::submission_record& r) {
    ZEROG_TRY(const std::int64_t size, to_int64(r.size, "size"));
    sql_value seq = nullptr;
    if (r.tx_seq) {
        ZEROG_TRY(const std::int64_t s, to_int64(*r.tx_seq, "tx_seq"));
        seq = s;
    }
    return std::vector<sql_value>{to_hex(r.root), r.network, r.account, r.tx_hash, seq, size, r.fee.to_decimal(),
                                  std::string(policy::to_string(r.status)), r.file_name, r.local_path, static_cast<std::int64_t>(r.replicas),
                                  r.name_space, r.owner, r.last_error, r.created_unix_ms, r.updated_unix_ms, r.expires_unix_ms};
}

inline zerog::error bad_column(std::string_view column, std::string_view why) {
    return zerog::error(errc::parse_error, "the database holds an unreadable value in " + std::string(column) + ": " + std::string(why));
}

inline result<std::int64_t> int_column(const sql_row& row, std::size_t i, std::string_view column) {
    if (i >= row.size() || !row[i]) return bad_column(column, "missing");
    const std::string& s = *row[i];
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return bad_column(column, "not an integer");
    return v;
}

inline result<uint256> amount_column(const sql_row& row, std::size_t i, std::string_view column) {
    if (i >= row.size() || !row[i]) return bad_column(column, "missing");
    auto v = uint256::from_decimal(*row[i]);
    if (!v) return bad_column(column, "not a decimal amount of at most 256 bits");
    return *v;
}

inline result<policy::submission_record> submission_from_row(const sql_row& row) {
    if (row.size() != 17) return bad_column("zerog_submissions", "wrong column count");
    policy::submission_record r;
    auto text = [&](std::size_t i) { return row[i].value_or(std::string()); };
    auto root = from_hex_fixed<32>(text(0));
    if (!root) return bad_column("zerog_submissions.root", "not a 32-byte hex hash");
    r.root = *root;
    r.network = text(1);
    r.account = text(2);
    r.tx_hash = text(3);
    if (row[4]) {
        ZEROG_TRY(const std::int64_t seq, int_column(row, 4, "zerog_submissions.tx_seq"));
        if (seq < 0) return bad_column("zerog_submissions.tx_seq", "negative");
        r.tx_seq = static_cast<std::uint64_t>(seq);
    }
    ZEROG_TRY(const std::int64_t size, int_column(row, 5, "zerog_submissions.size"));
    if (size < 0) return bad_column("zerog_submissions.size", "negative");
    r.size = static_cast<std::uint64_t>(size);
    ZEROG_TRY(r.fee, amount_column(row, 6, "zerog_submissions.fee"));
    auto st = policy::submission_state_from(text(7));
    if (!st) return bad_column("zerog_submissions.status", "unknown state \"" + text(7) + "\"");
    r.status = *st;
    r.file_name = text(8);
    r.local_path = text(9);
    ZEROG_TRY(const std::int64_t replicas, int_column(row, 10, "zerog_submissions.replicas"));
    if (replicas < 0 || replicas > std::numeric_limits<std::uint32_t>::max()) return bad_column("zerog_submissions.replicas", "out of range");
    r.replicas = static_cast<std::uint32_t>(replicas);
    r.name_space = text(11);
    r.owner = text(12);
    r.last_error = text(13);
    ZEROG_TRY(r.created_unix_ms, int_column(row, 14, "zerog_submissions.created_ms"));
    ZEROG_TRY(r.updated_unix_ms, int_column(row, 15, "zerog_submissions.updated_ms"));
    ZEROG_TRY(r.expires_unix_ms, int_column(row, 16, "zerog_submissions.expires_ms"));
    return r;
}

inline std::vector<sql_value> tx_params(const policy::tx_record& r) {
    std::string hashes;
    for (const auto& h : r.hashes) {
        if (!hashes.empty()) hashes += ',';
        hashes += to_hex(h);
    }
    return {r.key, static_cast<std::int64_t>(r.nonce), hashes, to_hex(r.last_raw), r.mined ? sql_value(to_hex(*r.mined)) : sql_value(nullptr)};
}

inline result<policy::tx_record> tx_from_row(const sql_row& row) {
    if (row.size() != 5) return bad_column("zerog_transactions", "wrong column count");
    policy::tx_record r;
    r.key = row[0].value_or("");
    ZEROG_TRY(const std::int64_t nonce, int_column(row, 1, "zerog_transactions.nonce"));
    if (nonce < 0) return bad_column("zerog_transactions.nonce", "negative");
    r.nonce = static_cast<std::uint64_t>(nonce);
    std::string_view hashes = row[2] ? std::string_view(*row[2]) : std::string_view();
    while (!hashes.empty()) {
        const auto comma = hashes.find(',');
        auto h = from_hex_fixed<32>(hashes.substr(0, comma));
        if (!h) return bad_column("zerog_transactions.hashes", "not a list of 32-byte hex hashes");
        r.hashes.push_back(*h);
        hashes = comma == std::string_view::npos ? std::string_view() : hashes.substr(comma + 1);
    }
    auto raw = from_hex(row[3].value_or("0x"));
    if (!raw) return bad_column("zerog_transactions.last_raw", "not hex");
    r.last_raw = std::move(*raw);
    if (row[4]) {
        auto m = from_hex_fixed<32>(*row[4]);
        if (!m) return bad_column("zerog_transactions.mined", "not a 32-byte hex hash");
        r.mined = *m;
    }
    return r;
}

// ---- the namespace registry (zerog_namespaces, version 2) -------------------------------------

inline constexpr std::string_view namespace_columns = "network, name, stream, role, admin, account, metadata_json, created_s, updated_s";

/// The entries of one network matching `where` ($1 is the network, $2 the other key).
inline std::string select_namespaces_sql(std::string_view where) {
    return "SELECT " + std::string(namespace_columns) + " FROM zerog_namespaces WHERE network = $1" +
           (where.empty() ? std::string() : " AND " + std::string(where)) + " ORDER BY name";
}

inline std::string insert_namespace_sql() {
    return "INSERT INTO zerog_namespaces (" + std::string(namespace_columns) + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
}

inline std::vector<sql_value> namespace_params(const policy::namespace_record& r) {
    return {r.network, r.name, to_hex(r.stream), r.role, r.admin, r.account, r.metadata_json, r.created_at, r.updated_at};
}

inline result<policy::namespace_record> namespace_from_row(const sql_row& row) {
    if (row.size() != 9) return bad_column("zerog_namespaces", "wrong column count");
    policy::namespace_record r;
    auto text = [&](std::size_t i) { return row[i].value_or(std::string()); };
    r.network = text(0);
    r.name = text(1);
    auto stream = from_hex_fixed<32>(text(2));
    if (!stream) return bad_column("zerog_namespaces.stream", "not a 32-byte hex stream id");
    r.stream = *stream;
    r.role = text(3);
    r.admin = text(4);
    r.account = text(5);
    r.metadata_json = text(6);
    ZEROG_TRY(r.created_at, int_column(row, 7, "zerog_namespaces.created_s"));
    ZEROG_TRY(r.updated_at, int_column(row, 8, "zerog_namespaces.updated_s"));
    return r;
}

// ---- API keys (zerog_api_keys, version 3) ------------------------------------------------------

inline constexpr std::string_view api_key_columns = "id, usr, key_hash, scopes, created_s, expires_s, revoked_s";

inline std::string select_api_keys_sql(std::string_view where) {
    return "SELECT " + std::string(api_key_columns) + " FROM zerog_api_keys" + (where.empty() ? std::string() : " WHERE " + std::string(where)) +
           " ORDER BY created_s, id";
}

inline std::vector<sql_value> api_key_params(const policy::api_key_record& r) {
    return {r.id, r.user, r.key_hash, r.scopes, r.created_at, r.expires_at, r.revoked_at};
}

inline result<policy::api_key_record> api_key_from_row(const sql_row& row) {
    if (row.size() != 7) return bad_column("zerog_api_keys", "wrong column count");
    policy::api_key_record r;
    auto text = [&](std::size_t i) { return row[i].value_or(std::string()); };
    r.id = text(0);
    r.user = text(1);
    r.key_hash = text(2);
    r.scopes = text(3);
    ZEROG_TRY(r.created_at, int_column(row, 4, "zerog_api_keys.created_s"));
    ZEROG_TRY(r.expires_at, int_column(row, 5, "zerog_api_keys.expires_s"));
    ZEROG_TRY(r.revoked_at, int_column(row, 6, "zerog_api_keys.revoked_s"));
    return r;
}

}  // namespace detail
}  // namespace zerog::store
