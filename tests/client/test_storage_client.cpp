// Storage client tests: planning and selection (pure), validation before any network call (mock
// transport), and devnet integration through `zerog devnet up` (round trips, one Submit per
// distinct file across retries and re-runs, rejected inputs, every node fault mode, resumable
// downloads across client instances).
#include <zerog/client/storage_client.hpp>
#include <zerog/config/load.hpp>

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <fstream>
#include <random>

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
    // start segment shifts the shard residue (global flow index, §6.4)
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
    std::unique_ptr<zerog::storage_client> client(std::chrono::milliseconds finality = std::chrono::milliseconds(60'000)) const {
        auto cfg = config();
        auto o = cl::storage_client_options::from_config(cfg);
        o.finality_timeout = finality;
        o.upload_timeout = finality * 2;
        o.download_timeout = finality * 2;
        o.rpc_timeout = std::chrono::milliseconds(3000);
        o.busy_backoff = std::chrono::milliseconds(200);
        o.poll_interval = std::chrono::milliseconds(100);
        auto key = *zerog::crypto::private_key::from_bytes(cfg.devnet_faucet_key->unsafe_bytes());
        return std::make_unique<zerog::storage_client>(o, [&key] {
            return zerog::storage_policies{.transport = zerog::net::http_transport{}, .signer = zerog::crypto::secp256k1_signer(std::move(key))};
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
        auto logs = r.run(c.sender()->client().get_logs(f));
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
        REQUIRE(r1.error().is(zerog::errc::server_error));
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
        }
        // The mandatory outcomes: node 1 is healthy, so these modes must succeed by fail-over.
    }
}
