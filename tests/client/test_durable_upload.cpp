// Never paying twice, across runs and across processes, with the durable default (persistence
// issue): the CLI against a real devnet and a real database (an SQLite file; a PostgreSQL server
// started by tests/support/postgres.hpp). The chain is the judge: Submit events are counted with
// eth_getLogs on anvil, per file identity.
#include <zerog/storage/file_tree.hpp>
#include <zerog/storage/flow_calldata.hpp>

#include <catch2/catch.hpp>
#include <postgres.hpp>
#include <test_support.hpp>

#include <boost/json.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <thread>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using zerog::testing::run_command;

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

/// `zerog devnet up` (2 nodes, no provider) in a temp dir; `down` at scope exit.
struct durable_devnet {
    zerog::testing::scoped_temp_dir tmp{"zerog-durable-"};
    fs::path exe = zerog::testing::zerog_cli_path();
    fs::path dir = tmp.path / "devnet";
    std::string rpc, flow;
    bool up = false;
    std::string up_log;

    durable_devnet() {
        auto [rc, out] = run_command(q(exe) + " devnet up --dir " + q(dir) + " --nodes 2 --providers 0 2>&1");
        up_log = out;
        up = rc == 0;
        if (!up) return;
        const auto dn = json::parse(zerog::testing::read_file((dir / "devnet.json").string())).as_object();
        rpc = std::string(dn.at("rpc").as_string());
        flow = std::string(dn.at("flow").as_string());
    }
    ~durable_devnet() { run_command(q(exe) + " devnet down --dir " + q(dir) + " > /dev/null 2>&1"); }

    /// The environment of a CLI run on this devnet with database `db`.
    std::string env(const std::string& db, const std::string& extra = "") const {
        return "env -u ZG_PRIVATE_KEY -u ZG_KEYSTORE -u ZEROG_CONFIG ZEROG_DEVNET_DIR=" + q(dir) + " ZEROG_PROFILE=devnet ZEROG_DB=" + q(db) + " " +
               extra + " ";
    }
    int fault(const std::string& mode, unsigned node) const {
        return run_command(q(exe) + " devnet fault --dir " + q(dir) + " --node " + std::to_string(node) + " --mode " + mode + " 2>&1").first;
    }
    /// Submit events on the Flow, per file identity (eth_getLogs through curl).
    std::map<zerog::hash256, int> submits() const {
        const std::string body = R"({"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"fromBlock":"0x0","toBlock":"latest","address":")" + flow +
                                 R"(","topics":[")" + zerog::to_hex(zerog::storage::submit_event_topic0()) + R"("]}]})";
        auto [rc, out] = run_command("curl -s -X POST -H 'content-type: application/json' --data '" + body + "' " + rpc);
        REQUIRE(rc == 0);
        const auto v = json::parse(out);
        std::map<zerog::hash256, int> n;
        for (const auto& l : v.at("result").as_array()) {
            const auto& topics = l.at("topics").as_array();
            if (topics.size() == 3) ++n[*zerog::from_hex_fixed<32>(std::string(topics[2].as_string()))];
        }
        return n;
    }
};

/// Run `sh -c "exec CMD"` and SIGKILL it the moment a line of its stderr contains `marker`.
/// Returns true when it was killed there, false when it ended first (or `limit` passed: killed too).
bool kill_at(const std::string& cmd, const std::string& marker, std::string& log, std::chrono::seconds limit = std::chrono::seconds(60)) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(fds[1], 2);
        ::close(fds[0]);
        ::close(fds[1]);
        ::execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(fds[1]);
    bool killed = false;
    std::string pending;
    const auto until = std::chrono::steady_clock::now() + limit;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
        if (left <= 0) {
            ::kill(pid, SIGKILL);
            break;
        }
        pollfd p{fds[0], POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
        char buf[4096];
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0) break;  // it ended
        pending.append(buf, static_cast<std::size_t>(n));
        log.append(buf, static_cast<std::size_t>(n));
        if (pending.find(marker) != std::string::npos) {
            ::kill(pid, SIGKILL);
            killed = true;
            break;
        }
        if (const auto nl = pending.rfind('\n'); nl != std::string::npos) pending.erase(0, nl + 1);
    }
    ::close(fds[0]);
    int st = 0;
    ::waitpid(pid, &st, 0);
    return killed && WIFSIGNALED(st);
}

