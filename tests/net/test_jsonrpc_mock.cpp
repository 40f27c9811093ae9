// JSON-RPC client, transport policy models and URL parsing against the mock transport.
// No Beast in this TU on purpose (compile time: a Beast TU costs ~20 s CPU at -O2): Asio coroutines only.
#include <zerog/net/co_try.hpp>
#include <zerog/net/jsonrpc.hpp>
#include <zerog/net/sync.hpp>
#include <zerog/core/url.hpp>
#include <zerog/net/transport.hpp>
#include <zerog/testing/mocks.hpp>

#include <catch2/catch.hpp>

using namespace zerog;
using namespace std::chrono_literals;
using testing::mock_transport;
using testing::scripted_reply;
namespace json = boost::json;
namespace asio = boost::asio;

namespace {

constexpr const char* url = "http://node.example:8545/v1/SECRETKEY";

template <class T>
result<T> run(asio::awaitable<result<T>> op) {
    static net::blocking_runner runner;
    return runner.run(std::move(op));
}

net::jsonrpc_client<mock_transport> client_with(mock_transport m) { return {std::move(m), url}; }

result<json::value> call_once(std::string body, unsigned status = 200) {
    mock_transport m;
    m.push(scripted_reply::response(status, std::move(body)));
    auto c = client_with(m);
    return run(c.call_async("eth_blockNumber"));
}

// The detail of a failed call_once, REQUIREing the code.
std::string detail_of(const result<json::value>& r, errc code) {
    REQUIRE_FALSE(r);
    INFO(r.error().message());
    CHECK(r.error().is(code));
    return r.error().detail();
}

net::http_request post(std::string u) {
    net::http_request r;
    r.url = std::move(u);
    return r;
}

}  // namespace

TEST_CASE("null_transport fails every request with not_supported", "[net]") {
    net::null_transport t;
    auto r = run(t.send_async(post(url)));
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::not_supported));
    CHECK(r.error().message().find("SECRETKEY") == std::string::npos);
    static_assert(sizeof(net::null_transport) == 1);
}

TEST_CASE("mock_transport answers per URL, then in sequence, then by handler, and records requests", "[net]") {
    mock_transport m;
    m.push(scripted_reply::json("first")).push(scripted_reply::json("second"));
    m.on_url("http://b/", scripted_reply::json("for-b"));
    m.set_handler([](const net::http_request& r) { return scripted_reply::json("handled " + r.body); });
    auto b = run(m.send_async(post("http://b/")));
    auto a1 = run(m.send_async(post("http://a/")));
    auto a2 = run(m.send_async(post("http://a/")));
    auto req = post("http://a/");
    req.body = "x";
    auto a3 = run(m.send_async(req));
    REQUIRE(b);
    CHECK(b->body == "for-b");
    CHECK(a1->body == "first");
    CHECK(a2->body == "second");
    CHECK(a3->body == "handled x");
    REQUIRE(m.request_count() == 4);
    CHECK(m.requests()[0].url == "http://b/");
    CHECK(m.requests()[3].body == "x");
    CHECK(m.pending() == 0);
}

TEST_CASE("mock_transport applies status mapping, size limit, delays and deadlines", "[net]") {
    mock_transport m;
    m.push(scripted_reply::response(404, "nope"));
    m.push(scripted_reply::response(503, "busy"));
    m.push(scripted_reply::response(429, "slow down"));
    m.push(scripted_reply::json(std::string(100, 'x')));
    m.push(scripted_reply::json("late").after(2s));
    m.push(scripted_reply::json("late").after(2s));
    m.push(scripted_reply::failure(zerog::error(errc::connection_failed, "refused")));

    auto r404 = run(m.send_async(post(url)));
    REQUIRE_FALSE(r404);
    CHECK(r404.error().is(errc::http_status));
    CHECK(r404.error().detail().find("HTTP 404") != std::string::npos);
    REQUIRE_FALSE(r404.error().context().empty());
    CHECK(r404.error().context().back().endpoint == "http://node.example:8545");
    CHECK(r404.error().context().back().ids.at(0) == std::pair<std::string, std::string>("http_status", "404"));
    CHECK(run(m.send_async(post(url))).error().is(errc::server_error));
    CHECK(run(m.send_async(post(url))).error().is(errc::server_busy));

    auto small = post(url);
    small.options.max_response_bytes = 10;
    CHECK(run(m.send_async(small)).error().is(errc::response_too_large));

    auto with_deadline = post(url);
    with_deadline.options.deadline = std::chrono::steady_clock::now() + 50ms;
    auto t0 = std::chrono::steady_clock::now();
    auto late = run(m.send_async(with_deadline));
    CHECK(late.error().is(errc::deadline_exceeded));
    CHECK(std::chrono::steady_clock::now() - t0 < 1s);

    auto with_timeout = post(url);
    with_timeout.options.read_timeout = 30ms;
    CHECK(run(m.send_async(with_timeout)).error().is(errc::timeout));
    CHECK(run(m.send_async(post(url))).error().is(errc::connection_failed));
    CHECK(run(m.send_async(post(url))).error().is(errc::not_found));  // script exhausted
}

