// The Signer concept: who signs digests. A policy family of the clients (client::policy_set's
// `signer`), defined here, in crypto, because protocol code (EIP-191 messages, session tokens,
// TEE response checks) signs through it and must not depend on the policy layer.
//
// Concept `Signer`: `address()` returns the signing account; `sign_digest(d)` returns a recoverable
// secp256k1 signature (low-s, recovery id 0/1) of the 32-byte digest `d`. The private key never
// leaves the signer: every higher layer (transactions, EIP-191 messages, session tokens) hands the
// signer a digest, never asks for the key.
//
// Models:
//   * null_signer            (this file)  no key; signing fails with errc::not_supported. The
//                                          signer of read-only clients (zerog::storage_reader,
//                                          zerog::compute_reader): downloads, verification, estimates.
//   * secp256k1_signer       (crypto/secp256k1_signer.hpp) libsecp256k1, constant time. Default.
//   * cryptopp_signer        (crypto/cryptopp_signer.hpp)  Crypto++ RFC 6979, byte-identical.
//   * testing::mock_signer   (<zerog/testing/mock_signer.hpp>) records digests, scripted answers.
#pragma once

#include <zerog/core/result.hpp>
#include <zerog/crypto/address.hpp>
#include <zerog/crypto/signature.hpp>

#include <concepts>

namespace zerog::crypto {

template <class S>
concept Signer = requires(const S& s, const hash256& digest) {
    { s.address() } -> std::convertible_to<crypto::address>;
    { s.sign_digest(digest) } -> std::same_as<result<crypto::signature>>;
};

/// No key configured. Zero size; every signature request fails with a clear error.
struct null_signer {
    crypto::address address() const noexcept { return {}; }
    result<crypto::signature> sign_digest(const hash256&) const {
        return fail(errc::not_supported, "this client has no signer (a read-only client); configure a key with "
                                         "ZG_PRIVATE_KEY or ZG_KEYSTORE and use a signing client");
    }
};
static_assert(Signer<null_signer>);

}  // namespace zerog::crypto
