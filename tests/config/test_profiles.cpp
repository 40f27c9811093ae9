// Bundled profiles pinned to the specs, documented defaults, and the devnet profile (devnet.json).
#include "config_test_util.hpp"

using namespace zerog;
using namespace zerog::config;
using namespace zerog::config::testing;

TEST_CASE("mainnet profile is pinned to docs/protocol/storage.md §11 and docs/protocol/compute.md §1", "[config]") {
    auto cfg = load({environment({{"ZEROG_PROFILE", "mainnet"}})});
    REQUIRE(cfg);
    const value_source p = value_source::profile("mainnet");
    CHECK(cfg->profile.value == network::mainnet);
    CHECK(cfg->chain_id == setting<std::uint64_t>{16661, p});
    CHECK(cfg->rpc_urls == setting<std::vector<std::string>>{{"https://evmrpc.0g.ai"}, p});
    CHECK(cfg->indexer_urls == setting<std::vector<std::string>>{{"https://indexer-storage-turbo.0g.ai"}, p});
    CHECK(cfg->contracts.flow.value == "0x62D4144dB0F0a6fBBaeb6296c785C71B3D57C526");
    CHECK(cfg->contracts.ledger.value == "0x2dE54c845Cd948B72D2e32e39586fe89607074E3");
    CHECK(cfg->contracts.inference.value == "0x47340d900bdFec2BD393c626E12ea0656F938d84");
    CHECK(cfg->contracts.fine_tuning.value == "0x4e3474095518883744ddf135b7E0A23301c7F9c0");
    CHECK(cfg->contracts.market.value.empty());  // unpublished: read Flow.market()
    CHECK(cfg->contracts.flow.source == p);
}

TEST_CASE("testnet (Galileo) profile is pinned to the specs and is the default", "[config]") {
    auto cfg = load({});
    REQUIRE(cfg);
    const value_source p = value_source::profile("testnet");
    CHECK(cfg->profile == setting<network>{network::testnet, value_source::defaults()});
    CHECK(cfg->chain_id == setting<std::uint64_t>{16602, p});
    CHECK(cfg->rpc_urls.value == std::vector<std::string>{"https://evmrpc-testnet.0g.ai"});
    CHECK(cfg->indexer_urls.value == std::vector<std::string>{"https://indexer-storage-testnet-turbo.0g.ai"});
    CHECK(cfg->contracts.flow.value == "0x22E03a6A89B950F1c82ec5e74F8eCa321a105296");
    CHECK(cfg->contracts.ledger.value == "0xE70830508dAc0A97e6c087c75f402f9Be669E406");
    CHECK(cfg->contracts.inference.value == "0xa79F4c8311FF93C06b8CfB403690cc987c93F91E");
    CHECK(cfg->contracts.fine_tuning.value == "0xC6C075D8039763C8f1EbE580be5ADdf2fd6941bA");
    // the stale Galileo deployment must not come back
    CHECK(cfg->chain_id.value != 16601);
    CHECK(cfg->contracts.flow.value != "0xbD75117F80b4E22698D0Cd7612d92BDb8eaff628");
}

TEST_CASE("documented defaults for limits and timeouts", "[config]") {
    auto cfg = load({});
    REQUIRE(cfg);
    CHECK(cfg->limits.max_file_size == setting<std::uint64_t>{10ull * 1024 * 1024, value_source::defaults()});
    CHECK(cfg->limits.replicas.value == 1);
    CHECK(cfg->limits.fragment_size.value == 4ull * 1024 * 1024 * 1024);
    CHECK(cfg->timeouts.rpc.value == std::chrono::seconds(30));
    CHECK(cfg->timeouts.upload.value == std::chrono::minutes(30));
    CHECK(cfg->timeouts.download.value == std::chrono::minutes(30));
    CHECK(cfg->timeouts.inference.value == std::chrono::minutes(5));
    CHECK(cfg->timeouts.finality.value == std::chrono::minutes(10));
    CHECK(cfg->timeouts.finality.source == value_source::defaults());
}

TEST_CASE("unknown profile names are refused", "[config]") {
    auto rep = evaluate({environment({{"ZEROG_PROFILE", "Mainnet"}})});
    REQUIRE(problems_for(rep.problems, "profile").size() == 1);
    CHECK(rep.cfg.profile.value == network::testnet);  // the bad value was not applied
    CHECK_FALSE(load({environment({{"ZEROG_PROFILE", "mainnet-beta"}})}));
}

