// Metrics: the registry (exposition format, caps, user label, concurrency, textfile), the
// production telemetry hub, and what guarded_call records.
#include <zerog/client/persist.hpp>
#include <zerog/client/pipeline.hpp>
#include <zerog/crypto/private_key.hpp>
#include <zerog/observe/metrics.hpp>
#include <zerog/observe/telemetry_hub.hpp>
#include <zerog/observe/tracing.hpp>
#include <zerog/policy/budget.hpp>
#include <zerog/policy/sliding_window_breaker.hpp>
#include <zerog/testing/mocks.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <random>
#include <thread>

using namespace zerog;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using policy::field;

namespace {
bool contains_line(const std::string& text, const std::string& line) {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        if (l == line) return true;
    return false;
}
}  // namespace

TEST_CASE("metrics: counters, gauges and histograms in the text exposition format", "[metrics]") {
    observe::metrics_registry m;
    const field ok[] = {{"class", "storage"}, {"method", "zgs_getStatus"}, {"outcome", "ok"}};
    m.add("zerog_rpc_requests_total", 1, ok);
    m.add("zerog_rpc_requests_total", 2, ok);
    m.add("zerog_rpc_requests_total", -5, ok);  // counters never go down
    const field ep[] = {{"endpoint", "http://127.0.0.1:5678"}};
    m.set("zerog_breaker_state", 2, ep);
    m.set("zerog_breaker_state", 0, ep);
    const field cls[] = {{"class", "chain"}, {"method", "eth_call"}};
    m.observe("zerog_rpc_request_duration_seconds", 0.003, cls);
    m.observe("zerog_rpc_request_duration_seconds", 0.2, cls);
    m.observe("zerog_rpc_request_duration_seconds", 1000, cls);  // beyond the last bucket: +Inf only
    m.observe("zerog_rpc_request_duration_seconds", std::nan(""), cls);  // ignored
    const std::string t = m.render();
    INFO(t);
    CHECK(contains_line(t, "# HELP zerog_rpc_requests_total Network calls by endpoint class (chain, storage, indexer, kv, provider), method and "
                           "outcome (ok or the error class)"));
    CHECK(contains_line(t, "# TYPE zerog_rpc_requests_total counter"));
    CHECK(contains_line(t, "zerog_rpc_requests_total{class=\"storage\",method=\"zgs_getStatus\",outcome=\"ok\"} 3"));
    CHECK(contains_line(t, "# TYPE zerog_breaker_state gauge"));
    CHECK(contains_line(t, "zerog_breaker_state{endpoint=\"http://127.0.0.1:5678\"} 0"));
    CHECK(contains_line(t, "# TYPE zerog_rpc_request_duration_seconds histogram"));
    CHECK(contains_line(t, "zerog_rpc_request_duration_seconds_bucket{class=\"chain\",method=\"eth_call\",le=\"0.0025\"} 0"));
    CHECK(contains_line(t, "zerog_rpc_request_duration_seconds_bucket{class=\"chain\",method=\"eth_call\",le=\"0.005\"} 1"));
    CHECK(contains_line(t, "zerog_rpc_request_duration_seconds_bucket{class=\"chain\",method=\"eth_call\",le=\"0.25\"} 2"));
    CHECK(contains_line(t, "zerog_rpc_request_duration_seconds_bucket{class=\"chain\",method=\"eth_call\",le=\"300\"} 2"));
    CHECK(contains_line(t, "zerog_rpc_request_duration_seconds_bucket{class=\"chain\",method=\"eth_call\",le=\"+Inf\"} 3"));
    CHECK(contains_line(t, "zerog_rpc_request_duration_seconds_sum{class=\"chain\",method=\"eth_call\"} 1000.203"));
    CHECK(contains_line(t, "zerog_rpc_request_duration_seconds_count{class=\"chain\",method=\"eth_call\"} 3"));
    // metrics sorted by name: the exposition is stable between scrapes
    CHECK(t.find("zerog_breaker_state") < t.find("zerog_rpc_request_duration_seconds"));
    CHECK(t.find("zerog_rpc_request_duration_seconds") < t.find("zerog_rpc_requests_total"));
    CHECK(m.value("zerog_rpc_requests_total", ok) == 3.0);
    CHECK(m.value("zerog_rpc_request_duration_seconds", cls) == 3.0);
    CHECK_FALSE(m.value("zerog_uploads_total").has_value());
}

