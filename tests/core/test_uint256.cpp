#include <zerog/core/amount.hpp>
#include <zerog/core/uint256.hpp>

#include <catch2/catch.hpp>

using namespace zerog;

TEST_CASE("uint256 decimal and hex conversions") {
    const char* max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
    CHECK(uint256::max().to_decimal() == max);
    CHECK(uint256::from_decimal(max)->to_decimal() == max);
    CHECK_FALSE(uint256::from_decimal("115792089237316195423570985008687907853269984665640564039457584007913129639936"));
    CHECK(uint256(0).to_decimal() == "0");
    CHECK(uint256(10000000000000000000ULL).to_decimal() == "10000000000000000000");
    CHECK((uint256(1) << 200).to_decimal() == "1606938044258990275541962092341162602522202993782792835301376");
    CHECK(uint256::from_quantity_hex("0x0")->is_zero());
    CHECK(*uint256::from_quantity_hex("0x40da") == uint256(16602));
    CHECK(uint256(16602).to_quantity_hex() == "0x40da");
    CHECK_FALSE(uint256::from_quantity_hex("0x"));
    CHECK_FALSE(uint256::from_quantity_hex("40da"));
    CHECK_FALSE(uint256::from_quantity_hex("0x01", true));
    CHECK_FALSE(uint256::from_decimal("-1"));
    CHECK_FALSE(uint256::from_decimal("1e5"));
    CHECK_FALSE(uint256::from_decimal(""));
    auto be = uint256(0x0102).to_be_bytes();
    CHECK(be[30] == 1);
    CHECK(be[31] == 2);
    CHECK(*uint256::from_be_bytes(be) == uint256(0x102));
    CHECK(uint256(0x0102).to_be_bytes_trimmed() == bytes{1, 2});
    CHECK(uint256(0).to_be_bytes_trimmed().empty());
}

TEST_CASE("uint256 checked arithmetic never wraps") {
    CHECK_FALSE(checked_add(uint256::max(), uint256(1)));
    CHECK_FALSE(checked_sub(uint256(1), uint256(2)));
    CHECK_FALSE(checked_mul(uint256(1) << 200, uint256(1) << 56));
    CHECK(*checked_mul(uint256(1) << 199, uint256(2)) == (uint256(1) << 200));
    CHECK(*checked_sub(uint256(1) << 128, uint256(1)) == uint256::from_limbs(~0ULL, ~0ULL, 0, 0));
    uint256 rem;
    const uint256 q = divmod(uint256::max(), uint256(1000000007), rem);
    CHECK(*checked_add(*checked_mul(q, uint256(1000000007)), rem) == uint256::max());
    CHECK((uint256::max() >> 255) == uint256(1));
}

TEST_CASE("token amounts parse and format exactly") {
    CHECK(*parse_token_amount("0.1") == uint256(100000000000000000ULL));
    CHECK(*parse_token_amount("1") == uint256(1000000000000000000ULL));
    CHECK(*parse_token_amount("0.000000000000000001") == uint256(1));
    CHECK(*parse_token_amount("1.") == uint256(1000000000000000000ULL));
    CHECK(*parse_token_amount(".5") == uint256(500000000000000000ULL));
    CHECK(format_token_amount(uint256(100000000000000000ULL)) == "0.1");
    CHECK(format_token_amount(uint256(1)) == "0.000000000000000001");
    CHECK(format_token_amount(uint256(0)) == "0");
    CHECK(format_token_amount(*parse_token_amount("123456.789")) == "123456.789");
    for (const char* bad : {"", ".", "-1", "+1", "0.0000000000000000001", "1.2.3", "1e18", " 1", "abc", "1,5",
                            "115792089237316195423570985008687907853269984665640564039457584007913129639935"}) {
        INFO(bad);
        auto r = parse_token_amount(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().is(errc::invalid_number));
    }
    CHECK(parse_token_amount("0.0000000000000000001").error().detail().find("more than 18 decimal places") != std::string::npos);
}
