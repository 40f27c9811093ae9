// Precedence: defaults < bundled profile < config file < environment < explicit (CLI/API) values,
// table-driven per field, each checking the value and its recorded source.
#include "config_test_util.hpp"

#include <functional>

using namespace zerog;
using namespace zerog::config;
using namespace zerog::config::testing;
using namespace std::chrono_literals;

namespace {

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
    return s;
}

/// One field: how each layer sets it, and how to read it back as text with its source.
struct field_row {
    std::string name;
    std::string file_entry;  // JSON member for the config file
    std::string file_value;  // expected value after the file layer
    std::string env_var, env_text, env_value;
    std::function<void(partial_config&, const value_source&)> set_cli;
    std::string cli_value;
    std::function<std::pair<std::string, value_source>(const configuration&)> get;
    std::string base_value;
    value_source base_source;
};

template <class T, class F>
std::function<std::pair<std::string, value_source>(const configuration&)> getter(F f) {
    return [f](const configuration& c) {
        const setting<T>& s = f(c);
        if constexpr (std::is_same_v<T, std::vector<std::string>>) return std::pair{join(s.value), s.source};
        else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) return std::pair{format_duration(s.value), s.source};
        else if constexpr (std::is_same_v<T, std::string>) return std::pair{s.value, s.source};
        else if constexpr (std::is_same_v<T, std::vector<provider_entry>>) {
            std::string out;
            for (auto& p : s.value) out += (out.empty() ? "" : ",") + p.address + (p.url.empty() ? "" : "@" + p.url);
            return std::pair{out, s.source};
        } else return std::pair{std::to_string(s.value), s.source};
    };
}

const value_source T = value_source::profile("testnet");
const value_source D = value_source::defaults();
const char* A1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const char* A2 = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const char* A3 = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";

