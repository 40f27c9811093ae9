// Ethereum V3 keystore files (geth / ethers / MetaMask "UTC--…" JSON): decrypt and encrypt.
//
//   derivedKey = scrypt(password, salt, n, r, p, dklen=32)  or  PBKDF2-HMAC-SHA256(password, salt, c)
//   mac        = keccak256(derivedKey[16..32] ‖ ciphertext)           (checked in constant time)
//   key        = AES-128-CTR(derivedKey[0..16], iv).decrypt(ciphertext)
//
// Errors (each in the context "decrypting a V3 keystore"):
//   * errc::keystore_malformed : not JSON, wrong version/cipher/kdf/prf, or a missing or bad field;
//                                the detail names the field ("crypto.kdfparams.salt is missing").
//                                Also KDF parameters beyond sane limits (a hostile file must not
//                                make us allocate gigabytes) and an `address` that disagrees with
//                                the decrypted key.
//   * errc::wrong_password     : MAC mismatch (wrong password, or a corrupted ciphertext/mac).
//   * errc::invalid_key        : the decrypted scalar is 0 or ≥ n.
// No message contains the password, the derived key or the plaintext key. Derived keys and
// plaintexts live in wiped buffers.
//
// Password bytes are used as given (UTF-8). ethers NFKC-normalises string passwords first; for
// ASCII and precomposed text this is the same, otherwise pass the NFKC form.
//
// Thread safety: pure functions.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/crypto/address.hpp>
#include <zerog/crypto/keccak.hpp>
#include <zerog/crypto/private_key.hpp>
#include <zerog/crypto/secp256k1_context.hpp>
#include <zerog/crypto/secure_memory.hpp>

#include <boost/json.hpp>
#include <cryptopp/aes.h>
#include <cryptopp/modes.h>
#include <cryptopp/pwdbased.h>
#include <cryptopp/scrypt.h>
#include <cryptopp/sha.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace zerog::crypto {

/// Parameters for `encrypt_keystore`. Defaults are ethers v6's (scrypt n = 2^17, r = 8, p = 1:
/// ~128 MiB, ~0.5–1 s). Tests use a small n.
struct keystore_options {
    std::uint64_t scrypt_n = 1u << 17;
    std::uint32_t scrypt_r = 8;
    std::uint32_t scrypt_p = 1;
};

/// Upper bounds accepted when *reading* a keystore (a file is input, possibly hostile).
inline constexpr std::uint64_t keystore_max_scrypt_memory = 1ull << 30;  // 128·n·r bytes ≤ 1 GiB
inline constexpr std::uint64_t keystore_max_pbkdf2_rounds = 10'000'000;
/// scrypt's CPU cost grows with n·r·p: at most 2^22 (4× geth's "standard" 2^18·8·1; about four
/// seconds here), so a hostile file cannot make opening it take hours.
inline constexpr std::uint64_t keystore_max_scrypt_work = 1ull << 22;

