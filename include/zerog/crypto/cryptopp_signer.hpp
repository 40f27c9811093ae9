// cryptopp_signer: a Signer (policy/signer.hpp) backed by Crypto++, byte-identical to
// secp256k1_signer; plus public-key recovery by Crypto++ point arithmetic.
//
// Why it exists: an independent second implementation to cross-check libsecp256k1 in tests, and
// a signer for builds where libsecp256k1 is unavailable. It is ~10× slower and NOT constant-time
// (Crypto++ Integer/ECP arithmetic leaks timing on k and d): prefer secp256k1_signer.
//
// How: Crypto++'s high-level ECDSA_RFC6979 hashes the message itself and yields
// no v and no low-s, so only its nonce generator is used: k = DL_Algorithm_ECDSA_RFC6979<ECP,
// SHA256>::GenerateRandom(d, n, e), i.e. HMAC-SHA256 DRBG exactly as ethers/noble/libsecp256k1.
// Then R = k·G, r = R.x mod n, s = k⁻¹(e + r·d) mod n, recid = R.y odd | (R.x ≥ n) << 1, and
// low-s normalisation (s > n/2 → s = n − s, recid ^= 1).
//
// Recovery: x = r (+ n if recid & 2), y = √(x³+7) mod p (p ≡ 3 mod 4, so one exponentiation by
// (p+1)/4), pick the parity, Q = (−e·r⁻¹)·G + (s·r⁻¹)·R using the precomputed comb for G.
//
// Thread safety: Crypto++'s ECP returns references to `mutable` scratch members and the RFC 6979
// object keeps mutable HMAC state, so a shared curve object is not thread-safe. Each thread gets
// its own precomputed curve (`thread_local`, built on first use, ~1 ms) and each call its own
// nonce generator, so `sign_digest` and `cryptopp_recover_*` are safe to call concurrently.
#pragma once

#include <zerog/core/result.hpp>
#include <zerog/crypto/address.hpp>
#include <zerog/crypto/private_key.hpp>
#include <zerog/crypto/recover.hpp>
#include <zerog/crypto/signature.hpp>

#include <cryptopp/eccrypto.h>
#include <cryptopp/gfpcrypt.h>
#include <cryptopp/nbtheory.h>
#include <cryptopp/oids.h>
#include <cryptopp/sha.h>

#include <exception>
#include <utility>

namespace zerog::crypto {

namespace detail {

/// secp256k1 over Crypto++, with the base-point comb precomputed. One per thread.
struct cryptopp_curve {
    CryptoPP::DL_GroupParameters_EC<CryptoPP::ECP> params;
    CryptoPP::Integer n, half_n, p, sqrt_exp;

