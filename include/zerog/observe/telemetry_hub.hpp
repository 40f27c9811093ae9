// The production Telemetry model: the JSON-lines logger plus, when the application provides one, a
// Prometheus metrics registry (observe/metrics.hpp).
//
//   auto metrics = std::make_shared<observe::metrics_registry>();
//   observe::telemetry_hub t(observe::json_logger::from_env(), metrics);
//   // … a client composed with t counts into `metrics`; serve metrics->render() on /metrics
//
// Logs go to the logger; count/observe/gauge go to the registry (nothing when it is null);
// alerts are logged at warn and counted in zerog_alerts_total{alert}. Spans are not exported yet
// (the OTLP exporter is a later slice of the observability work), so span_start returns an
// invalid handle and no `traceparent` is sent.
//
// Copyable and cheap to copy (the registry is shared): the breaker keeps its own copy.
// Thread safety: that of the logger and the registry (both fully concurrent).
#pragma once

#include <zerog/observe/json_logger.hpp>
#include <zerog/observe/metrics.hpp>
#include <zerog/policy/telemetry.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace zerog::observe {

class telemetry_hub {
public:
    telemetry_hub() = default;
    explicit telemetry_hub(json_logger logger, std::shared_ptr<metrics_registry> metrics = nullptr)
        : logger_(std::move(logger)), metrics_(std::move(metrics)) {}

    const std::shared_ptr<metrics_registry>& metrics() const noexcept { return metrics_; }
    const json_logger& logger() const noexcept { return logger_; }

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
    policy::span_handle span_start(std::string_view) const noexcept { return {}; }
    void span_end(const policy::span_handle&, const zerog::error*) const noexcept {}
    std::optional<std::string> traceparent(const policy::span_handle&) const { return std::nullopt; }
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
};
static_assert(policy::Telemetry<telemetry_hub>);

}  // namespace zerog::observe