zerog::hash256 identity_of(const fs::path& p) {
    return zerog::storage::identity_digest(zerog::storage::compute_file_tree(p.string())->submission);
}
std::string root_of(const fs::path& p) { return zerog::to_hex(zerog::storage::compute_file_tree(p.string())->root); }

}  // namespace

TEST_CASE("durable: an upload that fails after paying pays nothing on the next runs, and resumes", "[devnet][durable]") {
    durable_devnet net;
    INFO(net.up_log);
    REQUIRE(net.up);
    const std::string db = (net.tmp.path / "state" / "zerog.db").string();
    const auto file = zerog::testing::write_random_file(net.tmp.path / "f.bin", 300000, 1);
    const std::string root = root_of(file);
    // Both nodes never report the file as synced: every run pays or waits, then times out.
    REQUIRE(net.fault("stale", 0) == 0);
    REQUIRE(net.fault("stale", 1) == 0);
    const std::string upload = net.env(db, "ZEROG_TIMEOUT_FINALITY=2500ms") + q(net.exe) + " upload " + q(file) + " 2>&1";
    auto [rc1, out1] = run_command(upload);
    INFO(out1);
    REQUIRE(rc1 != 0);
    CHECK(out1.find(root) != std::string::npos);       // the error names the file's root…
    CHECK(out1.find("paid_in_tx=0x") != std::string::npos);  // …the transaction that paid…
    CHECK(out1.find("continues without paying") != std::string::npos);  // …and how to resume
    auto [rc2, out2] = run_command(upload);  // the user runs it again: the same failure, no new payment
    INFO(out2);
    REQUIRE(rc2 != 0);
    CHECK(net.submits()[identity_of(file)] == 1);

    auto [rcs, shown] = run_command(net.env(db) + q(net.exe) + " files show " + root + " --json");
    INFO(shown);
    REQUIRE(rcs == 0);
    const auto rec = json::parse(shown).as_array().at(0).as_object();
    CHECK(rec.at("state").as_string() == "mined");
    const std::string paid_tx(rec.at("txHash").as_string());
    CHECK(paid_tx.size() == 66);
    CHECK(rec.at("file").as_string() == "f.bin");
    CHECK(!rec.at("lastError").as_string().empty());

    // The nodes recover: the next run finishes the paid upload without a new transaction.
    REQUIRE(net.fault("none", 0) == 0);
    REQUIRE(net.fault("none", 1) == 0);
    auto [rc3, out3] = run_command(net.env(db) + q(net.exe) + " upload " + q(file) + " --json 2>&1");
    INFO(out3);
    REQUIRE(rc3 == 0);
    const auto done = json::parse(out3.substr(out3.find('{'))).as_object();
    CHECK(done.at("verified").as_bool());
    CHECK(done.at("txHash").as_string() == paid_tx);
    CHECK(net.submits()[identity_of(file)] == 1);
    auto [rcl, listed] = run_command(net.env(db) + q(net.exe) + " files list --state finalized --json");
    INFO(listed);
    REQUIRE(rcl == 0);
    const auto rows = json::parse(listed).as_array();
    REQUIRE(rows.size() == 1);
    CHECK(rows.at(0).at("root").as_string() == root);
    CHECK(rows.at(0).at("lastError").as_string().empty());
}

TEST_CASE("durable: two processes uploading the same 5 files at once pay once per file (SQLite, PostgreSQL)", "[devnet][durable]") {
    durable_devnet net;
    INFO(net.up_log);
    REQUIRE(net.up);
    const std::string sqlite_db = (net.tmp.path / "shared.db").string();
    const std::string pg_db = zerog::testing::postgres_server::instance().fresh_database();
    std::uint64_t salt = 100;
    for (const std::string& db : {sqlite_db, pg_db}) {
        INFO("database " << db);
        std::vector<fs::path> files;
        std::string list;
        for (int i = 0; i < 5; ++i) {
            files.push_back(zerog::testing::write_random_file(net.tmp.path / ("same-" + std::to_string(salt) + ".bin"), 200000 + i, salt));
            ++salt;
            list += " " + q(files.back());
        }
        const std::string loop = "for f in" + list + "; do " + net.env(db) + q(net.exe) + " upload \"$f\" --json || echo FAILED; done";
        const fs::path a = net.tmp.path / "a.log", b = net.tmp.path / "b.log";
        auto [rc, out] = run_command("(" + loop + ") > " + q(a) + " 2>&1 & (" + loop + ") > " + q(b) + " 2>&1 & wait");
        REQUIRE(rc == 0);
        const std::string la = zerog::testing::read_file(a.string()), lb = zerog::testing::read_file(b.string());
        INFO("process A:\n" << la << "\nprocess B:\n" << lb);
        CHECK(la.find("FAILED") == std::string::npos);
        CHECK(lb.find("FAILED") == std::string::npos);
        const auto subs = net.submits();
        for (const auto& f : files) {
            auto it = subs.find(identity_of(f));
            REQUIRE(it != subs.end());
            CHECK(it->second == 1);  // 5 Submit events for 5 files, not 10
        }
    }
}

