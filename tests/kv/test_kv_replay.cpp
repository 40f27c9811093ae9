// KV replay state machine: the spec's scenario (kv.md §8.7) seq by seq, the permission rules of
// §5.3, the checks of §5.2 in the node's order, and the read queries of §6.
#include <zerog/kv/replay.hpp>

#include <catch2/catch.hpp>

using namespace zerog;
using namespace zerog::kv;

namespace {

stream_id stream_of(const char* hex) { return parse_stream_id(hex).value(); }
const stream_id S1 = stream_of("0x000000000000000000000000000000000000000000000000000000000000f2bd");
const stream_id S2 = stream_of("0x000000000000000000000000000000000000000000000000000000000000f009");
const stream_id S3 = stream_of("0x0000000000000000000000000000000000000000000000000000000000016879");
const address A = address::parse("0xaa3576fd0df6172c3a67a82b2a153066e8e95364").value();
const address B = address::parse("0xc93631b4c60554283528a921a99ffb295f1ef7e6").value();
const address C = address::parse("0xcccccccccccccccccccccccccccccccccccccccc").value();
const address D = address::parse("0xdddddddddddddddddddddddddddddddddddddddd").value();

bytes b_(std::string_view s) { return bytes(s.begin(), s.end()); }

kv_write put(const stream_id& s, std::string_view key, std::string_view value) { return {s, b_(key), b_(value)}; }
acl_op grant_writer(const stream_id& s, const address& a) { return {acl_op_type::grant_writer_role, s, {}, a}; }
acl_op revoke_writer(const stream_id& s, const address& a) { return {acl_op_type::revoke_writer_role, s, {}, a}; }
acl_op grant_admin(const stream_id& s, const address& a) { return {acl_op_type::grant_admin_role, s, {}, a}; }
acl_op renounce_admin(const stream_id& s) { return {acl_op_type::renounce_admin_role, s, {}, std::nullopt}; }
acl_op set_special(const stream_id& s, std::string_view key) { return {acl_op_type::set_key_to_special, s, b_(key), std::nullopt}; }
acl_op set_normal(const stream_id& s, std::string_view key) { return {acl_op_type::set_key_to_normal, s, b_(key), std::nullopt}; }
acl_op grant_special(const stream_id& s, std::string_view key, const address& a) {
    return {acl_op_type::grant_special_writer_role, s, b_(key), a};
}

batch writes_of(std::initializer_list<kv_write> w, std::uint64_t version = no_version_check) {
    batch b;
    b.version = version;
    b.writes = w;
    return b;
}
batch ops_of(std::initializer_list<acl_op> o) {
    batch b;
    b.ops = o;
    return b;
}

/// Replay the next seq: the batch encoded (sorted), tagged with `tagged` (default: its own streams).
std::optional<std::string> run(replay_state& st, const address& sender, const batch& b, std::optional<std::vector<stream_id>> tagged = {}) {
    const bytes tags = tagged ? build_tags(*tagged) : tags_for(b);
    auto r = st.apply(st.progress(), sender, tags, encode_batch(b).value());
    REQUIRE(r.has_value());
    return *r;
}

std::string value_text(const value_segment& v) { return std::string(v.data.begin(), v.data.end()); }
std::string key_text(const std::optional<key_value_segment>& kv) { return kv ? std::string(kv->key.begin(), kv->key.end()) : "<null>"; }

}  // namespace

