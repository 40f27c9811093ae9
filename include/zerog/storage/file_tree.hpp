// The file merkle tree in ONE streaming pass (docs/protocol/storage.md §3, §4.2): chunk leaves → segment
// roots → file root, with the flow submission nodes and fee sectors falling out of the same
// peaks. Peak memory is bounded independently of the file size: one 256 KiB buffer per thread,
// a window of segment roots, ≤ 64 frontier peaks, plus (optionally) 32 bytes per segment when the
// caller keeps the segment roots for proofs.
//
// Why the nodes come for free: the §3.1 tree equals "perfect subtrees of the binary
// decomposition, folded right to left". Feeding full segment roots into a merkle_frontier leaves
// exactly the height ≥ 10 submission nodes on its stack; a partial last tree segment contributes
// its own height < 10 subtrees. Padding is never hashed: all-zero subtrees are ZERO_HASHES.
//
// Two drivers share that core:
//   * compute_file_tree(source, options): random access, N threads hash N segments at once;
//   * file_tree_builder: sequential update()/finish() for streams of unknown origin.
// Both give bit-identical results (tests/storage checks streaming == in-memory == N threads).
//
// Thread safety: compute_file_tree is reentrant (it owns its threads); a file_tree_builder object
// is not shared between threads.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/core/result.hpp>
#include <zerog/storage/data_source.hpp>
#include <zerog/storage/layout.hpp>
#include <zerog/storage/merkle.hpp>
#include <zerog/storage/submission.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace zerog::storage {

/// Everything derived from the file's bytes in one pass.
struct file_tree {
    file_layout layout;                  ///< counts and padding (§2)
    hash256 root;                        ///< dataMerkleRoot (§3.2)
    flow_submission submission;          ///< length, tags (empty), nodes (§4.2)
    std::uint64_t fee_sectors = 0;       ///< Σ 2^height = padded chunks (§6.2)
    /// Roots of all `layout.segments_padded` tree segments, padding included; empty when
    /// `file_tree_options::keep_segment_roots` is false.
    std::vector<hash256> segment_roots;
};

/// Options of the file-tree drivers.
struct file_tree_options {
    unsigned threads = 1;               ///< hashing threads (compute_file_tree only); 0 = hardware
    bool keep_segment_roots = true;     ///< needed for segment proofs; costs 32 B per 256 KiB
    std::size_t window_segments = 256;  ///< segments hashed per parallel batch (bounds memory)
};

namespace detail {

/// Root of one tree segment: `data_len` real bytes (zero-filled to the chunk boundary) followed
/// by padding up to `tree_chunks` chunks. `scratch` holds ≥ 1024 hashes. When the segment is not
/// a full 1024 chunks, its perfect subtrees (heights < 10, biggest first) go to `parts`.
inline hash256 segment_root(const byte* data, std::size_t data_len, std::size_t tree_chunks, hash256* scratch,
                            std::vector<merkle_peak>* parts) {
    const std::size_t full = data_len / chunk_size;
    crypto::keccak256_256_many(data, full, scratch);
    std::size_t real = full;
    if (const std::size_t rem = data_len % chunk_size) {
        byte last[chunk_size] = {};
        std::memcpy(last, data + full * chunk_size, rem);
        scratch[real++] = crypto::keccak256_256(last);
    }
    if (tree_chunks == segment_max_chunks) return perfect_root_inplace(scratch, segment_height, real, 0);
    // Partial last segment: binary decomposition of tree_chunks, folded right to left (§3.1).
    std::vector<merkle_peak> local;
    std::vector<merkle_peak>& out = parts ? *parts : local;
    out.clear();
    std::size_t offset = 0;
    for (int h = static_cast<int>(segment_height) - 1; h >= 0; --h) {
        const std::size_t n = std::size_t{1} << h;
        if (!(tree_chunks & n)) continue;
        const std::size_t real_here = real > offset ? std::min(real - offset, n) : 0;
        out.push_back({perfect_root_inplace(scratch + offset, static_cast<unsigned>(h), real_here, 0), static_cast<unsigned>(h)});
        offset += n;
    }
    hash256 r = out.back().root;
    for (std::size_t i = out.size() - 1; i-- > 0;) r = hash_pair(out[i].root, r);
    return r;
}

/// Collects segment roots in order and produces the root, nodes and fee sectors.
class tree_assembler {
public:
    explicit tree_assembler(bool keep) : keep_(keep) {}
    void reserve(std::uint64_t segments) { if (keep_) roots_.reserve(static_cast<std::size_t>(segments)); }
    std::uint64_t next_segment() const noexcept { return next_; }

