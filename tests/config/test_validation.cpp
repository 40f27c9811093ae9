// The validation layer: one row per rule, each starting from a valid configuration and breaking
// exactly one field; plus "all problems at once" and the URL parser.
#include "config_test_util.hpp"

#include <functional>

using namespace zerog;
using namespace zerog::config;
using namespace zerog::config::testing;
using namespace std::chrono_literals;

namespace {

configuration valid_testnet() {
    auto c = load({});
    REQUIRE(c);
    return *c;
}
configuration valid_mainnet() {
    auto c = load({environment({{"ZEROG_PROFILE", "mainnet"}})});
    REQUIRE(c);
    return *c;
}

const value_source E = value_source::env("ZEROG_TEST");

struct row {
    const char* name;
    bool mainnet;
    std::function<void(configuration&)> breakit;
    std::string field;  // "" = expect no problem
    errc code;
    std::string says;
};

void set_rpc(configuration& c, std::vector<std::string> v) { c.rpc_urls = {std::move(v), E}; }
void set_flow(configuration& c, std::string v) { c.contracts.flow = {std::move(v), E}; }
void set_provider(configuration& c, provider_entry p) { c.providers = {{std::move(p)}, E}; }

const char* A1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

}  // namespace

TEST_CASE("validation: one row per rule, each naming the field and its source", "[config]") {
    const row rows[] = {
        // chain id
        {"chainId zero", false, [](configuration& c) { c.chain_id = {0, E}; }, "chainId", errc::out_of_range, "greater than 0"},
        {"chainId above EIP-2294", false, [](configuration& c) { c.chain_id = {max_chain_id + 1, E}; }, "chainId", errc::out_of_range, "EIP-2294"},
        {"chainId not testnet's", false, [](configuration& c) { c.chain_id = {16601, E}; }, "chainId", errc::chain_id_mismatch, "16602"},
        {"chainId not mainnet's", true, [](configuration& c) { c.chain_id = {16602, E}; }, "chainId", errc::chain_id_mismatch, "16661"},
        // URLs
        {"rpc empty list", false, [](configuration& c) { set_rpc(c, {}); }, "rpc", errc::empty_input, "at least one"},
        {"rpc scheme ftp", false, [](configuration& c) { set_rpc(c, {"ftp://h.example"}); }, "rpc[0]", errc::invalid_argument, "http or https"},
        {"rpc scheme ws", false, [](configuration& c) { set_rpc(c, {"wss://h.example"}); }, "rpc[0]", errc::invalid_argument, "http or https"},
        {"rpc no scheme", false, [](configuration& c) { set_rpc(c, {"h.example:8545"}); }, "rpc[0]", errc::invalid_argument, "no scheme"},
        {"rpc empty host", false, [](configuration& c) { set_rpc(c, {"https://:8545/x"}); }, "rpc[0]", errc::invalid_argument, "empty host"},
        {"rpc port 0", false, [](configuration& c) { set_rpc(c, {"http://h.example:0"}); }, "rpc[0]", errc::out_of_range, "1..65535"},
        {"rpc port 65536", false, [](configuration& c) { set_rpc(c, {"http://h.example:65536"}); }, "rpc[0]", errc::out_of_range, "1..65535"},
        {"rpc port not a number", false, [](configuration& c) { set_rpc(c, {"http://h.example:80a"}); }, "rpc[0]", errc::out_of_range, "1..65535"},
        {"rpc empty port", false, [](configuration& c) { set_rpc(c, {"http://h.example:/"}); }, "rpc[0]", errc::invalid_argument, "empty port"},
        {"rpc whitespace", false, [](configuration& c) { set_rpc(c, {"https://h.example/a b"}); }, "rpc[0]", errc::invalid_argument, "whitespace"},
        {"rpc trailing newline", false, [](configuration& c) { set_rpc(c, {"https://h.example\n"}); }, "rpc[0]", errc::invalid_argument, "whitespace"},
        {"rpc bad host char", false, [](configuration& c) { set_rpc(c, {"https://h!x.example"}); }, "rpc[0]", errc::invalid_argument, "host name"},
        {"rpc bad IPv6", false, [](configuration& c) { set_rpc(c, {"http://[::1:8545"}); }, "rpc[0]", errc::invalid_argument, "IPv6"},
        {"rpc IPv6 ok", false, [](configuration& c) { set_rpc(c, {"http://[::1]:8545"}); }, "", errc::ok, ""},
        {"mainnet http refused", true, [](configuration& c) { set_rpc(c, {"http://rpc.example"}); }, "rpc[0]", errc::invalid_argument, "https"},
        {"mainnet http loopback ok", true, [](configuration& c) { set_rpc(c, {"http://127.0.0.1:8545", "http://localhost:1", "http://[::1]:2"}); }, "", errc::ok, ""},
        {"testnet http ok", false, [](configuration& c) { set_rpc(c, {"http://rpc.example"}); }, "", errc::ok, ""},
        {"mainnet http indexer refused", true, [](configuration& c) { c.indexer_urls = {{"http://idx.example"}, E}; }, "indexer[0]", errc::invalid_argument, "https"},
        {"duplicate endpoint", false, [](configuration& c) { set_rpc(c, {"https://a.example", "https://a.example"}); }, "rpc[1]", errc::already_exists, "duplicate"},
        {"too many endpoints", false, [](configuration& c) { c.node_urls = {std::vector<std::string>(33, ""), E};
             for (int i = 0; i < 33; ++i) c.node_urls.value[i] = "http://n" + std::to_string(i) + ".example"; }, "nodes", errc::too_large, "at most 32"},
        {"no indexer and no node", false, [](configuration& c) { c.indexer_urls = {{}, E}; }, "indexer", errc::empty_input, "indexer URL or node URL"},
        {"nodes instead of indexer ok", false, [](configuration& c) { c.indexer_urls = {{}, E}; c.node_urls = {{"http://10.0.0.1:5678"}, E}; }, "", errc::ok, ""},
        // addresses
        {"flow bad checksum", false, [](configuration& c) { set_flow(c, "0x22e03a6A89B950F1c82ec5e74F8eCa321a105296"); }, "flow", errc::invalid_checksum, "EIP-55"},
        {"flow all lower case ok", false, [](configuration& c) { set_flow(c, "0x22e03a6a89b950f1c82ec5e74f8eca321a105296"); }, "", errc::ok, ""},
        {"flow too short", false, [](configuration& c) { set_flow(c, "0x22E03a6A89B950F1c82ec5e74F8eCa321a1052"); }, "flow", errc::invalid_address, "40 hex digits"},
        {"flow no 0x", false, [](configuration& c) { set_flow(c, "22E03a6A89B950F1c82ec5e74F8eCa321a105296"); }, "flow", errc::invalid_address, "0x"},
        {"flow not hex", false, [](configuration& c) { set_flow(c, "0x22E03a6A89B950F1c82ec5e74F8eCa321a10529g"); }, "flow", errc::invalid_address, "bad character"},
        {"flow empty", false, [](configuration& c) { set_flow(c, ""); }, "flow", errc::not_found, "required"},
        {"flow zero", false, [](configuration& c) { set_flow(c, "0x0000000000000000000000000000000000000000"); }, "flow", errc::invalid_address, "zero address"},
        {"ledger empty", false, [](configuration& c) { c.contracts.ledger = {"", E}; }, "ledger", errc::not_found, "required"},
        {"inference bad", false, [](configuration& c) { c.contracts.inference = {"0x1", E}; }, "inference", errc::invalid_address, ""},
        {"market bad", false, [](configuration& c) { c.contracts.market = {"market", E}; }, "market", errc::invalid_address, ""},
        {"fineTuning empty ok", false, [](configuration& c) { c.contracts.fine_tuning = {"", E}; }, "", errc::ok, ""},
        // providers
        {"provider bad address", false, [](configuration& c) { set_provider(c, {"0x1234", "", ""}); }, "providers[0].address", errc::invalid_address, ""},
        {"provider empty address", false, [](configuration& c) { set_provider(c, {"", "https://p.example", ""}); }, "providers[0].address", errc::not_found, "required"},
        {"provider bad url", false, [](configuration& c) { set_provider(c, {A1, "tcp://p.example", ""}); }, "providers[0].url", errc::invalid_argument, "http or https"},
        {"provider model control char", false, [](configuration& c) { set_provider(c, {A1, "", "m\x01"}); }, "providers[0].model", errc::invalid_argument, "control"},
        {"provider model too long", false, [](configuration& c) { set_provider(c, {A1, "", std::string(201, 'm')}); }, "providers[0].model", errc::too_large, "200"},
        {"provider duplicate", false, [](configuration& c) { c.providers = {{{A1, "", ""}, {"0x70997970c51812dc3a010c7d01b50e0d17dc79c8", "", ""}}, E}; }, "providers[1].address", errc::already_exists, "duplicate"},
        {"provider ok", false, [](configuration& c) { set_provider(c, {A1, "https://p.example/v1", "llama"}); }, "", errc::ok, ""},
        // genesis hash
        {"genesisHash short", false, [](configuration& c) { c.genesis_hash = {"0x1234", E}; }, "genesisHash", errc::invalid_hex, "64 hex"},
        // limits
        {"maxFileSize zero", false, [](configuration& c) { c.limits.max_file_size = {0, E}; }, "limits.maxFileSize", errc::out_of_range, "greater than 0"},
        {"maxFileSize above cap", false, [](configuration& c) { c.limits.max_file_size = {(1ull << 40) + 1, E}; }, "limits.maxFileSize", errc::out_of_range, "hard cap"},
        {"maxFileSize at cap ok", false, [](configuration& c) { c.limits.max_file_size = {1ull << 40, E}; }, "", errc::ok, ""},
        {"fragmentSize not a power of two", false, [](configuration& c) { c.limits.fragment_size = {3ull << 30, E}; }, "limits.fragmentSize", errc::out_of_range, "power of two"},
        {"fragmentSize below 256", false, [](configuration& c) { c.limits.fragment_size = {128, E}; }, "limits.fragmentSize", errc::out_of_range, "power of two"},
        {"fragmentSize above cap", false, [](configuration& c) { c.limits.fragment_size = {128ull << 30, E}; }, "limits.fragmentSize", errc::out_of_range, "64GiB"},
        {"replicas zero", false, [](configuration& c) { c.limits.replicas = {0, E}; }, "limits.replicas", errc::out_of_range, "1..32"},
        {"replicas above cap", false, [](configuration& c) { c.limits.replicas = {33, E}; }, "limits.replicas", errc::out_of_range, "1..32"},
        // timeouts
        {"rpc timeout zero", false, [](configuration& c) { c.timeouts.rpc = {0ms, E}; }, "timeouts.rpc", errc::out_of_range, "greater than 0"},
        {"rpc timeout negative", false, [](configuration& c) { c.timeouts.rpc = {-5ms, E}; }, "timeouts.rpc", errc::out_of_range, "greater than 0"},
        {"rpc timeout above cap", false, [](configuration& c) { c.timeouts.rpc = {11min, E}; }, "timeouts.rpc", errc::out_of_range, "cap of 10m"},
        {"upload timeout zero", false, [](configuration& c) { c.timeouts.upload = {0ms, E}; }, "timeouts.upload", errc::out_of_range, "greater than 0"},
        {"upload timeout above cap", false, [](configuration& c) { c.timeouts.upload = {25h, E}; }, "timeouts.upload", errc::out_of_range, "cap of 24h"},
        {"download timeout zero", false, [](configuration& c) { c.timeouts.download = {0ms, E}; }, "timeouts.download", errc::out_of_range, "greater than 0"},
        {"download timeout above cap", false, [](configuration& c) { c.timeouts.download = {25h, E}; }, "timeouts.download", errc::out_of_range, "cap of 24h"},
        {"inference timeout zero", false, [](configuration& c) { c.timeouts.inference = {0ms, E}; }, "timeouts.inference", errc::out_of_range, "greater than 0"},
        {"inference timeout above cap", false, [](configuration& c) { c.timeouts.inference = {61min, E}; }, "timeouts.inference", errc::out_of_range, "cap of 1h"},
        {"finality timeout zero", false, [](configuration& c) { c.timeouts.finality = {0ms, E}; }, "timeouts.finality", errc::out_of_range, "greater than 0"},
        {"finality timeout above cap", false, [](configuration& c) { c.timeouts.finality = {7h, E}; }, "timeouts.finality", errc::out_of_range, "cap of 6h"},
    };
    for (const auto& r : rows) {
        SECTION(r.name) {
            configuration c = r.mainnet ? valid_mainnet() : valid_testnet();
            REQUIRE(validate(c).empty());
            r.breakit(c);
            const auto ps = validate(c);
            INFO(all_text(ps));
            if (r.field.empty()) {
                CHECK(ps.empty());
            } else {
                REQUIRE(ps.size() == 1);
                CHECK(ps[0].field == r.field);
                CHECK(ps[0].code == r.code);
                CHECK(ps[0].source == E);
                CHECK(ps[0].message.find(r.says) != std::string::npos);
                CHECK(ps[0].to_string().find("(env:ZEROG_TEST)") != std::string::npos);
            }
        }
    }
}

