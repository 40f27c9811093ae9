// store::postgres_persistence: the Persistence model for many instances on many machines, one
// PostgreSQL database (libpq from Debian's libpq-dev; link with -lpq).
//
// Why these choices:
//   * A bounded connection pool (default 4). A call waits at most `acquire_timeout` for a free
//     connection, then fails with a clear error; connections are opened lazily and a broken one is
//     dropped and replaced on the next call.
//   * libpq's blocking calls on the caller's thread. The clients never call a blocking model from
//     their event loop: `client/persist.hpp` runs each call on a small worker pool and resumes the
//     coroutine on its executor when it is done, so other work goes on (measured by
//     tests/store: a timer keeps firing while a call waits for a row lock held elsewhere).
//   * Every read-modify-write is one transaction holding the row (`SELECT … FOR UPDATE`);
//     serialization failures and deadlocks are retried (at most 3 times); everything else fails.
//   * Durability is the server's (synchronous_commit on by default): a commit that returned is on
//     the server's disk.
//   * `statement_timeout` (default 30 s) bounds every statement, including a wait for a lock.
//   * Migrations run under a transaction-scoped advisory lock, so instances starting together
//     apply each migration once.
// Errors name the server as `postgresql://user@host:port/db`: never the password or other
// parameters of the URL.
#pragma once

#include <zerog/store/schema.hpp>
#include <zerog/store/sql_persistence.hpp>

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace zerog::store {

struct postgres_options {
    std::size_t pool_size = 4;
    std::chrono::milliseconds acquire_timeout{10000};
    std::chrono::seconds connect_timeout{5};
    std::chrono::milliseconds statement_timeout{30000};
};

/// `postgresql://user:secret@host:5432/db?sslmode=…` → `postgresql://user@host:5432/db`.
inline std::string redact_postgres_url(std::string_view url) {
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) return "postgresql://(unparsed URL)";
    std::string_view rest = url.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("?#"));
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    const std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    std::string out(url.substr(0, scheme + 3));
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        std::string_view user = authority.substr(0, at);
        user = user.substr(0, user.find(':'));
        out += std::string(user) + "@";
        authority = authority.substr(at + 1);
    }
    return out + std::string(authority) + std::string(path);
}

class postgres_backend {
public:
    static constexpr bool row_locks = true;
    static constexpr std::string_view name = "PostgreSQL";

    static result<postgres_backend> open(std::string url, const postgres_options& o = {}) {
        postgres_backend b;
        b.s_ = std::make_shared<state>();
        b.s_->url = std::move(url);
        b.s_->where = redact_postgres_url(b.s_->url);
        b.s_->opts = o;
        if (b.s_->opts.pool_size == 0) b.s_->opts.pool_size = 1;
        ZEROG_CHECK(b.s_->migrate());
        return b;
    }

    const std::string& where() const noexcept { return s_->where; }

private:
    struct state;
    struct lease;

public:
    class session {
    public:
        result<std::vector<sql_row>> query(std::string_view sql, const std::vector<sql_value>& params);

    private:
        friend class postgres_backend;
        session(state* st, PGconn* c) : st_(st), c_(c) {}
        state* st_;
        PGconn* c_;
    };

    template <class F>
    auto write(const std::string& what, F&& f) -> decltype(f(std::declval<session&>())) {
        for (int attempt = 0;; ++attempt) {
            auto l = s_->acquire();
            if (!l) return fail(std::move(l).error().during(what));
            session s(s_.get(), l->conn);
            if (auto b = s.query("BEGIN", {}); !b) return fail(l->fail(std::move(b).error()).during(what));
            auto out = f(s);
            if (out) {
                auto c = s.query("COMMIT", {});
                if (c) return out;
                if (!retryable(c.error()) || attempt >= 2) return fail(l->fail(std::move(c).error()).during(what));
                continue;
            }
            (void)s.query("ROLLBACK", {});
            if (!retryable(out.error()) || attempt >= 2) return fail(l->fail(std::move(out).error()).during(what));
        }
    }

    template <class F>
    auto read(const std::string& what, F&& f) -> decltype(f(std::declval<session&>())) {
        auto l = s_->acquire();
        if (!l) return fail(std::move(l).error().during(what));
        session s(s_.get(), l->conn);
        auto out = f(s);
        if (!out) return fail(l->fail(std::move(out).error()).during(what));
        return out;
    }

    /// Connections open now (idle + in use); for tests and health checks.
    std::size_t open_connections() const {
        std::lock_guard lk(s_->mu);
        return s_->open;
    }

private:
    // SQLSTATE 40001 serialization_failure, 40P01 deadlock_detected, 23505 unique_violation (two
    // inserts of one new key raced): the transaction is run again.
    static bool retryable(const zerog::error& e) {
        const auto& d = e.detail();
        return d.find("SQLSTATE 40001") != std::string::npos || d.find("SQLSTATE 40P01") != std::string::npos ||
               d.find("SQLSTATE 23505") != std::string::npos;
    }

