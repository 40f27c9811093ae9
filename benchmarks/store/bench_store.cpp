// Record write latency of the durable stores (persistence issue): p50/p99 of the calls an upload
// makes (claim of a new root, record update, tx record, usage add) on SQLite (the default:
// WAL, synchronous=FULL, a file on this machine's disk) and PostgreSQL (a local server started
// here by tools/devnet/postgres.sh with ZEROG_PG_DURABLE=1: fsync and synchronous_commit on, as in
// production). A plain program: each sample is one committed transaction.
//
//   ninja -C build-bench benchmarks/bench_store
//   build-bench/benchmarks/bench_store [N=2000]        (ZEROG_SOURCE_DIR: the repository, default .)
#include <zerog/store/database.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using clk = std::chrono::steady_clock;

namespace {
std::pair<int, std::string> run(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return {-1, out};
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    const int st = ::pclose(p);
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}
double pct(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    const double rank = p / 100.0 * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(rank);
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (rank - static_cast<double>(lo));
}
zerog::hash256 root_of(std::uint64_t i) {
    zerog::hash256 h{};
    for (int k = 0; k < 8; ++k) h[k] = static_cast<zerog::byte>(i >> (8 * k));
    return h;
}

int measure(const char* name, zerog::store::database& db, int n) {
    std::vector<double> claim, update, tx, usage;
    for (int i = 0; i < n; ++i) {
        zerog::policy::submission_record r;
        r.root = root_of(static_cast<std::uint64_t>(i) + 1);
        r.network = "16602:0x5fbdb2315678afecb367f032d93f642f64180aa3";
        r.size = 1 << 20;
        r.fee = zerog::uint256(123456789);
        r.owner = "bench/1/x";
        r.file_name = "file.bin";
        r.local_path = "/data/file.bin";
        r.created_unix_ms = r.updated_unix_ms = 1'700'000'000'000 + i;
        auto t0 = clk::now();
        auto c = db.claim_submission(r, "k" + std::to_string(i), 0, "");
        auto t1 = clk::now();
        zerog::policy::tx_record t;
        t.key = "k" + std::to_string(i);
        t.nonce = static_cast<std::uint64_t>(i);
        t.hashes.push_back(root_of(static_cast<std::uint64_t>(i) + 7));
        t.last_raw.assign(120, 0xab);
        auto x = db.put_tx(t);
        auto t2 = clk::now();
        r.status = zerog::policy::submission_record::state::finalized;
        r.tx_seq = static_cast<std::uint64_t>(i);
        r.tx_hash = zerog::to_hex(root_of(static_cast<std::uint64_t>(i) + 7));
        auto u = db.put_submission(r);
        auto t3 = clk::now();
        auto a = db.add_usage("bench", "bytes_uploaded", 0, zerog::uint256(1 << 20));
        auto t4 = clk::now();
        if (!c || !c->claimed || !x || !u || !a) {
            std::fprintf(stderr, "%s: a write failed: %s\n", name,
                         !c ? c.error().message().c_str() : !x ? x.error().message().c_str() : !u ? u.error().message().c_str() : !a ? a.error().message().c_str() : "not claimed");
            return 1;
        }
        auto us = [](auto d) { return std::chrono::duration<double, std::micro>(d).count(); };
        claim.push_back(us(t1 - t0));
        tx.push_back(us(t2 - t1));
        update.push_back(us(t3 - t2));
        usage.push_back(us(t4 - t3));
    }
    auto line = [&](const char* what, const std::vector<double>& v) {
        std::printf("%-11s %-34s n=%d  p50 %9.1f us  p99 %9.1f us\n", name, what, n, pct(v, 50), pct(v, 99));
    };
    line("claim (new root, intent)", claim);
    line("put_tx (signed hash)", tx);
    line("put_submission (update)", update);
    line("add_usage", usage);
    return 0;
}
}  // namespace

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::max(10, std::atoi(argv[1])) : 2000;
    const char* src = std::getenv("ZEROG_SOURCE_DIR");
    const std::string script = std::string(src ? src : ".") + "/tools/devnet/postgres.sh";
    std::random_device rd;
    const fs::path tmp = fs::temp_directory_path() / ("zerog-bench-store-" + std::to_string(rd()));
    fs::create_directories(tmp);
    int rc = 0;
    {
        auto db = zerog::store::database::open((tmp / "zerog.db").string());
        if (!db) {
            std::fprintf(stderr, "sqlite: %s\n", db.error().message().c_str());
            rc = 1;
        } else {
            rc |= measure("sqlite", *db, n);
        }
    }
    const std::string pgdir = (tmp / "pg").string();
    auto [prc, url] = run("ZEROG_PG_DURABLE=1 '" + script + "' start '" + pgdir + "' 15499 2>&1");
    if (prc != 0) {
        std::fprintf(stderr, "postgres: %s\n", url.c_str());
        rc = 1;
    } else {
        while (!url.empty() && (url.back() == '\n' || url.back() == ' ')) url.pop_back();
        auto db = zerog::store::database::open(url);
        if (!db) {
            std::fprintf(stderr, "postgresql: %s\n", db.error().message().c_str());
            rc = 1;
        } else {
            rc |= measure("postgresql", *db, n);
        }
    }
    run("'" + script + "' stop '" + pgdir + "' 2>&1");
    fs::remove_all(tmp);
    return rc;
}
