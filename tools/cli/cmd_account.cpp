// `zerog account [--profile P] [--json]`: the configured account's EIP-55 address and its
// compressed secp256k1 public key (0x + 66 hex digits), e.g. for a KV namespace member to hand
// the public key to the namespace's admin, who wraps the data key to it.
//
//   text:   address 0x…
//           public_key 0x…
//   --json: {"address":"0x…","publicKey":"0x…"}
//
// The key is the signing key every paying command uses (session.hpp: ZG_PRIVATE_KEY or
// ZG_KEYSTORE; on the devnet profile the devnet's faucet key when neither is set), refused the
// same way (development keys outside devnet). Nothing secret is printed: the public key and the
// address are derived from the private key, which never leaves this process. No key configured:
// exit 1 with the reason (on stdout as {"error":{…}} with --json).
#include "session.hpp"

#include <zerog/crypto/secp256k1_context.hpp>

#include <boost/json.hpp>

#include <cstdio>

namespace {

using namespace zerog;

constexpr const char* cmd = "account";

int fail_with(const zerog::error& e, bool js) { return cli::fail_with(cmd, e, js); }

int account(const std::vector<std::string>& raw) {
    const cli::args a(raw, {"json"});
    if (!a.errors().empty()) return cli::usage_error(cmd, a.errors().front());
    if (auto u = a.unknown({"json", "profile"}); !u.empty()) return cli::usage_error(cmd, "unknown option " + u.front());
    if (!a.positional().empty()) return cli::usage_error(cmd, "unexpected argument '" + a.positional().front() + "'");
    const bool js = a.has("json");
    const auto env = config::environment::from_process();
    auto cfg = cli::load_config(a.get("profile"), env);
    if (!cfg) return fail_with(cfg.error(), js);
    auto key = cli::signing_key(*cfg, env);
    if (!key) return fail_with(key.error(), js);  // never contains key digits (private_key.hpp)
    const std::string address = crypto::address_of(*key).to_checksum_hex();
    const std::string public_key = to_hex(crypto::compressed_public_key_of(*key));
    if (js) std::printf("%s\n", boost::json::serialize(boost::json::object{{"address", address}, {"publicKey", public_key}}).c_str());
    else std::printf("address %s\npublic_key %s\n", address.c_str(), public_key.c_str());
    return 0;
}

}  // namespace

ZEROG_COMMAND(reg_account, "account",
              "account [--profile P] [--json]   (the configured account's address and compressed public key; never the private key)",
              account);
