// KV node emulator tests (devnet/kv_node.hpp, devnet/kv_service.hpp; docs/protocol/kv.md), tag [kv]:
//   * the core without a network: every §6 method's JSON shape byte for byte, the node's refusals
//     in its order, jsonrpsee-style parse failures, the optional trailing version, u64 params up
//     to 2^64-1, faults answered by the core, the response cap, "blocked on seq N" in
//     devnet_kvStatus;
//   * end to end on `zerog devnet up --kv`: KV batches uploaded as ordinary storage uploads with
//     their tags, signed by different anvil accounts (the sender is the transaction's `from`),
//     replayed by the emulator from the chain and the storage nodes: commit, no permission, a
//     writer grant, a version conflict, a multi-segment value read in slices, a delete, iteration,
//     historic versions, bad params, TagsMismatch, a seq whose data is not uploaded yet blocking
//     every later seq, the stale (lagging), down and slow faults, and `zerog devnet status`.
#include "devnet_test_util.hpp"

#include <zerog/config/load.hpp>
#include <zerog/devnet/kv_node.hpp>
#include <zerog/kv/tags.hpp>
#include <zerog/storage.hpp>

#include <sys/wait.h>

#include <fstream>
#include <thread>

using namespace devnet_test;

namespace {

namespace kv = zerog::kv;
using zerog::crypto::address;

kv::stream_id stream_of(const char* hex) { return kv::parse_stream_id(hex).value(); }
const kv::stream_id S1 = stream_of("0x000000000000000000000000000000000000000000000000000000000000f2bd");
const kv::stream_id S2 = stream_of("0x000000000000000000000000000000000000000000000000000000000000f009");
const address A = address::parse("0xaa3576fd0df6172c3a67a82b2a153066e8e95364").value();
const address B = address::parse("0xc93631b4c60554283528a921a99ffb295f1ef7e6").value();

bytes b_(std::string_view s) { return bytes(s.begin(), s.end()); }
std::string b64(std::string_view s) { return zerog::base64_encode(b_(s)); }
std::string text_of(const json::value& base64) {
    auto b = zerog::base64_decode(std::string_view(base64.as_string()));
    REQUIRE(b);
    return std::string(b->begin(), b->end());
}
std::string hex_no_prefix(const kv::stream_id& s) { return zerog::to_hex(s, false); }

kv::batch writes_of(std::initializer_list<kv::kv_write> w, std::uint64_t version = kv::no_version_check) {
    kv::batch b;
    b.version = version;
    b.writes = w;
    return b;
}
kv::kv_write put(const kv::stream_id& s, std::string_view key, std::string_view value) { return {s, b_(key), b_(value)}; }

/// One JSON-RPC call through the core: the whole response object.
json::object rpc(dv::kv_node_core& core, const std::string& method, const std::string& params_text) {
    const std::string out = core.handle(R"({"jsonrpc":"2.0","id":7,"method":")" + method + R"(","params":)" + params_text + "}");
    INFO(out);
    return json::parse(out).as_object();
}
/// The result as compact JSON text (fails on an error).
std::string result_text(dv::kv_node_core& core, const std::string& method, const std::string& params_text) {
    auto o = rpc(core, method, params_text);
    INFO(json::serialize(o));
    REQUIRE(o.contains("result"));
    return json::serialize(o.at("result"));
}
/// The error object (fails on a result).
json::object error_of(dv::kv_node_core& core, const std::string& method, const std::string& params_text) {
    auto o = rpc(core, method, params_text);
    INFO(json::serialize(o));
    REQUIRE(o.contains("error"));
    return o.at("error").as_object();
}
void require_refusal(const json::object& e, std::int64_t code, const std::string& message, std::optional<std::string> data = std::nullopt) {
    INFO(json::serialize(e));
    REQUIRE(e.at("code").as_int64() == code);
    REQUIRE(e.at("message").as_string() == message);
    if (data) REQUIRE(e.at("data").as_string() == *data);
}

/// Feed one submission and replay it with its bytes.
std::optional<std::string> replay(dv::kv_node_core& core, std::uint64_t seq, const address& sender, const bytes& tags, const bytes& stored) {
    dv::kv_submission s;
    s.seq = seq;
    s.sender = sender;
    s.tags = tags;
    s.size = stored.size();
    s.root[0] = static_cast<zerog::byte>(seq + 1);
    REQUIRE(core.add_submission(s));
    auto r = core.apply_next(stored);
    REQUIRE(r);
    return *r;
}

}  // namespace

