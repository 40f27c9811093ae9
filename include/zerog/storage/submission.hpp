// The flow submission (what goes on chain, docs/protocol/storage.md §4), its fee sectors (§6.2), the
// Submit-event identity digest (§6.3) and the contract's validity rule (§4.3).
//
// Thread safety: value types and pure functions.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/core/result.hpp>
#include <zerog/core/uint256.hpp>
#include <zerog/crypto/keccak.hpp>
#include <zerog/storage/layout.hpp>
#include <zerog/storage/merkle.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace zerog::storage {

/// Solidity `SubmissionNode { bytes32 root; uint256 height; }`: a perfect subtree of 2^height
/// chunks of the padded file.
struct submission_node {
    hash256 root;
    std::uint64_t height = 0;
    friend bool operator==(const submission_node&, const submission_node&) = default;
};

/// Solidity `SubmissionData { uint256 length; bytes tags; SubmissionNode[] nodes; }`.
/// `length` is the file size in bytes (unpadded); `tags` is empty ("0x") for plain files.
/// The current ABI wraps this with a `submitter` address (flow_calldata.hpp).
struct flow_submission {
    std::uint64_t length = 0;
    bytes tags;
    std::vector<submission_node> nodes;
    friend bool operator==(const flow_submission&, const flow_submission&) = default;
};

/// Contract limits (Submission.sol): MAX_LENGTH = 4 (first − last height < 4), MAX_DEPTH = 64.
inline constexpr std::uint64_t submission_max_height_span = 4;
inline constexpr std::uint64_t submission_max_depth = 64;

/// Node heights for a file of `size` bytes (§4.2): the binary decomposition of the padded chunk
/// count, biggest first. Errors: those of file_layout::of.
inline result<std::vector<std::uint64_t>> submission_heights(std::uint64_t size) {
    ZEROG_TRY(const file_layout l, file_layout::of(size));
    std::vector<std::uint64_t> out;
    for (int h = 63; h >= 0; --h)
        if (l.padded_chunks >> h & 1) out.push_back(static_cast<std::uint64_t>(h));
    return out;
}

/// Fee sectors = Σ 2^height (= padded chunks for a §4.2 submission); fee = sectors ×
/// pricePerSector. Errors: out_of_range for a height ≥ 64, overflow if the sum wraps.
inline result<std::uint64_t> fee_sectors(const flow_submission& s) {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < s.nodes.size(); ++i) {
        if (s.nodes[i].height >= submission_max_depth)
            return fail(errc::out_of_range, "submission node " + std::to_string(i) + " has height " +
                                                std::to_string(s.nodes[i].height) + " (must be < 64)");
        const std::uint64_t add = std::uint64_t{1} << s.nodes[i].height;
        if (sum + add < sum) return fail(errc::overflow, "fee sectors overflow uint64");
        sum += add;
    }
    return sum;
}

/// The transaction value to send with `submit`: fee_sectors × price_per_sector (wei), exactly
/// (overpaying leaves the surplus in the Flow contract, §6.2). Errors: fee_sectors', overflow.
inline result<uint256> submission_fee(const flow_submission& s, const uint256& price_per_sector) {
    ZEROG_TRY(const std::uint64_t sectors, fee_sectors(s));
    return checked_mul(uint256(sectors), price_per_sector);
}

/// Submit-event `identity` (topics[2]) = keccak256(node roots concatenated, 32 bytes each).
inline hash256 identity_digest(const flow_submission& s) noexcept {
    crypto::keccak256_hasher h;
    for (const auto& n : s.nodes) h.update(byte_span(n.root.data(), 32));
    return h.finalize();
}

/// The file root the storage node derives from the submission: node roots folded right to left
/// (§4.2, `nodes_to_root`). Errors: empty_input when there are no nodes.
inline result<hash256> submission_root(const flow_submission& s) {
    std::vector<hash256> roots;
    roots.reserve(s.nodes.size());
    for (const auto& n : s.nodes) roots.push_back(n.root);
    return fold_right(roots).during("folding submission nodes into the file root");
}

/// The contract's `Submission.valid()` (§4.3): at least one node, heights strictly decreasing and
/// < 64, first − last < 4, and lastCap×256 < length ≤ cap×256. Errors: invalid_argument naming
/// the violated rule and the numbers involved.
inline result<void> validate_submission(const flow_submission& s) {
    auto bad = [&](std::string what) {
        return fail(errc::invalid_argument, "submission (length " + std::to_string(s.length) + ", " +
                                                std::to_string(s.nodes.size()) + " nodes) is invalid: " + what);
    };
    if (s.nodes.empty()) return bad("it has no nodes");
    for (std::size_t i = 0; i < s.nodes.size(); ++i) {
        if (s.nodes[i].height >= submission_max_depth)
            return bad("node " + std::to_string(i) + " height " + std::to_string(s.nodes[i].height) + " is not < 64");
        if (i && s.nodes[i].height >= s.nodes[i - 1].height)
            return bad("heights are not strictly decreasing at node " + std::to_string(i) + " (" +
                       std::to_string(s.nodes[i - 1].height) + " then " + std::to_string(s.nodes[i].height) + ")");
    }
    const std::uint64_t first = s.nodes.front().height, last = s.nodes.back().height;
    if (first - last >= submission_max_height_span)
        return bad("first − last height = " + std::to_string(first - last) + " is not < 4");
    // Heights < 64, strictly decreasing: the sum fits in uint64 (< 2^64).
    std::uint64_t cap = 0;
    for (const auto& n : s.nodes) cap += std::uint64_t{1} << n.height;
    std::uint64_t last_cap;
    if (cap < 16) last_cap = cap - 1;
    else if (s.nodes.size() == 1) last_cap = cap - cap / 16;
    else last_cap = cap - (std::uint64_t{1} << (first - 3));
    // Compare in sectors to stay within uint64: length ≤ cap*256 ⇔ ceil(length/256) ≤ cap.
    const std::uint64_t len_sectors = num_chunks(s.length);
    if (len_sectors > cap)
        return bad("length exceeds the capacity " + std::to_string(cap) + " sectors");
    if (s.length / 256 < last_cap || (s.length / 256 == last_cap && s.length % 256 == 0))
        return bad("length is not above the previous capacity " + std::to_string(last_cap) + " sectors (" +
                   std::to_string(cap) + " sectors would be wasted padding)");
    return {};
}

}  // namespace zerog::storage
