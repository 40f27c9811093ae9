// http_transport + http_server (+ the JSON-RPC client over them) on 127.0.0.1.
// The one Beast-instantiating test TU of the net layer (compile time: a Beast coroutine TU costs ~20 s CPU at -O2).
// Every wait is bounded: coroutines are driven by `drive()` for at most a few seconds.
// Never put `co_await` inside a Catch2 macro: GCC 12 evaluates the macro's short-circuited
// `(false) && (expr)` branch too, so the awaited operation would run several times.
#include <zerog/net/http_server.hpp>
#include <zerog/net/http_transport.hpp>
#include <zerog/net/jsonrpc.hpp>

#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

#include <catch2/catch.hpp>

using namespace zerog;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace json = boost::json;
using net::http_server;
using net::http_transport;
using net::server_request;
using net::server_response;
using clk = std::chrono::steady_clock;

namespace {

// Run `co` on `ioc` until it completes or `bound` passes; rethrow what it threw (Catch2 REQUIRE).
void drive(asio::io_context& ioc, asio::awaitable<void> co, std::chrono::milliseconds bound = 20s) {
    bool done = false;
    std::exception_ptr ep;
    asio::co_spawn(ioc, std::move(co), [&](std::exception_ptr e) {
        ep = e;
        done = true;
    });
    const auto until = clk::now() + bound;
    while (!done && clk::now() < until) ioc.run_one_for(50ms);
    REQUIRE(done);
    if (ep) std::rethrow_exception(ep);
}

asio::awaitable<void> sleep_for(clk::duration d) {
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(d);
    co_await t.async_wait(asio::use_awaitable);
}

// Echo server: "/status/N" answers N, "/big/N" N bytes, "/hang" never answers, "/sse/N" N events,
// anything else echoes method, target, a header and the body.
asio::awaitable<server_response> test_handler(server_request r) {
    if (r.target.starts_with("/status/")) co_return server_response::text("status body", std::stoul(r.target.substr(8)));
    if (r.target.starts_with("/big/")) co_return server_response::text(std::string(std::stoul(r.target.substr(5)), 'b'));
    if (r.target == "/hang") {
        co_await sleep_for(60s);  // cancelled by stop()
        co_return server_response::text("too late");
    }
    if (r.target.starts_with("/sse/")) {
        const int n = std::stoi(r.target.substr(5));
        co_return server_response::sse([n](net::stream_writer& w) -> asio::awaitable<void> {
            for (int i = 0; i < n; ++i) {
                co_await sleep_for(5ms);
                if (!co_await w.event("{\"i\":" + std::to_string(i) + "}", "tick")) co_return;
            }
        });
    }
    if (r.target == "/rpc") {
        auto v = json::parse(r.body);
        auto respond = [](const json::value& req) {
            json::object o;
            o["jsonrpc"] = "2.0";
            o["id"] = req.at("id");
            if (req.at("method") == "echo") o["result"] = req.at("params");
            else {
                json::object e;
                e["code"] = -32601;
                e["message"] = "method not found";
                o["error"] = std::move(e);
            }
            return o;
        };
        if (v.is_array()) {
            json::array out;
            for (auto& x : v.as_array()) out.push_back(respond(x));
            co_return server_response::json(json::serialize(out));
        }
        co_return server_response::json(json::serialize(respond(v)));
    }
    if (r.target == "/traceparent") co_return server_response::text(std::string(r.header("traceparent").value_or("")));
    std::string echo = r.method + " " + r.target + " " + std::string(r.header("X-Test").value_or("-")) + " " + r.body;
    co_return server_response::text(std::move(echo));
}

struct loopback {
    asio::io_context ioc;
    http_server server;
    http_transport transport;
    explicit loopback(net::server_options so = {}, net::http_transport_options to = {})
        : server(http_server::start(ioc.get_executor(), test_handler, so).value()), transport(to) {}
    ~loopback() {
        server.stop();
        ioc.run_for(100ms);  // let the server close its sockets and finish its coroutines
    }
    net::http_request get(const std::string& path) {
        net::http_request r;
        r.method = "GET";
        r.url = server.url() + path;
        return r;
    }
};

}  // namespace

