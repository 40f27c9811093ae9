// Real limit models: token_bucket (exact retry_after, per user / per endpoint, threads),
// concurrency_limiter, budget_tracker (reserve before spending, thresholds, exact uint256), the
// budget_ledger seam (reserve_all / budget_hold) and budget usage persisted through Persistence.
#include <zerog/policy/budget.hpp>
#include <zerog/policy/concurrency_limiter.hpp>
#include <zerog/core/ref.hpp>
#include <zerog/policy/token_bucket.hpp>
#include <zerog/testing/mocks.hpp>

#include <algorithm>
#include <atomic>
#include <thread>
#include <catch2/catch.hpp>

using namespace zerog;
using namespace zerog::policy;
using namespace std::chrono_literals;

namespace {
using test_bucket = token_bucket<testing::clock_ref>;
constexpr std::string_view ep_a = "http://a:1", ep_b = "http://b:1";
std::size_t count_prefix(const std::vector<std::string>& lines, std::string_view p) {
    return std::count_if(lines.begin(), lines.end(), [&](const std::string& l) { return l.rfind(p, 0) == 0; });
}
}  // namespace

// ---------------------------------------------------------------------------------------------
// token_bucket

TEST_CASE("bucket: burst up to capacity, then exact retry_after", "[bucket]") {
    testing::manual_clock clk;
    test_bucket b({.per_user = {5, 1}, .per_endpoint = {}}, {&clk});
    for (int i = 0; i < 5; ++i) REQUIRE(b.try_acquire({"alice", ep_a}, 1).granted);
    auto r = b.try_acquire({"alice", ep_a}, 1);
    CHECK_FALSE(r.granted);
    CHECK(r.retry_after == 1s);
    clk.advance(1s - 1ns);
    r = b.try_acquire({"alice", ep_a}, 1);
    CHECK_FALSE(r.granted);
    CHECK(r.retry_after == 1ns);
    clk.advance(1ns);
    CHECK(b.try_acquire({"alice", ep_a}, 1).granted);
    CHECK_FALSE(b.try_acquire({"alice", ep_a}, 1).granted);
}

TEST_CASE("bucket: refill rate and capacity cap after idling", "[bucket]") {
    testing::manual_clock clk;
    test_bucket b({.per_user = {4, 10}, .per_endpoint = {}}, {&clk});  // 10 tokens/s, burst 4
    for (int i = 0; i < 4; ++i) REQUIRE(b.try_acquire({"u", ep_a}, 1).granted);
    clk.advance(250ms);  // 2.5 tokens
    CHECK(b.try_acquire({"u", ep_a}, 1).granted);
    CHECK(b.try_acquire({"u", ep_a}, 1).granted);
    auto r = b.try_acquire({"u", ep_a}, 1);
    CHECK_FALSE(r.granted);
    CHECK(r.retry_after == 50ms);
    clk.advance(1h);  // idle: full again, but never more than the capacity
    int granted = 0;
    while (granted < 100 && b.try_acquire({"u", ep_a}, 1).granted) ++granted;  // bounded: a broken limiter fails, not hangs
    CHECK(granted == 4);
    // fractional costs
    clk.advance(1h);
    CHECK(b.try_acquire({"u", ep_a}, 2.5).granted);
    CHECK(b.try_acquire({"u", ep_a}, 1.5).granted);
    r = b.try_acquire({"u", ep_a}, 0.5);
    CHECK_FALSE(r.granted);
    CHECK(r.retry_after == 50ms);
}

