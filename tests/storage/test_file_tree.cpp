// File layout, merkle tree, segment roots, submission nodes and fee sectors against storage.json
// (produced by the official TS SDK), plus streaming == in-memory == N threads.
#include "storage_test_util.hpp"

#include <zerog/storage/file_tree.hpp>
#include <zerog/storage/layout.hpp>
#include <zerog/storage/merkle.hpp>
#include <zerog/storage/submission.hpp>

#include <catch2/catch.hpp>

#include <random>

using namespace zerog;
using namespace zerog::storage;
using zerog::storage_test::h;

TEST_CASE("ZERO_HASHES 0..20 and EMPTY_CHUNK_HASH match the SDK") {
    const auto& c = storage_test::storage_constants();
    CHECK(empty_chunk_hash() == h(c.at("EMPTY_CHUNK_HASH")));
    const auto& z = c.at("ZERO_HASHES_0_to_20").as_array();
    REQUIRE(z.size() == 21);
    for (unsigned i = 0; i < z.size(); ++i) {
        INFO("height " << i);
        CHECK(zero_hash(i) == h(z[i]));
    }
}

TEST_CASE("every storage.json vector: layout, root, segment roots, submission, fee, identity") {
    for (const auto& jv : storage_test::storage_vectors()) {
        const auto& v = jv.as_object();
        const std::uint64_t size = v.at("size").to_number<std::uint64_t>();
        INFO("size " << size);
        const bytes data = storage_test::formula_data(size);
        if (size == 0) {
            auto l = file_layout::of(0);
            REQUIRE_FALSE(l);
            CHECK(l.error().is(errc::empty_input));
            auto t = compute_file_tree(byte_span(data));
            REQUIRE_FALSE(t);
            CHECK(t.error().is(errc::empty_input));
            file_tree_builder b;
            CHECK_FALSE(b.finish());
            continue;
        }
        auto l = file_layout::of(size);
        REQUIRE(l);
        CHECK(l->chunks == v.at("numChunks").to_number<std::uint64_t>());
        CHECK(l->segments == v.at("numSegments").to_number<std::uint64_t>());
        CHECK(l->segments_padded == v.at("numSegmentsPadded").to_number<std::uint64_t>());
        CHECK(l->padded_chunks == v.at("paddedChunks").to_number<std::uint64_t>());
        CHECK(l->padded_size() == v.at("paddedSize").to_number<std::uint64_t>());
        CHECK(next_pow2(l->chunks) == v.at("chunksNextPow2").to_number<std::uint64_t>());

        auto t = compute_file_tree(byte_span(data));
        REQUIRE(t);
        CHECK(t->root == h(v.at("root")));
        const auto& segs = v.at("segmentRoots").as_array();
        REQUIRE(t->segment_roots.size() == segs.size());
        for (std::size_t i = 0; i < segs.size(); ++i) {
            INFO("segment " << i);
            CHECK(t->segment_roots[i] == h(segs[i]));
        }
        // The reference (level by level) tree over the segment roots gives the same root.
        CHECK(*merkle_root(t->segment_roots) == t->root);

        const auto& sub = v.at("submission").as_object();
        CHECK(t->submission.length == sub.at("length").to_number<std::uint64_t>());
        CHECK(t->submission.tags.empty());
        const auto& nodes = sub.at("nodes").as_array();
        REQUIRE(t->submission.nodes.size() == nodes.size());
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            CHECK(t->submission.nodes[i].root == h(nodes[i].at("root")));
            CHECK(t->submission.nodes[i].height == nodes[i].at("height").to_number<std::uint64_t>());
        }
        CHECK(t->fee_sectors == v.at("feeSectors").to_number<std::uint64_t>());
        CHECK(*fee_sectors(t->submission) == t->fee_sectors);
        CHECK(identity_digest(t->submission) == h(v.at("submitIdentityDigest")));
        CHECK(*submission_root(t->submission) == h(v.at("foldedNodesRoot")));
        CHECK(validate_submission(t->submission));
        std::vector<std::uint64_t> heights;
        for (auto& n : t->submission.nodes) heights.push_back(n.height);
        CHECK(*submission_heights(size) == heights);
    }
}

