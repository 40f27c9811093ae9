// A KV node's replay, as pure in-memory code (spec kv.md §5, §6, §8.1, §8.4, §8.5): the state a
// node rebuilds from the Flow submissions, the rules that turn each submission into a result
// string, and the read queries of its JSON-RPC API. No networking, no storage: the caller hands in
// each submission (seq, sender, tags, the stored bytes) in order; a future emulator wraps this.
//
// Replay, per submission, strictly in seq order (`apply`):
//   1. Classify by tags (§5.1): not KV, no stream ids, or any tagged stream not served → no result
//      at all, the seq is simply passed. Then the sender pre-check: for at least one tagged stream
//      the sender may write something (the stream is new, or the sender is its admin, a stream
//      writer, or holds a special-writer grant for some key) → else `SenderNoWritePermission`.
//   2. Check the batch in the node's order, parsing lazily (§5.2): version and reads (a read on a
//      stream the node does not serve → TagsMismatch, a key written after `version` →
//      VersionConfliction), then the writes (last one per key wins; untagged stream, conflict,
//      no permission), then the ops (dedup, untagged stream, no permission). The first failure is
//      the result. Every check sees only the state before this batch.
//   3. Commit (§5.4): all surviving writes and ops at version = seq, atomically.
// Some failures are not results: the node retries them forever and blocks every later seq (an
// unsupported encryption header byte, a batch too short to hold its version). `apply` returns an
// error for those and does not advance.
//
// Where the node iterates a Rust HashMap (the surviving writes, the surviving ops) the order of
// the checks, and so which failure is reported when there are several, is unspecified. Here it is
// ascending (stream, key) for writes and ascending (type & 0xF0, stream, key, account) for ops.
//
// State (§8.1): every version of every key (value bytes kept, with the value's offset in the stored
// file), the ACL log and per-role indexes of it, seq → result, and the progress (the next seq to
// replay, which `kv_getReplayProgress` calls appliedSeq). Every query is "as of version V": the
// newest record with version ≤ V. Ordered maps throughout, so each query costs a lookup, or a scan
// bounded by the data itself (the keys of one stream, the special keys of one account).
//
// Deliberate differences from the node:
//   * next/prev with `inclusive` that meet a tombstone continue exclusively after it; the node
//     repeats the inclusive search on the same key forever (§6.1).
//   * a batch whose value lengths sum past 2^64 is "Invalid stream data"; the node's u64 sum wraps.
//   * `special writer grant` in the pre-check considers special-writer ops only; the node's SQL
//     also lets a SET_KEY op (account zero) mask one, which matters only for the zero address.
//   * `value_at` with start == size and len > 0 gives an empty slice (the node: that, or
//     "key data is missing", depending on entry alignment; §6.1 [UNSURE]).
//
// Thread safety: none; one replay_state per thread, or external locking (the node holds a
// read-write lock: queries share, replay is exclusive).
#pragma once

#include <zerog/kv/batch.hpp>
#include <zerog/kv/result_string.hpp>
#include <zerog/kv/tags.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

