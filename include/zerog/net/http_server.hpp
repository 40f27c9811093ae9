// net::http_server: a small coroutine HTTP/1.1 server for tests and the devnet emulators (storage
// node, indexer, compute provider).
//
//   * binds 127.0.0.1 by default; port 0 picks an ephemeral port (`port()`, `url()`);
//   * one handler for all requests: `server_response(server_request)` or
//     `asio::awaitable<server_response>(server_request)` (async handlers may wait, e.g. to emulate
//     a slow or hung server);
//   * keep-alive, request header/body limits (431/413), idle timeout, connection cap;
//   * streamed responses (chunked transfer encoding) for SSE: set `server_response::stream`;
//   * `stop()` closes the listener and every connection and cancels running handlers, so tests
//     never leave anything behind.
//
// Thread safety: the server runs on the executor given to `start` (any io_context, single- or
// multi-threaded: the acceptor and each connection have their own strand). `stop()`, the counters
// and the destructor may be called from any thread. The handler may be called concurrently for
// different connections when the executor is multi-threaded.
#pragma once

#include <zerog/net/detail/http_connection.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <functional>
#include <thread>
#include <type_traits>

namespace zerog::net {

/// A request as the handler sees it. Value type.
struct server_request {
    std::string method;
    std::string target;  ///< path + query, as sent
    net::http_headers headers;
    std::string body;
    std::uint64_t connection_id = 0;  ///< which keep-alive connection carried it (1, 2, ...)

    std::optional<std::string_view> header(std::string_view name) const noexcept {
        return net::find_header(headers, name);
    }
};

/// Writes the body of a streamed response, one HTTP chunk per call. Bound to one connection; use
/// only inside the `stream` callback that received it.
class stream_writer {
public:
    /// Send `data` as one chunk. false: the client is gone or the write timed out (stop producing).
    asio::awaitable<bool> write(std::string_view data) {
        if (data.empty() || failed_) co_return !failed_;
        dog_.arm(std::chrono::steady_clock::now() + write_timeout_);
        auto [ec, n] = co_await asio::async_write(sock_, detail::http::make_chunk(asio::buffer(data.data(), data.size())),
                                                  detail::use_tuple);
        failed_ = static_cast<bool>(ec);
        co_return !failed_;
    }
    /// One Server-Sent Event: optional "event:" line, the data split into "data:" lines, blank line.
    asio::awaitable<bool> event(std::string_view data, std::string_view event_name = {}) {
        std::string frame;
        frame.reserve(data.size() + event_name.size() + 16);
        if (!event_name.empty()) frame.append("event: ").append(event_name).append("\n");
        std::size_t pos = 0;
        do {
            const auto nl = data.find('\n', pos);
            frame.append("data: ").append(data.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos)).append("\n");
            pos = nl == std::string_view::npos ? data.size() + 1 : nl + 1;
        } while (pos <= data.size());
        frame.append("\n");
        co_return co_await write(frame);
    }
    bool failed() const noexcept { return failed_; }

private:
    friend class http_server;
    stream_writer(detail::tcp::socket& s, detail::io_watchdog& d, std::chrono::milliseconds wt) : sock_(s), dog_(d), write_timeout_(wt) {}
    detail::tcp::socket& sock_;
    detail::io_watchdog& dog_;
    std::chrono::milliseconds write_timeout_;
    bool failed_ = false;
};

/// The handler's answer. Value type.
struct server_response {
    unsigned status = 200;
    net::http_headers headers;  ///< Content-Type defaults to application/json
    std::string body;
    /// When set, the body is produced by this coroutine in chunks (`body` is ignored).
    std::function<asio::awaitable<void>(stream_writer&)> stream;
    bool close = false;  ///< close the connection after this response

