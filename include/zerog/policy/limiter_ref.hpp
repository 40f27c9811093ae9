// A RateLimiter model that forwards to a limiter owned elsewhere.
//
// A policy_set stores its policies by value, and each client owns its policy set, so two clients
// (two threads, two io_contexts, two processes' worth of client objects in one program) would each
// get a limiter of their own, and a user spread over them would get the rate once per client.
// `limiter_ref<L>{&shared}` makes every client consult the same limiter, so a user id is limited
// once across all of them (tests/resilience_devnet checks this on the storage node's side):
//
//     policy::token_bucket<> shared({.per_user = {20, 10}});
//     using P = client::policy_set<net::http_transport, S, R, B, policy::limiter_ref<policy::token_bucket<>>>;
//     auto make = [&] { return P{.transport = ..., .limiter = {&shared}}; };   // one per client
//
// Concept membership: RateLimiter. Thread safety: that of the referenced limiter (token_bucket is
// thread-safe). Non-owning: the referenced limiter must outlive every policy set holding the ref.
#pragma once

#include <zerog/policy/rate_limiter.hpp>

namespace zerog::policy {

template <RateLimiter L>
struct limiter_ref {
    L* target = nullptr;
    acquire_result try_acquire(const limit_key& k, double cost) const { return target->try_acquire(k, cost); }
};
static_assert(RateLimiter<limiter_ref<no_limit>>);

}  // namespace zerog::policy
