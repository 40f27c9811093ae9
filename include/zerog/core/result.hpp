// result<T>: a value or a zerog::error. The library's return type for anything that can fail.
//
// Deliberately small (C++23's std::expected is not available in g++ 12): has_value / operator bool,
// value() (throws zerog::exception on error), error(), operator* / ->, and context helpers that add
// a frame to the error when there is one, so call sites read
//     ZEROG_TRY(auto root, compute_root(path));
#pragma once

#include <zerog/core/error.hpp>

#include <type_traits>
#include <utility>
#include <variant>

namespace zerog {

/// Tag to build a failed result: `return fail(errc::invalid_hex, "odd length");`
struct failure {
    zerog::error err;
};
inline failure fail(errc code, std::string detail = {}) { return failure{zerog::error(code, std::move(detail))}; }
inline failure fail(zerog::error e) { return failure{std::move(e)}; }

template <class T>
class [[nodiscard]] result {
    static_assert(!std::is_reference_v<T>, "result<T&> is not supported");

public:
    using value_type = T;

    /// A result that was never given a value is an error (errc::internal, "no result"). This makes
    /// result<T> default-constructible, which Asio needs for `co_spawn(ex, op_async(...), token)`
    /// with any completion token: on an exception co_spawn passes (exception_ptr, result<T>{}), and
    /// the default can never be mistaken for a success.
    result() : v_(std::in_place_index<1>, errc::internal, "no result: the operation did not complete") {}
    result(const T& v) : v_(std::in_place_index<0>, v) {}
    result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}
    template <class U, class = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                !std::is_same_v<std::decay_t<U>, result> &&
                                                !std::is_same_v<std::decay_t<U>, failure> &&
                                                !std::is_same_v<std::decay_t<U>, zerog::error>>>
    result(U&& v) : v_(std::in_place_index<0>, std::forward<U>(v)) {}
    result(failure f) : v_(std::in_place_index<1>, std::move(f.err)) {}
    result(zerog::error e) : v_(std::in_place_index<1>, std::move(e)) {}

    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & { check(); return std::get<0>(v_); }
    const T& value() const& { check(); return std::get<0>(v_); }
    T&& value() && { check(); return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const zerog::error& error() const& { return std::get<1>(v_); }
    zerog::error&& error() && { return std::get<1>(std::move(v_)); }

    /// Add "while `operation`" to the error, if any; the value passes through untouched.
    result&& during(std::string operation) && {
        if (!has_value()) std::get<1>(v_).during(std::move(operation));
        return std::move(*this);
    }

private:
    void check() const {
        if (!has_value()) throw zerog::exception(std::get<1>(v_));
    }
    std::variant<T, zerog::error> v_;
};

template <>
class [[nodiscard]] result<void> {
public:
    using value_type = void;
    /// Success. (With co_spawn, an exception arrives as the exception_ptr beside it.)
    result() = default;
    result(failure f) : err_(std::move(f.err)), failed_(true) {}
    result(zerog::error e) : err_(std::move(e)), failed_(true) {}

    bool has_value() const noexcept { return !failed_; }
    explicit operator bool() const noexcept { return !failed_; }
    void value() const {
        if (failed_) throw zerog::exception(err_);
    }
    const zerog::error& error() const& { return err_; }
    zerog::error&& error() && { return std::move(err_); }
    result&& during(std::string operation) && {
        if (failed_) err_.during(std::move(operation));
        return std::move(*this);
    }

private:
    zerog::error err_;
    bool failed_ = false;
};

}  // namespace zerog

#define ZEROG_CAT_IMPL(a, b) a##b
#define ZEROG_CAT(a, b) ZEROG_CAT_IMPL(a, b)

/// `ZEROG_TRY(auto x, expr);` : evaluate a result<T>; on error return the error from the enclosing
/// function (whose return type must be a result<…>), otherwise bind the value to `x`.
#define ZEROG_TRY(decl, expr)                                                     \
    auto ZEROG_CAT(zerog_try_, __LINE__) = (expr);                                \
    if (!ZEROG_CAT(zerog_try_, __LINE__)) return ::zerog::fail(std::move(ZEROG_CAT(zerog_try_, __LINE__)).error()); \
    decl = std::move(ZEROG_CAT(zerog_try_, __LINE__)).value()

/// `ZEROG_CHECK(expr);` : for result<void> (or any result whose value is not needed).
#define ZEROG_CHECK(expr)                                                         \
    do {                                                                          \
        auto zerog_check_r = (expr);                                              \
        if (!zerog_check_r) return ::zerog::fail(std::move(zerog_check_r).error()); \
    } while (0)
