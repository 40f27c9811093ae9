// Keccak-256 (the original Keccak with 0x01 padding, as Ethereum uses; NOT NIST SHA3-256).
//
// Our own implementation rather than Crypto++'s: the storage merkle tree spends nearly all its time
// in Keccak-f[1600] on tiny inputs (256-byte chunks, 64-byte node pairs), where a virtual-call
// HashTransformation and per-call state setup cost as much as the permutation itself. Here the
// permutation is inlined and the fixed-size entry points (`keccak256_64`, `keccak256_256`) absorb
// without any buffering. Cross-checked against Crypto++ Keccak_256 in tests/crypto.
//
// Thread safety: all functions are pure; `keccak256_hasher` objects are not shared.
#pragma once

#include <zerog/core/bytes.hpp>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace zerog::crypto {

namespace detail {

inline constexpr std::uint64_t keccak_rc[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

inline constexpr std::uint64_t rotl(std::uint64_t x, unsigned n) noexcept { return (x << n) | (x >> ((64 - n) & 63)); }

/// Keccak-f[1600] on 25 little-endian lanes, fully unrolled per round (theta, rho+pi, chi, iota).
[[gnu::always_inline]] inline void keccak_f1600(std::uint64_t s[25]) noexcept {
    for (int round = 0; round < 24; ++round) {
        // theta
        const std::uint64_t c0 = s[0] ^ s[5] ^ s[10] ^ s[15] ^ s[20];
        const std::uint64_t c1 = s[1] ^ s[6] ^ s[11] ^ s[16] ^ s[21];
        const std::uint64_t c2 = s[2] ^ s[7] ^ s[12] ^ s[17] ^ s[22];
        const std::uint64_t c3 = s[3] ^ s[8] ^ s[13] ^ s[18] ^ s[23];
        const std::uint64_t c4 = s[4] ^ s[9] ^ s[14] ^ s[19] ^ s[24];
        const std::uint64_t d0 = c4 ^ rotl(c1, 1);
        const std::uint64_t d1 = c0 ^ rotl(c2, 1);
        const std::uint64_t d2 = c1 ^ rotl(c3, 1);
        const std::uint64_t d3 = c2 ^ rotl(c4, 1);
        const std::uint64_t d4 = c3 ^ rotl(c0, 1);
        // rho + pi: b[y][2x+3y] = rotl(a[x][y] ^ d[x], r[x][y])
        const std::uint64_t b00 = s[0] ^ d0;
        const std::uint64_t b10 = rotl(s[6] ^ d1, 44);
        const std::uint64_t b20 = rotl(s[12] ^ d2, 43);
        const std::uint64_t b30 = rotl(s[18] ^ d3, 21);
        const std::uint64_t b40 = rotl(s[24] ^ d4, 14);
        const std::uint64_t b01 = rotl(s[3] ^ d3, 28);
        const std::uint64_t b11 = rotl(s[9] ^ d4, 20);
        const std::uint64_t b21 = rotl(s[10] ^ d0, 3);
        const std::uint64_t b31 = rotl(s[16] ^ d1, 45);
        const std::uint64_t b41 = rotl(s[22] ^ d2, 61);
        const std::uint64_t b02 = rotl(s[1] ^ d1, 1);
        const std::uint64_t b12 = rotl(s[7] ^ d2, 6);
        const std::uint64_t b22 = rotl(s[13] ^ d3, 25);
        const std::uint64_t b32 = rotl(s[19] ^ d4, 8);
        const std::uint64_t b42 = rotl(s[20] ^ d0, 18);
        const std::uint64_t b03 = rotl(s[4] ^ d4, 27);
        const std::uint64_t b13 = rotl(s[5] ^ d0, 36);
        const std::uint64_t b23 = rotl(s[11] ^ d1, 10);
        const std::uint64_t b33 = rotl(s[17] ^ d2, 15);
        const std::uint64_t b43 = rotl(s[23] ^ d3, 56);
        const std::uint64_t b04 = rotl(s[2] ^ d2, 62);
        const std::uint64_t b14 = rotl(s[8] ^ d3, 55);
        const std::uint64_t b24 = rotl(s[14] ^ d4, 39);
        const std::uint64_t b34 = rotl(s[15] ^ d0, 41);
        const std::uint64_t b44 = rotl(s[21] ^ d1, 2);
        // chi + iota (row y uses b?y in x order 0..4)
        s[0] = b00 ^ (~b10 & b20) ^ keccak_rc[round];
        s[1] = b10 ^ (~b20 & b30);
        s[2] = b20 ^ (~b30 & b40);
        s[3] = b30 ^ (~b40 & b00);
        s[4] = b40 ^ (~b00 & b10);
        s[5] = b01 ^ (~b11 & b21);
        s[6] = b11 ^ (~b21 & b31);
        s[7] = b21 ^ (~b31 & b41);
        s[8] = b31 ^ (~b41 & b01);
        s[9] = b41 ^ (~b01 & b11);
        s[10] = b02 ^ (~b12 & b22);
        s[11] = b12 ^ (~b22 & b32);
        s[12] = b22 ^ (~b32 & b42);
        s[13] = b32 ^ (~b42 & b02);
        s[14] = b42 ^ (~b02 & b12);
        s[15] = b03 ^ (~b13 & b23);
        s[16] = b13 ^ (~b23 & b33);
        s[17] = b23 ^ (~b33 & b43);
        s[18] = b33 ^ (~b43 & b03);
        s[19] = b43 ^ (~b03 & b13);
        s[20] = b04 ^ (~b14 & b24);
        s[21] = b14 ^ (~b24 & b34);
        s[22] = b24 ^ (~b34 & b44);
        s[23] = b34 ^ (~b44 & b04);
        s[24] = b44 ^ (~b04 & b14);
    }
}

inline std::uint64_t load64_le(const byte* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8);  // x86-64 / little-endian targets only (static_assert below)
    return v;
}
static_assert(std::endian::native == std::endian::little, "zerog's Keccak assumes a little-endian host");

inline hash256 squeeze256(const std::uint64_t s[25]) noexcept {
    hash256 out;
    std::memcpy(out.data(), s, 32);
    return out;
}

}  // namespace detail

