// RLP (Ethereum Recursive Length Prefix): encoder and strict decoder.
//
// Encoding: byte strings, integers as minimal big-endian byte strings (0 → empty string), lists.
// Build either with the append_* functions on a byte buffer (no intermediate tree; the
// transaction encoder uses these) or with an `rlp::item` tree and `rlp::encode`.
//
// Decoding is canonical-only, as go-ethereum's `rlp.Split` is: a single byte < 0x80 must be
// encoded as itself, lengths < 56 must use the short form, long-form lengths have no leading
// zero bytes, nothing may follow the top-level item, and every length must fit in the input.
// Integer accessors (`to_uint256`, `to_u64`) reject leading zero bytes. Every error names the
// byte offset at which the bad header starts. Nesting deeper than `max_depth` lists is refused
// so hostile input cannot exhaust the stack.
//
// Thread safety: pure functions; items are values.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/core/result.hpp>
#include <zerog/core/uint256.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace zerog::codec::rlp {

inline constexpr std::size_t max_depth = 64;

namespace detail {
inline void append_length(bytes& out, std::size_t len, byte short_base) {
    if (len < 56) {
        out.push_back(static_cast<byte>(short_base + len));
        return;
    }
    byte be[8];
    int n = 0;
    for (std::size_t v = len; v; v >>= 8) be[n++] = static_cast<byte>(v);
    out.push_back(static_cast<byte>(short_base + 55 + n));
    for (int i = n - 1; i >= 0; --i) out.push_back(be[i]);
}
}  // namespace detail

/// Append the RLP encoding of a byte string.
inline void append_bytes(bytes& out, byte_span b) {
    if (b.size() == 1 && b[0] < 0x80) {
        out.push_back(b[0]);
        return;
    }
    detail::append_length(out, b.size(), 0x80);
    out.insert(out.end(), b.begin(), b.end());
}
/// Append an unsigned integer as its minimal big-endian byte string (0 → 0x80).
inline void append_uint(bytes& out, const uint256& v) {
    const hash256 be = v.to_be_bytes();
    std::size_t first = 0;
    while (first < 32 && be[first] == 0) ++first;
    append_bytes(out, byte_span(be.data() + first, 32 - first));
}
inline void append_uint(bytes& out, std::uint64_t v) { append_uint(out, uint256(v)); }
/// Append a list header for a payload of `payload_len` bytes; the caller appends the payload.
inline void append_list_header(bytes& out, std::size_t payload_len) { detail::append_length(out, payload_len, 0xc0); }
/// Append a list whose (already encoded) items are concatenated in `payload`.
inline void append_list(bytes& out, byte_span payload) {
    append_list_header(out, payload.size());
    out.insert(out.end(), payload.begin(), payload.end());
}

/// A decoded (or to-be-encoded) RLP item: a byte string or a list of items. `offset` is where
/// the item's header starts in the decoded input (for error messages of higher layers).
struct item {
    bool is_list = false;
    bytes str;
    std::vector<item> list;
    std::size_t offset = 0;

    static item string(byte_span b) { return item{false, bytes(b.begin(), b.end()), {}, 0}; }
    static item uint(const uint256& v) { return item{false, v.to_be_bytes_trimmed(), {}, 0}; }
    static item of(std::vector<item> l) { return item{true, {}, std::move(l), 0}; }

    /// Strict integer: at most 32 bytes, no leading zero byte (zero is the empty string).
    result<uint256> to_uint256(std::string_view what) const {
        if (is_list) return fail(errc::parse_error, "RLP " + std::string(what) + " at offset " + std::to_string(offset) + ": expected an integer, got a list");
        if (!str.empty() && str[0] == 0)
            return fail(errc::parse_error, "RLP " + std::string(what) + " at offset " + std::to_string(offset) + ": integer has leading zero bytes");
        if (str.size() > 32)
            return fail(errc::overflow, "RLP " + std::string(what) + " at offset " + std::to_string(offset) + ": integer wider than 256 bits");
        return uint256::from_be_bytes(str);
    }
    result<std::uint64_t> to_u64(std::string_view what) const {
        ZEROG_TRY(const uint256 v, to_uint256(what));
        if (!v.fits_u64()) return fail(errc::overflow, "RLP " + std::string(what) + " at offset " + std::to_string(offset) + ": integer wider than 64 bits");
        return v.low64();
    }
    /// A byte string of exactly `n` bytes (addresses, hashes).
    result<byte_span> to_fixed(std::size_t n, std::string_view what) const {
        if (is_list || str.size() != n)
            return fail(errc::invalid_length, "RLP " + std::string(what) + " at offset " + std::to_string(offset) + ": expected a " +
                                                  std::to_string(n) + "-byte string");
        return byte_span(str);
    }
    friend bool operator==(const item& a, const item& b) { return a.is_list == b.is_list && a.str == b.str && a.list == b.list; }
};

