// The tracer's export side. Finished spans go into a bounded
// queue (full: the span is dropped and counted, the caller never waits); one background thread
// sends batches (max_batch spans, or whatever is there every flush_interval) through a
// span_exporter with a timeout and a bounded number of attempts (backoff between them); a batch
// that every attempt failed is dropped and counted. Destruction flushes what is queued within
// `shutdown_timeout`, one attempt per batch.
//
// Thread safety: push may be called concurrently from any thread.
#pragma once

#include <zerog/observe/otlp_json.hpp>

#include <zerog/core/result.hpp>

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
    ~span_queue() {
        {
            std::lock_guard lk(mu_);
            stopping_ = true;
        }
        cv_.notify_all();
        worker_.join();
    }

    /// Never blocks on the exporter: a full queue drops the span (counted).
    void push(finished_span s) {
        {
            std::lock_guard lk(mu_);
            if (q_.size() >= o_.max_queue) {
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
    void run() {
        std::unique_lock lk(mu_);
        const auto stop_by = [&] { return std::chrono::steady_clock::now() + o_.shutdown_timeout; };
        std::optional<std::chrono::steady_clock::time_point> deadline;
        for (;;) {
            cv_.wait_for(lk, o_.flush_interval, [&] { return stopping_ || q_.size() >= o_.max_batch; });
            if (stopping_ && !deadline) deadline = stop_by();
            if (q_.empty()) {
                if (stopping_) return;
                continue;
            }
            std::vector<finished_span> batch;
            const std::size_t n = std::min(q_.size(), o_.max_batch);
            batch.reserve(n);
            for (std::size_t i = 0; i < n; ++i) {
                batch.push_back(std::move(q_.front()));
                q_.pop_front();
            }
            lk.unlock();
            bool sent = false;
            // While shutting down: one attempt per batch (a dead collector must not hold the exit).
            const unsigned attempts = deadline ? 1u : o_.max_attempts;
            for (unsigned a = 1; a <= attempts && !sent; ++a) {
                if (deadline && std::chrono::steady_clock::now() >= *deadline) break;
                sent = static_cast<bool>(exporter_->export_spans(batch, o_.export_timeout));
                if (!sent && a < attempts) std::this_thread::sleep_for(o_.retry_backoff * a);
            }
            if (sent) exported_.fetch_add(batch.size(), std::memory_order_relaxed);
            else failed_.fetch_add(1, std::memory_order_relaxed), dropped_.fetch_add(batch.size(), std::memory_order_relaxed);
            lk.lock();
            if (deadline && std::chrono::steady_clock::now() >= *deadline) {
                dropped_.fetch_add(q_.size(), std::memory_order_relaxed);
                q_.clear();
                return;
            }
        }
    }

    std::shared_ptr<span_exporter> exporter_;
    span_queue_options o_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<finished_span> q_;
    bool stopping_ = false;
    std::atomic<std::uint64_t> dropped_{0}, exported_{0}, failed_{0};
    std::thread worker_;  // last: started after every member it uses exists
};

}  // namespace zerog::observe
