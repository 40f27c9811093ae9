// The Flow contract's `Submit` event (docs/protocol/storage.md §6.3), decoded from a log:
//   topic0  keccak256("Submit(address,bytes32,uint256,uint256,uint256,(uint256,bytes,(bytes32,uint256)[]))")
//   topic1  the submitter, left-padded to 32 bytes (what `db rebuild --from-chain` filters on)
//   topic2  identity = keccak256 of the node roots
//   data    abi.encode(submissionIndex = tx_seq, startPos = first flow sector, length in sectors,
//                      (uint256 size, bytes tags, (bytes32 root, uint256 height)[] nodes))
// The file's data root is not in the event: the storage node folds the node roots right to left
// (§4.2), and so does this decoder, so a record rebuilt from the chain names the same root the
// uploader computed. Used by the client (rebuilding records) and the devnet node (log sync).
//
// Hostile input: the ABI decoder bounds every length by the data it was given; heights above the
// contract's MAX_DEPTH (64) and more nodes than a 2^64-byte file can have are refused.
//
// Thread safety: pure functions.
#pragma once

#include <zerog/codec/abi.hpp>
#include <zerog/core/result.hpp>
#include <zerog/crypto/address.hpp>
#include <zerog/storage/flow_calldata.hpp>
#include <zerog/storage/merkle.hpp>
#include <zerog/storage/submission.hpp>

#include <cstdint>
#include <vector>

namespace zerog::storage {

/// One decoded Submit event.
struct submit_event {
    std::uint64_t tx_seq = 0;       ///< submissionIndex
    std::uint64_t start_entry = 0;  ///< startPos: the first flow sector (the node's startEntryIndex)
    std::uint64_t sectors = 0;      ///< length, in sectors (Σ 2^height)
    std::uint64_t size = 0;         ///< the file's size in bytes (submission.length)
    bytes tags;
    std::vector<submission_node> nodes;
    hash256 root;  ///< the data root: the node roots folded right to left (§4.2)
};

/// Decode a Submit log's data. Errors: the ABI decoder's (truncated or malformed data), overflow
/// for values beyond 64 bits, malformed_response for no nodes, too many or too tall ones.
inline result<submit_event> decode_submit_event(byte_span data) {
    const auto during = "decoding a Flow Submit event (" + std::to_string(data.size()) + " bytes of data)";
    auto vals = codec::abi::decode("(uint256,uint256,uint256,(uint256,bytes,(bytes32,uint256)[]))", data);
    if (!vals) return std::move(vals).error().during(during);
    submit_event ev;
    auto u64 = [&](const codec::abi::value& v, const char* what) -> result<std::uint64_t> {
        auto r = codec::abi::from_value<std::uint64_t>(v);
        if (!r) return zerog::error(errc::overflow, std::string(what) + " does not fit in 64 bits").during(during);
        return *r;
    };
    ZEROG_TRY(ev.tx_seq, u64((*vals)[0], "submissionIndex"));
    ZEROG_TRY(ev.start_entry, u64((*vals)[1], "startPos"));
    ZEROG_TRY(ev.sectors, u64((*vals)[2], "length"));
    const auto& sub = *(*vals)[3].as_list();
    ZEROG_TRY(ev.size, u64(sub[0], "submission.length"));
    if (const auto* t = sub[1].as_bytes()) ev.tags.assign(t->begin(), t->end());
    const auto& nodes = *sub[2].as_list();
    if (nodes.empty() || nodes.size() > 64)
        return zerog::error(errc::malformed_response, "a submission with " + std::to_string(nodes.size()) + " nodes (1..64 expected)").during(during);
    std::vector<hash256> roots;
    for (const auto& n : nodes) {
        const auto& pair = *n.as_list();
        submission_node sn;
        ZEROG_TRY(sn.root, codec::abi::from_value<hash256>(pair[0]));
        ZEROG_TRY(sn.height, u64(pair[1], "node height"));
        if (sn.height >= 64) return zerog::error(errc::malformed_response, "node height " + std::to_string(sn.height) + " (MAX_DEPTH is 64)").during(during);
        roots.push_back(sn.root);
        ev.nodes.push_back(sn);
    }
    ZEROG_TRY(ev.root, fold_right(roots));
    return ev;
}

/// The 32-byte topic an indexed address is logged as (left-padded): filter Submit events by
/// submitter with it.
inline hash256 address_topic(const crypto::address& a) {
    hash256 t{};
    std::copy(a.bytes().begin(), a.bytes().end(), t.begin() + 12);
    return t;
}

}  // namespace zerog::storage
