// What the policy pipeline costs per call.
//
//   * BM_direct_*   a hand-written call of the op: deadline check + co_await op(), in a coroutine
//   * BM_handwritten_pipeline_*  the same by hand in guarded_call's shape (own frame, clock reads)
//   * BM_guarded_null_*  the same op through client::guarded_call with client::policy_set<> (null models)
//   * BM_guarded_production  the same op through production_policies (backoff_retry,
//     sliding_window_breaker, token_bucket, telemetry_hub: json_logger at level off, no metrics
//     registry unless the benchmark's name says metrics, system clocks)
//   * BM_<model>    each real model's per-call operations alone
// Two ops: `trivial` (returns a constant: shows the pipeline's fixed cost in ns) and `request`
// (builds a ~200-byte JSON-RPC request body: a small realistic unit of client work).
// All calls run inside one coroutine on one io_context; CPU time is what counts.
#include <zerog/client/pipeline.hpp>
#include <zerog/client/production.hpp>
#include <zerog/policy/budget.hpp>
#include <zerog/policy/concurrency_limiter.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <benchmark/benchmark.h>

#include <string>

using namespace zerog;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
constexpr std::string_view endpoint = "http://127.0.0.1:5678";

asio::awaitable<result<int>> trivial_op() { co_return 42; }

asio::awaitable<result<int>> request_op(int id) {
    std::string body = R"({"jsonrpc":"2.0","id":)";
    body += std::to_string(id);
    body += R"(,"method":"zgs_getFileInfo","params":["0x)";
    for (int i = 0; i < 32; ++i) body += "ab";
    body += R"(",true]})";
    benchmark::DoNotOptimize(body.data());
    co_return static_cast<int>(body.size());
}

template <class Body>
void run_in_coroutine(Body body) {
    asio::io_context ioc;
    asio::co_spawn(ioc, body, asio::detached);
    ioc.run();
}

// --- direct ---------------------------------------------------------------------------------
template <bool Realistic>
void BM_direct(benchmark::State& state) {
    run_in_coroutine([&]() -> asio::awaitable<void> {
        policy::system_clock_policy clock;
        const auto deadline = clock.now() + 1h;
        int id = 0;
        for (auto _ : state) {
            if (clock.now() >= deadline) co_return;
            result<int> r = Realistic ? co_await request_op(++id) : co_await trivial_op();
            benchmark::DoNotOptimize(r);
        }
    });
}

// --- hand-written pipeline shape ----------------------------------------------------------------
// What guarded_call does structurally with null policies, written by hand: its own coroutine frame
// around the op, the deadline check, and the clock reads for the call's duration and the attempt's
// latency. Separates the cost of that shape from the cost of the policy abstraction.
template <class Op>
asio::awaitable<result<int>> handwritten_call(policy::system_clock_policy clock, zerog::steady_time deadline, Op op) {
    const auto started = clock.now();
    if (clock.now() >= deadline) co_return fail(errc::deadline_exceeded, "deadline");
    const auto t0 = clock.now();
    result<int> r = co_await op();
    benchmark::DoNotOptimize(clock.now() - t0);
    benchmark::DoNotOptimize(clock.now() - started);
    co_return r;
}
template <bool Realistic>
void BM_handwritten(benchmark::State& state) {
    run_in_coroutine([&]() -> asio::awaitable<void> {
        policy::system_clock_policy clock;
        const auto deadline = clock.now() + 1h;
        int id = 0;
        for (auto _ : state) {
            result<int> r = Realistic ? co_await handwritten_call(clock, deadline, [&] { return request_op(++id); })
                                      : co_await handwritten_call(clock, deadline, [] { return trivial_op(); });
            benchmark::DoNotOptimize(r);
        }
    });
}

// --- guarded_call -----------------------------------------------------------------------------
template <class Policies, bool Realistic>
void guarded(benchmark::State& state, Policies& p) {
    run_in_coroutine([&]() -> asio::awaitable<void> {
        const client::call_context ctx{"zgs_getFileInfo", endpoint, "alice", p.clock.now() + 1h};
        int id = 0;
        for (auto _ : state) {
            result<int> r = Realistic ? co_await client::guarded_call(p, ctx, [&] { return request_op(++id); })
                                      : co_await client::guarded_call(p, ctx, [] { return trivial_op(); });
            benchmark::DoNotOptimize(r);
        }
    });
}

template <bool Realistic>
void BM_guarded_null(benchmark::State& state) {
    client::policy_set<> p;
    guarded<client::policy_set<>, Realistic>(state, p);
}

using prod = client::production_policies<net::null_transport, crypto::null_signer>;
template <bool Realistic>
void BM_guarded_production(benchmark::State& state) {
    // a limiter that never refuses in the benchmark: the cost of the check, not of waiting
    prod p{.limiter = prod::limiter_type(policy::token_bucket_config{.per_user = {1e12, 1e12}, .per_endpoint = {1e12, 1e12}}),
           .telemetry = observe::telemetry_hub(observe::json_logger(policy::log_level::off))};
    guarded<prod, Realistic>(state, p);
}
/// The same with a metrics registry: every call counts into zerog_rpc_requests_total and observes
/// zerog_rpc_request_duration_seconds (the full telemetry mix of a production client).
template <bool Realistic>
void BM_guarded_production_metrics(benchmark::State& state) {
    prod p{.limiter = prod::limiter_type(policy::token_bucket_config{.per_user = {1e12, 1e12}, .per_endpoint = {1e12, 1e12}}),
           .telemetry = observe::telemetry_hub(observe::json_logger(policy::log_level::off), std::make_shared<observe::metrics_registry>())};
    guarded<prod, Realistic>(state, p);
}

