// Signers, recovery and EIP-191: the 0G compute vectors (produced by ethers/the official SDK),
// libsecp256k1 vs Crypto++ byte identity on random keys, and tamper/range rejection.
#include <zerog/crypto/cryptopp_signer.hpp>
#include <zerog/crypto/personal_sign.hpp>
#include <zerog/crypto/recover.hpp>
#include <zerog/crypto/secp256k1_signer.hpp>
#include <zerog/crypto/signer.hpp>
#include <zerog/testing/mocks.hpp>

#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <thread>

using namespace zerog;
using namespace zerog::crypto;

static_assert(crypto::Signer<secp256k1_signer>);
static_assert(crypto::Signer<cryptopp_signer>);
static_assert(!std::is_copy_constructible_v<secp256k1_signer>);

namespace {
std::string str(const boost::json::value& v, const char* k) { return std::string(v.at(k).as_string()); }

hash256 h256(const std::string& hex) { return from_hex_fixed<32>(hex).value(); }

fixed_bytes<32> random_scalar(std::mt19937_64& rng) {
    for (;;) {
        fixed_bytes<32> b;
        for (auto& x : b) x = static_cast<byte>(rng());
        if (private_key::from_bytes(b)) return b;
    }
}
}  // namespace

TEST_CASE("eip191 vector: digest, both signers, recovery", "[crypto][signer]") {
    const auto& v = testing::vectors("compute.json").at("eip191_personal_sign");
    const std::string msg = str(v, "message_utf8");
    CHECK(to_hex(personal_message_digest(msg)) == str(v, "digest_keccak256"));

    auto lib = secp256k1_signer::from_hex(str(v, "private_key")).value();
    auto cpp = cryptopp_signer::from_hex(str(v, "private_key")).value();
    CHECK(lib.address().to_checksum_hex() == str(v, "address"));
    CHECK(cpp.address().to_checksum_hex() == str(v, "address"));
    CHECK(to_hex(sign_personal(lib, msg).value()) == str(v, "signature_65_rsv"));
    CHECK(to_hex(sign_personal(cpp, msg).value()) == str(v, "signature_65_rsv"));

    auto key = private_key::from_hex(str(v, "private_key")).value();
    CHECK("0x04" + to_hex(public_key_of(key), false) == str(v, "public_key_uncompressed"));

    const auto sig = from_hex_fixed<65>(str(v, "signature_65_rsv")).value();
    CHECK(recover_personal(msg, sig).value().to_checksum_hex() == str(v, "recovered_address"));
    const auto s = signature::from_rsv(sig).value();
    CHECK(cryptopp_recover_address(personal_message_digest(msg), s).value().to_checksum_hex() == str(v, "address"));
}

TEST_CASE("compute session-token and TEE signatures are reproduced by both signers", "[crypto][signer]") {
    const auto& c = testing::vectors("compute.json").at("current_session_token");
    const std::string user_key = str(c.at("inputs"), "user_private_key");
    auto lib = secp256k1_signer::from_hex(user_key).value();
    auto cpp = cryptopp_signer::from_hex(user_key).value();

    SECTION("ephemeral session token: personal_sign over the 32 bytes of keccak(token json)") {
        const auto& e = c.at("ephemeral_session");
        const hash256 msg_hash = keccak256(str(e, "token_json"));
        CHECK(to_hex(msg_hash) == str(e, "keccak256_of_token_json"));
        CHECK(to_hex(personal_message_digest(msg_hash)) == str(e, "personal_sign_digest"));
        CHECK(to_hex(sign_personal(lib, msg_hash).value()) == str(e, "signature"));
        CHECK(to_hex(sign_personal(cpp, msg_hash).value()) == str(e, "signature"));
        CHECK(recover_personal_hex(msg_hash, str(e, "signature")).value() == lib.address());
        // the digest path directly: sign_digest(personal digest) gives the same rsv
        CHECK(to_hex(lib.sign_digest(h256(str(e, "personal_sign_digest"))).value().to_rsv()) == str(e, "signature"));
    }
    SECTION("API key, tokenId 0, never expires") {
        const auto& a = c.at("api_key_tokenId0_never_expires");
        const hash256 msg_hash = keccak256(str(a, "token_json"));
        CHECK(to_hex(msg_hash) == str(a, "keccak256_of_token_json"));
        CHECK(to_hex(sign_personal(lib, msg_hash).value()) == str(a, "signature"));
        CHECK(to_hex(sign_personal(cpp, msg_hash).value()) == str(a, "signature"));
        CHECK(recover_personal_hex(msg_hash, str(a, "signature")).value() == lib.address());
    }
    SECTION("TEE response signature: personal_sign over the signed text") {
        const auto& t = c.at("tee_response_signature");
        auto tee_lib = secp256k1_signer::from_hex(str(t, "tee_private_key")).value();
        auto tee_cpp = cryptopp_signer::from_hex(str(t, "tee_private_key")).value();
        CHECK(tee_lib.address().to_checksum_hex() == str(t, "tee_signer_address"));
        CHECK(to_hex(sign_personal(tee_lib, str(t, "signed_text")).value()) == str(t, "signature"));
        CHECK(to_hex(sign_personal(tee_cpp, str(t, "signed_text")).value()) == str(t, "signature"));
        CHECK(recover_personal_hex(as_bytes(str(t, "signed_text")), str(t, "signature")).value().to_checksum_hex() ==
              str(t, "tee_signer_address"));
    }
}

