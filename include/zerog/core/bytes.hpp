// Byte containers: a growable `bytes`, fixed-size `fixed_bytes<N>` (hashes, addresses, keys), and
// strict hex/base64 conversions.
//
// Strictness is deliberate: every wire format we speak uses 0x-prefixed hex for hashes and
// addresses, so a parser that silently accepts odd digits or a missing prefix hides bugs. Each
// rejection says exactly what was wrong and where (character index).
#pragma once

#include <zerog/core/result.hpp>

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace zerog {

using byte = std::uint8_t;
using bytes = std::vector<byte>;
using byte_span = std::span<const byte>;

/// Fixed-size byte array with value semantics (hashes, addresses, raw signatures).
template <std::size_t N>
struct fixed_bytes {
    std::array<byte, N> data_{};

    static constexpr std::size_t size() noexcept { return N; }
    byte* data() noexcept { return data_.data(); }
    const byte* data() const noexcept { return data_.data(); }
    byte& operator[](std::size_t i) noexcept { return data_[i]; }
    const byte& operator[](std::size_t i) const noexcept { return data_[i]; }
    auto begin() noexcept { return data_.begin(); }
    auto end() noexcept { return data_.end(); }
    auto begin() const noexcept { return data_.begin(); }
    auto end() const noexcept { return data_.end(); }
    operator byte_span() const noexcept { return {data_.data(), N}; }
    std::span<byte, N> span() noexcept { return std::span<byte, N>(data_); }
    std::span<const byte, N> span() const noexcept { return std::span<const byte, N>(data_); }
    bool is_zero() const noexcept {
        for (byte b : data_)
            if (b) return false;
        return true;
    }
    friend bool operator==(const fixed_bytes&, const fixed_bytes&) = default;
    friend auto operator<=>(const fixed_bytes&, const fixed_bytes&) = default;

    static fixed_bytes from_span(byte_span s) noexcept {  // caller guarantees s.size() == N
        fixed_bytes out;
        std::memcpy(out.data(), s.data(), N);
        return out;
    }
};

using hash256 = fixed_bytes<32>;

inline byte_span as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const byte*>(s.data()), s.size()};
}

// ---------------------------------------------------------------------------------------------
// hex

enum class hex_prefix {
    required,  ///< "0x" must be present (the wire formats: hashes, addresses, calldata)
    optional,  ///< "0x" may be present (user input such as a private key in an environment variable)
    none,      ///< no prefix allowed
};

namespace detail {
inline constexpr char hex_digits[] = "0123456789abcdef";
constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
inline std::string printable_char(char c) {
    if (c >= 0x20 && c < 0x7f) return std::string("'") + c + "'";
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", static_cast<unsigned char>(c));
    return buf;
}
}  // namespace detail

/// Lower-case hex, "0x"-prefixed by default.
inline std::string to_hex(byte_span b, bool prefix = true) {
    std::string out;
    out.resize((prefix ? 2 : 0) + 2 * b.size());
    std::size_t o = 0;
    if (prefix) { out[0] = '0'; out[1] = 'x'; o = 2; }
    for (byte x : b) {
        out[o++] = detail::hex_digits[x >> 4];
        out[o++] = detail::hex_digits[x & 15];
    }
    return out;
}

/// Strip and check the prefix; returns the digits or an error.
inline result<std::string_view> hex_digits_of(std::string_view s, hex_prefix p) {
    const bool has = s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    if (p == hex_prefix::required && !has) return fail(errc::invalid_hex, "missing 0x prefix");
    if (p == hex_prefix::none && has) return fail(errc::invalid_hex, "unexpected 0x prefix");
    if (has) s.remove_prefix(2);
    return s;
}

/// Decode hex into `out` (exactly out.size() bytes expected).
inline result<void> hex_decode_into(std::string_view s, std::span<byte> out, hex_prefix p = hex_prefix::required) {
    ZEROG_TRY(auto d, hex_digits_of(s, p));
    const std::size_t off = s.size() - d.size();
    if (d.size() % 2) return fail(errc::invalid_hex, "odd number of hex digits (" + std::to_string(d.size()) + ")");
    if (d.size() / 2 != out.size())
        return fail(errc::invalid_length, "expected " + std::to_string(out.size()) + " bytes (" +
                                              std::to_string(out.size() * 2) + " hex digits), got " +
                                              std::to_string(d.size()) + " hex digits");
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int hi = detail::hex_value(d[2 * i]);
        const int lo = detail::hex_value(d[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            const std::size_t bad = hi < 0 ? 2 * i : 2 * i + 1;
            return fail(errc::invalid_hex, "bad character " + detail::printable_char(d[bad]) + " at index " +
                                               std::to_string(off + bad));
        }
        out[i] = static_cast<byte>(hi << 4 | lo);
    }
    return {};
}

/// Decode hex of any even length.
inline result<bytes> from_hex(std::string_view s, hex_prefix p = hex_prefix::required) {
    ZEROG_TRY(auto d, hex_digits_of(s, p));
    if (d.size() % 2) return fail(errc::invalid_hex, "odd number of hex digits (" + std::to_string(d.size()) + ")");
    bytes out(d.size() / 2);
    ZEROG_CHECK(hex_decode_into(s, out, p));
    return out;
}

