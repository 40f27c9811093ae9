// In-process metrics: counters, gauges and histograms with labels, rendered in the Prometheus text
// exposition format (version 0.0.4).
//
//   observe::metrics_registry m;
//   const policy::field l[] = {{"class", "storage"}, {"method", "zgs_uploadSegments"}, {"outcome", "ok"}};
//   m.add("zerog_rpc_requests_total", 1, l);            // by name: what the Telemetry policy calls
//   auto c = m.counter("zerog_upload_bytes_total");      // by handle: one relaxed atomic add
//   c.add(4096);
//   std::string text = m.render();                        // for /metrics or a textfile
//
// Why written here and not taken from a library: Debian 12 packages no Prometheus client for C++
// (prometheus-cpp is not in bookworm) and the exposition format is a few lines of text. See
// docs/architecture.md, "Observability".
//
// Hot path. A series, once it exists, is found without a lock and without allocating: the name and
// the labels' raw bytes are copied whole into a stack buffer (no escaping: that is done once, when
// the series is created), hashed, and looked up in an open-addressing table whose slots are only
// ever filled (never moved or freed) and published with release stores. The value
// update is one relaxed atomic add on a per-thread shard (cache-line sized), so two threads
// counting the same series do not contend. Creating a series takes the registry's mutex.
//
// Bounded cardinality. Every metric has at most `max_series_per_metric` series and the registry at
// most `max_series`; a sample that would create one more is folded into the metric's overflow
// series (every label value "other") and counted in zerog_metrics_series_dropped_total. The label
// `user` is dropped unless the application opts in (`user_label`), and then at most `max_users`
// distinct users get their own value; the rest are "other".
//
// Names follow the Prometheus conventions: `zerog_` prefix, counters end in `_total`, base units
// (`_seconds`, `_bytes`; fees in `_neuron`). The metrics zerog itself records are listed in
// `zerog_metrics` below with their help text, type and buckets; deploy/prometheus and
// deploy/grafana query only these (tools/ci/check_observability.py checks it). Other names are accepted (an
// application's own metrics) with a generic help text.
//
// Thread safety: every member may be called concurrently. The registry must outlive its handles.
#pragma once

#include <zerog/core/result.hpp>
#include <zerog/observe/redaction.hpp>
#include <zerog/policy/telemetry.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace zerog::observe {

enum class metric_type : std::uint8_t { counter, gauge, histogram };

inline std::string_view to_string(metric_type t) noexcept {
    switch (t) {
    case metric_type::counter: return "counter";
    case metric_type::gauge: return "gauge";
    case metric_type::histogram: return "histogram";
    }
    return "untyped";
}

/// Latency buckets (seconds): from a loopback call (~1 ms) to a large upload (minutes); 1, 2 and 5 s
/// are bounds so that the checklist targets (download 1 s, upload 2 s, inference 5 s at p95) are exact.
inline constexpr double latency_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 2.5, 5, 10, 30, 60, 120, 300};

/// Persistence call buckets (seconds): a memory call (µs), an SQLite commit with fsync (ms), a
/// PostgreSQL round trip or a lock held elsewhere (up to seconds).
inline constexpr double persistence_buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};

/// One metric zerog records: name, type, help, histogram buckets (ascending, +Inf implied).
struct metric_info {
    std::string_view name;
    metric_type type;
    std::string_view help;
    std::span<const double> buckets{};
};

