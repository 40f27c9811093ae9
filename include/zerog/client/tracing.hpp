// Traced operations: how a span started by a client's public operation becomes the parent of every
// span below it (each network call's, in client/pipeline.hpp) and reaches the wire as W3C
// `traceparent` (net/http_transport.hpp), without passing a context through every function.
//
//   co_return co_await traced_operation(p_.telemetry, "storage.upload", upload_impl(...));
//
// The operation's body is spawned on a `traced_executor` wrapping the caller's executor: every
// function the executor runs (each slice of the body's coroutines between two suspensions, and of
// any coroutine they spawn on `this_coro::executor`) first sets the thread's current trace context
// (policy::current_trace_context) to the operation's span and restores the previous one after. So
// concurrent operations on one io_context each see their own span (tests/policy/test_tracing.cpp
// interleaves them). The caller's continuation after the body completes runs inside the body's
// last slice, hence the explicit restore after the co_await.
//
// With a Telemetry model whose span_start returns an invalid handle (null_telemetry, a hub without
// a tracer) the body is awaited directly: no spawn, no context.
#pragma once

#include <zerog/core/result.hpp>
#include <zerog/net/traced_executor.hpp>
#include <zerog/policy/telemetry.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>

namespace zerog::client {

using net::traced_executor;

/// Run `body` as the operation `name` (see the file comment). Its span ends with the body's error,
/// if any.
template <class Telemetry, class T>
boost::asio::awaitable<result<T>> traced_operation(Telemetry& telemetry, std::string_view name, boost::asio::awaitable<result<T>> body) {
    if constexpr (std::is_same_v<std::remove_cvref_t<Telemetry>, policy::null_telemetry>) {
        co_return co_await std::move(body);
    } else {
        auto span = telemetry.span_start(name);
        if (!span.valid()) co_return co_await std::move(body);
        const policy::trace_context outer = policy::current_trace_context();
        const policy::trace_context ctx{span.trace_id, span.span_id};
        const auto ex = co_await boost::asio::this_coro::executor;
        result<T> r = co_await boost::asio::co_spawn(boost::asio::any_io_executor(traced_executor<boost::asio::any_io_executor>{net::untraced(ex), ctx}),
                                                     std::move(body), boost::asio::use_awaitable);
        policy::current_trace_context() = outer;
        telemetry.span_end(span, r ? nullptr : &r.error());
        co_return r;
    }
}

}  // namespace zerog::client