TEST_CASE("bucket: per-user and per-endpoint buckets are separate", "[bucket]") {
    testing::manual_clock clk;
    test_bucket b({.per_user = {2, 1}, .per_endpoint = {3, 1}}, {&clk});
    CHECK(b.try_acquire({"alice", ep_a}, 1).granted);
    CHECK(b.try_acquire({"alice", ep_b}, 1).granted);
    auto r = b.try_acquire({"alice", ep_b}, 1);  // alice is out, whatever the endpoint
    CHECK_FALSE(r.granted);
    CHECK(r.retry_after == 1s);
    CHECK(b.try_acquire({"bob", ep_a}, 1).granted);
    CHECK(b.try_acquire({"bob", ep_a}, 1).granted);  // endpoint a: 3 used (alice 1, bob 2)
    r = b.try_acquire({"carol", ep_a}, 1);           // carol has tokens, endpoint a does not
    CHECK_FALSE(r.granted);
    CHECK(r.retry_after == 1s);
    CHECK(b.try_acquire({"carol", ep_b}, 1).granted);
    CHECK(b.try_acquire({"carol", ep_b}, 1).granted);  // the refusal above debited nothing from carol
    // retry_after is the later of the two buckets
    clk.advance(1s);
    test_bucket c({.per_user = {1, 1}, .per_endpoint = {1, 0.5}}, {&clk});
    CHECK(c.try_acquire({"x", ep_a}, 1).granted);
    r = c.try_acquire({"x", ep_a}, 1);
    CHECK(r.retry_after == 2s);
}

TEST_CASE("bucket: anonymous callers share one bucket; per-user overrides", "[bucket]") {
    testing::manual_clock clk;
    test_bucket b({.per_user = {1, 1}, .per_endpoint = {}}, {&clk});
    CHECK(b.try_acquire({"", ep_a}, 1).granted);
    CHECK_FALSE(b.try_acquire({"", ep_b}, 1).granted);
    b.set_user_limit("premium", {10, 10});
    int n = 0;
    while (n < 100 && b.try_acquire({"premium", ep_a}, 1).granted) ++n;
    CHECK(n == 10);
    b.set_user_limit("unlimited", {});
    for (int i = 0; i < 1000; ++i) REQUIRE(b.try_acquire({"unlimited", ep_a}, 1).granted);
}

TEST_CASE("bucket: a cost above the capacity is never granted", "[bucket]") {
    testing::manual_clock clk;
    test_bucket b({.per_user = {5, 1}, .per_endpoint = {}}, {&clk});
    auto r = b.try_acquire({"u", ep_a}, 6);
    CHECK_FALSE(r.granted);
    CHECK(r.retry_after == test_bucket::never);
    CHECK(b.try_acquire({"u", ep_a}, 5).granted);  // nothing was debited
}

TEST_CASE("bucket: many threads sharing one user id never exceed the rate", "[bucket][threads]") {
    // The bypass attempt: 4 threads, one user id, each on its own endpoint, hammering while time
    // moves in 10 ms steps. Capacity 10 + 100 tokens/s x 1 s = at most 110 grants, exactly.
    testing::manual_clock clk;
    test_bucket b({.per_user = {10, 100}, .per_endpoint = {1000, 1000}}, {&clk});
    std::atomic<bool> stop{false};
    std::atomic<long> granted{0}, refused{0};
    std::vector<std::thread> ts;
    const std::string eps[] = {"http://e0:1", "http://e1:1", "http://e2:1", "http://e3:1"};
    for (int t = 0; t < 4; ++t)
        ts.emplace_back([&, t] {
            while (!stop.load()) {
                if (b.try_acquire({"mallory", eps[t]}, 1).granted) ++granted;
                else ++refused;
            }
        });
    for (int step = 0; step < 100; ++step) {
        std::this_thread::sleep_for(200us);
        clk.advance(10ms);
    }
    std::this_thread::sleep_for(2ms);
    stop = true;
    for (auto& t : ts) t.join();
    CHECK(granted.load() <= 110);
    CHECK(granted.load() >= 10);  // the burst at least
    CHECK(refused.load() > 0);
}

// ---------------------------------------------------------------------------------------------
// concurrency_limiter

