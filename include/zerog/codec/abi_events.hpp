// Solidity event logs: topics and decoding.
//
// A non-anonymous event log has topics[0] = keccak256("Name(types)"), then one topic per indexed
// parameter, and the ABI encoding of the other parameters as data. Indexed parameters of static
// type are decoded from their topic with the same strict rules as data (a bool topic must be 0/1,
// an address topic must have zero upper bytes); indexed parameters of dynamic type (string, bytes,
// arrays, tuples) are stored by the EVM as the keccak256 of their encoding, so they come back as
// a 32-byte `bytes` value holding that hash.
//
// Thread safety: `event` is an immutable value after `parse`; decoding is const and pure.
#pragma once

#include <zerog/codec/abi.hpp>

namespace zerog::codec::abi {

/// keccak256 of a canonical event signature: `event_topic("Transfer(address,address,uint256)")`.
inline hash256 event_topic(std::string_view canonical_signature) { return crypto::keccak256(canonical_signature); }

/// A parsed event declaration, ready to decode logs.
struct event {
    abi::signature sig;
    hash256 topic0;
    bool anonymous = false;
    std::vector<type> data_types;  ///< the non-indexed inputs, in order

    /// Parse "event Submit(address indexed sender, bytes32 indexed identity, uint256 submissionIndex,
    /// ...)" (the "event" keyword and names are optional; "anonymous" after the list is honoured).
    static result<event> parse(std::string_view signature) {
        ZEROG_TRY(auto s, parse_signature(signature));
        event e;
        std::size_t indexed = 0;
        for (const auto& p : s.inputs) {
            if (p.indexed) ++indexed;
            else e.data_types.push_back(p.type);
        }
        e.anonymous = signature.find(") anonymous") != std::string_view::npos;
        if (indexed > (e.anonymous ? 4u : 3u))
            return fail(errc::parse_error, "event " + s.canonical() + " has " + std::to_string(indexed) + " indexed parameters (the EVM allows " +
                                               (e.anonymous ? "4" : "3") + ")");
        e.topic0 = event_topic(s.canonical());
        e.sig = std::move(s);
        return e;
    }

    /// Decode a log into the event's inputs in declaration order. Checks topics[0] (unless
    /// anonymous) and the topic count; errors name the topic index or the data offset.
    result<value::list> decode(std::span<const hash256> topics, byte_span data) const {
        const std::string what = "decoding event " + sig.canonical();
        std::size_t first = 0;
        if (!anonymous) {
            if (topics.empty() || topics[0] != topic0)
                return fail(zerog::error(errc::parse_error, "topics[0] is not " + to_hex(topic0)).during(what));
            first = 1;
        }
        std::size_t indexed = 0;
        for (const auto& p : sig.inputs) indexed += p.indexed ? 1 : 0;
        if (topics.size() != first + indexed)
            return fail(zerog::error(errc::parse_error, "expected " + std::to_string(first + indexed) + " topics, got " +
                                                            std::to_string(topics.size())).during(what));
        ZEROG_TRY(auto rest, abi::decode(data_types, data).during(what + " (data)"));
        value::list out;
        out.reserve(sig.inputs.size());
        std::size_t ti = first, di = 0;
        for (const auto& p : sig.inputs) {
            if (!p.indexed) { out.push_back(std::move(rest[di++])); continue; }
            const hash256& topic = topics[ti];
            if (p.type.is_dynamic() || p.type.k == kind::tuple || p.type.k == kind::fixed_array) {
                out.push_back(value::bytes(topic));  // keccak256 of the value, not the value
            } else {
                auto v = abi::decode(std::vector<type>{p.type}, topic);
                if (!v) return fail(std::move(v).error().during(what + " (topics[" + std::to_string(ti) + "])"));
                out.push_back(std::move((*v)[0]));
            }
            ++ti;
        }
        return out;
    }
};

}  // namespace zerog::codec::abi
