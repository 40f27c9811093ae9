// A strict reader and a JSON.stringify-compatible writer for the *flat* JSON objects of the 0G
// compute protocol: the session token ({"address":…,"tokenId":255}) and the TEE signature answer
// ({"text":…,"signature":…,"signing_address":…,"signing_algo":…}).
//
// Why not Boost.JSON here: (1) a generic parser silently keeps the last of duplicate keys, and a
// token validator must reject {"provider":A,…,"provider":B} rather than guess which one the signer
// meant; (2) number texts must be checked as exact integers (no 1e3, no 1.0, no -0) before any
// double conversion; (3) the session-token hot path should not build a DOM.
//
// Accepted grammar (RFC 8259, restricted): one object; insignificant whitespace anywhere JSON
// allows it; member values are strings, numbers, true, false or null. Nested objects/arrays are
// rejected (errc::parse_error), as are duplicate keys, invalid UTF-8, lone surrogates, control
// characters in strings, trailing content and inputs above `max_flat_json_size`.
//
// Thread safety: pure functions.
#pragma once

#include <zerog/core/bytes.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zerog::compute {

/// Upper bound on a flat object we agree to parse (a token is ~300 bytes; signature answers with a
/// routing proof stay well below 4 KiB).
inline constexpr std::size_t max_flat_json_size = 64 * 1024;

/// One member value. `text` is the decoded string for strings, the literal text for numbers and
/// the keyword for true/false/null.
struct flat_json_value {
    enum class kind { string, number, boolean, null };
    kind type = kind::null;
    std::string text;
};

/// A parsed flat object: members in document order (keys unique).
struct flat_json_object {
    std::vector<std::pair<std::string, flat_json_value>> members;

    const flat_json_value* find(std::string_view key) const noexcept {
        for (const auto& [k, v] : members)
            if (k == key) return &v;
        return nullptr;
    }
};

namespace detail {

/// Append the UTF-8 encoding of code point `cp` (caller guarantees a valid scalar value).
inline void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

/// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is invalid (overlong forms,
/// surrogates and values above U+10FFFF are invalid).
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned c = b(i);
    if (c < 0x80) return 1;
    std::size_t n;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; }
    else return 0;
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        if ((b(i + k) & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (b(i + k) & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

/// At most 40 characters of untrusted text for an error detail, non-printables as '?'.
inline std::string printable_prefix(std::string_view k) {
    std::string out;
    for (char c : k.substr(0, 40)) out.push_back((c >= 0x20 && c < 0x7f) ? c : '?');
    return out;
}

class flat_json_reader {
public:
    explicit flat_json_reader(std::string_view s) : s_(s) {}

    result<flat_json_object> parse() {
        if (s_.size() > max_flat_json_size)
            return fail(errc::too_large, "JSON object of " + std::to_string(s_.size()) + " bytes exceeds the limit of " +
                                             std::to_string(max_flat_json_size));
        flat_json_object obj;
        ws();
        if (!eat('{')) return bad("expected '{'");
        ws();
        if (!eat('}')) {
            for (;;) {
                ws();
                if (peek() != '"') return bad("expected a member name");
                ZEROG_TRY(std::string key, string());
                if (obj.find(key)) return bad("duplicate key \"" + printable_prefix(key) + "\"");
                ws();
                if (!eat(':')) return bad("expected ':'");
                ws();
                ZEROG_TRY(flat_json_value v, value());
                obj.members.emplace_back(std::move(key), std::move(v));
                ws();
                if (eat(',')) continue;
                if (eat('}')) break;
                return bad("expected ',' or '}'");
            }
        }
        ws();
        if (i_ != s_.size()) return bad("trailing content after the object");
        return obj;
    }

private:
    char peek() const noexcept { return i_ < s_.size() ? s_[i_] : '\0'; }
    bool eat(char c) noexcept {
        if (peek() != c || i_ >= s_.size()) return false;
        ++i_;
        return true;
    }
    void ws() noexcept {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
    }
    failure bad(std::string what) const {
        return fail(errc::parse_error, "JSON: " + what + " at offset " + std::to_string(i_));
    }

    result<flat_json_value> value() {
        const char c = peek();
        flat_json_value v;
        if (c == '"') {
            v.type = flat_json_value::kind::string;
            ZEROG_TRY(v.text, string());
            return v;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            v.type = flat_json_value::kind::number;
            ZEROG_TRY(v.text, number());
            return v;
        }
        for (std::string_view kw : {std::string_view("true"), std::string_view("false"), std::string_view("null")}) {
            if (s_.substr(i_, kw.size()) == kw) {
                i_ += kw.size();
                v.type = kw == "null" ? flat_json_value::kind::null : flat_json_value::kind::boolean;
                v.text = std::string(kw);
                return v;
            }
        }
        if (c == '{' || c == '[') return bad("nested objects and arrays are not allowed here");
        return bad("expected a value");
    }

    result<std::string> number() {  // RFC 8259 number grammar; kept as text
        const std::size_t start = i_;
        eat('-');
        if (eat('0')) {
        } else if (peek() >= '1' && peek() <= '9') {
            while (peek() >= '0' && peek() <= '9') ++i_;
        } else {
            return bad("bad number");
        }
        if (eat('.')) {
            if (!(peek() >= '0' && peek() <= '9')) return bad("bad number fraction");
            while (peek() >= '0' && peek() <= '9') ++i_;
        }
        if (peek() == 'e' || peek() == 'E') {
            ++i_;
            if (peek() == '+' || peek() == '-') ++i_;
            if (!(peek() >= '0' && peek() <= '9')) return bad("bad number exponent");
            while (peek() >= '0' && peek() <= '9') ++i_;
        }
        return std::string(s_.substr(start, i_ - start));
    }

    result<std::uint32_t> hex4() {
        if (i_ + 4 > s_.size()) return bad("truncated \\u escape");
        std::uint32_t v = 0;
        for (int k = 0; k < 4; ++k) {
            const int d = zerog::detail::hex_value(s_[i_++]);
            if (d < 0) return bad("bad \\u escape");
            v = v << 4 | static_cast<std::uint32_t>(d);
        }
        return v;
    }

    result<std::string> string() {
        ++i_;  // opening quote
        std::string out;
        for (;;) {
            if (i_ >= s_.size()) return bad("unterminated string");
            const unsigned char c = static_cast<unsigned char>(s_[i_]);
            if (c == '"') { ++i_; return out; }
            if (c < 0x20) return bad("unescaped control character in a string");
            if (c == '\\') {
                ++i_;
                const char e = peek();
                ++i_;
                switch (e) {
                case '"': out.push_back('"'); break;
                case '\\': out.push_back('\\'); break;
                case '/': out.push_back('/'); break;
                case 'b': out.push_back('\b'); break;
                case 'f': out.push_back('\f'); break;
                case 'n': out.push_back('\n'); break;
                case 'r': out.push_back('\r'); break;
                case 't': out.push_back('\t'); break;
                case 'u': {
                    ZEROG_TRY(std::uint32_t cp, hex4());
                    if (cp >= 0xDC00 && cp <= 0xDFFF) return bad("lone low surrogate in \\u escape");
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        if (!(eat('\\') && eat('u'))) return bad("lone high surrogate in \\u escape");
                        ZEROG_TRY(std::uint32_t lo, hex4());
                        if (lo < 0xDC00 || lo > 0xDFFF) return bad("bad surrogate pair in \\u escape");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    }
                    append_utf8(out, cp);
                    break;
                }
                default: return bad("bad escape sequence");
                }
                continue;
            }
            const std::size_t n = utf8_sequence_length(s_, i_);
            if (n == 0) return bad("invalid UTF-8 in a string");
            out.append(s_.substr(i_, n));
            i_ += n;
        }
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

}  // namespace detail

/// Parse one flat JSON object strictly (see file comment). Errors: errc::parse_error, errc::too_large.
inline result<flat_json_object> parse_flat_json(std::string_view s) { return detail::flat_json_reader(s).parse(); }

/// Append `s` as a JSON string literal exactly as JavaScript's JSON.stringify writes it: `"` and
/// `\` escaped, \b \f \n \r \t short forms, other controls as \u00xx (lower-case hex), everything
/// else (including non-ASCII) verbatim. `s` must be valid UTF-8 (checked by `is_valid_utf8`).
inline void append_json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    for (char ch : s) {
        const unsigned char c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        default:
            if (c < 0x20) {
                out.append("\\u00");
                out.push_back(zerog::detail::hex_digits[c >> 4]);
                out.push_back(zerog::detail::hex_digits[c & 15]);
            } else {
                out.push_back(ch);
            }
        }
    }
    out.push_back('"');
}

/// Whether `s` is well-formed UTF-8 (no overlongs, surrogates or values above U+10FFFF).
inline bool is_valid_utf8(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = detail::utf8_sequence_length(s, i);
        if (!n) return false;
        i += n;
    }
    return true;
}

