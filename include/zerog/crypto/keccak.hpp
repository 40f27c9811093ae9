// Keccak-256 (the original Keccak with 0x01 padding, as Ethereum uses; NOT NIST SHA3-256).
//
// Our own implementation rather than Crypto++'s: the storage merkle tree spends nearly all its time
// in Keccak-f[1600] on tiny inputs (256-byte chunks, 64-byte node pairs), where a virtual-call
// HashTransformation and per-call state setup cost as much as the permutation itself. Here the
// permutation is inlined and the fixed-size entry points (`keccak256_64`, `keccak256_256`) absorb
// without any buffering. Cross-checked against Crypto++ Keccak_256 in tests/crypto.
//
// Thread safety: all functions are pure; `keccak256_hasher` objects are not shared. The SIMD
// level is chosen once at first use (set_keccak_simd_level exists for tests only).
#pragma once

#include <zerog/core/bytes.hpp>

#include <algorithm>
#include <atomic>
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

// Rotate every 64-bit lane left by a constant 1..63 (scalars and GCC vector types alike; with
// AVX-512VL GCC turns the vector form into one vprolq). A macro, not a function: a function
// returning a vector type by value draws -Wpsabi notes in every TU built without AVX.
#define ZEROG_KECCAK_ROTL(x, n) (((x) << (n)) | ((x) >> (64 - (n))))