namespace zerog::kv {

/// "The latest state": the version a query uses when none is given.
inline constexpr std::uint64_t latest_version = std::numeric_limits<std::uint64_t>::max();
/// The node's default `max_query_len_in_bytes`.
inline constexpr std::uint64_t default_max_query_length = 262144;

struct replay_options {
    /// The node has an encryption key (v1) or wallet key (v2): every batch is stored as
    /// header ‖ plaintext and parsed after the header (§2).
    bool encrypted = false;
    std::uint64_t max_query_length = default_max_query_length;
    /// Serve every stream (a devnet deviation: the real node serves only its configured streams,
    /// but a local devnet needs namespaces created at run time). Every tagged KV submission then
    /// counts, and `holding_streams` lists the configured streams plus every stream a committed
    /// batch has touched.
    bool serve_all_streams = false;
};

/// One stored ACL record (§8.1): `account` is the sender for RENOUNCE ops and zero for SET_KEY
/// ops; `operator_account` is the sender, or zero for the implicit admin grant of a new stream.
struct acl_record {
    stream_id stream;
    bytes key;
    std::uint64_t version = 0;
    address account;
    acl_op_type op = acl_op_type::grant_admin_role;
    address operator_account;
    friend bool operator==(const acl_record&, const acl_record&) = default;
};

/// One version of a key. A tombstone (delete) has an empty value.
struct write_record {
    std::uint64_t version = 0;
    /// The value's first byte in the stored file (header included), as the node records `start`
    /// relative to the file: start = startEntryIndex·256 + this.
    std::uint64_t file_offset = 0;
    bytes value;
    bool tombstone() const noexcept { return value.empty(); }
};

/// `kv_getValue`'s answer.
struct value_segment {
    std::uint64_t version = 0;
    bytes data;          ///< the requested slice
    std::uint64_t size = 0;  ///< the whole value's length
    friend bool operator==(const value_segment&, const value_segment&) = default;
};

/// `kv_getNext/Prev/First/Last`'s answer.
struct key_value_segment {
    std::uint64_t version = 0;
    bytes key;
    bytes data;
    std::uint64_t size = 0;
    friend bool operator==(const key_value_segment&, const key_value_segment&) = default;
};

/// How the node's JSON-RPC server refuses a query (§6.1): code, message, data.
struct query_refusal {
    int code = -32602;
    std::string message;  ///< "Invalid params: len"
    std::string data;     ///< "query length too large"
    friend bool operator==(const query_refusal&, const query_refusal&) = default;
};

/// Queries fail with errc::invalid_argument and the detail "<message>: <data>"; this recovers the
/// three parts for an RPC server.
inline std::optional<query_refusal> query_refusal_of(const zerog::error& e) {
    if (!e.is(errc::invalid_argument)) return std::nullopt;
    const std::string& d = e.detail();
    const auto sep = d.rfind(": ");
    if (sep == std::string::npos || d.rfind("Invalid params: ", 0) != 0) return std::nullopt;
    return query_refusal{-32602, d.substr(0, sep), d.substr(sep + 2)};
}

/// What §5.1 makes of a submission before looking at its data.
enum class submission_class {
    not_in_stream,               ///< no result is recorded; the seq is passed
    sender_no_write_permission,  ///< `SenderNoWritePermission`, no data needed
    needs_data,                  ///< the batch must be downloaded and checked
};

class replay_state {
public:
    explicit replay_state(std::span<const stream_id> served_streams, replay_options options = {})
        : served_(served_streams.begin(), served_streams.end()), options_(options) {}

    // -----------------------------------------------------------------------------------------
    // configuration and progress

    /// `admin_addStream`: serve one more stream from now on. Earlier seqs are not replayed again
    /// (the node does not reset its progress for a stream added at run time, §6.3).
    void add_served_stream(const stream_id& s) { served_.insert(s); }
    /// `kv_getHoldingStreamIds`: ascending. With `serve_all_streams`: the configured streams and
    /// every stream with an ACL record (each committed batch gives its new streams one).
    std::vector<stream_id> holding_streams() const {
        if (!options_.serve_all_streams) return {served_.begin(), served_.end()};
        std::set<stream_id> all = served_;
        for (const auto& [s, first] : first_acl_version_) all.insert(s);
        return {all.begin(), all.end()};
    }
    bool serves(const stream_id& s) const { return options_.serve_all_streams || served_.contains(s); }
    const replay_options& options() const noexcept { return options_; }

    /// The next seq to replay (`appliedSeq`): seq N is decided iff progress() > N.
    std::uint64_t progress() const noexcept { return progress_; }
    /// `kv_getTransactionResult`: nothing when not replayed yet, not in a served stream, or not KV.
    std::optional<std::string> transaction_result(std::uint64_t seq) const {
        if (auto it = results_.find(seq); it != results_.end()) return it->second;
        return std::nullopt;
    }

    // -----------------------------------------------------------------------------------------
    // replay

    /// §5.1 for the next submission, without changing anything. Errors: state_conflict when `seq`
    /// is not the next one.
    result<submission_class> classify(std::uint64_t seq, const address& sender, byte_span tags) const {
        ZEROG_CHECK(check_order(seq));
        return classify_tags(sender, tags);
    }

