#include <zerog/core/bytes.hpp>

#include <catch2/catch.hpp>

#include <random>

using namespace zerog;

TEST_CASE("hex round trip and strict errors") {
    CHECK(to_hex(bytes{0x00, 0xab, 0xff}) == "0x00abff");
    CHECK(to_hex(bytes{}, false).empty());
    CHECK(*from_hex("0x00abFF") == bytes{0x00, 0xab, 0xff});
    CHECK(from_hex("0x")->empty());

    auto odd = from_hex("0xabc");
    REQUIRE_FALSE(odd);
    CHECK(odd.error().is(errc::invalid_hex));
    CHECK(odd.error().detail() == "odd number of hex digits (3)");

    auto bad = from_hex("0xzz");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().detail() == "bad character 'z' at index 2");

    auto nopfx = from_hex("abcd");
    REQUIRE_FALSE(nopfx);
    CHECK(nopfx.error().detail() == "missing 0x prefix");
    CHECK(*from_hex("abcd", hex_prefix::optional) == bytes{0xab, 0xcd});
    CHECK_FALSE(from_hex("0xabcd", hex_prefix::none));

    auto wrong = from_hex_fixed<4>("0x0102");
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().is(errc::invalid_length));
    CHECK(from_hex_fixed<2>("0x0102")->data_[1] == 2);
}

TEST_CASE("base64 matches RFC 4648 vectors and rejects malformed input") {
    const std::pair<const char*, const char*> v[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                                     {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                                     {"foobar", "Zm9vYmFy"}};
    for (auto [plain, enc] : v) {
        CHECK(base64_encode(as_bytes(plain)) == enc);
        auto d = base64_decode(enc);
        REQUIRE(d);
        CHECK(std::string(d->begin(), d->end()) == plain);
    }
    CHECK_FALSE(base64_decode("Zg="));     // length
    CHECK_FALSE(base64_decode("Zg=a"));    // padding in the middle of the group
    CHECK_FALSE(base64_decode("Zh=="));    // non-zero padding bits
    CHECK_FALSE(base64_decode("Zm9v\n"));  // whitespace
    CHECK_FALSE(base64_decode("Z=9v"));
    std::mt19937 rng(7);
    for (int n = 0; n < 300; ++n) {
        bytes b(n);
        for (auto& x : b) x = static_cast<byte>(rng());
        CHECK(*base64_decode(base64_encode(b)) == b);
    }
}