/// Every metric the library records (the contract with deploy/prometheus and deploy/grafana).
inline constexpr metric_info zerog_metrics[] = {
    // network calls (client/pipeline.hpp: every guarded call)
    {"zerog_rpc_requests_total", metric_type::counter,
     "Network calls by endpoint class (chain, storage, indexer, kv, provider), method and outcome (ok or the error class)"},
    {"zerog_rpc_request_duration_seconds", metric_type::histogram, "Latency of network calls, retries included, by endpoint class and method",
     latency_buckets},
    {"zerog_rpc_retries_total", metric_type::counter, "Network call attempts repeated after a retryable failure"},
    {"zerog_rate_limited_total", metric_type::counter, "Calls refused by the rate limiter (the next slot was after the deadline)"},
    {"zerog_breaker_state", metric_type::gauge, "Circuit breaker state per endpoint: 0 closed, 1 half-open, 2 open"},
    {"zerog_breaker_transitions_total", metric_type::counter, "Circuit breaker state changes per endpoint and new state"},
    // budgets (policy/budget.hpp)
    {"zerog_budget_refusals_total", metric_type::counter, "Operations refused before paying because a budget would be exceeded"},
    {"zerog_budget_used_ratio", metric_type::gauge, "Budget used (settled) over its limit, per budget kind, as of the last use"},
    // storage (client/storage_upload.hpp, storage_download.hpp)
    {"zerog_uploads_total", metric_type::counter, "Uploads by outcome"},
    {"zerog_upload_bytes_total", metric_type::counter, "Bytes of files uploaded successfully"},
    {"zerog_upload_duration_seconds", metric_type::histogram, "Duration of uploads, validation to last replica", latency_buckets},
    {"zerog_upload_stage_duration_seconds", metric_type::histogram,
     "Duration of upload stages: discover, hash, submit (payment to receipt), finality, segments", latency_buckets},
    {"zerog_downloads_total", metric_type::counter, "Downloads by outcome"},
    {"zerog_download_bytes_total", metric_type::counter, "Bytes of files downloaded and verified"},
    {"zerog_download_duration_seconds", metric_type::histogram, "Duration of downloads", latency_buckets},
    // payments
    {"zerog_payments_total", metric_type::counter, "Payments by kind (storage submission, inference) and outcome"},
    {"zerog_storage_fee_neuron_total", metric_type::counter, "Storage fees paid, in neuron (1e-18 0G)"},
    // inference (client/compute_client.hpp)
    {"zerog_inference_requests_total", metric_type::counter, "Inference attempts per provider, model and outcome"},
    {"zerog_inference_duration_seconds", metric_type::histogram, "Duration of inference attempts per provider and model", latency_buckets},
    {"zerog_inference_tokens_total", metric_type::counter, "Tokens billed per provider, model and type (prompt, completion)"},
    {"zerog_inference_fee_neuron_total", metric_type::counter, "Inference fees booked per provider and model, in neuron"},
    // verification
    {"zerog_verification_failures_total", metric_type::counter,
     "Results that failed verification: storage proofs, file roots, inference signatures"},
    // KV (client/kv_client.hpp)
    {"zerog_kv_writes_total", metric_type::counter, "KV batches written, by outcome (the node's verdict)"},
    // persistence (client/persist.hpp: every call a client makes on its Persistence model)
    {"zerog_persistence_calls_total", metric_type::counter, "Calls on the durable store (SQLite, PostgreSQL) by operation and outcome"},
    {"zerog_persistence_call_duration_seconds", metric_type::histogram, "Latency of calls on the durable store by operation, pool wait included",
     persistence_buckets},
    // alerts raised in process (breaker open, budget thresholds)
    {"zerog_alerts_total", metric_type::counter, "Alerts raised in process, by alert name"},
    // the registry itself
    {"zerog_metrics_series_dropped_total", metric_type::counter,
     "Samples folded into a metric's overflow series because of the series caps"},
    // the trace exporter (observe/span_queue.hpp), as of the last span ended
    {"zerog_spans_dropped_total", metric_type::counter,
     "Finished spans not exported: the queue was full, every export attempt failed, or the exit flush ran out of time"},
};

inline const metric_info* find_zerog_metric(std::string_view name) noexcept {
    for (const auto& m : zerog_metrics)
        if (m.name == name) return &m;
    return nullptr;
}

struct metrics_options {
    std::size_t max_series = 4096;             ///< all metrics together
    std::size_t max_series_per_metric = 512;
    bool user_label = false;                   ///< keep the `user` label (opt-in; capped below)
    std::size_t max_users = 100;
};

namespace metrics_detail {

inline constexpr std::size_t shards = 4;  // per-thread shards of each value (contention)

inline std::size_t this_thread_shard() noexcept {
    static std::atomic<std::size_t> next{0};
    thread_local const std::size_t mine = next.fetch_add(1, std::memory_order_relaxed) % shards;
    return mine;
}

inline std::uint64_t hash_bytes(std::string_view s, std::uint64_t h = 0x9e3779b97f4a7c15ull) noexcept {
    const auto mix = [](std::uint64_t x) {
        x ^= x >> 31;
        x *= 0xbf58476d1ce4e5b9ull;
        x ^= x >> 29;
        return x;
    };
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        h = mix(h ^ w) * 0x94d049bb133111ebull;
    }
    std::uint64_t tail = 0;
    std::memcpy(&tail, s.data() + i, s.size() - i);
    h = mix(h ^ tail ^ (std::uint64_t(s.size()) << 56));
    return h ^ (h >> 32);
}

inline bool valid_name_char(char c, bool first) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
}

