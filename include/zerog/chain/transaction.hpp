// Ethereum transactions: EIP-1559 (type 2), EIP-2930 (type 1) and legacy EIP-155, signing and
// strict decoding.
//
//   signing_hash(tx)                 keccak256 of what the signer signs
//   sign_transaction(tx, signer)     → signed_transaction {raw, hash = keccak(raw), sender, sig}
//   decode_raw_transaction(raw)      → the same, parsed back with the sender recovered
//
// Wire formats (byte-identical to go-ethereum and ethers):
//   legacy  rlp([nonce, gasPrice, gas, to, value, data, v, r, s]), v = chainId*2 + 35 + recid,
//           signed over rlp([nonce, gasPrice, gas, to, value, data, chainId, 0, 0]);
//   type 1  0x01 ‖ rlp([chainId, nonce, gasPrice, gas, to, value, data, accessList, yParity, r, s]),
//           signed over 0x01 ‖ rlp(the first eight);
//   type 2  0x02 ‖ rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gas, to, value, data,
//           accessList, yParity, r, s]), signed over 0x02 ‖ rlp(the first nine).
// `to` is the empty string for contract creation.
//
// Validation (`validate`, applied before signing): chain id non-zero (EIP-155 replay protection;
// zero is what a forgotten field looks like), maxPriorityFeePerGas ≤ maxFeePerGas, nonce below
// 2^64-1 (EIP-2681), gas at least the 21000 intrinsic minimum, legacy chain id small enough for v
// to fit 64 bits. Decoding accepts only canonical RLP, low-s signatures (EIP-2), re-encodes the
// result and demands the exact input bytes back, and also parses pre-EIP-155 legacy transactions
// (v = 27/28, reported with chain_id 0) so devnet tooling can read them. Blob (3), set-code (4)
// and other types are reported as errc::not_supported. The same encoders serve
// chain/sender_key.hpp, which rebuilds a transaction from a node's JSON to recover its sender.
//
// Thread safety: pure functions; `sign_transaction` calls the signer's const `sign_digest`.
#pragma once

#include <zerog/codec/rlp.hpp>
#include <zerog/core/bytes.hpp>
#include <zerog/core/result.hpp>
#include <zerog/core/uint256.hpp>
#include <zerog/crypto/address.hpp>
#include <zerog/crypto/keccak.hpp>
#include <zerog/crypto/recover.hpp>
#include <zerog/crypto/signature.hpp>
#include <zerog/crypto/signer.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace zerog::chain {

/// One EIP-2930 access-list entry.
struct access_list_entry {
    crypto::address address;
    std::vector<hash256> storage_keys;
    friend bool operator==(const access_list_entry&, const access_list_entry&) = default;
};

/// Legacy transaction with EIP-155 replay protection (chain_id 0 only when decoding a pre-EIP-155 one).
struct legacy_tx {
    std::uint64_t chain_id = 0;
    std::uint64_t nonce = 0;
    uint256 gas_price;
    std::uint64_t gas = 0;
    std::optional<crypto::address> to;  ///< nullopt: contract creation
    uint256 value;
    bytes data;
    friend bool operator==(const legacy_tx&, const legacy_tx&) = default;
};

/// EIP-1559 dynamic-fee transaction (type 2).
struct eip1559_tx {
    std::uint64_t chain_id = 0;
    std::uint64_t nonce = 0;
    uint256 max_priority_fee_per_gas;
    uint256 max_fee_per_gas;
    std::uint64_t gas = 0;
    std::optional<crypto::address> to;  ///< nullopt: contract creation
    uint256 value;
    bytes data;
    std::vector<access_list_entry> access_list;
    friend bool operator==(const eip1559_tx&, const eip1559_tx&) = default;
};

