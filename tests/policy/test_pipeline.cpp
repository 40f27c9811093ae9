// The composition order of client::guarded_call, pinned with mock policies.
#include <zerog/client/pipeline.hpp>
#include <zerog/testing/mocks.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/detached.hpp>

#include <optional>
#include <catch2/catch.hpp>

using namespace zerog;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {
using mock_set = client::policy_set<net::null_transport, crypto::null_signer, testing::scripted_retry,
                                    testing::mock_breaker, testing::mock_limiter, policy::no_persistence,
                                    testing::recording_telemetry>;

template <class P, class Op>
result<int> run(P& p, client::call_context ctx, Op op) {
    asio::io_context ioc;
    std::optional<result<int>> out;
    asio::co_spawn(ioc, [&]() -> asio::awaitable<void> { out.emplace(co_await client::guarded_call(p, ctx, op)); },
                   asio::detached);
    ioc.run();
    REQUIRE(out.has_value());
    return std::move(*out);
}
}  // namespace

TEST_CASE("null policy set adds no state", "[pipeline]") {
    STATIC_REQUIRE(std::is_empty_v<client::policy_set<>>);
}

TEST_CASE("guarded_call order: per attempt limiter -> breaker -> op -> breaker report -> retry", "[pipeline]") {
    mock_set p;
    p.retry.delays = {1ms, 1ms};
    std::vector<std::string> trace;
    int calls = 0;
    auto op = [&]() -> asio::awaitable<result<int>> {
        trace.push_back("op" + std::to_string(++calls));
        if (calls < 3) co_return fail(errc::timeout, "slow node");
        co_return 42;
    };
    const client::call_context ctx{"zgs_getStatus", "http://127.0.0.1:5678", "alice", std::chrono::steady_clock::now() + 5s};
    auto r = run(p, ctx, op);
    REQUIRE(r);
    CHECK(*r == 42);
    // every attempt sent takes a limiter slot, retries included (a retry is one more request)
    CHECK(p.limiter.calls == std::vector<std::string>(3, "alice@http://127.0.0.1:5678:1.000000"));
    CHECK(p.breaker.calls == std::vector<std::string>{"allow:http://127.0.0.1:5678", "fail:http://127.0.0.1:5678",
                                                      "allow:http://127.0.0.1:5678", "fail:http://127.0.0.1:5678",
                                                      "allow:http://127.0.0.1:5678", "ok:http://127.0.0.1:5678"});
    CHECK(p.retry.calls.size() == 2);
    CHECK(trace.size() == 3);
    auto lines = p.telemetry.lines();
    CHECK(lines.front() == "span_start:zgs_getStatus");
    CHECK(lines.back() == "span_end:ok");
}

TEST_CASE("guarded_call never retries non-retryable errors and reports them as endpoint successes", "[pipeline]") {
    mock_set p;
    p.retry.delays = {1ms, 1ms, 1ms};
    int calls = 0;
    auto op = [&]() -> asio::awaitable<result<int>> {
        ++calls;
        co_return fail(errc::reverted, "NotEnoughFee(price=1, sectors=2, paid=0)");
    };
    auto r = run(p, {"eth_call", "http://x:1", "", std::chrono::steady_clock::now() + 5s}, op);
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::reverted));
    CHECK(calls == 1);
    CHECK(p.breaker.calls.back() == "ok:http://x:1");
}

TEST_CASE("guarded_call: open breaker, exhausted limiter and passed deadline fail without calling op", "[pipeline]") {
    int calls = 0;
    auto op = [&]() -> asio::awaitable<result<int>> {
        ++calls;
        co_return 1;
    };
    {
        mock_set p;
        p.breaker.open.insert("http://down:1");
        auto r = run(p, {"zgs_getStatus", "http://down:1", "", std::chrono::steady_clock::now() + 5s}, op);
        REQUIRE_FALSE(r);
        CHECK(r.error().is(errc::circuit_open));
    }
    {
        mock_set p;
        p.limiter.budget = 0;
        p.limiter.retry_after = 10s;  // beyond the deadline: fail now instead of sleeping
        const auto t0 = std::chrono::steady_clock::now();
        auto r = run(p, {"eth_call", "http://x:1", "bob", t0 + 1s}, op);
        REQUIRE_FALSE(r);
        CHECK(r.error().is(errc::rate_limited));
        CHECK(std::chrono::steady_clock::now() - t0 < 500ms);
    }
    {
        mock_set p;
        auto r = run(p, {"eth_call", "http://x:1", "", std::chrono::steady_clock::now() - 1ms}, op);
        REQUIRE_FALSE(r);
        CHECK(r.error().is(errc::deadline_exceeded));
    }
    CHECK(calls == 0);
}

TEST_CASE("guarded_call stops retrying when the next delay would cross the deadline", "[pipeline]") {
    mock_set p;
    p.retry.delays = {10ms, 10s};
    int calls = 0;
    auto op = [&]() -> asio::awaitable<result<int>> {
        ++calls;
        co_return fail(errc::connection_failed, "refused");
    };
    const auto t0 = std::chrono::steady_clock::now();
    auto r = run(p, {"zgs_uploadSegments", "http://x:1", "", t0 + 2s}, op);
    REQUIRE_FALSE(r);
    CHECK(calls == 2);
    CHECK(std::chrono::steady_clock::now() - t0 < 1s);
    CHECK(r.error().message().find("attempts=2") != std::string::npos);
}

TEST_CASE("null policies: guarded_call is the op itself, plus the deadline check", "[pipeline]") {
    client::policy_set<> p;
    STATIC_REQUIRE(client::all_null_policies_v<client::policy_set<>>);
    int calls = 0;
    auto op = [&]() -> asio::awaitable<result<int>> {
        ++calls;
        co_return 7;
    };
    auto ok = run(p, {"op", "http://x:1", "", std::chrono::steady_clock::now() + 5s}, op);
    REQUIRE(ok);
    CHECK(*ok == 7);
    auto late = run(p, {"op", "http://x:1", "", std::chrono::steady_clock::now() - 1ms}, op);
    REQUIRE_FALSE(late);
    CHECK(late.error().is(errc::deadline_exceeded));
    CHECK(calls == 1);
}

TEST_CASE("guarded_call: a retry without a rate-limit slot before the deadline is not sent", "[pipeline]") {
    mock_set p;
    p.retry.delays = {1ms, 1ms};
    p.limiter.budget = 1;              // the first attempt's slot only
    p.limiter.retry_after = 10s;       // the next one is beyond the deadline
    int calls = 0;
    auto op = [&]() -> asio::awaitable<result<int>> {
        ++calls;
        co_return fail(errc::timeout, "slow node");
    };
    auto r = run(p, {"zgs_getStatus", "http://x:1", "alice", std::chrono::steady_clock::now() + 5s}, op);
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::timeout));  // the last attempt's error, not rate_limited
    CHECK(r.error().message().find("not sent") != std::string::npos);
    CHECK(calls == 1);
    CHECK(p.limiter.calls.size() == 2);
}
