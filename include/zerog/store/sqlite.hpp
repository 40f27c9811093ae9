// store::sqlite_persistence: the default durable Persistence model, one SQLite file (the C API of
// Debian's libsqlite3; link with -lsqlite3).
//
// Why these settings:
//   * WAL journal: readers never block the writer, and several processes can share one file.
//   * synchronous=FULL: a commit is on disk when it returns. The intent of a payment is committed
//     before the transaction is signed; with NORMAL a power cut could lose it and pay twice.
//   * busy timeout (default 10 s): another process's write transaction is waited for, not failed.
//   * `BEGIN IMMEDIATE` for every read-modify-write: the write lock is taken first, so two
//     processes claiming one root are serialised and exactly one wins (no upgrade deadlock).
//   * The file is created 0600 (it names local paths); its directory 0700.
// One connection per object, guarded by a mutex (calls are short); each process opens its own.
// Errors name the file and what was being done, never anything secret (nothing secret is stored).
#pragma once

#include <zerog/store/schema.hpp>
#include <zerog/store/sql_persistence.hpp>

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

namespace zerog::store {

struct sqlite_options {
    std::chrono::milliseconds busy_timeout{10000};
    /// Cap on the file size in bytes (0: none). Writes beyond it fail with "database or disk is
    /// full", exactly as a full disk does; also how the tests simulate one.
    std::uint64_t max_bytes = 0;
};

class sqlite_backend {
public:
    static constexpr bool row_locks = false;  // BEGIN IMMEDIATE locks the database
    static constexpr std::string_view name = "SQLite";

private:
    struct state;

public:
    /// What a transaction body sees: `query(sql, params)` on this connection.
    class session {
    public:
        result<std::vector<sql_row>> query(std::string_view sql, const std::vector<sql_value>& params);

    private:
        friend class sqlite_backend;
        explicit session(state* st) : st_(st) {}
        state* st_;
    };

    /// Open (creating when missing) and migrate. Refuses a newer schema and a foreign database.
    static result<sqlite_backend> open(const std::filesystem::path& path, const sqlite_options& o = {}) {
        sqlite_backend b;
        b.s_ = std::make_unique<state>();
        b.s_->path = path.string();
        ZEROG_CHECK(b.s_->open(o));
        return b;
    }

    const std::string& path() const noexcept { return s_->path; }

    template <class F>
    auto write(const std::string& what, F&& f) -> decltype(f(std::declval<session&>())) {
        std::lock_guard lk(s_->mu);
        session s(s_.get());
        if (auto b = s_->exec("BEGIN IMMEDIATE"); !b) return fail(s_->context(std::move(b).error(), what));
        auto out = f(s);
        if (!out) {
            (void)s_->exec("ROLLBACK");
            return fail(s_->context(std::move(out).error(), what));
        }
        if (auto c = s_->exec("COMMIT"); !c) {
            (void)s_->exec("ROLLBACK");
            return fail(s_->context(std::move(c).error(), what));
        }
        return out;
    }

    template <class F>
    auto read(const std::string& what, F&& f) -> decltype(f(std::declval<session&>())) {
        std::lock_guard lk(s_->mu);
        session s(s_.get());
        auto out = f(s);
        if (!out) return fail(s_->context(std::move(out).error(), what));
        return out;
    }

