// private_key loading/validation, V3 keystores (ethers- and Node-written files, round trips,
// wrong password, every malformed field), and a sweep proving no failure text leaks the key or
// the password.
#include <zerog/crypto/keystore.hpp>
#include <zerog/crypto/password.hpp>
#include <zerog/crypto/private_key.hpp>
#include <zerog/crypto/secp256k1_context.hpp>

#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <cctype>
#include <cstdlib>
#include <ostream>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

using namespace zerog;
using namespace zerog::crypto;

static_assert(!std::is_copy_constructible_v<private_key>);
static_assert(!std::is_copy_assignable_v<private_key>);
static_assert(std::is_nothrow_move_constructible_v<private_key>);
static_assert(!std::is_copy_constructible_v<secret_string>);
// Cannot be streamed or stringified: the only text form is redacted().
template <class T>
concept streamable = requires(std::ostream& os, const T& v) { os << v; };
template <class T>
concept stringifiable = requires(const T& v) { std::to_string(v); };
static_assert(!streamable<private_key> && !stringifiable<private_key>);
static_assert(!streamable<secret_string>);
static_assert(streamable<int>);  // the detector works

namespace {
// anvil dev keys #1 and #2 (public, worthless)
constexpr const char* key1 = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
constexpr const char* addr1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
constexpr const char* key2 = "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
constexpr const char* addr2 = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

// Written by ethers 6.13.1 `encryptKeystoreJson(..., {scrypt:{N:1024}})` (note: ethers spells "Crypto").
constexpr const char* ethers_scrypt_keystore =
    R"({"address":"70997970c51812dc3a010c7d01b50e0d17dc79c8","id":"d9491316-d6e1-4c1c-aeb1-d3af025b4e8d","version":3,"Crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"ad8f2eef29ec95943b733f1aa191eb31"},"ciphertext":"9cf96c2fc4797b7ea071efe697c27e96db47584a615b8852ca8899a32146409b","kdf":"scrypt","kdfparams":{"salt":"9a74e3642b75e24e1db75f11dae69580dce04f2d4abc427b05fcbd2e1184fb01","n":1024,"dklen":32,"p":1,"r":8},"mac":"adce4cbd1e49ffaffc5254310c05e82bf01d9297ec5586e0470b36b997601e5d"}})";
constexpr const char* ethers_scrypt_password = "correct horse";
// Written with Node's OpenSSL pbkdf2Sync(sha256, c=10000) + aes-128-ctr + ethers.keccak256.
constexpr const char* node_pbkdf2_keystore =
    R"({"address":"3c44cdddb6a900fa2b585dd299e03d12fa4293bc","crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"0f0e0d0c0b0a09080706050403020100"},"ciphertext":"06f67e57f566c8e6432a28f209a430e8169e33f9f088c044c5291f91750d8c88","kdf":"pbkdf2","kdfparams":{"c":10000,"dklen":32,"prf":"hmac-sha256","salt":"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"},"mac":"2d1db7c1ae1b2ccc429c72911a3c15f0ddf525d241137045c29d0c2a46fcea90"},"id":"3198bc9c-6672-4ab3-9995-4942343ae5b6","version":3})";
constexpr const char* node_pbkdf2_password = "pbkdf2 p\xc3\xa4ssword";

std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

/// Does `text` contain any 8-digit window of `key_hex` (either case)? 8 hex digits = 32 bits:
/// a chance match in a short message is negligible, a partial echo of the key is not.
bool leaks(const std::string& text, const std::string& key_hex) {
    const std::string lo = text, up = upper(text);
    for (std::size_t i = 0; i + 8 <= key_hex.size(); ++i) {
        const std::string w = key_hex.substr(i, 8);
        if (lo.find(w) != std::string::npos || up.find(upper(w)) != std::string::npos) return true;
    }
    return false;
}

boost::json::object parse_obj(const char* s) { return boost::json::parse(s).as_object(); }
}  // namespace

