// Storage client tests: planning and selection (pure), validation before any network call (mock
// transport), and devnet integration through `zerog devnet up` (round trips, one Submit per
// distinct file across retries and re-runs, rejected inputs, every node fault mode, resumable
// downloads across client instances, budgets refusing before any transaction, persisted budgets,
// and `zerog upload --estimate`).
#include <zerog/client/storage_client.hpp>
#include <zerog/config/load.hpp>
#include <zerog/policy/budget.hpp>
#include <zerog/core/ref.hpp>
#include <zerog/storage.hpp>
#include <zerog/testing/clients.hpp>
#include <zerog/testing/mocks.hpp>

#include <catch2/catch.hpp>
#include <test_support.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <sys/wait.h>

#include <atomic>
#include <fstream>
#include <random>
#include <set>

namespace {

namespace fs = std::filesystem;
namespace cl = zerog::client;
namespace sd = zerog::client::storage_detail;
using zerog::bytes;

struct tmp_dir {
    fs::path path;
    tmp_dir() {
        std::random_device rd;
        path = fs::temp_directory_path() / ("zerog-sc-test-" + std::to_string(rd()) + std::to_string(rd()));
        fs::create_directories(path);
    }
    ~tmp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

fs::path write_file(const fs::path& p, std::uint64_t size, unsigned salt) {
    std::string b(size, '\0');
    for (std::uint64_t i = 0; i < size; ++i) b[i] = static_cast<char>((i * 31 + 7 + salt * 131) % 256);
    std::ofstream(p, std::ios::binary).write(b.data(), static_cast<std::streamsize>(b.size()));
    return p;
}
std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}
int sh(const std::string& cmd) {
    const int st = std::system(cmd.c_str());
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
fs::path cli() {
    const char* b = std::getenv("ZEROG_BUILD_DIR");
    return b ? fs::path(b) / "tools" / "zerog" : fs::path();
}

}  // namespace

TEST_CASE("storage client: Go-style task interleaving keeps every segment (TS bug §9.4)", "[client][storage]") {
    const std::vector<cl::shard_config> half{{0, 2}, {1, 2}};
    for (std::uint64_t segs : {1u, 3u, 5u, 17u}) {
        for (unsigned per : {1u, 4u}) {
            auto tasks = sd::plan_upload(half, 0, segs, per);
            std::vector<int> seen(segs, 0);
            for (const auto& t : tasks)
                for (auto j : t.segments) {
                    REQUIRE(half[t.node].holds(j));
                    ++seen[j];
                }
            for (auto c : seen) REQUIRE(c == 1);
        }
    }
    // start segment shifts the shard residue (global flow index, docs/protocol/storage.md §6.4)
    auto t = sd::plan_upload(half, 1, 2, 1);
    REQUIRE(t.size() == 2);
    for (const auto& x : t) REQUIRE(x.segments == std::vector<std::uint64_t>{x.node == 1 ? 0u : 1u});
}

TEST_CASE("storage client: replica selection by shard coverage (§8)", "[client][storage]") {
    const std::vector<cl::shard_config> ns{{0, 2}, {1, 2}, {0, 1}};
    REQUIRE(sd::coverage(ns) == 2);
    auto one = sd::select_nodes(ns, 1);
    REQUIRE(one);
    REQUIRE(one->size() == 1);
    REQUIRE((*one)[0] == 2);  // min: the full node first
    auto two = sd::select_nodes(ns, 2);
    REQUIRE(two);
    REQUIRE(two->size() == 3);
    REQUIRE_FALSE(sd::select_nodes(ns, 3));
    REQUIRE_FALSE(sd::select_nodes({{0, 2}}, 1));
}

TEST_CASE("storage client: stale part files are swept, fresh and locked ones are kept", "[client][storage]") {
    zerog::testing::scoped_temp_dir d{"zerog-sweep-"};
    auto touch = [&](const std::string& name, std::chrono::hours age) {
        const fs::path p = d.path / name;
        std::ofstream(p) << "x";
        fs::last_write_time(p, fs::file_time_type::clock::now() - age);
        return p;
    };
    const auto old_part = touch("a.bin.zerog-part", std::chrono::hours(24 * 8));
    const auto old_side = touch("a.bin.zerog-part.json", std::chrono::hours(24 * 8));
    const auto old_tmp = touch("c.bin.zerog-part.json.tmp", std::chrono::hours(24 * 9));
    const auto fresh = touch("b.bin.zerog-part", std::chrono::hours(1));
    const auto other = touch("notes.txt", std::chrono::hours(24 * 30));
    const auto looks_like = touch("a.bin.zerog-partial", std::chrono::hours(24 * 30));
    const auto locked = touch("l.bin.zerog-part", std::chrono::hours(24 * 30));
    const int fd = ::open(locked.c_str(), O_RDWR | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);  // a download in progress holds it
    // flock locks belong to the open file description: the sweep's own open() sees this one held.
    const auto gone = sd::sweep_stale_parts(d.path, std::chrono::hours(24 * 7));
    ::close(fd);
    CHECK(gone.size() == 3);
    CHECK_FALSE(fs::exists(old_part));
    CHECK_FALSE(fs::exists(old_side));
    CHECK_FALSE(fs::exists(old_tmp));
    CHECK(fs::exists(fresh));
    CHECK(fs::exists(other));
    CHECK(fs::exists(looks_like));
    CHECK(fs::exists(locked));
    CHECK(sd::sweep_stale_parts(d.path, std::chrono::milliseconds(0)).empty());  // 0: never
    CHECK(sd::sweep_stale_parts(d.path / "missing", std::chrono::hours(1)).empty());
}

TEST_CASE("storage client: rebuild_records halves refused log ranges, notes hostile events and disagreeing nodes", "[client][storage]") {
    namespace json = boost::json;
    const std::string flow = "0x22e03a6a89b950f1c82ec5e74f8eca321a105296", market = "0x1111111111111111111111111111111111111111";
    const auto account = *zerog::crypto::address::parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    // One good Submit (tx_seq 4, 300 bytes) at block 700, one with damaged data at block 9000.
    zerog::storage::flow_submission sub;
    sub.length = 300;
    sub.nodes = {{zerog::hash256{}, 1}};
    sub.nodes[0].root[0] = 0xab;
    auto ty = zerog::codec::abi::parse_type("(uint256,uint256,uint256,(uint256,bytes,(bytes32,uint256)[]))");
    REQUIRE(ty);
    namespace abi = zerog::codec::abi;
    auto data = abi::encode(*ty, {abi::value::uint(zerog::uint256(4)), abi::value::uint(zerog::uint256(2048)), abi::value::uint(zerog::uint256(2)),
                                  zerog::storage::detail::submission_data_value(sub)});
    REQUIRE(data);
    const zerog::hash256 root = sub.nodes[0].root;  // one node: the root is that node's root
    auto log_at = [&](std::uint64_t block, const std::string& hex) {
        std::string tx(66, '0');
        tx[1] = 'x';
        tx[65] = static_cast<char>('0' + block % 10);
        return json::object{{"address", flow}, {"topics", json::array{zerog::to_hex(zerog::storage::submit_event_topic0()),
                                                                        zerog::to_hex(zerog::storage::address_topic(account))}},
                            {"data", hex}, {"blockNumber", zerog::uint256(block).to_quantity_hex()}, {"blockHash", tx}, {"transactionHash", tx},
                            {"transactionIndex", "0x0"}, {"logIndex", "0x0"}, {"removed", false}};
    };
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
    auto rpc_answer = [](const json::value& id, json::value result) {
        return zerog::testing::scripted_reply::json(json::serialize(json::object{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}}));
    };
    cl::storage_client_options o;
    o.chain_id = 16602;
    o.rpc_urls = {"http://rpc.test:8545"};
    o.node_urls = {"http://node.test:5678"};
    zerog::testing::storage_client c(o, [] { return zerog::testing::storage_policies{}; });
    c.policies().transport.set_handler([&](const zerog::net::http_request& req) {
        const auto v = json::parse(req.body).as_object();
        const std::string m(v.at("method").as_string());
        const auto& id = v.at("id");
        const auto& params = v.at("params").as_array();
        if (m == "zgs_getStatus") return rpc_answer(id, json::object{{"networkIdentity", json::object{{"chainId", 16602}, {"flowAddress", flow}}}});
        if (m == "zgs_getShardConfig") return rpc_answer(id, json::object{{"shardId", 0}, {"numShard", 1}});
        if (m == "zgs_getFileInfoByTxSeq")  // the node names another size: noted, the chain wins
            return rpc_answer(id, json::object{{"tx", json::object{{"streamIds", json::array()}, {"data", "0x"}, {"dataMerkleRoot", zerog::to_hex(root)},
                                                                   {"startEntryIndex", 2048}, {"size", 999}, {"seq", 4}}},
                                               {"finalized", true}, {"isCached", false}, {"uploadedSegNum", 1}, {"pruned", false}});
        if (m == "eth_chainId") return rpc_answer(id, "0x40da");
        if (m == "eth_blockNumber") return rpc_answer(id, "0x2710");  // 10,000
        if (m == "eth_getLogs") {
            const auto& f = params.at(0).as_object();
            const auto from = *zerog::uint256::from_quantity_hex(std::string(f.at("fromBlock").as_string()));
            const auto to = *zerog::uint256::from_quantity_hex(std::string(f.at("toBlock").as_string()));
            ranges.emplace_back(from.low64(), to.low64());
            if (to.low64() - from.low64() + 1 > 1000)
                return zerog::testing::scripted_reply::json(json::serialize(json::object{
                    {"jsonrpc", "2.0"}, {"id", id}, {"error", json::object{{"code", -32005}, {"message", "query returned more than 10000 results"}}}}));
            json::array logs;
            if (from.low64() <= 700 && 700 <= to.low64()) logs.push_back(log_at(700, zerog::to_hex(*data)));
            if (from.low64() <= 9000 && 9000 <= to.low64()) logs.push_back(log_at(9000, "0x00"));
            return rpc_answer(id, logs);
        }
        if (m == "eth_call") {
            const std::string to(params.at(0).as_object().at("to").as_string());
            if (to == flow) return rpc_answer(id, json::value("0x000000000000000000000000" + market.substr(2)));
            return rpc_answer(id, json::value(zerog::to_hex(zerog::bytes(31, 0)) + "0a"));  // pricePerSector = 10
        }
        if (m == "eth_getBlockByNumber")
            return rpc_answer(id, json::object{{"number", params.at(0)}, {"hash", "0x" + std::string(64, '1')}, {"parentHash", "0x" + std::string(64, '2')},
                                               {"timestamp", "0x6000"}, {"gasLimit", "0x1"}, {"gasUsed", "0x0"}});
        return zerog::testing::scripted_reply::failure(zerog::error(zerog::errc::not_found, "unexpected " + m));
    });
    cl::rebuild_options ro;
    ro.account = account;
    auto r = c.rebuild_records(ro);
    INFO((r ? std::string() : r.error().message()));
    REQUIRE(r);
    CHECK(r->to_block == 10000);
    REQUIRE(r->records.size() == 1);
    const auto& rec = r->records.front();
    CHECK(rec.root == root);
    CHECK(rec.tx_seq == 4u);
    CHECK(rec.size == 300u);
    CHECK(rec.fee == zerog::uint256(20));  // 2 sectors × 10
    CHECK(rec.status == zerog::policy::submission_record::state::mined);  // the node's answer disagrees: not trusted
    CHECK(rec.created_unix_ms == 0x6000 * 1000LL);
    CHECK(r->added == 1);
    // Ranges: 5000 refused, halved down to ≤ 1000 blocks, then contiguous up to 10,000, nothing skipped.
    REQUIRE(ranges.size() > 2);
    CHECK(ranges.front() == std::pair<std::uint64_t, std::uint64_t>{0, 4999});
    std::uint64_t next = 0;
    for (const auto& [f, t] : ranges)
        if (t - f + 1 <= 1000) {
            CHECK(f == next);
            next = t + 1;
        }
    CHECK(next == 10001);
    std::string notes;
    for (const auto& n : r->notes) notes += n + "\n";
    INFO(notes);
    CHECK(notes.find("names root") != std::string::npos);  // the node disagreed on the size
    CHECK(notes.find("Submit event") != std::string::npos);  // the damaged event, named, skipped
    // Idempotent: the record exists now.
    ranges.clear();
    auto again = c.rebuild_records(ro);
    REQUIRE(again);
    CHECK(again->added == 0);
    CHECK(again->unchanged == 1);
}

