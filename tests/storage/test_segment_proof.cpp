// Segment proofs: every storage.json proof (segment 0, last data segment, padding segment) is
// rebuilt byte for byte and verified; every tampering of every element, flag and index is
// rejected with errc::proof_invalid; upload lengths and download trimming (docs/protocol/storage.md §5.4).
#include "storage_test_util.hpp"

#include <zerog/storage/segment_proof.hpp>
#include <zerog/storage/upload_layout.hpp>

#include <catch2/catch.hpp>

#include <random>

using namespace zerog;
using namespace zerog::storage;
using zerog::storage_test::h;

namespace {
file_proof proof_of(const boost::json::value& v) {
    auto p = file_proof_from_json(v);
    REQUIRE(p);
    return *p;
}
}  // namespace

TEST_CASE("storage.json segment proofs are rebuilt identically and verify") {
    int proofs = 0, padding_proofs = 0;
    for (const auto& jv : storage_test::storage_vectors()) {
        const auto& v = jv.as_object();
        const std::uint64_t size = v.at("size").to_number<std::uint64_t>();
        if (size == 0) continue;
        INFO("size " << size);
        const bytes data = storage_test::formula_data(size);
        auto t = compute_file_tree(byte_span(data));
        REQUIRE(t);
        auto st = segment_tree::build(t->segment_roots);
        REQUIRE(st);
        CHECK(st->root() == t->root);
        for (const auto& sp : v.at("segmentProofs").as_array()) {
            const std::uint64_t idx = sp.at("index").to_number<std::uint64_t>();
            INFO("segment " << idx);
            const file_proof want = proof_of(sp.at("proof"));
            auto got = st->proof(idx);
            REQUIRE(got);
            CHECK(*got == want);
            CHECK(boost::json::serialize(to_json(*got)) == boost::json::serialize(sp.at("proof")));
            CHECK(sp.at("numSegmentsPaddedUsedForPosition").to_number<std::uint64_t>() == t->layout.segments_padded);
            // The wire data of the segment (§5.4) and its padded leaf (§5.3 step 1).
            auto span = data_segment(t->layout, idx);
            REQUIRE(span);
            CHECK(span->wire_bytes == sp.at("dataLength").to_number<std::uint64_t>());
            bytes wire(data.begin() + static_cast<std::ptrdiff_t>(span->offset),
                       data.begin() + static_cast<std::ptrdiff_t>(span->offset + span->data_bytes));
            wire.resize(static_cast<std::size_t>(span->wire_bytes), 0);
            CHECK(crypto::keccak256(wire) == h(sp.at("dataKeccak256")));
            if (const auto* b64 = sp.as_object().if_contains("dataBase64")) CHECK(base64_encode(wire) == std::string(b64->as_string()));
            CHECK(check_upload_segment(t->layout, idx, wire.size()));
            auto leaf = padded_segment_root(t->layout, idx, wire);
            REQUIRE(leaf);
            CHECK(*leaf == h(sp.at("paddedSegmentRoot")));
            CHECK(verify_segment(t->layout, idx, wire, want, h(sp.at("root"))));
            ++proofs;
        }
        if (const auto* pp = v.if_contains("paddingSegmentProof")) {
            const std::uint64_t idx = pp->at("index").to_number<std::uint64_t>();
            const file_proof want = proof_of(pp->at("proof"));
            CHECK(*st->proof(idx) == want);
            CHECK(h(pp->at("leaf")) == t->segment_roots[idx]);
            CHECK(verify_segment_proof(want, h(pp->at("leaf")), idx, t->layout, t->root));
            CHECK_FALSE(data_segment(t->layout, idx));  // padding segments are never uploaded
            ++padding_proofs;
        }
    }
    CHECK(proofs == 15);
    CHECK(padding_proofs == 1);
}