std::vector<field_row> rows() {
    using V = std::vector<std::string>;
    auto str = [](std::optional<setting<std::string>> partial_config::*m, const char* v) {
        return [m, v](partial_config& p, const value_source& s) { p.*m = setting<std::string>{v, s}; };
    };
    auto dur = [](std::optional<setting<std::chrono::milliseconds>> partial_config::*m, std::chrono::milliseconds v) {
        return [m, v](partial_config& p, const value_source& s) { p.*m = setting<std::chrono::milliseconds>{v, s}; };
    };
    auto list = [](std::optional<setting<V>> partial_config::*m, V v) {
        return [m, v](partial_config& p, const value_source& s) { p.*m = setting<V>{v, s}; };
    };
    return {
        {"chainId", R"("chainId": 111)", "111", "ZEROG_CHAIN_ID", "222", "222",
         [](partial_config& p, const value_source& s) { p.chain_id = setting<std::uint64_t>{333, s}; }, "333",
         getter<std::uint64_t>([](const configuration& c) -> auto& { return c.chain_id; }), "16602", T},
        {"rpc", R"("rpc": ["https://f1.example", "https://f2.example"])", "https://f1.example,https://f2.example",
         "ZEROG_RPC_URLS", " https://e1.example , https://e2.example,", "https://e1.example,https://e2.example",
         list(&partial_config::rpc_urls, V{"https://c.example"}), "https://c.example",
         getter<V>([](const configuration& c) -> auto& { return c.rpc_urls; }), "https://evmrpc-testnet.0g.ai", T},
        {"indexer", R"("indexer": "https://fi.example")", "https://fi.example", "ZEROG_INDEXER_URLS", "https://ei.example",
         "https://ei.example", list(&partial_config::indexer_urls, V{"https://ci.example"}), "https://ci.example",
         getter<V>([](const configuration& c) -> auto& { return c.indexer_urls; }), "https://indexer-storage-testnet-turbo.0g.ai", T},
        {"nodes", R"("nodes": ["http://10.0.0.1:5678"])", "http://10.0.0.1:5678", "ZEROG_NODE_URLS",
         "http://10.0.0.2:5678,http://10.0.0.3:5678", "http://10.0.0.2:5678,http://10.0.0.3:5678",
         list(&partial_config::node_urls, V{"http://10.0.0.4:5678"}), "http://10.0.0.4:5678",
         getter<V>([](const configuration& c) -> auto& { return c.node_urls; }), "", T},
        {"kv", R"("kv": ["http://10.0.0.1:6789"])", "http://10.0.0.1:6789", "ZEROG_KV_URLS",
         "http://10.0.0.2:6789,http://10.0.0.3:6789", "http://10.0.0.2:6789,http://10.0.0.3:6789",
         list(&partial_config::kv_urls, V{"http://10.0.0.4:6789"}), "http://10.0.0.4:6789",
         getter<V>([](const configuration& c) -> auto& { return c.kv_urls; }), "", D},  // no bundled KV node
        {"providers", std::string(R"("providers": [{"address": ")") + A1 + R"(", "url": "https://p.example"}])",
         std::string(A1) + "@https://p.example", "ZEROG_PROVIDERS", std::string(A2) + "," + A3 + "@https://q.example",
         std::string(A2) + "," + A3 + "@https://q.example",
         [](partial_config& p, const value_source& s) { p.providers = setting<std::vector<provider_entry>>{{{A3, "", ""}}, s}; },
         A3, getter<std::vector<provider_entry>>([](const configuration& c) -> auto& { return c.providers; }), "", T},
        {"flow", std::string(R"("flow": ")") + A1 + "\"", A1, "ZEROG_FLOW_ADDRESS", A2, A2, str(&partial_config::flow, A3), A3,
         getter<std::string>([](const configuration& c) -> auto& { return c.contracts.flow; }), "0x22E03a6A89B950F1c82ec5e74F8eCa321a105296", T},
        {"market", std::string(R"("market": ")") + A1 + "\"", A1, "ZEROG_MARKET_ADDRESS", A2, A2, str(&partial_config::market, A3), A3,
         getter<std::string>([](const configuration& c) -> auto& { return c.contracts.market; }), "", T},
        {"ledger", std::string(R"("ledger": ")") + A1 + "\"", A1, "ZEROG_LEDGER_ADDRESS", A2, A2, str(&partial_config::ledger, A3), A3,
         getter<std::string>([](const configuration& c) -> auto& { return c.contracts.ledger; }), "0xE70830508dAc0A97e6c087c75f402f9Be669E406", T},
        {"inference", std::string(R"("inference": ")") + A1 + "\"", A1, "ZEROG_INFERENCE_ADDRESS", A2, A2,
         str(&partial_config::inference, A3), A3,
         getter<std::string>([](const configuration& c) -> auto& { return c.contracts.inference; }), "0xa79F4c8311FF93C06b8CfB403690cc987c93F91E", T},
        {"fineTuning", std::string(R"("fineTuning": ")") + A1 + "\"", A1, "ZEROG_FINE_TUNING_ADDRESS", A2, A2,
         str(&partial_config::fine_tuning, A3), A3,
         getter<std::string>([](const configuration& c) -> auto& { return c.contracts.fine_tuning; }), "0xC6C075D8039763C8f1EbE580be5ADdf2fd6941bA", T},
        {"genesisHash", R"("genesisHash": "0x1111111111111111111111111111111111111111111111111111111111111111")",
         "0x1111111111111111111111111111111111111111111111111111111111111111", "ZEROG_GENESIS_HASH",
         "0x2222222222222222222222222222222222222222222222222222222222222222",
         "0x2222222222222222222222222222222222222222222222222222222222222222",
         str(&partial_config::genesis_hash, "0x3333333333333333333333333333333333333333333333333333333333333333"),
         "0x3333333333333333333333333333333333333333333333333333333333333333",
         getter<std::string>([](const configuration& c) -> auto& { return c.genesis_hash; }), "", D},
        {"database", R"("database": "/var/lib/zerog/a.db")", "/var/lib/zerog/a.db", "ZEROG_DB", "postgresql://zerog@db.example/zerog",
         "postgresql://zerog@db.example/zerog", str(&partial_config::database, "/tmp/c.db"), "/tmp/c.db",
         getter<std::string>([](const configuration& c) -> auto& { return c.database; }), "", D},
        {"limits.maxFileSize", R"("limits": {"maxFileSize": "20MiB"})", "20971520", "ZEROG_MAX_FILE_SIZE", "1048576", "1048576",
         [](partial_config& p, const value_source& s) { p.max_file_size = setting<std::uint64_t>{4096, s}; }, "4096",
         getter<std::uint64_t>([](const configuration& c) -> auto& { return c.limits.max_file_size; }), "10485760", D},
        {"limits.fragmentSize", R"("limits": {"fragmentSize": 1073741824})", "1073741824", "ZEROG_FRAGMENT_SIZE", "2GiB",
         "2147483648", [](partial_config& p, const value_source& s) { p.fragment_size = setting<std::uint64_t>{1 << 20, s}; },
         "1048576", getter<std::uint64_t>([](const configuration& c) -> auto& { return c.limits.fragment_size; }), "4294967296", D},
        {"limits.replicas", R"("limits": {"replicas": 2})", "2", "ZEROG_REPLICAS", "3", "3",
         [](partial_config& p, const value_source& s) { p.replicas = setting<std::uint32_t>{4, s}; }, "4",
         getter<std::uint32_t>([](const configuration& c) -> auto& { return c.limits.replicas; }), "1", D},
        {"timeouts.rpc", R"("timeouts": {"rpc": "5s"})", "5s", "ZEROG_TIMEOUT_RPC", "1500ms", "1500ms",
         dur(&partial_config::timeout_rpc, 7s), "7s", getter<std::chrono::milliseconds>([](const configuration& c) -> auto& { return c.timeouts.rpc; }), "30s", D},
        {"timeouts.upload", R"("timeouts": {"upload": "1h"})", "1h", "ZEROG_TIMEOUT_UPLOAD", "2h", "2h",
         dur(&partial_config::timeout_upload, 3h), "3h", getter<std::chrono::milliseconds>([](const configuration& c) -> auto& { return c.timeouts.upload; }), "30m", D},
        {"timeouts.download", R"("timeouts": {"download": "1h"})", "1h", "ZEROG_TIMEOUT_DOWNLOAD", "2h", "2h",
         dur(&partial_config::timeout_download, 3h), "3h", getter<std::chrono::milliseconds>([](const configuration& c) -> auto& { return c.timeouts.download; }), "30m", D},
        {"timeouts.inference", R"("timeouts": {"inference": "1m"})", "1m", "ZEROG_TIMEOUT_INFERENCE", "2m", "2m",
         dur(&partial_config::timeout_inference, 3min), "3m", getter<std::chrono::milliseconds>([](const configuration& c) -> auto& { return c.timeouts.inference; }), "5m", D},
        {"timeouts.finality", R"("timeouts": {"finality": "1m"})", "1m", "ZEROG_TIMEOUT_FINALITY", "90s", "90s",
         dur(&partial_config::timeout_finality, 3min), "3m", getter<std::chrono::milliseconds>([](const configuration& c) -> auto& { return c.timeouts.finality; }), "10m", D},
        {"observability.otlpEndpoint", R"("observability": {"otlpEndpoint": "http://127.0.0.1:4318"})", "http://127.0.0.1:4318",
         "ZEROG_OTLP_ENDPOINT", "http://10.0.0.9:4318", "http://10.0.0.9:4318", str(&partial_config::otlp_endpoint, "http://c.example:4318"),
         "http://c.example:4318", getter<std::string>([](const configuration& c) -> auto& { return c.observability.otlp_endpoint; }), "", D},
        {"observability.metricsTextfile", R"("observability": {"metricsTextfile": "/var/lib/ne/zerog.prom"})", "/var/lib/ne/zerog.prom",
         "ZEROG_METRICS_TEXTFILE", "/tmp/e.prom", "/tmp/e.prom", str(&partial_config::metrics_textfile, "/tmp/c.prom"), "/tmp/c.prom",
         getter<std::string>([](const configuration& c) -> auto& { return c.observability.metrics_textfile; }), "", D},
        {"observability.metricsPort", R"("observability": {"metricsPort": 9464})", "9464", "ZEROG_METRICS_PORT", "9465", "9465",
         [](partial_config& p, const value_source& s) { p.metrics_port = setting<std::uint32_t>{9466, s}; }, "9466",
         getter<std::uint32_t>([](const configuration& c) -> auto& { return c.observability.metrics_port; }), "0", D},
    };
}

}  // namespace

