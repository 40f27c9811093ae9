// The durable stores under bad conditions: a damaged file, a foreign database, a newer schema, an
// unwritable path, a full disk, an unreachable server. Each must give a clear error that names
// the place (never a password) and must leave the data as it was. Also: a blocking store never
// stalls the client's event loop (client/persist.hpp).
#include <zerog/client/persist.hpp>
#include <zerog/store/database.hpp>

#include "postgres.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <libpq-fe.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

using namespace zerog;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct temp_folder {
    fs::path path;
    temp_folder() {
        static int n = 0;
        path = fs::temp_directory_path() / ("zerog-fail-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~temp_folder() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void sqlite_exec(const fs::path& db, const std::string& sql) {
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(db.string().c_str(), &h) == SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(h);
    INFO(msg);
    REQUIRE(rc == SQLITE_OK);
}

policy::submission_record record(int i) {
    policy::submission_record r;
    r.root[0] = static_cast<byte>(i);
    r.network = "16602:0xflow";
    r.size = 1;
    r.created_unix_ms = r.updated_unix_ms = 1000 + i;
    return r;
}

}  // namespace

TEST_CASE("SQLite: records survive closing and reopening the file", "[store]") {
    temp_folder t;
    const auto path = t.path / "zerog.db";
    {
        auto db = store::open_sqlite(path);
        REQUIRE(db);
        REQUIRE(db->put_submission(record(1)));
        REQUIRE(db->add_usage("u", "requests", 0, uint256(3)));
    }
    auto again = store::open_sqlite(path);
    REQUIRE(again);
    CHECK((*again->find_submission(record(1).root, "16602:0xflow"))->size == 1);
    CHECK((*again->load_usage("u"))[0].used == uint256(3));
    CHECK((fs::status(path).permissions() & fs::perms::others_read) == fs::perms::none);  // created 0600
}

TEST_CASE("SQLite: a damaged file is refused with a clear error and left unchanged", "[store]") {
    temp_folder t;
    const auto path = t.path / "zerog.db";
    {
        std::ofstream out(path, std::ios::binary);
        for (int i = 0; i < 4096; ++i) out.put(static_cast<char>((i * 131) & 0xff));
    }
    const std::string before = slurp(path);
    auto db = store::open_sqlite(path);
    REQUIRE_FALSE(db);
    const std::string m = db.error().message();
    INFO(m);
    CHECK(m.find("not a database") != std::string::npos);
    CHECK(m.find(path.string()) != std::string::npos);
    CHECK(m.find("rebuild") != std::string::npos);
    CHECK(slurp(path) == before);
}

TEST_CASE("SQLite: another application's database is refused and left unchanged", "[store]") {
    temp_folder t;
    const auto path = t.path / "other.db";
    sqlite_exec(path, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers VALUES (1, 'x');");
    const std::string before = slurp(path);
    auto db = store::open_sqlite(path);
    REQUIRE_FALSE(db);
    INFO(db.error().message());
    CHECK(db.error().message().find("something else") != std::string::npos);
    CHECK(slurp(path) == before);
}

TEST_CASE("SQLite and PostgreSQL: a database from a newer zerog is refused and never altered", "[store]") {
    SECTION("SQLite") {
        temp_folder t;
        const auto path = t.path / "zerog.db";
        REQUIRE(store::open_sqlite(path));
        sqlite_exec(path, "UPDATE zerog_meta SET value = '99' WHERE key = 'schema_version'; PRAGMA wal_checkpoint(TRUNCATE);");
        const std::string before = slurp(path);
        auto db = store::open_sqlite(path);
        REQUIRE_FALSE(db);
        INFO(db.error().message());
        CHECK(db.error().is(errc::not_supported));
        CHECK(db.error().message().find("schema version 99") != std::string::npos);
        CHECK(slurp(path) == before);
    }
    SECTION("PostgreSQL") {
        auto& pg = testing::postgres_server::instance();
        const std::string url = pg.fresh_database();
        REQUIRE(store::open_postgres(url));
        const std::string name = url.substr(url.rfind('/') + 1);
        pg.psql("UPDATE zerog_meta SET value = '99' WHERE key = 'schema_version'", name);
        auto db = store::open_postgres(url);
        REQUIRE_FALSE(db);
        CHECK(db.error().is(errc::not_supported));
        CHECK(pg.psql("SELECT value FROM zerog_meta WHERE key = 'schema_version'", name).find("99") == 0);
    }
}

TEST_CASE("SQLite: an unwritable path fails at open, before anything else", "[store]") {
    temp_folder t;
    const auto file = t.path / "plain-file";
    { std::ofstream(file) << "x"; }
    auto db = store::database::open((file / "zerog.db").string());  // a directory that is a file
    REQUIRE_FALSE(db);
    INFO(db.error().message());
    CHECK(db.error().message().find(file.string()) != std::string::npos);
    auto proc = store::database::open("/proc/zerog-test/zerog.db");  // read-only for everyone, root too
    REQUIRE_FALSE(proc);
    CHECK(proc.error().message().find("/proc/zerog-test") != std::string::npos);
}

TEST_CASE("SQLite: a full disk fails the write with a clear error and keeps what was committed", "[store]") {
    temp_folder t;
    const auto path = t.path / "zerog.db";
    store::sqlite_options o;
    o.max_bytes = 128 * 1024;  // the tests' stand-in for a full disk (SQLITE_FULL, exactly as ENOSPC)
    auto db = store::open_sqlite(path, o);
    REQUIRE(db);
    REQUIRE(db->put_submission(record(1)));
    result<void> last;
    int written = 0;
    for (int i = 2; i < 2000 && last; ++i) {
        auto r = record(i);
        r.local_path = std::string(900, 'p');
        last = db->put_submission(r);
        if (last) ++written;
    }
    REQUIRE_FALSE(last);
    INFO(last.error().message());
    CHECK(last.error().message().find("full") != std::string::npos);
    CHECK(last.error().message().find(path.string()) != std::string::npos);
    CHECK((*db->find_submission(record(1).root, "16602:0xflow"))->size == 1);
    CHECK(db->list_submissions({})->size() == static_cast<std::size_t>(written + 1));
}

TEST_CASE("PostgreSQL: an unreachable server is a clear error that never shows the password", "[store]") {
    const int port = testing::free_loopback_port();
    store::postgres_options o;
    o.connect_timeout = 2s;
    auto db = store::database::open("postgresql://zerog:hunter2secret@127.0.0.1:" + std::to_string(port) + "/zerog?sslmode=disable", {{}, o});
    REQUIRE_FALSE(db);
    const std::string m = db.error().message();
    INFO(m);
    CHECK(db.error().is(errc::connection_failed));
    CHECK(m.find("hunter2secret") == std::string::npos);
    CHECK(m.find(std::to_string(port)) != std::string::npos);
    CHECK(store::redact_postgres_url("postgresql://u:pw@h:1/d?password=pw") == "postgresql://u@h:1/d");
}

TEST_CASE("PostgreSQL: a busy pool waits a bounded time, then says so", "[store]") {
    const std::string url = testing::postgres_server::instance().fresh_database();
    store::postgres_options o;
    o.pool_size = 1;
    o.acquire_timeout = 200ms;
    auto db = store::open_postgres(url, o);
    REQUIRE(db);
    // Hold the only connection inside a transaction for 600 ms from another thread.
    std::thread holder([&] {
        (void)db->backend().write("holding", [](auto& s) -> result<void> {
            std::this_thread::sleep_for(600ms);
            return s.query("SELECT 1", {}) ? result<void>() : result<void>(zerog::error(errc::internal, "x"));
        });
    });
    std::this_thread::sleep_for(100ms);
    auto r = db->find_submission(record(1).root, "n");
    holder.join();
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::timeout));
    CHECK(r.error().message().find("busy") != std::string::npos);
    CHECK(db->find_submission(record(1).root, "n"));  // free again afterwards
}