TEST_CASE("http_transport round trip: method, target, headers, body, status mapping", "[net]") {
    loopback lb;
    drive(lb.ioc, [&]() -> asio::awaitable<void> {
        auto req = lb.get("/echo?q=1");
        req.method = "POST";
        req.body = "hello";
        req.headers.emplace_back("X-Test", "yes");
        auto r = co_await lb.transport.send_async(req);
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->body == "POST /echo?q=1 yes hello");
        CHECK(r->header("content-type") == std::optional<std::string_view>("text/plain"));

        auto nf = co_await lb.transport.send_async(lb.get("/status/404"));
        REQUIRE_FALSE(nf);
        CHECK(nf.error().is(errc::http_status));
        CHECK(nf.error().detail() == "HTTP 404 Not Found; body: status body");
        CHECK(nf.error().context().back().endpoint == lb.server.url());
        auto unavailable = co_await lb.transport.send_async(lb.get("/status/503"));
        CHECK(unavailable.error().is(errc::server_error));
        auto any = lb.get("/status/404");
        any.options.accept_any_status = true;
        auto any_r = co_await lb.transport.send_async(any);
        CHECK(any_r->status == 404);

        auto injected = lb.get("/");
        injected.headers.emplace_back("X-Evil", "a\r\nX-Other: b");
        auto inj_r = co_await lb.transport.send_async(injected);
        CHECK(inj_r.error().is(errc::invalid_argument));
    }());
}

TEST_CASE("http_transport reuses one keep-alive connection for sequential requests", "[net]") {
    loopback lb;
    drive(lb.ioc, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 20; ++i) {
            auto r = co_await lb.transport.send_async(lb.get("/x"));
            REQUIRE(r);
        }
    }());
    CHECK(lb.transport.connections_opened() == 1);
    CHECK(lb.server.connections_accepted() == 1);
    CHECK(lb.server.requests_served() == 20);
    CHECK(lb.transport.idle_connections() == 1);
}

TEST_CASE("http_transport pools one connection per concurrent request and serves concurrent coroutines", "[net]") {
    loopback lb;
    int ok = 0;
    drive(lb.ioc, [&]() -> asio::awaitable<void> {
        auto worker = [&](int w) -> asio::awaitable<void> {
            for (int i = 0; i < 15; ++i) {
                auto req = lb.get("/w");
                req.method = "POST";
                req.body = std::to_string(w) + ":" + std::to_string(i);
                auto r = co_await lb.transport.send_async(req);
                if (r && r->body == "POST /w - " + req.body) ++ok;
            }
        };
        auto ex = co_await asio::this_coro::executor;
        int finished = 0;
        for (int w = 0; w < 6; ++w)
            asio::co_spawn(ex, worker(w), [&](std::exception_ptr) { ++finished; });
        while (finished < 6) co_await sleep_for(1ms);
    }());
    CHECK(ok == 90);
    CHECK(lb.transport.connections_opened() <= 6);
    CHECK(lb.transport.connections_opened() >= 2);
    CHECK(lb.server.connections_accepted() == lb.transport.connections_opened());
    CHECK(lb.transport.idle_connections() == lb.transport.connections_opened());
}

TEST_CASE("http_transport moves large bodies and enforces the response size limit", "[net]") {
    loopback lb;
    drive(lb.ioc, [&]() -> asio::awaitable<void> {
        auto big = co_await lb.transport.send_async(lb.get("/big/8388608"));
        REQUIRE(big);
        CHECK(big->body.size() == 8u << 20);
        auto up = lb.get("/up");
        up.method = "PUT";
        up.body.assign(4u << 20, 'u');
        auto echoed = co_await lb.transport.send_async(up);
        REQUIRE(echoed);
        CHECK(echoed->body.size() == (4u << 20) + 10);

        auto limited = lb.get("/big/2000000");
        limited.options.max_response_bytes = 1'000'000;
        auto r = co_await lb.transport.send_async(limited);
        REQUIRE_FALSE(r);
        CHECK(r.error().is(errc::response_too_large));
        const auto opened = lb.transport.connections_opened();
        auto after = co_await lb.transport.send_async(lb.get("/after"));
        CHECK(after);  // the cut connection is not reused
        CHECK(lb.transport.connections_opened() == opened + 1);
    }());
}

