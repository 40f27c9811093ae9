// The one 0G merkle rule (docs/protocol/storage.md §3.1): pair nodes left to right with
// keccak256(left ‖ right); an odd last node is promoted unchanged. Also the equivalent
// "perfect subtrees folded right to left" form, which streams in O(log n) memory.
//
// Thread safety: free functions are pure; a `merkle_frontier` object is not shared between threads.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/core/result.hpp>
#include <zerog/crypto/keccak.hpp>
#include <zerog/storage/layout.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace zerog::storage {

/// keccak256(left ‖ right): an interior node.
inline hash256 hash_pair(const hash256& left, const hash256& right) noexcept { return crypto::keccak256_64(left, right); }

/// Root of the §3.1 promote-odd tree over `leaves` (level by level; the reference form).
/// Errors: empty_input when there are no leaves.
inline result<hash256> merkle_root(std::span<const hash256> leaves) {
    if (leaves.empty()) return fail(errc::empty_input, "merkle tree over 0 leaves");
    std::vector<hash256> level(leaves.begin(), leaves.end());
    std::size_t n = level.size();
    while (n > 1) {
        std::size_t o = 0;
        for (std::size_t i = 0; i + 1 < n; i += 2) level[o++] = hash_pair(level[i], level[i + 1]);
        if (n % 2) level[o++] = level[n - 1];  // promoted unchanged, not duplicated
        n = o;
    }
    return level[0];
}

/// Fold subtree roots right to left: r = last; r = H(R_i, r) for i descending (§3.1, §4.2).
/// This is how the node turns submission nodes into the file root. Errors: empty_input.
inline result<hash256> fold_right(std::span<const hash256> roots) {
    if (roots.empty()) return fail(errc::empty_input, "folding 0 subtree roots");
    hash256 r = roots.back();
    for (std::size_t i = roots.size() - 1; i-- > 0;) r = hash_pair(roots[i], r);
    return r;
}

namespace detail {
/// Root of the perfect tree over v[0 .. 2^height), where only v[0 .. real) are meaningful and the
/// rest is known to be all-zero data whose subtrees are zero_hash(base + level). Works in place
/// (v is clobbered). Skipping the zero half is what makes padding cost nothing.
inline hash256 perfect_root_inplace(hash256* v, unsigned height, std::size_t real, unsigned base) noexcept {
    std::size_t n = std::size_t{1} << height;
    if (real > n) real = n;
    for (unsigned level = 0; level < height; ++level) {
        if (real == 0) return zero_hash(base + height);
        const std::size_t full_pairs = real / 2;
        crypto::keccak256_64_many(v, full_pairs, v);  // multi-buffer; in place is safe
        if (real % 2) v[full_pairs] = hash_pair(v[real - 1], zero_hash(base + level));
        real = (real + 1) / 2;
        n /= 2;
    }
    return real ? v[0] : zero_hash(base + height);
}
}  // namespace detail

/// A subtree root with its height (in levels above the frontier's leaves).
struct merkle_peak {
    hash256 root;
    unsigned height = 0;
};

/// Streaming promote-odd tree: push leaves in order, read the root at any time. Keeps only the
/// perfect-subtree peaks (≤ 64), i.e. the binary decomposition of the leaf count, biggest first.
/// Not thread-safe; one object per tree.
class merkle_frontier {
public:
    /// Append a leaf (height 0) and merge equal-height peaks.
    void push(const hash256& leaf) { push_peak(leaf, 0); }

    /// Append a complete perfect subtree of 2^height leaves. Its height must not exceed the last
    /// peak's height (the caller appends in order), otherwise the tree would not be §3.1's.
    void push_peak(const hash256& root, unsigned height) {
        merkle_peak p{root, height};
        while (!peaks_.empty() && peaks_.back().height == p.height) {
            p.root = hash_pair(peaks_.back().root, p.root);
            ++p.height;
            peaks_.pop_back();
        }
        peaks_.push_back(p);
        leaves_ += std::uint64_t{1} << height;
    }

    /// Leaves pushed so far.
    std::uint64_t leaves() const noexcept { return leaves_; }
    /// The perfect subtrees, biggest (leftmost) first.
    const std::vector<merkle_peak>& peaks() const noexcept { return peaks_; }

    /// §3.1 root of everything pushed. Errors: empty_input when nothing was pushed.
    result<hash256> root() const {
        if (peaks_.empty()) return fail(errc::empty_input, "merkle tree over 0 leaves");
        hash256 r = peaks_.back().root;
        for (std::size_t i = peaks_.size() - 1; i-- > 0;) r = hash_pair(peaks_[i].root, r);
        return r;
    }

private:
    std::vector<merkle_peak> peaks_;
    std::uint64_t leaves_ = 0;
};

}  // namespace zerog::storage