TEST_CASE("precedence per field: each layer overrides the one below and is recorded as the source", "[config]") {
    temp_dir dir;
    const auto all = rows();
    // every variable but ZEROG_PROFILE has a row, and OTEL_EXPORTER_OTLP_ENDPOINT shares ZEROG_OTLP_ENDPOINT's
    CHECK(all.size() == std::size(env_variables) - 2);
    for (const auto& r : all) {
        DYNAMIC_SECTION(r.name) {
            const std::string file = dir.write("c.json", "{" + r.file_entry + "}");
            const value_source F = value_source::file(file), E = value_source::env(r.env_var), C = value_source::cli();

            // 1+2: defaults and the bundled testnet profile
            auto base = evaluate({});
            CHECK(r.get(base.cfg) == std::pair{r.base_value, r.base_source});
            // 3: the file (through --config)
            auto f = evaluate({environment{}, file});
            INFO(all_text(f.problems));
            CHECK(r.get(f.cfg) == std::pair{r.file_value, F});
            // 3 again, through ZEROG_CONFIG
            auto fz = evaluate({environment({{"ZEROG_CONFIG", file}})});
            CHECK(r.get(fz.cfg) == std::pair{r.file_value, F});
            // 4: the environment over the file
            auto e = evaluate({environment({{r.env_var, r.env_text}}), file});
            CHECK(r.get(e.cfg) == std::pair{r.env_value, E});
            // an empty variable counts as unset
            auto e0 = evaluate({environment({{r.env_var, ""}}), file});
            CHECK(r.get(e0.cfg) == std::pair{r.file_value, F});
            // 5: explicit values over everything
            load_options o{environment({{r.env_var, r.env_text}}), file, {}};
            r.set_cli(o.explicit_values, C);
            auto c = evaluate(o);
            CHECK(r.get(c.cfg) == std::pair{r.cli_value, C});
        }
    }
}

