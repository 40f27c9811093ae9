// zerog compute client: G3 inference on the 0G Compute Network (docs/protocol/compute.md §4), with
// on-chain accounts (compute_chain.hpp), signed session tokens, verified answers, usage and cost,
// and failover across providers.
//
//   zerog::compute_client c(options, [&] { return zerog::make_compute_policies(signer); });  // <zerog/compute.hpp>
//   c.setup(3_0G deposit, {provider}, 2_0G)                // ledger + sub-account + acknowledgement
//   auto r = c.chat(request, {{provider}});                // blocking; co_await c.chat_async(...) in a coroutine
//   r->content, r->usage, r->fee, r->verified
//
// One inference at one provider (`chat_at`):
//   1. service and sub-account from the chain (cached `state_ttl`): the owner must have
//      acknowledged the TEE signer, the sub-account must exist and be acknowledged by the user —
//      otherwise a precise error and nothing is sent;
//   2. fee estimate (pricing.hpp) and balance check: locked ≥ 1 0G reserve + unsettled fees (the
//      provider's /unsettledfee read with the account, plus our spend since) + estimate, else
//      errc::insufficient_funds and nothing is sent;
//   3. session token from the per-provider cache (renewed before expiry; generation = the
//      account's), or a fresh one per request (token_reuse);
//   4. POST /v1/proxy/chat/completions under guarded_call with the attempt's deadline; streams
//      are parsed as they arrive (compute/chat_sse.hpp);
//   5. auth errors naming expiry/revocation/generation → re-read the account, new token, one
//      retry (renew_on_auth_error); a replayed-nonce refusal under token_reuse::adaptive → fresh
//      tokens for that provider from then on, one retry;
//   6. usage, exact fee from the service prices, cumulative spend (Persistence add_spend);
//   7. verification: GET /v1/proxy/signature/{ZG-Res-Key}, signer = Service.teeSignerAddress,
//      signed text recomputed from the exact request and response bytes. Failure → verified:false,
//      and errc::verification_failed in strict mode.
// Budgets (checklist §8): `use_budget(&ledger)` attaches a policy::budget_ledger (nullptr
// detaches; not owned, must outlive the client's operations). Each attempt then reserves, under
// options().user and right after the service is read (before anything is sent to the
// provider, the unsettled-fee read included): spend = the fee estimate of step 2, tokens = the
// estimated prompt + completion tokens, requests = 1. A refusal is errc::budget_exhausted /
// errc::quota_exceeded with the figures (failover may still try a cheaper provider). After the
// answer the actual fee and token usage are committed (with the request); when nothing was billed
// (refusal, provider error, no usage) everything is released.
// Estimates (`estimate`, `estimate_model`): the same request body and estimate from the service's
// prices on chain, without sending anything to the provider.
// Failover (`chat`): targets in the client's endpoint-selector order (healthy and fast providers
// first, the caller's order among equals; a provider that failed an earlier inference for any
// reason sinks); any error but a bad request moves on to the next provider; each attempt is bounded
// by per_provider_timeout and all of them by inference_timeout.
//
// Secrets: the key stays in the Signer; tokens travel only in the Authorization header and never
// appear in errors, logs or results.
// Thread safety: async methods may run concurrently (caches are guarded; the token cache is
// thread-safe). The blocking forms (`op(...)` beside each `op_async(...)`) serialise on a private io_context. Not movable
// (the chain part and the token cache point into the policy set).
#pragma once

#include <zerog/client/compute_chain.hpp>
#include <zerog/client/persist.hpp>
#include <zerog/client/tracing.hpp>
#include <zerog/core/ref.hpp>
#include <zerog/compute/chat_sse.hpp>
#include <zerog/compute/request.hpp>
#include <zerog/crypto/secp256k1_signer.hpp>
#include <zerog/net/http_transport.hpp>
#include <zerog/policy/backoff_retry.hpp>
#include <zerog/policy/budget.hpp>
#include <zerog/policy/sliding_window_breaker.hpp>

#include <map>

namespace zerog::client {

/// The compute client over policy set `Policies` (policy_set.hpp). See the file comment.
template <class Policies>
class compute_client {
public:
    using policies_type = Policies;
    using signer_handle = zerog::ref<const typename Policies::signer_type>;
    using cache_type = compute::session_token_cache<signer_handle, typename Policies::clock_type>;

    /// From a policy set (movable policy sets only).
    compute_client(compute_client_options o, Policies p)
        requires std::is_move_constructible_v<Policies>
        : p_(std::move(p)), o_(std::move(o)), chain_(p_, o_, selector_), tokens_(signer_handle{&p_.signer}, o_.tokens, p_.clock) {}
    /// From a factory returning the policy set by value, built in place (policy sets holding
    /// mutexes, such as the production mix, are not movable): `[&] { return make_compute_policies(...); }`.
    template <class Make>
        requires std::same_as<std::invoke_result_t<Make&>, Policies>
    compute_client(compute_client_options o, Make make)
        : p_(make()), o_(std::move(o)), chain_(p_, o_, selector_), tokens_(signer_handle{&p_.signer}, o_.tokens, p_.clock) {}
    compute_client(const compute_client&) = delete;
    compute_client& operator=(const compute_client&) = delete;

