// EIP-191 version 0x45 ("personal_sign", ethers `signMessage` / `verifyMessage`).
//
//   digest = keccak256("\x19Ethereum Signed Message:\n" ‖ decimal(len(msg)) ‖ msg)
//
// The message is raw bytes. The 0G compute session token signs the 32 *bytes* of
// keccak256(tokenJSON), not its hex text (docs/protocol/compute.md §4.3): pass a hash256 (it converts to
// byte_span) for that, and the text for the TEE response signature.
//
// Thread safety: pure functions; `sign_personal` is as thread-safe as the signer passed.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/crypto/keccak.hpp>
#include <zerog/crypto/recover.hpp>
#include <zerog/crypto/signature.hpp>
#include <zerog/crypto/signer.hpp>

#include <string>
#include <string_view>

namespace zerog::crypto {

/// keccak256 of the EIP-191 personal-message preimage of `msg`.
inline hash256 personal_message_digest(byte_span msg) noexcept {
    char len[24];
    const int n = std::snprintf(len, sizeof len, "%zu", msg.size());
    keccak256_hasher h;
    h.update(std::string_view("\x19" "Ethereum Signed Message:\n"));
    h.update(std::string_view(len, static_cast<std::size_t>(n)));
    h.update(msg);
    return h.finalize();
}
inline hash256 personal_message_digest(std::string_view msg) noexcept { return personal_message_digest(as_bytes(msg)); }

/// personal_sign `msg` with any crypto::Signer: 65 bytes r ‖ s ‖ v, v ∈ {27, 28}.
template <crypto::Signer S>
result<fixed_bytes<65>> sign_personal(const S& signer, byte_span msg) {
    auto sig = signer.sign_digest(personal_message_digest(msg));
    if (!sig) return fail(std::move(sig).error().during("signing a personal message (EIP-191)"));
    return sig->to_rsv();
}
template <crypto::Signer S>
result<fixed_bytes<65>> sign_personal(const S& signer, std::string_view msg) {
    return sign_personal(signer, as_bytes(msg));
}

/// The address that personal_signed `msg` with the 65-byte `sig` (v ∈ {27,28,0,1}); high-s rejected.
inline result<address> recover_personal(byte_span msg, byte_span sig65) {
    auto sig = signature::from_rsv(sig65);
    if (!sig) return fail(std::move(sig).error().during("verifying a personal message signature (EIP-191)"));
    auto a = recover_address(personal_message_digest(msg), *sig);
    if (!a) return fail(std::move(a).error().during("verifying a personal message signature (EIP-191)"));
    return *a;
}
inline result<address> recover_personal(std::string_view msg, byte_span sig65) { return recover_personal(as_bytes(msg), sig65); }

/// Same, with the signature as 0x-hex (132 characters), as it travels in tokens and JSON.
inline result<address> recover_personal_hex(byte_span msg, std::string_view sig_hex) {
    auto b = from_hex_fixed<65>(sig_hex, hex_prefix::required);
    if (!b) return fail(std::move(b).error().during("parsing a personal message signature"));
    return recover_personal(msg, *b);
}

}  // namespace zerog::crypto
