// Segment proofs (docs/protocol/storage.md §5): building them for any tree segment (padding segments
// included), verifying them the way the storage node does (leaf, structure, position, hash
// chain, rear padding), and the JSON `FileProof` wire shape {"lemma":[…],"path":[…]}.
//
// Verification never trusts the proof's own claims about where the leaf sits: the path must
// encode exactly the segment index in a tree of numSegmentsPadded leaves, so swapping flags or
// replaying another segment's proof fails even when sibling hashes collide (identical segments).
//
// Thread safety: value types and pure functions; a `segment_tree` is immutable after
// construction and may be shared read-only between threads.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/core/result.hpp>
#include <zerog/storage/file_tree.hpp>
#include <zerog/storage/layout.hpp>
#include <zerog/storage/merkle.hpp>

#include <boost/json.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace zerog::storage {

/// JSON `FileProof`: lemma = [leaf, sibling_1 … sibling_k, root], path[i] = true when the
/// current node is the LEFT child at step i (parent = H(current, sibling)). A one-leaf tree is
/// lemma = [root], path = [].
struct file_proof {
    std::vector<hash256> lemma;
    std::vector<bool> path;
    friend bool operator==(const file_proof&, const file_proof&) = default;
};

/// All levels of the §3.1 tree over the segment roots, for O(log n) proofs of every segment
/// (an uploader needs one proof per segment). Memory: about 2 × 32 bytes per segment.
class segment_tree {
public:
    /// Errors: empty_input for no segments.
    static result<segment_tree> build(std::span<const hash256> segment_roots) {
        if (segment_roots.empty()) return fail(errc::empty_input, "segment tree over 0 segments");
        segment_tree t;
        t.levels_.emplace_back(segment_roots.begin(), segment_roots.end());
        while (t.levels_.back().size() > 1) {
            const auto& cur = t.levels_.back();
            std::vector<hash256> next;
            next.reserve((cur.size() + 1) / 2);
            for (std::size_t i = 0; i + 1 < cur.size(); i += 2) next.push_back(hash_pair(cur[i], cur[i + 1]));
            if (cur.size() % 2) next.push_back(cur.back());
            t.levels_.push_back(std::move(next));
        }
        return t;
    }

    std::uint64_t segments() const noexcept { return levels_.front().size(); }
    const hash256& root() const noexcept { return levels_.back().front(); }

    /// The proof of tree segment `index`. Errors: out_of_range.
    result<file_proof> proof(std::uint64_t index) const {
        if (index >= segments())
            return fail(errc::out_of_range, "segment index " + std::to_string(index) + " is not below the " +
                                                std::to_string(segments()) + " tree segments");
        file_proof p;
        p.lemma.push_back(levels_.front()[index]);
        std::size_t i = static_cast<std::size_t>(index);
        for (std::size_t l = 0; l + 1 < levels_.size(); ++l) {
            const auto& lv = levels_[l];
            if (i % 2) {
                p.lemma.push_back(lv[i - 1]);
                p.path.push_back(false);
            } else if (i + 1 < lv.size()) {
                p.lemma.push_back(lv[i + 1]);
                p.path.push_back(true);
            }  // else promoted: no entry (§5.1)
            i /= 2;
        }
        if (!p.path.empty()) p.lemma.push_back(root());
        return p;
    }

private:
    std::vector<std::vector<hash256>> levels_;
};

/// Proof of tree segment `index` of a computed file tree (built with keep_segment_roots).
/// Errors: invalid_argument when the segment roots were not kept, out_of_range.
inline result<file_proof> build_segment_proof(const file_tree& t, std::uint64_t index) {
    if (t.segment_roots.size() != t.layout.segments_padded)
        return fail(errc::invalid_argument, "the file tree was computed without keep_segment_roots");
    ZEROG_TRY(const segment_tree st, segment_tree::build(t.segment_roots));
    return st.proof(index);
}