/// A small append-only buffer on the stack that spills to the heap only for unusually long keys.
class key_buffer {
public:
    void put(char c) {
        if (n_ < sizeof(buf_)) buf_[n_++] = c;
        else spill().push_back(c);
    }
    void put(std::string_view s) {
        if (heap_.empty() && n_ + s.size() <= sizeof(buf_)) {
            if (!s.empty()) std::memcpy(buf_ + n_, s.data(), s.size());
            n_ += s.size();
        } else {
            spill().append(s);
        }
    }
    std::string_view view() const noexcept { return heap_.empty() ? std::string_view(buf_, n_) : std::string_view(heap_); }

private:
    std::string& spill() {
        if (heap_.empty()) heap_.assign(buf_, n_);
        return heap_;
    }
    char buf_[240];
    std::size_t n_ = 0;
    std::string heap_;
};

inline void put_number(key_buffer& b, double v) {
    if (std::isnan(v)) return b.put("NaN");
    if (std::isinf(v)) return b.put(v > 0 ? "+Inf" : "-Inf");
    char tmp[32];
    auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
    b.put(std::string_view(tmp, static_cast<std::size_t>(r.ptr - tmp)));
}

/// A bucket bound as the `le` label value, spelled as Prometheus' Go client spells it
/// (strconv 'g', shortest: exponent form below 1e-4 and from 1e6), so that a query written against
/// another exporter's buckets (le="0.0001") selects ours too.
inline void put_bucket_bound(key_buffer& b, double v) {
    if (std::isnan(v) || std::isinf(v) || v == 0) return put_number(b, v);
    char tmp[40];
    auto sci = std::to_chars(tmp, tmp + sizeof tmp, v, std::chars_format::scientific);
    const std::string_view text(tmp, static_cast<std::size_t>(sci.ptr - tmp));
    int exp = 0;
    const auto e = text.find('e');
    std::from_chars(text.data() + e + (text[e + 1] == '+' ? 2 : 1), text.data() + text.size(), exp);
    if (exp < -4 || exp >= 6) return b.put(text);  // "1e-05", "1e+06", as Go
    auto fixed = std::to_chars(tmp, tmp + sizeof tmp, v, std::chars_format::fixed);
    b.put(std::string_view(tmp, static_cast<std::size_t>(fixed.ptr - tmp)));
}

/// The lookup key: the name and the labels' raw bytes with separators (0x1f before a label name,
/// 0x1e before its value), copied whole (no per-character work): what the hot path hashes and
/// compares. The exposition form (render_key) is built once, when the series is created.
inline void raw_key(key_buffer& b, std::string_view name, policy::fields labels, bool user_allowed) {
    b.put(name);
    for (const auto& f : labels) {
        if (f.key.empty() || f.key.starts_with("__")) continue;
        if (f.key == "user" && !user_allowed) continue;
        b.put('\x1f');
        b.put(f.key);
        b.put('\x1e');
        std::visit([&](auto v) {
            using V = decltype(v);
            if constexpr (std::is_same_v<V, std::string_view>) {
                b.put(v);
            } else if constexpr (std::is_same_v<V, bool>) {
                b.put(v ? '1' : '0');
            } else if constexpr (std::is_same_v<V, double>) {
                put_number(b, v);
            } else {
                char tmp[24];
                auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
                b.put(std::string_view(tmp, static_cast<std::size_t>(r.ptr - tmp)));
            }
        }, f.value);
    }
}

/// `name{k="v",…}` with label names sanitised and values escaped as the exposition format wants.
/// `user_allowed` false drops a `user` label.
inline void render_key(key_buffer& b, std::string_view name, policy::fields labels, bool user_allowed) {
    for (std::size_t i = 0; i < name.size(); ++i) b.put(valid_name_char(name[i], i == 0) ? name[i] : '_');
    bool any = false;
    for (const auto& f : labels) {
        if (f.key.empty() || f.key.starts_with("__")) continue;  // reserved by Prometheus
        if (f.key == "user" && !user_allowed) continue;
        b.put(any ? ',' : '{');
        any = true;
        for (std::size_t i = 0; i < f.key.size(); ++i) b.put(valid_name_char(f.key[i], i == 0) && f.key[i] != ':' ? f.key[i] : '_');
        b.put("=\"");
        std::visit([&](auto v) {
            using V = decltype(v);
            if constexpr (std::is_same_v<V, std::string_view>) {
                for (char c : v) {
                    if (c == '\\') b.put("\\\\");
                    else if (c == '"') b.put("\\\"");
                    else if (c == '\n') b.put("\\n");
                    else b.put(c);
                }
            } else if constexpr (std::is_same_v<V, bool>) {
                b.put(v ? "true" : "false");
            } else if constexpr (std::is_same_v<V, double>) {
                put_number(b, v);
            } else {
                char tmp[24];
                auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
                b.put(std::string_view(tmp, static_cast<std::size_t>(r.ptr - tmp)));
            }
        }, f.value);
        b.put('"');
    }
    if (any) b.put('}');
}