    /// libpq's messages span lines ("…failed: Connection refused\n\tIs the server running…").
    static std::string one_line(std::string_view m) {
        std::string out;
        for (char ch : m) {
            const bool space = ch == '\n' || ch == '\t' || ch == '\r' || ch == ' ';
            if (space) {
                if (!out.empty() && out.back() != ' ') out.push_back(' ');
            } else {
                out.push_back(ch);
            }
        }
        while (!out.empty() && out.back() == ' ') out.pop_back();
        return out;
    }

    struct state {
        mutable std::mutex mu;
        std::condition_variable cv;
        std::vector<PGconn*> idle;
        std::size_t open = 0;
        std::string url;
        std::string where;
        postgres_options opts;

        ~state() {
            for (PGconn* c : idle) PQfinish(c);
        }

        result<PGconn*> connect() {
            const std::string timeout = std::to_string(opts.connect_timeout.count());
            const std::string options = "-c statement_timeout=" + std::to_string(opts.statement_timeout.count());
            const char* keys[] = {"dbname", "connect_timeout", "application_name", "options", nullptr};
            const char* vals[] = {url.c_str(), timeout.c_str(), "zerog", options.c_str(), nullptr};
            PGconn* c = PQconnectdbParams(keys, vals, 1);
            if (!c) return zerog::error(errc::connection_failed, "libpq could not allocate a connection").with("database", where);
            if (PQstatus(c) != CONNECTION_OK) {
                const std::string msg = one_line(PQerrorMessage(c));
                PQfinish(c);
                return zerog::error(errc::connection_failed, "cannot connect to PostgreSQL: " + msg).with("database", where);
            }
            PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);  // "already exists, skipping" and the like: not for stderr
            return c;
        }

        result<lease> acquire();

        void release(PGconn* c, bool broken) {
            std::lock_guard lk(mu);
            if (broken || PQstatus(c) != CONNECTION_OK || PQtransactionStatus(c) != PQTRANS_IDLE) {
                PQfinish(c);
                --open;
            } else {
                idle.push_back(c);
            }
            cv.notify_one();
        }

        zerog::error pg_error(PGconn* c, const PGresult* r, std::string_view sql) const {
            const std::string msg = one_line(r ? PQresultErrorMessage(r) : PQerrorMessage(c));
            const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
            const std::string code = state ? state : "";
            errc e = errc::io_error;
            if (PQstatus(c) != CONNECTION_OK) e = errc::connection_closed;
            else if (code == "57014") e = errc::timeout;                 // query_canceled (statement_timeout)
            else if (code.rfind("23", 0) == 0) e = errc::state_conflict;  // integrity constraint
            else if (code.rfind("22", 0) == 0) e = errc::invalid_argument;
            std::string detail = "PostgreSQL says: " + msg;
            if (!code.empty()) detail += " (SQLSTATE " + code + ")";
            std::string_view first = sql.substr(0, sql.find_first_of(" \n"));
            return zerog::error(e, std::move(detail)).during("running " + std::string(first)).with("database", where);
        }

        result<std::vector<sql_row>> query(PGconn* c, std::string_view sql, const std::vector<sql_value>& params) const {
            std::vector<std::string> text(params.size());
            std::vector<const char*> values(params.size(), nullptr);
            for (std::size_t i = 0; i < params.size(); ++i) {
                if (std::holds_alternative<std::nullptr_t>(params[i])) continue;
                if (auto* n = std::get_if<std::int64_t>(&params[i])) text[i] = std::to_string(*n);
                else text[i] = std::get<std::string>(params[i]);
                values[i] = text[i].c_str();
            }
            const std::string s(sql);
            // Without parameters: the simple protocol, which also runs a script (the migrations).
            std::unique_ptr<PGresult, void (*)(PGresult*)> r(
                params.empty() ? PQexec(c, s.c_str())
                               : PQexecParams(c, s.c_str(), static_cast<int>(params.size()), nullptr, values.data(), nullptr, nullptr, 0),
                PQclear);
            const auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
            if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return pg_error(c, r.get(), sql);
            std::vector<sql_row> rows;
            if (st == PGRES_TUPLES_OK) {
                const int n = PQntuples(r.get()), m = PQnfields(r.get());
                rows.reserve(static_cast<std::size_t>(n));
                for (int i = 0; i < n; ++i) {
                    sql_row row;
                    row.reserve(static_cast<std::size_t>(m));
                    for (int j = 0; j < m; ++j) {
                        if (PQgetisnull(r.get(), i, j)) row.emplace_back(std::nullopt);
                        else row.emplace_back(std::string(PQgetvalue(r.get(), i, j), static_cast<std::size_t>(PQgetlength(r.get(), i, j))));
                    }
                    rows.push_back(std::move(row));
                }
            }
            return rows;
        }

