// Pricing: usage extraction, the compute.json local fee booking, exact arithmetic, the pre-send
// estimate and the balance refusal.
#include <zerog/compute/pricing.hpp>

#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace zerog;
using namespace zerog::compute;

namespace {
const boost::json::value& cst() { return testing::vectors("compute.json").at("current_session_token"); }
const service_prices vector_prices{uint256(50'000'000'000ULL), uint256(100'000'000'000ULL)};  // 5e10 / 1e11 neuron per token
}  // namespace

TEST_CASE("local fee booking matches the SDK vector", "[compute][pricing]") {
    const std::string body(cst().at("tee_response_signature").at("response_body").as_string());
    auto u = parse_usage(body).value();
    CHECK(u == token_usage{9, 10});
    auto fee = fee_for(u, vector_prices).value();
    CHECK(fee.to_decimal() == std::string(cst().at("local_fee_booking").at("fee_neuron").as_string()));
    CHECK(fee == uint256(1'450'000'000'000ULL));
    // the bare usage object (what the SDK hands to processResponse) and the final SSE chunk
    CHECK(parse_usage(boost::json::serialize(cst().at("local_fee_booking").at("usage"))).value() == u);
    CHECK(parse_usage(R"({"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":10}})")
              .value() == u);
}

TEST_CASE("usage parsing rejects what is not usage", "[compute][pricing]") {
    CHECK(parse_usage(R"({"choices":[],"usage":null})").error().is(errc::not_found));
    CHECK(parse_usage(R"({"choices":[]})").error().is(errc::not_found));
    CHECK(parse_usage("data: {}").error().is(errc::malformed_response));
    CHECK(parse_usage(R"({"usage":{"prompt_tokens":-1,"completion_tokens":2}})").error().is(errc::malformed_response));
    CHECK(parse_usage(R"({"usage":{"prompt_tokens":1.5,"completion_tokens":2}})").error().is(errc::malformed_response));
    CHECK(parse_usage(R"({"usage":{"prompt_tokens":1}})").error().detail().find("completion_tokens") != std::string::npos);
}

TEST_CASE("fees are exact in 256 bits and refuse to overflow", "[compute][pricing]") {
    const uint256 big = uint256::max() >> 1;
    CHECK(fee_for({2, 0}, {big, 0}).value() == big + big);
    CHECK(fee_for({3, 0}, {big, 0}).error().is(errc::overflow));
    CHECK(fee_for({1, 1}, {big, big}).value() == big + big);
    CHECK(fee_for({1, 2}, {big, big}).error().is(errc::overflow));
    CHECK(fee_for({UINT64_MAX, UINT64_MAX}, {uint256(UINT64_MAX), uint256(UINT64_MAX)}).value() ==
          uint256(UINT64_MAX) * uint256(UINT64_MAX) * uint256(2));
}

TEST_CASE("pre-send estimate follows the documented estimator", "[compute][pricing]") {
    const std::string body(cst().at("http_request").at("body").as_string());  // one message, "hello"
    auto e = estimate_request_fee(body, vector_prices).value();
    CHECK(e.tokens.prompt_tokens == 5 + 4 + 3);
    CHECK(e.tokens.completion_tokens == 1024);
    CHECK(e.input_fee == uint256(12) * vector_prices.input_per_token);
    CHECK(e.total_fee == e.input_fee + uint256(1024) * vector_prices.output_per_token);

    estimate_options typical;
    typical.kind = estimate_options::mode::typical;
    CHECK(estimate_request_tokens(body, typical).value().prompt_tokens == 2 + 4 + 3);

    auto t = estimate_request_tokens(
                 R"({"model":"m","max_tokens":100,"n":2,"messages":[{"role":"system","content":"ab"},)"
                 R"({"role":"user","content":[{"type":"text","text":"cdé"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}],)"
                 R"("tools":[{"type":"function","function":{"name":"f","parameters":{}}}]})")
                 .value();
    CHECK(t.prompt_tokens == (2 + 4 + 1) + 2 * 4 + 3 + 1536);
    CHECK(t.completion_tokens == 200);
    CHECK(estimate_request_tokens(R"({"max_completion_tokens":7,"max_tokens":100,"messages":[]})").value().completion_tokens == 7);
    CHECK(estimate_request_tokens(R"({"prompt":"x"})").error().is(errc::invalid_argument));
    CHECK(estimate_request_tokens(R"({"messages":[],"max_tokens":-1})").error().is(errc::invalid_argument));
    CHECK(estimate_request_tokens("{").error().is(errc::invalid_argument));
}

TEST_CASE("a request the balance cannot cover is refused", "[compute][pricing]") {
    account_balance b;
    b.unsettled_fee = uint256(500'000'000'000'000'000ULL);  // 0.5 0G
    const uint256 fee(250'000'000'000'000'000ULL);            // 0.25 0G
    b.locked = uint256(1'750'000'000'000'000'000ULL);          // exactly 1 + 0.5 + 0.25
    CHECK(check_affordable(b, fee));
    b.locked = b.locked - uint256(1);
    auto r = check_affordable(b, fee);
    REQUIRE(!r);
    CHECK(r.error().is(errc::insufficient_funds));
    CHECK(r.error().detail() ==
          "insufficient balance: your locked balance is 1.749999999999999999 0G, but the required minimum is 1.75 0G "
          "(breakdown: minimum reserve 1 0G + unsettled fees 0.5 0G + current request fee 0.25 0G)");
    b.unsettled_fee = uint256::max();
    CHECK(check_affordable(b, fee).error().is(errc::overflow));
}

TEST_CASE("unsettled fee answers are parsed exactly", "[compute][pricing]") {
    CHECK(parse_unsettled_fee(R"({"unsettledFee":"123456789012345678901234567890"})").value().to_decimal() ==
          "123456789012345678901234567890");
    CHECK(parse_unsettled_fee(R"({"unsettledFee":42})").value() == uint256(42));
    CHECK(parse_unsettled_fee(R"({"unsettledFee":"-1"})").error().is(errc::malformed_response));
    CHECK(parse_unsettled_fee(R"({"unsettledFee":1.5})").error().is(errc::malformed_response));
    CHECK(parse_unsettled_fee(R"({"fee":"1"})").error().is(errc::malformed_response));
    CHECK(parse_unsettled_fee("<html>").error().is(errc::malformed_response));
}
