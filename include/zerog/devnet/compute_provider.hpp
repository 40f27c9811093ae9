// The compute provider emulator: an in-process 0G Compute provider (G3 broker, docs/protocol/compute.md §4)
// on 127.0.0.1 for the devnet and for tests of our compute client.
//
// Start: listen, register the service on InferenceServing (addOrUpdateService with the real
// ServiceParams tuple, staking 100 0G the first time; Service.url = our URL), then, when an owner
// key is given, acknowledgeTEESignerByOwner (compute_provider_chain.hpp).
//
// Routes:
//   POST /v1/proxy/chat/completions   OpenAI chat completions, JSON or SSE (compute_provider_chat.hpp:
//                                     ROT13 of the prompt, documented tokenizer, usage); response
//                                     header ZG-Res-Key = the chat key (a UUID, ≠ the body's id)
//   GET  /v1/proxy/signature/{key}    {"text","signature","signing_address","signing_algo":"ecdsa"};
//                                     ?model= must be ours when given. text =
//                                     hex(sha256(request body)) ":" hex(sha256(response body)),
//                                     EIP-191-signed by the TEE key; for streams the response body is
//                                     the concatenated SSE frames including "data: [DONE]\n\n"
//   GET  /v1/user/{addr}/unsettledfee {"unsettledFee":"<neuron>"} (same Authorization; we never
//                                     settle, so it is the sum of the fees served to addr)
//   POST /                            JSON-RPC "devnet_providerStatus" = status_json() (readiness for
//                                     `devnet up`: "method not found" until registration is done)
//
// Request validation, in the Go broker's order (ValidateSession, validateTokenRevocation,
// ValidateRequestWithEstimatedFee), each refusal as {"error":"<broker text>"}:
//   401  Authorization not "Bearer app-sk-…", bad base64/JSON/signature encoding, foreign provider,
//        ephemeral rules, expired, generation older/newer than on chain, API-key id revoked in
//        revokedBitmap, signature not by token.address ("signature verification failed: address
//        mismatch"), nonce replayed for a different request (our hardening, `replay_mode`)
//   400  "get account from contract, account not exist", "user not acknowledge the provider, …",
//        "service not acknowledge the tee signer", "insufficient balance: your locked balance is …"
//        (locked = balance − pendingRefund must cover 1 0G reserve + unsettled fees + this
//        request's fee; we know the answer in advance, so the fee is exact), bad body, other model
//   Status codes: the Go broker answers plain errors with 400 (errors.Response default); we use 401
//   for authentication failures so clients can tell "new token" from "fund the account".
// Account and service state come from the chain through a cache of `state_ttl`.
//
// Faults (faults.hpp, re-read on every request; `down` polled every 100 ms): none; down (listener
// closed: connections refused, reopened on the same port); error (500 {"error":"Internal Server
// Error"} on /v1 routes); slow (each /v1 answer delayed by `ms`); bad-signature (responses signed by
// `rogue_key` while signing_address still claims the TEE signer).
//
// Thread safety: run on one executor (single- or multi-threaded); shared state is under a mutex
// never held across a suspension. stop() from any thread.
#pragma once

#include <zerog/compute/pricing.hpp>
#include <zerog/compute/request.hpp>
#include <zerog/compute/response_signature.hpp>
#include <zerog/compute/session_token.hpp>
#include <zerog/devnet/compute_provider_chain.hpp>
#include <zerog/devnet/compute_provider_chat.hpp>
#include <zerog/devnet/compute_provider_config.hpp>
#include <zerog/devnet/faults.hpp>
#include <zerog/devnet/rpc_server.hpp>
#include <zerog/net/http_server.hpp>
#include <zerog/net/sync.hpp>

#include <boost/asio/detached.hpp>

#include <deque>
#include <map>
#include <memory>
#include <mutex>

namespace zerog::devnet {

/// A running provider emulator (see the file comment). Not copyable; stop() or destroy to end.
class compute_provider : public std::enable_shared_from_this<compute_provider> {
public:
    using pointer = std::shared_ptr<compute_provider>;

