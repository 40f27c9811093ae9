// RLP: Ethereum wiki vectors, and strict rejection of malformed / non-canonical input.
#include <zerog/codec/rlp.hpp>

#include <catch2/catch.hpp>

using namespace zerog;
using rlp::item;

namespace {
bytes hx(std::string_view s) { return from_hex(s).value(); }
item str(std::string_view s) { return item::string(as_bytes(s)); }
}  // namespace

TEST_CASE("rlp: Ethereum wiki examples encode and decode", "[codec][rlp]") {
    const std::string lorem = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";
    const std::vector<std::pair<item, std::string>> cases = {
        {str("dog"), "0x83646f67"},
        {item::of({str("cat"), str("dog")}), "0xc88363617483646f67"},
        {str(""), "0x80"},
        {item::of({}), "0xc0"},
        {item::uint(0), "0x80"},
        {item::string(bytes{0x00}), "0x00"},
        {item::uint(15), "0x0f"},
        {item::uint(1024), "0x820400"},
        {item::of({item::of({}), item::of({item::of({})}), item::of({item::of({}), item::of({item::of({})})})}), "0xc7c0c1c0c3c0c1c0"},
        {str(lorem), "0xb838" + to_hex(as_bytes(lorem), false)},
        {item::uint(uint256::max()), "0xa0" + std::string(64, 'f')},
    };
    for (const auto& [it, hex] : cases) {
        INFO(hex);
        CHECK(to_hex(rlp::encode(it)) == hex);
        const auto back = rlp::decode(hx(hex));
        REQUIRE(back);
        CHECK(*back == it);
    }
    // a 1024-byte string and a long list use the long forms with 2-byte lengths
    const bytes kb(1024, 0xab);
    const bytes enc = rlp::encode(item::string(kb));
    CHECK(to_hex(byte_span(enc).first(3)) == "0xb90400");
    CHECK(rlp::decode(enc)->str == kb);
    std::vector<item> many(100, str("dog"));
    const bytes lenc = rlp::encode(item::of(many));
    CHECK(to_hex(byte_span(lenc).first(1)) == "0xf9");
    CHECK(rlp::decode(lenc)->list.size() == 100);
    // the append_* API matches the tree API
    bytes direct;
    rlp::append_uint(direct, std::uint64_t{1024});
    CHECK(to_hex(direct) == "0x820400");
}

TEST_CASE("rlp: malformed and non-canonical inputs are rejected with offsets", "[codec][rlp]") {
    struct bad_case { const char* hex; errc code; const char* needle; };
    const bad_case cases[] = {
        {"0x", errc::invalid_length, "offset 0"},
        {"0x8100", errc::parse_error, "single byte"},          // 0x00 must be encoded as itself
        {"0x817f", errc::parse_error, "single byte"},
        {"0xb80161", errc::parse_error, "short form"},         // length 1 in long form
        {"0xb90001" , errc::parse_error, "leading zero"},      // length with leading zero
        {"0x83646f", errc::invalid_length, "offset 0"},        // truncated string
        {"0x83646f6700", errc::parse_error, "trailing"},       // trailing byte
        {"0xc883636174", errc::invalid_length, "offset 0"},    // truncated list
        {"0xc3836361", errc::invalid_length, "offset 1"},      // child runs past the list
        {"0xbf", errc::invalid_length, "length-of-length"},
        {"0xbfffffffffffffffff", errc::invalid_length, "left"},
        {"0xc2c1c0c0", errc::parse_error, "trailing"},
        {"0xc3c28100", errc::parse_error, "offset 2"},         // nested non-canonical byte
    };
    for (const auto& c : cases) {
        INFO(c.hex);
        const auto r = rlp::decode(hx(c.hex));
        REQUIRE_FALSE(r);
        CHECK(r.error().is(c.code));
        CHECK(r.error().detail().find(c.needle) != std::string::npos);
    }
    // depth bomb: 100 nested lists
    CHECK_FALSE(rlp::decode(bytes(100, 0xc0)));  // 0xc0 0xc0 ... is a list followed by trailing bytes
    bytes nested = {0xc0};
    for (int i = 0; i < 70; ++i) {
        bytes next;
        rlp::append_list(next, nested);
        nested = next;
    }
    CHECK(rlp::decode(nested).error().is(errc::too_large));
    // integers: leading zeros and width
    CHECK(rlp::decode(hx("0x820004"))->to_uint256("x").error().is(errc::parse_error));
    CHECK(rlp::decode(hx("0x00"))->to_uint256("x").error().is(errc::parse_error));
    CHECK(rlp::decode(hx("0x80"))->to_uint256("x").value().is_zero());
    CHECK(rlp::decode(hx("0x89010000000000000000"))->to_u64("nonce").error().is(errc::overflow));
    CHECK(*rlp::decode(hx("0x88ffffffffffffffff"))->to_u64("nonce") == UINT64_MAX);
    CHECK(rlp::decode(hx("0xa1" + std::string(66, 'f').substr(0, 66)))->to_uint256("x").error().is(errc::overflow));
    CHECK(rlp::decode(hx("0xc0"))->to_uint256("x").error().is(errc::parse_error));
    // random garbage never crashes (and mostly fails)
    std::uint64_t x = 0x9e3779b97f4a7c15ULL;
    int ok = 0;
    for (int i = 0; i < 5000; ++i) {
        bytes d(1 + i % 40);
        for (auto& b : d) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; b = static_cast<byte>(x); }
        if (auto r = rlp::decode(d)) {
            ++ok;
            CHECK(rlp::encode(*r) == d);  // anything accepted is canonical
        }
    }
    CHECK(ok < 5000);
}
