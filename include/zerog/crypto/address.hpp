// Ethereum addresses: 20 bytes, parsed strictly and printed with the EIP-55 checksum.
//
// Parsing rules (`address::parse`): "0x" + 40 hex digits. All-lower-case or all-upper-case digits
// are accepted as unchecksummed; mixed case must match the EIP-55 checksum exactly, since a
// mixed-case typo is precisely what the checksum exists to catch.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/crypto/keccak.hpp>

#include <string>
#include <string_view>

namespace zerog::crypto {

class address {
public:
    constexpr address() noexcept = default;
    explicit address(const fixed_bytes<20>& b) noexcept : bytes_(b) {}

    const fixed_bytes<20>& bytes() const noexcept { return bytes_; }
    const byte* data() const noexcept { return bytes_.data(); }
    bool is_zero() const noexcept { return bytes_.is_zero(); }
    friend bool operator==(const address&, const address&) = default;
    friend auto operator<=>(const address&, const address&) = default;

    /// Strict parse (see file comment). Errors: invalid_hex, invalid_length, invalid_checksum.
    static result<address> parse(std::string_view s) {
        ZEROG_TRY(auto b, (from_hex_fixed<20>(s, hex_prefix::required)));
        address a(b);
        std::string_view digits = s.substr(2);
        bool has_lower = false, has_upper = false;
        for (char c : digits) {
            has_lower |= (c >= 'a' && c <= 'f');
            has_upper |= (c >= 'A' && c <= 'F');
        }
        if (has_lower && has_upper && a.to_checksum_hex() != s)
            return fail(errc::invalid_checksum, "mixed-case address " + std::string(s) + " fails its EIP-55 checksum (expected " +
                                                    a.to_checksum_hex() + ")");
        return a;
    }

    /// Last 20 bytes of keccak256(uncompressed public key without its 0x04 prefix).
    static address from_public_key(std::span<const byte, 64> xy) noexcept {
        const hash256 h = keccak256(byte_span(xy.data(), 64));
        return address(fixed_bytes<20>::from_span(byte_span(h.data() + 12, 20)));
    }

    /// EIP-55 mixed-case checksum encoding, "0x"-prefixed.
    std::string to_checksum_hex() const {
        std::string lower = to_hex(bytes_, false);
        const hash256 h = keccak256(std::string_view(lower));
        std::string out = "0x";
        out.reserve(42);
        for (std::size_t i = 0; i < 40; ++i) {
            const char c = lower[i];
            const int nibble = (h[i / 2] >> (i % 2 ? 0 : 4)) & 0xf;
            out.push_back((c >= 'a' && nibble >= 8) ? static_cast<char>(c - 'a' + 'A') : c);
        }
        return out;
    }
    std::string to_lower_hex() const { return to_hex(bytes_); }

private:
    fixed_bytes<20> bytes_{};
};

}  // namespace zerog::crypto