    /// Add the root of tree segment `next_segment()`. `parts` must be given iff it is a partial
    /// (last) tree segment.
    void add(const hash256& root, const std::vector<merkle_peak>* parts) {
        if (keep_) roots_.push_back(root);
        if (parts) last_parts_ = *parts;
        else frontier_.push(root);
        ++next_;
    }

    /// Add the all-padding segments after the data, then assemble. Precondition: every data
    /// segment of `l` was added.
    file_tree finish(const file_layout& l, hash256* scratch) {
        layout_ = l;
        while (next_ < layout_.segments_padded) {
            const std::uint64_t tc = layout_.tree_segment_chunks(next_);
            if (tc == segment_max_chunks) {
                add(zero_hash(segment_height), nullptr);
            } else {
                std::vector<merkle_peak> parts;
                const hash256 r = segment_root(nullptr, 0, static_cast<std::size_t>(tc), scratch, &parts);
                add(r, &parts);
            }
        }
        file_tree t;
        t.layout = layout_;
        t.submission.length = layout_.size;
        for (const auto& p : frontier_.peaks()) t.submission.nodes.push_back({p.root, p.height + segment_height});
        for (const auto& p : last_parts_) t.submission.nodes.push_back({p.root, p.height});
        hash256 r = t.submission.nodes.back().root;
        for (std::size_t i = t.submission.nodes.size() - 1; i-- > 0;) r = hash_pair(t.submission.nodes[i].root, r);
        t.root = r;
        t.fee_sectors = layout_.padded_chunks;
        t.segment_roots = std::move(roots_);
        return t;
    }

private:
    file_layout layout_{};
    bool keep_;
    std::uint64_t next_ = 0;
    merkle_frontier frontier_;
    std::vector<merkle_peak> last_parts_;
    std::vector<hash256> roots_;
};

inline bool is_partial(const file_layout& l, std::uint64_t seg) noexcept {
    return l.tree_segment_chunks(seg) != segment_max_chunks;
}

}  // namespace detail

/// The whole file tree of `src` in one pass over its bytes, on `opt.threads` threads.
/// Errors: empty_input / too_large (file_layout::of), the source's read errors, each with the
/// segment index being read.
inline result<file_tree> compute_file_tree(const data_source& src, const file_tree_options& opt = {}) {
    ZEROG_TRY(const file_layout layout, file_layout::of(src.size()));
    unsigned threads = opt.threads ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
    const std::uint64_t data_segs = layout.segments;
    threads = static_cast<unsigned>(std::min<std::uint64_t>(threads, data_segs));
    const std::size_t window = std::max<std::size_t>(opt.window_segments, threads);

    detail::tree_assembler asm_(opt.keep_segment_roots);
    asm_.reserve(layout.segments_padded);
    std::vector<hash256> window_roots(std::min<std::uint64_t>(window, data_segs));
    std::vector<merkle_peak> last_parts;
    bool last_partial = false;

    struct worker_state {
        std::unique_ptr<byte[]> buf{new byte[segment_size]};
        std::unique_ptr<hash256[]> scratch{new hash256[segment_max_chunks]};
        std::optional<zerog::error> err;
    };
    std::vector<worker_state> workers(threads);

    for (std::uint64_t base = 0; base < data_segs; base += window) {
        const std::uint64_t end = std::min<std::uint64_t>(base + window, data_segs);
        std::atomic<std::uint64_t> next{base};
        std::atomic<bool> stop{false};
        auto work = [&](worker_state& w) {
            for (std::uint64_t i; !stop.load(std::memory_order_relaxed) && (i = next.fetch_add(1)) < end;) {
                const std::size_t len = static_cast<std::size_t>(layout.segment_data_bytes(i));
                if (auto r = src.read_at(i * segment_size, std::span<byte>(w.buf.get(), len)); !r) {
                    w.err = std::move(r).error();
                    w.err->during("reading segment " + std::to_string(i) + " (" + std::to_string(len) + " bytes) for the file root");
                    stop = true;
                    return;
                }
                const bool partial = detail::is_partial(layout, i);
                window_roots[i - base] = detail::segment_root(w.buf.get(), len, static_cast<std::size_t>(layout.tree_segment_chunks(i)),
                                                              w.scratch.get(), partial ? &last_parts : nullptr);
                if (partial) last_partial = true;  // only the last segment can be partial: one writer
            }
        };
        if (threads <= 1) {
            work(workers[0]);
        } else {
            std::vector<std::thread> pool;
            pool.reserve(threads - 1);
            for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, std::ref(workers[t]));
            work(workers[0]);
            for (auto& th : pool) th.join();
        }
        for (auto& w : workers)
            if (w.err) return fail(std::move(*w.err));
        for (std::uint64_t i = base; i < end; ++i)
            asm_.add(window_roots[i - base], (last_partial && detail::is_partial(layout, i)) ? &last_parts : nullptr);
    }
    return asm_.finish(layout, workers[0].scratch.get());
}

