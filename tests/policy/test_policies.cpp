#include <zerog/policy/circuit_breaker.hpp>
#include <zerog/policy/clock.hpp>
#include <zerog/policy/persistence.hpp>
#include <zerog/policy/rate_limiter.hpp>
#include <zerog/policy/retry.hpp>
#include <zerog/crypto/signer.hpp>
#include <zerog/policy/telemetry.hpp>
#include <zerog/testing/mocks.hpp>

#include <catch2/catch.hpp>

using namespace zerog;
using namespace zerog::policy;
using namespace std::chrono_literals;

namespace {
// A host class storing its policies the way clients do: null policies must add no bytes.
template <class R, class B, class L, class P, class T, class C, class S>
struct host {
    [[no_unique_address]] R retry;
    [[no_unique_address]] B breaker;
    [[no_unique_address]] L limiter;
    [[no_unique_address]] P persistence;
    [[no_unique_address]] T telemetry;
    [[no_unique_address]] C clock;
    [[no_unique_address]] S signer;
    int payload;
};
}  // namespace

TEST_CASE("null policies are empty and take no space in a host", "[policy]") {
    STATIC_REQUIRE(std::is_empty_v<no_retry>);
    STATIC_REQUIRE(std::is_empty_v<no_breaker>);
    STATIC_REQUIRE(std::is_empty_v<no_limit>);
    STATIC_REQUIRE(std::is_empty_v<no_persistence>);
    STATIC_REQUIRE(std::is_empty_v<null_telemetry>);
    STATIC_REQUIRE(std::is_empty_v<system_clock_policy>);
    STATIC_REQUIRE(std::is_empty_v<zerog::crypto::null_signer>);
    using h = host<no_retry, no_breaker, no_limit, no_persistence, null_telemetry, system_clock_policy, zerog::crypto::null_signer>;
    STATIC_REQUIRE(sizeof(h) == sizeof(int));
}

TEST_CASE("null models behave as documented", "[policy]") {
    CHECK_FALSE(no_retry{}.next_delay(1, error(errc::timeout), 0ns));
    CHECK(no_breaker{}.allow("http://x:1"));
    CHECK(no_limit{}.try_acquire({"u", "e"}, 5).granted);
    no_persistence np;
    CHECK(np.put_submission({}));
    CHECK_FALSE(np.find_submission(hash256{}, "n")->has_value());
    auto s = zerog::crypto::null_signer{}.sign_digest(hash256{});
    REQUIRE_FALSE(s);
    CHECK(s.error().is(errc::not_supported));
    CHECK_FALSE(null_telemetry{}.enabled(log_level::error));
}

TEST_CASE("is_retryable: transport and back-pressure yes; validation, auth, reverts, proofs no", "[policy]") {
    for (errc e : {errc::timeout, errc::connection_failed, errc::connection_closed, errc::server_error, errc::server_busy,
                   errc::io_error})
        CHECK(is_retryable(error(e)));
    for (errc e : {errc::invalid_argument, errc::invalid_hex, errc::unauthorized, errc::reverted, errc::proof_invalid,
                   errc::root_mismatch, errc::budget_exhausted, errc::http_status, errc::rpc_error, errc::wrong_password,
                   errc::insufficient_funds, errc::cancelled, errc::deadline_exceeded, errc::circuit_open})
        CHECK_FALSE(is_retryable(error(e)));
    CHECK(is_retryable(error(boost::system::error_code(boost::system::errc::connection_refused, boost::system::generic_category()))));
    CHECK_FALSE(is_retryable(error(boost::system::error_code(boost::system::errc::operation_canceled, boost::system::generic_category()))));
    CHECK_FALSE(is_retryable(error{}));
}

