// zerog::client::storage_client: validated, verified 0G Storage upload and download.
//
//   upload_async(path)        validate (before anything is paid) → select nodes for the replica
//                             count → root + submission in one pass → existence check → fee →
//                             submit once (double-payment guard) → log sync → segment upload →
//                             finality → verification (storage_upload.hpp)
//   download_async(root,out)  locate → parallel fetch with per-segment proofs and fail-over →
//                             part file → final root check → atomic rename; a transient failure
//                             keeps a resumable part file (rule in storage_download.hpp)
//   verify_async(root)        finality on the nodes + sampled segments verified against the root
//   repair_async(root, path)  segments of a paid file re-sent to the nodes that lost them (never pays)
//   rebuild_records_async()   submission records rebuilt from the Flow's Submit events of an
//                             account, checked on the nodes (storage_recovery.hpp)
//   estimate_async(path)      root + fee sectors computed locally, the Flow market's
//                             pricePerSector read from the chain: the fee an upload would pay now
//                             (nothing is signed or sent; chain reads only)
// Each has a blocking facade (`upload`, `download`, `verify`, `estimate`) over net::blocking_runner.
//
// Budgets (checklist §8): `use_budget(&ledger)` attaches a policy::budget_ledger (e.g. a
// budget_tracker; nullptr detaches; it must outlive the client's operations). An upload then
// reserves, under options().user and BEFORE the submission is recorded, signed or sent:
// spend = the fee (neuron), bytes_uploaded = the file (fragment) size, requests = 1. A refusal is
// errc::budget_exhausted / errc::quota_exceeded with the exact figures, and nothing is sent (no
// transaction, no segment). Settlement: spend is committed when the transaction is mined (also
// when the send failed after a transaction was signed: that money may be gone, and a re-run that
// resumes it reserves no spend again); bytes and the request when the segments are uploaded and
// finalized; everything else is released on failure. A re-run of a file already submitted (our
// record, the idempotency store or the nodes say so) reserves no spend; it reserves bytes and a
// request only when it still has segments to upload, and nothing when every node finalized the
// file. A file split into fragments reserves per fragment, before each fragment's submission.
//
// Every network call goes through client::guarded_call (telemetry → deadline → limiter → retry →
// breaker) with a deadline that never exceeds the operation's own (upload/download/finality
// timeouts); every wait and poll loop is bounded by it. Node answers are matched on the storage.md §7.3
// substrings ("already uploaded…" = success, "too many data writing" = back off).
//
// Never paying twice: before a transaction is signed the submission (root, network, fee, state)
// is written to the Persistence policy; every retry and re-run consults it and the nodes first,
// and the transaction goes through chain::tx_sender with the idempotency key
// "zerog-storage:<chainId>:<flow>:<root>", which resumes rather than re-sends.
//
// Thread safety: one operation at a time per client from the blocking facade (the runner
// serialises); the async API may run several operations concurrently on one single-threaded
// executor. The client must outlive its coroutines and is neither copyable nor movable.
#pragma once

#include <zerog/chain/tx_sender.hpp>
#include <zerog/client/endpoint_choice.hpp>
#include <zerog/client/persist.hpp>
#include <zerog/client/pipeline.hpp>
#include <zerog/core/ref.hpp>
#include <zerog/client/storage_common.hpp>
#include <zerog/client/tracing.hpp>
#include <zerog/net/co_try.hpp>
#include <zerog/net/jsonrpc.hpp>
#include <zerog/net/sync.hpp>
#include <zerog/policy/budget.hpp>
#include <zerog/policy/endpoint_selector.hpp>
#include <zerog/storage/data_source.hpp>
#include <zerog/storage/file_tree.hpp>
#include <zerog/storage/segment_proof.hpp>
#include <zerog/storage/upload_layout.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/steady_timer.hpp>

#include <filesystem>
#include <memory>
#include <vector>