    Policies& policies() noexcept { return p_; }
    const compute_client_options& options() const noexcept { return o_; }
    compute_chain<Policies>& chain() noexcept { return chain_; }
    cache_type& tokens() noexcept { return tokens_; }
    crypto::address user() const { return chain_.user(); }
    /// Budget of inferences (see the file comment); nullptr = none. Set between operations.
    void use_budget(policy::budget_ledger* ledger) noexcept { budget_ = ledger; }
    policy::budget_ledger* budget() const noexcept { return budget_; }

    // ------------------------------------------------------------------ accounts

    /// What `setup` did (empty vectors: nothing to do — setup is idempotent).
    struct setup_report {
        std::vector<std::string> steps;  ///< "addLedger 10 0G", "transferFund 0x… 2 0G", …
        std::vector<hash256> txs;
    };

    /// Make `providers` usable: a ledger (addLedger with `deposit` when missing, depositFund when
    /// a transfer needs more than is available), a sub-account per provider with at least
    /// `per_provider` locked (transferFund of the difference, ≥ 1 0G the first time), and the
    /// user's acknowledgement (acknowledgeTEESigner when not set). Refuses providers whose TEE
    /// signer the owner has not acknowledged. Idempotent: a second run sends nothing.
    asio::awaitable<result<setup_report>> setup_async(uint256 deposit, std::vector<crypto::address> providers, uint256 per_provider) {
        return traced_operation(p_.telemetry, "compute.setup", setup_impl(deposit, std::move(providers), per_provider));
    }

    /// revokeAllTokens(provider), then drop the cached token and account state for it.
    asio::awaitable<result<chain::tx_outcome>> revoke_all_tokens_async(crypto::address provider) {
        return traced_operation(p_.telemetry, "compute.revoke_tokens", revoke_impl(provider, std::nullopt));
    }
    /// revokeToken(provider, id) (persistent API keys), then drop the provider's cached state.
    asio::awaitable<result<chain::tx_outcome>> revoke_token_async(crypto::address provider, std::uint8_t id) {
        return traced_operation(p_.telemetry, "compute.revoke_tokens", revoke_impl(provider, id));
    }

private:
    asio::awaitable<result<setup_report>> setup_impl(uint256 deposit, std::vector<crypto::address> providers, uint256 per_provider) {
        setup_report rep;
        auto done = [&rep](std::string step, const chain::tx_outcome& t) {
            rep.steps.push_back(std::move(step));
            rep.txs.push_back(t.tx_hash);
        };
        ZEROG_CO_TRY(auto led, co_await chain_.ledger_async());
        if (!led) {
            ZEROG_CO_TRY(auto t, co_await chain_.add_ledger_async(deposit));
            done("addLedger " + format_token_amount(deposit) + " 0G", t);
            ZEROG_CO_TRY(led, co_await chain_.ledger_async());
            if (!led) co_return fail(errc::internal, "ledger still missing after addLedger");
        }
        for (const auto& prov : providers) {
            ZEROG_CO_TRY(auto svc, co_await chain_.service_async(prov));
            if (!svc.usable()) co_return fail(compute_chain<Policies>::unacknowledged_service(svc));
            ZEROG_CO_TRY(auto acc, co_await chain_.account_async(prov));
            const uint256 have = acc ? acc->locked() : uint256(0);
            if (have < per_provider) {
                uint256 need = per_provider - have;
                if (!acc && need < min_first_transfer) need = min_first_transfer;
                if (led->available < need) {
                    const uint256 top_up = need - led->available;
                    ZEROG_CO_TRY(auto t, co_await chain_.deposit_fund_async(top_up));
                    done("depositFund " + format_token_amount(top_up) + " 0G", t);
                }
                ZEROG_CO_TRY(auto t, co_await chain_.transfer_fund_async(prov, need));
                done("transferFund " + prov.to_checksum_hex() + " " + format_token_amount(need) + " 0G", t);
                ZEROG_CO_TRY(led, co_await chain_.ledger_async());
                if (!led) co_return fail(errc::internal, "ledger vanished during setup");
                ZEROG_CO_TRY(acc, co_await chain_.account_async(prov));
            }
            if (!acc || !acc->acknowledged) {
                ZEROG_CO_TRY(auto t, co_await chain_.acknowledge_async(prov));
                done("acknowledgeTEESigner " + prov.to_checksum_hex(), t);
            }
            forget(prov);
        }
        co_return rep;
    }

    asio::awaitable<result<chain::tx_outcome>> revoke_impl(crypto::address provider, std::optional<std::uint8_t> id) {
        result<chain::tx_outcome> r = fail(errc::internal, "revocation not sent");
        if (id) r = co_await chain_.revoke_token_async(provider, *id);
        else r = co_await chain_.revoke_all_tokens_async(provider);
        tokens_.invalidate(provider);
        forget(provider);
        co_return r;
    }

public:
    /// Cumulative spend booked with `provider` (Persistence policy).
    result<uint256> spend(const crypto::address& provider) { return p_.persistence.spend(user().to_checksum_hex(), provider.to_checksum_hex()); }