    /// Listen, register on chain, start the fault watcher. Errors: bad keys (invalid_argument),
    /// listen errors, chain errors (the listener is closed again on failure).
    static asio::awaitable<result<pointer>> async_start(asio::any_io_executor ex, compute_provider_config cfg) {
        auto p = pointer(new compute_provider(ex, std::move(cfg)));
        ZEROG_CO_CHECK(p->load_keys());
        ZEROG_CO_CHECK(p->listen());
        p->port_ = p->server_->port();
        if (p->cfg_.public_url.empty()) p->cfg_.public_url = "http://" + p->cfg_.listen_address + ":" + std::to_string(p->port_);
        if (p->cfg_.register_service) {
            provider_chain::service_params sp;
            sp.service_type = p->cfg_.service_type;
            sp.url = p->cfg_.public_url;
            sp.model = p->cfg_.model;
            sp.verifiability = p->cfg_.verifiability;
            sp.input_price = p->cfg_.input_price;
            sp.output_price = p->cfg_.output_price;
            sp.additional_info = p->cfg_.additional_info;
            sp.tee_signer = p->tee_->address();
            auto r = co_await provider_chain::register_service(p->rpc_, p->cfg_.chain_id, p->cfg_.serving, *p->provider_, std::move(sp),
                                                               p->owner_ ? &*p->owner_ : nullptr);
            if (!r) {
                p->stop();
                co_return fail(std::move(r).error().during("registering the provider service on InferenceServing"));
            }
        }
        asio::co_spawn(ex, watch_faults(p->weak_from_this()), asio::detached);
        p->ready_ = true;
        co_return p;
    }

    /// Blocking start on an io_context that is not running yet (`zerog devnet serve`): drives it
    /// until started, then returns; the caller then runs the context.
    static result<pointer> start(asio::io_context& ioc, compute_provider_config cfg) {
        // The outcome lives in shared state owned by the completion handler too, and we drive the
        // context until that handler has run: co_spawn completes *after* store_into returns, so a
        // handler referring to locals of this function would write into a dead frame once the
        // caller runs the context.
        struct outcome {
            std::optional<result<pointer>> value;
            std::exception_ptr failure;
            bool done = false;
        };
        auto st = std::make_shared<outcome>();
        asio::co_spawn(ioc, net::detail::store_into<pointer>(st->value, async_start(ioc.get_executor(), std::move(cfg))),
                       [st](std::exception_ptr ep) {
                           st->failure = ep;
                           st->done = true;
                       });
        while (!st->done)
            if (ioc.run_one() == 0) break;
        if (st->failure) return net::detail::from_exception(st->failure);
        if (!st->value) return fail(errc::internal, "compute provider start did not complete");
        return std::move(*st->value);
    }

    /// Start on an executor that other threads already run (tests: net::io_thread).
    static result<pointer> start_on(asio::any_io_executor ex, compute_provider_config cfg) {
        return net::run_on(ex, async_start(ex, std::move(cfg)));
    }

    ~compute_provider() { stop(); }

    /// Close the listener and end the fault watcher. Idempotent; any thread.
    void stop() {
        stopped_ = true;
        std::lock_guard lk(server_m_);
        if (server_) server_->stop();
    }

    std::string url() const { return cfg_.public_url; }
    std::uint16_t port() const noexcept { return port_; }
    const crypto::address& address() const { return provider_->address(); }
    const crypto::address& tee_address() const { return tee_->address(); }
    const compute_provider_config& config() const noexcept { return cfg_; }
    /// Sum of the fees served to `user` (the broker's unsettled fee; we never settle).
    uint256 unsettled_fee(const crypto::address& user) const {
        std::lock_guard lk(m_);
        auto it = unsettled_.find(user.to_lower_hex());
        return it == unsettled_.end() ? uint256(0) : it->second;
    }
    /// Completions answered so far.
    std::size_t completions() const { return completions_.load(); }

    /// The devnet.json `providers` entry: {"url","address","teeSigner","model","serviceType",
    /// "inputPrice","outputPrice"} (prices as decimal neuron strings).
    json::object status_json() const {
        json::object o;
        o["url"] = cfg_.public_url;
        o["address"] = address().to_checksum_hex();
        o["teeSigner"] = tee_address().to_checksum_hex();
        o["model"] = cfg_.model;
        o["serviceType"] = cfg_.service_type;
        o["inputPrice"] = cfg_.input_price.to_decimal();
        o["outputPrice"] = cfg_.output_price.to_decimal();
        return o;
    }

private:
    compute_provider(asio::any_io_executor ex, compute_provider_config cfg)
        : ex_(ex), cfg_(std::move(cfg)), rpc_(net::http_transport(), cfg_.rpc_url), port_(cfg_.port) {}

