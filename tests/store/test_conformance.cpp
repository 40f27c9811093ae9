// One conformance suite for every Persistence model (policy/persistence.hpp): memory, SQLite and
// PostgreSQL (a real server started by tests/support/postgres.hpp) must agree on every operation:
// round trips, upserts, the atomic claim that keeps two payers from paying twice, transaction
// records that never lose a hash, exact usage and spend sums, and the same under concurrency.
// Also the KV namespace registry (policy::NamespaceStore) on the same three, and the migration of
// a database written at schema version 1 (before the registry) to the current version.
#include <zerog/crypto/api_key.hpp>
#include <zerog/store/database.hpp>
#include <zerog/testing/mock_persistence.hpp>

#include "postgres.hpp"

#include <catch2/catch.hpp>

#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

using namespace zerog;
using policy::namespace_record;
using policy::submission_record;
using state = submission_record::state;

namespace {

hash256 root_of(int i) {
    hash256 h{};
    h[0] = static_cast<byte>(i);
    h[31] = static_cast<byte>(i * 7 + 1);
    return h;
}

submission_record sample(int i, std::string network = "16602:0xflow") {
    submission_record r;
    r.root = root_of(i);
    r.network = std::move(network);
    r.account = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    r.size = 1000u + static_cast<unsigned>(i);
    r.fee = uint256::max();  // every bit of a 256-bit amount survives
    r.file_name = "fïle-" + std::to_string(i) + ".bin";
    r.local_path = "/data/x y/" + r.file_name;
    r.replicas = 2;
    r.owner = "host/1/ab";
    r.created_unix_ms = 1'700'000'000'000 + i;
    r.updated_unix_ms = r.created_unix_ms;
    return r;
}

/// A registry entry; `i` picks its stream.
namespace_record ns_entry(int i, std::string name, std::string network = "16602:0xflow") {
    namespace_record r;
    r.network = std::move(network);
    r.name = std::move(name);
    r.stream = root_of(100 + i);
    r.role = "admin";
    r.admin = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    r.account = r.admin;
    r.metadata_json = R"({"v":1,"name":"ñämé \"quoted\"\n","admin":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"})";
    r.created_at = 1'700'000'000 + i;
    r.updated_at = r.created_at;
    return r;
}

std::string temp_dir() {
    static std::atomic<int> n{0};
    auto d = std::filesystem::temp_directory_path() / ("zerog-store-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d.string();
}

/// An opener of one data set: each call opens another handle on the same data (another process,
/// for SQLite and PostgreSQL; the same object for memory).
using opener = std::function<store::database()>;

/// The suite. `fresh()` makes a new, empty data set for each run of the test case (Catch2 runs
/// the case once per section) and returns its opener.
void conformance(const std::function<opener()>& fresh) {
    const opener open = fresh();
    auto db = open();

    SECTION("submissions round-trip every field, per network") {
        CHECK_FALSE(db.find_submission(root_of(1), "16602:0xflow")->has_value());
        submission_record r = sample(1);
        r.tx_hash = "0x" + std::string(64, 'a');
        r.tx_seq = 42;
        r.status = state::mined;
        r.last_error = "while x: y";
        r.expires_unix_ms = 1'800'000'000'000;
        REQUIRE(db.put_submission(r));
        auto back = db.find_submission(r.root, r.network);
        REQUIRE(back);
        REQUIRE(back->has_value());
        CHECK(**back == r);
        CHECK_FALSE(db.find_submission(r.root, "16661:0xflow")->has_value());
        submission_record none = sample(2);  // tx_seq absent stays absent
        REQUIRE(db.put_submission(none));
        CHECK_FALSE((*db.find_submission(none.root, none.network))->tx_seq.has_value());
    }

    SECTION("put is an upsert that keeps the creation time") {
        submission_record r = sample(3);
        REQUIRE(db.put_submission(r));
        submission_record later = r;
        later.created_unix_ms = r.created_unix_ms + 5000;
        later.updated_unix_ms = r.created_unix_ms + 5000;
        later.status = state::finalized;
        later.tx_seq = 7;
        REQUIRE(db.put_submission(later));
        auto back = **db.find_submission(r.root, r.network);
        CHECK(back.created_unix_ms == r.created_unix_ms);
        CHECK(back.updated_unix_ms == later.updated_unix_ms);
        CHECK(back.status == state::finalized);
        CHECK(back.tx_seq == std::optional<std::uint64_t>(7));
    }

    SECTION("a claim is granted once; the holder's record comes back to everyone else") {
        submission_record a = sample(4);
        a.owner = "host/10/aa";
        auto first = db.claim_submission(a, "key4", 0, "");
        REQUIRE(first);
        CHECK(first->claimed);
        submission_record b = sample(4);
        b.owner = "host/11/bb";
        auto second = db.claim_submission(b, "key4", 0, "");
        REQUIRE(second);
        CHECK_FALSE(second->claimed);
        CHECK(second->current.owner == "host/10/aa");
    }

    SECTION("a failed or abandoned intent can be claimed again; a signed one never") {
        submission_record a = sample(5);
        a.owner = "host/10/aa";
        a.updated_unix_ms = 1000;
        REQUIRE(db.claim_submission(a, "key5", 0, "")->claimed);
        submission_record b = sample(5);
        b.owner = "host/11/bb";
        CHECK_FALSE(db.claim_submission(b, "key5", 1000, "")->claimed);           // not older than the lease
        CHECK_FALSE(db.claim_submission(b, "key5", 0, "host/12/cc")->claimed);    // another owner died, not this one
        auto taken = db.claim_submission(b, "key5", 0, "host/10/aa");             // this one died
        REQUIRE(taken);
        CHECK(taken->claimed);
        CHECK(taken->current.owner == "host/11/bb");
        CHECK((**db.find_submission(b.root, b.network)).created_unix_ms == a.created_unix_ms);
        // Stale, but it signed: the tx record names a hash, so nobody pays again.
        policy::tx_record tx;
        tx.key = "key5";
        tx.hashes.push_back(root_of(99));
        REQUIRE(db.put_tx(tx));
        submission_record c = sample(5);
        c.owner = "host/13/dd";
        CHECK_FALSE(db.claim_submission(c, "key5", std::numeric_limits<std::int64_t>::max(), "host/11/bb")->claimed);
        // A failed record is claimable at once (nothing was signed for root 6).
        submission_record f = sample(6);
        f.status = state::failed;
        REQUIRE(db.put_submission(f));
        CHECK(db.claim_submission(sample(6), "key6", 0, "")->claimed);
        // A record that names a tx hash or a tx_seq is never replaced.
        submission_record m = sample(7);
        m.status = state::failed;
        m.tx_hash = "0x" + std::string(64, 'b');
        REQUIRE(db.put_submission(m));
        CHECK_FALSE(db.claim_submission(sample(7), "key7", std::numeric_limits<std::int64_t>::max(), "")->claimed);
    }

    SECTION("list: newest first, filtered by state, time and network, limited") {
        for (int i = 10; i < 16; ++i) {
            submission_record r = sample(i, i % 2 ? "16602:0xflow" : "16661:0xflow");
            r.status = i < 13 ? state::finalized : state::mined;
            REQUIRE(db.put_submission(r));
        }
        auto all = db.list_submissions({});
        REQUIRE(all);
        REQUIRE(all->size() == 6);
        CHECK(all->front().root == root_of(15));
        CHECK(all->back().root == root_of(10));
        policy::submission_filter f;
        f.status = state::finalized;
        CHECK(db.list_submissions(f)->size() == 3);
        f = {};
        f.since_unix_ms = sample(14).created_unix_ms;
        CHECK(db.list_submissions(f)->size() == 2);
        f = {};
        f.network = "16661:0xflow";
        CHECK(db.list_submissions(f)->size() == 3);
        f = {};
        f.limit = 2;
        auto two = db.list_submissions(f);
        REQUIRE(two->size() == 2);
        CHECK((*two)[1].root == root_of(14));
    }

    SECTION("transaction records: hashes merge at one nonce, a new nonce replaces them") {
        CHECK_FALSE(db.find_tx("k")->has_value());
        policy::tx_record a;
        a.key = "k";
        a.nonce = 3;
        a.hashes = {root_of(1)};
        a.last_raw = bytes{0x02, 0xf8, 0x01};
        REQUIRE(db.put_tx(a));
        policy::tx_record b = a;
        b.hashes = {root_of(2)};  // a second writer at the same nonce (a resumed, bumped transaction)
        b.last_raw = bytes{0x02, 0xf8, 0x02};
        REQUIRE(db.put_tx(b));
        auto back = **db.find_tx("k");
        CHECK(back.hashes == std::vector<hash256>{root_of(1), root_of(2)});
        CHECK(back.last_raw == b.last_raw);
        CHECK_FALSE(back.mined.has_value());
        policy::tx_record m = back;
        m.mined = root_of(2);
        REQUIRE(db.put_tx(m));
        CHECK((**db.find_tx("k")).mined == std::optional<hash256>(root_of(2)));
        policy::tx_record fresh;
        fresh.key = "k";
        fresh.nonce = 9;
        fresh.hashes = {root_of(3)};
        REQUIRE(db.put_tx(fresh));
        CHECK((**db.find_tx("k")).hashes == std::vector<hash256>{root_of(3)});
    }

    SECTION("spend and usage add exactly; overflow is refused and changes nothing") {
        REQUIRE(db.add_spend("0xA", "0xP", uint256(5)));
        REQUIRE(db.add_spend("0xA", "0xP", uint256(7)));
        CHECK(*db.spend("0xA", "0xP") == uint256(12));
        CHECK(*db.spend("0xA", "0xQ") == uint256(0));
        CHECK_FALSE(db.add_spend("0xA", "0xP", uint256::max()));
        CHECK(*db.spend("0xA", "0xP") == uint256(12));

        REQUIRE(db.add_usage("alice", "requests", 4, uint256(2)));
        REQUIRE(db.add_usage("alice", "requests", 4, uint256(3)));
        REQUIRE(db.add_usage("alice", "bytes_uploaded", 4, uint256(100)));
        REQUIRE(db.add_usage("bob", "requests", 4, uint256(1)));
        auto u = db.load_usage("alice");
        REQUIRE(u);
        REQUIRE(u->size() == 2);
        CHECK((*u)[0] == policy::usage_record{"alice", "bytes_uploaded", 4, uint256(100)});
        CHECK((*u)[1] == policy::usage_record{"alice", "requests", 4, uint256(5)});
        REQUIRE(db.add_usage("alice", "requests", 5, uint256(1)));  // a new period starts over
        CHECK((*db.load_usage("alice"))[1] == policy::usage_record{"alice", "requests", 5, uint256(1)});
        CHECK_FALSE(db.add_usage("alice", "requests", 5, uint256::max()));
        CHECK((*db.load_usage("alice"))[1].used == uint256(1));
        CHECK(db.load_usage("nobody")->empty());
    }

    SECTION("concurrent claims from several handles: exactly one wins; concurrent adds are exact") {
        constexpr int writers = 4, adds = 25;
        std::atomic<int> granted{0}, errors{0};
        std::vector<std::thread> ts;
        for (int w = 0; w < writers; ++w)
            ts.emplace_back([&, w] {
                auto h = open();
                submission_record r = sample(30);
                r.owner = "host/" + std::to_string(100 + w) + "/x";
                auto c = h.claim_submission(r, "key30", 0, "");
                if (!c) ++errors;
                else if (c->claimed) ++granted;
                for (int i = 0; i < adds; ++i)
                    if (!h.add_usage("shared", "requests", 1, uint256(1))) ++errors;
            });
        for (auto& t : ts) t.join();
        CHECK(errors == 0);
        CHECK(granted == 1);
        CHECK((*db.load_usage("shared"))[0].used == uint256(writers * adds));
    }

    // ---- the KV namespace registry (NamespaceStore) -------------------------------------------

    SECTION("namespaces: add, then find by name and by stream; every field round-trips") {
        const namespace_record a = ns_entry(1, "prøject-α");
        CHECK_FALSE(db.find_namespace(a.network, a.name)->has_value());
        CHECK_FALSE(db.find_namespace_by_stream(a.network, a.stream)->has_value());
        REQUIRE(db.add_namespace(a));
        auto by_name = db.find_namespace(a.network, a.name);
        REQUIRE(by_name);
        REQUIRE(by_name->has_value());
        CHECK(**by_name == a);
        auto by_stream = db.find_namespace_by_stream(a.network, a.stream);
        REQUIRE(by_stream);
        REQUIRE(by_stream->has_value());
        CHECK(**by_stream == a);
        namespace_record empty = ns_entry(2, "x");  // empty optional fields stay empty
        empty.role = "reader";
        empty.admin.clear();
        empty.account.clear();
        empty.metadata_json.clear();
        REQUIRE(db.add_namespace(empty));
        CHECK(**db.find_namespace(empty.network, "x") == empty);
        CHECK_FALSE(db.find_namespace(a.network, "prøject")->has_value());
        CHECK_FALSE(db.find_namespace_by_stream(a.network, root_of(199))->has_value());
    }

    SECTION("namespaces: list is per network and ordered by name, bytewise") {
        const std::vector<std::string> names = {"beta", "Alpha", "alpha", "zeta-ünï", "_under", "a", "alpha2", "Zulu"};
        for (std::size_t i = 0; i < names.size(); ++i) REQUIRE(db.add_namespace(ns_entry(static_cast<int>(i), names[i])));
        REQUIRE(db.add_namespace(ns_entry(50, "other", "16661:0xflow")));
        auto listed = db.list_namespaces("16602:0xflow");
        REQUIRE(listed);
        std::vector<std::string> got;
        for (const auto& r : *listed) got.push_back(r.name);
        std::vector<std::string> want = names;
        std::sort(want.begin(), want.end());  // "Alpha" < "Zulu" < "_under" < "a" < … < "zeta-ünï"
        CHECK(got == want);
        CHECK(listed->front() == ns_entry(1, "Alpha"));
        auto other = db.list_namespaces("16661:0xflow");
        REQUIRE(other);
        REQUIRE(other->size() == 1);
        CHECK(other->front().name == "other");
        CHECK(db.list_namespaces("1:0xnone")->empty());
    }

    SECTION("namespaces: a name or a stream registered twice is refused, naming the entry in the way") {
        const namespace_record a = ns_entry(3, "alpha");
        REQUIRE(db.add_namespace(a));
        namespace_record same_name = ns_entry(4, "alpha");  // another stream, the same name
        same_name.role = "writer";
        auto dup = db.add_namespace(same_name);
        REQUIRE_FALSE(dup);
        INFO(dup.error().message());
        CHECK(dup.error().is(errc::already_exists));
        CHECK(dup.error().message().find("\"alpha\"") != std::string::npos);
        const namespace_record same_stream = ns_entry(3, "beta");  // the same stream under another name
        auto twice = db.add_namespace(same_stream);
        REQUIRE_FALSE(twice);
        INFO(twice.error().message());
        CHECK(twice.error().is(errc::already_exists));
        CHECK(twice.error().message().find("\"alpha\"") != std::string::npos);  // the name it is registered as
        CHECK(twice.error().message().find(to_hex(a.stream)) != std::string::npos);
        // Nothing changed.
        CHECK(**db.find_namespace(a.network, "alpha") == a);
        CHECK_FALSE(db.find_namespace(a.network, "beta")->has_value());
        CHECK(db.list_namespaces(a.network)->size() == 1);
        CHECK_FALSE(db.find_namespace_by_stream(a.network, root_of(104))->has_value());
    }

    SECTION("namespaces: networks are isolated (the same name and stream on two networks)") {
        const namespace_record a = ns_entry(5, "shared", "16602:0xflow");
        namespace_record b = ns_entry(5, "shared", "16661:0xflow");
        b.role = "reader";
        REQUIRE(db.add_namespace(a));
        REQUIRE(db.add_namespace(b));
        CHECK(**db.find_namespace("16602:0xflow", "shared") == a);
        CHECK(**db.find_namespace("16661:0xflow", "shared") == b);
        CHECK((**db.find_namespace_by_stream("16661:0xflow", a.stream)).role == "reader");
        CHECK_FALSE(db.find_namespace("16600:0xflow", "shared")->has_value());
        CHECK_FALSE(db.find_namespace_by_stream("16600:0xflow", a.stream)->has_value());
        REQUIRE(db.remove_namespace("16661:0xflow", "shared"));
        CHECK(db.find_namespace("16602:0xflow", "shared")->has_value());  // the other network's entry stays
        CHECK_FALSE(*db.remove_namespace("16600:0xflow", "shared"));
        namespace_record c = ns_entry(6, "shared", "16602:0xflowB");  // a network key that extends another
        REQUIRE(db.add_namespace(c));
        CHECK(db.list_namespaces("16602:0xflow")->size() == 1);
        CHECK(db.list_namespaces("16602:0xflowB")->size() == 1);
    }

    SECTION("namespaces: update replaces role, admin, account, metadata and updated_at only") {
        const namespace_record a = ns_entry(7, "gamma");
        REQUIRE(db.add_namespace(a));
        namespace_record u = a;
        u.stream = root_of(188);       // not updated
        u.created_at = 5;              // not updated
        u.role = "writer";
        u.admin = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
        u.account = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
        u.metadata_json = R"({"v":2})";
        u.updated_at = a.updated_at + 3600;
        REQUIRE(db.update_namespace(u));
        namespace_record want = u;
        want.stream = a.stream;
        want.created_at = a.created_at;
        CHECK(**db.find_namespace(a.network, "gamma") == want);
        CHECK(**db.find_namespace_by_stream(a.network, a.stream) == want);
        CHECK_FALSE(db.find_namespace_by_stream(a.network, root_of(188))->has_value());
        namespace_record absent = ns_entry(8, "delta");
        auto missing = db.update_namespace(absent);
        REQUIRE_FALSE(missing);
        INFO(missing.error().message());
        CHECK(missing.error().is(errc::not_found));
        CHECK(missing.error().message().find("\"delta\"") != std::string::npos);
        CHECK_FALSE(db.find_namespace(absent.network, "delta")->has_value());
        absent.network = "16661:0xflow";  // the same name on another network is another entry
        absent.name = "gamma";
        CHECK(db.update_namespace(absent).error().is(errc::not_found));
    }

    SECTION("namespaces: remove forgets the entry (once), and frees its name and stream") {
        const namespace_record a = ns_entry(9, "eps");
        REQUIRE(db.add_namespace(a));
        auto gone = db.remove_namespace(a.network, "eps");
        REQUIRE(gone);
        CHECK(*gone);
        CHECK_FALSE(*db.remove_namespace(a.network, "eps"));
        CHECK_FALSE(db.find_namespace(a.network, "eps")->has_value());
        CHECK_FALSE(db.find_namespace_by_stream(a.network, a.stream)->has_value());
        CHECK(db.list_namespaces(a.network)->empty());
        REQUIRE(db.add_namespace(ns_entry(9, "eps-again")));  // the stream is free again
        REQUIRE(db.add_namespace(ns_entry(10, "eps")));       // and so is the name
        CHECK(db.list_namespaces(a.network)->size() == 2);
    }

    SECTION("namespaces: another handle (another connection) sees the registry") {
        {
            auto h = open();
            REQUIRE(h.add_namespace(ns_entry(11, "from-another")));
        }
        auto h2 = open();
        CHECK(**h2.find_namespace("16602:0xflow", "from-another") == ns_entry(11, "from-another"));
        CHECK(**db.find_namespace_by_stream("16602:0xflow", root_of(111)) == ns_entry(11, "from-another"));
    }

    SECTION("namespaces: concurrent adds of one name, or one stream, from several handles: exactly one wins") {
        constexpr int writers = 4;
        std::atomic<int> by_name{0}, by_stream{0}, refused{0}, errors{0};
        std::vector<std::string> unexpected(writers);
        std::vector<std::thread> ts;
        for (int w = 0; w < writers; ++w)
            ts.emplace_back([&, w] {
                auto h = open();
                auto tally = [&](const result<void>& r, std::atomic<int>& won) {
                    if (r) ++won;
                    else if (r.error().is(errc::already_exists)) ++refused;
                    else {
                        ++errors;
                        unexpected[static_cast<std::size_t>(w)] = r.error().message();
                    }
                };
                tally(h.add_namespace(ns_entry(20 + w, "contested")), by_name);       // one name, four streams
                tally(h.add_namespace(ns_entry(30, "n" + std::to_string(w))), by_stream);  // one stream, four names
            });
        for (auto& t : ts) t.join();
        for (const auto& m : unexpected) CHECK(m.empty());
        CHECK(errors == 0);
        CHECK(by_name == 1);
        CHECK(by_stream == 1);
        CHECK(refused == 2 * (writers - 1));
        CHECK(db.list_namespaces("16602:0xflow")->size() == 2);
    }
}

}  // namespace

TEST_CASE("persistence conformance: memory", "[store][conformance]") {
    conformance([] {
        auto shared = store::database::open(":memory:");
        REQUIRE(shared);
        return opener([db = *shared] { return db; });  // handles share one memory store
    });
}

TEST_CASE("persistence conformance: SQLite", "[store][conformance]") {
    const std::string dir = temp_dir();
    int n = 0;
    conformance([&] {
        const std::string path = dir + "/run" + std::to_string(++n) + "/zerog.db";  // a missing directory is created
        return opener([path] {
            auto db = store::database::open(path);
            if (!db) throw std::runtime_error(db.error().message());
            return *db;
        });
    });
    std::filesystem::remove_all(dir);
}

TEST_CASE("persistence conformance: PostgreSQL", "[store][conformance]") {
    conformance([] {
        const std::string url = testing::postgres_server::instance().fresh_database();
        return opener([url] {
            store::database_options o;
            o.postgres.pool_size = 2;
            auto db = store::database::open(url, o);
            if (!db) throw std::runtime_error(db.error().message());
            return *db;
        });
    });
}

// ---- the namespace registry: durability and the migration from schema version 1 ---------------

namespace {

void sqlite_script(const std::string& path, const std::string& sql) {
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &h) == SQLITE_OK);
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> guard(h, sqlite3_close);
    char* err = nullptr;
    const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
    const std::string msg = err ? err : "";
    sqlite3_free(err);
    INFO(msg);
    REQUIRE(rc == SQLITE_OK);
}

