// kv_reader against the devnet KV node's RPC core (devnet/kv_node.hpp) behind the scripted
// transport: the reader's wire handling without a network or a chain. Submissions are fed to the
// core by hand (seq, sender, tags, batch bytes); the devnet tests run the same against a real
// node process fed from the chain.
#include <zerog/client/kv_client.hpp>
#include <zerog/devnet/kv_node.hpp>
#include <zerog/testing/clients.hpp>

#include <catch2/catch.hpp>
#include <test_support.hpp>

#include <boost/json.hpp>

using namespace zerog;
namespace asio = boost::asio;
namespace kvn = zerog::kv;

namespace {

const kvn::stream_id stream_s = kvn::parse_stream_id("0x" + std::string(62, '0') + "5a").value();
const crypto::address alice = crypto::address::parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266").value();

bytes text(std::string_view s) { return bytes(s.begin(), s.end()); }

/// A KV node core fed with batches, answering through a mock transport.
struct fed_node {
    devnet::kv_node_core core;
    testing::storage_policies policies;
    std::uint64_t next_seq = 0;

    fed_node() : core(config(), std::filesystem::path("/nonexistent/zerog-kv-test-faults.json")) {
        policies.transport.set_handler([this](const net::http_request& r) { return testing::scripted_reply::json(core.handle(r.body)); });
    }
    static devnet::kv_node_config config() {
        devnet::kv_node_config c;
        c.serve_all_streams = true;
        return c;
    }
    /// Commit-or-not: feed one batch as the next submission from `sender`.
    std::string feed(const kvn::batch& b, const crypto::address& sender = alice) {
        const bytes data = kvn::encode_batch(b).value();
        devnet::kv_submission sub;
        sub.seq = next_seq++;
        sub.sender = sender;
        sub.tags = kvn::tags_for(b);
        sub.size = data.size();
        REQUIRE(core.add_submission(sub));
        auto r = core.apply_next(data);
        REQUIRE(r);
        return r->value_or("null");
    }
    client::kv_reader<testing::storage_policies> reader(client::kv_client_options o = {}) {
        o.kv_urls = {"http://127.0.0.1:1/"};
        return client::kv_reader<testing::storage_policies>(o, policies);
    }
};

kvn::batch write(std::string_view key, bytes value) {
    kvn::batch b;
    b.writes.push_back({stream_s, text(key), std::move(value)});
    return b;
}

bytes pattern(std::size_t n) {
    bytes v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<byte>(i * 7 + i / 256);
    return v;
}

}  // namespace

TEST_CASE("kv_reader assembles a value from 256 KiB slices, pinned to one version", "[kv][kv_client]") {
    fed_node n;
    const bytes big = pattern(600'000);  // three slices; the TS SDK's offset bug breaks exactly this
    REQUIRE(n.feed(write("big", big)) == "Commit");
    REQUIRE(n.feed(write("big", text("small now"))) == "Commit");
    auto r = n.reader();

    auto latest = r.get_value(stream_s, text("big"));
    REQUIRE(latest);
    CHECK(latest->version == 1);
    CHECK(latest->data == text("small now"));

    auto old = r.get_value(stream_s, text("big"), 0);
    REQUIRE(old);
    CHECK(old->version == 0);
    CHECK(old->data == big);
    CHECK(n.policies.transport.requests().size() >= 4);  // one call for the latest, three slices for the old

    auto missing = r.get_value(stream_s, text("never"));
    REQUIRE(missing);
    CHECK(missing->version == 0);
    CHECK(missing->data.empty());

    auto small_slices = n.reader([] {
        client::kv_client_options o;
        o.slice_bytes = 1000;
        return o;
    }());
    auto sliced = small_slices.get_value(stream_s, text("big"), 0);
    REQUIRE(sliced);
    CHECK(sliced->data == big);

    auto limited = n.reader([] {
        client::kv_client_options o;
        o.max_value_bytes = 100'000;
        return o;
    }());
    auto refused = limited.get_value(stream_s, text("big"), 0);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().is(errc::too_large));

    auto empty_key = r.get_value(stream_s, bytes{});
    REQUIRE_FALSE(empty_key);
    CHECK(empty_key.error().is(errc::invalid_argument));
}

