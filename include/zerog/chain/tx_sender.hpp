// chain::tx_sender: sends logical transactions for one key and waits until they are mined.
//
// For each `send(tx_request)`:
//   1. chain-id check (once, cached): eth_chainId must equal the configured chain id, else
//      errc::chain_id_mismatch and nothing is estimated, signed or sent;
//   2. idempotency: with a key, the store is consulted first; if hashes were already sent for the
//      key, their receipts are looked up and a mined one is returned (`reused`), a pending one is
//      re-broadcast and awaited. Nothing new is sent while an earlier hash may still be mined;
//   3. gas: `gas_limit` or eth_estimateGas + `gas_margin_percent` (a revert fails here, with the
//      decoded reason, before a nonce is taken);
//   4. fees: EIP-1559 when the latest block has a baseFeePerGas (maxFee = 2·baseFee + tip), else
//      legacy eth_gasPrice; capped by `max_fee_cap`;
//   5. nonce from the shared `nonce_allocator` (seeded from the pending count; resynced on "nonce
//      too low"); the hash is recorded in the store BEFORE broadcast;
//   6. eth_sendRawTransaction; "underpriced" → fee bump (≥ +12.5 %, nodes' replacement rule) and
//      again, up to `max_bumps`; a definite rejection returns the nonce (release or fill, no gap);
//      an ambiguous failure (timeout, connection lost) keeps the nonce and goes on to step 7;
//   7. receipt wait until the deadline: poll every hash sent, re-broadcast every
//      `rebroadcast_interval`, bump the fee after `bump_after` without a receipt;
//   8. status 0 → eth_call at the receipt's block to decode the reason → errc::reverted.
// Deadline passed without a receipt: errc::tx_not_mined naming the nonce and the hashes (the
// transaction may still be mined later: retry with the same idempotency key).
//
// Thread safety: `send` may run concurrently from many coroutines (any executors) on one sender;
// that is the point of the shared allocator. The sender must outlive its coroutines. Errors name
// the nonce, tx hashes and endpoint, never the key.
#pragma once

#include <zerog/chain/detail/tx_state.hpp>
#include <zerog/chain/eth_client.hpp>
#include <zerog/chain/transaction.hpp>
#include <zerog/net/co_try.hpp>

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <memory>

