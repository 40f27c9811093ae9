// Client-side encryption (storage.md §9.7) and fragments (§9.6). SDK interop is in sdk_crosscheck.mjs.
#include "storage_test_util.hpp"

#include <zerog/crypto/secp256k1_context.hpp>
#include <zerog/storage/encryption.hpp>
#include <zerog/storage/fragments.hpp>

#include <catch2/catch.hpp>

#include <random>

using namespace zerog;
using namespace zerog::storage;

namespace {
template <std::size_t N>
fixed_bytes<N> fx(const char* hex) { return *from_hex_fixed<N>(hex, hex_prefix::none); }
bytes random_bytes_of(std::size_t n, std::mt19937_64& rng) {
    bytes b(n);
    for (auto& x : b) x = static_cast<byte>(rng());
    return b;
}
}  // namespace

TEST_CASE("AES-256-CTR matches NIST SP 800-38A F.5.5, including the counter carry") {
    const auto key = fx<32>("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
    const auto nonce = fx<16>("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    bytes data = *from_hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51", hex_prefix::none);
    crypt_at(key, nonce, 0, data);
    CHECK(to_hex(data, false) == "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5");
    // The second block alone, at offset 16, and an unaligned piece at offset 21.
    bytes second = *from_hex("ae2d8a571e03ac9c9eb76fac45af8e51", hex_prefix::none);
    crypt_at(key, nonce, 16, second);
    CHECK(to_hex(second, false) == "f443e3ca4d62b59aca84e990cacaf5c5");
    bytes piece = *from_hex("03ac9c9e", hex_prefix::none);  // plaintext bytes 21..24
    crypt_at(key, nonce, 21, piece);
    CHECK(to_hex(piece, false) == "62b59aca");
}

TEST_CASE("crypt_at at any offset equals one pass over the whole stream") {
    std::mt19937_64 rng(5);
    aes_key key;
    ctr_nonce nonce;
    for (auto& b : key) b = static_cast<byte>(rng());
    for (auto& b : nonce) b = 0xff;  // worst case for carries
    const bytes plain = random_bytes_of(5000, rng);
    bytes whole = plain;
    crypt_at(key, nonce, 0, whole);
    for (int i = 0; i < 200; ++i) {
        const std::size_t off = rng() % plain.size();
        const std::size_t n = std::min<std::size_t>(plain.size() - off, rng() % 100);
        bytes part(plain.begin() + static_cast<std::ptrdiff_t>(off), plain.begin() + static_cast<std::ptrdiff_t>(off + n));
        crypt_at(key, nonce, off, part);
        REQUIRE(std::equal(part.begin(), part.end(), whole.begin() + static_cast<std::ptrdiff_t>(off)));
    }
}

TEST_CASE("v1 and v2 round trips; headers; wrong keys") {
    std::mt19937_64 rng(11);
    const bytes plain = random_bytes_of(70000, rng);
    aes_key key;
    crypto::random_bytes(key.span());
    const auto h1 = new_symmetric_header();
    const bytes enc1 = encrypt_bytes(h1, key, plain);
    REQUIRE(enc1.size() == plain.size() + 17);
    CHECK(enc1[0] == 1);
    CHECK(*decrypt_bytes(enc1, {&key, nullptr}) == plain);
    aes_key other = key;
    other[0] ^= 1;
    CHECK(*decrypt_bytes(enc1, {&other, nullptr}) != plain);
    CHECK(decrypt_bytes(enc1, {nullptr, nullptr}).error().is(errc::invalid_key));

    auto priv = crypto::private_key::from_hex("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
    REQUIRE(priv);
    const auto pub64 = crypto::public_key_of(*priv);
    for (int form = 0; form < 3; ++form) {
        bytes pub;
        if (form == 0) pub.assign(pub64.begin(), pub64.end());
        if (form == 1) { pub = {0x04}; pub.insert(pub.end(), pub64.begin(), pub64.end()); }
        if (form == 2) { auto c = *normalize_public_key(pub64); pub.assign(c.begin(), c.end()); }
        auto m = new_ecies_header(pub);
        REQUIRE(m);
        const bytes enc2 = encrypt_bytes(m->header, m->key, plain);
        REQUIRE(enc2.size() == plain.size() + 50);
        CHECK(enc2[0] == 2);
        auto parsed = encryption_header::parse(enc2);
        REQUIRE(parsed);
        CHECK(parsed->ephemeral_pub == m->header.ephemeral_pub);
        CHECK(parsed->nonce == m->header.nonce);
        CHECK(*ecies_decrypt_key(*priv, parsed->ephemeral_pub) == m->key);
        CHECK(*decrypt_bytes(enc2, {nullptr, &*priv}) == plain);
        CHECK(decrypt_bytes(enc2, {&key, nullptr}).error().is(errc::invalid_key));
    }
    CHECK(encryption_header::parse(bytes{}).error().is(errc::invalid_length));
    CHECK(encryption_header::parse(bytes(16, 1)).error().is(errc::invalid_length));
    CHECK(encryption_header::parse(bytes(49, 2)).error().is(errc::invalid_length));
    CHECK(encryption_header::parse(bytes(60, 3)).error().is(errc::not_supported));
    CHECK(new_ecies_header(bytes(33, 0)).error().is(errc::invalid_key));
    CHECK(new_ecies_header(bytes(20, 2)).error().is(errc::invalid_key));
}

TEST_CASE("fragment planning: power-of-two rounding, minimum 256, last fragment shorter") {
    CHECK(*normalize_fragment_size(1) == 256);
    CHECK(*normalize_fragment_size(256) == 256);
    CHECK(*normalize_fragment_size(1000) == 1024);
    CHECK(*normalize_fragment_size(default_fragment_size) == default_fragment_size);
    CHECK(*normalize_fragment_size(default_fragment_size + 1) == 2 * default_fragment_size);
    CHECK(plan_fragments(0).error().is(errc::empty_input));
    auto one = plan_fragments(default_fragment_size);
    REQUIRE(one->size() == 1);
    auto many = plan_fragments(5000, 1000);
    REQUIRE(many);
    REQUIRE(many->size() == 5);
    CHECK((*many)[4] == fragment{4, 4096, 904});
}

TEST_CASE("fragments are independent files; encrypted fragments decrypt across the CTR offset") {
    std::mt19937_64 rng(3);
    const bytes plain = random_bytes_of(700000, rng);
    const memory_source src(plain);
    auto trees = compute_fragment_trees(src, 300000);  // → 524288-byte fragments
    REQUIRE(trees);
    REQUIRE(trees->size() == 2);
    CHECK((*trees)[0].layout.size == 524288);
    CHECK((*trees)[1].layout.size == 700000 - 524288);
    CHECK((*trees)[0].root == compute_file_tree(byte_span(plain.data(), 524288))->root);
    CHECK((*trees)[1].root == compute_file_tree(byte_span(plain.data() + 524288, 700000 - 524288))->root);

    // Encrypted stream = header ‖ ciphertext, split into fragments: only fragment 0 has the header.
    aes_key key;
    crypto::random_bytes(key.span());
    const auto h = new_symmetric_header();
    const encrypted_source enc(src, key, h);
    const bytes whole = encrypt_bytes(h, key, plain);
    REQUIRE(enc.size() == whole.size());
    bytes via_source(whole.size());
    REQUIRE(enc.read_at(0, via_source));
    CHECK(via_source == whole);
    CHECK(compute_file_tree(enc)->root == compute_file_tree(byte_span(whole))->root);
    file_tree_options four;
    four.threads = 4;
    CHECK(compute_file_tree(enc, four)->root == compute_file_tree(byte_span(whole))->root);

    auto plan = *plan_fragments(enc.size(), 256 * 1024);
    REQUIRE(plan.size() == 3);
    bytes out;
    std::uint64_t off = 0;
    for (const auto& f : plan) {
        bytes part(static_cast<std::size_t>(f.size));
        REQUIRE(enc.read_at(f.offset, part));
        auto next = decrypt_fragment(key, h, part, f.index == 0, off);
        REQUIRE(next);
        off = *next;
        out.insert(out.end(), part.begin(), part.end());
    }
    CHECK(out == plain);
}
