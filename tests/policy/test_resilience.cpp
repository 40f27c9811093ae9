// Real resilience models: backoff_retry bounds, every sliding_window_breaker transition, the
// endpoint selector's failover order. Time is driven by testing::manual_clock.
#include <zerog/policy/backoff_retry.hpp>
#include <zerog/policy/endpoint_selector.hpp>
#include <zerog/policy/sliding_window_breaker.hpp>
#include <zerog/core/ref.hpp>
#include <zerog/testing/mocks.hpp>

#include <algorithm>
#include <thread>
#include <catch2/catch.hpp>

using namespace zerog;
using namespace zerog::policy;
using namespace std::chrono_literals;

namespace {
const zerog::error timeout_err(errc::timeout, "no answer");
const zerog::error revert_err(errc::reverted, "execution reverted");

using test_breaker = sliding_window_breaker<zerog::ref<testing::recording_telemetry>, testing::clock_ref>;

std::size_t count_lines(const std::vector<std::string>& lines, std::string_view prefix) {
    return std::count_if(lines.begin(), lines.end(), [&](const std::string& l) { return l.rfind(prefix, 0) == 0; });
}
}  // namespace

// ---------------------------------------------------------------------------------------------
// backoff_retry

TEST_CASE("backoff: full jitter stays within [0, min(cap, base*2^(n-1))]", "[backoff]") {
    backoff_retry r({.base = 100ms, .cap = 2s, .max_attempts = 100, .max_elapsed = 1h, .seed = 42});
    CHECK(r.ceiling(1) == 100ms);
    CHECK(r.ceiling(2) == 200ms);
    CHECK(r.ceiling(5) == 1600ms);
    CHECK(r.ceiling(6) == 2s);     // capped
    CHECK(r.ceiling(99) == 2s);    // no overflow for large attempts
    for (unsigned attempt = 1; attempt < 12; ++attempt) {
        std::chrono::nanoseconds lo = 1h, hi = 0ns;
        for (int i = 0; i < 400; ++i) {
            auto d = r.next_delay(attempt, timeout_err, 0ns);
            REQUIRE(d);
            REQUIRE(*d >= 0ns);
            REQUIRE(*d <= r.ceiling(attempt));
            lo = std::min(lo, *d);
            hi = std::max(hi, *d);
        }
        // full jitter really spreads over the window (not a fixed delay)
        CHECK(lo < r.ceiling(attempt) / 4);
        CHECK(hi > r.ceiling(attempt) * 3 / 4);
    }
}

TEST_CASE("backoff: the same seed gives the same sequence", "[backoff]") {
    backoff_retry a({.seed = 7}), b({.seed = 7}), c({.seed = 8});
    std::vector<std::chrono::nanoseconds> da, db, dc;
    for (unsigned i = 1; i < 5; ++i) {
        da.push_back(*a.next_delay(i, timeout_err, 0ns));
        db.push_back(*b.next_delay(i, timeout_err, 0ns));
        dc.push_back(*c.next_delay(i, timeout_err, 0ns));
    }
    CHECK(da == db);
    CHECK(da != dc);
}

TEST_CASE("backoff: max attempts counts the first attempt", "[backoff]") {
    backoff_retry r({.max_attempts = 3, .seed = 1});
    CHECK(r.next_delay(1, timeout_err, 0ns));
    CHECK(r.next_delay(2, timeout_err, 0ns));
    CHECK_FALSE(r.next_delay(3, timeout_err, 0ns));  // 3 attempts made: give up
    backoff_retry once({.max_attempts = 1, .seed = 1});
    CHECK_FALSE(once.next_delay(1, timeout_err, 0ns));
}

TEST_CASE("backoff: max elapsed gives up and clamps the last delay", "[backoff]") {
    backoff_retry r({.base = 1s, .cap = 10s, .max_attempts = 50, .max_elapsed = 5s, .seed = 3});
    CHECK_FALSE(r.next_delay(1, timeout_err, 5s));
    CHECK_FALSE(r.next_delay(1, timeout_err, 6s));
    for (int i = 0; i < 200; ++i) {
        auto d = r.next_delay(4, timeout_err, 4900ms);  // window up to 8 s, only 100 ms left
        REQUIRE(d);
        REQUIRE(*d <= 100ms);
    }
}