TEST_CASE("kv replay: the spec's scenario (kv.md §8.7), every seq and every query", "[kv][replay]") {
    const std::vector<stream_id> served = {S1, S2};
    replay_state st(served);
    CHECK(st.holding_streams() == std::vector<stream_id>{S2, S1});  // ascending: …f009 < …f2bd

    CHECK(run(st, A, writes_of({put(S1, "k1", "v1")})) == "Commit");
    CHECK(st.is_admin(A, S1));
    CHECK(run(st, B, writes_of({put(S1, "k1", "x")})) == "SenderNoWritePermission");
    {
        batch b = ops_of({grant_writer(S1, B), set_special(S1, "sp")});
        CHECK(run(st, A, b) == "Commit");
    }
    CHECK(run(st, B, writes_of({put(S1, "k2", "b")})) == "Commit");
    CHECK(run(st, B, writes_of({put(S1, "sp", "b")})) ==
          "WritePermissionDenied: stream: 0x000000000000000000000000000000000000000000000000000000000000f2bd, key: sp");
    CHECK(run(st, B, ops_of({revoke_writer(S1, C)})) ==
          "AccessControlPermissionDenied: operation: REVOKE_WRITER_ROLE, stream: "
          "0x000000000000000000000000000000000000000000000000000000000000f2bd, key: NONE, account: "
          "0xcccccccccccccccccccccccccccccccccccccccc");
    CHECK(run(st, A, writes_of({put(S1, "k2", "a")}, 2)) == "VersionConfliction");
    {
        batch b = writes_of({put(S1, "k3", "")}, 0);
        b.reads.push_back({S1, b_("k1")});
        CHECK(run(st, A, b) == "Commit");
    }
    CHECK(run(st, C, writes_of({put(S2, "x", "1")})) == "Commit");
    CHECK(run(st, A, writes_of({put(S1, "k1", "z")}), std::vector<stream_id>{S1, S3}) == std::nullopt);
    CHECK(run(st, A, writes_of({put(S2, "y", "1")}), std::vector<stream_id>{S1}) == "TagsMismatch");
    {
        // A 70-byte file declaring a 1000-byte value.
        bytes file = encode_batch(writes_of({put(S1, "k", std::string(1000, 'v'))})).value();
        file.resize(70);
        auto r = st.apply(11, B, build_tags(std::vector<stream_id>{S1}), file);
        REQUIRE(r.has_value());
        CHECK(*r == "DataParseError: Invalid stream data");
    }
    CHECK(run(st, A, ops_of({renounce_admin(S1)})) == "Commit");

    // Afterwards.
    CHECK(st.get_value(S1, b_("k1"), 0, 100).value() == value_segment{0, b_("v1"), 2});
    CHECK(st.get_value(S1, b_("k3"), 0, 100).value() == value_segment{7, {}, 0});
    CHECK(st.get_value(S1, b_("k2"), 0, 100, 2).value() == value_segment{0, {}, 0});
    CHECK(key_text(st.get_first(S1, 0, 100).value()) == "k1");
    CHECK(key_text(st.get_next(S1, b_("k1"), 0, 100, false).value()) == "k2");
    CHECK(key_text(st.get_next(S1, b_("k2"), 0, 100, false).value()) == "<null>");
    CHECK(key_text(st.get_last(S1, 0, 100).value()) == "k2");
    CHECK_FALSE(st.is_admin(A, S1));
    CHECK(st.is_admin(A, S1, 11));
    CHECK(st.is_writer_of_stream(B, S1));
    CHECK_FALSE(st.has_write_permission(B, S1, b_("sp")).value());
    CHECK(st.is_admin(C, S2));
    CHECK(st.progress() == 13);

    // The recorded results, and the seq with none.
    const std::vector<std::optional<std::string>> results = {
        "Commit", "SenderNoWritePermission", "Commit", "Commit", std::nullopt, std::nullopt, "VersionConfliction", "Commit", "Commit",
        std::nullopt, "TagsMismatch", "DataParseError: Invalid stream data", "Commit"};
    for (std::uint64_t seq = 0; seq < results.size(); ++seq) {
        INFO("seq " << seq);
        if (seq == 4 || seq == 5)
            CHECK(st.transaction_result(seq).value().rfind(seq == 4 ? "WritePermissionDenied: " : "AccessControlPermissionDenied: ", 0) == 0);
        else
            CHECK(st.transaction_result(seq) == results[seq]);
    }
    CHECK(st.transaction_result(13) == std::nullopt);
    // Every string the node records parses back.
    for (std::uint64_t seq = 0; seq < 13; ++seq)
        if (auto r = st.transaction_result(seq)) CHECK(parse_result_string(*r).has_value());

    // The stored history: writes with their versions and file offsets; the ACL log.
    const auto k1 = st.write_history(S1, b_("k1"));
    REQUIRE(k1.size() == 1);
    CHECK(k1[0].version == 0);
    CHECK(k1[0].file_offset == 61);  // 16 + 43 + 2: after the counts and one write's metadata with a 2-byte key
    CHECK(st.write_history(S1, b_("k3")).at(0).tombstone());
    const auto& log = st.acl_log();
    REQUIRE(log.size() == 5);
    CHECK(log[0] == acl_record{S1, {}, 0, A, acl_op_type::grant_admin_role, address{}});  // the implicit grant
    CHECK(log[1].op == acl_op_type::set_key_to_special);  // seq 2, in op-group order
    CHECK(log[1].account == address{});
    CHECK(log[2] == acl_record{S1, {}, 2, B, acl_op_type::grant_writer_role, A});
    CHECK(log[3] == acl_record{S2, {}, 8, C, acl_op_type::grant_admin_role, address{}});
    CHECK(log[4] == acl_record{S1, {}, 12, A, acl_op_type::renounce_admin_role, A});
}

