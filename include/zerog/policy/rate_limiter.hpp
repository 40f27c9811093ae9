// Rate limiter policy: admission control per caller identity and per endpoint.
//
// Concept `RateLimiter`: `try_acquire(key, cost)` either grants `cost` units now, or refuses and
// says when to ask again (`retry_after`). The limiter never sleeps: the client decides whether to
// wait (bounded by the operation's deadline) or to fail with errc::rate_limited.
// `key.user` is the caller identity the host application passes in (empty = anonymous);
// `key.endpoint` the redacted origin being called.
//
// Models: `no_limit` (default, zero size), `token_bucket` (token_bucket.hpp), `zerog::ref<L>`
// (core/ref.hpp: several clients share one limiter), `testing::mock_limiter`
// (<zerog/testing/mock_limiter.hpp>).
// guarded_call asks once per attempt sent, retries included (client/pipeline.hpp).
#pragma once

#include <chrono>
#include <concepts>
#include <string>
#include <string_view>
#include <vector>

namespace zerog::policy {

struct limit_key {
    std::string_view user;
    std::string_view endpoint;
};

struct acquire_result {
    bool granted = true;
    std::chrono::nanoseconds retry_after{0};  ///< meaningful when !granted
};

template <class L>
concept RateLimiter = requires(L& l, const limit_key& k, double cost) {
    { l.try_acquire(k, cost) } -> std::same_as<acquire_result>;
};

/// Unlimited. Zero size.
struct no_limit {
    acquire_result try_acquire(const limit_key&, double) const noexcept { return {}; }
};
static_assert(RateLimiter<no_limit>);


}  // namespace zerog::policy