// Bodies of known length ≥ 32 KiB skip Beast's buffer and are read with SO_RCVLOWAT set
// (http_transport::read_body_direct). The mark must be back at 1 before the connection is reused
// (else a small answer never wakes the reader), and a body cut short must fail, not hang.
TEST_CASE("http_transport direct body reads: keep-alive reuse after them, cut and stalled bodies fail", "[net]") {
    loopback lb;
    asio::ip::tcp::acceptor acc(lb.ioc, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto port = acc.local_endpoint().port();
    // Answers one request with a header promising 1,000,000 bytes, sends 400,000, then closes at
    // once or after `stall`.
    auto partial = [&acc](clk::duration stall) -> asio::awaitable<void> {
        auto sock = co_await acc.async_accept(asio::use_awaitable);
        std::array<char, 4096> buf{};
        co_await sock.async_read_some(asio::buffer(buf), asio::use_awaitable);
        const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n";
        const std::string part(400'000, 'p');
        co_await asio::async_write(sock, std::array{asio::buffer(head), asio::buffer(part)}, asio::use_awaitable);
        if (stall > clk::duration::zero()) co_await sleep_for(stall);
        sock.close();
    };
    drive(lb.ioc, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 3; ++i) {
            auto big = co_await lb.transport.send_async(lb.get("/big/1000000"));
            REQUIRE(big);
            CHECK(big->body == std::string(1'000'000, 'b'));
            auto small = lb.get("/small");
            small.options.read_timeout = 2s;
            const auto t0 = clk::now();
            auto s = co_await lb.transport.send_async(small);
            REQUIRE(s);
            CHECK(s->body == "GET /small - ");
            CHECK(clk::now() - t0 < 1s);
        }
        CHECK(lb.transport.connections_opened() == 1);

        net::http_request cut;
        cut.url = "http://127.0.0.1:" + std::to_string(port) + "/cut";
        cut.options.read_timeout = 5s;
        asio::co_spawn(lb.ioc, partial(clk::duration::zero()), asio::detached);
        auto t0 = clk::now();
        auto r = co_await lb.transport.send_async(cut);
        REQUIRE_FALSE(r);
        CHECK(r.error().is(errc::connection_closed));
        CHECK(r.error().detail().find("read response") != std::string::npos);
        CHECK(clk::now() - t0 < 2s);

        auto stalled = cut;
        stalled.options.read_timeout = 200ms;
        asio::co_spawn(lb.ioc, partial(800ms), asio::detached);
        t0 = clk::now();
        r = co_await lb.transport.send_async(stalled);
        const auto took = clk::now() - t0;
        REQUIRE_FALSE(r);
        CHECK(r.error().is(errc::timeout));
        CHECK(took < 700ms);
        co_await sleep_for(900ms);  // the stalled server ends before the test does
    }());
}

TEST_CASE("http_server enforces request limits", "[net]") {
    net::server_options so;
    so.max_body_bytes = 1000;
    loopback lb(so);
    drive(lb.ioc, [&]() -> asio::awaitable<void> {
        auto req = lb.get("/x");
        req.method = "POST";
        req.body.assign(5000, 'x');
        auto r = co_await lb.transport.send_async(req);
        REQUIRE_FALSE(r);
        CHECK(r.error().is(errc::http_status));
        CHECK(r.error().detail().find("413") != std::string::npos);
    }());
}

TEST_CASE("http_transport streams SSE chunks as they arrive", "[net]") {
    loopback lb;
    drive(lb.ioc, [&]() -> asio::awaitable<void> {
        std::string all;
        int chunks = 0;
        auto r = co_await lb.transport.send_streaming_async(lb.get("/sse/5"), [&](std::string_view c) -> result<void> {
            ++chunks;
            all.append(c);
            return {};
        });
        REQUIRE(r);
        CHECK(r->header("content-type") == std::optional<std::string_view>("text/event-stream"));
        CHECK(chunks >= 5);  // one event per 5 ms: the client sees them separately
        CHECK(all.find("event: tick\ndata: {\"i\":0}\n\n") == 0);
        CHECK(all.find("data: {\"i\":4}\n\n") != std::string::npos);
        auto after = co_await lb.transport.send_async(lb.get("/after"));
        CHECK(after);  // the stream's connection is reusable
        CHECK(lb.transport.connections_opened() == 1);

        auto failed = co_await lb.transport.send_streaming_async(lb.get("/status/500"), [](std::string_view) -> result<void> {
            FAIL("an error body must not reach the chunk handler");
            return {};
        });
        CHECK(failed.error().is(errc::server_error));

        int seen = 0;
        auto aborted = co_await lb.transport.send_streaming_async(lb.get("/sse/50"), [&](std::string_view) -> result<void> {
            if (++seen == 2) return fail(errc::cancelled, "consumer stopped");
            return {};
        });
        CHECK(aborted.error().is(errc::cancelled));

        auto quiet = lb.get("/hang");
        quiet.options.read_timeout = 100ms;
        auto t0 = clk::now();
        auto silent = co_await lb.transport.send_streaming_async(quiet, [](std::string_view) -> result<void> { return {}; });
        CHECK(silent.error().is(errc::timeout));
        CHECK(clk::now() - t0 < 2s);
    }());
}

