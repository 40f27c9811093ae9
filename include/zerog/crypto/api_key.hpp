// API keys for services built on zerog (the gateway, tools/gateway): random, shown once, stored
// hashed, checked in constant time.
//
//   zgk_<id: 16 hex>_<secret: 64 hex>        e.g. zgk_3f9c0a1b2c3d4e5f_9b1e…(64)
//
// The id is public (listed, used to revoke, written in access logs); the secret is 32 bytes from
// the OS CSPRNG. What is stored is "sha256:<hex>" of the whole key text. A plain hash and not a
// password KDF on purpose: the secret has 256 bits of entropy, so there is nothing to brute-force,
// and a request's key check must cost microseconds, not the 100 ms a KDF is tuned for.
// A presented key is looked up by its id and its hash compared in constant time
// (CryptoPP::VerifyBufsEqual); an unknown id and a wrong secret give the same answer to the caller.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/core/result.hpp>
#include <zerog/crypto/secure_memory.hpp>

#include <cryptopp/misc.h>
#include <cryptopp/sha.h>

#include <array>
#include <string>
#include <string_view>

namespace zerog::crypto {

inline constexpr std::string_view api_key_prefix = "zgk_";
inline constexpr std::size_t api_key_id_hex = 16, api_key_secret_hex = 64;
inline constexpr std::size_t api_key_length = api_key_prefix.size() + api_key_id_hex + 1 + api_key_secret_hex;

/// A key as issued: the text is shown once to whoever asked for it and never stored.
struct issued_api_key {
    std::string id;         ///< public
    secret_string key;      ///< the full key text (wiped when dropped)
    std::string key_hash;   ///< what the store keeps
};

namespace detail {
inline bool lower_hex(std::string_view s) noexcept {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}
inline void hex_into(std::span<const byte> in, std::string& out) {
    static constexpr char hx[] = "0123456789abcdef";
    for (byte b : in) {
        out.push_back(hx[b >> 4]);
        out.push_back(hx[b & 15]);
    }
}
}  // namespace detail

/// "sha256:<64 hex>" of the key text.
inline std::string api_key_hash(std::string_view key) {
    std::array<byte, CryptoPP::SHA256::DIGESTSIZE> d{};
    CryptoPP::SHA256().CalculateDigest(d.data(), reinterpret_cast<const byte*>(key.data()), key.size());
    std::string out = "sha256:";
    detail::hex_into(d, out);
    secure_wipe(d.data(), d.size());
    return out;
}

/// The id of a presented key, after checking its shape (length, prefix, lower-case hex). Nothing
/// of the presented text is echoed in the error (it may be a mistyped secret).
inline result<std::string_view> api_key_id(std::string_view key) {
    const auto bad = [] { return fail(errc::invalid_argument, "not a zerog API key (expected zgk_<16 hex>_<64 hex>)"); };
    if (key.size() != api_key_length || !key.starts_with(api_key_prefix)) return bad();
    const std::string_view id = key.substr(api_key_prefix.size(), api_key_id_hex);
    if (key[api_key_prefix.size() + api_key_id_hex] != '_') return bad();
    if (!detail::lower_hex(id) || !detail::lower_hex(key.substr(api_key_length - api_key_secret_hex))) return bad();
    return id;
}

/// True when `key` hashes to `stored_hash`; the comparison does not depend on where they differ.
inline bool api_key_matches(std::string_view key, std::string_view stored_hash) {
    const std::string h = api_key_hash(key);
    if (h.size() != stored_hash.size()) return false;
    return CryptoPP::VerifyBufsEqual(reinterpret_cast<const byte*>(h.data()), reinterpret_cast<const byte*>(stored_hash.data()), h.size());
}

/// A new key from the OS CSPRNG.
inline issued_api_key new_api_key() {
    std::array<byte, 8> id{};
    std::array<byte, 32> secret{};
    random_bytes(id);
    random_bytes(secret);
    issued_api_key k;
    detail::hex_into(id, k.id);
    std::string text;
    text.reserve(api_key_length);
    text.append(api_key_prefix);
    text.append(k.id);
    text.push_back('_');
    detail::hex_into(secret, text);
    secure_wipe(secret.data(), secret.size());
    k.key_hash = api_key_hash(text);
    k.key.assign(text);
    secure_wipe(text.data(), text.capacity());
    return k;
}

}  // namespace zerog::crypto
