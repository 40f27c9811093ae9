// The synchronous facade: run one `awaitable<result<T>>` to completion from plain blocking code.
//
// zerog writes every network operation once, as a coroutine (as Asio does: one operation, any
// calling style); blocking callers (the CLI, simple scripts) go through one of these two helpers
// instead of a second implementation:
//   * `blocking_runner::run(op)`  drives the operation on a private io_context in the calling thread;
//   * `run_on(executor, op)`      spawns it on an executor that other threads already run, and
//                                 waits for the result.
// An exception escaping the coroutine (a bug: the library reports through result<T>) becomes
// errc::internal rather than crossing into the caller.
#pragma once

#include <zerog/core/result.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <future>
#include <mutex>
#include <optional>

namespace zerog::net {

namespace asio = boost::asio;

namespace detail {
inline zerog::error from_exception(std::exception_ptr ep) {
    try {
        std::rethrow_exception(ep);
    } catch (const std::exception& e) {
        return zerog::error(errc::internal, std::string("unexpected exception in coroutine: ") + e.what());
    } catch (...) {
        return zerog::error(errc::internal, "unexpected non-standard exception in coroutine");
    }
}

// co_spawn's completion for awaitable<T> default-constructs T on exceptions; result<T> has no
// default, so the value travels through this void coroutine instead.
template <class T>
asio::awaitable<void> store_into(std::optional<result<T>>& out, asio::awaitable<result<T>> op) {
    out.emplace(co_await std::move(op));
}
template <class T>
asio::awaitable<void> store_into_promise(std::shared_ptr<std::promise<result<T>>> p, asio::awaitable<result<T>> op) {
    auto r = co_await std::move(op);
    p->set_value(std::move(r));
}
}  // namespace detail

/// Runs coroutines to completion on a private single-threaded io_context, in the calling thread.
/// Thread-safe: concurrent `run` calls are serialised (one io_context, one driver at a time); for
/// parallel requests use the async API. Objects bound to `context()` (e.g. pooled connections)
/// stay valid between runs because nothing is pending on them while idle.
class blocking_runner {
public:
    blocking_runner() = default;
    blocking_runner(const blocking_runner&) = delete;
    blocking_runner& operator=(const blocking_runner&) = delete;

    template <class T>
    result<T> run(asio::awaitable<result<T>> op) {
        std::lock_guard lk(m_);
        std::optional<result<T>> out;
        std::exception_ptr failure_ptr;
        ioc_.restart();
        asio::co_spawn(ioc_, detail::store_into<T>(out, std::move(op)),
                       [&failure_ptr](std::exception_ptr ep) { failure_ptr = ep; });
        ioc_.run();
        if (failure_ptr) return detail::from_exception(failure_ptr);
        if (!out) return zerog::error(errc::internal, "blocking_runner: operation did not complete");
        return std::move(*out);
    }

    asio::io_context& context() noexcept { return ioc_; }

private:
    std::mutex m_;
    asio::io_context ioc_{1};
};

/// Spawn `op` on `ex` (run by other threads) and block until it completes. Must not be called from
/// a thread that runs `ex` (it would wait for itself). Thread-safe.
template <class Executor, class T>
result<T> run_on(const Executor& ex, asio::awaitable<result<T>> op) {
    auto p = std::make_shared<std::promise<result<T>>>();
    auto fut = p->get_future();
    asio::co_spawn(ex, detail::store_into_promise<T>(p, std::move(op)), [p](std::exception_ptr ep) {
        if (ep) p->set_value(result<T>(detail::from_exception(ep)));
    });
    return fut.get();
}

}  // namespace zerog::net
