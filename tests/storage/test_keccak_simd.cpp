// The multi-buffer Keccak paths (AVX-512 8-way, AVX2 4-way, scalar) used by the merkle tree give
// identical results, including the tails and in-place level reduction; file roots agree across
// paths. Paths the CPU lacks are clamped to what it has (reported in the test output).
#include "storage_test_util.hpp"

#include <zerog/crypto/keccak.hpp>
#include <zerog/storage/file_tree.hpp>

#include <catch2/catch.hpp>

#include <random>

using namespace zerog;
using zerog::crypto::keccak_simd;

namespace {
struct simd_restore {
    keccak_simd saved = crypto::keccak_simd_level();
    ~simd_restore() { crypto::set_keccak_simd_level(saved); }
};
}  // namespace

TEST_CASE("multi-buffer keccak equals the scalar one-at-a-time hash on every path") {
    simd_restore restore;
    std::mt19937_64 rng(17);
    bytes data(256 * 41);
    for (auto& b : data) b = static_cast<byte>(rng());
    std::vector<hash256> nodes(82);
    for (auto& n : nodes)
        for (auto& b : n) b = static_cast<byte>(rng());
    for (keccak_simd want : {keccak_simd::scalar, keccak_simd::avx2_x4, keccak_simd::avx512_x8}) {
        const keccak_simd got = crypto::set_keccak_simd_level(want);
        INFO("requested " << int(want) << ", running " << int(got));
        for (std::size_t n = 0; n <= 41; ++n) {
            std::vector<hash256> out(n);
            crypto::keccak256_256_many(data.data(), n, out.data());
            for (std::size_t i = 0; i < n; ++i) REQUIRE(out[i] == crypto::keccak256(byte_span(data.data() + 256 * i, 256)));
            std::vector<hash256> in_place(nodes.begin(), nodes.begin() + static_cast<std::ptrdiff_t>(2 * n));
            crypto::keccak256_64_many(in_place.data(), n, in_place.data());
            for (std::size_t i = 0; i < n; ++i) {
                bytes cat(nodes[2 * i].begin(), nodes[2 * i].end());
                cat.insert(cat.end(), nodes[2 * i + 1].begin(), nodes[2 * i + 1].end());
                REQUIRE(in_place[i] == crypto::keccak256(cat));
            }
        }
    }
}

TEST_CASE("file roots are identical on every keccak path") {
    simd_restore restore;
    std::mt19937_64 rng(23);
    bytes data(3 * 262144 + 4097);
    for (auto& b : data) b = static_cast<byte>(rng());
    crypto::set_keccak_simd_level(keccak_simd::scalar);
    const auto ref = storage::compute_file_tree(byte_span(data));
    REQUIRE(ref);
    for (keccak_simd l : {keccak_simd::avx2_x4, keccak_simd::avx512_x8}) {
        crypto::set_keccak_simd_level(l);
        auto t = storage::compute_file_tree(byte_span(data));
        REQUIRE(t);
        CHECK(t->root == ref->root);
        CHECK(t->segment_roots == ref->segment_roots);
    }
}