    // ------------------------------------------------------------------ inference

    /// Inference with failover across `targets` (in order). See the file comment.
    asio::awaitable<result<chat_result>> chat_async(chat_request req, std::vector<provider_target> targets) {
        return traced_operation(p_.telemetry, "compute.inference", chat_failover(std::move(req), std::move(targets)));
    }

    /// Inference with failover across every usable provider of `model`, in contract order.
    asio::awaitable<result<chat_result>> chat_model_async(chat_request req, std::string model) {
        return traced_operation(p_.telemetry, "compute.inference", chat_model_impl(std::move(req), std::move(model)));
    }

    /// The pre-send estimate of `req` at `target` (tokens and fee from the service's prices on
    /// chain). Reads the chain only: nothing is sent to the provider.
    asio::awaitable<result<chat_estimate>> estimate_async(chat_request req, provider_target target) {
        return traced_operation(p_.telemetry, "compute.estimate", estimate_impl(std::move(req), std::move(target)));
    }
    /// The estimate at the first acknowledged provider of `model` (the one `chat_model` tries first).
    asio::awaitable<result<chat_estimate>> estimate_model_async(chat_request req, std::string model) {
        return traced_operation(p_.telemetry, "compute.estimate", estimate_model_impl(std::move(req), std::move(model)));
    }

private:
    asio::awaitable<result<chat_result>> chat_model_impl(chat_request req, std::string model) {
        ZEROG_CO_TRY(auto svcs, co_await chain_.services_for_model_async(model));
        if (svcs.empty()) co_return fail(errc::not_found, "no acknowledged provider serves model \"" + model + "\"");
        std::vector<provider_target> targets;
        for (const auto& s : svcs) {
            remember(s);
            targets.push_back(provider_target{s.provider, {}});
        }
        if (!req.model) req.model = model;
        co_return co_await chat_failover(std::move(req), std::move(targets));
    }

public:
    /// One inference at one provider, bounded by `deadline` (no failover).
    asio::awaitable<result<chat_result>> chat_at_async(const chat_request& req, const provider_target& target, zerog::steady_time deadline) {
        // One concurrency slot per attempt (policy_set::concurrency), keyed by user and provider.
        const std::string provider_key = target.provider.to_checksum_hex();
        auto slot = p_.concurrency.try_enter(policy::limit_key{o_.user, provider_key});
        if (!slot) co_return fail(std::move(slot).error().during("inference at provider " + provider_key + "; nothing was sent"));
        const auto started = p_.clock.now();
        auto r = co_await attempt(req, target, deadline, false);
        {
            // Labels bounded by configuration: the providers and models this client may use.
            const std::string model = r ? r->model : req.model.value_or("");
            const policy::field timing[] = {{"provider", std::string_view(provider_key)}, {"model", std::string_view(model)}};
            p_.telemetry.observe("zerog_inference_duration_seconds", std::chrono::duration<double>(p_.clock.now() - started).count(), timing);
            // `user`: a label only when the application's registry opts in (observe/metrics.hpp).
            const policy::field l[] = {{"provider", std::string_view(provider_key)}, {"model", std::string_view(model)},
                                       {"outcome", r ? std::string_view("ok") : r.error().code_name()}, {"user", std::string_view(o_.user)}};
            p_.telemetry.count("zerog_inference_requests_total", 1, l);
        }
        if (!r) co_return fail(std::move(r).error().during("inference at provider " + target.provider.to_checksum_hex()));
        co_return r;
    }

private:
    asio::awaitable<result<chat_estimate>> estimate_impl(chat_request req, provider_target target) {
        if (req.messages.empty()) co_return fail(errc::invalid_argument, "chat request has no messages");
        auto svc = co_await service_of(target.provider);
        if (!svc) co_return fail(std::move(svc).error().during("estimating an inference at provider " + target.provider.to_checksum_hex()));
        chat_estimate e;
        e.provider = svc->provider;
        e.model = req.model ? *req.model : svc->model;
        e.prices = svc->prices();
        e.usable = svc->usable();
        e.request_body = request_body(req, svc->model);
        auto est = compute::estimate_request_fee(e.request_body, e.prices, o_.estimate);
        if (!est) co_return fail(std::move(est).error().during("estimating an inference at provider " + target.provider.to_checksum_hex()));
        e.tokens = est->tokens;
        e.input_fee = est->input_fee;
        e.fee = est->total_fee;
        co_return e;
    }
    asio::awaitable<result<chat_estimate>> estimate_model_impl(chat_request req, std::string model) {
        ZEROG_CO_TRY(auto svcs, co_await chain_.services_for_model_async(model));
        if (svcs.empty()) co_return fail(errc::not_found, "no acknowledged provider serves model \"" + model + "\"");
        remember(svcs.front());
        if (!req.model) req.model = model;
        provider_target t{svcs.front().provider, {}};
        co_return co_await estimate_impl(std::move(req), std::move(t));
    }

public:
    // ------------------------------------------------------------------ blocking facade

