// ABI encoder/decoder: storage.json submit calldata, round trips, hostile inputs, typed layer.
#include <zerog/codec/abi.hpp>

#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace zerog;
using abi::value;

namespace {
bytes hx(std::string_view s) { return from_hex(s).value(); }
std::string word_hex(std::uint64_t v) { return to_hex(uint256(v).to_be_bytes(), false); }
bytes words(std::initializer_list<std::string_view> ws) {
    std::string s = "0x";
    for (auto w : ws) s += w;
    return hx(s);
}
crypto::address addr(std::string_view s) { return crypto::address::parse(s).value(); }
}  // namespace

TEST_CASE("abi: Flow.submit calldata reproduces storage.json", "[codec][abi]") {
    const auto f = abi::function::parse("submit(((uint256,bytes,(bytes32,uint256)[]),address))").value();
    CHECK(to_hex(f.sel) == "0xbc8c11f8");
    const auto& vecs = testing::vectors("storage.json").at("vectors").as_array();
    int checked = 0;
    for (const auto& jv : vecs) {
        const auto& v = jv.as_object();
        if (!v.contains("submitCalldata")) continue;
        const auto& sub = v.at("submission").as_object();
        value::list nodes;
        for (const auto& n : sub.at("nodes").as_array()) {
            nodes.push_back(value::tuple({value::bytes(hx(n.at("root").as_string())),
                                          value::uint(uint256(static_cast<std::uint64_t>(n.at("height").to_number<std::int64_t>())))}));
        }
        const value submission = value::tuple(
            {value::tuple({value::uint(uint256(static_cast<std::uint64_t>(sub.at("length").to_number<std::int64_t>()))),
                           value::bytes(hx(sub.at("tags").as_string())), value::array(nodes)}),
             value::addr(addr(sub.at("submitter").as_string()))});
        const bytes calldata = f.encode_call({submission}).value();
        INFO("size " << v.at("size"));
        CHECK(to_hex(calldata) == std::string(v.at("submitCalldata").as_string()));
        // and back
        const auto decoded = f.decode_input(calldata).value();
        REQUIRE(decoded.size() == 1);
        CHECK(decoded[0] == submission);
        ++checked;
    }
    CHECK(checked >= 2);
}

TEST_CASE("abi: selectors and typed calls", "[codec][abi]") {
    CHECK(to_hex(abi::function_selector("transfer(address,uint256)")) == "0xa9059cbb");
    CHECK(to_hex(abi::encode_call("pricePerSector()").value()) == "0x61ec5082");
    CHECK(to_hex(abi::encode_call("market()").value()) == "0x80f55605");
    const auto a = addr("0x1111111111111111111111111111111111111111");
    const bytes c = abi::encode_call("transfer(address,uint256)", a, uint256(1000)).value();
    CHECK(to_hex(c) == "0xa9059cbb" + std::string(24, '0') + std::string(40, '1') + word_hex(1000));
    // human-readable signatures canonicalise before hashing
    const auto f = abi::function::parse("function getLedger(address user) view returns ((address user, uint256 availableBalance, "
                                        "uint256 totalBalance, string additionalInfo))").value();
    CHECK(f.sig.canonical() == "getLedger(address)");
    CHECK(to_hex(f.sel) == "0xf7cd6af9");
    CHECK(f.out_types.at(0).canonical() == "(address,uint256,uint256,string)");
    // typed decode
    CHECK(abi::decode_as<uint256>("uint256", hx("0x" + word_hex(30733644962))).value() == uint256(30733644962ULL));
    auto [s, n] = abi::decode_as<std::string, std::uint64_t>("(string,uint64)", abi::encode(abi::parse_type("(string,uint64)").value(),
                                                                                           {value::string("hi"), value::uint(7)}).value()).value();
    CHECK(s == "hi");
    CHECK(n == 7);
    CHECK(abi::decode_as<std::uint8_t>("uint256", hx("0x" + word_hex(256))).error().is(errc::overflow));
    CHECK(abi::decode_as<std::int8_t>("int256", abi::encode(abi::parse_type("int256").value(), {value::integer(-128)}).value()).value() == -128);
    CHECK_FALSE(abi::decode_as<std::int8_t>("int256", abi::encode(abi::parse_type("int256").value(), {value::integer(-129)}).value()));
    // wrong argument count / kind
    CHECK(abi::encode_call("transfer(address,uint256)", a).error().is(errc::invalid_argument));
    CHECK(abi::encode_call("transfer(address,uint256)", uint256(1), uint256(2)).error().is(errc::invalid_argument));
}

