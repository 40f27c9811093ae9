// zerog::ref<T>: the one non-owning adapter for a policy held by reference.
//
// Clients and models store their policies by value. When several of them must share ONE object —
// a rate limiter shared by many clients (so a user's rate holds across all of them), a telemetry
// sink several models report to, the signer that a client's transaction sender and its session
// token cache both use (a key is move-only and must not be duplicated) — they hold `ref<T>{&obj}`
// instead. `ref<T>` forwards every policy operation that T has (Signer, Transport, RetryPolicy,
// CircuitBreaker, RateLimiter, Persistence, Telemetry, Clock) and nothing else, so it models
// exactly the concepts T models. It lives in core because protocol layers (crypto, compute) use it
// for signers and must not depend on the policy layer.
//
// Lifetime: the referenced object must outlive every holder. Thread safety: that of T.
#pragma once

#include <utility>

namespace zerog {

#define ZEROG_REF_FORWARD(op)                                                                  \
    template <class... A>                                                                      \
        requires requires(T& t, A&&... a) { t.op(std::forward<A>(a)...); }                     \
    decltype(auto) op(A&&... a) const {                                                        \
        return target->op(std::forward<A>(a)...);                                             \
    }

template <class T>
struct ref {
    T* target = nullptr;

    T& get() const noexcept { return *target; }

    // Signer
    ZEROG_REF_FORWARD(address)
    ZEROG_REF_FORWARD(sign_digest)
    // Transport
    ZEROG_REF_FORWARD(send_async)
    ZEROG_REF_FORWARD(send_streaming_async)
    // RetryPolicy
    ZEROG_REF_FORWARD(next_delay)
    // CircuitBreaker
    ZEROG_REF_FORWARD(allow)
    ZEROG_REF_FORWARD(on_success)
    ZEROG_REF_FORWARD(on_failure)
    // RateLimiter
    ZEROG_REF_FORWARD(try_acquire)
    // Persistence
    ZEROG_REF_FORWARD(put_submission)
    ZEROG_REF_FORWARD(find_submission)
    ZEROG_REF_FORWARD(add_spend)
    ZEROG_REF_FORWARD(spend)
    ZEROG_REF_FORWARD(add_usage)
    ZEROG_REF_FORWARD(load_usage)
    // Telemetry
    ZEROG_REF_FORWARD(enabled)
    ZEROG_REF_FORWARD(log)
    ZEROG_REF_FORWARD(count)
    ZEROG_REF_FORWARD(observe)
    ZEROG_REF_FORWARD(gauge)
    ZEROG_REF_FORWARD(span_start)
    ZEROG_REF_FORWARD(span_end)
    ZEROG_REF_FORWARD(traceparent)
    ZEROG_REF_FORWARD(alert)
    // Clock
    ZEROG_REF_FORWARD(now)
    ZEROG_REF_FORWARD(wall_now)
};

#undef ZEROG_REF_FORWARD

}  // namespace zerog