    cryptopp_curve() {
        params.Initialize(CryptoPP::ASN1::secp256k1());
        params.Precompute();
        n = params.GetSubgroupOrder();
        half_n = n >> 1;
        p = params.GetCurve().GetField().GetModulus();
        sqrt_exp = (p + 1) >> 2;
    }
    const CryptoPP::ECP& curve() const { return params.GetCurve(); }
};

inline cryptopp_curve& thread_cryptopp_curve() {
    thread_local cryptopp_curve c;
    return c;
}

inline CryptoPP::Integer to_integer(const byte* be32) { return CryptoPP::Integer(be32, 32); }
inline void from_integer(const CryptoPP::Integer& v, byte* be32) { v.Encode(be32, 32); }

}  // namespace detail

/// Recover x ‖ y with Crypto++ arithmetic. Same checks and errors as `recover_public_key`.
inline result<fixed_bytes<64>> cryptopp_recover_public_key(const hash256& digest, const signature& sig,
                                                          high_s hs = high_s::reject) {
    using CryptoPP::Integer;
    if (auto ok = detail::check_signature_values(sig, hs); !ok)
        return fail(std::move(ok).error().during("recovering a public key (Crypto++)"));
    try {
        auto& c = detail::thread_cryptopp_curve();
        const Integer r = detail::to_integer(sig.r.data());
        const Integer s = detail::to_integer(sig.s.data());
        const Integer e = detail::to_integer(digest.data()) % c.n;
        Integer x = r;
        if (sig.recovery_id & 2) x += c.n;
        if (x >= c.p) return fail(errc::invalid_signature, "recovering a public key (Crypto++): R.x is not a field element");
        const Integer alpha = (a_exp_b_mod_c(x, 3, c.p) + 7) % c.p;
        Integer y = a_exp_b_mod_c(alpha, c.sqrt_exp, c.p);
        if (a_times_b_mod_c(y, y, c.p) != alpha)
            return fail(errc::invalid_signature, "recovering a public key (Crypto++): r is not the x of a curve point");
        if (y.IsOdd() != static_cast<bool>(sig.recovery_id & 1)) y = c.p - y;
        const CryptoPP::ECP::Point R(x, y);
        const Integer r_inv = r.InverseMod(c.n);
        const Integer u1 = (c.n - a_times_b_mod_c(e, r_inv, c.n)) % c.n;
        const Integer u2 = a_times_b_mod_c(s, r_inv, c.n);
        const CryptoPP::ECP::Point a = c.params.ExponentiateBase(u1);
        const CryptoPP::ECP::Point b = c.curve().ScalarMultiply(R, u2);
        const CryptoPP::ECP::Point q = c.curve().Add(a, b);  // copy out of ECP's mutable scratch
        if (q.identity) return fail(errc::invalid_signature, "recovering a public key (Crypto++): the key is the point at infinity");
        fixed_bytes<64> out;
        detail::from_integer(q.x, out.data());
        detail::from_integer(q.y, out.data() + 32);
        return out;
    } catch (const std::exception& ex) {  // Crypto++ texts name the operation, never operands
        return fail(errc::internal, std::string("recovering a public key (Crypto++): ") + ex.what());
    }
}

/// Recover the address with Crypto++ arithmetic.
inline result<address> cryptopp_recover_address(const hash256& digest, const signature& sig, high_s hs = high_s::reject) {
    ZEROG_TRY(auto pub, cryptopp_recover_public_key(digest, sig, hs));
    return address::from_public_key(pub.span());
}

/// Crypto++ RFC 6979 signer (see file comment). Move-only (owns the key). Models crypto::Signer.
/// Thread safety: `sign_digest`/`address` may be called concurrently (per-thread curve state).
class cryptopp_signer {
public:
    /// The address is computed with Crypto++ too, so a Crypto++-only caller never needs libsecp.
    explicit cryptopp_signer(private_key key) : key_(std::move(key)) {
        auto& c = detail::thread_cryptopp_curve();
        const CryptoPP::Integer d = detail::to_integer(key_.unsafe_bytes().data());  // SecBlock: wiped on destruction
        const CryptoPP::ECP::Point q = c.params.ExponentiateBase(d);
        fixed_bytes<64> xy;
        detail::from_integer(q.x, xy.data());
        detail::from_integer(q.y, xy.data() + 32);
        address_ = address::from_public_key(xy.span());
    }

    static result<cryptopp_signer> from_hex(std::string_view hex) {
        ZEROG_TRY(auto key, private_key::from_hex(hex));
        return cryptopp_signer(std::move(key));
    }

    const crypto::address& address() const noexcept { return address_; }

    /// RFC 6979 (HMAC-SHA256), low-s, recovery id 0/1; byte-identical to secp256k1_signer.
    result<signature> sign_digest(const hash256& digest) const {
        using CryptoPP::Integer;
        try {
            auto& c = detail::thread_cryptopp_curve();
            const Integer d = detail::to_integer(key_.unsafe_bytes().data());
            const Integer e = detail::to_integer(digest.data());
            const CryptoPP::DL_Algorithm_ECDSA_RFC6979<CryptoPP::ECP, CryptoPP::SHA256> rfc6979;
            const Integer k = rfc6979.GenerateRandom(d, c.n, e);
            const CryptoPP::ECP::Point R = c.params.ExponentiateBase(k);
            const Integer r = R.x % c.n;
            // r = 0 or s = 0 happen with probability ~2^-256; RFC 6979 would draw the next k.
            if (r.IsZero()) return fail(errc::internal, "signing a digest (Crypto++): r = 0");
            Integer s = a_times_b_mod_c(k.InverseMod(c.n), (e + r * d) % c.n, c.n);
            if (s.IsZero()) return fail(errc::internal, "signing a digest (Crypto++): s = 0");
            unsigned recid = (R.y.IsOdd() ? 1u : 0u) | (R.x >= c.n ? 2u : 0u);
            if (s > c.half_n) {
                s = c.n - s;
                recid ^= 1u;
            }
            if (recid > 1) return fail(errc::internal, "signing a digest (Crypto++): recovery id has no v encoding");
            signature sig;
            detail::from_integer(r, sig.r.data());
            detail::from_integer(s, sig.s.data());
            sig.recovery_id = static_cast<std::uint8_t>(recid);
            return sig;
        } catch (const std::exception& ex) {  // Crypto++ texts name the operation, never operands
            return fail(errc::internal, std::string("signing a digest (Crypto++): ") + ex.what());
        }
    }

private:
    private_key key_;
    crypto::address address_;
};

}  // namespace zerog::crypto