TEST_CASE("mock_transport streams scripted chunks and stops when the handler fails", "[net]") {
    mock_transport m;
    scripted_reply r = scripted_reply::response(200, "");
    r.chunks = {"data: a\n\n", "data: b\n\n", "data: c\n\n"};
    m.push(r).push(r);
    std::vector<std::string> got;
    auto ok = run(m.send_streaming_async(post(url), [&](std::string_view c) -> result<void> {
        got.emplace_back(c);
        return {};
    }));
    REQUIRE(ok);
    CHECK(ok->status == 200);
    CHECK(got.size() == 3);
    int n = 0;
    auto stopped = run(m.send_streaming_async(post(url), [&](std::string_view) -> result<void> {
        if (++n == 2) return fail(errc::cancelled, "enough");
        return {};
    }));
    CHECK(stopped.error().is(errc::cancelled));
    CHECK(n == 2);
}

TEST_CASE("parse_url splits origin and target and rejects what we do not speak", "[net]") {
    auto u = zerog::parse_url("https://evmrpc-testnet.0g.ai");
    REQUIRE(u);
    CHECK(u->tls);
    CHECK(u->port == 443);
    CHECK(u->target == "/");
    CHECK(u->host_header() == "evmrpc-testnet.0g.ai");
    auto v = zerog::parse_url("http://127.0.0.1:8545/rpc?x=1#frag");
    REQUIRE(v);
    CHECK(v->origin() == "http://127.0.0.1:8545");
    CHECK(v->target == "/rpc?x=1");
    CHECK(v->host_header() == "127.0.0.1:8545");
    auto w = zerog::parse_url("http://[::1]:9/");
    REQUIRE(w);
    CHECK(w->host == "::1");
    CHECK(w->origin() == "http://[::1]:9");
    CHECK(zerog::parse_url("http://h?q")->target == "/?q");
    for (const char* bad : {"ftp://h/", "http://", "http://h:0/", "http://h:99999/", "http://h:x/", "http://[::1/",
                            "http://user:pw@h/", "h:80"}) {
        INFO(bad);
        auto r = zerog::parse_url(bad);
        REQUIRE_FALSE(r);
        CHECK((r.error().is(errc::invalid_argument) || r.error().is(errc::out_of_range)));
        CHECK(r.error().message().find("pw") == std::string::npos);
    }
}