TEST_CASE("storage client: invalid input is rejected before any network call", "[client][storage]") {
    tmp_dir d;
    cl::storage_client_options o;
    o.chain_id = 16602;
    o.rpc_urls = {"http://127.0.0.1:9"};
    o.node_urls = {"http://127.0.0.1:9"};
    o.max_file_size = 1000;
    zerog::testing::storage_client c(o, [] { return zerog::testing::storage_policies{}; });
    const auto empty = write_file(d.path / "empty", 0, 0);
    const auto big = write_file(d.path / "big", 1001, 0);
    const auto ok = write_file(d.path / "ok", 10, 0);
    auto r1 = c.upload(empty.string());
    REQUIRE_FALSE(r1);
    REQUIRE(r1.error().is(zerog::errc::empty_input));
    auto r2 = c.upload(big.string());
    REQUIRE_FALSE(r2);
    REQUIRE(r2.error().is(zerog::errc::too_large));
    REQUIRE(r2.error().message().find("nothing was sent") != std::string::npos);
    auto r3 = c.upload((d.path / "missing").string());
    REQUIRE_FALSE(r3);
    REQUIRE(r3.error().is(zerog::errc::not_found));
    cl::upload_options zero;
    zero.replicas = 0;
    auto r4 = c.upload(ok.string(), zero);
    REQUIRE_FALSE(r4);
    REQUIRE(r4.error().is(zerog::errc::invalid_argument));
    REQUIRE(c.policies().transport.request_count() == 0);
    REQUIRE(c.policies().persistence.calls.empty());
}

