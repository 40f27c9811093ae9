// A secp256k1 private key that cannot leak by accident.
//
// `private_key` holds 32 big-endian bytes in 1..n-1 on a page of its own (secure_memory.hpp:
// mlock'ed, not dumped, wiped on destruction). It is movable but not copyable, and it cannot be
// printed or formatted: there is no operator<<, no to_string, no std::formatter, no hex getter.
// The bytes are reachable only through the deliberately ugly `unsafe_bytes()`, used by the
// signers and the keystore writer. `redacted()` returns "private_key(<redacted>)" for logs.
//
// Loading:
//   * `private_key::from_hex("0x…")`   (prefix optional, 64 hex digits)
//   * `private_key::from_bytes(span)`  (exactly 32 bytes)
//   * `load_private_key_from_env()`    (ZG_PRIVATE_KEY)
//   * keystore files: crypto/keystore.hpp
// Every error names what was wrong (length, position of a bad digit, range) and never echoes a
// digit of the input: a typo'd key is still 63/64 of a key.
//
// Thread safety: const member functions may be called concurrently; moving is not thread-safe.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/crypto/secure_memory.hpp>
#include <zerog/crypto/secret_registry.hpp>

#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

namespace zerog::crypto {

namespace detail {
/// secp256k1 group order n, big-endian.
inline constexpr byte secp256k1_order[32] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
    0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};

/// True iff 0 < k < n. Branch-free over the key bytes (the key must not steer branches).
inline bool scalar_in_range(const byte* k) noexcept {
    unsigned lt = 0, gt = 0, nonzero = 0;  // lexicographic compare, decided at the first difference
    for (int i = 0; i < 32; ++i) {
        const unsigned a = k[i], b = secp256k1_order[i];
        const unsigned undecided = 1u ^ (lt | gt);
        lt |= undecided & ((a - b) >> 31);
        gt |= undecided & ((b - a) >> 31);
        nonzero |= a;
    }
    return (lt & (nonzero != 0)) != 0;
}
}  // namespace detail

/// A validated secp256k1 secret scalar (1..n-1). Move-only; wiped on destruction and move.
/// Not formattable by design. Thread safety: see file comment.
class private_key {
public:
    private_key(const private_key&) = delete;
    private_key& operator=(const private_key&) = delete;
    private_key(private_key&&) noexcept = default;   // locked_page moves by pointer: no copy of the key
    private_key& operator=(private_key&&) noexcept = default;
    ~private_key() = default;                          // locked_page wipes and unmaps

    /// From exactly 32 big-endian bytes. Errors: invalid_length, invalid_key (0 or ≥ n).
    static result<private_key> from_bytes(byte_span b) {
        if (b.size() != 32)
            return fail(errc::invalid_length, "private key must be 32 bytes, got " + std::to_string(b.size()));
        if (!detail::scalar_in_range(b.data()))
            return fail(errc::invalid_key, "private key is zero or not below the secp256k1 group order n");
        private_key k;
        std::memcpy(k.page_.data(), b.data(), 32);
        // Second line of defence: every text sink scrubs this key's hex form (only a salted
        // fingerprint is registered, see crypto/secret_registry.hpp).
        crypto::secret_registry::instance().add_key(b);
        return k;
    }

    /// A new key from the operating system's CSPRNG (a 32-byte draw is a valid scalar with
    /// probability 1 − 2⁻¹²⁸; the loop is bounded all the same). For tests and demos that need
    /// a throwaway account; production keys come from the environment or a keystore.
    static result<private_key> generate() {
        wiped_array<32> seed;
        for (int attempt = 0; attempt < 16; ++attempt) {
            random_bytes(std::span<byte>(seed.data(), 32));
            if (auto k = from_bytes(byte_span(seed.data(), 32))) return k;
        }
        return fail(errc::internal, "the CSPRNG produced 16 invalid secp256k1 scalars in a row");
    }

    /// From 64 hex digits, "0x" optional; surrounding ASCII whitespace (a trailing newline from a
    /// file or `export`) is ignored. Errors never contain a digit of the input.
    static result<private_key> from_hex(std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
        if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
        if (s.empty()) return fail(errc::invalid_key, "private key is empty");
        if (s.size() != 64)
            return fail(errc::invalid_length, "private key must be 64 hex digits, got " + std::to_string(s.size()));
        wiped_array<32> raw;
        for (std::size_t i = 0; i < 32; ++i) {
            const int hi = zerog::detail::hex_value(s[2 * i]);
            const int lo = zerog::detail::hex_value(s[2 * i + 1]);
            if ((hi | lo) < 0)  // position only: the character itself could be part of the key
                return fail(errc::invalid_hex, "private key has a non-hex character at digit " +
                                                   std::to_string(hi < 0 ? 2 * i : 2 * i + 1));
            raw.data()[i] = static_cast<byte>(hi << 4 | lo);
        }
        return from_bytes(byte_span(raw.data(), 32));
    }

    /// The raw 32 bytes. For signers and the keystore writer only; never log or format them.
    std::span<const byte, 32> unsafe_bytes() const noexcept { return std::span<const byte, 32>(page_.data(), 32); }

    /// "private_key(<redacted>)": the only textual form a private key has.
    static std::string redacted() { return "private_key(<redacted>)"; }

    /// Constant-time equality (for tests and keystore round trips).
    friend bool operator==(const private_key& a, const private_key& b) noexcept {
        unsigned d = 0;
        for (int i = 0; i < 32; ++i) d |= static_cast<unsigned>(a.page_.data()[i] ^ b.page_.data()[i]);
        return d == 0;
    }

    /// Whether the backing page is mlock'ed (best effort; see secure_memory.hpp).
    bool is_memory_locked() const noexcept { return page_.is_locked(); }

private:
    private_key() = default;
    locked_page page_;
};

/// Read the key from ZG_PRIVATE_KEY. Errors: not_found when unset or empty, else from_hex's.
/// (The environment block itself cannot be wiped; prefer a keystore for long-running services.)
inline result<private_key> load_private_key_from_env(const char* var = "ZG_PRIVATE_KEY") {
    const char* v = std::getenv(var);
    if (!v || !*v) return fail(errc::not_found, std::string(var) + " is not set");
    return private_key::from_hex(v).during(std::string("loading the private key from ") + var);
}

}  // namespace zerog::crypto
