// Exact 256-bit unsigned integers: token amounts (neuron), ABI uint256, fees, prices.
//
// Arithmetic is exact and checked where it matters: `checked_add/sub/mul` return an error on
// overflow or underflow instead of wrapping, because a wrapped amount is a wrong payment. The
// wrapping operators (+, -, *) exist for hashing/ABI code that wants modular arithmetic, and are
// named so nobody confuses them with money.
//
// Token amounts: 1 0G = 10^18 neuron. `parse_token_amount("0.1")` is exactly 10^17;
// `format_token_amount` prints the shortest exact decimal.
#pragma once

#include <zerog/core/bytes.hpp>

#include <algorithm>
#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace zerog {

class uint256 {
public:
    constexpr uint256() noexcept = default;
    constexpr uint256(std::uint64_t v) noexcept : limb_{v, 0, 0, 0} {}  // NOLINT: implicit on purpose
    static constexpr uint256 from_limbs(std::uint64_t l0, std::uint64_t l1, std::uint64_t l2, std::uint64_t l3) noexcept {
        uint256 r;
        r.limb_ = {l0, l1, l2, l3};
        return r;
    }
    static constexpr uint256 max() noexcept { return from_limbs(~0ULL, ~0ULL, ~0ULL, ~0ULL); }

    /// limb(0) is the least significant 64 bits.
    constexpr std::uint64_t limb(int i) const noexcept { return limb_[i]; }
    constexpr bool is_zero() const noexcept { return (limb_[0] | limb_[1] | limb_[2] | limb_[3]) == 0; }
    constexpr bool fits_u64() const noexcept { return (limb_[1] | limb_[2] | limb_[3]) == 0; }
    constexpr std::uint64_t low64() const noexcept { return limb_[0]; }
    /// The nearest double (rounded; for metrics and ratios, never for amounts that are paid).
    constexpr double to_double() const noexcept {
        double d = 0;
        for (int i = 3; i >= 0; --i) d = d * 18446744073709551616.0 + double(limb_[i]);
        return d;
    }
    int bit_length() const noexcept {
        for (int i = 3; i >= 0; --i)
            if (limb_[i]) return 64 * i + 64 - __builtin_clzll(limb_[i]);
        return 0;
    }

    friend constexpr bool operator==(const uint256&, const uint256&) = default;
    friend constexpr std::strong_ordering operator<=>(const uint256& a, const uint256& b) noexcept {
        for (int i = 3; i >= 0; --i)
            if (a.limb_[i] != b.limb_[i]) return a.limb_[i] <=> b.limb_[i];
        return std::strong_ordering::equal;
    }

    // --- modular (wrapping) arithmetic ---
    friend constexpr uint256 operator+(const uint256& a, const uint256& b) noexcept { uint256 r; r.add_carry(a, b); return r; }
    friend constexpr uint256 operator-(const uint256& a, const uint256& b) noexcept { uint256 r; r.sub_borrow(a, b); return r; }
    friend constexpr uint256 operator*(const uint256& a, const uint256& b) noexcept { uint256 r; r.mul_overflow(a, b); return r; }
    friend constexpr uint256 operator~(const uint256& a) noexcept {
        return from_limbs(~a.limb_[0], ~a.limb_[1], ~a.limb_[2], ~a.limb_[3]);
    }
    friend constexpr uint256 operator&(const uint256& a, const uint256& b) noexcept {
        return from_limbs(a.limb_[0] & b.limb_[0], a.limb_[1] & b.limb_[1], a.limb_[2] & b.limb_[2], a.limb_[3] & b.limb_[3]);
    }
    friend constexpr uint256 operator|(const uint256& a, const uint256& b) noexcept {
        return from_limbs(a.limb_[0] | b.limb_[0], a.limb_[1] | b.limb_[1], a.limb_[2] | b.limb_[2], a.limb_[3] | b.limb_[3]);
    }
    friend constexpr uint256 operator<<(const uint256& a, unsigned n) noexcept {
        uint256 r;
        if (n >= 256) return r;
        const unsigned w = n / 64, b = n % 64;
        for (int i = 3; i >= static_cast<int>(w); --i) {
            std::uint64_t v = a.limb_[i - w] << b;
            if (b && i - static_cast<int>(w) - 1 >= 0) v |= a.limb_[i - w - 1] >> (64 - b);
            r.limb_[i] = v;
        }
        return r;
    }
    friend constexpr uint256 operator>>(const uint256& a, unsigned n) noexcept {
        uint256 r;
        if (n >= 256) return r;
        const unsigned w = n / 64, b = n % 64;
        for (unsigned i = 0; i + w < 4; ++i) {
            std::uint64_t v = a.limb_[i + w] >> b;
            if (b && i + w + 1 < 4) v |= a.limb_[i + w + 1] << (64 - b);
            r.limb_[i] = v;
        }
        return r;
    }

