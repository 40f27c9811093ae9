// `zerog gateway keys issue|list|revoke` (tools/gateway/cmd_keys.cpp) through the CLI binary, on an
// SQLite file and on a PostgreSQL database (tests/support/postgres.hpp): a key is printed once and
// stored only hashed; list never shows a key or a hash; revocation holds and keeps its first time;
// usage errors exit 2 and name what is wrong; a database that cannot hold keys is refused (exit 1).
#include <catch2/catch.hpp>
#include <postgres.hpp>
#include <test_support.hpp>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using zerog::testing::run_command;
using zerog::testing::shell_quote;

namespace {

std::string slurp_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// Issue, list, revoke against the database `db` (a path or a postgresql:// URL). `stored` returns
/// every byte the database holds where that can be read (the SQLite file and its WAL), else "".
void keys_round_trip(const std::string& db, const std::function<std::string()>& stored) {
    const auto exe = zerog::testing::zerog_cli_path();
    REQUIRE(fs::exists(exe));
    const std::string Z = "env -u ZEROG_CONFIG -u ZEROG_PROFILE ZEROG_DB=" + shell_quote(db) + " " + shell_quote(exe) + " gateway keys ";

    auto [rc, out] = run_command(Z + "issue --user alice --scope usage,files --expires 30d --json 2>&1");
    INFO(out);
    REQUIRE(rc == 0);
    const auto issued = boost::json::parse(out).as_object();
    const std::string id(issued.at("id").as_string()), key(issued.at("key").as_string());
    CHECK(issued.at("user") == "alice");
    CHECK(issued.at("scopes") == boost::json::parse(R"(["files","usage"])"));  // canonical order
    CHECK(issued.at("expires").is_string());
    CHECK(key.size() == 85);
    CHECK(key.rfind("zgk_" + id + "_", 0) == 0);
    auto [rc2, out2] = run_command(Z + "issue --user bob 2>&1");  // the text form: the key once, and the warning
    INFO(out2);
    REQUIRE(rc2 == 0);
    CHECK(out2.find("shown only now") != std::string::npos);
    CHECK(out2.find("expires  never") != std::string::npos);
    const auto bob_at = out2.find("key      zgk_");
    REQUIRE(bob_at != std::string::npos);
    const std::string bob_key = out2.substr(bob_at + 9, 85);

    // Stored: never the key, never its secret part.
    const std::string bytes = stored();
    for (const std::string& k : {key, bob_key}) {
        CHECK(bytes.find(k) == std::string::npos);
        CHECK(bytes.find(k.substr(21)) == std::string::npos);
    }

    auto [rc3, listed] = run_command(Z + "list --json 2>&1");
    INFO(listed);
    REQUIRE(rc3 == 0);
    const auto all = boost::json::parse(listed).as_array();
    REQUIRE(all.size() == 2);  // oldest first; the two were issued within one second, so by id
    const auto& alice_entry = all[0].at("user") == "alice" ? all[0] : all[1];
    const auto& bob_entry = all[0].at("user") == "alice" ? all[1] : all[0];
    CHECK(alice_entry.at("id") == id.c_str());
    CHECK(alice_entry.at("state") == "active");
    CHECK(bob_entry.at("user") == "bob");
    CHECK(bob_entry.at("expires").is_null());
    CHECK(listed.find("zgk_") == std::string::npos);
    CHECK(listed.find("sha256:") == std::string::npos);
    auto [rc4, alice_only] = run_command(Z + "list --user alice --json 2>&1");
    REQUIRE(rc4 == 0);
    CHECK(boost::json::parse(alice_only).as_array().size() == 1);
    CHECK(boost::json::parse(run_command(Z + "list --user carol --json").second).as_array().empty());

    auto [rc5, revoked] = run_command(Z + "revoke " + id + " --json 2>&1");
    INFO(revoked);
    REQUIRE(rc5 == 0);
    const std::string first_time(boost::json::parse(revoked).at("revoked").as_string());
    auto [rc6, again] = run_command(Z + "revoke " + id + " --json 2>&1");  // idempotent: the first time stays
    REQUIRE(rc6 == 0);
    CHECK(boost::json::parse(again).at("revoked") == first_time.c_str());
    CHECK(boost::json::parse(run_command(Z + "list --user alice --json").second).as_array().at(0).at("state") == "revoked");
    auto [rc7, unknown] = run_command(Z + "revoke 0123456789abcdef 2>&1");
    CHECK(rc7 == 1);
    CHECK(unknown.find("no API key with id 0123456789abcdef") != std::string::npos);

    // Usage errors: exit 2, saying what is wrong, storing nothing.
    for (const char* bad : {"issue", "issue --user 'a b'", "issue --user alice --scope admin", "issue --user alice --scope ''",
                            "issue --user alice --expires 5s", "issue --user alice --expires 20y", "issue --user alice --frobnicate 1",
                            "revoke", "revoke 0123", "revoke ../../etc", "frob", ""}) {
        auto [brc, bout] = run_command(Z + bad + " 2>&1");
        INFO(bad << ": " << bout);
        CHECK(brc == 2);
        CHECK(bout.find("zerog gateway keys: ") != std::string::npos);
    }
    CHECK(boost::json::parse(run_command(Z + "list --json").second).as_array().size() == 2);
}

}  // namespace

TEST_CASE("zerog gateway keys: issued once, stored hashed, listed without secrets, revoked for good", "[gateway][keys][secrets]") {
    SECTION("SQLite") {
        zerog::testing::scoped_temp_dir t("zerog-gateway-keys-");
        const fs::path db = t.path / "gateway.db";
        keys_round_trip(db.string(), [&] { return slurp_bytes(db) + slurp_bytes(fs::path(db.string() + "-wal")); });
    }
    SECTION("PostgreSQL") {
        const std::string url = zerog::testing::postgres_server::instance().fresh_database();
        keys_round_trip(url, [] { return std::string(); });  // the store suite (tests/store) reads the table itself
    }
    SECTION("a database that cannot hold keys is refused, naming what is needed") {
        const auto exe = zerog::testing::zerog_cli_path();
        auto [rc, out] = run_command("env -u ZEROG_CONFIG -u ZEROG_PROFILE ZEROG_DB=:memory: " + shell_quote(exe) + " gateway keys issue --user alice --json 2>&1");
        INFO(out);
        CHECK(rc == 1);
        CHECK(out.find("SQLite or PostgreSQL") != std::string::npos);
        CHECK(out.find("zgk_") == std::string::npos);  // no key printed for a key that was not stored
    }
}
