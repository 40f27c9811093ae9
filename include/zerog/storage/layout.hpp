// 0G Storage file layout: constants, flow padding, chunk/segment counts and the zero-subtree
// hashes (docs/protocol/storage.md §1, §2, §3.3).
//
// All arithmetic is exact uint64; sizes whose padded form would not fit are rejected rather than
// wrapped. Thread safety: everything here is a pure function or an immutable value;
// `zero_hash()` initialises its table once (magic static) and is then read-only.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/core/result.hpp>
#include <zerog/crypto/keccak.hpp>

#include <array>
#include <bit>
#include <cstdint>
#include <string>

namespace zerog::storage {

/// Bytes per chunk (the contract's "sector"/"entry"); the merkle leaf unit.
inline constexpr std::uint64_t chunk_size = 256;
/// Chunks per segment (upload/download and proof unit).
inline constexpr std::uint64_t segment_max_chunks = 1024;
/// Bytes per full segment (262 144).
inline constexpr std::uint64_t segment_size = chunk_size * segment_max_chunks;
/// log2(segment_max_chunks): a segment root is a height-10 subtree of chunks.
inline constexpr unsigned segment_height = 10;
/// Default fragment size of the official SDKs (§9.6): 4 GiB.
inline constexpr std::uint64_t default_fragment_size = 4ULL << 30;
/// Largest file size we accept: keeps padded sizes and fee sectors far from uint64 overflow
/// (2^60 bytes = 1 EiB, already beyond any flow).
inline constexpr std::uint64_t max_file_size = 1ULL << 60;

/// Smallest power of two ≥ n (next_pow2(0) = next_pow2(1) = 1). n must be ≤ 2^63.
constexpr std::uint64_t next_pow2(std::uint64_t n) noexcept { return n <= 1 ? 1 : std::bit_ceil(n); }

/// floor(log2(n)) for n ≥ 1.
constexpr unsigned log2_floor(std::uint64_t n) noexcept { return 63u - static_cast<unsigned>(std::countl_zero(n)); }

/// ceil(size / 256): chunks holding real bytes.
constexpr std::uint64_t num_chunks(std::uint64_t size) noexcept { return (size + chunk_size - 1) / chunk_size; }

/// Flow-padded chunk count (§2): unchanged for powers of two, else rounded up to a multiple of
/// 1/16 of the next power of two (at least 1 chunk).
constexpr std::uint64_t padded_chunks(std::uint64_t chunks) noexcept {
    const std::uint64_t p = next_pow2(chunks);
    if (p == chunks) return chunks;
    const std::uint64_t min_chunk = p >= 16 ? p / 16 : 1;
    return (chunks + min_chunk - 1) / min_chunk * min_chunk;
}

/// Every count derived from a file size (§2). A value type; build with `file_layout::of`.
struct file_layout {
    std::uint64_t size = 0;               ///< file size in bytes (unpadded, ≥ 1)
    std::uint64_t chunks = 0;             ///< ceil(size/256)
    std::uint64_t padded_chunks = 0;      ///< §2 flow padding, = fee sectors
    std::uint64_t segments = 0;           ///< data segments: ceil(size/262144)
    std::uint64_t segments_padded = 0;    ///< tree segments: ceil(padded_chunks/1024)

    /// Layout of a `size`-byte file. Errors: empty_input for 0 (no SDK, node or contract accepts
    /// an empty file), too_large above `max_file_size`.
    static result<file_layout> of(std::uint64_t size) {
        if (size == 0) return fail(errc::empty_input, "0G Storage cannot store an empty file (size 0)");
        if (size > max_file_size)
            return fail(errc::too_large, "file size " + std::to_string(size) + " exceeds the supported maximum " +
                                             std::to_string(max_file_size));
        file_layout l;
        l.size = size;
        l.chunks = num_chunks(size);
        l.padded_chunks = storage::padded_chunks(l.chunks);
        l.segments = (size + segment_size - 1) / segment_size;
        l.segments_padded = (l.padded_chunks + segment_max_chunks - 1) / segment_max_chunks;
        return l;
    }

    /// Padded size in bytes (padded_chunks × 256).
    std::uint64_t padded_size() const noexcept { return padded_chunks * chunk_size; }

    /// Chunks in tree segment `i` (< segments_padded): 1024, or padded_chunks mod 1024 for the
    /// last tree segment when that is nonzero.
    std::uint64_t tree_segment_chunks(std::uint64_t i) const noexcept {
        const std::uint64_t start = i * segment_max_chunks;
        const std::uint64_t rest = padded_chunks - start;
        return rest < segment_max_chunks ? rest : segment_max_chunks;
    }

    /// Real data bytes in tree segment `i` (0 for an all-padding segment).
    std::uint64_t segment_data_bytes(std::uint64_t i) const noexcept {
        const std::uint64_t start = i * segment_size;
        if (start >= size) return 0;
        const std::uint64_t rest = size - start;
        return rest < segment_size ? rest : segment_size;
    }

    friend bool operator==(const file_layout&, const file_layout&) = default;
};

namespace detail {
inline const std::array<hash256, 64>& zero_hash_table() {
    static const std::array<hash256, 64> table = [] {
        std::array<hash256, 64> t{};
        const byte zeros[chunk_size] = {};
        t[0] = crypto::keccak256_256(zeros);
        for (std::size_t h = 1; h < t.size(); ++h) t[h] = crypto::keccak256_64(t[h - 1], t[h - 1]);
        return t;
    }();
    return table;
}
}  // namespace detail

/// ZERO_HASHES[height]: root of an all-zero perfect subtree of 2^height chunks (height < 64).
/// zero_hash(0) is EMPTY_CHUNK_HASH = keccak256(256 zero bytes); zero_hash(10) is an all-padding
/// segment's root.
inline const hash256& zero_hash(unsigned height) { return detail::zero_hash_table()[height & 63]; }

/// EMPTY_CHUNK_HASH = keccak256(256 zero bytes).
inline const hash256& empty_chunk_hash() { return zero_hash(0); }

}  // namespace zerog::storage
