// The one place where a client composes its policies around a network operation.
//
// `guarded_call(policies, ctx, op)` runs `op` (a coroutine returning result<T>) in the documented
// order (docs/architecture.md, "Composition order"), outermost first:
//
//   telemetry span → deadline → rate limiter → retry loop → circuit breaker → op (transport)
//
//   * deadline: nothing starts after `ctx.deadline`; every wait below (limiter, backoff) must end
//     before it, otherwise the call fails now rather than sleeping past it.
//   * rate limiter: try_acquire({user, endpoint}, cost); when refused, wait `retry_after` if that
//     fits the deadline, else errc::rate_limited. Every attempt that is sent takes its slot, retries
//     included (after the backoff sleep): a retry is one more request to the endpoint, so retries
//     must not let a caller past its rate (tests/resilience_devnet counts this at the node). A
//     retry whose slot comes after the deadline is not sent; the last attempt's error is returned.
//   * retry loop: after a failed attempt, `retry.next_delay(attempt, error, elapsed)`; the retry
//     policy alone decides (it consults policy::is_retryable). Paid operations must not be retried
//     here blindly: their op re-checks the double-payment guard itself before sending anything.
//   * breaker: allow(endpoint) before each attempt; after it, on_success or on_failure. Only
//     failures that say the endpoint is unhealthy (retryable classes) count as failures; a revert
//     or a validation error proves the endpoint answered, so it counts as a success.
//
// Deadlines and elapsed times come from the policy set's Clock; sleeps use a real Asio timer (a
// manual clock in tests is paired with zero or tiny scripted delays).
#pragma once

#include <zerog/client/policy_set.hpp>
#include <zerog/core/result.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <type_traits>

namespace zerog::client {

/// What a guarded call is about. Views must outlive the call.
struct call_context {
    std::string_view operation;      ///< e.g. "eth_sendRawTransaction", used in errors and telemetry
    std::string_view endpoint;       ///< redacted origin (scheme://host:port): breaker and limiter key
    std::string_view user;           ///< the caller identity the host application passes in ("" = anonymous)
    zerog::steady_time deadline;    ///< absolute, from the policy set's Clock
    double cost = 1.0;               ///< rate-limiter units this call consumes
    /// Metric label `class`: chain, storage, indexer, kv or provider. Empty: from the operation's
    /// name (endpoint_class_of).
    std::string_view endpoint_class = {};
};

/// The endpoint class of an operation, by its name: zgs_* storage node, indexer_* indexer, kv_* KV
/// node, compute.* compute provider, anything else the chain (eth_*, contract calls).
constexpr std::string_view endpoint_class_of(std::string_view operation) noexcept {
    if (operation.starts_with("zgs_")) return "storage";
    if (operation.starts_with("indexer_")) return "indexer";
    if (operation.starts_with("kv_")) return "kv";
    if (operation.starts_with("compute.")) return "provider";
    return "chain";
}

namespace detail {
template <class A> struct awaitable_value;
template <class T> struct awaitable_value<boost::asio::awaitable<T>> { using type = T; };

inline boost::asio::awaitable<void> sleep_for(std::chrono::nanoseconds d) {
    if (d <= std::chrono::nanoseconds::zero()) co_return;
    boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, d);
    co_await t.async_wait(boost::asio::use_awaitable);
}

/// Take `ctx.cost` from the limiter, waiting for `retry_after` while that fits the deadline.
/// false: the next slot is after the deadline (nothing taken).
template <class Limiter, class Clock>
boost::asio::awaitable<bool> acquire_slot(Limiter& limiter, const Clock& clock, const call_context& ctx) {
    for (;;) {
        const auto a = limiter.try_acquire(policy::limit_key{ctx.user, ctx.endpoint}, ctx.cost);
        if (a.granted) co_return true;
        if (clock.now() + a.retry_after >= ctx.deadline) co_return false;
        co_await sleep_for(a.retry_after);
    }
}

/// Does this failure say something about the endpoint's health?
inline bool counts_against_endpoint(const zerog::error& e) noexcept { return policy::is_retryable(e); }
}  // namespace detail

/// True when every policy that guarded_call consults is its null model: then guarded_call is the
/// op itself plus one deadline check (zero-overhead composition, benchmarks/policy).
template <class P>
inline constexpr bool all_null_policies_v =
    std::is_same_v<typename P::retry_type, policy::no_retry> && std::is_same_v<typename P::breaker_type, policy::no_breaker> &&
    std::is_same_v<typename P::limiter_type, policy::no_limit> &&
    std::is_same_v<typename P::telemetry_type, policy::null_telemetry>;

namespace detail {
template <class R>
boost::asio::awaitable<R> failed_call(zerog::error e) {
    co_return fail(std::move(e));
}

template <class Policies, class Op>
auto guarded_call_impl(Policies& p, call_context ctx, Op op) -> decltype(op());
}  // namespace detail

/// Run `op` under the policies of `p` (see file comment). `op` is invoked once per attempt and
/// must return `asio::awaitable<result<T>>`. Await the result in the same full-expression
/// (`co_await guarded_call(p, ctx, [&] {...})`): with null policies the op's awaitable is returned
/// directly, without a coroutine frame of its own, so `op` must outlive the await.
template <class Policies, class Op>
auto guarded_call(Policies& p, call_context ctx, Op&& op) -> decltype(op()) {
    using awaitable_type = decltype(op());
    if constexpr (all_null_policies_v<Policies>) {
        if (p.clock.now() >= ctx.deadline) [[unlikely]]
            return detail::failed_call<typename detail::awaitable_value<awaitable_type>::type>(
                zerog::error(errc::deadline_exceeded, "deadline passed before the call").during(std::string(ctx.operation)).at(ctx.endpoint));
        return op();
    } else {
        return detail::guarded_call_impl(p, ctx, std::forward<Op>(op));
    }
}

