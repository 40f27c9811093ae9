// The production Telemetry model: the JSON-lines logger plus, when the application provides one, a
// Prometheus metrics registry (observe/metrics.hpp).
//
//   auto metrics = std::make_shared<observe::metrics_registry>();
//   observe::telemetry_hub t(observe::json_logger::from_env(), metrics);
//   // … a client composed with t counts into `metrics`; serve metrics->render() on /metrics
//
// Logs go to the logger; count/observe/gauge go to the registry (nothing when it is null);
// alerts are logged at warn and counted in zerog_alerts_total{alert}; spans go to the tracer
// (observe/tracing.hpp, exported over OTLP by client/otlp_exporter.hpp) when one is given, else
// span_start returns an invalid handle and nothing is traced.
//
// Copyable and cheap to copy (the registry is shared): the breaker keeps its own copy.
// Thread safety: that of the logger and the registry (both fully concurrent).
#pragma once

#include <zerog/observe/json_logger.hpp>
#include <zerog/observe/metrics.hpp>
#include <zerog/observe/tracing.hpp>
#include <zerog/policy/telemetry.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace zerog::observe {

class telemetry_hub {
public:
    telemetry_hub() = default;
    explicit telemetry_hub(json_logger logger, std::shared_ptr<metrics_registry> metrics = nullptr,
                           std::shared_ptr<observe::tracer> tracer = nullptr)
        : logger_(std::move(logger)), metrics_(std::move(metrics)), tracer_(std::move(tracer)) {}

    const std::shared_ptr<metrics_registry>& metrics() const noexcept { return metrics_; }
    const json_logger& logger() const noexcept { return logger_; }
    const std::shared_ptr<observe::tracer>& tracer() const noexcept { return tracer_; }

    bool enabled(policy::log_level l) const noexcept { return logger_.enabled(l); }
    void log(policy::log_level l, std::string_view event, policy::fields f) { logger_.log(l, event, f); }
    void count(std::string_view name, double delta, policy::fields labels) {
        if (metrics_) metrics_->add(name, delta, labels);
    }
    void observe(std::string_view name, double value, policy::fields labels) {
        if (metrics_) metrics_->observe(name, value, labels);
    }
    void gauge(std::string_view name, double value, policy::fields labels) {
        if (metrics_) metrics_->set(name, value, labels);
    }
    policy::span_handle span_start(std::string_view name) { return tracer_ ? tracer_->start(name) : policy::span_handle{}; }
    void span_end(const policy::span_handle& s, const zerog::error* e) {
        if (!tracer_) return;
        tracer_->end(s, e);
        if (metrics_)
            if (const auto n = tracer_->take_unreported_drops()) metrics_->add("zerog_spans_dropped_total", static_cast<double>(n), {});
    }
    std::optional<std::string> traceparent(const policy::span_handle& s) const {
        if (!s.valid()) return std::nullopt;
        return policy::traceparent_of(policy::trace_context{s.trace_id, s.span_id});
    }
    void alert(std::string_view name, policy::fields f) {
        logger_.alert(name, f);
        if (metrics_) {
            const policy::field l[] = {{"alert", name}};
            metrics_->add("zerog_alerts_total", 1, l);
        }
    }

private:
    json_logger logger_{policy::log_level::warn};
    std::shared_ptr<metrics_registry> metrics_;
    std::shared_ptr<observe::tracer> tracer_;
};
static_assert(policy::Telemetry<telemetry_hub>);

}  // namespace zerog::observe