    /// Replay submission `seq`: `stored` is its file as the node keeps it (header ‖ plaintext
    /// when encrypted). Returns the result string recorded, or nothing when the submission is not
    /// in a served stream. Errors (nothing recorded, progress unchanged): state_conflict when
    /// `seq` is not the next one; not_supported / parse_error where the node would block forever.
    result<std::optional<std::string>> apply(std::uint64_t seq, const address& sender, byte_span tags, byte_span stored) {
        ZEROG_CHECK(check_order(seq));
        const submission_class c = classify_tags(sender, tags);
        if (c == submission_class::not_in_stream) {
            ++progress_;
            return std::optional<std::string>{};
        }
        if (c == submission_class::sender_no_write_permission) return record(seq, std::string(sender_no_write_permission_result));

        std::size_t header = 0;
        if (options_.encrypted) {
            auto h = encryption_header_length(stored);
            if (!h) return fail(blocked(seq, std::move(h).error()));
            header = *h;
        }
        if (header > (stored.size() + entry_size - 1) / entry_size * entry_size)  // the node's skip runs past the padded end
            return fail(blocked(seq, zerog::error(errc::parse_error, "the file is shorter than its encryption header")));
        batch_parser parser(stored, header);
        auto version = parser.parse_version();
        if (!version) return fail(blocked(seq, std::move(version).error()));

        auto verdict = check(sender, *parse_tags(tags), parser);
        if (auto* text = std::get_if<std::string>(&verdict)) return record(seq, std::move(*text));
        commit(seq, std::get<commit_plan>(std::move(verdict)), parser);
        return record(seq, std::string(commit_result));
    }

    /// The downloader gave up on `seq` (§8.4, `max_download_retries`): classify as `apply` does;
    /// a submission that needed its data gets `DownloadFailed`.
    result<std::optional<std::string>> apply_download_failed(std::uint64_t seq, const address& sender, byte_span tags) {
        ZEROG_CHECK(check_order(seq));
        switch (classify_tags(sender, tags)) {
        case submission_class::not_in_stream: ++progress_; return std::optional<std::string>{};
        case submission_class::sender_no_write_permission: return record(seq, std::string(sender_no_write_permission_result));
        case submission_class::needs_data: break;
        }
        return record(seq, std::string(download_failed_result));
    }

    // -----------------------------------------------------------------------------------------
    // value reads (§6.1). Refusals: errc::invalid_argument, see `query_refusal_of`.

    /// `kv_getValue`: never empty. A key never written (or not yet at `version`) is
    /// {0, "", 0}; a deleted one is {delete seq, "", 0}. The stream is not checked.
    result<value_segment> get_value(const stream_id& s, byte_span key, std::uint64_t start, std::uint64_t len,
                                    std::uint64_t version = latest_version) const {
        ZEROG_CHECK(check_len(len));
        ZEROG_CHECK(check_key_param(key));
        const write_record* r = newest(s, key, version);
        if (!r) return value_segment{};
        if (r->tombstone()) return value_segment{r->version, {}, 0};
        ZEROG_TRY(auto slice, slice_of(*r, start, len));
        return value_segment{r->version, std::move(slice), r->value.size()};
    }

    /// `kv_getNext`: the first live key after `key` (at or after it if `inclusive`).
    result<std::optional<key_value_segment>> get_next(const stream_id& s, byte_span key, std::uint64_t start, std::uint64_t len,
                                                      bool inclusive, std::uint64_t version = latest_version) const {
        ZEROG_CHECK(check_len(len));
        ZEROG_CHECK(check_key_param(key));
        const auto* keys = keys_of(s);
        if (!keys) return std::optional<key_value_segment>{};
        auto it = inclusive ? keys->lower_bound(key) : keys->upper_bound(key);
        for (; it != keys->end(); ++it)
            if (const write_record* r = live(it->second, version)) return segment(it->first, *r, start, len);
        return std::optional<key_value_segment>{};
    }

