// Transport policy family (lives in net/, the layer that implements it, because the concept is
// defined in terms of Asio awaitables): how a client exchanges one HTTP-like request/response with an endpoint.
//
// Concept `Transport`:
//   * `send_async(http_request) -> asio::awaitable<result<http_response>>`
//       sends the request and returns the complete, status-checked response (see `check_status`);
//   * `send_streaming_async(http_request, chunk_handler) -> asio::awaitable<result<http_response>>`
//       same, but the body is handed to `chunk_handler` piece by piece as it arrives (SSE, chunked
//       downloads); the returned response carries status and headers and an empty body.
// Every request carries its own `request_options`: an absolute deadline, per-phase timeouts and a
// response-size limit. A model must honour all of them: no wait of a model may be unbounded.
// Transports never retry (retries are the retry policy's job) and never log header values
// (Authorization lives there).
//
// Models:
//   * null_transport            (this file) zero size; every request fails with errc::not_supported.
//   * net::http_transport       (net/http_transport.hpp) Beast HTTP/1.1 + TLS, keep-alive pool.
//   * testing::mock_transport   (<zerog/testing/mock_transport.hpp>) scripted replies, delays and errors; records requests.
//
// The types below carry no Beast dependency so that code written against the concept (JSON-RPC,
// storage, compute clients) and its unit tests compile without Beast.
#pragma once

#include <zerog/core/clock.hpp>
#include <zerog/core/error_class.hpp>
#include <zerog/core/result.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zerog::net {

namespace asio = boost::asio;
using zerog::steady_time;

/// Header list in wire order. Names compare case-insensitively (`find_header`). Value type.
using http_headers = std::vector<std::pair<std::string, std::string>>;

/// ASCII case-insensitive equality for header names.
inline bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

/// First value of header `name`, or nullopt.
inline std::optional<std::string_view> find_header(const http_headers& h, std::string_view name) noexcept {
    for (const auto& [k, v] : h)
        if (iequals(k, name)) return std::string_view(v);
    return std::nullopt;
}

/// Per-request limits. Every wait of a transport is bounded by min(deadline, now + phase timeout).
/// Value type.
struct request_options {
    /// Absolute end of the whole exchange (connect + TLS + write + read). nullopt: only the phase
    /// timeouts bound the request. Reaching it yields errc::deadline_exceeded (not retryable).
    std::optional<steady_time> deadline;
    std::chrono::milliseconds connect_timeout{10'000};  ///< DNS + TCP connect + TLS handshake
    std::chrono::milliseconds write_timeout{30'000};    ///< sending the request
    /// Receiving the whole response; for streaming: the longest silence between two chunks.
    std::chrono::milliseconds read_timeout{30'000};
    std::size_t max_response_bytes = 32u << 20;         ///< body limit (streaming: total); 32 MiB
    /// false (default): non-2xx statuses become errors (see `check_status`). true: any status is
    /// returned as a response (clients that parse error bodies themselves, e.g. HTTP 402/400 JSON).
    bool accept_any_status = false;
};

/// One HTTP request. `url` is absolute ("http://host:port/path?q"). Value type.
struct http_request {
    std::string method = "POST";
    std::string url;
    http_headers headers;  ///< Host, Content-Length and User-Agent are added by the transport
    std::string body;
    request_options options;
};

/// One HTTP response. Value type.
struct http_response {
    unsigned status = 0;
    std::string reason;
    http_headers headers;
    std::string body;

    std::optional<std::string_view> header(std::string_view name) const noexcept { return find_header(headers, name); }
};

/// Receives a streamed body piece by piece. Returning an error aborts the exchange (the connection
/// is closed, the error is returned from `send_streaming_async`).
using chunk_handler = std::function<result<void>(std::string_view chunk)>;

template <class T>
concept Transport = requires(T& t, http_request req, chunk_handler on_chunk) {
    { t.send_async(std::move(req)) } -> std::same_as<asio::awaitable<result<http_response>>>;
    { t.send_streaming_async(std::move(req), std::move(on_chunk)) } -> std::same_as<asio::awaitable<result<http_response>>>;
};

/// "HTTP POST": the operation name every transport uses for its context frame.
inline std::string exchange_name(const http_request& r) { return "HTTP " + r.method; }

/// At most `max` bytes of `body`, non-printable bytes replaced by '.', for error details. Bodies of
/// error pages are the server's words, not ours; they never contain our headers.
inline std::string body_snippet(std::string_view body, std::size_t max = 160) {
    std::string out;
    const std::size_t n = std::min(body.size(), max);
    out.reserve(n + 3);
    for (std::size_t i = 0; i < n; ++i) {
        const char c = body[i];
        out.push_back(c >= 0x20 && c < 0x7f ? c : '.');
    }
    if (body.size() > max) out += "...";
    return out;
}

/// The one status mapping of all transports: 2xx passes; 5xx → errc::server_error (retryable);
/// 429 → errc::server_busy (back-pressure, retryable); any other → errc::http_status (our request
/// is wrong: not retryable). The status is in the detail and as id "http_status" on the frame.
inline result<http_response> check_status(http_response&& res, const http_request& req) {
    if ((res.status >= 200 && res.status < 300) || req.options.accept_any_status) return std::move(res);
    const errc code = errc_for_http_status(res.status);
    std::string detail = "HTTP " + std::to_string(res.status);
    if (!res.reason.empty()) detail += " " + res.reason;
    if (!res.body.empty()) detail += "; body: " + body_snippet(res.body);
    return fail(zerog::error(code, std::move(detail))
                    .during(exchange_name(req))
                    .at(req.url)
                    .with("http_status", std::to_string(res.status)));
}

/// No transport configured. Zero size; every request fails with errc::not_supported. Thread-safe.
struct null_transport {
    asio::awaitable<result<http_response>> send_async(http_request req) {
        co_return fail(zerog::error(errc::not_supported, "no transport configured").during(exchange_name(req)).at(req.url));
    }
    asio::awaitable<result<http_response>> send_streaming_async(http_request req, chunk_handler) {
        co_return fail(zerog::error(errc::not_supported, "no transport configured").during(exchange_name(req)).at(req.url));
    }
};
static_assert(Transport<null_transport>);


}  // namespace zerog::net