    /// Online backup to `dest` (SQLite's backup API: consistent while other processes write).
    result<void> backup_to(const std::filesystem::path& dest) {
        std::lock_guard lk(s_->mu);
        sqlite3* out = nullptr;
        const std::string d = dest.string();
        int rc = sqlite3_open_v2(d.c_str(), &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
        std::unique_ptr<sqlite3, int (*)(sqlite3*)> guard(out, sqlite3_close);
        if (rc != SQLITE_OK) return zerog::error(errc::io_error, "cannot create the backup file: " + std::string(out ? sqlite3_errmsg(out) : sqlite3_errstr(rc))).with("backup", d);
        sqlite3_backup* bk = sqlite3_backup_init(out, "main", s_->db, "main");
        if (!bk) return zerog::error(errc::io_error, "cannot start the backup: " + std::string(sqlite3_errmsg(out))).with("backup", d);
        rc = sqlite3_backup_step(bk, -1);
        sqlite3_backup_finish(bk);
        if (rc != SQLITE_DONE) return zerog::error(errc::io_error, "backup failed: " + std::string(sqlite3_errstr(rc))).with("backup", d);
        return {};
    }

private:
    struct state {
        std::mutex mu;
        std::string path;
        sqlite3* db = nullptr;
        std::map<std::string, sqlite3_stmt*, std::less<>> stmts;  // prepared once per statement text

        ~state() {
            for (auto& [k, st] : stmts) sqlite3_finalize(st);
            if (db) sqlite3_close(db);
        }

        zerog::error context(zerog::error e, const std::string& what) const { return std::move(e.during(what)); }

        zerog::error sqlite_error(int rc, std::string_view doing) const {
            const std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
            const int primary = rc & 0xff;
            errc code = errc::io_error;
            if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) code = errc::timeout;
            if (primary == SQLITE_CONSTRAINT) code = errc::state_conflict;
                        std::string detail = "SQLite says: " + msg;
            if (primary == SQLITE_BUSY) detail += " (another process held the database longer than the busy timeout)";
            if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
                detail += " (the file is damaged or not a zerog database; restore it from a backup, or rebuild it from the chain: zerog db rebuild --from-chain)";
            return zerog::error(code, std::move(detail)).during(std::string(doing)).with("database", path);
        }

        result<void> exec(const char* sql) {
            char* err = nullptr;
            const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
            if (err) sqlite3_free(err);
            if (rc != SQLITE_OK) return sqlite_error(rc, sql);
            return {};
        }

        result<sqlite3_stmt*> prepare(std::string_view sql) {
            if (auto it = stmts.find(sql); it != stmts.end()) return it->second;
            std::string text(sql);
            for (auto& c : text)
                if (c == '$') c = '?';  // $1 -> ?1: the same statements serve PostgreSQL
            sqlite3_stmt* st = nullptr;
            const int rc = sqlite3_prepare_v3(db, text.c_str(), static_cast<int>(text.size()), SQLITE_PREPARE_PERSISTENT, &st, nullptr);
            if (rc != SQLITE_OK) return sqlite_error(rc, "preparing a statement");
            stmts.emplace(std::string(sql), st);
            return st;
        }

        result<std::vector<sql_row>> query(std::string_view sql, const std::vector<sql_value>& params) {
            ZEROG_TRY(sqlite3_stmt* st, prepare(sql));
            struct reset_guard {
                sqlite3_stmt* s;
                ~reset_guard() { sqlite3_reset(s); sqlite3_clear_bindings(s); }
            } guard{st};
            for (std::size_t i = 0; i < params.size(); ++i) {
                const int idx = static_cast<int>(i + 1);
                int rc = SQLITE_OK;
                if (std::holds_alternative<std::nullptr_t>(params[i])) rc = sqlite3_bind_null(st, idx);
                else if (auto* n = std::get_if<std::int64_t>(&params[i])) rc = sqlite3_bind_int64(st, idx, *n);
                else {
                    const auto& t = std::get<std::string>(params[i]);
                    rc = sqlite3_bind_text(st, idx, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
                }
                if (rc != SQLITE_OK) return sqlite_error(rc, "binding a parameter");
            }
            std::vector<sql_row> rows;
            for (;;) {
                const int rc = sqlite3_step(st);
                if (rc == SQLITE_DONE) break;
                if (rc != SQLITE_ROW) return sqlite_error(rc, "running a statement");
                sql_row row;
                const int n = sqlite3_column_count(st);
                row.reserve(static_cast<std::size_t>(n));
                for (int c = 0; c < n; ++c) {
                    if (sqlite3_column_type(st, c) == SQLITE_NULL) {
                        row.emplace_back(std::nullopt);
                        continue;
                    }
                    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
                    row.emplace_back(std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(st, c))));
                }
                rows.push_back(std::move(row));
            }
            return rows;
        }

        result<void> open(const sqlite_options& o) {
            std::error_code ec;
            const std::filesystem::path p(path);
            if (p.has_parent_path() && !std::filesystem::exists(p.parent_path(), ec)) {
                std::filesystem::create_directories(p.parent_path(), ec);
                if (ec) return zerog::error(errc::io_error, "cannot create the database directory: " + ec.message()).with("directory", p.parent_path().string());
                std::filesystem::permissions(p.parent_path(), std::filesystem::perms::owner_all, ec);
            }
            if (!std::filesystem::exists(p, ec)) {
                // Create it 0600 ourselves: SQLite would use 0644, and the rows name local files.
                const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                if (fd < 0 && errno != EEXIST)
                    return zerog::error(errc::io_error, "cannot create the database file: " + std::system_category().message(errno)).with("database", path);
                if (fd >= 0) ::close(fd);
            }
            int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
            if (rc != SQLITE_OK) return sqlite_error(rc, "opening the zerog database");
            sqlite3_extended_result_codes(db, 1);
            sqlite3_busy_timeout(db, static_cast<int>(o.busy_timeout.count()));
            // Switching a new file to WAL takes an exclusive lock for which SQLite does not always
            // call the busy handler: two processes opening one new database at once can get
            // SQLITE_BUSY at once. Every step is idempotent (the migration rolls back on failure),
            // so a busy answer is retried here, bounded by the busy timeout.
            const auto give_up = std::chrono::steady_clock::now() + o.busy_timeout;
            for (int attempt = 0;; ++attempt) {
                auto r = prepare_and_migrate(o);
                if (r || r.error().code() != errc::timeout || std::chrono::steady_clock::now() >= give_up) return r;
                std::this_thread::sleep_for(std::chrono::milliseconds(std::min(5 << std::min(attempt, 5), 100)));
            }
        }

