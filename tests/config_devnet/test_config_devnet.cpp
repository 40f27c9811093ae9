// `zerog config check` and `zerog smoke` end to end on the devnet, through the built CLI:
//   * config check --profile devnet --json passes (every planned check ok, each with a latency);
//   * it fails precisely (exit 1, the failing check named with expected vs got and where) for a
//     wrong chain id (ZEROG_CHAIN_ID), a wrong Flow address (ZEROG_FLOW_ADDRESS) and a dead node
//     (`devnet fault --node 0 --mode down`), the other checks still reported;
//   * smoke --profile devnet --json: upload, download + compare, verify, one verified inference.
// The devnet is always taken down (RAII guard), also when a REQUIRE throws. Also `zerog account`
// (offline: address and compressed public key of the configured key, never the key itself).
// Light TU: no Beast.
#include <boost/json.hpp>

#include <catch2/catch.hpp>
#include <test_support.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace config_devnet_test {

namespace fs = std::filesystem;
namespace json = boost::json;

inline std::pair<int, std::string> run(const std::string& cmd) { return zerog::testing::run_command(cmd); }

struct temp_dir {
    fs::path path;
    temp_dir() {
        std::string t = (fs::temp_directory_path() / "zerog-cfgdev-XXXXXX").string();
        if (::mkdtemp(t.data())) path = t;
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

struct down_guard {
    std::string cmd;
    ~down_guard() { run(cmd + " > /dev/null 2>&1"); }
};

/// The check named kind/field in a `config check --json` answer (null object when absent).
inline json::object find_check(const json::object& rep, std::string_view kind, std::string_view field) {
    for (const auto& c : rep.at("checks").as_array())
        if (c.at("kind").as_string() == kind && c.at("field").as_string() == field) return c.as_object();
    return {};
}

inline std::size_t failed_count(const json::object& rep) {
    std::size_t n = 0;
    for (const auto& c : rep.at("checks").as_array()) n += c.at("ok").as_bool() ? 0 : 1;
    return n;
}

inline std::string str(const json::object& o, std::string_view k) {
    auto* v = o.if_contains(k);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace config_devnet_test

TEST_CASE("CLI: config check and smoke on the devnet", "[devnet][cli][config]") {
    using namespace config_devnet_test;
    const char* b = std::getenv("ZEROG_BUILD_DIR");
    const fs::path exe = b ? fs::path(b) / "tools" / "zerog" : fs::path();
    if (exe.empty() || !fs::exists(exe)) {
        WARN("ZEROG_BUILD_DIR/tools/zerog not found: config check / smoke devnet test skipped");
        return;
    }
    temp_dir d;
    REQUIRE(!d.path.empty());
    const fs::path dir = fs::canonical(d.path);
    const std::string q = "'" + exe.string() + "' ";
    const std::string dir_arg = " --dir '" + dir.string() + "'";
    down_guard guard{q + "devnet down" + dir_arg};
    // A clean environment: no user key/config/profile leaks in; the devnet's faucet key is used.
    const std::string env = "env -u ZG_PRIVATE_KEY -u ZG_KEYSTORE -u ZEROG_CONFIG -u ZEROG_PROFILE -u ZEROG_CHAIN_ID "
                            "-u ZEROG_FLOW_ADDRESS -u ZEROG_RPC_URLS -u ZEROG_NODE_URLS -u ZEROG_INDEXER_URLS ZEROG_DEVNET_DIR='" +
                            dir.string() + "' ";

    auto [rc, out] = run(q + "devnet up --nodes 2" + dir_arg + " 2>&1");
    INFO(out);
    REQUIRE(rc == 0);

    auto check = [&](const std::string& extra_env) {
        auto r = run(env + extra_env + " " + q + "config check --profile devnet --json --timeout-ms 5000 2>&1");
        INFO(r.second);
        json::value v;
        REQUIRE_NOTHROW(v = json::parse(r.second));
        return std::make_pair(r.first, v.as_object());
    };

    {  // all good
        auto [code, rep] = check("");
        INFO(json::serialize(rep));
        REQUIRE(code == 0);
        REQUIRE(rep.at("ok").as_bool());
        REQUIRE(failed_count(rep) == 0);
        for (auto [kind, field] : {std::pair{"chain_id", "rpc[0]"}, {"node_identity", "nodes[0]"}, {"node_identity", "nodes[1]"},
                                   {"indexer", "indexer[0]"}, {"contract_code", "flow"}, {"contract_code", "market"},
                                   {"contract_code", "ledger"}, {"contract_code", "inference"}, {"provider", "providers[0]"}}) {
            const auto c = find_check(rep, kind, field);
            INFO(kind << " " << field);
            REQUIRE(!c.empty());
            REQUIRE(c.at("ok").as_bool());
            REQUIRE(c.at("latencyMs").as_int64() >= 0);
            REQUIRE(!str(c, "observed").empty());
        }
        REQUIRE(str(find_check(rep, "chain_id", "rpc[0]"), "observed") == "chainId 16602");
        // Text mode: one line per check, exit 0.
        auto [tc, text] = run(env + q + "config check --profile devnet 2>&1");
        INFO(text);
        REQUIRE(tc == 0);
        REQUIRE(text.find("ok    chain_id rpc[0]") != std::string::npos);
        REQUIRE(text.find("FAIL") == std::string::npos);
    }
    {  // wrong chain id: eth_chainId and every node's networkIdentity disagree, precisely
        auto [code, rep] = check("ZEROG_CHAIN_ID=16601");
        INFO(json::serialize(rep));
        REQUIRE(code == 1);
        REQUIRE_FALSE(rep.at("ok").as_bool());
        const auto c = find_check(rep, "chain_id", "rpc[0]");
        REQUIRE_FALSE(c.at("ok").as_bool());
        const std::string e = str(c, "error");
        REQUIRE(e.find("eth_chainId: expected 16601, got 16602") != std::string::npos);
        REQUIRE(e.find("http://127.0.0.1:") != std::string::npos);
        REQUIRE(str(find_check(rep, "node_identity", "nodes[0]"), "error").find("networkIdentity.chainId: expected 16601, got 16602") !=
                std::string::npos);
        REQUIRE(find_check(rep, "contract_code", "flow").at("ok").as_bool());  // the rest is still checked and fine
    }
    {  // wrong Flow address: the nodes' networkIdentity.flowAddress and the (absent) code
        const std::string bogus = "0x00000000000000000000000000000000000000f1";
        auto [code, rep] = check("ZEROG_FLOW_ADDRESS=" + bogus);
        INFO(json::serialize(rep));
        REQUIRE(code == 1);
        for (const char* n : {"nodes[0]", "nodes[1]"}) {
            const auto c = find_check(rep, "node_identity", n);
            REQUIRE_FALSE(c.at("ok").as_bool());
            std::string e = str(c, "error");
            for (auto& ch : e) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            REQUIRE(e.find("flowaddress: expected " + bogus + ", got 0x5fbdb2315678afecb367f032d93f642f64180aa3") != std::string::npos);
        }
        const auto flow = find_check(rep, "contract_code", "flow");
        REQUIRE_FALSE(flow.at("ok").as_bool());
        REQUIRE(str(flow, "error").find("no contract") != std::string::npos);
        REQUIRE(find_check(rep, "chain_id", "rpc[0]").at("ok").as_bool());
    }
    {  // a dead node: that node's check fails naming its endpoint, the other passes
        auto [frc, fout] = run(q + "devnet fault" + dir_arg + " --node 0 --mode down 2>&1");
        INFO(fout);
        REQUIRE(frc == 0);
        ::usleep(400 * 1000);  // the node polls its fault file every 100 ms
        auto [code, rep] = check("");
        INFO(json::serialize(rep));
        REQUIRE(code == 1);
        REQUIRE(failed_count(rep) == 1);
        const auto c = find_check(rep, "node_identity", "nodes[0]");
        REQUIRE_FALSE(c.at("ok").as_bool());
        REQUIRE(str(c, "endpoint").rfind("http://127.0.0.1:", 0) == 0);
        REQUIRE(str(c, "error").find(str(c, "endpoint")) != std::string::npos);
        REQUIRE(c.at("latencyMs").as_int64() < 6000);  // bounded by --timeout-ms
        REQUIRE(find_check(rep, "node_identity", "nodes[1]").at("ok").as_bool());
        REQUIRE(run(q + "devnet fault" + dir_arg + " --node 0 --mode none > /dev/null 2>&1").first == 0);
        ::usleep(400 * 1000);
    }
    {  // smoke: upload + download + compare + verify + one verified inference
        auto [code, sout] = run(env + q + "smoke --profile devnet --json 2>&1");
        INFO(sout);
        REQUIRE(code == 0);
        json::object rep;
        REQUIRE_NOTHROW(rep = json::parse(sout).as_object());
        REQUIRE(rep.at("ok").as_bool());
        const auto& steps = rep.at("steps").as_array();
        REQUIRE(steps.size() == 4);
        const char* names[] = {"upload", "download", "verify", "inference"};
        for (std::size_t i = 0; i < 4; ++i) {
            REQUIRE(steps[i].at("step").as_string() == names[i]);
            REQUIRE(steps[i].at("ok").as_bool());
            REQUIRE(steps[i].at("latencyMs").as_int64() >= 0);
        }
        REQUIRE(steps[0].as_object().contains("fee"));
        REQUIRE(steps[3].as_object().contains("fee"));
        REQUIRE(std::string(steps[3].at("detail").as_string()).find("TEE signature verified") != std::string::npos);
    }
}

TEST_CASE("CLI: account prints the configured account's address and compressed public key", "[cli][account]") {
    using namespace config_devnet_test;
    const char* b = std::getenv("ZEROG_BUILD_DIR");
    const fs::path exe = b ? fs::path(b) / "tools" / "zerog" : fs::path();
    if (exe.empty() || !fs::exists(exe)) {
        WARN("ZEROG_BUILD_DIR/tools/zerog not found: CLI account test skipped");
        return;
    }
    // anvil dev key 0 and the EIP-155 example key; public keys and addresses as ethers computes them
    // (new SigningKey(key).compressedPublicKey, computeAddress).
    const std::string anvil0 = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    const std::string anvil0_address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    const std::string anvil0_public = "0x038318535b54105d4a7aae60c08fc45f9687181b4fdfc625bd1a753fa7397fed75";
    const std::string other = "4646464646464646464646464646464646464646464646464646464646464646";
    const std::string other_address = "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F";
    const std::string other_public = "0x024bc2a31265153f07e70e0bab08724e6b85e217f8cd628ceb62974247bb493382";

    // A devnet.json that names the devnet's faucet key (nothing is contacted: `account` is offline).
    temp_dir d;
    REQUIRE(!d.path.empty());
    {
        std::FILE* f = std::fopen((d.path / "devnet.json").c_str(), "w");
        REQUIRE(f);
        const std::string dn =
            R"({"chainId":16602,"rpc":"http://127.0.0.1:9","indexer":["http://127.0.0.1:9"],"nodes":["http://127.0.0.1:9"],)"
            R"("flow":"0x0000000000000000000000000000000000000001","market":"0x0000000000000000000000000000000000000002",)"
            R"("ledger":"0x0000000000000000000000000000000000000003","inference":"0x0000000000000000000000000000000000000004",)"
            R"("providers":[],"faucetKey":"0x)" + anvil0 + R"("})";
        std::fputs(dn.c_str(), f);
        std::fclose(f);
    }
    const std::string q = "'" + exe.string() + "' ";
    const std::string clean = "env -u ZG_PRIVATE_KEY -u ZG_KEYSTORE -u ZG_KEYSTORE_PASSWORD -u ZEROG_CONFIG -u ZEROG_PROFILE "
                              "ZEROG_DEVNET_DIR='" + d.path.string() + "' ";
    auto no_secret = [&](const std::string& out) {
        CHECK(out.find(anvil0) == std::string::npos);
        CHECK(out.find(other) == std::string::npos);
    };

    {  // devnet: the faucet key when no key is set; text and JSON
        auto [rc, out] = run(clean + q + "account --profile devnet 2>&1");
        INFO(out);
        REQUIRE(rc == 0);
        CHECK(out == "address " + anvil0_address + "\npublic_key " + anvil0_public + "\n");
        auto [jrc, jout] = run(clean + q + "account --profile devnet --json 2>&1");
        INFO(jout);
        REQUIRE(jrc == 0);
        json::object o;
        REQUIRE_NOTHROW(o = json::parse(jout).as_object());
        CHECK(o.size() == 2);
        CHECK(str(o, "address") == anvil0_address);
        CHECK(str(o, "publicKey") == anvil0_public);
        no_secret(out + jout);
    }
    {  // ZG_PRIVATE_KEY on devnet (anvil key 0), and another key on testnet
        auto [rc, out] = run(clean + "ZG_PRIVATE_KEY=0x" + anvil0 + " " + q + "account --profile devnet --json 2>&1");
        INFO(out);
        REQUIRE(rc == 0);
        CHECK(out == R"({"address":")" + anvil0_address + R"(","publicKey":")" + anvil0_public + "\"}\n");
        auto [trc, tout] = run(clean + "ZG_PRIVATE_KEY=" + other + " " + q + "account --profile testnet 2>&1");
        INFO(tout);
        REQUIRE(trc == 0);
        CHECK(tout == "address " + other_address + "\npublic_key " + other_public + "\n");
        no_secret(out + tout);
    }
    {  // no key configured, a development key outside devnet, a usage error
        auto [rc, out] = run(clean + q + "account --profile testnet 2>&1");
        INFO(out);
        CHECK(rc == 1);
        CHECK(out.find("zerog account: ") == 0);
        CHECK(out.find("no signing key: set ZG_PRIVATE_KEY or ZG_KEYSTORE") != std::string::npos);
        auto [jrc, jout] = run(clean + q + "account --profile testnet --json 2>/dev/null");
        INFO(jout);
        CHECK(jrc == 1);
        json::value v;
        REQUIRE_NOTHROW(v = json::parse(jout));
        CHECK(std::string(v.at("error").at("message").as_string()).find("no signing key") != std::string::npos);
        auto [drc, dout] = run(clean + "ZG_PRIVATE_KEY=0x" + anvil0 + " " + q + "account --profile testnet 2>&1");
        INFO(dout);
        CHECK(drc == 1);
        CHECK(dout.find("development account #0") != std::string::npos);
        CHECK(dout.find("public_key") == std::string::npos);
        no_secret(out + jout + dout);
        CHECK(run(clean + q + "account extra 2>&1").first == 2);
        CHECK(run(clean + q + "account --json --bogus x 2>&1").first == 2);
    }
}
