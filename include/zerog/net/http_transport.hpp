// net::http_transport: the production Transport (policy/transport.hpp) over Boost.Beast HTTP/1.1.
//
//   * keep-alive pool per origin (scheme://host:port) and executor; a connection serves one
//     request at a time, so N concurrent requests to one origin use up to N connections;
//   * TLS with the system trust store, SNI and hostname/IP verification (OpenSSL does the check);
//   * every wait bounded: connect (DNS+TCP+TLS), write and read each by min(phase timeout, request
//     deadline) — a server that accepts and never answers fails at the earlier of the two;
//   * response body limit → errc::response_too_large (the connection is then discarded);
//   * status mapping by net::check_status (5xx retryable, 4xx not); no retries, except the
//     one every HTTP client must do: a *reused* keep-alive connection that turns out to have been
//     closed by the server before it sent a single response byte is replaced once by a fresh one
//     (the server never saw the request, so this cannot duplicate it);
//   * one implementation: the coroutine `send_async`; `send` is the blocking facade over it.
//
// Thread safety: a transport is a cheap handle (copies share pool, TLS context and counters);
// `send_async` may run concurrently from any number of coroutines on any executors. `send` is
// thread-safe; concurrent blocking calls are serialised on the internal io_context. The transport's
// state stays alive until the last copy and the last in-flight request are gone. Pooled
// connections of an io_context are closed when that io_context is destroyed (pool_registry), so
// a transport may outlive the contexts it was used on.
// Secrets: header values are never put into errors; errors carry the redacted origin only.
#pragma once

#include <zerog/net/detail/http_connection.hpp>
#include <zerog/net/sync.hpp>
#include <zerog/net/traced_executor.hpp>
#include <zerog/policy/telemetry.hpp>

#include <array>
#include <type_traits>

#include <sys/socket.h>

namespace zerog::net {

using net::http_request;
using net::http_response;

/// Construction options of an http_transport. Value type.
struct http_transport_options {
    std::size_t max_idle_per_origin = 16;          ///< idle keep-alive connections kept per origin
    std::chrono::milliseconds idle_timeout{30'000};  ///< older idle connections are closed, not reused
    std::uint32_t max_header_bytes = 64 * 1024;     ///< response header limit
    std::string user_agent = "zerog/0.1";
    std::string extra_ca_file;                       ///< PEM trust anchors in addition to the system store
};

/// Beast HTTP/1.1(+TLS) model of net::Transport. See the file comment for semantics.
class http_transport {
public:
    explicit http_transport(http_transport_options o = {}) : s_(std::make_shared<state>(std::move(o))) {
        s_->pool.self = std::shared_ptr<detail::connection_pool>(s_, &s_->pool);
    }

    /// Send `req`, return the status-checked response (net::Transport).
    asio::awaitable<result<http_response>> send_async(http_request req) {
        add_traceparent(req);
        return exchange(s_, std::move(req), nullptr);
    }
    /// Send `req`, feed the body to `on_chunk` as it arrives (SSE, chunked); the returned response
    /// has status and headers only. `read_timeout` bounds the silence between chunks.
    asio::awaitable<result<http_response>> send_streaming_async(http_request req, net::chunk_handler on_chunk) {
        add_traceparent(req);
        return exchange(s_, std::move(req), std::move(on_chunk));
    }

    /// W3C trace context: a request sent while a span is current on this thread (a traced
    /// operation, policy::current_trace_context) carries `traceparent`, unless it has one already.
    /// Read when the request is started, which is inside the network call's span.
    static void add_traceparent(http_request& req) {
        const auto& ctx = policy::current_trace_context();
        if (!ctx.valid() || find_header(req.headers, "traceparent")) return;
        if (auto tp = policy::traceparent_of(ctx)) req.headers.emplace_back("traceparent", std::move(*tp));
    }
    /// Blocking facade: runs `send_async` on the transport's internal io_context.
    result<http_response> send(http_request req) { return s_->runner.run(send_async(std::move(req))); }

