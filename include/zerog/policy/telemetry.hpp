// Telemetry policy: the log, metric, trace and alert hooks every client calls.
//
// Concept `Telemetry`:
//   * `enabled(level)`                        cheap check before building expensive fields
//   * `log(level, event, fields)`             structured event ("upload.segment_sent", {{"index",3}})
//   * `count(metric, delta, labels)`          counters (requests, bytes, neuron spent)
//   * `observe(metric, value, labels)`        histograms (latencies in seconds)
//   * `span_start(name)` / `span_end(span, error*)`  trace spans; `traceparent(span)` gives the W3C
//                                             header value to propagate (JSON-RPC hook)
//   * `alert(name, fields)`                   threshold crossings (budgets 50/80/100 %, breaker open)
// Fields are borrowed views (no allocation on the null path). Secrets have no field type: a
// private key cannot be passed (crypto::private_key converts to nothing), and every text sink
// scrubs its output through observe/redaction.hpp as a second line of defence.
//
// Models: `null_telemetry` (default, zero size, every call a no-op the optimiser removes),
// `observe::json_logger` (JSON lines, observe/json_logger.hpp), `testing::recording_telemetry`
// (here). Prometheus, OTLP and health checks arrive with the observability issue.
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

/// A started span. All zero for the null model.
struct span_handle {
    std::array<std::uint8_t, 16> trace_id{};
    std::array<std::uint8_t, 8> span_id{};
    std::uint64_t start_ns = 0;
    bool valid() const noexcept {
        for (auto b : span_id)
            if (b) return true;
        return false;
    }
};

template <class T>
concept Telemetry = requires(T& t, log_level l, std::string_view name, fields f, double v, const span_handle& s,
                             const zerog::error* e) {
    { t.enabled(l) } -> std::same_as<bool>;
    t.log(l, name, f);
    t.count(name, v, f);
    t.observe(name, v, f);
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
    span_handle span_start(std::string_view) const noexcept { return {}; }
    void span_end(const span_handle&, const zerog::error*) const noexcept {}
    std::optional<std::string> traceparent(const span_handle&) const { return std::nullopt; }
    void alert(std::string_view, fields) const noexcept {}
};
static_assert(Telemetry<null_telemetry>);

namespace testing {
/// Records everything as text lines ("log:info:event", "count:metric:1", "alert:name", "span:name:ok").
/// Thread-safe.
class recording_telemetry {
public:
    std::vector<std::string> lines() const {
        std::lock_guard lk(mu_);
        return lines_;
    }
    bool enabled(log_level) const noexcept { return true; }
    void log(log_level l, std::string_view event, fields f) { add("log:" + std::string(to_string(l)) + ":" + std::string(event) + render(f)); }
    void count(std::string_view m, double d, fields f) { add("count:" + std::string(m) + ":" + num(d) + render(f)); }
    void observe(std::string_view m, double v, fields f) { add("observe:" + std::string(m) + render(f)); (void)v; }
    span_handle span_start(std::string_view name) {
        span_handle s;
        s.span_id[7] = static_cast<std::uint8_t>(++spans_);
        s.trace_id[15] = 1;
        add("span_start:" + std::string(name));
        return s;
    }
    void span_end(const span_handle&, const zerog::error* e) { add(std::string("span_end:") + (e ? "error" : "ok")); }
    std::optional<std::string> traceparent(const span_handle& s) const {
        if (!s.valid()) return std::nullopt;
        static constexpr char hx[] = "0123456789abcdef";
        std::string out = "00-";
        for (auto b : s.trace_id) { out += hx[b >> 4]; out += hx[b & 15]; }
        out += '-';
        for (auto b : s.span_id) { out += hx[b >> 4]; out += hx[b & 15]; }
        out += "-01";
        return out;
    }
    void alert(std::string_view name, fields f) { add("alert:" + std::string(name) + render(f)); }

private:
    static std::string num(double d) {
        std::string s = std::to_string(d);
        while (s.find('.') != std::string::npos && (s.back() == '0' || s.back() == '.')) {
            const bool dot = s.back() == '.';
            s.pop_back();
            if (dot) break;
        }
        return s;
    }
    static std::string render(fields f) {
        std::string out;
        for (auto& x : f) {
            out += ' ';
            out += x.key;
            out += '=';
            std::visit([&](auto v) {
                if constexpr (std::is_same_v<decltype(v), std::string_view>) out += v;
                else if constexpr (std::is_same_v<decltype(v), bool>) out += v ? "true" : "false";
                else if constexpr (std::is_same_v<decltype(v), double>) out += num(v);
                else out += std::to_string(v);
            }, x.value);
        }
        return out;
    }
    void add(std::string s) {
        std::lock_guard lk(mu_);
        lines_.push_back(std::move(s));
    }
    mutable std::mutex mu_;
    std::vector<std::string> lines_;
    unsigned spans_ = 0;
};
static_assert(Telemetry<recording_telemetry>);
}  // namespace testing

}  // namespace zerog::policy