inline void add_double(std::atomic<double>& a, double d) noexcept {
    double cur = a.load(std::memory_order_relaxed);
    while (!a.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed, std::memory_order_relaxed)) {
    }
}

struct family {
    std::string name;
    metric_type type;
    std::string help;
    std::vector<double> buckets;  // histograms: upper bounds, ascending, +Inf implied
    std::atomic<std::size_t> series_count{0};
};

/// One cache line per shard: a counter/gauge uses value; a histogram uses value as its sum and
/// `counts` (buckets + the +Inf bucket) allocated after the shard array.
struct alignas(64) shard_cell {
    std::atomic<double> value{0};
};

struct series {
    family* fam;
    std::string key;   // name{labels}, as rendered
    std::size_t name_len;
    std::uint64_t hash;
    std::array<shard_cell, shards> cells{};
    // histogram bucket counts: shards × (buckets + 1), each shard's row on its own lines
    std::size_t stride = 0;
    std::unique_ptr<std::atomic<std::uint64_t>[]> counts;

    std::string_view labels() const noexcept { return std::string_view(key).substr(name_len); }
};

/// A slot of the lookup table: a key and the series it leads to. A series has one entry under
/// its own key, and may have aliases: keys that were remapped when the series was chosen (a user
/// beyond the cap, a sample folded into the overflow series, a counter name given without
/// `_total`), so that those samples also take the lock-free path next time.
struct entry {
    std::uint64_t hash;
    std::string key;  ///< raw_key form
    series* target;
    bool primary;     ///< the series' own entry (false: an alias)
};

}  // namespace metrics_detail

/// A counter or gauge series, found once and updated without lookup.
class metric_handle {
public:
    metric_handle() = default;
    /// Counter: add `d` (≥ 0). One relaxed atomic add on this thread's shard.
    void add(double d = 1) const noexcept {
        if (s_) metrics_detail::add_double(s_->cells[metrics_detail::this_thread_shard()].value, d);
    }
    /// Gauge: set to `v`.
    void set(double v) const noexcept {
        if (s_) s_->cells[0].value.store(v, std::memory_order_relaxed);
    }
    explicit operator bool() const noexcept { return s_ != nullptr; }

private:
    friend class metrics_registry;
    explicit metric_handle(metrics_detail::series* s) : s_(s) {}
    metrics_detail::series* s_ = nullptr;
};

/// A histogram series, found once and observed without lookup.
class histogram_handle {
public:
    histogram_handle() = default;
    void observe(double v) const noexcept {
        if (!s_) return;
        const auto& b = s_->fam->buckets;
        const std::size_t i = static_cast<std::size_t>(std::lower_bound(b.begin(), b.end(), v) - b.begin());  // le: v ≤ bound
        const std::size_t sh = metrics_detail::this_thread_shard();
        s_->counts[sh * s_->stride + i].fetch_add(1, std::memory_order_relaxed);
        metrics_detail::add_double(s_->cells[sh].value, v);
    }
    explicit operator bool() const noexcept { return s_ != nullptr; }

private:
    friend class metrics_registry;
    explicit histogram_handle(metrics_detail::series* s) : s_(s) {}
    metrics_detail::series* s_ = nullptr;
};

class metrics_registry {
public:
    explicit metrics_registry(metrics_options o = {}) : o_(o) {
        o_.max_series = std::max<std::size_t>(o_.max_series, 16);
        std::size_t cap = 64;
        // Room for every series, one overflow series per metric and as many aliases as series; at
        // most half full, so a probe always ends at an empty slot.
        while (cap < 2 * (2 * o_.max_series + std::size(zerog_metrics) + 256)) cap *= 2;
        slots_ = std::make_unique<std::atomic<metrics_detail::entry*>[]>(cap);
        for (std::size_t i = 0; i < cap; ++i) slots_[i].store(nullptr, std::memory_order_relaxed);
        mask_ = cap - 1;
    }
    metrics_registry(const metrics_registry&) = delete;
    metrics_registry& operator=(const metrics_registry&) = delete;

    const metrics_options& options() const noexcept { return o_; }