    /// Connections opened so far (keep-alive tests, metrics).
    std::size_t connections_opened() const noexcept { return s_->opened.load(); }
    /// Idle connections in the pool right now.
    std::size_t idle_connections() const { return s_->pool.idle_count(); }
    /// Close every idle connection (e.g. after a fork or a network change).
    void close_idle() { s_->pool.clear(); }

private:
    using string_request = detail::http::request<detail::http::string_body>;

    struct state {
        explicit state(http_transport_options o)
            : opts(std::move(o)), pool(opts.max_idle_per_origin, opts.idle_timeout) {}
        // The pool goes first: its sockets may belong to `runner`'s io_context, destroyed next.
        ~state() { pool.clear(); }
        http_transport_options opts;
        detail::connection_pool pool;
        std::atomic<std::size_t> opened{0};
        std::once_flag tls_once;
        std::shared_ptr<detail::ssl::context> tls;
        std::string tls_error;
        blocking_runner runner;
    };

    // What one attempt on one connection produced.
    struct attempt_outcome {
        result<http_response> res = http_response{};
        bool reusable = false;  ///< the connection may go back to the pool
        bool stale = false;     ///< a reused connection died before any response byte: try a fresh one
    };

    static bool closed_early(const detail::beast::error_code& ec) {
        namespace e = detail::asio::error;
        return ec == e::eof || ec == e::connection_reset || ec == e::broken_pipe ||
               ec == detail::http::error::end_of_stream || ec == detail::ssl::error::stream_truncated;
    }

    static http_response to_response(detail::http::response_header<>& h) {
        http_response r;
        r.status = h.result_int();
        r.reason = std::string(h.reason());
        r.headers.reserve(8);
        for (const auto& f : h) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        return r;
    }

    /// Bodies of at least this many bytes (Content-Length) are read by read_body_direct.
    static constexpr std::size_t direct_read_min_bytes = 32 * 1024;
    /// Most bytes a plain socket is asked to gather before it wakes us (SO_RCVLOWAT).
    static constexpr std::size_t wake_batch_bytes = 256 * 1024;

    /// Read exactly `n` bytes into `at`. Each read asks for everything still missing (Beast reads
    /// at most 64 KiB into its buffer and then copies it into the body), and on a plain socket
    /// SO_RCVLOWAT makes the reactor wake us only when min(missing, 256 KiB) bytes have arrived:
    /// a 350 KB segment answer took ~27 reads (half of them EAGAIN after a wake-up for a few KB)
    /// and now takes a handful. The low-water mark never exceeds what is still missing (a larger
    /// one would never be reached) and is set back to 1 before the connection can be reused; a
    /// peer that closes early still wakes us (EOF). TLS streams read records and skip the mark.
    template <class Stream>
    static asio::awaitable<detail::beast::error_code> read_body_direct(Stream& stream, char* at, std::size_t n) {
        constexpr bool plain = std::is_same_v<Stream, detail::tcp::socket>;
        int lowat = 1;
        auto set_lowat = [&](std::size_t want) {
            if constexpr (plain) {
                const int v = static_cast<int>(std::max<std::size_t>(1, want));
                if (::setsockopt(stream.native_handle(), SOL_SOCKET, SO_RCVLOWAT, &v, sizeof v) == 0) lowat = v;
            }
        };
        if (n > wake_batch_bytes / 4) set_lowat(std::min(n, wake_batch_bytes));
        detail::beast::error_code ec;
        while (n > 0) {
            if (static_cast<std::size_t>(lowat) > n) set_lowat(n);
            auto [rec, got] = co_await stream.async_read_some(detail::asio::buffer(at, n), detail::use_tuple);
            if (rec) {
                ec = rec;
                break;
            }
            at += got;
            n -= got;
        }
        if (lowat != 1) set_lowat(1);
        co_return ec;
    }

