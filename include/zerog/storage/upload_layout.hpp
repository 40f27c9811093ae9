// What goes on the wire per segment (docs/protocol/storage.md §5.4, §7.2, §10): upload data lengths (the
// node is strict), download chunk ranges and trimming of the last chunk's zero fill.
//
// Thread safety: pure functions.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/core/result.hpp>
#include <zerog/storage/layout.hpp>

#include <cstdint>
#include <string>

namespace zerog::storage {

/// Where data segment `index` sits in the file and how many bytes are sent for it.
struct segment_span {
    std::uint64_t index = 0;
    std::uint64_t offset = 0;       ///< byte offset in the file
    std::uint64_t data_bytes = 0;   ///< real file bytes in the segment
    std::uint64_t wire_bytes = 0;   ///< bytes uploaded: data_bytes rounded up to a whole chunk
    std::uint64_t start_chunk = 0;  ///< file-relative chunk range [start_chunk, end_chunk)
    std::uint64_t end_chunk = 0;    ///<   as used by zgs_downloadSegment*
    friend bool operator==(const segment_span&, const segment_span&) = default;
};

/// The span of data segment `index` (§5.4): every segment but the last is 262 144 bytes; the last
/// is the remaining bytes zero-filled to a chunk boundary, never the flow padding chunks.
/// Errors: out_of_range for index ≥ numSegments (the node's "index out of bound"): padding
/// segments are never uploaded or downloaded.
inline result<segment_span> data_segment(const file_layout& l, std::uint64_t index) {
    if (index >= l.segments)
        return fail(errc::out_of_range, "segment index " + std::to_string(index) + " out of bound: a " + std::to_string(l.size) +
                                            "-byte file has " + std::to_string(l.segments) + " data segments");
    segment_span s;
    s.index = index;
    s.offset = index * segment_size;
    s.data_bytes = l.segment_data_bytes(index);
    s.wire_bytes = num_chunks(s.data_bytes) * chunk_size;
    s.start_chunk = index * segment_max_chunks;
    s.end_chunk = s.start_chunk + s.wire_bytes / chunk_size;
    return s;
}

/// The node's upload length rule (§5.4, §7.3): data non-empty, a multiple of 256 and exactly the
/// expected wire length of segment `index`. Errors: out_of_range, invalid_length.
inline result<void> check_upload_segment(const file_layout& l, std::uint64_t index, std::uint64_t data_len) {
    ZEROG_TRY(const segment_span s, data_segment(l, index));
    if (data_len == 0 || data_len % chunk_size)
        return fail(errc::invalid_length, "segment " + std::to_string(index) + " data length " + std::to_string(data_len) +
                                              " is not a positive multiple of 256");
    if (data_len != s.wire_bytes)
        return fail(errc::invalid_length, "segment " + std::to_string(index) + " must carry " + std::to_string(s.wire_bytes) +
                                              " bytes, got " + std::to_string(data_len));
    return {};
}

/// For a downloaded segment of `received` bytes: check it is exactly the requested chunk range
/// and return how many leading bytes are file content (the rest is the last chunk's zero fill,
/// which the client must cut, §10.1 step 4). Errors: out_of_range, invalid_length.
inline result<std::uint64_t> download_keep_bytes(const file_layout& l, std::uint64_t index, std::uint64_t received) {
    ZEROG_TRY(const segment_span s, data_segment(l, index));
    if (received != s.wire_bytes)
        return fail(errc::invalid_length, "downloaded segment " + std::to_string(index) + " has " + std::to_string(received) +
                                              " bytes, expected " + std::to_string(s.wire_bytes) + " (chunks " +
                                              std::to_string(s.start_chunk) + ".." + std::to_string(s.end_chunk) + ")");
    return s.data_bytes;
}

/// Trim downloaded segment data in place to its file content (see download_keep_bytes).
inline result<void> trim_downloaded_segment(const file_layout& l, std::uint64_t index, bytes& data) {
    ZEROG_TRY(const std::uint64_t keep, download_keep_bytes(l, index, data.size()));
    data.resize(static_cast<std::size_t>(keep));
    return {};
}

}  // namespace zerog::storage
