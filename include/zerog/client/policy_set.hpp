// The policy bundle a client is composed from, one member per policy family.
//
// An aggregate, so a client is assembled with designated initializers and only the policies that
// differ from the defaults are spelled:
//
//     client::policy_set<net::http_transport, crypto::secp256k1_signer> p{
//         .transport = net::http_transport{}, .signer = std::move(signer)};
//
// Every default is the family's null model: zero size, stored with [[no_unique_address]], so a
// client built from null policies carries no policy state at all (a test pins sizeof). Members are
// public and named after their family, so tests reach in (`p.breaker.open.insert(...)`).
//
// Thread safety: that of the member policies (the real models document theirs).
#pragma once

#include <zerog/policy/circuit_breaker.hpp>
#include <zerog/policy/concurrency_limiter.hpp>
#include <zerog/policy/clock.hpp>
#include <zerog/policy/persistence.hpp>
#include <zerog/policy/rate_limiter.hpp>
#include <zerog/policy/retry.hpp>
#include <zerog/crypto/signer.hpp>
#include <zerog/policy/telemetry.hpp>
#include <zerog/net/transport.hpp>

namespace zerog::client {

template <net::Transport Transport = net::null_transport,
          crypto::Signer Signer = crypto::null_signer,
          policy::RetryPolicy Retry = policy::no_retry,
          policy::CircuitBreaker Breaker = policy::no_breaker,
          policy::RateLimiter Limiter = policy::no_limit,
          policy::Persistence Persistence = policy::no_persistence,
          policy::Telemetry Telemetry = policy::null_telemetry,
          policy::Clock Clock = policy::system_clock_policy,
          policy::ConcurrencyLimiter Concurrency = policy::no_concurrency_limit>
struct policy_set {
    using transport_type = Transport;
    using signer_type = Signer;
    using retry_type = Retry;
    using breaker_type = Breaker;
    using limiter_type = Limiter;
    using persistence_type = Persistence;
    using telemetry_type = Telemetry;
    using clock_type = Clock;
    using concurrency_type = Concurrency;

    [[no_unique_address]] Transport transport{};
    [[no_unique_address]] Signer signer{};
    [[no_unique_address]] Retry retry{};
    [[no_unique_address]] Breaker breaker{};
    [[no_unique_address]] Limiter limiter{};
    [[no_unique_address]] Persistence persistence{};
    [[no_unique_address]] Telemetry telemetry{};
    [[no_unique_address]] Clock clock{};
    [[no_unique_address]] Concurrency concurrency{};  ///< operations in flight per user and endpoint
};

}  // namespace zerog::client