    struct timed_account {
        provider_chain::account_view view;
        std::chrono::steady_clock::time_point at;
    };
    struct replay_entry {
        std::string body_hash;
        std::int64_t expires_ms = 0;
    };
    /// An authenticated caller, or the refusal to send.
    struct auth_outcome {
        std::optional<net::server_response> refusal;
        compute::decoded_session_token token;
        provider_chain::account_view account;
    };

    result<void> load_keys() {
        auto key = [](const std::string& hex, const char* what) -> result<crypto::secp256k1_signer> {
            auto s = crypto::secp256k1_signer::from_hex(hex);
            if (!s) return fail(errc::invalid_argument, std::string("compute provider: invalid ") + what + " key");
            return std::move(*s);
        };
        ZEROG_TRY(auto p, key(cfg_.provider_key, "provider"));
        ZEROG_TRY(auto t, key(cfg_.tee_key, "TEE"));
        ZEROG_TRY(auto r, key(cfg_.rogue_key, "rogue"));
        provider_.emplace(std::move(p));
        tee_.emplace(std::move(t));
        rogue_.emplace(std::move(r));
        if (!cfg_.owner_key.empty()) {
            ZEROG_TRY(auto o, key(cfg_.owner_key, "owner"));
            owner_.emplace(std::move(o));
        }
        return {};
    }

    result<void> listen() {
        net::server_options o;
        o.address = cfg_.listen_address;
        o.port = port_;
        o.max_body_bytes = 16u << 20;
        std::weak_ptr<compute_provider> w = weak_from_this();
        auto h = [w](net::server_request req) -> asio::awaitable<net::server_response> {
            auto self = w.lock();
            if (!self) co_return error_response(503, "provider stopped");
            co_return co_await self->route(std::move(req));
        };
        ZEROG_TRY(auto srv, net::http_server::start(ex_, std::move(h), o));
        std::lock_guard lk(server_m_);
        server_.emplace(std::move(srv));
        return {};
    }

    static asio::awaitable<void> watch_faults(std::weak_ptr<compute_provider> w) {
        for (;;) {
            {
                auto s = w.lock();
                if (!s || s->stopped_) co_return;
                const bool down = s->fault().mode == "down";
                std::unique_lock lk(s->server_m_);
                if (down && s->server_) {
                    s->server_->stop();
                    s->server_.reset();
                } else if (!down && !s->server_) {
                    lk.unlock();
                    if (!s->listen()) { /* port briefly busy: retry on the next tick */ }
                }
            }
            co_await sleep_for(std::chrono::milliseconds(100));
        }
    }

    fault_state fault() const { return cfg_.fault_file.empty() ? fault_state{} : read_fault(cfg_.fault_file); }

    static net::server_response error_response(unsigned status, std::string_view msg) {
        json::object o;
        o["error"] = msg;
        return net::server_response::json(json::serialize(o), status);
    }

    static std::int64_t now_ms() {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    }

    asio::awaitable<net::server_response> route(net::server_request req) {
        const std::string_view target = req.target;
        const auto q = target.find('?');
        const std::string_view path = target.substr(0, q);
        const std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
        if (path == "/" && req.method == "POST") co_return status_rpc(req.body);
        if (path.substr(0, 4) != "/v1/") co_return error_response(404, "not found");
        const fault_state f = fault();
        if (f.mode == "down") {
            net::server_response r = error_response(503, "provider down");
            r.close = true;
            co_return r;
        }
        if (f.mode == "slow" && f.ms) co_await sleep_for(std::chrono::milliseconds(f.ms));
        if (f.mode == "error") co_return error_response(500, provider_messages::internal);
        const bool bad_sig = f.mode == "bad-signature";
        if (path == compute::chat_completions_path) {
            if (req.method != "POST") co_return error_response(405, "method not allowed");
            co_return co_await chat(std::move(req), bad_sig);
        }
        if (constexpr std::string_view sp = "/v1/proxy/signature/"; path.substr(0, sp.size()) == sp && req.method == "GET")
            co_return signature(path.substr(sp.size()), query);
        if (path.substr(0, 9) == "/v1/user/" && path.size() > 22 && path.substr(path.size() - 13) == "/unsettledfee" && req.method == "GET")
            co_return co_await unsettled(std::string(path.substr(9, path.size() - 22)), req);
        co_return error_response(404, "not found");
    }