namespace {
/// While `hold` keeps the store locked for ~400 ms, a coroutine makes one persistence call through
/// client::persist; a 10 ms timer on the same single-threaded io_context must keep firing.
template <class Model>
void event_loop_keeps_running(Model& model, const std::function<void()>& hold) {
    boost::asio::io_context io;
    int ticks_during_call = 0;
    bool done = false;
    result<void> outcome;
    boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
        outcome = co_await client::persist<Model>([&] { return model.put_submission(record(5)); });
        done = true;
    }, boost::asio::detached);
    boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
        boost::asio::steady_timer t(co_await boost::asio::this_coro::executor);
        for (int i = 0; i < 300 && !done; ++i) {
            t.expires_after(10ms);
            co_await t.async_wait(boost::asio::use_awaitable);
            if (!done) ++ticks_during_call;
        }
    }, boost::asio::detached);
    std::thread locker(hold);
    std::this_thread::sleep_for(50ms);  // the lock is held before the call starts
    io.run();
    locker.join();
    REQUIRE(outcome);
    CHECK(ticks_during_call >= 15);  // ≥ 150 ms of a 350 ms wait were spent serving the timer
}
}  // namespace

TEST_CASE("a blocking store does not stall the event loop (worker pool)", "[store]") {
    STATIC_REQUIRE(policy::persistence_blocks<store::sqlite_persistence>);
    STATIC_REQUIRE(policy::persistence_blocks<store::postgres_persistence>);
    STATIC_REQUIRE_FALSE(policy::persistence_blocks<policy::memory_persistence>);
    SECTION("SQLite: another process holds the write lock") {
        temp_folder t;
        const auto path = t.path / "zerog.db";
        auto db = store::open_sqlite(path);
        REQUIRE(db);
        event_loop_keeps_running(*db, [&] {
            sqlite3* h = nullptr;
            sqlite3_open(path.string().c_str(), &h);
            sqlite3_exec(h, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr);
            std::this_thread::sleep_for(400ms);
            sqlite3_exec(h, "COMMIT", nullptr, nullptr, nullptr);
            sqlite3_close(h);
        });
    }
    SECTION("PostgreSQL: another client holds a table lock") {
        const std::string url = testing::postgres_server::instance().fresh_database();
        auto db = store::open_postgres(url);
        REQUIRE(db);
        event_loop_keeps_running(*db, [&] {
            PGconn* c = PQconnectdb(url.c_str());
            PQclear(PQexec(c, "BEGIN"));
            PQclear(PQexec(c, "LOCK TABLE zerog_submissions IN ACCESS EXCLUSIVE MODE"));
            std::this_thread::sleep_for(400ms);
            PQclear(PQexec(c, "COMMIT"));
            PQfinish(c);
        });
    }
}
