// Metrics end to end on the devnet: `zerog upload --metrics-textfile` checked by promtool, and a
// real Prometheus (Debian's, started here) scraping `zerog demo --metrics-port` while it uploads,
// downloads and runs a verified inference.
#include <catch2/catch.hpp>
#include <test_support.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using zerog::testing::run_command;

std::string q(const fs::path& p) { return zerog::testing::shell_quote(p); }

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// The value of the exposition line `series value` (nullopt when absent).
std::optional<double> sample(const std::string& text, const std::string& series) {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        if (l.size() > series.size() && l.compare(0, series.size(), series) == 0 && l[series.size()] == ' ')
            return std::stod(l.substr(series.size() + 1));
    return std::nullopt;
}

bool have(const char* tool) { return run_command(std::string("command -v ") + tool + " > /dev/null 2>&1").first == 0; }

/// A free loopback port (bound, read, released: the caller binds it right after).
unsigned free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    socklen_t n = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &n);
    ::close(fd);
    return ntohs(sa.sin_port);
}

/// `promtool check metrics` on a text: (exit code, its output). Clean = (0, "").
std::pair<int, std::string> promtool_check(const fs::path& file) { return run_command("promtool check metrics < " + q(file) + " 2>&1"); }

}  // namespace

TEST_CASE("zerog upload --metrics-textfile writes an exposition promtool accepts, with the upload's series", "[devnet][metrics]") {
    REQUIRE(have("promtool"));  // tools/install-deps.sh installs Debian's prometheus
    const zerog::testing::cli_devnet net("zerog-metrics-cli-", "--nodes 2 --providers 0");
    INFO(net.out);
    REQUIRE(net.rc == 0);
    const fs::path& t = net.tmp.path;
    const std::string Z = "env -u ZG_KEYSTORE -u ZG_PRIVATE_KEY -u ZEROG_CONFIG ZEROG_DEVNET_DIR=" + q(net.dir) +
                          " ZEROG_PROFILE=devnet ZEROG_DB=" + q(t / "zerog.db") + " " + q(net.exe);
    const fs::path file = t / "one-mib.bin";
    {
        std::mt19937_64 rng(std::random_device{}());
        std::string data(1 << 20, '\0');
        for (auto& c : data) c = static_cast<char>(rng());
        std::ofstream(file, std::ios::binary) << data;
    }
    const fs::path prom = t / "zerog.prom";
    auto [rc, out] = run_command(Z + " upload " + q(file) + " --json --metrics-textfile " + q(prom) + " 2>&1");
    INFO(out);
    REQUIRE(rc == 0);
    const auto fee_at = out.find("\"fee\":\"");
    REQUIRE(fee_at != std::string::npos);
    const double fee = std::stod(out.substr(fee_at + 7));
    REQUIRE(fee > 0);

    const std::string text = slurp(prom);
    INFO(text);
    auto [lint, lint_out] = promtool_check(prom);
    CHECK(lint == 0);
    CHECK(lint_out.empty());
    CHECK(sample(text, "zerog_uploads_total{outcome=\"ok\"}") == 1.0);
    CHECK(sample(text, "zerog_upload_bytes_total") == double(1 << 20));
    CHECK(sample(text, "zerog_upload_duration_seconds_count") == 1.0);
    CHECK(sample(text, "zerog_upload_duration_seconds_sum") > 0.0);
    CHECK(sample(text, "zerog_upload_duration_seconds_bucket{le=\"+Inf\"}") == 1.0);
    CHECK(sample(text, "zerog_storage_fee_neuron_total") == Approx(fee));
    CHECK(sample(text, "zerog_payments_total{kind=\"storage\",outcome=\"ok\"}") == 1.0);
    for (const char* stage : {"discover", "hash", "submit", "log_sync", "segments", "finality", "verify"})
        CHECK(sample(text, std::string("zerog_upload_stage_duration_seconds_count{stage=\"") + stage + "\"}") == 1.0);
    CHECK(sample(text, "zerog_rpc_requests_total{class=\"storage\",method=\"zgs_uploadSegmentsByTxSeq\",outcome=\"ok\"}") >= 1.0);
    CHECK(sample(text, "zerog_rpc_requests_total{class=\"chain\",method=\"flow.submit\",outcome=\"ok\"}") == 1.0);
    CHECK(text.find("zerog_rpc_request_duration_seconds_bucket{class=\"storage\",method=\"zgs_getFileInfo\",le=\"") != std::string::npos);
    // The durable store (SQLite here): the intent before paying, and the states after.
    CHECK(sample(text, "zerog_persistence_calls_total{op=\"find_submission\",outcome=\"ok\"}") >= 1.0);
    CHECK(sample(text, "zerog_persistence_calls_total{op=\"claim_submission\",outcome=\"ok\"}") >= 1.0);
    CHECK(sample(text, "zerog_persistence_calls_total{op=\"put_submission\",outcome=\"ok\"}") >= 1.0);
    CHECK(sample(text, "zerog_persistence_call_duration_seconds_count{op=\"put_submission\"}") >= 1.0);
    // No temporary file is left beside it.
    std::size_t entries = 0;
    for (const auto& e : fs::directory_iterator(t))
        if (e.path().filename().string().rfind("zerog.prom", 0) == 0) ++entries;
    CHECK(entries == 1);

    // A command that fails still writes its metrics (what an operator needs most).
    const fs::path prom2 = t / "failed.prom";
    auto [rc2, out2] = run_command(Z + " upload " + q(t / "missing.bin") + " --metrics-textfile " + q(prom2) + " 2>&1");
    INFO(out2);
    CHECK(rc2 != 0);
    const std::string text2 = slurp(prom2);
    INFO(text2);
    CHECK(sample(text2, "zerog_uploads_total{outcome=\"not_found\"}") == 1.0);
    CHECK(promtool_check(prom2).first == 0);
    // A path that cannot be written: said on stderr; the command's own status is kept.
    auto [rc3, out3] = run_command(Z + " upload " + q(file) + " --metrics-textfile " + q(t / "no-dir" / "x.prom") + " 2>&1");
    INFO(out3);
    CHECK(rc3 == 0);  // the file is already stored: nothing paid, same root
    CHECK(out3.find("writing the metrics textfile") != std::string::npos);
    // Usage errors.
    CHECK(run_command(q(net.exe) + " version --metrics-textfile 2>&1").first == 2);
    CHECK(run_command(q(net.exe) + " version --metrics-port 70000 2>&1").first == 2);
    CHECK(run_command(q(net.exe) + " version --metrics-linger 5 2>&1").first == 2);  // needs --metrics-port
}

