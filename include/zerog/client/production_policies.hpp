// The production policy bundle: the real models of every family, ready to use.
//
//   client::production_policies<net::http_transport, crypto::secp256k1_signer> p{
//       .transport = net::http_transport{}, .signer = std::move(signer)};
//
// = backoff_retry (100 ms base, 10 s cap, 5 attempts, 30 s) + sliding_window_breaker (reporting to a
// json_logger) + token_bucket (20/10 s⁻¹ per user, 200/100 s⁻¹ per endpoint) + memory_persistence +
// observe::json_logger + the system clocks. Members can be given other configurations with
// designated initializers (`.retry = policy::backoff_retry({.max_attempts = 3})`,
// `.breaker = P::breaker_type(policy::breaker_config{...}, logger)`). The breaker and limiter are
// movable for exactly this (setup; not while in use): [[no_unique_address]] members get no
// guaranteed copy elision.
// Concurrency limits and budgets are held beside the set (policy/concurrency_limiter.hpp,
// policy/budget.hpp). Defaults and semantics: docs/architecture.md, "Real policy models".
//
// Thread safety: every member model is thread-safe.
#pragma once

#include <zerog/client/policy_set.hpp>
#include <zerog/observe/json_logger.hpp>
#include <zerog/policy/backoff_retry.hpp>
#include <zerog/policy/persistence.hpp>
#include <zerog/policy/sliding_window_breaker.hpp>
#include <zerog/policy/token_bucket.hpp>

namespace zerog::client {

template <policy::Transport Transport, policy::Signer Signer>
using production_policies =
    policy_set<Transport, Signer, policy::backoff_retry, policy::sliding_window_breaker<observe::json_logger>,
               policy::token_bucket<>, policy::memory_persistence, observe::json_logger, policy::system_clock_policy>;

}  // namespace zerog::client