namespace detail {

inline failure keystore_error(errc code, std::string detail) {
    return fail(zerog::error(code, std::move(detail)).during("decrypting a V3 keystore"));
}
inline failure malformed(std::string detail) { return keystore_error(errc::keystore_malformed, std::move(detail)); }

inline result<const boost::json::object*> ks_object(const boost::json::object& o, std::string_view key, const std::string& path) {
    auto it = o.find(key);
    if (it == o.end()) return malformed(path + " is missing");
    if (!it->value().is_object()) return malformed(path + " is not an object");
    return &it->value().get_object();
}
inline result<std::string_view> ks_string(const boost::json::object& o, std::string_view key, const std::string& path) {
    auto it = o.find(key);
    if (it == o.end()) return malformed(path + " is missing");
    if (!it->value().is_string()) return malformed(path + " is not a string");
    return std::string_view(it->value().get_string());
}
inline result<std::uint64_t> ks_uint(const boost::json::object& o, std::string_view key, const std::string& path) {
    auto it = o.find(key);
    if (it == o.end()) return malformed(path + " is missing");
    const auto& v = it->value();
    if (v.is_uint64()) return v.get_uint64();
    if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
    if (v.is_double() && v.get_double() >= 0 && v.get_double() < 1.8e19 &&
        v.get_double() == static_cast<double>(static_cast<std::uint64_t>(v.get_double())))
        return static_cast<std::uint64_t>(v.get_double());
    return malformed(path + " is not a non-negative integer");
}
/// Hex field (0x optional, as geth writes none and some tools add it); exact length when `len` > 0.
inline result<bytes> ks_hex(const boost::json::object& o, std::string_view key, const std::string& path, std::size_t len) {
    ZEROG_TRY(auto s, ks_string(o, key, path));
    auto b = from_hex(s, hex_prefix::optional);
    if (!b) return malformed(path + " is not valid hex (" + b.error().detail() + ")");
    if (len && b->size() != len)
        return malformed(path + " must be " + std::to_string(len) + " bytes, got " + std::to_string(b->size()));
    return std::move(*b);
}

inline bool equal_ct(const byte* a, const byte* b, std::size_t n) noexcept {
    unsigned d = 0;
    for (std::size_t i = 0; i < n; ++i) d |= static_cast<unsigned>(a[i] ^ b[i]);
    return d == 0;
}

inline bool is_pow2(std::uint64_t v) noexcept { return v > 1 && (v & (v - 1)) == 0; }

inline void scrypt_derive(byte* out32, std::string_view pw, byte_span salt, std::uint64_t n, std::uint64_t r, std::uint64_t p) {
    CryptoPP::Scrypt kdf;
    kdf.DeriveKey(out32, 32, reinterpret_cast<const byte*>(pw.data()), pw.size(), salt.data(), salt.size(), n, r, p);
}

inline hash256 keystore_mac(const byte* derived32, byte_span ciphertext) noexcept {
    keccak256_hasher h;
    h.update(byte_span(derived32 + 16, 16));
    h.update(ciphertext);
    return h.finalize();
}

inline void aes128_ctr(const byte* key16, byte_span iv, const byte* in, byte* out, std::size_t n) {
    CryptoPP::CTR_Mode<CryptoPP::AES>::Encryption c;  // CTR: encryption == decryption; key schedule in a SecBlock
    c.SetKeyWithIV(key16, 16, iv.data(), iv.size());
    c.ProcessData(out, in, n);
}

}  // namespace detail

