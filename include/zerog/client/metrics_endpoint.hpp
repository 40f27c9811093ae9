// `/metrics` on the loopback HTTP server: the Prometheus scrape endpoint of a zerog process.
//
//   auto metrics = std::make_shared<observe::metrics_registry>();
//   auto srv = client::serve_metrics(ioc.get_executor(), metrics, {.port = 9464});
//   // GET http://127.0.0.1:9464/metrics → the text exposition (observe/metrics.hpp)
//
// An application with its own HTTP server calls `metrics->render()` instead and answers with
// `metrics_content_type`. Only GET/HEAD /metrics is served (404 elsewhere, 405 for other
// methods); request bodies are refused by the server's limits (server_options).
//
// Thread safety: the server runs on the executor given; the registry is fully concurrent.
#pragma once

#include <zerog/net/http_server.hpp>
#include <zerog/observe/metrics.hpp>

#include <memory>
#include <string_view>

namespace zerog::client {

/// The Content-Type of the text exposition format.
inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

/// The response to one scrape request (a handler for any server).
inline net::server_response metrics_response(const observe::metrics_registry& m, const net::server_request& req) {
    const std::string_view path = std::string_view(req.target).substr(0, req.target.find('?'));
    if (path != "/metrics") return net::server_response::text("not found: this server answers GET /metrics\n", 404);
    if (req.method != "GET" && req.method != "HEAD") {
        auto r = net::server_response::text("method not allowed\n", 405);
        r.headers.emplace_back("Allow", "GET, HEAD");
        return r;
    }
    net::server_response r;
    r.headers.emplace_back("Content-Type", std::string(metrics_content_type));
    if (req.method == "GET") r.body = m.render();
    return r;
}

/// Serve `metrics` at /metrics on `opts.address:opts.port` (loopback by default).
inline result<net::http_server> serve_metrics(boost::asio::any_io_executor ex, std::shared_ptr<const observe::metrics_registry> metrics,
                                              net::server_options opts = {}) {
    if (!metrics) return zerog::error(errc::invalid_argument, "no metrics registry to serve").during("starting the metrics endpoint");
    opts.max_body_bytes = std::min<std::size_t>(opts.max_body_bytes, 4096);
    auto srv = net::http_server::start(
        ex, [metrics](net::server_request req) { return metrics_response(*metrics, req); }, std::move(opts));
    if (!srv) return std::move(srv).error().during("starting the metrics endpoint");
    return srv;
}

}  // namespace zerog::client
