// In-process 0G KV read latency: `kv_reader::get_value` (production policies: retry, breaker,
// limiter, pooled keep-alive HTTP) against a running KV node. A plain program, driven by
// benchmarks/client/bench_kv_devnet.mjs, which starts the devnet, writes the keys and runs the
// official SDK's KvClient.getValue on the same keys in the same session.
//
//   bench_kv_read KV_URL STREAM RUNS KEY...
// Reads each KEY RUNS times in turn (after one warm-up read of the first) and prints one JSON
// line: {"runs":N,"p50_ms":…,"p95_ms":…,"bytes":…}. Exit 1 on any failed or empty read.
#include <zerog/client/kv_client.hpp>
#include <zerog/storage.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>

int main(int argc, char** argv) {
    using namespace zerog;
    if (argc < 5) {
        std::fprintf(stderr, "usage: bench_kv_read KV_URL STREAM RUNS KEY...\n");
        return 2;
    }
    auto stream = kv::parse_stream_id(argv[2]);
    const int runs = std::max(1, std::atoi(argv[3]));
    if (!stream) {
        std::fprintf(stderr, "bench_kv_read: %s\n", stream.error().message().c_str());
        return 2;
    }
    zerog::storage_reader storage(client::storage_client_options{}, [] { return zerog::make_storage_reader_policies(client::production_settings{}); });
    client::kv_client_options o;
    o.kv_urls = {argv[1]};
    client::kv_reader<zerog::storage_reader_policies> r(o, storage.policies());
    std::vector<bytes> keys;
    for (int i = 4; i < argc; ++i) keys.emplace_back(argv[i], argv[i] + std::strlen(argv[i]));
    if (auto w = r.get_value(*stream, keys.front()); !w || w->data.empty()) {
        std::fprintf(stderr, "bench_kv_read: warm-up read failed\n");
        return 1;
    }
    std::vector<double> ms;
    std::uint64_t total = 0;
    for (int i = 0; i < runs; ++i) {
        const bytes& k = keys[static_cast<std::size_t>(i) % keys.size()];
        const auto t0 = std::chrono::steady_clock::now();
        auto v = r.get_value(*stream, k);
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        if (!v || v->data.empty()) {
            std::fprintf(stderr, "bench_kv_read: read %d failed: %s\n", i, v ? "empty" : v.error().message().c_str());
            return 1;
        }
        total += v->data.size();
    }
    std::sort(ms.begin(), ms.end());
    auto pct = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(p / 100.0 * static_cast<double>(ms.size())))]; };
    std::printf("{\"runs\":%d,\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"bytes\":%llu}\n", runs, pct(50), pct(95), static_cast<unsigned long long>(total));
    return 0;
}