/// Decrypt a V3 keystore JSON text. See the file comment for errors.
inline result<private_key> decrypt_keystore(std::string_view json, std::string_view password) {
    using detail::malformed;
    boost::system::error_code ec;
    const boost::json::value doc = boost::json::parse(json, ec);
    if (ec) return malformed("not valid JSON (" + ec.message() + ")");
    if (!doc.is_object()) return malformed("the top level is not a JSON object");
    const auto& top = doc.get_object();

    ZEROG_TRY(auto version, detail::ks_uint(top, "version", "version"));
    if (version != 3) return malformed("version must be 3, got " + std::to_string(version));
    // geth writes "crypto"; some old tools wrote "Crypto".
    const char* crypto_key = top.contains("crypto") || !top.contains("Crypto") ? "crypto" : "Crypto";
    ZEROG_TRY(auto crypto, detail::ks_object(top, crypto_key, crypto_key));
    const std::string cp = crypto_key;

    ZEROG_TRY(auto cipher, detail::ks_string(*crypto, "cipher", cp + ".cipher"));
    if (cipher != "aes-128-ctr") return malformed(cp + ".cipher must be \"aes-128-ctr\", got \"" + std::string(cipher) + "\"");
    ZEROG_TRY(auto cipherparams, detail::ks_object(*crypto, "cipherparams", cp + ".cipherparams"));
    ZEROG_TRY(auto iv, detail::ks_hex(*cipherparams, "iv", cp + ".cipherparams.iv", 16));
    ZEROG_TRY(auto ciphertext, detail::ks_hex(*crypto, "ciphertext", cp + ".ciphertext", 32));
    ZEROG_TRY(auto mac, detail::ks_hex(*crypto, "mac", cp + ".mac", 32));
    ZEROG_TRY(auto kdf, detail::ks_string(*crypto, "kdf", cp + ".kdf"));
    ZEROG_TRY(auto kp, detail::ks_object(*crypto, "kdfparams", cp + ".kdfparams"));
    const std::string kpp = cp + ".kdfparams.";
    ZEROG_TRY(auto salt, detail::ks_hex(*kp, "salt", kpp + "salt", 0));
    ZEROG_TRY(auto dklen, detail::ks_uint(*kp, "dklen", kpp + "dklen"));
    if (dklen != 32) return malformed(kpp + "dklen must be 32, got " + std::to_string(dklen));

    wiped_array<32> derived;
    try {
        if (kdf == "scrypt") {
            ZEROG_TRY(auto n, detail::ks_uint(*kp, "n", kpp + "n"));
            ZEROG_TRY(auto r, detail::ks_uint(*kp, "r", kpp + "r"));
            ZEROG_TRY(auto p, detail::ks_uint(*kp, "p", kpp + "p"));
            if (!detail::is_pow2(n)) return malformed(kpp + "n must be a power of two > 1, got " + std::to_string(n));
            if (r == 0 || p == 0 || r > 1024 || p > 1024) return malformed(kpp + "r and p must be in 1..1024");
            if (n > keystore_max_scrypt_memory / 128 / r)
                return malformed(kpp + "n·r needs more than 1 GiB of scrypt memory (n=" + std::to_string(n) +
                                 ", r=" + std::to_string(r) + ")");
            if (n * r > keystore_max_scrypt_work / p)  // n·r ≤ 2^23 here, so the product cannot overflow
                return malformed(kpp + "n·r·p = " + std::to_string(n * r * p) + " exceeds " + std::to_string(keystore_max_scrypt_work) +
                                 ": deriving the key would take too long");
            detail::scrypt_derive(derived.data(), password, salt, n, r, p);
        } else if (kdf == "pbkdf2") {
            ZEROG_TRY(auto c, detail::ks_uint(*kp, "c", kpp + "c"));
            ZEROG_TRY(auto prf, detail::ks_string(*kp, "prf", kpp + "prf"));
            if (prf != "hmac-sha256") return malformed(kpp + "prf must be \"hmac-sha256\", got \"" + std::string(prf) + "\"");
            if (c == 0 || c > keystore_max_pbkdf2_rounds) return malformed(kpp + "c must be in 1..10000000, got " + std::to_string(c));
            CryptoPP::PKCS5_PBKDF2_HMAC<CryptoPP::SHA256> pbkdf2;
            pbkdf2.DeriveKey(derived.data(), 32, 0, reinterpret_cast<const byte*>(password.data()), password.size(),
                             salt.data(), salt.size(), static_cast<unsigned>(c));
        } else {
            return malformed(cp + ".kdf must be \"scrypt\" or \"pbkdf2\", got \"" + std::string(kdf) + "\"");
        }
    } catch (const std::exception& ex) {  // Crypto++ parameter errors; their texts hold no secrets
        return malformed(std::string("key derivation rejected the parameters: ") + ex.what());
    }

    const hash256 want = detail::keystore_mac(derived.data(), ciphertext);
    if (!detail::equal_ct(want.data(), mac.data(), 32))
        return detail::keystore_error(errc::wrong_password, "the MAC does not match");

    wiped_array<32> plain;
    detail::aes128_ctr(derived.data(), iv, ciphertext.data(), plain.data(), 32);
    auto key = private_key::from_bytes(byte_span(plain.data(), 32));
    if (!key) return detail::keystore_error(errc::invalid_key, "the decrypted key is zero or not below the group order n");

    if (auto it = top.find("address"); it != top.end()) {
        if (!it->value().is_string()) return malformed("address is not a string");
        std::string_view a = it->value().get_string();
        std::string with_prefix = (a.size() >= 2 && a[0] == '0' && (a[1] == 'x' || a[1] == 'X')) ? std::string(a) : "0x" + std::string(a);
        auto declared = from_hex_fixed<20>(with_prefix, hex_prefix::required);
        if (!declared) return malformed("address is not 20 bytes of hex");
        const address actual = address_of(*key);
        if (actual.bytes() != *declared)
            return malformed("address " + to_hex(*declared) + " does not match the decrypted key's address " + actual.to_checksum_hex());
    }
    return std::move(*key);
}