TEST_CASE("kv_reader iterates live keys and skips tombstones", "[kv][kv_client]") {
    fed_node n;
    kvn::batch b;
    for (const char* k : {"a", "b", "c"}) b.writes.push_back({stream_s, text(k), text(std::string("v-") + k)});
    REQUIRE(n.feed(b) == "Commit");
    REQUIRE(n.feed(write("b", bytes{})) == "Commit");  // delete b
    auto r = n.reader();
    asio::io_context ioc;
    std::optional<client::kv_entry> first, after_a, last, before_c, after_c, b_at_0;
    asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
        first = (co_await r.first_async(stream_s)).value();
        after_a = (co_await r.next_async(stream_s, text("a"))).value();
        last = (co_await r.last_async(stream_s)).value();
        before_c = (co_await r.prev_async(stream_s, text("c"))).value();
        after_c = (co_await r.next_async(stream_s, text("c"))).value();
        b_at_0 = (co_await r.next_async(stream_s, text("a"), false, 0)).value();
    }, asio::detached);
    ioc.run_for(std::chrono::seconds(10));
    REQUIRE(first);
    CHECK(first->key == text("a"));
    CHECK(first->value.data == text("v-a"));
    REQUIRE(after_a);
    CHECK(after_a->key == text("c"));
    REQUIRE(last);
    CHECK(last->key == text("c"));
    REQUIRE(before_c);
    CHECK(before_c->key == text("a"));
    CHECK_FALSE(after_c);
    REQUIRE(b_at_0);  // as of seq 0, b was still there
    CHECK(b_at_0->key == text("b"));
    CHECK(b_at_0->value.data == text("v-b"));
    CHECK(b_at_0->value.version == 0);
}

TEST_CASE("kv_reader reads verdicts, progress and permissions; a skipped seq is an error, not a wait", "[kv][kv_client]") {
    fed_node n;
    REQUIRE(n.feed(write("k", text("v"))) == "Commit");
    const crypto::address bob = crypto::address::parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8").value();
    REQUIRE(n.feed(write("k", text("x")), bob) == "SenderNoWritePermission");
    // Seq 2: not a KV submission (no tags): the node passes it without a result.
    devnet::kv_submission plain;
    plain.seq = n.next_seq++;
    plain.sender = alice;
    REQUIRE(n.core.add_submission(plain));
    REQUIRE(n.core.apply_next(bytes(256)));
    auto r = n.reader();

    auto v0 = r.transaction_result(0);
    REQUIRE(v0);
    REQUIRE(*v0);
    CHECK((*v0)->committed());
    auto v1 = r.transaction_result(1);
    REQUIRE(v1);
    REQUIRE(*v1);
    CHECK((*v1)->kind == kvn::tx_outcome_kind::sender_no_write_permission);
    auto v9 = r.transaction_result(9);
    REQUIRE(v9);
    CHECK_FALSE(*v9);

    auto pr = r.progress();
    REQUIRE(pr);
    CHECK(pr->applied_seq == 3);
    CHECK_FALSE(pr->first_tx_seq);

    asio::io_context ioc;
    std::optional<result<kvn::tx_outcome>> skipped, pending;
    std::optional<result<bool>> admin_a, admin_b;
    asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
        skipped = co_await r.wait_for_result_async(2, std::chrono::steady_clock::now() + std::chrono::seconds(5));
        pending = co_await r.wait_for_result_async(7, std::chrono::steady_clock::now() + std::chrono::milliseconds(300));
        admin_a = co_await r.is_admin_async(alice, stream_s);
        admin_b = co_await r.is_admin_async(bob, stream_s);
    }, asio::detached);
    ioc.run_for(std::chrono::seconds(10));
    REQUIRE(skipped);
    REQUIRE_FALSE(*skipped);
    CHECK(skipped->error().is(errc::not_found));
    CHECK(skipped->error().message().find("replayed past seq 2") != std::string::npos);
    REQUIRE(pending);
    REQUIRE_FALSE(*pending);
    CHECK(pending->error().is(errc::deadline_exceeded));
    REQUIRE(admin_a);
    CHECK(admin_a->value());
    REQUIRE(admin_b);
    CHECK_FALSE(admin_b->value());
}

