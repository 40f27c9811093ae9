// Storage protocol core throughput: the file root of the 100 MiB vector file (tests/vectors/README.md:
// byte[i] = (i*31+7) mod 256, root 0x10b1db77…7d62) on 1 and 2 threads, one Keccak-f[1600]
// permutation, and how close the root gets to the minimum hashing work (≈ 3 permutations per
// 256-byte chunk: 2 for the leaf, ~1 for the interior nodes).
//
// Counters: MiB/s (bytes_per_second), perms_per_chunk_min (3 - 1/1024), ns_per_chunk_best,
// ratio_to_min = ns_per_chunk / (perms × ns per permutation measured in bm_keccak_f1600),
// peak_rss_MiB (getrusage; the file is streamed, never loaded).
#include <zerog/crypto/keccak.hpp>
#include <zerog/storage/file_tree.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <sys/resource.h>
#include <unistd.h>

namespace {
constexpr std::uint64_t file_size = 100ULL << 20;
const char* const expected_root = "0x10b1db77b0a99cc515c5cc5f79c34c0d874e4b93a2e6f261dce85a8bcdcf7d62";

// One permutation's cost, measured once for the ratio counter.
double ns_per_permutation() {
    static const double ns = [] {
        std::uint64_t s[25] = {1};
        constexpr int n = 200000;
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < n; ++i) {
            zerog::crypto::detail::keccak_f1600(s);
            benchmark::DoNotOptimize(s);
        }
        return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / n;
    }();
    return ns;
}

// The 100 MiB vector file, written once in 1 MiB pieces (never held whole in memory).
const std::string& vector_file() {
    static const std::string path = [] {
        std::string p = (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + std::string("/zerog_bench_100MiB_") +
                        std::to_string(::getpid()) + ".bin";
        std::ofstream out(p, std::ios::binary);
        std::string block(1 << 20, '\0');
        for (std::uint64_t off = 0; off < file_size; off += block.size()) {
            for (std::size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>(((off + i) * 31 + 7) & 0xff);
            out.write(block.data(), static_cast<std::streamsize>(block.size()));
        }
        std::atexit([] { std::remove(vector_file().c_str()); });
        return p;
    }();
    return path;
}

double peak_rss_mib() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_maxrss) / 1024.0;  // KiB on Linux
}

void bm_keccak_f1600(benchmark::State& st) {
    std::uint64_t s[25] = {1};
    for (auto _ : st) {
        zerog::crypto::detail::keccak_f1600(s);
        benchmark::DoNotOptimize(s);
    }
}

void bm_chunk_leaf(benchmark::State& st) {
    zerog::byte chunk[256] = {7};
    for (auto _ : st) benchmark::DoNotOptimize(zerog::crypto::keccak256_256(chunk));
    st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * 256);
}

void bm_file_root_100MiB(benchmark::State& st) {
    const std::string& path = vector_file();
    zerog::storage::file_tree_options opt;
    opt.threads = static_cast<unsigned>(st.range(0));
    opt.keep_segment_roots = false;
    for (auto _ : st) {
        auto t = zerog::storage::compute_file_tree(path, opt);
        if (!t || zerog::to_hex(t->root) != expected_root) {
            st.SkipWithError(t ? "wrong root" : t.error().message().c_str());
            return;
        }
    }
    st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * file_size));
    const double perms_min = 3.0 - 1.0 / 1024;  // 2 per leaf + (1023 interior per 1024 leaves)
    st.counters["perms_per_chunk_min"] = perms_min;
    st.counters["ns_per_perm"] = ns_per_permutation();
    st.counters["peak_rss_MiB"] = peak_rss_mib();
}

// ratio_to_min is printed separately (it needs the CPU time per chunk of one thread).
void bm_ratio_to_min(benchmark::State& st) {
    const std::string& path = vector_file();
    zerog::storage::file_tree_options opt;
    opt.keep_segment_roots = false;
    double best = 1e300;
    for (auto _ : st) {
        const auto t0 = std::chrono::steady_clock::now();
        auto t = zerog::storage::compute_file_tree(path, opt);
        const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
        benchmark::DoNotOptimize(t);
        best = std::min(best, ns);
    }
    const double per_chunk = best / static_cast<double>(file_size / 256);
    st.counters["ns_per_chunk_best"] = per_chunk;
    st.counters["ratio_to_min"] = per_chunk / ((3.0 - 1.0 / 1024) * ns_per_permutation());
    st.counters["MiB_per_s_best"] = static_cast<double>(file_size) / (1 << 20) / (best * 1e-9);
}
}  // namespace

BENCHMARK(bm_keccak_f1600);
BENCHMARK(bm_chunk_leaf);
BENCHMARK(bm_file_root_100MiB)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2);
BENCHMARK(bm_ratio_to_min)->Unit(benchmark::kMillisecond)->Iterations(3);