TEST_CASE("metrics: label values are escaped, label names and metric names sanitised", "[metrics]") {
    observe::metrics_registry m;
    const field f[] = {{"path", "a\"b\\c\nd"}, {"bad-name", "x"}, {"__reserved", "dropped"}, {"n", std::uint64_t(7)}, {"flag", true}};
    m.add("zerog_alerts_total", 1, f);
    m.add("my.app-counter", 2);  // an application counter: sanitised, and `_total` added by convention
    const std::string t = m.render();
    INFO(t);
    CHECK(contains_line(t, R"(zerog_alerts_total{path="a\"b\\c\nd",bad_name="x",n="7",flag="true"} 1)"));
    CHECK(contains_line(t, "# TYPE my_app_counter_total counter"));
    CHECK(contains_line(t, "# HELP my_app_counter_total Application metric my_app_counter_total"));
    CHECK(contains_line(t, "my_app_counter_total 2"));
    m.add("my.app-counter", 1);  // found again through its alias
    CHECK(m.value("my_app_counter_total") == 3.0);
    CHECK(m.value("my.app-counter") == 3.0);
}

TEST_CASE("metrics: a name keeps the type it was first used with", "[metrics]") {
    observe::metrics_registry m;
    m.set("zerog_uploads_total", 5);            // a known counter: set() is refused
    m.observe("zerog_uploads_total", 5);
    CHECK_FALSE(m.value("zerog_uploads_total").has_value());
    m.add("app_queue_depth", 1);                // first use: a counter
    m.set("app_queue_depth_total", 9);          // then as a gauge: ignored
    CHECK(m.value("app_queue_depth_total") == 1.0);
}

TEST_CASE("metrics: series caps fold new label sets into one overflow series and count the drops", "[metrics][limits]") {
    observe::metrics_registry m({.max_series = 20, .max_series_per_metric = 3});
    for (int i = 0; i < 10; ++i) {
        const std::string ep = "http://node" + std::to_string(i) + ":5678";
        const field f[] = {{"endpoint", std::string_view(ep)}};
        m.set("zerog_breaker_state", i, f);
    }
    const std::string t = m.render();
    INFO(t);
    CHECK(contains_line(t, "zerog_breaker_state{endpoint=\"http://node0:5678\"} 0"));
    CHECK(contains_line(t, "zerog_breaker_state{endpoint=\"http://node2:5678\"} 2"));
    CHECK_FALSE(contains_line(t, "zerog_breaker_state{endpoint=\"http://node3:5678\"} 3"));
    CHECK(contains_line(t, "zerog_breaker_state{endpoint=\"other\"} 9"));
    CHECK(m.dropped() == 7);
    CHECK(contains_line(t, "zerog_metrics_series_dropped_total 7"));
    // The registry's cap: names it has never seen are dropped once it is full, so hostile or
    // buggy names cannot grow it either.
    for (int i = 0; i < 100; ++i) m.add("app_metric_" + std::to_string(i), 1);
    CHECK(m.series_count() <= 20);
    CHECK(m.dropped() > 7);
    CHECK_FALSE(m.value("app_metric_99_total").has_value());
}

TEST_CASE("metrics: the user label is dropped unless the application opts in, then capped", "[metrics][limits]") {
    {
        observe::metrics_registry m;
        const field f[] = {{"kind", "spend"}, {"user", "alice"}};
        m.add("zerog_budget_refusals_total", 1, f);
        CHECK(contains_line(m.render(), "zerog_budget_refusals_total{kind=\"spend\"} 1"));
    }
    observe::metrics_registry m({.user_label = true, .max_users = 2});
    for (const char* u : {"alice", "bob", "carol", "dave", "alice"}) {
        const field f[] = {{"kind", "spend"}, {"user", u}};
        m.add("zerog_budget_refusals_total", 1, f);
    }
    const std::string t = m.render();
    INFO(t);
    CHECK(contains_line(t, "zerog_budget_refusals_total{kind=\"spend\",user=\"alice\"} 2"));
    CHECK(contains_line(t, "zerog_budget_refusals_total{kind=\"spend\",user=\"bob\"} 1"));
    CHECK(contains_line(t, "zerog_budget_refusals_total{kind=\"spend\",user=\"other\"} 2"));
}