TEST_CASE("backoff: non-retryable errors are never retried", "[backoff]") {
    backoff_retry r({.seed = 5});
    for (errc e : {errc::reverted, errc::invalid_argument, errc::invalid_signature, errc::budget_exhausted,
                   errc::quota_exceeded, errc::rate_limited, errc::circuit_open, errc::proof_invalid})
        CHECK_FALSE(r.next_delay(1, zerog::error(e, "x"), 0ns));
    CHECK_FALSE(r.next_delay(1, zerog::error(boost::system::errc::make_error_code(boost::system::errc::operation_canceled)), 0ns));
    for (errc e : {errc::timeout, errc::connection_failed, errc::server_error, errc::server_busy})
        CHECK(r.next_delay(1, zerog::error(e, "x"), 0ns));
}

TEST_CASE("backoff: concurrent callers stay in bounds", "[backoff]") {
    backoff_retry r({.base = 10ms, .cap = 80ms, .max_attempts = 10, .seed = 11});
    std::atomic<int> bad{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t)
        ts.emplace_back([&] {
            for (int i = 0; i < 2000; ++i) {
                auto d = r.next_delay(1 + i % 8, timeout_err, 0ns);
                if (!d || *d < 0ns || *d > r.ceiling(1 + i % 8)) ++bad;
            }
        });
    for (auto& t : ts) t.join();
    CHECK(bad == 0);
}

// ---------------------------------------------------------------------------------------------
// sliding_window_breaker

namespace {
constexpr std::string_view ep = "http://node-a:5678";
breaker_config small_cfg() {
    return {.window_size = 10, .minimum_calls = 4, .failure_rate_threshold = 0.5, .slow_call_duration = 1s,
            .slow_call_rate_threshold = 0.6, .open_duration = 30s, .half_open_probes = 2};
}
}  // namespace

TEST_CASE("breaker: closed -> open by failure rate, not before the minimum calls", "[breaker]") {
    testing::manual_clock clk;
    testing::recording_telemetry tel;
    test_breaker b(small_cfg(), {&tel}, {&clk});
    CHECK(b.state(ep) == breaker_state::closed);
    b.on_failure(ep, timeout_err, 10ms);
    b.on_failure(ep, timeout_err, 10ms);
    b.on_failure(ep, timeout_err, 10ms);  // 3 calls, 100 % failures, but below minimum 4
    CHECK(b.state(ep) == breaker_state::closed);
    CHECK(b.allow(ep));
    CHECK(count_lines(tel.lines(), "alert:") == 0);
    b.on_failure(ep, timeout_err, 10ms);  // 4th call: decides
    CHECK(b.state(ep) == breaker_state::open);
    auto r = b.allow(ep);
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::circuit_open));
    CHECK(r.error().message().find("failure rate 100%") != std::string::npos);
    CHECK(r.error().message().find("node-a") != std::string::npos);
    const auto lines = tel.lines();
    CHECK(count_lines(lines, "alert:circuit_open endpoint=http://node-a:5678") == 1);
    CHECK(count_lines(lines, "log:warn:breaker.state_change endpoint=http://node-a:5678 from=closed to=open") == 1);
}

TEST_CASE("breaker: stays closed below the failure-rate threshold; window slides", "[breaker]") {
    testing::manual_clock clk;
    testing::recording_telemetry tel;
    test_breaker b(small_cfg(), {&tel}, {&clk});
    for (int i = 0; i < 50; ++i) {  // alternating ok, ok, fail: 33 % < 50 %
        b.on_success(ep, 1ms);
        b.on_success(ep, 1ms);
        b.on_failure(ep, timeout_err, 1ms);
    }
    CHECK(b.state(ep) == breaker_state::closed);
    CHECK(b.stats(ep).calls == 10);  // window keeps the last 10
    // 5 failures in a row push the window of 10 to ≥ 50 %
    for (int i = 0; i < 4; ++i) b.on_failure(ep, timeout_err, 1ms);
    CHECK(b.state(ep) == breaker_state::open);
}