template <class Policies, class Op>
auto detail::guarded_call_impl(Policies& p, call_context ctx, Op op) -> decltype(op()) {
    using result_type = typename detail::awaitable_value<decltype(op())>::type;
    auto& clock = p.clock;
    const auto started = clock.now();
    auto span = p.telemetry.span_start(ctx.operation);
    span.kind = 3;  // a network call: OTLP SpanKind CLIENT
    const std::string_view klass = ctx.endpoint_class.empty() ? endpoint_class_of(ctx.operation) : ctx.endpoint_class;
    auto finish = [&](result_type r, unsigned attempts) -> result_type {
        const double secs = std::chrono::duration<double>(clock.now() - started).count();
        {
            const policy::field timing[] = {{"class", klass}, {"method", ctx.operation}};
            p.telemetry.observe("zerog_rpc_request_duration_seconds", secs, timing);
            const policy::field labels[] = {{"class", klass}, {"method", ctx.operation},
                                            {"outcome", r ? std::string_view("ok") : r.error().code_name()}};
            p.telemetry.count("zerog_rpc_requests_total", 1, labels);
        }
        if (!r) {
            zerog::error e = std::move(r).error();
            if (attempts > 1) e.with("attempts", std::to_string(attempts));
            p.telemetry.span_end(span, &e);
            if (p.telemetry.enabled(policy::log_level::warn)) {
                const std::string msg = e.message();
                const policy::field f[] = {{"op", ctx.operation}, {"endpoint", ctx.endpoint}, {"error", msg}};
                p.telemetry.log(policy::log_level::warn, "call.failed", f);
            }
            return fail(std::move(e));
        }
        p.telemetry.span_end(span, nullptr);
        return r;
    };
    auto failed = [&](errc code, std::string detail) {
        return zerog::error(code, std::move(detail)).during(std::string(ctx.operation)).at(ctx.endpoint);
    };

    constexpr bool limited = !std::is_same_v<typename Policies::limiter_type, policy::no_limit>;
    if constexpr (limited) {
        const bool slot = co_await detail::acquire_slot(p.limiter, clock, ctx);
        if (!slot) {
            const policy::field l[] = {{"class", klass}};
            p.telemetry.count("zerog_rate_limited_total", 1, l);
            co_return finish(fail(failed(errc::rate_limited, "rate limit reached; the next slot is after the deadline")), 0);
        }
    }

    for (unsigned attempt = 1;; ++attempt) {
        if (clock.now() >= ctx.deadline)
            co_return finish(fail(failed(errc::deadline_exceeded, "deadline passed before attempt " + std::to_string(attempt))),
                             attempt - 1);
        if (auto allowed = p.breaker.allow(ctx.endpoint); !allowed)
            co_return finish(fail(std::move(allowed).error().during(std::string(ctx.operation))), attempt - 1);

        const auto t0 = clock.now();
        // Inside a traced operation (client/tracing.hpp), the request is started with this call's
        // span current, so its `traceparent` names the call; the operation's executor restores
        // the context when this slice ends, and we restore it when the call resumes.
        const policy::trace_context outer = policy::current_trace_context();
        const bool traced = span.valid() && outer.valid();
        if (traced) policy::current_trace_context() = policy::trace_context{span.trace_id, span.span_id};
        result_type r = co_await op();
        if (traced) policy::current_trace_context() = outer;
        const auto latency = clock.now() - t0;
        if (r) {
            p.breaker.on_success(ctx.endpoint, latency);
            co_return finish(std::move(r), attempt);
        }
        if (detail::counts_against_endpoint(r.error())) p.breaker.on_failure(ctx.endpoint, r.error(), latency);
        else p.breaker.on_success(ctx.endpoint, latency);

        const auto delay = p.retry.next_delay(attempt, r.error(), clock.now() - started);
        if (!delay || clock.now() + *delay >= ctx.deadline) co_return finish(std::move(r), attempt);
        {
            const policy::field l[] = {{"class", klass}, {"method", ctx.operation}};
            p.telemetry.count("zerog_rpc_retries_total", 1, l);
        }
        if (p.telemetry.enabled(policy::log_level::debug)) {
            const policy::field f[] = {{"op", ctx.operation}, {"attempt", attempt},
                                       {"delay_ms", std::chrono::duration_cast<std::chrono::milliseconds>(*delay).count()}};
            p.telemetry.log(policy::log_level::debug, "call.retry", f);
        }
        co_await detail::sleep_for(*delay);
        if constexpr (limited) {  // a retry is a request too: it takes its own slot
            const bool slot = co_await detail::acquire_slot(p.limiter, clock, ctx);
            if (!slot) {
                const policy::field l[] = {{"class", klass}};
                p.telemetry.count("zerog_rate_limited_total", 1, l);
                zerog::error e = std::move(r).error();
                e.with("retry", "not sent: the rate limit's next slot is after the deadline");
                co_return finish(fail(std::move(e)), attempt);
            }
        }
    }
}

}  // namespace zerog::client