    static server_response json(std::string body, unsigned status = 200) {
        server_response r;
        r.status = status;
        r.body = std::move(body);
        return r;
    }
    static server_response text(std::string body, unsigned status = 200) {
        server_response r = json(std::move(body), status);
        r.headers.emplace_back("Content-Type", "text/plain");
        return r;
    }
    static server_response sse(std::function<asio::awaitable<void>(stream_writer&)> producer) {
        server_response r;
        r.headers.emplace_back("Content-Type", "text/event-stream");
        r.headers.emplace_back("Cache-Control", "no-cache");
        r.stream = std::move(producer);
        return r;
    }
};

/// Limits of an http_server. Value type.
struct server_options {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;                        ///< 0: ephemeral
    std::uint32_t max_header_bytes = 16 * 1024;    ///< larger: 431 and close
    std::size_t max_body_bytes = 64u << 20;        ///< larger: 413 and close
    std::chrono::milliseconds idle_timeout{30'000};  ///< keep-alive idle / request read limit
    std::chrono::milliseconds write_timeout{30'000};
    std::size_t max_connections = 512;             ///< further connections are closed at once
};

/// The coroutine HTTP/1.1 server (see the file comment). A movable handle; destruction stops it.
class http_server {
public:
    using handler_type = std::function<asio::awaitable<server_response>(server_request)>;

    /// Bind, listen and start accepting on `ex`. `handler` is sync (returns server_response) or
    /// async (returns asio::awaitable<server_response>).
    template <class Handler>
    static result<http_server> start(asio::any_io_executor ex, Handler handler, server_options opts = {}) {
        auto st = std::make_shared<state>(ex, to_async(std::move(handler)), std::move(opts));
        beast::error_code ec;
        const auto addr = asio::ip::make_address(st->opts.address, ec);
        const tcp::endpoint ep(addr, st->opts.port);
        if (!ec) st->acceptor.open(ep.protocol(), ec);
        if (!ec) st->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec) st->acceptor.bind(ep, ec);
        if (!ec) st->acceptor.listen(asio::socket_base::max_listen_connections, ec);
        if (ec)
            return fail(zerog::error(errc::io_error, "cannot listen on " + st->opts.address + ":" +
                                                         std::to_string(st->opts.port) + ": " + ec.message())
                            .during("starting HTTP server"));
        st->port = st->acceptor.local_endpoint().port();
        asio::co_spawn(st->accept_strand, accept_loop(st), asio::detached);
        return http_server(std::move(st));
    }

    http_server(http_server&&) noexcept = default;
    http_server& operator=(http_server&& o) noexcept {
        if (this != &o) {
            stop();
            s_ = std::move(o.s_);
        }
        return *this;
    }
    ~http_server() { stop(); }

    std::uint16_t port() const noexcept { return s_->port; }
    /// "http://127.0.0.1:<port>"
    std::string url() const { return "http://" + s_->opts.address + ":" + std::to_string(s_->port); }
    std::size_t connections_accepted() const noexcept { return s_->accepted.load(); }
    std::size_t requests_served() const noexcept { return s_->served.load(); }
    std::size_t open_connections() const {
        std::lock_guard lk(s_->m);
        return s_->sessions.size();
    }

    /// Stop accepting, close every connection, cancel running handlers. Idempotent; any thread.
    /// Takes effect when the executor next runs (immediately if it is running).
    void stop() {
        if (!s_ || s_->stopping.exchange(true)) return;
        asio::post(s_->accept_strand, [st = s_] {
            beast::error_code ec;
            st->acceptor.close(ec);
        });
        std::lock_guard lk(s_->m);
        for (auto& [id, w] : s_->sessions)
            if (auto ss = w.lock()) asio::post(ss->strand, [ss] { ss->shut(); });
    }

private:
    using tcp = detail::tcp;
    using strand_t = asio::strand<asio::any_io_executor>;

    // A plain socket bounded by an io_watchdog (detail/http_connection.hpp): beast::tcp_stream's
    // per-operation timer costs a system call per read and write.
    struct session {
        explicit session(tcp::socket&& s, strand_t st) : strand(st), sock(std::move(s)), dog(st, sock) {}
        strand_t strand;
        tcp::socket sock;
        detail::io_watchdog dog;
        asio::cancellation_signal cancel;
        void shut() {
            cancel.emit(asio::cancellation_type::terminal);
            beast::error_code ec;
            sock.close(ec);
        }
        void arm(std::chrono::milliseconds t) { dog.arm(std::chrono::steady_clock::now() + t); }
    };

    struct state {
        state(asio::any_io_executor e, handler_type h, server_options o)
            : ex(e), accept_strand(asio::make_strand(e)), acceptor(accept_strand), handler(std::move(h)), opts(std::move(o)) {}
        asio::any_io_executor ex;
        strand_t accept_strand;
        tcp::acceptor acceptor;
        handler_type handler;
        server_options opts;
        std::uint16_t port = 0;
        std::atomic<bool> stopping{false};
        std::atomic<std::size_t> accepted{0}, served{0};
        mutable std::mutex m;
        std::map<std::uint64_t, std::weak_ptr<session>> sessions;
    };

    explicit http_server(std::shared_ptr<state> s) : s_(std::move(s)) {}

    // Named, not `{}`: GCC 12 rejects braced-init-lists inside co_await expressions.
    static const net::http_headers& no_headers() {
        static const net::http_headers none;
        return none;
    }

    template <class Handler>
    static handler_type to_async(Handler h) {
        if constexpr (std::is_invocable_r_v<asio::awaitable<server_response>, Handler&, server_request>) {
            return handler_type(std::move(h));
        } else {
            static_assert(std::is_invocable_r_v<server_response, Handler&, server_request>,
                          "handler must return server_response or asio::awaitable<server_response>");
            auto shared = std::make_shared<Handler>(std::move(h));
            return [shared](server_request r) -> asio::awaitable<server_response> { co_return (*shared)(std::move(r)); };
        }
    }

    static asio::awaitable<void> accept_loop(std::shared_ptr<state> st) {
        for (std::uint64_t next_id = 1;; ++next_id) {
            auto conn_strand = asio::make_strand(st->ex);
            auto [ec, sock] = co_await st->acceptor.async_accept(conn_strand, detail::use_tuple);
            if (ec || st->stopping) co_return;  // closed by stop() (or a fatal listener error)
            st->accepted.fetch_add(1);
            auto ss = std::make_shared<session>(std::move(sock), conn_strand);
            {
                std::lock_guard lk(st->m);
                if (st->sessions.size() >= st->opts.max_connections) continue;  // ss dies: closed
                st->sessions.emplace(next_id, ss);
            }
            beast::error_code opt_ec;
            ss->sock.set_option(tcp::no_delay(true), opt_ec);
            asio::co_spawn(conn_strand, run_session(st, ss, next_id),
                           asio::bind_cancellation_slot(ss->cancel.slot(), asio::detached));
        }
    }

    static asio::awaitable<void> run_session(std::shared_ptr<state> st, std::shared_ptr<session> ss, std::uint64_t id) {
        try {
            co_await serve(*st, *ss, id);
        } catch (...) {
            // handler cancelled by stop() or a bug in a handler: the connection just closes
        }
        beast::error_code ec;
        ss->sock.shutdown(tcp::socket::shutdown_both, ec);
        ss->sock.close(ec);
        std::lock_guard lk(st->m);
        st->sessions.erase(id);
    }

    static asio::awaitable<bool> write_simple(state& st, session& ss, unsigned status, std::string body, bool keep_alive,
                                              const net::http_headers& headers) {
        namespace http = detail::http;
        http::response<http::string_body> res;
        res.result(status);
        res.version(11);
        res.set(http::field::server, "zerog-test-server");
        bool has_type = false;
        for (const auto& [k, v] : headers) {
            has_type = has_type || net::iequals(k, "content-type");
            res.insert(k, v);
        }
        if (!has_type) res.set(http::field::content_type, "application/json");
        res.body() = std::move(body);
        res.keep_alive(keep_alive);
        res.prepare_payload();
        ss.arm(st.opts.write_timeout);
        auto [ec, n] = co_await http::async_write(ss.sock, res, detail::use_tuple);
        co_return !ec;
    }

    static asio::awaitable<void> serve(state& st, session& ss, std::uint64_t id) {
        namespace http = detail::http;
        // Reserved once: Beast reads into the free capacity (at least 512 bytes), and a buffer the
        // parser keeps consuming never grows by itself (a 350 KB upload would take ~700 reads).
        detail::beast::flat_buffer buffer;
        buffer.reserve(64 * 1024);
        for (;;) {
            http::request_parser<http::string_body> p;
            p.header_limit(st.opts.max_header_bytes);
            p.body_limit(st.opts.max_body_bytes);
            ss.arm(st.opts.idle_timeout);
            auto [ec, n] = co_await http::async_read(ss.sock, buffer, p, detail::use_tuple);
            if (ec == http::error::body_limit) {
                co_await write_simple(st, ss, 413, R"({"error":"request body too large"})", false, no_headers());
                co_return;
            }
            if (ec == http::error::header_limit) {
                co_await write_simple(st, ss, 431, R"({"error":"request header too large"})", false, no_headers());
                co_return;
            }
            if (ec && ec.category() == detail::beast::error_code(http::error::bad_version).category() &&
                ec != http::error::end_of_stream && ec != http::error::partial_message) {
                co_await write_simple(st, ss, 400, R"({"error":"malformed request"})", false, no_headers());
                co_return;
            }
            if (ec) co_return;  // peer closed, idle timeout, stop()

            auto msg = p.release();
            server_request req;
            req.method = std::string(msg.method_string());
            req.target = std::string(msg.target());
            for (const auto& f : msg) req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
            req.body = std::move(msg.body());
            req.connection_id = id;
            const bool client_keep_alive = msg.keep_alive();

            server_response res = co_await st.handler(std::move(req));
            st.served.fetch_add(1);
            const bool keep_alive = client_keep_alive && !res.close && !st.stopping;

            if (!res.stream) {
                if (!co_await write_simple(st, ss, res.status, std::move(res.body), keep_alive, res.headers)) co_return;
            } else {
                http::response<http::empty_body> head;
                head.result(res.status);
                head.version(11);
                head.set(http::field::server, "zerog-test-server");
                for (const auto& [k, v] : res.headers) head.insert(k, v);
                head.keep_alive(keep_alive);
                head.chunked(true);
                http::response_serializer<http::empty_body> sr(head);
                ss.arm(st.opts.write_timeout);
                auto [hec, hn] = co_await http::async_write_header(ss.sock, sr, detail::use_tuple);
                if (hec) co_return;
                stream_writer w(ss.sock, ss.dog, st.opts.write_timeout);
                co_await res.stream(w);
                if (w.failed()) co_return;
                ss.arm(st.opts.write_timeout);
                auto [lec, ln] = co_await asio::async_write(ss.sock, http::make_chunk_last(), detail::use_tuple);
                if (lec) co_return;
            }
            if (!keep_alive) co_return;
        }
    }

    std::shared_ptr<state> s_;
};

/// An io_context driven by one background thread: hosts servers (tests, emulators) next to a
/// client on another context. The destructor stops the context and joins. Not copyable.
class io_thread {
public:
    io_thread() : guard_(asio::make_work_guard(ioc_)), thread_([this] { ioc_.run(); }) {}
    io_thread(const io_thread&) = delete;
    io_thread& operator=(const io_thread&) = delete;
    ~io_thread() {
        guard_.reset();
        ioc_.stop();
        thread_.join();
    }
    asio::any_io_executor executor() { return ioc_.get_executor(); }

private:
    asio::io_context ioc_{1};
    asio::executor_work_guard<asio::io_context::executor_type> guard_;
    std::thread thread_;
};

}  // namespace zerog::net
