// Configuration of the compute provider emulator (compute_provider.hpp), its JSON form (what
// `zerog devnet up` writes to services/provider-<i>.json and `serve --role provider` reads), the
// broker-style error texts it answers with, and the public anvil dev keys it is meant to use.
//
// Thread safety: values and pure functions.
#pragma once

#include <zerog/core/amount.hpp>
#include <zerog/crypto/address.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

namespace zerog::devnet {

/// Anvil's default development keys (mnemonic "test test … junk"): public, never real funds. The
/// devnet uses #0 as deployer/contract owner; `provider_dev_keys(i)` picks per-provider keys.
inline constexpr const char* anvil_dev_keys[10] = {
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
};

/// Suggested keys of devnet provider `index`: provider #6 / TEE #7 for index 0, provider #8 /
/// TEE #9 for index 1 (users in tests and docs take #1–#4, the rogue signer #5). Only two
/// providers fit in anvil's ten keys (`max_devnet_providers` in compute_setup.hpp): index ≥ 2
/// returns #8/#9 again, so the caller must supply other keys (one account cannot register two
/// services).
struct provider_keys {
    std::string provider, tee;
};
inline provider_keys provider_dev_keys(unsigned index) {
    return index == 0 ? provider_keys{anvil_dev_keys[6], anvil_dev_keys[7]} : provider_keys{anvil_dev_keys[8], anvil_dev_keys[9]};
}

/// How a session-token nonce is bound to requests (our hardening; the Go broker keeps no nonces).
enum class replay_mode {
    off,          ///< as the Go broker: a token is a bearer credential reusable for any request
    per_request,  ///< ephemeral tokens (tokenId 255): the nonce is bound to the first request body
                  ///< it authorised; the same body again (a retry) passes, a different body is
                  ///< refused. Persistent API keys (0–254) are exempt: they are long-lived by design.
};

/// Everything a provider emulator needs. Keys are hex secp256k1 keys (anvil dev keys only).
struct compute_provider_config {
    std::string rpc_url;                      ///< the chain (anvil)
    std::uint64_t chain_id = 16602;
    crypto::address serving;                  ///< InferenceServing
    std::string provider_key;                 ///< the provider account (registers the service)
    std::string tee_key;                      ///< the TEE signer (signs responses)
    std::string owner_key;                    ///< InferenceServing owner; empty: no owner acknowledgement
    std::string rogue_key = anvil_dev_keys[5];  ///< "bad-signature" fault: signs with this instead
    bool register_service = true;             ///< false: assume the service is already on chain

