// Helpers for the resilience devnet tests (issue #8): a counting (and user-tagging) transport
// wrapper, in-process storage nodes holding one file, and small timing helpers.
//
// Everything runs on 127.0.0.1; every wait is bounded; nodes, threads and temp folders are
// released by RAII (local_node / temp_dir from tests/devnet/devnet_test_util.hpp).
#pragma once

#include "../devnet/devnet_test_util.hpp"

#include <zerog/client/pipeline.hpp>
#include <zerog/net/http_transport.hpp>
#include <zerog/net/jsonrpc.hpp>
#include <zerog/net/sync.hpp>
#include <zerog/net/transport.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace resilience_test {

namespace fs = std::filesystem;
namespace dv = zerog::devnet;
namespace json = boost::json;
namespace pol = zerog::policy;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

/// What a request is about: the JSON-RPC method of a single call, "batch", or "GET /path" (query
/// dropped) for plain HTTP.
inline std::string what_of(const zerog::net::http_request& r) {
    boost::system::error_code ec;
    if (!r.body.empty()) {
        const json::value v = json::parse(r.body, ec);
        if (!ec && v.is_array()) return "batch";
        if (!ec && v.is_object())
            if (const auto* m = v.get_object().if_contains("method"); m && m->is_string()) return std::string(m->get_string());
    }
    std::string path = r.url;
    if (auto s = path.find("://"); s != std::string::npos) {
        const auto slash = path.find('/', s + 3);
        path = slash == std::string::npos ? "/" : path.substr(slash);
    }
    if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
    return r.method + " " + path;
}

/// Transport policy wrapper: counts every request per origin (scheme://host:port) and per
/// `what_of`, optionally tags it with `X-Zerog-User: <user_tag>` (read by the storage node's
/// request log), then hands it to the real Beast transport. Copies share the counters.
struct counting_transport {
    struct stats_t {
        mutable std::mutex m;
        std::map<std::string, std::map<std::string, unsigned>> by_origin;
        unsigned total = 0;
    };
    zerog::net::http_transport inner{zerog::net::http_transport_options{}};
    std::shared_ptr<stats_t> stats = std::make_shared<stats_t>();
    std::string user_tag;

    void note(zerog::net::http_request& r) {
        if (!user_tag.empty()) r.headers.emplace_back("X-Zerog-User", user_tag);
        const std::string origin = zerog::redact_endpoint(r.url), what = what_of(r);
        std::lock_guard lk(stats->m);
        ++stats->by_origin[origin][what];
        ++stats->total;
    }
    boost::asio::awaitable<zerog::result<zerog::net::http_response>> send_async(zerog::net::http_request r) {
        note(r);
        return inner.send_async(std::move(r));
    }
    boost::asio::awaitable<zerog::result<zerog::net::http_response>> send_streaming_async(zerog::net::http_request r, zerog::net::chunk_handler h) {
        note(r);
        return inner.send_streaming_async(std::move(r), std::move(h));
    }

    /// Requests sent to `origin` (all kinds, or those whose what_of starts with `prefix`).
    unsigned count(const std::string& origin, std::string_view prefix = {}) const {
        std::lock_guard lk(stats->m);
        auto it = stats->by_origin.find(origin);
        if (it == stats->by_origin.end()) return 0;
        unsigned n = 0;
        for (const auto& [w, c] : it->second)
            if (w.rfind(prefix, 0) == 0) n += c;
        return n;
    }
    unsigned total() const {
        std::lock_guard lk(stats->m);
        return stats->total;
    }
    void reset() {
        std::lock_guard lk(stats->m);
        stats->by_origin.clear();
        stats->total = 0;
    }
};
static_assert(zerog::net::Transport<counting_transport>);

/// Run `op` on `ioc` (in this thread) until IT completes, bounded by `limit` (a test failure after
/// it). Unlike net::blocking_runner this does not wait for the context to run out of work: an
/// idle pooled connection may keep a timer pending, and the times measured here are the op's.
template <class T>
zerog::result<T> run_until_done(boost::asio::io_context& ioc, boost::asio::awaitable<zerog::result<T>> op,
                                std::chrono::milliseconds limit = std::chrono::milliseconds(60'000)) {
    auto out = std::make_shared<std::optional<zerog::result<T>>>();
    auto failure = std::make_shared<std::exception_ptr>();
    auto done = std::make_shared<bool>(false);
    ioc.restart();
    boost::asio::co_spawn(ioc, zerog::net::detail::store_into<T>(*out, std::move(op)), [out, failure, done](std::exception_ptr ep) {
        *failure = ep;
        *done = true;
    });
    const auto until = clock_type::now() + limit;
    while (!*done && clock_type::now() < until) ioc.run_one_for(std::chrono::milliseconds(50));
    if (!*done) FAIL("operation still running after " << limit.count() << " ms");
    if (*failure) std::rethrow_exception(*failure);
    REQUIRE(out->has_value());
    return std::move(**out);
}

/// One plain JSON-RPC call to a node (no policies), on a private context, bounded by `limit`.
inline zerog::result<json::value> plain_call(const std::string& url, std::string method, json::array params,
                                             std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
    boost::asio::io_context ioc;
    dv::rpc_client c(zerog::net::http_transport(), url);
    return run_until_done(ioc, c.call_async(std::move(method), std::move(params), dv::local_request(limit)), limit + std::chrono::milliseconds(2000));
}

/// The test file's data segment i with its proof, as zgs_upload* expects it.
inline json::array all_segments(const devnet_test::test_file& f) {
    json::array segs;
    for (std::uint64_t i = 0; i < f.tree.layout.segments; ++i) segs.push_back(f.seg_json(i));
    return segs;
}

/// `n` in-process storage nodes (own io thread each, own temp folder under `base`), each holding
/// `file` completely (tx injected, every segment uploaded, finalized).
inline std::vector<std::unique_ptr<devnet_test::local_node>> nodes_with(const fs::path& base, unsigned n, const devnet_test::test_file& file) {
    std::vector<std::unique_ptr<devnet_test::local_node>> out;
    for (unsigned i = 0; i < n; ++i) {
        auto node = std::make_unique<devnet_test::local_node>(base / ("node-" + std::to_string(i)));
        node->add_tx(file.tx);
        json::array p;
        p.push_back(all_segments(file));
        p.push_back(json::value(file.tx.seq));
        auto up = plain_call(node->url(), "zgs_uploadSegmentsByTxSeq", std::move(p));
        INFO((up ? std::string() : up.error().message()));
        REQUIRE(up);
        json::array q;
        q.push_back(json::value(file.tx.seq));
        auto fin = plain_call(node->url(), "zgs_checkFileFinalized", std::move(q));
        REQUIRE(fin);
        REQUIRE(*fin == json::value(true));
        out.push_back(std::move(node));
    }
    return out;
}

/// Poll `pred` every 20 ms until it holds or `limit` passes. Returns the last value.
template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds limit) {
    const auto until = clock_type::now() + limit;
    for (;;) {
        if (pred()) return true;
        if (clock_type::now() >= until) return false;
        std::this_thread::sleep_for(20ms);
    }
}

/// True when a TCP connection to `url`'s node is accepted and zgs_getStatus answers (one probe,
/// bounded by 500 ms, outside any client under test).
inline bool node_answers(const std::string& url) { return plain_call(url, "zgs_getStatus", json::array(), 500ms).has_value(); }

inline double seconds(clock_type::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace resilience_test