TEST_CASE("jsonrpc call sends a well-formed request with headers and the telemetry hook", "[net]") {
    mock_transport m;
    m.push_json(R"({"jsonrpc":"2.0","id":1,"result":"0x10"})");
    net::jsonrpc_options o;
    o.headers.emplace_back("Authorization", "Bearer TOPSECRET");
    o.extra_headers = [](const net::rpc_request_info& info) {
        net::http_headers h;
        h.emplace_back("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        h.emplace_back("X-Method", std::string(info.method));
        return h;
    };
    o.request.deadline = std::chrono::steady_clock::now() + 5s;
    net::jsonrpc_client<mock_transport> c(m, url, o);
    json::array params;
    params.emplace_back("latest");
    params.emplace_back(false);
    auto r = run(c.call_async("eth_getBlockByNumber", std::move(params)));
    REQUIRE(r);
    CHECK(*r == json::value("0x10"));
    auto reqs = m.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].method == "POST");
    CHECK(reqs[0].url == url);
    CHECK(reqs[0].options.deadline == o.request.deadline);
    CHECK(net::find_header(reqs[0].headers, "content-type") == std::optional<std::string_view>("application/json"));
    CHECK(net::find_header(reqs[0].headers, "traceparent").has_value());
    CHECK(net::find_header(reqs[0].headers, "x-method") == std::optional<std::string_view>("eth_getBlockByNumber"));
    auto body = json::parse(reqs[0].body).as_object();
    CHECK(body.at("jsonrpc") == "2.0");
    CHECK(body.at("id") == 1);
    CHECK(body.at("method") == "eth_getBlockByNumber");
    CHECK(body.at("params").as_array().size() == 2);
}

TEST_CASE("jsonrpc rejects every malformed single response precisely", "[net]") {
    struct tc {
        const char* name;
        std::string body;
        errc code;
        const char* detail_part;
    };
    const std::vector<tc> cases = {
        {"wrong id", R"({"jsonrpc":"2.0","id":2,"result":"0x1"})", errc::malformed_response, "response id 2 does not match request id 1"},
        {"string id", R"({"jsonrpc":"2.0","id":"1","result":"0x1"})", errc::malformed_response, "is not the integer id"},
        {"missing id", R"({"jsonrpc":"2.0","result":"0x1"})", errc::malformed_response, "missing \"id\""},
        {"neither", R"({"jsonrpc":"2.0","id":1})", errc::malformed_response, "neither \"result\" nor \"error\""},
        {"both", R"({"jsonrpc":"2.0","id":1,"result":"0x1","error":{"code":1,"message":"m"}})", errc::malformed_response, "both"},
        {"version 1.0", R"({"jsonrpc":"1.0","id":1,"result":"0x1"})", errc::malformed_response, "expected \"2.0\""},
        {"version number", R"({"jsonrpc":2.0,"id":1,"result":"0x1"})", errc::malformed_response, "expected \"2.0\""},
        {"no version", R"({"id":1,"result":"0x1"})", errc::malformed_response, "missing \"jsonrpc\""},
        {"not JSON", "<html>502 Bad Gateway</html>", errc::malformed_response, "not JSON"},
        {"truncated", R"({"jsonrpc":"2.0","id":1,"result":"0x)", errc::malformed_response, "truncated"},
        {"empty", "", errc::malformed_response, "empty response body"},
        {"array for single", R"([{"jsonrpc":"2.0","id":1,"result":"0x1"}])", errc::malformed_response, "got an array"},
        {"scalar", "42", errc::malformed_response, "got number"},
        {"null id with result", R"({"jsonrpc":"2.0","id":null,"result":1})", errc::malformed_response, "null id"},
        {"error not object", R"({"jsonrpc":"2.0","id":1,"error":"boom"})", errc::malformed_response, "\"error\" is a string"},
        {"error code string", R"({"jsonrpc":"2.0","id":1,"error":{"code":"x","message":"m"}})", errc::malformed_response, "integer \"code\""},
        {"error without message", R"({"jsonrpc":"2.0","id":1,"error":{"code":1}})", errc::malformed_response, "string \"message\""},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        auto r = call_once(c.body);
        const std::string d = detail_of(r, c.code);
        CHECK(d.find(c.detail_part) != std::string::npos);
        // context: method and redacted endpoint, never the secret path
        REQUIRE_FALSE(r.error().context().empty());
        CHECK(r.error().context().back().operation == "eth_blockNumber");
        CHECK(r.error().context().back().endpoint == "http://node.example:8545");
        CHECK(r.error().message().find("SECRETKEY") == std::string::npos);
    }
}

TEST_CASE("jsonrpc enforces the response size limit", "[net]") {
    mock_transport m;
    m.push_json(R"({"jsonrpc":"2.0","id":1,"result":")" + std::string(5000, 'a') + "\"}");
    net::jsonrpc_options o;
    o.request.max_response_bytes = 1000;
    net::jsonrpc_client<mock_transport> c(m, url, o);
    auto r = run(c.call_async("eth_getCode"));
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::response_too_large));
    CHECK(m.requests()[0].options.max_response_bytes == 1000);
}