TEST_CASE("breaker: closed -> open by slow calls (slow successes)", "[breaker]") {
    testing::manual_clock clk;
    testing::recording_telemetry tel;
    test_breaker b(small_cfg(), {&tel}, {&clk});
    b.on_success(ep, 2s);
    b.on_success(ep, 2s);
    b.on_success(ep, 10ms);
    b.on_success(ep, 2s);  // 3/4 = 75 % slow ≥ 60 %, no failures
    CHECK(b.state(ep) == breaker_state::open);
    auto r = b.allow(ep);
    REQUIRE_FALSE(r);
    CHECK(r.error().message().find("slow-call rate 75%") != std::string::npos);
    // an occasional slow success does not open it
    test_breaker b2(small_cfg(), {&tel}, {&clk});
    for (int i = 0; i < 20; ++i) b2.on_success(ep, i % 4 == 0 ? 2s : 10ms);
    CHECK(b2.state(ep) == breaker_state::closed);
}

TEST_CASE("breaker: open -> half-open after the open duration; probes close it", "[breaker]") {
    testing::manual_clock clk;
    testing::recording_telemetry tel;
    test_breaker b(small_cfg(), {&tel}, {&clk});
    for (int i = 0; i < 4; ++i) b.on_failure(ep, timeout_err, 1ms);
    REQUIRE(b.state(ep) == breaker_state::open);
    clk.advance(29s);
    CHECK_FALSE(b.allow(ep));
    CHECK(b.state(ep) == breaker_state::open);
    clk.advance(1s);
    CHECK(b.state(ep) == breaker_state::half_open);   // view, no side effect
    CHECK(b.allow(ep));                                // probe 1 admitted, transition recorded
    CHECK(b.allow(ep));                                // probe 2
    auto third = b.allow(ep);                          // probe limit reached
    REQUIRE_FALSE(third);
    CHECK(third.error().message().find("half-open") != std::string::npos);
    b.on_success(ep, 5ms);
    CHECK(b.stats(ep).state == breaker_state::half_open);  // 1 of 2 probes
    b.on_success(ep, 5ms);
    CHECK(b.state(ep) == breaker_state::closed);
    CHECK(b.stats(ep).calls == 0);  // fresh window
    CHECK(b.allow(ep));
    const auto lines = tel.lines();
    CHECK(count_lines(lines, "log:info:breaker.state_change endpoint=http://node-a:5678 from=open to=half_open") == 1);
    CHECK(count_lines(lines, "log:info:breaker.state_change endpoint=http://node-a:5678 from=half_open to=closed") == 1);
    CHECK(count_lines(lines, "alert:circuit_open") == 1);
}

TEST_CASE("breaker: half-open -> open on a failed or slow probe", "[breaker]") {
    testing::manual_clock clk;
    testing::recording_telemetry tel;
    test_breaker b(small_cfg(), {&tel}, {&clk});
    for (int i = 0; i < 4; ++i) b.on_failure(ep, timeout_err, 1ms);
    clk.advance(30s);
    REQUIRE(b.allow(ep));
    b.on_failure(ep, timeout_err, 1ms);
    CHECK(b.state(ep) == breaker_state::open);
    auto r = b.allow(ep);
    REQUIRE_FALSE(r);
    CHECK(r.error().message().find("half-open probe failed") != std::string::npos);
    CHECK(count_lines(tel.lines(), "alert:circuit_open") == 2);
    // a new full open period starts at the probe failure
    clk.advance(29s);
    CHECK_FALSE(b.allow(ep));
    clk.advance(1s);
    REQUIRE(b.allow(ep));
    b.on_success(ep, 3s);  // slow probe
    CHECK(b.state(ep) == breaker_state::open);
}

TEST_CASE("breaker: lost probes are replaced after the open duration", "[breaker]") {
    testing::manual_clock clk;
    testing::recording_telemetry tel;
    test_breaker b(small_cfg(), {&tel}, {&clk});
    for (int i = 0; i < 4; ++i) b.on_failure(ep, timeout_err, 1ms);
    clk.advance(30s);
    REQUIRE(b.allow(ep));
    REQUIRE(b.allow(ep));
    CHECK_FALSE(b.allow(ep));  // both probes outstanding, never report
    clk.advance(30s);
    CHECK(b.allow(ep));
}

TEST_CASE("breaker: endpoints are independent; outcomes while open are ignored", "[breaker]") {
    testing::manual_clock clk;
    testing::recording_telemetry tel;
    test_breaker b(small_cfg(), {&tel}, {&clk});
    for (int i = 0; i < 4; ++i) b.on_failure(ep, timeout_err, 1ms);
    CHECK(b.state(ep) == breaker_state::open);
    CHECK(b.state("http://node-b:5678") == breaker_state::closed);
    CHECK(b.allow("http://node-b:5678"));
    for (int i = 0; i < 10; ++i) b.on_success(ep, 1ms);  // late successes of earlier calls
    CHECK(b.state(ep) == breaker_state::open);
}