TEST_CASE("storage client: op_async works with co_spawn and any completion token", "[client][storage]") {
    // result<T> is default-constructible (to an error), which Asio needs for use_future and for
    // callbacks with the (exception_ptr, result<T>) signature.
    const zerog::result<int> never_set;
    REQUIRE_FALSE(never_set);
    CHECK(never_set.error().is(zerog::errc::internal));

    cl::storage_client_options o;
    o.chain_id = 16602;
    o.node_urls = {"http://node.test:5678"};
    o.download_timeout = std::chrono::milliseconds(2000);
    zerog::testing::storage_client c(o, [] { return zerog::testing::storage_policies{}; });
    // The only node answers nothing the client can use: a precise error, not the default one.
    c.policies().transport.set_handler([](const zerog::net::http_request&) {
        return zerog::testing::scripted_reply::failure(zerog::error(zerog::errc::connection_failed, "scripted: refused"));
    });
    const zerog::hash256 root{};
    boost::asio::io_context ioc;
    auto fut = boost::asio::co_spawn(ioc, c.verify_async(root), boost::asio::use_future);
    std::optional<zerog::result<cl::verify_result>> by_callback;
    boost::asio::co_spawn(ioc, c.verify_async(root),
                          [&](std::exception_ptr e, zerog::result<cl::verify_result> r) {
                              REQUIRE_FALSE(e);
                              by_callback.emplace(std::move(r));
                          });
    ioc.run();
    const auto r = fut.get();
    REQUIRE_FALSE(r);
    CHECK_FALSE(r.error().is(zerog::errc::internal));
    REQUIRE(by_callback);
    REQUIRE_FALSE(*by_callback);
    CHECK(by_callback->error().code() == r.error().code());
}

