// Secrets: refused in config files (without echoing them), loaded only from ZG_PRIVATE_KEY or a
// keystore, development keys refused on mainnet/testnet, and never printed by `config show`.
#include "config_test_util.hpp"

#include <zerog/client/startup_check.hpp>
#include <zerog/observe/redaction.hpp>

using namespace zerog;
using namespace zerog::config;
using namespace zerog::client;
using namespace zerog::config::testing;

namespace {
// The digits of dev key #0 without 0x: no output may contain them.
const std::string key0_digits = std::string(dev_keys[0]).substr(2);
const std::string other_digits = std::string(other_key).substr(2);

bool leaks(const std::string& text) {
    return text.find(key0_digits) != std::string::npos || text.find(other_digits) != std::string::npos ||
           text.find(other_digits.substr(0, 16)) != std::string::npos;
}
}  // namespace

TEST_CASE("a configuration file holding a private key is refused without echoing it", "[config]") {
    temp_dir dir;
    struct row {
        const char* name;
        std::string json;
        std::vector<std::string> fields;
    };
    const std::string k = other_key;
    const row rows[] = {
        {"privateKey", R"({"privateKey": ")" + k + R"("})", {"privateKey"}},
        {"private_key", R"({"private_key": ")" + k + R"("})", {"private_key"}},
        {"key", R"({"key": "anything"})", {"key"}},
        {"nested signer.key", R"({"signer": {"key": ")" + k + R"("}})", {"signer.key"}},
        {"mnemonic", R"({"mnemonic": "test test test test test test test test test test test junk"})", {"mnemonic"}},
        {"password", R"({"keystorePassword": "hunter2"})", {"keystorePassword"}},
        {"apiKey", R"({"apiKey": "abc"})", {"apiKey"}},
        {"raw key under a harmless name", R"({"flow": ")" + k + R"("})", {"flow"}},
        {"raw key without 0x", R"({"notes": ")" + other_digits + R"("})", {"notes"}},
        {"raw key in a list", R"({"rpc": ["https://a.example", ")" + k + R"("]})", {"rpc[1]"}},
        {"several at once", R"({"privateKey": ")" + k + R"(", "mnemonic": "x", "ledger": ")" + k + R"("})",
         {"privateKey", "mnemonic", "ledger"}},
    };
    for (const auto& r : rows) {
        SECTION(r.name) {
            const std::string path = dir.write("secret.json", r.json);
            auto rep = evaluate({environment{}, path});
            INFO(all_text(rep.problems));
            REQUIRE(rep.problems.size() == r.fields.size());
            for (std::size_t i = 0; i < r.fields.size(); ++i) {
                CHECK(rep.problems[i].field == r.fields[i]);
                CHECK(rep.problems[i].source == value_source::file(path));
                CHECK(rep.problems[i].message.find("ZG_PRIVATE_KEY") != std::string::npos);
                CHECK(rep.problems[i].message.find("keystore") != std::string::npos);
            }
            CHECK_FALSE(leaks(all_text(rep.problems)));
            auto strict = load({environment{}, path});
            REQUIRE_FALSE(strict);
            CHECK_FALSE(leaks(strict.error().message()));
            CHECK_FALSE(leaks(render_text(rep, describe_key({}, network::testnet))));
            // the whole file is refused: none of its other values were applied
            CHECK(rep.cfg.rpc_urls.source == value_source::profile("testnet"));
        }
    }
}

TEST_CASE("64 hex digits under a hash field are not mistaken for a key", "[config]") {
    temp_dir dir;
    const std::string path = dir.write("g.json", R"({"genesisHash": ")" + std::string(other_key) + R"("})");
    auto rep = evaluate({environment{}, path});
    INFO(all_text(rep.problems));
    CHECK(rep.ok());
    CHECK(rep.cfg.genesis_hash.value == other_key);
    CHECK(is_hash_field_name("merkle_root"));
    CHECK_FALSE(is_hash_field_name("flow"));
    CHECK(is_secret_field_name("Private-Key"));
    CHECK_FALSE(is_secret_field_name("publicKey"));
    CHECK_FALSE(is_secret_field_name("keystore"));  // a path is not a secret (and is not a file field either)
}

TEST_CASE("the development account table matches the published keys", "[config]") {
    for (int i = 0; i < 10; ++i) {
        auto k = crypto::private_key::from_hex(dev_keys[i]);
        REQUIRE(k);
        const auto a = crypto::address_of(*k);
        CHECK(a.to_checksum_hex() == development_account_addresses[static_cast<std::size_t>(i)]);
        CHECK(development_account_index(a) == i);
    }
    auto other = crypto::private_key::from_hex(other_key);
    REQUIRE(other);
    CHECK_FALSE(development_account_index(crypto::address_of(*other)));
}

TEST_CASE("development keys are refused on mainnet and testnet, allowed on devnet", "[config]") {
    for (int i = 0; i < 10; ++i) {
        const environment env({{"ZG_PRIVATE_KEY", dev_keys[i]}});
        for (network n : {network::mainnet, network::testnet}) {
            auto r = load_signing_key(env, n);
            REQUIRE_FALSE(r);
            CHECK(r.error().is(errc::unauthorized));
            const std::string msg = r.error().message();
            CHECK(msg.find("development account #" + std::to_string(i)) != std::string::npos);
            CHECK(msg.find(std::string(dev_keys[i]).substr(2)) == std::string::npos);
            CHECK(describe_key(env, n).refused);
        }
        auto ok = load_signing_key(env, network::devnet);
        REQUIRE(ok);
        REQUIRE(ok->has_value());
        CHECK((*ok)->address.to_checksum_hex() == development_account_addresses[static_cast<std::size_t>(i)]);
        CHECK_FALSE(describe_key(env, network::devnet).refused);
    }
}

TEST_CASE("signing key from ZG_PRIVATE_KEY", "[config]") {
    auto none = load_signing_key(environment{}, network::mainnet);
    REQUIRE(none);
    CHECK_FALSE(none->has_value());

    const environment env({{"ZG_PRIVATE_KEY", other_key}});
    auto k = load_signing_key(env, network::mainnet);
    REQUIRE(k);
    REQUIRE(k->has_value());
    CHECK((*k)->origin.where == "env:ZG_PRIVATE_KEY");
    CHECK(observe::scrub("log " + other_digits) == "log <redacted:key>");  // registered for redaction

    auto bad = load_signing_key(environment({{"ZG_PRIVATE_KEY", other_digits.substr(0, 63) + "z"}}), network::testnet);
    REQUIRE_FALSE(bad);
    CHECK_FALSE(leaks(bad.error().message()));
    CHECK(bad.error().message().find(other_digits.substr(0, 10)) == std::string::npos);

    auto both = load_signing_key(environment({{"ZG_PRIVATE_KEY", other_key}, {"ZG_KEYSTORE", "/k.json"}}), network::testnet);
    REQUIRE_FALSE(both);
    CHECK(both.error().is(errc::invalid_argument));
    CHECK(both.error().message().find("only one") != std::string::npos);
}

TEST_CASE("signing key from a keystore: env password, prompt, wrong password, dev key", "[config]") {
    temp_dir dir;
    crypto::keystore_options fast;
    fast.scrypt_n = 1 << 4;  // tiny work factor: this tests plumbing, not scrypt
    auto other = crypto::private_key::from_hex(other_key);
    REQUIRE(other);
    const std::string path = dir.write("ks.json", *crypto::encrypt_keystore(*other, "pw", fast));
    const auto expected = crypto::address_of(*other);

    auto via_env = load_signing_key(environment({{"ZG_KEYSTORE", path}, {"ZG_KEYSTORE_PASSWORD", "pw"}}), network::mainnet);
    REQUIRE(via_env);
    REQUIRE(via_env->has_value());
    CHECK((*via_env)->address == expected);
    CHECK((*via_env)->origin.where == "keystore:" + path);

    int asked = 0;
    auto via_prompt = load_signing_key(environment({{"ZG_KEYSTORE", path}}), network::mainnet, [&] {
        ++asked;
        return result<crypto::secret_string>(crypto::secret_string("pw"));
    });
    REQUIRE(via_prompt);
    CHECK(asked == 1);

    auto wrong = load_signing_key(environment({{"ZG_KEYSTORE", path}, {"ZG_KEYSTORE_PASSWORD", "nope"}}), network::mainnet);
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().is(errc::wrong_password));
    CHECK(wrong.error().message().find("nope") == std::string::npos);

    auto dev = crypto::private_key::from_hex(dev_keys[3]);
    const std::string dev_path = dir.write("dev.json", *crypto::encrypt_keystore(*dev, "pw", fast));
    auto refused = load_signing_key(environment({{"ZG_KEYSTORE", dev_path}, {"ZG_KEYSTORE_PASSWORD", "pw"}}), network::testnet);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().is(errc::unauthorized));

    // config show learns the address from the keystore without decrypting it
    const auto d = describe_key(environment({{"ZG_KEYSTORE", path}}), network::mainnet);
    REQUIRE(d.address);
    CHECK(*d.address == expected);
    CHECK_FALSE(d.refused);
    CHECK(describe_key(environment({{"ZG_KEYSTORE", dev_path}}), network::mainnet).refused);
}