namespace detail {
/// Root of an all-padding §3.1 tree of `m` segments (m ≥ 1).
inline hash256 zero_segments_root(std::uint64_t m) {
    std::vector<hash256> parts;
    for (int b = 63; b >= 0; --b)
        if (m >> b & 1) parts.push_back(zero_hash(segment_height + static_cast<unsigned>(b)));
    return *fold_right(parts);
}
inline std::string hx(const hash256& x) { return to_hex(x); }
}  // namespace detail

/// §5.3 step 1: the leaf for received segment data. The data's chunks are hashed and
/// EMPTY_CHUNK_HASH leaves appended up to the tree segment's chunk count. Errors: out_of_range
/// for an index ≥ numSegmentsPadded, invalid_length for data that is empty, not a multiple of
/// 256 or longer than the tree segment.
inline result<hash256> padded_segment_root(const file_layout& l, std::uint64_t index, byte_span data) {
    if (index >= l.segments_padded)
        return fail(errc::out_of_range, "segment index " + std::to_string(index) + " is not below the " +
                                            std::to_string(l.segments_padded) + " tree segments of a " + std::to_string(l.size) + "-byte file");
    const std::uint64_t tree_chunks = l.tree_segment_chunks(index);
    if (data.empty() || data.size() % chunk_size)
        return fail(errc::invalid_length, "segment " + std::to_string(index) + " data length " + std::to_string(data.size()) +
                                              " is not a positive multiple of 256");
    if (data.size() / chunk_size > tree_chunks)
        return fail(errc::invalid_length, "segment " + std::to_string(index) + " has " + std::to_string(data.size() / chunk_size) +
                                              " chunks but its tree segment holds " + std::to_string(tree_chunks));
    std::vector<hash256> scratch(segment_max_chunks);
    return detail::segment_root(data.data(), data.size(), static_cast<std::size_t>(tree_chunks), scratch.data(), nullptr);
}

/// §5.3 steps 2–5: check `p` proves that `leaf` is tree segment `index` of the file with
/// layout `l` and root `root`. Errors: proof_invalid, naming the failed check and the lemma/path
/// position (structure, leaf, root, position, hash chain, rear padding).
inline result<void> verify_segment_proof(const file_proof& p, const hash256& leaf, std::uint64_t index, const file_layout& l,
                                         const hash256& root) {
    const std::uint64_t n_total = l.segments_padded;
    auto bad = [&](std::string what) {
        return fail(zerog::error(errc::proof_invalid, std::move(what))
                        .during("verifying the proof of segment " + std::to_string(index) + " of " + std::to_string(n_total)));
    };
    if (index >= n_total)
        return bad("segment index " + std::to_string(index) + " is not below numSegmentsPadded " + std::to_string(n_total));
    // Structure.
    if (p.path.empty()) {
        if (p.lemma.size() != 1) return bad("empty path needs exactly 1 lemma entry, got " + std::to_string(p.lemma.size()));
        if (n_total != 1) return bad("empty path, but the tree has " + std::to_string(n_total) + " segments (path too short)");
    } else if (p.lemma.size() != p.path.size() + 2) {
        return bad("lemma has " + std::to_string(p.lemma.size()) + " entries, path " + std::to_string(p.path.size()) +
                   ": expected lemma = path + 2");
    }
    if (p.lemma.front() != leaf)
        return bad("lemma[0] " + detail::hx(p.lemma.front()) + " is not the segment's root " + detail::hx(leaf));
    if (p.lemma.back() != root)
        return bad("lemma[" + std::to_string(p.lemma.size() - 1) + "] " + detail::hx(p.lemma.back()) +
                   " is not the expected file root " + detail::hx(root));
    if (p.path.empty()) return {};
    // Position and rear padding: walk top-down (path read backwards).
    std::uint64_t pos = 0, n = n_total;
    for (std::size_t k = p.path.size(); k-- > 0;) {
        if (n <= 1)
            return bad("path too long: path[" + std::to_string(k) + "] is below a single leaf (step " +
                       std::to_string(p.path.size() - 1 - k) + " from the top)");
        const std::uint64_t half = next_pow2(n) / 2;
        if (p.path[k]) {
            const std::uint64_t sib_start = pos + half, sib_count = n - half;
            if (sib_start >= l.segments && p.lemma[k + 1] != detail::zero_segments_root(sib_count))
                return bad("lemma[" + std::to_string(k + 1) + "] covers padding segments [" + std::to_string(sib_start) + ", " +
                           std::to_string(sib_start + sib_count) + ") but is not their all-zero root (rear padding check)");
            n = half;
        } else {
            pos += half;
            n -= half;
        }
    }
    if (n != 1)
        return bad("path too short: it ends on a subtree of " + std::to_string(n) + " segments starting at " + std::to_string(pos));
    if (pos != index)
        return bad("path encodes segment " + std::to_string(pos) + ", not " + std::to_string(index));
    // Hash chain.
    hash256 cur = p.lemma.front();
    for (std::size_t k = 0; k < p.path.size(); ++k) cur = p.path[k] ? hash_pair(cur, p.lemma[k + 1]) : hash_pair(p.lemma[k + 1], cur);
    if (cur != p.lemma.back())
        return bad("hash chain broken: folding lemma[0.." + std::to_string(p.path.size()) + "] with the path gives " + detail::hx(cur) +
                   ", not lemma[" + std::to_string(p.lemma.size() - 1) + "]");
    return {};
}

