// Traces: the OTLP JSON encoding, the bounded export queue, the tracer behind telemetry_hub, and the
// traced executor that makes a client operation's span the parent of its network calls' spans
// (client/tracing.hpp) while concurrent operations on one io_context keep their own.
#include <zerog/client/pipeline.hpp>
#include <zerog/client/tracing.hpp>
#include <zerog/net/co_try.hpp>
#include <zerog/observe/telemetry_hub.hpp>
#include <zerog/observe/tracing.hpp>
#include <zerog/testing/mocks.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <optional>
#include <set>
#include <thread>

using namespace zerog;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

/// Keeps every batch; can be made to fail or to stall.
struct capturing_exporter final : observe::span_exporter {
    std::mutex m;
    std::vector<observe::finished_span> spans;
    std::atomic<bool> fail{false};
    std::chrono::milliseconds delay{0};
    std::atomic<long> calls{0}, shortest_timeout_ms{1'000'000};
    result<void> export_spans(const std::vector<observe::finished_span>& b, std::chrono::milliseconds timeout) override {
        ++calls;
        if (timeout.count() < shortest_timeout_ms) shortest_timeout_ms = static_cast<long>(timeout.count());
        std::this_thread::sleep_for(std::min(delay, timeout));  // a well-behaved exporter honours its timeout
        if (fail) return zerog::error(errc::connection_failed, "collector down");
        std::lock_guard lk(m);
        spans.insert(spans.end(), b.begin(), b.end());
        return {};
    }
    std::vector<observe::finished_span> wait_for(std::size_t n) {
        for (int i = 0; i < 300; ++i) {  // ≤ 3 s
            {
                std::lock_guard lk(m);
                if (spans.size() >= n) return spans;
            }
            std::this_thread::sleep_for(10ms);
        }
        std::lock_guard lk(m);
        return spans;
    }
};

std::string hex(const auto& bytes) {
    static constexpr char hx[] = "0123456789abcdef";
    std::string s;
    for (auto b : bytes) { s += hx[b >> 4]; s += hx[b & 15]; }
    return s;
}

observe::tracer_options fast_queue() {
    observe::tracer_options o;
    o.queue.flush_interval = 10ms;
    return o;
}

}  // namespace

TEST_CASE("OTLP JSON: ids in hex, times as strings, parent, kind, status and attributes", "[tracing]") {
    observe::finished_span root;
    for (int i = 0; i < 16; ++i) root.trace_id[i] = static_cast<std::uint8_t>(i + 1);
    for (int i = 0; i < 8; ++i) root.span_id[i] = static_cast<std::uint8_t>(0xa0 + i);
    root.name = "storage.upload";
    root.start_unix_ns = 1764000000000000000ull;
    root.end_unix_ns = root.start_unix_ns + 5;
    root.attributes.push_back({"zerog.bytes", std::int64_t(1048576)});
    observe::finished_span child = root;
    child.parent_id = root.span_id;
    child.span_id[7] = 1;
    child.name = "zgs_uploadSegmentsByTxSeq";
    child.kind = 3;
    child.error = true;
    child.status_message = "node said \"busy\"\n";
    child.attributes = {{"ok", false}, {"ratio", 0.5}, {"who", std::string("node-0")}};
    const auto v = boost::json::parse(observe::otlp_json({"zerog", "0.1.0", "devnet"}, "0.1.0", {root, child}));
    const auto& rs = v.at("resourceSpans").as_array().at(0);
    const auto& attrs = rs.at("resource").at("attributes").as_array();
    CHECK(attrs.at(0).at("key") == "service.name");
    CHECK(attrs.at(0).at("value").at("stringValue") == "zerog");
    CHECK(attrs.at(2).at("key") == "deployment.environment");
    const auto& spans = rs.at("scopeSpans").as_array().at(0).at("spans").as_array();
    REQUIRE(spans.size() == 2);
    CHECK(spans[0].at("traceId") == "0102030405060708090a0b0c0d0e0f10");
    CHECK(spans[0].at("spanId") == "a0a1a2a3a4a5a6a7");
    CHECK_FALSE(spans[0].as_object().contains("parentSpanId"));
    CHECK(spans[0].at("kind") == 1);
    CHECK(spans[0].at("startTimeUnixNano") == "1764000000000000000");
    CHECK(spans[0].at("attributes").as_array().at(0).at("value").at("intValue") == "1048576");
    CHECK(spans[0].at("status").at("code") == 1);
    CHECK(spans[1].at("parentSpanId") == "a0a1a2a3a4a5a6a7");
    CHECK(spans[1].at("kind") == 3);
    CHECK(spans[1].at("status").at("code") == 2);
    CHECK(spans[1].at("status").at("message") == "node said \"busy\"\n");
    CHECK(spans[1].at("attributes").as_array().at(0).at("value").at("boolValue") == false);
    CHECK(spans[1].at("attributes").as_array().at(1).at("value").at("doubleValue") == 0.5);
}

