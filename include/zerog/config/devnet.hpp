// The devnet profile: read from `devnet.json`, which the local devnet (tools/devnet, `zerog devnet
// up`) writes into its state directory: $ZEROG_DEVNET_DIR, or `.zerog/devnet` under the current
// directory.
//
// Shape (all fields required but kv; unknown fields are ignored because the devnet tool may add more):
//   {
//     "chainId":   16602,
//     "rpc":       "http://127.0.0.1:18545"            (string or array of strings),
//     "indexer":   ["http://127.0.0.1:12345"],
//     "nodes":     ["http://127.0.0.1:5678", ...],
//     "kv":        "http://127.0.0.1:6789"       (optional: `devnet up --kv`)
//     "flow":      "0x…", "market": "0x…", "ledger": "0x…", "inference": "0x…",
//     "providers": [{"address": "0x…", "url": "http://127.0.0.1:…", "model": "…"}],
//     "faucetKey": "0x…"                               (a public anvil development key)
//   }
// Unlike a user config file, devnet.json may hold `faucetKey`: it is written by our tool on the
// developer's machine and the key is one of the public anvil keys. It is still held only as an
// unprintable `crypto::private_key`, registered with the log redaction layer, and shown as its
// address.
//
// Parse problems name the field and have source "file:<path of devnet.json>"; values that parse
// are tagged "profile:devnet".
//
// Thread safety: pure functions; `read_devnet` reads a file.
#pragma once

#include <zerog/config/sources.hpp>
#include <zerog/crypto/private_key.hpp>
#include <zerog/crypto/secp256k1_context.hpp>
#include <zerog/crypto/secret_registry.hpp>

#include <memory>

namespace zerog::config {

/// What devnet.json contributes: the profile layer plus the faucet account.
struct devnet_layer {
    partial_config values;
    std::shared_ptr<const crypto::private_key> faucet_key;
    std::string faucet_address;  ///< EIP-55, derived from faucet_key
};

/// Default devnet state directory, relative to the current directory.
inline constexpr std::string_view default_devnet_dir = ".zerog/devnet";

/// $ZEROG_DEVNET_DIR or the default.
inline std::string devnet_dir(const environment& env) {
    if (auto d = env.get("ZEROG_DEVNET_DIR")) return *d;
    return std::string(default_devnet_dir);
}

/// Path of devnet.json for this environment.
inline std::string devnet_json_path(const environment& env) { return devnet_dir(env) + "/devnet.json"; }

/// Parse the text of devnet.json. Problems go to `out`; fields with problems stay unset.
inline devnet_layer parse_devnet_json(std::string_view text, const std::string& path, std::vector<problem>& out) {
    devnet_layer layer;
    partial_config& p = layer.values;
    const value_source bad = value_source::file(path);       // where to fix a problem
    const value_source good = value_source::profile("devnet");  // what a parsed value reports
    boost::system::error_code ec;
    boost::json::value doc = boost::json::parse(text, ec);
    if (ec) { out.push_back({"(devnet.json)", bad, errc::parse_error, "not valid JSON: " + ec.message()}); return layer; }
    if (!doc.is_object()) { out.push_back({"(devnet.json)", bad, errc::parse_error, "the top level must be a JSON object"}); return layer; }
    const auto& o = doc.get_object();

    // Parse into a scratch layer tagged with the file (so problems point at devnet.json), then retag.
    auto field = [&](std::string_view name) -> const boost::json::value* {
        auto it = o.find(name);
        if (it == o.end()) { out.push_back({std::string(name), bad, errc::not_found, "required field is missing"}); return nullptr; }
        return &it->value();
    };
    using namespace detail;
    auto get = [&](std::string_view name, auto& dst, auto parse) {
        if (const auto* v = field(name)) {
            take(*v, std::string(name), bad, dst, out, parse);
            if (dst) dst->source = good;
        }
    };
    get("chainId", p.chain_id, json_uint);
    get("rpc", p.rpc_urls, json_string_list);
    get("indexer", p.indexer_urls, json_string_list);
    get("nodes", p.node_urls, json_string_list);
    get("flow", p.flow, json_string);
    get("market", p.market, json_string);
    get("ledger", p.ledger, json_string);
    get("inference", p.inference, json_string);
    get("providers", p.providers, [&](const auto& x) { return json_providers(x, out, bad); });
    // kv is optional: present when the devnet runs a KV node (`devnet up --kv`).
    if (auto it = o.find("kv"); it != o.end()) {
        take(it->value(), "kv", bad, p.kv_urls, out, json_string_list);
        if (p.kv_urls) p.kv_urls->source = good;
    }
    // fineTuning is optional: the devnet has no fine-tuning contract; an empty value means "not deployed".
    if (auto it = o.find("fineTuning"); it != o.end()) {
        take(it->value(), "fineTuning", bad, p.fine_tuning, out, json_string);
        if (p.fine_tuning) p.fine_tuning->source = good;
    } else {
        p.fine_tuning = setting<std::string>{"", good};
    }

    if (const auto* v = field("faucetKey")) {
        if (!v->is_string()) {
            out.push_back({"faucetKey", bad, errc::invalid_argument, "expected a string, got " + json_kind(*v)});
        } else if (auto key = crypto::private_key::from_hex(v->get_string()); !key) {
            out.push_back({"faucetKey", bad, errc::invalid_key, key.error().detail()});  // never echoes digits
        } else {
            crypto::secret_registry::instance().add_key(byte_span(key->unsafe_bytes().data(), 32));
            layer.faucet_address = crypto::address_of(*key).to_checksum_hex();
            layer.faucet_key = std::make_shared<const crypto::private_key>(std::move(*key));
        }
    }
    return layer;
}

/// Read devnet.json from the devnet directory. A missing file is one problem that says how to
/// create it.
inline devnet_layer read_devnet(const environment& env, std::vector<problem>& out) {
    const std::string path = devnet_json_path(env);
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        out.push_back({"(devnet.json)", value_source::file(path), errc::not_found,
                       "cannot open devnet.json; start the devnet (`zerog devnet up`) or set ZEROG_DEVNET_DIR"});
        return {};
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return parse_devnet_json(ss.str(), path, out);
}

}  // namespace zerog::config
