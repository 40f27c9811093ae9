// Storage client end-to-end latency on the local devnet (checklist Success Metrics: a 10 MiB file,
// upload p95 < 2 s, download p95 < 1 s). A plain program, not Google Benchmark: each sample is a
// whole network operation, so it prints the percentiles of wall-clock samples itself.
//
//   ninja -C build-bench benchmarks/client/bench_storage_client tools/zerog
//   build-bench/benchmarks/client/bench_storage_client build-bench/tools/zerog [RUNS=20] [MiB=10]
// or `meson test -C build-bench --benchmark storage_client`.
//
// It runs `zerog devnet up --nodes 2 --providers 0` in a temp dir and always `devnet down` at the
// end (also on failure). Every upload has distinct content, so each is a real paid upload
// (hash → Submit tx → log sync → segment upload → finality → sampled verification, the CLI's
// defaults); every download fetches all 40 segments with proofs, re-hashes the file and renames.
#include <zerog/client/storage_client.hpp>
#include <zerog/config/load.hpp>
#include <zerog/storage.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>

namespace fs = std::filesystem;
namespace cl = zerog::client;

namespace {
int sh(const std::string& cmd) {
    const int st = std::system(cmd.c_str());
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
double pct(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    const double rank = p / 100.0 * static_cast<double>(v.size() - 1);  // linear interpolation
    const auto lo = static_cast<std::size_t>(rank);
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (rank - static_cast<double>(lo));
}
void print(const char* what, const std::vector<double>& ms) {
    if (ms.empty()) return;
    std::printf("%-9s n=%zu  p50 %8.1f ms  p95 %8.1f ms  p99 %8.1f ms  min %8.1f  max %8.1f\n", what, ms.size(), pct(ms, 50), pct(ms, 95),
                pct(ms, 99), *std::min_element(ms.begin(), ms.end()), *std::max_element(ms.begin(), ms.end()));
}
struct devnet_guard {
    std::string down;
    ~devnet_guard() {
        if (!down.empty()) sh(down);
    }
};
}  // namespace

int main(int argc, char** argv) {
    std::string exe = argc > 1 ? argv[1] : "";
    if (exe.empty())
        if (const char* b = std::getenv("ZEROG_BUILD_DIR")) exe = (fs::path(b) / "tools" / "zerog").string();
    if (exe.empty() || !fs::exists(exe)) {
        std::fprintf(stderr, "usage: bench_storage_client ZEROG_CLI [RUNS] [MiB]\n");
        return 2;
    }
    const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 20;
    const std::uint64_t size = (argc > 3 ? std::max(1, std::atoi(argv[3])) : 10) * (1ull << 20);
    std::random_device rd;
    const fs::path tmp = fs::temp_directory_path() / ("zerog-bench-sc-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(tmp);
    const fs::path dir = tmp / "devnet";
    int rc = 0;
    {
        devnet_guard guard;
        guard.down = "'" + exe + "' devnet down --dir '" + dir.string() + "' > /dev/null 2>&1";
        if (sh("'" + exe + "' devnet up --dir '" + dir.string() + "' --nodes 2 --providers 0 > '" + (tmp / "up.log").string() + "' 2>&1") != 0) {
            std::fprintf(stderr, "devnet up failed (see %s)\n", (tmp / "up.log").string().c_str());
            rc = 1;
        } else {
            zerog::config::load_options lo;
            lo.env = zerog::config::environment({{"ZEROG_DEVNET_DIR", dir.string()}, {"ZEROG_PROFILE", "devnet"}});
            auto cfg = zerog::config::load(lo);
            if (!cfg) {
                std::fprintf(stderr, "config: %s\n", cfg.error().message().c_str());
                rc = 1;
            } else {
                auto o = cl::storage_client_options::from_config(*cfg);
                auto key = *zerog::crypto::private_key::from_bytes(cfg->devnet_faucet_key->unsafe_bytes());
                auto db = zerog::store::database::open((dir / "zerog.db").string());  // the durable default (SQLite)
                if (!db) {
                    std::fprintf(stderr, "database: %s\n", db.error().message().c_str());
                    return 1;
                }
                zerog::storage_client c(o, [&] {
                    return zerog::make_storage_policies(zerog::crypto::secp256k1_signer(std::move(key)), std::move(*db));
                });
                std::vector<double> up_ms, down_ms;
                std::string buf(size, '\0');
                std::printf("storage client on the devnet: %llu-byte file, %d runs each (upload = paid + verified)\n",
                            static_cast<unsigned long long>(size), runs);
                for (int i = 0; i < runs && rc == 0; ++i) {
                    std::mt19937_64 g(1000 + i);  // distinct content per run
                    for (std::size_t k = 0; k < buf.size(); k += 8) {
                        const auto x = g();
                        std::memcpy(buf.data() + k, &x, std::min<std::size_t>(8, buf.size() - k));
                    }
                    const fs::path in = tmp / ("in-" + std::to_string(i)), out = tmp / ("out-" + std::to_string(i));
                    std::ofstream(in, std::ios::binary).write(buf.data(), static_cast<std::streamsize>(buf.size()));
                    auto t0 = std::chrono::steady_clock::now();
                    auto up = c.upload(in.string());
                    auto t1 = std::chrono::steady_clock::now();
                    if (!up || !up->submitted) {
                        std::fprintf(stderr, "upload %d: %s\n", i, up ? "not submitted (already on chain?)" : up.error().message().c_str());
                        rc = 1;
                        break;
                    }
                    auto down = c.download(up->root, out.string());
                    auto t2 = std::chrono::steady_clock::now();
                    if (!down || fs::file_size(out) != size) {
                        std::fprintf(stderr, "download %d: %s\n", i, down ? "size differs" : down.error().message().c_str());
                        rc = 1;
                        break;
                    }
                    up_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
                    down_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
                    std::error_code ec;
                    fs::remove(in, ec);
                    fs::remove(out, ec);
                }
                print("upload", up_ms);
                print("download", down_ms);
                if (!up_ms.empty())
                    std::printf("targets: upload p95 < 2000 ms: %s; download p95 < 1000 ms: %s\n", pct(up_ms, 95) < 2000 ? "met" : "MISSED",
                                pct(down_ms, 95) < 1000 ? "met" : "MISSED");

                // The cost of durability: 1 MiB uploads, interleaved, the same client setup over an
                // in-memory store and over the SQLite file (WAL, synchronous=FULL).
                auto mem = zerog::store::database::open(":memory:");
                // anvil's public development account #1 (funded by anvil): its own nonces, no resync against `c`.
                auto key2 = *zerog::crypto::private_key::from_hex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
                zerog::storage_client cm(o, [&] {
                    return zerog::make_storage_policies(zerog::crypto::secp256k1_signer(std::move(key2)), std::move(*mem));
                });
                std::vector<double> mem_ms, lite_ms;
                std::string mib(1u << 20, '\0');
                for (int i = 0; i < runs && rc == 0; ++i) {
                    for (int which = 0; which < 2 && rc == 0; ++which) {
                        std::mt19937_64 g(5000 + 2 * i + which);
                        for (std::size_t k = 0; k < mib.size(); k += 8) {
                            const auto x = g();
                            std::memcpy(mib.data() + k, &x, 8);
                        }
                        const fs::path in = tmp / ("mib-" + std::to_string(i) + "-" + std::to_string(which));
                        std::ofstream(in, std::ios::binary).write(mib.data(), static_cast<std::streamsize>(mib.size()));
                        auto t0 = std::chrono::steady_clock::now();
                        auto up = (which == 0 ? cm : c).upload(in.string());
                        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
                        if (!up || !up->submitted) {
                            std::fprintf(stderr, "1 MiB upload %d: %s\n", i, up ? "not submitted" : up.error().message().c_str());
                            rc = 1;
                        }
                        (which == 0 ? mem_ms : lite_ms).push_back(ms);
                        std::error_code ec;
                        fs::remove(in, ec);
                    }
                }
                if (rc == 0 && !mem_ms.empty()) {
                    std::printf("1 MiB upload, persistence overhead (interleaved, %d each):\n", runs);
                    print("memory", mem_ms);
                    print("sqlite", lite_ms);
                    std::printf("overhead p50: %+.2f %% (target <= 2 %%)\n", 100.0 * (pct(lite_ms, 50) / pct(mem_ms, 50) - 1.0));
                }
            }
        }
    }
    std::error_code ec;
    fs::remove_all(tmp, ec);
    return rc;
}