/// EIP-2930 access-list transaction (type 1): a legacy gas price plus an access list.
struct eip2930_tx {
    std::uint64_t chain_id = 0;
    std::uint64_t nonce = 0;
    uint256 gas_price;
    std::uint64_t gas = 0;
    std::optional<crypto::address> to;  ///< nullopt: contract creation
    uint256 value;
    bytes data;
    std::vector<access_list_entry> access_list;
    friend bool operator==(const eip2930_tx&, const eip2930_tx&) = default;
};

/// Any supported transaction type (eip2930_tx last: existing indices stay).
using transaction = std::variant<legacy_tx, eip1559_tx, eip2930_tx>;

/// The EIP-2718 type byte of `t` (0 for legacy).
inline std::uint8_t type_of(const transaction& t) noexcept {
    if (std::holds_alternative<legacy_tx>(t)) return 0;
    return std::holds_alternative<eip2930_tx>(t) ? 1 : 2;
}

/// A signed transaction: what eth_sendRawTransaction takes (`raw`), its hash, and who signed it.
struct signed_transaction {
    transaction tx;
    crypto::signature sig;
    bytes raw;
    hash256 hash;
    crypto::address sender;
};

inline constexpr std::uint64_t intrinsic_gas = 21000;

/// Check the rules listed in the file comment. Errors: errc::invalid_argument.
inline result<void> validate(const transaction& t) {
    auto bad = [](const std::string& what) { return fail(errc::invalid_argument, "invalid transaction: " + what); };
    const auto check_common = [&](std::uint64_t chain_id, std::uint64_t nonce, std::uint64_t gas) -> result<void> {
        if (chain_id == 0) return bad("chain id 0 (EIP-155 replay protection needs the real chain id)");
        if (nonce == UINT64_MAX) return bad("nonce 2^64-1 is not allowed (EIP-2681)");
        if (gas < intrinsic_gas) return bad("gas limit " + std::to_string(gas) + " is below the 21000 intrinsic minimum");
        return {};
    };
    if (const auto* l = std::get_if<legacy_tx>(&t)) {
        ZEROG_CHECK(check_common(l->chain_id, l->nonce, l->gas));
        if (l->chain_id > (UINT64_MAX - 36) / 2) return bad("chain id " + std::to_string(l->chain_id) + " too large for a legacy v value");
        return {};
    }
    if (const auto* a = std::get_if<eip2930_tx>(&t)) return check_common(a->chain_id, a->nonce, a->gas);
    const auto& d = std::get<eip1559_tx>(t);
    ZEROG_CHECK(check_common(d.chain_id, d.nonce, d.gas));
    if (d.max_priority_fee_per_gas > d.max_fee_per_gas)
        return bad("maxPriorityFeePerGas " + d.max_priority_fee_per_gas.to_decimal() + " exceeds maxFeePerGas " + d.max_fee_per_gas.to_decimal());
    return {};
}