TEST_CASE("breaker: concurrent reports are consistent", "[breaker]") {
    testing::manual_clock clk;
    testing::recording_telemetry tel;
    test_breaker b({.window_size = 1000, .minimum_calls = 1000, .failure_rate_threshold = 0.99}, {&tel}, {&clk});
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t)
        ts.emplace_back([&, t] {
            for (int i = 0; i < 250; ++i) {
                (void)b.allow(ep);
                if (t % 2) b.on_failure(ep, timeout_err, 1ms);
                else b.on_success(ep, 1ms);
            }
        });
    for (auto& t : ts) t.join();
    const auto s = b.stats(ep);
    CHECK(s.calls == 1000);
    CHECK(s.failures == 500);
    CHECK(s.state == breaker_state::closed);
}

// ---------------------------------------------------------------------------------------------
// endpoint_selector

TEST_CASE("selector: configured order, breaker health first, open endpoints left out", "[selector]") {
    testing::manual_clock clk;
    testing::recording_telemetry tel;
    test_breaker b(small_cfg(), {&tel}, {&clk});
    endpoint_selector<test_breaker, testing::clock_ref> s({"http://a:1", "http://b:1", "http://c:1"}, &b, {}, {&clk});
    CHECK(s.plan().endpoints == std::vector<std::string>{"http://a:1", "http://b:1", "http://c:1"});
    for (int i = 0; i < 4; ++i) b.on_failure("http://a:1", timeout_err, 1ms);
    auto p = s.plan();
    CHECK(p.endpoints == std::vector<std::string>{"http://b:1", "http://c:1"});
    CHECK_FALSE(p.degraded);
    clk.advance(30s);  // a is half-open now: usable, after the closed ones
    CHECK(s.plan().endpoints == std::vector<std::string>{"http://b:1", "http://c:1", "http://a:1"});
}

TEST_CASE("selector: fast endpoints first by EWMA latency, stale samples forgotten", "[selector]") {
    testing::manual_clock clk;
    endpoint_selector<no_breaker, testing::clock_ref> s({"http://a:1", "http://b:1", "http://c:1"}, nullptr, {}, {&clk});
    s.record_success("http://a:1", 900ms);
    s.record_success("http://b:1", 100ms);
    s.record_success("http://c:1", 120ms);  // within 1.5x of the fastest: as fast as b
    CHECK(s.plan().endpoints == std::vector<std::string>{"http://b:1", "http://c:1", "http://a:1"});
    s.record_failure("http://b:1");  // a 10 s sample: b sinks
    CHECK(s.latency("http://b:1") == std::chrono::nanoseconds(static_cast<long long>(0.3 * 10e9 + 0.7 * 100e6)));
    CHECK(s.plan().endpoints == std::vector<std::string>{"http://c:1", "http://a:1", "http://b:1"});
    clk.advance(61s);  // every sample stale: configured order again
    CHECK(s.plan().endpoints == std::vector<std::string>{"http://a:1", "http://b:1", "http://c:1"});
    CHECK_FALSE(s.latency("http://a:1"));
}

TEST_CASE("selector: degraded mode when every endpoint is open, hook fires once per change", "[selector]") {
    testing::manual_clock clk;
    testing::recording_telemetry tel;
    test_breaker b(small_cfg(), {&tel}, {&clk});
    endpoint_selector<test_breaker, testing::clock_ref> s({"http://idx-1:1", "http://idx-2:1"}, &b, {}, {&clk});
    std::vector<bool> hooks;
    s.on_degraded([&](bool d) { hooks.push_back(d); });
    for (auto e : {"http://idx-1:1", "http://idx-2:1"})
        for (int i = 0; i < 4; ++i) b.on_failure(e, timeout_err, 1ms);
    auto p = s.plan();
    CHECK(p.degraded);
    CHECK(p.endpoints.empty());
    CHECK_FALSE(s.pick());
    (void)s.plan();
    CHECK(hooks == std::vector<bool>{true});
    clk.advance(30s);
    CHECK(s.pick() == std::optional<std::string>("http://idx-1:1"));
    CHECK(hooks == std::vector<bool>{true, false});
}