TEST_CASE("kv replay: seqs are applied strictly in order", "[kv][replay]") {
    const std::vector<stream_id> served = {S1};
    replay_state st(served);
    const bytes data = encode_batch(writes_of({put(S1, "k", "v")})).value();
    const bytes tags = build_tags(std::vector<stream_id>{S1});
    auto ahead = st.apply(1, A, tags, data);
    REQUIRE_FALSE(ahead.has_value());
    CHECK(ahead.error().is(errc::state_conflict));
    CHECK_THAT(ahead.error().message(), Catch::Contains("seq 1 is out of order: the next seq to replay is 0"));
    CHECK(st.progress() == 0);
    CHECK(st.transaction_result(1) == std::nullopt);
    CHECK(st.classify(1, A, tags).error().is(errc::state_conflict));
    CHECK(st.apply(0, A, tags, data).value() == "Commit");
    CHECK(st.apply(0, A, tags, data).error().is(errc::state_conflict));  // no replaying twice
    CHECK(st.progress() == 1);
    CHECK(st.write_history(S1, b_("k")).size() == 1);
}

TEST_CASE("kv replay: which submissions count (§5.1)", "[kv][replay]") {
    const std::vector<stream_id> served = {S1, S2};
    replay_state st(served);
    const bytes data = encode_batch(writes_of({put(S1, "k", "v")})).value();
    // Not KV, KV without streams, a stream not served: no result, progress advances.
    CHECK(st.apply(0, A, bytes{}, data).value() == std::nullopt);
    CHECK(st.apply(1, A, build_tags(std::vector<stream_id>{}), data).value() == std::nullopt);
    CHECK(st.apply(2, A, build_tags(std::vector<stream_id>{S3}), data).value() == std::nullopt);
    bytes not_domain = build_tags(std::vector<stream_id>{S1});
    not_domain[5] ^= 0xff;
    CHECK(st.apply(3, A, not_domain, data).value() == std::nullopt);
    CHECK(st.progress() == 4);
    CHECK(st.is_new_stream(S1));
    // Classification needs no data.
    CHECK(st.classify(4, A, build_tags(std::vector<stream_id>{S1})).value() == submission_class::needs_data);
    CHECK(st.classify(4, A, build_tags(std::vector<stream_id>{S1, S3})).value() == submission_class::not_in_stream);
    CHECK(run(st, A, writes_of({put(S1, "k", "v")})) == "Commit");
    CHECK(st.classify(5, B, build_tags(std::vector<stream_id>{S1})).value() == submission_class::sender_no_write_permission);
    // One tagged stream the sender may write is enough for the pre-check (S2 is new).
    CHECK(st.classify(5, B, build_tags(std::vector<stream_id>{S1, S2})).value() == submission_class::needs_data);
    CHECK(run(st, B, writes_of({put(S1, "k", "b")}), std::vector<stream_id>{S1, S2}) ==
          "WritePermissionDenied: stream: 0x000000000000000000000000000000000000000000000000000000000000f2bd, key: k");
    CHECK(st.is_new_stream(S2));  // a failed batch claims nothing

    // The downloader gave up.
    CHECK(st.apply_download_failed(6, B, build_tags(std::vector<stream_id>{S1})).value() == "SenderNoWritePermission");
    CHECK(st.apply_download_failed(7, A, build_tags(std::vector<stream_id>{S1})).value() == "DownloadFailed");
    CHECK(st.apply_download_failed(8, A, build_tags(std::vector<stream_id>{S3})).value() == std::nullopt);
    CHECK(st.progress() == 9);
    CHECK(st.transaction_result(7) == "DownloadFailed");

    // A stream added at run time counts from now on.
    st.add_served_stream(S3);
    CHECK(st.serves(S3));
    CHECK(run(st, C, writes_of({put(S3, "k", "c")})) == "Commit");
    CHECK(st.is_admin(C, S3));
}

TEST_CASE("kv replay: serve-all-streams mode (the devnet's deviation)", "[kv][replay]") {
    const std::vector<stream_id> configured = {S2};
    replay_options o;
    o.serve_all_streams = true;
    replay_state st(configured, o);
    CHECK(st.serves(S1));
    CHECK(st.serves(S3));
    CHECK(st.holding_streams() == std::vector<stream_id>{S2});
    // Still not KV: no result.
    CHECK(st.apply(0, A, bytes{}, encode_batch(writes_of({put(S1, "k", "v")})).value()).value() == std::nullopt);
    CHECK(run(st, A, writes_of({put(S3, "k", "v")})) == "Commit");
    CHECK(run(st, B, writes_of({put(S3, "k", "b")})) == "SenderNoWritePermission");
    // A failed batch claims nothing, so lists nothing.
    CHECK(run(st, B, writes_of({put(S3, "k", "b"), put(S1, "j", "b")})) ==
          "WritePermissionDenied: stream: 0x0000000000000000000000000000000000000000000000000000000000016879, key: k");
    CHECK(st.holding_streams() == std::vector<stream_id>{S2, S3});  // ascending: …f009 < …16879
    // A read of any stream is served (no TagsMismatch).
    batch b = writes_of({put(S1, "x", "1")}, 0);
    b.reads.push_back({S2, b_("never")});
    CHECK(run(st, C, b) == "Commit");
    CHECK(st.holding_streams() == std::vector<stream_id>{S2, S1, S3});
}

