// 0G KV protocol core throughput (kv/batch.hpp, kv/replay.hpp), no network:
//   * bm_encode_small/N: N writes of a 16-byte key and a 64-byte value (a typical metadata batch),
//     sorted build, reported in batches/s and bytes/s;
//   * bm_encode_value: one write of a 1 MiB value (what a namespace file entry is not, but what a
//     raw `kv put --file` is): bytes/s, i.e. the cost of the copy into the batch;
//   * bm_decode_small/N: the node's lazy parser over the same batches (version, reads, writes, ops);
//   * bm_replay_apply/N: replay_state::apply of such batches in seq order (checks, dedup, commit).
// The official TS SDK's encoder on the same batches: benchmarks/kv/bench_kv_sdk.mjs.
#include <zerog/kv/batch.hpp>
#include <zerog/kv/replay.hpp>
#include <zerog/kv/tags.hpp>

#include <benchmark/benchmark.h>

namespace {

using namespace zerog;

kv::stream_id stream_n(unsigned n) {
    kv::stream_id s{};
    s[31] = static_cast<byte>(n);
    s[0] = 0x42;
    return s;
}

kv::batch small_batch(unsigned writes, unsigned salt) {
    kv::batch b;
    for (unsigned i = 0; i < writes; ++i) {
        bytes key(16), value(64);
        for (unsigned j = 0; j < key.size(); ++j) key[j] = static_cast<byte>(i * 7 + j * 13 + salt);
        key[0] = static_cast<byte>(i >> 8);  // distinct keys (benchmarks/kv/bench_kv_sdk.mjs builds the same batch)
        key[1] = static_cast<byte>(i);
        for (unsigned j = 0; j < value.size(); ++j) value[j] = static_cast<byte>(i + j + salt);
        b.writes.push_back({stream_n(1), std::move(key), std::move(value)});
    }
    return b;
}

void bm_encode_small(benchmark::State& st) {
    const kv::batch b = small_batch(static_cast<unsigned>(st.range(0)), 1);
    std::size_t bytes_out = 0;
    for (auto _ : st) {
        auto e = kv::encode_batch(b, kv::build_order::sorted);
        bytes_out += e->size();
        benchmark::DoNotOptimize(e);
    }
    st.SetBytesProcessed(static_cast<std::int64_t>(bytes_out));
    st.SetItemsProcessed(st.iterations());
}
BENCHMARK(bm_encode_small)->Arg(1)->Arg(16)->Arg(256)->Arg(4096);

void bm_encode_value(benchmark::State& st) {
    kv::batch b;
    b.writes.push_back({stream_n(1), bytes{'f', 'i', 'l', 'e'}, bytes(1 << 20, 0x5a)});
    for (auto _ : st) {
        auto e = kv::encode_batch(b, kv::build_order::sorted);
        benchmark::DoNotOptimize(e);
    }
    st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * (1 << 20));
}
BENCHMARK(bm_encode_value);

void bm_decode_small(benchmark::State& st) {
    const bytes data = kv::encode_batch(small_batch(static_cast<unsigned>(st.range(0)), 2)).value();
    for (auto _ : st) {
        auto d = kv::decode_batch(data);
        benchmark::DoNotOptimize(d);
    }
    st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * data.size()));
    st.SetItemsProcessed(st.iterations());
}
BENCHMARK(bm_decode_small)->Arg(1)->Arg(16)->Arg(256)->Arg(4096);

void bm_replay_apply(benchmark::State& st) {
    const unsigned n = static_cast<unsigned>(st.range(0));
    std::vector<bytes> batches;
    for (unsigned i = 0; i < 64; ++i) batches.push_back(kv::encode_batch(small_batch(n, i)).value());
    const bytes tags = kv::build_tags(std::vector<kv::stream_id>{stream_n(1)});
    const crypto::address sender{};
    const std::vector<kv::stream_id> served{stream_n(1)};
    for (auto _ : st) {
        st.PauseTiming();
        kv::replay_state state(served);
        st.ResumeTiming();
        for (std::uint64_t seq = 0; seq < batches.size(); ++seq) {
            auto r = state.apply(seq, sender, tags, batches[seq]);
            benchmark::DoNotOptimize(r);
        }
    }
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * batches.size()));
}
BENCHMARK(bm_replay_apply)->Arg(1)->Arg(16)->Arg(256);

}  // namespace
