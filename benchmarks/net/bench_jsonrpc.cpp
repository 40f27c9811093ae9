// JSON-RPC `eth_blockNumber` round trips over one keep-alive loopback connection, client and
// server on one io_context and thread (toolchain.md §3 measured ~41k/s for bare Beast).
//   BM_jsonrpc_full_stack  net::jsonrpc_client<net::http_transport>: id, headers, pool, deadlines,
//                          status mapping, strict response validation
//   BM_bare_beast          the same exchange with a hand-written Beast client (the reference)
// Both talk to the same net::http_server, which parses each request and echoes the id.
#include <zerog/net/http_server.hpp>
#include <zerog/net/http_transport.hpp>
#include <zerog/net/jsonrpc.hpp>

#include <benchmark/benchmark.h>

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

// Run the client coroutine until it finishes, then stop the server and drain.
void drive(asio::io_context& ioc, net::http_server& srv, asio::awaitable<void> client) {
    bool done = false;
    asio::co_spawn(ioc, std::move(client), [&](std::exception_ptr) { done = true; });
    while (!done) ioc.run_one();
    srv.stop();
    ioc.run_for(std::chrono::milliseconds(50));
}

void BM_jsonrpc_full_stack(benchmark::State& state) {
    asio::io_context ioc(1);
    auto srv = net::http_server::start(ioc.get_executor(), rpc_handler).value();
    net::jsonrpc_client<net::http_transport> rpc(net::http_transport{}, srv.url());
    drive(ioc, srv, [&]() -> asio::awaitable<void> {
        for (auto _ : state) {
            auto r = co_await rpc.call("eth_blockNumber");
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

void BM_bare_beast(benchmark::State& state) {
    asio::io_context ioc(1);
    auto srv = net::http_server::start(ioc.get_executor(), rpc_handler).value();
    drive(ioc, srv, [&]() -> asio::awaitable<void> {
        beast::tcp_stream s(co_await asio::this_coro::executor);
        co_await s.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), srv.port()), asio::use_awaitable);
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

}  // namespace

BENCHMARK(BM_jsonrpc_full_stack)->Iterations(30000)->Repetitions(3)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_bare_beast)->Iterations(30000)->Repetitions(3)->UseRealTime()->Unit(benchmark::kMicrosecond);
