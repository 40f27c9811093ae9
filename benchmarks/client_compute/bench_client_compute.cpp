// The compute client end to end on a real devnet started through the CLI (`zerog devnet up` in a
// temp dir; `zerog devnet down` at exit, also after a failure):
//   client overhead per inference = total client time − time inside the transport (every HTTP
//       exchange: the chat, the TEE signature fetch, any chain read)      target ≤ 1 ms
//   inference latency p50/p95/p99 over 60 verified requests                target p95 < 5 s
// The client uses the policy families of the `zerog::compute_client` alias, with the transport
// wrapped in a timer. The CLI is $ZEROG_BUILD_DIR/tools/zerog, else ../../tools/zerog next to
// this program.
#include <zerog/compute.hpp>

#include <benchmark/benchmark.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace {

namespace fs = std::filesystem;
namespace cl = zerog::client;
using clk = std::chrono::steady_clock;

/// The real Beast transport, timed: `busy` accumulates the time spent inside every exchange.
struct timed_transport {
    zerog::net::http_transport inner{zerog::net::http_transport_options{}};
    std::shared_ptr<std::atomic<std::int64_t>> busy = std::make_shared<std::atomic<std::int64_t>>(0);

    boost::asio::awaitable<zerog::result<zerog::net::http_response>> send_async(zerog::net::http_request r) {
        const auto t0 = clk::now();
        auto res = co_await inner.send_async(std::move(r));
        busy->fetch_add((clk::now() - t0).count());
        co_return res;
    }
    boost::asio::awaitable<zerog::result<zerog::net::http_response>> send_streaming_async(zerog::net::http_request r,
                                                                                             zerog::net::chunk_handler h) {
        const auto t0 = clk::now();
        auto res = co_await inner.send_streaming_async(std::move(r), std::move(h));
        busy->fetch_add((clk::now() - t0).count());
        co_return res;
    }
};
static_assert(zerog::net::Transport<timed_transport>);

/// zerog::compute_policies (the alias's production mix) with the timing transport.
using bench_policies = cl::production_policies<timed_transport, zerog::crypto::secp256k1_signer>;
using bench_client = cl::compute_client<bench_policies>;