        result<void> migrate();
    };

    /// A connection taken from the pool; returned (or dropped when broken) on destruction.
    struct lease {
        state* st = nullptr;
        PGconn* conn = nullptr;
        bool broken = false;
        lease() = default;
        lease(state* s, PGconn* c) : st(s), conn(c) {}
        lease(lease&& o) noexcept : st(o.st), conn(std::exchange(o.conn, nullptr)), broken(o.broken) {}
        lease& operator=(lease&&) = delete;
        ~lease() {
            if (conn) st->release(conn, broken);
        }
        /// Note the failure (a dead connection is not put back) and pass the error on.
        zerog::error fail(zerog::error e) {
            if (PQstatus(conn) != CONNECTION_OK) broken = true;
            return e;
        }
    };

    std::shared_ptr<state> s_;
};

inline result<std::vector<sql_row>> postgres_backend::session::query(std::string_view sql, const std::vector<sql_value>& params) {
    return st_->query(c_, sql, params);
}

inline auto postgres_backend::state::acquire() -> result<lease> {
    std::unique_lock lk(mu);
    const auto until = std::chrono::steady_clock::now() + opts.acquire_timeout;
    while (idle.empty() && open >= opts.pool_size)
        if (cv.wait_until(lk, until) == std::cv_status::timeout && idle.empty() && open >= opts.pool_size)
            return zerog::error(errc::timeout, "all " + std::to_string(opts.pool_size) + " PostgreSQL connections stayed busy for " +
                                                   std::to_string(opts.acquire_timeout.count()) + " ms")
                .with("database", where);
    if (!idle.empty()) {
        PGconn* c = idle.back();
        idle.pop_back();
        return lease(this, c);
    }
    ++open;  // reserve the slot, connect without holding the lock
    lk.unlock();
    auto c = connect();
    if (!c) {
        lk.lock();
        --open;
        cv.notify_one();
        return std::move(c).error();
    }
    return lease(this, *c);
}

inline result<void> postgres_backend::state::migrate() {
    ZEROG_TRY(lease l, acquire());
    auto run = [&](std::string_view sql, const std::vector<sql_value>& p = {}) { return query(l.conn, sql, p); };
    ZEROG_TRY(auto begin, run("BEGIN"));
    (void)begin;
    auto r = [&]() -> result<void> {
        // One migrator at a time across every instance (key: "zerog" in ASCII).
        ZEROG_TRY(auto locked, run("SELECT pg_advisory_xact_lock(1936876903)"));
        (void)locked;
        ZEROG_TRY(auto meta, run("CREATE TABLE IF NOT EXISTS zerog_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"));
        (void)meta;
        ZEROG_TRY(auto v, run("SELECT value FROM zerog_meta WHERE key = 'schema_version'"));
        int version = 0;
        if (!v.empty()) {
            ZEROG_TRY(const std::int64_t n, detail::int_column(v.front(), 0, "zerog_meta.schema_version"));
            version = static_cast<int>(n);
        }
        if (version > schema_version) return fail(newer_schema_error(version, where));
        const auto& steps = migrations(dialect::postgresql);
        for (int next = version + 1; next <= schema_version; ++next) {
            ZEROG_TRY(auto done, run(steps[static_cast<std::size_t>(next - 1)]));
            (void)done;
        }
        if (version != schema_version) {
            ZEROG_TRY(auto set, run("INSERT INTO zerog_meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                    {std::to_string(schema_version)}));
            (void)set;
        }
        return {};
    }();
    if (!r) {
        (void)run("ROLLBACK");
        return fail(l.fail(std::move(r).error()).during("applying the schema migrations"));
    }
    ZEROG_TRY(auto commit, run("COMMIT"));
    (void)commit;
    return {};
}

using postgres_persistence = sql_persistence<postgres_backend>;

/// Connect to the PostgreSQL database at `url` (postgresql://…) and migrate it.
inline result<postgres_persistence> open_postgres(std::string url, const postgres_options& o = {}) {
    auto b = postgres_backend::open(std::move(url), o);
    if (!b) return fail(std::move(b).error().during("opening the zerog database"));
    return postgres_persistence(std::move(*b));
}

static_assert(policy::Persistence<postgres_persistence>);
static_assert(policy::NamespaceStore<postgres_persistence>);

}  // namespace zerog::store