namespace zerog::client {

namespace asio = boost::asio;

namespace storage_detail {
/// co_spawn completion for run_workers. A named type on purpose: with a lambda here, GCC 12 at
/// -O2 emits co_spawn_entry_point<…, lambda> into COMDAT groups that differ between TUs, and a
/// program with two TUs instantiating the storage client fails to link ("defined in discarded
/// section").
struct worker_done {
    std::shared_ptr<std::size_t> left;
    std::shared_ptr<asio::steady_timer> done;
    std::shared_ptr<std::vector<asio::cancellation_signal>> signals;  // kept alive for the slots
    void operator()(std::exception_ptr) const {
        if (--*left == 0) done->cancel();
    }
};

/// Run `n` copies of `worker(i)` on the current executor and wait for ALL of them, always: the
/// workers reference the caller's frame, so the caller must not resume before the last one ends.
/// When the caller is cancelled, the cancellation is forwarded to every worker (they stop at
/// their next await) and the wait goes on until they have ended. Returns true when cancelled.
template <class Worker>
asio::awaitable<bool> run_workers(std::size_t n, Worker worker) {
    // Our own waits must not throw on cancellation: we still have to collect the workers.
    co_await asio::this_coro::throw_if_cancelled(false);
    auto ex = co_await asio::this_coro::executor;
    auto left = std::make_shared<std::size_t>(n);
    auto done = std::make_shared<asio::steady_timer>(ex, asio::steady_timer::time_point::max());
    auto signals = std::make_shared<std::vector<asio::cancellation_signal>>(n);
    for (std::size_t i = 0; i < n; ++i)
        asio::co_spawn(ex, worker(i), asio::bind_cancellation_slot((*signals)[i].slot(), worker_done{left, done, signals}));
    bool cancelled = false;
    while (*left > 0) {
        co_await done->async_wait(asio::as_tuple(asio::use_awaitable));
        asio::cancellation_state cs = co_await asio::this_coro::cancellation_state;
        if (!cancelled && cs.cancelled() != asio::cancellation_type::none) {
            cancelled = true;
            for (auto& s : *signals) s.emit(asio::cancellation_type::terminal);
            co_await asio::this_coro::reset_cancellation_state();
        }
    }
    co_await asio::this_coro::throw_if_cancelled(true);
    co_return cancelled;
}
}  // namespace storage_detail

/// A storage node as the client sees it.
struct storage_node {
    std::string url;
    shard_config shard;
};

/// See the file comment. `Policies` is a client::policy_set.
template <class Policies>
class storage_client {
public:
    using transport_type = typename Policies::transport_type;
    using signer_type = typename Policies::signer_type;
    using persistence_type = typename Policies::persistence_type;
    /// The sender keeps its signed hashes in the client's Persistence model (durable with SQLite or
    /// PostgreSQL), so a re-run after a crash resumes instead of paying again.
    using sender_type = chain::tx_sender<transport_type, zerog::ref<const signer_type>, tx_store_for<persistence_type>>;

    /// From a policy set (movable policy sets only).
    storage_client(storage_client_options o, Policies p)
        requires std::is_move_constructible_v<Policies>
        : p_(std::move(p)), o_(std::move(o)) { init(); }
    /// From a factory returning the policy set by value: for policy sets that cannot move (the
    /// production mix; memory_persistence holds a mutex); guaranteed copy elision builds it in place.
    template <class Make>
        requires std::same_as<std::invoke_result_t<Make&>, Policies>
    storage_client(storage_client_options o, Make make) : p_(make()), o_(std::move(o)) { init(); }

private:
    void init() {
        o_.segments_per_call = std::clamp(o_.segments_per_call, 1u, 10u);
        o_.parallel = std::max(1u, o_.parallel);
        if (!o_.rpc_urls.empty()) {
            chain::tx_sender_options so;
            so.chain_id = o_.chain_id;
            so.timeout = o_.finality_timeout;
            auto store = [&] {
                if constexpr (persistence_remembers<persistence_type>)
                    return std::make_shared<tx_store_for<persistence_type>>(p_.persistence, [this](const chain::idempotency_record& r) {
                        if (!p_.telemetry.enabled(policy::log_level::debug) || r.hashes.empty()) return;
                        const std::string tx = to_hex(r.mined ? *r.mined : r.hashes.back()), nonce = std::to_string(r.nonce);
                        const policy::field f[] = {{"key", std::string_view(r.key)}, {"tx", std::string_view(tx)}, {"nonce", std::string_view(nonce)}};
                        p_.telemetry.log(policy::log_level::debug, r.mined ? "tx.mined" : "tx.signed", f);
                    });
                else return std::make_shared<tx_store_for<persistence_type>>();
            }();
            sender_ = std::make_unique<sender_type>(chain::eth_client<transport_type>(p_.transport, o_.rpc_urls, selected_by(selector_)),
                                                    zerog::ref<const signer_type>{&p_.signer}, so, std::move(store));
        }
    }

public:
    storage_client(const storage_client&) = delete;
    storage_client& operator=(const storage_client&) = delete;