    /// Counter `name` += `delta` (negative or NaN deltas are ignored: counters only go up).
    void add(std::string_view name, double delta, policy::fields labels = {}) {
        if (!(delta >= 0)) return;
        if (auto* s = find_or_create(name, metric_type::counter, labels)) metric_handle(s).add(delta);
    }
    /// Gauge `name` = `value`.
    void set(std::string_view name, double value, policy::fields labels = {}) {
        if (auto* s = find_or_create(name, metric_type::gauge, labels)) metric_handle(s).set(value);
    }
    /// Histogram `name` observes `value`.
    void observe(std::string_view name, double value, policy::fields labels = {}) {
        if (std::isnan(value)) return;
        if (auto* s = find_or_create(name, metric_type::histogram, labels)) histogram_handle(s).observe(value);
    }

    metric_handle counter(std::string_view name, policy::fields labels = {}) {
        return metric_handle(find_or_create(name, metric_type::counter, labels));
    }
    metric_handle gauge(std::string_view name, policy::fields labels = {}) {
        return metric_handle(find_or_create(name, metric_type::gauge, labels));
    }
    histogram_handle histogram(std::string_view name, policy::fields labels = {}) {
        return histogram_handle(find_or_create(name, metric_type::histogram, labels));
    }

    /// The current value of a counter or gauge series (sum of its shards), or of a histogram's
    /// count; nullopt when the series does not exist. For tests and the cost API.
    std::optional<double> value(std::string_view name, policy::fields labels = {}) const {
        metrics_detail::key_buffer b;
        metrics_detail::raw_key(b, name, labels, o_.user_label);
        const auto* s = lookup(b.view(), metrics_detail::hash_bytes(b.view()));
        if (!s) {  // the name without `_total`, as given to add()
            metrics_detail::key_buffer b2;
            std::string n(name);
            n += "_total";
            metrics_detail::raw_key(b2, n, labels, o_.user_label);
            s = lookup(b2.view(), metrics_detail::hash_bytes(b2.view()));
        }
        if (!s) return std::nullopt;
        if (s->fam->type == metric_type::histogram) {
            double n = 0;
            for (std::size_t i = 0; i < s->stride * metrics_detail::shards; ++i) n += double(s->counts[i].load(std::memory_order_relaxed));
            return n;
        }
        if (s->fam->type == metric_type::gauge) return s->cells[0].value.load(std::memory_order_relaxed);
        double v = 0;
        for (const auto& c : s->cells) v += c.value.load(std::memory_order_relaxed);
        return v;
    }

    /// One series' labels and value (counters and gauges; a histogram's count).
    struct sample {
        std::vector<std::pair<std::string, std::string>> labels;  ///< in the order they were given, unescaped
        double value = 0;
    };
    /// Every series of metric `name` (the API behind cost summaries; not for hot paths).
    std::vector<sample> samples(std::string_view name) const {
        std::vector<sample> out;
        for (std::size_t i = 0; i <= mask_; ++i) {
            const auto* e = slots_[i].load(std::memory_order_acquire);
            if (!e || !e->primary || e->target->fam->name != name) continue;
            const auto* s = e->target;
            sample x;
            x.labels = parse_labels(s->labels());
            if (s->fam->type == metric_type::histogram) {
                for (std::size_t j = 0; j < s->stride * metrics_detail::shards; ++j) x.value += double(s->counts[j].load(std::memory_order_relaxed));
            } else if (s->fam->type == metric_type::gauge) {
                x.value = s->cells[0].value.load(std::memory_order_relaxed);
            } else {
                for (const auto& c : s->cells) x.value += c.value.load(std::memory_order_relaxed);
            }
            out.push_back(std::move(x));
        }
        return out;
    }

    /// Samples folded into overflow series so far.
    std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
    std::size_t series_count() const noexcept { return total_.load(std::memory_order_relaxed); }

