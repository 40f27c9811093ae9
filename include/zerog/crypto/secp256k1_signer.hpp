// secp256k1_signer: the default Signer (policy/signer.hpp), backed by libsecp256k1.
//
// Why libsecp256k1: constant-time signing (no timing channel on the key or the nonce) and ~10×
// the speed of Crypto++. Nonces are RFC 6979 (HMAC-SHA256 over key ‖ digest), which is what
// ethers, noble and go-ethereum use, so signatures are byte-identical to theirs; libsecp256k1
// always produces low-s.
//
// Thread safety: `sign_digest` and `address` are const and may be called from many threads at
// once (the context is shared read-only, the key is only read). Models crypto::Signer.
#pragma once

#include <zerog/core/result.hpp>
#include <zerog/crypto/private_key.hpp>
#include <zerog/crypto/secp256k1_context.hpp>
#include <zerog/crypto/signature.hpp>

#include <utility>

namespace zerog::crypto {

/// Signs 32-byte digests with an owned private_key via libsecp256k1. Move-only (owns the key).
class secp256k1_signer {
public:
    explicit secp256k1_signer(private_key key) : key_(std::move(key)), address_(address_of(key_)) {}

    /// Convenience: parse a hex key (see private_key::from_hex).
    static result<secp256k1_signer> from_hex(std::string_view hex) {
        ZEROG_TRY(auto key, private_key::from_hex(hex));
        return secp256k1_signer(std::move(key));
    }

    const crypto::address& address() const noexcept { return address_; }

    /// RFC 6979 deterministic, low-s, recovery id 0/1. Fails only if libsecp256k1 does (the nonce
    /// function exhausted its attempts), which cannot happen for a valid key in practice.
    result<signature> sign_digest(const hash256& digest) const {
        secp256k1_ecdsa_recoverable_signature rs;
        if (!secp256k1_ecdsa_sign_recoverable(secp256k1_ctx(), &rs, digest.data(), key_.unsafe_bytes().data(),
                                              nullptr /* RFC 6979 */, nullptr))
            return fail(errc::internal, "signing a digest: secp256k1_ecdsa_sign_recoverable failed");
        byte compact[64];
        int recid = 0;
        secp256k1_ecdsa_recoverable_signature_serialize_compact(secp256k1_ctx(), compact, &recid, &rs);
        signature sig;
        std::memcpy(sig.r.data(), compact, 32);
        std::memcpy(sig.s.data(), compact + 32, 32);
        // recid 2/3 (R.x >= n) has probability ~2^-127 and no Ethereum encoding (v is 27/28 only).
        if (recid > 1) return fail(errc::internal, "signing a digest: recovery id " + std::to_string(recid) + " has no v encoding");
        sig.recovery_id = static_cast<std::uint8_t>(recid);
        return sig;
    }

private:
    private_key key_;
    crypto::address address_;
};

}  // namespace zerog::crypto