TEST_CASE("kv replay: the implicit admin goes to the first committed batch only", "[kv][replay]") {
    const std::vector<stream_id> served = {S1, S2};
    replay_state st(served);
    CHECK(run(st, C, writes_of({put(S2, "k", "1")})) == "Commit");
    CHECK(run(st, C, writes_of({put(S2, "k", "2")})) == "Commit");  // k at version 1
    // A tags the new S1 but its read of S2/k conflicts: nothing is claimed.
    batch conflicted = writes_of({put(S1, "a", "x")}, 0);
    conflicted.reads.push_back({S2, b_("k")});
    CHECK(run(st, A, conflicted) == "VersionConfliction");
    CHECK(st.is_new_stream(S1));
    CHECK_FALSE(st.is_admin(A, S1));
    // A malformed batch claims nothing either.
    bytes junk = encode_batch(writes_of({put(S1, "a", "x")})).value();
    junk[16 + 34] = 0;  // key length low byte: 0
    junk[16 + 33] = 0;
    junk[16 + 32] = 0;
    CHECK(st.apply(3, A, build_tags(std::vector<stream_id>{S1}), junk).value() == "DataParseError: Invalid stream data");
    CHECK(st.is_new_stream(S1));
    // B commits first: B is admin, A is not; even a batch that only tags S1 claims it.
    batch tag_only = writes_of({put(S2, "other", "x")});
    CHECK(run(st, B, tag_only, std::vector<stream_id>{S1}) == "TagsMismatch");
    batch empty_batch;
    CHECK(run(st, B, empty_batch, std::vector<stream_id>{S1}) == "Commit");
    CHECK(st.is_admin(B, S1));
    CHECK_FALSE(st.is_admin(A, S1));
    CHECK(run(st, A, writes_of({put(S1, "a", "x")})) == "SenderNoWritePermission");
    CHECK(st.is_admin(B, S1, 5));
    CHECK_FALSE(st.is_admin(B, S1, 4));
    CHECK(st.is_new_stream(S1, 4));
    CHECK(st.has_write_permission(A, S1, b_("a"), 4).value());  // anyone, while it is new
    CHECK_FALSE(st.has_write_permission(A, S1, b_("a")).value());
}

TEST_CASE("kv replay: GRANT_ADMIN_ROLE for oneself is dropped, never checked", "[kv][replay]") {
    const std::vector<stream_id> served = {S1};
    replay_state st(served);
    CHECK(run(st, A, ops_of({grant_writer(S1, B)})) == "Commit");
    // B is no admin, yet granting itself admin is not refused: the op is silently dropped.
    CHECK(run(st, B, ops_of({grant_admin(S1, B)})) == "Commit");
    CHECK_FALSE(st.is_admin(B, S1));
    // Granting someone else is checked.
    CHECK(run(st, B, ops_of({grant_admin(S1, C)})) ==
          "AccessControlPermissionDenied: operation: GRANT_ADMIN_ROLE, stream: "
          "0x000000000000000000000000000000000000000000000000000000000000f2bd, key: NONE, account: "
          "0xcccccccccccccccccccccccccccccccccccccccc");
    // On a new stream: renounce, then grant oneself: the grant is dropped, so the renounce wins.
    const std::vector<stream_id> served2 = {S2};
    replay_state fresh(served2);
    CHECK(run(fresh, A, ops_of({renounce_admin(S2), grant_admin(S2, A)})) == "Commit");
    CHECK_FALSE(fresh.is_admin(A, S2));
    // The first GRANT_ADMIN for an account stays; repeats are dropped.
    CHECK(run(st, A, ops_of({grant_admin(S1, C), grant_admin(S1, C)})) == "Commit");
    CHECK(st.is_admin(C, S1));
    std::size_t grants_to_c = 0;
    for (const auto& r : st.acl_log()) grants_to_c += r.op == acl_op_type::grant_admin_role && r.account == C;
    CHECK(grants_to_c == 1);
}