/// The first column of the first row of `sql`, or "" when there is none.
std::string sqlite_value(const std::string& path, const std::string& sql) {
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &h) == SQLITE_OK);
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> guard(h, sqlite3_close);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    std::string out;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

/// Run `sql` (one or several statements) on the PostgreSQL database at `url`; the first value of
/// the last statement's result, or "".
std::string pg_script(const std::string& url, const std::string& sql) {
    std::unique_ptr<PGconn, void (*)(PGconn*)> c(PQconnectdb(url.c_str()), PQfinish);
    REQUIRE(c);
    INFO(PQerrorMessage(c.get()));
    REQUIRE(PQstatus(c.get()) == CONNECTION_OK);
    std::unique_ptr<PGresult, void (*)(PGresult*)> r(PQexec(c.get(), sql.c_str()), PQclear);
    const auto st = PQresultStatus(r.get());
    INFO(PQresultErrorMessage(r.get()));
    REQUIRE((st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK));
    if (st == PGRES_TUPLES_OK && PQntuples(r.get()) > 0 && !PQgetisnull(r.get(), 0, 0)) return PQgetvalue(r.get(), 0, 0);
    return {};
}

/// A database exactly as zerog wrote it at schema version 1 (its migration, its zerog_meta row),
/// holding one submission and one usage counter.
std::string version1_script(store::dialect d) {
    return "CREATE TABLE zerog_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
           "INSERT INTO zerog_meta (key, value) VALUES ('schema_version', '1');" +
           store::migrations(d).at(0) +
           "INSERT INTO zerog_submissions (root, network, account, tx_hash, tx_seq, size, fee, status, file_name, local_path, replicas, "
           "name_space, owner, last_error, created_ms, updated_ms, expires_ms) VALUES ('" +
           to_hex(root_of(1)) + "', '16602:0xflow', '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', '0x" + std::string(64, 'c') +
           "', 17, 1234, '1000000000000000000', 'finalized', 'a.bin', '/data/a.bin', 2, '', 'host/1/ab', '', 1700000000000, 1700000000001, 0);"
           "INSERT INTO zerog_usage (usr, kind, period, used) VALUES ('alice', 'requests', 3, '7');";
}