TEST_CASE("concurrency: max in flight per user and per endpoint, RAII release", "[concurrency]") {
    concurrency_limiter lim({.max_per_user = 2, .max_per_endpoint = 3});
    auto p1 = lim.try_enter({"alice", ep_a});
    auto p2 = lim.try_enter({"alice", ep_b});
    REQUIRE(p1);
    REQUIRE(p2);
    auto p3 = lim.try_enter({"alice", ep_a});
    REQUIRE_FALSE(p3);
    CHECK(p3.error().is(errc::rate_limited));
    CHECK(p3.error().message().find("2 calls in flight") != std::string::npos);
    CHECK(lim.in_flight_user("alice") == 2);
    {
        auto moved = std::move(*p1);  // the moved-from permit releases nothing
        CHECK(lim.in_flight_user("alice") == 2);
    }
    CHECK(lim.in_flight_user("alice") == 1);
    auto b1 = lim.try_enter({"bob", ep_a});
    auto b2 = lim.try_enter({"bob", ep_a});
    REQUIRE(b1);
    REQUIRE(b2);
    auto c1 = lim.try_enter({"carol", ep_a});  // endpoint a: bob 2 + ... alice's a permit was released
    REQUIRE(c1);
    auto c2 = lim.try_enter({"carol", ep_a});  // endpoint a full (3)
    REQUIRE_FALSE(c2);
    CHECK(c2.error().message().find("endpoint") != std::string::npos);
    b1->release();
    CHECK(lim.in_flight_endpoint(ep_a) == 2);
    CHECK(lim.try_enter({"carol", ep_a}));
}

TEST_CASE("concurrency: threads never exceed the limit", "[concurrency][threads]") {
    concurrency_limiter lim({.max_per_user = 3, .max_per_endpoint = 0});
    std::atomic<int> inside{0}, peak{0}, admitted{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 6; ++t)
        ts.emplace_back([&] {
            for (int i = 0; i < 2000; ++i) {
                auto p = lim.try_enter({"shared", ep_a});
                if (!p) continue;
                ++admitted;
                const int now = ++inside;
                int prev = peak.load();
                while (now > prev && !peak.compare_exchange_weak(prev, now)) {}
                --inside;
            }
        });
    for (auto& t : ts) t.join();
    CHECK(peak.load() <= 3);
    CHECK(admitted.load() > 0);
    CHECK(lim.in_flight_user("shared") == 0);
}

// ---------------------------------------------------------------------------------------------
// budget_tracker

namespace {
using test_budget = budget_tracker<zerog::ref<testing::recording_telemetry>, testing::clock_ref>;
uint256 og(std::string_view s) { return parse_token_amount(s).value(); }
budget_config spend_limit(std::string_view limit) {
    budget_config c;
    c.default_limits[static_cast<int>(budget_kind::spend)] = og(limit);
    return c;
}
}  // namespace

TEST_CASE("budget: reserve, commit, release", "[budget]") {
    testing::manual_clock clk;
    testing::recording_telemetry tel;
    test_budget b(spend_limit("1"), {&tel}, {&clk});
    auto p = b.reserve("alice", budget_kind::spend, og("0.3"));
    REQUIRE(p);
    CHECK(b.usage_of("alice", budget_kind::spend).reserved == og("0.3"));
    p->commit();
    auto u = b.usage_of("alice", budget_kind::spend);
    CHECK(u.used == og("0.3"));
    CHECK(u.reserved == uint256());
    CHECK(u.limit == og("1"));
    {
        auto q = b.reserve("alice", budget_kind::spend, og("0.5"));
        REQUIRE(q);
    }  // dropped: released
    CHECK(b.usage_of("alice", budget_kind::spend).reserved == uint256());
    CHECK(b.usage_of("alice", budget_kind::spend).used == og("0.3"));
    auto r = b.reserve("alice", budget_kind::spend, og("0.5"));
    REQUIRE(r);
    r->commit(og("0.25"));  // the bill was lower than the estimate
    CHECK(b.usage_of("alice", budget_kind::spend).used == og("0.55"));
    CHECK(b.usage_of("alice", budget_kind::spend).reserved == uint256());
    r->commit();  // a second commit does nothing
    CHECK(b.usage_of("alice", budget_kind::spend).used == og("0.55"));
    CHECK(b.usage_of("bob", budget_kind::spend).used == uint256());  // per user
}

