// The emulated 0G KV node's JSON-RPC surface (docs/protocol/kv.md §6): every `kv_*` read method with the
// node's positional params and JSON shapes, over the pure replay of kv/replay.hpp.
//
//   kv_getStatus                      []                                               true
//   kv_getValue                       [stream, key, startIndex, len, version?]         {version,data,size}
//   kv_getNext / kv_getPrev           [stream, key, startIndex, len, inclusive, version?]  {version,key,data,size} | null
//   kv_getFirst / kv_getLast          [stream, startIndex, len, version?]              {version,key,data,size} | null
//   kv_getTransactionResult           [txSeq]                                          "Commit" … | null
//   kv_getHoldingStreamIds            []                                               ["0x…"] ascending
//   kv_getReplayProgress              []                                               {appliedSeq, firstTxSeq}
//   kv_hasWritePermission / kv_isWriterOfKey   [account, stream, key, version?]       bool
//   kv_isAdmin / kv_isWriterOfStream  [account, stream, version?]                      bool
//   kv_isSpecialKey                   [stream, key, version?]                          bool
//   devnet_kvStatus                   []   (ours, not the node's: replay position, "blocked on seq N")
//
// Wire rules (§6): stream ids and accounts are hex with or without 0x; keys and data are standard
// base64 with padding; u64 are JSON numbers, read exactly (rpc_server.hpp's param_u64: Boost.JSON
// keeps integers up to 2^64-1 as integers, never a double); the trailing version may be omitted
// or null (= the latest state). Refusals of the node's own checks come from replay_state in the
// node's order and shape ({-32602, "Invalid params: len", "query length too large"}, …); params of
// the wrong type get jsonrpsee's parse failure, {-32602, "Invalid params", <what>} (bad_params).
// Extra trailing params are ignored, as jsonrpsee's positional sequence does.
// Answers are bounded: value slices by `max_query_length` (262144, the node's default) and whole
// response bodies by 30 MiB (the node's max_response_body_in_bytes; a larger body is replaced by
// jsonrpsee's oversized-response error, -32702 "Response is too big" [UNSURE of the exact data]).
//
// This class is transport-free (no Asio): kv_service.hpp follows the chain, fetches batch data
// from the storage nodes with proofs, and feeds submissions here in seq order; it also puts the
// core behind HTTP. Faults that change answers (error, flaky) are applied here; down and slow by
// the service; stale pauses the service's replay loop (reads keep answering from the state
// reached, appliedSeq stops growing). `devnet_kvStatus` answers under every fault except down, so
// a test can always see where replay stands.
//
// Thread safety: not thread-safe; the service calls it from one thread.
#pragma once