TEST_CASE("devnet profile is read from devnet.json in ZEROG_DEVNET_DIR", "[config]") {
    temp_dir d;
    d.write("devnet.json", valid_devnet_json());
    const environment env({{"ZEROG_PROFILE", "devnet"}, {"ZEROG_DEVNET_DIR", d.path()}});
    auto rep = evaluate({env});
    INFO(all_text(rep.problems));
    REQUIRE(rep.ok());
    const configuration& c = rep.cfg;
    const value_source p = value_source::profile("devnet");
    CHECK(c.chain_id == setting<std::uint64_t>{31337, p});
    CHECK(c.rpc_urls.value == std::vector<std::string>{"http://127.0.0.1:18545"});
    CHECK(c.node_urls.value.size() == 2);
    CHECK(c.indexer_urls.source == p);
    CHECK(c.contracts.flow == setting<std::string>{"0x5FbDB2315678afecb367f032d93F642f64180aa3", p});
    CHECK(c.contracts.market.value == "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512");
    CHECK(c.contracts.fine_tuning.value.empty());
    REQUIRE(c.providers.value.size() == 1);
    CHECK(c.providers.value[0] == provider_entry{"0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "http://127.0.0.1:18080", "echo-1"});
    CHECK(c.devnet_faucet_address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    CHECK(c.devnet_faucet_key != nullptr);
    // limits keep their defaults; the environment still overrides devnet values
    CHECK(c.limits.replicas.source == value_source::defaults());
    auto over = evaluate({environment({{"ZEROG_PROFILE", "devnet"}, {"ZEROG_DEVNET_DIR", d.path()},
                                       {"ZEROG_RPC_URLS", "http://127.0.0.1:28545"}})});
    CHECK(over.cfg.rpc_urls == setting<std::vector<std::string>>{{"http://127.0.0.1:28545"}, value_source::env("ZEROG_RPC_URLS")});
}

TEST_CASE("devnet.json: the faucet key never appears in output", "[config]") {
    temp_dir d;
    d.write("devnet.json", valid_devnet_json());
    const environment env({{"ZEROG_PROFILE", "devnet"}, {"ZEROG_DEVNET_DIR", d.path()}});
    auto rep = evaluate({env});
    const auto key = describe_key(env, rep.cfg.profile.value);
    const std::string text = render_text(rep, key) + boost::json::serialize(render_json(rep, key));
    CHECK(text.find("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80") == std::string::npos);
    CHECK(text.find("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266") != std::string::npos);
}

TEST_CASE("devnet.json malformed: each problem reported, with the file as source", "[config]") {
    struct row {
        const char* name;
        std::string text;
        std::vector<std::string> fields;  // fields expected to have a problem
        errc code;
    };
    std::string no_flow = valid_devnet_json();
    no_flow.replace(no_flow.find("\"flow\""), 6, "\"flaw\"");
    std::string bad_chain = valid_devnet_json();
    bad_chain.replace(bad_chain.find("31337"), 5, "\"x1\"");
    std::string bad_key = valid_devnet_json();
    bad_key.replace(bad_key.find("0xac0974"), 8, "0xzz0974");
    std::string bad_rpc = valid_devnet_json();
    bad_rpc.replace(bad_rpc.find("\"http://127.0.0.1:18545\""), 24, "42");
    const row rows[] = {
        {"not JSON", "{\"chainId\": ", {"(devnet.json)"}, errc::parse_error},
        {"not an object", "[1,2]", {"(devnet.json)"}, errc::parse_error},
        {"empty object", "{}", {"chainId", "rpc", "indexer", "nodes", "flow", "market", "ledger", "inference", "providers", "faucetKey"}, errc::not_found},
        {"missing flow", no_flow, {"flow"}, errc::not_found},
        {"chainId not a number", bad_chain, {"chainId"}, errc::invalid_argument},
        {"rpc not a string", bad_rpc, {"rpc"}, errc::invalid_argument},
        {"faucetKey not hex", bad_key, {"faucetKey"}, errc::invalid_key},
    };
    for (const auto& r : rows) {
        SECTION(r.name) {
            std::vector<problem> out;
            (void)parse_devnet_json(r.text, "/x/devnet.json", out);
            INFO(all_text(out));
            REQUIRE(out.size() == r.fields.size());
            for (std::size_t i = 0; i < r.fields.size(); ++i) {
                CHECK(out[i].field == r.fields[i]);
                CHECK(out[i].source == value_source::file("/x/devnet.json"));
                CHECK(out[i].code == r.code);
            }
            CHECK(all_text(out).find("zz0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80") == std::string::npos);
        }
    }
}

TEST_CASE("devnet profile without devnet.json says how to create it", "[config]") {
    temp_dir d;
    auto rep = evaluate({environment({{"ZEROG_PROFILE", "devnet"}, {"ZEROG_DEVNET_DIR", d.path() + "/none"}})});
    auto ps = problems_for(rep.problems, "(devnet.json)");
    REQUIRE(ps.size() == 1);
    CHECK(ps[0].code == errc::not_found);
    CHECK(ps[0].message.find("ZEROG_DEVNET_DIR") != std::string::npos);
    CHECK(ps[0].source == value_source::file(d.path() + "/none/devnet.json"));
    CHECK(devnet_json_path(environment{}) == ".zerog/devnet/devnet.json");
}