TEST_CASE("budget: refuses before spending, counting reservations", "[budget]") {
    testing::manual_clock clk;
    testing::recording_telemetry tel;
    test_budget b(spend_limit("1"), {&tel}, {&clk});
    auto a = b.reserve("alice", budget_kind::spend, og("0.7"));
    REQUIRE(a);
    a->commit();
    auto pending = b.reserve("alice", budget_kind::spend, og("0.2"));
    REQUIRE(pending);
    auto refused = b.reserve("alice", budget_kind::spend, og("0.5"));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().is(errc::budget_exhausted));
    CHECK(refused.error().detail() ==
          "user \"alice\": spend budget: 0.7 0G used + 0.2 0G reserved + 0.5 0G requested exceeds the limit of 1 0G");
    auto u = b.usage_of("alice", budget_kind::spend);
    CHECK(u.used == og("0.7"));
    CHECK(u.reserved == og("0.2"));
    CHECK(count_prefix(tel.lines(), "log:warn:budget.refused user=alice kind=spend") == 1);
    CHECK(b.reserve("alice", budget_kind::spend, og("0.1")));  // exactly up to the limit is fine

    budget_config qc;
    qc.default_limits[static_cast<int>(budget_kind::tokens)] = uint256(1000);
    test_budget q(qc, {&tel}, {&clk});
    q.charge("bob", budget_kind::tokens, 990);
    auto t = q.reserve("bob", budget_kind::tokens, 11);
    REQUIRE_FALSE(t);
    CHECK(t.error().is(errc::quota_exceeded));
    CHECK(t.error().detail() == "user \"bob\": tokens quota: 990 used + 0 reserved + 11 requested exceeds the limit of 1000");
    CHECK(q.reserve("bob", budget_kind::requests, 1000000));  // no limit on that kind
}

TEST_CASE("budget: thresholds 50/80/100 fire exactly once per crossing", "[budget]") {
    testing::manual_clock clk;
    testing::recording_telemetry tel;
    budget_config c;
    c.default_limits[static_cast<int>(budget_kind::requests)] = uint256(100);
    test_budget b(c, {&tel}, {&clk});
    auto alerts = [&] { return count_prefix(tel.lines(), "alert:budget_threshold"); };
    b.charge("u", budget_kind::requests, 49);
    CHECK(alerts() == 0);
    b.charge("u", budget_kind::requests, 1);
    CHECK(alerts() == 1);
    CHECK(count_prefix(tel.lines(), "alert:budget_threshold user=u kind=requests percent=50 used=50 limit=100") == 1);
    for (int i = 0; i < 29; ++i) {
        auto p = b.reserve("u", budget_kind::requests, 1);
        REQUIRE(p);
        p->commit();
    }
    CHECK(alerts() == 1);  // 79
    auto big = b.reserve("u", budget_kind::requests, 21);  // 79 + 21 = 100: crosses 80 and 100 at once
    REQUIRE(big);
    big->commit();
    CHECK(alerts() == 3);
    CHECK(count_prefix(tel.lines(), "alert:budget_threshold user=u kind=requests percent=80") == 1);
    CHECK(count_prefix(tel.lines(), "alert:budget_threshold user=u kind=requests percent=100") == 1);
    CHECK_FALSE(b.reserve("u", budget_kind::requests, 1));
    b.charge("u", budget_kind::requests, 5);  // after-the-fact usage above the limit: no repeat
    CHECK(alerts() == 3);
    // raising the limit re-arms the thresholds usage is now below
    b.set_limit("u", budget_kind::requests, uint256(1000));
    b.charge("u", budget_kind::requests, 395);  // 500 = 50 %
    CHECK(alerts() == 4);
}

