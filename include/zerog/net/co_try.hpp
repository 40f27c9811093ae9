// Coroutine variants of ZEROG_TRY / ZEROG_CHECK (core/result.hpp): the same early return, spelled
// `co_return`, for `asio::awaitable<result<T>>` coroutines (a coroutine cannot `return`).
//
//     ZEROG_CO_TRY(auto res, co_await transport.send_async(std::move(req)));
//     ZEROG_CO_CHECK(co_await writer.write(chunk));
//
// GCC 11.2–12 coroutine bug: a braced-init-list inside a co_await full-expression fails to compile
// ("array used as initializer"); build the argument in a named local first.
#pragma once

#include <zerog/core/result.hpp>

/// `ZEROG_CO_TRY(decl, expr);` : evaluate a result<T> (expr may contain co_await); on error
/// `co_return` the error from the enclosing coroutine, otherwise bind the value to `decl`.
#define ZEROG_CO_TRY(decl, expr)                                                                   \
    auto ZEROG_CAT(zerog_co_try_, __LINE__) = (expr);                                              \
    if (!ZEROG_CAT(zerog_co_try_, __LINE__))                                                       \
        co_return ::zerog::fail(std::move(ZEROG_CAT(zerog_co_try_, __LINE__)).error());            \
    decl = std::move(ZEROG_CAT(zerog_co_try_, __LINE__)).value()

/// `ZEROG_CO_CHECK(expr);` : for result<void> (or any result whose value is not needed).
#define ZEROG_CO_CHECK(expr)                                                                       \
    do {                                                                                           \
        auto zerog_co_check_r = (expr);                                                            \
        if (!zerog_co_check_r) co_return ::zerog::fail(std::move(zerog_co_check_r).error());       \
    } while (0)