TEST_CASE("kv_reader refuses malformed node answers", "[kv][kv_client]") {
    testing::storage_policies p;
    std::string answer;
    p.transport.set_handler([&](const net::http_request&) { return testing::scripted_reply::json(answer); });
    client::kv_client_options o;
    o.kv_urls = {"http://127.0.0.1:1/"};
    client::kv_reader<testing::storage_policies> r(o, p);
    auto expect_malformed = [&](std::string result_json, errc code) {
        answer = R"({"jsonrpc":"2.0","id":1,"result":)" + result_json + "}";
        auto v = r.get_value(stream_s, text("k"));
        INFO(result_json);
        REQUIRE_FALSE(v);
        CHECK(v.error().is(code));
    };
    expect_malformed(R"({"version":1.5,"data":"","size":0})", errc::malformed_response);      // a double
    expect_malformed(R"({"version":-1,"data":"","size":0})", errc::malformed_response);       // negative
    expect_malformed(R"({"version":1,"data":"@@@@","size":3})", errc::invalid_base64);
    expect_malformed(R"({"version":1,"data":"YWJj","size":2})", errc::malformed_response);    // more data than size
    expect_malformed(R"({"version":1,"data":"","size":5})", errc::malformed_response);        // an empty slice before the end
    expect_malformed(R"({"version":1,"size":0})", errc::malformed_response);                  // no data
    expect_malformed(R"("Commit")", errc::malformed_response);

    answer = R"({"jsonrpc":"2.0","id":1,"result":"Committed?"})";
    auto t = r.transaction_result(0);
    REQUIRE_FALSE(t);
    CHECK(t.error().is(errc::malformed_response));

    answer = R"({"jsonrpc":"2.0","id":1,"result":{"version":18446744073709551615,"data":"","size":0}})";
    auto maxv = r.get_value(stream_s, text("k"));  // u64 max is exact, not a double
    REQUIRE(maxv);
    CHECK(maxv->version == 18446744073709551615ull);
}