/// Keccak-f[1600] on 25 lanes of type T: a std::uint64_t (one state) or a GCC vector of k
/// uint64 (k independent states, "multi-buffer"). Fully unrolled per round (theta, rho+pi,
/// chi, iota).
template <class T>
[[gnu::always_inline]] inline void keccak_f1600_lanes(T* s) noexcept {
    for (int round = 0; round < 24; ++round) {
        // theta
        const T c0 = s[0] ^ s[5] ^ s[10] ^ s[15] ^ s[20];
        const T c1 = s[1] ^ s[6] ^ s[11] ^ s[16] ^ s[21];
        const T c2 = s[2] ^ s[7] ^ s[12] ^ s[17] ^ s[22];
        const T c3 = s[3] ^ s[8] ^ s[13] ^ s[18] ^ s[23];
        const T c4 = s[4] ^ s[9] ^ s[14] ^ s[19] ^ s[24];
        const T d0 = c4 ^ ZEROG_KECCAK_ROTL(c1, 1);
        const T d1 = c0 ^ ZEROG_KECCAK_ROTL(c2, 1);
        const T d2 = c1 ^ ZEROG_KECCAK_ROTL(c3, 1);
        const T d3 = c2 ^ ZEROG_KECCAK_ROTL(c4, 1);
        const T d4 = c3 ^ ZEROG_KECCAK_ROTL(c0, 1);
        // rho + pi: b[y][2x+3y] = rotl(a[x][y] ^ d[x], r[x][y])
        const T b00 = s[0] ^ d0;
        const T b10 = ZEROG_KECCAK_ROTL(s[6] ^ d1, 44);
        const T b20 = ZEROG_KECCAK_ROTL(s[12] ^ d2, 43);
        const T b30 = ZEROG_KECCAK_ROTL(s[18] ^ d3, 21);
        const T b40 = ZEROG_KECCAK_ROTL(s[24] ^ d4, 14);
        const T b01 = ZEROG_KECCAK_ROTL(s[3] ^ d3, 28);
        const T b11 = ZEROG_KECCAK_ROTL(s[9] ^ d4, 20);
        const T b21 = ZEROG_KECCAK_ROTL(s[10] ^ d0, 3);
        const T b31 = ZEROG_KECCAK_ROTL(s[16] ^ d1, 45);
        const T b41 = ZEROG_KECCAK_ROTL(s[22] ^ d2, 61);
        const T b02 = ZEROG_KECCAK_ROTL(s[1] ^ d1, 1);
        const T b12 = ZEROG_KECCAK_ROTL(s[7] ^ d2, 6);
        const T b22 = ZEROG_KECCAK_ROTL(s[13] ^ d3, 25);
        const T b32 = ZEROG_KECCAK_ROTL(s[19] ^ d4, 8);
        const T b42 = ZEROG_KECCAK_ROTL(s[20] ^ d0, 18);
        const T b03 = ZEROG_KECCAK_ROTL(s[4] ^ d4, 27);
        const T b13 = ZEROG_KECCAK_ROTL(s[5] ^ d0, 36);
        const T b23 = ZEROG_KECCAK_ROTL(s[11] ^ d1, 10);
        const T b33 = ZEROG_KECCAK_ROTL(s[17] ^ d2, 15);
        const T b43 = ZEROG_KECCAK_ROTL(s[23] ^ d3, 56);
        const T b04 = ZEROG_KECCAK_ROTL(s[2] ^ d2, 62);
        const T b14 = ZEROG_KECCAK_ROTL(s[8] ^ d3, 55);
        const T b24 = ZEROG_KECCAK_ROTL(s[14] ^ d4, 39);
        const T b34 = ZEROG_KECCAK_ROTL(s[15] ^ d0, 41);
        const T b44 = ZEROG_KECCAK_ROTL(s[21] ^ d1, 2);
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

/// Keccak-f[1600] on one state of 25 little-endian lanes.
[[gnu::always_inline]] inline void keccak_f1600(std::uint64_t s[25]) noexcept { keccak_f1600_lanes(s); }

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

// ---------------------------------------------------------------------------------------------
// Multi-buffer hashing: k independent Keccak states in the k lanes of a SIMD vector. The storage
// merkle tree is made of many independent equal-sized hashes (1024 chunk leaves per segment,
// then levels of 64-byte pairs), which is exactly the multi-buffer case. Chosen at run time:
// AVX-512VL 8-way, AVX2 4-way, or the scalar code; every path gives identical results (tested).

namespace detail {
typedef std::uint64_t u64x4 __attribute__((vector_size(32)));
typedef std::uint64_t u64x8 __attribute__((vector_size(64)));

/// K consecutive 256-byte chunks at p → out[0..K).
template <class V, int K>
[[gnu::always_inline]] inline void leaf_many_impl(const byte* p, hash256* out) noexcept {
    alignas(64) std::uint64_t t[25][K];
    V s[25];
    for (int i = 0; i < 17; ++i)
        for (int j = 0; j < K; ++j) t[i][j] = load64_le(p + j * 256 + 8 * i);
    for (int i = 0; i < 17; ++i) std::memcpy(&s[i], t[i], sizeof(V));
    for (int i = 17; i < 25; ++i) s[i] = V{};
    keccak_f1600_lanes(s);
    for (int i = 0; i < 15; ++i)
        for (int j = 0; j < K; ++j) t[i][j] = load64_le(p + j * 256 + 136 + 8 * i);
    for (int i = 0; i < 15; ++i) {
        V x;
        std::memcpy(&x, t[i], sizeof(V));
        s[i] ^= x;
    }
    s[15] ^= 0x01;
    s[16] ^= 0x8000000000000000ULL;
    keccak_f1600_lanes(s);
    for (int i = 0; i < 4; ++i) std::memcpy(t[i], &s[i], sizeof(V));
    for (int j = 0; j < K; ++j)
        for (int i = 0; i < 4; ++i) std::memcpy(out[j].data() + 8 * i, &t[i][j], 8);
}

/// out[j] = keccak256(in[2j] ‖ in[2j+1]) for j < K. All input is read before any output is
/// written, so out may alias in (in-place level reduction).
template <class V, int K>
[[gnu::always_inline]] inline void node_many_impl(const hash256* in, hash256* out) noexcept {
    alignas(64) std::uint64_t t[8][K];
    V s[25];
    for (int i = 0; i < 8; ++i)
        for (int j = 0; j < K; ++j) t[i][j] = load64_le(in[2 * j + i / 4].data() + 8 * (i % 4));
    for (int i = 0; i < 8; ++i) std::memcpy(&s[i], t[i], sizeof(V));
    for (int i = 8; i < 25; ++i) s[i] = V{};
    s[8] ^= 0x01;
    s[16] ^= 0x8000000000000000ULL;
    keccak_f1600_lanes(s);
    for (int i = 0; i < 4; ++i) std::memcpy(t[i], &s[i], sizeof(V));
    for (int j = 0; j < K; ++j)
        for (int i = 0; i < 4; ++i) std::memcpy(out[j].data() + 8 * i, &t[i][j], 8);
}

__attribute__((target("avx512f,avx512vl"))) inline void leaf_x8_avx512(const byte* p, hash256* out) noexcept {
    leaf_many_impl<u64x8, 8>(p, out);
}
__attribute__((target("avx512f,avx512vl"))) inline void node_x8_avx512(const hash256* in, hash256* out) noexcept {
    node_many_impl<u64x8, 8>(in, out);
}
__attribute__((target("avx2"))) inline void leaf_x4_avx2(const byte* p, hash256* out) noexcept { leaf_many_impl<u64x4, 4>(p, out); }
__attribute__((target("avx2"))) inline void node_x4_avx2(const hash256* in, hash256* out) noexcept {
    node_many_impl<u64x4, 4>(in, out);
}

/// 0 = scalar, 1 = AVX2 4-way, 2 = AVX-512VL 8-way. Detected once; overridable for tests.
inline std::atomic<int>& keccak_simd_state() {
    static std::atomic<int> level{[] {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) return 2;
        if (__builtin_cpu_supports("avx2")) return 1;
        return 0;
    }()};
    return level;
}
inline int keccak_simd_supported() {
    static const int max = keccak_simd_state().load();
    return max;
}
}  // namespace detail

/// Multi-buffer implementations, for diagnostics and tests.
enum class keccak_simd { scalar = 0, avx2_x4 = 1, avx512_x8 = 2 };

/// The implementation in use (the best the CPU supports unless overridden).
inline keccak_simd keccak_simd_level() noexcept { return static_cast<keccak_simd>(detail::keccak_simd_state().load(std::memory_order_relaxed)); }

/// Force a lower implementation (tests and benchmarks compare the paths). A level above what the
/// CPU supports is clamped. Not meant to race with hashing in other threads.
inline keccak_simd set_keccak_simd_level(keccak_simd l) noexcept {
    const int v = std::min(static_cast<int>(l), detail::keccak_simd_supported());
    detail::keccak_simd_state().store(v, std::memory_order_relaxed);
    return static_cast<keccak_simd>(v);
}

/// out[i] = keccak256 of the 256-byte chunk at chunks + 256·i, for i < n (merkle leaves).
inline void keccak256_256_many(const byte* chunks, std::size_t n, hash256* out) noexcept {
    std::size_t i = 0;
    switch (detail::keccak_simd_state().load(std::memory_order_relaxed)) {
    case 2:
        for (; i + 8 <= n; i += 8) detail::leaf_x8_avx512(chunks + 256 * i, out + i);
        break;
    case 1:
        for (; i + 4 <= n; i += 4) detail::leaf_x4_avx2(chunks + 256 * i, out + i);
        break;
    default: break;
    }
    for (; i < n; ++i) out[i] = keccak256_256(chunks + 256 * i);
}

/// out[i] = keccak256(in[2i] ‖ in[2i+1]) for i < n (one merkle level). out may equal in.
inline void keccak256_64_many(const hash256* in, std::size_t n, hash256* out) noexcept {
    std::size_t i = 0;
    switch (detail::keccak_simd_state().load(std::memory_order_relaxed)) {
    case 2:
        for (; i + 8 <= n; i += 8) detail::node_x8_avx512(in + 2 * i, out + i);
        break;
    case 1:
        for (; i + 4 <= n; i += 4) detail::node_x4_avx2(in + 2 * i, out + i);
        break;
    default: break;
    }
    for (; i < n; ++i) out[i] = keccak256_64(in[2 * i], in[2 * i + 1]);
}

}  // namespace zerog::crypto

#undef ZEROG_KECCAK_ROTL
