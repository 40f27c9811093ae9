// The emulated 0G KV node as a running service (docs/protocol/kv.md §8): kv_node_core behind
// net::http_server, plus the three loops a KV node runs.
//
//   follow   polls the chain every `poll` ms: eth_getLogs for the Flow's Submit events from the
//            last block read up to `latest`, each decoded by storage/submit_event.hpp (seq, tags,
//            root folded from the node roots, size, start entry). Every submission is kept, KV or
//            not, so seqs are contiguous (§8.2). The sender is the transaction's `from`
//            (eth_getTransactionByHash of the log's transactionHash), never the event's indexed
//            submitter (§4, kv #70).
//   replay   strictly in seq order (§8.4): classify the next submission (§5.1); when it needs its
//            data, fetch every segment with zgs_downloadSegmentWithProofByTxSeq from the devnet
//            storage nodes, each checked against the submission's root with its proof (§8.3; a
//            node serving bad bytes is passed over for the next one), then `replay_state::apply`.
//            Data not stored yet (uploads finish after the Submit transaction) is retried with a
//            bounded backoff (`retry_min` doubling to `retry_max`) and NEVER skipped: replay
//            reports "blocked on seq N: why" in `devnet_kvStatus` meanwhile. With
//            `max_download_retries` > 0 the seq becomes `DownloadFailed` after that many rounds.
//   faults   the devnet fault file (faults.hpp, kind "kv"): down closes the listener (connections
//            refused) and re-opens it on the same port; slow delays each answer by `ms`; error and
//            flaky are answered by the core; stale pauses replay (reads answer from the state
//            reached, appliedSeq stops: what a client sees of a lagging node). The chain is still
//            followed while stale, so `devnet_kvStatus.knownSubmissions` shows the lag.
//
// State is in memory only: a (re)started node replays from block 0, which the small devnet chain
// makes cheap. Deviations from the real node, all for the devnet: logs are read up to `latest`
// (the node stops `confirmation_block_count` = 1 block earlier; anvil mines one block per
// transaction, so the last batch would wait for an unrelated one); reorgs are not handled (anvil
// has none); optionally every stream is served (kv_node_config::serve_all_streams); segments are
// fetched one at a time from a static node list, not five in flight located by an indexer.
//
// Thread safety: start/stop on the executor's thread or before it runs; everything runs on one
// single-threaded executor (the core is not thread-safe).
#pragma once

#include <zerog/devnet/chain.hpp>
#include <zerog/devnet/kv_node.hpp>
#include <zerog/net/http_server.hpp>
#include <zerog/storage/segment_proof.hpp>
#include <zerog/storage/submit_event.hpp>
#include <zerog/storage/upload_layout.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <map>
#include <memory>

namespace zerog::devnet {

/// Everything a KV node process needs.
struct kv_service_config {
    kv_node_config node;
    std::string rpc_url;                     ///< the chain (anvil)
    std::string flow_address;                ///< 0x…: whose Submit events count
    std::vector<std::string> storage_nodes;  ///< where batch data is fetched from
    std::filesystem::path fault_file;
    std::uint16_t port = 0;
    std::chrono::milliseconds poll{100};
    std::chrono::milliseconds retry_min{100};   ///< first wait after a failed fetch
    std::chrono::milliseconds retry_max{2000};  ///< the backoff's cap
};

/// A running emulated KV node (see the file comment). Not copyable; stop() or destroy to end.
class kv_service : public std::enable_shared_from_this<kv_service> {
public:
    /// Listen and start following and replaying. Errors: invalid_argument (no chain or Flow
    /// address), listen errors.
    static result<std::shared_ptr<kv_service>> start(asio::any_io_executor ex, kv_service_config cfg) {
        if (cfg.rpc_url.empty()) return fail(errc::invalid_argument, "a KV node needs the chain's RPC URL");
        ZEROG_TRY(auto flow, crypto::address::parse(cfg.flow_address));
        (void)flow;
        auto s = std::shared_ptr<kv_service>(new kv_service(ex, std::move(cfg)));
        ZEROG_CHECK(s->listen());
        s->port_ = s->server_->port();
        asio::co_spawn(ex, follow(s), asio::detached);
        asio::co_spawn(ex, replay(s), asio::detached);
        asio::co_spawn(ex, watch_faults(s), asio::detached);
        return s;
    }
    ~kv_service() { stop(); }

