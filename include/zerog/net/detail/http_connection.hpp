// Internals of net::http_transport: phase limits, error mapping, one pooled connection, the pool,
// and the bounded connect (DNS + TCP + TLS). Users must not depend on anything in here.
#pragma once

#include <zerog/core/url.hpp>
#include <zerog/net/transport.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace zerog::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
}  // namespace zerog::net

namespace zerog::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using zerog::steady_time;
inline constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

/// The expiry of one phase: now + its timeout, or the request deadline when that comes first.
struct phase_limit {
    steady_time at;
    bool is_deadline = false;  ///< the request deadline (not the phase timeout) is the binding limit
    std::chrono::milliseconds timeout{};
};
inline phase_limit limit_for(const net::request_options& o, std::chrono::milliseconds timeout) {
    const auto t = std::chrono::steady_clock::now() + timeout;
    if (o.deadline && *o.deadline <= t) return {*o.deadline, true, timeout};
    return {t, false, timeout};
}

/// Map an Asio/Beast/OpenSSL error of `phase` ("connect", "TLS handshake", "read response"...) to
/// zerog's codes. The detail says which phase and why; the caller adds operation and endpoint.
inline zerog::error map_error(const beast::error_code& ec, std::string_view phase, const phase_limit& lim) {
    const std::string what = std::string(phase);
    if (ec == beast::error::timeout) {
        if (lim.is_deadline) return zerog::error(errc::deadline_exceeded, "request deadline reached during " + what);
        return zerog::error(errc::timeout, what + " timed out after " + std::to_string(lim.timeout.count()) + " ms");
    }
    if (ec == asio::error::operation_aborted) return zerog::error(errc::cancelled, what + " cancelled");
    if (ec == http::error::body_limit || ec == http::error::buffer_overflow)
        return zerog::error(errc::response_too_large, what + ": response body exceeds the configured limit");
    if (ec == http::error::header_limit) return zerog::error(errc::response_too_large, what + ": response header exceeds the limit");
    if (ec == http::error::end_of_stream || ec == http::error::partial_message)
        return zerog::error(errc::connection_closed, what + ": connection closed by peer (" + ec.message() + ")");
    if (ec.category() == beast::error_code(http::error::bad_version).category())
        return zerog::error(errc::malformed_response, what + ": invalid HTTP response (" + ec.message() + ")");
    if (ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
        ec == ssl::error::stream_truncated)
        return zerog::error(errc::connection_closed, what + ": connection closed by peer (" + ec.message() + ")");
    if (ec == asio::error::connection_refused || ec == asio::error::host_unreachable ||
        ec == asio::error::network_unreachable || ec == asio::error::host_not_found ||
        ec == asio::error::host_not_found_try_again || ec == asio::error::no_data || ec == asio::error::timed_out)
        return zerog::error(errc::connection_failed, what + " failed: " + ec.message());
    if (ec.category() == asio::error::get_ssl_category() || ec.category() == ssl::error::get_stream_category())
        return zerog::error(errc::tls_error, what + " failed: " + ec.message());
    return zerog::error(errc::io_error, what + " failed: " + ec.message());
}

/// Bounds the I/O of one socket by an absolute time limit without touching a timer per operation.
///
/// Why not beast::tcp_stream's expiry: it re-arms a steady_timer for every read and write, and a
/// timer that becomes the reactor's earliest costs a timerfd_settime system call — two per
/// JSON-RPC round trip, about 10 % of a loopback call (docs/benchmarks.md). Here the timer is armed
/// lazily: `arm(limit)` only records the limit, and touches the timer only when the limit is
/// EARLIER than the time the timer is already set for. When the timer fires it compares the
/// recorded limit with the clock: passed → the socket's pending operations are cancelled and
/// `fired()` turns true (callers map that to a timeout); not yet → the timer is set again for the
/// recorded limit. The phases of one exchange (write, read, each streamed chunk) move the limit
/// forward, so an exchange sets the timer at most once, and back-to-back exchanges share one
/// setting; `disarm()` cancels it once the connection is really idle.
///
/// Thread safety: arm/disarm/fired are called by the connection's single user; the timer handler
/// runs on the socket's executor; detach() (from the destructor) may run on any thread. All state
/// is behind one mutex and lives in a shared block kept alive by a pending handler.
class io_watchdog {
public:
    io_watchdog(asio::any_io_executor ex, tcp::socket& sock) : s_(std::make_shared<shared>(std::move(ex), &sock)) {}
    io_watchdog(const io_watchdog&) = delete;
    io_watchdog& operator=(const io_watchdog&) = delete;
    ~io_watchdog() {
        std::lock_guard lk(s_->m);
        s_->sock = nullptr;
        s_->limit = steady_time::max();
        s_->timer.cancel();
    }

