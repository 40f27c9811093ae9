// Test double for the Telemetry policy family (unit tests only; no production header includes it).
// Moved out of the family's header so that production code never carries mock code.
#pragma once

#include <zerog/policy/telemetry.hpp>

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

namespace zerog::testing {

using namespace zerog::policy;  // mocks are written against the policy vocabulary

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
    void gauge(std::string_view m, double v, fields f) { add("gauge:" + std::string(m) + ":" + num(v) + render(f)); }
    span_handle span_start(std::string_view name) {
        span_handle s;
        s.span_id[7] = static_cast<std::uint8_t>(++spans_);
        s.trace_id[15] = 1;
        add("span_start:" + std::string(name));
        return s;
    }
    void span_end(const span_handle&, const zerog::error* e) { add(std::string("span_end:") + (e ? "error" : "ok")); }
    std::optional<std::string> traceparent(const span_handle& s) const { return traceparent_of(trace_context{s.trace_id, s.span_id}); }
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

}  // namespace zerog::testing
