// The production policy mix: the real model of every family, the one bundle behind the aliases
// `zerog::storage_client`, `zerog::storage_reader`, `zerog::compute_client`, `zerog::compute_reader`
// (<zerog/storage.hpp>, <zerog/compute.hpp>).
//
//   transport    net::http_transport (or the one given)
//   signer       crypto::secp256k1_signer for the clients; crypto::null_signer for the readers
//   retry        backoff_retry: 100 ms base, 10 s cap, 5 attempts, 30 s, full jitter; only what
//                core/error_class.hpp calls retryable, never a paid step the client guards itself
//   breaker      sliding_window_breaker per endpoint, reporting to the logger
//   limiter      token_bucket: 1000 burst / 1000 per s per endpoint (a runaway-loop guard, not a
//                transfer cap: one segment is one request); no per-user limit by default
//                (one process is one user; a multi-user service sets `production_settings::limits`)
//   concurrency  concurrency_limiter: at most 16 operations in flight per user and 64 per
//                endpoint (uploads, downloads, verifications, inference attempts)
//   persistence  the aliases: store::database (SQLite by default, or PostgreSQL; opened by the
//                caller and passed in); the template's default: memory_persistence
//   telemetry    observe::telemetry_hub: the JSON-lines logger to stderr, level from
//                `production_settings::log_level` (the CLI: --log-level, else ZEROG_LOG_LEVEL,
//                else warn; every line is redacted), and the Prometheus metrics registry of
//                `production_settings::metrics` when one is given (shared by every client of
//                the process; serve or write its render()), and the tracer of
//                `production_settings::tracer` when one is given (spans over OTLP)
//   clock        the system clocks
//
// The breaker, limiter and memory persistence are not movable once in use, so the set is built in
// place by `make_production_policies` and handed to a client as a factory:
//
//     zerog::storage_client c(options, [&] {
//         return zerog::client::make_production_policies<zerog::storage_policies>(
//             zerog::net::http_transport{}, crypto::secp256k1_signer(std::move(key)));
//     });
//
// To replace one policy, name another set with the same members (examples/upload_custom_retry.cpp).
// Thread safety: every member model is thread-safe.
#pragma once

#include <zerog/client/policy_set.hpp>
#include <zerog/observe/telemetry_hub.hpp>
#include <zerog/policy/backoff_retry.hpp>
#include <zerog/policy/concurrency_limiter.hpp>
#include <zerog/policy/persistence.hpp>
#include <zerog/policy/sliding_window_breaker.hpp>
#include <zerog/policy/token_bucket.hpp>

#include <optional>
#include <type_traits>

namespace zerog::client {

template <net::Transport Transport, crypto::Signer Signer, policy::Persistence Persistence = policy::memory_persistence,
          policy::RetryPolicy Retry = policy::backoff_retry>
using production_policies =
    policy_set<Transport, Signer, Retry, policy::sliding_window_breaker<observe::telemetry_hub>, policy::token_bucket<>, Persistence,
               observe::telemetry_hub, policy::system_clock_policy, policy::concurrency_limiter>;

/// The knobs of the production mix. Defaults as in the file comment.
struct production_settings {
    /// nullopt: ZEROG_LOG_LEVEL, else warn.
    std::optional<policy::log_level> log_level;
    /// Where metrics go (nullptr: nowhere). One registry per process, shared by its clients.
    std::shared_ptr<observe::metrics_registry> metrics;
    /// Where spans go (nullptr: not traced). One tracer per process (client/otlp_exporter.hpp).
    std::shared_ptr<observe::tracer> tracer;
    policy::backoff_config retry{};
    policy::breaker_config breaker{};
    policy::token_bucket_config limits{.per_user = {0, 0}, .per_endpoint = {1000, 1000}};
    policy::concurrency_config concurrency{.max_per_user = 16, .max_per_endpoint = 64};
};

namespace detail {
/// Builds a production set `P` in place. `persistence` null: P's persistence is value-initialised
/// in place (memory_persistence cannot move); else it is moved in (store::database). Two
/// initialisers because a function's result cannot be elided into a [[no_unique_address]] member
/// (CWG 2403): only `{}` or a move works for both kinds of model.
template <class P>
P build_production_policies(typename P::transport_type transport, typename P::signer_type signer, const production_settings& settings,
                            typename P::persistence_type* persistence) {
    observe::telemetry_hub logger(settings.log_level ? observe::json_logger(*settings.log_level) : observe::json_logger::from_env(),
                                  settings.metrics, settings.tracer);
    using C = typename P::concurrency_type;
    auto retry = [&] {
        if constexpr (std::is_constructible_v<typename P::retry_type, policy::backoff_config>) return typename P::retry_type(settings.retry);
        else return typename P::retry_type{};
    };
    auto concurrency = [&] {
        if constexpr (std::is_constructible_v<C, policy::concurrency_config>) return C(settings.concurrency);
        else return C{};
    };
    if constexpr (std::is_move_constructible_v<typename P::persistence_type>) {
        if (persistence)
            return P{.transport = std::move(transport),
                     .signer = std::move(signer),
                     .retry = retry(),
                     .breaker = typename P::breaker_type(settings.breaker, logger),
                     .limiter = typename P::limiter_type(settings.limits),
                     .persistence = std::move(*persistence),
                     .telemetry = logger,
                     .clock = {},
                     .concurrency = concurrency()};
    }
    return P{.transport = std::move(transport),
             .signer = std::move(signer),
             .retry = retry(),
             .breaker = typename P::breaker_type(settings.breaker, logger),
             .limiter = typename P::limiter_type(settings.limits),
             .persistence = {},
             .telemetry = logger,
             .clock = {},
             .concurrency = concurrency()};
}
}  // namespace detail

/// Build a production set `P` (a production_policies<…>) in place; its persistence model is
/// default-constructed (memory_persistence for the template's default).
template <class P>
P make_production_policies(typename P::transport_type transport, typename P::signer_type signer,
                           const production_settings& settings = {}) {
    return detail::build_production_policies<P>(std::move(transport), std::move(signer), settings, nullptr);
}

/// Build a production set `P` in place around an opened persistence model (store::database).
template <class P>
    requires std::is_move_constructible_v<typename P::persistence_type>
P make_production_policies(typename P::transport_type transport, typename P::signer_type signer, typename P::persistence_type persistence,
                           const production_settings& settings = {}) {
    return detail::build_production_policies<P>(std::move(transport), std::move(signer), settings, &persistence);
}

}  // namespace zerog::client
