// Public-key / address recovery from a recoverable signature (libsecp256k1), with the checks an
// Ethereum verifier needs.
//
// Checks, in order (each failure is errc::invalid_signature with a detail naming the check):
//   * recovery id must be 0 or 1 (Ethereum's v is 27/28; ids 2/3 are never produced);
//   * r and s must be in 1..n-1;
//   * s must be ≤ n/2 unless `high_s::allow` is passed. Every signer we interoperate with
//     (ethers, noble, go-ethereum, libsecp256k1) emits low-s, and EIP-2 makes high-s signatures
//     malleable copies of a valid one, so verifiers of tokens and messages reject them by default.
//     ecrecover-compatible callers (the EVM precompile accepts high-s) pass high_s::allow.
//   * the point must exist and the recovered key must not be the point at infinity.
//
// The Crypto++ implementation of the same recovery lives in cryptopp_signer.hpp
// (`cryptopp_recover_public_key`) for cross-checks and Crypto++-only builds.
//
// Thread safety: all functions are thread-safe (shared read-only context).
#pragma once

#include <zerog/core/result.hpp>
#include <zerog/crypto/address.hpp>
#include <zerog/crypto/secp256k1_context.hpp>
#include <zerog/crypto/signature.hpp>

namespace zerog::crypto {

/// Whether recovery accepts s > n/2.
enum class high_s { reject, allow };

namespace detail {
/// n/2 (floor), big-endian: the largest low-s value.
inline constexpr byte secp256k1_half_order[32] = {
    0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4, 0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46, 0x68, 0x1B, 0x20, 0xA0};

inline int compare_be32(const byte* a, const byte* b) noexcept { return std::memcmp(a, b, 32); }

/// The checks shared by both recovery implementations (see file comment).
inline result<void> check_signature_values(const signature& sig, high_s hs) {
    if (sig.recovery_id > 1)
        return fail(errc::invalid_signature, "recovery id must be 0 or 1 (v 27/28), got " + std::to_string(sig.recovery_id));
    if (sig.r.is_zero() || compare_be32(sig.r.data(), secp256k1_order) >= 0)
        return fail(errc::invalid_signature, "r is zero or not below the group order n");
    if (sig.s.is_zero() || compare_be32(sig.s.data(), secp256k1_order) >= 0)
        return fail(errc::invalid_signature, "s is zero or not below the group order n");
    if (hs == high_s::reject && compare_be32(sig.s.data(), secp256k1_half_order) > 0)
        return fail(errc::invalid_signature, "s is above n/2 (high-s, malleable; EIP-2)");
    return {};
}
}  // namespace detail

/// Recover the signer's uncompressed public key (x ‖ y) from `digest` and `sig`.
inline result<fixed_bytes<64>> recover_public_key(const hash256& digest, const signature& sig, high_s hs = high_s::reject) {
    if (auto ok = detail::check_signature_values(sig, hs); !ok) return fail(std::move(ok).error().during("recovering a public key"));
    byte compact[64];
    std::memcpy(compact, sig.r.data(), 32);
    std::memcpy(compact + 32, sig.s.data(), 32);
    secp256k1_ecdsa_recoverable_signature rs;
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(secp256k1_ctx(), &rs, compact, sig.recovery_id))
        return fail(zerog::error(errc::invalid_signature, "r or s out of range").during("recovering a public key"));
    secp256k1_pubkey pk;
    if (!secp256k1_ecdsa_recover(secp256k1_ctx(), &pk, &rs, digest.data()))
        return fail(zerog::error(errc::invalid_signature, "no curve point for r with this recovery id, or the key is at infinity")
                        .during("recovering a public key"));
    byte out65[65];
    std::size_t len = sizeof out65;
    secp256k1_ec_pubkey_serialize(secp256k1_ctx(), out65, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
    return fixed_bytes<64>::from_span(byte_span(out65 + 1, 64));
}

/// Recover the signer's address from `digest` and `sig`.
inline result<address> recover_address(const hash256& digest, const signature& sig, high_s hs = high_s::reject) {
    ZEROG_TRY(auto pub, recover_public_key(digest, sig, hs));
    return address::from_public_key(pub.span());
}

}  // namespace zerog::crypto