TEST_CASE("http_transport fails within its deadlines: closed port, silent server", "[net]") {
    loopback lb;
    std::uint16_t closed_port = 0;
    {
        asio::ip::tcp::acceptor a(lb.ioc, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        closed_port = a.local_endpoint().port();
    }  // closed: connecting is refused
    drive(lb.ioc, [&]() -> asio::awaitable<void> {
        net::http_request req;
        req.url = "http://127.0.0.1:" + std::to_string(closed_port) + "/secret/path";
        req.options.deadline = clk::now() + 2s;
        auto t0 = clk::now();
        auto refused = co_await lb.transport.send_async(req);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().is(errc::connection_failed));
        CHECK(clk::now() - t0 < 2s);
        CHECK(refused.error().message().find("secret") == std::string::npos);

        auto hang = lb.get("/hang");
        hang.options.deadline = clk::now() + 300ms;
        t0 = clk::now();
        auto dl = co_await lb.transport.send_async(hang);
        auto took = clk::now() - t0;
        REQUIRE_FALSE(dl);
        CHECK(dl.error().is(errc::deadline_exceeded));
        CHECK(took >= 250ms);
        CHECK(took < 1500ms);

        auto slow = lb.get("/hang");
        slow.options.read_timeout = 200ms;
        t0 = clk::now();
        auto to = co_await lb.transport.send_async(slow);
        took = clk::now() - t0;
        CHECK(to.error().is(errc::timeout));
        CHECK(to.error().detail() == "read response timed out after 200 ms");
        CHECK(took < 1500ms);

        auto tls = lb.get("/");
        tls.url = "https://127.0.0.1:" + std::to_string(lb.server.port()) + "/";
        tls.options.deadline = clk::now() + 2s;
        auto t = co_await lb.transport.send_async(tls);  // a plain HTTP server cannot speak TLS
        REQUIRE_FALSE(t);
        CHECK((t.error().is(errc::tls_error) || t.error().is(errc::connection_closed)));
    }());
}

// The transport arms its timer lazily (detail::io_watchdog): a later limit does not touch the
// timer, an earlier one re-sets it, a timer that fires before the current limit sets itself
// again, and an idle connection has no timer pending. Each path must end the request at its own
// limit: not early, not never.
TEST_CASE("http_transport time limits stay exact on a reused connection (lazy watchdog)", "[net]") {
    loopback lb;
    drive(lb.ioc, [&]() -> asio::awaitable<void> {
        // Earlier limit after a later one: the timer must be moved forward.
        auto fast = lb.get("/");
        fast.options.read_timeout = 2s;
        auto a = co_await lb.transport.send_async(fast);
        REQUIRE(a);
        auto hang = lb.get("/hang");
        hang.options.read_timeout = 150ms;
        auto t0 = clk::now();
        auto b = co_await lb.transport.send_async(hang);
        auto took = clk::now() - t0;
        REQUIRE_FALSE(b);
        CHECK(b.error().is(errc::timeout));
        CHECK(took >= 140ms);
        CHECK(took < 1000ms);
        CHECK(lb.transport.connections_opened() == 1);  // the hung request reused a's connection

        // Later limit after an earlier one within one exchange (write 100 ms, then read 400 ms):
        // the timer fires at the write limit, finds the read limit not reached and sets itself
        // again for it.
        auto quick = lb.get("/");
        quick.options.read_timeout = 150ms;
        auto c = co_await lb.transport.send_async(quick);
        REQUIRE(c);
        auto hang2 = lb.get("/hang");
        hang2.options.write_timeout = 100ms;
        hang2.options.read_timeout = 400ms;
        t0 = clk::now();
        auto d = co_await lb.transport.send_async(hang2);
        took = clk::now() - t0;
        REQUIRE_FALSE(d);
        CHECK(d.error().is(errc::timeout));
        CHECK(d.error().detail() == "read response timed out after 400 ms");
        CHECK(took >= 390ms);
        CHECK(took < 1500ms);

        // An idle pause longer than every earlier limit, then a request that outlives them: the
        // limits of past exchanges must not reach into later ones.
        auto e1 = co_await lb.transport.send_async(quick);
        REQUIRE(e1);
        co_await sleep_for(250ms);  // past quick's limit, connection idle in the pool
        auto slowish = lb.get("/sse/20");  // ~100 ms of events
        slowish.options.read_timeout = 150ms;
        auto e2 = co_await lb.transport.send_async(slowish);
        REQUIRE(e2);
        CHECK(e2->body.find("\"i\":19") != std::string::npos);
        auto hang3 = lb.get("/hang");
        hang3.options.deadline = clk::now() + 200ms;
        t0 = clk::now();
        auto f = co_await lb.transport.send_async(hang3);
        took = clk::now() - t0;
        REQUIRE_FALSE(f);
        CHECK(f.error().is(errc::deadline_exceeded));
        CHECK(took >= 190ms);
        CHECK(took < 1000ms);
    }());
}