namespace detail {

inline void append_to(bytes& out, const std::optional<crypto::address>& to) {
    if (to) rlp::append_bytes(out, to->bytes());
    else rlp::append_bytes(out, byte_span{});
}

inline void append_access_list(bytes& out, const std::vector<access_list_entry>& al) {
    bytes entries;
    for (const auto& e : al) {
        bytes entry, keys;
        rlp::append_bytes(entry, e.address.bytes());
        for (const auto& k : e.storage_keys) rlp::append_bytes(keys, k);
        rlp::append_list(entry, keys);
        rlp::append_list(entries, entry);
    }
    rlp::append_list(out, entries);
}

/// Typed (EIP-2718) transactions: every type but legacy.
template <class Tx>
inline constexpr bool is_typed_v = !std::is_same_v<Tx, legacy_tx>;

/// The RLP payload of `t` without signature and list header, shared by the signing and raw
/// encodings: [chainId,] nonce, fees, gas, to, value, data[, accessList]. The types differ only
/// in the bracketed fields (typed transactions) and in their fees (gasPrice, or type 2's
/// maxPriorityFeePerGas and maxFeePerGas). decode_unsigned_fields reads the same list.
template <class Tx>
bytes unsigned_fields(const Tx& t) {
    bytes p;
    if constexpr (is_typed_v<Tx>) rlp::append_uint(p, t.chain_id);
    rlp::append_uint(p, t.nonce);
    if constexpr (std::is_same_v<Tx, eip1559_tx>) {
        rlp::append_uint(p, t.max_priority_fee_per_gas);
        rlp::append_uint(p, t.max_fee_per_gas);
    } else {
        rlp::append_uint(p, t.gas_price);
    }
    rlp::append_uint(p, t.gas);
    append_to(p, t.to);
    rlp::append_uint(p, t.value);
    rlp::append_bytes(p, t.data);
    if constexpr (is_typed_v<Tx>) append_access_list(p, t.access_list);
    return p;
}
/// The same for whichever type `t` holds.
inline bytes unsigned_fields(const transaction& t) {
    return std::visit([](const auto& x) { return unsigned_fields(x); }, t);
}
inline void append_sig_word(bytes& p, const hash256& w) { rlp::append_uint(p, *uint256::from_be_bytes(w)); }

/// Signing hash without validation (decoding must hash pre-EIP-155 transactions too).
inline hash256 unchecked_signing_hash(const transaction& t) {
    bytes out;
    bytes p = unsigned_fields(t);
    if (const auto* l = std::get_if<legacy_tx>(&t)) {
        if (l->chain_id != 0) {  // EIP-155: chainId, 0, 0
            rlp::append_uint(p, l->chain_id);
            rlp::append_uint(p, std::uint64_t{0});
            rlp::append_uint(p, std::uint64_t{0});
        }
    } else {
        out.push_back(type_of(t));
    }
    rlp::append_list(out, p);
    return crypto::keccak256(out);
}

}  // namespace detail

/// The digest a signer signs for `t` (validated first).
inline result<hash256> signing_hash(const transaction& t) {
    ZEROG_CHECK(validate(t));
    return detail::unchecked_signing_hash(t);
}

/// The raw signed encoding of `t` with `sig` (no validation; use sign_transaction normally).
inline bytes encode_signed(const transaction& t, const crypto::signature& sig) {
    bytes out;
    bytes p = detail::unsigned_fields(t);
    if (const auto* l = std::get_if<legacy_tx>(&t)) {
        const std::uint64_t v = l->chain_id ? l->chain_id * 2 + 35 + sig.recovery_id : 27u + sig.recovery_id;
        rlp::append_uint(p, v);
    } else {
        rlp::append_uint(p, std::uint64_t{sig.recovery_id});  // yParity
        out.push_back(type_of(t));
    }
    detail::append_sig_word(p, sig.r);
    detail::append_sig_word(p, sig.s);
    rlp::append_list(out, p);
    return out;
}

/// Validate, sign with `signer`, encode, and check that the signature recovers to
/// `signer.address()` (a signer holding a different key than it claims fails here, not on chain).
template <crypto::Signer S>
result<signed_transaction> sign_transaction(const transaction& tx, const S& signer) {
    ZEROG_TRY(const hash256 digest, signing_hash(tx).during("signing a transaction"));
    ZEROG_TRY(const crypto::signature sig, signer.sign_digest(digest).during("signing a transaction"));
    ZEROG_TRY(const crypto::address from, crypto::recover_address(digest, sig).during("checking a transaction signature"));
    const crypto::address expected = signer.address();
    if (from != expected)
        return fail(zerog::error(errc::verification_failed, "signature recovers to " + from.to_checksum_hex() + ", signer claims " +
                                                                expected.to_checksum_hex())
                        .during("signing a transaction"));
    signed_transaction out{tx, sig, encode_signed(tx, sig), {}, from};
    out.hash = crypto::keccak256(out.raw);
    return out;
}

