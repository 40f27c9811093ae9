// Optional client-side encryption, wire-compatible with the official SDKs (docs/protocol/storage.md §9.7;
// TS `common/encryption.js`, Go `core/encryption.go`).
//
//   v1: 0x01 ‖ nonce(16)                         key = the caller's 32-byte AES key
//   v2: 0x02 ‖ ephemeralPubCompressed(33) ‖ nonce(16)
//       key = HKDF-SHA256(ikm = x of ECDH(ephemeral, recipient) on secp256k1, salt = empty,
//                         info = "0g-storage-client/ecies/v1/aes-256", 32 bytes)
//   body: AES-256-CTR; counter = nonce + ⌊offset/16⌋ (big-endian 128-bit add), skipping
//         offset mod 16 keystream bytes, so any byte range can be en/decrypted on its own.
//
// The header is prepended to the ciphertext and the whole is what gets hashed and uploaded. With
// fragments only fragment 0 carries the header and the CTR offset runs on across fragments,
// which `encrypted_source` + slice_source give for free.
//
// Thread safety: pure functions; `encrypted_source::read_at` is thread-safe (a fresh cipher per
// call). Keys are plain `aes_key` values: wipe them (crypto::secure_wipe) when done.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/core/result.hpp>
#include <zerog/crypto/private_key.hpp>
#include <zerog/crypto/secp256k1_context.hpp>
#include <zerog/crypto/secure_memory.hpp>
#include <zerog/storage/data_source.hpp>

#include <cryptopp/aes.h>
#include <cryptopp/hkdf.h>
#include <cryptopp/modes.h>
#include <cryptopp/sha.h>
#include <secp256k1.h>
#include <secp256k1_ecdh.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace zerog::storage {

inline constexpr byte symmetric_version = 1;                 ///< v1 header version byte
inline constexpr byte ecies_version = 2;                     ///< v2 header version byte
inline constexpr std::size_t symmetric_header_size = 17;     ///< 1 + nonce
inline constexpr std::size_t ecies_header_size = 1 + 33 + 16;
/// HKDF info; must match the Go client byte for byte.
inline constexpr std::string_view ecies_hkdf_info = "0g-storage-client/ecies/v1/aes-256";

using aes_key = fixed_bytes<32>;
using ctr_nonce = fixed_bytes<16>;

/// The encryption header at the start of an encrypted file.
struct encryption_header {
    byte version = symmetric_version;
    ctr_nonce nonce;
    fixed_bytes<33> ephemeral_pub;  ///< v2 only (compressed secp256k1 point)

    std::size_t size() const noexcept { return version == ecies_version ? ecies_header_size : symmetric_header_size; }

    bytes to_bytes() const {
        bytes out{version};
        if (version == ecies_version) out.insert(out.end(), ephemeral_pub.begin(), ephemeral_pub.end());
        out.insert(out.end(), nonce.begin(), nonce.end());
        return out;
    }

    /// Parse the header at the start of `data`. Errors: invalid_length when too short,
    /// not_supported for an unknown version byte.
    static result<encryption_header> parse(byte_span data) {
        if (data.empty()) return fail(errc::invalid_length, "data too short for an encryption header: 0 bytes");
        encryption_header h;
        h.version = data[0];
        if (h.version == symmetric_version) {
            if (data.size() < symmetric_header_size)
                return fail(errc::invalid_length, "data too short for a v1 encryption header: " + std::to_string(data.size()) + " < 17");
            std::memcpy(h.nonce.data(), data.data() + 1, 16);
        } else if (h.version == ecies_version) {
            if (data.size() < ecies_header_size)
                return fail(errc::invalid_length, "data too short for a v2 encryption header: " + std::to_string(data.size()) + " < 50");
            std::memcpy(h.ephemeral_pub.data(), data.data() + 1, 33);
            std::memcpy(h.nonce.data(), data.data() + 34, 16);
        } else {
            return fail(errc::not_supported, "unsupported encryption version " + std::to_string(data[0]));
        }
        return h;
    }
};

/// AES-256-CTR at plaintext byte `offset`, in place (encrypt = decrypt).
inline void crypt_at(const aes_key& key, const ctr_nonce& nonce, std::uint64_t offset, std::span<byte> data) {
    if (data.empty()) return;
    byte counter[16];
    std::memcpy(counter, nonce.data(), 16);
    std::uint64_t add = offset / 16;  // big-endian 128-bit add with carry (wraps like the SDKs)
    unsigned carry = 0;
    for (int i = 15; i >= 0 && (add || carry); --i) {
        const unsigned sum = counter[i] + static_cast<unsigned>(add & 0xff) + carry;
        counter[i] = static_cast<byte>(sum);
        carry = sum >> 8;
        add >>= 8;
    }
    CryptoPP::CTR_Mode<CryptoPP::AES>::Encryption ctr;
    ctr.SetKeyWithIV(key.data(), 32, counter, 16);
    if (const unsigned skip = static_cast<unsigned>(offset % 16)) {
        byte discard[16] = {};
        ctr.ProcessData(discard, discard, skip);
    }
    ctr.ProcessData(data.data(), data.data(), data.size());
}