TEST_CASE("kv replay: within a batch the last op of a group wins", "[kv][replay]") {
    const std::vector<stream_id> served = {S1};
    replay_state st(served);
    CHECK(run(st, A, ops_of({grant_writer(S1, B), revoke_writer(S1, B)})) == "Commit");
    CHECK_FALSE(st.is_writer_of_stream(B, S1));
    CHECK(run(st, A, ops_of({revoke_writer(S1, C), grant_writer(S1, C)})) == "Commit");
    CHECK(st.is_writer_of_stream(C, S1));
    CHECK(run(st, A, ops_of({set_special(S1, "k"), set_normal(S1, "k")})) == "Commit");
    CHECK_FALSE(st.is_special_key(S1, b_("k")).value());
    // An overridden op is never checked: C (a writer, not admin) revokes D, then grants D.
    CHECK(run(st, C, ops_of({revoke_writer(S1, D), grant_writer(S1, D)})) == "Commit");
    CHECK(st.is_writer_of_stream(D, S1));
    // Writes: the last write of a key wins.
    CHECK(run(st, A, writes_of({put(S1, "dup", "first"), put(S1, "other", "x"), put(S1, "dup", "second")})) == "Commit");
    CHECK(value_text(st.get_value(S1, b_("dup"), 0, 100).value()) == "second");
    CHECK(st.write_history(S1, b_("dup")).size() == 1);
}

TEST_CASE("kv replay: special keys are written only by their special writers", "[kv][replay]") {
    const std::vector<stream_id> served = {S1};
    replay_state st(served);
    CHECK(run(st, A, ops_of({set_special(S1, "sp"), grant_special(S1, "sp", D), grant_writer(S1, B)})) == "Commit");
    CHECK(st.is_special_key(S1, b_("sp")).value());
    CHECK(st.is_writer_of_key(D, S1, b_("sp")).value());
    CHECK(st.holds_special_writer_grant(D, S1));
    // D passes the pre-check through its grant, and may write its key only.
    CHECK(run(st, D, writes_of({put(S1, "sp", "d")})) == "Commit");
    CHECK(run(st, D, writes_of({put(S1, "normal", "d")})) ==
          "WritePermissionDenied: stream: 0x000000000000000000000000000000000000000000000000000000000000f2bd, key: normal");
    // A stream writer may not write a special key; the admin may.
    CHECK(run(st, B, writes_of({put(S1, "sp", "b")})) ==
          "WritePermissionDenied: stream: 0x000000000000000000000000000000000000000000000000000000000000f2bd, key: sp");
    CHECK(run(st, B, writes_of({put(S1, "normal", "b")})) == "Commit");
    CHECK(run(st, A, writes_of({put(S1, "sp", "a")})) == "Commit");
    // A special writer may pass its role on, for its key only; the key need not be special yet.
    CHECK(run(st, D, ops_of({grant_special(S1, "sp", C)})) == "Commit");
    CHECK(st.is_writer_of_key(C, S1, b_("sp")).value());
    CHECK(run(st, D, ops_of({grant_special(S1, "elsewhere", C)})) ==
          "AccessControlPermissionDenied: operation: GRANT_SPECIAL_WRITER_ROLE, stream: "
          "0x000000000000000000000000000000000000000000000000000000000000f2bd, key: elsewhere, account: "
          "0xcccccccccccccccccccccccccccccccccccccccc");
    // SET_KEY needs admin; its account in the result is zero.
    CHECK(run(st, D, ops_of({set_normal(S1, "sp")})) ==
          "AccessControlPermissionDenied: operation: SET_KEY_TO_NORMAL, stream: "
          "0x000000000000000000000000000000000000000000000000000000000000f2bd, key: sp, account: "
          "0x0000000000000000000000000000000000000000");
    // Renouncing: D gives up its key, and with it the pre-check.
    CHECK(run(st, D, ops_of({{acl_op_type::renounce_special_writer_role, S1, b_("sp"), std::nullopt}})) == "Commit");
    CHECK_FALSE(st.is_writer_of_key(D, S1, b_("sp")).value());
    CHECK_FALSE(st.holds_special_writer_grant(D, S1));
    CHECK(run(st, D, writes_of({put(S1, "sp", "d")})) == "SenderNoWritePermission");
    // Back to normal: stream writers may write it again.
    CHECK(run(st, A, ops_of({set_normal(S1, "sp")})) == "Commit");
    CHECK(st.has_write_permission(B, S1, b_("sp")).value());
    CHECK_FALSE(st.has_write_permission(C, S1, b_("sp")).value());
}

