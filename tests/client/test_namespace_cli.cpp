// Namespaces end to end on the devnet (`devnet up --kv`): four accounts (anvil's public keys
// 0..3) as admin, writer, reader and outsider, each with its own database (registry). Write
// access is decided by the KV node replaying the stream; read access by the data keys.
#include <catch2/catch.hpp>
#include <test_support.hpp>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

namespace {

namespace fs = std::filesystem;
using zerog::testing::run_command;

std::string q(const fs::path& p) { return zerog::testing::shell_quote(p); }

boost::json::object json_of(const std::string& out) {
    // The JSON document is the last line that parses as an object (warnings may precede it).
    std::size_t end = out.size();
    while (end > 0) {
        std::size_t start = out.rfind('\n', end - 1);
        start = start == std::string::npos ? 0 : start + 1;
        const std::string line = out.substr(start, end - start);
        boost::system::error_code ec;
        auto v = boost::json::parse(line, ec);
        if (!ec && v.is_object()) return v.as_object();
        if (start == 0) break;
        end = start - 1;
    }
    return {};
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct account {
    std::string key, address;
};
const account admin_acct{"0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"};
const account writer_acct{"0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"};
const account reader_acct{"0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"};
const account outsider_acct{"0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6", "0x90F79bf6EB2c4f870365E785982E1f101E93b906"};

}  // namespace

TEST_CASE("zerog ns on the devnet: roles enforced by the KV node, files readable by members only, revoke rotates", "[devnet][kv][namespace]") {
    const zerog::testing::cli_devnet net("zerog-ns-cli-", "--nodes 2 --providers 0 --kv");
    INFO(net.out);
    REQUIRE(net.rc == 0);
    const auto& tmp = net.tmp;
    const fs::path& exe = net.exe;
    const fs::path& dir = net.dir;
    auto as = [&](const account& a, const std::string& db) {
        return "env -u ZG_KEYSTORE -u ZEROG_CONFIG -u ZEROG_KV_URLS ZEROG_DEVNET_DIR=" + q(dir) + " ZEROG_PROFILE=devnet ZEROG_DB=" +
               q(tmp.path / (db + ".db")) + " ZG_PRIVATE_KEY=" + a.key + " " + q(exe);
    };
    const std::string A = as(admin_acct, "admin"), W = as(writer_acct, "writer"), R = as(reader_acct, "reader"), O = as(outsider_acct, "outsider");

    // Public keys, as members would hand them over.
    auto pub_of = [&](const std::string& z) {
        auto [rc, out] = run_command(z + " account --json 2>&1");
        INFO(out);
        REQUIRE(rc == 0);
        return std::string(json_of(out).at("publicKey").as_string());
    };
    const std::string writer_pub = pub_of(W), reader_pub = pub_of(R);

    // --- create; a second create of the same name collides; bad names are usage errors
    auto [c1, create] = run_command(A + " ns create team --meta owner=ops --meta tier=gold --json 2>&1");
    INFO(create);
    REQUIRE(c1 == 0);
    const std::string stream = std::string(json_of(create).at("stream").as_string());
    CHECK(json_of(create).at("result").as_string() == "Commit");
    auto [c2, again] = run_command(A + " ns create team --json 2>&1");
    CHECK(c2 == 1);
    CHECK(again.find("already in the local registry") != std::string::npos);
    CHECK(run_command(A + " ns create 'bad name' 2>&1").first == 2);
    CHECK(run_command(A + " ns create 0xabc 2>&1").first == 2);

    auto [s1, show] = run_command(A + " ns show team --json 2>&1");
    INFO(show);
    REQUIRE(s1 == 0);
    {
        const auto v = json_of(show);
        CHECK(v.at("admin").as_string() == admin_acct.address);
        CHECK(v.at("meta").at("owner").as_string() == "ops");
        CHECK(v.at("epoch").to_number<std::uint64_t>() == 0);
        REQUIRE(v.at("members").as_array().size() == 1);
        CHECK(v.at("members").as_array()[0].at("role").as_string() == "admin");
        CHECK(v.at("localName").as_string() == "team");
    }
    auto [l1, list] = run_command(A + " ns list --json 2>&1");
    REQUIRE(l1 == 0);
    CHECK(json_of(list).at("namespaces").as_array().size() == 1);

    // --- grant: an address alone is refused with what to pass; public keys work
    auto [g0, by_address] = run_command(A + " ns grant team " + reader_acct.address + " --role reader --json 2>&1");
    CHECK(g0 == 1);
    CHECK(by_address.find("zerog account") != std::string::npos);
    auto [g1, grant_w] = run_command(A + " ns grant team " + writer_pub + " --role writer --json 2>&1");
    INFO(grant_w);
    REQUIRE(g1 == 0);
    auto [g2, grant_r] = run_command(A + " ns grant " + stream + " " + reader_pub + " --role reader --json 2>&1");
    INFO(grant_r);
    REQUIRE(g2 == 0);
    // Only an admin may grant: refused before anything is paid.
    auto [g3, not_admin] = run_command(W + " ns grant " + stream + " " + reader_pub + " --role writer --json 2>&1");
    CHECK(g3 == 1);
    CHECK(not_admin.find("not an admin") != std::string::npos);

    // --- join: checked against the node; a wrong expected admin is refused
    auto [j1, join_w] = run_command(W + " ns join " + stream + " --json 2>&1");
    INFO(join_w);
    REQUIRE(j1 == 0);
    CHECK(json_of(join_w).at("role").as_string() == "writer");
    CHECK(json_of(join_w).at("localName").as_string() == "team");
    auto [j2, join_r] = run_command(R + " ns join " + stream + " --as shared --admin " + admin_acct.address + " --json 2>&1");
    INFO(join_r);
    REQUIRE(j2 == 0);
    CHECK(json_of(join_r).at("role").as_string() == "reader");
    auto [j3, join_o] = run_command(O + " ns join " + stream + " --as t --admin " + outsider_acct.address + " --json 2>&1");
    CHECK(j3 == 1);
    CHECK(join_o.find("is administered by") != std::string::npos);
    REQUIRE(run_command(O + " ns join " + stream + " --as t 2>&1").first == 0);

    // --- put by the writer, get by the reader
    const fs::path f1 = tmp.path / "a.bin", f2 = tmp.path / "b.bin";
    zerog::testing::write_random_file(f1, 300 * 1024 + 17, 1);
    zerog::testing::write_random_file(f2, 4096, 2);
    auto [p1, put1] = run_command(W + " ns put team " + q(f1) + " --as docs/a.bin --json 2>&1");
    INFO(put1);
    REQUIRE(p1 == 0);
    const std::string root1 = std::string(json_of(put1).at("root").as_string());
    CHECK(json_of(put1).at("epoch").to_number<std::uint64_t>() == 0);
    // A re-run (crash after the upload, say) pays nothing more: same ciphertext, same root.
    auto [p1b, put1b] = run_command(W + " ns put team " + q(f1) + " --as docs/a.bin --json 2>&1");
    INFO(put1b);
    REQUIRE(p1b == 0);
    CHECK(json_of(put1b).at("root").as_string() == root1);
    CHECK(json_of(put1b).at("skipped").as_bool());
    CHECK_FALSE(json_of(put1b).at("fileSubmitted").as_bool());
    CHECK(json_of(put1b).at("fileTxSeq") == json_of(put1).at("fileTxSeq"));

    auto [r1, get1] = run_command(R + " ns get shared docs/a.bin --out " + q(tmp.path / "a.out") + " --json 2>&1");
    INFO(get1);
    REQUIRE(r1 == 0);
    CHECK(slurp(tmp.path / "a.out") == slurp(f1));
    auto [ls1, ls] = run_command(R + " ns ls shared --json 2>&1");
    REQUIRE(ls1 == 0);
    REQUIRE(json_of(ls).at("files").as_array().size() == 1);
    CHECK(json_of(ls).at("files").as_array()[0].at("path").as_string() == "docs/a.bin");
    CHECK(json_of(ls).at("files").as_array()[0].at("size").to_number<std::uint64_t>() == 300 * 1024 + 17);

    // --- isolation: the outsider has the root but cannot read the file
    auto [o1, get_o] = run_command(O + " ns get t docs/a.bin --out " + q(tmp.path / "o.out") + " --json 2>&1");
    CHECK(o1 == 1);
    CHECK(get_o.find("holds no key") != std::string::npos);
    CHECK_FALSE(fs::exists(tmp.path / "o.out"));
    auto [o2, raw] = run_command(O + " download " + root1 + " --out " + q(tmp.path / "raw.bin") + " 2>&1");
    INFO(raw);
    REQUIRE(o2 == 0);
    const std::string cipher = slurp(tmp.path / "raw.bin"), plain = slurp(f1);
    CHECK(cipher.size() == plain.size() + 17);
    CHECK(cipher.find(plain.substr(1000, 64)) == std::string::npos);

    // --- write access is the KV node's decision
    auto [w1, reader_put] = run_command(R + " ns put shared " + q(f2) + " --json 2>&1");
    CHECK(w1 == 1);
    CHECK(reader_put.find("may not write") != std::string::npos);
    auto [w2, forge] = run_command(W + " kv put " + stream + " zerog.ns/meta forged --json 2>&1");
    INFO(forge);
    CHECK(w2 == 1);
    CHECK(std::string(json_of(forge).at("result").as_string()).rfind("WritePermissionDenied", 0) == 0);
    auto [w3, outsider_raw] = run_command(O + " kv put " + stream + " files/x y --json 2>&1");
    CHECK(w3 == 1);
    CHECK(json_of(outsider_raw).at("result").as_string() == "SenderNoWritePermission");
    // A writer planting a member record: written (the key was never made admin-only) but ignored.
    const std::string outsider_slot = "zerog.ns/member/90f79bf6eb2c4f870365e785982e1f101e93b906";
    auto [w4, plant] = run_command(W + " kv put " + stream + " " + outsider_slot + " '{\"v\":1}' --json 2>&1");
    CHECK(w4 == 0);
    auto [m1, members] = run_command(A + " ns members team --json 2>&1");
    INFO(members);
    REQUIRE(m1 == 0);
    CHECK(json_of(members).at("members").as_array().size() == 3);
    auto [m2, show2] = run_command(A + " ns show team --json 2>&1");
    CHECK(show2.find("ignored: written by a non-admin") != std::string::npos);

    // --- revoke the reader: new epoch; files written later are unreadable to them, earlier ones not
    auto [v1, revoke] = run_command(A + " ns revoke team " + reader_acct.address + " --json 2>&1");
    INFO(revoke);
    REQUIRE(v1 == 0);
    CHECK(json_of(revoke).at("epoch").to_number<std::uint64_t>() == 1);
    CHECK(revoke.find("stay readable") != std::string::npos);
    auto [p2, put2] = run_command(W + " ns put team " + q(f2) + " --as docs/b.bin --json 2>&1");
    INFO(put2);
    REQUIRE(p2 == 0);
    CHECK(json_of(put2).at("epoch").to_number<std::uint64_t>() == 1);
    auto [r2, get2] = run_command(R + " ns get shared docs/b.bin --out " + q(tmp.path / "b.out") + " 2>&1");
    CHECK(r2 == 1);
    CHECK(get2.find("holds no key of epoch 1") != std::string::npos);
    auto [r3, get3] = run_command(R + " ns get shared docs/a.bin --out " + q(tmp.path / "a2.out") + " 2>&1");
    CHECK(r3 == 0);
    auto [r4, get4] = run_command(A + " ns get team docs/b.bin --out " + q(tmp.path / "b2.out") + " 2>&1");
    INFO(get4);
    REQUIRE(r4 == 0);
    CHECK(slurp(tmp.path / "b2.out") == slurp(f2));
    // A member given by address: the public key is recovered from a transaction the address sent
    // (the outsider's refused `kv put` above is one); a transaction of someone else is refused.
    auto [g4, wrong_tx] = run_command(A + " ns grant team " + outsider_acct.address + " --role reader --from-tx " +
                                      std::string(json_of(put2).at("txHash").as_string()) + " 2>&1");
    CHECK(g4 == 1);
    CHECK(wrong_tx.find("was sent by " + writer_acct.address) != std::string::npos);
    auto [g5, by_tx] = run_command(A + " ns grant team " + outsider_acct.address + " --role reader --json 2>&1");
    INFO(by_tx);
    REQUIRE(g5 == 0);
    // Granted later, the outsider reads files of every epoch, including those written before.
    auto [o3, late_a] = run_command(O + " ns get t docs/a.bin --out " + q(tmp.path / "o-a.out") + " 2>&1");
    INFO(late_a);
    CHECK(o3 == 0);
    CHECK(slurp(tmp.path / "o-a.out") == slurp(f1));
    auto [o4, late_b] = run_command(O + " ns get t docs/b.bin --out " + q(tmp.path / "o-b.out") + " 2>&1");
    CHECK(o4 == 0);
    CHECK(slurp(tmp.path / "o-b.out") == slurp(f2));

    // An admin cannot be revoked (KV has no such op).
    auto [v2, revoke_admin] = run_command(A + " ns revoke team " + admin_acct.address + " 2>&1");
    CHECK(v2 == 1);

    // --- rm, then bad input
    auto [rm1, rm] = run_command(W + " ns rm team docs/a.bin --json 2>&1");
    INFO(rm);
    REQUIRE(rm1 == 0);
    auto [ls2c, ls2] = run_command(A + " ns ls team --json 2>&1");
    REQUIRE(json_of(ls2).at("files").as_array().size() == 1);
    CHECK(run_command(W + " ns rm team docs/a.bin 2>&1").first == 1);
    auto [u1, unknown] = run_command(A + " ns show nosuch 2>&1");
    CHECK(u1 == 1);
    CHECK(unknown.find("unknown namespace") != std::string::npos);
    CHECK(run_command(A + " ns put team " + q(f2) + " --as '" + std::string(1100, 'p') + "' 2>&1").first == 2);
    // A stream someone already wrote is never taken over as a new namespace (squatting, kv.md §7).
    auto [u3, squat] = run_command(A + " ns create other --stream " + stream + " 2>&1");
    CHECK(u3 == 1);
    CHECK(squat.find("already holds data") != std::string::npos);
    // Oversize: a file above limits.maxFileSize is refused before anything is paid, for ns and kv.
    auto [u4, big_ns] = run_command("ZEROG_MAX_FILE_SIZE=1024 " + W + " ns put team " + q(f2) + " --as big.bin 2>&1");
    CHECK(u4 == 1);
    CHECK(big_ns.find("nothing was sent or paid") != std::string::npos);
    auto [u5, big_kv] = run_command("ZEROG_MAX_FILE_SIZE=1024 " + W + " kv put " + stream + " files/big --file " + q(f2) + " 2>&1");
    CHECK(u5 == 1);
    CHECK(big_kv.find("maxFileSize") != std::string::npos);
    auto [u2, not_ns] = run_command(A + " ns show 0x" + std::string(64, 'e') + " 2>&1");
    CHECK(u2 == 1);
    CHECK(not_ns.find("holds no zerog namespace") != std::string::npos);

    // --- the KV node down: a clear error, not a hang
    REQUIRE(run_command(q(exe) + " devnet fault --dir " + q(dir) + " --kv --mode down 2>&1").first == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));  // the node polls its fault every 100 ms
    auto [d1, down_err] = run_command(A + " ns ls team 2>&1");
    CHECK(d1 == 1);
    CHECK(down_err.find("kv_") != std::string::npos);
    REQUIRE(run_command(q(exe) + " devnet fault --dir " + q(dir) + " --kv --mode none 2>&1").first == 0);
    {
        bool back = false;
        for (int i = 0; i < 100 && !back; ++i) {
            back = run_command(A + " ns ls team > /dev/null 2>&1").first == 0;
            if (!back) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        REQUIRE(back);
    }

    // --- the admin loses its database: the registry comes back from the chain and the KV node
    for (const char* suffix : {".db", ".db-wal", ".db-shm"}) fs::remove(tmp.path / (std::string("admin") + suffix));
    auto [y1, empty] = run_command(A + " ns list --json 2>&1");
    REQUIRE(y1 == 0);
    CHECK(json_of(empty).at("namespaces").as_array().empty());
    auto [y2, rebuilt] = run_command(A + " ns rebuild --json 2>&1");
    INFO(rebuilt);
    REQUIRE(y2 == 0);
    REQUIRE(json_of(rebuilt).at("added").as_array().size() == 1);
    CHECK(json_of(rebuilt).at("added").as_array()[0].at("name").as_string() == "team");
    CHECK(json_of(rebuilt).at("added").as_array()[0].at("stream").as_string() == stream);
    CHECK(json_of(rebuilt).at("added").as_array()[0].at("role").as_string() == "admin");
    auto [y3, twice] = run_command(A + " ns rebuild --json 2>&1");
    CHECK(json_of(twice).at("added").as_array().empty());

    // --- delete: tombstone, writers revoked, gone from the admin's registry
    auto [x1, del] = run_command(A + " ns delete team --json 2>&1");
    INFO(del);
    REQUIRE(x1 == 0);
    auto [x2, after] = run_command(W + " ns put team " + q(f2) + " --as c.bin 2>&1");
    CHECK(x2 == 1);
    CHECK(after.find("deleted") != std::string::npos);
    // The node refuses the revoked writer too, not just zerog.
    auto [x2b, raw_after] = run_command(W + " kv put " + stream + " files/late x --json 2>&1");
    INFO(raw_after);
    CHECK(x2b == 1);
    CHECK(json_of(raw_after).at("result").as_string() == "SenderNoWritePermission");
    auto [x3, list2] = run_command(A + " ns list --json 2>&1");
    CHECK(json_of(list2).at("namespaces").as_array().empty());
    auto [x4, show3] = run_command(R + " ns show shared --json 2>&1");
    CHECK(json_of(show3).at("deleted").as_bool());
}
