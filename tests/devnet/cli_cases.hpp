// End-to-end test of the CLI devnet (included into test_devnet.cpp to keep one Beast TU):
// `zerog devnet up` in a temp dir, a real Flow submission signed with our transaction code,
// upload/download through the nodes and the indexer, CLI fault injection, then `down` and
// checks that no process or port is left; and the compute side: `up --providers 2`, inference
// with the demo account right after `up`, TEE signatures, provider faults.
#pragma once

#include "devnet_test_util.hpp"

#include <zerog/devnet/compute_provider.hpp>

#include <test_support.hpp>

namespace devnet_test {

/// Run a shell command; (exit code, stdout).
inline std::pair<int, std::string> run(const std::string& cmd) { return zerog::testing::run_command(cmd); }

inline fs::path cli_path() {
    const char* b = std::getenv("ZEROG_BUILD_DIR");
    return b ? fs::path(b) / "tools" / "zerog" : fs::path();
}

/// Always `devnet down` at scope exit (also when a REQUIRE throws).
struct devnet_guard {
    std::string down_cmd;
    ~devnet_guard() { run(down_cmd + " > /dev/null 2>&1"); }
};

}  // namespace devnet_test

TEST_CASE("CLI: devnet up, submit, upload, download, faults, down", "[devnet][cli]") {
    const auto exe = cli_path();
    if (exe.empty() || !fs::exists(exe)) {
        WARN("ZEROG_BUILD_DIR/tools/zerog not found: CLI devnet test skipped");
        return;
    }
    temp_dir d;
    const fs::path dir = fs::canonical(d.path);
    const std::string base = "'" + exe.string() + "' devnet ";
    const std::string dir_arg = " --dir '" + dir.string() + "'";
    devnet_guard guard{base + "down" + dir_arg};

    auto [rc, out] = run(base + "up --nodes 2" + dir_arg + " 2>&1");
    INFO(out);
    REQUIRE(rc == 0);
    std::ifstream in(dir / "devnet.json");
    std::ostringstream ss;
    ss << in.rdbuf();
    const json::object dn = json::parse(ss.str()).as_object();
    for (const char* k : {"chainId", "rpc", "flow", "market", "ledger", "inference", "indexer", "nodes", "providers", "faucetKey", "pids"})
        REQUIRE(dn.contains(k));
    REQUIRE(dn.at("chainId").as_int64() == 16602);
    REQUIRE(dn.at("nodes").as_array().size() == 2);
    REQUIRE(run(base + "status" + dir_arg + " > /dev/null").first == 0);
    REQUIRE(run(base + "up" + dir_arg + " 2> /dev/null").first == 1);  // already running: refused, nothing touched
    REQUIRE(run(base + "status" + dir_arg + " > /dev/null").first == 0);
    std::vector<int> pids;
    for (const auto& kv : dn.at("pids").as_object()) pids.push_back(static_cast<int>(kv.value().as_int64()));
    REQUIRE(pids.size() == 5);  // anvil, 2 nodes, indexer, 1 provider (the default)
    REQUIRE(dn.at("providers").as_array().size() == 1);
    const std::string rpc(dn.at("rpc").as_string()), node0(dn.at("nodes").as_array()[0].as_string()),
        node1(dn.at("nodes").as_array()[1].as_string()), indexer(dn.at("indexer").as_string());

    // A real submission on the devnet Flow, signed and sent with our own transaction code.
    auto f = test_file::make(300000, 0, 0, 5);
    {
        namespace abi = zerog::codec::abi;
        zerog::net::blocking_runner runner;
        dv::rpc_client chain(zerog::net::http_transport(), rpc);
        auto signer = *zerog::crypto::secp256k1_signer::from_hex(std::string(dn.at("faucetKey").as_string()));
        auto market = *zerog::crypto::address::parse(std::string(dn.at("market").as_string()));
        auto flow = *zerog::crypto::address::parse(std::string(dn.at("flow").as_string()));
        auto price_ret = runner.run(dv::eth_call(chain, market, *abi::encode_call("pricePerSector()")));
        REQUIRE(price_ret);
        auto price = *abi::decode_as<zerog::uint256>("(uint256)", *price_ret);
        abi::value::list nodes;
        for (const auto& n : f.tree.submission.nodes)
            nodes.push_back(abi::value::tuple({abi::value::bytes(zerog::byte_span(n.root)), abi::value::uint(zerog::uint256(n.height))}));
        abi::value sub = abi::value::tuple({abi::value::tuple({abi::value::uint(zerog::uint256(f.tx.size)), abi::value::bytes(bytes{}),
                                                               abi::value::array(nodes)}),
                                            abi::value::addr(signer.address())});
        auto calldata = abi::encode_call("submit(((uint256,bytes,(bytes32,uint256)[]),address))", abi::value::list{sub});
        REQUIRE(calldata);
        const zerog::uint256 fee = price * zerog::uint256(f.tree.fee_sectors);
        auto nonce = runner.run(dv::pending_nonce(chain, signer.address()));
        REQUIRE(nonce);
        auto receipt = runner.run(dv::send_and_wait(chain, signer, 16602, *nonce, flow, *calldata, fee));
        INFO((receipt ? std::string() : receipt.error().message()));
        REQUIRE(receipt);
    }
    client c0(node0), c1(node1), ci(indexer);
    json::value info;
    // Each node follows the chain on its own: both must have seen the Submit event (≤ 5 s each)
    // before segments are sent to them (a node that has not yet answers null, not an error).
    for (auto* c : {&c1, &c0}) {
        for (int i = 0; i < 100 && !(info = c->ok("zgs_getFileInfo", params({json::value(f.root_hex()), json::value(false)}))).is_object(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        REQUIRE(info.is_object());
    }
    const auto seq = info.at("tx").at("seq").as_int64();
    REQUIRE(info.at("tx").at("size").as_int64() == static_cast<std::int64_t>(f.tx.size));
    // The node's startEntryIndex is the contract's placement; proofs do not depend on it.
    for (auto* c : {&c0, &c1}) {
        REQUIRE(c->ok("zgs_uploadSegmentsByTxSeq", params({json::array{f.seg_json(0), f.seg_json(1)}, json::value(seq)})).is_null());
        REQUIRE(c->ok("zgs_getFileInfo", params({json::value(f.root_hex()), json::value(true)})).at("finalized").as_bool());
    }
    REQUIRE(ci.ok("indexer_getFileLocations", params({json::value(f.root_hex())})).as_array().size() == 2);
    bytes got;
    for (std::uint64_t i = 0; i < 2; ++i) {
        auto span = *st::data_segment(f.tree.layout, i);
        auto b64 = c1.ok("zgs_downloadSegmentByTxSeq", params({json::value(seq), json::value(span.start_chunk), json::value(span.end_chunk)}));
        auto part = *zerog::base64_decode(b64.as_string());
        got.insert(got.end(), part.begin(), part.end());
    }
    got.resize(f.tx.size);
    REQUIRE(got == f.data);

    // Faults through the CLI, observed over JSON-RPC.
    REQUIRE(run(base + "fault --node 0 --mode error" + dir_arg + " > /dev/null").first == 0);
    REQUIRE(c0.err("zgs_getStatus").code == -32603);
    REQUIRE(run(base + "fault --node 0 --mode bogus" + dir_arg + " 2> /dev/null").first == 2);
    REQUIRE(run(base + "fault --provider 0 --mode bad-signature" + dir_arg + " > /dev/null").first == 0);
    REQUIRE(run(base + "fault --node 0 --mode none" + dir_arg + " > /dev/null").first == 0);
    REQUIRE(c0.ok("zgs_getStatus").is_object());

    // Down: every process gone, ports closed, idempotent, nothing left matching the dir.
    REQUIRE(run(base + "down" + dir_arg).first == 0);
    for (int pid : pids) REQUIRE_FALSE(dv::process_alive(pid));
    REQUIRE_FALSE(c0.raw("zgs_getStatus"));
    REQUIRE_FALSE(client(rpc).raw("eth_chainId"));
    auto again = run(base + "down" + dir_arg);
    REQUIRE(again.first == 0);
    REQUIRE(again.second.find("stopped 0") != std::string::npos);
    REQUIRE(run(base + "status" + dir_arg + " > /dev/null").first == 1);
    // "[x]" on the last character: the regex matches the services' command lines, not the shell's.
    std::string pattern = dir.string();
    pattern = pattern.substr(0, pattern.size() - 1) + "[" + pattern.back() + "]";
    REQUIRE(run("pgrep -f '" + pattern + "'").second.empty());
}

TEST_CASE("CLI: sharded devnet (--num-shard 2)", "[devnet][cli]") {
    const auto exe = cli_path();
    if (exe.empty() || !fs::exists(exe)) {
        WARN("ZEROG_BUILD_DIR/tools/zerog not found: CLI devnet test skipped");
        return;
    }
    temp_dir d;
    const std::string base = "'" + exe.string() + "' devnet ";
    const std::string dir_arg = " --dir '" + d.path.string() + "'";
    devnet_guard guard{base + "down" + dir_arg};
    REQUIRE(run(base + "up --nodes 2 --num-shard 3" + dir_arg + " 2> /dev/null").first == 2);  // not a power of two
    REQUIRE(run(base + "up --providers 3" + dir_arg + " 2> /dev/null").first == 2);            // only 2 key pairs
    auto [rc, out] = run(base + "up --nodes 2 --num-shard 2 --providers 1" + dir_arg + " 2> /dev/null");
    REQUIRE(rc == 0);
    const auto dn = json::parse(out).as_object();
    REQUIRE(dn.at("providers").as_array().size() == 1);
    for (std::int64_t i = 0; i < 2; ++i) {
        client c(std::string(dn.at("nodes").as_array()[static_cast<std::size_t>(i)].as_string()));
        auto sc = c.ok("zgs_getShardConfig").as_object();
        REQUIRE(sc.at("numShard").as_int64() == 2);
        REQUIRE(sc.at("shardId").as_int64() == i);
    }
    client ci(std::string(dn.at("indexer").as_string()));
    auto sel = ci.ok("indexer_getSelectedNodes", params({json::value(1), json::value("min"), json::value(true), json::array()}));
    REQUIRE(sel.at("trusted").as_array().size() == 2);  // both halves are needed for one replica
    REQUIRE(ci.err("indexer_getSelectedNodes", params({json::value(2), json::value("min"), json::value(true), json::array()})).code == -32000);
    REQUIRE(run(base + "fault --node 0" + dir_arg + " 2> /dev/null").first == 2);  // --mode missing
    REQUIRE(run(base + "down" + dir_arg + " > /dev/null").first == 0);
    for (const auto& kv : dn.at("pids").as_object()) REQUIRE_FALSE(dv::process_alive(static_cast<int>(kv.value().as_int64())));
}

TEST_CASE("CLI: a failed up stops what it started", "[devnet][cli]") {
    const auto exe = cli_path();
    if (exe.empty() || !fs::exists(exe)) {
        WARN("ZEROG_BUILD_DIR/tools/zerog not found: CLI devnet test skipped");
        return;
    }
    // A fake anvil that never listens: `up` must time out (bounded) and kill it.
    temp_dir fx;
    const fs::path bin = fx.path / "node_modules/@foundry-rs/anvil-linux-amd64/bin";
    fs::create_directories(bin);
    {
        std::ofstream s(bin / "anvil");
        s << "#!/bin/bash\nexec -a \"$0-fake $*\" sleep 30\n";
    }
    fs::permissions(bin / "anvil", fs::perms::owner_all);
    temp_dir d;
    const auto t0 = std::chrono::steady_clock::now();
    auto [rc, out] = run("ZEROG_FIXTURES_DIR='" + fx.path.string() + "' '" + exe.string() + "' devnet up --dir '" + d.path.string() + "' 2>&1");
    INFO(out);
    REQUIRE(rc == 1);
    REQUIRE(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(15));
    std::string pattern = fx.path.string();
    pattern = pattern.substr(0, pattern.size() - 1) + "[" + pattern.back() + "]";
    REQUIRE(run("pgrep -f '" + pattern + "'").second.empty());
    REQUIRE_FALSE(fs::exists(d.path / "devnet.json"));
}

TEST_CASE("CLI: devnet compute providers, demo account, provider faults", "[devnet][cli][provider]") {
    const auto exe = cli_path();
    if (exe.empty() || !fs::exists(exe)) {
        WARN("ZEROG_BUILD_DIR/tools/zerog not found: CLI devnet test skipped");
        return;
    }
    namespace cm = zerog::compute;
    temp_dir d;
    const fs::path dir = fs::canonical(d.path);
    const std::string base = "'" + exe.string() + "' devnet ";
    const std::string dir_arg = " --dir '" + dir.string() + "'";
    devnet_guard guard{base + "down" + dir_arg};

    const auto t0 = std::chrono::steady_clock::now();
    auto [rc, out] = run(base + "up --nodes 1 --providers 2" + dir_arg + " 2>&1");
    const auto up_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    INFO(out);
    REQUIRE(rc == 0);
    WARN("devnet up --nodes 1 --providers 2 took " << up_ms << " ms");
    std::ifstream in(dir / "devnet.json");
    std::ostringstream ss;
    ss << in.rdbuf();
    const json::object dn = json::parse(ss.str()).as_object();
    const auto& providers = dn.at("providers").as_array();
    const auto& details = dn.at("providerDetails").as_array();
    REQUIRE(providers.size() == 2);
    REQUIRE(details.size() == 2);
    REQUIRE(dn.at("pids").as_object().size() == 5);  // anvil, node, indexer, 2 providers
    for (const auto& p : providers) REQUIRE(p.as_object().size() == 3);  // what the config loader accepts
    REQUIRE(providers[0].at("address") != providers[1].at("address"));
    REQUIRE(std::string(details[0].at("inputPrice").as_string()) == "1000000000");
    REQUIRE(std::string(details[0].at("outputPrice").as_string()) == "2000000000");
    REQUIRE(fs::exists(dir / "services" / "provider-1.json"));

    auto faucet = *zerog::crypto::secp256k1_signer::from_hex(std::string(dn.at("faucetKey").as_string()));
    REQUIRE(dn.at("demoAccount").at("address").as_string() == faucet.address().to_checksum_hex());
    zerog::net::http_transport http;
    auto post = [&](const std::string& url, const std::string& auth, const std::string& body) {
        zerog::net::http_request r;
        r.method = body.empty() ? "GET" : "POST";
        r.url = url;
        if (!body.empty()) r.headers.emplace_back("Content-Type", "application/json");
        if (!auth.empty()) r.headers.emplace_back("Authorization", auth);
        r.body = body;
        r.options.accept_any_status = true;
        r.options.connect_timeout = std::chrono::milliseconds(2000);
        r.options.read_timeout = std::chrono::milliseconds(10000);
        auto res = http.send(std::move(r));
        INFO((res ? std::string() : res.error().message()));
        REQUIRE(res);
        return *res;
    };
    auto chat_body = [&](const json::value& model, const std::string& prompt) {
        return json::serialize(json::object{{"model", model},
                                            {"messages", json::array{json::object{{"role", "user"}, {"content", prompt}}}}});
    };
    for (std::size_t i = 0; i < 2; ++i) {
        const auto& p = providers[i].as_object();
        const std::string url(p.at("url").as_string());
        const auto provider = *zerog::crypto::address::parse(std::string_view(p.at("address").as_string()));
        const auto tee = *zerog::crypto::address::parse(std::string_view(details[i].at("teeSigner").as_string()));
        // The demo account works right away: one token, several requests (replay "off", as the
        // real broker), each answer signed by the provider's TEE signer over the exchanged bodies.
        auto token = cm::make_session_token(faucet, provider, {});
        REQUIRE(token);
        for (const char* prompt : {"hello devnet", "second request, same token"}) {
            const std::string body = chat_body(p.at("model"), prompt);
            auto res = post(url + "/v1/proxy/chat/completions", token->authorization, body);
            INFO(res.body);
            REQUIRE(res.status == 200);
            auto key = res.header("ZG-Res-Key");
            REQUIRE(key);
            auto path = cm::signature_path(*key, std::string_view(p.at("model").as_string()));
            REQUIRE(path);
            auto sres = post(url + *path, "", "");
            REQUIRE(sres.status == 200);
            auto parsed = cm::parse_signature_response(sres.body);
            REQUIRE(parsed);
            auto chk = cm::check_response_signature(*parsed, tee, cm::exchanged_bodies{body, res.body});
            INFO(chk.error.message());
            REQUIRE(chk.ok());
        }
    }

    // Provider faults through the CLI reach the emulator (same fault file path).
    const std::string url0(providers[0].at("url").as_string());
    const auto p0 = *zerog::crypto::address::parse(std::string_view(providers[0].at("address").as_string()));
    const std::string body = chat_body(providers[0].at("model"), "faulty?");
    auto token = cm::make_session_token(faucet, p0, {});
    REQUIRE(token);
    REQUIRE(run(base + "fault --provider 0 --mode error" + dir_arg + " > /dev/null").first == 0);
    auto bad = post(url0 + "/v1/proxy/chat/completions", token->authorization, body);
    REQUIRE(bad.status == 500);
    REQUIRE(bad.body.find("Internal Server Error") != std::string::npos);
    REQUIRE(post(std::string(providers[1].at("url").as_string()) + "/v1/proxy/chat/completions",
                 cm::make_session_token(faucet, *zerog::crypto::address::parse(std::string_view(providers[1].at("address").as_string())), {})->authorization,
                 chat_body(providers[1].at("model"), "unaffected"))
                .status == 200);
    REQUIRE(run(base + "fault --provider 0 --mode bogus" + dir_arg + " 2> /dev/null").first == 2);
    REQUIRE(run(base + "fault --provider 0 --mode none" + dir_arg + " > /dev/null").first == 0);
    REQUIRE(post(url0 + "/v1/proxy/chat/completions", token->authorization, body).status == 200);

    // Down stops the providers too.
    REQUIRE(run(base + "down" + dir_arg + " > /dev/null").first == 0);
    for (const auto& kv : dn.at("pids").as_object()) REQUIRE_FALSE(dv::process_alive(static_cast<int>(kv.value().as_int64())));
    std::string pattern = dir.string();
    pattern = pattern.substr(0, pattern.size() - 1) + "[" + pattern.back() + "]";
    REQUIRE(run("pgrep -f '" + pattern + "'").second.empty());
}

TEST_CASE("CLI: the production mix retries a flaky node, logs each stage, readers need no key", "[devnet][cli][retry]") {
    const auto exe = cli_path();
    REQUIRE_FALSE(exe.empty());  // tools/zerog is a dependency of this program's test: it is built
    REQUIRE(fs::exists(exe));
    temp_dir d;
    const fs::path dir = fs::canonical(d.path);
    const std::string q = "'" + exe.string() + "' ";
    const std::string dir_arg = " --dir '" + dir.string() + "'";
    devnet_guard guard{q + "devnet down" + dir_arg};
    {
        auto [rc, out] = run(q + "devnet up --nodes 1 --providers 0" + dir_arg + " 2>&1");
        INFO(out);
        REQUIRE(rc == 0);
    }
    std::ifstream dn_in(dir / "devnet.json");
    std::ostringstream dn_text;
    dn_text << dn_in.rdbuf();
    const json::object dn = json::parse(dn_text.str()).as_object();
    std::string faucet_hex(dn.at("faucetKey").as_string());
    if (faucet_hex.rfind("0x", 0) == 0) faucet_hex = faucet_hex.substr(2);
    // A clean environment: the devnet profile, no key (the devnet's faucet key is the default).
    const std::string env = "env -u ZG_PRIVATE_KEY -u ZG_KEYSTORE -u ZEROG_CONFIG -u ZEROG_LOG_LEVEL ZEROG_PROFILE=devnet ZEROG_DEVNET_DIR='" +
                            dir.string() + "' ";
    auto write = [&](const char* name, std::size_t size, int salt) {
        const fs::path p = dir / name;
        std::ofstream f(p, std::ios::binary);
        for (std::size_t i = 0; i < size; ++i) f.put(static_cast<char>((i * 131 + static_cast<std::size_t>(salt)) & 0xff));
        return p;
    };

    SECTION("zerog upload succeeds after the only node fails three calls; debug logs show stages and retries") {
        const auto file = write("flaky.bin", 300'000, 1);
        REQUIRE(run(q + "devnet fault --node 0 --mode flaky --count 3" + dir_arg + " > /dev/null").first == 0);
        const fs::path err = dir / "upload.err";
        auto [rc, out] = run(env + "ZEROG_LOG_LEVEL=debug " + q + "upload '" + file.string() + "' --json 2> '" + err.string() + "'");
        std::ifstream ein(err);
        std::ostringstream es;
        es << ein.rdbuf();
        const std::string log = es.str();
        INFO(out << "\n--- stderr ---\n" << log);
        REQUIRE(rc == 0);
        const auto res = json::parse(out).as_object();
        CHECK(res.at("verified").as_bool());
        auto lines_with = [&](std::string_view what) {
            std::size_t n = 0;
            for (std::size_t p = log.find(what); p != std::string::npos; p = log.find(what, p + 1)) ++n;
            return n;
        };
        CHECK(lines_with("\"event\":\"call.retry\"") >= 3);  // the three -32603 answers, each retried
        for (const char* stage : {"upload.existence", "upload.submit", "upload.log_sync", "upload.segments", "upload.finality",
                                  "upload.verify", "upload.done"})
            CHECK(lines_with(std::string("\"event\":\"") + stage + "\"") == 1);
        CHECK(log.find(faucet_hex) == std::string::npos);  // the key never reaches a log line
        // The same through --log-level, which wins over ZEROG_LOG_LEVEL; off means silence.
        auto quiet = run(env + "ZEROG_LOG_LEVEL=debug " + q + "--log-level off verify " + std::string(res.at("root").as_string()) + " 2>&1");
        CHECK(quiet.first == 0);
        CHECK(quiet.second.find("\"level\"") == std::string::npos);
    }

    SECTION("read-only commands load no key on any profile") {
        const auto file = write("ro.bin", 1000, 2);
        // devnet: estimate, then download/verify of a file uploaded with the faucet key.
        auto up = run(env + q + "upload '" + file.string() + "' --json 2>&1");
        INFO(up.second);
        REQUIRE(up.first == 0);
        const std::string root(json::parse(up.second).at("root").as_string());
        // A keystore path that does not exist: any attempt to load a key would fail loudly.
        const std::string no_key = env + "ZG_KEYSTORE=/nonexistent/keystore.json ";
        auto est = run(no_key + q + "upload --estimate '" + file.string() + "' --json 2>&1");
        INFO(est.second);
        CHECK(est.first == 0);
        auto ver = run(no_key + q + "verify " + root + " 2>&1");
        INFO(ver.second);
        CHECK(ver.first == 0);
        auto down = run(no_key + q + "download " + root + " --out '" + (dir / "ro.out").string() + "' 2>&1");
        INFO(down.second);
        CHECK(down.first == 0);
        // mainnet and testnet, pointed at a dead loopback endpoint: the command fails on the network,
        // never on a missing key (none is configured).
        for (const char* profile : {"mainnet", "testnet"}) {
            const std::string dead = "env -u ZG_PRIVATE_KEY -u ZG_KEYSTORE -u ZEROG_CONFIG -u ZEROG_DEVNET_DIR ZEROG_PROFILE=" +
                                     std::string(profile) + " ZEROG_RPC_URLS=http://127.0.0.1:9 ZEROG_INDEXER_URLS=http://127.0.0.1:9 " +
                                     "ZEROG_TIMEOUT_RPC=2000 ";
            for (const std::string& cmd : {"verify " + root, "upload --estimate '" + file.string() + "'"}) {
                auto r = run(dead + q + cmd + " 2>&1");
                INFO(profile << ": " << cmd << "\n" << r.second);
                CHECK(r.first == 1);
                CHECK(r.second.find("signing key") == std::string::npos);
                CHECK(r.second.find("ZG_PRIVATE_KEY") == std::string::npos);
            }
        }
    }

    SECTION("examples/upload_custom_retry: a user's own retry policy rides out the same faults") {
        const fs::path example = exe.parent_path().parent_path() / "examples" / "example_upload_custom_retry";
        REQUIRE(fs::exists(example));  // built as a dependency of this test program
        const auto file = write("example.bin", 70'000, 3);
        REQUIRE(run(q + "devnet fault --node 0 --mode flaky --count 2" + dir_arg + " > /dev/null").first == 0);
        auto [rc, out] = run(env + "'" + example.string() + "' '" + file.string() + "' 2>&1");
        INFO(out);
        REQUIRE(rc == 0);
        CHECK(out.find("verified yes") != std::string::npos);
    }
}