TEST_CASE("scripted retry follows its script and never retries non-retryable errors", "[policy]") {
    testing::scripted_retry r{{10ms, 20ms}, {}};
    CHECK(r.next_delay(1, error(errc::timeout), 0ns) == std::optional<std::chrono::nanoseconds>(10ms));
    CHECK(r.next_delay(2, error(errc::timeout), 10ms) == std::optional<std::chrono::nanoseconds>(20ms));
    CHECK_FALSE(r.next_delay(3, error(errc::timeout), 30ms));
    CHECK_FALSE(r.next_delay(1, error(errc::reverted), 0ns));
    CHECK(r.calls.size() == 4);
}

TEST_CASE("mock breaker, limiter and manual clock", "[policy]") {
    testing::mock_breaker b;
    b.open.insert("http://a:1");
    auto denied = b.allow("http://a:1");
    REQUIRE_FALSE(denied);
    CHECK(denied.error().is(errc::circuit_open));
    CHECK(b.allow("http://b:1"));
    b.on_failure("http://b:1", error(errc::timeout), 1ms);
    CHECK(b.calls == std::vector<std::string>{"allow:http://a:1", "allow:http://b:1", "fail:http://b:1"});

    testing::mock_limiter l;
    l.budget = 3;
    CHECK(l.try_acquire({"alice", "ep"}, 2).granted);
    auto r = l.try_acquire({"alice", "ep"}, 2);
    CHECK_FALSE(r.granted);
    CHECK(r.retry_after == 100ms);

    testing::manual_clock c;
    const auto t0 = c.now();
    const auto w0 = c.wall_now();
    c.advance(1500ms);
    CHECK(c.now() - t0 == 1500ms);
    CHECK(c.wall_now() - w0 == 1500ms);
    testing::clock_ref ref{&c};
    CHECK(ref.now() == c.now());
    STATIC_REQUIRE(Clock<testing::clock_ref>);
}

TEST_CASE("memory persistence remembers submissions per network and sums spend exactly", "[policy]") {
    memory_persistence p;
    submission_record r;
    r.root[0] = 0xab;
    r.network = "16602:0xflow";
    r.tx_hash = "0x01";
    r.status = submission_record::state::sent;
    REQUIRE(p.put_submission(r));
    auto found = p.find_submission(r.root, "16602:0xflow");
    REQUIRE(found);
    REQUIRE(found->has_value());
    CHECK((*found)->tx_hash == "0x01");
    CHECK_FALSE(p.find_submission(r.root, "16661:0xflow")->has_value());
    REQUIRE(p.add_spend("acct", "prov", uint256(5)));
    REQUIRE(p.add_spend("acct", "prov", uint256(7)));
    CHECK(*p.spend("acct", "prov") == uint256(12));
    REQUIRE(p.add_spend("acct", "prov2", uint256::max()));
    CHECK_FALSE(p.add_spend("acct", "prov2", uint256(1)));  // overflow is an error, not a wrap

    testing::mock_persistence m;
    m.fail_next = error(errc::io_error, "disk full");
    CHECK_FALSE(m.put_submission(r));
    CHECK(m.put_submission(r));
    CHECK(m.calls.size() == 2);
}

TEST_CASE("recording telemetry renders events, alerts and W3C traceparent", "[policy]") {
    testing::recording_telemetry t;
    const field f[] = {{"index", 3}, {"ok", true}, {"name", "x"}};
    t.log(log_level::info, "upload.segment", f);
    t.count("zerog_requests_total", 1, {});
    const field a[] = {{"percent", 80}};
    t.alert("budget", a);
    auto s = t.span_start("upload");
    auto tp = t.traceparent(s);
    REQUIRE(tp);
    CHECK(tp->size() == 55);
    CHECK(tp->rfind("00-", 0) == 0);
    t.span_end(s, nullptr);
    auto lines = t.lines();
    CHECK(lines[0] == "log:info:upload.segment index=3 ok=true name=x");
    CHECK(lines[1] == "count:zerog_requests_total:1");
    CHECK(lines[2] == "alert:budget percent=80");
    CHECK(lines.back() == "span_end:ok");
}