TEST_CASE("span queue: a full queue drops and counts, a dead collector never blocks the caller, shutdown is bounded", "[tracing][limits]") {
    auto ex = std::make_shared<capturing_exporter>();
    {
        observe::span_queue q(ex, {.max_queue = 100, .max_batch = 10, .flush_interval = 10ms});
        for (int i = 0; i < 95; ++i) q.push(observe::finished_span{});
        CHECK(ex->wait_for(95).size() == 95);
        CHECK(q.dropped() == 0);
    }
    auto dead = std::make_shared<capturing_exporter>();
    dead->fail = true;
    dead->delay = 100ms;
    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t dropped_while_running = 0;
    {
        observe::span_queue q(dead, {.max_queue = 50, .max_batch = 10, .flush_interval = 10ms, .max_attempts = 2,
                                     .retry_backoff = 10ms, .shutdown_timeout = 500ms});
        const auto p0 = std::chrono::steady_clock::now();
        for (int i = 0; i < 1000; ++i) q.push(observe::finished_span{});
        CHECK(std::chrono::steady_clock::now() - p0 < 50ms);  // never waits for the collector
        dropped_while_running = q.dropped();
    }
    CHECK(dropped_while_running >= 900);
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);  // shutdown: one attempt per batch, then drop
}

TEST_CASE("span queue: stopping in the middle of a batch's retries still exits within the shutdown bound", "[tracing][limits]") {
    // A collector that times out every attempt; generous retries. Before the bound covered the
    // retry loop, this destructor took 5 attempts x 400 ms + backoffs 300+600+900+1200 ms = 5 s.
    auto slow = std::make_shared<capturing_exporter>();
    slow->fail = true;
    slow->delay = 400ms;
    std::chrono::steady_clock::duration took{};
    {
        std::optional<observe::span_queue> q;
        q.emplace(slow, observe::span_queue_options{.max_batch = 4, .flush_interval = 5ms, .export_timeout = 400ms, .max_attempts = 5,
                                                      .retry_backoff = 300ms, .shutdown_timeout = 500ms});
        for (int i = 0; i < 12; ++i) q->push(observe::finished_span{});
        for (int i = 0; i < 200 && slow->calls == 0; ++i) std::this_thread::sleep_for(5ms);
        REQUIRE(slow->calls >= 1);  // the worker is inside the first batch's attempts
        const auto t0 = std::chrono::steady_clock::now();
        q.reset();
        took = std::chrono::steady_clock::now() - t0;
    }
    INFO("destructor took " << std::chrono::duration<double>(took).count() << " s, " << slow->calls << " export calls");
    CHECK(took < 400ms + 500ms + 250ms);  // the attempt under way + the shutdown bound + scheduling slack
    CHECK(slow->shortest_timeout_ms <= 500);  // attempts after the stop were capped to what was left
}

TEST_CASE("traced operations: each concurrent operation sees its own span in every slice, the caller's is restored", "[tracing][concurrency]") {
    auto ex = std::make_shared<capturing_exporter>();
    auto tr = std::make_shared<observe::tracer>(ex, fast_queue());
    observe::telemetry_hub hub(observe::json_logger(policy::log_level::off), nullptr, tr);
    asio::io_context ioc;
    int wrong = 0, done = 0;
    auto body = [&](int n) -> asio::awaitable<result<int>> {
        const policy::trace_context mine = policy::current_trace_context();
        if (!mine.valid()) ++wrong;
        for (int i = 0; i < 30; ++i) {
            asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(1 + (i + n) % 3));
            co_await t.async_wait(asio::use_awaitable);
            if (policy::current_trace_context().span_id != mine.span_id) ++wrong;
            co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
            if (policy::current_trace_context().span_id != mine.span_id) ++wrong;
        }
        co_return n;
    };
    for (int n = 0; n < 4; ++n)
        asio::co_spawn(ioc, [&, n]() -> asio::awaitable<void> {
            auto r = co_await client::traced_operation(hub, "op", body(n));
            if (!r || *r != n) ++wrong;
            if (policy::current_trace_context().valid()) ++wrong;  // the caller had none: restored
            ++done;
        }, asio::detached);
    ioc.run();
    CHECK(done == 4);
    CHECK(wrong == 0);
    const auto spans = ex->wait_for(4);
    REQUIRE(spans.size() == 4);
    std::set<std::string> traces;
    for (const auto& s : spans) traces.insert(hex(s.trace_id));
    CHECK(traces.size() == 4);  // four roots, four traces

    // Null telemetry: the body runs as it is, with no context.
    policy::null_telemetry null;
    bool saw = true;
    asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
        auto r = co_await client::traced_operation(null, "op", [&]() -> asio::awaitable<result<int>> {
            saw = policy::current_trace_context().valid();
            co_return 1;
        }());
        (void)r;
    }, asio::detached);
    ioc.restart();
    ioc.run();
    CHECK_FALSE(saw);
}