TEST_CASE("kv node core: §6 shapes, params and refusals", "[kv][devnet]") {
    temp_dir d;
    dv::kv_node_config cfg;
    cfg.streams = {S1};
    dv::kv_node_core core(cfg, dv::fault_file(d.path, "kv", 0));

    const std::string big(300000, 'z');
    CHECK(replay(core, 0, A, kv::tags_for(writes_of({put(S1, "k1", "v1")})), *kv::encode_batch(writes_of({put(S1, "k1", "v1")}))) ==
          "Commit");
    CHECK(replay(core, 1, A, bytes{}, b_("not a KV file")) == std::nullopt);
    CHECK(replay(core, 2, B, kv::tags_for(writes_of({put(S1, "k1", "x")})), *kv::encode_batch(writes_of({put(S1, "k1", "x")}))) ==
          "SenderNoWritePermission");
    const auto third = writes_of({put(S1, "k2", "two"), put(S1, "big", big), put(S1, "k1", "")});
    CHECK(replay(core, 3, A, kv::tags_for(third), *kv::encode_batch(third)) == "Commit");
    const auto on_s2 = writes_of({put(S2, "x", "1")});
    CHECK(replay(core, 4, A, kv::tags_for(on_s2), *kv::encode_batch(on_s2)) == std::nullopt);  // S2 is not served

    const std::string s1 = '"' + hex_no_prefix(S1) + '"', s1x = '"' + zerog::to_hex(S1) + '"';
    const std::string k1 = '"' + b64("k1") + '"', k2 = '"' + b64("k2") + '"', kbig = '"' + b64("big") + '"';

    SECTION("status, results, progress, streams") {
        CHECK(result_text(core, "kv_getStatus", "[]") == "true");
        CHECK(result_text(core, "kv_getTransactionResult", "[0]") == R"("Commit")");
        CHECK(result_text(core, "kv_getTransactionResult", "[1]") == "null");
        CHECK(result_text(core, "kv_getTransactionResult", "[2]") == R"("SenderNoWritePermission")");
        CHECK(result_text(core, "kv_getTransactionResult", "[4]") == "null");
        CHECK(result_text(core, "kv_getTransactionResult", "[18446744073709551615]") == "null");
        CHECK(result_text(core, "kv_getReplayProgress", "[]") == R"({"appliedSeq":5,"firstTxSeq":null})");
        CHECK(result_text(core, "kv_getHoldingStreamIds", "[]") == R"(["0x000000000000000000000000000000000000000000000000000000000000f2bd"])");
        require_refusal(error_of(core, "kv_getTransactionResult", R"(["0"])"), -32602, "Invalid params");
        require_refusal(error_of(core, "kv_getTransactionResult", "[-1]"), -32602, "Invalid params");
        require_refusal(error_of(core, "kv_getTransactionResult", "[]"), -32602, "Invalid params");
        require_refusal(error_of(core, "kv_noSuchMethod", "[]"), -32601, "Method not found");
    }

    SECTION("kv_getValue: shapes, versions, slices and the node's refusals in its order") {
        // ids with and without 0x; version omitted, null, 2^64-1 or a seq
        CHECK(result_text(core, "kv_getValue", "[" + s1 + "," + k2 + ",0,100]") == R"({"version":3,"data":")" + b64("two") + R"(","size":3})");
        CHECK(result_text(core, "kv_getValue", "[" + s1x + "," + k2 + ",1,1,null]") == R"({"version":3,"data":")" + b64("w") + R"(","size":3})");
        CHECK(result_text(core, "kv_getValue", "[" + s1x + "," + k2 + ",0,0,18446744073709551615]") == R"({"version":3,"data":"","size":3})");
        CHECK(result_text(core, "kv_getValue", "[" + s1 + "," + k2 + ",0,10,2]") == R"({"version":0,"data":"","size":0})");
        // deleted at 3: a tombstone; before that the value of seq 0
        CHECK(result_text(core, "kv_getValue", "[" + s1 + "," + k1 + ",0,10]") == R"({"version":3,"data":"","size":0})");
        CHECK(result_text(core, "kv_getValue", "[" + s1 + "," + k1 + ",0,10,2]") == R"({"version":0,"data":")" + b64("v1") + R"(","size":2})");
        // never written, and an unknown stream: empty, never null
        CHECK(result_text(core, "kv_getValue", "[" + s1 + ",\"" + b64("nope") + "\",0,10]") == R"({"version":0,"data":"","size":0})");
        CHECK(result_text(core, "kv_getValue", "[\"" + hex_no_prefix(S2) + "\"," + k1 + ",0,10]") == R"({"version":0,"data":"","size":0})");
        // a value larger than one query, read in 262144-byte slices
        auto first = json::parse(result_text(core, "kv_getValue", "[" + s1 + "," + kbig + ",0,262144]")).as_object();
        auto rest = json::parse(result_text(core, "kv_getValue", "[" + s1 + "," + kbig + ",262144,262144]")).as_object();
        CHECK(first.at("size").as_int64() == 300000);
        CHECK(text_of(first.at("data")) + text_of(rest.at("data")) == big);
        // refusals: len first, then the key, then the start index
        require_refusal(error_of(core, "kv_getValue", "[" + s1 + ",\"\",400000,262145]"), -32602, "Invalid params: len", "query length too large");
        require_refusal(error_of(core, "kv_getValue", "[" + s1 + ",\"\",400000,1]"), -32602, "Invalid params: key", "key is empty");
        require_refusal(error_of(core, "kv_getValue", "[" + s1 + "," + k2 + ",4,1]"), -32602, "Invalid params: start_index",
                        "start index is greater than value length");
        CHECK(result_text(core, "kv_getValue", "[" + s1 + "," + k2 + ",4,0]") == R"({"version":3,"data":"","size":3})");  // len 0 first
        // malformed params: jsonrpsee's parse failure
        require_refusal(error_of(core, "kv_getValue", "[\"0x12\"," + k2 + ",0,1]"), -32602, "Invalid params");
        require_refusal(error_of(core, "kv_getValue", "[" + s1 + ",\"a\",0,1]"), -32602, "Invalid params");
        require_refusal(error_of(core, "kv_getValue", "[" + s1 + "," + k2 + ",-1,1]"), -32602, "Invalid params");
        require_refusal(error_of(core, "kv_getValue", "[" + s1 + "," + k2 + ",0,1.5]"), -32602, "Invalid params");
        require_refusal(error_of(core, "kv_getValue", "[" + s1 + "," + k2 + ",0,1,\"3\"]"), -32602, "Invalid params");
        require_refusal(error_of(core, "kv_getValue", "[" + s1 + "," + k2 + ",0]"), -32602, "Invalid params");
    }

    SECTION("iteration: first, last, next, prev, tombstones skipped, versions") {
        const std::string big_kv_probe = R"({"version":3,"key":")" + b64("big") + R"(","data":"","size":300000})";
        const std::string k2_kv = R"({"version":3,"key":")" + b64("k2") + R"(","data":")" + b64("two") + R"(","size":3})";
        CHECK(result_text(core, "kv_getFirst", "[" + s1 + ",0,0]") == big_kv_probe);
        CHECK(result_text(core, "kv_getLast", "[" + s1 + ",0,10]") == k2_kv);
        CHECK(result_text(core, "kv_getNext", "[" + s1 + "," + kbig + ",0,10,false]") == k2_kv);  // k1 is deleted
        CHECK(result_text(core, "kv_getNext", "[" + s1 + "," + k1 + ",0,10,true]") == k2_kv);     // inclusive on a tombstone ends
        CHECK(result_text(core, "kv_getNext", "[" + s1 + "," + k2 + ",0,10,false]") == "null");
        CHECK(result_text(core, "kv_getNext", "[" + s1 + "," + k2 + ",0,10,true]") == k2_kv);
        CHECK(result_text(core, "kv_getPrev", "[" + s1 + "," + k2 + ",0,0,false]") == big_kv_probe);
        CHECK(result_text(core, "kv_getPrev", "[" + s1 + "," + kbig + ",0,0,false]") == "null");
        CHECK(result_text(core, "kv_getFirst", "[" + s1 + ",0,10,2]") == R"({"version":0,"key":")" + b64("k1") + R"(","data":")" + b64("v1") + R"(","size":2})");
        CHECK(result_text(core, "kv_getLast", "[" + s1 + ",0,10,null]") == k2_kv);
        CHECK(result_text(core, "kv_getFirst", "[\"" + hex_no_prefix(S2) + "\",0,10]") == "null");
        require_refusal(error_of(core, "kv_getFirst", "[" + s1 + ",0,262145]"), -32602, "Invalid params: len", "query length too large");
        require_refusal(error_of(core, "kv_getNext", "[" + s1 + ",\"\",0,1,false]"), -32602, "Invalid params: key", "key is empty");
        require_refusal(error_of(core, "kv_getNext", "[" + s1 + "," + k1 + ",0,1]"), -32602, "Invalid params");  // inclusive missing
        require_refusal(error_of(core, "kv_getNext", "[" + s1 + "," + k1 + ",0,1,\"true\"]"), -32602, "Invalid params");
        require_refusal(error_of(core, "kv_getFirst", "[" + s1 + ",300001,1]"), -32602, "Invalid params: start_index",
                        "start index is greater than value length");
    }

    SECTION("access control queries") {
        const std::string a = "\"" + A.to_lower_hex() + "\"", b = "\"" + B.to_lower_hex().substr(2) + "\"";
        CHECK(result_text(core, "kv_isAdmin", "[" + a + "," + s1 + "]") == "true");
        CHECK(result_text(core, "kv_isAdmin", "[" + b + "," + s1 + "]") == "false");
        CHECK(result_text(core, "kv_isAdmin", "[" + a + "," + s1 + ",null]") == "true");
        CHECK(result_text(core, "kv_hasWritePermission", "[" + b + "," + s1 + "," + k1 + "]") == "false");
        CHECK(result_text(core, "kv_hasWritePermission", "[" + b + ",\"" + hex_no_prefix(S2) + "\"," + k1 + "]") == "true");  // new stream
        CHECK(result_text(core, "kv_isWriterOfStream", "[" + b + "," + s1 + "]") == "false");
        CHECK(result_text(core, "kv_isWriterOfKey", "[" + b + "," + s1 + "," + k1 + ",3]") == "false");
        CHECK(result_text(core, "kv_isSpecialKey", "[" + s1 + "," + k1 + "]") == "false");
        require_refusal(error_of(core, "kv_isSpecialKey", "[" + s1 + ",\"\"]"), -32602, "Invalid params: key", "key is empty");
        require_refusal(error_of(core, "kv_isAdmin", "[\"0x1234\"," + s1 + "]"), -32602, "Invalid params");
        require_refusal(error_of(core, "kv_isAdmin", "[" + a + "]"), -32602, "Invalid params");
    }

    SECTION("blocked replay and faults") {
        dv::kv_submission next;
        next.seq = 5;
        next.sender = A;
        next.tags = kv::build_tags(std::vector<kv::stream_id>{S1});
        next.size = 100;
        REQUIRE(core.add_submission(next));
        REQUIRE(core.add_submission(next));  // a log read twice
        next.root[0] = 9;
        REQUIRE_FALSE(core.add_submission(next));  // another submission under a known seq
        next.seq = 7;
        REQUIRE_FALSE(core.add_submission(next));  // a gap
        REQUIRE(core.classify_next().value() == kv::submission_class::needs_data);
        core.block(5, "segment 0 of 1 is not available", 3);
        auto st = json::parse(result_text(core, "devnet_kvStatus", "[]")).as_object();
        CHECK(st.at("appliedSeq").as_int64() == 5);
        CHECK(st.at("knownSubmissions").as_int64() == 6);
        CHECK(st.at("blockedOnSeq").as_int64() == 5);
        CHECK(st.at("blocked").as_string() == "blocked on seq 5: segment 0 of 1 is not available");
        CHECK(st.at("fetchAttempts").as_int64() == 3);
        CHECK(st.at("servedStreams").as_array().size() == 1);
        CHECK(result_text(core, "kv_getTransactionResult", "[5]") == "null");

        REQUIRE(dv::write_fault(d.path, "kv", 0, dv::fault_state{"error", 0, 0, 0}));
        require_refusal(error_of(core, "kv_getStatus", "[]"), -32603, "Internal error", "injected fault: error mode");
        CHECK(json::parse(result_text(core, "devnet_kvStatus", "[]")).as_object().at("blockedOnSeq").as_int64() == 5);
        REQUIRE(dv::write_fault(d.path, "kv", 0, dv::fault_state{"flaky", 2, 0, 0}));
        require_refusal(error_of(core, "kv_getStatus", "[]"), -32603, "Internal error");
        require_refusal(error_of(core, "kv_getStatus", "[]"), -32603, "Internal error");
        CHECK(result_text(core, "kv_getStatus", "[]") == "true");
        REQUIRE_FALSE(dv::write_fault(d.path, "kv", 0, dv::fault_state{"corrupt", 0, 0, 0}));  // a storage node mode only

        CHECK(core.give_up_next().value() == "DownloadFailed");
        CHECK(result_text(core, "kv_getTransactionResult", "[5]") == R"("DownloadFailed")");
        CHECK(json::parse(result_text(core, "devnet_kvStatus", "[]")).as_object().at("blocked").is_null());
    }

    SECTION("batches and the response cap") {
        const std::string body = R"([{"jsonrpc":"2.0","id":1,"method":"kv_getStatus","params":[]},{"jsonrpc":"2.0","id":2,"method":"kv_getValue","params":[)" +
                                 s1 + "," + k2 + R"(,0,3]}])";
        auto arr = json::parse(core.handle(body)).as_array();
        REQUIRE(arr.size() == 2);
        CHECK(arr[1].at("result").at("data").as_string() == b64("two"));
        dv::kv_node_config small = cfg;
        small.max_response_bytes = 1000;
        dv::kv_node_core capped(small, dv::fault_file(d.path, "kv", 1));
        CHECK(replay(capped, 0, A, kv::tags_for(third), *kv::encode_batch(third)) == "Commit");
        CHECK(result_text(capped, "kv_getValue", "[" + s1 + "," + kbig + ",0,10]").size() < 1000);
        require_refusal(error_of(capped, "kv_getValue", "[" + s1 + "," + kbig + ",0,262144]"), -32702, "Response is too big",
                        "Exceeded max limit of 1000");
    }
}