namespace {

/// The devnet under test: `zerog devnet up` in a temp dir, `down` at scope exit.
struct devnet {
    tmp_dir d;
    fs::path dir = d.path / "devnet";
    std::string base;
    bool up = false;
    explicit devnet(const fs::path& exe) : base("'" + exe.string() + "' devnet ") {
        up = sh(base + "up --dir '" + dir.string() + "' --nodes 2 --providers 0 > '" + (d.path / "up.log").string() + "' 2>&1") == 0;
    }
    ~devnet() { sh(base + "down --dir '" + dir.string() + "' > /dev/null 2>&1"); }
    int fault(const std::string& mode, const std::string& extra = "", unsigned node = 0) {
        return sh(base + "fault --dir '" + dir.string() + "' --node " + std::to_string(node) + " --mode " + mode + " " + extra +
                  " > /dev/null 2>&1");
    }
    zerog::config::configuration config() const {
        zerog::config::load_options lo;
        lo.env = zerog::config::environment({{"ZEROG_DEVNET_DIR", dir.string()}, {"ZEROG_PROFILE", "devnet"}});
        auto c = zerog::config::load(lo);
        if (!c) FAIL(c.error().message());
        return std::move(*c);
    }
    std::unique_ptr<zerog::storage_client> client(std::chrono::milliseconds finality = std::chrono::milliseconds(60'000),
                                                  std::string user = {}) const {
        auto cfg = config();
        auto o = cl::storage_client_options::from_config(cfg);
        o.user = std::move(user);
        o.finality_timeout = finality;
        o.upload_timeout = finality * 2;
        o.download_timeout = finality * 2;
        o.rpc_timeout = std::chrono::milliseconds(3000);
        o.busy_backoff = std::chrono::milliseconds(200);
        o.poll_interval = std::chrono::milliseconds(100);
        auto key = *zerog::crypto::private_key::from_bytes(cfg.devnet_faucet_key->unsafe_bytes());
        auto db = zerog::store::database::open((d.path / "zerog.db").string());  // the durable default, one file per devnet
        if (!db) FAIL(db.error().message());
        return std::make_unique<zerog::storage_client>(o, [&] {
            return zerog::make_storage_policies(zerog::crypto::secp256k1_signer(std::move(key)), std::move(*db));
        });
    }
    /// Submit events per identity (one identity per distinct file), from the chain.
    std::map<zerog::hash256, int> submits(zerog::storage_client& c) const {
        auto cfg = config();
        zerog::chain::log_filter f;
        f.from_block = zerog::chain::block_tag::number(0);
        f.to_block = zerog::chain::block_tag::latest();
        f.addresses.push_back(*zerog::crypto::address::parse(cfg.contracts.flow.value));
        zerog::net::blocking_runner r;
        auto logs = r.run(c.sender()->client().get_logs_async(f));
        if (!logs) FAIL(logs.error().message());
        std::map<zerog::hash256, int> out;
        for (const auto& l : *logs)
            if (l.topics.size() == 3 && l.topics[0] == zerog::storage::submit_event_topic0()) ++out[l.topics[2]];
        return out;
    }
};

zerog::hash256 identity_of(const fs::path& p) {
    return zerog::storage::identity_digest(zerog::storage::compute_file_tree(p.string())->submission);
}
bool temp_left(const fs::path& dir) {
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().find(".zerog-part") != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("storage client: devnet round trips, one Submit per file, rejections, faults", "[client][storage][devnet]") {
    const auto exe = cli();
    if (exe.empty() || !fs::exists(exe)) {
        WARN("ZEROG_BUILD_DIR/tools/zerog not found: storage client devnet test skipped");
        return;
    }
    devnet net(exe);
    INFO(slurp(net.d.path / "up.log"));
    REQUIRE(net.up);
    auto c = net.client();
    const fs::path files = net.d.path / "files";
    fs::create_directories(files);

    SECTION("round trips 1 B … 10 MiB, re-runs never pay twice") {
        unsigned salt = 1;
        for (std::uint64_t size : {1ull, 256ull, 257ull, 262144ull, 262145ull, 1048576ull + 3, 10485760ull}) {
            INFO("size " << size);
            const auto in = write_file(files / ("in-" + std::to_string(size)), size, salt++);
            const auto out = files / ("out-" + std::to_string(size));
            auto up = c->upload(in.string());
            INFO((up ? std::string() : up.error().message()));
            REQUIRE(up);
            REQUIRE(up->verified);
            REQUIRE(up->submitted);
            auto down = c->download(up->root, out.string());
            INFO((down ? std::string() : down.error().message()));
            REQUIRE(down);
            REQUIRE(slurp(out) == slurp(in));
            auto again = c->upload(in.string());  // same client: the record and the nodes say "done"
            REQUIRE(again);
            REQUIRE_FALSE(again->submitted);
            REQUIRE(again->tx_seq == up->tx_seq);
        }
        auto fresh = net.client();  // a re-run with no memory: the nodes' existence check
        const auto in = files / "in-257";
        auto r = fresh->upload(in.string());
        REQUIRE(r);
        REQUIRE_FALSE(r->submitted);
        for (const auto& [id, n] : net.submits(*c)) REQUIRE(n == 1);
        REQUIRE(net.submits(*c).size() == 7);
        auto v = c->verify(r->root);
        REQUIRE(v);
        REQUIRE(v->tx_seq == r->tx_seq);
    }

    SECTION("rejected before any transaction: empty, oversize, unreachable replicas") {
        const auto before = net.submits(*c).size();
        auto e = c->upload(write_file(files / "empty", 0, 0).string());
        REQUIRE_FALSE(e);
        REQUIRE(e.error().is(zerog::errc::empty_input));
        auto o = c->upload(write_file(files / "over", (10ull << 20) + 1, 0).string());
        REQUIRE_FALSE(o);
        REQUIRE(o.error().is(zerog::errc::too_large));
        cl::upload_options three;
        three.replicas = 3;
        auto r = c->upload(write_file(files / "small", 1000, 9).string(), three);
        REQUIRE_FALSE(r);
        REQUIRE(r.error().message().find("replicas 3 not achievable") != std::string::npos);
        REQUIRE(net.submits(*c).size() == before);
    }

    SECTION("resumable download: a network failure keeps the part file, the next call resumes") {
        const auto in = write_file(files / "resume-in", 10ull << 20, 77);  // 40 segments
        auto up = c->upload(in.string());
        INFO((up ? std::string() : up.error().message()));
        REQUIRE(up);
        const auto out = files / "resume-out";
        const fs::path part = out.string() + ".zerog-part", side = part.string() + ".json";
        // First run: both nodes start failing (-32603, transient) after 10 segments arrived.
        auto first = net.client();
        bool faulted = false;
        first->on_progress([&](const cl::storage_progress& p) {
            if (faulted || p.what != cl::storage_progress::phase::downloading || p.done < 10 * zerog::storage::segment_size) return;
            faulted = true;
            net.fault("error", "", 0);
            net.fault("error", "", 1);
        });
        auto r1 = first->download(up->root, out.string());
        REQUIRE(faulted);
        REQUIRE_FALSE(r1);
        INFO(r1.error().message());
        // -32603 from every node (retried, then possibly the breaker opens): resumable either way.
        REQUIRE(zerog::is_resumable(r1.error()));
        CHECK((r1.error().is(zerog::errc::server_error) || r1.error().is(zerog::errc::circuit_open)));
        REQUIRE_FALSE(fs::exists(out));
        REQUIRE(fs::exists(part));
        REQUIRE(fs::exists(side));
        REQUIRE(net.fault("none", "", 0) == 0);
        REQUIRE(net.fault("none", "", 1) == 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        // Damage one kept segment: the resume must notice (segment root) and fetch it again.
        const std::string sidecar = slurp(side);
        const auto first_done = sidecar.find("[[");
        REQUIRE(first_done != std::string::npos);
        const std::uint64_t damaged = std::stoull(sidecar.substr(first_done + 2));
        {
            std::fstream f(part, std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(static_cast<std::streamoff>(damaged * zerog::storage::segment_size + 5));
            f.put(static_cast<char>(0x5a ^ slurp(in)[damaged * zerog::storage::segment_size + 5]));
        }
        // Second run (a fresh client: another process as far as state goes) resumes.
        auto second = net.client();
        auto r2 = second->download(up->root, out.string());
        INFO((r2 ? std::string() : r2.error().message()));
        REQUIRE(r2);
        WARN("resume: first run stopped with " << r1.error().message().substr(0, 120) << "; second reused " << r2->segments_reused
                                               << ", fetched " << r2->segments_fetched << " in " << r2->segment_requests << " requests");
        REQUIRE(r2->segments_reused >= 9);
        REQUIRE(r2->segments_reused + r2->segments_fetched == 40);
        REQUIRE(r2->segment_requests < 40);
        REQUIRE(r2->segment_requests == r2->segments_fetched);
        REQUIRE(slurp(out) == slurp(in));
        REQUIRE_FALSE(temp_left(files));

        // A different root to the same path discards a stale part file.
        auto third = net.client();
        bool f3 = false;
        third->on_progress([&](const cl::storage_progress& p) {
            if (f3 || p.what != cl::storage_progress::phase::downloading || p.done < 5 * zerog::storage::segment_size) return;
            f3 = true;
            net.fault("error", "", 0);
            net.fault("error", "", 1);
        });
        const auto out2 = files / "resume-out2";
        REQUIRE_FALSE(third->download(up->root, out2.string()));
        REQUIRE(fs::exists(out2.string() + ".zerog-part"));
        REQUIRE(net.fault("none", "", 0) == 0);
        REQUIRE(net.fault("none", "", 1) == 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        const auto small = write_file(files / "resume-small", 5000, 78);
        auto up2 = c->upload(small.string());
        REQUIRE(up2);
        auto r4 = net.client()->download(up2->root, out2.string());
        REQUIRE(r4);
        REQUIRE(r4->segments_reused == 0);
        REQUIRE(slurp(out2) == slurp(small));
        REQUIRE_FALSE(temp_left(files));
    }

    SECTION("node faults: success or a precise error within the deadline, nothing paid twice, no temp file") {
        const std::chrono::milliseconds fin(6000);
        unsigned salt = 40;
        for (std::string mode : {"down", "error", "busy", "slow", "corrupt", "stale"}) {
            INFO("mode " << mode);
            const std::string extra = mode == "busy" ? "--count 3" : mode == "slow" ? "--ms 300" : "";
            REQUIRE(net.fault(mode, extra) == 0);
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            auto fc = net.client(fin);
            const auto in = write_file(files / ("fault-" + mode), 300000, salt++);
            const auto t0 = std::chrono::steady_clock::now();
            auto up = fc->upload(in.string());
            auto up2 = fc->upload(in.string());  // a retry by the caller must not pay again
            const auto out = files / ("fault-out-" + mode);
            std::optional<zerog::result<cl::download_result>> down;
            if (up) down.emplace(fc->download(up->root, out.string()));
            const auto took = std::chrono::steady_clock::now() - t0;
            WARN(mode << ": upload " << (up ? "ok" : up.error().message()) << "; download "
                      << (!down ? "-" : *down ? "ok" : (*down).error().message()));
            REQUIRE(took < 4 * 2 * fin + std::chrono::seconds(10));
            if (!up) REQUIRE_FALSE(up.error().message().empty());
            if (down && *down) REQUIRE(slurp(out) == slurp(in));
            REQUIRE_FALSE(temp_left(files));
            REQUIRE(net.fault("none") == 0);
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            const auto subs = net.submits(*c);
            auto it = subs.find(identity_of(in));
            REQUIRE((it == subs.end() || it->second == 1));
            // The mandatory outcomes. Node 1 is healthy: every mode but `corrupt` must succeed (by
            // retry or fail-over), verified, and a second upload of the same file pays nothing.
            // `corrupt` serves altered segments from the node the upload selected (replicas 1):
            // the post-upload verification must catch it, after exactly one payment.
            if (mode == "corrupt") {
                REQUIRE_FALSE(up);
                CHECK(up.error().is(zerog::errc::verification_failed));
                const auto root = zerog::storage::compute_file_tree(in.string())->root;
                CHECK(up.error().message().find(zerog::to_hex(root)) != std::string::npos);  // says which file
                REQUIRE(it != subs.end());  // it paid (once: checked above) before the verification failed
            } else {
                INFO((up ? std::string() : up.error().message()));
                REQUIRE(up);
                CHECK(up->verified);
                REQUIRE(up2);
                CHECK_FALSE(up2->submitted);
                CHECK(up2->tx_seq == up->tx_seq);
                REQUIRE(down);
                INFO((*down ? std::string() : (*down).error().message()));
                REQUIRE(*down);
            }
        }
    }
}

namespace {

/// Run a shell command: (exit code, stdout).
std::pair<int, std::string> capture(const std::string& cmd) { return zerog::testing::run_command(cmd); }

using budget_telemetry = zerog::ref<zerog::testing::recording_telemetry>;
using test_tracker = zerog::policy::budget_tracker<budget_telemetry>;
using zerog::policy::budget_kind;

zerog::policy::budget_config limit_of(budget_kind k, zerog::uint256 limit) {
    zerog::policy::budget_config c;
    c.default_limits[static_cast<int>(k)] = limit;
    return c;
}
std::size_t count_prefix(const std::vector<std::string>& lines, std::string_view p) {
    return static_cast<std::size_t>(std::count_if(lines.begin(), lines.end(), [&](const std::string& l) { return l.rfind(p, 0) == 0; }));
}

}  // namespace

TEST_CASE("storage client: budgets refuse before any transaction, commit what was paid, persist; upload --estimate",
          "[client][storage][devnet][budget]") {
    const auto exe = cli();
    if (exe.empty() || !fs::exists(exe)) {
        WARN("ZEROG_BUILD_DIR/tools/zerog not found: storage budget devnet test skipped");
        return;
    }
    devnet net(exe);
    INFO(slurp(net.d.path / "up.log"));
    REQUIRE(net.up);
    const auto cfg = net.config();
    auto c = net.client();
    const fs::path files = net.d.path / "files";
    fs::create_directories(files);
    const std::string user = "budget-user";
    const auto flow = *zerog::crypto::address::parse(cfg.contracts.flow.value);
    const auto market = *zerog::crypto::address::parse(cfg.contracts.market.value);
    const auto me = c->policies().signer.address();
    zerog::net::blocking_runner runner;
    auto& eth = c->sender()->client();
    auto nonce = [&] {
        auto n = runner.run(eth.get_transaction_count_async(me, zerog::chain::block_tag::latest()));
        if (!n) FAIL(n.error().message());
        return *n;
    };
    // The market price, read with a hand-made eth_call (selector of pricePerSector()).
    auto price = [&] {
        zerog::chain::call_request q;
        q.to = market;
        q.data = *zerog::from_hex("0x61ec5082");
        auto r = runner.run(eth.call_async(q));
        if (!r || r->size() != 32) FAIL("pricePerSector(): " << (r ? std::to_string(r->size()) + " bytes" : r.error().message()));
        zerog::uint256 v;
        for (auto b : *r) v = v * zerog::uint256(256) + zerog::uint256(b);
        return v;
    }();
    // Nothing about `root` on either node (no segment, no synced submission).
    auto on_nodes = [&](const zerog::hash256& root) {
        int known = 0;
        for (const auto& url : cfg.node_urls.value) {
            zerog::net::jsonrpc_client<zerog::net::http_transport> rc(zerog::net::http_transport{}, url);
            boost::json::array params;
            params.emplace_back(zerog::to_hex(root));
            params.emplace_back(false);
            auto v = runner.run(rc.call_async("zgs_getFileInfo", std::move(params)));
            if (!v) FAIL(v.error().message());
            known += v->is_null() ? 0 : 1;
        }
        return known;
    };
    auto record_of = [&](const zerog::hash256& root) {
        auto r = c->policies().persistence.find_submission(root, c->network_key(flow));
        REQUIRE(r);
        return r->has_value();
    };
    REQUIRE(cfg.node_urls.value.size() == 2);

    const std::uint64_t size = 300000;
    const std::uint64_t sectors = zerog::storage::file_layout::of(size)->padded_chunks;
    const zerog::uint256 fee = price * zerog::uint256(sectors);
    const auto a = write_file(files / "budget-a", size, 201), b = write_file(files / "budget-b", size, 202),
               x = write_file(files / "budget-x", size, 203);
    const auto root_x = zerog::storage::compute_file_tree(x.string())->root;
    const auto nonce0 = nonce();
    const auto submits0 = net.submits(*c).size();

    // upload --estimate: the exact fee, nothing signed or sent.
    {
        const std::string base = "env -u ZG_PRIVATE_KEY -u ZG_KEYSTORE ZEROG_DEVNET_DIR='" + net.dir.string() + "' '" + exe.string() + "' ";
        auto [rc, out] = capture(base + "upload --estimate '" + x.string() + "' --profile devnet --json 2>&1");
        INFO(out);
        REQUIRE(rc == 0);
        const auto o = boost::json::parse(out).as_object();
        CHECK(o.at("estimate").as_bool());
        CHECK(std::string(o.at("root").as_string()) == zerog::to_hex(root_x));
        CHECK(o.at("size").to_number<std::uint64_t>() == size);
        CHECK(o.at("sectors").to_number<std::uint64_t>() == sectors);
        CHECK(std::string(o.at("pricePerSector").as_string()) == price.to_decimal());
        CHECK(std::string(o.at("fee").as_string()) == fee.to_decimal());
        CHECK(std::string(o.at("fee0G").as_string()) == zerog::format_token_amount(fee));
        auto [rc2, text] = capture(base + "upload --estimate '" + x.string() + "' --profile devnet 2>/dev/null");
        INFO(text);
        REQUIRE(rc2 == 0);
        CHECK(text.find("fee:              " + fee.to_decimal() + " neuron (" + zerog::format_token_amount(fee) + " 0G)") != std::string::npos);
        CHECK(text.find("nothing was signed or sent") != std::string::npos);
        auto api = c->estimate(x.string());
        REQUIRE(api);
        CHECK(api->fee == fee);
        CHECK(api->sectors == sectors);
        CHECK(api->price_per_sector == price);
        CHECK(api->root == root_x);
        CHECK(nonce() == nonce0);
        CHECK(on_nodes(root_x) == 0);
    }
    auto budget_client = [&](zerog::policy::budget_ledger& l) {
        auto bc = net.client(std::chrono::milliseconds(60'000), user);
        bc->use_budget(&l);
        return bc;
    };
    zerog::testing::recording_telemetry tel;

    {  // refusals: a spend limit below the fee, a bytes quota below the size; nothing sent
        test_tracker poor(limit_of(budget_kind::spend, fee - zerog::uint256(1)), budget_telemetry{&tel});
        auto pc = budget_client(poor);
        auto r = pc->upload(x.string());
        REQUIRE_FALSE(r);
        INFO(r.error().message());
        CHECK(r.error().is(zerog::errc::budget_exhausted));
        CHECK(r.error().message().find("requested exceeds the limit of") != std::string::npos);
        CHECK(r.error().message().find(zerog::format_token_amount(fee) + " 0G requested") != std::string::npos);
        CHECK(r.error().message().find("nothing was sent or paid") != std::string::npos);
        CHECK(poor.usage_of(user, budget_kind::spend).used == zerog::uint256());
        CHECK(poor.usage_of(user, budget_kind::spend).reserved == zerog::uint256());
        CHECK(poor.usage_of(user, budget_kind::bytes_uploaded).reserved == zerog::uint256());

        test_tracker small(limit_of(budget_kind::bytes_uploaded, zerog::uint256(size - 1)), budget_telemetry{&tel});
        auto sc = budget_client(small);
        auto q = sc->upload(x.string());
        REQUIRE_FALSE(q);
        INFO(q.error().message());
        CHECK(q.error().is(zerog::errc::quota_exceeded));
        CHECK(q.error().message().find("bytes_uploaded quota: 0 bytes used + 0 bytes reserved + 300000 bytes requested exceeds the limit of 299999 bytes") !=
              std::string::npos);
        CHECK(count_prefix(tel.lines(), "log:warn:budget.refused") == 2);

        for (auto* cc : {pc.get(), sc.get()}) {
            auto rec = cc->policies().persistence.find_submission(root_x, cc->network_key(flow));
            REQUIRE(rec);
            CHECK_FALSE(rec->has_value());  // no submission record
        }
        CHECK(nonce() == nonce0);             // no transaction
        CHECK(net.submits(*c).size() == submits0);
        CHECK(on_nodes(root_x) == 0);         // no data on the nodes
    }

    {  // commits what was paid, alerts at 50/80/100 %, re-runs are not charged, a restored tracker refuses
        zerog::policy::memory_persistence store;
        test_tracker t(limit_of(budget_kind::spend, fee * zerog::uint256(2)), budget_telemetry{&tel});
        t.persist_to(store);
        auto tc = budget_client(t);
        auto alerts = [&] { return count_prefix(tel.lines(), "alert:budget_threshold user=" + user + " kind=spend"); };

        auto ua = tc->upload(a.string());
        INFO((ua ? std::string() : ua.error().message()));
        REQUIRE(ua);
        CHECK(ua->submitted);
        CHECK(ua->fee == fee);
        CHECK(t.usage_of(user, budget_kind::spend).used == fee);  // the committed spend is the fee paid
        CHECK(t.usage_of(user, budget_kind::bytes_uploaded).used == zerog::uint256(size));
        CHECK(t.usage_of(user, budget_kind::requests).used == zerog::uint256(1));
        CHECK(t.usage_of(user, budget_kind::spend).reserved == zerog::uint256());
        CHECK(alerts() == 1);
        CHECK(count_prefix(tel.lines(), "alert:budget_threshold user=" + user + " kind=spend percent=50 used=" + fee.to_decimal()) == 1);
        CHECK(nonce() == nonce0 + 1);

        auto ub = tc->upload(b.string());
        INFO((ub ? std::string() : ub.error().message()));
        REQUIRE(ub);
        CHECK(t.usage_of(user, budget_kind::spend).used == fee * zerog::uint256(2));
        CHECK(alerts() == 3);  // 80 and 100 % crossed together
        CHECK(count_prefix(tel.lines(), "alert:budget_threshold user=" + user + " kind=spend percent=80") == 1);
        CHECK(count_prefix(tel.lines(), "alert:budget_threshold user=" + user + " kind=spend percent=100") == 1);
        CHECK(nonce() == nonce0 + 2);

        // Re-runs of submitted files (same client; a fresh client): nothing reserved, nothing charged,
        // even with the spend budget exhausted.
        auto again = tc->upload(a.string());
        INFO((again ? std::string() : again.error().message()));
        REQUIRE(again);
        CHECK_FALSE(again->submitted);
        auto fresh = budget_client(t)->upload(b.string());
        INFO((fresh ? std::string() : fresh.error().message()));
        REQUIRE(fresh);
        CHECK_FALSE(fresh->submitted);
        CHECK(t.usage_of(user, budget_kind::spend).used == fee * zerog::uint256(2));
        CHECK(t.usage_of(user, budget_kind::bytes_uploaded).used == zerog::uint256(2 * size));
        CHECK(t.usage_of(user, budget_kind::requests).used == zerog::uint256(2));
        CHECK(nonce() == nonce0 + 2);

        // The old tracker refuses a third file; so does one restored from the store after a "restart".
        const auto n2 = nonce();
        auto ux = tc->upload(x.string());
        REQUIRE_FALSE(ux);
        CHECK(ux.error().is(zerog::errc::budget_exhausted));
        test_tracker restarted(limit_of(budget_kind::spend, fee * zerog::uint256(2)), budget_telemetry{&tel});
        restarted.persist_to(store);
        auto rc = budget_client(restarted);
        auto ur = rc->upload(x.string());
        REQUIRE_FALSE(ur);
        INFO(ur.error().message());
        CHECK(ur.error().is(zerog::errc::budget_exhausted));
        CHECK(ur.error().message().find(zerog::format_token_amount(fee * zerog::uint256(2)) + " 0G used") != std::string::npos);
        CHECK(restarted.usage_of(user, budget_kind::bytes_uploaded).used == zerog::uint256(2 * size));
        CHECK(alerts() == 3);  // thresholds crossed before the restart are not raised again
        test_tracker amnesiac(limit_of(budget_kind::spend, fee * zerog::uint256(2)), budget_telemetry{&tel});
        CHECK(amnesiac.reserve(user, budget_kind::spend, fee));  // without the store it would have paid
        CHECK(nonce() == n2);
        CHECK_FALSE(record_of(root_x));
        CHECK(on_nodes(root_x) == 0);
    }
}

namespace {

/// A mock storage node (mock_transport handler) serving one file with correct proofs, with one
/// injected failure at request number `fail_at` (1-based; 0 = none).
struct tf_node {
    enum class inject { none, rpc_error, corrupt, connection, timeout, stall };
    struct state {
        bytes file;
        zerog::storage::file_tree tree;
        std::uint64_t seq = 7;
        std::atomic<int> count{0};
        int fail_at = 0;
        inject kind = inject::none;
    };
    std::shared_ptr<state> s = std::make_shared<state>();

    static std::string reply(const boost::json::value& id, const char* key, boost::json::value v) {
        boost::json::object o;
        o["jsonrpc"] = "2.0";
        o["id"] = id;
        o[key] = std::move(v);
        return boost::json::serialize(o);
    }
    zerog::testing::mock_transport::handler_fn handler() const {
        return [st = s](const zerog::net::http_request& req) -> zerog::testing::scripted_reply {
            using zerog::testing::scripted_reply;
            const int n = ++st->count;
            const bool hit = n == st->fail_at;
            const auto rq = boost::json::parse(req.body).as_object();
            const auto id = rq.at("id");
            const std::string method(rq.at("method").as_string());
            const auto& params = rq.at("params").as_array();
            if (hit && st->kind == inject::connection)
                return scripted_reply::failure(zerog::error(zerog::errc::connection_failed, "injected: connection refused"));
            if (hit && st->kind == inject::rpc_error) {
                boost::json::object e;
                e["code"] = -32602;
                e["message"] = "injected: invalid params";
                return scripted_reply::json(reply(id, "error", std::move(e)));
            }
            boost::json::value result;
            if (method == "zgs_getShardConfig") {
                result = boost::json::object{{"shardId", 0}, {"numShard", 1}};
            } else if (method == "zgs_getFileInfo") {
                boost::json::object tx{{"dataMerkleRoot", zerog::to_hex(st->tree.root)},
                                       {"seq", st->seq},
                                       {"size", st->file.size()},
                                       {"startEntryIndex", 0}};
                result = boost::json::object{{"tx", std::move(tx)}, {"finalized", true}, {"pruned", false},
                                             {"uploadedSegNum", st->tree.layout.segments}};
            } else if (method == "zgs_downloadSegmentWithProofByTxSeq" || method == "zgs_downloadSegmentWithProof") {
                const std::uint64_t j = params.at(params.size() - 1).to_number<std::uint64_t>();
                const auto span = *zerog::storage::data_segment(st->tree.layout, j);
                bytes d(st->file.begin() + static_cast<std::ptrdiff_t>(span.offset),
                        st->file.begin() + static_cast<std::ptrdiff_t>(span.offset + span.data_bytes));
                d.resize(span.wire_bytes, 0);
                if (hit && st->kind == inject::corrupt) d[d.size() / 2] ^= 0x5a;
                result = boost::json::object{{"data", zerog::base64_encode(d)},
                                             {"proof", zerog::storage::to_json(*zerog::storage::build_segment_proof(st->tree, j))}};
            } else {
                return scripted_reply::json(reply(id, "error", boost::json::object{{"code", -32601}, {"message", "no " + method}}));
            }
            if (hit && st->kind == inject::corrupt && !method.starts_with("zgs_downloadSegment")) result = "garbage";
            auto r = scripted_reply::json(reply(id, "result", std::move(result)));
            if (hit && st->kind == inject::timeout) return std::move(r).after(std::chrono::seconds(5));  // > rpc_timeout
            if (hit && st->kind == inject::stall) return std::move(r).after(std::chrono::milliseconds(1500));
            return r;
        };
    }
};

std::set<std::string> tf_listing(const fs::path& dir) {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
    return out;
}

std::unique_ptr<zerog::testing::storage_client> tf_client(const tf_node& node, std::chrono::milliseconds rpc_timeout) {
    cl::storage_client_options o;
    o.chain_id = 16602;
    o.node_urls = {"http://zgs-node.test:5678"};
    o.rpc_timeout = rpc_timeout;
    o.download_timeout = std::chrono::milliseconds(2000);
    o.parallel = 1;  // deterministic request order
    auto c = std::make_unique<zerog::testing::storage_client>(o, [] { return zerog::testing::storage_policies{}; });
    c->policies().transport.set_handler(node.handler());
    return c;
}

}  // namespace

TEST_CASE("storage client: the endpoint selector moves segment reads away from a failing node", "[client][storage][selector]") {
    // Two nodes hold the file; node A answers every segment request with a refused connection.
    // The first segment tried at A fails over to B; from then on the selector knows A is slow
    // (a failure sample) and B fast, so every later segment goes to B first: A sees exactly one
    // segment request, where the plain rotation of the first wave sent it every other segment.
    tf_node node;
    const std::uint64_t size = 5 * zerog::storage::segment_size;
    node.s->file.resize(size);
    for (std::uint64_t i = 0; i < size; ++i) node.s->file[i] = static_cast<zerog::byte>(i * 7 + 1);
    node.s->tree = *zerog::storage::compute_file_tree(zerog::byte_span(node.s->file));
    const std::string a = "http://node-a.test:5678", b = "http://node-b.test:5678";
    cl::storage_client_options o;
    o.chain_id = 16602;
    o.node_urls = {a, b};
    o.parallel = 1;
    o.download_timeout = std::chrono::milliseconds(5000);
    zerog::testing::storage_client c(o, [] { return zerog::testing::storage_policies{}; });
    auto serve = node.handler();
    c.policies().transport.set_handler([serve, a](const zerog::net::http_request& req) {
        if (req.url == a && req.body.find("zgs_downloadSegment") != std::string::npos)
            return zerog::testing::scripted_reply::failure(zerog::error(zerog::errc::connection_failed, "scripted: refused"));
        return serve(req);
    });
    tmp_dir d;
    auto r = c.download(node.s->tree.root, (d.path / "out.bin").string());
    INFO((r ? std::string() : r.error().message()));
    REQUIRE(r);
    CHECK(slurp(d.path / "out.bin") == std::string(node.s->file.begin(), node.s->file.end()));
    std::size_t segment_requests_a = 0, segment_requests_b = 0;
    for (const auto& q : c.policies().transport.requests())
        if (q.body.find("zgs_downloadSegment") != std::string::npos) (q.url == a ? segment_requests_a : segment_requests_b)++;
    CHECK(segment_requests_a == 1);
    CHECK(segment_requests_b == 5);
}

TEST_CASE("storage client: a failure injected at every download step leaves only the documented part file",
          "[client][storage][tempfiles]") {
    tf_node node;
    const std::uint64_t size = 3 * zerog::storage::segment_size + 1000;  // 3 segments + a partial one
    node.s->file.resize(size);
    for (std::uint64_t i = 0; i < size; ++i) node.s->file[i] = static_cast<zerog::byte>((i * 131 + 17) ^ (i >> 9));
    node.s->tree = *zerog::storage::compute_file_tree(zerog::byte_span(node.s->file));
    REQUIRE(node.s->tree.layout.segments == 4);
    const auto root = node.s->tree.root;
    const std::string want(node.s->file.begin(), node.s->file.end());
    const std::chrono::milliseconds rpc_timeout(200);
    const std::uint64_t first_segment_request = 3;  // getShardConfig, getFileInfo, then segments in order

    // Reference run: count the requests.
    int K = 0;
    {
        tmp_dir d;
        const auto out = d.path / "out.bin";
        auto r = tf_client(node, rpc_timeout)->download(root, out.string());
        INFO((r ? std::string() : r.error().message()));
        REQUIRE(r);
        REQUIRE(slurp(out) == want);
        REQUIRE(tf_listing(d.path) == std::set<std::string>{"out.bin"});
        K = node.s->count.load();
        REQUIRE(K == static_cast<int>(first_segment_request - 1 + 4));
    }
    WARN("download of a 4-segment file: K = " << K << " requests");

    using K_ = tf_node::inject;
    for (int n = 1; n <= K; ++n) {
        for (K_ kind : {K_::rpc_error, K_::corrupt, K_::connection, K_::timeout}) {
            const bool transient = kind == K_::connection || kind == K_::timeout;
            const char* kname = kind == K_::rpc_error ? "json-rpc error -32602" : kind == K_::corrupt ? "corrupt/malformed data"
                                : kind == K_::connection                    ? "connection refused"
                                                                            : "timeout";
            INFO("failure at request " << n << "/" << K << ": " << kname);
            tmp_dir d;
            const auto out = d.path / "out.bin";
            const std::string part = "out.bin.zerog-part", side = "out.bin.zerog-part.json";
            node.s->count = 0;
            node.s->fail_at = n;
            node.s->kind = kind;
            const auto t0 = std::chrono::steady_clock::now();
            auto r = tf_client(node, rpc_timeout)->download(root, out.string());
            CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
            REQUIRE_FALSE(r);
            INFO("error: " << r.error().message());
            const auto left = tf_listing(d.path);
            const std::uint64_t verified = n > static_cast<int>(first_segment_request) ? n - first_segment_request : 0;
            if (!transient) {
                CHECK(left.empty());  // nothing at all: not the output, not the part, not the sidecar
                continue;
            }
            // Transient: only the part file + sidecar, and only when a segment was verified.
            const std::set<std::string> kept{part, side};
            CHECK(left == (verified > 0 ? kept : std::set<std::string>{}));
            // The next download of the same root resumes and succeeds; the dir then holds only the output.
            node.s->count = 0;
            node.s->fail_at = 0;
            auto r2 = tf_client(node, rpc_timeout)->download(root, out.string());
            INFO((r2 ? std::string() : "resume: " + r2.error().message()));
            REQUIRE(r2);
            CHECK(r2->segments_reused == (left.empty() ? 0 : verified));
            CHECK(r2->segments_reused + r2->segments_fetched == 4);
            CHECK(slurp(out) == want);
            CHECK(tf_listing(d.path) == std::set<std::string>{"out.bin"});
        }
    }

    // Cancellation (asio cancellation slot, terminal) while request n is in flight: nothing may remain.
    for (int n = 1; n <= K; ++n) {
        INFO("cancelled during request " << n << "/" << K);
        tmp_dir d;
        const auto out = d.path / "out.bin";
        node.s->count = 0;
        node.s->fail_at = n;
        node.s->kind = K_::stall;
        auto c = tf_client(node, std::chrono::milliseconds(2000));
        boost::asio::io_context ioc;
        boost::asio::cancellation_signal sig;
        bool completed = false;
        std::string how;
        auto op = [&]() -> boost::asio::awaitable<void> {
            auto r = co_await c->download_async(root, out.string());
            how = r ? std::string("succeeded") : "error: " + r.error().message();
        };
        boost::asio::co_spawn(ioc, op(), boost::asio::bind_cancellation_slot(sig.slot(), [&](std::exception_ptr ep) {
                                  completed = true;
                                  if (ep) {
                                      try { std::rethrow_exception(ep); } catch (const std::exception& e) { how = std::string("exception: ") + e.what(); }
                                  }
                              }));
        const auto t0 = std::chrono::steady_clock::now();
        while (node.s->count.load() < n && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2)) ioc.run_one_for(std::chrono::milliseconds(10));
        REQUIRE(node.s->count.load() >= n);
        ioc.run_for(std::chrono::milliseconds(50));  // the request is now waiting in the stalled reply
        sig.emit(boost::asio::cancellation_type::terminal);
        ioc.run_for(std::chrono::milliseconds(2000));  // bounded: lets every spawned coroutine finish
        INFO("outcome: " << how << "; io_context drained: " << ioc.stopped());
        CHECK(completed);
        CHECK(how != "succeeded");
        CHECK(tf_listing(d.path).empty());
        CHECK(ioc.stopped());  // no coroutine of the cancelled download still running
    }
}