TEST_CASE("validation reports all problems at once, through load() too", "[config]") {
    const environment env({{"ZEROG_PROFILE", "mainnet"},
                           {"ZEROG_CHAIN_ID", "1"},
                           {"ZEROG_RPC_URLS", "http://rpc.example/key/SECRETPATH,ftp://x"},
                           {"ZEROG_REPLICAS", "0"},
                           {"ZEROG_TIMEOUT_RPC", "0s"},
                           {"ZEROG_FLOW_ADDRESS", "0x62d4144dB0F0a6fBBaeb6296c785C71B3D57C526"}});
    auto rep = evaluate({env});
    INFO(all_text(rep.problems));
    CHECK(rep.problems.size() == 6);
    for (const char* f : {"chainId", "rpc[0]", "rpc[1]", "limits.replicas", "timeouts.rpc", "flow"})
        CHECK(problems_for(rep.problems, f).size() == 1);
    auto r = load({env});
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::chain_id_mismatch));  // the first problem's code
    const std::string msg = r.error().message();
    CHECK(msg.find("6 problems") != std::string::npos);
    CHECK(msg.find("while loading the configuration") == 0);
    CHECK(msg.find("env:ZEROG_REPLICAS") != std::string::npos);
    CHECK(msg.find("SECRETPATH") == std::string::npos);  // URL paths (API keys) are never echoed
}