/// Verify received segment data end to end (§5.3): leaf from the data, then the proof.
/// Errors: padded_segment_root's, verify_segment_proof's.
inline result<void> verify_segment(const file_layout& l, std::uint64_t index, byte_span data, const file_proof& p,
                                   const hash256& root) {
    ZEROG_TRY(const hash256 leaf, padded_segment_root(l, index, data));
    return verify_segment_proof(p, leaf, index, l, root);
}

/// The JSON `FileProof` object: {"lemma":["0x…",…],"path":[true,…]}.
inline boost::json::value to_json(const file_proof& p) {
    boost::json::array lemma, path;
    for (const auto& h : p.lemma) lemma.emplace_back(to_hex(h));
    for (bool b : p.path) path.emplace_back(b);
    return boost::json::object{{"lemma", std::move(lemma)}, {"path", std::move(path)}};
}

/// Parse a JSON `FileProof` strictly: an object with exactly "lemma" (array of 0x-prefixed
/// 32-byte hex strings) and "path" (array of booleans). Errors: parse_error / invalid_hex naming
/// the offending field and index.
inline result<file_proof> file_proof_from_json(const boost::json::value& v) {
    const auto* o = v.if_object();
    if (!o) return fail(errc::parse_error, "FileProof is not a JSON object");
    for (const auto& kv : *o)
        if (kv.key() != "lemma" && kv.key() != "path")
            return fail(errc::parse_error, "FileProof has an unknown field \"" + std::string(kv.key()) + "\"");
    const auto* lemma = o->if_contains("lemma");
    const auto* path = o->if_contains("path");
    if (!lemma || !lemma->is_array()) return fail(errc::parse_error, "FileProof.lemma is missing or not an array");
    if (!path || !path->is_array()) return fail(errc::parse_error, "FileProof.path is missing or not an array");
    file_proof p;
    for (std::size_t i = 0; i < lemma->as_array().size(); ++i) {
        const auto& e = lemma->as_array()[i];
        if (!e.is_string()) return fail(errc::parse_error, "FileProof.lemma[" + std::to_string(i) + "] is not a string");
        auto h = from_hex_fixed<32>(std::string_view(e.as_string()));
        if (!h) return fail(std::move(h).error().during("parsing FileProof.lemma[" + std::to_string(i) + "]"));
        p.lemma.push_back(*h);
    }
    for (std::size_t i = 0; i < path->as_array().size(); ++i) {
        const auto& e = path->as_array()[i];
        if (!e.is_bool()) return fail(errc::parse_error, "FileProof.path[" + std::to_string(i) + "] is not a boolean");
        p.path.push_back(e.as_bool());
    }
    if (p.lemma.empty()) return fail(errc::parse_error, "FileProof.lemma is empty");
    return p;
}

}  // namespace zerog::storage