TEST_CASE("durable: an upload killed with SIGKILL at each step pays once when run again", "[devnet][durable][crash]") {
    durable_devnet net;
    INFO(net.up_log);
    REQUIRE(net.up);
    const std::string db = (net.tmp.path / "zerog.db").string();
    const fs::path files = net.tmp.path / "files";
    fs::create_directories(files);
    std::uint64_t salt = 500;
    // The debug log names each step; the process dies the moment the line is written.
    for (const std::string step : {"upload.claimed",    // the intent is committed, nothing signed yet
                                   "tx.signed",         // a signed hash is durable (around the broadcast)
                                   "tx.mined",          // the transaction is mined, the record not yet updated
                                   "upload.segments",   // during the segment upload (16 segments)
                                   "upload.finality"}) {  // segments sent, finality not yet seen
        INFO("killed at " << step);
        const auto file = zerog::testing::write_random_file(files / ("crash-" + std::to_string(salt) + ".bin"), 4u << 20, salt);
        ++salt;
        std::string log;
        const bool killed = kill_at(net.env(db) + q(net.exe) + " --log-level debug upload " + q(file), step, log);
        INFO(log);
        REQUIRE(killed);
        auto [rc, out] = run_command(net.env(db) + q(net.exe) + " upload " + q(file) + " --json 2>&1");
        INFO(out);
        REQUIRE(rc == 0);
        const auto done = json::parse(out.substr(out.find('{'))).as_object();
        CHECK(done.at("verified").as_bool());
        CHECK(net.submits()[identity_of(file)] == 1);
        auto [rcs, shown] = run_command(net.env(db) + q(net.exe) + " files show " + root_of(file) + " --json");
        INFO(shown);
        REQUIRE(rcs == 0);
        CHECK(json::parse(shown).as_array().at(0).at("state").as_string() == "finalized");
        for (const auto& e : fs::directory_iterator(files)) CHECK(e.path().extension() == ".bin");  // nothing staged is left
    }
}