#include <zerog/devnet/faults.hpp>
#include <zerog/devnet/rpc_server.hpp>
#include <zerog/kv/replay.hpp>

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace zerog::devnet {

/// One Flow submission as the KV node keeps it (§8.2): every submission, KV or not, so seqs are
/// contiguous. `sender` is the transaction's `from`, never the event's indexed submitter (§4).
struct kv_submission {
    std::uint64_t seq = 0;
    crypto::address sender;
    bytes tags;
    hash256 root;
    std::uint64_t size = 0;         ///< bytes
    std::uint64_t start_entry = 0;  ///< the first flow sector
    std::string tx_hash;            ///< 0x…, for diagnostics
    std::uint64_t block = 0;
};

/// Static settings of one KV node.
struct kv_node_config {
    std::vector<kv::stream_id> streams;  ///< the served streams
    /// Serve every stream (the devnet default; the real node serves only `streams`).
    bool serve_all_streams = false;
    std::uint64_t max_query_length = kv::default_max_query_length;
    std::size_t max_response_bytes = 30u << 20;
    /// §8.4: give a submission up as `DownloadFailed` after this many failed fetch rounds; 0 (the
    /// node's default): wait forever, blocking every later seq.
    std::uint64_t max_download_retries = 0;
};

/// The KV node's RPC core and replay position (see the file comment).
class kv_node_core {
public:
    kv_node_core(kv_node_config cfg, std::filesystem::path fault_file)
        : cfg_(std::move(cfg)), state_(cfg_.streams, replay_options_of(cfg_)), faults_(std::move(fault_file)) {
        add("kv_getStatus", [](const json::array&) -> rpc_answer { return json::value(true); });
        add("kv_getValue", [this](const json::array& p) -> rpc_answer { return get_value(p); });
        add("kv_getNext", [this](const json::array& p) -> rpc_answer { return get_neighbour(p, true); });
        add("kv_getPrev", [this](const json::array& p) -> rpc_answer { return get_neighbour(p, false); });
        add("kv_getFirst", [this](const json::array& p) -> rpc_answer { return get_end(p, true); });
        add("kv_getLast", [this](const json::array& p) -> rpc_answer { return get_end(p, false); });
        add("kv_getTransactionResult", [this](const json::array& p) -> rpc_answer {
            auto seq = param_u64(p, 0);
            if (!seq) return bad_params("txSeq: expected an unsigned integer (u64)");
            auto r = state_.transaction_result(*seq);
            return r ? json::value(*r) : json::value(nullptr);
        });
        add("kv_getHoldingStreamIds", [this](const json::array&) -> rpc_answer {
            json::array out;
            for (const auto& s : state_.holding_streams()) out.push_back(json::value(to_hex(s)));
            return json::value(std::move(out));
        });
        add("kv_getReplayProgress", [this](const json::array&) -> rpc_answer {
            // Replay starts at genesis, so firstTxSeq is always null (§8.6).
            return json::value(json::object{{"appliedSeq", state_.progress()}, {"firstTxSeq", nullptr}});
        });
        add("kv_hasWritePermission", [this](const json::array& p) -> rpc_answer {
            return account_key_query(p, [this](const auto& a, const auto& s, byte_span k, std::uint64_t v) {
                return state_.has_write_permission(a, s, k, v);
            });
        });
        add("kv_isWriterOfKey", [this](const json::array& p) -> rpc_answer {
            return account_key_query(p, [this](const auto& a, const auto& s, byte_span k, std::uint64_t v) {
                return state_.is_writer_of_key(a, s, k, v);
            });
        });
        add("kv_isAdmin", [this](const json::array& p) -> rpc_answer {
            return account_stream_query(p, [this](const auto& a, const auto& s, std::uint64_t v) { return state_.is_admin(a, s, v); });
        });
        add("kv_isWriterOfStream", [this](const json::array& p) -> rpc_answer {
            return account_stream_query(p, [this](const auto& a, const auto& s, std::uint64_t v) { return state_.is_writer_of_stream(a, s, v); });
        });
        add("kv_isSpecialKey", [this](const json::array& p) -> rpc_answer {
            auto s = stream_param(p, 0);
            if (!s) return s.error();
            auto k = key_param(p, 1);
            if (!k) return k.error();
            auto v = version_param(p, 2);
            if (!v) return v.error();
            return bool_answer(state_.is_special_key(*s, *k, *v));
        });
        add("devnet_kvStatus", [this](const json::array&) -> rpc_answer { return json::value(status()); });
    }

    /// Answer one HTTP body (single call or batch) under the current fault state.
    std::string handle(std::string_view body) {
        fault_ = faults_.current();
        std::string out = dispatch(body, [this](std::string_view m) -> const rpc_method* {
            auto it = methods_.find(std::string(m));
            if (it == methods_.end()) return nullptr;
            if (m == "devnet_kvStatus") return &it->second;  // the emulator's own window stays open
            if (fault_.mode == "error") return &error_method_;
            if (fault_.mode == "flaky" && faults_.take_busy()) return &error_method_;  // the next `count` calls
            return &it->second;
        });
        if (out.size() > cfg_.max_response_bytes)
            return R"({"jsonrpc":"2.0","error":{"code":-32702,"message":"Response is too big","data":"Exceeded max limit of )" +
                   std::to_string(cfg_.max_response_bytes) + R"("},"id":null})";
        return out;
    }

    // -----------------------------------------------------------------------------------------
    // the chain side: submissions in seq order

    /// Record a synced submission. Seqs must arrive contiguous from 0; a seq already known is
    /// ignored when it names the same root (a log re-read), refused otherwise. Errors:
    /// state_conflict for a gap or a different submission under a known seq.
    result<void> add_submission(kv_submission sub) {
        if (sub.seq < submissions_.size()) {
            if (submissions_[sub.seq].root == sub.root && submissions_[sub.seq].sender == sub.sender) return {};
            return fail(errc::state_conflict, "submission " + std::to_string(sub.seq) + " changed (root " + to_hex(sub.root) + ", was " +
                                                  to_hex(submissions_[sub.seq].root) + "): reorgs are not supported");
        }
        if (sub.seq != submissions_.size())
            return fail(errc::state_conflict, "submission " + std::to_string(sub.seq) + " arrived before " + std::to_string(submissions_.size()) +
                                                  " (seqs must be contiguous)");
        submissions_.push_back(std::move(sub));
        return {};
    }
    /// Submissions synced so far (= the next seq the chain will give).
    std::uint64_t known_submissions() const noexcept { return submissions_.size(); }
    /// The last block whose logs were read.
    void set_synced_block(std::uint64_t b) noexcept { synced_block_ = b; }
    void set_follow_error(std::string e) { follow_error_ = std::move(e); }

    // -----------------------------------------------------------------------------------------
    // the replay side (strictly in seq order; never skips ahead, §8.4)

    /// The submission replay waits for (a copy: the list may grow while its data is fetched), or
    /// nothing when replay has caught up with the chain.
    std::optional<kv_submission> next_submission() const {
        if (state_.progress() >= submissions_.size()) return std::nullopt;
        return submissions_[state_.progress()];
    }
    /// §5.1 for the next submission. Errors: not_found when there is none.
    result<kv::submission_class> classify_next() const {
        auto n = next_submission();
        if (!n) return fail(errc::not_found, "no submission to replay");
        return state_.classify(n->seq, n->sender, n->tags);
    }
    /// Replay the next submission with its stored bytes (ignored unless classify says
    /// needs_data). Clears the blockage on success. Errors: replay_state::apply's (replay stays
    /// blocked on this seq).
    result<std::optional<std::string>> apply_next(byte_span stored) {
        auto n = next_submission();
        if (!n) return fail(errc::not_found, "no submission to replay");
        ZEROG_TRY(auto r, state_.apply(n->seq, n->sender, n->tags, stored));
        blockage_.reset();
        return r;
    }
    /// The fetcher gave up on the next submission (max_download_retries): `DownloadFailed`.
    result<std::optional<std::string>> give_up_next() {
        auto n = next_submission();
        if (!n) return fail(errc::not_found, "no submission to replay");
        ZEROG_TRY(auto r, state_.apply_download_failed(n->seq, n->sender, n->tags));
        blockage_.reset();
        return r;
    }
    /// Replay cannot pass `seq` yet (its data is not on any node, or the node itself would retry
    /// forever); `attempts` counts the failed rounds.
    void block(std::uint64_t seq, std::string reason, std::uint64_t attempts) { blockage_ = blockage{seq, std::move(reason), attempts}; }
    /// The text `devnet_kvStatus` reports: "blocked on seq N: why", or empty.
    std::string blocked_text() const {
        return blockage_ ? "blocked on seq " + std::to_string(blockage_->seq) + ": " + blockage_->reason : std::string();
    }
    void set_paused(bool p) noexcept { paused_ = p; }

    /// The current fault state (re-read from its file).
    fault_state current_fault() { return faults_.current(); }
    const kv::replay_state& state() const noexcept { return state_; }
    const kv_node_config& config() const noexcept { return cfg_; }

    /// `devnet_kvStatus`: where replay stands.
    json::object status() const {
        json::object o;
        o["appliedSeq"] = state_.progress();
        o["knownSubmissions"] = submissions_.size();
        o["syncedBlock"] = synced_block_;
        o["blockedOnSeq"] = blockage_ ? json::value(blockage_->seq) : json::value(nullptr);
        o["blocked"] = blockage_ ? json::value(blocked_text()) : json::value(nullptr);
        o["fetchAttempts"] = blockage_ ? blockage_->attempts : 0;
        o["paused"] = paused_;
        o["followError"] = follow_error_.empty() ? json::value(nullptr) : json::value(follow_error_);
        if (cfg_.serve_all_streams) {
            o["servedStreams"] = "all";
        } else {
            json::array s;
            for (const auto& id : cfg_.streams) s.push_back(json::value(to_hex(id)));
            o["servedStreams"] = std::move(s);
        }
        return o;
    }