TEST_CASE("kv replay: stream writers may grant the writer role, not revoke it", "[kv][replay]") {
    const std::vector<stream_id> served = {S1};
    replay_state st(served);
    CHECK(run(st, A, ops_of({grant_writer(S1, B)})) == "Commit");
    CHECK(run(st, B, ops_of({grant_writer(S1, C)})) == "Commit");
    CHECK(st.is_writer_of_stream(C, S1));
    CHECK(run(st, C, writes_of({put(S1, "k", "c")})) == "Commit");
    CHECK(run(st, B, ops_of({revoke_writer(S1, C)})).value().rfind("AccessControlPermissionDenied: operation: REVOKE_WRITER_ROLE", 0) == 0);
    // Anyone may renounce (C renounces; the op names no account: the sender is implied).
    CHECK(run(st, C, ops_of({{acl_op_type::renounce_writer_role, S1, {}, std::nullopt}})) == "Commit");
    CHECK_FALSE(st.is_writer_of_stream(C, S1));
    CHECK(st.is_writer_of_stream(C, S1, 2));
    CHECK(st.acl_log().back() == acl_record{S1, {}, 4, C, acl_op_type::renounce_writer_role, C});
    // Ops on an untagged stream: TagsMismatch.
    CHECK(run(st, A, ops_of({grant_writer(S2, B)}), std::vector<stream_id>{S1}) == "TagsMismatch");
}

TEST_CASE("kv replay: RENOUNCE_ADMIN on a new stream leaves it without admin", "[kv][replay]") {
    const std::vector<stream_id> served = {S2};
    replay_state st(served);
    CHECK(run(st, A, ops_of({renounce_admin(S2)})) == "Commit");
    CHECK_FALSE(st.is_new_stream(S2));
    CHECK_FALSE(st.is_admin(A, S2));
    CHECK_FALSE(st.has_write_permission(A, S2, b_("k")).value());
    CHECK(run(st, A, writes_of({put(S2, "k", "v")})) == "SenderNoWritePermission");
    CHECK(run(st, B, writes_of({put(S2, "k", "v")})) == "SenderNoWritePermission");
    REQUIRE(st.acl_log().size() == 1);
    CHECK(st.acl_log()[0] == acl_record{S2, {}, 0, A, acl_op_type::renounce_admin_role, A});
}

TEST_CASE("kv replay: version checks count tombstones, and reads come first", "[kv][replay]") {
    const std::vector<stream_id> served = {S1, S2};
    replay_state st(served);
    CHECK(run(st, A, writes_of({put(S1, "k", "v")})) == "Commit");   // 0
    CHECK(run(st, A, writes_of({put(S1, "k", "")})) == "Commit");    // 1: deleted
    CHECK(st.latest_write_version(S1, b_("k")) == 1);
    batch read_old = writes_of({put(S1, "other", "x")}, 0);
    read_old.reads.push_back({S1, b_("k")});
    CHECK(run(st, A, read_old) == "VersionConfliction");  // the delete at 1 > 0
    read_old.version = 1;
    CHECK(run(st, A, read_old) == "Commit");
    // Never-written keys are at version 0: a read at version 0 passes.
    batch fresh_read = writes_of({put(S1, "n", "x")}, 0);
    fresh_read.reads.push_back({S1, b_("never")});
    CHECK(run(st, A, fresh_read) == "Commit");
    // Write conflicts too.
    CHECK(run(st, A, writes_of({put(S1, "k", "again")}, 0)) == "VersionConfliction");
    // A read on a stream the node does not serve: TagsMismatch (reads need not be tagged).
    batch read_s3 = writes_of({put(S1, "z", "x")});
    read_s3.reads.push_back({S3, b_("k")});
    CHECK(run(st, A, read_s3) == "TagsMismatch");
    // A read of a served but untagged stream is fine.
    batch read_s2 = writes_of({put(S1, "z", "x")});
    read_s2.reads.push_back({S2, b_("k")});
    CHECK(run(st, A, read_s2) == "Commit");

    // Lazy parsing: a read conflict wins over a malformed write section…
    batch conflict = writes_of({put(S1, "q", "x")}, 0);
    conflict.reads.push_back({S1, b_("k")});
    bytes broken = encode_batch(conflict).value();
    const std::size_t write_count_at = 8 + 4 + 35 + 1;
    broken[write_count_at] = 0x01;  // 2^24 + 1 writes: too long
    CHECK(st.apply(st.progress(), A, build_tags(std::vector<stream_id>{S1}), broken).value() == "VersionConfliction");
    // …and without the conflict the parse error shows, with the node's text.
    conflict.version = no_version_check;
    broken = encode_batch(conflict).value();
    broken[write_count_at] = 0x01;
    CHECK(st.apply(st.progress(), A, build_tags(std::vector<stream_id>{S1}), broken).value() ==
          "DataParseError: Stream read/write/access_control list too long");
    // A bad op section is only looked at after the writes pass.
    bytes bad_ops = encode_batch(writes_of({put(S1, "w", "x")})).value();
    bad_ops.back() = 0x01;    // op count 1…
    bad_ops.push_back(0x05);  // …and its type byte unknown
    CHECK(st.apply(st.progress(), A, build_tags(std::vector<stream_id>{S1}), bad_ops).value() == "DataParseError: Invalid stream data");
    CHECK(st.write_history(S1, b_("w")).empty());  // nothing of a failed batch is stored
}