    // --- checked arithmetic (money) ---
    friend result<uint256> checked_add(const uint256& a, const uint256& b) {
        uint256 r;
        if (r.add_carry(a, b)) return fail(errc::overflow, "uint256 addition overflows");
        return r;
    }
    friend result<uint256> checked_sub(const uint256& a, const uint256& b) {
        uint256 r;
        if (r.sub_borrow(a, b)) return fail(errc::overflow, "uint256 subtraction underflows");
        return r;
    }
    friend result<uint256> checked_mul(const uint256& a, const uint256& b) {
        uint256 r;
        if (r.mul_overflow(a, b)) return fail(errc::overflow, "uint256 multiplication overflows");
        return r;
    }

    /// Division by a 64-bit divisor (decimal formatting, per-token prices). d must be non-zero.
    constexpr uint256 divmod_u64(std::uint64_t d, std::uint64_t& rem) const noexcept {
        uint256 q;
        unsigned __int128 r = 0;
        for (int i = 3; i >= 0; --i) {
            const unsigned __int128 cur = (r << 64) | limb_[i];
            q.limb_[i] = static_cast<std::uint64_t>(cur / d);
            r = cur % d;
        }
        rem = static_cast<std::uint64_t>(r);
        return q;
    }

    /// Full 256-bit division (shift-subtract; not on hot paths). Divisor must be non-zero.
    friend uint256 divmod(const uint256& a, const uint256& b, uint256& rem) noexcept {
        uint256 q, r;
        for (int i = a.bit_length() - 1; i >= 0; --i) {
            r = r << 1;
            if ((a.limb_[i / 64] >> (i % 64)) & 1) r.limb_[0] |= 1;
            if (r >= b) { r = r - b; q.limb_[i / 64] |= 1ULL << (i % 64); }
        }
        rem = r;
        return q;
    }

    // --- conversions ---
    /// Big-endian 32 bytes (ABI word, RLP source).
    hash256 to_be_bytes() const noexcept {
        hash256 out;
        for (int i = 0; i < 4; ++i)
            for (int k = 0; k < 8; ++k) out[31 - (8 * i + k)] = static_cast<byte>(limb_[i] >> (8 * k));
        return out;
    }
    /// From big-endian bytes, at most 32 of them.
    static result<uint256> from_be_bytes(byte_span b) {
        if (b.size() > 32) return fail(errc::invalid_length, "more than 32 bytes for a uint256 (" + std::to_string(b.size()) + ")");
        uint256 r;
        for (std::size_t i = 0; i < b.size(); ++i) {
            const std::size_t bit = 8 * (b.size() - 1 - i);
            r.limb_[bit / 64] |= std::uint64_t(b[i]) << (bit % 64);
        }
        return r;
    }
    /// Minimal big-endian bytes (no leading zeros; zero → empty), as RLP wants.
    bytes to_be_bytes_trimmed() const {
        const hash256 full = to_be_bytes();
        std::size_t first = 0;
        while (first < 32 && full[first] == 0) ++first;
        return bytes(full.begin() + first, full.end());
    }