    /// `kv_getPrev`: the last live key before `key` (at or before it if `inclusive`).
    result<std::optional<key_value_segment>> get_prev(const stream_id& s, byte_span key, std::uint64_t start, std::uint64_t len,
                                                      bool inclusive, std::uint64_t version = latest_version) const {
        ZEROG_CHECK(check_len(len));
        ZEROG_CHECK(check_key_param(key));
        const auto* keys = keys_of(s);
        if (!keys) return std::optional<key_value_segment>{};
        auto it = inclusive ? keys->upper_bound(key) : keys->lower_bound(key);
        while (it != keys->begin()) {
            --it;
            if (const write_record* r = live(it->second, version)) return segment(it->first, *r, start, len);
        }
        return std::optional<key_value_segment>{};
    }

    /// `kv_getFirst`: the smallest live key.
    result<std::optional<key_value_segment>> get_first(const stream_id& s, std::uint64_t start, std::uint64_t len,
                                                       std::uint64_t version = latest_version) const {
        ZEROG_CHECK(check_len(len));
        const auto* keys = keys_of(s);
        if (!keys) return std::optional<key_value_segment>{};
        for (const auto& [k, versions] : *keys)
            if (const write_record* r = live(versions, version)) return segment(k, *r, start, len);
        return std::optional<key_value_segment>{};
    }

    /// `kv_getLast`: the largest live key.
    result<std::optional<key_value_segment>> get_last(const stream_id& s, std::uint64_t start, std::uint64_t len,
                                                      std::uint64_t version = latest_version) const {
        ZEROG_CHECK(check_len(len));
        const auto* keys = keys_of(s);
        if (!keys) return std::optional<key_value_segment>{};
        for (auto it = keys->rbegin(); it != keys->rend(); ++it)
            if (const write_record* r = live(it->second, version)) return segment(it->first, *r, start, len);
        return std::optional<key_value_segment>{};
    }

    /// Every version of a key, oldest first (tombstones included).
    std::vector<write_record> write_history(const stream_id& s, byte_span key) const {
        std::vector<write_record> out;
        if (const auto* versions = versions_of(s, key))
            for (const auto& [v, r] : *versions) out.push_back(r);
        return out;
    }

    /// The seq of the newest write of the key at or before `version` (tombstones count), 0 if
    /// none: what VersionConfliction compares with a batch's version.
    std::uint64_t latest_write_version(const stream_id& s, byte_span key, std::uint64_t version = latest_version) const {
        const write_record* r = newest(s, key, version);
        return r ? r->version : 0;
    }

    // -----------------------------------------------------------------------------------------
    // access control (§5.3, §6). The key-taking RPCs refuse an empty key, as the node does.

    const std::vector<acl_record>& acl_log() const noexcept { return acl_log_; }

    /// No ACL record at or before `version` (anyone may write; the first committed batch that
    /// tags it claims admin).
    bool is_new_stream(const stream_id& s, std::uint64_t version = latest_version) const {
        auto it = first_acl_version_.find(s);
        return it == first_acl_version_.end() || it->second > version;
    }
    bool is_admin(const address& account, const stream_id& s, std::uint64_t version = latest_version) const {
        return latest_flag(admins_, {s, account}, version);
    }
    bool is_writer_of_stream(const address& account, const stream_id& s, std::uint64_t version = latest_version) const {
        return latest_flag(stream_writers_, {s, account}, version);
    }
    /// The special-writer role for one key.
    result<bool> is_writer_of_key(const address& account, const stream_id& s, byte_span key, std::uint64_t version = latest_version) const {
        ZEROG_CHECK(check_key_param(key));
        return writer_of_key(account, s, key, version);
    }
    result<bool> is_special_key(const stream_id& s, byte_span key, std::uint64_t version = latest_version) const {
        ZEROG_CHECK(check_key_param(key));
        return special_key(s, key, version);
    }
    /// §5.3: new stream → yes; admin → yes; special key → special writer of it; else stream writer.
    result<bool> has_write_permission(const address& account, const stream_id& s, byte_span key,
                                      std::uint64_t version = latest_version) const {
        ZEROG_CHECK(check_key_param(key));
        return write_permission(account, s, key, version);
    }
    /// The pre-check's last clause: the account holds a special-writer grant for some key of s.
    bool holds_special_writer_grant(const address& account, const stream_id& s, std::uint64_t version = latest_version) const {
        auto it = key_writers_.find({s, account});
        if (it == key_writers_.end()) return false;
        for (const auto& [k, flags] : it->second)
            if (latest_of(flags, version).value_or(false)) return true;
        return false;
    }
    /// §5.1 step 2 for one stream.
    bool can_write(const address& account, const stream_id& s, std::uint64_t version = latest_version) const {
        return is_new_stream(s, version) || is_admin(account, s, version) || is_writer_of_stream(account, s, version) ||
               holds_special_writer_grant(account, s, version);
    }

private:
    struct byte_order {
        using is_transparent = void;
        bool operator()(byte_span a, byte_span b) const noexcept { return key_less(a, b); }
    };
    using flag_history = std::map<std::uint64_t, bool>;  // version → granted / special
    using key_versions = std::map<std::uint64_t, write_record>;
    using stream_keys = std::map<bytes, key_versions, byte_order>;
    using stream_account = std::pair<stream_id, address>;

