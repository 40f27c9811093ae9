// A recoverable secp256k1 ECDSA signature as Ethereum uses it: r, s (low-s), and the recovery id.
#pragma once

#include <zerog/core/bytes.hpp>

#include <cstdint>

namespace zerog::crypto {

struct signature {
    hash256 r;
    hash256 s;
    std::uint8_t recovery_id = 0;  ///< 0 or 1 (y parity of R); Ethereum's v = 27 + recovery_id

    std::uint8_t v() const noexcept { return static_cast<std::uint8_t>(27 + recovery_id); }

    /// 65 bytes r ‖ s ‖ v (v = 27/28): personal_sign / ethers `Signature.serialized`.
    fixed_bytes<65> to_rsv() const noexcept {
        fixed_bytes<65> out;
        std::copy(r.begin(), r.end(), out.begin());
        std::copy(s.begin(), s.end(), out.begin() + 32);
        out[64] = v();
        return out;
    }

    /// Accepts v in {0,1,27,28}. Range checks of r and s belong to recovery (crypto/ecdsa).
    static result<signature> from_rsv(byte_span b) {
        if (b.size() != 65) return fail(errc::invalid_signature, "expected 65 bytes r||s||v, got " + std::to_string(b.size()));
        signature sig;
        std::copy(b.begin(), b.begin() + 32, sig.r.begin());
        std::copy(b.begin() + 32, b.begin() + 64, sig.s.begin());
        const std::uint8_t v = b[64];
        if (v == 27 || v == 28) sig.recovery_id = static_cast<std::uint8_t>(v - 27);
        else if (v == 0 || v == 1) sig.recovery_id = v;
        else return fail(errc::invalid_signature, "v must be 27, 28, 0 or 1 (got " + std::to_string(v) + ")");
        return sig;
    }
    friend bool operator==(const signature&, const signature&) = default;
};

}  // namespace zerog::crypto