TEST_CASE("100 MiB formula file root (vectors/README) on 2 threads, without keeping segment roots") {
    const bytes data = storage_test::formula_data(100ULL << 20);
    file_tree_options o;
    o.threads = 2;
    o.keep_segment_roots = false;
    auto t = compute_file_tree(byte_span(data), o);
    REQUIRE(t);
    CHECK(to_hex(t->root) == "0x10b1db77b0a99cc515c5cc5f79c34c0d874e4b93a2e6f261dce85a8bcdcf7d62");
    CHECK(t->segment_roots.empty());
}

namespace {
// Independent reference: hash every padded chunk, then the level-by-level tree per segment and
// over segments. Slow but obviously docs/protocol/storage.md §3.
hash256 reference_root(const bytes& data) {
    const auto l = *file_layout::of(data.size());
    bytes padded(data);
    padded.resize(static_cast<std::size_t>(l.padded_size()), 0);
    std::vector<hash256> seg_roots;
    for (std::uint64_t s = 0; s < l.segments_padded; ++s) {
        std::vector<hash256> leaves;
        for (std::uint64_t c = 0; c < l.tree_segment_chunks(s); ++c)
            leaves.push_back(crypto::keccak256(byte_span(padded.data() + (s * 1024 + c) * 256, 256)));
        seg_roots.push_back(*merkle_root(leaves));
    }
    return *merkle_root(seg_roots);
}
}  // namespace

TEST_CASE("random sizes: streaming builder == in-memory == N threads == reference; submission valid") {
    std::mt19937_64 rng(7);
    std::vector<std::uint64_t> sizes = {1, 2, 255, 256, 257, 511, 4095, 4097, 16 * 256 + 1, 262143, 262144, 262145,
                                        524288, 524289, 4 * 262144 + 1, 17 * 262144 - 5, 16385 * 256};
    for (int i = 0; i < 25; ++i) sizes.push_back(1 + rng() % (5 << 20));
    for (const auto size : sizes) {
        INFO("size " << size);
        bytes data(size);
        for (auto& b : data) b = static_cast<byte>(rng());
        auto one = compute_file_tree(byte_span(data));
        REQUIRE(one);
        CHECK(one->root == reference_root(data));
        CHECK(validate_submission(one->submission));
        CHECK(*submission_root(one->submission) == one->root);
        for (unsigned threads : {2u, 3u, 8u}) {
            file_tree_options o;
            o.threads = threads;
            o.window_segments = 3;  // several windows even for small files
            auto many = compute_file_tree(byte_span(data), o);
            REQUIRE(many);
            CHECK(many->root == one->root);
            CHECK(many->segment_roots == one->segment_roots);
            CHECK(many->submission == one->submission);
        }
        file_tree_builder b;
        std::size_t off = 0;
        while (off < data.size()) {
            const std::size_t n = std::min<std::size_t>(data.size() - off, 1 + rng() % 300000);
            b.update(byte_span(data.data() + off, n));
            off += n;
        }
        auto streamed = b.finish();
        REQUIRE(streamed);
        CHECK(streamed->root == one->root);
        CHECK(streamed->segment_roots == one->segment_roots);
        CHECK(streamed->submission == one->submission);
        CHECK(streamed->layout == one->layout);
    }
}

TEST_CASE("submission validity rule rejects what the contract rejects") {
    flow_submission s;
    s.length = 257;
    CHECK_FALSE(validate_submission(s));  // no nodes
    s.nodes = {{hash256{}, 1}};
    CHECK(validate_submission(s));
    s.length = 256;  // fits in 1 sector: 2 would be wasted
    CHECK_FALSE(validate_submission(s));
    s.length = 513;  // exceeds 2 sectors
    CHECK_FALSE(validate_submission(s));
    s.length = 262145;
    s.nodes = {{hash256{}, 10}, {hash256{}, 7}};
    CHECK(validate_submission(s));
    s.nodes = {{hash256{}, 7}, {hash256{}, 10}};  // not decreasing
    CHECK_FALSE(validate_submission(s));
    s.nodes = {{hash256{}, 11}, {hash256{}, 7}};  // span 4
    CHECK_FALSE(validate_submission(s));
    s.nodes = {{hash256{}, 64}};
    CHECK_FALSE(validate_submission(s));
    CHECK_FALSE(fee_sectors(s));
    s.nodes = {{hash256{}, 10}, {hash256{}, 7}};
    auto fee = submission_fee(s, uint256(30733644962ULL));
    REQUIRE(fee);
    CHECK(*fee == uint256(1152ULL * 30733644962ULL));
    CHECK_FALSE(submission_fee(s, uint256::max()));
}