TEST_CASE("jsonrpc maps error objects with code, message, data, method and endpoint", "[net]") {
    auto r = call_once(R"({"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"the method foo does not exist","data":{"x":1}}})");
    const std::string d = detail_of(r, errc::rpc_error);
    CHECK(d == R"(code -32601: the method foo does not exist; data: {"x":1})");
    const auto& top = r.error().context().back();
    CHECK(top.operation == "eth_blockNumber");
    CHECK(top.endpoint == "http://node.example:8545");
    CHECK(top.ids.at(0) == std::pair<std::string, std::string>("rpc_code", "-32601"));

    detail_of(call_once(R"({"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"internal"}})"), errc::server_error);
    // null id + error: the server could not read the request (JSON-RPC 2.0 specification §5)
    detail_of(call_once(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}})"), errc::rpc_error);
    // a non-2xx status with a JSON-RPC error body reports the JSON-RPC error
    detail_of(call_once(R"({"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"nonce too low"}})", 400), errc::rpc_error);
    // a non-2xx status with a result or junk reports the status
    auto s = call_once("<html>bad gateway</html>", 502);
    detail_of(s, errc::server_error);
    CHECK(s.error().detail().find("HTTP 502") != std::string::npos);
    detail_of(call_once(R"({"jsonrpc":"2.0","id":1,"result":"0x1"})", 403), errc::http_status);

    mock_transport m;
    m.push_json(R"({"jsonrpc":"2.0","id":1,"error":{"code":3,"message":"execution reverted","data":"0x08c379a0"}})");
    auto c = client_with(m);
    auto detailed = run(c.call_detailed_async("eth_call"));
    REQUIRE(detailed);
    auto* e = std::get_if<net::rpc_error_object>(&*detailed);
    REQUIRE(e);
    CHECK(e->code == 3);
    CHECK(e->data == "0x08c379a0");
}

TEST_CASE("jsonrpc passes transport errors through with the method in context", "[net]") {
    mock_transport m;
    m.push_error(zerog::error(errc::timeout, "read response timed out after 100 ms"));
    m.push_json(R"({"jsonrpc":"2.0","id":2,"result":"0x1"})");
    net::jsonrpc_options o;
    o.headers.emplace_back("Authorization", "Bearer TOPSECRET");
    net::jsonrpc_client<mock_transport> c(m, url, o);
    auto r = run(c.call_async("eth_chainId"));
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::timeout));
    CHECK(r.error().context().back().operation == "eth_chainId");
    CHECK(r.error().message().find("TOPSECRET") == std::string::npos);
    CHECK(run(c.call_async("eth_chainId")));  // ids advance: the second call is id 2
}