    /// The Prometheus text exposition of every series (metrics sorted by name, series by labels).
    /// Label text was scrubbed of registered secrets (observe/redaction.hpp) when each series was
    /// created, as a second line of defence; names and help are ours, values are numbers.
    std::string render() const {
        std::vector<const metrics_detail::series*> all;
        for (std::size_t i = 0; i <= mask_; ++i)
            if (const auto* e = slots_[i].load(std::memory_order_acquire); e && e->primary) all.push_back(e->target);
        std::sort(all.begin(), all.end(), [](const auto* a, const auto* b) {
            if (a->fam->name != b->fam->name) return a->fam->name < b->fam->name;
            return a->labels() < b->labels();
        });
        std::string out;
        out.reserve(all.size() * 96 + 256);
        const metrics_detail::family* current = nullptr;
        for (const auto* s : all) {
            const auto& f = *s->fam;
            if (&f != current) {
                current = &f;
                out += "# HELP ";
                out += f.name;
                out += ' ';
                for (char c : f.help) {
                    if (c == '\\') out += "\\\\";
                    else if (c == '\n') out += "\\n";
                    else out += c;
                }
                out += "\n# TYPE ";
                out += f.name;
                out += ' ';
                out += to_string(f.type);
                out += '\n';
            }
            if (f.type != metric_type::histogram) {
                double v = 0;
                if (f.type == metric_type::gauge) v = s->cells[0].value.load(std::memory_order_relaxed);
                else
                    for (const auto& c : s->cells) v += c.value.load(std::memory_order_relaxed);
                out += s->key;
                out += ' ';
                append_number(out, v);
                out += '\n';
                continue;
            }
            // Cumulative buckets, then _sum and _count (count = the +Inf bucket).
            std::uint64_t cumulative = 0;
            double sum = 0;
            for (const auto& c : s->cells) sum += c.value.load(std::memory_order_relaxed);
            const std::string_view labels = s->labels();
            const std::string_view inner = labels.empty() ? std::string_view() : labels.substr(1, labels.size() - 2);
            for (std::size_t i = 0; i < s->stride; ++i) {
                for (std::size_t sh = 0; sh < metrics_detail::shards; ++sh)
                    cumulative += s->counts[sh * s->stride + i].load(std::memory_order_relaxed);
                out += f.name;
                out += "_bucket{";
                out += inner;
                if (!inner.empty()) out += ',';
                out += "le=\"";
                if (i < f.buckets.size()) {
                    metrics_detail::key_buffer bound;
                    metrics_detail::put_bucket_bound(bound, f.buckets[i]);
                    out += bound.view();
                }
                else out += "+Inf";
                out += "\"} ";
                out += std::to_string(cumulative);
                out += '\n';
            }
            out += f.name;
            out += "_sum";
            out += labels;
            out += ' ';
            append_number(out, sum);
            out += '\n';
            out += f.name;
            out += "_count";
            out += labels;
            out += ' ';
            out += std::to_string(cumulative);
            out += '\n';
        }
        return out;
    }

    /// Write the exposition to `path` atomically (a temporary file in the same directory, fsync,
    /// rename): node_exporter's textfile collector never reads a half-written file.
    result<void> write_textfile(const std::string& path) const {
        const std::string text = render();
        const std::string tmp = path + ".tmp." + std::to_string(::getpid());
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
            return zerog::error(errc::io_error, std::string("cannot create ") + tmp + ": " + std::strerror(errno)).during("writing the metrics textfile");
        std::size_t off = 0;
        while (off < text.size()) {
            const auto n = ::write(fd, text.data() + off, text.size() - off);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                const int e = errno;
                ::close(fd);
                ::unlink(tmp.c_str());
                return zerog::error(errc::io_error, std::string("cannot write ") + tmp + ": " + std::strerror(e)).during("writing the metrics textfile");
            }
            off += static_cast<std::size_t>(n);
        }
        const bool synced = ::fsync(fd) == 0;
        ::close(fd);
        if (!synced || std::rename(tmp.c_str(), path.c_str()) != 0) {
            const int e = errno;
            ::unlink(tmp.c_str());
            return zerog::error(errc::io_error, "cannot replace " + path + ": " + std::strerror(e)).during("writing the metrics textfile");
        }
        return {};
    }