    net::server_response status_rpc(const std::string& body) const {
        const json::object st = status_json();
        rpc_method m = [st](const json::array&) -> rpc_answer { return json::value(st); };
        // Not ready (method not found) until the service is registered and acknowledged: the
        // listener is already open during registration, and `devnet up` must not fund or
        // advertise a provider the chain does not know yet.
        auto lookup = [&m, this](std::string_view name) -> const rpc_method* {
            return name == "devnet_providerStatus" && ready_ ? &m : nullptr;
        };
        return net::server_response::json(dispatch(body, lookup));
    }

    /// On-chain account of (user, us), cached for state_ttl.
    asio::awaitable<result<provider_chain::account_view>> account_state(crypto::address user) {
        const auto now = std::chrono::steady_clock::now();
        {
            std::lock_guard lk(m_);
            auto it = accounts_.find(user.to_lower_hex());
            if (it != accounts_.end() && now - it->second.at < cfg_.state_ttl) co_return it->second.view;
        }
        ZEROG_CO_TRY(auto v, co_await provider_chain::read_account(rpc_, cfg_.serving, user, address()));
        std::lock_guard lk(m_);
        if (accounts_.size() > 4096) accounts_.clear();  // a devnet has few users; bound it anyway
        accounts_[user.to_lower_hex()] = timed_account{v, now};
        co_return v;
    }

    /// Our on-chain service, cached for state_ttl.
    asio::awaitable<result<provider_chain::service_view>> service_state() {
        const auto now = std::chrono::steady_clock::now();
        {
            std::lock_guard lk(m_);
            if (service_ && now - service_at_ < cfg_.state_ttl) co_return *service_;
        }
        ZEROG_CO_TRY(auto v, co_await provider_chain::read_service(rpc_, cfg_.serving, address()));
        std::lock_guard lk(m_);
        service_ = v;
        service_at_ = now;
        co_return v;
    }

    /// ValidateSession + validateTokenRevocation (spec §4.3 steps 1–6).
    asio::awaitable<auth_outcome> authenticate(const net::server_request& req) {
        auth_outcome out;
        const std::string header(req.header("Authorization").value_or(""));
        constexpr std::string_view prefix = "Bearer app-sk-";
        if (header.substr(0, prefix.size()) != prefix) {
            out.refusal = error_response(401, compute::broker_messages::invalid_header);
            co_return out;
        }
        auto d = compute::decode_session_token(header);
        if (!d) {
            out.refusal = error_response(401, d.error().detail());
            co_return out;
        }
        auto acc = co_await account_state(d->claims.address);
        if (!acc) {
            out.refusal = error_response(500, provider_messages::internal);
            co_return out;
        }
        compute::token_requirements rq;
        rq.provider = address();
        rq.now_ms = now_ms();
        // Go's validateTokenRevocation skips the check when the account is missing; the account
        // check after authentication then refuses the request anyway.
        if (acc->exists) rq.generation = acc->generation;
        rq.revoked_bitmap = acc->revoked_bitmap;
        auto chk = compute::check_session_token(header, rq);
        if (!chk.ok()) {
            out.refusal = error_response(401, chk.error.detail());
            co_return out;
        }
        out.token = std::move(chk.token);
        out.account = *acc;
        co_return out;
    }

    /// Replay rule (replay_mode::per_request): true if `t` may authorise a request with this body
    /// hash; with `record`, binds the nonce to it. Expired bindings are dropped as the map grows.
    bool replay_ok(const compute::decoded_session_token& t, const std::string& body_hash, bool record) {
        if (cfg_.replay == replay_mode::off || !t.claims.is_ephemeral()) return true;
        const std::string key = t.claims.address.to_lower_hex() + "\n" + t.claims.nonce;
        std::lock_guard lk(m_);
        auto it = replay_.find(key);
        if (it != replay_.end()) return it->second.body_hash == body_hash;
        if (!record) return true;
        if (replay_.size() > 65536) {
            const std::int64_t now = now_ms();
            std::erase_if(replay_, [now](const auto& kv) { return kv.second.expires_ms / 1000 < now / 1000; });
        }
        replay_.emplace(key, replay_entry{body_hash, t.claims.expires_at_ms});
        return true;
    }

