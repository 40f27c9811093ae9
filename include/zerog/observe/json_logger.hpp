// JSON-lines structured logger: a Telemetry model that writes one JSON object per line.
//
//   {"ts":"2026-11-24T01:02:03.456Z","level":"info","event":"upload.done","root":"0x…","ms":812}
//
// Level: constructor argument, or `from_env()` reads ZEROG_LOG_LEVEL (trace|debug|info|warn|error|off;
// default warn). Every line passes the redaction layer (observe/redaction.hpp): secret-named fields
// are replaced whole, then the rendered line is scrubbed for registered keys and credentials.
// Metrics and spans are ignored by this model (it is a logger); alerts are logged at warn.
//
// Thread safety: all members may be called concurrently; each line is written atomically (one
// fwrite under a mutex).
#pragma once

#include <zerog/observe/redaction.hpp>
#include <zerog/policy/telemetry.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace zerog::observe {

namespace detail {
inline void json_escape(std::string& out, std::string_view s) {
    static constexpr char hx[] = "0123456789abcdef";
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) { out += "\\u00"; out += hx[c >> 4]; out += hx[c & 15]; }
            else out += static_cast<char>(c);
        }
    }
}
}  // namespace detail

class json_logger {
public:
    /// Writes to `sink` (default stderr; not owned) at `level` and above.
    explicit json_logger(policy::log_level level = policy::log_level::warn, std::FILE* sink = stderr)
        : level_(level), sink_(sink) {}
    /// Writes each finished line to a callback instead (tests, custom sinks).
    explicit json_logger(policy::log_level level, std::function<void(std::string_view)> writer)
        : level_(level), writer_(std::make_shared<std::function<void(std::string_view)>>(std::move(writer))) {}

    /// Level from ZEROG_LOG_LEVEL (an invalid value falls back to warn and says so once).
    static json_logger from_env(std::FILE* sink = stderr) {
        policy::log_level l = policy::log_level::warn;
        if (const char* v = std::getenv("ZEROG_LOG_LEVEL"); v && *v) {
            if (auto p = policy::parse_log_level(v)) l = *p;
            else std::fprintf(sink, "{\"level\":\"warn\",\"event\":\"logger.bad_level\",\"hint\":\"ZEROG_LOG_LEVEL must be trace|debug|info|warn|error|off\"}\n");
        }
        return json_logger(l, sink);
    }

    policy::log_level level() const noexcept { return level_; }
    bool enabled(policy::log_level l) const noexcept { return l >= level_ && l != policy::log_level::off; }

    void log(policy::log_level l, std::string_view event, policy::fields f) {
        if (!enabled(l)) return;
        write(render(l, event, f));
    }
    void count(std::string_view, double, policy::fields) const noexcept {}
    void observe(std::string_view, double, policy::fields) const noexcept {}
    void gauge(std::string_view, double, policy::fields) const noexcept {}
    policy::span_handle span_start(std::string_view) const noexcept { return {}; }
    void span_end(const policy::span_handle&, const zerog::error*) const noexcept {}
    std::optional<std::string> traceparent(const policy::span_handle&) const { return std::nullopt; }
    void alert(std::string_view name, policy::fields f) {
        if (!enabled(policy::log_level::warn)) return;
        std::string ev = "alert.";
        ev += name;
        write(render(policy::log_level::warn, ev, f));
    }

    /// The line as it would be written (without the newline). Public for tests.
    static std::string render(policy::log_level l, std::string_view event, policy::fields f) {
        std::string line = "{\"ts\":\"";
        line += utc_now();
        line += "\",\"level\":\"";
        line += policy::to_string(l);
        line += "\",\"event\":\"";
        detail::json_escape(line, event);
        line += '"';
        for (const auto& x : f) {
            line += ",\"";
            detail::json_escape(line, x.key);
            line += "\":";
            if (is_secret_field_name(x.key)) {
                line += "\"<redacted>\"";
                continue;
            }
            std::visit([&](auto v) {
                using V = decltype(v);
                if constexpr (std::is_same_v<V, std::string_view>) {
                    line += '"';
                    detail::json_escape(line, v);
                    line += '"';
                } else if constexpr (std::is_same_v<V, bool>) {
                    line += v ? "true" : "false";
                } else if constexpr (std::is_same_v<V, double>) {
                    char buf[32];
                    std::snprintf(buf, sizeof buf, "%.17g", v);
                    line += buf;
                } else {
                    line += std::to_string(v);
                }
            }, x.value);
        }
        line += '}';
        return scrub(line);
    }

private:
    static std::string utc_now() {
        using namespace std::chrono;
        const auto now = system_clock::now();
        const auto t = system_clock::to_time_t(now);
        const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
        std::tm tm{};
        gmtime_r(&t, &tm);
        char buf[64];  // large enough for any int fields: no truncation, and GCC can prove it
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                      tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
        return buf;
    }
    void write(std::string line) {
        if (writer_) {
            std::lock_guard lk(*mu_);
            (*writer_)(line);
            return;
        }
        line += '\n';
        std::lock_guard lk(*mu_);
        std::fwrite(line.data(), 1, line.size(), sink_);
        std::fflush(sink_);
    }

    policy::log_level level_;
    std::FILE* sink_ = nullptr;
    std::shared_ptr<std::function<void(std::string_view)>> writer_;
    std::shared_ptr<std::mutex> mu_ = std::make_shared<std::mutex>();
};
static_assert(policy::Telemetry<json_logger>);

}  // namespace zerog::observe