TEST_CASE("metrics: concurrent updates are exact and rendering runs beside series creation", "[metrics][concurrency]") {
    observe::metrics_registry m;
    const field f[] = {{"class", "kv"}, {"method", "kv_getValue"}, {"outcome", "ok"}};
    std::atomic<bool> stop{false};
    std::thread reader([&] {
        while (!stop.load()) (void)m.render();
    });
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t)
        ts.emplace_back([&, t] {
            for (int i = 0; i < 50'000; ++i) {
                m.add("zerog_rpc_requests_total", 1, f);
                m.observe("zerog_rpc_request_duration_seconds", 0.01, f);
                if (i % 1000 == 0) {
                    const std::string ep = std::to_string(t) + ":" + std::to_string(i);
                    const field e[] = {{"endpoint", std::string_view(ep)}};
                    m.set("zerog_breaker_state", 1, e);
                }
            }
        });
    for (auto& t : ts) t.join();
    stop = true;
    reader.join();
    CHECK(m.value("zerog_rpc_requests_total", f) == 200'000.0);
    CHECK(m.value("zerog_rpc_request_duration_seconds", f) == 200'000.0);
    CHECK(m.series_count() == 2 + 4 * 50);
}

TEST_CASE("metrics: the textfile is replaced atomically and a failure says where", "[metrics]") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("zerog-metrics-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    observe::metrics_registry m;
    m.add("zerog_upload_bytes_total", 4096);
    const std::string path = (dir / "zerog.prom").string();
    REQUIRE(m.write_textfile(path));
    m.add("zerog_upload_bytes_total", 4096);
    REQUIRE(m.write_textfile(path));
    std::ifstream in(path);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(contains_line(text, "zerog_upload_bytes_total 8192"));
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
    CHECK(files == 1);  // no temporary left behind
    auto bad = m.write_textfile((dir / "missing" / "zerog.prom").string());
    REQUIRE_FALSE(bad);
    CHECK(bad.error().is(errc::io_error));
    CHECK(bad.error().message().find("missing/zerog.prom") != std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE("telemetry hub: logs to the logger, metrics to the registry, alerts to both", "[metrics]") {
    std::vector<std::string> lines;
    auto m = std::make_shared<observe::metrics_registry>();
    observe::telemetry_hub t(observe::json_logger(policy::log_level::info, [&](std::string_view l) { lines.emplace_back(l); }), m);
    STATIC_REQUIRE(policy::Telemetry<observe::telemetry_hub>);
    t.count("zerog_uploads_total", 1, {});
    t.gauge("zerog_budget_used_ratio", 0.8, {});
    t.observe("zerog_upload_duration_seconds", 1.5, {});
    const field f[] = {{"kind", "spend"}, {"percent", 80u}};
    t.alert("budget_threshold", f);
    CHECK(m->value("zerog_uploads_total") == 1.0);
    CHECK(m->value("zerog_budget_used_ratio") == 0.8);
    CHECK(m->value("zerog_upload_duration_seconds") == 1.0);
    const field a[] = {{"alert", "budget_threshold"}};
    CHECK(m->value("zerog_alerts_total", a) == 1.0);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find("\"event\":\"alert.budget_threshold\"") != std::string::npos);
    // Without a registry: metrics go nowhere, logs still flow.
    observe::telemetry_hub quiet(observe::json_logger(policy::log_level::info, [&](std::string_view l) { lines.emplace_back(l); }));
    quiet.count("zerog_uploads_total", 1, {});
    quiet.alert("circuit_open", {});
    CHECK(lines.size() == 2);
}

namespace {
using metered_set = client::policy_set<net::null_transport, crypto::null_signer, testing::scripted_retry, testing::mock_breaker,
                                       testing::mock_limiter, policy::no_persistence, observe::telemetry_hub>;

template <class P, class Op>
result<int> run_call(P& p, client::call_context ctx, Op op) {
    asio::io_context ioc;
    std::optional<result<int>> out;
    asio::co_spawn(ioc, [&]() -> asio::awaitable<void> { out.emplace(co_await client::guarded_call(p, ctx, op)); }, asio::detached);
    ioc.run();
    REQUIRE(out.has_value());
    return std::move(*out);
}
}  // namespace

TEST_CASE("guarded_call counts every network call by class, method and outcome, with retries and latency", "[metrics][pipeline]") {
    auto m = std::make_shared<observe::metrics_registry>();
    metered_set p{.telemetry = observe::telemetry_hub(observe::json_logger(policy::log_level::off), m)};
    p.retry.delays = {1ms, 1ms};
    int calls = 0;
    auto flaky = [&]() -> asio::awaitable<result<int>> {
        if (++calls < 3) co_return fail(errc::timeout, "slow node");
        co_return 7;
    };
    REQUIRE(run_call(p, {"zgs_getStatus", "http://127.0.0.1:5678", "", std::chrono::steady_clock::now() + 5s}, flaky));
    auto reverted = [&]() -> asio::awaitable<result<int>> { co_return fail(errc::reverted, "NotEnoughFee"); };
    REQUIRE_FALSE(run_call(p, {"eth_call", "http://127.0.0.1:8545", "", std::chrono::steady_clock::now() + 5s}, reverted));
    auto chat = [&]() -> asio::awaitable<result<int>> { co_return 1; };
    REQUIRE(run_call(p, {"compute.chat", "http://127.0.0.1:9000", "", std::chrono::steady_clock::now() + 5s}, chat));

    const field ok[] = {{"class", "storage"}, {"method", "zgs_getStatus"}, {"outcome", "ok"}};
    CHECK(m->value("zerog_rpc_requests_total", ok) == 1.0);
    const field retried[] = {{"class", "storage"}, {"method", "zgs_getStatus"}};
    CHECK(m->value("zerog_rpc_retries_total", retried) == 2.0);
    CHECK(m->value("zerog_rpc_request_duration_seconds", retried) == 1.0);
    const field rev[] = {{"class", "chain"}, {"method", "eth_call"}, {"outcome", "reverted"}};
    CHECK(m->value("zerog_rpc_requests_total", rev) == 1.0);
    const field prov[] = {{"class", "provider"}, {"method", "compute.chat"}, {"outcome", "ok"}};
    CHECK(m->value("zerog_rpc_requests_total", prov) == 1.0);
    // A limiter that refuses past the deadline: counted as a rate-limit refusal.
    p.limiter.budget = 0;
    p.limiter.retry_after = 1s;
    auto never = [&]() -> asio::awaitable<result<int>> { co_return 1; };
    auto r = run_call(p, {"kv_getValue", "http://127.0.0.1:6789", "", std::chrono::steady_clock::now() + 50ms}, never);
    REQUIRE_FALSE(r);
    const field rl[] = {{"class", "kv"}};
    CHECK(m->value("zerog_rate_limited_total", rl) == 1.0);
}

TEST_CASE("breaker transitions and budget usage reach the metrics", "[metrics]") {
    auto m = std::make_shared<observe::metrics_registry>();
    observe::telemetry_hub hub(observe::json_logger(policy::log_level::off), m);
    policy::breaker_config cfg;
    cfg.window_size = 4;
    cfg.minimum_calls = 2;
    cfg.failure_rate_threshold = 0.5;
    policy::sliding_window_breaker<observe::telemetry_hub> b(cfg, hub);
    for (int i = 0; i < 4; ++i) b.on_failure("http://127.0.0.1:5678", zerog::error(errc::timeout, "slow"), 10ms);
    const field ep[] = {{"endpoint", "http://127.0.0.1:5678"}};
    CHECK(m->value("zerog_breaker_state", ep) == 2.0);
    const field to[] = {{"endpoint", "http://127.0.0.1:5678"}, {"to", "open"}};
    CHECK(m->value("zerog_breaker_transitions_total", to) == 1.0);

    policy::budget_config bc;
    bc.default_limits[static_cast<std::size_t>(policy::budget_kind::requests)] = uint256(10);
    policy::budget_tracker<observe::telemetry_hub> budget(bc, hub);
    for (int i = 0; i < 8; ++i) budget.charge("alice", policy::budget_kind::requests, uint256(1));
    const field k[] = {{"kind", "requests"}};
    CHECK(m->value("zerog_budget_used_ratio", k) == Approx(0.8));
    REQUIRE_FALSE(budget.reserve("alice", policy::budget_kind::requests, uint256(5)));
    CHECK(m->value("zerog_budget_refusals_total", k) == 1.0);
    const field a[] = {{"alert", "budget_threshold"}};
    CHECK(m->value("zerog_alerts_total", a) == 2.0);  // 50 % and 80 %
}

TEST_CASE("cost summary: spend and tokens per provider and model (and user when opted in), storage fees", "[metrics][costs]") {
    observe::metrics_registry m({.user_label = true});
    auto infer = [&](const char* provider, const char* model, const char* user, double fee, double prompt, double completion) {
        const field ok[] = {{"provider", provider}, {"model", model}, {"outcome", "ok"}, {"user", user}};
        m.add("zerog_inference_requests_total", 1, ok);
        const field pm[] = {{"provider", provider}, {"model", model}, {"user", user}};
        m.add("zerog_inference_fee_neuron_total", fee, pm);
        const field p[] = {{"provider", provider}, {"model", model}, {"type", "prompt"}, {"user", user}};
        m.add("zerog_inference_tokens_total", prompt, p);
        const field c[] = {{"provider", provider}, {"model", model}, {"type", "completion"}, {"user", user}};
        m.add("zerog_inference_tokens_total", completion, c);
    };
    infer("0xA", "llama", "alice", 100, 10, 20);
    infer("0xA", "llama", "alice", 50, 5, 5);
    infer("0xB", "qwen", "bob", 7, 1, 2);
    const field failed[] = {{"provider", "0xB"}, {"model", "qwen"}, {"outcome", "timeout"}, {"user", "bob"}};
    m.add("zerog_inference_requests_total", 1, failed);  // not a billed request
    m.add("zerog_storage_fee_neuron_total", 1234);
    m.add("zerog_upload_bytes_total", 4096);
    const auto c = observe::summarize_costs(m);
    REQUIRE(c.inference.size() == 2);
    CHECK(c.inference[0].provider == "0xA");
    CHECK(c.inference[0].model == "llama");
    CHECK(c.inference[0].user == "alice");
    CHECK(c.inference[0].requests == 2);
    CHECK(c.inference[0].fee_neuron == 150);
    CHECK(c.inference[0].prompt_tokens == 15);
    CHECK(c.inference[0].completion_tokens == 25);
    CHECK(c.inference[1].user == "bob");
    CHECK(c.inference[1].requests == 1);
    CHECK(c.inference[1].fee_neuron == 7);
    CHECK(c.storage_fee_neuron == 1234);
    CHECK(c.uploaded_bytes == 4096);
    // Label values come back unescaped.
    const field odd[] = {{"provider", "a\"b\\c"}, {"model", "m"}, {"user", "u"}};
    m.add("zerog_inference_fee_neuron_total", 1, odd);
    bool seen = false;
    for (const auto& r : observe::summarize_costs(m).inference) seen = seen || r.provider == "a\"b\\c";
    CHECK(seen);
}

TEST_CASE("metrics: a registered key in a label value never reaches the exposition", "[metrics][secrets]") {
    std::mt19937_64 rng(std::random_device{}());
    fixed_bytes<32> raw;
    for (auto& b : raw) b = static_cast<std::uint8_t>(rng());
    raw[0] = 1;  // a valid secp256k1 scalar (far below the order)
    auto key = crypto::private_key::from_bytes(std::span<const std::uint8_t>(raw.data(), raw.size()));
    REQUIRE(key);
    const std::string hex = to_hex(raw, false);
    observe::metrics_registry m;
    const field f[] = {{"endpoint", std::string_view(hex)}};
    m.add("zerog_rpc_requests_total", 1, f);
    const std::string t = m.render();
    CHECK(t.find(hex) == std::string::npos);
    CHECK(t.find("<redacted:key>") != std::string::npos);
}

TEST_CASE("persistence calls are counted and timed by operation and outcome, and traced as client spans", "[metrics][persistence]") {
    using persisting_set = client::policy_set<net::null_transport, crypto::null_signer, policy::no_retry, policy::no_breaker, policy::no_limit,
                                              testing::mock_persistence, observe::telemetry_hub>;
    auto m = std::make_shared<observe::metrics_registry>();
    persisting_set p{.telemetry = observe::telemetry_hub(observe::json_logger(policy::log_level::off), m)};
    policy::submission_record rec;
    rec.root[0] = 1;
    rec.network = "devnet";
    std::optional<result<void>> put;
    std::optional<result<std::optional<policy::submission_record>>> found;
    asio::io_context ioc;
    asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
        put.emplace(co_await client::persist(p, "persistence.put_submission", [&] { return p.persistence.put_submission(rec); }));
        p.persistence.fail_next = zerog::error(errc::io_error, "disk full");
        found.emplace(co_await client::persist(p, "persistence.find_submission", [&] { return p.persistence.find_submission(rec.root, "devnet"); }));
    }, asio::detached);
    ioc.run();
    REQUIRE(put);
    CHECK(*put);
    REQUIRE(found);
    CHECK_FALSE(*found);
    CHECK(p.persistence.calls.size() == 2);  // measured, not repeated
    const field put_ok[] = {{"op", "put_submission"}, {"outcome", "ok"}};
    CHECK(m->value("zerog_persistence_calls_total", put_ok) == 1.0);
    const field find_failed[] = {{"op", "find_submission"}, {"outcome", "io_error"}};
    CHECK(m->value("zerog_persistence_calls_total", find_failed) == 1.0);
    const field put_op[] = {{"op", "put_submission"}};
    CHECK(m->value("zerog_persistence_call_duration_seconds", put_op) == 1.0);  // one observation
    const std::string text = m->render();
    CHECK(text.find("zerog_persistence_call_duration_seconds_bucket{op=\"put_submission\",le=\"0.0001\"}") != std::string::npos);

    // The span: a CLIENT child named after the call, ended with the call's error.
    using recorded_set = client::policy_set<net::null_transport, crypto::null_signer, policy::no_retry, policy::no_breaker, policy::no_limit,
                                            testing::mock_persistence, testing::recording_telemetry>;
    recorded_set r;
    r.persistence.fail_next = zerog::error(errc::io_error, "disk full");
    asio::io_context ioc2;
    asio::co_spawn(ioc2, [&]() -> asio::awaitable<void> {
        (void)co_await client::persist(r, "persistence.put_submission", [&] { return r.persistence.put_submission(rec); });
    }, asio::detached);
    ioc2.run();
    const auto lines = r.telemetry.lines();
    CHECK(std::find(lines.begin(), lines.end(), "span_start:persistence.put_submission") != lines.end());
    CHECK(std::find(lines.begin(), lines.end(), "span_end:error") != lines.end());
}