int sh(const std::string& cmd) {
    const int st = std::system(cmd.c_str());
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

fs::path cli_path() {
    if (const char* b = std::getenv("ZEROG_BUILD_DIR"); b && fs::exists(fs::path(b) / "tools" / "zerog")) return fs::path(b) / "tools" / "zerog";
    std::error_code ec;
    auto self = fs::read_symlink("/proc/self/exe", ec);
    auto p = self.parent_path().parent_path().parent_path() / "tools" / "zerog";
    return fs::exists(p) ? p : fs::path();
}

/// One devnet for the whole program: up on first use, down at exit (always).
struct devnet {
    fs::path exe, dir;
    bool up = false;
    std::string error;
    boost::json::object dn;

    devnet() {
        exe = cli_path();
        if (exe.empty()) { error = "tools/zerog not found (set ZEROG_BUILD_DIR)"; return; }
        std::random_device rd;
        dir = fs::temp_directory_path() / ("zerog-bench-compute-" + std::to_string(rd()));
        fs::create_directories(dir);
        up = true;  // from here on `down` runs at exit, whatever `up` did
        if (sh(cmd("up --nodes 1 --providers 1") + " > '" + (dir / "up.log").string() + "' 2>&1") != 0) {
            error = "zerog devnet up failed (see " + (dir / "up.log").string() + ")";
            return;
        }
        std::ifstream in(dir / "devnet.json");
        std::ostringstream ss;
        ss << in.rdbuf();
        dn = boost::json::parse(ss.str()).as_object();
    }
    ~devnet() {
        if (!up) return;
        sh(cmd("down") + " > /dev/null 2>&1");
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    std::string cmd(const std::string& what) const { return "'" + exe.string() + "' devnet " + what + " --dir '" + dir.string() + "'"; }

    std::unique_ptr<bench_client> client(std::shared_ptr<std::atomic<std::int64_t>>& busy) const {
        cl::compute_client_options o;
        o.rpc_urls = {std::string(dn.at("rpc").as_string())};
        o.chain_id = static_cast<std::uint64_t>(dn.at("chainId").as_int64());
        o.ledger = *zerog::crypto::address::parse(std::string_view(dn.at("ledger").as_string()));
        o.inference = *zerog::crypto::address::parse(std::string_view(dn.at("inference").as_string()));
        o.per_provider_timeout = std::chrono::milliseconds(10'000);
        o.inference_timeout = std::chrono::milliseconds(20'000);
        timed_transport t;
        busy = t.busy;
        auto signer = *zerog::crypto::secp256k1_signer::from_hex(std::string(dn.at("faucetKey").as_string()));
        auto make = [&] { return cl::make_production_policies<bench_policies>(std::move(t), std::move(signer)); };
        return std::make_unique<bench_client>(std::move(o), make);
    }
    zerog::crypto::address provider() const {
        return *zerog::crypto::address::parse(std::string_view(dn.at("providers").as_array()[0].at("address").as_string()));
    }
};

devnet& net() {
    static devnet d;
    return d;
}

double pct(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

/// One verified inference per iteration (demo account, provider 0), through the blocking facade.
void bm_inference(benchmark::State& st, bool stream) {
    auto& d = net();
    if (!d.error.empty()) {
        st.SkipWithError(d.error.c_str());
        return;
    }
    std::shared_ptr<std::atomic<std::int64_t>> busy;
    auto c = d.client(busy);
    const std::vector<cl::provider_target> targets{{d.provider(), {}}};
    auto ask = [&] {
        cl::chat_request r;
        r.messages.push_back({"user", "hello devnet, how fast is the client?"});
        r.stream = stream;
        r.max_tokens = 64;
        return c->chat(std::move(r), targets);
    };
    if (auto w = ask(); !w || !w->verified) {  // warm-up: chain reads, token signature, connection
        st.SkipWithError(("warm-up inference failed: " + (w ? w->verification_error : w.error().message())).c_str());
        return;
    }
    std::vector<double> total_ms, overhead_us, exch_overhead_us;
    for (auto _ : st) {
        busy->store(0);
        const auto t0 = clk::now();
        auto r = ask();
        const auto total = clk::now() - t0;
        if (!r || !r->verified) {
            st.SkipWithError(("inference failed: " + (r ? r->verification_error : r.error().message())).c_str());
            return;
        }
        total_ms.push_back(std::chrono::duration<double, std::milli>(total).count());
        overhead_us.push_back(std::chrono::duration<double, std::micro>(total - std::chrono::nanoseconds(busy->load())).count());
        exch_overhead_us.push_back(std::chrono::duration<double, std::micro>(total - r->exchange_time).count());
    }
    double sum = 0;
    for (double x : overhead_us) sum += x;
    st.counters["lat_p50_ms"] = pct(total_ms, 0.50);
    st.counters["lat_p95_ms"] = pct(total_ms, 0.95);
    st.counters["lat_p99_ms"] = pct(total_ms, 0.99);
    st.counters["overhead_mean_us"] = overhead_us.empty() ? 0 : sum / static_cast<double>(overhead_us.size());
    st.counters["overhead_p50_us"] = pct(overhead_us, 0.50);
    st.counters["overhead_p95_us"] = pct(overhead_us, 0.95);
    // total − chat exchange only: also contains the TEE-signature fetch (a second provider round trip)
    st.counters["minus_chat_exch_p50_us"] = pct(exch_overhead_us, 0.50);
}

void bm_inference_json(benchmark::State& st) { bm_inference(st, false); }
void bm_inference_stream(benchmark::State& st) { bm_inference(st, true); }

}  // namespace

BENCHMARK(bm_inference_json)->Iterations(60)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_inference_stream)->Iterations(60)->Unit(benchmark::kMillisecond)->UseRealTime();