TEST_CASE("libsecp256k1 and Crypto++ are byte-identical on 300 random keys; recovery agrees 3 ways", "[crypto][signer]") {
    std::mt19937_64 rng(0x5eed'0001);
    int checked = 0;
    for (int i = 0; i < 300; ++i) {
        const auto raw = random_scalar(rng);
        auto lib = secp256k1_signer(private_key::from_bytes(raw).value());
        auto cpp = cryptopp_signer(private_key::from_bytes(raw).value());
        REQUIRE(lib.address() == cpp.address());
        hash256 digest;
        for (auto& x : digest) x = static_cast<byte>(rng());
        if (i % 50 == 0) std::fill(digest.begin(), digest.begin() + 4, byte{0});  // leading zero bytes
        const auto a = lib.sign_digest(digest).value();
        const auto b = cpp.sign_digest(digest).value();
        REQUIRE(a == b);
        REQUIRE(std::memcmp(a.s.data(), crypto::detail::secp256k1_half_order, 32) <= 0);  // low-s
        REQUIRE(recover_address(digest, a).value() == lib.address());
        REQUIRE(cryptopp_recover_address(digest, a).value() == lib.address());
        REQUIRE(recover_public_key(digest, a).value() == cryptopp_recover_public_key(digest, a).value());
        // The other recovery id yields a different key (or none).
        auto flipped = a;
        flipped.recovery_id ^= 1;
        auto other = recover_address(digest, flipped);
        REQUIRE((!other || *other != lib.address()));
        auto other_cpp = cryptopp_recover_address(digest, flipped);
        REQUIRE(static_cast<bool>(other) == static_cast<bool>(other_cpp));
        if (other) REQUIRE(*other == *other_cpp);
        ++checked;
    }
    CHECK(checked == 300);
}

TEST_CASE("recovery rejects tampered and out-of-range signatures", "[crypto][signer]") {
    auto lib = secp256k1_signer::from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80").value();
    CHECK(lib.address().to_checksum_hex() == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");  // anvil #0
    const std::string msg = "tamper me";
    const auto rsv = sign_personal(lib, msg).value();
    REQUIRE(recover_personal(msg, rsv).value() == lib.address());

    SECTION("flipping any bit of r, s or the message changes or breaks the recovered address") {
        for (int byte_i : {0, 17, 31, 32, 50, 63}) {
            auto t = rsv;
            t[byte_i] ^= 0x01;
            auto a = recover_personal(msg, t);
            CHECK((!a || *a != lib.address()));
        }
        CHECK(recover_personal(std::string_view("tamper mE"), rsv).value() != lib.address());
    }
    SECTION("invalid v") {
        auto t = rsv;
        t[64] = 29;
        auto a = recover_personal(msg, t);
        REQUIRE(!a);
        CHECK(a.error().is(errc::invalid_signature));
        signature s = signature::from_rsv(rsv).value();
        s.recovery_id = 2;
        CHECK(recover_address(personal_message_digest(msg), s).error().is(errc::invalid_signature));
        CHECK(cryptopp_recover_address(personal_message_digest(msg), s).error().is(errc::invalid_signature));
    }
    SECTION("r or s zero or >= n") {
        const hash256 d = personal_message_digest(msg);
        signature s = signature::from_rsv(rsv).value();
        for (int which = 0; which < 2; ++which) {
            for (int kind = 0; kind < 3; ++kind) {
                signature t = s;
                hash256& f = which ? t.s : t.r;
                if (kind == 0) f = hash256{};
                if (kind == 1) f = hash256::from_span(byte_span(crypto::detail::secp256k1_order, 32));
                if (kind == 2) std::fill(f.begin(), f.end(), byte{0xff});
                auto a = recover_address(d, t, high_s::allow);
                REQUIRE(!a);
                CHECK(a.error().is(errc::invalid_signature));
                CHECK(cryptopp_recover_address(d, t, high_s::allow).error().is(errc::invalid_signature));
            }
        }
    }
    SECTION("high-s: rejected by default, accepted (same signer) with high_s::allow and flipped v") {
        const hash256 d = personal_message_digest(msg);
        signature s = signature::from_rsv(rsv).value();
        // s' = n - s, recid ^= 1 is the malleable twin
        CryptoPP::Integer n(crypto::detail::secp256k1_order, 32), sv(s.s.data(), 32);
        signature hi = s;
        (n - sv).Encode(hi.s.data(), 32);
        hi.recovery_id ^= 1;
        auto a = recover_address(d, hi);
        REQUIRE(!a);
        CHECK(a.error().is(errc::invalid_signature));
        CHECK(a.error().message().find("high-s") != std::string::npos);
        CHECK(cryptopp_recover_address(d, hi).error().is(errc::invalid_signature));
        CHECK(recover_address(d, hi, high_s::allow).value() == lib.address());
        CHECK(cryptopp_recover_address(d, hi, high_s::allow).value() == lib.address());
    }
    SECTION("r that is not the x of any curve point") {
        const hash256 d = personal_message_digest(msg);
        signature s = signature::from_rsv(rsv).value();
        int rejected = 0;
        for (int i = 1; i < 40 && !rejected; ++i) {  // about half of all x have no point
            signature t = s;
            t.r = hash256{};
            t.r[31] = static_cast<byte>(i);
            auto a = recover_address(d, t);
            auto b = cryptopp_recover_address(d, t);
            REQUIRE(static_cast<bool>(a) == static_cast<bool>(b));
            if (!a) {
                CHECK(a.error().is(errc::invalid_signature));
                CHECK(b.error().is(errc::invalid_signature));
                ++rejected;
            } else {
                CHECK(*a == *b);
            }
        }
        CHECK(rejected == 1);
    }
    SECTION("wrong-length rsv") {
        CHECK(recover_personal(msg, byte_span(rsv.data(), 64)).error().is(errc::invalid_signature));
        CHECK(recover_personal_hex(as_bytes(msg), "0x1234").error().is(errc::invalid_length));
    }
}

TEST_CASE("both signers are safe to use from several threads", "[crypto][signer]") {
    auto lib = secp256k1_signer::from_hex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d").value();
    auto cpp = cryptopp_signer::from_hex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d").value();
    std::atomic<int> mismatches{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t)
        ts.emplace_back([&, t] {
            for (int i = 0; i < 25; ++i) {
                hash256 d{};
                d[0] = static_cast<byte>(t);
                d[1] = static_cast<byte>(i);
                auto a = lib.sign_digest(d);
                auto b = cpp.sign_digest(d);
                if (!a || !b || *a != *b || cryptopp_recover_address(d, *b).value() != lib.address()) ++mismatches;
            }
        });
    for (auto& t : ts) t.join();
    CHECK(mismatches == 0);
}

TEST_CASE("mock_signer records digests and returns scripted answers", "[crypto][policy][mock]") {
    const auto addr = address::parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8").value();
    testing::mock_signer mock(addr);
    static_assert(crypto::Signer<testing::mock_signer>);
    signature canned;
    canned.r[31] = 1;
    canned.s[31] = 2;
    canned.recovery_id = 1;
    mock.will_return(canned).will_fail(zerog::error(errc::unauthorized, "hardware wallet locked"));

    auto copy = mock;  // copies share the recording
    const auto r1 = sign_personal(copy, std::string_view("a"));
    REQUIRE(r1);
    CHECK((*r1)[31] == 1);
    CHECK((*r1)[64] == 28);
    const auto r2 = sign_personal(copy, std::string_view("b"));
    REQUIRE(!r2);
    CHECK(r2.error().is(errc::unauthorized));
    CHECK(r2.error().message().find("EIP-191") != std::string::npos);
    auto r3 = copy.sign_digest(hash256{});
    REQUIRE(!r3);
    CHECK(r3.error().is(errc::state_conflict));
    CHECK(mock.call_count() == 3);
    CHECK(mock.pending() == 0);
    CHECK(mock.digests()[0] == personal_message_digest(std::string_view("a")));
    CHECK(mock.digests()[1] == personal_message_digest(std::string_view("b")));
    CHECK(mock.address() == addr);
    mock.set_default(canned);
    CHECK(copy.sign_digest(hash256{}).value() == canned);
}