TEST_CASE("durable: audit finds a corrupt node; export/import and backup keep every record; prune forgets expired ones", "[devnet][durable]") {
    durable_devnet net;
    INFO(net.up_log);
    REQUIRE(net.up);
    const std::string db = (net.tmp.path / "zerog.db").string();
    const auto keep = zerog::testing::write_random_file(net.tmp.path / "keep.bin", 300000, 900);
    const auto brief = zerog::testing::write_random_file(net.tmp.path / "brief.bin", 200000, 901);
    const std::string zerog = q(net.exe);
    REQUIRE(run_command(net.env(db) + zerog + " upload " + q(keep) + " --json 2>&1").first == 0);
    REQUIRE(run_command(net.env(db) + zerog + " upload " + q(brief) + " --retention 1s --json 2>&1").first == 0);
    auto list = [&](const std::string& which) {
        auto [rc, out] = run_command(net.env(which) + zerog + " files list --json");
        REQUIRE(rc == 0);
        return json::parse(out).as_array();
    };
    const auto before = list(db);
    REQUIRE(before.size() == 2);

    SECTION("audit: every file verifies; served corrupt bytes are reported and the exit status says so") {
        auto [ok_rc, ok_out] = run_command(net.env(db) + zerog + " audit --sample 2 --json 2>&1");
        INFO(ok_out);
        CHECK(ok_rc == 0);
        CHECK(json::parse(ok_out).at("checked").as_int64() == 2);
        REQUIRE(net.fault("corrupt", 0) == 0);
        REQUIRE(net.fault("corrupt", 1) == 0);
        auto [bad_rc, bad_out] = run_command(net.env(db) + zerog + " audit 2>&1");
        INFO(bad_out);
        CHECK(bad_rc == 1);
        CHECK(bad_out.find("corrupt") != std::string::npos);
        CHECK(bad_out.find(root_of(keep)) != std::string::npos);
        REQUIRE(net.fault("none", 0) == 0);
        REQUIRE(net.fault("none", 1) == 0);
    }
    SECTION("export, import into an empty database (twice: idempotent), backup") {
        const auto dump = net.tmp.path / "dump.jsonl";
        REQUIRE(run_command(net.env(db) + zerog + " db export --out " + q(dump) + " 2>&1").first == 0);
        const std::string other = (net.tmp.path / "restored.db").string();
        auto [rc1, out1] = run_command(net.env(other) + zerog + " db import " + q(dump) + " 2>&1");
        INFO(out1);
        REQUIRE(rc1 == 0);
        CHECK(out1.find("imported 2 submission(s) (2 new") != std::string::npos);
        auto [rc2, out2] = run_command(net.env(other) + zerog + " db import " + q(dump) + " 2>&1");
        INFO(out2);
        REQUIRE(rc2 == 0);
        CHECK(out2.find("(0 new") != std::string::npos);
        CHECK(list(other) == before);
        // The restored database knows the payments: uploading again pays nothing.
        auto [rc3, out3] = run_command(net.env(other) + zerog + " upload " + q(keep) + " --json 2>&1");
        INFO(out3);
        REQUIRE(rc3 == 0);
        CHECK(net.submits()[identity_of(keep)] == 1);
        // A damaged line stops the import and names the line.
        { std::ofstream(net.tmp.path / "bad.jsonl") << zerog::testing::read_file(dump.string()) << "{\"kind\":\"submission\",\"root\":\"0x12\"}\n"; }
        auto [rc4, out4] = run_command(net.env(other) + zerog + " db import " + q(net.tmp.path / "bad.jsonl") + " 2>&1");
        CHECK(rc4 != 0);
        CHECK(out4.find("line ") != std::string::npos);

        const auto copy = net.tmp.path / "backup.db";
        REQUIRE(run_command(net.env(db) + zerog + " db backup " + q(copy) + " 2>&1").first == 0);
        CHECK(list(copy.string()) == before);
        CHECK(run_command(net.env(db) + zerog + " db backup " + q(copy) + " 2>&1").first != 0);  // never overwritten silently
    }
    SECTION("prune forgets records past their retention, and only those") {
        std::this_thread::sleep_for(std::chrono::milliseconds(1100));
        auto [rc, out] = run_command(net.env(db) + zerog + " files prune --json 2>&1");
        INFO(out);
        REQUIRE(rc == 0);
        const auto gone = json::parse(out).as_array();
        REQUIRE(gone.size() == 1);
        CHECK(gone.at(0).at("root").as_string() == root_of(brief));
        const auto after = list(db);
        REQUIRE(after.size() == 1);
        CHECK(after.at(0).at("root").as_string() == root_of(keep));
    }
}