TEST_CASE("abi: type parsing", "[codec][abi]") {
    CHECK(abi::parse_type("uint").value().canonical() == "uint256");
    CHECK(abi::parse_type("tuple(int,bytes1)[2][]").value().canonical() == "(int256,bytes1)[2][]");
    CHECK(abi::parse_type("(uint256 length, bytes tags, (bytes32 root, uint256 height)[] nodes)").value().names.at(2) == "nodes");
    const auto t = abi::parse_type("uint8[3][]").value();
    CHECK(t.k == abi::kind::array);
    CHECK(t.children[0].k == abi::kind::fixed_array);
    CHECK(t.children[0].length == 3);
    for (const char* bad : {"uint7", "uint264", "uint08", "bytes33", "bytes0", "(uint256", "uint256[", "uint256[01]", "uint256)", "", "foo",
                            "uint256[99999999999999999999]", "uint256[4294967296][4294967296]"}) {
        INFO(bad);
        CHECK_FALSE(abi::parse_type(bad));
    }
    CHECK(abi::parse_type("fixed128x18").error().is(errc::not_supported));
    const auto ev = abi::parse_signature("event Submit(address indexed sender, bytes32 indexed identity, uint256 submissionIndex, uint256 "
                                         "startPos, uint256 length, (uint256 length, bytes tags, (bytes32 root,uint256 height)[] nodes) submission)")
                        .value();
    CHECK(ev.inputs[0].indexed);
    CHECK_FALSE(ev.inputs[2].indexed);
    CHECK(ev.inputs[5].name == "submission");
    CHECK(to_hex(crypto::keccak256(ev.canonical())) == "0x167ce04d2aa1981994d3a31695da0d785373335b1078cec239a1a3a2c7675555");
    CHECK_FALSE(abi::parse_signature("function f(uint256 indexed x)"));
    CHECK_FALSE(abi::parse_signature("f(uint256) bogus"));
}

TEST_CASE("abi: round trips of every type family", "[codec][abi]") {
    const auto t = abi::parse_type("(uint8,int16,int256,address,bool,bytes3,bytes,string,uint32[2],(bool,string)[],string[2],((uint256)[])[1],bytes32)")
                       .value();
    bytes big(100);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<byte>(i * 7);
    const value::list vs{value::uint(255), value::integer(-32768), value::integer(-1),
                         value::addr(addr("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")), value::boolean(true), value::bytes(bytes{1, 2, 3}),
                         value::bytes(big), value::string("héllo"), value::array({value::uint(1), value::uint(0xffffffff)}),
                         value::array({value::tuple({value::boolean(false), value::string("")}), value::tuple({value::boolean(true), value::string(std::string(40, 'x'))})}),
                         value::array({value::string("a"), value::string("b")}),
                         value::array({value::tuple({value::array({value::tuple({value::uint(uint256::max())})})})}),
                         value::bytes(bytes(32, 0xee))};
    const bytes enc = abi::encode(t, vs).value();
    CHECK(enc.size() % 32 == 0);
    CHECK(abi::decode(t, enc).value() == vs);
    // zero-length dynamic fixed arrays are dynamic but empty: their offset may point at the very end
    // (ethers: encode(['uint256','string[0]'], [5, []]))
    const auto z = abi::parse_type("(uint256,string[0])").value();
    const bytes zenc = hx("0x" + word_hex(5) + word_hex(0x40));
    CHECK(abi::encode(z, {value::uint(5), value::array({})}).value() == zenc);
    CHECK(abi::decode(z, zenc).value() == value::list{value::uint(5), value::array({})});
    // range checks on encode
    CHECK(abi::encode(abi::parse_type("uint8").value(), {value::uint(256)}).error().is(errc::invalid_argument));
    CHECK(abi::encode(abi::parse_type("int8").value(), {value::integer(128)}).error().is(errc::invalid_argument));
    CHECK(abi::encode(abi::parse_type("int8").value(), {value::integer(-128)}));
    CHECK_FALSE(abi::encode(abi::parse_type("int8").value(), {value::integer(-129)}));
    CHECK_FALSE(abi::encode(abi::parse_type("bytes3").value(), {value::bytes(bytes{1, 2})}));
    CHECK_FALSE(abi::encode(abi::parse_type("uint256[2]").value(), {value::array({value::uint(1)})}));
    const auto e = abi::encode(abi::parse_type("(uint256,(bool,uint8))").value(), {value::uint(1), value::tuple({value::boolean(true), value::uint(300)})});
    REQUIRE_FALSE(e);
    CHECK(e.error().detail().find("in [1][1]") != std::string::npos);
    CHECK(abi::format(abi::parse_type("(int8 a,address b,string c)").value(),
                      value::tuple({value::integer(-5), value::addr(addr("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")), value::string("q\"")})) ==
          "(a=-5, b=0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed, c=\"q\\\"\")");
}