namespace {
// Every single tampering of `p` must be rejected as proof_invalid.
void check_all_tamperings(const file_proof& p, const hash256& leaf, std::uint64_t index, const file_layout& l, const hash256& root) {
    auto rejected = [&](const file_proof& q, const hash256& lf, std::uint64_t i, const char* what) {
        auto r = verify_segment_proof(q, lf, i, l, root);
        INFO(what);
        REQUIRE_FALSE(r);
        CHECK(r.error().is(errc::proof_invalid));
        CHECK_FALSE(r.error().detail().empty());
    };
    REQUIRE(verify_segment_proof(p, leaf, index, l, root));
    for (std::size_t k = 0; k < p.lemma.size(); ++k) {
        for (std::size_t byte_i : {std::size_t{0}, std::size_t{17}, std::size_t{31}}) {
            file_proof q = p;
            q.lemma[k][byte_i] ^= 0x01;
            INFO("lemma[" << k << "] byte " << byte_i);
            rejected(q, leaf, index, "flipped lemma bit");
        }
        file_proof removed = p;
        removed.lemma.erase(removed.lemma.begin() + static_cast<std::ptrdiff_t>(k));
        rejected(removed, leaf, index, "removed lemma entry");
        file_proof dup = p;
        dup.lemma.insert(dup.lemma.begin() + static_cast<std::ptrdiff_t>(k), p.lemma[k]);
        rejected(dup, leaf, index, "duplicated lemma entry");
    }
    for (std::size_t k = 0; k < p.path.size(); ++k) {
        file_proof q = p;
        q.path[k] = !q.path[k];
        INFO("path[" << k << "]");
        rejected(q, leaf, index, "flipped path flag");
        file_proof r = p;
        r.path.erase(r.path.begin() + static_cast<std::ptrdiff_t>(k));
        rejected(r, leaf, index, "removed path flag");
    }
    for (bool extra : {true, false}) {
        file_proof q = p;
        q.path.push_back(extra);
        rejected(q, leaf, index, "extra path flag");
        file_proof r = p;
        r.path.push_back(extra);
        r.lemma.insert(r.lemma.end() - 1, zero_hash(3));
        rejected(r, leaf, index, "extra path flag and sibling");
    }
    for (std::uint64_t other = 0; other < l.segments_padded + 2; ++other) {
        if (other == index) continue;
        INFO("index " << other);
        rejected(p, leaf, other, "wrong index");
    }
    hash256 other_leaf = leaf;
    other_leaf[5] ^= 0x80;
    rejected(p, other_leaf, index, "wrong leaf");
    hash256 other_root = root;
    other_root[0] ^= 1;
    auto r = verify_segment_proof(p, leaf, index, l, other_root);
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::proof_invalid));
}
}  // namespace

TEST_CASE("property: every tampering of every proof element, flag and index is rejected") {
    std::mt19937_64 rng(99);
    // Sizes chosen for tree shapes: 1, 2, 3 (promotion), 5, 18 (padding segment), 40, 33 segments.
    const std::vector<std::uint64_t> sizes = {100, 262145, 2 * 262144 + 7, 4 * 262144 + 1, 4194427, 40 * 262144, 32 * 262144 + 1};
    for (const auto size : sizes) {
        INFO("size " << size);
        bytes data(size);
        for (auto& b : data) b = static_cast<byte>(rng());
        auto t = compute_file_tree(byte_span(data));
        REQUIRE(t);
        auto st = segment_tree::build(t->segment_roots);
        REQUIRE(st);
        for (std::uint64_t i = 0; i < t->layout.segments_padded; ++i) {
            INFO("segment " << i);
            auto p = st->proof(i);
            REQUIRE(p);
            check_all_tamperings(*p, t->segment_roots[i], i, t->layout, t->root);
        }
    }
}

TEST_CASE("identical segments: a flipped flag is caught by the position check") {
    const bytes data = storage_test::formula_data(4 * 262144);  // 4 identical segments
    auto t = compute_file_tree(byte_span(data));
    REQUIRE(t);
    auto p = *segment_tree::build(t->segment_roots)->proof(1);
    p.path[0] = !p.path[0];  // H(a,a) is symmetric: the hash chain still holds
    auto r = verify_segment_proof(p, t->segment_roots[1], 1, t->layout, t->root);
    REQUIRE_FALSE(r);
    CHECK(r.error().detail().find("path encodes segment") != std::string::npos);
}

