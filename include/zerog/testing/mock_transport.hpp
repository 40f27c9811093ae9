// Test double for the Transport policy family (unit tests only; no production header includes it).
// Moved out of the family's header so that production code never carries mock code.
#pragma once

#include <zerog/net/transport.hpp>

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

namespace zerog::testing {

using namespace zerog::net;  // written against the Transport vocabulary

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

    asio::awaitable<result<http_response>> send_async(http_request req) {
        co_return co_await exchange(std::move(req), nullptr);
    }
    asio::awaitable<result<http_response>> send_streaming_async(http_request req, chunk_handler on_chunk) {
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

}  // namespace zerog::testing
