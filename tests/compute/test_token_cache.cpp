// The per-provider session-token cache: reuse, renewal before expiry, generation changes,
// invalidation, configuration errors and concurrent use, driven by a manual clock.
#include <zerog/core/ref.hpp>
#include <zerog/compute/session_token_cache.hpp>
#include <zerog/crypto/secp256k1_signer.hpp>
#include <zerog/testing/mocks.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace zerog;
using namespace zerog::compute;
using namespace std::chrono_literals;

namespace {
crypto::secp256k1_signer signer() {
    return crypto::secp256k1_signer::from_hex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d").value();
}
crypto::address prov(int i) {
    fixed_bytes<20> b;
    for (auto& x : b) x = static_cast<byte>(0x11 * (i + 1) + 3);
    return crypto::address(b);
}
}  // namespace

TEST_CASE("cache reuses a token and renews it before expiry", "[compute][cache]") {
    testing::manual_clock clock;  // wall time 1700000000000 ms
    auto s = signer();
    token_cache_options opt;
    opt.lifetime = 1h;
    opt.renew_margin = 5min;
    session_token_cache cache(zerog::ref<const crypto::secp256k1_signer>{&s}, opt, testing::clock_ref{&clock});

    auto first = cache.get(prov(0)).value();
    CHECK(first->claims.timestamp_ms == 1700000000000);
    CHECK(first->claims.expires_at_ms == 1700000000000 + 3'600'000);
    CHECK(cache.signed_count() == 1);
    auto view = cache.authorization(prov(0)).value();
    CHECK(view == first->authorization);
    CHECK(view.data() == first->authorization.data());  // the cached string itself, no copy
    CHECK(cache.signed_count() == 1);

    clock.advance(55min - 1ms);  // 1 ms before the renewal point
    CHECK(cache.get(prov(0)).value() == first);
    clock.advance(1ms);
    auto second = cache.get(prov(0)).value();
    CHECK(second != first);
    CHECK(cache.signed_count() == 2);
    CHECK(second->claims.timestamp_ms == 1700000000000 + 55 * 60'000);
    CHECK(first->authorization.rfind("Bearer app-sk-", 0) == 0);  // old token still alive via its pointer

    // Tokens validate at the provider over their whole cached use.
    token_requirements r;
    r.provider = prov(0);
    r.generation = 0;
    r.now_ms = second->claims.expires_at_ms - 5 * 60'000 - 1;
    CHECK(check_session_token(second->authorization, r).ok());
}

TEST_CASE("cache: per provider, generation change, invalidate, clear", "[compute][cache]") {
    testing::manual_clock clock;
    session_token_cache cache(signer(), {}, testing::clock_ref{&clock});
    auto a = cache.get(prov(0)).value();
    auto b = cache.get(prov(1)).value();
    CHECK(a->claims.provider == prov(0));
    CHECK(b->claims.provider == prov(1));
    CHECK(cache.size() == 2);
    CHECK(cache.signed_count() == 2);

    auto g1 = cache.get(prov(0), 1).value();  // after revokeAllTokens on chain
    CHECK(g1->claims.generation == 1);
    CHECK(cache.get(prov(0), 1).value() == g1);
    CHECK(cache.signed_count() == 3);

    cache.invalidate(prov(0));
    CHECK(cache.get(prov(0), 1).value() != g1);
    CHECK(cache.get(prov(1)).value() == b);
    cache.clear();
    CHECK(cache.size() == 0);
    CHECK(cache.get(prov(1)).value() != b);
    CHECK(cache.signed_count() == 5);
}

TEST_CASE("cache: invalid options and signer failures are reported", "[compute][cache]") {
    testing::manual_clock clock;
    {
        token_cache_options o;
        o.lifetime = 24h + 1ms;
        session_token_cache c(signer(), o, testing::clock_ref{&clock});
        auto r = c.authorization(prov(0));
        REQUIRE(!r);
        CHECK(r.error().is(errc::invalid_argument));
    }
    {
        token_cache_options o;
        o.lifetime = 10min;
        o.renew_margin = 10min;
        session_token_cache c(signer(), o, testing::clock_ref{&clock});
        CHECK(c.get(prov(0)).error().is(errc::invalid_argument));
    }
    {
        token_cache_options o;
        o.lifetime = 24h;  // the SDK's lifetime: longer than the cache's documented bound (1 h)
        o.renew_margin = 1h;
        session_token_cache c(signer(), o, testing::clock_ref{&clock});
        CHECK(c.get(prov(0)).error().is(errc::invalid_argument));
    }
    {
        token_cache_options o;
        o.lifetime = max_cached_token_lifetime;  // the bound itself is accepted
        session_token_cache c(signer(), o, testing::clock_ref{&clock});
        CHECK(c.get(prov(0)).value()->claims.expires_at_ms == 1700000000000 + 3'600'000);
    }
    {
        // The default: a short-lived token, renewed a minute before it expires.
        session_token_cache c(signer(), {}, testing::clock_ref{&clock});
        const auto first = c.get(prov(0)).value();
        CHECK(first->claims.expires_at_ms - first->claims.timestamp_ms == default_token_lifetime.count());
        CHECK(default_token_lifetime <= 10min);
        clock.advance(default_token_lifetime - 1min - 1ms);
        CHECK(c.get(prov(0)).value() == first);
        clock.advance(2ms);
        CHECK(c.get(prov(0)).value() != first);
    }
    testing::mock_signer mock(signer().address());
    mock.will_fail(zerog::error(errc::unauthorized, "locked"));
    session_token_cache c(mock, {}, testing::clock_ref{&clock});
    auto r = c.get(prov(0));
    REQUIRE(!r);
    CHECK(r.error().is(errc::unauthorized));
    CHECK(c.size() == 0);
    CHECK(c.signed_count() == 0);
}

TEST_CASE("cache: concurrent callers share one signature", "[compute][cache]") {
    auto s = signer();
    session_token_cache cache(zerog::ref<const crypto::secp256k1_signer>{&s});
    std::atomic<int> bad{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t)
        ts.emplace_back([&] {
            for (int i = 0; i < 2000; ++i) {
                auto p = cache.get(prov(i % 3));
                if (!p || p.value()->claims.provider != prov(i % 3)) ++bad;
            }
        });
    for (auto& t : ts) t.join();
    CHECK(bad == 0);
    CHECK(cache.signed_count() == 3);
}

TEST_CASE("stale-token errors from the broker are recognised", "[compute][cache]") {
    CHECK(is_stale_token_error(broker_messages::expired));
    CHECK(is_stale_token_error(broker_messages::generation_revoked));
    CHECK(is_stale_token_error(broker_messages::future_generation));
    CHECK(is_stale_token_error(std::string("{\"error\":\"") + std::string(broker_messages::token_revoked) + "\"}"));
    CHECK(!is_stale_token_error(broker_messages::different_provider));
    CHECK(!is_stale_token_error(broker_messages::address_mismatch));
    CHECK(!is_stale_token_error("insufficient balance: your locked balance is 0 0G"));
}