TEST_CASE("durable: a wiped node is found by audit and repaired without paying; db rebuild --from-chain restores every record",
          "[devnet][durable][recovery]") {
    durable_devnet net;
    INFO(net.up_log);
    REQUIRE(net.up);
    const std::string db = (net.tmp.path / "zerog.db").string();
    const std::string zerog = q(net.exe);
    const auto both = zerog::testing::write_random_file(net.tmp.path / "both.bin", 700000, 910);  // 3 segments, on both nodes
    const auto one = zerog::testing::write_random_file(net.tmp.path / "one.bin", 100000, 911);    // 1 segment, one copy
    const auto never = zerog::testing::write_random_file(net.tmp.path / "never.bin", 5000, 912);  // never uploaded
    {
        auto [rc, out] = run_command(net.env(db) + zerog + " upload " + q(both) + " --replicas 2 --json 2>&1");
        INFO(out);
        REQUIRE(rc == 0);
    }
    REQUIRE(run_command(net.env(db) + zerog + " upload " + q(one) + " --json 2>&1").first == 0);
    auto list = [&]() {
        auto [rc, out] = run_command(net.env(db) + zerog + " files list --json");
        REQUIRE(rc == 0);
        return json::parse(out).as_array();
    };
    const auto before = list();
    REQUIRE(before.size() == 2);
    const auto submits_before = net.submits();

    // Node 0 loses everything (disk replaced) and re-syncs the log: it knows both Submits, holds nothing.
    {
        auto [rc, out] = run_command(zerog + " devnet wipe --dir " + q(net.dir) + " --node 0 2>&1");
        INFO(out);
        REQUIRE(rc == 0);
    }
    {
        auto [rc, out] = run_command(net.env(db) + zerog + " audit --json 2>&1");
        INFO(out);
        CHECK(rc == 1);
        const auto rep = json::parse(out).as_object();
        CHECK(rep.at("bad").as_int64() >= 1);
        for (const auto& f : rep.at("files").as_array())
            if (f.at("root").as_string() == root_of(both)) CHECK(f.at("verdict").as_string() == "degraded");
    }

    SECTION("repair re-sends the lost segments; nothing is signed; audit is clean again") {
        for (const auto& f : {both, one}) {
            auto [rc, out] = run_command(net.env(db) + zerog + " repair " + root_of(f) + " --from " + q(f) + " --json 2>&1");
            INFO(out);
            REQUIRE(rc == 0);
            const auto r = json::parse(out).as_object();
            CHECK(r.at("verified").as_bool());
            CHECK(r.at("repaired").as_array().size() + r.at("alreadyFinal").as_array().size() == 2);
        }
        auto [rc, out] = run_command(net.env(db) + zerog + " audit --sample 3 --json 2>&1");
        INFO(out);
        CHECK(rc == 0);
        CHECK(json::parse(out).at("bad").as_int64() == 0);
        CHECK(net.submits() == submits_before);  // not one new Submit
        auto [src, shown] = run_command(net.env(db) + zerog + " files show " + root_of(both) + " --json");
        REQUIRE(src == 0);
        CHECK(json::parse(shown).as_array().at(0).at("state").as_string() == "finalized");

        // Bad input: a file that is not the root, a root nobody paid for: clear errors, nothing sent.
        auto [wrc, wout] = run_command(net.env(db) + zerog + " repair " + root_of(both) + " --from " + q(one) + " 2>&1");
        CHECK(wrc == 1);
        CHECK(wout.find("not to the root to repair") != std::string::npos);
        auto [nrc, nout] = run_command(net.env(db) + zerog + " repair " + root_of(never) + " --from " + q(never) + " 2>&1");
        CHECK(nrc == 1);
        CHECK(nout.find("repair never pays") != std::string::npos);
        CHECK(net.submits() == submits_before);
    }
    SECTION("the database is lost: db rebuild --from-chain brings back every record files list showed") {
        for (const char* ext : {"", "-wal", "-shm"}) fs::remove(db + ext);
        auto [rc, out] = run_command(net.env(db) + zerog + " db rebuild --from-chain --json 2>&1");
        INFO(out);
        REQUIRE(rc == 0);
        const auto r = json::parse(out).as_object();
        CHECK(r.at("added").as_int64() == 2);
        const auto after = list();
        REQUIRE(after.size() == before.size());
        std::map<std::string, json::object> by_root;
        for (const auto& x : after) by_root[std::string(x.at("root").as_string())] = x.as_object();
        for (const auto& b : before) {
            const std::string root(b.at("root").as_string());
            INFO(root);
            REQUIRE(by_root.count(root) == 1);
            const auto& a = by_root[root];
            for (const char* k : {"txHash", "txSeq", "size", "fee", "account", "network"}) {
                INFO(k);
                CHECK(a.at(k) == b.at(k));
            }
        }
        // Idempotent: a second scan changes nothing; and the rebuilt records keep uploads from paying again.
        auto [rc2, out2] = run_command(net.env(db) + zerog + " db rebuild --from-chain --json 2>&1");
        REQUIRE(rc2 == 0);
        CHECK(json::parse(out2).at("unchanged").as_int64() == 2);
        REQUIRE(run_command(net.env(db) + zerog + " upload " + q(one) + " --json 2>&1").first == 0);
        CHECK(net.submits() == submits_before);
        // A range before any upload finds nothing; a bad block number is a usage error.
        auto [rc3, out3] = run_command(net.env(db) + zerog + " db rebuild --from-chain --from-block 0 --to-block 1 --json 2>&1");
        INFO(out3);
        REQUIRE(rc3 == 0);
        CHECK(json::parse(out3).at("records").as_array().empty());
        CHECK(run_command(net.env(db) + zerog + " db rebuild --from-chain --from-block x 2>&1").first == 2);
    }
}