    std::string to_decimal() const {
        if (is_zero()) return "0";
        std::string s;
        uint256 v = *this;
        while (!v.is_zero()) {
            std::uint64_t rem;
            v = v.divmod_u64(10000000000000000000ULL, rem);  // 10^19 per step
            for (int k = 0; k < 19; ++k) {
                s.push_back(static_cast<char>('0' + rem % 10));
                rem /= 10;
                if (v.is_zero() && rem == 0) break;
            }
        }
        while (s.size() > 1 && s.back() == '0') s.pop_back();
        std::reverse(s.begin(), s.end());
        return s;
    }
    /// "0x"-prefixed minimal hex ("0x0" for zero): the JSON-RPC QUANTITY encoding.
    std::string to_quantity_hex() const {
        if (is_zero()) return "0x0";
        std::string full = to_hex(to_be_bytes(), false);
        std::size_t first = full.find_first_not_of('0');
        return "0x" + full.substr(first);
    }

    /// Strict decimal: digits only, no sign, no spaces, no leading '+', at most 78 digits, and the
    /// value must fit. Leading zeros are accepted ("007" = 7).
    static result<uint256> from_decimal(std::string_view s) {
        if (s.empty()) return fail(errc::invalid_number, "empty decimal string");
        uint256 r;
        for (std::size_t i = 0; i < s.size(); ++i) {
            const char c = s[i];
            if (c < '0' || c > '9')
                return fail(errc::invalid_number, "bad character " + detail::printable_char(c) + " at index " + std::to_string(i));
            uint256 t;
            if (t.mul_overflow(r, uint256(10)) || r.add_carry(t, uint256(static_cast<std::uint64_t>(c - '0'))))
                return fail(errc::overflow, "decimal value does not fit in 256 bits");
        }
        return r;
    }
    /// JSON-RPC QUANTITY: "0x" then 1..64 hex digits, no leading zeros except "0x0". `strict=false`
    /// tolerates leading zeros (some nodes send them).
    static result<uint256> from_quantity_hex(std::string_view s, bool strict = false) {
        ZEROG_TRY(auto d, hex_digits_of(s, hex_prefix::required));
        if (d.empty()) return fail(errc::invalid_number, "empty hex quantity \"0x\"");
        if (strict && d.size() > 1 && d[0] == '0') return fail(errc::invalid_number, "hex quantity has leading zeros");
        while (d.size() > 1 && d[0] == '0') d.remove_prefix(1);
        if (d.size() > 64) return fail(errc::overflow, "hex quantity wider than 256 bits");
        uint256 r;
        for (std::size_t i = 0; i < d.size(); ++i) {
            const int v = detail::hex_value(d[i]);
            if (v < 0) return fail(errc::invalid_number, "bad character " + detail::printable_char(d[i]) + " in hex quantity");
            r = (r << 4) | uint256(static_cast<std::uint64_t>(v));
        }
        return r;
    }

private:
    constexpr bool add_carry(const uint256& a, const uint256& b) noexcept {
        unsigned __int128 c = 0;
        for (int i = 0; i < 4; ++i) {
            c += static_cast<unsigned __int128>(a.limb_[i]) + b.limb_[i];
            limb_[i] = static_cast<std::uint64_t>(c);
            c >>= 64;
        }
        return c != 0;
    }
    constexpr bool sub_borrow(const uint256& a, const uint256& b) noexcept {
        std::uint64_t borrow = 0;
        for (int i = 0; i < 4; ++i) {
            const std::uint64_t ai = a.limb_[i], bi = b.limb_[i];
            const std::uint64_t d = ai - bi - borrow;
            borrow = (ai < bi) || (ai - bi < borrow) ? 1 : 0;
            limb_[i] = d;
        }
        return borrow != 0;
    }
    constexpr bool mul_overflow(const uint256& a, const uint256& b) noexcept {
        std::uint64_t out[8] = {};
        for (int i = 0; i < 4; ++i) {
            unsigned __int128 carry = 0;
            for (int j = 0; j < 4; ++j) {
                const unsigned __int128 cur = static_cast<unsigned __int128>(a.limb_[i]) * b.limb_[j] + out[i + j] + carry;
                out[i + j] = static_cast<std::uint64_t>(cur);
                carry = cur >> 64;
            }
            out[i + 4] = static_cast<std::uint64_t>(carry);
        }
        for (int i = 0; i < 4; ++i) limb_[i] = out[i];
        return (out[4] | out[5] | out[6] | out[7]) != 0;
    }

    std::array<std::uint64_t, 4> limb_{};
};

}  // namespace zerog