    // The request/response exchange on an established stream (plain or TLS).
    template <class Stream>
    static asio::awaitable<attempt_outcome> run_attempt(Stream& stream, detail::connection& c, string_request& breq,
                                                        const http_request& req, net::chunk_handler* on_chunk,
                                                        bool reused, std::uint32_t max_header) {
        namespace http = detail::http;
        attempt_outcome out;
        const auto& o = req.options;
        auto& dog = c.watchdog;
        // The watchdog cancels the socket at the limit: operation_aborted then means timeout.
        auto timed = [&dog](detail::beast::error_code ec) {
            return ec && dog.fired() ? detail::beast::error_code(detail::beast::error::timeout) : ec;
        };

        const auto wlim = detail::limit_for(o, o.write_timeout);
        dog.arm(wlim.at);
        auto [wec, wn] = co_await http::async_write(stream, breq, detail::use_tuple);
        if (wec) {
            out.stale = reused && closed_early(wec);
            out.res = detail::map_error(timed(wec), "send request", wlim);
            co_return out;
        }

        auto rlim = detail::limit_for(o, o.read_timeout);
        if (!on_chunk) {
            http::response_parser<http::string_body> p;
            p.header_limit(max_header);
            p.body_limit(o.max_response_bytes);  // Beast checks Content-Length against it with the header
            if (req.method == "HEAD") p.skip(true);
            dog.arm(rlim.at);
            auto [hec, hn] = co_await http::async_read_header(stream, c.buffer, p, detail::use_tuple);
            if (hec) {
                out.stale = reused && !p.got_some() && closed_early(hec);
                out.res = detail::map_error(timed(hec), "read response", rlim);
                co_return out;
            }
            // A large body of known length is read past the parser, straight into its string
            // (read_body_direct); anything else (chunked, close-delimited, small) through Beast.
            std::string direct;
            const auto len = p.content_length();
            const bool go_direct = !p.is_done() && !p.chunked() && len && *len >= direct_read_min_bytes;
            if (go_direct) {
                direct.resize(static_cast<std::size_t>(*len));
                const std::size_t have = std::min(direct.size(), c.buffer.size());
                detail::asio::buffer_copy(detail::asio::buffer(direct.data(), have), c.buffer.data());
                c.buffer.consume(have);
                if (auto rec = co_await read_body_direct(stream, direct.data() + have, direct.size() - have)) {
                    out.res = detail::map_error(timed(rec), "read response", rlim);
                    co_return out;
                }
            } else if (!p.is_done()) {
                auto [rec, rn] = co_await http::async_read(stream, c.buffer, p, detail::use_tuple);
                if (rec) {
                    out.res = detail::map_error(timed(rec), "read response", rlim);
                    co_return out;
                }
            }
            auto msg = p.release();
            http_response r = to_response(msg.base());
            r.body = go_direct ? std::move(direct) : std::move(msg.body());
            out.reusable = msg.keep_alive();
            out.res = net::check_status(std::move(r), req);
            co_return out;
        }

        // Streaming: header first, then the body through a fixed buffer, chunk by chunk.
        http::response_parser<http::buffer_body> p;
        p.header_limit(max_header);
        p.body_limit(o.max_response_bytes);
        dog.arm(rlim.at);
        auto [hec, hn] = co_await http::async_read_header(stream, c.buffer, p, detail::use_tuple);
        if (hec) {
            out.stale = reused && !p.got_some() && closed_early(hec);
            out.res = detail::map_error(timed(hec), "read response header", rlim);
            co_return out;
        }
        http_response head = to_response(p.get().base());
        const bool ok_status = (head.status >= 200 && head.status < 300) || o.accept_any_status;
        std::array<char, 16 * 1024> buf;
        std::string snippet;  // for a non-2xx status: the start of the error body, for the detail
        while (!p.is_done()) {
            p.get().body().data = buf.data();
            p.get().body().size = buf.size();
            rlim = detail::limit_for(o, o.read_timeout);
            dog.arm(rlim.at);
            // read_some: return what has arrived (async_read would wait to fill the buffer).
            auto [bec, bn] = co_await http::async_read_some(stream, c.buffer, p, detail::use_tuple);
            if (bec == http::error::need_buffer) bec = {};
            if (bec) {
                out.res = detail::map_error(timed(bec), "read response body", rlim);
                co_return out;
            }
            const std::size_t got = buf.size() - p.get().body().size;
            if (got == 0) continue;
            if (!ok_status) {
                snippet.append(buf.data(), std::min(got, std::size_t{1024}));
                if (snippet.size() >= 1024) break;  // enough to explain; the connection is dropped
                continue;
            }
            auto r = (*on_chunk)(std::string_view(buf.data(), got));
            if (!r) {
                out.res = std::move(r).error();
                co_return out;
            }
        }
        if (!ok_status) {
            head.body = std::move(snippet);
            out.res = net::check_status(std::move(head), req);
            co_return out;
        }
        out.reusable = p.is_done() && p.get().keep_alive();
        out.res = std::move(head);
        co_return out;
    }