TEST_CASE("http_transport replaces a keep-alive connection the server closed while idle", "[net]") {
    net::server_options so;
    so.idle_timeout = 100ms;
    loopback lb(so);
    drive(lb.ioc, [&]() -> asio::awaitable<void> {
        auto first = co_await lb.transport.send_async(lb.get("/a"));
        REQUIRE(first);
        co_await sleep_for(300ms);  // the server drops the idle connection
        auto r = co_await lb.transport.send_async(lb.get("/b"));
        INFO((r ? std::string("ok") : r.error().message()));
        CHECK(r);
        CHECK(lb.transport.connections_opened() == 2);
    }());
}

TEST_CASE("jsonrpc over http_transport: calls, errors, batches, concurrent coroutines", "[net]") {
    loopback lb;
    net::jsonrpc_client<http_transport> rpc(lb.transport, lb.server.url() + "/rpc");
    int good = 0;
    drive(lb.ioc, [&]() -> asio::awaitable<void> {
        json::array p;
        p.emplace_back(1);
        p.emplace_back("two");
        auto r = co_await rpc.call_async("echo", std::move(p));
        REQUIRE(r);
        CHECK(json::serialize(*r) == R"([1,"two"])");
        auto nf = co_await rpc.call_async("nope");
        CHECK(nf.error().is(errc::rpc_error));
        CHECK(nf.error().detail() == "code -32601: method not found");

        std::vector<net::rpc_call> calls(3);
        calls[0].method = "echo";
        calls[1].method = "nope";
        calls[2].method = "echo";
        auto b = co_await rpc.batch_async(std::move(calls));
        REQUIRE(b);
        CHECK((*b)[0]);
        CHECK((*b)[1].error().is(errc::rpc_error));

        auto ex = co_await asio::this_coro::executor;
        int finished = 0;
        for (int w = 0; w < 8; ++w) {
            auto worker = [&](int id) -> asio::awaitable<void> {
                for (int i = 0; i < 25; ++i) {
                    json::array args;
                    args.emplace_back(id * 1000 + i);
                    auto v = co_await rpc.call_async("echo", std::move(args));
                    if (v && v->as_array().at(0) == id * 1000 + i) ++good;
                }
            };
            asio::co_spawn(ex, worker(w), [&](std::exception_ptr) { ++finished; });
        }
        while (finished < 8) co_await sleep_for(1ms);
    }());
    CHECK(good == 200);
    CHECK(lb.transport.connections_opened() <= 8);
}

TEST_CASE("blocking facade: send() against a server on another thread", "[net]") {
    net::io_thread server_thread;
    auto server = http_server::start(server_thread.executor(), [](server_request r) {
                      return server_response::text("sync " + r.target);
                  }).value();
    http_transport t;
    net::http_request req;
    req.method = "GET";
    req.url = server.url() + "/one";
    for (int i = 0; i < 5; ++i) {
        auto r = t.send(req);
        REQUIRE(r);
        CHECK(r->body == "sync /one");
    }
    CHECK(t.connections_opened() == 1);
    CHECK(server.connections_accepted() == 1);

    net::jsonrpc_client<http_transport> rpc(t, server.url());
    auto bad = net::blocking_runner().run(rpc.call_async("x"));  // a text body is not JSON-RPC
    CHECK(bad.error().is(errc::malformed_response));
    server.stop();
}

