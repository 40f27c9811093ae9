// OTLP/HTTP JSON encoding of finished spans.
// ExportTraceServiceRequest as the OTLP JSON mapping wants it: trace and span ids in lower-case
// hex (not base64: the JSON mapping's exception), enum values as integers, 64-bit times as decimal
// strings, attributes as {key, value: {stringValue|intValue|doubleValue|boolValue}}. Pure; the
// tests' receiver (tests/support/otlp_recv.js) decodes it against the OpenTelemetry .proto files.
#pragma once

#include <zerog/observe/json_logger.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <type_traits>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace zerog::observe {

struct span_attribute {
    std::string key;
    std::variant<std::string, std::int64_t, double, bool> value;
};

/// A span as the exporter sends it. Value type.
struct finished_span {
    std::array<std::uint8_t, 16> trace_id{};
    std::array<std::uint8_t, 8> span_id{};
    std::array<std::uint8_t, 8> parent_id{};  ///< all zero: a root span
    std::string name;
    int kind = 1;  ///< 1 internal (an operation), 3 client (a network call)
    std::uint64_t start_unix_ns = 0, end_unix_ns = 0;
    bool error = false;
    std::string status_message;  ///< the error's message (redacted text) when error
    std::vector<span_attribute> attributes;
};

struct otlp_resource {
    std::string service_name = "zerog";
    std::string service_version;
    std::string network;  ///< deployment.environment: mainnet, testnet, devnet
};

namespace otlp_detail {
inline void hex(std::string& out, const std::uint8_t* p, std::size_t n) {
    static constexpr char hx[] = "0123456789abcdef";
    for (std::size_t i = 0; i < n; ++i) {
        out += hx[p[i] >> 4];
        out += hx[p[i] & 15];
    }
}
inline void str(std::string& out, std::string_view s) {
    out += '"';
    detail::json_escape(out, s);  // the logger's escaping (observe/json_logger.hpp)
    out += '"';
}
inline void attribute(std::string& out, std::string_view key, const std::variant<std::string, std::int64_t, double, bool>& v) {
    out += "{\"key\":";
    str(out, key);
    out += ",\"value\":{";
    std::visit([&](const auto& x) {
        using V = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<V, std::string>) {
            out += "\"stringValue\":";
            str(out, x);
        } else if constexpr (std::is_same_v<V, bool>) {
            out += "\"boolValue\":";
            out += x ? "true" : "false";
        } else if constexpr (std::is_same_v<V, double>) {
            char b[32];
            std::snprintf(b, sizeof b, "%.17g", x);
            out += "\"doubleValue\":";
            out += b;
        } else {
            out += "\"intValue\":\"";  // int64 as a string, per the JSON mapping
            out += std::to_string(x);
            out += '"';
        }
    }, v);
    out += "}}";
}
}  // namespace otlp_detail

/// The request body for POST /v1/traces (Content-Type: application/json).
inline std::string otlp_json(const otlp_resource& r, std::string_view scope_version, const std::vector<finished_span>& spans) {
    using namespace otlp_detail;
    std::string out = "{\"resourceSpans\":[{\"resource\":{\"attributes\":[";
    attribute(out, "service.name", std::string(r.service_name));
    if (!r.service_version.empty()) {
        out += ',';
        attribute(out, "service.version", r.service_version);
    }
    if (!r.network.empty()) {
        out += ',';
        attribute(out, "deployment.environment", r.network);
    }
    out += "]},\"scopeSpans\":[{\"scope\":{\"name\":\"zerog\",\"version\":";
    str(out, scope_version);
    out += "},\"spans\":[";
    bool first = true;
    for (const auto& s : spans) {
        if (!first) out += ',';
        first = false;
        out += "{\"traceId\":\"";
        hex(out, s.trace_id.data(), 16);
        out += "\",\"spanId\":\"";
        hex(out, s.span_id.data(), 8);
        out += '"';
        bool root = true;
        for (auto b : s.parent_id) root = root && b == 0;
        if (!root) {
            out += ",\"parentSpanId\":\"";
            hex(out, s.parent_id.data(), 8);
            out += '"';
        }
        out += ",\"name\":";
        str(out, s.name);
        out += ",\"kind\":" + std::to_string(s.kind);
        out += ",\"startTimeUnixNano\":\"" + std::to_string(s.start_unix_ns) + "\"";
        out += ",\"endTimeUnixNano\":\"" + std::to_string(s.end_unix_ns) + "\"";
        out += ",\"attributes\":[";
        for (std::size_t i = 0; i < s.attributes.size(); ++i) {
            if (i) out += ',';
            attribute(out, s.attributes[i].key, s.attributes[i].value);
        }
        out += "],\"status\":{\"code\":";
        out += s.error ? "2" : "1";
        if (s.error && !s.status_message.empty()) {
            out += ",\"message\":";
            str(out, s.status_message);
        }
        out += "}}";
    }
    out += "]}]}]}";
    return out;
}

}  // namespace zerog::observe