TEST_CASE("kv replay: value reads (§6.1)", "[kv][replay][query]") {
    const std::vector<stream_id> served = {S1};
    replay_state st(served);
    CHECK(run(st, A, writes_of({put(S1, "k", "hello world")})) == "Commit");  // 0
    CHECK(run(st, A, writes_of({put(S1, "k", "v2")})) == "Commit");           // 1

    CHECK(st.get_value(S1, b_("k"), 0, 100).value() == value_segment{1, b_("v2"), 2});
    CHECK(st.get_value(S1, b_("k"), 0, 100, 0).value() == value_segment{0, b_("hello world"), 11});
    CHECK(st.get_value(S1, b_("k"), 6, 3, 0).value() == value_segment{0, b_("wor"), 11});
    CHECK(st.get_value(S1, b_("k"), 6, 100, 0).value() == value_segment{0, b_("world"), 11});
    CHECK(st.get_value(S1, b_("k"), 11, 5, 0).value() == value_segment{0, {}, 11});  // start == size: empty
    CHECK(st.get_value(S1, b_("k"), 50, 0, 0).value() == value_segment{0, {}, 11});  // len 0: metadata, start unchecked
    CHECK(st.get_value(S1, b_("missing"), 0, 10).value() == value_segment{0, {}, 0});
    CHECK(st.get_value(S3, b_("k"), 0, 10).value() == value_segment{0, {}, 0});  // unknown streams look empty
    CHECK(st.get_value(S1, b_("k"), 0, default_max_query_length).has_value());

    auto refused = [](const auto& r, const char* message, const char* data) {
        REQUIRE_FALSE(r.has_value());
        const auto q = query_refusal_of(r.error());
        REQUIRE(q.has_value());
        CHECK(*q == query_refusal{-32602, message, data});
    };
    refused(st.get_value(S1, b_("k"), 0, default_max_query_length + 1), "Invalid params: len", "query length too large");
    refused(st.get_value(S1, bytes{}, 0, default_max_query_length + 1), "Invalid params: len", "query length too large");  // len first
    refused(st.get_value(S1, bytes{}, 0, 1), "Invalid params: key", "key is empty");
    refused(st.get_value(S1, b_("k"), 12, 1, 0), "Invalid params: start_index", "start index is greater than value length");
    refused(st.get_next(S1, bytes{}, 0, 1, false), "Invalid params: key", "key is empty");
    refused(st.get_first(S1, 3, 1), "Invalid params: start_index", "start index is greater than value length");
    refused(st.has_write_permission(A, S1, bytes{}), "Invalid params: key", "key is empty");
    refused(st.is_special_key(S1, bytes{}), "Invalid params: key", "key is empty");
    refused(st.is_writer_of_key(A, S1, bytes{}), "Invalid params: key", "key is empty");
    CHECK_FALSE(query_refusal_of(zerog::error(errc::parse_error, "x")).has_value());

    replay_state small(served, replay_options{false, 4});
    refused(small.get_value(S1, b_("k"), 0, 5), "Invalid params: len", "query length too large");

    CHECK(run(st, A, writes_of({put(S1, "k", "")})) == "Commit");  // 2: deleted
    CHECK(st.get_value(S1, b_("k"), 0, 100).value() == value_segment{2, {}, 0});
    CHECK(st.get_value(S1, b_("k"), 999, 100).value() == value_segment{2, {}, 0});  // a tombstone answers before the start check
    CHECK(st.get_value(S1, b_("k"), 0, 100, 1).value() == value_segment{1, b_("v2"), 2});
}

