// Telemetry policy: the log, metric, trace and alert hooks every client calls.
//
// Concept `Telemetry`:
//   * `enabled(level)`                        cheap check before building expensive fields
//   * `log(level, event, fields)`             structured event ("upload.segment_sent", {{"index",3}})
//   * `count(metric, delta, labels)`          counters (requests, bytes, neuron spent)
//   * `observe(metric, value, labels)`        histograms (latencies in seconds)
//   * `gauge(metric, value, labels)`          gauges (breaker state, budget used ratio)
//   * `span_start(name)` / `span_end(span, error*)`  trace spans; `traceparent(span)` gives the W3C
//                                             header value to propagate (JSON-RPC hook)
//   * `alert(name, fields)`                   threshold crossings (budgets 50/80/100 %, breaker open)
// Fields are borrowed views (no allocation on the null path). Secrets have no field type: a
// private key cannot be passed (crypto::private_key converts to nothing), and every text sink
// scrubs its output through observe/redaction.hpp as a second line of defence.
//
// Metric names and labels follow observe/metrics.hpp (`zerog_metrics` lists every one zerog records).
//
// Models: `null_telemetry` (default, zero size, every call a no-op the optimiser removes),
// `observe::json_logger` (JSON lines, observe/json_logger.hpp),
// `observe::telemetry_hub` (logger + Prometheus metrics; the production mix's telemetry),
// `testing::recording_telemetry` (<zerog/testing/recording_telemetry.hpp>).
#pragma once

#include <zerog/core/error.hpp>

#include <array>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace zerog::policy {

enum class log_level : std::uint8_t { trace, debug, info, warn, error, off };

inline std::string_view to_string(log_level l) noexcept {
    constexpr std::string_view names[] = {"trace", "debug", "info", "warn", "error", "off"};
    return names[static_cast<int>(l)];
}
inline std::optional<log_level> parse_log_level(std::string_view s) noexcept {
    for (int i = 0; i <= static_cast<int>(log_level::off); ++i)
        if (to_string(static_cast<log_level>(i)) == s) return static_cast<log_level>(i);
    if (s == "warning") return log_level::warn;
    return std::nullopt;
}

/// One structured field. Text values are borrowed; numbers are exact.
struct field {
    using value_type = std::variant<std::int64_t, std::uint64_t, double, bool, std::string_view>;
    std::string_view key;
    value_type value;
    field(std::string_view k, std::string_view v) : key(k), value(v) {}
    field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
    field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
    field(std::string_view k, std::string&& v) = delete;  // would dangle: fields borrow their text
    field(std::string_view k, bool v) : key(k), value(v) {}
    field(std::string_view k, double v) : key(k), value(v) {}
    template <std::integral I>
        requires(!std::same_as<I, bool>)
    field(std::string_view k, I v) : key(k) {
        if constexpr (std::is_signed_v<I>) value = static_cast<std::int64_t>(v);
        else value = static_cast<std::uint64_t>(v);
    }
};
using fields = std::span<const field>;

/// A started span. All zero for the null model. `name` is borrowed (the name given to span_start,
/// which must outlive the span: a literal or the call's operation name).
struct span_handle {
    std::array<std::uint8_t, 16> trace_id{};
    std::array<std::uint8_t, 8> span_id{};
    std::array<std::uint8_t, 8> parent_id{};  ///< all zero: a root span
    std::string_view name;
    std::uint8_t kind = 1;  ///< OTLP SpanKind: 1 internal (an operation), 3 client (a network call)
    std::uint64_t start_ns = 0;
    bool valid() const noexcept {
        for (auto b : span_id)
            if (b) return true;
        return false;
    }
};

/// The span whose work runs on this thread now: set for every slice of a traced operation's
/// coroutines by client/tracing.hpp's executor, read by a tracer to parent new spans and by the
/// HTTP transport for the W3C `traceparent` header. All zero: no span.
struct trace_context {
    std::array<std::uint8_t, 16> trace_id{};
    std::array<std::uint8_t, 8> span_id{};
    bool valid() const noexcept {
        for (auto b : span_id)
            if (b) return true;
        return false;
    }
};

inline trace_context& current_trace_context() noexcept {
    thread_local trace_context ctx;
    return ctx;
}

/// Sets the current context for a scope and restores the previous one.
class scoped_trace_context {
public:
    explicit scoped_trace_context(const trace_context& c) noexcept : prev_(current_trace_context()) { current_trace_context() = c; }
    ~scoped_trace_context() { current_trace_context() = prev_; }
    scoped_trace_context(const scoped_trace_context&) = delete;
    scoped_trace_context& operator=(const scoped_trace_context&) = delete;

private:
    trace_context prev_;
};

/// W3C traceparent ("00-<32 hex trace>-<16 hex span>-01"); nullopt when `c` is not valid.
inline std::optional<std::string> traceparent_of(const trace_context& c) {
    if (!c.valid()) return std::nullopt;
    static constexpr char hx[] = "0123456789abcdef";
    std::string out = "00-";
    for (auto b : c.trace_id) { out += hx[b >> 4]; out += hx[b & 15]; }
    out += '-';
    for (auto b : c.span_id) { out += hx[b >> 4]; out += hx[b & 15]; }
    out += "-01";
    return out;
}

template <class T>
concept Telemetry = requires(T& t, log_level l, std::string_view name, fields f, double v, const span_handle& s,
                             const zerog::error* e) {
    { t.enabled(l) } -> std::same_as<bool>;
    t.log(l, name, f);
    t.count(name, v, f);
    t.observe(name, v, f);
    t.gauge(name, v, f);
    { t.span_start(name) } -> std::same_as<span_handle>;
    t.span_end(s, e);
    { t.traceparent(s) } -> std::same_as<std::optional<std::string>>;
    t.alert(name, f);
};

/// Does nothing. Zero size; every call inlines to nothing.
struct null_telemetry {
    constexpr bool enabled(log_level) const noexcept { return false; }
    void log(log_level, std::string_view, fields) const noexcept {}
    void count(std::string_view, double, fields) const noexcept {}
    void observe(std::string_view, double, fields) const noexcept {}
    void gauge(std::string_view, double, fields) const noexcept {}
    span_handle span_start(std::string_view) const noexcept { return {}; }
    void span_end(const span_handle&, const zerog::error*) const noexcept {}
    std::optional<std::string> traceparent(const span_handle&) const { return std::nullopt; }
    void alert(std::string_view, fields) const noexcept {}
};
static_assert(Telemetry<null_telemetry>);


}  // namespace zerog::policy
