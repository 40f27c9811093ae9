#include <zerog/core/result.hpp>

#include <catch2/catch.hpp>

using namespace zerog;

TEST_CASE("error carries a code in the zerog category and a context chain, outermost first") {
    error e(errc::proof_invalid, "sibling 2 does not match");
    e.during("verifying segment").with("segment", "3");
    e.during("downloading file").at("https://user:pass@node.example:5678/rpc/SECRETKEY?x=1").with("root", "0xabc");
    CHECK(e.code().category().name() == std::string("zerog"));
    CHECK(e.is(errc::proof_invalid));
    CHECK(e.message() ==
          "while downloading file (root=0xabc) at https://node.example:5678: while verifying segment (segment=3): "
          "invalid merkle proof: sibling 2 does not match");
    CHECK(e.message().find("SECRETKEY") == std::string::npos);
    CHECK(e.message().find("pass") == std::string::npos);
}

TEST_CASE("redact_endpoint keeps only scheme, host and port") {
    CHECK(redact_endpoint("http://127.0.0.1:8545") == "http://127.0.0.1:8545");
    CHECK(redact_endpoint("https://rpc.example.org/v2/abcdef123") == "https://rpc.example.org");
    CHECK(redact_endpoint("https://k:s@h:1?apikey=1#f") == "https://h:1");
    CHECK(redact_endpoint("host:99/path") == "host:99");
}

namespace {
result<int> parse_positive(int v) {
    if (v <= 0) return fail(errc::out_of_range, "must be positive");
    return v;
}
result<int> doubled(int v) {
    ZEROG_TRY(int x, parse_positive(v));
    return 2 * x;
}
result<void> check_even(int v) {
    if (v % 2) return fail(errc::invalid_argument, "odd");
    return {};
}
result<int> checked(int v) {
    ZEROG_CHECK(check_even(v));
    return v;
}
}  // namespace

TEST_CASE("result<T> propagates values and errors") {
    CHECK(*doubled(4) == 8);
    auto r = doubled(-1);
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::out_of_range));
    CHECK_THROWS_AS(r.value(), zerog::exception);
    CHECK(*checked(2) == 2);
    CHECK_FALSE(checked(3));
    auto ctx = doubled(0).during("computing twice");
    CHECK(ctx.error().message() == "while computing twice: value out of range: must be positive");
    boost::system::error_code ec = errc::timeout;
    CHECK(ec.message() == "timed out");
}

TEST_CASE("a frame without an operation prints only its endpoint and identifiers") {
    error e(errc::timeout, "no answer");
    e.at("http://127.0.0.1:1/x");
    CHECK(e.message() == "at http://127.0.0.1:1: timed out: no answer");
    error f(errc::timeout);
    f.with("segment", "2");
    CHECK(f.message() == "(segment=2): timed out");
}