    asio::awaitable<net::server_response> chat(net::server_request req, bool bad_sig) {
        auto who = co_await authenticate(req);
        if (who.refusal) co_return std::move(*who.refusal);
        const std::string body_hash = compute::sha256_hex(req.body);
        if (!replay_ok(who.token, body_hash, false)) co_return error_response(401, provider_messages::nonce_replayed);
        auto cr = chat::parse_chat_request(req.body);
        if (!cr) co_return error_response(400, cr.error().detail());
        if (!cr->model.empty() && cr->model != cfg_.model)
            co_return error_response(400, "model \"" + cr->model + "\" is not served by this provider (it serves \"" + cfg_.model + "\")");
        const chat::chat_answer ans = chat::answer(*cr);
        const compute::service_prices prices{cfg_.input_price, cfg_.output_price};
        auto fee = compute::fee_for(ans.usage, prices);
        if (!fee) co_return error_response(400, fee.error().detail());

        // ValidateRequestWithEstimatedFee
        const provider_chain::account_view& acc = who.account;
        if (!acc.exists) co_return error_response(400, provider_messages::account_not_exist);
        if (!acc.acknowledged) co_return error_response(400, provider_messages::user_not_acknowledged);
        auto svc = co_await service_state();
        if (!svc) co_return error_response(500, provider_messages::internal);
        if (!svc->exists || !svc->tee_signer_acknowledged) co_return error_response(400, provider_messages::service_not_acknowledged);
        const std::string user_key = who.token.claims.address.to_lower_hex();
        std::string shortfall;  // built under the lock, answered outside it
        {
            std::lock_guard lk(m_);
            const auto u = unsettled_.find(user_key);
            const uint256 unsettled = u == unsettled_.end() ? uint256(0) : u->second;
            const uint256 need = cfg_.min_locked_balance + unsettled + *fee;
            if (acc.locked() < need)
                shortfall = "insufficient balance: your locked balance is " + format_0g_6(acc.locked()) + " 0G, but the required minimum is " +
                            format_0g_6(need) + " 0G (breakdown: minimum reserve " + format_0g_6(cfg_.min_locked_balance) +
                            " 0G + unsettled fees " + format_0g_6(unsettled) + " 0G + current request fee " + format_0g_6(*fee) +
                            " 0G). Please add more funds with: 0g-compute-cli transfer-fund --provider " + address().to_checksum_hex() +
                            " --amount <amount>";
        }
        if (!shortfall.empty()) co_return error_response(400, shortfall);
        if (!replay_ok(who.token, body_hash, true)) co_return error_response(401, provider_messages::nonce_replayed);
        {
            std::lock_guard lk(m_);
            unsettled_[user_key] = unsettled_[user_key] + *fee;
        }
        completions_.fetch_add(1);

        const std::string chat_key = new_uuid();
        const std::string id = "chatcmpl-" + new_uuid();
        const std::int64_t created = now_ms() / 1000;
        if (!cr->stream) {
            std::string body = chat::completion_body(id, created, cfg_.model, ans);
            record_signature(chat_key, req.body, body, bad_sig);
            net::server_response r = net::server_response::json(std::move(body));
            add_headers(r, chat_key);
            co_return r;
        }
        auto events = std::make_shared<const std::vector<std::string>>(chat::stream_events(id, created, cfg_.model, ans));
        std::weak_ptr<compute_provider> w = weak_from_this();
        auto request_body = std::make_shared<const std::string>(std::move(req.body));
        net::server_response r = net::server_response::sse([w, events, request_body, chat_key, bad_sig](net::stream_writer& out) {
            return stream_body(w, events, request_body, chat_key, bad_sig, out);
        });
        add_headers(r, chat_key);
        co_return r;
    }

    /// Writes the SSE frames, then signs exactly the bytes written (a complete stream only).
    static asio::awaitable<void> stream_body(std::weak_ptr<compute_provider> w, std::shared_ptr<const std::vector<std::string>> events,
                                             std::shared_ptr<const std::string> request_body, std::string chat_key, bool bad_sig,
                                             net::stream_writer& out) {
        std::string sent;
        for (const auto& e : *events) {
            if (!co_await out.write(e)) co_return;
            sent += e;
        }
        // Signed before the terminating chunk goes out, so a client that has the whole body can
        // already fetch the signature.
        if (auto self = w.lock()) self->record_signature(chat_key, *request_body, sent, bad_sig);
    }

    void add_headers(net::server_response& r, const std::string& chat_key) const {
        r.headers.emplace_back(std::string(compute::res_key_header), chat_key);
        r.headers.emplace_back("Provider", address().to_checksum_hex());
        r.headers.emplace_back("Access-Control-Expose-Headers", "ZG-Res-Key,Provider,content-encoding");
    }