/// A v1 header with a fresh random nonce (OS CSPRNG).
inline encryption_header new_symmetric_header() {
    encryption_header h;
    h.version = symmetric_version;
    crypto::random_bytes(h.nonce.span());
    return h;
}

namespace detail {
inline int ecdh_copy_x(unsigned char* out, const unsigned char* x32, const unsigned char*, void*) {
    std::memcpy(out, x32, 32);
    return 1;
}

/// Parse a secp256k1 public key given as 33 (compressed), 65 (0x04 ‖ x ‖ y) or 64 (x ‖ y) bytes.
inline result<secp256k1_pubkey> parse_pubkey(byte_span in) {
    byte buf[65];
    std::size_t len = in.size();
    if (len == 64) {
        buf[0] = 0x04;
        std::memcpy(buf + 1, in.data(), 64);
        len = 65;
    } else if (len == 33 || len == 65) {
        std::memcpy(buf, in.data(), len);
    } else {
        return fail(errc::invalid_key, "public key must be 33, 64 or 65 bytes, got " + std::to_string(in.size()));
    }
    secp256k1_pubkey pk;
    if (!secp256k1_ec_pubkey_parse(crypto::secp256k1_ctx(), &pk, buf, len))
        return fail(errc::invalid_key, "public key is not a valid secp256k1 point");
    return pk;
}

/// HKDF-SHA256(x of priv·pub) → the AES key.
inline result<aes_key> ecies_key(const secp256k1_pubkey& pub, const byte* priv32) {
    crypto::wiped_array<32> shared;
    if (!secp256k1_ecdh(crypto::secp256k1_ctx(), shared.data(), &pub, priv32, ecdh_copy_x, nullptr))
        return fail(errc::invalid_key, "ECDH failed (invalid scalar)");
    aes_key key;
    CryptoPP::HKDF<CryptoPP::SHA256> hkdf;
    hkdf.DeriveKey(key.data(), 32, shared.data(), 32, nullptr, 0, reinterpret_cast<const byte*>(ecies_hkdf_info.data()),
                   ecies_hkdf_info.size());
    return key;
}
}  // namespace detail

/// Compressed (33-byte) form of a 33/64/65-byte secp256k1 public key. Errors: invalid_key.
inline result<fixed_bytes<33>> normalize_public_key(byte_span pub) {
    ZEROG_TRY(const secp256k1_pubkey pk, detail::parse_pubkey(pub));
    fixed_bytes<33> out;
    std::size_t len = 33;
    secp256k1_ec_pubkey_serialize(crypto::secp256k1_ctx(), out.data(), &len, &pk, SECP256K1_EC_COMPRESSED);
    return out;
}

/// A v2 header plus the AES key for `recipient_pub` (33/64/65 bytes): a fresh ephemeral key pair
/// and nonce from the OS CSPRNG. Errors: invalid_key for a bad recipient key.
struct ecies_material {
    encryption_header header;
    aes_key key;
};
/// A fresh ephemeral secp256k1 key pair from the OS CSPRNG: the secret scalar (wiped memory) and
/// the compressed public key. Shared by the v2 header and the namespace key wrap (kv/namespace.hpp).
struct ephemeral_key {
    crypto::wiped_array<32> secret;
    fixed_bytes<33> public_compressed{};
};
inline result<void> new_ephemeral_key(ephemeral_key& k) {
    do crypto::random_bytes(std::span<byte>(k.secret.data(), 32));
    while (!secp256k1_ec_seckey_verify(crypto::secp256k1_ctx(), k.secret.data()));
    secp256k1_pubkey pub;
    if (!secp256k1_ec_pubkey_create(crypto::secp256k1_ctx(), &pub, k.secret.data()))
        return fail(errc::internal, "secp256k1_ec_pubkey_create rejected a verified scalar");
    std::size_t len = 33;
    secp256k1_ec_pubkey_serialize(crypto::secp256k1_ctx(), k.public_compressed.data(), &len, &pub, SECP256K1_EC_COMPRESSED);
    return {};
}

inline result<ecies_material> new_ecies_header(byte_span recipient_pub) {
    ZEROG_TRY(const secp256k1_pubkey recipient, detail::parse_pubkey(recipient_pub));
    ephemeral_key eph;
    ZEROG_CHECK(new_ephemeral_key(eph));
    ecies_material m;
    m.header.version = ecies_version;
    m.header.ephemeral_pub = eph.public_compressed;
    crypto::random_bytes(m.header.nonce.span());
    ZEROG_TRY(m.key, detail::ecies_key(recipient, eph.secret.data()));
    return m;
}

