// The tracer behind telemetry_hub's spans (docs/architecture.md, "Traces").
//
// The current span context is thread-local (policy::current_trace_context()); the client layer's
// traced executor (client/tracing.hpp) sets it for every slice of an operation's coroutines, so a
// span started anywhere below an operation becomes its child without passing anything down.
//
// Thread safety: start and end may be called concurrently from any thread.
// Ids: 16-byte trace id, 8-byte span id from a per-thread generator seeded by the OS (ids need to
// be unique, not secret). Finished spans go to a span_queue (bounded, never blocks the caller).
#pragma once

#include <zerog/observe/span_queue.hpp>

#include <zerog/core/error.hpp>
#include <zerog/observe/redaction.hpp>
#include <zerog/policy/telemetry.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <string>

namespace zerog::observe {

using policy::current_trace_context;
using policy::scoped_trace_context;
using policy::trace_context;
using policy::traceparent_of;

struct tracer_options {
    otlp_resource resource;
    std::string scope_version;
    span_queue_options queue;
};

class tracer {
public:
    tracer(std::shared_ptr<span_exporter> exporter, tracer_options o = {}) : o_(std::move(o)), queue_(std::move(exporter), o_.queue) {}
    tracer(const tracer&) = delete;
    tracer& operator=(const tracer&) = delete;

    /// A new span, child of the current context (or the root of a new trace).
    policy::span_handle start(std::string_view name) {
        policy::span_handle h;
        const trace_context& parent = current_trace_context();
        if (parent.valid()) {
            h.trace_id = parent.trace_id;
            h.parent_id = parent.span_id;
        } else {
            fill(h.trace_id);
        }
        fill(h.span_id);
        h.name = name;
        h.start_ns = now_ns();
        return h;
    }

    void end(const policy::span_handle& h, const zerog::error* e) {
        if (!h.valid()) return;
        finished_span s;
        s.trace_id = h.trace_id;
        s.span_id = h.span_id;
        s.parent_id = h.parent_id;
        s.name = std::string(h.name);
        s.kind = h.kind;
        s.start_unix_ns = h.start_ns;
        s.end_unix_ns = now_ns();
        if (e) {
            s.error = true;
            s.status_message = scrub(e->message());
            s.attributes.push_back({"error.type", std::string(e->code_name())});
        }
        queue_.push(std::move(s));
    }

    const span_queue& queue() const noexcept { return queue_; }
    /// Flush and stop the export (bounded); spans ended afterwards are dropped and counted.
    void shutdown() { queue_.shutdown(); }

    /// Spans dropped since the previous call (for zerog_spans_dropped_total); safe from any thread,
    /// each drop reported once.
    std::uint64_t take_unreported_drops() noexcept {
        const std::uint64_t now = queue_.dropped();
        std::uint64_t prev = reported_drops_.load(std::memory_order_relaxed);
        while (now > prev && !reported_drops_.compare_exchange_weak(prev, now, std::memory_order_relaxed)) {
        }
        return now > prev ? now - prev : 0;
    }

private:
    template <std::size_t N>
    static void fill(std::array<std::uint8_t, N>& out) {
        thread_local std::mt19937_64 rng([] {
            std::random_device rd;
            return (std::uint64_t(rd()) << 32) ^ rd();
        }());
        bool nonzero = false;
        while (!nonzero) {
            for (std::size_t i = 0; i < N; i += 8) {
                const std::uint64_t v = rng();
                for (std::size_t j = 0; j < 8 && i + j < N; ++j) out[i + j] = static_cast<std::uint8_t>(v >> (8 * j));
            }
            for (auto b : out) nonzero = nonzero || b != 0;  // an all-zero id is invalid in W3C and OTLP
        }
    }
    static std::uint64_t now_ns() {
        return static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    }

    tracer_options o_;
    std::atomic<std::uint64_t> reported_drops_{0};
    span_queue queue_;
};

}  // namespace zerog::observe
