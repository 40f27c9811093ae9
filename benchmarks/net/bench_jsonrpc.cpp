// JSON-RPC `eth_blockNumber` round trips over one keep-alive loopback connection, client and
// server on one io_context and thread (a bare Beast client measured ~41k/s on this machine kind).
//   BM_jsonrpc_full_stack  net::jsonrpc_client<net::http_transport>: id, headers, pool, deadlines,
//                          status mapping, strict response validation
//   BM_bare_beast          the same exchange with a hand-written Beast client (the reference)
// Both talk to the same net::http_server, which parses each request and echoes the id.
//   BM_jsonrpc_guarded     the full stack inside client::guarded_call with the production policy
//                          mix (breaker, limiter, retry, concurrency), telemetry without metrics
//                          (<0>), with a metrics registry (<1>), and with metrics and traces (<2>:
//                          a span per call queued for export, traceparent on every request): the
//                          differences are what the telemetry mix adds to a loopback call
//   BM_large_response      one 350 KB JSON body per exchange (the size of a 256 KiB segment in
//                          base64 JSON) through the full transport (net::http_transport): body
//                          bytes per second; read system calls per MiB are counted with
//                          `strace -f -c -e trace=recvmsg,recvfrom,read` (docs/benchmarks.md)
#include <zerog/client/pipeline.hpp>
#include <zerog/client/production.hpp>
#include <zerog/client/tracing.hpp>
#include <zerog/net/http_server.hpp>
#include <zerog/net/http_transport.hpp>
#include <zerog/net/jsonrpc.hpp>
#include <zerog/observe/tracing.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using namespace zerog;

namespace {

net::server_response rpc_handler(net::server_request r) {
    json::value v = json::parse(r.body);
    json::object o;
    o["jsonrpc"] = "2.0";
    o["id"] = v.at("id");
    o["result"] = "0x1b4";
    return net::server_response::json(json::serialize(o));
}

// A minimal keep-alive Beast server (the setting where a bare Beast client did ~41k/s): one
// coroutine per connection on the io_context's own executor, no strand, no limits, no timers.
// It answers the same body as rpc_handler.
asio::awaitable<void> minimal_session(asio::ip::tcp::socket sock) {
    beast::tcp_stream s(std::move(sock));
    beast::flat_buffer buf;
    for (;;) {
        http::request<http::string_body> req;
        auto [ec, n] = co_await http::async_read(s, buf, req, asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        json::value v = json::parse(req.body());
        json::object o;
        o["jsonrpc"] = "2.0";
        o["id"] = v.at("id");
        o["result"] = "0x1b4";
        http::response<http::string_body> res(http::status::ok, 11);
        res.set(http::field::content_type, "application/json");
        res.body() = json::serialize(o);
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        auto [wec, wn] = co_await http::async_write(s, res, asio::as_tuple(asio::use_awaitable));
        if (wec || !res.keep_alive()) co_return;
    }
}

struct minimal_server {
    asio::ip::tcp::acceptor acceptor;
    explicit minimal_server(asio::io_context& ioc)
        : acceptor(ioc, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
        asio::co_spawn(ioc, accept_loop(), asio::detached);
    }
    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, sock] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec) co_return;
            sock.set_option(asio::ip::tcp::no_delay(true));
            asio::co_spawn(acceptor.get_executor(), minimal_session(std::move(sock)), asio::detached);
        }
    }
    std::uint16_t port() const { return acceptor.local_endpoint().port(); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
    void stop() {
        boost::system::error_code ec;
        acceptor.close(ec);
    }
};

// Run the client coroutine until it finishes, then stop the server and drain.
template <class Server>
void drive(asio::io_context& ioc, Server& srv, asio::awaitable<void> client) {
    bool done = false;
    asio::co_spawn(ioc, std::move(client), [&](std::exception_ptr) { done = true; });
    while (!done) ioc.run_one();
    srv.stop();
    ioc.run_for(std::chrono::milliseconds(50));
}

// The two servers the clients are measured against.
struct our_server {  // net::http_server (strands, limits, timers): what the devnet emulators use
    static net::http_server make(asio::io_context& ioc) { return net::http_server::start(ioc.get_executor(), rpc_handler).value(); }
};
struct bare_server {  // the minimal Beast server above
    static std::unique_ptr<minimal_server> make_ptr(asio::io_context& ioc) { return std::make_unique<minimal_server>(ioc); }
};