TEST_CASE("abi: arrays of zero-size elements are refused at parse time (no unbounded decoding)", "[codec][abi]") {
    // Each would decode billions of values from a handful of bytes.
    for (const char* hostile : {"()[4294967295]", "uint256[0][20000000]", "()[]", "(uint256[0],())[]", "(()[3])"}) {
        INFO(hostile);
        auto t = abi::parse_type(hostile);
        REQUIRE_FALSE(t);
        CHECK(t.error().detail().find("zero-size element") != std::string::npos);
    }
    // Still accepted: a zero-size value on its own, and dynamic zero-length arrays (ethers encodes them).
    CHECK(abi::parse_type("uint256[0]"));
    CHECK(abi::parse_type("()"));
    CHECK(abi::parse_type("string[0][]"));
}

TEST_CASE("abi: hostile and non-canonical inputs are rejected precisely", "[codec][abi]") {
    const std::string w0 = word_hex(0), w1 = word_hex(1), w20 = word_hex(0x20), w40 = word_hex(0x40);
    auto dec = [](std::string_view types, const bytes& d) { return abi::decode(types, d); };
    auto detail = [](const auto& r) { return r.error().detail(); };

    // bool must be 0/1
    auto r = dec("bool", words({word_hex(2)}));
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::parse_error));
    CHECK(detail(r).find("offset 0") != std::string::npos);
    // address upper bytes
    r = dec("(uint256,address)", words({w0, "01" + std::string(62, '0')}));
    REQUIRE_FALSE(r);
    CHECK(detail(r).find("in [1]") != std::string::npos);
    CHECK(detail(r).find("offset 32 (0x20)") != std::string::npos);
    // uint8 high bits, int8 sign extension
    CHECK_FALSE(dec("uint8", words({word_hex(256)})));
    CHECK(dec("int8", words({std::string(62, 'f') + "80"})));
    CHECK_FALSE(dec("int8", words({std::string(62, 'f') + "7f"})));
    CHECK_FALSE(dec("int8", words({word_hex(0x80)})));
    // bytesN padding
    CHECK_FALSE(dec("bytes1", words({"0101" + std::string(60, '0')})));
    // truncated data, misaligned length
    r = dec("(uint256,uint256)", words({w1}));
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::invalid_length));
    CHECK(detail(r).find("offset 32") != std::string::npos);
    CHECK(dec("uint256", hx("0x00")).error().is(errc::invalid_length));
    // offsets beyond data / into the heads / huge
    CHECK(dec("bytes", words({word_hex(0x40), w0})).error().is(errc::out_of_range));
    CHECK(dec("bytes", words({w0, w0})).error().is(errc::out_of_range));
    CHECK(dec("bytes", words({std::string(64, 'f'), w0})).error().is(errc::out_of_range));
    // length larger than the data, length near 2^256
    CHECK(dec("bytes", words({w20, word_hex(33), w0})).error().is(errc::invalid_length));
    CHECK(dec("bytes", words({w20, std::string(64, 'f')})).error().is(errc::invalid_length));
    CHECK(dec("uint256[]", words({w20, word_hex(1000000)})).error().is(errc::invalid_length));
    CHECK(dec("string[]", words({w20, std::string(64, 'f')})).error().is(errc::invalid_length));
    // non-zero padding after bytes
    CHECK(dec("bytes", words({w20, w1, "0102" + std::string(60, '0')})).error().is(errc::parse_error));
    CHECK(dec("bytes", words({w20, w1, "01" + std::string(62, '0')})));
    // aliasing offsets (zip bomb): 3 string[] heads pointing at the same tail
    const bytes bomb = words({w20, word_hex(3), word_hex(0x60), word_hex(0x60), word_hex(0x60), w1, w20, w1, "41" + std::string(62, '0')});
    r = dec("string[][]", bomb);
    REQUIRE_FALSE(r);
    CHECK(detail(r).find("alias") != std::string::npos);
    // a canonical equivalent decodes
    CHECK(dec("string[][]", abi::encode(abi::parse_type("(string[][])").value(),
                                        {value::array({value::array({value::string("A")})})}).value()));
    // never reads out of bounds on random garbage (ASan/valgrind builds catch a violation)
    std::uint64_t x = 88172645463325252ULL;
    const auto t = abi::parse_type("(uint8,bytes,(bool,string[])[],address[2],int32)").value();
    int ok = 0;
    for (int i = 0; i < 3000; ++i) {
        bytes d(32 * (1 + i % 12));
        for (auto& b : d) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; b = static_cast<byte>((x & 3) ? (x >> 8) % 3 : x >> 16); }
        ok += dec(t.canonical(), d) ? 1 : 0;
    }
    CHECK(ok < 3000);
}