        result<void> prepare_and_migrate(const sqlite_options& o) {
            // The first read of the schema is where a damaged or foreign file shows itself.
            ZEROG_TRY(auto tables, query("SELECT name FROM sqlite_master WHERE type = 'table'", {}));
            bool has_meta = false;
            for (const auto& t : tables) has_meta = has_meta || (t[0] && *t[0] == "zerog_meta");
            if (!tables.empty() && !has_meta)
                return zerog::error(errc::state_conflict, "the file is an SQLite database of something else (it has tables but no zerog_meta); it was left unchanged").with("database", path);
            if (has_meta) {  // refuse a newer layout before anything (even the journal mode) is changed
                ZEROG_TRY(auto v, query("SELECT value FROM zerog_meta WHERE key = 'schema_version'", {}));
                if (!v.empty()) {
                    ZEROG_TRY(const std::int64_t n, detail::int_column(v.front(), 0, "zerog_meta.schema_version"));
                    if (n > schema_version) return fail(newer_schema_error(static_cast<int>(n), path));
                }
            }
            ZEROG_TRY(auto mode, query("PRAGMA journal_mode = WAL", {}));
            if (mode.empty() || !mode.front()[0] || *mode.front()[0] != "wal")
                return zerog::error(errc::io_error, "cannot switch the database to WAL mode (a read-only or network file system?)").with("database", path);
            ZEROG_CHECK(exec("PRAGMA synchronous = FULL"));
            if (o.max_bytes) {
                ZEROG_TRY(auto ps, query("PRAGMA page_size", {}));
                const std::uint64_t page = ps.empty() || !ps.front()[0] ? 4096 : std::stoull(*ps.front()[0]);
                ZEROG_TRY(auto ignored, query("PRAGMA max_page_count = " + std::to_string(std::max<std::uint64_t>(1, o.max_bytes / page)), {}));
                (void)ignored;
            }
            return migrate();
        }

        result<void> migrate() {
            ZEROG_CHECK(exec("BEGIN IMMEDIATE"));
            auto r = [&]() -> result<void> {
                ZEROG_CHECK(exec("CREATE TABLE IF NOT EXISTS zerog_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"));
                ZEROG_TRY(auto v, query("SELECT value FROM zerog_meta WHERE key = 'schema_version'", {}));
                int version = 0;
                if (!v.empty()) {
                    ZEROG_TRY(const std::int64_t n, detail::int_column(v.front(), 0, "zerog_meta.schema_version"));
                    version = static_cast<int>(n);
                }
                if (version > schema_version) return fail(newer_schema_error(version, path));
                const auto& steps = migrations(dialect::sqlite);
                for (int next = version + 1; next <= schema_version; ++next)
                    ZEROG_CHECK(exec(steps[static_cast<std::size_t>(next - 1)].c_str()));
                if (version != schema_version) {
                    ZEROG_TRY(auto ignored, query("INSERT INTO zerog_meta (key, value) VALUES ('schema_version', $1) "
                                                  "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                                  {std::to_string(schema_version)}));
                    (void)ignored;
                }
                return {};
            }();
            if (!r) {
                (void)exec("ROLLBACK");
                return fail(std::move(r).error().during("applying the schema migrations"));
            }
            return exec("COMMIT");
        }
    };

private:
    std::unique_ptr<state> s_;
};

inline result<std::vector<sql_row>> sqlite_backend::session::query(std::string_view sql, const std::vector<sql_value>& params) {
    return st_->query(sql, params);
}

using sqlite_persistence = sql_persistence<sqlite_backend>;

/// Open (or create) the SQLite database at `path`.
inline result<sqlite_persistence> open_sqlite(const std::filesystem::path& path, const sqlite_options& o = {}) {
    auto b = sqlite_backend::open(path, o);
    if (!b) return fail(std::move(b).error().during("opening the zerog database"));
    return sqlite_persistence(std::move(*b));
}

static_assert(policy::Persistence<sqlite_persistence>);
static_assert(policy::NamespaceStore<sqlite_persistence>);

}  // namespace zerog::store