TEST_CASE("config show output: key only as address or 'not set', sources shown, nothing secret", "[config]") {
    const environment env({{"ZEROG_PROFILE", "mainnet"}, {"ZG_PRIVATE_KEY", other_key},
                           {"ZEROG_RPC_URLS", "https://rpc.example/v2/APIKEY123"}});
    auto rep = evaluate({env});
    const auto key = describe_key(env, rep.cfg.profile.value);
    const std::string text = render_text(rep, key);
    const std::string json = boost::json::serialize(render_json(rep, key));
    for (const std::string& out : {text, json}) {
        CHECK_FALSE(leaks(out));
        CHECK(out.find("APIKEY123") == std::string::npos);
        CHECK(out.find("pass") == std::string::npos);
        CHECK(out.find(crypto::address_of(*crypto::private_key::from_hex(other_key)).to_checksum_hex()) != std::string::npos);
        CHECK(out.find("env:ZEROG_RPC_URLS") != std::string::npos);
        CHECK(out.find("env:ZG_PRIVATE_KEY") != std::string::npos);
        CHECK(out.find("profile:mainnet") != std::string::npos);
    }
    const auto doc = boost::json::parse(json);
    CHECK(doc.at("config").at("chainId").at("value").as_int64() == 16661);
    CHECK(doc.at("config").at("profile").at("source").as_string() == "env:ZEROG_PROFILE");
    CHECK(doc.at("config").at("limits.replicas").at("source").as_string() == "default");
    CHECK(doc.at("problems").as_array().empty());

    // Credentials in a URL: refused by validation (as the transport would refuse them), and the
    // problem names the field without echoing the URL's user, password or path.
    const environment creds({{"ZEROG_PROFILE", "mainnet"}, {"ZEROG_RPC_URLS", "https://user:s3cret@rpc.example/v2/APIKEY123"}});
    auto bad = evaluate({creds});
    const std::string bad_text = render_text(bad, describe_key(creds, bad.cfg.profile.value));
    CHECK(bad_text.find("credentials in the URL") != std::string::npos);
    for (const char* secret : {"s3cret", "APIKEY123", "user:"}) CHECK(bad_text.find(secret) == std::string::npos);

    auto unset = evaluate({});
    CHECK(render_text(unset, describe_key({}, network::testnet)).find("key                   not set") != std::string::npos);
    CHECK(render_json(unset, describe_key({}, network::testnet)).at("key").at("source").as_string() == "not set");
}

TEST_CASE("startup_check seam: the plan covers every endpoint, contract and provider", "[config]") {
    configuration c = *load({environment({{"ZEROG_PROFILE", "mainnet"},
                                   {"ZEROG_RPC_URLS", "https://a.example,https://b.example"},
                                   {"ZEROG_NODE_URLS", "https://n.example"},
                                   {"ZEROG_GENESIS_HASH", "0x" + std::string(64, '1')},
                                   {"ZEROG_PROVIDERS", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"}})});
    const auto plan = plan_startup_checks(c);
    std::vector<std::string> got;
    for (const auto& p : plan) got.push_back(std::string(to_string(p.kind)) + " " + p.field);
    CHECK(got == std::vector<std::string>{"chain_id rpc[0]", "chain_id rpc[1]", "genesis_hash genesisHash",
                                          "node_identity nodes[0]", "indexer indexer[0]", "contract_code flow",
                                          "contract_code ledger", "contract_code inference", "contract_code fineTuning",
                                          "provider providers[0]"});
    CHECK(startup_report{}.ok());
    check_outcome failed;
    failed.check = plan[0];
    failed.passed = false;
    CHECK_FALSE(startup_report{{failed}}.ok());
}