/// What the version-1 database holds, as records.
submission_record version1_submission() {
    submission_record r;
    r.root = root_of(1);
    r.network = "16602:0xflow";
    r.account = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    r.tx_hash = "0x" + std::string(64, 'c');
    r.tx_seq = 17;
    r.size = 1234;
    r.fee = *uint256::from_decimal("1000000000000000000");
    r.status = state::finalized;
    r.file_name = "a.bin";
    r.local_path = "/data/a.bin";
    r.replicas = 2;
    r.owner = "host/1/ab";
    r.created_unix_ms = 1'700'000'000'000;
    r.updated_unix_ms = 1'700'000'000'001;
    return r;
}

/// The migrated database keeps what it had and gains a working registry.
void check_migrated(store::database& db) {
    auto sub = db.find_submission(root_of(1), "16602:0xflow");
    REQUIRE(sub);
    REQUIRE(sub->has_value());
    CHECK(**sub == version1_submission());
    CHECK(db.list_submissions({})->size() == 1);
    auto usage = db.load_usage("alice");
    REQUIRE(usage);
    REQUIRE(usage->size() == 1);
    CHECK(usage->front() == policy::usage_record{"alice", "requests", 3, uint256(7)});
    CHECK(db.list_namespaces("16602:0xflow")->empty());
    REQUIRE(db.add_namespace(ns_entry(1, "after-migration")));
    CHECK(**db.find_namespace("16602:0xflow", "after-migration") == ns_entry(1, "after-migration"));
    CHECK(db.add_namespace(ns_entry(1, "same-stream")).error().is(errc::already_exists));  // the UNIQUE part works too
    CHECK(db.list_api_keys("")->empty());  // version 3's table exists and works
}

