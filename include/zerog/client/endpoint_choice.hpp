// How a client lets its endpoint_selector (policy/endpoint_selector.hpp) choose endpoints and feeds
// it what each call observed. One place for the storage and the compute client.
#pragma once

#include <zerog/core/error_class.hpp>
#include <zerog/core/result.hpp>
#include <zerog/net/jsonrpc.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace zerog::client {

/// `candidates` in the selector's order (health first, then measured latency). When the selector
/// leaves every candidate out (all breakers open) the candidates are returned as given: the
/// breaker then refuses them with a precise error instead of the client finding nothing to try.
template <class Selector>
std::vector<std::string> choose(Selector& selector, const std::vector<std::string>& candidates) {
    auto p = selector.plan(candidates);
    if (p.endpoints.empty()) return candidates;
    return std::move(p.endpoints);
}

/// Record one call's outcome: a failure that says something about the endpoint (core/error_class:
/// not final) is a failure sample; an answer — even an error answer — is a latency sample.
template <class Selector>
void record_outcome(Selector& selector, const std::string& endpoint, const zerog::error* e, std::chrono::nanoseconds took) {
    if (e && classify(*e) != error_action::final) selector.record_failure(endpoint);
    else selector.record_success(endpoint, took);
}

/// JSON-RPC options whose failover order comes from `selector` and whose outcomes go back to it.
template <class Selector>
net::jsonrpc_options selected_by(Selector& selector, net::jsonrpc_options o = {}) {
    o.order = [&selector](const std::vector<std::string>& urls) {
        std::vector<std::size_t> idx;
        for (const auto& u : selector.plan(urls).endpoints)
            for (std::size_t i = 0; i < urls.size(); ++i)
                if (urls[i] == u) { idx.push_back(i); break; }
        return idx;
    };
    o.report = [&selector](const std::string& url, bool reached, std::chrono::nanoseconds took) {
        if (reached) selector.record_success(url, took);
        else selector.record_failure(url);
    };
    return o;
}

}  // namespace zerog::client