/// Convenience: the file tree of an in-memory buffer.
inline result<file_tree> compute_file_tree(byte_span data, const file_tree_options& opt = {}) {
    const memory_source src(data);
    return compute_file_tree(static_cast<const data_source&>(src), opt);
}

/// Convenience: the file tree of the file at `path` (read with pread, never loaded whole).
inline result<file_tree> compute_file_tree(const std::string& path, const file_tree_options& opt = {}) {
    ZEROG_TRY(const file_source src, file_source::open(path));
    return compute_file_tree(static_cast<const data_source&>(src), opt).during("computing the merkle tree of '" + path + "'");
}

/// Sequential (single-threaded) streaming builder for data that arrives in pieces of any size:
/// `update()` as bytes come, `finish()` once. Holds at most one segment of data.
/// Not thread-safe.
class file_tree_builder {
public:
    explicit file_tree_builder(bool keep_segment_roots = true)
        : asm_(keep_segment_roots), buf_(new byte[segment_size]), scratch_(new hash256[segment_max_chunks]) {}

    /// Append bytes. Full segments are hashed immediately (a full segment is always a full
    /// 1024-chunk tree segment, whatever the final size turns out to be).
    void update(byte_span in) {
        while (!in.empty()) {
            const std::size_t take = std::min<std::size_t>(in.size(), segment_size - fill_);
            if (fill_ == 0 && take == segment_size) {
                asm_.add(detail::segment_root(in.data(), segment_size, segment_max_chunks, scratch_.get(), nullptr), nullptr);
            } else {
                std::memcpy(buf_.get() + fill_, in.data(), take);
                fill_ += take;
                if (fill_ == segment_size) {
                    asm_.add(detail::segment_root(buf_.get(), segment_size, segment_max_chunks, scratch_.get(), nullptr), nullptr);
                    fill_ = 0;
                }
            }
            total_ += take;
            in = in.subspan(take);
        }
    }

    /// Bytes received so far.
    std::uint64_t size() const noexcept { return total_; }

    /// Finish the tree (once). Errors: empty_input when no byte was given, too_large.
    result<file_tree> finish() {
        ZEROG_TRY(const file_layout layout, file_layout::of(total_));
        detail::tree_assembler& a = asm_;
        if (fill_) {
            const std::uint64_t seg = a.next_segment();
            const bool partial = detail::is_partial(layout, seg);
            std::vector<merkle_peak> parts;
            const hash256 r = detail::segment_root(buf_.get(), fill_, static_cast<std::size_t>(layout.tree_segment_chunks(seg)),
                                                   scratch_.get(), partial ? &parts : nullptr);
            a.add(r, partial ? &parts : nullptr);
        }
        fill_ = 0;
        return a.finish(layout, scratch_.get());
    }

private:
    detail::tree_assembler asm_;
    std::unique_ptr<byte[]> buf_;
    std::unique_ptr<hash256[]> scratch_;
    std::size_t fill_ = 0;
    std::uint64_t total_ = 0;
};

}  // namespace zerog::storage