// The CLI end to end: `zerog kv` on a devnet with a KV node (`devnet up --kv`), which follows the
// chain, fetches each batch from the storage nodes with proofs and replays it.
TEST_CASE("zerog kv put/get/ls on the devnet: the KV node decides, identical puts are separate writes", "[devnet][kv]") {
    namespace fs = std::filesystem;
    using zerog::testing::run_command;
    auto q = [](const fs::path& p) { return zerog::testing::shell_quote(p); };
    const zerog::testing::cli_devnet net("zerog-kv-cli-", "--nodes 2 --providers 0 --kv");
    INFO(net.out);
    REQUIRE(net.rc == 0);
    const auto& tmp = net.tmp;
    const fs::path& exe = net.exe;
    const fs::path& dir = net.dir;
    const std::string env = "env -u ZG_PRIVATE_KEY -u ZG_KEYSTORE -u ZEROG_CONFIG -u ZEROG_KV_URLS ZEROG_DEVNET_DIR=" + q(dir) +
                            " ZEROG_PROFILE=devnet ZEROG_DB=" + q(tmp.path / "z.db") + " ";
    const std::string z = env + q(exe);
    const std::string s = "0x" + std::string(64, 'c');
    auto json_of = [](const std::string& out) { return boost::json::parse(out.substr(0, out.find('\n'))).as_object(); };

    auto [p1, put1] = run_command(z + " kv put " + s + " k1 v1 --json 2>&1");
    INFO(put1);
    REQUIRE(p1 == 0);
    const auto r1 = json_of(put1);
    CHECK(r1.at("result").as_string() == "Commit");
    const auto seq1 = r1.at("txSeq").to_number<std::uint64_t>();

    auto [g1, get1] = run_command(z + " kv get " + s + " k1");
    CHECK(g1 == 0);
    CHECK(get1 == "v1");

    // The same bytes again: a new write (another tx seq), not the old submission adopted.
    auto [p2, put2] = run_command(z + " kv put " + s + " k1 v1 --json 2>&1");
    INFO(put2);
    REQUIRE(p2 == 0);
    const auto seq2 = json_of(put2).at("txSeq").to_number<std::uint64_t>();
    CHECK(seq2 > seq1);
    CHECK(json_of(put2).at("root").as_string() != r1.at("root").as_string());
    auto [g2, get2] = run_command(z + " kv get " + s + " k1 --json");
    REQUIRE(g2 == 0);
    CHECK(json_of(get2).at("version").to_number<std::uint64_t>() == seq2);
    auto [g3, get3] = run_command(z + " kv get " + s + " k1 --version " + std::to_string(seq1) + " --json");
    REQUIRE(g3 == 0);
    CHECK(json_of(get3).at("version").to_number<std::uint64_t>() == seq1);

    // Compare-and-set: a write conditional on the version read commits once; the same condition
    // again (the key moved since) ends VersionConfliction and changes nothing.
    auto [c1, cas1] = run_command(z + " kv put " + s + " k1 v3 --expect-version " + std::to_string(seq2) + " --json 2>&1");
    INFO(cas1);
    REQUIRE(c1 == 0);
    CHECK(json_of(cas1).at("result").as_string() == "Commit");
    auto [c2, cas2] = run_command(z + " kv put " + s + " k1 v4 --expect-version " + std::to_string(seq2) + " --json 2>&1");
    INFO(cas2);
    CHECK(c2 == 1);
    CHECK(json_of(cas2).at("result").as_string() == "VersionConfliction");
    auto [g5, get5] = run_command(z + " kv get " + s + " k1");
    CHECK(get5 == "v3");
    const auto seq3 = json_of(cas1).at("txSeq").to_number<std::uint64_t>();

    // Another account (anvil #1, public test key) may not write a stream the first one claimed.
    auto [p3, put3] = run_command(env + "ZG_PRIVATE_KEY=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d " + q(exe) +
                                  " kv put " + s + " k2 intruder --json 2>&1");
    INFO(put3);
    CHECK(p3 == 1);
    CHECK(json_of(put3).at("result").as_string() == "SenderNoWritePermission");
    auto [g4, get4] = run_command(z + " kv get " + s + " k2 2>&1");
    CHECK(g4 == 1);
    CHECK(get4.find("has no value") != std::string::npos);

    auto [l1, ls1] = run_command(z + " kv ls " + s + " --json");
    REQUIRE(l1 == 0);
    const auto keys = json_of(ls1).at("keys").as_array();
    REQUIRE(keys.size() == 1);
    CHECK(keys[0].at("key").as_string() == "k1");
    CHECK(keys[0].at("version").to_number<std::uint64_t>() == seq3);

    auto [u1, usage] = run_command(z + " kv put " + s + " 2>&1");
    CHECK(u1 == 2);

    // A node that lags: a version it has not replayed is waited for, then a clear error (not the
    // older value it holds); once it catches up the same read answers.
    REQUIRE(run_command(q(exe) + " devnet fault --dir " + q(dir) + " --kv --mode stale 2>&1").first == 0);
    auto [u2, put_stale] = run_command(env + "ZEROG_TIMEOUT_FINALITY=6s " + q(exe) + " kv put " + s + " k1 v5 --json 2>&1");
    INFO(put_stale);
    CHECK(u2 == 1);
    const auto at = put_stale.find("no result for KV submission ");
    REQUIRE(at != std::string::npos);
    const std::string ahead = std::to_string(std::stoull(put_stale.substr(at + 28)));
    CHECK(std::stoull(ahead) > seq3);
    auto [u3, lag] = run_command(env + "ZEROG_TIMEOUT_DOWNLOAD=2s " + q(exe) + " kv get " + s + " k1 --version " + ahead + " 2>&1");
    INFO(lag);
    CHECK(u3 == 1);
    CHECK(lag.find("the node lags") != std::string::npos);
    REQUIRE(run_command(q(exe) + " devnet fault --dir " + q(dir) + " --kv --mode none 2>&1").first == 0);
    auto [u4, caught_up] = run_command(z + " kv get " + s + " k1 --version " + ahead);
    CHECK(u4 == 0);
    CHECK(caught_up == "v5");
}
