// Request shape: headers, paths (percent-encoding), chat-key extraction.
#include <zerog/compute/request.hpp>

#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace zerog;
using namespace zerog::compute;

TEST_CASE("request headers and paths match the SDK's HTTP request", "[compute][request]") {
    const auto& v = testing::vectors("compute.json").at("current_session_token").at("http_request");
    const std::string auth(v.at("headers").at("Authorization").as_string());
    auto h = request_headers(auth);
    REQUIRE(h.size() == v.at("headers").as_object().size());
    for (auto& [name, value] : h) CHECK(std::string(v.at("headers").at(name).as_string()) == value);
    const std::string url(v.at("url").as_string());
    CHECK(url.substr(url.size() - chat_completions_path.size()) == chat_completions_path);

    CHECK(signature_path("3f2b-uuid", "qwen-2.5-7b-instruct").value() == "/v1/proxy/signature/3f2b-uuid?model=qwen-2.5-7b-instruct");
    CHECK(signature_path("a/../b?x", "meta-llama/Llama 3").value() == "/v1/proxy/signature/a%2F..%2Fb%3Fx?model=meta-llama%2FLlama%203");
    CHECK(signature_path("", "m").error().is(errc::invalid_argument));
    CHECK(unsettled_fee_path(crypto::address::parse("0x70997970c51812dc3a010c7d01b50e0d17dc79c8").value()) ==
          "/v1/user/0x70997970C51812dc3A010C7d01b50e0d17dc79C8/unsettledfee");
}

TEST_CASE("chat key: ZG-Res-Key first, body id as fallback", "[compute][request]") {
    CHECK(chat_key_of(std::string_view("uuid-1"), R"({"id":"chatcmpl-123"})").value() == "uuid-1");
    CHECK(chat_key_of(std::nullopt, R"({"id":"chatcmpl-123"})").value() == "chatcmpl-123");
    CHECK(chat_key_of(std::string_view(""), R"({"id":"chatcmpl-123"})").value() == "chatcmpl-123");
    CHECK(chat_key_of(std::nullopt, R"({"id":7})").error().is(errc::not_found));
    CHECK(chat_key_of(std::nullopt, "data: {").error().is(errc::malformed_response));
}
