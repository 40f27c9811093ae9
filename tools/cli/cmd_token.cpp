// `zerog token`: print the 0G Compute Authorization header value ("Bearer app-sk-…") for a provider.
//
// The key comes from ZG_PRIVATE_KEY only (never a flag: flags end up in shell history and `ps`),
// and neither the key nor any of its digits is ever printed. The header itself is a bearer
// credential for the user's sub-account with that provider: treat the output like an API key.
#include "cli.hpp"

#include <zerog/compute/session_token.hpp>
#include <zerog/crypto/private_key.hpp>
#include <zerog/crypto/secp256k1_signer.hpp>

#include <charconv>
#include <cstdio>
#include <string>
#include <vector>

namespace {

constexpr const char* cmd = "token";

/// Strict decimal parse of a flag value into T (no sign unless T is signed, no trailing text).
template <class T>
bool parse_int(const std::string& s, T& out) {
    if (s.empty()) return false;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

int token(const std::vector<std::string>& raw) {
    using namespace zerog;
    cli::args a(raw, {});
    if (!a.errors().empty()) return cli::usage_error(cmd, a.errors().front());
    if (auto u = a.unknown({"provider", "timestamp-ms", "expires-at-ms", "nonce", "generation", "token-id", "lifetime-ms"}); !u.empty())
        return cli::usage_error(cmd, "unknown option " + u.front());
    if (!a.positional().empty()) return cli::usage_error(cmd, "unexpected argument '" + a.positional().front() + "'");
    const auto provider_s = a.get("provider");
    if (!provider_s) return cli::usage_error(cmd, "--provider is required");
    auto provider = crypto::address::parse(*provider_s);
    if (!provider) return cli::usage_error(cmd, "--provider: " + provider.error().message());

    compute::session_token_options opt;
    auto int_flag = [&](const char* name, auto& dst) -> bool {
        if (auto v = a.get(name)) {
            std::remove_reference_t<decltype(dst)> x{};
            if (!parse_int(*v, x)) return false;
            dst = x;
        }
        return true;
    };
    std::int64_t ts = 0, exp = 0, lifetime = 0;
    unsigned token_id = compute::ephemeral_token_id;
    if (!int_flag("timestamp-ms", ts)) return cli::usage_error(cmd, "--timestamp-ms must be an integer (Unix ms)");
    if (!int_flag("expires-at-ms", exp)) return cli::usage_error(cmd, "--expires-at-ms must be an integer (Unix ms, 0 = never)");
    if (!int_flag("generation", opt.generation)) return cli::usage_error(cmd, "--generation must be a non-negative integer");
    if (!int_flag("token-id", token_id) || token_id > 255) return cli::usage_error(cmd, "--token-id must be 0..255 (255 = ephemeral)");
    if (!int_flag("lifetime-ms", lifetime)) return cli::usage_error(cmd, "--lifetime-ms must be an integer");
    if (a.has("timestamp-ms")) opt.timestamp_ms = ts;
    if (a.has("expires-at-ms")) opt.expires_at_ms = exp;
    if (a.has("lifetime-ms")) opt.lifetime = std::chrono::milliseconds(lifetime);
    if (auto n = a.get("nonce")) opt.nonce = *n;
    opt.token_id = static_cast<std::uint8_t>(token_id);

    auto key = crypto::load_private_key_from_env();
    if (!key) {
        if (key.error().is(errc::not_found))
            return cli::report(cmd, zerog::error(errc::not_found, "ZG_PRIVATE_KEY is not set (export the user's private key as 0x-hex)"));
        return cli::report(cmd, key.error());  // never contains key digits (private_key.hpp)
    }
    crypto::secp256k1_signer signer(std::move(*key));
    auto t = compute::make_session_token(signer, *provider, opt);
    if (!t) return cli::report(cmd, t.error());
    std::printf("%s\n", t->authorization.c_str());
    return 0;
}

}  // namespace

ZEROG_COMMAND(reg_token, "token",
              "token --provider ADDR [--timestamp-ms T] [--expires-at-ms E] [--nonce S] [--generation G] [--token-id N] "
              "[--lifetime-ms L]   (key from ZG_PRIVATE_KEY; prints the Authorization header value)",
              token);
