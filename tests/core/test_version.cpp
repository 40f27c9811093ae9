#include <zerog/core/version.hpp>

#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

TEST_CASE("zerog::version is meson.build's project version") {
    std::ifstream in(zerog::testing::env_dir("ZEROG_SOURCE_DIR", ".") + "/meson.build");
    REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    const auto at = text.find("version : '");
    REQUIRE(at != std::string::npos);
    const auto start = at + 11, end = text.find('\'', start);
    CHECK(text.substr(start, end - start) == zerog::version);
}