TEST_CASE("spans the exporter could not take are counted in zerog_spans_dropped_total", "[metrics][tracing][limits]") {
    struct refusing_exporter final : observe::span_exporter {
        result<void> export_spans(const std::vector<observe::finished_span>&, std::chrono::milliseconds) override {
            return zerog::error(errc::connection_failed, "collector down");
        }
    };
    auto m = std::make_shared<observe::metrics_registry>();
    observe::tracer_options o;
    o.queue.max_queue = 4;
    o.queue.max_batch = 100;  // nothing leaves the queue before the flush interval
    o.queue.flush_interval = 10s;
    auto t = std::make_shared<observe::tracer>(std::make_shared<refusing_exporter>(), o);
    observe::telemetry_hub hub(observe::json_logger(policy::log_level::off), m, t);
    for (int i = 0; i < 10; ++i) hub.span_end(hub.span_start("storage.upload"), nullptr);
    CHECK(m->value("zerog_spans_dropped_total", {}) == 6.0);  // 4 queued, 6 dropped, each counted once
    t->shutdown();  // the 4 queued get one attempt, which fails: dropped too
    CHECK(t->take_unreported_drops() == 4);
    CHECK(t->take_unreported_drops() == 0);
    hub.span_end(hub.span_start("storage.upload"), nullptr);  // after shutdown: dropped, counted
    CHECK(m->value("zerog_spans_dropped_total", {}) == 7.0);
}