/// The API key operations on one durable database; `dump()` returns every value of zerog_api_keys
/// as text, to show the key itself is stored nowhere.
void api_key_suite(store::database& db, const std::function<std::string()>& dump) {
    auto k1 = crypto::new_api_key();
    auto k2 = crypto::new_api_key();
    auto k3 = crypto::new_api_key();
    const policy::api_key_record a{k1.id, "alice", k1.key_hash, "files,usage", 1'700'000'000, 0, 0};
    const policy::api_key_record b{k2.id, "bob", k2.key_hash, "files,namespaces,inference,usage", 1'700'000'001, 1'700'086'400, 0};
    const policy::api_key_record c{k3.id, "alice", k3.key_hash, "inference", 1'700'000'002, 0, 0};
    REQUIRE(db.add_api_key(a));
    REQUIRE(db.add_api_key(b));
    REQUIRE(db.add_api_key(c));
    CHECK(**db.find_api_key(a.id) == a);  // every field round-trips
    CHECK(**db.find_api_key(b.id) == b);
    CHECK_FALSE(db.find_api_key("0123456789abcdef")->has_value());
    // Per user, oldest first; everyone's when no user is given.
    auto alice = db.list_api_keys("alice");
    REQUIRE(alice);
    REQUIRE(alice->size() == 2);
    CHECK(alice->at(0).id == a.id);
    CHECK(alice->at(1).id == c.id);
    CHECK(db.list_api_keys("")->size() == 3);
    CHECK(db.list_api_keys("carol")->empty());
    // An id or a hash twice is refused, never merged.
    policy::api_key_record again = a;
    again.user = "mallory";
    CHECK(db.add_api_key(again).error().is(errc::already_exists));
    policy::api_key_record same_hash = b;
    same_hash.id = "ffffffffffffffff";
    CHECK(db.add_api_key(same_hash).error().is(errc::already_exists));
    CHECK((*db.find_api_key(a.id))->user == "alice");
    // Revocation: at the first time only; an unknown id is said plainly.
    auto revoked = db.revoke_api_key(a.id, 1'700'000'100);
    REQUIRE(revoked);
    REQUIRE(revoked->has_value());
    CHECK((*revoked)->revoked_at == 1'700'000'100);
    CHECK_FALSE((*revoked)->live_at(1'700'000'101));
    CHECK((*db.revoke_api_key(a.id, 1'700'000'999))->revoked_at == 1'700'000'100);
    CHECK_FALSE(db.revoke_api_key("0123456789abcdef", 1)->has_value());
    CHECK((*db.find_api_key(c.id))->revoked_at == 0);  // the others untouched
    // Stored: ids, users, hashes, scopes, times. Never a key's text or its secret part.
    const std::string all = dump();
    CHECK(all.find(a.id) != std::string::npos);
    for (const auto* k : {&k1, &k2, &k3}) {
        CHECK(all.find(std::string(k->key.view())) == std::string::npos);
        CHECK(all.find(std::string(k->key.view().substr(k->key.size() - 64))) == std::string::npos);
    }
}

}  // namespace

TEST_CASE("SQLite: the namespace registry survives closing and reopening the file", "[store][namespaces]") {
    const std::string dir = temp_dir();
    const std::string path = dir + "/zerog.db";
    {
        auto db = store::database::open(path);
        REQUIRE(db);
        REQUIRE(db->add_namespace(ns_entry(1, "kept")));
        REQUIRE(db->add_namespace(ns_entry(2, "dropped")));
        REQUIRE(db->add_namespace(ns_entry(3, "elsewhere", "16661:0xflow")));
        namespace_record u = ns_entry(1, "kept");
        u.role = "writer";
        u.updated_at += 10;
        REQUIRE(db->update_namespace(u));
        REQUIRE(*db->remove_namespace("16602:0xflow", "dropped"));
    }  // every handle closed
    auto again = store::database::open(path);
    REQUIRE(again);
    auto kept = again->list_namespaces("16602:0xflow");
    REQUIRE(kept);
    REQUIRE(kept->size() == 1);
    CHECK(kept->front().name == "kept");
    CHECK(kept->front().role == "writer");
    CHECK(kept->front().updated_at == ns_entry(1, "kept").updated_at + 10);
    CHECK(kept->front().created_at == ns_entry(1, "kept").created_at);
    CHECK(**again->find_namespace_by_stream("16661:0xflow", root_of(103)) == ns_entry(3, "elsewhere", "16661:0xflow"));
    CHECK_FALSE(again->find_namespace_by_stream("16602:0xflow", root_of(102))->has_value());
    CHECK(sqlite_value(path, "SELECT stream FROM zerog_namespaces WHERE name = 'kept'") == to_hex(root_of(101)));  // lower-case 0x-hex, as the roots
    std::filesystem::remove_all(dir);
}

TEST_CASE("SQLite and PostgreSQL: a schema version 1 database is migrated and keeps its records", "[store][namespaces]") {
    REQUIRE(store::schema_version == 3);
    SECTION("SQLite") {
        const std::string dir = temp_dir();
        const std::string path = dir + "/zerog.db";
        sqlite_script(path, version1_script(store::dialect::sqlite));
        CHECK(sqlite_value(path, "SELECT count(*) FROM sqlite_master WHERE name = 'zerog_namespaces'") == "0");
        {
            auto db = store::database::open(path);
            REQUIRE(db);
            check_migrated(*db);
        }
        CHECK(sqlite_value(path, "SELECT value FROM zerog_meta WHERE key = 'schema_version'") == "3");
        auto again = store::database::open(path);  // opening a current database changes nothing
        REQUIRE(again);
        CHECK(again->list_namespaces("16602:0xflow")->size() == 1);
        CHECK((*again->find_submission(root_of(1), "16602:0xflow"))->tx_seq == std::optional<std::uint64_t>(17));
        std::filesystem::remove_all(dir);
    }
    SECTION("PostgreSQL") {
        const std::string url = testing::postgres_server::instance().fresh_database();
        pg_script(url, version1_script(store::dialect::postgresql));
        CHECK(pg_script(url, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'zerog_namespaces'") == "0");
        {
            auto db = store::database::open(url);
            REQUIRE(db);
            check_migrated(*db);
        }
        CHECK(pg_script(url, "SELECT value FROM zerog_meta WHERE key = 'schema_version'") == "3");
        auto again = store::database::open(url);
        REQUIRE(again);
        CHECK(again->list_namespaces("16602:0xflow")->size() == 1);
        CHECK((*again->find_submission(root_of(1), "16602:0xflow"))->tx_seq == std::optional<std::uint64_t>(17));
    }
}

TEST_CASE("SQLite and PostgreSQL: API keys stored hashed, listed per user, revoked once; the key itself stored nowhere", "[store][api_keys]") {
    SECTION("SQLite") {
        const std::string dir = temp_dir();
        const std::string path = dir + "/zerog.db";
        {
            auto db = store::database::open(path);
            REQUIRE(db);
            api_key_suite(*db, [&] {
                return sqlite_value(path, "SELECT group_concat(id || usr || key_hash || scopes || created_s || expires_s || revoked_s, '|') FROM zerog_api_keys");
            });
        }
        std::filesystem::remove_all(dir);
    }
    SECTION("PostgreSQL") {
        const std::string url = testing::postgres_server::instance().fresh_database();
        auto db = store::database::open(url);
        REQUIRE(db);
        api_key_suite(*db, [&] {
            return pg_script(url, "SELECT string_agg(id || usr || key_hash || scopes || created_s || expires_s || revoked_s, '|') FROM zerog_api_keys");
        });
    }
    SECTION("process memory: refused, naming what is needed") {
        auto db = store::database::open(":memory:");
        REQUIRE(db);
        auto r = db->list_api_keys("");
        REQUIRE_FALSE(r);
        CHECK(r.error().is(errc::not_supported));
        CHECK(r.error().message().find("SQLite or PostgreSQL") != std::string::npos);
    }
}

TEST_CASE("API keys: the key's shape, its hash, constant-time matching, ids from the OS CSPRNG", "[store][api_keys][secrets]") {
    auto k = crypto::new_api_key();
    const std::string text(k.key.view());
    CHECK(text.size() == crypto::api_key_length);
    CHECK(text.starts_with("zgk_" + k.id + "_"));
    CHECK(*crypto::api_key_id(text) == k.id);
    CHECK(k.key_hash == crypto::api_key_hash(text));
    CHECK(k.key_hash.starts_with("sha256:"));
    CHECK(k.key_hash.size() == 7 + 64);
    CHECK(crypto::api_key_matches(text, k.key_hash));
    std::string wrong = text;
    wrong.back() = wrong.back() == '0' ? '1' : '0';
    CHECK_FALSE(crypto::api_key_matches(wrong, k.key_hash));
    CHECK_FALSE(crypto::api_key_matches(text, "sha256:00"));
    // Malformed keys are refused without echoing them.
    for (std::string bad : {std::string(), std::string("zgk_"), text.substr(1), text + "0", "zgK_" + text.substr(4), text.substr(0, 20) + "-" + text.substr(21)}) {
        auto id = crypto::api_key_id(bad);
        REQUIRE_FALSE(id);
        CHECK(id.error().is(errc::invalid_argument));
        if (bad.size() > 8) CHECK(id.error().message().find(bad) == std::string::npos);
    }
    std::string upper = text;
    upper[30] = upper[30] >= 'a' ? static_cast<char>(upper[30] - 32) : upper[30];
    if (upper != text) CHECK_FALSE(crypto::api_key_id(upper));
    // Two keys never share an id or a secret (64 and 256 random bits).
    auto other = crypto::new_api_key();
    CHECK(other.id != k.id);
    CHECK(other.key.view() != k.key.view());
    // Scopes and liveness.
    const policy::api_key_record r{k.id, "alice", k.key_hash, "files,usage", 100, 200, 0};
    CHECK(r.allows("files"));
    CHECK(r.allows("usage"));
    CHECK_FALSE(r.allows("inference"));
    CHECK_FALSE(r.allows("file"));
    CHECK(r.live_at(199));
    CHECK_FALSE(r.live_at(200));
    policy::api_key_record never = r;
    never.expires_at = 0;
    CHECK(never.live_at(1'000'000'000'000));
    never.revoked_at = 150;
    CHECK_FALSE(never.live_at(151));
}

TEST_CASE("the namespace registry of the test double and of the null model", "[store][namespaces]") {
    SECTION("mock_persistence: memory, a call log and injected failures") {
        zerog::testing::mock_persistence m;
        REQUIRE(m.add_namespace(ns_entry(1, "a")));
        CHECK(**m.find_namespace("16602:0xflow", "a") == ns_entry(1, "a"));
        m.fail_next = zerog::error(errc::io_error, "disk gone");
        auto failed = m.list_namespaces("16602:0xflow");
        REQUIRE_FALSE(failed);
        CHECK(failed.error().is(errc::io_error));
        CHECK(m.list_namespaces("16602:0xflow")->size() == 1);  // once only
        CHECK(m.add_namespace(ns_entry(1, "b")).error().is(errc::already_exists));
        CHECK(*m.remove_namespace("16602:0xflow", "a"));
        CHECK(m.calls == std::vector<std::string>{"add_namespace:a", "find_namespace:a", "list_namespaces:16602:0xflow",
                                                  "list_namespaces:16602:0xflow", "add_namespace:b", "remove_namespace:a"});
    }
    SECTION("no_persistence: writes are accepted and forgotten") {
        const policy::no_persistence none;
        CHECK(none.add_namespace(ns_entry(1, "a")));
        CHECK(none.update_namespace(ns_entry(1, "a")));
        CHECK_FALSE(none.find_namespace("16602:0xflow", "a")->has_value());
        CHECK_FALSE(none.find_namespace_by_stream("16602:0xflow", root_of(101))->has_value());
        CHECK(none.list_namespaces("16602:0xflow")->empty());
        CHECK_FALSE(*none.remove_namespace("16602:0xflow", "a"));
    }
}