/// The v2 AES key from the recipient's private key and the header's ephemeral public key.
/// Errors: invalid_key.
inline result<aes_key> ecies_decrypt_key(const crypto::private_key& recipient, const fixed_bytes<33>& ephemeral_pub) {
    ZEROG_TRY(const secp256k1_pubkey eph, detail::parse_pubkey(ephemeral_pub));
    return detail::ecies_key(eph, recipient.unsafe_bytes().data());
}

/// Decryption material for a downloaded file: a v1 key and/or a v2 private key.
struct decryption_keys {
    const aes_key* symmetric = nullptr;
    const crypto::private_key* private_key = nullptr;
};

/// The AES key for `h` from the caller's material. Errors: invalid_key when the material the
/// header's version needs is missing.
inline result<aes_key> resolve_decryption_key(const encryption_header& h, const decryption_keys& k) {
    if (h.version == symmetric_version) {
        if (!k.symmetric) return fail(errc::invalid_key, "a v1 encrypted file needs a symmetric key");
        return *k.symmetric;
    }
    if (!k.private_key) return fail(errc::invalid_key, "a v2 encrypted file needs the recipient's private key");
    return ecies_decrypt_key(*k.private_key, h.ephemeral_pub);
}

/// header ‖ AES-CTR(plaintext) in memory.
inline bytes encrypt_bytes(const encryption_header& h, const aes_key& key, byte_span plaintext) {
    bytes out = h.to_bytes();
    const std::size_t hs = out.size();
    out.insert(out.end(), plaintext.begin(), plaintext.end());
    crypt_at(key, h.nonce, 0, std::span<byte>(out.data() + hs, plaintext.size()));
    return out;
}

/// Decrypt a whole downloaded file (header, then ciphertext at CTR offset 0).
/// Errors: encryption_header::parse's, resolve_decryption_key's.
inline result<bytes> decrypt_bytes(byte_span encrypted, const decryption_keys& k) {
    ZEROG_TRY(const encryption_header h, encryption_header::parse(encrypted));
    ZEROG_TRY(aes_key key, resolve_decryption_key(h, k));
    bytes out(encrypted.begin() + static_cast<std::ptrdiff_t>(h.size()), encrypted.end());
    crypt_at(key, h.nonce, 0, out);
    crypto::secure_wipe(key.data(), key.size());
    return out;
}

/// Decrypt one fragment of a multi-fragment file in place. The first fragment starts with the
/// header (removed here); later ones continue at `data_offset` = plaintext bytes before them.
/// Returns the plaintext offset after this fragment. Errors: invalid_length when the first
/// fragment is shorter than the header.
inline result<std::uint64_t> decrypt_fragment(const aes_key& key, const encryption_header& h, bytes& fragment_data, bool first,
                                              std::uint64_t data_offset) {
    if (first) {
        if (fragment_data.size() < h.size())
            return fail(errc::invalid_length, "first fragment (" + std::to_string(fragment_data.size()) + " bytes) is shorter than the header");
        fragment_data.erase(fragment_data.begin(), fragment_data.begin() + static_cast<std::ptrdiff_t>(h.size()));
        data_offset = 0;
    }
    crypt_at(key, h.nonce, data_offset, fragment_data);
    return data_offset + fragment_data.size();
}

/// header ‖ AES-CTR(inner) as a random-access source: hash, fragment and upload an encrypted
/// file without ever materialising it. `inner` must outlive this source.
class encrypted_source final : public data_source {
public:
    encrypted_source(const data_source& inner, const aes_key& key, const encryption_header& h)
        : inner_(&inner), key_(key), header_(h), header_bytes_(h.to_bytes()) {}
    ~encrypted_source() override { crypto::secure_wipe(key_.data(), key_.size()); }
    encrypted_source(const encrypted_source&) = delete;
    encrypted_source& operator=(const encrypted_source&) = delete;

    std::uint64_t size() const noexcept override { return inner_->size() + header_bytes_.size(); }
    const encryption_header& header() const noexcept { return header_; }

    result<void> read_at(std::uint64_t offset, std::span<byte> out) const override {
        ZEROG_CHECK(check_range(offset, out.size()));
        const std::uint64_t hs = header_bytes_.size();
        std::size_t done = 0;
        if (offset < hs) {
            done = static_cast<std::size_t>(std::min<std::uint64_t>(hs - offset, out.size()));
            std::memcpy(out.data(), header_bytes_.data() + offset, done);
        }
        if (done < out.size()) {
            const std::uint64_t inner_off = offset + done - hs;
            const auto rest = out.subspan(done);
            ZEROG_CHECK(inner_->read_at(inner_off, rest));
            crypt_at(key_, header_.nonce, inner_off, rest);
        }
        return {};
    }

private:
    const data_source* inner_;
    aes_key key_;
    encryption_header header_;
    bytes header_bytes_;
};

}  // namespace zerog::storage