namespace zerog::chain {

/// One logical transaction. Value type.
struct tx_request {
    std::optional<crypto::address> to;  ///< nullopt: contract creation
    uint256 value;
    bytes data;
    std::optional<std::uint64_t> gas_limit;  ///< set: used as is, no estimation
    std::string idempotency_key;             ///< empty: no idempotency (every call sends)
};

/// How a tx_sender prices and waits. Value type.
struct tx_sender_options {
    std::uint64_t chain_id = 0;       ///< the chain we must be talking to (required, non-zero)
    unsigned gas_margin_percent = 20;  ///< estimate × (100 + margin) / 100
    unsigned bump_permille = 125;      ///< fee increase per bump, at least 125 (12.5 %)
    unsigned max_bumps = 5;
    std::optional<uint256> max_fee_cap;  ///< upper bound of maxFeePerGas / gasPrice
    enum class fee_mode { automatic, eip1559, legacy } mode = fee_mode::automatic;
    std::chrono::milliseconds timeout{120'000};             ///< whole send, receipt included
    std::chrono::milliseconds poll_interval{200};
    std::chrono::milliseconds rebroadcast_interval{5'000};
    std::chrono::milliseconds bump_after{20'000};           ///< no receipt this long → bump
};

/// The result of a mined, successful logical transaction.
struct tx_outcome {
    hash256 tx_hash;  ///< the hash that was mined
    std::uint64_t nonce = 0;
    receipt rcpt;
    std::vector<hash256> hashes;  ///< every hash signed for it (bumps add hashes)
    bool reused = false;          ///< answered from the idempotency record: nothing was sent
};

/// A fee quote: EIP-1559 (max_fee, tip) or legacy (gas_price in max_fee).
struct fee_quote {
    bool eip1559 = true;
    uint256 max_fee;  ///< maxFeePerGas, or gasPrice for legacy
    uint256 tip;      ///< maxPriorityFeePerGas (EIP-1559 only)
};

/// x · (1000 + permille) / 1000, rounded up, and at least x + 1.
inline uint256 bumped(const uint256& x, unsigned permille) {
    std::uint64_t rem = 0;
    const uint256 q = (x * uint256(1000 + permille) + uint256(999)).divmod_u64(1000, rem);
    return q > x ? q : x + uint256(1);
}

/// Sends logical transactions for the key held by `S`. See the file comment.
template <net::Transport T, crypto::Signer S, IdempotencyStore Store = memory_idempotency_store>
class tx_sender {
public:
    tx_sender(eth_client<T> client, S signer, tx_sender_options opts,
              std::shared_ptr<Store> store = std::make_shared<Store>())
        : client_(std::move(client)), signer_(std::move(signer)), opts_(std::move(opts)), store_(std::move(store)) {
        opts_.bump_permille = std::max(opts_.bump_permille, 125u);
    }
    tx_sender(const tx_sender&) = delete;
    tx_sender& operator=(const tx_sender&) = delete;

    /// Send `req` and wait for its receipt (see the file comment).
    asio::awaitable<result<tx_outcome>> send_async(tx_request req) {
        const auto deadline = std::chrono::steady_clock::now() + opts_.timeout;
        auto r = co_await send_impl(std::move(req), deadline);
        if (!r) co_return std::move(r).error().during("sending a transaction").at(client_.url());
        co_return std::move(r);
    }
    /// Blocking facade over `send` (one io_context per sender; concurrent calls serialise).
    result<tx_outcome> send(tx_request req) { return runner_.run(send_async(std::move(req))); }

    /// Current fee suggestion (the mode detection of step 4).
    asio::awaitable<result<fee_quote>> suggest_fees(std::optional<zerog::steady_time> deadline = std::nullopt) {
        auto ro = request_opts(deadline);
        bool eip = opts_.mode == tx_sender_options::fee_mode::eip1559;
        std::optional<uint256> base;
        if (opts_.mode != tx_sender_options::fee_mode::legacy) {
            ZEROG_CO_TRY(auto head, co_await client_.get_block_header_async(block_tag::latest(), ro));
            if (head && head->base_fee_per_gas) base = head->base_fee_per_gas;
            eip = base.has_value();
        }
        fee_quote q;
        q.eip1559 = eip;
        if (eip) {
            auto tip = co_await client_.max_priority_fee_per_gas_async(ro);
            q.tip = tip ? *tip : uint256(1'000'000'000);  // nodes without the method: 1 gwei
            q.max_fee = *base * uint256(2) + q.tip;
        } else {
            ZEROG_CO_TRY(q.max_fee, co_await client_.gas_price_async(ro));
        }
        cap(q);
        co_return q;
    }

    const crypto::address& address() const { return from_; }
    nonce_allocator& nonces() noexcept { return nonces_; }
    Store& store() noexcept { return *store_; }
    /// True while a send with this idempotency key runs on this sender (another coroutine's).
    bool in_flight(const std::string& key) {
        std::lock_guard lk(keys_m_);
        return keys_.count(key) != 0;
    }
    eth_client<T>& client() noexcept { return client_; }
    const tx_sender_options& options() const noexcept { return opts_; }

private:
    // Everything one logical transaction carries through the steps.
    struct flight {
        tx_request req;
        std::uint64_t gas = 0;
        fee_quote fees;
        idempotency_record rec;
        bytes raw;  ///< newest signed transaction
        unsigned bumps = 0;
        bool accepted = false;  ///< a hash at the current nonce reached (or may have reached) the node
    };

    net::request_options request_opts(std::optional<zerog::steady_time> deadline) {
        return deadline ? client_.options_until(*deadline) : client_.rpc().options().request;
    }
    static bool expired(zerog::steady_time deadline) { return std::chrono::steady_clock::now() >= deadline; }

    // Whether a failed eth_sendRawTransaction may still have reached the node's pool: the request
    // was (possibly) delivered and the answer lost. A node's verdict or a refused connection is
    // definite: the transaction is not in the pool and its nonce can be given back.
    static bool maybe_received(const zerog::error& e) {
        const auto& c = e.code();
        if (c.category() != zerog_category()) return c != boost::system::errc::operation_canceled;
        switch (static_cast<errc>(c.value())) {
        case errc::timeout:
        case errc::deadline_exceeded:
        case errc::connection_closed:
        case errc::io_error:
        case errc::server_error:
        case errc::malformed_response:
        case errc::response_too_large:
            return true;
        default:
            return false;
        }
    }

    void cap(fee_quote& q) const {
        if (opts_.max_fee_cap && q.max_fee > *opts_.max_fee_cap) q.max_fee = *opts_.max_fee_cap;
        if (q.tip > q.max_fee) q.tip = q.max_fee;
    }

    static asio::awaitable<void> sleep_until(zerog::steady_time t) {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        timer.expires_at(t);
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }

    zerog::error in_flight(zerog::error e, const flight& f) const {
        e.with("nonce", std::to_string(f.rec.nonce));
        if (!f.rec.hashes.empty()) e.with("tx", to_hex(f.rec.hashes.back()));
        if (!f.req.idempotency_key.empty()) e.with("key", f.req.idempotency_key);
        return e;
    }

    asio::awaitable<result<void>> check_chain(zerog::steady_time deadline) {
        if (chain_ok_.load()) co_return result<void>();
        if (opts_.chain_id == 0)
            co_return fail(errc::invalid_argument, "tx_sender_options::chain_id is not set (the expected chain id is required)");
        ZEROG_CO_TRY(const std::uint64_t id, co_await client_.chain_id_async(client_.options_until(deadline)));
        if (id != opts_.chain_id)
            co_return fail(zerog::error(errc::chain_id_mismatch, "endpoint serves chain " + std::to_string(id) + ", expected " +
                                                                     std::to_string(opts_.chain_id) + "; nothing was sent")
                               .during("checking the chain id"));
        chain_ok_.store(true);
        co_return result<void>();
    }

    // Claims `key` for this coroutine (a second concurrent send of one key would double-send).
    struct key_claim {
        tx_sender* s = nullptr;
        std::string key;
        ~key_claim() {
            if (!s) return;
            std::lock_guard lk(s->keys_m_);
            s->keys_.erase(key);
        }
    };

    asio::awaitable<result<tx_outcome>> send_impl(tx_request req, zerog::steady_time deadline) {
        ZEROG_CO_CHECK(co_await check_chain(deadline));
        flight f;
        f.req = std::move(req);
        key_claim claim;
        if (!f.req.idempotency_key.empty()) {
            {
                std::lock_guard lk(keys_m_);
                if (!keys_.insert(f.req.idempotency_key).second)
                    co_return fail(zerog::error(errc::state_conflict, "a send with this idempotency key is already in progress")
                                       .with("key", f.req.idempotency_key));
            }
            claim.s = this;
            claim.key = f.req.idempotency_key;
            ZEROG_CO_TRY(auto found, store_->find(f.req.idempotency_key));
            if (found && !found->hashes.empty()) {
                f.rec = std::move(*found);
                auto resumed = co_await resume(f, deadline);
                if (!resumed) co_return std::move(resumed).error();
                if (*resumed) co_return std::move(**resumed);
                // Our earlier transaction can no longer be mined (its nonce went to another one):
                // sending anew cannot double-send.
                f.rec.hashes.clear();
                f.rec.last_raw.clear();
            }
            f.rec.key = f.req.idempotency_key;
        }
        // 3. gas
        if (f.req.gas_limit) {
            f.gas = *f.req.gas_limit;
        } else {
            call_request c;
            c.from = address();
            c.to = f.req.to;
            c.data = f.req.data;
            c.value = f.req.value;
            ZEROG_CO_TRY(const std::uint64_t est, co_await client_.estimate_gas_async(std::move(c), client_.options_until(deadline)));
            f.gas = est + est * opts_.gas_margin_percent / 100;
        }
        // 4. fees
        ZEROG_CO_TRY(f.fees, co_await suggest_fees(deadline));
        // 5. nonce
        if (!nonces_.seeded()) {
            ZEROG_CO_TRY(const std::uint64_t pending, co_await client_.get_transaction_count_async(address(), block_tag::pending(),
                                                                                               client_.options_until(deadline)));
            nonces_.seed(pending);
        }
        f.rec.nonce = nonces_.acquire();
        // 6. broadcast (with underpriced bumps and nonce resyncs)
        for (unsigned resyncs = 0;;) {
            if (auto signed_ok = co_await sign_and_record(f); !signed_ok) {
                if (!f.accepted && !nonces_.release(f.rec.nonce)) nonces_.reuse(f.rec.nonce);
                co_return std::move(signed_ok).error();
            }
            auto sent = co_await client_.send_raw_transaction_async(f.raw, client_.options_until(deadline));
            if (sent || sent.error().is(errc::already_exists)) break;
            zerog::error e = std::move(sent).error();
            if (e.is(errc::underpriced) && f.bumps < opts_.max_bumps && !expired(deadline)) {
                if (co_await bump(f, deadline)) continue;
            }
            if (e.is(errc::nonce_conflict) && !f.accepted && resyncs < 5 && !expired(deadline)) {
                // Another process used this nonce: resync from the node and take a fresh one. The
                // rejected hashes can never be mined, so the record forgets them.
                ++resyncs;
                auto pending = co_await client_.get_transaction_count_async(address(), block_tag::pending(), client_.options_until(deadline));
                if (!pending) co_return in_flight(std::move(pending).error(), f);
                nonces_.resync(std::max(*pending, f.rec.nonce + 1));
                f.rec.nonce = nonces_.acquire();
                f.rec.hashes.clear();
                continue;
            }
            if (f.accepted) break;  // an earlier hash at this nonce is with the node: wait for it
            if (maybe_received(e)) break;  // ambiguous: the node may have it; wait and re-broadcast
            co_await give_back_nonce(f.rec.nonce, f.fees, deadline);
            co_return in_flight(std::move(e), f);
        }
        f.accepted = true;
        // 7. wait
        co_return co_await wait_mined(f, deadline);
    }

    // Sign the flight's transaction at its nonce and fees; record the hash before any broadcast.
    asio::awaitable<result<void>> sign_and_record(flight& f) {
        transaction tx;
        if (f.fees.eip1559) {
            eip1559_tx t;
            t.chain_id = opts_.chain_id;
            t.nonce = f.rec.nonce;
            t.max_priority_fee_per_gas = f.fees.tip;
            t.max_fee_per_gas = f.fees.max_fee;
            t.gas = f.gas;
            t.to = f.req.to;
            t.value = f.req.value;
            t.data = f.req.data;
            tx = std::move(t);
        } else {
            legacy_tx t;
            t.chain_id = opts_.chain_id;
            t.nonce = f.rec.nonce;
            t.gas_price = f.fees.max_fee;
            t.gas = f.gas;
            t.to = f.req.to;
            t.value = f.req.value;
            t.data = f.req.data;
            tx = std::move(t);
        }
        auto signed_tx = sign_transaction(tx, signer_);
        if (!signed_tx) co_return in_flight(std::move(signed_tx).error(), f);
        f.raw = std::move(signed_tx->raw);
        f.rec.hashes.push_back(signed_tx->hash);
        f.rec.last_raw = f.raw;
        if (!f.rec.key.empty()) {
            auto put = store_->put(f.rec);
            if (!put) {
                f.rec.hashes.pop_back();
                co_return in_flight(std::move(put).error().during("recording the transaction before broadcast"), f);
            }
        }
        co_return result<void>();
    }

    // Raise the fees by bump_permille (or to the current suggestion if higher), within the cap.
    // false: the cap leaves no room for a valid replacement.
    asio::awaitable<bool> bump(flight& f, zerog::steady_time deadline) {
        fee_quote next = f.fees;
        next.max_fee = bumped(f.fees.max_fee, opts_.bump_permille);
        next.tip = f.fees.eip1559 ? bumped(f.fees.tip, opts_.bump_permille) : uint256();
        if (auto fresh = co_await suggest_fees(deadline); fresh && fresh->eip1559 == f.fees.eip1559) {
            next.max_fee = std::max(next.max_fee, fresh->max_fee);
            next.tip = std::max(next.tip, fresh->tip);
        }
        if (next.tip > next.max_fee) next.max_fee = next.tip;
        cap(next);
        const uint256 need = bumped(f.fees.max_fee, 125);
        if (next.max_fee < need || (f.fees.eip1559 && next.tip < bumped(f.fees.tip, 125))) co_return false;
        f.fees = next;
        ++f.bumps;
        co_return true;
    }

    // A nonce taken but never broadcast: hand it back, or fill it so later nonces are not stuck.
    asio::awaitable<void> give_back_nonce(std::uint64_t n, fee_quote fees, zerog::steady_time deadline) {
        if (nonces_.release(n)) co_return;
        flight filler;
        filler.req.to = address();
        filler.gas = intrinsic_gas;
        filler.fees = fees;
        filler.rec.nonce = n;
        if (co_await sign_and_record(filler)) {
            auto sent = co_await client_.send_raw_transaction_async(filler.raw, client_.options_until(deadline));
            if (sent || sent.error().is(errc::already_exists) || sent.error().is(errc::nonce_conflict)) co_return;
        }
        nonces_.reuse(n);
    }

    // Step 2: receipts of every recorded hash; a pending one is re-broadcast and awaited.
    // Value: the outcome; nullopt: our nonce went to a transaction that is not ours (send anew).
    asio::awaitable<result<std::optional<tx_outcome>>> resume(flight& f, zerog::steady_time deadline) {
        for (auto it = f.rec.hashes.rbegin(); it != f.rec.hashes.rend(); ++it) {
            auto r = co_await client_.get_transaction_receipt_async(*it, client_.options_until(deadline));
            if (!r) co_return in_flight(std::move(r).error(), f);
            if (*r) {
                auto out = co_await finish(f, std::move(**r), deadline);
                if (!out) co_return std::move(out).error();
                out->reused = true;
                co_return std::optional<tx_outcome>(std::move(*out));
            }
        }
        f.raw = f.rec.last_raw;
        if (!f.raw.empty()) {
            auto sent = co_await client_.send_raw_transaction_async(f.raw, client_.options_until(deadline));
            if (!sent && sent.error().is(errc::nonce_conflict)) {
                // The nonce is used. By one of ours mined in the meantime, or by someone else.
                for (const auto& h : f.rec.hashes) {
                    auto r = co_await client_.get_transaction_receipt_async(h, client_.options_until(deadline));
                    if (!r) co_return in_flight(std::move(r).error(), f);
                    if (*r) {
                        auto out = co_await finish(f, std::move(**r), deadline);
                        if (!out) co_return std::move(out).error();
                        out->reused = true;
                        co_return std::optional<tx_outcome>(std::move(*out));
                    }
                }
                co_return std::optional<tx_outcome>();
            }
        }
        // Still pending (or the node lost it and took it back): wait, without new fees.
        f.bumps = opts_.max_bumps;
        auto out = co_await wait_mined(f, deadline);
        if (!out) co_return std::move(out).error();
        co_return std::optional<tx_outcome>(std::move(*out));
    }

    // Step 7.
    asio::awaitable<result<tx_outcome>> wait_mined(flight& f, zerog::steady_time deadline) {
        using clock = std::chrono::steady_clock;
        auto next_rebroadcast = clock::now() + opts_.rebroadcast_interval;
        auto next_bump = clock::now() + opts_.bump_after;
        std::chrono::nanoseconds poll_delay = std::min<std::chrono::nanoseconds>(opts_.poll_interval, std::chrono::milliseconds(25));
        std::optional<zerog::error> last_error;
        while (true) {
            for (auto it = f.rec.hashes.rbegin(); it != f.rec.hashes.rend(); ++it) {
                auto r = co_await client_.get_transaction_receipt_async(*it, client_.options_until(deadline));
                if (!r) { last_error = std::move(r).error(); break; }
                if (*r) co_return co_await finish(f, std::move(**r), deadline);
            }
            const auto now = clock::now();
            if (now >= deadline) break;
            if (now >= next_bump && f.bumps < opts_.max_bumps) {
                next_bump = now + opts_.bump_after;
                bytes previous = f.raw;
                if (co_await bump(f, deadline)) {
                    if (auto signed_ok = co_await sign_and_record(f); !signed_ok) co_return std::move(signed_ok).error();
                    auto sent = co_await client_.send_raw_transaction_async(f.raw, client_.options_until(deadline));
                    if (!sent && !sent.error().is(errc::already_exists)) {
                        // A definitely rejected replacement (e.g. still underpriced): the previous
                        // transaction stays the one to re-broadcast; the fees stay raised so the
                        // next bump goes higher still.
                        last_error = std::move(sent).error();
                        if (!maybe_received(*last_error)) f.raw = std::move(previous);
                    }
                    next_rebroadcast = clock::now() + opts_.rebroadcast_interval;
                }
            } else if (now >= next_rebroadcast && !f.raw.empty()) {
                next_rebroadcast = now + opts_.rebroadcast_interval;
                auto sent = co_await client_.send_raw_transaction_async(f.raw, client_.options_until(deadline));
                if (!sent && !sent.error().is(errc::already_exists)) last_error = std::move(sent).error();
            }
            // Adaptive: 25 ms after the first miss, ×1.5 up to poll_interval (a fast chain is seen
            // at once, a slow one costs a few extra receipt calls).
            co_await sleep_until(std::min(clock::now() + poll_delay, deadline));
            poll_delay = std::min<std::chrono::nanoseconds>(opts_.poll_interval, poll_delay * 3 / 2);
        }
        std::string d = "no receipt within " + std::to_string(opts_.timeout.count()) + " ms for " +
                        std::to_string(f.rec.hashes.size()) + " hash(es):";
        for (const auto& h : f.rec.hashes) d += " " + to_hex(h);
        if (last_error) d += "; last error: " + last_error->message();
        co_return in_flight(zerog::error(errc::tx_not_mined, std::move(d)), f);
    }

    // Step 8 and bookkeeping once a receipt is there.
    asio::awaitable<result<tx_outcome>> finish(flight& f, receipt rc, zerog::steady_time deadline) {
        f.rec.mined = rc.transaction_hash;
        if (!f.rec.key.empty()) (void)store_->put(f.rec);  // best effort: the chain already has it
        if (!rc.status) {
            call_request c;
            c.from = rc.from;
            c.to = rc.to;
            c.data = f.req.data;
            c.value = f.req.value;
            if (f.gas) c.gas = f.gas;
            const std::uint64_t block = rc.block_number;
            auto replay = co_await client_.call_async(std::move(c), block_tag::number(block), client_.options_until(deadline));
            std::string why = replay                              ? "eth_call at the same block did not reproduce the revert"
                              : replay.error().is(errc::reverted) ? replay.error().detail()
                                                                  : "reason unavailable: " + replay.error().message();
            zerog::error e(errc::reverted, std::move(why));
            e.during("transaction mined with status 0").with("block", std::to_string(block)).with("tx", to_hex(rc.transaction_hash));
            co_return e;
        }
        tx_outcome out;
        out.tx_hash = rc.transaction_hash;
        out.nonce = f.rec.nonce;
        out.hashes = f.rec.hashes;
        out.rcpt = std::move(rc);
        co_return out;
    }

    eth_client<T> client_;
    S signer_;
    crypto::address from_ = signer_.address();
    tx_sender_options opts_;
    std::shared_ptr<Store> store_;
    nonce_allocator nonces_;
    std::atomic<bool> chain_ok_{false};
    std::mutex keys_m_;
    std::set<std::string> keys_;
    net::blocking_runner runner_;
};

}  // namespace zerog::chain