TEST_CASE("jsonrpc batch returns results in call order and validates ids", "[net]") {
    auto batch_of = [](std::string body) {
        mock_transport m;
        m.push_json(std::move(body));
        auto c = client_with(m);
        std::vector<net::rpc_call> calls(3);
        calls[0].method = "eth_chainId";
        calls[1].method = "eth_blockNumber";
        calls[2].method = "eth_nope";
        auto r = run(c.batch_async(std::move(calls)));
        if (r) {
            auto sent = json::parse(m.requests()[0].body).as_array();
            CHECK(sent.size() == 3);
            CHECK(sent[2].at("id") == 3);
            CHECK(sent[2].at("method") == "eth_nope");
        }
        return r;
    };
    auto ok = batch_of(R"([{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"no such method"}},
                           {"jsonrpc":"2.0","id":1,"result":"0x4115"},
                           {"jsonrpc":"2.0","id":2,"result":"0x10"}])");
    REQUIRE(ok);
    REQUIRE(ok->size() == 3);
    CHECK((*ok)[0].value() == "0x4115");
    CHECK((*ok)[1].value() == "0x10");
    REQUIRE_FALSE((*ok)[2]);
    CHECK((*ok)[2].error().is(errc::rpc_error));
    CHECK((*ok)[2].error().context().back().operation == "eth_nope");

    struct tc {
        const char* name;
        const char* body;
        errc code;
        const char* detail_part;
    };
    const std::vector<tc> bad = {
        {"missing id", R"([{"jsonrpc":"2.0","id":1,"result":1},{"jsonrpc":"2.0","id":2,"result":2}])", errc::malformed_response, "no answer for id 3"},
        {"duplicate id", R"([{"jsonrpc":"2.0","id":1,"result":1},{"jsonrpc":"2.0","id":1,"result":1},{"jsonrpc":"2.0","id":2,"result":2}])",
         errc::malformed_response, "duplicate id 1"},
        {"unexpected id", R"([{"jsonrpc":"2.0","id":9,"result":1}])", errc::malformed_response, "unexpected id 9"},
        {"null id", R"([{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"m"}}])", errc::malformed_response, "null id"},
        {"bad element", R"([{"jsonrpc":"1.0","id":1,"result":1}])", errc::malformed_response, "batch element 0"},
        {"single object", R"({"jsonrpc":"2.0","id":1,"result":1})", errc::malformed_response, "single response object"},
        {"rejected", R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch too large"}})", errc::rpc_error, "batch too large"},
        {"not array", R"("x")", errc::malformed_response, "got string"},
        {"truncated", R"([{"jsonrpc":"2.0","id":1,"res)", errc::malformed_response, "truncated"},
    };
    for (const auto& c : bad) {
        INFO(c.name);
        auto r = batch_of(c.body);
        REQUIRE_FALSE(r);
        INFO(r.error().message());
        CHECK(r.error().is(c.code));
        CHECK(r.error().detail().find(c.detail_part) != std::string::npos);
        CHECK(r.error().context().back().operation == "JSON-RPC batch");
    }

    mock_transport m;
    auto c = client_with(m);
    CHECK(run(c.batch_async({})).error().is(errc::invalid_argument));
    CHECK(m.request_count() == 0);
}

TEST_CASE("jsonrpc call_as converts hex quantities and reports bad ones", "[net]") {
    mock_transport m;
    m.push_json(R"({"jsonrpc":"2.0","id":1,"result":"0xde0b6b3a7640000"})");
    m.push_json(R"({"jsonrpc":"2.0","id":2,"result":"0x1a"})");
    m.push_json(R"({"jsonrpc":"2.0","id":3,"result":"0x10000000000000000"})");
    m.push_json(R"({"jsonrpc":"2.0","id":4,"result":12})");
    m.push_json(R"({"jsonrpc":"2.0","id":5,"result":"0xzz"})");
    m.push_json(R"({"jsonrpc":"2.0","id":6,"result":"0x0102"})");
    auto c = client_with(m);
    auto wei = run(c.call_as_async<uint256>("eth_getBalance"));
    REQUIRE(wei);
    CHECK(*wei == uint256(1'000'000'000'000'000'000ULL));
    CHECK(run(c.call_as_async<std::uint64_t>("eth_blockNumber")).value() == 26);
    CHECK(run(c.call_as_async<std::uint64_t>("eth_blockNumber")).error().is(errc::overflow));
    auto not_string = run(c.call_as_async<uint256>("eth_gasPrice"));
    CHECK(not_string.error().is(errc::malformed_response));
    CHECK(not_string.error().context().back().operation == "decoding the result of eth_gasPrice");
    CHECK(run(c.call_as_async<uint256>("eth_gasPrice")).error().is(errc::invalid_number));
    CHECK(run(c.call_as_async<bytes>("eth_getCode")).value() == bytes{1, 2});
}

namespace {
asio::awaitable<result<int>> co_try_chain(mock_transport m, bool fail_first) {
    if (fail_first) m.push_error(zerog::error(errc::io_error, "x"));
    else m.push_json("{}");
    ZEROG_CO_TRY(auto res, co_await m.send_async(post(url)));
    ZEROG_CO_CHECK(result<void>());
    co_return static_cast<int>(res.body.size());
}
}  // namespace

TEST_CASE("ZEROG_CO_TRY and ZEROG_CO_CHECK return early from coroutines", "[net]") {
    CHECK(run(co_try_chain(mock_transport{}, false)).value() == 2);
    CHECK(run(co_try_chain(mock_transport{}, true)).error().is(errc::io_error));
}