private:
    /// `{k="v",…}` (as render_key writes it) back to pairs.
    static std::vector<std::pair<std::string, std::string>> parse_labels(std::string_view l) {
        std::vector<std::pair<std::string, std::string>> out;
        if (l.size() < 2) return out;
        std::size_t i = 1;
        while (i < l.size() - 1) {
            const std::size_t eq = l.find('=', i);
            if (eq == std::string_view::npos) break;
            std::string k(l.substr(i, eq - i)), v;
            std::size_t j = eq + 2;  // past ="
            for (; j < l.size() && l[j] != '"'; ++j) {
                if (l[j] == '\\' && j + 1 < l.size()) {
                    ++j;
                    v += l[j] == 'n' ? '\n' : l[j];
                } else {
                    v += l[j];
                }
            }
            out.emplace_back(std::move(k), std::move(v));
            i = j + 2;  // past ",
        }
        return out;
    }

    static void append_number(std::string& out, double v) {
        metrics_detail::key_buffer b;
        metrics_detail::put_number(b, v);
        out += b.view();
    }

    metrics_detail::series* lookup(std::string_view key, std::uint64_t h) const noexcept {
        for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
            const auto* e = slots_[i].load(std::memory_order_acquire);
            if (!e) return nullptr;
            if (e->hash == h && e->key == key) return e->target;
        }
    }

    metrics_detail::series* find_or_create(std::string_view name, metric_type type, policy::fields labels) {
        metrics_detail::key_buffer b;
        metrics_detail::raw_key(b, name, labels, o_.user_label);
        const std::uint64_t h = metrics_detail::hash_bytes(b.view());
        if (auto* s = lookup(b.view(), h)) [[likely]]
            return s->fam->type == type ? s : nullptr;
        return create(name, type, labels, b.view(), h);
    }

    metrics_detail::series* create(std::string_view name, metric_type type, policy::fields labels, std::string_view key, std::uint64_t h) {
        std::lock_guard lk(mu_);
        if (auto* s = lookup(key, h)) return s->fam->type == type ? s : nullptr;
        // A new metric needs room for at least one series: once the registry is full, samples of
        // metrics it has never seen are dropped (counted), so names cannot grow it either.
        metrics_detail::family* fam = family_of(name, type, total_.load(std::memory_order_relaxed) < o_.max_series);
        if (!fam) {
            dropped_.fetch_add(1, std::memory_order_relaxed);
            count_dropped_locked();
            return nullptr;
        }
        if (fam->type != type) return nullptr;  // a name used with two types: the first one wins
        // The user cap: a user beyond max_users is "other".
        std::vector<policy::field> adjusted(labels.begin(), labels.end());
        if (o_.user_label)
            for (auto& f : adjusted)
                if (f.key == "user")
                    if (const auto* u = std::get_if<std::string_view>(&f.value); u && !users_.contains(*u)) {
                        if (users_.size() >= o_.max_users) f = policy::field(f.key, std::string_view("other"));
                        else users_.insert(std::string(*u));
                    }
        // The series caps: fold into the overflow series (every label value "other").
        const bool full = fam->series_count.load(std::memory_order_relaxed) >= o_.max_series_per_metric ||
                          total_.load(std::memory_order_relaxed) >= o_.max_series;
        if (full)
            for (auto& f : adjusted) f = policy::field(f.key, std::string_view("other"));
        metrics_detail::key_buffer kb;
        metrics_detail::raw_key(kb, fam->name, adjusted, o_.user_label);
        const std::string_view k = kb.view();
        const std::uint64_t kh = k == key ? h : metrics_detail::hash_bytes(k);
        metrics_detail::series* s = lookup(k, kh);
        if (!s) {
            // The exposition form, scrubbed of registered secrets once here (observe/redaction.hpp),
            // so that a scrape only copies it.
            metrics_detail::key_buffer shown;
            metrics_detail::render_key(shown, fam->name, adjusted, o_.user_label);
            s = insert_locked(fam, scrub(shown.view()), std::string(k), kh, !full);  // the overflow series is not counted: room is reserved for it
        }
        if (full) {
            dropped_.fetch_add(1, std::memory_order_relaxed);
            count_dropped_locked();
        }
        if (k != key && aliases_ < o_.max_series) {
            ++aliases_;
            add_entry_locked(std::string(key), h, s, false);
        }
        return s->fam->type == type ? s : nullptr;
    }

    void count_dropped_locked() {
        static constexpr std::string_view n = "zerog_metrics_series_dropped_total";
        metrics_detail::family* fam = family_of(n, metric_type::counter, true);
        const std::uint64_t h = metrics_detail::hash_bytes(n);
        auto* s = lookup(n, h);
        if (!s) s = insert_locked(fam, std::string(n), std::string(n), h, false);
        metric_handle(s).add(1);
    }

    metrics_detail::series* insert_locked(metrics_detail::family* fam, std::string shown, std::string raw, std::uint64_t h, bool counted) {
        auto s = std::make_unique<metrics_detail::series>();
        s->fam = fam;
        s->name_len = fam->name.size();
        s->key = std::move(shown);
        s->hash = h;
        if (fam->type == metric_type::histogram) {
            s->stride = fam->buckets.size() + 1;
            s->counts = std::make_unique<std::atomic<std::uint64_t>[]>(s->stride * metrics_detail::shards);
            for (std::size_t i = 0; i < s->stride * metrics_detail::shards; ++i) s->counts[i].store(0, std::memory_order_relaxed);
        }
        auto* s_ptr = s.get();
        series_.push_back(std::move(s));
        if (counted) {
            fam->series_count.fetch_add(1, std::memory_order_relaxed);
            total_.fetch_add(1, std::memory_order_relaxed);
        }
        add_entry_locked(std::move(raw), h, s_ptr, true);
        return s_ptr;
    }

    void add_entry_locked(std::string key, std::uint64_t h, metrics_detail::series* target, bool primary) {
        auto e = std::make_unique<metrics_detail::entry>(metrics_detail::entry{h, std::move(key), target, primary});
        std::size_t i = h & mask_;
        while (slots_[i].load(std::memory_order_relaxed)) i = (i + 1) & mask_;
        auto* raw = e.get();
        entries_.push_back(std::move(e));
        slots_[i].store(raw, std::memory_order_release);  // published: lock-free readers may see it now
    }

    metrics_detail::family* family_of(std::string_view name, metric_type type, bool may_create) {
        std::string clean;
        for (std::size_t i = 0; i < name.size(); ++i) clean += metrics_detail::valid_name_char(name[i], i == 0) ? name[i] : '_';
        // An application counter named without the convention's suffix is exposed with it.
        if (type == metric_type::counter && !find_zerog_metric(clean) && !clean.ends_with("_total")) clean += "_total";
        if (auto it = families_.find(clean); it != families_.end()) return it->second.get();
        if (!may_create) return nullptr;
        auto f = std::make_unique<metrics_detail::family>();
        f->name = clean;
        if (const auto* known = find_zerog_metric(clean)) {
            f->type = known->type;
            f->help = std::string(known->help);
            f->buckets.assign(known->buckets.begin(), known->buckets.end());
        } else {
            f->type = type;
            f->help = "Application metric " + clean;
        }
        if (f->type == metric_type::histogram && f->buckets.empty()) f->buckets.assign(std::begin(latency_buckets), std::end(latency_buckets));
        auto* raw = f.get();
        families_.emplace(clean, std::move(f));
        return raw;
    }

    metrics_options o_;
    std::unique_ptr<std::atomic<metrics_detail::entry*>[]> slots_;
    std::size_t mask_ = 0;
    std::mutex mu_;
    std::map<std::string, std::unique_ptr<metrics_detail::family>, std::less<>> families_;
    std::deque<std::unique_ptr<metrics_detail::series>> series_;
    std::deque<std::unique_ptr<metrics_detail::entry>> entries_;
    std::size_t aliases_ = 0;
    std::set<std::string, std::less<>> users_;
    std::atomic<std::size_t> total_{0};
    std::atomic<std::uint64_t> dropped_{0};
};