    struct pending_op {
        acl_op_type type;
        stream_id stream;
        bytes key;
        address account;
        address operator_account;
    };
    struct op_group {
        std::uint8_t category;
        stream_id stream;
        bytes key;
        address account;
        friend auto operator<=>(const op_group&, const op_group&) = default;
        friend bool operator==(const op_group&, const op_group&) = default;
    };
    struct commit_plan {
        std::vector<decoded_write> writes;  // the survivors
        std::vector<pending_op> ops;        // the survivors, implicit admin grants included
    };

    // --- replay internals ---------------------------------------------------------------------

    result<void> check_order(std::uint64_t seq) const {
        if (seq != progress_)
            return fail(errc::state_conflict, "seq " + std::to_string(seq) + " is out of order: the next seq to replay is " +
                                                  std::to_string(progress_) + " (replay never skips ahead)");
        return {};
    }

    submission_class classify_tags(const address& sender, byte_span tags) const {
        const auto ids = parse_tags(tags);
        if (!ids || ids->empty()) return submission_class::not_in_stream;
        for (const auto& s : *ids)
            if (!serves(s)) return submission_class::not_in_stream;
        for (const auto& s : *ids)
            if (can_write(sender, s)) return submission_class::needs_data;
        return submission_class::sender_no_write_permission;
    }

    zerog::error blocked(std::uint64_t seq, zerog::error e) const {
        return std::move(e).during("replaying KV seq " + std::to_string(seq) +
                                   " (the node records no result for this and retries forever: replay is blocked here)");
    }

    result<std::optional<std::string>> record(std::uint64_t seq, std::string text) {
        results_[seq] = text;
        ++progress_;
        return std::optional<std::string>(std::move(text));
    }