    std::string service_type = "chatbot";
    std::string model = "zerog-devnet-rot13";
    std::string verifiability = "TeeML";
    std::string additional_info = R"({"ProviderType":"decentralized","TEEVerifier":"dstack","ImageName":"zerog-devnet-provider"})";
    uint256 input_price = uint256(50'000'000'000ULL);    ///< neuron per prompt token (0.05 0G / 1M)
    uint256 output_price = uint256(100'000'000'000ULL);  ///< neuron per completion token

    std::string listen_address = "127.0.0.1";
    std::uint16_t port = 0;                   ///< 0: ephemeral
    std::string public_url;                   ///< Service.url; empty: http://<listen_address>:<port>
    std::filesystem::path fault_file;         ///< faults/provider-<i>.json; empty: never faulty

    /// How long on-chain account/service state is reused (the broker caches a few minutes; short
    /// here so tests see revocations quickly).
    std::chrono::milliseconds state_ttl{1000};
    uint256 min_locked_balance = uint256(1'000'000'000'000'000'000ULL);  ///< MinimumLockedBalance (1 0G)
    replay_mode replay = replay_mode::per_request;
};

/// The broker's texts (compute.md §8, Go ctrl/request.go) besides the token ones in session_token.hpp.
namespace provider_messages {
inline constexpr std::string_view account_not_exist = "get account from contract, account not exist";
inline constexpr std::string_view user_not_acknowledged =
    "user not acknowledge the provider, please use acknowledgeProviderSigner function in sdk first, it will take effect in 2 minutes";
inline constexpr std::string_view service_not_acknowledged = "service not acknowledge the tee signer";
/// Ours (the broker has no replay protection): worded like the broker's token texts.
inline constexpr std::string_view nonce_replayed = "session token nonce has already been used for a different request";
inline constexpr std::string_view internal = "Internal Server Error";  ///< Go errors.Response hides 5xx texts
}  // namespace provider_messages

/// Neuron as 0G with 6 decimals, as the broker prints balances (big.Float Text('f', 6); rounds
/// half up here, Go rounds half to even: they differ only on an exact tie).
inline std::string format_0g_6(const uint256& neuron) {
    std::uint64_t rem = 0;
    uint256 q = (neuron + uint256(500'000'000'000ULL)).divmod_u64(1'000'000'000'000ULL, rem);  // micro-0G
    const uint256 whole = q.divmod_u64(1'000'000ULL, rem);
    std::string frac = std::to_string(rem);
    return whole.to_decimal() + "." + std::string(6 - frac.size(), '0') + frac;
}

namespace detail {
inline result<uint256> json_amount(const boost::json::object& o, const char* key, uint256 dflt) {
    const auto* v = o.if_contains(key);
    if (!v) return dflt;
    if (v->is_uint64()) return uint256(v->get_uint64());
    if (v->is_int64() && v->get_int64() >= 0) return uint256(static_cast<std::uint64_t>(v->get_int64()));
    if (v->is_string()) return uint256::from_decimal(std::string_view(v->get_string()));
    return fail(errc::invalid_argument, std::string("provider config: ") + key + " must be a decimal neuron string");
}
}  // namespace detail

/// Read the JSON form: {"rpc","chainId","serving","providerKey","teeKey","ownerKey"?,
/// "rogueKey"?,"model"?,"inputPrice"?,"outputPrice"? (decimal neuron strings),"port"?,"url"?,
/// "faultFile"?,"stateTtlMs"?,"replay"? ("off"|"per-request"),"register"? (bool)}.
/// Errors: errc::invalid_argument naming the field.
inline result<compute_provider_config> provider_config_from_json(const boost::json::object& o) {
    compute_provider_config c;
    auto bad = [](const char* k) { return fail(errc::invalid_argument, std::string("provider config: missing or invalid \"") + k + "\""); };
    auto str = [&](const char* k, std::string& out, bool required) -> bool {
        const auto* v = o.if_contains(k);
        if (!v) return !required;
        if (!v->is_string()) return false;
        out = std::string(v->get_string());
        return true;
    };
    std::string serving, fault, replay;
    if (!str("rpc", c.rpc_url, true)) return bad("rpc");
    if (!str("serving", serving, true)) return bad("serving");
    if (!str("providerKey", c.provider_key, true)) return bad("providerKey");
    if (!str("teeKey", c.tee_key, true)) return bad("teeKey");
    if (!str("ownerKey", c.owner_key, false)) return bad("ownerKey");
    if (!str("rogueKey", c.rogue_key, false)) return bad("rogueKey");
    if (!str("model", c.model, false)) return bad("model");
    if (!str("url", c.public_url, false)) return bad("url");
    if (!str("faultFile", fault, false)) return bad("faultFile");
    if (!str("replay", replay, false)) return bad("replay");
    auto a = crypto::address::parse(serving);
    if (!a) return bad("serving");
    c.serving = *a;
    c.fault_file = fault;
    if (replay == "off") c.replay = replay_mode::off;
    else if (!replay.empty() && replay != "per-request") return bad("replay");
    auto u64 = [&](const char* k, std::uint64_t dflt) -> std::optional<std::uint64_t> {
        const auto* v = o.if_contains(k);
        if (!v) return dflt;
        if (v->is_uint64()) return v->get_uint64();
        if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
        return std::nullopt;
    };
    auto chain = u64("chainId", c.chain_id);
    auto port = u64("port", 0);
    auto ttl = u64("stateTtlMs", static_cast<std::uint64_t>(c.state_ttl.count()));
    if (!chain) return bad("chainId");
    if (!port || *port > 65535) return bad("port");
    if (!ttl) return bad("stateTtlMs");
    c.chain_id = *chain;
    c.port = static_cast<std::uint16_t>(*port);
    c.state_ttl = std::chrono::milliseconds(*ttl);
    if (const auto* r = o.if_contains("register")) {
        if (!r->is_bool()) return bad("register");
        c.register_service = r->get_bool();
    }
    ZEROG_TRY(c.input_price, detail::json_amount(o, "inputPrice", c.input_price));
    ZEROG_TRY(c.output_price, detail::json_amount(o, "outputPrice", c.output_price));
    return c;
}

}  // namespace zerog::devnet