namespace {
using traced_set = client::policy_set<net::null_transport, crypto::null_signer, testing::scripted_retry, testing::mock_breaker,
                                      testing::mock_limiter, policy::no_persistence, observe::telemetry_hub>;
}

TEST_CASE("a traced operation's network calls are child spans; the request starts with the call's span current", "[tracing][pipeline]") {
    auto ex = std::make_shared<capturing_exporter>();
    auto tr = std::make_shared<observe::tracer>(ex, fast_queue());
    traced_set p{.telemetry = observe::telemetry_hub(observe::json_logger(policy::log_level::off), nullptr, tr)};
    asio::io_context ioc;
    std::vector<policy::trace_context> seen_at_start;
    auto call = [&](const char* method, bool ok) -> asio::awaitable<result<int>> {
        const client::call_context ctx{method, "http://127.0.0.1:5678", "", std::chrono::steady_clock::now() + 5s};
        co_return co_await client::guarded_call(p, ctx, [&, ok]() -> asio::awaitable<result<int>> {
            seen_at_start.push_back(policy::current_trace_context());  // where a transport reads traceparent
            asio::steady_timer t(co_await asio::this_coro::executor, 1ms);
            co_await t.async_wait(asio::use_awaitable);
            if (!ok) co_return fail(errc::reverted, "NotEnoughFee");
            co_return 1;
        });
    };
    policy::trace_context op_ctx;
    auto body = [&]() -> asio::awaitable<result<int>> {
        op_ctx = policy::current_trace_context();
        ZEROG_CO_TRY(auto a, co_await call("zgs_getStatus", true));
        auto b = co_await call("eth_call", false);
        if (policy::current_trace_context().span_id != op_ctx.span_id) co_return fail(errc::internal, "context not restored after a call");
        co_return a + (b ? 1 : 0);
    };
    std::optional<result<int>> out;
    asio::co_spawn(ioc, [&]() -> asio::awaitable<void> { out.emplace(co_await client::traced_operation(p.telemetry, "storage.upload", body())); },
                   asio::detached);
    ioc.run();
    REQUIRE(out);
    REQUIRE(*out);
    const auto spans = ex->wait_for(3);
    REQUIRE(spans.size() == 3);
    const auto& upload = spans.back();  // ends last
    CHECK(upload.name == "storage.upload");
    CHECK(upload.kind == 1);
    CHECK(hex(upload.parent_id) == "0000000000000000");
    CHECK(hex(upload.span_id) == hex(op_ctx.span_id));
    for (int i = 0; i < 2; ++i) {
        INFO(spans[i].name);
        CHECK(spans[i].kind == 3);
        CHECK(hex(spans[i].trace_id) == hex(upload.trace_id));
        CHECK(hex(spans[i].parent_id) == hex(upload.span_id));
        // the request of call i started with call i's span current (its traceparent names the call)
        REQUIRE(seen_at_start.size() == 2);
        CHECK(hex(seen_at_start[i].span_id) == hex(spans[i].span_id));
    }
    CHECK(spans[0].name == "zgs_getStatus");
    CHECK_FALSE(spans[0].error);
    CHECK(spans[1].name == "eth_call");
    CHECK(spans[1].error);
    CHECK(spans[1].status_message.find("NotEnoughFee") != std::string::npos);
    CHECK(std::get<std::string>(spans[1].attributes.at(0).value) == "reverted");
    // W3C header format of a context
    const auto tp = policy::traceparent_of(policy::trace_context{upload.trace_id, upload.span_id});
    REQUIRE(tp);
    CHECK(*tp == "00-" + hex(upload.trace_id) + "-" + hex(upload.span_id) + "-01");
    CHECK_FALSE(policy::traceparent_of(policy::trace_context{}));
}