TEST_CASE("kv replay: iteration skips tombstones and terminates, inclusive or not", "[kv][replay][query]") {
    const std::vector<stream_id> served = {S1};
    replay_state st(served);
    CHECK(run(st, A, writes_of({put(S1, "a", "1"), put(S1, "b", "2"), put(S1, "c", "3"), put(S1, "d", "4"), put(S1, "e", "5")})) == "Commit");
    CHECK(run(st, A, writes_of({put(S1, "b", ""), put(S1, "c", ""), put(S1, "a", "")})) == "Commit");  // 1
    // Live now: d, e. At version 0: a..e.
    CHECK(key_text(st.get_next(S1, b_("b"), 0, 10, true).value()) == "d");  // the node would loop forever here
    CHECK(key_text(st.get_next(S1, b_("c"), 0, 10, true).value()) == "d");
    CHECK(key_text(st.get_prev(S1, b_("c"), 0, 10, true).value()) == "<null>");
    CHECK(key_text(st.get_prev(S1, b_("d"), 0, 10, true).value()) == "d");
    CHECK(key_text(st.get_prev(S1, b_("d"), 0, 10, false).value()) == "<null>");
    CHECK(key_text(st.get_next(S1, b_("d"), 0, 10, false).value()) == "e");
    CHECK(key_text(st.get_next(S1, b_("e"), 0, 10, false).value()) == "<null>");
    CHECK(key_text(st.get_first(S1, 0, 10).value()) == "d");
    CHECK(key_text(st.get_last(S1, 0, 10).value()) == "e");
    CHECK(key_text(st.get_prev(S1, b_("zz"), 0, 10, false).value()) == "e");
    CHECK(key_text(st.get_next(S1, b_("0"), 0, 10, false).value()) == "d");
    // As of version 0 everything is alive.
    CHECK(key_text(st.get_first(S1, 0, 10, 0).value()) == "a");
    CHECK(key_text(st.get_next(S1, b_("b"), 0, 10, true, 0).value()) == "b");
    CHECK(key_text(st.get_prev(S1, b_("c"), 0, 10, false, 0).value()) == "b");
    // Keys written only after the version asked for do not exist there.
    CHECK(run(st, A, writes_of({put(S1, "f", "6")})) == "Commit");  // 2
    CHECK(key_text(st.get_last(S1, 0, 10, 1).value()) == "e");
    CHECK(key_text(st.get_last(S1, 0, 10).value()) == "f");
    // All deleted: null everywhere.
    CHECK(run(st, A, writes_of({put(S1, "d", ""), put(S1, "e", ""), put(S1, "f", "")})) == "Commit");
    CHECK_FALSE(st.get_first(S1, 0, 10).value().has_value());
    CHECK_FALSE(st.get_last(S1, 0, 10).value().has_value());
    CHECK_FALSE(st.get_next(S1, b_("a"), 0, 10, true).value().has_value());
    CHECK_FALSE(st.get_prev(S1, b_("f"), 0, 10, true).value().has_value());
    CHECK_FALSE(st.get_first(S3, 0, 10).value().has_value());
    // The answer carries the slice and the whole size.
    const auto seg = st.get_first(S1, 0, 0, 0).value();
    REQUIRE(seg.has_value());
    CHECK(*seg == key_value_segment{0, b_("a"), {}, 1});
}

TEST_CASE("kv replay: encrypted batches are parsed after their header", "[kv][replay]") {
    const std::vector<stream_id> served = {S1};
    replay_state st(served, replay_options{true, default_max_query_length});
    const bytes plain = encode_batch(writes_of({put(S1, "hello", "world")})).value();
    bytes v1(17, 0x00);
    v1[0] = 0x01;
    v1.insert(v1.end(), plain.begin(), plain.end());
    const bytes tags = build_tags(std::vector<stream_id>{S1});
    CHECK(st.apply(0, A, tags, v1).value() == "Commit");
    CHECK(st.get_value(S1, b_("hello"), 0, 10).value() == value_segment{0, b_("world"), 5});
    CHECK(st.write_history(S1, b_("hello")).at(0).file_offset == 17 + 64);

    bytes v2(50, 0x00);
    v2[0] = 0x02;
    const bytes plain2 = encode_batch(writes_of({put(S1, "hello", "again")})).value();
    v2.insert(v2.end(), plain2.begin(), plain2.end());
    CHECK(st.apply(1, A, tags, v2).value() == "Commit");
    CHECK(value_text(st.get_value(S1, b_("hello"), 0, 10).value()) == "again");

    // An unknown header byte, or no bytes at all: the node blocks on it; no result, no progress.
    bytes bad = v1;
    bad[0] = 0x07;
    auto r = st.apply(2, A, tags, bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().is(errc::not_supported));
    CHECK_THAT(r.error().message(), Catch::Contains("replay is blocked"));
    CHECK(st.apply(2, A, tags, bytes{}).error().is(errc::not_supported));
    CHECK(st.progress() == 2);
    CHECK(st.transaction_result(2) == std::nullopt);
    // Without encryption configured, an empty file cannot hold a version: blocked as well.
    replay_state plain_state(served);
    CHECK(plain_state.apply(0, A, tags, bytes{}).error().is(errc::parse_error));
    CHECK(plain_state.progress() == 0);
}
