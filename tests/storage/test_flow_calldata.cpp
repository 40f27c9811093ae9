// Flow.submit calldata (both ABIs), batchSubmit and the Submit event topic against storage.json.
#include "storage_test_util.hpp"

#include <zerog/storage/file_tree.hpp>
#include <zerog/storage/flow_calldata.hpp>
#include <zerog/storage/submit_event.hpp>

#include <catch2/catch.hpp>

using namespace zerog;
using namespace zerog::storage;

namespace {
/// The data of a Submit log as Flow.sol emits it: (submissionIndex, startPos, length, submission).
bytes submit_log_data(std::uint64_t seq, std::uint64_t start, const flow_submission& s) {
    std::uint64_t sectors = 0;
    for (const auto& n : s.nodes) sectors += 1ull << n.height;
    auto ty = abi::parse_type("(uint256,uint256,uint256,(uint256,bytes,(bytes32,uint256)[]))");
    REQUIRE(ty);
    auto enc = abi::encode(*ty, {abi::value::uint(uint256(seq)), abi::value::uint(uint256(start)), abi::value::uint(uint256(sectors)),
                                 storage::detail::submission_data_value(s)});
    REQUIRE(enc);
    return *enc;
}
}  // namespace

TEST_CASE("selectors and the Submit event topic") {
    const auto& c = storage_test::storage_constants();
    CHECK(to_hex(submit_selector()) == std::string(c.at("submitSelector").as_string()));
    CHECK(std::string(flow_submit_signature) == std::string(c.at("submitSignature").as_string()));
    CHECK(to_hex(submit_legacy_selector()) == "0xef3e12dc");
    CHECK(to_hex(batch_submit_selector()) == "0x49aa3395");
    CHECK(std::string(flow_submit_event_signature) == std::string(c.at("submitEventSignature").as_string()));
    CHECK(submit_event_topic0() == storage_test::h(c.at("submitEventTopic0")));
}

TEST_CASE("every storage.json submitCalldata is reproduced (and its Submit event decoded); legacy and batch encodings decode back") {
    const auto submitter = *crypto::address::parse(std::string(storage_test::storage_constants().at("calldataSubmitter").as_string()));
    int checked = 0;
    for (const auto& jv : storage_test::storage_vectors()) {
        const auto& v = jv.as_object();
        const std::uint64_t size = v.at("size").to_number<std::uint64_t>();
        if (size == 0) continue;
        INFO("size " << size);
        const bytes data = storage_test::formula_data(size);
        file_tree_options o;
        o.keep_segment_roots = false;
        auto t = compute_file_tree(byte_span(data), o);
        REQUIRE(t);
        auto cd = submit_calldata(t->submission, submitter);
        REQUIRE(cd);
        CHECK(to_hex(*cd) == std::string(v.at("submitCalldata").as_string()));
        // The Submit event Flow emits for it decodes back to the root the uploader computed.
        auto ev = decode_submit_event(submit_log_data(7 + checked, 1024u * checked, t->submission));
        REQUIRE(ev);
        CHECK(ev->root == t->root);
        CHECK(ev->root == storage_test::h(v.at("root")));
        CHECK(ev->size == size);
        CHECK(ev->tx_seq == 7u + static_cast<unsigned>(checked));
        CHECK(ev->start_entry == 1024u * static_cast<unsigned>(checked));
        CHECK(ev->nodes.size() == t->submission.nodes.size());
        ++checked;
        // Legacy: selector ef3e12dc, then the same SubmissionData tuple without the submitter.
        auto legacy = submit_calldata_legacy(t->submission);
        REQUIRE(legacy);
        auto fn = abi::function::parse(flow_submit_legacy_signature);
        auto back = fn->decode_input(*legacy);
        REQUIRE(back);
        const auto& tup = *(*back)[0].as_list();
        CHECK(*tup[0].as_uint() == uint256(size));
        CHECK(tup[1].as_bytes()->empty());
        CHECK(tup[2].as_list()->size() == t->submission.nodes.size());
    }
    CHECK(checked == 11);
}

TEST_CASE("calldata rejects a zero submitter and an empty batch") {
    flow_submission s;
    s.length = 1;
    s.nodes = {{hash256{}, 0}};
    CHECK(submit_calldata(s, crypto::address{}).error().is(errc::invalid_address));
    const auto who = *crypto::address::parse("0x1111111111111111111111111111111111111111");
    CHECK(batch_submit_calldata({}, who).error().is(errc::empty_input));
    std::vector<flow_submission> two{s, s};
    auto b = batch_submit_calldata(two, who);
    REQUIRE(b);
    CHECK(to_hex(byte_span(b->data(), 4)) == "0x49aa3395");
    auto back = abi::function::parse(flow_batch_submit_signature)->decode_input(*b);
    REQUIRE(back);
    CHECK((*back)[0].as_list()->size() == 2);
}


TEST_CASE("hostile Submit event data is refused with a clear error; submitter topics are left-padded") {
    const auto who = *crypto::address::parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    CHECK(to_hex(address_topic(who)) == "0x00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8");
    flow_submission s;
    s.length = 256;
    s.nodes = {{hash256{}, 0}};
    const bytes good = submit_log_data(1, 0, s);
    REQUIRE(decode_submit_event(good));
    for (std::size_t cut : {std::size_t(0), std::size_t(31), std::size_t(96), good.size() - 1}) {
        INFO("truncated to " << cut);
        auto r = decode_submit_event(byte_span(good.data(), cut));
        REQUIRE_FALSE(r);
        CHECK(r.error().message().find("Submit event") != std::string::npos);
    }
    flow_submission tall = s;
    tall.nodes = {{hash256{}, 64}};
    CHECK(decode_submit_event(submit_log_data(1, 0, tall)).error().is(errc::malformed_response));
    flow_submission none = s;
    none.nodes.clear();
    CHECK(decode_submit_event(submit_log_data(1, 0, none)).error().is(errc::malformed_response));
    bytes huge_seq = good;
    huge_seq[0] = 0x01;  // submissionIndex ≥ 2^248
    CHECK(decode_submit_event(huge_seq).error().is(errc::overflow));
}
