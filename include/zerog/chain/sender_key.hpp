// A transaction sender's public key, recovered from what a node answers for
// eth_getTransactionByHash: how a KV namespace learns the secp256k1 public key of a member known
// only by address (any transaction that address sent carries it in its signature).
//
//   parse_rpc_transaction(obj)      the transaction, signature, `from` and `hash` of the JSON object
//   recover_sender_public_key(obj)  → the sender's 33-byte compressed public key, checked
//
// Recovery rebuilds the exact signing payload with the encoders of transaction.hpp (the ones that
// sign; there is no second encoder): type 0 (legacy; EIP-155 with the chain id taken from v, or
// pre-EIP-155 with v = 27/28), type 1 (EIP-2930) and type 2 (EIP-1559), both with their access
// list. It hashes it (Keccak-256), recovers the key from (r, s, yParity/v) rejecting high-s
// (EIP-2), and then requires
//   * the key's address to equal the answer's `from`   (else errc::verification_failed), and
//   * keccak256 of the re-encoded signed transaction to equal the answer's `hash`
//     (else errc::verification_failed): the fields are exactly the transaction with that hash.
// eth_client::sender_public_key_async additionally requires that hash to be the one asked for.
//
// Strictness (hostile nodes): every field used must be present with its wire type (QUANTITY,
// DATA, 20-byte address, 32-byte hash), quantities at most "0x" + 64 digits, `input` at most
// `max_rpc_input_bytes`, the access list at most `max_rpc_access_list_entries` entries of at most
// `max_rpc_access_list_keys` storage keys each; `yParity` and `v` of a typed transaction must be
// 0/1 and agree when both are sent; a legacy `chainId`, when sent with an EIP-155 v, must match
// it (it is ignored for a pre-EIP-155 v of 27/28). Violations are errc::malformed_response naming
// the field ("accessList[2].storageKeys[0]"). An unknown type (blob 3, set-code 4, deposit 0x7e, …)
// is errc::not_supported; r or s of 0 or ≥ n, high-s, or a legacy v that is neither 27/28 nor ≥ 37
// is errc::invalid_signature. Fields not used (blockHash, gasPrice of a type-2 answer, …) are
// ignored.
//
// Thread safety: pure functions.
#pragma once

#include <zerog/chain/detail/eth_json.hpp>
#include <zerog/chain/transaction.hpp>
#include <zerog/crypto/recover.hpp>

#include <cstdint>
#include <string>
#include <type_traits>