template <class S>
auto start_server(asio::io_context& ioc) {
    if constexpr (std::is_same_v<S, our_server>) return S::make(ioc);
    else return S::make_ptr(ioc);
}
std::string url_of(net::http_server& s) { return s.url(); }
std::string url_of(std::unique_ptr<minimal_server>& s) { return s->url(); }
std::uint16_t port_of(net::http_server& s) { return s.port(); }
std::uint16_t port_of(std::unique_ptr<minimal_server>& s) { return s->port(); }
net::http_server& deref(net::http_server& s) { return s; }
minimal_server& deref(std::unique_ptr<minimal_server>& s) { return *s; }

template <class S>
void BM_jsonrpc_full_stack(benchmark::State& state) {
    asio::io_context ioc(1);
    auto srv = start_server<S>(ioc);
    net::jsonrpc_client<net::http_transport> rpc(net::http_transport{}, url_of(srv));
    drive(ioc, deref(srv), [&]() -> asio::awaitable<void> {
        for (auto _ : state) {
            auto r = co_await rpc.call_async("eth_blockNumber");
            if (!r) {
                state.SkipWithError(r.error().message().c_str());
                break;
            }
            benchmark::DoNotOptimize(r);
        }
    }());
    state.counters["calls/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["connections"] = static_cast<double>(rpc.transport().connections_opened());
}

/// Discards every batch (the cost measured is the tracer's and the queue's, not a collector's).
struct discarding_exporter final : observe::span_exporter {
    std::atomic<std::uint64_t> spans{0};
    result<void> export_spans(const std::vector<observe::finished_span>& b, std::chrono::milliseconds) override {
        spans += b.size();
        return {};
    }
};

// Telemetry: 0 = the hub without metrics, 1 = with metrics, 2 = metrics and traces (the loop runs
// as one traced operation: every call is a CLIENT span, queued for export, and carries traceparent),
// 3 = metrics and traces without the operation (each call a root span: no traced executor), which
// tells the executor's share of 2 from the spans' own.
template <int Telemetry>
void BM_jsonrpc_guarded(benchmark::State& state) {
    using prod = client::production_policies<net::http_transport, crypto::null_signer>;
    asio::io_context ioc(1);
    auto srv = start_server<bare_server>(ioc);
    auto metrics = Telemetry >= 1 ? std::make_shared<observe::metrics_registry>() : nullptr;
    auto exporter = std::make_shared<discarding_exporter>();
    observe::tracer_options to;
    to.queue.max_queue = 1 << 16;
    auto tracer = Telemetry >= 2 ? std::make_shared<observe::tracer>(exporter, to) : nullptr;
    prod p{.limiter = prod::limiter_type(policy::token_bucket_config{.per_user = {1e12, 1e12}, .per_endpoint = {1e12, 1e12}}),
           .telemetry = observe::telemetry_hub(observe::json_logger(policy::log_level::off), metrics, tracer)};
    net::jsonrpc_client<net::http_transport> rpc(net::http_transport{}, url_of(srv));
    const std::string endpoint = url_of(srv);
    auto loop = [&]() -> asio::awaitable<result<int>> {
        for (auto _ : state) {
            const client::call_context ctx{"eth_blockNumber", endpoint, "", std::chrono::steady_clock::now() + std::chrono::seconds(5)};
            auto r = co_await client::guarded_call(p, ctx, [&] { return rpc.call_async("eth_blockNumber"); });
            if (!r) {
                state.SkipWithError(r.error().message().c_str());
                break;
            }
            benchmark::DoNotOptimize(r);
        }
        co_return 0;
    };
    drive(ioc, deref(srv), [&]() -> asio::awaitable<void> {
        if constexpr (Telemetry == 3) (void)co_await loop();
        else (void)co_await client::traced_operation(p.telemetry, "bench.loop", loop());
    }());
    if (metrics) {
        const policy::field l[] = {{"class", "chain"}, {"method", "eth_blockNumber"}, {"outcome", "ok"}};
        if (metrics->value("zerog_rpc_requests_total", l) != double(state.iterations())) state.SkipWithError("metrics did not count every call");
    }
    if (tracer) {
        tracer->shutdown();
        state.counters["spans_dropped"] = static_cast<double>(tracer->queue().dropped());
        if (exporter->spans + tracer->queue().dropped() < static_cast<std::uint64_t>(state.iterations())) state.SkipWithError("a call's span went missing");
    }
    state.counters["calls/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

template <class S>
void BM_bare_beast(benchmark::State& state) {
    asio::io_context ioc(1);
    auto srv = start_server<S>(ioc);
    const std::uint16_t port = port_of(srv);
    drive(ioc, deref(srv), [&]() -> asio::awaitable<void> {
        beast::tcp_stream s(co_await asio::this_coro::executor);
        co_await s.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), asio::use_awaitable);
        s.socket().set_option(asio::ip::tcp::no_delay(true));
        beast::flat_buffer buf;
        std::uint64_t id = 1;
        for (auto _ : state) {
            json::object o;
            o["jsonrpc"] = "2.0";
            o["id"] = id;
            o["method"] = "eth_blockNumber";
            o["params"] = json::array();
            http::request<http::string_body> req(http::verb::post, "/", 11);
            req.set(http::field::host, "127.0.0.1");
            req.set(http::field::content_type, "application/json");
            req.body() = json::serialize(o);
            req.prepare_payload();
            co_await http::async_write(s, req, asio::use_awaitable);
            http::response<http::string_body> res;
            co_await http::async_read(s, buf, res, asio::use_awaitable);
            json::value v = json::parse(res.body());
            if (v.at("id").to_number<std::uint64_t>() != id++) {
                state.SkipWithError("id mismatch");
                break;
            }
            benchmark::DoNotOptimize(v);
        }
    }());
    state.counters["calls/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

/// A segment-sized answer: {"jsonrpc":"2.0","id":1,"result":{"data":"<349,528 base64 chars>"}}.
std::string large_body() {
    std::string data((262144 + 2) / 3 * 4, 'A');
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[(i * 7) & 63];
    return R"({"jsonrpc":"2.0","id":1,"result":{"data":")" + data + R"("}})";
}

void BM_large_response(benchmark::State& state) {
    asio::io_context ioc(1);
    static const std::string body = large_body();
    auto srv = net::http_server::start(ioc.get_executor(), [](net::server_request) { return net::server_response::json(body); }).value();
    net::http_transport transport;
    net::http_request req;
    req.method = "POST";
    req.url = srv.url();
    req.body = R"({"jsonrpc":"2.0","id":1,"method":"zgs_downloadSegmentWithProofByTxSeq","params":[0,0]})";
    req.headers.emplace_back("Content-Type", "application/json");
    std::size_t bytes = 0;
    drive(ioc, srv, [&]() -> asio::awaitable<void> {
        for (auto _ : state) {
            auto r = co_await transport.send_async(req);
            if (!r || r->body.size() != body.size()) {
                state.SkipWithError(r ? "short body" : r.error().message().c_str());
                break;
            }
            bytes += r->body.size();
            benchmark::DoNotOptimize(r);
        }
    }());
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
    state.counters["body_KB"] = static_cast<double>(body.size()) / 1000.0;
}

}  // namespace

// Against the minimal Beast server (the setting of the issue's 35k floor and 41k reference),
// then against net::http_server (heavier: strands, limits, timers).
#define ZEROG_NET_BENCH(fn, server) \
    BENCHMARK_TEMPLATE(fn, server)->Iterations(30000)->Repetitions(3)->UseRealTime()->Unit(benchmark::kMicrosecond)
ZEROG_NET_BENCH(BM_jsonrpc_full_stack, bare_server);
ZEROG_NET_BENCH(BM_bare_beast, bare_server);
ZEROG_NET_BENCH(BM_jsonrpc_full_stack, our_server);
ZEROG_NET_BENCH(BM_bare_beast, our_server);
// Telemetry overhead on a loopback call: interleaved repetitions of the same guarded call without
// and with metrics (docs/benchmarks.md reports the ratio of the medians).
BENCHMARK_TEMPLATE(BM_jsonrpc_guarded, 0)->Iterations(30000)->Repetitions(5)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(BM_jsonrpc_guarded, 1)->Iterations(30000)->Repetitions(5)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(BM_jsonrpc_guarded, 2)->Iterations(30000)->Repetitions(5)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(BM_jsonrpc_guarded, 3)->Iterations(30000)->Repetitions(5)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_large_response)->Iterations(300)->Repetitions(3)->UseRealTime()->Unit(benchmark::kMicrosecond);
