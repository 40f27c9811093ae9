// Large files as fragments (docs/protocol/storage.md §9.6): above the fragment size (default 4 GiB,
// rounded up to a power of two, at least 256) the byte stream is cut into consecutive
// fragments, each an independent file with its own root, submission and tx. Reassembly is plain
// concatenation; the caller keeps the list of roots (the protocol does not link them).
//
// Thread safety: pure functions; compute_fragment_trees owns its threads (see file_tree.hpp).
#pragma once

#include <zerog/core/result.hpp>
#include <zerog/storage/data_source.hpp>
#include <zerog/storage/file_tree.hpp>
#include <zerog/storage/layout.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace zerog::storage {

/// The SDKs' normalisation of a requested fragment size: max(256, nextPow2(requested)).
/// Errors: out_of_range above 2^62 (no power of two would fit comfortably).
inline result<std::uint64_t> normalize_fragment_size(std::uint64_t requested) {
    if (requested > (std::uint64_t{1} << 62))
        return fail(errc::out_of_range, "fragment size " + std::to_string(requested) + " is too large");
    return requested < chunk_size ? chunk_size : next_pow2(requested);
}

/// One fragment: bytes [offset, offset + size) of the whole stream.
struct fragment {
    std::uint64_t index = 0;
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
    friend bool operator==(const fragment&, const fragment&) = default;
};

/// Split a `total`-byte stream with a (normalised) fragment size: one fragment when it fits,
/// else ceil(total / fragment_size) fragments, the last one shorter. Errors: empty_input for an
/// empty stream, normalize_fragment_size's.
inline result<std::vector<fragment>> plan_fragments(std::uint64_t total, std::uint64_t fragment_size = default_fragment_size) {
    if (total == 0) return fail(errc::empty_input, "cannot split an empty file into fragments");
    ZEROG_TRY(const std::uint64_t fs, normalize_fragment_size(fragment_size));
    std::vector<fragment> out;
    for (std::uint64_t off = 0, i = 0; off < total; off += fs, ++i) out.push_back({i, off, std::min(fs, total - off)});
    return out;
}

/// The file tree (root, submission, fee, segment roots) of every fragment of `src`, in order,
/// each computed as an independent file. Errors: plan_fragments', compute_file_tree's (with the
/// fragment index).
inline result<std::vector<file_tree>> compute_fragment_trees(const data_source& src, std::uint64_t fragment_size = default_fragment_size,
                                                             const file_tree_options& opt = {}) {
    ZEROG_TRY(const auto plan, plan_fragments(src.size(), fragment_size));
    std::vector<file_tree> out;
    out.reserve(plan.size());
    for (const auto& f : plan) {
        ZEROG_TRY(const slice_source slice, slice_source::of(src, f.offset, f.size));
        auto t = compute_file_tree(slice, opt);
        if (!t)
            return fail(std::move(t).error().during("computing fragment " + std::to_string(f.index) + " of " + std::to_string(plan.size()) +
                                                    " (offset " + std::to_string(f.offset) + ", " + std::to_string(f.size) + " bytes)"));
        out.push_back(std::move(*t));
    }
    return out;
}

}  // namespace zerog::storage