TEST_CASE("rear padding check rejects a forged padding sibling") {
    // 18 tree segments, 17 data: segment 16's right sibling (segment 17) is all padding.
    const bytes data = storage_test::formula_data(4194427);
    auto t = compute_file_tree(byte_span(data));
    REQUIRE(t);
    REQUIRE(t->layout.segments == 17);
    REQUIRE(t->layout.segments_padded == 18);
    // Build a different tree where segment 17 is not zero, then claim it for the real file.
    std::vector<hash256> forged_roots = t->segment_roots;
    forged_roots[17][0] ^= 1;
    auto forged = segment_tree::build(forged_roots);
    auto p = *forged->proof(16);
    auto r = verify_segment_proof(p, forged_roots[16], 16, t->layout, forged->root());
    REQUIRE_FALSE(r);
    CHECK(r.error().detail().find("rear padding") != std::string::npos);
}

TEST_CASE("padded_segment_root and FileProof JSON reject malformed input precisely") {
    const auto l = *file_layout::of(4194427);
    CHECK(padded_segment_root(l, 18, bytes(256)).error().is(errc::out_of_range));
    CHECK(padded_segment_root(l, 0, bytes()).error().is(errc::invalid_length));
    CHECK(padded_segment_root(l, 0, bytes(255)).error().is(errc::invalid_length));
    CHECK(padded_segment_root(l, 0, bytes(262144 + 256)).error().is(errc::invalid_length));
    CHECK(*padded_segment_root(l, 17, bytes(256)) == zero_hash(10));
    const auto bad = [](const char* js) { return file_proof_from_json(boost::json::parse(js)); };
    CHECK_FALSE(bad("[]"));
    CHECK_FALSE(bad(R"({"lemma":[]})"));
    CHECK_FALSE(bad(R"({"lemma":[],"path":[]})"));
    CHECK_FALSE(bad(R"({"lemma":["0x12"],"path":[]})"));
    CHECK_FALSE(bad(R"({"lemma":[1],"path":[]})"));
    CHECK_FALSE(bad(R"({"lemma":["0xd397b3b043d87fcd6fad1291ff0bfd16401c274896d8c63a923727f077b8e0b5"],"path":[1]})"));
    CHECK_FALSE(bad(R"({"lemma":["0xd397b3b043d87fcd6fad1291ff0bfd16401c274896d8c63a923727f077b8e0b5"],"path":[],"x":1})"));
    CHECK(bad(R"({"lemma":["0xd397b3b043d87fcd6fad1291ff0bfd16401c274896d8c63a923727f077b8e0b5"],"path":[]})"));
}

TEST_CASE("upload lengths and download trimming (§5.4)") {
    const auto l = *file_layout::of(262144 * 2 + 300);  // 3 data segments, the last with 300 bytes
    CHECK(data_segment(l, 0)->wire_bytes == 262144);
    CHECK(data_segment(l, 1)->wire_bytes == 262144);
    auto last = data_segment(l, 2);
    REQUIRE(last);
    CHECK(last->data_bytes == 300);
    CHECK(last->wire_bytes == 512);
    CHECK(last->start_chunk == 2048);
    CHECK(last->end_chunk == 2050);
    CHECK(data_segment(l, 3).error().is(errc::out_of_range));
    CHECK(check_upload_segment(l, 2, 512));
    CHECK_FALSE(check_upload_segment(l, 2, 300));
    CHECK_FALSE(check_upload_segment(l, 2, 768));
    CHECK_FALSE(check_upload_segment(l, 1, 512));
    CHECK_FALSE(check_upload_segment(l, 0, 0));
    bytes got(512, 7);
    REQUIRE(trim_downloaded_segment(l, 2, got));
    CHECK(got.size() == 300);
    bytes wrong(256);
    CHECK(trim_downloaded_segment(l, 2, wrong).error().is(errc::invalid_length));
    const auto exact = *file_layout::of(262144);
    CHECK(data_segment(exact, 0)->wire_bytes == 262144);
    CHECK(*download_keep_bytes(exact, 0, 262144) == 262144);
}
