// Test driver for ethers_crosscheck.mjs: one JSON request per stdin line, one JSON answer per line.
//
//   {"op":"sign","key":"0x…","msg":"0x<hex bytes>"}     -> {"sig":"0x…","sig_cryptopp":"0x…","address":"0x…",
//                                                           "publicKey":"0x…"(compressed, 33 bytes)}
//   {"op":"recover","msg":"0x…","sig":"0x…"}            -> {"address":"0x…","address_cryptopp":"0x…"} | {"error":"…"}
//   {"op":"decrypt","json":"…","password":"…"}          -> {"key":"0x…","address":"0x…"} | {"error":"…","code":"…"}
//   {"op":"encrypt","key":"0x…","password":"…","n":1024} -> {"json":"…"}
// This is a test fixture: it echoes decrypted keys (anvil/generated keys only) so that the script
// can compare them. Library code never does.
#include <zerog/crypto/cryptopp_signer.hpp>
#include <zerog/crypto/keystore.hpp>
#include <zerog/crypto/personal_sign.hpp>
#include <zerog/crypto/secp256k1_signer.hpp>

#include <boost/json.hpp>

#include <iostream>
#include <string>

using namespace zerog;
using namespace zerog::crypto;
namespace json = boost::json;

namespace {
json::object err(const zerog::error& e) { return {{"error", e.message()}, {"code", e.code().message()}}; }

json::object handle(const json::object& req) {
    const std::string op(req.at("op").as_string());
    if (op == "sign") {
        auto msg = from_hex(req.at("msg").as_string(), hex_prefix::required);
        if (!msg) return err(msg.error());
        auto lib = secp256k1_signer::from_hex(req.at("key").as_string());
        auto cpp = cryptopp_signer::from_hex(req.at("key").as_string());
        if (!lib) return err(lib.error());
        auto a = sign_personal(*lib, byte_span(*msg));
        auto b = sign_personal(*cpp, byte_span(*msg));
        if (!a) return err(a.error());
        if (!b) return err(b.error());
        auto key = private_key::from_hex(req.at("key").as_string());
        if (!key) return err(key.error());
        const auto pub = compressed_public_key_of(*key);
        auto xy = decompress_public_key(pub);
        if (!xy) return err(xy.error());
        return {{"sig", to_hex(*a)}, {"sig_cryptopp", to_hex(*b)}, {"address", lib->address().to_checksum_hex()},
                {"address_cryptopp", cpp->address().to_checksum_hex()}, {"publicKey", to_hex(pub)},
                {"address_of_public_key", address::from_public_key(xy->span()).to_checksum_hex()}};
    }
    if (op == "recover") {
        auto msg = from_hex(req.at("msg").as_string(), hex_prefix::required);
        if (!msg) return err(msg.error());
        auto sig65 = from_hex_fixed<65>(req.at("sig").as_string());
        if (!sig65) return err(sig65.error());
        auto a = recover_personal(byte_span(*msg), *sig65);
        if (!a) return err(a.error());
        auto sig = signature::from_rsv(*sig65);
        auto b = cryptopp_recover_address(personal_message_digest(byte_span(*msg)), *sig);
        if (!b) return err(b.error());
        return {{"address", a->to_checksum_hex()}, {"address_cryptopp", b->to_checksum_hex()}};
    }
    if (op == "decrypt") {
        auto k = decrypt_keystore(req.at("json").as_string(), req.at("password").as_string());
        if (!k) return err(k.error());
        return {{"key", to_hex(k->unsafe_bytes())}, {"address", address_of(*k).to_checksum_hex()}};
    }
    if (op == "encrypt") {
        auto k = private_key::from_hex(req.at("key").as_string());
        if (!k) return err(k.error());
        keystore_options opt;
        if (auto it = req.find("n"); it != req.end()) opt.scrypt_n = it->value().to_number<std::uint64_t>();
        auto j = encrypt_keystore(*k, req.at("password").as_string(), opt);
        if (!j) return err(j.error());
        return {{"json", *j}};
    }
    return {{"error", "unknown op " + op}};
}
}  // namespace

int main() {
    std::ios::sync_with_stdio(false);
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line.empty()) continue;
        json::object out;
        try {
            out = handle(json::parse(line).as_object());
        } catch (const std::exception& ex) {
            out = {{"error", std::string("bad request: ") + ex.what()}};
        }
        std::cout << json::serialize(out) << '\n';
    }
    return 0;
}
