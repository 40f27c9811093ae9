// An executor that runs every function of an inner executor with a trace context set as the
// thread's current one (policy::current_trace_context), and restores the previous context after.
// client/tracing.hpp spawns each traced operation's body on one, so every slice of the operation's
// coroutines sees the operation's span; net::http_transport reads the context for `traceparent`.
//
// The context is held by value (24 bytes), so a copy of the executor kept anywhere owns nothing.
// Long-lived I/O objects (pooled connections, their sockets and timers) are bound to the inner
// executor instead (`untraced`): a pooled connection then serves every later operation of the
// same io_context, and the operation's context never outlives it; the completions of their
// operations still resume the awaiting coroutine through its own (traced) executor.
#pragma once

#include <zerog/policy/telemetry.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/execution.hpp>

#include <type_traits>
#include <utility>

namespace zerog::net {

/// An executor that runs every function of `inner` with `ctx` as the thread's trace context.
template <class Inner>
struct traced_executor {
    Inner inner;
    policy::trace_context ctx;

    template <class F>
    void execute(F f) const {
        inner.execute([c = ctx, f = std::move(f)]() mutable {
            policy::scoped_trace_context scope(c);
            f();
        });
    }
    friend bool operator==(const traced_executor& a, const traced_executor& b) noexcept {
        return a.inner == b.inner && a.ctx.trace_id == b.ctx.trace_id && a.ctx.span_id == b.ctx.span_id;
    }
    friend bool operator!=(const traced_executor& a, const traced_executor& b) noexcept { return !(a == b); }

    template <class P>
    auto query(const P& p) const -> decltype(boost::asio::query(std::declval<const Inner&>(), p)) {
        return boost::asio::query(inner, p);
    }
    template <class P>
    auto require(const P& p) const -> traced_executor<std::decay_t<decltype(boost::asio::require(std::declval<const Inner&>(), p))>> {
        return {boost::asio::require(inner, p), ctx};
    }
    template <class P>
    auto prefer(const P& p) const -> traced_executor<std::decay_t<decltype(boost::asio::prefer(std::declval<const Inner&>(), p))>> {
        return {boost::asio::prefer(inner, p), ctx};
    }
};

/// `ex` without its trace context: the inner executor when `ex` is a traced one (nested: all
/// layers removed), else `ex` itself.
inline boost::asio::any_io_executor untraced(boost::asio::any_io_executor ex) {
    for (int depth = 0; depth < 8; ++depth) {  // bounded: traced operations nest only a few deep
        const auto* t = ex.target<traced_executor<boost::asio::any_io_executor>>();
        if (!t) break;
        boost::asio::any_io_executor inner = t->inner;
        ex = std::move(inner);
    }
    return ex;
}

}  // namespace zerog::net
