// A Telemetry model that forwards to a Telemetry object owned elsewhere.
//
// The real policy models (breaker, budgets) hold their Telemetry by value, because the production
// sink (`observe::json_logger`) is a cheap handle whose copies share one output. A sink that is not
// a handle (a test's `testing::recording_telemetry`, a Prometheus registry) is shared through
// `telemetry_ref<T>{&sink}` instead, so the policy and the client report to the same object.
//
// Concept membership: Telemetry. Thread safety: that of the referenced object. The referenced
// object must outlive every model holding the ref.
#pragma once

#include <zerog/policy/telemetry.hpp>

namespace zerog::policy {

template <Telemetry T>
struct telemetry_ref {
    T* target;
    bool enabled(log_level l) const { return target->enabled(l); }
    void log(log_level l, std::string_view e, fields f) const { target->log(l, e, f); }
    void count(std::string_view m, double d, fields f) const { target->count(m, d, f); }
    void observe(std::string_view m, double v, fields f) const { target->observe(m, v, f); }
    span_handle span_start(std::string_view n) const { return target->span_start(n); }
    void span_end(const span_handle& s, const zerog::error* e) const { target->span_end(s, e); }
    std::optional<std::string> traceparent(const span_handle& s) const { return target->traceparent(s); }
    void alert(std::string_view n, fields f) const { target->alert(n, f); }
};
static_assert(Telemetry<telemetry_ref<null_telemetry>>);

}  // namespace zerog::policy
