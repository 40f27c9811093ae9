// KV submission tags (spec kv.md §3): how a Flow submission says "I am a KV batch for these
// streams".
//
//   tags = STREAM_DOMAIN ‖ stream_1 ‖ … ‖ stream_n        STREAM_DOMAIN = sha256("STREAM")
//
// The tags ride in the Flow submission (storage.md §4.1), outside the file, so they change neither
// the bytes nor the root. A node treats a submission as KV only when its tags are non-empty, a
// whole number of 32-byte words and begin with the domain; it reads the ids after it in any order
// and ignores repeats. Every stream a batch writes or changes must be tagged (else TagsMismatch),
// and every tagged stream must be served by the node (else it skips the batch silently, §5.1).
// Read-only streams are not tagged by the SDKs.
//
// The domain is a constant here rather than a hash computed at start-up: the test suite checks it
// against sha256("STREAM"), and kv/ need not depend on a hash library for it.
//
// Thread safety: pure functions.
#pragma once

#include <zerog/kv/batch.hpp>

#include <algorithm>
#include <optional>
#include <span>
#include <vector>

namespace zerog::kv {

/// sha256("STREAM").
inline constexpr stream_id stream_domain{{0xdf, 0x2f, 0xf3, 0xbb, 0x0a, 0xf3, 0x6c, 0x63, 0x84, 0xe6, 0x20, 0x65, 0x52, 0xa4, 0xed, 0x80,
                                          0x7f, 0x6f, 0x6a, 0x26, 0xe7, 0xd0, 0xaa, 0x6b, 0xff, 0x77, 0x2d, 0xdc, 0x9d, 0x43, 0x07, 0xaa}};

enum class tag_order {
    /// Ascending bytes, duplicates removed: deterministic (what we submit).
    sorted,
    /// First appearance, duplicates removed: the SDKs' unsorted `buildTags()`.
    first_appearance,
};

/// The streams the SDKs tag for a batch: those of the writes, then those of the ops, each once,
/// in first-appearance order. Reads are not tagged (§3).
inline std::vector<stream_id> tagged_streams(const batch& b) {
    std::vector<stream_id> out;
    auto add = [&](const stream_id& s) {
        if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    };
    for (const auto& w : b.writes) add(w.stream);
    for (const auto& op : b.ops) add(op.stream);
    return out;
}

/// STREAM_DOMAIN ‖ the streams, each once.
inline bytes build_tags(std::span<const stream_id> streams, tag_order order = tag_order::sorted) {
    std::vector<stream_id> ids;
    ids.reserve(streams.size());
    if (order == tag_order::sorted) {
        ids.assign(streams.begin(), streams.end());
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    } else {
        for (const auto& s : streams)
            if (std::find(ids.begin(), ids.end(), s) == ids.end()) ids.push_back(s);
    }
    bytes out;
    out.reserve(32 * (ids.size() + 1));
    out.insert(out.end(), stream_domain.begin(), stream_domain.end());
    for (const auto& s : ids) out.insert(out.end(), s.begin(), s.end());
    return out;
}

/// The tags for a batch: `build_tags(tagged_streams(b), order)`.
inline bytes tags_for(const batch& b, tag_order order = tag_order::sorted) {
    const auto streams = tagged_streams(b);
    return build_tags(streams, order);
}

/// The node's reading of a submission's tags: nothing if they are not KV tags (empty, not a whole
/// number of 32-byte words, or not starting with the domain); otherwise the ids after the domain,
/// as given (possibly none, possibly repeated).
inline std::optional<std::vector<stream_id>> parse_tags(byte_span tags) {
    if (tags.empty() || tags.size() % 32 != 0) return std::nullopt;
    if (!std::equal(stream_domain.begin(), stream_domain.end(), tags.begin())) return std::nullopt;
    std::vector<stream_id> ids;
    ids.reserve(tags.size() / 32 - 1);
    for (std::size_t at = 32; at < tags.size(); at += 32) ids.push_back(stream_id::from_span(tags.subspan(at, 32)));
    return ids;
}

}  // namespace zerog::kv
