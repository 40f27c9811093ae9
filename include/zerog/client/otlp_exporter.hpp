// The OTLP/HTTP JSON span exporter: POST {endpoint}/v1/traces, Content-Type application/json, one batch per request,
// bounded by the queue's export timeout (connect, write, read and the whole exchange). Runs on the
// span queue's own thread (the blocking facade of http_transport), never on a client's executor;
// its own requests carry no traceparent (that thread has no current span).
#pragma once

#include <zerog/observe/tracing.hpp>

#include <zerog/core/url.hpp>
#include <zerog/net/http_transport.hpp>

#include <string>

namespace zerog::client {

class otlp_http_exporter final : public observe::span_exporter {
public:
    /// `endpoint`: the collector's base URL (http://host:4318); "/v1/traces" is appended unless the
    /// URL already ends with it.
    otlp_http_exporter(std::string endpoint, observe::otlp_resource resource, std::string scope_version)
        : url_(std::move(endpoint)), resource_(std::move(resource)), scope_version_(std::move(scope_version)) {
        while (!url_.empty() && url_.back() == '/') url_.pop_back();
        if (!url_.ends_with("/v1/traces")) url_ += "/v1/traces";
    }

    result<void> export_spans(const std::vector<observe::finished_span>& batch, std::chrono::milliseconds timeout) override {
        net::http_request q;
        q.method = "POST";
        q.url = url_;
        q.headers.emplace_back("Content-Type", "application/json");
        q.body = observe::otlp_json(resource_, scope_version_, batch);
        q.options.deadline = zerog::steady_time::clock::now() + timeout;
        q.options.connect_timeout = timeout;
        q.options.write_timeout = timeout;
        q.options.read_timeout = timeout;
        q.options.max_response_bytes = 64 * 1024;
        auto r = transport_.send(std::move(q));
        if (!r) return std::move(r).error().during("exporting " + std::to_string(batch.size()) + " span(s) to " + redact_endpoint(url_));
        return {};
    }

private:
    std::string url_;
    observe::otlp_resource resource_;
    std::string scope_version_;
    net::http_transport transport_;
};

}  // namespace zerog::client