    /// Operations started from now on end (cancelled) once `limit` has passed.
    void arm(steady_time limit) {
        std::lock_guard lk(s_->m);
        s_->fired = false;
        s_->limit = limit;
        if (limit < s_->armed_for) {
            s_->armed_for = limit;
            s_->timer.expires_at(limit);  // cancels a pending wait: its handler sees the new time
            s_->timer.async_wait(handler{s_});
        }
    }
    /// Nothing in flight: the exchange ended and the connection goes idle. Nothing may stay
    /// pending on an idle connection (an io_context's run() must return when the user's work is
    /// done, not when an idle connection's timer would have fired), so the timer is cancelled —
    /// but from a posted check rather than here: a caller that starts its next exchange at once
    /// (the common case under load) re-arms before the check runs, and the timer is never touched.
    /// Cancelling costs no system call; setting the timer again would.
    void disarm() {
        std::lock_guard lk(s_->m);
        s_->limit = steady_time::max();
        ++s_->idle_generation;
        if (s_->armed_for != steady_time::max()) asio::post(s_->timer.get_executor(), idle_check{s_, s_->idle_generation});
    }
    /// The limit passed while armed and the socket's operations were cancelled.
    bool fired() const {
        std::lock_guard lk(s_->m);
        return s_->fired;
    }

private:
    struct shared {
        shared(asio::any_io_executor ex, tcp::socket* s) : timer(std::move(ex)), sock(s) {}
        std::mutex m;
        asio::steady_timer timer;
        tcp::socket* sock;
        steady_time limit = steady_time::max();      ///< of the operation in flight; max = none
        steady_time armed_for = steady_time::max();  ///< when the timer is set to fire; max = not set
        std::uint64_t idle_generation = 0;           ///< bumped by every disarm()
        bool fired = false;
    };
    struct idle_check {
        std::shared_ptr<shared> s;
        std::uint64_t generation;
        void operator()() const {
            std::lock_guard lk(s->m);
            // Still the same idle period (no exchange since), and the timer still set: cancel it.
            if (!s->sock || s->idle_generation != generation || s->limit != steady_time::max() ||
                s->armed_for == steady_time::max())
                return;
            s->armed_for = steady_time::max();
            s->timer.cancel();
        }
    };
    struct handler {
        std::shared_ptr<shared> s;
        void operator()(const beast::error_code& ec) const {
            std::lock_guard lk(s->m);
            if (ec == asio::error::operation_aborted || !s->sock) return;  // re-set (a newer wait runs) or detached
            const auto now = std::chrono::steady_clock::now();
            if (s->limit <= now) {
                s->armed_for = steady_time::max();
                s->fired = true;
                s->limit = steady_time::max();
                beast::error_code ignored;
                s->sock->cancel(ignored);
            } else if (s->limit != steady_time::max()) {
                s->armed_for = s->limit;
                s->timer.expires_at(s->limit);
                s->timer.async_wait(handler{s});
            } else {
                s->armed_for = steady_time::max();  // idle: the next arm() sets the timer again
            }
        }
    };
    std::shared_ptr<shared> s_;
};

/// One keep-alive connection (plain or TLS) bound to the executor that created it. Not
/// thread-safe: owned by exactly one request at a time (the pool hands it out exclusively).
/// Plain sockets rather than beast::tcp_stream: time limits come from `watchdog` (see above).
struct connection {
    connection(asio::any_io_executor ex, ssl::context* tls_ctx)
        : executor(ex), context(&asio::query(ex, asio::execution::context)),
          plain(tls_ctx ? std::nullopt : std::optional<tcp::socket>(std::in_place, ex)),
          tls(tls_ctx ? std::optional<beast::ssl_stream<tcp::socket>>(std::in_place, ex, *tls_ctx) : std::nullopt),
          watchdog(ex, lowest()) {
        // Beast reads into the free capacity of this buffer, at least 512 bytes: a buffer that
        // never grows (the parser consumes what it parsed) made a 350 KB segment answer take
        // ~700 reads of 512 bytes. With 64 KiB reserved once per connection it takes a handful.
        buffer.reserve(read_buffer_bytes);
    }
    /// Capacity reserved for reads on every connection (one allocation per connection).
    static constexpr std::size_t read_buffer_bytes = 64 * 1024;
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    asio::any_io_executor executor;
    asio::execution_context* context = nullptr;  ///< the context whose reactor drives the socket
    std::string origin;  ///< pool key: scheme://host:port
    std::optional<tcp::socket> plain;                   ///< http
    std::optional<beast::ssl_stream<tcp::socket>> tls;  ///< https
    io_watchdog watchdog;       ///< bounds every operation on the socket
    beast::flat_buffer buffer;  ///< bytes the server sent beyond the last response (pipelining-safe)
    steady_time last_used{};
    std::size_t requests = 0;