TEST_CASE("jsonrpc fails over to the next endpoint only when one cannot be reached", "[net][failover]") {
    const std::string a = "http://a.example:8545/KEY_A", b = "http://b.example:8545/KEY_B", c = "http://c.example:8545";
    auto echo_id = [](const net::http_request& r) {
        auto v = json::parse(r.body);
        return scripted_reply::json(R"({"jsonrpc":"2.0","id":)" + json::serialize(v.at("id")) + R"(,"result":"0x10"})");
    };
    SECTION("refused, then 503: the third answers and becomes current for later calls") {
        mock_transport m;
        m.on_url(a, scripted_reply::failure(zerog::error(errc::connection_failed, "connect failed: refused")));
        m.on_url(b, scripted_reply::response(503, "busy"));
        m.set_handler(echo_id);
        net::jsonrpc_client<mock_transport> rpc(m, std::vector<std::string>{a, b, c});
        auto r = run(rpc.call_async("eth_blockNumber"));
        REQUIRE(r);
        CHECK(*r == "0x10");
        CHECK(rpc.url() == c);
        auto again = run(rpc.call_async("eth_chainId"));
        REQUIRE(again);
        const auto reqs = m.requests();
        REQUIRE(reqs.size() == 4);
        CHECK(reqs[0].url == a);
        CHECK(reqs[1].url == b);
        CHECK(reqs[2].url == c);
        CHECK(reqs[3].url == c);  // sticky: the next call starts at the endpoint that answered
        CHECK(reqs[0].body == reqs[2].body);  // the same request (same id) was resent
    }
    SECTION("an answer is final: a JSON-RPC error (even -32603) and a malformed body are not failed over") {
        mock_transport m;
        m.on_url(a, scripted_reply::json(R"({"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"internal"}})"));
        m.set_handler(echo_id);
        net::jsonrpc_client<mock_transport> rpc(m, std::vector<std::string>{a, b});
        auto r = run(rpc.call_async("eth_call"));
        REQUIRE_FALSE(r);
        CHECK(r.error().is(errc::server_error));
        CHECK(m.request_count() == 1);
        m.on_url(a, scripted_reply::json("not json"));
        auto bad = run(rpc.call_async("eth_call"));
        REQUIRE_FALSE(bad);
        CHECK(bad.error().is(errc::malformed_response));
        CHECK(m.request_count() == 2);
        CHECK(rpc.url() == a);
    }
    SECTION("every endpoint down: the last error, how many were tried, no key in the message") {
        mock_transport m;
        m.on_url(a, scripted_reply::failure(zerog::error(errc::timeout, "read response timed out after 100 ms")));
        m.on_url(b, scripted_reply::failure(zerog::error(errc::connection_closed, "connection closed by peer")));
        net::jsonrpc_client<mock_transport> rpc(m, std::vector<std::string>{a, b});
        auto r = run(rpc.call_async("eth_blockNumber"));
        REQUIRE_FALSE(r);
        CHECK(r.error().is(errc::connection_closed));
        const std::string msg = r.error().message();
        INFO(msg);
        CHECK(msg.find("endpoints_tried") != std::string::npos);
        CHECK(msg.find("b.example") != std::string::npos);
        CHECK(msg.find("KEY_") == std::string::npos);
        CHECK(m.request_count() == 2);
        CHECK(rpc.url() == a);  // nothing answered: the preferred endpoint stays current
    }
    SECTION("a passed deadline stops the failover") {
        mock_transport m;
        m.on_url(a, scripted_reply::failure(zerog::error(errc::connection_failed, "refused")).after(30ms));
        m.set_handler(echo_id);
        net::jsonrpc_client<mock_transport> rpc(m, std::vector<std::string>{a, b});
        net::request_options ro;
        ro.deadline = std::chrono::steady_clock::now() + 10ms;
        auto r = run(rpc.call_async("eth_blockNumber", json::array(), ro));
        REQUIRE_FALSE(r);
        CHECK(m.request_count() == 1);
    }
}