namespace zerog::chain {

/// Bounds on a node's transaction object (see the file comment).
inline constexpr std::size_t max_rpc_input_bytes = 16u << 20;
inline constexpr std::size_t max_rpc_access_list_entries = 1024;
inline constexpr std::size_t max_rpc_access_list_keys = 1024;  ///< per entry

/// A signed transaction as a node reports it: what was signed, the signature, and the node's
/// claims `from` and `hash` (not yet checked against each other: recover_sender_public_key does).
struct rpc_transaction {
    transaction tx;
    crypto::signature sig;
    crypto::address from;
    hash256 hash;
};

namespace detail {

/// The longest QUANTITY string accepted: "0x" + 64 digits (leading zeros count).
inline constexpr std::size_t max_quantity_chars = 66;

inline result<const json::value*> tx_member(const json::object& o, std::string_view key, const std::string& prefix = {}) {
    return member(o, key, prefix);
}
inline result<uint256> tx_quantity_value(const json::value& v, const std::string& field) {
    if (v.is_string() && v.get_string().size() > max_quantity_chars)
        return bad_field(field, "hex quantity of " + std::to_string(v.get_string().size()) + " characters (at most " +
                                    std::to_string(max_quantity_chars) + ")");
    return parse_quantity(v, field);
}
inline result<uint256> tx_quantity(const json::object& o, std::string_view key) {
    ZEROG_TRY(const json::value* m, tx_member(o, key));
    return tx_quantity_value(*m, std::string(key));
}
inline result<std::uint64_t> tx_u64(const json::object& o, std::string_view key) {
    ZEROG_TRY(const uint256 q, tx_quantity(o, key));
    if (!q.fits_u64()) return bad_field(std::string(key), "quantity " + q.to_quantity_hex() + " does not fit in 64 bits");
    return q.low64();
}
inline result<hash256> tx_sig_word(const json::object& o, std::string_view key) {
    ZEROG_TRY(const uint256 q, tx_quantity(o, key));
    return q.to_be_bytes();
}

/// `to`: required; null for contract creation.
inline result<std::optional<crypto::address>> tx_to(const json::object& o) {
    ZEROG_TRY(const json::value* m, tx_member(o, "to"));
    if (m->is_null()) return std::optional<crypto::address>();
    ZEROG_TRY(const crypto::address a, parse_address(*m, "to"));
    return std::optional<crypto::address>(a);
}

/// `input`: the call data, bounded before it is decoded.
inline result<bytes> tx_input(const json::object& o) {
    ZEROG_TRY(const json::value* m, tx_member(o, "input"));
    if (m->is_string() && m->get_string().size() > 2 + 2 * max_rpc_input_bytes)
        return bad_field("input", std::to_string((m->get_string().size() - 2) / 2) + " bytes of data (at most " +
                                      std::to_string(max_rpc_input_bytes) + ")");
    return parse_data(*m, "input");
}

inline result<std::vector<access_list_entry>> tx_access_list(const json::object& o) {
    ZEROG_TRY(const json::value* m, tx_member(o, "accessList"));
    if (!m->is_array()) return bad_field("accessList", std::string("expected an array, got ") + json_kind(*m));
    const json::array& arr = m->get_array();
    if (arr.size() > max_rpc_access_list_entries)
        return bad_field("accessList", std::to_string(arr.size()) + " entries (at most " + std::to_string(max_rpc_access_list_entries) + ")");
    std::vector<access_list_entry> out;
    out.reserve(arr.size());
    for (std::size_t i = 0; i < arr.size(); ++i) {
        const std::string name = "accessList[" + std::to_string(i) + "]";
        if (!arr[i].is_object()) return bad_field(name, std::string("expected an object, got ") + json_kind(arr[i]));
        const json::object& e = arr[i].get_object();
        access_list_entry entry;
        ZEROG_TRY(const json::value* a, tx_member(e, "address", name + "."));
        ZEROG_TRY(entry.address, parse_address(*a, name + ".address"));
        ZEROG_TRY(const json::value* k, tx_member(e, "storageKeys", name + "."));
        if (!k->is_array()) return bad_field(name + ".storageKeys", std::string("expected an array, got ") + json_kind(*k));
        const json::array& keys = k->get_array();
        if (keys.size() > max_rpc_access_list_keys)
            return bad_field(name + ".storageKeys",
                             std::to_string(keys.size()) + " storage keys (at most " + std::to_string(max_rpc_access_list_keys) + ")");
        entry.storage_keys.reserve(keys.size());
        for (std::size_t j = 0; j < keys.size(); ++j) {
            ZEROG_TRY(const hash256 h, parse_hash(keys[j], name + ".storageKeys[" + std::to_string(j) + "]"));
            entry.storage_keys.push_back(h);
        }
        out.push_back(std::move(entry));
    }
    return out;
}

/// The recovery id of a typed transaction: `yParity` (current nodes) and/or `v` (older ones; the
/// same value), each 0 or 1, equal when both are present.
inline result<std::uint8_t> tx_y_parity(const json::object& o) {
    std::optional<std::uint64_t> y, v;
    if (o.contains("yParity")) {
        ZEROG_TRY(y, tx_u64(o, "yParity"));
        if (*y > 1) return bad_field("yParity", "expected 0x0 or 0x1, got " + uint256(*y).to_quantity_hex());
    }
    if (o.contains("v")) {
        ZEROG_TRY(v, tx_u64(o, "v"));
        if (*v > 1) return bad_field("v", "expected 0x0 or 0x1 for a typed transaction, got " + uint256(*v).to_quantity_hex());
    }
    if (!y && !v) return bad_field("yParity", "missing (and no v either)");
    if (y && v && *y != *v) return bad_field("v", "differs from yParity");
    return static_cast<std::uint8_t>(y ? *y : *v);
}

/// The fields unsigned_fields<Tx> (transaction.hpp) encodes, by their JSON names and in the same
/// order; a legacy chain id comes from `v` (parse_rpc_transaction).
template <class Tx>
result<Tx> tx_unsigned_fields(const json::object& o) {
    Tx t;
    if constexpr (is_typed_v<Tx>) {
        ZEROG_TRY(t.chain_id, tx_u64(o, "chainId"));
    }
    ZEROG_TRY(t.nonce, tx_u64(o, "nonce"));
    if constexpr (std::is_same_v<Tx, eip1559_tx>) {
        ZEROG_TRY(t.max_priority_fee_per_gas, tx_quantity(o, "maxPriorityFeePerGas"));
        ZEROG_TRY(t.max_fee_per_gas, tx_quantity(o, "maxFeePerGas"));
    } else {
        ZEROG_TRY(t.gas_price, tx_quantity(o, "gasPrice"));
    }
    ZEROG_TRY(t.gas, tx_u64(o, "gas"));
    ZEROG_TRY(t.to, tx_to(o));
    ZEROG_TRY(t.value, tx_quantity(o, "value"));
    ZEROG_TRY(t.data, tx_input(o));
    if constexpr (is_typed_v<Tx>) {
        ZEROG_TRY(t.access_list, tx_access_list(o));
    }
    return t;
}

}  // namespace detail

/// The transaction, signature, `from` and `hash` of a node's transaction object (see the file
/// comment for the rules). Nothing is verified yet beyond the shape of the fields.
inline result<rpc_transaction> parse_rpc_transaction(const json::object& o) {
    using namespace detail;
    rpc_transaction out;
    ZEROG_TRY(const std::uint64_t type, tx_u64(o, "type"));
    if (type > 2)
        return fail(errc::not_supported, "transaction type " + uint256(type).to_quantity_hex() + " is not supported (only 0x0, 0x1 and 0x2)");
    ZEROG_TRY(const json::value* from, tx_member(o, "from"));
    ZEROG_TRY(out.from, parse_address(*from, "from"));
    ZEROG_TRY(const json::value* hash, tx_member(o, "hash"));
    ZEROG_TRY(out.hash, parse_hash(*hash, "hash"));
    ZEROG_TRY(out.sig.r, tx_sig_word(o, "r"));
    ZEROG_TRY(out.sig.s, tx_sig_word(o, "s"));
    if (type == 0) {
        ZEROG_TRY(legacy_tx t, tx_unsigned_fields<legacy_tx>(o));
        ZEROG_TRY(const std::uint64_t v, tx_u64(o, "v"));
        if (v == 27 || v == 28) {
            t.chain_id = 0;  // pre-EIP-155: signed without a chain id, whatever `chainId` says
            out.sig.recovery_id = static_cast<std::uint8_t>(v - 27);
        } else if (v >= 37) {
            t.chain_id = (v - 35) / 2;
            out.sig.recovery_id = static_cast<std::uint8_t>((v - 35) % 2);
            if (o.contains("chainId")) {
                ZEROG_TRY(const std::uint64_t c, tx_u64(o, "chainId"));
                if (c != t.chain_id)
                    return bad_field("chainId", std::to_string(c) + " but v " + std::to_string(v) + " encodes chain id " + std::to_string(t.chain_id));
            }
        } else {
            return fail(errc::invalid_signature, "legacy v " + std::to_string(v) + " is neither 27/28 nor an EIP-155 value (>= 37)");
        }
        out.tx = std::move(t);
        return out;
    }
    ZEROG_TRY(out.sig.recovery_id, tx_y_parity(o));
    if (type == 1) {
        ZEROG_TRY(out.tx, tx_unsigned_fields<eip2930_tx>(o));
    } else {
        ZEROG_TRY(out.tx, tx_unsigned_fields<eip1559_tx>(o));
    }
    return out;
}

/// The sender's compressed public key (0x02/0x03 ‖ x) of a node's transaction object, after the
/// checks of the file comment. Errors: malformed_response (field named), not_supported (type),
/// invalid_signature, verification_failed (`from` or `hash` do not match the signed fields).
inline result<fixed_bytes<33>> recover_sender_public_key(const json::object& o) {
    auto r = [&]() -> result<fixed_bytes<33>> {
        ZEROG_TRY(const rpc_transaction t, parse_rpc_transaction(o));
        const hash256 digest = detail::unchecked_signing_hash(t.tx);
        ZEROG_TRY(const fixed_bytes<64> xy, crypto::recover_public_key(digest, t.sig));
        const crypto::address signer = crypto::address::from_public_key(xy.span());
        if (signer != t.from)
            return fail(errc::verification_failed, "the signature recovers to " + signer.to_checksum_hex() + ", but \"from\" is " +
                                                       t.from.to_checksum_hex());
        const hash256 h = crypto::keccak256(encode_signed(t.tx, t.sig));
        if (h != t.hash)
            return fail(errc::verification_failed, "the fields encode transaction " + to_hex(h) + ", but \"hash\" is " + to_hex(t.hash));
        return crypto::compress_public_key(xy.span());
    }();
    if (!r) return fail(std::move(r).error().during("recovering the sender's public key of a transaction"));
    return r;
}

}  // namespace zerog::chain