/// Read and decrypt a keystore file. Errors: io_error naming the path, or decrypt_keystore's.
inline result<private_key> load_keystore_file(const std::string& path, std::string_view password) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(zerog::error(errc::io_error, "cannot open the keystore file").during("loading keystore " + path));
    std::ostringstream ss;
    ss << in.rdbuf();
    return decrypt_keystore(ss.str(), password).during("loading keystore " + path);
}

/// Encrypt `key` into a V3 keystore (scrypt, AES-128-CTR, random 32-byte salt, 16-byte IV and a
/// UUIDv4 id from the OS CSPRNG). The output is what ethers `Wallet.encrypt` and geth read.
/// Errors: invalid_argument for bad scrypt options.
inline result<std::string> encrypt_keystore(const private_key& key, std::string_view password, const keystore_options& opt = {}) {
    if (!detail::is_pow2(opt.scrypt_n) || opt.scrypt_r == 0 || opt.scrypt_p == 0 ||
        opt.scrypt_n > keystore_max_scrypt_memory / 128 / opt.scrypt_r ||
        opt.scrypt_n * opt.scrypt_r > keystore_max_scrypt_work / opt.scrypt_p)
        return fail(zerog::error(errc::invalid_argument, "scrypt n must be a power of two > 1, r and p ≥ 1, 128·n·r ≤ 1 GiB")
                        .during("encrypting a V3 keystore"));
    fixed_bytes<32> salt;
    fixed_bytes<16> iv, uuid;
    random_bytes(salt.span());
    random_bytes(iv.span());
    random_bytes(uuid.span());
    uuid[6] = static_cast<byte>((uuid[6] & 0x0f) | 0x40);  // version 4
    uuid[8] = static_cast<byte>((uuid[8] & 0x3f) | 0x80);  // RFC 4122 variant

    wiped_array<32> derived;
    fixed_bytes<32> ciphertext;
    try {
        detail::scrypt_derive(derived.data(), password, salt, opt.scrypt_n, opt.scrypt_r, opt.scrypt_p);
        detail::aes128_ctr(derived.data(), iv, key.unsafe_bytes().data(), ciphertext.data(), 32);
    } catch (const std::exception& ex) {
        return fail(zerog::error(errc::internal, std::string("Crypto++: ") + ex.what()).during("encrypting a V3 keystore"));
    }
    const hash256 mac = detail::keystore_mac(derived.data(), ciphertext);

    const std::string u = to_hex(uuid, false);
    const std::string id = u.substr(0, 8) + "-" + u.substr(8, 4) + "-" + u.substr(12, 4) + "-" + u.substr(16, 4) + "-" + u.substr(20);
    boost::json::object kdfparams{{"salt", to_hex(salt, false)}, {"n", opt.scrypt_n}, {"dklen", 32},
                                  {"p", opt.scrypt_p}, {"r", opt.scrypt_r}};
    boost::json::object crypto{{"cipher", "aes-128-ctr"},
                               {"cipherparams", boost::json::object{{"iv", to_hex(iv, false)}}},
                               {"ciphertext", to_hex(ciphertext, false)},
                               {"kdf", "scrypt"},
                               {"kdfparams", std::move(kdfparams)},
                               {"mac", to_hex(mac, false)}};
    boost::json::object doc{{"address", to_hex(address_of(key).bytes(), false)},
                            {"id", id},
                            {"version", 3},
                            {"crypto", std::move(crypto)}};
    return boost::json::serialize(doc);
}

}  // namespace zerog::crypto
