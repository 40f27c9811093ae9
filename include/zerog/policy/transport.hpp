// Transport policy: how a client exchanges one HTTP-like request/response with an endpoint.
//
// Concept `Transport`:
//   * `async_send(http_request) -> asio::awaitable<result<http_response>>`
//       sends the request and returns the complete, status-checked response (see `check_status`);
//   * `async_send_streaming(http_request, chunk_handler) -> asio::awaitable<result<http_response>>`
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
//   * testing::mock_transport   (this file) scripted replies, delays and errors; records requests.
//
// The types below carry no Beast dependency so that code written against the concept (JSON-RPC,
// storage, compute clients) and its unit tests compile without Beast.
#pragma once

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

namespace zerog::policy {

namespace asio = boost::asio;
using steady_time = std::chrono::steady_clock::time_point;

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
/// is closed, the error is returned from `async_send_streaming`).
using chunk_handler = std::function<result<void>(std::string_view chunk)>;

template <class T>
concept Transport = requires(T& t, http_request req, chunk_handler on_chunk) {
    { t.async_send(std::move(req)) } -> std::same_as<asio::awaitable<result<http_response>>>;
    { t.async_send_streaming(std::move(req), std::move(on_chunk)) } -> std::same_as<asio::awaitable<result<http_response>>>;
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
    const errc code = res.status >= 500 && res.status < 600 ? errc::server_error
                      : res.status == 429                   ? errc::server_busy
                                                            : errc::http_status;
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
    asio::awaitable<result<http_response>> async_send(http_request req) {
        co_return fail(zerog::error(errc::not_supported, "no transport configured").during(exchange_name(req)).at(req.url));
    }
    asio::awaitable<result<http_response>> async_send_streaming(http_request req, chunk_handler) {
        co_return fail(zerog::error(errc::not_supported, "no transport configured").during(exchange_name(req)).at(req.url));
    }
};
static_assert(Transport<null_transport>);

namespace testing {

/// One scripted outcome of the mock: a response or an error, optionally after a delay.
struct scripted_reply {
    result<http_response> outcome = http_response{};
    std::chrono::nanoseconds delay{0};  ///< simulated server latency (bounded by the request's limits)
    std::vector<std::string> chunks;    ///< streaming: the body in these pieces (default: one piece)

    static scripted_reply response(unsigned status, std::string body, http_headers headers = {}) {
        http_response r;
        r.status = status;
        r.body = std::move(body);
        r.headers = std::move(headers);
        return scripted_reply{std::move(r), {}, {}};
    }
    static scripted_reply json(std::string body) {
        http_headers h;
        h.emplace_back("Content-Type", "application/json");
        return response(200, std::move(body), std::move(h));
    }
    static scripted_reply failure(zerog::error e) { return scripted_reply{std::move(e), {}, {}}; }
    scripted_reply&& after(std::chrono::nanoseconds d) && {
        delay = d;
        return std::move(*this);
    }
};

/// Scripted Transport for unit tests. A request is answered by, in this order: the queue for its
/// exact URL (`on_url`), the global sequence (`push`), the `handler`, else errc::not_found.
/// Like the real transport it applies delays against the request's deadline/read timeout, the
/// response-size limit and `check_status`. Copies share script and record (a client can hold a
/// copy while the test inspects the original). Thread-safe.
class mock_transport {
public:
    using handler_fn = std::function<scripted_reply(const http_request&)>;

    mock_transport() : s_(std::make_shared<state>()) {}

    mock_transport& push(scripted_reply r) {
        std::lock_guard lk(s_->m);
        s_->sequence.push_back(std::move(r));
        return *this;
    }
    mock_transport& push_json(std::string body) { return push(scripted_reply::json(std::move(body))); }
    mock_transport& push_error(zerog::error e) { return push(scripted_reply::failure(std::move(e))); }
    mock_transport& on_url(std::string url, scripted_reply r) {
        std::lock_guard lk(s_->m);
        s_->by_url[std::move(url)].push_back(std::move(r));
        return *this;
    }
    /// Fallback for requests the queues do not answer (e.g. echo the JSON-RPC id).
    mock_transport& set_handler(handler_fn f) {
        std::lock_guard lk(s_->m);
        s_->handler = std::move(f);
        return *this;
    }