    /// §5.2–§5.3: a result string, or what to commit. Reads and checks one section at a time.
    std::variant<std::string, commit_plan> check(const address& sender, const std::vector<stream_id>& tag_list, batch_parser& parser) const {
        const std::set<stream_id> tagged(tag_list.begin(), tag_list.end());
        const std::uint64_t version = parser.version();

        auto reads = parser.parse_reads();
        if (!reads) return data_parse_error_result(parse_failure_of(reads.error()));
        for (const auto& r : *reads) {
            if (!serves(r.stream)) return std::string(tags_mismatch_result);
            if (latest_write_version(r.stream, r.key) > version) return std::string(version_confliction_result);
        }

        auto writes = parser.parse_writes();
        if (!writes) return data_parse_error_result(parse_failure_of(writes.error()));
        commit_plan plan;
        for (std::size_t i : effective_write_indices(*writes)) {
            const auto& w = (*writes)[i];
            if (!tagged.contains(w.stream)) return std::string(tags_mismatch_result);
            if (latest_write_version(w.stream, w.key) > version) return std::string(version_confliction_result);
            if (!write_permission(sender, w.stream, w.key, latest_version)) return write_permission_denied_result(w.stream, w.key);
            plan.writes.push_back(w);
        }

        auto ops = parser.parse_ops();
        if (!ops) return data_parse_error_result(parse_failure_of(ops.error()));
        // Admin for this batch, and the implicit grant that lets the first batch claim a new stream.
        std::map<op_group, pending_op> winners;
        std::set<stream_id> admin_of;
        for (const auto& s : tagged) {
            if (is_new_stream(s)) {
                winners[{0x00, s, {}, sender}] = {acl_op_type::grant_admin_role, s, {}, sender, address{}};
                admin_of.insert(s);
            } else if (is_admin(sender, s)) {
                admin_of.insert(s);
            }
        }
        for (const auto& op : *ops) {
            const address account = is_renounce(op.type) ? sender : op.account.value_or(address{});
            op_group g{static_cast<std::uint8_t>(static_cast<std::uint8_t>(op.type) & 0xF0), op.stream, op.key, account};
            // GRANT_ADMIN never overrides: not for oneself, and only the first for an account.
            if (op.type == acl_op_type::grant_admin_role && (account == sender || winners.contains(g))) continue;
            winners[std::move(g)] = {op.type, op.stream, op.key, account, sender};
        }
        for (const auto& [g, op] : winners) {
            if (!tagged.contains(op.stream)) return std::string(tags_mismatch_result);
            const bool admin = admin_of.contains(op.stream);
            bool allowed = true;
            switch (op.type) {
            case acl_op_type::grant_admin_role:
            case acl_op_type::set_key_to_special:
            case acl_op_type::set_key_to_normal:
            case acl_op_type::revoke_writer_role:
            case acl_op_type::revoke_special_writer_role: allowed = admin; break;
            case acl_op_type::grant_writer_role: allowed = admin || is_writer_of_stream(sender, op.stream); break;
            case acl_op_type::grant_special_writer_role: allowed = admin || writer_of_key(sender, op.stream, op.key, latest_version); break;
            case acl_op_type::renounce_admin_role:
            case acl_op_type::renounce_writer_role:
            case acl_op_type::renounce_special_writer_role: break;
            }
            // The implicit grant has no operator and is never refused (its stream is new).
            if (!allowed) return access_control_denied_result(op.type, op.stream, op.key, op.account);
            plan.ops.push_back(op);
        }
        return plan;
    }

    void commit(std::uint64_t seq, commit_plan plan, const batch_parser& parser) {
        for (auto& w : plan.writes) {
            write_record r{seq, parser.header_length() + w.value.offset, parser.value_bytes(w.value)};
            values_[w.stream][std::move(w.key)][seq] = std::move(r);
        }
        for (auto& op : plan.ops) {
            first_acl_version_.try_emplace(op.stream, seq);
            switch (op.type) {
            case acl_op_type::grant_admin_role: admins_[{op.stream, op.account}][seq] = true; break;
            case acl_op_type::renounce_admin_role: admins_[{op.stream, op.account}][seq] = false; break;
            case acl_op_type::set_key_to_special: special_keys_[op.stream][op.key][seq] = true; break;
            case acl_op_type::set_key_to_normal: special_keys_[op.stream][op.key][seq] = false; break;
            case acl_op_type::grant_writer_role: stream_writers_[{op.stream, op.account}][seq] = true; break;
            case acl_op_type::revoke_writer_role:
            case acl_op_type::renounce_writer_role: stream_writers_[{op.stream, op.account}][seq] = false; break;
            case acl_op_type::grant_special_writer_role: key_writers_[{op.stream, op.account}][op.key][seq] = true; break;
            case acl_op_type::revoke_special_writer_role:
            case acl_op_type::renounce_special_writer_role: key_writers_[{op.stream, op.account}][op.key][seq] = false; break;
            }
            acl_log_.push_back({op.stream, std::move(op.key), seq, op.account, op.type, op.operator_account});
        }
    }

    // --- lookups ------------------------------------------------------------------------------