inline constexpr std::size_t keccak256_rate = 136;

/// Incremental Keccak-256.
class keccak256_hasher {
public:
    keccak256_hasher& update(byte_span in) noexcept {
        const byte* p = in.data();
        std::size_t n = in.size();
        if (fill_) {
            const std::size_t take = std::min(n, keccak256_rate - fill_);
            std::memcpy(buf_ + fill_, p, take);
            fill_ += take; p += take; n -= take;
            if (fill_ < keccak256_rate) return *this;
            absorb_block(buf_);
            fill_ = 0;
        }
        while (n >= keccak256_rate) { absorb_block(p); p += keccak256_rate; n -= keccak256_rate; }
        std::memcpy(buf_, p, n);
        fill_ = n;
        return *this;
    }
    keccak256_hasher& update(std::string_view s) noexcept { return update(as_bytes(s)); }

    hash256 finalize() noexcept {
        std::memset(buf_ + fill_, 0, keccak256_rate - fill_);
        buf_[fill_] ^= 0x01;
        buf_[keccak256_rate - 1] ^= 0x80;
        absorb_block(buf_);
        return detail::squeeze256(s_);
    }

private:
    void absorb_block(const byte* p) noexcept {
        for (int i = 0; i < 17; ++i) s_[i] ^= detail::load64_le(p + 8 * i);
        detail::keccak_f1600(s_);
    }
    std::uint64_t s_[25] = {};
    byte buf_[keccak256_rate];
    std::size_t fill_ = 0;
};

inline hash256 keccak256(byte_span in) noexcept { return keccak256_hasher{}.update(in).finalize(); }
inline hash256 keccak256(std::string_view in) noexcept { return keccak256(as_bytes(in)); }

/// keccak256(a ‖ b) for two 32-byte nodes: one permutation, no buffering (merkle interior nodes).
inline hash256 keccak256_64(const hash256& a, const hash256& b) noexcept {
    std::uint64_t s[25] = {};
    for (int i = 0; i < 4; ++i) s[i] = detail::load64_le(a.data() + 8 * i);
    for (int i = 0; i < 4; ++i) s[4 + i] = detail::load64_le(b.data() + 8 * i);
    s[8] = 0x01;
    s[16] = 0x8000000000000000ULL;
    detail::keccak_f1600(s);
    return detail::squeeze256(s);
}

/// keccak256 of exactly 256 bytes (a storage chunk leaf): two permutations, no buffering.
inline hash256 keccak256_256(const byte* p) noexcept {
    std::uint64_t s[25] = {};
    for (int i = 0; i < 17; ++i) s[i] = detail::load64_le(p + 8 * i);
    detail::keccak_f1600(s);
    // remaining 120 bytes = 15 lanes, then padding
    for (int i = 0; i < 15; ++i) s[i] ^= detail::load64_le(p + 136 + 8 * i);
    s[15] ^= 0x01;
    s[16] ^= 0x8000000000000000ULL;
    detail::keccak_f1600(s);
    return detail::squeeze256(s);
}

}  // namespace zerog::crypto