TEST_CASE("private_key: parsing, range, redaction, moves", "[crypto][key]") {
    auto k = private_key::from_hex(std::string("0x") + key1).value();
    CHECK(address_of(k).to_checksum_hex() == addr1);
    CHECK(private_key::from_hex(key1).value() == k);                                // prefix optional
    CHECK(private_key::from_hex(std::string(" 0X") + upper(key1) + "\n").value() == k);  // case, whitespace
    CHECK(private_key::redacted() == "private_key(<redacted>)");

    CHECK(private_key::from_hex("").error().is(errc::invalid_key));
    CHECK(private_key::from_hex(std::string(key1).substr(1)).error().is(errc::invalid_length));
    CHECK(private_key::from_hex(std::string(64, '0')).error().is(errc::invalid_key));
    // n itself, n-1 (the largest valid key), 2^256-1
    const std::string n_hex = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
    CHECK(private_key::from_hex(n_hex).error().is(errc::invalid_key));
    CHECK(private_key::from_hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140"));
    CHECK(private_key::from_hex(std::string(64, 'f')).error().is(errc::invalid_key));
    CHECK(private_key::from_hex(std::string(63, '0') + "1"));
    auto bad = private_key::from_hex(std::string(key1).replace(10, 1, "g"));
    REQUIRE(!bad);
    CHECK(bad.error().is(errc::invalid_hex));
    CHECK(bad.error().detail().find("digit 10") != std::string::npos);

    // A move hands over the same locked page: the key bytes are never copied.
    const byte* where = k.unsafe_bytes().data();
    private_key moved = std::move(k);
    CHECK(moved.unsafe_bytes().data() == where);
    CHECK(address_of(moved).to_checksum_hex() == addr1);
}

TEST_CASE("private_key from ZG_PRIVATE_KEY", "[crypto][key]") {
    ::setenv("ZG_TEST_PK", key2, 1);
    CHECK(address_of(load_private_key_from_env("ZG_TEST_PK").value()).to_checksum_hex() == addr2);
    ::setenv("ZG_TEST_PK", "0x1234", 1);
    auto e = load_private_key_from_env("ZG_TEST_PK");
    REQUIRE(!e);
    CHECK(e.error().is(errc::invalid_length));
    CHECK(e.error().message().find("ZG_TEST_PK") != std::string::npos);
    ::unsetenv("ZG_TEST_PK");
    CHECK(load_private_key_from_env("ZG_TEST_PK").error().is(errc::not_found));
}

TEST_CASE("secret_string wipes, moves, and grows safely", "[crypto][key]") {
    secret_string s;
    for (char c : std::string(100, 'x')) s.push_back(c);
    CHECK(s.view() == std::string(100, 'x'));
    secret_string t = std::move(s);
    CHECK(t.size() == 100);
    CHECK(s.empty());  // NOLINT(bugprone-use-after-move): moved-from is defined as empty
    ::setenv("ZG_TEST_PW", "", 1);
    CHECK(read_keystore_password("ZG_TEST_PW").value().empty());  // empty password is legal
    ::unsetenv("ZG_TEST_PW");
    if (!::isatty(0)) {  // under meson/CI: no prompt, no hang, a clear error
        auto p = read_keystore_password("ZG_TEST_PW");
        REQUIRE(!p);
        CHECK(p.error().is(errc::not_found));
        CHECK(p.error().message().find("ZG_KEYSTORE_PASSWORD") != std::string::npos);
    }
}

TEST_CASE("keystores written by ethers (scrypt) and Node (pbkdf2) decrypt", "[crypto][keystore]") {
    CHECK(address_of(decrypt_keystore(ethers_scrypt_keystore, ethers_scrypt_password).value()).to_checksum_hex() == addr1);
    CHECK(decrypt_keystore(ethers_scrypt_keystore, ethers_scrypt_password).value() == private_key::from_hex(key1).value());
    CHECK(decrypt_keystore(node_pbkdf2_keystore, node_pbkdf2_password).value() == private_key::from_hex(key2).value());
}

TEST_CASE("keystore round trip, fresh salt/iv/id each time", "[crypto][keystore]") {
    auto k = private_key::from_hex(key2).value();
    const keystore_options fast{1024, 8, 1};
    const std::string a = encrypt_keystore(k, "pw \xe2\x9c\x93", fast).value();
    const std::string b = encrypt_keystore(k, "pw \xe2\x9c\x93", fast).value();
    CHECK(a != b);
    CHECK(decrypt_keystore(a, "pw \xe2\x9c\x93").value() == k);
    CHECK(decrypt_keystore(b, "pw \xe2\x9c\x93").value() == k);
    const auto doc = boost::json::parse(a).as_object();
    CHECK(doc.at("address").as_string() == "3c44cdddb6a900fa2b585dd299e03d12fa4293bc");
    CHECK(doc.at("version").as_int64() == 3);
    CHECK(doc.at("id").as_string().size() == 36);
    CHECK(doc.at("id").as_string()[14] == '4');
    CHECK(doc.at("crypto").at("kdfparams").at("n").to_number<std::uint64_t>() == 1024);
    CHECK(!leaks(a, key2));
    CHECK(encrypt_keystore(k, "x", keystore_options{1000, 8, 1}).error().is(errc::invalid_argument));

    // empty password works too
    CHECK(decrypt_keystore(encrypt_keystore(k, "", fast).value(), "").value() == k);
}

TEST_CASE("keystore: wrong password and tampering are errc::wrong_password", "[crypto][keystore]") {
    auto e = decrypt_keystore(ethers_scrypt_keystore, "correct horsf");
    REQUIRE(!e);
    CHECK(e.error().is(errc::wrong_password));
    CHECK(decrypt_keystore(node_pbkdf2_keystore, "").error().is(errc::wrong_password));
    auto doc = parse_obj(node_pbkdf2_keystore);
    auto ct = std::string(doc["crypto"].as_object()["ciphertext"].as_string());
    ct[0] = ct[0] == '0' ? '1' : '0';
    doc["crypto"].as_object()["ciphertext"] = ct;
    CHECK(decrypt_keystore(boost::json::serialize(doc), node_pbkdf2_password).error().is(errc::wrong_password));
}

TEST_CASE("keystore: each missing or bad field is errc::keystore_malformed naming it", "[crypto][keystore]") {
    using boost::json::object;
    struct edit {
        const char* name;
        std::function<void(object&)> apply;
        const char* expect;  // substring of the detail
    };
    auto cr = [](object& o) -> object& { return o["crypto"].as_object(); };
    auto kp = [cr](object& o) -> object& { return cr(o)["kdfparams"].as_object(); };
    const std::vector<edit> edits = {
        {"version", [](object& o) { o.erase("version"); }, "version is missing"},
        {"version 4", [](object& o) { o["version"] = 4; }, "version must be 3"},
        {"crypto", [](object& o) { o.erase("crypto"); }, "crypto is missing"},
        {"cipher", [cr](object& o) { cr(o).erase("cipher"); }, "crypto.cipher is missing"},
        {"cipher value", [cr](object& o) { cr(o)["cipher"] = "aes-256-cbc"; }, "crypto.cipher must be"},
        {"cipherparams", [cr](object& o) { cr(o).erase("cipherparams"); }, "crypto.cipherparams is missing"},
        {"iv", [cr](object& o) { cr(o)["cipherparams"].as_object().erase("iv"); }, "crypto.cipherparams.iv is missing"},
        {"iv short", [cr](object& o) { cr(o)["cipherparams"].as_object()["iv"] = "00ff"; }, "crypto.cipherparams.iv must be 16 bytes"},
        {"ciphertext", [cr](object& o) { cr(o).erase("ciphertext"); }, "crypto.ciphertext is missing"},
        {"ciphertext hex", [cr](object& o) { cr(o)["ciphertext"] = "zz"; }, "crypto.ciphertext is not valid hex"},
        {"mac", [cr](object& o) { cr(o).erase("mac"); }, "crypto.mac is missing"},
        {"mac type", [cr](object& o) { cr(o)["mac"] = 5; }, "crypto.mac is not a string"},
        {"kdf", [cr](object& o) { cr(o).erase("kdf"); }, "crypto.kdf is missing"},
        {"kdf value", [cr](object& o) { cr(o)["kdf"] = "argon2"; }, "crypto.kdf must be"},
        {"kdfparams", [cr](object& o) { cr(o).erase("kdfparams"); }, "crypto.kdfparams is missing"},
        {"salt", [kp](object& o) { kp(o).erase("salt"); }, "crypto.kdfparams.salt is missing"},
        {"dklen", [kp](object& o) { kp(o).erase("dklen"); }, "crypto.kdfparams.dklen is missing"},
        {"dklen 16", [kp](object& o) { kp(o)["dklen"] = 16; }, "crypto.kdfparams.dklen must be 32"},
        {"c", [kp](object& o) { kp(o).erase("c"); }, "crypto.kdfparams.c is missing"},
        {"c negative", [kp](object& o) { kp(o)["c"] = -1; }, "crypto.kdfparams.c is not a non-negative integer"},
        {"prf", [kp](object& o) { kp(o).erase("prf"); }, "crypto.kdfparams.prf is missing"},
        {"prf value", [kp](object& o) { kp(o)["prf"] = "hmac-sha1"; }, "crypto.kdfparams.prf must be"},
        {"address", [](object& o) { o["address"] = "f39fd6e51aad88f6f4ce6ab8827279cfffb92266"; }, "does not match the decrypted key"},
        {"address hex", [](object& o) { o["address"] = "xyz"; }, "address is not 20 bytes"},
    };
    for (const auto& e : edits) {
        INFO(e.name);
        auto doc = parse_obj(node_pbkdf2_keystore);
        e.apply(doc);
        auto r = decrypt_keystore(boost::json::serialize(doc), node_pbkdf2_password);
        REQUIRE(!r);
        CHECK(r.error().is(errc::keystore_malformed));
        CHECK(r.error().detail().find(e.expect) != std::string::npos);
        CHECK(r.error().message().find("decrypting a V3 keystore") != std::string::npos);
    }
    // scrypt-specific fields, on the ethers file ("Crypto")
    const std::vector<edit> scrypt_edits = {
        {"n", [](object& o) { o["Crypto"].as_object()["kdfparams"].as_object().erase("n"); }, "Crypto.kdfparams.n is missing"},
        {"r", [](object& o) { o["Crypto"].as_object()["kdfparams"].as_object().erase("r"); }, "Crypto.kdfparams.r is missing"},
        {"p", [](object& o) { o["Crypto"].as_object()["kdfparams"].as_object().erase("p"); }, "Crypto.kdfparams.p is missing"},
        {"n pow2", [](object& o) { o["Crypto"].as_object()["kdfparams"].as_object()["n"] = 1000; }, "power of two"},
        {"n huge", [](object& o) { o["Crypto"].as_object()["kdfparams"].as_object()["n"] = 1ull << 40; }, "1 GiB"},
        // Hostile CPU cost within the memory bound: n·r = 2^20 (128 MiB), p = 1024 → hours of work.
        {"n·r·p huge", [](object& o) {
             auto& kp = o["Crypto"].as_object()["kdfparams"].as_object();
             kp["n"] = 1ull << 17;
             kp["r"] = 8;
             kp["p"] = 1024;
         }, "too long"},
    };
    for (const auto& e : scrypt_edits) {
        INFO(e.name);
        auto doc = parse_obj(ethers_scrypt_keystore);
        e.apply(doc);
        auto r = decrypt_keystore(boost::json::serialize(doc), ethers_scrypt_password);
        REQUIRE(!r);
        CHECK(r.error().is(errc::keystore_malformed));
        CHECK(r.error().detail().find(e.expect) != std::string::npos);
    }
    CHECK(decrypt_keystore("{not json", "x").error().is(errc::keystore_malformed));
    CHECK(decrypt_keystore("[1,2]", "x").error().is(errc::keystore_malformed));
    CHECK(load_keystore_file("/nonexistent/keystore.json", "x").error().is(errc::io_error));
}

namespace {
/// A keystore whose ciphertext decrypts (with a valid MAC) to `plain` (for out-of-range keys).
std::string keystore_of_raw(const fixed_bytes<32>& plain, std::string_view pw) {
    fixed_bytes<32> salt{};
    salt[0] = 7;
    fixed_bytes<16> iv{};
    iv[3] = 9;
    wiped_array<32> dk;
    crypto::detail::scrypt_derive(dk.data(), pw, salt, 16, 1, 1);
    fixed_bytes<32> ct;
    crypto::detail::aes128_ctr(dk.data(), iv, plain.data(), ct.data(), 32);
    const auto mac = crypto::detail::keystore_mac(dk.data(), ct);
    boost::json::object kdfp{{"n", 16}, {"r", 1}, {"p", 1}, {"dklen", 32}, {"salt", to_hex(salt, false)}};
    boost::json::object c{{"cipher", "aes-128-ctr"}, {"cipherparams", boost::json::object{{"iv", to_hex(iv, false)}}},
                          {"ciphertext", to_hex(ct, false)}, {"kdf", "scrypt"}, {"kdfparams", kdfp}, {"mac", to_hex(mac, false)}};
    return boost::json::serialize(boost::json::object{{"version", 3}, {"crypto", c}});
}
}  // namespace

TEST_CASE("keystore holding an out-of-range scalar is errc::invalid_key", "[crypto][keystore]") {
    CHECK(decrypt_keystore(keystore_of_raw(fixed_bytes<32>{}, "pw"), "pw").error().is(errc::invalid_key));
    const auto n = fixed_bytes<32>::from_span(byte_span(crypto::detail::secp256k1_order, 32));
    CHECK(decrypt_keystore(keystore_of_raw(n, "pw"), "pw").error().is(errc::invalid_key));
    auto one = fixed_bytes<32>{};
    one[31] = 1;
    CHECK(decrypt_keystore(keystore_of_raw(one, "pw"), "pw"));
}

TEST_CASE("no failure text ever contains the key or the password", "[crypto][key][keystore][secrets]") {
    std::mt19937_64 rng(77);
    std::vector<std::string> texts;
    auto collect = [&](const auto& r) {
        REQUIRE(!r);
        texts.push_back(r.error().message());
        texts.push_back(r.error().detail());
        for (const auto& f : r.error().context()) {
            texts.push_back(f.operation);
            for (const auto& id : f.ids) texts.push_back(id.first + "=" + id.second);
        }
        try {
            (void)r.value();
            FAIL("value() did not throw");
        } catch (const zerog::exception& ex) {
            texts.emplace_back(ex.what());
        }
    };

    for (const std::string& key : {std::string(key1), std::string(key2)}) {
        texts.clear();
        // hex parsing: a bad digit at every position, in both cases and with/without 0x
        for (std::size_t pos = 0; pos < 64; pos += 7) {
            for (const std::string& base : {key, upper(key), "0x" + key, "0X" + upper(key)}) {
                std::string bad = base;
                bad[bad.size() - 64 + pos] = 'q';
                collect(private_key::from_hex(bad));
            }
        }
        collect(private_key::from_hex(key.substr(0, 63)));
        collect(private_key::from_hex(key + "a"));
        collect(private_key::from_hex("0x" + key + "0"));
        ::setenv("ZG_TEST_PK", (key + "zz").c_str(), 1);
        collect(load_private_key_from_env("ZG_TEST_PK"));
        ::unsetenv("ZG_TEST_PK");

        // keystore failures for this key, with a password that must not leak either
        const std::string pw = "Sup3r-Secret-Pa55phrase";
        auto k = private_key::from_hex(key).value();
        const std::string ks = encrypt_keystore(k, pw, keystore_options{1024, 8, 1}).value();
        collect(decrypt_keystore(ks, "wrong" + pw));
        auto doc = boost::json::parse(ks).as_object();
        doc["address"] = "f39fd6e51aad88f6f4ce6ab8827279cfffb92266";
        collect(decrypt_keystore(boost::json::serialize(doc), pw));
        doc = boost::json::parse(ks).as_object();
        doc["crypto"].as_object()["kdfparams"].as_object()["dklen"] = 31;
        collect(decrypt_keystore(boost::json::serialize(doc), pw));
        doc = boost::json::parse(ks).as_object();
        doc["crypto"].as_object()["kdfparams"].as_object()["n"] = 3;
        collect(decrypt_keystore(boost::json::serialize(doc), pw));
        collect(decrypt_keystore(ks.substr(0, ks.size() / 2), pw));
        // a keystore holding an invalid scalar near this key (key bytes with the top set to 0xff…)
        auto raw = from_hex_fixed<32>(key, hex_prefix::none).value();
        for (int i = 0; i < 16; ++i) raw[i] = 0xff;
        collect(decrypt_keystore(keystore_of_raw(raw, pw), pw));

        CHECK(texts.size() > 100);
        for (const auto& t : texts) {
            INFO(t);
            CHECK(!leaks(t, key));
            CHECK(t.find(pw) == std::string::npos);
            CHECK(t.find("Secret") == std::string::npos);
        }
        CHECK(!leaks(private_key::redacted(), key));
        (void)rng;
    }
}

TEST_CASE("the leak detector itself detects leaks", "[crypto][secrets]") {
    CHECK(leaks(std::string("oops 0x") + key1, key1));
    CHECK(leaks(upper(std::string(key1).substr(20, 9)), key1));
    CHECK(!leaks("private_key(<redacted>)", key1));
}