    /// Progress callback (hashing, uploading, downloading bytes). Set before an operation.
    void on_progress(progress_fn f) { progress_ = std::move(f); }
    /// Budget of uploads (see the file comment); nullptr = none. Not owned; set between operations.
    void use_budget(policy::budget_ledger* ledger) noexcept { budget_ = ledger; }
    policy::budget_ledger* budget() const noexcept { return budget_; }

    asio::awaitable<result<upload_result>> upload_async(std::string path, upload_options opt = {});
    asio::awaitable<result<download_result>> download_async(hash256 root, std::string out, download_options opt = {});
    // Each public operation is one trace when the Telemetry model traces (client/tracing.hpp):
    // an operation span, a child per network call and per persistence call.
    asio::awaitable<result<verify_result>> verify_async(hash256 root) {
        return traced_operation(p_.telemetry, "storage.verify", verify_impl(root));
    }
    asio::awaitable<result<storage_estimate>> estimate_async(std::string path) {
        return traced_operation(p_.telemetry, "storage.estimate", estimate_impl(std::move(path)));
    }
    /// Re-send the segments of a paid file to the nodes that lost them; never pays (storage_recovery.hpp).
    asio::awaitable<result<repair_result>> repair_async(hash256 root, std::string path, repair_options opt = {}) {
        return traced_operation(p_.telemetry, "storage.repair", repair_impl(root, std::move(path), std::move(opt)));
    }
    /// Rebuild the submission records of an account from the Flow's Submit events (storage_recovery.hpp).
    asio::awaitable<result<rebuild_result>> rebuild_records_async(rebuild_options opt = {}) {
        return traced_operation(p_.telemetry, "storage.rebuild_records", rebuild_records_impl(std::move(opt)));
    }
    /// The Flow's Submit logs with topic1 (the submitter) = `account` in blocks [from, to]:
    /// eth_getLogs in ranges of `blocks_per_query`, halved whenever the node refuses one (range or
    /// result caps) down to one block; removed logs dropped; more than `max_events` is an error.
    /// Errors say which block to resume from. (storage_recovery.hpp)
    asio::awaitable<result<std::vector<chain::log_entry>>> submit_logs_async(crypto::address flow, crypto::address account, std::uint64_t from_block,
                                                                              std::uint64_t to_block, std::uint64_t blocks_per_query,
                                                                              std::size_t max_events, steady_time deadline);
    /// The chain's latest block number (the configured RPC endpoints, guarded).
    asio::awaitable<result<std::uint64_t>> latest_block_async(steady_time deadline);

    result<upload_result> upload(std::string path, upload_options opt = {}) { return runner_.run(upload_async(std::move(path), std::move(opt))); }
    result<download_result> download(hash256 root, std::string out, download_options opt = {}) {
        return runner_.run(download_async(root, std::move(out), std::move(opt)));
    }
    result<verify_result> verify(hash256 root) { return runner_.run(verify_async(root)); }
    result<storage_estimate> estimate(std::string path) { return runner_.run(estimate_async(std::move(path))); }
    result<repair_result> repair(hash256 root, std::string path, repair_options opt = {}) {
        return runner_.run(repair_async(root, std::move(path), opt));
    }
    result<rebuild_result> rebuild_records(rebuild_options opt = {}) { return runner_.run(rebuild_records_async(std::move(opt))); }