TEST_CASE("budget: exact uint256 limits and thresholds", "[budget]") {
    testing::manual_clock clk;
    testing::recording_telemetry tel;
    const uint256 limit = (uint256(1) << 200) + uint256(1);
    budget_config c;
    c.default_limits[static_cast<int>(budget_kind::spend)] = limit;
    c.alert_percents = {50};
    test_budget b(c, {&tel}, {&clk});
    auto p = b.reserve("w", budget_kind::spend, limit);
    REQUIRE(p);
    CHECK_FALSE(b.reserve("w", budget_kind::spend, 1));  // one neuron over
    p->release();
    // 50 % of 2^200 + 1 is 2^199 + 0.5: the threshold is 2^199 + 1, not 2^199
    b.charge("w", budget_kind::spend, uint256(1) << 199);
    CHECK(count_prefix(tel.lines(), "alert:") == 0);
    b.charge("w", budget_kind::spend, 1);
    CHECK(count_prefix(tel.lines(), "alert:budget_threshold") == 1);
    CHECK(b.usage_of("w", budget_kind::spend).used == (uint256(1) << 199) + uint256(1));
    // near 2^256: no wrap, refused
    test_budget unlimited(budget_config{}, {&tel}, {&clk});
    unlimited.charge("z", budget_kind::spend, uint256::max());
    auto over = unlimited.reserve("z", budget_kind::spend, 1);
    REQUIRE_FALSE(over);
    CHECK(over.error().is(errc::overflow));
}

TEST_CASE("budget: periods restart usage and re-arm thresholds", "[budget]") {
    testing::manual_clock clk;
    testing::recording_telemetry tel;
    budget_config c;
    c.default_limits[static_cast<int>(budget_kind::bytes_uploaded)] = uint256(1000);
    c.period = 24h;
    test_budget b(c, {&tel}, {&clk});
    b.charge("u", budget_kind::bytes_uploaded, 1000);
    CHECK(count_prefix(tel.lines(), "alert:") == 3);
    auto r = b.reserve("u", budget_kind::bytes_uploaded, 1);
    REQUIRE_FALSE(r);
    CHECK(r.error().detail().find("1000 bytes used") != std::string::npos);
    clk.advance(24h);
    CHECK(b.usage_of("u", budget_kind::bytes_uploaded).used == uint256());
    CHECK(b.reserve("u", budget_kind::bytes_uploaded, 600));
    b.charge("u", budget_kind::bytes_uploaded, 500);
    CHECK(count_prefix(tel.lines(), "alert:") == 4);
}

TEST_CASE("budget: cost estimates are exact", "[budget]") {
    const uint256 price = uint256::from_decimal("30733644962").value();  // neuron per sector
    CHECK(estimate_storage_fee(1024, price).value() == uint256::from_decimal("31471252441088").value());
    CHECK_FALSE(estimate_storage_fee(2, uint256::max()));
    CHECK(estimate_inference_fee(1000, 500, 2, 3).value() == uint256(3500));
    CHECK(estimate_inference_fee(0, 0, 2, 3).value() == uint256());
    CHECK_FALSE(estimate_inference_fee(2, 0, uint256::max(), 0));
}

TEST_CASE("budget: concurrent reservations never overshoot", "[budget][threads]") {
    testing::manual_clock clk;
    testing::recording_telemetry tel;
    budget_config c;
    c.default_limits[static_cast<int>(budget_kind::requests)] = uint256(500);
    test_budget b(c, {&tel}, {&clk});
    std::atomic<int> ok{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t)
        ts.emplace_back([&] {
            for (int i = 0; i < 400; ++i)
                if (auto p = b.reserve("shared", budget_kind::requests, 1)) {
                    p->commit();
                    ++ok;
                }
        });
    for (auto& t : ts) t.join();
    CHECK(ok.load() == 500);
    CHECK(b.usage_of("shared", budget_kind::requests).used == uint256(500));
    CHECK(count_prefix(tel.lines(), "alert:budget_threshold") == 3);
}

// ---------------------------------------------------------------------------------------------
// budget_ledger (the clients' non-template seam), budget_hold, persistence of committed usage

