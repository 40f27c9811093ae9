// How the clients call their Persistence model without stalling their event loop, and the
// transaction sender's idempotency store on top of the same model.
//
// `persist(p, f)`: a model that declares `blocking` (SQLite: disk syncs and other processes'
// locks; PostgreSQL: a server round trip, a row lock held elsewhere) runs `f` on a small worker
// pool shared by the process and resumes the coroutine on its own executor afterwards; the event
// loop goes on with other operations meanwhile. A non-blocking model (memory) is called inline.
// Why a worker pool rather than libpq's non-blocking API on the executor: one mechanism serves
// SQLite (which has no asynchronous API) and PostgreSQL alike, calls are few per operation
// (a handful per upload), and the pool bounds how many run at once. tests/store measures it.
//
// `persist(policies, "persistence.find_submission", f)`: the same, measured through the policy
// set's Telemetry when its Persistence model remembers anything (a database, process memory):
// zerog_persistence_calls_total{op,outcome}, zerog_persistence_call_duration_seconds{op} and a
// CLIENT span (child of the operation under way). The op label is the name after "persistence.".
// The name must be a literal (the span borrows it).
#pragma once

#include <zerog/chain/detail/tx_state.hpp>
#include <zerog/policy/persistence.hpp>
#include <zerog/policy/telemetry.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cerrno>
#include <chrono>
#include <functional>
#include <charconv>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <signal.h>
#include <unistd.h>

namespace zerog::client {

namespace detail {
/// The process's persistence workers: at most this many blocking calls run at once.
inline constexpr std::size_t persistence_workers_count = 4;
inline boost::asio::thread_pool& persistence_workers() {
    static boost::asio::thread_pool pool(persistence_workers_count);
    return pool;
}
}  // namespace detail

/// Run `f()` (a call on persistence model `P`) without blocking the caller's event loop when P blocks.
template <class P, class F>
boost::asio::awaitable<std::invoke_result_t<F&>> persist(F f) {
    using R = std::invoke_result_t<F&>;
    if constexpr (policy::persistence_blocks<P>) {
        co_return co_await boost::asio::co_spawn(
            detail::persistence_workers(), [f = std::move(f)]() mutable -> boost::asio::awaitable<R> { co_return f(); }, boost::asio::use_awaitable);
    } else {
        co_return f();
    }
}

template <class P>
inline constexpr bool persistence_remembers = [] {
    if constexpr (requires { P::remembers; }) return static_cast<bool>(P::remembers);
    else return true;
}();

/// `persist` measured (see the file comment). `span_name`: "persistence.<op>", a literal.
template <class Policies, class F>
boost::asio::awaitable<std::invoke_result_t<F&>> persist(Policies& p, std::string_view span_name, F f) {
    using P = typename Policies::persistence_type;
    using T = typename Policies::telemetry_type;
    if constexpr (!persistence_remembers<P> || std::is_same_v<T, policy::null_telemetry>) {
        co_return co_await persist<P>(std::move(f));
    } else {
        std::string_view op = span_name;
        if (op.starts_with("persistence.")) op.remove_prefix(12);
        auto span = p.telemetry.span_start(span_name);
        span.kind = 3;  // a call to a database: OTLP SpanKind CLIENT
        const auto started = std::chrono::steady_clock::now();
        auto r = co_await persist<P>(std::move(f));
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        const zerog::error* e = nullptr;
        if constexpr (requires { r.error(); }) e = r ? nullptr : &r.error();
        const policy::field timing[] = {{"op", op}};
        p.telemetry.observe("zerog_persistence_call_duration_seconds", secs, timing);
        const policy::field labels[] = {{"op", op}, {"outcome", e ? e->code_name() : std::string_view("ok")}};
        p.telemetry.count("zerog_persistence_calls_total", 1, labels);
        p.telemetry.span_end(span, e);
        co_return r;
    }
}

/// Who holds a claim: "<host>/<pid>/<random>", one per process (the random part tells a reused pid apart).
inline const std::string& process_owner_id() {
    static const std::string id = [] {
        char host[256] = {};
        if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
        std::random_device rd;
        const unsigned long long salt = (static_cast<unsigned long long>(rd()) << 32) ^ rd();
        char hex[17];
        auto [end, ec] = std::to_chars(hex, hex + 16, salt, 16);
        (void)ec;
        return std::string(host) + "/" + std::to_string(::getpid()) + "/" + std::string(hex, end);
    }();
    return id;
}

/// True when `owner` names a process of this host that no longer runs (it crashed or was killed):
/// its intent can be taken over at once instead of after the lease. Unknown hosts: false.
inline bool owner_is_dead(std::string_view owner) {
    const auto a = owner.find('/');
    const auto b = a == std::string_view::npos ? a : owner.find('/', a + 1);
    if (b == std::string_view::npos) return false;
    const std::string_view mine = process_owner_id();
    if (owner.substr(0, a) != mine.substr(0, mine.find('/'))) return false;
    if (owner == mine) return false;
    long pid = 0;
    const auto pid_text = owner.substr(a + 1, b - a - 1);
    auto [end, ec] = std::from_chars(pid_text.data(), pid_text.data() + pid_text.size(), pid);
    if (ec != std::errc() || end != pid_text.data() + pid_text.size() || pid <= 0) return false;
    if (pid == ::getpid()) return true;  // our pid, another salt: the pid was reused after that process ended
    return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

/// chain::IdempotencyStore over a Persistence model (not owned; it outlives the sender): the
/// sender's signed hashes land in the same durable store as the submissions, so a re-run after a
/// crash resumes the signed transaction. Calls are synchronous (the sender makes two or three per
/// payment, before broadcast and once mined).
/// `observer` (optional) sees every record once it is stored: the storage client logs it at debug
/// ("tx.signed": a hash is durable and about to be broadcast; "tx.mined").
template <policy::Persistence P>
class persistence_tx_store {
public:
    using observer_fn = std::function<void(const chain::idempotency_record&)>;
    explicit persistence_tx_store(P& p, observer_fn observer = {}) : p_(&p), observer_(std::move(observer)) {}
    result<std::optional<chain::idempotency_record>> find(const std::string& key) { return p_->find_tx(key); }
    result<void> put(const chain::idempotency_record& r) {
        auto out = p_->put_tx(r);
        if (out && observer_) observer_(r);
        return out;
    }

private:
    P* p_;
    observer_fn observer_;
};

/// The idempotency store a client builds its tx sender with: the Persistence model when it
/// remembers anything, else process memory.
template <class P>
using tx_store_for = std::conditional_t<persistence_remembers<P>, persistence_tx_store<P>, chain::memory_idempotency_store>;

}  // namespace zerog::client
