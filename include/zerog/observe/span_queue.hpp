// The tracer's export side. Finished spans go into a bounded
// queue (full: the span is dropped and counted, the caller never waits); one background thread
// sends batches (max_batch spans, or whatever is there every flush_interval) through a
// span_exporter with a timeout and a bounded number of attempts (backoff between them); a batch
// that every attempt failed is dropped and counted. Destruction flushes what is queued within
// `shutdown_timeout`, one attempt per batch (see run() for the exact bound).
//
// Thread safety: push may be called concurrently from any thread.
#pragma once

#include <zerog/observe/otlp_json.hpp>

#include <zerog/core/result.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace zerog::observe {

class span_exporter {
public:
    virtual ~span_exporter() = default;
    /// Send one batch; must return within `timeout`.
    virtual result<void> export_spans(const std::vector<finished_span>& batch, std::chrono::milliseconds timeout) = 0;
};

struct span_queue_options {
    std::size_t max_queue = 2048;
    std::size_t max_batch = 256;
    std::chrono::milliseconds flush_interval{1000};
    std::chrono::milliseconds export_timeout{2000};
    unsigned max_attempts = 3;
    std::chrono::milliseconds retry_backoff{200};
    std::chrono::milliseconds shutdown_timeout{3000};
};

class span_queue {
public:
    span_queue(std::shared_ptr<span_exporter> exporter, span_queue_options o = {})
        : exporter_(std::move(exporter)), o_(o), worker_([this] { run(); }) {}
    span_queue(const span_queue&) = delete;
    span_queue& operator=(const span_queue&) = delete;
    ~span_queue() { shutdown(); }

    /// Flush what is queued (bounded, see run()) and stop the worker; later pushes are dropped and
    /// counted. Idempotent; the destructor calls it.
    void shutdown() {
        {
            std::lock_guard lk(mu_);
            if (!stopping_) {
                stopping_ = true;
                stop_requested_ = std::chrono::steady_clock::now();
            }
        }
        cv_.notify_all();
        std::lock_guard jl(join_mu_);
        if (worker_.joinable()) worker_.join();
    }

    /// Never blocks on the exporter: a full queue (or one shut down) drops the span (counted).
    void push(finished_span s) {
        {
            std::lock_guard lk(mu_);
            if (q_.size() >= o_.max_queue || stopping_) {
                dropped_.fetch_add(1, std::memory_order_relaxed);
                return;
            }
            q_.push_back(std::move(s));
            if (q_.size() < o_.max_batch) return;
        }
        cv_.notify_one();
    }

    std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
    std::uint64_t exported() const noexcept { return exported_.load(std::memory_order_relaxed); }
    std::uint64_t failed_batches() const noexcept { return failed_.load(std::memory_order_relaxed); }

private:
    // Exit bound: from the destructor's call, the worker takes at most `shutdown_timeout` (plus
    // what remains of an export already under way, itself bounded by export_timeout): once stopping,
    // a batch gets one attempt (none more if it already had one), each attempt's timeout is capped
    // to what is left, the backoff between attempts wakes at once, and what is still queued at the
    // deadline is dropped and counted.
    void run() {
        using clock = std::chrono::steady_clock;
        std::unique_lock lk(mu_);
        std::optional<clock::time_point> deadline;
        const auto note_stop = [&] {
            if (stopping_ && !deadline) deadline = stop_requested_ + o_.shutdown_timeout;
        };
        for (;;) {
            cv_.wait_for(lk, o_.flush_interval, [&] { return stopping_ || q_.size() >= o_.max_batch; });
            note_stop();
            if (q_.empty()) {
                if (stopping_) return;
                continue;
            }
            if (deadline && clock::now() >= *deadline) {
                dropped_.fetch_add(q_.size(), std::memory_order_relaxed);
                q_.clear();
                return;
            }
            std::vector<finished_span> batch;
            const std::size_t n = std::min(q_.size(), o_.max_batch);
            batch.reserve(n);
            for (std::size_t i = 0; i < n; ++i) {
                batch.push_back(std::move(q_.front()));
                q_.pop_front();
            }
            bool sent = false;
            for (unsigned a = 1;; ++a) {
                auto timeout = o_.export_timeout;
                if (deadline) {
                    const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - clock::now());
                    if (left <= std::chrono::milliseconds::zero()) break;
                    timeout = std::min(timeout, left);
                }
                lk.unlock();
                sent = static_cast<bool>(exporter_->export_spans(batch, timeout));
                lk.lock();
                note_stop();
                if (sent || deadline || a >= o_.max_attempts) break;
                cv_.wait_for(lk, o_.retry_backoff * a, [&] { return stopping_; });
                note_stop();
                if (deadline) break;  // this batch had its attempt; the exit bound wins over retries
            }
            if (sent) exported_.fetch_add(batch.size(), std::memory_order_relaxed);
            else failed_.fetch_add(1, std::memory_order_relaxed), dropped_.fetch_add(batch.size(), std::memory_order_relaxed);
        }
    }

    std::shared_ptr<span_exporter> exporter_;
    span_queue_options o_;
    std::mutex mu_;
    std::mutex join_mu_;
    std::condition_variable cv_;
    std::deque<finished_span> q_;
    bool stopping_ = false;
    std::chrono::steady_clock::time_point stop_requested_{};
    std::atomic<std::uint64_t> dropped_{0}, exported_{0}, failed_{0};
    std::thread worker_;  // last: started after every member it uses exists
};

}  // namespace zerog::observe