TEST_CASE("budget: reserve_all through budget_ledger is all or nothing", "[budget]") {
    testing::manual_clock clk;
    testing::recording_telemetry tel;
    budget_config c;
    c.default_limits[static_cast<int>(budget_kind::spend)] = og("1");
    c.default_limits[static_cast<int>(budget_kind::bytes_uploaded)] = uint256(1000);
    test_budget b(c, {&tel}, {&clk});
    budget_ledger& l = b;  // what clients hold
    {
        const budget_request too_many_bytes[] = {{budget_kind::spend, og("0.5")}, {budget_kind::bytes_uploaded, uint256(1001)},
                                                 {budget_kind::requests, uint256(1)}};
        auto h = l.reserve_all("u", too_many_bytes);
        REQUIRE_FALSE(h);
        CHECK(h.error().is(errc::quota_exceeded));
        CHECK(h.error().detail() ==
              "user \"u\": bytes_uploaded quota: 0 bytes used + 0 bytes reserved + 1001 bytes requested exceeds the limit of 1000 bytes");
        CHECK(l.usage_of("u", budget_kind::spend).reserved == uint256());  // the spend taken first was released
    }
    const budget_request ok[] = {{budget_kind::spend, og("0.5")}, {budget_kind::bytes_uploaded, uint256(600)},
                                 {budget_kind::requests, uint256(1)}};
    auto h = l.reserve_all("u", ok);
    REQUIRE(h);
    CHECK(h->holds(budget_kind::spend));
    CHECK_FALSE(h->holds(budget_kind::tokens));
    CHECK(l.usage_of("u", budget_kind::bytes_uploaded).reserved == uint256(600));
    h->commit(budget_kind::spend, og("0.4"));
    h->commit(budget_kind::tokens);  // not held: nothing
    {
        budget_hold moved = std::move(*h);
        CHECK(h->empty());
    }  // bytes and the request released with the hold
    CHECK(l.usage_of("u", budget_kind::spend).used == og("0.4"));
    CHECK(l.usage_of("u", budget_kind::bytes_uploaded).used == uint256());
    CHECK(l.usage_of("u", budget_kind::bytes_uploaded).reserved == uint256());
    CHECK(l.usage_of("u", budget_kind::requests).reserved == uint256());
}

TEST_CASE("budget: persistence models store usage by (user, kind, period)", "[budget][persistence]") {
    memory_persistence m;
    REQUIRE(m.add_usage("alice", "spend", 0, uint256(5)));
    REQUIRE(m.add_usage("alice", "spend", 0, uint256(7)));
    REQUIRE(m.add_usage("alice", "bytes_uploaded", 0, uint256(100)));
    REQUIRE(m.add_usage("alicia", "spend", 0, uint256(1)));  // another user, sorted next to alice
    auto a = m.load_usage("alice");
    REQUIRE(a);
    REQUIRE(a->size() == 2);
    CHECK(((*a)[0] == usage_record{"alice", "bytes_uploaded", 0, uint256(100)}));
    CHECK(((*a)[1] == usage_record{"alice", "spend", 0, uint256(12)}));
    REQUIRE(m.add_usage("alice", "spend", 3, uint256(2)));  // a new period replaces the old counter
    CHECK((m.load_usage("alice")->at(1) == usage_record{"alice", "spend", 3, uint256(2)}));
    REQUIRE(m.add_usage("bob", "tokens", 0, uint256::max()));
    CHECK_FALSE(m.add_usage("bob", "tokens", 0, uint256(1)));  // overflow is an error, not a wrap
    CHECK(m.load_usage("nobody")->empty());

    no_persistence n;
    CHECK(n.add_usage("alice", "spend", 0, uint256(1)));
    CHECK(n.load_usage("alice")->empty());

    testing::mock_persistence mp;
    REQUIRE(mp.add_usage("carol", "requests", 0, uint256(2)));
    mp.fail_next = zerog::error(errc::io_error, "disk full");
    CHECK_FALSE(mp.add_usage("carol", "requests", 0, uint256(2)));
    CHECK(mp.load_usage("carol")->at(0).used == uint256(2));
    CHECK((mp.calls == std::vector<std::string>{"add_usage:carol:requests", "add_usage:carol:requests", "load_usage:carol"}));
}