// --- metrics (observe/metrics.hpp): one update, single thread and two threads on one series ---
observe::metrics_registry& bench_registry() {
    static observe::metrics_registry m;
    return m;
}
const policy::field rpc_labels[] = {{"class", "storage"}, {"method", "zgs_uploadSegmentsByTxSeq"}, {"outcome", "ok"}};
const policy::field timing_labels[] = {{"class", "storage"}, {"method", "zgs_uploadSegmentsByTxSeq"}};
void BM_metrics_counter_handle(benchmark::State& state) {
    static const auto c = bench_registry().counter("zerog_rpc_requests_total", rpc_labels);
    for (auto _ : state) c.add(1);
}
void BM_metrics_counter_by_name(benchmark::State& state) {  // what the Telemetry policy calls: lookup + add
    auto& m = bench_registry();
    for (auto _ : state) m.add("zerog_rpc_requests_total", 1, rpc_labels);
}
void BM_metrics_histogram_handle(benchmark::State& state) {
    static const auto h = bench_registry().histogram("zerog_rpc_request_duration_seconds", timing_labels);
    double v = 0.0001;
    for (auto _ : state) {
        h.observe(v);
        v = v < 100 ? v * 1.7 : 0.0001;  // walk the buckets
    }
}
void BM_metrics_histogram_by_name(benchmark::State& state) {
    auto& m = bench_registry();
    double v = 0.0001;
    for (auto _ : state) {
        m.observe("zerog_rpc_request_duration_seconds", v, timing_labels);
        v = v < 100 ? v * 1.7 : 0.0001;
    }
}
void BM_metrics_render_200_series(benchmark::State& state) {
    observe::metrics_registry m;
    for (int i = 0; i < 100; ++i) {
        const std::string method = "method_" + std::to_string(i);
        const policy::field l[] = {{"class", "chain"}, {"method", std::string_view(method)}, {"outcome", "ok"}};
        m.add("zerog_rpc_requests_total", 1, l);
        const policy::field t[] = {{"class", "chain"}, {"method", std::string_view(method)}};
        m.observe("zerog_rpc_request_duration_seconds", 0.01, t);
    }
    for (auto _ : state) benchmark::DoNotOptimize(m.render());
}

// --- models alone ------------------------------------------------------------------------------
void BM_breaker_allow_success(benchmark::State& state) {
    policy::sliding_window_breaker<> b;
    for (auto _ : state) {
        auto r = b.allow(endpoint);
        benchmark::DoNotOptimize(r);
        b.on_success(endpoint, 1ms);
    }
}
void BM_token_bucket_acquire(benchmark::State& state) {
    policy::token_bucket<> b(policy::token_bucket_config{.per_user = {1e12, 1e12}, .per_endpoint = {1e12, 1e12}});
    for (auto _ : state) benchmark::DoNotOptimize(b.try_acquire({"alice", endpoint}, 1));
}
void BM_backoff_next_delay(benchmark::State& state) {
    policy::backoff_retry r;
    const zerog::error e(errc::timeout);
    for (auto _ : state) benchmark::DoNotOptimize(r.next_delay(2, e, 1ms));
}
void BM_concurrency_enter_leave(benchmark::State& state) {
    policy::concurrency_limiter l;
    for (auto _ : state) {
        auto p = l.try_enter({"alice", endpoint});
        benchmark::DoNotOptimize(p);
    }
}
void BM_budget_reserve_commit(benchmark::State& state) {
    policy::budget_config c;
    c.default_limits[static_cast<int>(policy::budget_kind::spend)] = uint256::max();
    policy::budget_tracker<> b(c);
    for (auto _ : state) {
        auto p = b.reserve("alice", policy::budget_kind::spend, 1000);
        p->commit();
    }
}
}  // namespace

BENCHMARK(BM_direct<false>)->Name("BM_direct_trivial");
BENCHMARK(BM_handwritten<false>)->Name("BM_handwritten_pipeline_trivial");
BENCHMARK(BM_guarded_null<false>)->Name("BM_guarded_null_trivial");
BENCHMARK(BM_direct<true>)->Name("BM_direct_request");
BENCHMARK(BM_handwritten<true>)->Name("BM_handwritten_pipeline_request");
BENCHMARK(BM_guarded_null<true>)->Name("BM_guarded_null_request");
BENCHMARK(BM_guarded_production<false>)->Name("BM_guarded_production_trivial");
BENCHMARK(BM_guarded_production<true>)->Name("BM_guarded_production_request");
BENCHMARK(BM_guarded_production_metrics<false>)->Name("BM_guarded_production_metrics_trivial");
BENCHMARK(BM_guarded_production_metrics<true>)->Name("BM_guarded_production_metrics_request");
BENCHMARK(BM_metrics_counter_handle)->Threads(1)->Threads(2);
BENCHMARK(BM_metrics_counter_by_name)->Threads(1)->Threads(2);
BENCHMARK(BM_metrics_histogram_handle)->Threads(1)->Threads(2);
BENCHMARK(BM_metrics_histogram_by_name)->Threads(1)->Threads(2);
BENCHMARK(BM_metrics_render_200_series)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_breaker_allow_success);
BENCHMARK(BM_token_bucket_acquire);
BENCHMARK(BM_backoff_next_delay);
BENCHMARK(BM_concurrency_enter_leave);
BENCHMARK(BM_budget_reserve_commit);