    static asio::awaitable<result<http_response>> exchange(std::shared_ptr<state> s, http_request req,
                                                           net::chunk_handler on_chunk) {
        auto in_context = [&req](zerog::error e) { return std::move(e).during(net::exchange_name(req)).at(req.url); };
        auto parts = parse_url(req.url);
        if (!parts) co_return std::move(parts).error();

        detail::ssl::context* tls_ctx = nullptr;
        if (parts->tls) {
            std::call_once(s->tls_once, [&] {
                try {
                    s->tls = detail::make_tls_context(s->opts.extra_ca_file);
                } catch (const std::exception& e) {
                    s->tls_error = e.what();
                }
            });
            if (!s->tls) co_return in_context(zerog::error(errc::tls_error, "cannot load the TLS trust store: " + s->tls_error));
            tls_ctx = s->tls.get();
        }

        string_request breq;
        breq.method_string(req.method);
        breq.target(parts->target);
        breq.version(11);
        breq.set(detail::http::field::host, parts->host_header());
        breq.set(detail::http::field::user_agent, s->opts.user_agent);
        for (const auto& [k, v] : req.headers) {
            // CR/LF in a header would let a value inject headers or a second request; the
            // transport owns framing headers. The value is never echoed (it may be a secret).
            if (k.find_first_of("\r\n:") != std::string::npos || v.find_first_of("\r\n") != std::string::npos)
                co_return in_context(zerog::error(errc::invalid_argument, "header \"" + net::body_snippet(k, 64) +
                                                                              "\" contains CR, LF or ':'"));
            if (net::iequals(k, "host") || net::iequals(k, "content-length") || net::iequals(k, "transfer-encoding"))
                continue;
            breq.insert(k, v);
        }
        breq.body() = std::move(req.body);
        breq.prepare_payload();

        const std::string origin = parts->origin();
        // Connections are pooled across operations: bound to the plain executor (traced_executor.hpp).
        const asio::any_io_executor ex = net::untraced(co_await asio::this_coro::executor);
        net::chunk_handler* chunk_ptr = on_chunk ? &on_chunk : nullptr;
        for (int attempt = 0;; ++attempt) {
            std::unique_ptr<detail::connection> c = attempt == 0 ? s->pool.take(origin, ex) : nullptr;
            const bool reused = c != nullptr;
            if (!c) {
                auto opened = co_await detail::open_connection(*parts, req.options, ex, tls_ctx);
                if (!opened) co_return in_context(std::move(opened).error());
                c = std::move(opened).value();
                s->opened.fetch_add(1, std::memory_order_relaxed);
            }
            attempt_outcome out;
            if (c->tls) out = co_await run_attempt(*c->tls, *c, breq, req, chunk_ptr, reused, s->opts.max_header_bytes);
            else out = co_await run_attempt(*c->plain, *c, breq, req, chunk_ptr, reused, s->opts.max_header_bytes);
            c->watchdog.disarm();
            if (out.stale && attempt == 0) continue;  // the server had closed the idle connection
            ++c->requests;
            if (out.reusable) {
                s->pool.give_back(std::move(c));
            }
            if (!out.res) {
                auto e = std::move(out.res).error();
                // Errors already in context (status mapping) carry their frame; transport-level
                // errors get theirs here.
                if (e.context().empty()) e = in_context(std::move(e));
                co_return e;
            }
            co_return std::move(out.res);
        }
    }

    std::shared_ptr<state> s_;
};
static_assert(net::Transport<http_transport>);

}  // namespace zerog::net