namespace detail {

inline result<std::optional<crypto::address>> decode_to(const rlp::item& it) {
    if (!it.is_list && it.str.empty()) return std::optional<crypto::address>{};
    ZEROG_TRY(auto b, it.to_fixed(20, "to"));
    return std::optional<crypto::address>(crypto::address(fixed_bytes<20>::from_span(b)));
}

inline result<hash256> decode_sig_word(const rlp::item& it, std::string_view what) {
    ZEROG_TRY(const uint256 v, it.to_uint256(what));
    return v.to_be_bytes();
}

inline result<std::vector<access_list_entry>> decode_access_list(const rlp::item& it) {
    if (!it.is_list) return fail(errc::parse_error, "accessList at offset " + std::to_string(it.offset) + " is not a list");
    std::vector<access_list_entry> out;
    for (const auto& e : it.list) {
        if (!e.is_list || e.list.size() != 2 || !e.list[1].is_list)
            return fail(errc::parse_error, "access list entry at offset " + std::to_string(e.offset) + " is not [address, [keys...]]");
        access_list_entry entry;
        ZEROG_TRY(auto a, e.list[0].to_fixed(20, "access list address"));
        entry.address = crypto::address(fixed_bytes<20>::from_span(a));
        for (const auto& k : e.list[1].list) {
            ZEROG_TRY(auto kb, k.to_fixed(32, "access list storage key"));
            entry.storage_keys.push_back(hash256::from_span(kb));
        }
        out.push_back(std::move(entry));
    }
    return out;
}

/// Decode what unsigned_fields<Tx> encodes from the first fields of `f` (the caller checked the
/// count; the signature follows in the last three).
template <class Tx>
result<void> decode_unsigned_fields(const std::vector<rlp::item>& f, Tx& t) {
    std::size_t i = 0;
    if constexpr (is_typed_v<Tx>) {
        ZEROG_TRY(t.chain_id, f[i++].to_u64("chainId"));
    }
    ZEROG_TRY(t.nonce, f[i++].to_u64("nonce"));
    if constexpr (std::is_same_v<Tx, eip1559_tx>) {
        ZEROG_TRY(t.max_priority_fee_per_gas, f[i++].to_uint256("maxPriorityFeePerGas"));
        ZEROG_TRY(t.max_fee_per_gas, f[i++].to_uint256("maxFeePerGas"));
    } else {
        ZEROG_TRY(t.gas_price, f[i++].to_uint256("gasPrice"));
    }
    ZEROG_TRY(t.gas, f[i++].to_u64("gas"));
    ZEROG_TRY(t.to, decode_to(f[i++]));
    ZEROG_TRY(t.value, f[i++].to_uint256("value"));
    if (f[i].is_list) return fail(errc::parse_error, "data field at offset " + std::to_string(f[i].offset) + " is a list");
    t.data = f[i++].str;
    if constexpr (is_typed_v<Tx>) {
        ZEROG_TRY(t.access_list, decode_access_list(f[i]));
    }
    return {};
}

/// A typed transaction (type byte raw[0], `n_fields` fields with the signature, `name` its EIP for
/// messages): the fields, then the common tail yParity, r, s and the chain id check. Sets tx and sig.
template <class Tx>
result<signed_transaction> decode_typed(byte_span raw, std::string_view name, std::size_t n_fields) {
    ZEROG_TRY(const rlp::item root, rlp::decode(raw.subspan(1)).during("decoding the type-" + std::to_string(raw[0]) +
                                                                        " payload (offsets after the type byte)"));
    if (!root.is_list || root.list.size() != n_fields)
        return fail(errc::parse_error, std::string(name) + " transaction has " + std::to_string(root.list.size()) + " fields, expected " +
                                           std::to_string(n_fields));
    const auto& f = root.list;
    signed_transaction out;
    Tx t;
    ZEROG_CHECK(decode_unsigned_fields(f, t));
    ZEROG_TRY(const std::uint64_t y, f[n_fields - 3].to_u64("yParity"));
    if (y > 1) return fail(errc::invalid_signature, "yParity " + std::to_string(y) + " is not 0 or 1");
    out.sig.recovery_id = static_cast<std::uint8_t>(y);
    ZEROG_TRY(out.sig.r, decode_sig_word(f[n_fields - 2], "r"));
    ZEROG_TRY(out.sig.s, decode_sig_word(f[n_fields - 1], "s"));
    if (t.chain_id == 0) return fail(errc::invalid_argument, std::string(name) + " transaction with chain id 0");
    out.tx = std::move(t);
    return out;
}

inline result<signed_transaction> decode_raw_impl(byte_span raw) {
    if (raw.empty()) return fail(errc::empty_input, "empty raw transaction");
    signed_transaction out;
    if (raw[0] >= 0xc0) {
        ZEROG_TRY(const rlp::item root, rlp::decode(raw));
        if (root.list.size() != 9)
            return fail(errc::parse_error, "legacy transaction has " + std::to_string(root.list.size()) + " fields, expected 9");
        const auto& f = root.list;
        legacy_tx t;
        ZEROG_CHECK(decode_unsigned_fields(f, t));
        ZEROG_TRY(const std::uint64_t v, f[6].to_u64("v"));
        if (v == 27 || v == 28) {
            t.chain_id = 0;
            out.sig.recovery_id = static_cast<std::uint8_t>(v - 27);
        } else if (v >= 37) {
            t.chain_id = (v - 35) / 2;
            out.sig.recovery_id = static_cast<std::uint8_t>((v - 35) % 2);
        } else {
            return fail(errc::invalid_signature, "legacy v " + std::to_string(v) + " is neither 27/28 nor an EIP-155 value (>= 37)");
        }
        ZEROG_TRY(out.sig.r, decode_sig_word(f[7], "r"));
        ZEROG_TRY(out.sig.s, decode_sig_word(f[8], "s"));
        out.tx = std::move(t);
    } else if (raw[0] == 0x01) {
        ZEROG_TRY(out, decode_typed<eip2930_tx>(raw, "EIP-2930", 11));
    } else if (raw[0] == 0x02) {
        ZEROG_TRY(out, decode_typed<eip1559_tx>(raw, "EIP-1559", 12));
        const auto& t = std::get<eip1559_tx>(out.tx);
        if (t.max_priority_fee_per_gas > t.max_fee_per_gas)
            return fail(errc::invalid_argument, "maxPriorityFeePerGas exceeds maxFeePerGas");
    } else if (raw[0] <= 0x7f) {
        return fail(errc::not_supported, "transaction type " + std::to_string(raw[0]) + " is not supported (only legacy, 1 and 2)");
    } else {
        return fail(errc::parse_error, "first byte 0x" + to_hex(raw.first(1), false) + " is neither a transaction type nor an RLP list");
    }
    // Canonical form: strict RLP already guarantees it, this catches any field we failed to check.
    out.raw = encode_signed(out.tx, out.sig);
    if (!std::equal(out.raw.begin(), out.raw.end(), raw.begin(), raw.end()))
        return fail(errc::parse_error, "raw transaction does not re-encode to the same bytes (non-canonical)");
    ZEROG_TRY(out.sender, crypto::recover_address(unchecked_signing_hash(out.tx), out.sig).during("recovering the sender"));
    out.hash = crypto::keccak256(raw);
    return out;
}

}  // namespace detail

/// Parse a raw signed transaction (legacy, type 1 or type 2), verify the signature is well-formed and
/// low-s, and recover the sender. Errors carry the RLP offset of the offending field.
inline result<signed_transaction> decode_raw_transaction(byte_span raw) {
    return detail::decode_raw_impl(raw).during("decoding a raw transaction");
}

}  // namespace zerog::chain