    static std::optional<bool> latest_of(const flag_history& h, std::uint64_t version) {
        auto it = h.upper_bound(version);
        if (it == h.begin()) return std::nullopt;
        return std::prev(it)->second;
    }
    static bool latest_flag(const std::map<stream_account, flag_history>& index, const stream_account& at, std::uint64_t version) {
        auto it = index.find(at);
        return it != index.end() && latest_of(it->second, version).value_or(false);
    }
    bool writer_of_key(const address& account, const stream_id& s, byte_span key, std::uint64_t version) const {
        auto it = key_writers_.find({s, account});
        if (it == key_writers_.end()) return false;
        auto k = it->second.find(key);
        return k != it->second.end() && latest_of(k->second, version).value_or(false);
    }
    bool special_key(const stream_id& s, byte_span key, std::uint64_t version) const {
        auto it = special_keys_.find(s);
        if (it == special_keys_.end()) return false;
        auto k = it->second.find(key);
        return k != it->second.end() && latest_of(k->second, version).value_or(false);
    }
    bool write_permission(const address& account, const stream_id& s, byte_span key, std::uint64_t version) const {
        if (is_new_stream(s, version) || is_admin(account, s, version)) return true;
        if (special_key(s, key, version)) return writer_of_key(account, s, key, version);
        return is_writer_of_stream(account, s, version);
    }

    const stream_keys* keys_of(const stream_id& s) const {
        auto it = values_.find(s);
        return it == values_.end() ? nullptr : &it->second;
    }
    const key_versions* versions_of(const stream_id& s, byte_span key) const {
        const auto* keys = keys_of(s);
        if (!keys) return nullptr;
        auto it = keys->find(key);
        return it == keys->end() ? nullptr : &it->second;
    }
    static const write_record* newest_in(const key_versions& versions, std::uint64_t version) {
        auto it = versions.upper_bound(version);
        return it == versions.begin() ? nullptr : &std::prev(it)->second;
    }
    const write_record* newest(const stream_id& s, byte_span key, std::uint64_t version) const {
        const auto* versions = versions_of(s, key);
        return versions ? newest_in(*versions, version) : nullptr;
    }
    /// The key's record at `version` if it exists there and is not deleted.
    static const write_record* live(const key_versions& versions, std::uint64_t version) {
        const write_record* r = newest_in(versions, version);
        return r && !r->tombstone() ? r : nullptr;
    }

    // --- query parameter rules (the node's order: len, key, lookup, start index) ---------------

    static failure refuse(const char* param, const char* why) {
        return fail(errc::invalid_argument, std::string("Invalid params: ") + param + ": " + why);
    }
    result<void> check_len(std::uint64_t len) const {
        if (len > options_.max_query_length) return refuse("len", "query length too large");
        return {};
    }
    static result<void> check_key_param(byte_span key) {
        if (key.empty()) return refuse("key", "key is empty");
        return {};
    }
    static result<bytes> slice_of(const write_record& r, std::uint64_t start, std::uint64_t len) {
        const std::uint64_t size = r.value.size();
        if (len == 0) return bytes{};  // a metadata probe: version and size only
        if (start > size) return refuse("start_index", "start index is greater than value length");
        const std::uint64_t end = start + std::min(len, size - start);
        return bytes(r.value.begin() + static_cast<std::ptrdiff_t>(start), r.value.begin() + static_cast<std::ptrdiff_t>(end));
    }
    static result<std::optional<key_value_segment>> segment(const bytes& key, const write_record& r, std::uint64_t start, std::uint64_t len) {
        ZEROG_TRY(auto slice, slice_of(r, start, len));
        return std::optional<key_value_segment>(key_value_segment{r.version, key, std::move(slice), r.value.size()});
    }

    std::set<stream_id> served_;
    replay_options options_;
    std::uint64_t progress_ = 0;
    std::map<std::uint64_t, std::string> results_;
    std::map<stream_id, stream_keys> values_;
    std::vector<acl_record> acl_log_;
    std::map<stream_id, std::uint64_t> first_acl_version_;
    std::map<stream_account, flag_history> admins_;
    std::map<stream_account, flag_history> stream_writers_;
    std::map<stream_id, std::map<bytes, flag_history, byte_order>> special_keys_;
    std::map<stream_account, std::map<bytes, flag_history, byte_order>> key_writers_;
};

}  // namespace zerog::kv