/// Decode hex of exactly N bytes.
template <std::size_t N>
result<fixed_bytes<N>> from_hex_fixed(std::string_view s, hex_prefix p = hex_prefix::required) {
    fixed_bytes<N> out;
    ZEROG_CHECK(hex_decode_into(s, out.data_, p));
    return out;
}

// ---------------------------------------------------------------------------------------------
// base64 (standard alphabet, with padding): storage segment data on the wire (docs/protocol/storage.md §7).

namespace detail {
/// 12 bits → their two base64 symbols: one lookup per half of a 3-byte group.
inline constexpr auto base64_pairs = [] {
    std::array<char, 2 * 4096> t{};
    constexpr char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::size_t v = 0; v < 4096; ++v) {
        t[2 * v] = tbl[v >> 6];
        t[2 * v + 1] = tbl[v & 63];
    }
    return t;
}();
}  // namespace detail

/// Length of the base64 text for `n` bytes (with padding).
constexpr std::size_t base64_encoded_size(std::size_t n) noexcept { return (n + 2) / 3 * 4; }

/// Append the base64 text of `in` to `out`. Written through a raw pointer with two table lookups
/// per 3 bytes: stores through `std::string::operator[]` made the compiler reload the string's
/// data pointer after every character (a char store may alias it), which cost a devnet node
/// 20 % of its CPU serving 350 KB segment answers.
inline void base64_append(std::string& out, byte_span in) {
    static constexpr char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const auto& P = detail::base64_pairs;
    const std::size_t at = out.size();
    out.resize(at + base64_encoded_size(in.size()));
    char* o = out.data() + at;
    const byte* p = in.data();
    const byte* const end3 = p + in.size() / 3 * 3;
    for (; p != end3; p += 3, o += 4) {
        const std::uint32_t v = std::uint32_t(p[0]) << 16 | std::uint32_t(p[1]) << 8 | p[2];
        std::memcpy(o, &P[2 * (v >> 12)], 2);
        std::memcpy(o + 2, &P[2 * (v & 0xfff)], 2);
    }
    if (const std::size_t rest = in.size() % 3) {
        std::uint32_t v = std::uint32_t(p[0]) << 16;
        if (rest == 2) v |= std::uint32_t(p[1]) << 8;
        o[0] = tbl[v >> 18];
        o[1] = tbl[(v >> 12) & 63];
        o[2] = rest == 2 ? tbl[(v >> 6) & 63] : '=';
        o[3] = '=';
    }
}

inline std::string base64_encode(byte_span in) {
    std::string out;
    base64_append(out, in);
    return out;
}

namespace detail {
/// Symbol → 6-bit value; 0xff for every byte outside the standard alphabet ('=' included: padding
/// is handled apart, at the end only).
inline constexpr auto base64_values = [] {
    std::array<std::uint8_t, 256> t{};
    t.fill(0xff);
    constexpr char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::uint8_t i = 0; i < 64; ++i) t[static_cast<unsigned char>(tbl[i])] = i;
    return t;
}();
}  // namespace detail

/// Strict decoding: length a multiple of 4, padding only at the end, no whitespace, and the unused
/// bits of the last symbol zero (so every byte string has exactly one accepted encoding).
/// Fast path: a table lookup per symbol into a buffer sized once, validity checked by OR-ing the
/// looked-up values (a 256 KiB storage segment arrives as 350 KB of base64 in every download);
/// the position of a bad symbol is searched for only when there is one.
inline result<bytes> base64_decode(std::string_view s) {
    const auto& T = detail::base64_values;
    if (s.size() % 4) return fail(errc::invalid_base64, "length " + std::to_string(s.size()) + " is not a multiple of 4");
    std::size_t pad = 0;
    if (!s.empty() && s.back() == '=') pad = (s.size() >= 2 && s[s.size() - 2] == '=') ? 2 : 1;
    const std::size_t groups = s.size() / 4;
    bytes out(groups * 3 - pad);
    const auto* in = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t full = pad ? groups - 1 : groups;  // groups without padding
    std::uint32_t bad = 0;
    byte* o = out.data();
    for (std::size_t g = 0; g < full; ++g, in += 4, o += 3) {
        const std::uint32_t a = T[in[0]], b = T[in[1]], c = T[in[2]], d = T[in[3]];
        bad |= a | b | c | d;
        const std::uint32_t w = a << 18 | b << 12 | c << 6 | d;
        o[0] = static_cast<byte>(w >> 16);
        o[1] = static_cast<byte>(w >> 8);
        o[2] = static_cast<byte>(w);
    }
    if (pad) {  // the last group: 2 or 3 symbols, then '='
        const std::uint32_t a = T[in[0]], b = T[in[1]], c = pad == 1 ? T[in[2]] : 0;
        bad |= a | b | c;
        if (!(bad & 0x80)) {
            const std::uint32_t w = a << 18 | b << 12 | c << 6;
            if (w & (pad == 2 ? 0xffff : 0xff)) return fail(errc::invalid_base64, "non-zero bits in the padding of the last group");
            o[0] = static_cast<byte>(w >> 16);
            if (pad == 1) o[1] = static_cast<byte>(w >> 8);
        }
    }
    if (bad & 0x80) {
        for (std::size_t i = 0; i + pad < s.size(); ++i)
            if (T[static_cast<unsigned char>(s[i])] == 0xff)
                return fail(errc::invalid_base64, "bad character " + detail::printable_char(s[i]) + " at index " + std::to_string(i));
    }
    return out;
}

}  // namespace zerog