    tcp::socket& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

class connection_pool;

/// A service on every execution context that has pooled connections: when the context is
/// destroyed, its `shutdown()` makes the pools drop that context's sockets while the context's
/// reactor still exists (a socket outliving its io_context is undefined behaviour).
class pool_registry : public asio::execution_context::service {
public:
    static inline asio::execution_context::id id;
    explicit pool_registry(asio::execution_context& ctx) : asio::execution_context::service(ctx) {}
    void add(std::weak_ptr<connection_pool> p) {
        std::lock_guard lk(m_);
        pools_.push_back(std::move(p));
    }
    inline void shutdown() override;

private:
    std::mutex m_;
    std::vector<std::weak_ptr<connection_pool>> pools_;
};

/// Idle keep-alive connections per origin. Thread-safe (one mutex; held only to move pointers).
/// Owned through a shared_ptr (`self`) so the registry above can reach it weakly.
class connection_pool {
public:
    connection_pool(std::size_t max_idle_per_origin, std::chrono::milliseconds idle_timeout)
        : max_idle_(max_idle_per_origin), idle_timeout_(idle_timeout) {}

    /// A reusable connection to `origin` on executor `ex` (LIFO: the warmest), or null. A
    /// connection of another executor is never handed out: its I/O would be driven by an
    /// io_context that may not be running.
    std::unique_ptr<connection> take(const std::string& origin, const asio::any_io_executor& ex) {
        std::vector<std::unique_ptr<connection>> stale;  // closed outside the lock
        std::unique_ptr<connection> found;
        {
            std::lock_guard lk(m_);
            auto it = idle_.find(origin);
            if (it == idle_.end()) return nullptr;
            auto& v = it->second;
            const auto now = std::chrono::steady_clock::now();
            for (auto i = v.size(); i-- > 0;) {
                if (now - v[i]->last_used > idle_timeout_) {
                    stale.push_back(std::move(v[i]));
                    v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
                } else if (!found && v[i]->executor == ex) {
                    found = std::move(v[i]);
                    v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
                }
            }
        }
        return found;
    }

    /// Set once by the owner, before the first give_back.
    std::weak_ptr<connection_pool> self;

    void give_back(std::unique_ptr<connection> c) {
        c->last_used = std::chrono::steady_clock::now();
        asio::execution_context* ctx = c->context;
        bool known;
        {
            std::lock_guard lk(m_);
            known = std::find(contexts_.begin(), contexts_.end(), ctx) != contexts_.end();
        }
        if (!known) {  // outside our lock: the registry's shutdown calls into us under no lock
            asio::use_service<pool_registry>(*ctx).add(self);
            std::lock_guard lk(m_);
            contexts_.push_back(ctx);
        }
        std::unique_ptr<connection> evicted;
        std::lock_guard lk(m_);
        auto& v = idle_[c->origin];
        if (v.size() >= max_idle_) {
            evicted = std::move(v.front());  // the coldest goes
            v.erase(v.begin());
        }
        v.push_back(std::move(c));
    }

    std::size_t idle_count() const {
        std::lock_guard lk(m_);
        std::size_t n = 0;
        for (const auto& [k, v] : idle_) n += v.size();
        return n;
    }

    /// Close every idle connection of `ctx` (it is being destroyed).
    void drop_context(asio::execution_context* ctx) {
        std::vector<std::unique_ptr<connection>> doomed;
        std::lock_guard lk(m_);
        contexts_.erase(std::remove(contexts_.begin(), contexts_.end(), ctx), contexts_.end());
        for (auto& [k, v] : idle_)
            for (auto i = v.size(); i-- > 0;)
                if (v[i]->context == ctx) {
                    doomed.push_back(std::move(v[i]));
                    v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
                }
    }

