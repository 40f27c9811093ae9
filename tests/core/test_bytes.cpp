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

TEST_CASE("base64 decoding of a segment-sized answer: every corrupted symbol is found, named and placed") {
    std::mt19937 rng(11);
    bytes seg(262144 + 1);  // 256 KiB + 1: ends with a padded group ("xyz=")
    for (auto& x : seg) x = static_cast<byte>(rng());
    const std::string enc = base64_encode(seg);
    REQUIRE(enc.size() == 349528);
    REQUIRE(enc.back() == '=');
    auto back = base64_decode(enc);
    REQUIRE(back);
    CHECK(*back == seg);
    for (const std::size_t at : {std::size_t(0), std::size_t(1), std::size_t(4096), enc.size() / 2, enc.size() - 4, enc.size() - 3, enc.size() - 2}) {
        for (const char bad : {'!', '=', '\n', '-', '\0', static_cast<char>(0xc3)}) {
            std::string e = enc;
            if (e[at] == bad) continue;
            e[at] = bad;
            INFO("index " << at << " char " << int(static_cast<unsigned char>(bad)));
            auto r = base64_decode(e);
            if (at == enc.size() - 2 && bad == '=') {  // "xy==" is well formed: only the padding bits can be wrong
                if (r) CHECK(r->size() == seg.size() - 1);
                continue;
            }
            REQUIRE_FALSE(r);
            CHECK(r.error().is(errc::invalid_base64));
            if (at + 1 < enc.size() - 1) CHECK(r.error().message().find("at index " + std::to_string(at)) != std::string::npos);
        }
    }
}