    // Reads of the serving contracts (cached for options().state_ttl where noted in compute_chain).
    asio::awaitable<result<std::vector<compute_service>>> services_async() { return chain_.services_async(); }
    asio::awaitable<result<std::vector<compute_service>>> services_for_model_async(std::string model) {
        return chain_.services_for_model_async(std::move(model));
    }
    asio::awaitable<result<compute_service>> service_async(crypto::address p) { return chain_.service_async(p); }
    asio::awaitable<result<std::optional<compute_ledger>>> ledger_async() { return chain_.ledger_async(); }
    asio::awaitable<result<std::optional<compute_account>>> account_async(crypto::address p) { return chain_.account_async(p); }

    // Blocking forms: the same coroutines run to completion on the client's private io_context.
    result<std::vector<compute_service>> services() { return run_.run(services_async()); }
    result<std::vector<compute_service>> services_for_model(std::string model) { return run_.run(services_for_model_async(std::move(model))); }
    result<compute_service> service(crypto::address p) { return run_.run(service_async(p)); }
    result<std::optional<compute_ledger>> ledger() { return run_.run(ledger_async()); }
    result<std::optional<compute_account>> account(crypto::address p) { return run_.run(account_async(p)); }
    result<setup_report> setup(uint256 deposit, std::vector<crypto::address> providers, uint256 per_provider) {
        return run_.run(setup_async(deposit, std::move(providers), per_provider));
    }
    result<chain::tx_outcome> revoke_all_tokens(crypto::address p) { return run_.run(revoke_all_tokens_async(p)); }
    result<chat_result> chat(chat_request req, std::vector<provider_target> targets) { return run_.run(chat_async(std::move(req), std::move(targets))); }
    result<chat_result> chat_model(chat_request req, std::string model) { return run_.run(chat_model_async(std::move(req), std::move(model))); }
    result<chat_estimate> estimate(chat_request req, provider_target target) { return run_.run(estimate_async(std::move(req), std::move(target))); }
    result<chat_estimate> estimate_model(chat_request req, std::string model) {
        return run_.run(estimate_model_async(std::move(req), std::move(model)));
    }

    /// The exact request body sent for `req` at a service serving `default_model` (compute/chat.hpp).
    static std::string request_body(const chat_request& req, std::string_view default_model) {
        return compute::chat_request_body(req, default_model);
    }


private:
    /// chat_async's body: the providers in selector order, the first that answers.
    asio::awaitable<result<chat_result>> chat_failover(chat_request req, std::vector<provider_target> targets) {
        if (targets.empty()) co_return fail(errc::invalid_argument, "no provider to send the inference to");
        if (req.messages.empty()) co_return fail(errc::invalid_argument, "chat request has no messages");
        const auto overall = p_.clock.now() + o_.inference_timeout;
        auto ordered = co_await in_selector_order(std::move(targets));
        std::vector<std::string> failures;
        zerog::error last;
        for (const auto& [t, origin] : ordered) {
            if (p_.clock.now() >= overall) break;
            const auto deadline = std::min(overall, p_.clock.now() + o_.per_provider_timeout);
            auto r = co_await chat_at_async(req, t, deadline);
            if (r) {
                r->failed_over = std::move(failures);
                co_return r;
            }
            if (r.error().is(errc::invalid_argument)) co_return fail(std::move(r).error());  // the same request fails everywhere
            // Whatever made this provider fail (its exchange, its signature, its bill), the next
            // inference should try the others first.
            if (!origin.empty()) selector_.record_failure(origin);
            failures.push_back(t.provider.to_checksum_hex() + ": " + r.error().message());
            last = std::move(r).error();
        }
        if (ordered.size() == 1 && last) co_return fail(std::move(last));
        std::string all = "all " + std::to_string(ordered.size()) + " providers failed: ";
        for (std::size_t i = 0; i < failures.size(); ++i) all += (i ? "; " : "") + failures[i];
        if (failures.size() < ordered.size()) all += "; inference deadline reached before the remaining providers";
        const errc code = !last ? errc::deadline_exceeded
                          : last.code().category() == zerog_category() ? static_cast<errc>(last.code().value())
                                                                         : errc::connection_failed;
        co_return fail(zerog::error(code, std::move(all))
                           .during("compute inference with failover"));
    }
    struct provider_state {
        std::optional<compute_service> service;
        zerog::steady_time service_at{};
        std::optional<compute_account> account;
        bool account_known = false;
        zerog::steady_time account_at{};
        uint256 unsettled;       ///< provider-reported at account_at
        uint256 spent_since;     ///< our booking since account_at
        bool fresh_tokens = false;  ///< provider binds nonces to requests (adaptive mode learned it)
    };

