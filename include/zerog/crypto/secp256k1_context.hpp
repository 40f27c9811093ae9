// The process-wide libsecp256k1 context and public-key derivation (uncompressed x ‖ y and the
// 33-byte compressed form).
//
// libsecp256k1 0.2.0: contexts are created with SECP256K1_CONTEXT_NONE (the SIGN/VERIFY flags are
// deprecated no-ops) and randomised once with 32 CSPRNG bytes, which blinds the signing and
// pubkey-creation multiplications against side channels. After that the context is only read,
// and libsecp256k1 documents read-only use of one context from many threads as safe.
//
// Thread safety: `secp256k1_ctx()` initialises once (C++ magic static) and is then shared
// read-only; all functions here are thread-safe.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/crypto/address.hpp>
#include <zerog/crypto/private_key.hpp>
#include <zerog/crypto/secure_memory.hpp>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <cstring>
#include <memory>
#include <stdexcept>

namespace zerog::crypto {

namespace detail {
// A functor rather than decltype(&secp256k1_context_destroy): the latter trips -Wignored-attributes.
struct secp256k1_context_deleter {
    void operator()(secp256k1_context* c) const noexcept { secp256k1_context_destroy(c); }
};
using secp256k1_context_ptr = std::unique_ptr<secp256k1_context, secp256k1_context_deleter>;

inline secp256k1_context_ptr make_randomized_context() {
    secp256k1_context_ptr ctx(secp256k1_context_create(SECP256K1_CONTEXT_NONE));
    if (!ctx) throw std::bad_alloc();
    wiped_array<32> seed;
    random_bytes(std::span<byte>(seed.data(), 32));
    // Can only fail on a null seed or an illegal context; both are programming errors here.
    if (!secp256k1_context_randomize(ctx.get(), seed.data()))
        throw std::logic_error("secp256k1_context_randomize failed");
    return ctx;
}
}  // namespace detail

/// The shared, randomised, read-only libsecp256k1 context.
inline const secp256k1_context* secp256k1_ctx() {
    static const detail::secp256k1_context_ptr ctx = detail::make_randomized_context();
    return ctx.get();
}

/// Uncompressed public key of `key` as x ‖ y (64 bytes, no 0x04 prefix).
inline fixed_bytes<64> public_key_of(const private_key& key) {
    secp256k1_pubkey pk;
    // Cannot fail: private_key guarantees 1 <= d < n.
    if (!secp256k1_ec_pubkey_create(secp256k1_ctx(), &pk, key.unsafe_bytes().data()))
        throw std::logic_error("secp256k1_ec_pubkey_create rejected a validated key");
    byte out65[65];
    std::size_t len = sizeof out65;
    secp256k1_ec_pubkey_serialize(secp256k1_ctx(), out65, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
    return fixed_bytes<64>::from_span(byte_span(out65 + 1, 64));
}

/// The Ethereum address of `key`.
inline address address_of(const private_key& key) {
    const auto xy = public_key_of(key);
    return address::from_public_key(xy.span());
}

/// SEC 1 compressed form (0x02/0x03 by the parity of y, then x) of a public key given as x ‖ y.
/// Pure encoding: `xy` must already be a curve point (public_key_of, recover_public_key).
inline fixed_bytes<33> compress_public_key(std::span<const byte, 64> xy) noexcept {
    fixed_bytes<33> out;
    out.data()[0] = static_cast<byte>(0x02 | (xy[63] & 1));
    std::memcpy(out.data() + 1, xy.data(), 32);
    return out;
}

/// The compressed (33-byte) public key of `key`: what a reader hands out to have data keys
/// wrapped to it. Not secret.
inline fixed_bytes<33> compressed_public_key_of(const private_key& key) {
    const auto xy = public_key_of(key);
    return compress_public_key(xy.span());
}

/// x ‖ y of a compressed public key (e.g. to compute its address with address::from_public_key).
/// Errors: invalid_key when `compressed` is not a curve point.
inline result<fixed_bytes<64>> decompress_public_key(const fixed_bytes<33>& compressed) {
    secp256k1_pubkey pk;
    if (!secp256k1_ec_pubkey_parse(secp256k1_ctx(), &pk, compressed.data(), 33))
        return fail(errc::invalid_key, "not a compressed secp256k1 public key (0x02/0x03 ‖ x of a curve point)");
    byte out65[65];
    std::size_t len = sizeof out65;
    secp256k1_ec_pubkey_serialize(secp256k1_ctx(), out65, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
    return fixed_bytes<64>::from_span(byte_span(out65 + 1, 64));
}

}  // namespace zerog::crypto