    /// Sign sha256(request):sha256(response) and keep the answer for the signature endpoint.
    void record_signature(const std::string& chat_key, std::string_view request_body, std::string_view response_body, bool bad_sig) {
        auto signed_r = compute::sign_response(bad_sig ? *rogue_ : *tee_, request_body, response_body);
        if (!signed_r) return;  // cannot happen with a valid key; the lookup then answers 404
        signed_r->signing_address = tee_address();  // bad-signature: still claims the TEE signer
        std::string js = compute::to_json(*signed_r);
        std::lock_guard lk(m_);
        if (signature_order_.size() >= 100000) {
            signatures_.erase(signature_order_.front());
            signature_order_.pop_front();
        }
        signature_order_.push_back(chat_key);
        signatures_[chat_key] = std::move(js);
    }

    net::server_response signature(std::string_view chat_key, std::string_view query) {
        for (std::size_t pos = 0; pos < query.size();) {
            auto amp = query.find('&', pos);
            const std::string_view kv = query.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
            if (kv.substr(0, 6) == "model=" && !kv.substr(6).empty() && percent_decode(kv.substr(6)) != cfg_.model)
                return error_response(400, "model \"" + percent_decode(kv.substr(6)) + "\" is not served by this provider");
            if (amp == std::string_view::npos) break;
            pos = amp + 1;
        }
        const std::string key = percent_decode(chat_key);
        std::lock_guard lk(m_);
        auto it = signatures_.find(key);
        if (it == signatures_.end()) return error_response(404, "chat signature not found");
        return net::server_response::json(it->second);
    }

    asio::awaitable<net::server_response> unsettled(std::string addr, const net::server_request& req) {
        auto a = crypto::address::parse(percent_decode(addr));
        if (!a) co_return error_response(400, "invalid user address");
        auto who = co_await authenticate(req);
        if (who.refusal) co_return std::move(*who.refusal);
        if (who.token.claims.address != *a) co_return error_response(401, "session token is for a different user");
        json::object o;
        o["unsettledFee"] = unsettled_fee(*a).to_decimal();
        co_return net::server_response::json(json::serialize(o));
    }

    static std::string percent_decode(std::string_view s) {
        std::string out;
        for (std::size_t i = 0; i < s.size(); ++i) {
            auto hex = [](char c) -> int {
                if (c >= '0' && c <= '9') return c - '0';
                if (c >= 'a' && c <= 'f') return c - 'a' + 10;
                if (c >= 'A' && c <= 'F') return c - 'A' + 10;
                return -1;
            };
            if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
                out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
                i += 2;
            } else {
                out.push_back(s[i]);
            }
        }
        return out;
    }

    /// A random RFC 4122 version-4 UUID (the broker's chat keys are UUIDs).
    static std::string new_uuid() {
        fixed_bytes<16> b;
        if (!compute::os_random_bytes(std::span<byte>(b.data(), 16))) {
            static std::atomic<std::uint64_t> fallback{1};  // getrandom cannot fail after boot
            const std::uint64_t n = fallback.fetch_add(1);
            for (int i = 0; i < 8; ++i) b[i] = static_cast<byte>(n >> (8 * i));
        }
        b[6] = static_cast<byte>((b[6] & 0x0F) | 0x40);
        b[8] = static_cast<byte>((b[8] & 0x3F) | 0x80);
        const std::string h = to_hex(b, false);
        return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
    }

    asio::any_io_executor ex_;
    compute_provider_config cfg_;
    rpc_client rpc_;
    std::uint16_t port_;
    std::optional<crypto::secp256k1_signer> provider_, tee_, rogue_, owner_;
    std::mutex server_m_;
    std::optional<net::http_server> server_;
    std::atomic<bool> stopped_{false};
    std::atomic<bool> ready_{false};  ///< async_start finished (registration included)
    std::atomic<std::size_t> completions_{0};

    mutable std::mutex m_;  // guards everything below; never held across co_await
    std::map<std::string, timed_account> accounts_;
    std::optional<provider_chain::service_view> service_;
    std::chrono::steady_clock::time_point service_at_;
    std::map<std::string, replay_entry> replay_;
    std::map<std::string, uint256> unsettled_;
    std::map<std::string, std::string> signatures_;
    std::deque<std::string> signature_order_;
};

}  // namespace zerog::devnet