private:
    struct blockage {
        std::uint64_t seq = 0;
        std::string reason;
        std::uint64_t attempts = 0;
    };

    static kv::replay_options replay_options_of(const kv_node_config& c) {
        kv::replay_options o;
        o.max_query_length = c.max_query_length;
        o.serve_all_streams = c.serve_all_streams;
        return o;
    }

    void add(const char* name, rpc_method m) { methods_.emplace(name, std::move(m)); }

    // --- params (jsonrpsee's parse failures: -32602 "Invalid params" + what) -------------------

    /// A parsed param, or the refusal to send.
    template <class T>
    struct param {
        std::optional<T> value;
        rpc_failure failure;
        explicit operator bool() const noexcept { return value.has_value(); }
        const T& operator*() const { return *value; }
        const T* operator->() const { return &*value; }
        rpc_failure error() const { return failure; }
    };
    template <class T>
    static param<T> ok(T v) { return param<T>{std::move(v), {}}; }
    template <class T>
    static param<T> refused(std::string what) { return param<T>{std::nullopt, bad_params(std::move(what))}; }

    static param<kv::stream_id> stream_param(const json::array& p, std::size_t i) {
        auto s = param_str(p, i);
        if (!s) return refused<kv::stream_id>("streamId: expected a hex string of 32 bytes");
        auto id = kv::parse_stream_id(*s);
        if (!id) return refused<kv::stream_id>("streamId: " + id.error().detail());
        return ok(*id);
    }
    static param<crypto::address> account_param(const json::array& p, std::size_t i) {
        auto s = param_str(p, i);
        if (!s) return refused<crypto::address>("account: expected a hex string of 20 bytes");
        auto b = from_hex_fixed<20>(*s, hex_prefix::optional);
        if (!b) return refused<crypto::address>("account: " + b.error().detail());
        return ok(crypto::address(*b));
    }
    /// Keys are base64 (standard alphabet, padded). An empty key passes here and is refused by
    /// the query in the node's order ("Invalid params: key" / "key is empty").
    static param<bytes> key_param(const json::array& p, std::size_t i) {
        auto s = param_str(p, i);
        if (!s) return refused<bytes>("key: expected a base64 string");
        auto b = base64_decode(*s);
        if (!b) return refused<bytes>("key: " + b.error().detail());
        return ok(std::move(*b));
    }
    static param<std::uint64_t> u64_param(const json::array& p, std::size_t i, const char* name) {
        auto v = param_u64(p, i);
        if (!v) return refused<std::uint64_t>(std::string(name) + ": expected an unsigned integer (u64)");
        return ok(*v);
    }
    /// The optional trailing version: omitted or null = the latest state.
    static param<std::uint64_t> version_param(const json::array& p, std::size_t i) {
        if (i >= p.size() || p[i].is_null()) return ok(kv::latest_version);
        return u64_param(p, i, "version");
    }
    static param<bool> bool_param(const json::array& p, std::size_t i, const char* name) {
        if (i >= p.size() || !p[i].is_bool()) return refused<bool>(std::string(name) + ": expected a boolean");
        return ok(p[i].get_bool());
    }

    // --- answers ----------------------------------------------------------------------------------

    /// A query's error as the node sends it: its own refusals verbatim, anything else internal.
    static rpc_failure refusal(const zerog::error& e) {
        if (auto r = kv::query_refusal_of(e)) return rpc_failure{r->code, r->message, r->data};
        return internal_error(e.detail());
    }
    static rpc_answer bool_answer(const result<bool>& r) {
        if (!r) return refusal(r.error());
        return json::value(*r);
    }
    static json::value value_json(const kv::value_segment& v) {
        return json::object{{"version", v.version}, {"data", base64_encode(v.data)}, {"size", v.size}};
    }
    static json::value key_value_json(const std::optional<kv::key_value_segment>& seg) {
        if (!seg) return nullptr;
        return json::object{{"version", seg->version}, {"key", base64_encode(seg->key)}, {"data", base64_encode(seg->data)}, {"size", seg->size}};
    }

    rpc_answer get_value(const json::array& p) const {
        auto s = stream_param(p, 0);
        if (!s) return s.error();
        auto k = key_param(p, 1);
        if (!k) return k.error();
        auto start = u64_param(p, 2, "startIndex");
        if (!start) return start.error();
        auto len = u64_param(p, 3, "len");
        if (!len) return len.error();
        auto v = version_param(p, 4);
        if (!v) return v.error();
        auto r = state_.get_value(*s, *k, *start, *len, *v);
        if (!r) return refusal(r.error());
        return value_json(*r);
    }

    /// kv_getNext (next = true) / kv_getPrev.
    rpc_answer get_neighbour(const json::array& p, bool next) const {
        auto s = stream_param(p, 0);
        if (!s) return s.error();
        auto k = key_param(p, 1);
        if (!k) return k.error();
        auto start = u64_param(p, 2, "startIndex");
        if (!start) return start.error();
        auto len = u64_param(p, 3, "len");
        if (!len) return len.error();
        auto inclusive = bool_param(p, 4, "inclusive");
        if (!inclusive) return inclusive.error();
        auto v = version_param(p, 5);
        if (!v) return v.error();
        auto r = next ? state_.get_next(*s, *k, *start, *len, *inclusive, *v) : state_.get_prev(*s, *k, *start, *len, *inclusive, *v);
        if (!r) return refusal(r.error());
        return key_value_json(*r);
    }

    /// kv_getFirst (first = true) / kv_getLast.
    rpc_answer get_end(const json::array& p, bool first) const {
        auto s = stream_param(p, 0);
        if (!s) return s.error();
        auto start = u64_param(p, 1, "startIndex");
        if (!start) return start.error();
        auto len = u64_param(p, 2, "len");
        if (!len) return len.error();
        auto v = version_param(p, 3);
        if (!v) return v.error();
        auto r = first ? state_.get_first(*s, *start, *len, *v) : state_.get_last(*s, *start, *len, *v);
        if (!r) return refusal(r.error());
        return key_value_json(*r);
    }

    /// [account, stream, key, version?] → bool.
    template <class F>
    rpc_answer account_key_query(const json::array& p, F query) const {
        auto a = account_param(p, 0);
        if (!a) return a.error();
        auto s = stream_param(p, 1);
        if (!s) return s.error();
        auto k = key_param(p, 2);
        if (!k) return k.error();
        auto v = version_param(p, 3);
        if (!v) return v.error();
        return bool_answer(query(*a, *s, byte_span(*k), *v));
    }
    /// [account, stream, version?] → bool.
    template <class F>
    rpc_answer account_stream_query(const json::array& p, F query) const {
        auto a = account_param(p, 0);
        if (!a) return a.error();
        auto s = stream_param(p, 1);
        if (!s) return s.error();
        auto v = version_param(p, 2);
        if (!v) return v.error();
        return json::value(static_cast<bool>(query(*a, *s, *v)));
    }

    kv_node_config cfg_;
    kv::replay_state state_;
    fault_reader faults_;
    fault_state fault_;
    std::vector<kv_submission> submissions_;
    std::optional<blockage> blockage_;
    std::uint64_t synced_block_ = 0;
    std::string follow_error_;
    bool paused_ = false;
    std::unordered_map<std::string, rpc_method> methods_;
    rpc_method error_method_ = [](const json::array&) -> rpc_answer { return internal_error("injected fault: error mode"); };
};

}  // namespace zerog::devnet