TEST_CASE("URL parser details (the one parser the transport uses too)", "[config]") {
    auto u = zerog::parse_url("HTTPS://Node.example:8443/path?q=1");
    REQUIRE(u);
    CHECK(u->scheme() == "https");
    CHECK(u->host == "Node.example");
    CHECK(u->port == 8443);
    CHECK(zerog::parse_url("http://h.example")->port == 80);
    CHECK(zerog::parse_url("https://h.example")->port == 443);
    auto v6 = zerog::parse_url("http://[2001:db8::1]:5678");
    REQUIRE(v6);
    CHECK(v6->ipv6());
    CHECK(v6->host == "2001:db8::1");
    CHECK_FALSE(zerog::parse_url(""));
    CHECK_FALSE(zerog::parse_url("http://"));
    // Credentials in URLs are refused by configuration exactly as by the transport (one parser).
    auto creds = zerog::parse_url("https://user:pw@node.example/");
    REQUIRE_FALSE(creds);
    CHECK(creds.error().is(errc::invalid_argument));
    CHECK(creds.error().message().find("pw") == std::string::npos);
    CHECK(is_loopback_host("127.0.0.1"));
    CHECK(is_loopback_host("127.1.2.3"));
    CHECK_FALSE(is_loopback_host("127.0.0.1.evil.example"));
    CHECK_FALSE(is_loopback_host("10.0.0.1"));
    CHECK(display_url("https://rpc.example/v2/APIKEY") == "https://rpc.example/…");
    CHECK(display_url("https://u:p@rpc.example:1/") == "https://rpc.example:1");
}