/// Spend and token usage per provider and model (and user, when the registry keeps the user
/// label), plus storage fees, as this process recorded them (checklist §5, cost tracking). Amounts
/// are the metrics' doubles (neuron); the exact ledger of what was paid is the Persistence
/// model's (`add_spend`, `spend`) and the submission records' fees.
struct cost_summary {
    struct inference_cost {
        std::string provider, model, user;
        double requests = 0, prompt_tokens = 0, completion_tokens = 0, fee_neuron = 0;
    };
    std::vector<inference_cost> inference;  ///< sorted by provider, model, user
    double storage_fee_neuron = 0;
    double uploaded_bytes = 0;
};

inline cost_summary summarize_costs(const metrics_registry& m) {
    cost_summary out;
    std::map<std::tuple<std::string, std::string, std::string>, cost_summary::inference_cost> rows;
    auto label = [](const metrics_registry::sample& s, std::string_view k) {
        for (const auto& [n, v] : s.labels)
            if (n == k) return v;
        return std::string();
    };
    auto row = [&](const metrics_registry::sample& s) -> cost_summary::inference_cost& {
        auto& r = rows[{label(s, "provider"), label(s, "model"), label(s, "user")}];
        r.provider = label(s, "provider");
        r.model = label(s, "model");
        r.user = label(s, "user");
        return r;
    };
    for (const auto& s : m.samples("zerog_inference_fee_neuron_total")) row(s).fee_neuron += s.value;
    for (const auto& s : m.samples("zerog_inference_tokens_total"))
        (label(s, "type") == "prompt" ? row(s).prompt_tokens : row(s).completion_tokens) += s.value;
    for (const auto& s : m.samples("zerog_inference_requests_total"))
        if (label(s, "outcome") == "ok") row(s).requests += s.value;
    for (auto& [k, r] : rows) out.inference.push_back(std::move(r));
    for (const auto& s : m.samples("zerog_storage_fee_neuron_total")) out.storage_fee_neuron += s.value;
    for (const auto& s : m.samples("zerog_upload_bytes_total")) out.uploaded_bytes += s.value;
    return out;
}

}  // namespace zerog::observe