/// Append the encoding of an item tree.
inline void append(bytes& out, const item& it) {
    if (!it.is_list) { append_bytes(out, it.str); return; }
    bytes payload;
    for (const auto& c : it.list) append(payload, c);
    append_list(out, payload);
}
inline bytes encode(const item& it) {
    bytes out;
    append(out, it);
    return out;
}

namespace detail {

struct header {
    bool is_list;
    std::size_t payload_start;
    std::size_t payload_len;
};

inline failure bad(errc c, std::size_t at, const std::string& what) {
    return fail(c, "RLP item at offset " + std::to_string(at) + ": " + what);
}

/// Parse the header at `pos` within [.., end); checks canonical form and bounds.
inline result<header> read_header(byte_span in, std::size_t pos, std::size_t end) {
    if (pos >= end) return bad(errc::invalid_length, pos, "input truncated (expected an item header)");
    const byte b = in[pos];
    if (b < 0x80) return header{false, pos, 1};
    const bool list = b >= 0xc0;
    const byte base = list ? 0xc0 : 0x80;
    const std::size_t avail = end - pos - 1;
    if (b - base <= 55) {
        const std::size_t len = b - base;
        if (len > avail) return bad(errc::invalid_length, pos, (list ? "list" : "string") + std::string(" of ") + std::to_string(len) +
                                                               " bytes but only " + std::to_string(avail) + " left");
        if (!list && len == 1 && in[pos + 1] < 0x80)
            return bad(errc::parse_error, pos, "single byte below 0x80 must be encoded as itself (non-canonical 0x81 prefix)");
        return header{list, pos + 1, len};
    }
    const std::size_t len_of_len = b - base - 55;
    if (len_of_len > avail) return bad(errc::invalid_length, pos, "length-of-length " + std::to_string(len_of_len) + " runs past the input");
    if (in[pos + 1] == 0) return bad(errc::parse_error, pos, "long-form length has leading zero bytes");
    if (len_of_len > 8) return bad(errc::too_large, pos, "length does not fit in 64 bits");
    std::uint64_t len = 0;
    for (std::size_t i = 0; i < len_of_len; ++i) len = len << 8 | in[pos + 1 + i];
    if (len < 56) return bad(errc::parse_error, pos, "long-form length " + std::to_string(len) + " must use the short form");
    if (len > avail - len_of_len)
        return bad(errc::invalid_length, pos, (list ? "list" : "string") + std::string(" of ") + std::to_string(len) + " bytes but only " +
                                                  std::to_string(avail - len_of_len) + " left");
    return header{list, pos + 1 + len_of_len, static_cast<std::size_t>(len)};
}

inline result<item> decode_at(byte_span in, std::size_t pos, std::size_t end, std::size_t depth) {
    ZEROG_TRY(const header h, read_header(in, pos, end));
    item it;
    it.offset = pos;
    it.is_list = h.is_list;
    if (!h.is_list) {
        it.str.assign(in.begin() + static_cast<std::ptrdiff_t>(h.payload_start),
                      in.begin() + static_cast<std::ptrdiff_t>(h.payload_start + h.payload_len));
        return it;
    }
    if (depth >= max_depth) return bad(errc::too_large, pos, "lists nested deeper than " + std::to_string(max_depth));
    std::size_t p = h.payload_start;
    const std::size_t list_end = h.payload_start + h.payload_len;
    while (p < list_end) {
        ZEROG_TRY(auto child, decode_at(in, p, list_end, depth + 1));
        ZEROG_TRY(const header ch, read_header(in, p, list_end));  // cheap: recomputes the child's extent
        p = ch.payload_start + ch.payload_len;
        it.list.push_back(std::move(child));
    }
    return it;
}

}  // namespace detail

/// Strictly decode exactly one item spanning all of `in` (trailing bytes are an error).
inline result<item> decode(byte_span in) {
    ZEROG_TRY(auto it, detail::decode_at(in, 0, in.size(), 0));
    ZEROG_TRY(const detail::header h, detail::read_header(in, 0, in.size()));
    const std::size_t end = h.payload_start + h.payload_len;
    if (end != in.size())
        return detail::bad(errc::parse_error, end, std::to_string(in.size() - end) + " trailing bytes after the top-level item");
    return it;
}

}  // namespace zerog::codec::rlp

namespace zerog {
namespace rlp = codec::rlp;
}