    Policies& policies() noexcept { return p_; }
    const storage_client_options& options() const noexcept { return o_; }
    /// The transaction sender (nullptr without an RPC URL): tests inspect its idempotency store.
    sender_type* sender() noexcept { return sender_.get(); }

    /// The persistence/idempotency network key: "<chainId>:<flow lower-case hex>".
    std::string network_key(const crypto::address& flow) const {
        return std::to_string(o_.chain_id) + ":" + storage_detail::lower_hex(flow);
    }

private:
    /// The endpoint part of the concurrency key of this client's operations.
    static constexpr std::string_view operation_key = "storage";
    using steady_time = zerog::steady_time;
    steady_time now() const { return p_.clock.now(); }
    steady_time until(std::chrono::milliseconds d) const { return now() + d; }
    std::int64_t wall_ms() const {
        return std::chrono::duration_cast<std::chrono::milliseconds>(p_.clock.wall_now().time_since_epoch()).count();
    }

    /// One guarded JSON-RPC call to `url` (node, indexer), bounded by `deadline` and rpc_timeout.
    asio::awaitable<result<json::value>> rpc(const std::string& url, std::string method, json::array params, steady_time deadline) {
        const std::string endpoint = redact_endpoint(url);
        net::request_options ro;
        ro.deadline = std::min(deadline, now() + o_.rpc_timeout);
        ro.connect_timeout = std::min(ro.connect_timeout, o_.rpc_timeout);
        ro.read_timeout = std::min(ro.read_timeout, o_.rpc_timeout);
        ro.write_timeout = std::min(ro.write_timeout, o_.rpc_timeout);
        net::jsonrpc_client<transport_type> c(p_.transport, url);
        call_context ctx{method, endpoint, o_.user, deadline};
        const auto t0 = now();
        auto r = co_await guarded_call(p_, ctx, [&]() { return c.call_async(method, params, ro); });
        record_outcome(selector_, url, r ? nullptr : &r.error(), now() - t0);
        co_return r;
    }

    /// zgs_getFileInfo(root, need_available) on one node.
    asio::awaitable<result<std::optional<file_info>>> file_info_at(const std::string& url, const hash256& root, bool need_available,
                                                                   steady_time deadline) {
        json::array params;
        params.emplace_back(to_hex(root));
        params.emplace_back(need_available);
        auto v = co_await rpc(url, "zgs_getFileInfo", std::move(params), deadline);
        if (!v) co_return std::move(v).error();
        auto info = storage_detail::parse_file_info(*v);
        if (!info) co_return std::move(info).error().during("decoding zgs_getFileInfo").at(redact_endpoint(url));
        if (*info && (*info)->root != root)
            co_return zerog::error(errc::malformed_response, "zgs_getFileInfo answered for root " + to_hex((*info)->root))
                .with("root", to_hex(root)).at(redact_endpoint(url));
        co_return std::move(*info);
    }

    asio::awaitable<result<shard_config>> shard_at(const std::string& url, steady_time deadline) {
        auto v = co_await rpc(url, "zgs_getShardConfig", json::array(), deadline);
        if (!v) co_return std::move(v).error();
        auto s = storage_detail::parse_shard(*v);
        if (!s) co_return std::move(s).error().at(redact_endpoint(url));
        co_return *s;
    }