// ---------------------------------------------------------------------------------------------
// TLS against a real TLS peer: `openssl s_server -www` with a throwaway CA made for this test.
// Proves the success path (trust anchor + hostname/IP verification + HTTP over TLS) and that an
// unknown CA and a wrong name are both refused. Skipped (with a warning) without the openssl CLI.

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {
struct tls_peer {
    std::filesystem::path dir;
    pid_t pid = -1;
    unsigned short port = 0;
    bool ok = false;

    static int sh(const std::string& cmd) { return std::system(cmd.c_str()); }
    static bool port_open(unsigned short p) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(p);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const bool open = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        ::close(fd);
        return open;
    }

    tls_peer() {
        std::random_device rd;
        dir = std::filesystem::temp_directory_path() / ("zerog-tls-" + std::to_string(rd()) + std::to_string(rd()));
        std::filesystem::create_directories(dir);
        const std::string d = dir.string();
        // CA, then a server certificate for 127.0.0.1 / localhost signed by it.
        const std::string gen =
            "cd '" + d + "' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
            "-subj /CN=zerog-test-ca -keyout ca.key -out ca.pem >/dev/null 2>&1 && "
            "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost "
            "-keyout srv.key -out srv.csr >/dev/null 2>&1 && "
            "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ext.cnf && "
            "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile ext.cnf "
            "-out srv.pem >/dev/null 2>&1";
        if (sh("command -v openssl >/dev/null 2>&1") != 0 || sh(gen) != 0) return;
        std::mt19937 rng(rd());
        for (int attempt = 0; attempt < 5 && !ok; ++attempt) {
            port = static_cast<unsigned short>(20000 + rng() % 30000);
            pid = fork();
            if (pid == 0) {
                setpgid(0, 0);
                const std::string p = std::to_string(port), cert = d + "/srv.pem", key = d + "/srv.key";
                std::freopen("/dev/null", "w", stdout);
                std::freopen("/dev/null", "w", stderr);
                execlp("openssl", "openssl", "s_server", "-accept", p.c_str(), "-cert", cert.c_str(), "-key",
                       key.c_str(), "-www", nullptr);
                _exit(127);
            }
            // ready when the port accepts (bounded: 3 s)
            for (int i = 0; i < 60 && !ok; ++i) {
                usleep(50'000);
                ok = port_open(port);
                int st = 0;
                if (waitpid(pid, &st, WNOHANG) == pid) { pid = -1; break; }  // port taken: try another
            }
            if (!ok && pid > 0) {  // never leave a server behind between attempts
                kill(-pid, SIGKILL);
                waitpid(pid, nullptr, 0);
                pid = -1;
            }
        }
    }
    ~tls_peer() {
        if (pid > 0) {
            kill(-pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};
}  // namespace

TEST_CASE("TLS: verified handshake with a trusted CA; unknown CA and wrong host name refused", "[net][tls]") {
    tls_peer peer;
    if (!peer.ok) {
        // Under CI the openssl CLI is installed (tools/install-deps.sh): a skip there would be a
        // test that cannot fail, so it is a failure instead.
        if (const char* ci = std::getenv("CI"); ci && std::string(ci) == "true")
            FAIL("openssl s_server did not start: the TLS peer test cannot run");
        WARN("openssl CLI not available or s_server did not start: TLS peer test skipped");
        return;
    }
    const std::string base = "https://127.0.0.1:" + std::to_string(peer.port) + "/";
    net::http_request req;
    req.method = "GET";
    req.url = base;
    req.options.deadline = clk::now() + 5s;

    net::http_transport_options trusted;
    trusted.extra_ca_file = (peer.dir / "ca.pem").string();
    http_transport good(trusted);
    auto r = good.send(req);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body.find("s_server") != std::string::npos);  // s_server -www status page, over TLS

    http_transport untrusted;  // system store only: the throwaway CA is unknown
    req.options.deadline = clk::now() + 5s;
    auto bad_ca = untrusted.send(req);
    REQUIRE_FALSE(bad_ca);
    CHECK(bad_ca.error().is(errc::tls_error));

    auto wrong_name = req;  // the certificate names 127.0.0.1 and localhost, not 127.0.0.2
    wrong_name.url = "https://127.0.0.2:" + std::to_string(peer.port) + "/";
    wrong_name.options.deadline = clk::now() + 5s;
    http_transport trusted2(trusted);
    auto mismatch = trusted2.send(wrong_name);
    REQUIRE_FALSE(mismatch);
    CHECK((mismatch.error().is(errc::tls_error) || mismatch.error().is(errc::connection_failed)));
}

// ---------------------------------------------------------------------------------------------
// The Prometheus scrape endpoint (client/metrics_endpoint.hpp) on the loopback server.
#include <zerog/client/metrics_endpoint.hpp>

TEST_CASE("metrics endpoint: GET /metrics serves the exposition; other paths and methods are refused", "[net][metrics]") {
    net::io_thread server_thread;
    auto metrics = std::make_shared<observe::metrics_registry>();
    const policy::field l[] = {{"outcome", "ok"}};
    metrics->add("zerog_uploads_total", 2, l);
    auto server = client::serve_metrics(server_thread.executor(), metrics).value();
    http_transport t;
    net::http_request req;
    req.method = "GET";
    req.url = server.url() + "/metrics";
    auto r = t.send(req);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("content-type") == std::optional<std::string_view>("text/plain; version=0.0.4; charset=utf-8"));
    CHECK(r->body.find("zerog_uploads_total{outcome=\"ok\"} 2\n") != std::string::npos);
    metrics->add("zerog_uploads_total", 1, l);  // every scrape renders the current values
    r = t.send(req);
    REQUIRE(r);
    CHECK(r->body.find("zerog_uploads_total{outcome=\"ok\"} 3\n") != std::string::npos);

    req.options.accept_any_status = true;
    req.url = server.url() + "/other";
    r = t.send(req);
    REQUIRE(r);
    CHECK(r->status == 404);
    req.url = server.url() + "/metrics";
    req.method = "POST";
    req.body = "x";
    r = t.send(req);
    REQUIRE(r);
    CHECK(r->status == 405);
    CHECK(r->header("allow") == std::optional<std::string_view>("GET, HEAD"));
    server.stop();
    CHECK_FALSE(client::serve_metrics(server_thread.executor(), nullptr));
}

#include <zerog/client/tracing.hpp>
#include <set>
#include <zerog/observe/telemetry_hub.hpp>

namespace {
struct discard_spans final : observe::span_exporter {
    result<void> export_spans(const std::vector<observe::finished_span>&, std::chrono::milliseconds) override { return {}; }
};
}  // namespace

TEST_CASE("traced operations over http_transport: traceparent per operation, pooled connections shared across operations", "[net][tracing]") {
    loopback lb;
    auto tr = std::make_shared<observe::tracer>(std::make_shared<discard_spans>());
    observe::telemetry_hub hub(observe::json_logger(policy::log_level::off), nullptr, tr);
    std::vector<std::string> seen;
    bool bound_untraced = true;
    for (int i = 0; i < 4; ++i) {
        drive(lb.ioc, [&]() -> asio::awaitable<void> {
            auto r = co_await client::traced_operation(hub, "op", [&]() -> asio::awaitable<result<std::string>> {
                // Inside the operation: the coroutine's executor is traced, the unwrapped one is the io_context's.
                const auto ex = co_await asio::this_coro::executor;
                bound_untraced = bound_untraced && ex.target<net::traced_executor<asio::any_io_executor>>() != nullptr &&
                                 net::untraced(ex).target<asio::io_context::executor_type>() != nullptr;
                auto resp = co_await lb.transport.send_async(lb.get("/traceparent"));
                if (!resp) co_return std::move(resp).error();
                co_return resp->body;
            }());
            REQUIRE(r);
            seen.push_back(*r);
        }());
    }
    CHECK(bound_untraced);
    std::set<std::string> traces;
    for (const auto& tp : seen) {
        REQUIRE(tp.size() == 55);  // 00-<32 hex>-<16 hex>-01
        traces.insert(tp.substr(3, 32));
    }
    CHECK(traces.size() == 4);  // one trace per operation
    // The connection of the first operation served the other three: pooled connections are bound
    // to the plain executor, not to an operation's.
    CHECK(lb.transport.connections_opened() == 1);
    CHECK(lb.server.connections_accepted() == 1);
}
