// Keccak-256 throughput: ours vs Crypto++ Keccak_256 (the reference named in docs/benchmarks.md).
#include <zerog/crypto/keccak.hpp>

#include <benchmark/benchmark.h>
#include <cryptopp/keccak.h>

namespace {
void bm_keccak(benchmark::State& st) {
    zerog::bytes data(static_cast<std::size_t>(st.range(0)), 0x5a);
    for (auto _ : st) benchmark::DoNotOptimize(zerog::crypto::keccak256(data));
    st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * st.range(0));
}
void bm_cryptopp_keccak(benchmark::State& st) {
    zerog::bytes data(static_cast<std::size_t>(st.range(0)), 0x5a);
    zerog::hash256 out;
    CryptoPP::Keccak_256 h;
    for (auto _ : st) {
        h.CalculateDigest(out.data(), data.data(), data.size());
        benchmark::DoNotOptimize(out);
    }
    st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * st.range(0));
}
void bm_keccak_f1600(benchmark::State& st) {
    std::uint64_t s[25] = {1};
    for (auto _ : st) {
        zerog::crypto::detail::keccak_f1600(s);
        benchmark::DoNotOptimize(s);
    }
}
void bm_keccak_node64(benchmark::State& st) {
    zerog::hash256 a{}, b{};
    for (auto _ : st) {
        a = zerog::crypto::keccak256_64(a, b);
        benchmark::DoNotOptimize(a);
    }
}
}  // namespace

BENCHMARK(bm_keccak)->Arg(64)->Arg(256)->Arg(1 << 20);
BENCHMARK(bm_cryptopp_keccak)->Arg(64)->Arg(256)->Arg(1 << 20);
BENCHMARK(bm_keccak_f1600);
BENCHMARK(bm_keccak_node64);