    /// Candidate node URLs: the indexer's trusted nodes (first indexer that answers), else the
    /// configured node list.
    asio::awaitable<std::vector<std::string>> candidate_urls(steady_time deadline, std::vector<std::string>& notes) {
        for (const auto& ix : choose(selector_, o_.indexer_urls)) {
            auto v = co_await rpc(ix, "indexer_getShardedNodes", json::array(), deadline);
            if (!v) { notes.push_back(v.error().message()); continue; }
            std::vector<std::string> urls;
            if (v->is_object())
                if (const json::value* t = v->get_object().if_contains("trusted"); t && t->is_array())
                    for (const auto& n : t->get_array())
                        if (n.is_object())
                            if (auto u = storage_detail::get_str(n.get_object(), "url")) urls.push_back(*u);
            if (!urls.empty()) co_return urls;
            notes.push_back("indexer " + redact_endpoint(ix) + " lists no trusted node");
        }
        co_return o_.node_urls;
    }

    /// Nodes that answer, serve our chain and agree on the Flow address (set into `flow`).
    /// Nodes that fail are left out and described in `notes`.
    asio::awaitable<result<std::vector<storage_node>>> discover(steady_time deadline, std::optional<crypto::address>& flow,
                                                                std::vector<std::string>& notes) {
        std::vector<std::string> urls = co_await candidate_urls(deadline, notes);
        if (urls.empty())
            co_return zerog::error(errc::invalid_argument, "no storage node configured (set an indexer or node URLs)");
        std::vector<storage_node> out;
        for (const auto& url : urls) {
            auto st = co_await rpc(url, "zgs_getStatus", json::array(), deadline);
            if (!st) { notes.push_back(st.error().message()); continue; }
            const json::object* ni = nullptr;
            if (st->is_object())
                if (const json::value* n = st->get_object().if_contains("networkIdentity"); n && n->is_object()) ni = &n->get_object();
            if (!ni) { notes.push_back(redact_endpoint(url) + ": zgs_getStatus without networkIdentity"); continue; }
            auto cid = storage_detail::get_u64(*ni, "chainId");
            auto fa = storage_detail::get_str(*ni, "flowAddress");
            if (!cid || !fa) { notes.push_back(redact_endpoint(url) + ": malformed networkIdentity"); continue; }
            if (*cid != o_.chain_id) {
                notes.push_back(redact_endpoint(url) + " serves chain " + std::to_string(*cid) + ", expected " + std::to_string(o_.chain_id));
                continue;
            }
            auto addr = crypto::address::parse(*fa);
            if (!addr) { notes.push_back(redact_endpoint(url) + ": bad flowAddress"); continue; }
            if (flow && *flow != *addr) {
                notes.push_back(redact_endpoint(url) + " uses Flow " + addr->to_checksum_hex() + ", expected " + flow->to_checksum_hex());
                continue;
            }
            auto sh = co_await shard_at(url, deadline);
            if (!sh) { notes.push_back(sh.error().message()); continue; }
            flow = *addr;
            out.push_back({url, *sh});
        }
        co_return out;
    }

    static zerog::error with_notes(zerog::error e, const std::vector<std::string>& notes) {
        for (std::size_t i = 0; i < notes.size() && i < 8; ++i) e.with("node" + std::to_string(i), notes[i]);
        return e;
    }

    void report(storage_progress::phase ph, std::uint64_t done, std::uint64_t total) {
        if (progress_) progress_(storage_progress{ph, done, total});
    }

    /// One stage of an operation, logged at debug through the Telemetry policy (no-op with the
    /// null telemetry: `enabled` is constexpr false there).
    /// Metric zerog_upload_stage_duration_seconds{stage} for the stage that began at `since`.
    void observe_stage(std::string_view name, steady_time since) {
        const policy::field l[] = {{"stage", name}};
        p_.telemetry.observe("zerog_upload_stage_duration_seconds", std::chrono::duration<double>(now() - since).count(), l);
    }
    /// A result failed verification (metric zerog_verification_failures_total{kind}).
    void count_verification_failure(std::string_view kind) {
        const policy::field l[] = {{"kind", kind}};
        p_.telemetry.count("zerog_verification_failures_total", 1, l);
    }