    void forget(const crypto::address& p) {
        std::lock_guard lk(m_);
        auto& s = state_[p.to_lower_hex()];
        s.account_known = false;
        s.service.reset();
    }
    void remember(const compute_service& svc) {
        std::lock_guard lk(m_);
        auto& s = state_[svc.provider.to_lower_hex()];
        s.service = svc;
        s.service_at = p_.clock.now();
    }

    net::request_options http_options(zerog::steady_time deadline) const {
        net::request_options ro;
        ro.deadline = deadline;
        ro.connect_timeout = o_.connect_timeout;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - p_.clock.now());
        ro.read_timeout = std::max(std::chrono::milliseconds(1), std::min(left, o_.per_provider_timeout));
        ro.write_timeout = ro.read_timeout;
        ro.accept_any_status = true;  // provider refusals are JSON we map ourselves
        return ro;
    }

    // Service (cached) of the target.
    asio::awaitable<result<compute_service>> service_of(const crypto::address& prov) {
        {
            std::lock_guard lk(m_);
            auto& s = state_[prov.to_lower_hex()];
            if (s.service && p_.clock.now() - s.service_at < o_.state_ttl) co_return *s.service;
        }
        ZEROG_CO_TRY(auto svc, co_await chain_.service_async(prov));
        remember(svc);
        co_return svc;
    }

    // Account (cached) plus the provider's unsettled fee, read together.
    asio::awaitable<result<provider_state>> account_of(const compute_service& svc, const std::string& base, zerog::steady_time deadline, bool force) {
        {
            std::lock_guard lk(m_);
            auto& s = state_[svc.provider.to_lower_hex()];
            if (!force && s.account_known && p_.clock.now() - s.account_at < o_.state_ttl) co_return s;
        }
        ZEROG_CO_TRY(auto acc, co_await chain_.account_async(svc.provider));
        uint256 unsettled;
        if (acc && o_.check_balance) {
            ZEROG_CO_TRY(std::string auth, token_for(svc.provider, acc->generation, false));
            net::http_request q;
            q.method = "GET";
            q.url = base + compute::unsettled_fee_path(user());
            q.headers.emplace_back("Authorization", std::move(auth));
            // Informative only: a slow provider must not spend the inference's time on it.
            const auto fee_deadline = std::min(deadline, p_.clock.now() + std::max(std::chrono::milliseconds(1000), o_.per_provider_timeout / 4));
            q.options = http_options(fee_deadline);
            auto res = co_await exchange("compute.unsettledFee", std::move(q), fee_deadline);
            // The endpoint is informative: a provider without it leaves our own booking.
            if (res && res->status == 200)
                if (auto f = compute::parse_unsettled_fee(res->body)) unsettled = *f;
        }
        std::lock_guard lk(m_);
        auto& s = state_[svc.provider.to_lower_hex()];
        s.account = acc;
        s.account_known = true;
        s.account_at = p_.clock.now();
        s.unsettled = unsettled;
        s.spent_since = uint256(0);
        co_return s;
    }

