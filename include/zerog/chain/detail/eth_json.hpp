// Ethereum JSON-RPC value types (receipts, logs, filters, block headers, fee history) and their
// strict JSON parsing, used by chain/eth_client.hpp.
//
// Strictness: every field we read must be present with exactly its wire type: QUANTITY = "0x" +
// hex digits (leading zeros tolerated, as some nodes send them), DATA = "0x" + an even number of
// hex digits, 32-byte hashes and 20-byte addresses of exactly that length. A violation is
// errc::malformed_response whose detail names the field path ("logs[2].topics[1]") and what was
// wrong; the client adds the method and the endpoint. Fields we do not use are ignored.
//
// Thread safety: plain value types and pure functions.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/core/result.hpp>
#include <zerog/core/uint256.hpp>
#include <zerog/crypto/address.hpp>

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace zerog::chain {

namespace json = boost::json;

/// A block selector: a number or one of the tags "latest", "pending", "earliest", "safe",
/// "finalized". Value type.
struct block_tag {
    std::variant<std::uint64_t, std::string> v = std::string("latest");

    static block_tag latest() { return block_tag{std::string("latest")}; }
    static block_tag pending() { return block_tag{std::string("pending")}; }
    static block_tag earliest() { return block_tag{std::string("earliest")}; }
    static block_tag number(std::uint64_t n) { return block_tag{n}; }
    /// The JSON-RPC form: "0x1a" or the tag.
    std::string to_param() const {
        if (const auto* n = std::get_if<std::uint64_t>(&v)) return uint256(*n).to_quantity_hex();
        return std::get<std::string>(v);
    }
};

/// Arguments of eth_call / eth_estimateGas. Unset fields are omitted from the request. Value type.
struct call_request {
    std::optional<crypto::address> from;
    std::optional<crypto::address> to;  ///< nullopt: contract creation (estimate of a deploy)
    bytes data;
    std::optional<uint256> value;
    std::optional<std::uint64_t> gas;
    std::optional<uint256> gas_price;                 ///< legacy
    std::optional<uint256> max_fee_per_gas;           ///< EIP-1559
    std::optional<uint256> max_priority_fee_per_gas;  ///< EIP-1559
};

/// One event log as returned in receipts and by eth_getLogs. Value type.
struct log_entry {
    crypto::address address;
    std::vector<hash256> topics;  ///< 0..4
    bytes data;
    std::uint64_t block_number = 0;
    hash256 block_hash;
    hash256 transaction_hash;
    std::uint64_t transaction_index = 0;
    std::uint64_t log_index = 0;
    bool removed = false;  ///< true: dropped by a reorg
};

/// A transaction receipt. Value type.
struct receipt {
    hash256 transaction_hash;
    std::uint64_t transaction_index = 0;
    hash256 block_hash;
    std::uint64_t block_number = 0;
    crypto::address from;
    std::optional<crypto::address> to;                ///< nullopt for contract creation
    std::optional<crypto::address> contract_address;  ///< set for contract creation
    std::uint64_t gas_used = 0;
    std::uint64_t cumulative_gas_used = 0;
    std::optional<uint256> effective_gas_price;       ///< absent on very old nodes
    bool status = false;                              ///< true: success (status 0x1)
    std::uint8_t type = 0;                            ///< 0 legacy, 2 EIP-1559, ...
    std::vector<log_entry> logs;
};

/// The eth_getLogs filter. Either a block range or a block hash. `topics[i]`: nullopt = any,
/// else any of the listed values (OR). Value type.
struct log_filter {
    std::optional<block_tag> from_block;
    std::optional<block_tag> to_block;
    std::optional<hash256> block_hash;
    std::vector<crypto::address> addresses;  ///< empty: any contract
    std::vector<std::optional<std::vector<hash256>>> topics;
};

/// The fields of a block header the client needs. Value type.
struct block_header {
    std::uint64_t number = 0;
    hash256 hash;
    hash256 parent_hash;
    std::uint64_t timestamp = 0;
    std::uint64_t gas_limit = 0;
    std::uint64_t gas_used = 0;
    std::optional<uint256> base_fee_per_gas;  ///< present iff the chain runs EIP-1559 (London)
};

/// eth_feeHistory's answer. `base_fee_per_gas` has one more entry than blocks (the next block).
struct fee_history {
    std::uint64_t oldest_block = 0;
    std::vector<uint256> base_fee_per_gas;
    std::vector<double> gas_used_ratio;
    std::vector<std::vector<uint256>> reward;  ///< per block, per requested percentile
};

namespace detail {

inline const char* json_kind(const json::value& v) {
    switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "bool";
    case json::kind::int64: case json::kind::uint64: case json::kind::double_: return "number";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
    }
    return "?";
}

inline failure bad_field(const std::string& field, const std::string& what) {
    return fail(errc::malformed_response, "field \"" + field + "\": " + what);
}

inline result<std::string_view> want_string(const json::value& v, const std::string& field, const char* expected) {
    if (!v.is_string()) return bad_field(field, std::string("expected ") + expected + ", got " + json_kind(v));
    return std::string_view(v.get_string());
}

inline result<uint256> parse_quantity(const json::value& v, const std::string& field) {
    ZEROG_TRY(auto s, want_string(v, field, "a hex quantity string"));
    auto q = uint256::from_quantity_hex(s);
    if (!q) return bad_field(field, q.error().detail() + " in \"" + std::string(s.substr(0, 80)) + "\"");
    return *q;
}
inline result<std::uint64_t> parse_u64(const json::value& v, const std::string& field) {
    ZEROG_TRY(uint256 q, parse_quantity(v, field));
    if (!q.fits_u64()) return bad_field(field, "quantity " + q.to_quantity_hex() + " does not fit in 64 bits");
    return q.low64();
}
inline result<hash256> parse_hash(const json::value& v, const std::string& field) {
    ZEROG_TRY(auto s, want_string(v, field, "a 32-byte hex hash"));
    auto h = from_hex_fixed<32>(s);
    if (!h) return bad_field(field, h.error().detail());
    return *h;
}
inline result<crypto::address> parse_address(const json::value& v, const std::string& field) {
    ZEROG_TRY(auto s, want_string(v, field, "a 20-byte hex address"));
    auto a = crypto::address::parse(s);
    if (!a) return bad_field(field, a.error().detail());
    return *a;
}
inline result<bytes> parse_data(const json::value& v, const std::string& field) {
    ZEROG_TRY(auto s, want_string(v, field, "hex data"));
    auto b = from_hex(s);
    if (!b) return bad_field(field, b.error().detail());
    return std::move(*b);
}

/// The object itself, or an error naming `what`.
inline result<const json::object*> want_object(const json::value& v, const std::string& what) {
    if (!v.is_object()) return fail(errc::malformed_response, what + ": expected an object, got " + json_kind(v));
    return &v.get_object();
}
/// A required member.
inline result<const json::value*> member(const json::object& o, std::string_view key, const std::string& prefix) {
    const json::value* m = o.if_contains(key);
    if (!m) return bad_field(prefix + std::string(key), "missing");
    return m;
}
/// An optional member: nullptr when absent or null.
inline const json::value* opt_member(const json::object& o, std::string_view key) {
    const json::value* m = o.if_contains(key);
    return m && !m->is_null() ? m : nullptr;
}

// ZEROG_TRY into a struct member from a required member of `o`.
#define ZEROG_ETH_FIELD(dst, parser, key)                                       \
    do {                                                                        \
        const json::value* zerog_m_ = o.if_contains(key);                       \
        if (!zerog_m_) return bad_field(prefix + key, "missing");               \
        auto zerog_r_ = parser(*zerog_m_, prefix + key);                        \
        if (!zerog_r_) return fail(std::move(zerog_r_).error());                \
        dst = std::move(zerog_r_).value();                                      \
    } while (0)

inline result<log_entry> parse_log(const json::value& v, const std::string& prefix_in) {
    const std::string prefix = prefix_in.empty() ? std::string() : prefix_in + ".";
    ZEROG_TRY(const json::object* op, want_object(v, prefix_in.empty() ? "log" : prefix_in));
    const json::object& o = *op;
    log_entry l;
    ZEROG_ETH_FIELD(l.address, parse_address, "address");
    ZEROG_TRY(const json::value* topics, member(o, "topics", prefix));
    if (!topics->is_array()) return bad_field(prefix + "topics", std::string("expected an array, got ") + json_kind(*topics));
    if (topics->get_array().size() > 4) return bad_field(prefix + "topics", std::to_string(topics->get_array().size()) + " topics (at most 4)");
    for (std::size_t i = 0; i < topics->get_array().size(); ++i) {
        ZEROG_TRY(auto t, parse_hash(topics->get_array()[i], prefix + "topics[" + std::to_string(i) + "]"));
        l.topics.push_back(t);
    }
    ZEROG_ETH_FIELD(l.data, parse_data, "data");
    ZEROG_ETH_FIELD(l.block_number, parse_u64, "blockNumber");
    ZEROG_ETH_FIELD(l.block_hash, parse_hash, "blockHash");
    ZEROG_ETH_FIELD(l.transaction_hash, parse_hash, "transactionHash");
    ZEROG_ETH_FIELD(l.transaction_index, parse_u64, "transactionIndex");
    ZEROG_ETH_FIELD(l.log_index, parse_u64, "logIndex");
    if (const json::value* r = opt_member(o, "removed")) {
        if (!r->is_bool()) return bad_field(prefix + "removed", std::string("expected a bool, got ") + json_kind(*r));
        l.removed = r->get_bool();
    }
    return l;
}

inline result<std::vector<log_entry>> parse_logs(const json::value& v, const std::string& name) {
    if (!v.is_array()) return bad_field(name, std::string("expected an array of logs, got ") + json_kind(v));
    std::vector<log_entry> out;
    out.reserve(v.get_array().size());
    for (std::size_t i = 0; i < v.get_array().size(); ++i) {
        ZEROG_TRY(auto l, parse_log(v.get_array()[i], name + "[" + std::to_string(i) + "]"));
        out.push_back(std::move(l));
    }
    return out;
}

inline result<std::optional<crypto::address>> parse_opt_address(const json::object& o, std::string_view key, const std::string& prefix) {
    if (const json::value* m = opt_member(o, key)) {
        ZEROG_TRY(auto a, parse_address(*m, prefix + std::string(key)));
        return std::optional<crypto::address>(a);
    }
    return std::optional<crypto::address>();
}

inline result<receipt> parse_receipt(const json::value& v) {
    const std::string prefix;
    ZEROG_TRY(const json::object* op, want_object(v, "receipt"));
    const json::object& o = *op;
    receipt r;
    ZEROG_ETH_FIELD(r.transaction_hash, parse_hash, "transactionHash");
    ZEROG_ETH_FIELD(r.transaction_index, parse_u64, "transactionIndex");
    ZEROG_ETH_FIELD(r.block_hash, parse_hash, "blockHash");
    ZEROG_ETH_FIELD(r.block_number, parse_u64, "blockNumber");
    ZEROG_ETH_FIELD(r.from, parse_address, "from");
    ZEROG_TRY(r.to, parse_opt_address(o, "to", prefix));
    ZEROG_TRY(r.contract_address, parse_opt_address(o, "contractAddress", prefix));
    ZEROG_ETH_FIELD(r.gas_used, parse_u64, "gasUsed");
    ZEROG_ETH_FIELD(r.cumulative_gas_used, parse_u64, "cumulativeGasUsed");
    if (const json::value* m = opt_member(o, "effectiveGasPrice")) {
        ZEROG_TRY(auto p, parse_quantity(*m, "effectiveGasPrice"));
        r.effective_gas_price = p;
    }
    // Pre-Byzantium receipts carry "root" instead of "status"; we cannot tell success from them.
    std::uint64_t status = 0;
    ZEROG_ETH_FIELD(status, parse_u64, "status");
    if (status > 1) return bad_field("status", "expected 0x0 or 0x1, got " + uint256(status).to_quantity_hex());
    r.status = status == 1;
    if (const json::value* m = opt_member(o, "type")) {
        ZEROG_TRY(auto t, parse_u64(*m, "type"));
        if (t > 0x7f) return bad_field("type", "transaction type " + std::to_string(t) + " above 0x7f");
        r.type = static_cast<std::uint8_t>(t);
    }
    ZEROG_TRY(const json::value* logs, member(o, "logs", prefix));
    ZEROG_TRY(r.logs, parse_logs(*logs, "logs"));
    for (std::size_t i = 0; i < r.logs.size(); ++i)
        if (r.logs[i].transaction_hash != r.transaction_hash)
            return bad_field("logs[" + std::to_string(i) + "].transactionHash", "differs from the receipt's transactionHash");
    return r;
}

inline result<block_header> parse_block_header(const json::value& v) {
    const std::string prefix;
    ZEROG_TRY(const json::object* op, want_object(v, "block"));
    const json::object& o = *op;
    block_header b;
    ZEROG_ETH_FIELD(b.number, parse_u64, "number");
    ZEROG_ETH_FIELD(b.hash, parse_hash, "hash");
    ZEROG_ETH_FIELD(b.parent_hash, parse_hash, "parentHash");
    ZEROG_ETH_FIELD(b.timestamp, parse_u64, "timestamp");
    ZEROG_ETH_FIELD(b.gas_limit, parse_u64, "gasLimit");
    ZEROG_ETH_FIELD(b.gas_used, parse_u64, "gasUsed");
    if (const json::value* m = opt_member(o, "baseFeePerGas")) {
        ZEROG_TRY(auto f, parse_quantity(*m, "baseFeePerGas"));
        b.base_fee_per_gas = f;
    }
    return b;
}

inline result<fee_history> parse_fee_history(const json::value& v, std::size_t percentiles) {
    const std::string prefix;
    ZEROG_TRY(const json::object* op, want_object(v, "fee history"));
    const json::object& o = *op;
    fee_history h;
    ZEROG_ETH_FIELD(h.oldest_block, parse_u64, "oldestBlock");
    ZEROG_TRY(const json::value* base, member(o, "baseFeePerGas", prefix));
    if (!base->is_array()) return bad_field("baseFeePerGas", std::string("expected an array, got ") + json_kind(*base));
    for (std::size_t i = 0; i < base->get_array().size(); ++i) {
        ZEROG_TRY(auto f, parse_quantity(base->get_array()[i], "baseFeePerGas[" + std::to_string(i) + "]"));
        h.base_fee_per_gas.push_back(f);
    }
    ZEROG_TRY(const json::value* ratio, member(o, "gasUsedRatio", prefix));
    if (!ratio->is_array()) return bad_field("gasUsedRatio", std::string("expected an array, got ") + json_kind(*ratio));
    for (std::size_t i = 0; i < ratio->get_array().size(); ++i) {
        const json::value& x = ratio->get_array()[i];
        if (!x.is_number()) return bad_field("gasUsedRatio[" + std::to_string(i) + "]", std::string("expected a number, got ") + json_kind(x));
        const double d = x.to_number<double>();
        if (!(d >= 0.0 && d <= 1.0)) return bad_field("gasUsedRatio[" + std::to_string(i) + "]", "ratio outside [0, 1]");
        h.gas_used_ratio.push_back(d);
    }
    if (h.base_fee_per_gas.size() != h.gas_used_ratio.size() + 1)
        return bad_field("baseFeePerGas", std::to_string(h.base_fee_per_gas.size()) + " entries for " +
                                              std::to_string(h.gas_used_ratio.size()) + " blocks (expected one more)");
    if (const json::value* rw = opt_member(o, "reward")) {
        if (!rw->is_array() || rw->get_array().size() != h.gas_used_ratio.size())
            return bad_field("reward", "expected an array with one entry per block");
        for (std::size_t i = 0; i < rw->get_array().size(); ++i) {
            const json::value& row = rw->get_array()[i];
            const std::string name = "reward[" + std::to_string(i) + "]";
            if (!row.is_array() || row.get_array().size() != percentiles)
                return bad_field(name, "expected an array of " + std::to_string(percentiles) + " rewards");
            std::vector<uint256> out;
            for (std::size_t k = 0; k < percentiles; ++k) {
                ZEROG_TRY(auto q, parse_quantity(row.get_array()[k], name + "[" + std::to_string(k) + "]"));
                out.push_back(q);
            }
            h.reward.push_back(std::move(out));
        }
    } else if (percentiles > 0) {
        return bad_field("reward", "missing although reward percentiles were requested");
    }
    return h;
}

#undef ZEROG_ETH_FIELD

// --- request building ---

inline json::object call_object(const call_request& c) {
    json::object o;
    if (c.from) o["from"] = c.from->to_lower_hex();
    if (c.to) o["to"] = c.to->to_lower_hex();
    if (!c.data.empty()) o["data"] = to_hex(c.data);
    if (c.value) o["value"] = c.value->to_quantity_hex();
    if (c.gas) o["gas"] = uint256(*c.gas).to_quantity_hex();
    if (c.gas_price) o["gasPrice"] = c.gas_price->to_quantity_hex();
    if (c.max_fee_per_gas) o["maxFeePerGas"] = c.max_fee_per_gas->to_quantity_hex();
    if (c.max_priority_fee_per_gas) o["maxPriorityFeePerGas"] = c.max_priority_fee_per_gas->to_quantity_hex();
    return o;
}

inline json::object filter_object(const log_filter& f) {
    json::object o;
    if (f.block_hash) o["blockHash"] = to_hex(*f.block_hash);
    if (f.from_block) o["fromBlock"] = f.from_block->to_param();
    if (f.to_block) o["toBlock"] = f.to_block->to_param();
    if (f.addresses.size() == 1) o["address"] = f.addresses[0].to_lower_hex();
    else if (!f.addresses.empty()) {
        json::array a;
        for (const auto& x : f.addresses) a.push_back(json::value(x.to_lower_hex()));
        o["address"] = std::move(a);
    }
    if (!f.topics.empty()) {
        json::array t;
        for (const auto& slot : f.topics) {
            if (!slot) { t.push_back(nullptr); continue; }
            json::array any;
            for (const auto& h : *slot) any.push_back(json::value(to_hex(h)));
            t.push_back(std::move(any));
        }
        o["topics"] = std::move(t);
    }
    return o;
}

}  // namespace detail
}  // namespace zerog::chain
