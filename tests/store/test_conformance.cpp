// One conformance suite for every Persistence model (policy/persistence.hpp): memory, SQLite and
// PostgreSQL (a real server started by tests/support/postgres.hpp) must agree on every operation:
// round trips, upserts, the atomic claim that keeps two payers from paying twice, transaction
// records that never lose a hash, exact usage and spend sums, and the same under concurrency.
#include <zerog/store/database.hpp>

#include "postgres.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <functional>
#include <thread>
#include <vector>

using namespace zerog;
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