    void stage(std::string_view event, const hash256& root, const std::string& what) {
        if (!p_.telemetry.enabled(policy::log_level::debug)) return;
        const std::string r = to_hex(root);
        const policy::field f[] = {{"root", std::string_view(r)}, {"what", std::string_view(what)}};
        p_.telemetry.log(policy::log_level::debug, event, f);
    }

    // storage_upload.hpp
    struct upload_plan;
    asio::awaitable<result<upload_result>> upload_impl(std::string path, upload_options opt);
    asio::awaitable<result<download_result>> download_impl(hash256 root, std::string out, download_options opt);
    asio::awaitable<result<verify_result>> verify_impl(hash256 root);
    asio::awaitable<result<storage_estimate>> estimate_impl(std::string path);
    asio::awaitable<result<repair_result>> repair_impl(hash256 root, std::string path, repair_options opt);
    asio::awaitable<result<rebuild_result>> rebuild_records_impl(rebuild_options opt);
    asio::awaitable<result<upload_result>> upload_one(const storage::data_source& src, storage::file_tree tree, upload_plan& plan);
    /// A record of this upload (root, network, size, file, replicas, owner, times, retention).
    policy::submission_record new_record(const storage::file_tree& tree, const upload_plan& plan) const;
    asio::awaitable<result<std::uint64_t>> submit_once(const storage::file_tree& tree, upload_plan& plan, upload_result& out,
                                                       policy::budget_hold& hold);
    /// The file at `path`, checked (exists, regular, non-empty, ≤ max_file_size) before anything is sent.
    result<storage::file_source> open_checked(const std::string& path, const std::string& during) const;
    /// The Flow's market (options().market when pinned) and its pricePerSector.
    struct market_price {
        crypto::address market;
        uint256 price;
    };
    asio::awaitable<result<market_price>> read_price(const crypto::address& flow, steady_time deadline);
    /// The upload's budget reservation: spend (when given), bytes, one request. Empty without a budget.
    result<policy::budget_hold> reserve_budget(const hash256& root, std::optional<uint256> spend, std::uint64_t bytes);
    asio::awaitable<result<void>> upload_segments(const storage::data_source& src, const storage::file_tree& tree,
                                                  const file_info& info, upload_plan& plan);
    asio::awaitable<result<void>> wait_nodes(const hash256& root, upload_plan& plan, bool finalized, std::uint64_t tx_seq);
    // storage_recovery.hpp
    asio::awaitable<result<repair_result>> repair_one(const storage::data_source& src, storage::file_tree tree, upload_plan& plan);
    // storage_download.hpp
    struct located_file;
    asio::awaitable<result<located_file>> locate(const hash256& root, steady_time deadline);
    asio::awaitable<result<void>> check_samples(const hash256& root, const located_file& loc, unsigned samples,
                                                std::vector<std::string>& bad, steady_time deadline);
    /// One verified segment (trimmed to its file bytes); `leaf_out` receives its segment root,
    /// `requests` counts the segment RPCs sent. A failure caused only by the network keeps its
    /// transient code (resumable); bad data on every holder is verification_failed.
    asio::awaitable<result<bytes>> fetch_segment(const hash256& root, const located_file& loc, std::uint64_t j,
                                                 std::vector<std::string>& bad, steady_time deadline, hash256* leaf_out = nullptr,
                                                 std::uint64_t* requests = nullptr);

    Policies p_;
    storage_client_options o_;
    /// Orders RPC endpoints, indexers and the nodes reads go to (health, then latency).
    policy::endpoint_selector<typename Policies::breaker_type, typename Policies::clock_type> selector_{{}, &p_.breaker, {}, p_.clock};
    std::unique_ptr<sender_type> sender_;
    progress_fn progress_;
    policy::budget_ledger* budget_ = nullptr;
    net::blocking_runner runner_;
};

}  // namespace zerog::client

#include <zerog/client/storage_download.hpp>
#include <zerog/client/storage_upload.hpp>
#include <zerog/client/storage_recovery.hpp>
