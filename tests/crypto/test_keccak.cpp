#include <zerog/crypto/keccak.hpp>

#include <catch2/catch.hpp>
#include <cryptopp/keccak.h>

#include <random>

using namespace zerog;
using zerog::crypto::keccak256;

namespace {
hash256 reference(byte_span b) {
    CryptoPP::Keccak_256 h;
    hash256 out;
    h.CalculateDigest(out.data(), b.data(), b.size());
    return out;
}
}  // namespace

TEST_CASE("keccak256 known answers (Ethereum Keccak, not SHA3)") {
    CHECK(to_hex(keccak256(std::string_view(""))) == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    CHECK(to_hex(keccak256(std::string_view("abc"))) == "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    bytes zeros(256, 0);
    CHECK(to_hex(keccak256(zeros)) == "0xd397b3b043d87fcd6fad1291ff0bfd16401c274896d8c63a923727f077b8e0b5");
    CHECK(to_hex(crypto::keccak256_256(zeros.data())) == "0xd397b3b043d87fcd6fad1291ff0bfd16401c274896d8c63a923727f077b8e0b5");
}

TEST_CASE("keccak256 equals Crypto++ Keccak_256 for every length 0..600 and any split") {
    std::mt19937 rng(42);
    bytes data(600);
    for (auto& b : data) b = static_cast<byte>(rng());
    for (std::size_t n = 0; n <= data.size(); ++n) {
        const byte_span in(data.data(), n);
        const hash256 want = reference(in);
        REQUIRE(keccak256(in) == want);
        const std::size_t cut = n ? rng() % n : 0;
        crypto::keccak256_hasher h;
        h.update(in.subspan(0, cut)).update(in.subspan(cut));
        REQUIRE(h.finalize() == want);
    }
    for (int i = 0; i < 50; ++i) {
        hash256 a, b;
        for (auto& x : a) x = static_cast<byte>(rng());
        for (auto& x : b) x = static_cast<byte>(rng());
        bytes cat(a.begin(), a.end());
        cat.insert(cat.end(), b.begin(), b.end());
        REQUIRE(crypto::keccak256_64(a, b) == reference(cat));
        REQUIRE(crypto::keccak256_256(data.data() + i) == reference(byte_span(data.data() + i, 256)));
    }
}
