// Text and JSON forms of configuration values, shared by every layer (file, environment, devnet.json,
// CLI) so that "10MiB" or "30s" means the same thing wherever it is written.
//
//   * integers: decimal digits only (no sign, no spaces, no exponent), overflow-checked;
//   * sizes:    an integer number of bytes, optionally with a binary suffix B, KiB, MiB, GiB, TiB
//               ("10MiB"); in JSON also a non-negative integer;
//   * durations: an integer with a mandatory unit ms, s, m or h ("30s", "1500ms"). A bare number is
//               refused on purpose: "30" could mean seconds or milliseconds, and guessing wrong by
//               1000x is exactly the mistake a timeout setting must not allow;
//   * lists:    comma-separated text (spaces around items trimmed, empty items skipped), or in JSON
//               an array of strings.
// Error details describe the problem and never echo long inputs (a value may be mistyped secret).
//
// Thread safety: pure functions.
#pragma once

#include <zerog/core/result.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace zerog::config {

/// Trim ASCII spaces and tabs at both ends.
inline std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// Decimal unsigned integer. Errors: invalid_number (empty, non-digit), overflow.
inline result<std::uint64_t> parse_uint(std::string_view s) {
    if (s.empty()) return fail(errc::invalid_number, "expected a decimal integer, got an empty value");
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return fail(errc::invalid_number, "expected a decimal integer (digits only)");
        const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
        if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10)
            return fail(errc::overflow, "integer does not fit in 64 bits");
        v = v * 10 + d;
    }
    return v;
}

/// Split digits from a unit suffix: "10MiB" -> {"10", "MiB"}.
inline std::pair<std::string_view, std::string_view> split_unit(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return {s.substr(0, i), s.substr(i)};
}

/// A byte size: "1048576", "10MiB", "4GiB". Errors: invalid_number, overflow.
inline result<std::uint64_t> parse_size(std::string_view s) {
    auto [digits, unit] = split_unit(trim(s));
    ZEROG_TRY(const std::uint64_t n, parse_uint(digits));
    unsigned shift = 0;
    if (unit.empty() || unit == "B") shift = 0;
    else if (unit == "KiB") shift = 10;
    else if (unit == "MiB") shift = 20;
    else if (unit == "GiB") shift = 30;
    else if (unit == "TiB") shift = 40;
    else return fail(errc::invalid_number, "unknown size unit (use B, KiB, MiB, GiB or TiB)");
    if (shift && n > (std::numeric_limits<std::uint64_t>::max() >> shift))
        return fail(errc::overflow, "size does not fit in 64 bits");
    return n << shift;
}

/// A duration with a unit: "500ms", "30s", "10m", "2h". Errors: invalid_number, overflow.
inline result<std::chrono::milliseconds> parse_duration(std::string_view s) {
    auto [digits, unit] = split_unit(trim(s));
    ZEROG_TRY(const std::uint64_t n, parse_uint(digits));
    std::uint64_t mult = 0;
    if (unit == "ms") mult = 1;
    else if (unit == "s") mult = 1000;
    else if (unit == "m") mult = 60'000;
    else if (unit == "h") mult = 3'600'000;
    else if (unit.empty()) return fail(errc::invalid_number, "a duration needs a unit: ms, s, m or h (e.g. \"30s\")");
    else return fail(errc::invalid_number, "unknown duration unit (use ms, s, m or h)");
    constexpr std::uint64_t max_ms = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (n > max_ms / mult) return fail(errc::overflow, "duration does not fit in 64 bits of milliseconds");
    return std::chrono::milliseconds(static_cast<std::int64_t>(n * mult));
}

/// "a, b,,c" -> {"a","b","c"}.
inline std::vector<std::string> parse_list(std::string_view s) {
    std::vector<std::string> out;
    while (true) {
        const auto comma = s.find(',');
        const std::string_view item = trim(s.substr(0, comma));
        if (!item.empty()) out.emplace_back(item);
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
    }
    return out;
}

/// Human form of a duration for `config show`: the largest unit that divides it exactly.
inline std::string format_duration(std::chrono::milliseconds d) {
    const auto ms = d.count();
    if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
    if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
    if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

/// Human form of a size: the largest binary unit that divides it exactly ("10MiB", "4GiB", "1000").
inline std::string format_size(std::uint64_t n) {
    static constexpr std::pair<unsigned, const char*> units[] = {{40, "TiB"}, {30, "GiB"}, {20, "MiB"}, {10, "KiB"}};
    for (auto [shift, name] : units)
        if (n != 0 && (n & ((1ull << shift) - 1)) == 0) return std::to_string(n >> shift) + name;
    return std::to_string(n);
}

// ---- JSON forms -------------------------------------------------------------------------------

/// JSON kind name for messages ("a number", "an array"...).
inline std::string json_kind(const boost::json::value& v) {
    switch (v.kind()) {
    case boost::json::kind::null: return "null";
    case boost::json::kind::bool_: return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_: return "a number";
    case boost::json::kind::string: return "a string";
    case boost::json::kind::array: return "an array";
    case boost::json::kind::object: return "an object";
    }
    return "unknown";
}

/// A JSON non-negative integer, or a string of digits. Errors: invalid_number, out_of_range.
inline result<std::uint64_t> json_uint(const boost::json::value& v) {
    if (v.is_uint64()) return v.get_uint64();
    if (v.is_int64()) {
        if (v.get_int64() < 0) return fail(errc::out_of_range, "must not be negative");
        return static_cast<std::uint64_t>(v.get_int64());
    }
    if (v.is_string()) return parse_uint(v.get_string());
    return fail(errc::invalid_number, "expected an integer, got " + json_kind(v));
}

/// A JSON size: integer bytes, or a string such as "10MiB".
inline result<std::uint64_t> json_size(const boost::json::value& v) {
    if (v.is_string()) return parse_size(v.get_string());
    return json_uint(v);
}

/// A JSON duration: a string with a unit only (see file comment).
inline result<std::chrono::milliseconds> json_duration(const boost::json::value& v) {
    if (!v.is_string())
        return fail(errc::invalid_number, "expected a string with a unit such as \"30s\", got " + json_kind(v));
    return parse_duration(v.get_string());
}

/// A JSON string.
inline result<std::string> json_string(const boost::json::value& v) {
    if (!v.is_string()) return fail(errc::invalid_argument, "expected a string, got " + json_kind(v));
    return std::string(v.get_string());
}

/// A JSON list of strings: an array of strings, or one comma-separated string.
inline result<std::vector<std::string>> json_string_list(const boost::json::value& v) {
    if (v.is_string()) return parse_list(v.get_string());
    if (!v.is_array()) return fail(errc::invalid_argument, "expected an array of strings, got " + json_kind(v));
    std::vector<std::string> out;
    const auto& arr = v.get_array();
    for (std::size_t i = 0; i < arr.size(); ++i) {
        if (!arr[i].is_string())
            return fail(errc::invalid_argument, "item " + std::to_string(i) + " is " + json_kind(arr[i]) + ", not a string");
        out.emplace_back(arr[i].get_string());
    }
    return out;
}

}  // namespace zerog::config
