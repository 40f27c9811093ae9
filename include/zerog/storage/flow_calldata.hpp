// Flow contract calldata for a submission (docs/protocol/storage.md §6.1, §6.3): `submit` in the current
// ABI (with submitter, selector 0xbc8c11f8), the legacy ABI (0xef3e12dc, before Jan 2026),
// `batchSubmit` (0x49aa3395, fragment batches) and the Submit event topic. ABI encoding is done
// by codec/abi.hpp; this file only maps flow_submission onto the Solidity types.
//
// Thread safety: pure functions; the parsed function objects are immutable magic statics.
#pragma once

#include <zerog/codec/abi.hpp>
#include <zerog/core/result.hpp>
#include <zerog/crypto/address.hpp>
#include <zerog/storage/submission.hpp>

#include <span>
#include <string>

namespace zerog::storage {

/// Canonical signatures (the selectors are keccak256 of these).
inline constexpr std::string_view flow_submit_signature = "submit(((uint256,bytes,(bytes32,uint256)[]),address))";
inline constexpr std::string_view flow_submit_legacy_signature = "submit((uint256,bytes,(bytes32,uint256)[]))";
inline constexpr std::string_view flow_batch_submit_signature = "batchSubmit(((uint256,bytes,(bytes32,uint256)[]),address)[])";
inline constexpr std::string_view flow_submit_event_signature =
    "Submit(address,bytes32,uint256,uint256,uint256,(uint256,bytes,(bytes32,uint256)[]))";

namespace detail {
// Only called with the constant signatures above, which parse; value() would throw otherwise.
inline const abi::function& submit_fn() { static const abi::function f = abi::function::parse(flow_submit_signature).value(); return f; }
inline const abi::function& submit_legacy_fn() {
    static const abi::function f = abi::function::parse(flow_submit_legacy_signature).value();
    return f;
}
inline const abi::function& batch_submit_fn() {
    static const abi::function f = abi::function::parse(flow_batch_submit_signature).value();
    return f;
}

/// SubmissionData (uint256 length, bytes tags, (bytes32 root, uint256 height)[] nodes).
inline abi::value submission_data_value(const flow_submission& s) {
    abi::value::list nodes;
    nodes.reserve(s.nodes.size());
    for (const auto& n : s.nodes)
        nodes.push_back(abi::value::tuple({abi::value::bytes(byte_span(n.root)), abi::value::uint(uint256(n.height))}));
    return abi::value::tuple({abi::value::uint(uint256(s.length)), abi::value::bytes(s.tags), abi::value::array(std::move(nodes))});
}

inline result<void> check_submitter(const crypto::address& submitter) {
    if (submitter.is_zero())
        return fail(errc::invalid_address, "the submitter must be nonzero (Submission.valid() rejects address(0))");
    return {};
}
}  // namespace detail

/// `Flow.submit(Submission{data, submitter})` calldata, current ABI (selector 0xbc8c11f8).
/// Errors: invalid_address for a zero submitter, the encoder's.
inline result<bytes> submit_calldata(const flow_submission& s, const crypto::address& submitter) {
    ZEROG_CHECK(detail::check_submitter(submitter));
    return detail::submit_fn()
        .encode_call({abi::value::tuple({detail::submission_data_value(s), abi::value::addr(submitter)})})
        .during("encoding Flow.submit calldata (length " + std::to_string(s.length) + ")");
}

/// `Flow.submit(SubmissionData)` calldata, legacy ABI (selector 0xef3e12dc): for deployments
/// that revert without data on the current selector (§6.1).
inline result<bytes> submit_calldata_legacy(const flow_submission& s) {
    return detail::submit_legacy_fn()
        .encode_call({detail::submission_data_value(s)})
        .during("encoding legacy Flow.submit calldata (length " + std::to_string(s.length) + ")");
}

/// `Flow.batchSubmit(Submission[])` calldata (selector 0x49aa3395): one submission per fragment,
/// all with the same submitter. Errors: empty_input, invalid_address, the encoder's.
inline result<bytes> batch_submit_calldata(std::span<const flow_submission> subs, const crypto::address& submitter) {
    if (subs.empty()) return fail(errc::empty_input, "batchSubmit with no submissions");
    ZEROG_CHECK(detail::check_submitter(submitter));
    abi::value::list items;
    for (const auto& s : subs) items.push_back(abi::value::tuple({detail::submission_data_value(s), abi::value::addr(submitter)}));
    return detail::batch_submit_fn()
        .encode_call({abi::value::array(std::move(items))})
        .during("encoding Flow.batchSubmit calldata (" + std::to_string(subs.size()) + " submissions)");
}

/// Selectors and the Submit event's topic0 (same in both ABIs: the event omits the submitter).
inline abi::selector submit_selector() { return detail::submit_fn().sel; }
inline abi::selector submit_legacy_selector() { return detail::submit_legacy_fn().sel; }
inline abi::selector batch_submit_selector() { return detail::batch_submit_fn().sel; }
inline hash256 submit_event_topic0() { return crypto::keccak256(flow_submit_event_signature); }

}  // namespace zerog::storage