TEST_CASE("a real Prometheus scrapes zerog demo --metrics-port during devnet uploads and inferences", "[devnet][metrics][prometheus]") {
    REQUIRE(have("prometheus"));
    REQUIRE(have("promtool"));
    REQUIRE(have("curl"));
    const char* b = std::getenv("ZEROG_BUILD_DIR");
    REQUIRE(b);
    const fs::path exe = fs::path(b) / "tools" / "zerog";
    REQUIRE(fs::exists(exe));
    zerog::testing::scoped_temp_dir tmp("zerog-prometheus-");
    const unsigned metrics_port = free_port(), prom_port = free_port();
    const std::string prom_url = "http://127.0.0.1:" + std::to_string(prom_port);
    {
        std::ofstream cfg(tmp.path / "prometheus.yml");
        cfg << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
               "scrape_configs:\n  - job_name: zerog\n    static_configs:\n      - targets: ['127.0.0.1:"
            << metrics_port << "']\n";
    }
    // Prometheus in the background; killed (and reaped) however this test ends.
    auto [prc, ppid] = run_command("cd " + q(tmp.path) + " && (prometheus --config.file=prometheus.yml --storage.tsdb.path=data "
                                   "--web.listen-address=127.0.0.1:" + std::to_string(prom_port) +
                                   " --log.level=warn > prometheus.log 2>&1 & echo $!)");
    REQUIRE(prc == 0);
    const std::string prom_pid = ppid.substr(0, ppid.find('\n'));
    struct killer {
        std::string pid;
        ~killer() { run_command("kill " + pid + " 2>/dev/null; for i in $(seq 1 100); do kill -0 " + pid + " 2>/dev/null || break; sleep 0.05; done"); }
    } stop_prometheus{prom_pid};
    auto query = [&](const std::string& promql) -> std::optional<double> {
        auto [rc, body] = run_command("curl -sf --max-time 5 " + q(prom_url + "/api/v1/query") + " --data-urlencode " + q("query=" + promql));
        if (rc != 0) return std::nullopt;
        boost::system::error_code ec;
        auto v = boost::json::parse(body, ec);
        if (ec || !v.is_object()) return std::nullopt;
        const auto* data = v.as_object().if_contains("data");
        if (!data) return std::nullopt;
        const auto& r = data->at("result").as_array();
        if (r.empty()) return std::nullopt;
        return std::stod(std::string(r[0].at("value").as_array()[1].as_string()));
    };
    bool ready = false;
    for (int i = 0; i < 200 && !ready; ++i) {  // ≤ 20 s
        ready = run_command("curl -sf --max-time 1 " + q(prom_url + "/-/ready") + " > /dev/null 2>&1").first == 0;
        if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    INFO(slurp(tmp.path / "prometheus.log"));
    REQUIRE(ready);

    // The demo: its own devnet; one upload, download, verify and one verified inference, all in
    // this one zerog process, which keeps /metrics up 5 s after it ends (--metrics-linger).
    const fs::path demo_out = tmp.path / "demo.out";
    auto [drc, dpid] = run_command("cd " + q(tmp.path) + " && (env -u ZG_PRIVATE_KEY -u ZG_KEYSTORE -u ZEROG_CONFIG -u ZEROG_DB " + q(exe) +
                                   " demo --metrics-port " + std::to_string(metrics_port) + " --metrics-linger 5 > " + q(demo_out) +
                                   " 2>&1; echo $? > demo.rc) > /dev/null 2>&1 & echo $!");
    REQUIRE(drc == 0);
    struct demo_reaper {
        std::string pid;
        ~demo_reaper() { run_command("for i in $(seq 1 1200); do kill -0 " + pid + " 2>/dev/null || break; sleep 0.1; done"); }
    } wait_demo{dpid.substr(0, dpid.find('\n'))};

    // Wait (≤ 180 s) until Prometheus has scraped the inference. Meanwhile keep the demo's own
    // exposition as it serves it (the last good scrape: the demo ends on its own, 5 s after its
    // work, and a slow machine may reach the lint below only after that).
    const fs::path scraped = tmp.path / "scraped.prom", scraping = tmp.path / "scraping.prom";
    auto scrape_demo = [&] {
        return run_command("curl -sf --max-time 2 http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics > " + q(scraping) + " && mv " +
                           q(scraping) + " " + q(scraped))
                   .first == 0;
    };
    std::optional<double> inferences;
    for (int i = 0; i < 900 && !inferences; ++i) {
        inferences = query("max_over_time(zerog_inference_requests_total{outcome=\"ok\"}[10m])");
        if (!inferences) {
            if (fs::exists(tmp.path / "demo.rc") && slurp(tmp.path / "demo.rc") != "0\n") break;
            (void)scrape_demo();
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
    INFO(slurp(demo_out));
    REQUIRE(inferences);
    CHECK(*inferences >= 1.0);
    {
        const bool live = scrape_demo();  // the freshest, when the demo still serves
        INFO("scraped live now: " << live);
        REQUIRE(fs::exists(scraped));
        auto [crc, lint] = run_command("promtool check metrics < " + q(scraped) + " 2>&1");
        INFO(lint);
        CHECK(crc == 0);
        CHECK(lint.empty());
        CHECK(slurp(scraped).find("zerog_uploads_total{outcome=\"ok\"} 1") != std::string::npos);
    }
    // Let the demo end (it lingers 5 s), then query what Prometheus kept.
    for (int i = 0; i < 600 && !fs::exists(tmp.path / "demo.rc"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    REQUIRE(slurp(tmp.path / "demo.rc") == "0\n");
    const std::string w = "[10m]";
    CHECK(query("max_over_time(up{job=\"zerog\"}" + w + ")") == 1.0);
    CHECK(query("max_over_time(zerog_uploads_total{outcome=\"ok\"}" + w + ")") == 1.0);
    CHECK(query("max_over_time(zerog_upload_bytes_total" + w + ")") == 4194427.0);  // the demo's sample file (tests/vectors/storage.json)
    CHECK(query("max_over_time(zerog_download_bytes_total" + w + ")") == 4194427.0);
    CHECK(query("max_over_time(zerog_storage_fee_neuron_total" + w + ")") > 0.0);
    CHECK(query("sum(max_over_time(zerog_inference_tokens_total" + w + "))") > 0.0);
    CHECK(query("sum(max_over_time(zerog_inference_fee_neuron_total" + w + "))") > 0.0);
    CHECK(query("sum(max_over_time(zerog_rpc_requests_total{class=\"chain\",outcome=\"ok\"}" + w + "))") > 0.0);
    CHECK(query("sum(max_over_time(zerog_rpc_requests_total{class=\"provider\",method=\"compute.chat\",outcome=\"ok\"}" + w + "))") >= 1.0);
    // p95 upload latency from the histogram: plausible (the devnet uploads 4 MiB in seconds).
    const auto p95 = query("histogram_quantile(0.95, sum by (le) (max_over_time(zerog_upload_duration_seconds_bucket" + w + ")))");
    REQUIRE(p95);
    CHECK(*p95 > 0.0);
    CHECK(*p95 <= 120.0);
    CHECK(query("max_over_time(zerog_verification_failures_total" + w + ")") == std::nullopt);  // nothing failed verification
}

TEST_CASE("zerog health on the devnet: every dependency reported; a node down degrades, the last one down loses readiness", "[devnet][health]") {
    const zerog::testing::cli_devnet net("zerog-health-cli-", "--nodes 2 --providers 1 --kv");
    INFO(net.out);
    REQUIRE(net.rc == 0);
    const std::string Z = "env -u ZG_KEYSTORE -u ZG_PRIVATE_KEY -u ZEROG_CONFIG -u ZEROG_KV_URLS ZEROG_DEVNET_DIR=" + q(net.dir) +
                          " ZEROG_PROFILE=devnet ZEROG_DB=" + q(net.tmp.path / "zerog.db") + " " + q(net.exe);
    auto health = [&] {
        auto [rc, out] = run_command(Z + " health --timeout-ms 3000 --json 2>&1");
        INFO(out);
        boost::system::error_code ec;
        auto v = boost::json::parse(out, ec);
        REQUIRE_FALSE(ec);
        return std::pair{rc, v.as_object()};
    };
    auto find = [](const boost::json::object& rep, const std::string& dependency, const std::string& name) -> boost::json::object {
        for (const auto& d : rep.at("dependencies").as_array())
            if (d.at("dependency").as_string() == dependency && d.at("name").as_string() == name) return d.as_object();
        FAIL("no " << dependency << " " << name << " in " << boost::json::serialize(rep));
        return {};
    };
    auto fault = [&](unsigned node, const char* mode) {
        auto [rc, out] = run_command(q(net.exe) + " devnet fault --dir " + q(net.dir) + " --node " + std::to_string(node) + " --mode " + mode + " 2>&1");
        INFO(out);
        REQUIRE(rc == 0);
    };
    // A node polls its fault file (every 100 ms for `down`): ask until the report shows `nodes[i]`
    // in the expected state (≤ 5 s), then return that report.
    auto health_when = [&](const std::string& node, const char* status) {
        auto got = health();
        for (int i = 0; i < 50 && find(got.second, "storage_node", node).at("status").as_string() != status; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            got = health();
        }
        return got;
    };

    {
        auto [rc, rep] = health();
        INFO(boost::json::serialize(rep));
        CHECK(rc == 0);
        CHECK(rep.at("ready").as_bool());
        CHECK(rep.at("live").as_bool());
        CHECK(rep.at("status").as_string() == "healthy");
        std::set<std::string> kinds;
        for (const auto& d : rep.at("dependencies").as_array()) {
            kinds.insert(std::string(d.at("dependency").as_string()));
            CHECK(d.at("status").as_string() == "healthy");
            CHECK(d.at("latencyMs").as_int64() >= 0);
            CHECK(d.as_object().contains("breaker"));
        }
        CHECK(kinds == std::set<std::string>{"chain_rpc", "storage_node", "indexer", "contract", "compute_provider", "kv_node", "database"});
        CHECK(find(rep, "storage_node", "nodes[1]").at("endpoint").as_string().starts_with("http://127.0.0.1:"));
    }
    fault(0, "down");
    {
        auto [rc, rep] = health_when("nodes[0]", "unhealthy");
        INFO(boost::json::serialize(rep));
        CHECK(rc == 0);  // still ready: the other node serves
        CHECK(rep.at("ready").as_bool());
        CHECK(rep.at("status").as_string() == "degraded");
        const auto n0 = find(rep, "storage_node", "nodes[0]");
        CHECK(n0.at("status").as_string() == "unhealthy");
        CHECK_FALSE(n0.at("error").as_string().empty());
        CHECK(find(rep, "storage_node", "nodes[1]").at("status").as_string() == "healthy");
    }
    fault(1, "down");
    {
        auto [rc, rep] = health_when("nodes[1]", "unhealthy");
        INFO(boost::json::serialize(rep));
        CHECK(rc == 1);  // readiness lost
        CHECK_FALSE(rep.at("ready").as_bool());
        CHECK(rep.at("status").as_string() == "unhealthy");
        const auto& why = rep.at("notReadyBecause").as_array();
        REQUIRE(why.size() == 1);
        CHECK(why[0].as_string() == "no storage node is healthy");
    }
    fault(0, "none");
    fault(1, "none");
    (void)health_when("nodes[0]", "healthy");
    (void)health_when("nodes[1]", "healthy");
    // Text output and usage errors.
    auto [rc, text] = run_command(Z + " health 2>&1");
    INFO(text);
    CHECK(rc == 0);
    CHECK(text.find("ready (healthy)") != std::string::npos);
    CHECK(run_command(Z + " health --timeout-ms 0 2>&1").first == 2);
    CHECK(run_command(Z + " health extra 2>&1").first == 2);
}

TEST_CASE("zerog upload --otlp-endpoint: one trace per upload, a child span per network call, traceparent at the node", "[devnet][tracing]") {
    REQUIRE(have("node"));
    REQUIRE(have("curl"));
    const char* src = std::getenv("ZEROG_SOURCE_DIR");
    REQUIRE(src);
    const zerog::testing::cli_devnet net("zerog-otlp-cli-", "--nodes 2 --providers 0");
    INFO(net.out);
    REQUIRE(net.rc == 0);
    const fs::path& t = net.tmp.path;
    // The receiver (tests/support/otlp_recv.js): a real OTLP/HTTP decoder; killed however this ends.
    auto start_receiver = [&](const std::string& name, unsigned delay_ms) {
        const fs::path out = t / (name + ".out");
        auto [rc, pid] = run_command("(node " + q(fs::path(src) / "tests" / "support" / "otlp_recv.js") + " 0 " + std::to_string(delay_ms) +
                                     " > " + q(out) + " 2>&1 & echo $!)");
        REQUIRE(rc == 0);
        unsigned port = 0;
        for (int i = 0; i < 100 && port == 0; ++i) {  // ≤ 10 s
            const std::string o = slurp(out);
            if (const auto at = o.find("\"port\":"); at != std::string::npos) port = static_cast<unsigned>(std::stoul(o.substr(at + 7)));
            else std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        INFO(slurp(out));
        REQUIRE(port != 0);
        return std::pair{pid.substr(0, pid.find('\n')), port};
    };
    struct killer {
        std::vector<std::string> pids;
        ~killer() {
            for (const auto& p : pids) run_command("kill " + p + " 2>/dev/null");
        }
    } receivers;
    const auto [pid, port] = start_receiver("recv", 0);
    receivers.pids.push_back(pid);
    const std::string endpoint = "http://127.0.0.1:" + std::to_string(port);
    const std::string Z = "env -u ZG_KEYSTORE -u ZG_PRIVATE_KEY -u ZEROG_CONFIG ZEROG_DEVNET_DIR=" + q(net.dir) + " ZEROG_PROFILE=devnet ZEROG_DB=" +
                          q(t / "zerog.db") + " " + q(net.exe);
    auto make_file = [&](const std::string& name) {
        std::mt19937_64 rng(std::random_device{}());
        std::string data(300000, '\0');
        for (auto& c : data) c = static_cast<char>(rng());
        std::ofstream(t / name, std::ios::binary) << data;
        return t / name;
    };
    auto upload_seconds = [&](const fs::path& prom) {
        const auto v = sample(slurp(prom), "zerog_upload_duration_seconds_sum");
        REQUIRE(v);
        return *v;
    };

    // Untraced, for comparison.
    auto [rc0, out0] = run_command(Z + " upload " + q(make_file("a.bin")) + " --metrics-textfile " + q(t / "a.prom") + " 2>&1");
    INFO(out0);
    REQUIRE(rc0 == 0);
    const double untraced = upload_seconds(t / "a.prom");

    // Traced through the configuration's variables (the two runs after this one use the flags).
    auto [rc, out] = run_command("ZEROG_OTLP_ENDPOINT=" + endpoint + " ZEROG_METRICS_TEXTFILE=" + q(t / "b.prom") + " " + Z + " upload " +
                                 q(make_file("b.bin")) + " 2>&1");
    INFO(out);
    REQUIRE(rc == 0);
    auto [src_rc, body] = run_command("curl -sf --max-time 5 " + endpoint + "/spans");
    REQUIRE(src_rc == 0);
    const auto spans = boost::json::parse(body).as_array();
    INFO(body.substr(0, 4000));
    const boost::json::object* upload = nullptr;
    for (const auto& s : spans)
        if (s.at("name").as_string() == "storage.upload") {
            CHECK(upload == nullptr);  // exactly one operation span
            upload = &s.as_object();
        }
    REQUIRE(upload);
    CHECK_FALSE(upload->contains("parentSpanId"));
    CHECK(upload->at("kind").as_string() == "SPAN_KIND_INTERNAL");
    CHECK(upload->at("status").at("code").as_string() == "STATUS_CODE_OK");
    CHECK(upload->at("resource").at("service.name").as_string() == "zerog");
    CHECK(upload->at("resource").at("deployment.environment").as_string() == "devnet");
    const std::string trace(upload->at("traceId").as_string()), root_span(upload->at("spanId").as_string());
    std::set<std::string> children;
    for (const auto& s : spans) {
        CHECK(s.at("traceId").as_string() == trace);  // one trace
        if (&s.as_object() == upload) continue;
        CHECK(s.at("parentSpanId").as_string() == root_span);  // every network call is a child of the upload
        CHECK(s.at("kind").as_string() == "SPAN_KIND_CLIENT");
        children.insert(std::string(s.at("name").as_string()));
    }
    for (const char* m : {"zgs_getStatus", "zgs_getFileInfo", "flow.submit", "zgs_uploadSegmentsByTxSeq", "persistence.claim_submission",
                          "persistence.put_submission"})
        CHECK(children.contains(m));
    // The storage nodes saw the same trace in `traceparent` (their logs, DIR/logs/node-I.log).
    const std::string logs = slurp(net.dir / "logs" / "node-0.log") + slurp(net.dir / "logs" / "node-1.log");
    CHECK(logs.find("\"traceparent\":\"00-" + trace + "-") != std::string::npos);
    const double traced = upload_seconds(t / "b.prom");

    // A collector that is down, then one that answers 2 s late: the upload is not slowed (its
    // own duration, from its metrics), and the command ends within the bounded flush.
    auto [rc2, out2] = run_command(Z + " upload " + q(make_file("c.bin")) + " --otlp-endpoint http://127.0.0.1:" + std::to_string(free_port()) +
                                   " --metrics-textfile " + q(t / "c.prom") + " 2>&1");
    INFO(out2);
    REQUIRE(rc2 == 0);
    const double down = upload_seconds(t / "c.prom");
    const auto [slow_pid, slow_port] = start_receiver("slow", 2000);
    receivers.pids.push_back(slow_pid);
    const auto t0 = std::chrono::steady_clock::now();
    auto [rc3, out3] = run_command(Z + " upload " + q(make_file("d.bin")) + " --otlp-endpoint http://127.0.0.1:" + std::to_string(slow_port) +
                                   " --metrics-textfile " + q(t / "d.prom") + " 2>&1");
    const double command = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    INFO(out3);
    REQUIRE(rc3 == 0);
    const double slow = upload_seconds(t / "d.prom");
    WARN("upload seconds: untraced " << untraced << ", traced " << traced << ", collector down " << down << ", collector 2 s late " << slow
                                     << " (command " << command << " s, flush bounded by 3 s)");
    CHECK(down < untraced + 1.0);  // generous bounds: the export runs on its own thread
    CHECK(slow < untraced + 1.0);
    CHECK(command < slow + 6.0);
    // Usage error.
    CHECK(run_command(q(net.exe) + " version --otlp-endpoint not-a-url 2>&1").first == 2);
}