TEST_CASE("budget: a tracker restored from persistence after a restart refuses what the old one would have", "[budget][persistence]") {
    testing::manual_clock clk;
    testing::recording_telemetry tel;
    memory_persistence store;
    budget_config c = spend_limit("1");
    c.default_limits[static_cast<int>(budget_kind::requests)] = uint256(10);
    {
        test_budget before(c, {&tel}, {&clk});
        before.persist_to(store);
        auto p = before.reserve("alice", budget_kind::spend, og("0.7"));
        REQUIRE(p);
        p->commit(og("0.6"));
        before.charge("alice", budget_kind::requests, 9);
        auto pending = before.reserve("alice", budget_kind::spend, og("0.3"));  // reserved, never committed: not persisted
        REQUIRE(pending);
        CHECK_FALSE(before.reserve("alice", budget_kind::spend, og("0.5")));
    }
    CHECK(store.load_usage("alice")->size() == 2);
    test_budget after(c, {&tel}, {&clk});  // "restart"
    after.persist_to(store);
    const auto alerts_before = count_prefix(tel.lines(), "alert:");
    auto refused = after.reserve("alice", budget_kind::spend, og("0.5"));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().is(errc::budget_exhausted));
    CHECK(refused.error().detail() == "user \"alice\": spend budget: 0.6 0G used + 0 0G reserved + 0.5 0G requested exceeds the limit of 1 0G");
    CHECK_FALSE(after.reserve("alice", budget_kind::requests, 2));
    CHECK(after.usage_of("alice", budget_kind::requests).used == uint256(9));
    auto fits = after.reserve("alice", budget_kind::spend, og("0.4"));  // what the old one also admitted
    REQUIRE(fits);
    fits->commit();
    CHECK((*store.load_usage("alice") == std::vector<usage_record>{{"alice", "requests", 0, uint256(9)}, {"alice", "spend", 0, og("1")}}));
    // 50 % was crossed before the restart and stays quiet; 80 and 100 % are new crossings
    CHECK(count_prefix(tel.lines(), "alert:") == alerts_before + 2);
    CHECK(count_prefix(tel.lines(), "alert:budget_threshold user=alice kind=spend percent=50") == 1);
    CHECK(count_prefix(tel.lines(), "alert:budget_threshold user=alice kind=spend percent=80") == 1);
    CHECK(count_prefix(tel.lines(), "alert:budget_threshold user=alice kind=spend percent=100") == 1);
    // a tracker without the store knows nothing
    test_budget amnesiac(c, {&tel}, {&clk});
    CHECK(amnesiac.reserve("alice", budget_kind::spend, og("1")));
}

TEST_CASE("budget: persistence failures refuse before spending and are retried", "[budget][persistence]") {
    testing::manual_clock clk;
    testing::recording_telemetry tel;
    testing::mock_persistence store;
    budget_config c;
    c.default_limits[static_cast<int>(budget_kind::tokens)] = uint256(100);
    c.period = 24h;
    test_budget b(c, {&tel}, {&clk});
    b.charge("dave", budget_kind::tokens, 10);  // before persist_to: kept, written with the next add
    b.persist_to(store);
    store.fail_next = zerog::error(errc::io_error, "database is locked");
    auto r = b.reserve("dave", budget_kind::tokens, 1);  // the load fails: refused
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::io_error));
    CHECK(r.error().detail().find("could not be restored from persistence") != std::string::npos);
    auto ok = b.reserve("dave", budget_kind::tokens, 5);  // load retried
    REQUIRE(ok);
    CHECK(b.usage_of("dave", budget_kind::tokens).used == uint256(10));
    store.fail_next = zerog::error(errc::io_error, "database is locked");
    ok->commit();  // the add fails: kept in memory, logged
    CHECK(count_prefix(tel.lines(), "log:warn:budget.persist_failed") == 1);
    CHECK(b.usage_of("dave", budget_kind::tokens).used == uint256(15));
    CHECK(store.load_usage("dave")->empty());
    b.charge("dave", budget_kind::tokens, 1);  // the next add carries what was missed
    CHECK(store.load_usage("dave")->at(0).used == uint256(16));
    // a new period: the stored counter of the old one is not restored
    clk.advance(24h);
    test_budget next_day(c, {&tel}, {&clk});
    next_day.persist_to(store);
    CHECK(next_day.usage_of("dave", budget_kind::tokens).used == uint256());
    CHECK(next_day.reserve("dave", budget_kind::tokens, 100));
}
