// Namespace format (kv/namespace.hpp): key wrapping, records (and hostile ones), user input
// checks, and the batches replayed by the KV rules (kv/replay.hpp) to show that who may write
// what is decided as the file comment says.
#include <zerog/kv/namespace.hpp>
#include <zerog/kv/replay.hpp>
#include <zerog/kv/tags.hpp>

#include <catch2/catch.hpp>

using namespace zerog;
using namespace zerog::kv;

namespace {

crypto::private_key key_of(const char* hex) { return crypto::private_key::from_hex(hex).value(); }
// Public anvil keys 0..2.
const char* const K0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const char* const K1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const char* const K2 = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";

stream_id stream_n(int n) {
    stream_id s{};
    s[31] = static_cast<byte>(n);
    s[0] = 0x5a;
    return s;
}

ns::member_record member_of(const crypto::private_key& k, ns::role r) {
    const auto id = ns::identity_of(k);
    return ns::member_record{id.address, r, id.compressed, 1700000000};
}

std::optional<std::string> run(replay_state& st, const address& sender, const batch& b) {
    auto r = st.apply(st.progress(), sender, tags_for(b), encode_batch(b).value());
    REQUIRE(r.has_value());
    return *r;
}

}  // namespace

TEST_CASE("namespace keys: wrap and unwrap bind the key to its stream, epoch and reader", "[kv][namespace]") {
    const auto a = key_of(K0), b = key_of(K1);
    const auto ida = ns::identity_of(a);
    CHECK(ida.address.to_checksum_hex() == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    CHECK(to_hex(ida.compressed) == "0x038318535b54105d4a7aae60c08fc45f9687181b4fdfc625bd1a753fa7397fed75");
    const ns::data_key k = ns::new_data_key();
    const stream_id s = stream_n(1);
    const bytes w = ns::wrap_key(k, ida.compressed, s, 3).value();
    REQUIRE(w.size() == ns::wrapped_key_size);
    CHECK(ns::unwrap_key(w, a, s, 3).value() == k);
    // Two wraps of one key differ (fresh ephemeral key and nonce).
    CHECK(ns::wrap_key(k, ida.compressed, s, 3).value() != w);
    // Another reader, another epoch, another stream: refused.
    CHECK(ns::unwrap_key(w, b, s, 3).error().code() == errc::verification_failed);
    CHECK(ns::unwrap_key(w, a, s, 4).error().code() == errc::verification_failed);
    CHECK(ns::unwrap_key(w, a, stream_n(2), 3).error().code() == errc::verification_failed);
    // Every byte matters.
    for (std::size_t i : {0u, 20u, 33u, 40u, 50u, 80u, 92u}) {
        bytes t = w;
        t[i] ^= 1;
        auto r = ns::unwrap_key(t, a, s, 3);
        REQUIRE_FALSE(r.has_value());
        CHECK((r.error().code() == errc::verification_failed || r.error().code() == errc::invalid_key));
    }
    CHECK(ns::unwrap_key(bytes(w.begin(), w.end() - 1), a, s, 3).error().code() == errc::invalid_length);
    // The uncompressed (65) and raw (64) forms of a public key are the same member.
    bytes off_curve(33, 0xff);
    off_curve[0] = 0x02;
    CHECK(ns::identity_of(off_curve).error().code() == errc::invalid_key);
    CHECK(ns::wrap_key(k, off_curve, s, 0).error().code() == errc::invalid_key);
}

TEST_CASE("namespace records round-trip and hostile ones are refused", "[kv][namespace]") {
    const auto a = key_of(K0), b = key_of(K1);
    ns::metadata_record m{"team-data", ns::identity_of(a).address, 1700000000, {{"owner", "ops"}, {"tier", "gold"}}};
    auto m2 = ns::decode_metadata(ns::encode_metadata(m)).value();
    CHECK(m2.name == m.name);
    CHECK(m2.admin == m.admin);
    CHECK(m2.meta == m.meta);
    CHECK(m2.created == m.created);

    const auto mem = member_of(b, ns::role::writer);
    auto mem2 = ns::decode_member(ns::encode_member(mem)).value();
    CHECK(mem2.address == mem.address);
    CHECK(mem2.member_role == ns::role::writer);
    CHECK(mem2.public_key == mem.public_key);

    ns::file_record f{"dir/ü.bin", hash256{}, 1048576, 2, 17, mem.address, 1700000001, 0};
    f.root[0] = 0xab;
    auto f2 = ns::decode_file(ns::encode_file(f)).value();
    CHECK(f2.path == f.path);
    CHECK(f2.root == f.root);
    CHECK(f2.size == f.size);
    CHECK(f2.epoch == 2);
    CHECK(f2.tx_seq == 17);
    CHECK(ns::decode_epoch(ns::encode_epoch(9)).value() == 9);
    CHECK(ns::decode_tombstone(ns::encode_tombstone({5, mem.address})).value().by == mem.address);

    auto bad = [](std::string_view s) { return bytes(s.begin(), s.end()); };
    CHECK(ns::decode_metadata(bad("not json")).error().code() == errc::malformed_response);
    CHECK(ns::decode_metadata(bad("[1]")).error().code() == errc::malformed_response);
    CHECK(ns::decode_metadata(bad(R"({"v":2,"kind":"zerog-namespace"})")).error().code() == errc::not_supported);
    CHECK(ns::decode_metadata(bad(R"({"v":1,"kind":"other","name":"x","admin":"0x0000000000000000000000000000000000000001","created":1,"meta":{}})"))
              .error().code() == errc::malformed_response);
    CHECK_FALSE(ns::decode_metadata(bad(R"({"v":1,"kind":"zerog-namespace","name":"bad name!","admin":"0x0000000000000000000000000000000000000001","created":1,"meta":{}})")));
    CHECK_FALSE(ns::decode_metadata(bad(R"({"v":1,"kind":"zerog-namespace","name":"x","admin":"0x01","created":1,"meta":{}})")));
    CHECK_FALSE(ns::decode_metadata(bad(R"({"v":1,"kind":"zerog-namespace","name":"x","admin":"0x0000000000000000000000000000000000000001","created":1,"meta":{"k":1}})")));
    CHECK(ns::decode_file(bad(R"({"v":1,"path":"a","root":"0x00","size":1,"epoch":0,"txSeq":0,"by":"0x0000000000000000000000000000000000000001","at":0})"))
              .error().code() == errc::malformed_response);
    CHECK_FALSE(ns::decode_file(bad(R"({"v":1,"path":"a","root":"0x0000000000000000000000000000000000000000000000000000000000000000","size":-1,"epoch":0,"txSeq":0,"by":"0x0000000000000000000000000000000000000001","at":0})")));
    // Deep nesting and oversize records: bounded before parsing.
    CHECK_FALSE(ns::decode_file(bad(std::string(100, '[') + std::string(100, ']'))));
    CHECK(ns::decode_file(bytes(ns::max_record_bytes + 1, ' ')).error().code() == errc::too_large);
    // A member record whose key is not the member's (an admin's typo would lock them out).
    auto forged = mem;
    forged.public_key = member_of(a, ns::role::reader).public_key;
    CHECK(ns::decode_member(ns::encode_member(forged)).error().code() == errc::malformed_response);
}

TEST_CASE("namespace input checks: names, paths, metadata", "[kv][namespace]") {
    CHECK(ns::check_name("team-data_1.x"));
    CHECK_FALSE(ns::check_name(""));
    CHECK_FALSE(ns::check_name(std::string(65, 'a')));
    CHECK_FALSE(ns::check_name("a b"));
    CHECK_FALSE(ns::check_name("0xabc"));
    CHECK(ns::check_path("reports/2026/ü.pdf"));
    CHECK_FALSE(ns::check_path(""));
    CHECK_FALSE(ns::check_path(std::string(1025, 'a')));
    CHECK_FALSE(ns::check_path("a\nb"));
    CHECK_FALSE(ns::check_path("\xff\xfe"));
    CHECK_FALSE(ns::check_path("\xc3"));
    CHECK(ns::check_meta({{"a", "b"}}));
    CHECK_FALSE(ns::check_meta({{"", "b"}}));
    CHECK_FALSE(ns::check_meta({{"a=b", "c"}}));
    CHECK_FALSE(ns::check_meta({{"a", std::string(1025, 'x')}}));
    std::map<std::string, std::string> many;
    for (int i = 0; i < 65; ++i) many["k" + std::to_string(i)] = "v";
    CHECK(ns::check_meta(many).error().code() == errc::too_large);
    CHECK(ns::parse_role("writer").value() == ns::role::writer);
    CHECK_FALSE(ns::parse_role("owner"));
}

TEST_CASE("namespace batches under the KV rules: admin-only reserved keys, roles, rotation, delete", "[kv][namespace]") {
    const auto ka = key_of(K0), kb = key_of(K1), kc = key_of(K2);
    const auto admin = member_of(ka, ns::role::admin);
    const auto writer = member_of(kb, ns::role::writer);
    const auto reader = member_of(kc, ns::role::reader);
    const stream_id s = stream_n(7);
    const std::vector<stream_id> none;
    replay_state st(none, replay_options{false, default_max_query_length, true});

    ns::data_key k0 = ns::new_data_key();
    const batch create = ns::create_batch(s, {"ns1", admin.address, 1, {}}, admin, k0).value();
    CHECK(run(st, admin.address, create) == "Commit");
    CHECK(st.is_admin(admin.address, s));
    for (const bytes& k : {ns::meta_key(), ns::epoch_key(), ns::deleted_key(), ns::member_key(admin.address), ns::wrapped_key_key(0, admin.address)})
        CHECK(st.is_special_key(s, k).value());

    // A writer before anything else: may write file entries but not reserved keys.
    const std::vector<ns::data_key> keys{k0};
    CHECK(run(st, admin.address, ns::grant_batch(s, writer, std::nullopt, keys).value()) == "Commit");
    CHECK(st.is_writer_of_stream(writer.address, s));
    CHECK(st.is_special_key(s, ns::member_key(writer.address)).value());
    batch file;
    file.writes.push_back({s, ns::file_key("a.txt"), ns::encode_file({"a.txt", {}, 1, 0, 1, writer.address, 1, 0})});
    CHECK(run(st, writer.address, file) == "Commit");
    for (const bytes& k : {ns::meta_key(), ns::epoch_key(), ns::deleted_key(), ns::member_key(admin.address)}) {
        batch forge;
        forge.writes.push_back({s, k, bytes{'x'}});
        CHECK(run(st, writer.address, forge).value().rfind("WritePermissionDenied", 0) == 0);
    }
    // ... a writer CAN plant a reserved key no admin has touched yet: readers ignore it because
    // it is not special (the trust rule); an admin's later grant overwrites it and makes it special.
    batch plant;
    plant.writes.push_back({s, ns::member_key(reader.address), ns::encode_member(reader)});
    CHECK(run(st, writer.address, plant) == "Commit");
    CHECK_FALSE(st.is_special_key(s, ns::member_key(reader.address)).value());
    // A writer cannot grant admin (to itself the op is silently dropped, §5.3; to another
    // account it is refused) nor make keys special or normal.
    batch escalate;
    escalate.ops.push_back({acl_op_type::grant_admin_role, s, {}, writer.address});
    CHECK(run(st, writer.address, escalate) == "Commit");
    CHECK_FALSE(st.is_admin(writer.address, s));
    batch escalate2;
    escalate2.ops.push_back({acl_op_type::grant_admin_role, s, {}, reader.address});
    CHECK(run(st, writer.address, escalate2).value().rfind("AccessControlPermissionDenied", 0) == 0);
    batch unspecial;
    unspecial.ops.push_back({acl_op_type::set_key_to_normal, s, ns::meta_key(), std::nullopt});
    CHECK(run(st, writer.address, unspecial).value().rfind("AccessControlPermissionDenied", 0) == 0);
    CHECK(st.is_special_key(s, ns::meta_key()).value());
    // Someone with no role: refused outright (the node's pre-check, before any data is read).
    batch outsider;
    outsider.writes.push_back({s, ns::file_key("b.txt"), bytes{'x'}});
    CHECK(run(st, reader.address, outsider) == "SenderNoWritePermission");

    // Reader granted; then revoked with rotation; then the writer demoted.
    CHECK(run(st, admin.address, ns::grant_batch(s, reader, std::nullopt, keys).value()) == "Commit");
    CHECK(st.is_special_key(s, ns::member_key(reader.address)).value());
    CHECK_FALSE(st.is_writer_of_stream(reader.address, s));
    ns::data_key k1 = ns::new_data_key();
    const batch rev = ns::revoke_batch(s, reader, 1, k1, {admin, writer}).value();
    CHECK(run(st, admin.address, rev) == "Commit");
    CHECK(st.get_value(s, ns::member_key(reader.address), 0, 100).value().size == 0);  // deleted
    CHECK(st.get_value(s, ns::wrapped_key_key(1, reader.address), 0, 100).value().size == 0);  // never wrapped
    CHECK(st.get_value(s, ns::wrapped_key_key(1, writer.address), 0, 100).value().size == ns::wrapped_key_size);
    auto demoted = writer;
    demoted.member_role = ns::role::reader;
    CHECK(run(st, admin.address, ns::grant_batch(s, demoted, ns::role::writer, {k0, k1}).value()) == "Commit");
    CHECK_FALSE(st.is_writer_of_stream(writer.address, s));

    // Delete: tombstone by the admin, writers revoked.
    CHECK(run(st, admin.address, ns::grant_batch(s, writer, ns::role::reader, {k0, k1}).value()) == "Commit");
    CHECK(run(st, admin.address, ns::delete_batch(s, {9, admin.address}, {admin, writer})) == "Commit");
    CHECK_FALSE(st.is_writer_of_stream(writer.address, s));
    CHECK(st.get_value(s, ns::deleted_key(), 0, 1000).value().size > 0);

    // Someone else cannot create on the used stream: the create batch is refused.
    ns::data_key k9 = ns::new_data_key();
    CHECK(run(st, reader.address, ns::create_batch(s, {"ns1", reader.address, 1, {}}, reader, k9).value()) == "SenderNoWritePermission");
}
