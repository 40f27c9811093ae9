// The real resilience and limit models composed through client::guarded_call.
#include <zerog/client/pipeline.hpp>
#include <zerog/client/production.hpp>
#include <zerog/core/ref.hpp>
#include <zerog/testing/mocks.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <optional>
#include <catch2/catch.hpp>

using namespace zerog;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {
using tel_ref = zerog::ref<testing::recording_telemetry>;
using real_set = client::policy_set<net::null_transport, crypto::null_signer, policy::backoff_retry,
                                    policy::sliding_window_breaker<tel_ref, testing::clock_ref>,
                                    policy::token_bucket<testing::clock_ref>, policy::no_persistence, tel_ref,
                                    testing::clock_ref>;

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

struct fixture {
    testing::manual_clock clk;
    testing::recording_telemetry tel;
    real_set p{.retry = policy::backoff_retry({.base = 1ms, .cap = 2ms, .max_attempts = 3, .seed = 9}),
               .breaker = real_set::breaker_type(policy::breaker_config{.window_size = 10, .minimum_calls = 4, .open_duration = 30s,
                                               .half_open_probes = 2},
                                                tel_ref{&tel}, testing::clock_ref{&clk}),
               .limiter = real_set::limiter_type(policy::token_bucket_config{.per_user = {100, 100}, .per_endpoint = {}},
                                                 testing::clock_ref{&clk}),
               .telemetry = tel_ref{&tel},
               .clock = testing::clock_ref{&clk}};
    client::call_context ctx(std::string_view user = "alice") {
        return {"zgs_getStatus", "http://node-a:5678", user, clk.now() + 1h};
    }
};
}  // namespace

TEST_CASE("guarded_call + real models: breaker opens after failures, refuses, then recovers", "[resilience_pipeline]") {
    fixture f;
    int calls = 0;
    bool healthy = false;
    auto op = [&]() -> asio::awaitable<result<int>> {
        ++calls;
        if (!healthy) co_return fail(errc::connection_failed, "refused");
        co_return 7;
    };
    auto r1 = run(f.p, f.ctx(), op);  // 3 attempts (retry), 3 failures: below the minimum of 4
    REQUIRE_FALSE(r1);
    CHECK(r1.error().is(errc::connection_failed));
    CHECK(calls == 3);
    CHECK(f.p.breaker.state("http://node-a:5678") == policy::breaker_state::closed);

    auto r2 = run(f.p, f.ctx(), op);  // 4th failure opens it; the retry is refused by the breaker
    REQUIRE_FALSE(r2);
    CHECK(r2.error().is(errc::circuit_open));
    CHECK(calls == 4);

    auto r3 = run(f.p, f.ctx(), op);  // refused without touching the endpoint
    REQUIRE_FALSE(r3);
    CHECK(r3.error().is(errc::circuit_open));
    CHECK(calls == 4);
    const auto lines = f.tel.lines();
    CHECK(std::count_if(lines.begin(), lines.end(), [](auto& l) { return l.rfind("alert:circuit_open", 0) == 0; }) == 1);

    healthy = true;
    f.clk.advance(30s);
    auto r4 = run(f.p, f.ctx(), op);  // half-open probe 1
    REQUIRE(r4);
    CHECK(*r4 == 7);
    CHECK(f.p.breaker.state("http://node-a:5678") == policy::breaker_state::half_open);
    REQUIRE(run(f.p, f.ctx(), op));  // probe 2: closed again
    CHECK(f.p.breaker.state("http://node-a:5678") == policy::breaker_state::closed);
    CHECK(calls == 6);
}

TEST_CASE("guarded_call + real models: non-retryable errors are not retried and do not trip the breaker",
          "[resilience_pipeline]") {
    fixture f;
    int calls = 0;
    auto op = [&]() -> asio::awaitable<result<int>> {
        ++calls;
        co_return fail(errc::reverted, "execution reverted");
    };
    for (int i = 0; i < 10; ++i) {
        auto r = run(f.p, f.ctx(), op);
        REQUIRE_FALSE(r);
        CHECK(r.error().is(errc::reverted));
    }
    CHECK(calls == 10);
    CHECK(f.p.breaker.state("http://node-a:5678") == policy::breaker_state::closed);
    CHECK(f.p.breaker.stats("http://node-a:5678").failures == 0);
}

TEST_CASE("guarded_call + real models: the token bucket refuses a user past the deadline", "[resilience_pipeline]") {
    fixture f;
    f.p.limiter.set_user_limit("bob", {2, 1});
    int calls = 0;
    auto op = [&]() -> asio::awaitable<result<int>> {
        ++calls;
        co_return 1;
    };
    auto short_ctx = f.ctx("bob");
    short_ctx.deadline = f.clk.now() + 500ms;  // the next token is 1 s away
    CHECK(run(f.p, short_ctx, op));
    CHECK(run(f.p, short_ctx, op));
    auto r = run(f.p, short_ctx, op);
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::rate_limited));
    CHECK(calls == 2);
    CHECK(run(f.p, f.ctx("carol"), op));  // other users unaffected
}

TEST_CASE("production_policies: the real bundle composes and runs", "[resilience_pipeline]") {
    using prod = client::production_policies<net::null_transport, crypto::null_signer>;
    STATIC_REQUIRE(std::is_same_v<prod::retry_type, policy::backoff_retry>);
    STATIC_REQUIRE(std::is_same_v<prod::breaker_type, policy::sliding_window_breaker<observe::telemetry_hub>>);
    STATIC_REQUIRE(std::is_same_v<prod::limiter_type, policy::token_bucket<>>);
    STATIC_REQUIRE(std::is_same_v<prod::telemetry_type, observe::telemetry_hub>);
    prod p{.telemetry = observe::telemetry_hub(observe::json_logger(policy::log_level::off))};
    int calls = 0;
    auto op = [&]() -> asio::awaitable<result<int>> {
        if (++calls < 2) co_return fail(errc::server_busy, "too many data writing");
        co_return 5;
    };
    p.retry = policy::backoff_retry({.base = 1ms, .cap = 1ms});
    auto r = run(p, {"op", "http://127.0.0.1:1", "u", std::chrono::steady_clock::now() + 10s}, op);
    REQUIRE(r);
    CHECK(*r == 5);
    CHECK(calls == 2);
}
