#include <zerog/observe/json_logger.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <random>

using namespace zerog;
using namespace zerog::policy;

TEST_CASE("json logger writes one valid JSON object per line, filtered by level", "[logging]") {
    std::vector<std::string> out;
    observe::json_logger log(log_level::info, [&](std::string_view l) { out.emplace_back(l); });
    const field f[] = {{"root", "0xabc"}, {"size", std::uint64_t(257)}, {"ratio", 0.5}, {"quote", "a\"b\n"}};
    log.log(log_level::debug, "hidden", f);
    log.log(log_level::info, "upload.done", f);
    log.alert("budget_80", {});
    REQUIRE(out.size() == 2);
    auto v = boost::json::parse(out[0]).as_object();
    CHECK(v.at("level").as_string() == "info");
    CHECK(v.at("event").as_string() == "upload.done");
    CHECK(v.at("size").as_int64() == 257);
    CHECK(v.at("quote").as_string() == "a\"b\n");
    CHECK(v.at("ts").as_string().size() == 24);
    CHECK(boost::json::parse(out[1]).at("event").as_string() == "alert.budget_80");
}

TEST_CASE("ZEROG_LOG_LEVEL selects the level", "[logging]") {
    ::setenv("ZEROG_LOG_LEVEL", "debug", 1);
    CHECK(observe::json_logger::from_env().level() == log_level::debug);
    ::setenv("ZEROG_LOG_LEVEL", "error", 1);
    CHECK(observe::json_logger::from_env().level() == log_level::error);
    ::unsetenv("ZEROG_LOG_LEVEL");
    CHECK(observe::json_logger::from_env().level() == log_level::warn);
}

TEST_CASE("key material never reaches a log line", "[logging][secrets]") {
    std::mt19937_64 rng(std::random_device{}());
    fixed_bytes<32> key;
    for (auto& b : key) b = static_cast<byte>(rng());
    observe::secret_registry::instance().add_key(key);
    const std::string hex = to_hex(key, false);
    std::string upper = hex;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));

    std::vector<std::string> out;
    observe::json_logger log(log_level::trace, [&](std::string_view l) { out.emplace_back(l); });
    const std::string msg = "oops " + hex + " and 0x" + upper + ".";
    const std::string bearer = "Bearer app-sk-eyJhZGRyZXNzIjoiMHg3MDk5In0=";
    const std::string root = "0x" + std::string(64, 'a');
    const field f[] = {{"note", msg},          {"private_key", "whatever"}, {"password", "hunter2"},
                       {"header", bearer},     {"root", root}};
    log.log(log_level::error, "failure", f);
    REQUIRE(out.size() == 1);
    const std::string& line = out[0];
    CHECK(line.find(hex) == std::string::npos);
    CHECK(line.find(upper) == std::string::npos);
    CHECK(line.find("hunter2") == std::string::npos);
    CHECK(line.find("whatever") == std::string::npos);
    CHECK(line.find("eyJhZGRyZXNzIjoiMHg3MDk5In0") == std::string::npos);
    CHECK(line.find("<redacted:key>") != std::string::npos);
    CHECK(line.find("0x" + std::string(64, 'a')) != std::string::npos);  // hashes are not secrets
    CHECK(boost::json::parse(line).is_object());
}

#include <zerog/crypto/private_key.hpp>

TEST_CASE("a loaded private key is scrubbed from log lines without being registered by hand", "[logging][secrets]") {
    // anvil development key #9 (public, never of value)
    const std::string hex = "2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6";
    auto key = crypto::private_key::from_hex(hex);
    REQUIRE(key);
    std::vector<std::string> out;
    observe::json_logger log(log_level::info, [&](std::string_view l) { out.emplace_back(l); });
    const std::string text = "leaked 0x" + hex;
    const field f[] = {{"detail", text}};
    log.log(log_level::warn, "oops", f);
    REQUIRE(out.size() == 1);
    CHECK(out[0].find(hex) == std::string::npos);
    CHECK(out[0].find("<redacted:key>") != std::string::npos);
}