    /// Close the listener and stop the background loops. Idempotent.
    void stop() {
        stopped_ = true;
        if (server_) server_->stop();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::uint16_t port() const noexcept { return port_; }
    kv_node_core& core() noexcept { return core_; }

private:
    kv_service(asio::any_io_executor ex, kv_service_config cfg)
        : ex_(ex), cfg_(std::move(cfg)), core_(cfg_.node, cfg_.fault_file), port_(cfg_.port) {}

    result<void> listen() {
        net::server_options o;
        o.port = port_;
        o.max_body_bytes = 10u << 20;  // the node's default request cap
        std::weak_ptr<kv_service> w = weak_from_this();
        auto h = [w](net::server_request req) -> asio::awaitable<net::server_response> {
            auto self = w.lock();
            if (!self) co_return net::server_response::json("{}", 503);
            const fault_state f = self->core_.current_fault();
            if (f.mode == "slow" && f.ms) co_await sleep_for(std::chrono::milliseconds(f.ms));
            co_return net::server_response::json(self->core_.handle(req.body));
        };
        ZEROG_TRY(auto srv, net::http_server::start(ex_, std::move(h), o));
        server_.emplace(std::move(srv));
        return {};
    }

    static asio::awaitable<void> watch_faults(std::shared_ptr<kv_service> s) {
        while (!s->stopped_) {
            const bool down = s->core_.current_fault().mode == "down";
            if (down && s->server_) {
                s->server_->stop();
                s->server_.reset();
            } else if (!down && !s->server_) {
                if (!s->listen()) { /* port busy for a moment: retry on the next tick */ }
            }
            co_await sleep_for(std::chrono::milliseconds(100));
        }
    }

    // --- follow: the chain's Submit events -----------------------------------------------------

    static asio::awaitable<void> follow(std::shared_ptr<kv_service> s) {
        rpc_client c(net::http_transport(), s->cfg_.rpc_url);
        while (!s->stopped_) {
            auto r = co_await follow_once(*s, c);
            s->core_.set_follow_error(r ? std::string() : r.error().message());
            co_await sleep_for(s->cfg_.poll);
        }
    }

    /// The transaction's `from` (§4: the KV sender), cached per transaction.
    asio::awaitable<result<crypto::address>> sender_of(rpc_client& c, const std::string& tx_hash) {
        if (auto it = senders_.find(tx_hash); it != senders_.end()) co_return it->second;
        json::array p;
        p.push_back(json::value(tx_hash));
        ZEROG_CO_TRY(auto tx, co_await c.call_async("eth_getTransactionByHash", std::move(p), local_request()));
        const auto* o = tx.if_object();
        const auto* from = o ? o->if_contains("from") : nullptr;
        if (!from || !from->is_string()) co_return fail(errc::malformed_response, "transaction " + tx_hash + " has no sender");
        auto b = from_hex_fixed<20>(std::string_view(from->get_string()));
        if (!b) co_return fail(std::move(b).error().during("reading the sender of " + tx_hash));
        const crypto::address a(*b);
        senders_.emplace(tx_hash, a);
        co_return a;
    }

    static asio::awaitable<result<void>> follow_once(kv_service& s, rpc_client& c) {
        ZEROG_CO_TRY(auto got, co_await fetch_submit_logs(c, s.cfg_.flow_address, s.next_block_, to_hex(storage::submit_event_topic0())));
        if (!got) co_return result<void>{};
        const std::uint64_t number = got->head;
        std::vector<kv_submission> found;
        for (const auto& l : got->logs) {
            const auto* o = l.if_object();
            const auto* data = o ? o->if_contains("data") : nullptr;
            const auto* hash = o ? o->if_contains("transactionHash") : nullptr;
            if (!data || !data->is_string() || !hash || !hash->is_string())
                co_return fail(errc::malformed_response, "a Submit log without data or transactionHash");
            ZEROG_CO_TRY(auto raw, from_hex(std::string_view(data->get_string())));
            ZEROG_CO_TRY(auto ev, storage::decode_submit_event(raw));
            kv_submission sub;
            sub.seq = ev.tx_seq;
            sub.tags = std::move(ev.tags);
            sub.root = ev.root;
            sub.size = ev.size;
            sub.start_entry = ev.start_entry;
            sub.tx_hash = std::string(hash->get_string());
            if (const auto* bn = o->if_contains("blockNumber"))
                if (auto b = quantity_u64(*bn)) sub.block = *b;
            ZEROG_CO_TRY(sub.sender, co_await s.sender_of(c, sub.tx_hash));
            found.push_back(std::move(sub));
        }
        std::sort(found.begin(), found.end(), [](const kv_submission& a, const kv_submission& b) { return a.seq < b.seq; });
        // A failure leaves next_block_ where it was: the range is read again (known seqs are ignored).
        for (auto& sub : found) {
            ZEROG_CO_CHECK(s.core_.add_submission(std::move(sub)));
        }
        s.next_block_ = number + 1;
        s.core_.set_synced_block(number);
        co_return result<void>{};
    }

    // --- replay: strictly in order, never skipping ----------------------------------------------

    static asio::awaitable<void> replay(std::shared_ptr<kv_service> s) {
        std::vector<std::unique_ptr<rpc_client>> nodes;
        for (const auto& u : s->cfg_.storage_nodes) nodes.push_back(std::make_unique<rpc_client>(net::http_transport(), u));
        std::chrono::milliseconds backoff = s->cfg_.retry_min;
        std::uint64_t attempts = 0;
        while (!s->stopped_) {
            const bool paused = s->core_.current_fault().mode == "stale";
            s->core_.set_paused(paused);
            auto next = s->core_.next_submission();
            if (paused || !next) {
                co_await sleep_for(s->cfg_.poll);
                continue;
            }
            auto cls = s->core_.classify_next();
            result<std::optional<std::string>> applied = std::optional<std::string>{};
            if (cls && *cls == kv::submission_class::needs_data) {
                auto data = co_await fetch(nodes, *next);
                if (s->stopped_) break;
                if (s->core_.current_fault().mode == "stale") continue;  // paused while fetching: apply nothing
                if (!data) {
                    ++attempts;
                    const auto limit = s->cfg_.node.max_download_retries;
                    // Too large to hold is final: waiting would block every later seq forever.
                    if ((limit > 0 && attempts >= limit) || data.error().is(errc::too_large)) {
                        applied = s->core_.give_up_next();
                    } else {
                        s->core_.block(next->seq, data.error().message(), attempts);
                        co_await sleep_for(backoff);
                        backoff = std::min(backoff * 2, s->cfg_.retry_max);
                        continue;
                    }
                } else {
                    applied = s->core_.apply_next(*data);
                }
            } else if (cls) {
                applied = s->core_.apply_next(byte_span{});  // decided without data
            } else {
                applied = fail(cls.error());
            }
            if (!applied) {
                // What the node would retry forever (a header it cannot skip, a batch too short for
                // its version): replay stays here.
                s->core_.block(next->seq, applied.error().message(), ++attempts);
                co_await sleep_for(backoff);
                backoff = std::min(backoff * 2, s->cfg_.retry_max);
                continue;
            }
            attempts = 0;
            backoff = s->cfg_.retry_min;
            co_await asio::post(s->ex_, asio::use_awaitable);  // let queries in between seqs
        }
    }

    /// Largest batch the emulator downloads (held in memory); a larger KV submission ends
    /// `DownloadFailed` (§5.5) instead of exhausting memory.
    static constexpr std::uint64_t max_batch_bytes = 256ull << 20;

    /// The submission's file, every segment verified against its root (§8.3). Errors: not_found
    /// naming the first segment no node could serve correctly, and why.
    static asio::awaitable<result<bytes>> fetch(std::vector<std::unique_ptr<rpc_client>>& nodes, kv_submission sub) {
        const std::string during = "fetching KV seq " + std::to_string(sub.seq) + " (root " + to_hex(sub.root) + ")";
        if (nodes.empty()) co_return zerog::error(errc::invalid_argument, "no storage node configured").during(during);
        // The size comes from a chain event anyone can emit: bound what one batch may hold in memory.
        if (sub.size > max_batch_bytes)
            co_return zerog::error(errc::too_large, "a batch of " + std::to_string(sub.size) + " bytes exceeds the emulator's " +
                                                        std::to_string(max_batch_bytes) + "-byte limit").during(during);
        ZEROG_CO_TRY(const auto layout, storage::file_layout::of(sub.size));
        bytes out;
        out.reserve(static_cast<std::size_t>(sub.size));
        for (std::uint64_t i = 0; i < layout.segments; ++i) {
            std::string why;
            bool got = false;
            for (std::size_t k = 0; k < nodes.size() && !got; ++k) {
                rpc_client& node = *nodes[(i + k) % nodes.size()];
                auto seg = co_await fetch_segment(node, sub, layout, i);
                if (!seg) {
                    why += (why.empty() ? "" : "; ") + seg.error().message();
                    continue;
                }
                out.insert(out.end(), seg->begin(), seg->end());
                got = true;
            }
            if (!got)
                co_return zerog::error(errc::not_found, "segment " + std::to_string(i) + " of " + std::to_string(layout.segments) +
                                                            " is not available: " + why)
                    .during(during);
        }
        co_return out;
    }

    /// One segment from one node, checked: the node's answer names the same root and size, the
    /// data has the segment's exact length and its proof verifies against the root. Returns the
    /// file content of the segment (the last chunk's zero fill cut).
    static asio::awaitable<result<bytes>> fetch_segment(rpc_client& node, const kv_submission& sub, const storage::file_layout& layout,
                                                       std::uint64_t index) {
        json::array p;
        p.push_back(json::value(sub.seq));
        p.push_back(json::value(index));
        ZEROG_CO_TRY(auto v, co_await node.call_async("zgs_downloadSegmentWithProofByTxSeq", std::move(p), local_request()));
        const std::string from = node.url();
        if (v.is_null()) co_return fail(errc::not_found, from + " does not hold it yet");
        const auto* o = v.if_object();
        const auto* data = o ? o->if_contains("data") : nullptr;
        const auto* root = o ? o->if_contains("root") : nullptr;
        const auto* proof = o ? o->if_contains("proof") : nullptr;
        if (!data || !data->is_string() || !root || !root->is_string() || !proof)
            co_return fail(errc::malformed_response, from + " answered without root, data or proof");
        auto r = from_hex_fixed<32>(std::string_view(root->get_string()));
        if (!r || *r != sub.root) co_return fail(errc::root_mismatch, from + " served another file's segment");
        if (const auto* size = o->if_contains("fileSize")) {
            json::array one{*size};
            if (param_u64(one, 0) != sub.size) co_return fail(errc::root_mismatch, from + " answered another file size");
        }
        ZEROG_CO_TRY(bytes d, base64_decode(std::string_view(data->get_string())));
        ZEROG_CO_TRY(auto fp, storage::file_proof_from_json(*proof));
        ZEROG_CO_TRY(const std::uint64_t keep, storage::download_keep_bytes(layout, index, d.size()));
        if (auto ok = storage::verify_segment(layout, index, d, fp, sub.root); !ok)
            co_return fail(std::move(ok).error().during("checking the segment from " + from));
        d.resize(static_cast<std::size_t>(keep));
        co_return d;
    }

    asio::any_io_executor ex_;
    kv_service_config cfg_;
    kv_node_core core_;
    std::uint16_t port_;
    std::optional<net::http_server> server_;
    bool stopped_ = false;
    std::uint64_t next_block_ = 0;
    std::map<std::string, crypto::address> senders_;
};

}  // namespace zerog::devnet