    /// Every request received so far, in order (a copy).
    std::vector<http_request> requests() const {
        std::lock_guard lk(s_->m);
        return s_->requests;
    }
    std::size_t request_count() const {
        std::lock_guard lk(s_->m);
        return s_->requests.size();
    }
    /// Scripted replies not yet consumed (sequence + per-URL queues).
    std::size_t pending() const {
        std::lock_guard lk(s_->m);
        std::size_t n = s_->sequence.size();
        for (const auto& [u, q] : s_->by_url) n += q.size();
        return n;
    }

    asio::awaitable<result<http_response>> async_send(http_request req) {
        co_return co_await exchange(std::move(req), nullptr);
    }
    asio::awaitable<result<http_response>> async_send_streaming(http_request req, chunk_handler on_chunk) {
        co_return co_await exchange(std::move(req), std::move(on_chunk));
    }

private:
    struct state {
        mutable std::mutex m;
        std::deque<scripted_reply> sequence;
        std::map<std::string, std::deque<scripted_reply>> by_url;
        handler_fn handler;
        std::vector<http_request> requests;
    };

    std::optional<scripted_reply> next(const http_request& req) {
        handler_fn h;
        {
            std::lock_guard lk(s_->m);
            s_->requests.push_back(req);
            if (auto it = s_->by_url.find(req.url); it != s_->by_url.end() && !it->second.empty()) {
                auto r = std::move(it->second.front());
                it->second.pop_front();
                return r;
            }
            if (!s_->sequence.empty()) {
                auto r = std::move(s_->sequence.front());
                s_->sequence.pop_front();
                return r;
            }
            h = s_->handler;
        }
        if (h) return h(req);  // outside the lock: a handler may inspect the mock
        return std::nullopt;
    }

    asio::awaitable<result<http_response>> exchange(http_request req, chunk_handler on_chunk) {
        auto fail_here = [&req](errc c, std::string d) {
            return fail(zerog::error(c, std::move(d)).during(exchange_name(req)).at(req.url));
        };
        std::optional<scripted_reply> reply = next(req);
        if (!reply) co_return fail_here(errc::not_found, "mock_transport: no scripted reply for this request");

        if (reply->delay.count() > 0) {
            // The simulated latency meets the same bounds a real server would: the read timeout
            // and the absolute deadline, whichever comes first.
            const auto now = std::chrono::steady_clock::now();
            auto wake = now + reply->delay;
            auto limit = now + req.options.read_timeout;
            errc limit_code = errc::timeout;
            if (req.options.deadline && *req.options.deadline < limit) {
                limit = *req.options.deadline;
                limit_code = errc::deadline_exceeded;
            }
            asio::steady_timer timer(co_await asio::this_coro::executor);
            timer.expires_at(std::min(wake, limit));
            auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
            if (ec) co_return fail_here(errc::cancelled, "mock_transport: wait cancelled");
            if (limit < wake) co_return fail_here(limit_code, "mock_transport: no response within the request's limit");
        }
        if (!reply->outcome) co_return fail(std::move(reply->outcome).error());

        http_response res = std::move(reply->outcome).value();
        if (res.status == 0) res.status = 200;
        if (res.body.size() > req.options.max_response_bytes)
            co_return fail_here(errc::response_too_large, "response body of " + std::to_string(res.body.size()) +
                                                              " bytes exceeds the limit of " +
                                                              std::to_string(req.options.max_response_bytes));
        auto checked = check_status(std::move(res), req);
        if (!checked || !on_chunk) co_return std::move(checked);

        http_response head = std::move(checked).value();
        std::vector<std::string> pieces = std::move(reply->chunks);
        if (pieces.empty() && !head.body.empty()) pieces.push_back(std::move(head.body));
        head.body.clear();
        for (const auto& p : pieces) {
            auto r = on_chunk(p);
            if (!r) co_return fail(std::move(r).error().during(exchange_name(req)).at(req.url));
        }
        co_return head;
    }

    std::shared_ptr<state> s_;
};
static_assert(Transport<mock_transport>);

}  // namespace testing

}  // namespace zerog::policy