    result<std::string> token_for(const crypto::address& prov, std::uint64_t generation, bool fresh) {
        if (fresh) {
            compute::session_token_options so;
            so.lifetime = std::min(o_.tokens.lifetime, std::chrono::milliseconds(600'000));  // one request: short-lived
            so.generation = generation;
            ZEROG_TRY(auto t, compute::make_session_token(signer_handle{&p_.signer}, prov, so, p_.clock));
            return std::move(t.authorization);
        }
        ZEROG_TRY(auto a, tokens_.authorization(prov, generation));
        return std::string(a);
    }

    /// The breaker as the billed chat call sees it: latency reported as zero, because a generation
    /// takes as long as its output (a long answer is not a slow endpoint); failures still count.
    struct chat_breaker {
        typename Policies::breaker_type& b;
        result<void> allow(std::string_view ep) { return b.allow(ep); }
        void on_success(std::string_view ep, std::chrono::nanoseconds) { b.on_success(ep, std::chrono::nanoseconds(0)); }
        void on_failure(std::string_view ep, const zerog::error& e, std::chrono::nanoseconds) { b.on_failure(ep, e, std::chrono::nanoseconds(0)); }
    };
    static constexpr bool null_breaker = std::is_same_v<typename Policies::breaker_type, policy::no_breaker>;

    /// The policies of the set with retry off (same limiter, breaker, telemetry and clock): a billed
    /// request is never re-sent by the retry policy, a provider that fails is left to failover.
    struct single_attempt {
        using retry_type = policy::no_retry;
        using breaker_type = std::conditional_t<null_breaker, policy::no_breaker, chat_breaker>;
        using limiter_type = typename Policies::limiter_type;
        using telemetry_type = typename Policies::telemetry_type;
        using clock_type = typename Policies::clock_type;
        typename Policies::clock_type& clock;
        typename Policies::telemetry_type& telemetry;
        typename Policies::limiter_type& limiter;
        std::conditional_t<null_breaker, policy::no_breaker&, chat_breaker> breaker;
        policy::no_retry retry{};
    };

    // One HTTP exchange under the policies; `sse` receives the body for streams. `billed`: the
    // chat request itself (one attempt; the free GETs may be retried).
    asio::awaitable<result<net::http_response>> exchange(std::string_view op, net::http_request q, zerog::steady_time deadline,
                                                            chat_sse_parser* sse = nullptr, bool billed = false) {
        const std::string endpoint = redact_endpoint(q.url);
        const call_context ctx{op, endpoint, o_.user, deadline};
        auto op_fn = [this, &q, sse]() -> asio::awaitable<result<net::http_response>> {
            if (!sse) return p_.transport.send_async(q);
            net::chunk_handler h = [sse](std::string_view c) { return sse->feed(c); };
            return p_.transport.send_streaming_async(q, std::move(h));
        };
        // The pipeline must see a 5xx/429 answer as the failure it is (breaker, retries of the
        // free GETs), not as a delivered response: it becomes the provider's refusal here.
        auto checked = [&op_fn, sse]() { return unhealthy_as_error(op_fn, sse); };
        const auto t0 = p_.clock.now();
        result<net::http_response> r = fail(errc::internal, "no exchange ran");
        if (billed) {
            auto breaker = [this]() -> decltype(single_attempt::breaker) {
                if constexpr (null_breaker) return p_.breaker;
                else return chat_breaker{p_.breaker};
            };
            single_attempt once{p_.clock, p_.telemetry, p_.limiter, breaker()};
            r = co_await guarded_call(once, ctx, checked);
        } else {
            r = co_await guarded_call(p_, ctx, checked);
        }
        record_outcome(selector_, endpoint, r ? nullptr : &r.error(), p_.clock.now() - t0);
        co_return r;
    }

    /// The provider origin the selector and the breaker know a target by ("" when its service
    /// cannot be read now: that target then keeps its place and fails in its own attempt).
    asio::awaitable<std::string> origin_of(const provider_target& t) {
        if (!t.url.empty()) co_return redact_endpoint(t.url);
        auto svc = co_await service_of(t.provider);
        co_return svc ? redact_endpoint(svc->url) : std::string();
    }
    /// `targets` with their origins, reordered by the selector: healthy, then fast providers
    /// first; the caller's order among equals; providers whose breaker is open go last (still
    /// tried if time allows).
    asio::awaitable<std::vector<std::pair<provider_target, std::string>>> in_selector_order(std::vector<provider_target> targets) {
        std::vector<std::string> origins;
        for (const auto& t : targets) {
            std::string origin = co_await origin_of(t);
            origins.push_back(std::move(origin));
        }
        std::vector<std::pair<provider_target, std::string>> out;
        std::vector<bool> taken(targets.size(), false);
        if (targets.size() > 1)
            for (const auto& o : selector_.plan(origins).endpoints)
                for (std::size_t i = 0; i < targets.size(); ++i)
                    if (!taken[i] && origins[i] == o) { out.emplace_back(targets[i], origins[i]); taken[i] = true; break; }
        for (std::size_t i = 0; i < targets.size(); ++i)
            if (!taken[i]) out.emplace_back(std::move(targets[i]), origins[i]);
        co_return out;
    }

    template <class Op>
    static asio::awaitable<result<net::http_response>> unhealthy_as_error(Op& op, const chat_sse_parser* sse) {
        auto r = co_await op();
        if (r && (r->status >= 500 || r->status == 429)) {
            std::string text = provider_error_text(*r, sse ? std::string_view(sse->raw()) : std::string_view(r->body));
            co_return fail(refusal(r->status, std::move(text)));
        }
        co_return r;
    }

    static std::string provider_error_text(const net::http_response& res, std::string_view body) {
        boost::system::error_code ec;
        auto v = boost::json::parse(body, ec);
        if (!ec && v.is_object())
            if (const auto* e = v.get_object().if_contains("error")) {
                if (e->is_string()) return std::string(e->get_string());
                if (e->is_object())
                    if (const auto* m = e->get_object().if_contains("message"); m && m->is_string()) return std::string(m->get_string());
            }
        return "HTTP " + std::to_string(res.status) + ": " + net::body_snippet(body, 200);
    }
    static zerog::error refusal(unsigned status, std::string text) {
        // The status class first (core/error_class.hpp); a 4xx is then read by the broker's texts.
        errc code = errc_for_http_status(status);
        if (code == errc::http_status) {
            if (text.rfind("insufficient balance", 0) == 0) code = errc::insufficient_funds;
            else if (text.find("account not exist") != std::string::npos) code = errc::not_found;
            else if (status == 401 || status == 403 || text.find("acknowledge") != std::string::npos) code = errc::unauthorized;
        }
        return zerog::error(code, "provider refused the request (HTTP " + std::to_string(status) + "): " + std::move(text));
    }

    asio::awaitable<result<chat_result>> attempt(const chat_request& req, const provider_target& target, zerog::steady_time deadline, bool retried) {
        const crypto::address prov = target.provider;
        ZEROG_CO_TRY(auto svc, co_await service_of(prov));
        if (!svc.usable()) co_return fail(compute_chain<Policies>::unacknowledged_service(svc));
        std::string base = target.url.empty() ? svc.url : target.url;
        while (!base.empty() && base.back() == '/') base.pop_back();
        if (base.empty()) co_return fail(errc::invalid_argument, "provider " + prov.to_checksum_hex() + " has no URL");

        chat_result out;
        out.provider = prov;
        out.model = req.model ? *req.model : svc.model;
        out.request_body = request_body(req, svc.model);
        ZEROG_CO_TRY(auto est, compute::estimate_request_fee(out.request_body, svc.prices(), o_.estimate));
        out.estimated_fee = est.total_fee;

        // Budget: reserved before anything reaches the provider; released unless billed.
        policy::budget_hold hold;
        if (budget_) {
            const policy::budget_request want[] = {
                {policy::budget_kind::spend, est.total_fee},
                {policy::budget_kind::tokens, uint256(est.tokens.prompt_tokens) + uint256(est.tokens.completion_tokens)},
                {policy::budget_kind::requests, uint256(1)}};
            auto h = budget_->reserve_all(o_.user, want);
            if (!h) {
                zerog::error e = std::move(h).error();
                co_return fail(zerog::error(e.code(), e.detail() + "; nothing was sent to the provider")
                                   .during("reserving the budget for an inference (estimated fee " + format_token_amount(est.total_fee) +
                                           " 0G)"));
            }
            hold = std::move(*h);
        }

        ZEROG_CO_TRY(auto st, co_await account_of(svc, base, deadline, retried));
        if (!st.account)
            co_return fail(errc::not_found, "no sub-account with provider " + prov.to_checksum_hex() +
                                                " (transferFund first: `zerog compute setup --provider " + prov.to_checksum_hex() + "`)");
        if (!st.account->acknowledged)
            co_return fail(errc::unauthorized, "this account has not acknowledged provider " + prov.to_checksum_hex() +
                                                   " (acknowledgeTEESigner; `zerog compute setup` does it)");

        if (o_.check_balance) {
            compute::account_balance b;
            b.locked = st.account->locked();
            ZEROG_CO_TRY(b.unsettled_fee, checked_add(st.unsettled, st.spent_since));
            ZEROG_CO_CHECK(compute::check_affordable(b, est.total_fee));
        }

        const bool fresh = o_.reuse == token_reuse::per_request || (o_.reuse == token_reuse::adaptive && st.fresh_tokens);
        ZEROG_CO_TRY(std::string auth, token_for(prov, st.account->generation, fresh));

        net::http_request q;
        q.method = "POST";
        q.url = base + std::string(compute::chat_completions_path);
        q.headers.emplace_back("Content-Type", "application/json");
        q.headers.emplace_back("Authorization", std::move(auth));
        q.body = out.request_body;
        q.options = http_options(deadline);
        if (req.stream) q.headers.emplace_back("Accept", "text/event-stream");

        std::optional<chat_sse_parser> sse;
        if (req.stream) sse.emplace(req.on_delta, q.options.max_response_bytes);
        const auto t0 = std::chrono::steady_clock::now();
        ZEROG_CO_TRY(auto res, co_await exchange("compute.chat", std::move(q), deadline, sse ? &*sse : nullptr, true));
        out.exchange_time = std::chrono::steady_clock::now() - t0;
        out.response_body = sse ? sse->raw() : std::move(res.body);

        if (res.status < 200 || res.status >= 300) {
            std::string text = provider_error_text(res, out.response_body);
            if (!retried && res.status == 401) {
                if (o_.renew_on_auth_error && compute::is_stale_token_error(text)) {
                    tokens_.invalidate(prov);
                    hold.release();  // refused, not billed; the retry reserves again
                    co_return co_await attempt(req, target, deadline, true);
                }
                if (o_.reuse == token_reuse::adaptive && text.find("nonce has already been used") != std::string::npos) {
                    {
                        std::lock_guard lk(m_);
                        state_[prov.to_lower_hex()].fresh_tokens = true;
                    }
                    hold.release();
                    co_return co_await attempt(req, target, deadline, true);
                }
            }
            co_return fail(refusal(res.status, std::move(text)));
        }

        // Answer, usage and chat key.
        std::optional<std::string_view> key_hdr = res.header(compute::res_key_header);
        if (sse) {
            ZEROG_CO_CHECK(sse->finish());  // dispatches an unterminated last event
            out.content = sse->content();
            out.finish_reason = sse->finish_reason();
            if (!sse->usage()) co_return fail(errc::malformed_response, "stream ended without usage");
            out.usage = *sse->usage();
            auto key = compute::chat_key_of(key_hdr, "{\"id\":" + boost::json::serialize(boost::json::value(sse->first_id())) + "}");
            if (key) out.chat_id = std::move(*key);
        } else {
            boost::system::error_code ec;
            auto v = boost::json::parse(out.response_body, ec);
            if (ec || !v.is_object()) co_return fail(errc::malformed_response, "completion is not a JSON object");
            const auto& o = v.get_object();
            if (const auto* ch = o.if_contains("choices"); ch && ch->is_array() && !ch->get_array().empty() && ch->get_array()[0].is_object()) {
                const auto& c0 = ch->get_array()[0].get_object();
                if (const auto* m = c0.if_contains("message"); m && m->is_object())
                    if (const auto* t = m->get_object().if_contains("content"); t && t->is_string()) out.content = std::string(t->get_string());
                if (const auto* f = c0.if_contains("finish_reason"); f && f->is_string()) out.finish_reason = std::string(f->get_string());
            }
            ZEROG_CO_TRY(out.usage, compute::parse_usage(out.response_body));
            auto key = compute::chat_key_of(key_hdr, out.response_body);
            if (key) out.chat_id = std::move(*key);
        }

        // Cost: exact, booked before verification (the provider bills either way).
        ZEROG_CO_TRY(out.fee, compute::fee_for(out.usage, svc.prices()));
        {
            const std::string pk = prov.to_checksum_hex();
            const std::string_view who(o_.user);
            const policy::field pm[] = {{"provider", std::string_view(pk)}, {"model", std::string_view(out.model)}, {"user", who}};
            p_.telemetry.count("zerog_inference_fee_neuron_total", out.fee.to_double(), pm);
            const policy::field prompt[] = {{"provider", std::string_view(pk)}, {"model", std::string_view(out.model)}, {"type", "prompt"}, {"user", who}};
            p_.telemetry.count("zerog_inference_tokens_total", double(out.usage.prompt_tokens), prompt);
            const policy::field completion[] = {{"provider", std::string_view(pk)}, {"model", std::string_view(out.model)}, {"type", "completion"}, {"user", who}};
            p_.telemetry.count("zerog_inference_tokens_total", double(out.usage.completion_tokens), completion);
            const policy::field pay[] = {{"kind", "inference"}, {"outcome", "ok"}};
            p_.telemetry.count("zerog_payments_total", 1, pay);
        }
        hold.commit(policy::budget_kind::spend, out.fee);
        hold.commit(policy::budget_kind::tokens, uint256(out.usage.prompt_tokens) + uint256(out.usage.completion_tokens));
        hold.commit(policy::budget_kind::requests);
        ZEROG_CO_CHECK(co_await persist(p_, "persistence.add_spend",
            [&] { return p_.persistence.add_spend(user().to_checksum_hex(), prov.to_checksum_hex(), out.fee); }));
        {
            std::lock_guard lk(m_);
            auto& s = state_[prov.to_lower_hex()];
            if (auto sum = checked_add(s.spent_since, out.fee)) s.spent_since = *sum;
        }

        if (o_.verify != verification::off) {
            auto v = co_await verify(svc, base, out, deadline);
            if (!v) {
                const policy::field k[] = {{"kind", "inference_signature"}};
                p_.telemetry.count("zerog_verification_failures_total", 1, k);
                out.verified = false;
                out.verification_error = v.error().message();
                if (o_.verify == verification::strict) co_return fail(std::move(v).error());
            } else {
                out.verified = true;
            }
        }
        co_return out;
    }

    // Fetch the TEE signature of `out.chat_id` and check it against the service's TEE signer
    // and the exact bodies exchanged. Sets out.verdict when a signature was checked.
    asio::awaitable<result<void>> verify(const compute_service& svc, const std::string& base, chat_result& out, zerog::steady_time deadline) {
        if (out.chat_id.empty()) co_return fail(errc::verification_failed, "response carries no chat key (ZG-Res-Key) to verify");
        ZEROG_CO_TRY(std::string path, compute::signature_path(out.chat_id, svc.model));
        net::http_request q;
        q.method = "GET";
        q.url = base + path;
        q.options = http_options(deadline);
        q.options.accept_any_status = false;
        ZEROG_CO_TRY(auto res, co_await exchange("compute.signature", std::move(q), deadline));
        ZEROG_CO_TRY(auto sig, compute::parse_signature_response(res.body));
        const compute::exchanged_bodies bodies{out.request_body, out.response_body};
        auto chk = compute::check_response_signature(sig, svc.tee_signer, bodies);
        out.verdict = chk.verdict;
        if (!chk.ok()) co_return fail(std::move(chk.error));
        co_return result<void>{};
    }

    Policies p_;
    /// Orders the RPC endpoints and the providers an inference fails over to (health, latency).
    policy::endpoint_selector<typename Policies::breaker_type, typename Policies::clock_type> selector_{{}, &p_.breaker, {}, p_.clock};
    compute_client_options o_;
    compute_chain<Policies> chain_;
    cache_type tokens_;
    std::mutex m_;
    std::map<std::string, provider_state> state_;  // by lower-case hex address
    policy::budget_ledger* budget_ = nullptr;
    net::blocking_runner run_;
};

}  // namespace zerog::client