TEST_CASE("observability: OpenTelemetry's variable is read, ZEROG_OTLP_ENDPOINT wins over it; bad values are problems", "[config]") {
    const auto otel = evaluate({environment({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"}})});
    CHECK(otel.cfg.observability.otlp_endpoint.value == "http://127.0.0.1:4318");
    CHECK(otel.cfg.observability.otlp_endpoint.source == value_source::env("OTEL_EXPORTER_OTLP_ENDPOINT"));
    const auto both = evaluate({environment({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"}, {"ZEROG_OTLP_ENDPOINT", "http://127.0.0.1:4319"}})});
    CHECK(both.cfg.observability.otlp_endpoint.value == "http://127.0.0.1:4319");
    CHECK(both.ok());

    temp_dir dir;
    const std::string f = dir.write("c.json", R"({"observability": {"otlpEndpoint": "ftp://x", "metricsPort": 70000, "metricsTextfile": "a\nb", "other": 1}})");
    const auto bad = evaluate({environment{}, f});
    CHECK(problems_for(bad.problems, "observability.otlpEndpoint").size() == 1);
    CHECK(problems_for(bad.problems, "observability.metricsPort").size() == 1);
    CHECK(problems_for(bad.problems, "observability.metricsTextfile").size() == 1);
    REQUIRE(problems_for(bad.problems, "observability.other").size() == 1);
    CHECK(problems_for(bad.problems, "observability.other")[0].message.find("otlpEndpoint") != std::string::npos);
    // A collector URL's credentials never reach a message.
    const auto secret = evaluate({environment({{"ZEROG_OTLP_ENDPOINT", "http://user:hunter2@127.0.0.1:notaport/v1"}})});
    REQUIRE_FALSE(secret.ok());
    CHECK(all_text(secret.problems).find("hunter2") == std::string::npos);
    // On mainnet a collector is reached over https, unless it is on this host (like every endpoint).
    const auto plain = evaluate({environment({{"ZEROG_PROFILE", "mainnet"}, {"ZEROG_OTLP_ENDPOINT", "http://collector.example:4318"}})});
    REQUIRE(problems_for(plain.problems, "observability.otlpEndpoint").size() == 1);
    CHECK(problems_for(plain.problems, "observability.otlpEndpoint")[0].message.find("https") != std::string::npos);
    CHECK(evaluate({environment({{"ZEROG_PROFILE", "mainnet"}, {"ZEROG_OTLP_ENDPOINT", "https://collector.example:4318"}})}).ok());
    CHECK(evaluate({environment({{"ZEROG_PROFILE", "mainnet"}, {"ZEROG_OTLP_ENDPOINT", "http://127.0.0.1:4318"}})}).ok());
}

TEST_CASE("precedence of the profile itself: explicit > ZEROG_PROFILE > file > default", "[config]") {
    temp_dir dir;
    const std::string file = dir.write("p.json", R"({"profile": "mainnet"})");
    auto f = evaluate({environment{}, file});
    CHECK(f.cfg.profile == setting<network>{network::mainnet, value_source::file(file)});
    CHECK(f.cfg.chain_id == setting<std::uint64_t>{16661, value_source::profile("mainnet")});
    auto e = evaluate({environment({{"ZEROG_PROFILE", "testnet"}}), file});
    CHECK(e.cfg.profile == setting<network>{network::testnet, value_source::env("ZEROG_PROFILE")});
    CHECK(e.cfg.chain_id.value == 16602);
    load_options o{environment({{"ZEROG_PROFILE", "testnet"}}), file, {}};
    o.explicit_values.profile = setting<network>{network::mainnet, value_source::cli()};
    auto c = evaluate(o);
    CHECK(c.cfg.profile == setting<network>{network::mainnet, value_source::cli()});
    CHECK(c.cfg.rpc_urls.value == std::vector<std::string>{"https://evmrpc.0g.ai"});
    CHECK(c.ok());
}

TEST_CASE("--config wins over ZEROG_CONFIG", "[config]") {
    temp_dir dir;
    const std::string a = dir.write("a.json", R"({"limits": {"replicas": 2}})");
    const std::string b = dir.write("b.json", R"({"limits": {"replicas": 3}})");
    auto rep = evaluate({environment({{"ZEROG_CONFIG", a}}), b});
    CHECK(rep.cfg.limits.replicas == setting<std::uint32_t>{3, value_source::file(b)});
    CHECK(rep.config_file == b);
}

TEST_CASE("bad values in the file and environment are problems naming field and source", "[config]") {
    temp_dir dir;
    struct row {
        const char* name;
        std::string file;
        std::map<std::string, std::string> env;
        std::string field;
        std::string source;
        std::string says;
    };
    const row rows[] = {
        {"file: not JSON", "{\"rpc\": [", {}, "(file)", "file:", "not valid JSON"},
        {"file: top level array", "[1]", {}, "(file)", "file:", "JSON object"},
        {"file: unknown field", R"({"rpcs": []})", {}, "rpcs", "file:", "unknown field"},
        {"file: unknown limit", R"({"limits": {"maxSize": 1}})", {}, "limits.maxSize", "file:", "unknown field"},
        {"file: limits not an object", R"({"limits": 5})", {}, "limits", "file:", "expected an object"},
        {"file: rpc wrong type", R"({"rpc": 5})", {}, "rpc", "file:", "expected an array"},
        {"file: rpc item wrong type", R"({"rpc": ["https://a.example", 5]})", {}, "rpc", "file:", "item 1"},
        {"file: chainId negative", R"({"chainId": -1})", {}, "chainId", "file:", "negative"},
        {"file: duration without unit", R"({"timeouts": {"rpc": 30}})", {}, "timeouts.rpc", "file:", "unit"},
        {"file: duration bad unit", R"({"timeouts": {"rpc": "30d"}})", {}, "timeouts.rpc", "file:", "unknown duration unit"},
        {"file: size bad unit", R"({"limits": {"maxFileSize": "10MB"}})", {}, "limits.maxFileSize", "file:", "unknown size unit"},
        {"file: provider unknown field", R"({"providers": [{"addr": "0x"}]})", {}, "providers[0].addr", "file:", "unknown field"},
        {"file: provider wrong type", R"({"providers": [7]})", {}, "providers[0]", "file:", "string or an object"},
        {"file: bad profile", R"({"profile": "prod"})", {}, "profile", "file:", "unknown profile"},
        {"env: replicas not a number", "", {{"ZEROG_REPLICAS", "two"}}, "limits.replicas", "env:ZEROG_REPLICAS", "decimal integer"},
        {"env: replicas too big for 32 bits", "", {{"ZEROG_REPLICAS", "4294967296"}}, "limits.replicas", "env:ZEROG_REPLICAS", "too large"},
        {"env: chain id overflow", "", {{"ZEROG_CHAIN_ID", "99999999999999999999"}}, "chainId", "env:ZEROG_CHAIN_ID", "64 bits"},
        {"env: size overflow", "", {{"ZEROG_MAX_FILE_SIZE", "99999999999TiB"}}, "limits.maxFileSize", "env:ZEROG_MAX_FILE_SIZE", "64 bits"},
        {"env: timeout without unit", "", {{"ZEROG_TIMEOUT_UPLOAD", "600"}}, "timeouts.upload", "env:ZEROG_TIMEOUT_UPLOAD", "needs a unit"},
        {"env: bad profile", "", {{"ZEROG_PROFILE", "main"}}, "profile", "env:ZEROG_PROFILE", "unknown profile"},
    };
    for (const auto& r : rows) {
        SECTION(r.name) {
            load_options o{environment(r.env), std::nullopt, {}};
            if (!r.file.empty()) o.config_file = dir.write("bad.json", r.file);
            auto rep = evaluate(o);
            INFO(all_text(rep.problems));
            auto ps = problems_for(rep.problems, r.field);
            REQUIRE(ps.size() == 1);
            CHECK(ps[0].source.to_string().rfind(r.source, 0) == 0);
            CHECK(ps[0].message.find(r.says) != std::string::npos);
            CHECK(rep.problems.size() == 1);  // the bad value was not applied, so validation is clean
            auto strict = load(o);
            REQUIRE_FALSE(strict);
            CHECK(strict.error().message().find(r.field) != std::string::npos);
        }
    }
}

TEST_CASE("missing configuration file is a problem, not a silent fallback", "[config]") {
    auto rep = evaluate({environment{}, std::string("/nonexistent/zerog.json")});
    auto ps = problems_for(rep.problems, "(file)");
    REQUIRE(ps.size() == 1);
    CHECK(ps[0].code == errc::io_error);
    CHECK(ps[0].source == value_source::file("/nonexistent/zerog.json"));
}

TEST_CASE("value syntax: sizes, durations, lists", "[config]") {
    CHECK(*parse_size("10MiB") == 10ull << 20);
    CHECK(*parse_size("7") == 7);
    CHECK(*parse_size("1TiB") == 1ull << 40);
    CHECK_FALSE(parse_size("-1"));
    CHECK_FALSE(parse_size("1.5GiB"));
    CHECK(*parse_duration("250ms") == 250ms);
    CHECK(*parse_duration("2h") == 2h);
    CHECK_FALSE(parse_duration("2"));
    CHECK_FALSE(parse_duration("s"));
    CHECK(parse_list(" a ,, b,") == std::vector<std::string>{"a", "b"});
    CHECK(parse_list("").empty());
    CHECK(format_duration(90s) == "90s");
    CHECK(format_size(3 << 20) == "3MiB");
    CHECK(parse_provider_text("0xabc@http://u:p@h:1/x") == provider_entry{"0xabc", "http://u:p@h:1/x", ""});
}