    void clear() {
        std::map<std::string, std::vector<std::unique_ptr<connection>>> doomed;
        std::lock_guard lk(m_);
        doomed.swap(idle_);
    }

private:
    mutable std::mutex m_;
    std::map<std::string, std::vector<std::unique_ptr<connection>>> idle_;
    std::vector<asio::execution_context*> contexts_;  // registered with pool_registry
    std::size_t max_idle_;
    std::chrono::milliseconds idle_timeout_;
};

inline void pool_registry::shutdown() {
    std::vector<std::weak_ptr<connection_pool>> pools;
    {
        std::lock_guard lk(m_);
        pools.swap(pools_);
    }
    for (auto& w : pools)
        if (auto p = w.lock()) p->drop_context(&context());
}

/// DNS resolution that ends at `lim` even when the system resolver hangs: the lookup runs in
/// Asio's resolver thread and cannot be interrupted, so we stop *waiting* for it at the limit and
/// let it finish into a shared state nobody reads. Runs on a private strand so the completion and
/// the timer never race.
inline asio::awaitable<result<tcp::resolver::results_type>> bounded_resolve(const url_parts& u, phase_limit lim) {
    struct state {
        explicit state(asio::strand<asio::any_io_executor> s) : strand(s), resolver(s), timer(s) {}
        asio::strand<asio::any_io_executor> strand;
        tcp::resolver resolver;
        asio::steady_timer timer;
        beast::error_code ec;
        tcp::resolver::results_type results;
        bool finished = false;
        bool timed_out = false;
    };
    auto ex = co_await asio::this_coro::executor;
    auto st = std::make_shared<state>(asio::make_strand(ex));
    // A void coroutine: co_spawn's completion for awaitable<T> needs a default-constructible T.
    auto wait = [](std::shared_ptr<state> s, phase_limit l, std::string host, std::string port) -> asio::awaitable<void> {
        s->timer.expires_at(l.at);
        s->resolver.async_resolve(host, port, asio::bind_executor(s->strand, [s](beast::error_code ec, tcp::resolver::results_type r) {
            s->ec = ec;
            s->results = std::move(r);
            s->finished = true;
            s->timer.cancel();
        }));
        co_await s->timer.async_wait(use_tuple);
        // Decided here, on the strand: after a timeout the late completion may still write the
        // other fields, so the caller reads only `timed_out` then.
        s->timed_out = !s->finished;
        if (s->timed_out) s->resolver.cancel();
    };
    co_await asio::co_spawn(st->strand, wait(st, lim, u.host, std::to_string(u.port)), asio::use_awaitable);
    if (st->timed_out) co_return map_error(beast::error::timeout, "DNS resolution", lim);
    if (st->ec) co_return map_error(st->ec, "DNS resolution", lim);
    co_return st->results;
}

/// TLS client context: the system trust store (plus `extra_ca_file`), TLS ≥ 1.2, peer verified.
inline std::shared_ptr<ssl::context> make_tls_context(const std::string& extra_ca_file) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    ctx->set_default_verify_paths();
    if (!extra_ca_file.empty()) ctx->load_verify_file(extra_ca_file);
    ctx->set_verify_mode(ssl::verify_peer);
    return ctx;
}

/// A new connection to `u` on executor `ex`: resolve (skipped for IP literals), TCP connect with
/// TCP_NODELAY, and for https a TLS handshake with SNI and hostname (or IP) verification. Every
/// step ends at the connect limit.
inline asio::awaitable<result<std::unique_ptr<connection>>> open_connection(const url_parts& u, const net::request_options& o,
                                                                            asio::any_io_executor ex, ssl::context* tls_ctx) {
    const phase_limit lim = limit_for(o, o.connect_timeout);
    auto c = std::make_unique<connection>(ex, u.tls ? tls_ctx : nullptr);
    c->origin = u.origin();
    tcp::socket& s = c->lowest();
    // A timeout surfaces as operation_aborted from the cancelled socket; report it as a timeout.
    auto timed = [&c](beast::error_code ec) { return ec && c->watchdog.fired() ? beast::error_code(beast::error::timeout) : ec; };

    beast::error_code addr_ec;
    const auto literal = asio::ip::make_address(u.host, addr_ec);
    c->watchdog.arm(lim.at);  // connect and, for https, the TLS handshake
    if (!addr_ec) {
        const tcp::endpoint ep(literal, u.port);
        auto [ec] = co_await s.async_connect(ep, use_tuple);
        if (ec) co_return map_error(timed(ec), "connect", lim);
    } else {
        auto resolved = co_await bounded_resolve(u, lim);
        if (!resolved) co_return std::move(resolved).error();
        auto [ec, ep] = co_await asio::async_connect(s, *resolved, use_tuple);
        if (ec) co_return map_error(timed(ec), "connect", lim);
    }
    beast::error_code opt_ec;
    s.set_option(tcp::no_delay(true), opt_ec);  // small JSON-RPC requests: no Nagle delay

    if (u.tls) {
        SSL* h = c->tls->native_handle();
        if (!addr_ec) {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(h), u.host.c_str());
        } else {
            SSL_set_tlsext_host_name(h, u.host.c_str());  // SNI: shared hosting / CDNs pick the cert by it
            SSL_set1_host(h, u.host.c_str());             // OpenSSL checks the certificate's names
        }
        auto [ec] = co_await c->tls->async_handshake(ssl::stream_base::client, use_tuple);
        if (ec) {
            auto e = map_error(timed(ec), "TLS handshake", lim);
            if (const long v = SSL_get_verify_result(h); v != X509_V_OK && e.is(errc::tls_error))
                e = zerog::error(errc::tls_error, "TLS handshake failed: certificate verification: " +
                                                      std::string(X509_verify_cert_error_string(v)));
            co_return e;
        }
    }
    c->watchdog.disarm();
    co_return std::move(c);
}

}  // namespace zerog::net::detail