TEST_CASE("kv node core: serving every stream (the devnet mode)", "[kv][devnet]") {
    temp_dir d;
    dv::kv_node_config cfg;
    cfg.serve_all_streams = true;
    dv::kv_node_core core(cfg, dv::fault_file(d.path, "kv", 0));
    const auto on_s2 = writes_of({put(S2, "x", "1")});
    CHECK(replay(core, 0, B, kv::tags_for(on_s2), *kv::encode_batch(on_s2)) == "Commit");
    CHECK(result_text(core, "kv_getHoldingStreamIds", "[]") == R"(["0x000000000000000000000000000000000000000000000000000000000000f009"])");
    CHECK(json::parse(result_text(core, "devnet_kvStatus", "[]")).as_object().at("servedStreams").as_string() == "all");
    CHECK(result_text(core, "kv_isAdmin", "[\"" + B.to_lower_hex() + "\",\"" + zerog::to_hex(S2) + "\"]") == "true");
}

// ---------------------------------------------------------------------------------------------
// End to end on the devnet

namespace {

int sh(const std::string& cmd) {
    const int st = std::system(cmd.c_str());
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}
fs::path cli_binary() {
    const char* b = std::getenv("ZEROG_BUILD_DIR");
    return b ? fs::path(b) / "tools" / "zerog" : fs::path();
}

/// `zerog devnet up --kv` in a temp dir, `down` at scope exit; one storage client per anvil key.
struct kv_devnet {
    temp_dir d;
    fs::path dir = d.path / "devnet";
    std::string base;
    bool up = false;
    std::string kv_url;
    explicit kv_devnet(const fs::path& exe) : base("'" + exe.string() + "' devnet ") {
        up = sh(base + "up --dir '" + dir.string() + "' --nodes 2 --providers 0 --kv > '" + (d.path / "up.log").string() + "' 2>&1") == 0;
        if (up) {
            auto dj = json::parse(slurp(dir / "devnet.json")).as_object();
            if (const auto* k = dj.if_contains("kv"); k && k->is_string()) kv_url = std::string(k->get_string());
        }
    }
    ~kv_devnet() { sh(base + "down --dir '" + dir.string() + "' > /dev/null 2>&1"); }
    int fault(const std::string& target, const std::string& mode, const std::string& extra = "") {
        return sh(base + "fault --dir '" + dir.string() + "' " + target + " --mode " + mode + " " + extra + " > /dev/null 2>&1");
    }
    /// A signing client for anvil key `key_index`, with its own database.
    std::unique_ptr<zerog::storage_client> client(unsigned key_index, unsigned busy_tries = 12) {
        zerog::config::load_options lo;
        lo.env = zerog::config::environment({{"ZEROG_DEVNET_DIR", dir.string()}, {"ZEROG_PROFILE", "devnet"}});
        auto cfg = zerog::config::load(lo);
        if (!cfg) FAIL(cfg.error().message());
        auto o = zerog::client::storage_client_options::from_config(*cfg);
        o.finality_timeout = std::chrono::milliseconds(60'000);
        o.upload_timeout = std::chrono::milliseconds(120'000);
        o.rpc_timeout = std::chrono::milliseconds(3000);
        o.busy_backoff = std::chrono::milliseconds(100);
        o.busy_tries = busy_tries;
        o.poll_interval = std::chrono::milliseconds(100);
        auto signer = zerog::crypto::secp256k1_signer::from_hex(dv::anvil_dev_keys[key_index]);
        REQUIRE(signer);
        auto db = zerog::store::database::open((d.path / ("key" + std::to_string(key_index) + ".db")).string());
        if (!db) FAIL(db.error().message());
        return std::make_unique<zerog::storage_client>(o, [&] { return zerog::make_storage_policies(std::move(*signer), std::move(*db)); });
    }
};

address address_of_key(unsigned i) { return zerog::crypto::secp256k1_signer::from_hex(dv::anvil_dev_keys[i]).value().address(); }

unsigned file_counter = 0;

/// Encode, write and upload a batch tagged with its streams. Returns the upload's outcome.
zerog::result<zerog::client::upload_result> upload_batch(kv_devnet& net, zerog::storage_client& c, const kv::batch& b,
                                                         fs::path* written = nullptr, std::optional<bytes> tags = std::nullopt) {
    const fs::path p = net.d.path / ("batch-" + std::to_string(file_counter++) + ".bin");
    const bytes data = kv::encode_batch(b).value();
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    if (written) *written = p;
    zerog::client::upload_options uo;
    uo.tags = tags ? *tags : kv::tags_for(b);
    return c.upload(p.string(), uo);
}

/// The result string of `seq`, polled until the node decides it (≤ 60 s).
std::string result_of(client& kvc, std::uint64_t seq) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (;;) {
        auto r = kvc.ok("kv_getTransactionResult", params({json::value(seq)}));
        if (r.is_string()) return std::string(r.get_string());
        if (std::chrono::steady_clock::now() > until)
            FAIL("no result for seq " << seq << "; devnet_kvStatus: " << json::serialize(kvc.ok("devnet_kvStatus")));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

/// Upload (must send a transaction) and wait for the KV node's verdict; returns {seq, result}.
std::pair<std::uint64_t, std::string> submit_and_wait(kv_devnet& net, zerog::storage_client& c, client& kvc, const kv::batch& b) {
    auto up = upload_batch(net, c, b);
    INFO((up ? std::string() : up.error().message()));
    REQUIRE(up);
    REQUIRE(up->submitted);
    return {up->tx_seq, result_of(kvc, up->tx_seq)};
}

json::value value_at(client& kvc, const kv::stream_id& s, std::string_view key, std::uint64_t start, std::uint64_t len,
                     std::optional<std::uint64_t> version = std::nullopt) {
    json::array p = params({json::value(zerog::to_hex(s)), json::value(b64(key)), json::value(start), json::value(len)});
    if (version) p.push_back(json::value(*version));
    return kvc.ok("kv_getValue", std::move(p));
}

}  // namespace

TEST_CASE("kv node on the devnet: replay of real uploads signed by several accounts", "[kv][devnet][cli]") {
    const auto exe = cli_binary();
    if (exe.empty() || !fs::exists(exe)) {
        WARN("ZEROG_BUILD_DIR/tools/zerog not found: KV devnet test skipped");
        return;
    }
    kv_devnet net(exe);
    INFO(slurp(net.d.path / "up.log"));
    REQUIRE(net.up);
    REQUIRE(net.kv_url.rfind("http://127.0.0.1:", 0) == 0);
    client kvc(net.kv_url);
    REQUIRE(kvc.ok("kv_getStatus") == json::value(true));
    auto alice = net.client(1), bob = net.client(2), carol = net.client(3);
    const address A1 = address_of_key(1), B2 = address_of_key(2), C3 = address_of_key(3);
    const kv::stream_id S = stream_of("0x6b762d6e6f64652d746573742d73747265616d2d300000000000000000000001");
    const std::string s_hex = zerog::to_hex(S);

    // 1. the first committed batch claims the new stream for its sender (the tx's from)
    auto [seq1, r1] = submit_and_wait(net, *alice, kvc, writes_of({put(S, "k1", "v1")}));
    CHECK(r1 == "Commit");
    auto v = value_at(kvc, S, "k1", 0, 100).as_object();
    CHECK(v.at("version").to_number<std::uint64_t>() == seq1);
    CHECK(text_of(v.at("data")) == "v1");
    CHECK(kvc.ok("kv_isAdmin", params({json::value(A1.to_lower_hex()), json::value(s_hex)})) == json::value(true));

    // 2. another account has no permission
    auto [seq2, r2] = submit_and_wait(net, *bob, kvc, writes_of({put(S, "k1", "bob was here")}));
    CHECK(seq2 > seq1);
    CHECK(r2 == "SenderNoWritePermission");
    CHECK(text_of(value_at(kvc, S, "k1", 0, 100).at("data")) == "v1");

    // 3. a writer grant, then bob's write commits
    kv::batch grant;
    grant.ops.push_back({kv::acl_op_type::grant_writer_role, S, {}, B2});
    auto [seq3, r3] = submit_and_wait(net, *alice, kvc, grant);
    CHECK(r3 == "Commit");
    CHECK(kvc.ok("kv_isWriterOfStream", params({json::value(B2.to_lower_hex()), json::value(s_hex)})) == json::value(true));
    CHECK(kvc.ok("kv_isWriterOfStream", params({json::value(B2.to_lower_hex()), json::value(s_hex), json::value(seq3 - 1)})) ==
          json::value(false));
    auto [seq4, r4] = submit_and_wait(net, *bob, kvc, writes_of({put(S, "k2", "from bob")}));
    CHECK(r4 == "Commit");
    CHECK(value_at(kvc, S, "k2", 0, 100).at("version").to_number<std::uint64_t>() == seq4);

    // 4. a compare-and-set against a stale version
    auto [seq5, r5] = submit_and_wait(net, *alice, kvc, writes_of({put(S, "k2", "stale write")}, seq1));
    CHECK(r5 == "VersionConfliction");
    CHECK(text_of(value_at(kvc, S, "k2", 0, 100).at("data")) == "from bob");
    (void)seq5;

    // 5. a value over several segments (the batch is 3 segments), read in 256 KiB slices
    std::string big(600000, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 7) % 26);
    auto [seq6, r6] = submit_and_wait(net, *alice, kvc, writes_of({put(S, "big", big)}));
    CHECK(r6 == "Commit");
    std::string got;
    std::uint64_t size = 0;
    do {
        auto part = value_at(kvc, S, "big", got.size(), 262144, seq6).as_object();
        size = part.at("size").to_number<std::uint64_t>();
        REQUIRE(part.at("version").to_number<std::uint64_t>() == seq6);
        const std::string chunk = text_of(part.at("data"));
        REQUIRE_FALSE(chunk.empty());
        got += chunk;
    } while (got.size() < size);
    CHECK(size == big.size());
    CHECK(got == big);

    // 6. a delete: a tombstone at its seq; older versions still readable
    auto [seq7, r7] = submit_and_wait(net, *alice, kvc, writes_of({put(S, "k1", "")}));
    CHECK(r7 == "Commit");
    CHECK(json::serialize(value_at(kvc, S, "k1", 0, 100)) == R"({"version":)" + std::to_string(seq7) + R"(,"data":"","size":0})");
    CHECK(text_of(value_at(kvc, S, "k1", 0, 100, seq7 - 1).at("data")) == "v1");

    // 7. iteration (getFirst/getNext skip the tombstone; the version param pins history)
    auto key_of = [](const json::value& kv_seg) { return kv_seg.is_null() ? std::string("<null>") : text_of(kv_seg.at("key")); };
    auto first = kvc.ok("kv_getFirst", params({json::value(s_hex), json::value(0), json::value(0)}));
    CHECK(key_of(first) == "big");
    CHECK(first.at("size").to_number<std::uint64_t>() == big.size());
    auto next = kvc.ok("kv_getNext", params({json::value(s_hex), first.at("key"), json::value(0), json::value(100), json::value(false)}));
    CHECK(key_of(next) == "k2");
    CHECK(text_of(next.at("data")) == "from bob");
    CHECK(key_of(kvc.ok("kv_getNext", params({json::value(s_hex), next.at("key"), json::value(0), json::value(0), json::value(false)}))) ==
          "<null>");
    CHECK(key_of(kvc.ok("kv_getNext", params({json::value(s_hex), first.at("key"), json::value(0), json::value(0), json::value(false),
                                             json::value(seq7 - 1)}))) == "k1");
    CHECK(key_of(kvc.ok("kv_getLast", params({json::value(s_hex), json::value(0), json::value(0)}))) == "k2");
    CHECK(key_of(kvc.ok("kv_getPrev", params({json::value(s_hex), next.at("key"), json::value(0), json::value(0), json::value(false)}))) ==
          "big");

    // 8. bad params, exactly as the node refuses them
    require_error(kvc.err("kv_getValue", params({json::value(s_hex), json::value(b64("big")), json::value(0), json::value(262145)})), -32602,
                  "Invalid params: len", "query length too large");
    require_error(kvc.err("kv_getValue", params({json::value(s_hex), json::value(""), json::value(0), json::value(1)})), -32602,
                  "Invalid params: key", "key is empty");
    require_error(kvc.err("kv_getValue", params({json::value(s_hex), json::value(b64("k2")), json::value(9), json::value(1)})), -32602,
                  "Invalid params: start_index", "start index is greater than value length");
    require_error(kvc.err("kv_getTransactionResult", params({json::value(std::to_string(seq1))})), -32602, "Invalid params");
    require_error(kvc.err("kv_getValue", params({json::value("0x1234"), json::value(b64("k2")), json::value(0), json::value(1)})), -32602,
                  "Invalid params");

    // 9. another account on another stream becomes its admin
    const kv::stream_id S_c = stream_of("0x6b762d6e6f64652d746573742d73747265616d2d310000000000000000000002");
    auto [seq8, r8] = submit_and_wait(net, *carol, kvc, writes_of({put(S_c, "c", "carol")}));
    CHECK(r8 == "Commit");
    CHECK(kvc.ok("kv_isAdmin", params({json::value(C3.to_lower_hex()), json::value(zerog::to_hex(S_c))})) == json::value(true));
    CHECK(kvc.ok("kv_isAdmin", params({json::value(A1.to_lower_hex()), json::value(zerog::to_hex(S_c))})) == json::value(false));
    auto streams = kvc.ok("kv_getHoldingStreamIds").as_array();
    CHECK(streams == json::array{json::value(s_hex), json::value(zerog::to_hex(S_c))});
    // a write to a stream the tags do not name (the pre-check passes on S, where alice is admin)
    {
        auto mis = upload_batch(net, *alice, writes_of({put(S_c, "c", "not tagged")}), nullptr, kv::build_tags(std::vector<kv::stream_id>{S}));
        REQUIRE(mis);
        CHECK(result_of(kvc, mis->tx_seq) == "TagsMismatch");
        CHECK(text_of(value_at(kvc, S_c, "c", 0, 100).at("data")) == "carol");
        CHECK(mis->tx_seq == seq8 + 1);
    }
    auto progress = kvc.ok("kv_getReplayProgress").as_object();
    CHECK(progress.at("appliedSeq").to_number<std::uint64_t>() == seq8 + 2);
    CHECK(progress.at("firstTxSeq").is_null());

    // 10. a lagging node (stale): replay stops, reads answer from the old state; then it catches up
    REQUIRE(net.fault("--kv", "stale") == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the replay loop sees the fault
    auto lag = upload_batch(net, *alice, writes_of({put(S, "k3", "while stale")}));
    REQUIRE(lag);
    REQUIRE(lag->submitted);
    {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        json::object st;
        do {
            st = kvc.ok("devnet_kvStatus").as_object();
            if (st.at("knownSubmissions").to_number<std::uint64_t>() > lag->tx_seq) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        } while (std::chrono::steady_clock::now() < until);
        INFO(json::serialize(st));
        CHECK(st.at("paused").as_bool());
        CHECK(st.at("knownSubmissions").to_number<std::uint64_t>() == lag->tx_seq + 1);
        CHECK(st.at("appliedSeq").to_number<std::uint64_t>() == lag->tx_seq);
    }
    CHECK(kvc.ok("kv_getTransactionResult", params({json::value(lag->tx_seq)})).is_null());
    CHECK(kvc.ok("kv_getReplayProgress").at("appliedSeq").to_number<std::uint64_t>() == lag->tx_seq);
    CHECK(value_at(kvc, S, "k3", 0, 100).at("size").to_number<std::uint64_t>() == 0);
    REQUIRE(net.fault("--kv", "none") == 0);
    CHECK(result_of(kvc, lag->tx_seq) == "Commit");
    CHECK(text_of(value_at(kvc, S, "k3", 0, 100).at("data")) == "while stale");

    // 11. a seq whose data is not uploaded blocks every later seq (never skipped, §8.4)
    REQUIRE(net.fault("--node 0", "busy", "--count 100000") == 0);
    REQUIRE(net.fault("--node 1", "busy", "--count 100000") == 0);
    auto impatient = net.client(2, 1);  // bob (a writer), giving up on busy nodes at once (after paying)
    fs::path blocked_file;
    auto blocked = upload_batch(net, *impatient, writes_of({put(S, "k4", "uploaded late")}), &blocked_file);
    REQUIRE_FALSE(blocked);
    INFO(blocked.error().message());
    REQUIRE(net.fault("--node 0", "none") == 0);
    REQUIRE(net.fault("--node 1", "none") == 0);
    std::uint64_t blocked_seq = 0;
    {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        json::object st;
        for (;;) {
            st = kvc.ok("devnet_kvStatus").as_object();
            if (st.at("blockedOnSeq").is_uint64() || st.at("blockedOnSeq").is_int64()) break;
            if (std::chrono::steady_clock::now() > until) FAIL("the KV node never reported a blockage: " << json::serialize(st));
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        blocked_seq = st.at("blockedOnSeq").to_number<std::uint64_t>();
        CHECK(blocked_seq == lag->tx_seq + 1);
        CHECK(st.at("appliedSeq").to_number<std::uint64_t>() == blocked_seq);
        const std::string text(st.at("blocked").as_string());
        CHECK(text.rfind("blocked on seq " + std::to_string(blocked_seq) + ": ", 0) == 0);
        CHECK(text.find("is not available") != std::string::npos);
    }
    std::uint64_t later_seq = 0;
    {
        auto later = upload_batch(net, *alice, writes_of({put(S, "k5", "after the gap")}));
        REQUIRE(later);
        REQUIRE(later->submitted);
        later_seq = later->tx_seq;
    }
    CHECK(later_seq == blocked_seq + 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // time enough to replay it, were it allowed
    CHECK(kvc.ok("kv_getTransactionResult", params({json::value(later_seq)})).is_null());
    CHECK(kvc.ok("kv_getReplayProgress").at("appliedSeq").to_number<std::uint64_t>() == blocked_seq);
    // The same client resumes its paid upload: the data arrives, replay continues in order.
    auto resumed = impatient->upload(blocked_file.string(), [&] {
        zerog::client::upload_options uo;
        uo.tags = kv::tags_for(writes_of({put(S, "k4", "uploaded late")}));
        return uo;
    }());
    INFO((resumed ? std::string() : resumed.error().message()));
    REQUIRE(resumed);
    CHECK(resumed->tx_seq == blocked_seq);
    CHECK(result_of(kvc, blocked_seq) == "Commit");
    CHECK(result_of(kvc, later_seq) == "Commit");
    CHECK(text_of(value_at(kvc, S, "k4", 0, 100).at("data")) == "uploaded late");
    CHECK(kvc.ok("devnet_kvStatus").at("blocked").is_null());

    // 12. down: connections refused; back up on the same port
    REQUIRE(net.fault("--kv", "down") == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    CHECK_FALSE(kvc.raw("kv_getStatus"));
    REQUIRE(net.fault("--kv", "none") == 0);
    {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        bool back = false;
        while (!back && std::chrono::steady_clock::now() < until) {
            auto r = kvc.raw("kv_getStatus");
            back = r && std::holds_alternative<json::value>(*r);
            if (!back) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        CHECK(back);
    }

    // 13. slow: every answer waits `ms`
    REQUIRE(net.fault("--kv", "slow", "--ms 400") == 0);
    {
        const auto t0 = std::chrono::steady_clock::now();
        CHECK(kvc.ok("kv_getStatus") == json::value(true));
        CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(400));
    }
    REQUIRE(net.fault("--kv", "none") == 0);

    // 14. `zerog devnet status` shows the KV node and where its replay stands
    REQUIRE(sh(net.base + "status --dir '" + net.dir.string() + "' > '" + (net.d.path / "status.json").string() + "' 2>&1") == 0);
    auto status = json::parse(slurp(net.d.path / "status.json")).as_object();
    CHECK(status.at("processes").at("kv").as_bool());
    CHECK(status.at("devnet").at("kv").as_string() == net.kv_url);
    CHECK(status.at("kv").at("appliedSeq").to_number<std::uint64_t>() == later_seq + 1);
    CHECK(status.at("kv").at("servedStreams").as_string() == "all");
    // and `fault --kv` refuses a storage-only mode
    CHECK(net.fault("--kv", "corrupt") != 0);
}