namespace detail {
/// The exact value of a JSON integer literal (no fraction, exponent, -0, or more than 20 digits).
inline result<__int128> json_int128(const flat_json_value& v, std::string_view what) {
    if (v.type != flat_json_value::kind::number)
        return fail(errc::parse_error, std::string(what) + " must be a JSON number");
    std::string_view t = v.text;
    const bool neg = !t.empty() && t[0] == '-';
    if (neg) t.remove_prefix(1);
    if (t.empty() || t.find_first_not_of("0123456789") != std::string_view::npos)
        return fail(errc::parse_error, std::string(what) + " must be an integer (no fraction or exponent)");
    if (neg && t == "0") return fail(errc::parse_error, std::string(what) + " must not be -0");
    if (t.size() > 20) return fail(errc::out_of_range, std::string(what) + " is out of range");
    unsigned __int128 mag = 0;
    for (char c : t) mag = mag * 10 + static_cast<unsigned>(c - '0');
    return neg ? -static_cast<__int128>(mag) : static_cast<__int128>(mag);
}
}  // namespace detail

/// Exact JSON integer within [min, max] (`what` names the field in errors). Fractions, exponents
/// and -0 are rejected even when their value is integral, as Go's encoding/json does for int64.
/// Errors: errc::parse_error (not an integer), errc::out_of_range.
inline result<std::int64_t> json_integer(const flat_json_value& v, std::string_view what, std::int64_t min, std::int64_t max) {
    ZEROG_TRY(__int128 val, detail::json_int128(v, what));
    if (val < min || val > max)
        return fail(errc::out_of_range, std::string(what) + " = " + v.text + " is outside [" + std::to_string(min) + ", " +
                                            std::to_string(max) + "]");
    return static_cast<std::int64_t>(val);
}

/// Same for unsigned fields (Go uint64/uint8): [0, max].
inline result<std::uint64_t> json_unsigned(const flat_json_value& v, std::string_view what, std::uint64_t max) {
    ZEROG_TRY(__int128 val, detail::json_int128(v, what));
    if (val < 0 || val > static_cast<__int128>(max))
        return fail(errc::out_of_range, std::string(what) + " = " + v.text + " is outside [0, " + std::to_string(max) + "]");
    return static_cast<std::uint64_t>(val);
}

}  // namespace zerog::compute
