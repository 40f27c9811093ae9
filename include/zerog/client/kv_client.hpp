// 0G KV clients (docs/protocol/kv.md): `kv_reader` reads a KV node's `kv_*` JSON-RPC API,
// `kv_client` also writes batches through a storage_client.
//
// Reads (§6, §7.2):
//   * a value is read in slices of `slice_bytes` (the node's max_query_len, 256 KiB): the first
//     slice pins the version, every later slice asks for that version, and the value is complete
//     when `size` bytes have arrived. A value above `max_value_bytes` is refused before it is
//     fetched (its size comes with the first slice). The TS SDK's offset bug (§7.3.1: the next
//     offset taken from the base64 length) is not copied: offsets count bytes.
//   * u64 fields (version, size) are read as JSON integers only; a number with a fraction or an
//     exponent, a negative one or one above 2^64-1 is a malformed answer (never through a double).
//   * keys and data are standard base64 with padding, decoded strictly.
//   * iteration: first/last/next/prev probe with len = 0 and then read the key's value pinned to
//     the version the probe reported (§7.2); `next`/`prev` are exclusive of the given key.
//   * every call is one guarded JSON-RPC call (retry, breaker, limiter of the policy set) to the
//     configured KV nodes in order, bounded by `rpc_timeout` and the operation's deadline.
//
// Writes (§4):
//   * the batch is validated and encoded in the sorted order, tagged with every stream it writes
//     or changes (sorted, the node's rule), written to a temporary file and uploaded as one
//     ordinary storage file: validation, the double-payment guard, the fee, segments and
//     verification are the storage client's. One upload, paid once.
//   * byte-identical batches would have one root, so the storage client's guard (one payment per
//     root) would adopt the earlier submission and the new write would silently never happen
//     (the TS SDK's skipIfFinalized does the same, §4). Each batch therefore carries one extra
//     read of a random 32-byte key in its first written stream: a read with the batch's version
//     never conflicts with a key nobody writes, the node ignores it otherwise, and it makes every
//     put a distinct file. A retry of the same put (same bytes) stays one payment.
//   * then `kv_getTransactionResult(tx_seq)` is polled with a deadline, with backoff from
//     `poll_min` to `poll_max`. Null while `appliedSeq ≤ tx_seq` means "not replayed yet"; null
//     after the node has passed the seq means it skipped the batch (it does not serve every
//     tagged stream): a clear error, not a wait until the deadline.
//
// Thread safety: like the storage client (one operation per coroutine; the policies are
// thread-safe); the blocking facades serialise on an internal io_context.
#pragma once

#include <zerog/client/endpoint_choice.hpp>
#include <zerog/client/pipeline.hpp>
#include <zerog/client/tracing.hpp>
#include <zerog/client/storage_client.hpp>
#include <zerog/kv/batch.hpp>
#include <zerog/kv/result_string.hpp>
#include <zerog/kv/tags.hpp>
#include <zerog/net/jsonrpc.hpp>
#include <zerog/net/sync.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace zerog::client {

/// Settings of a KV reader or client. Value type.
struct kv_client_options {
    std::vector<std::string> kv_urls;                      ///< KV nodes, preferred first
    std::chrono::milliseconds rpc_timeout{10'000};         ///< one JSON-RPC call
    std::chrono::milliseconds read_timeout{60'000};        ///< one read operation (all its slices)
    std::chrono::milliseconds result_timeout{180'000};     ///< a put waits this long for the node's verdict
    std::chrono::milliseconds poll_min{50}, poll_max{1'000};
    std::uint64_t slice_bytes = 256 * 1024;                ///< bytes per kv_getValue call (node default max)
    std::uint64_t max_value_bytes = std::uint64_t{1} << 30;  ///< refuse to assemble larger values
    std::string user;                                      ///< caller identity for the limiter ("" = anonymous)
    std::filesystem::path temp_dir;                        ///< where batches are staged for upload (default: the system's)
};

/// A value as of a version. `version` 0 and no data: the key was never written; a version with
/// no data: deleted at that version (a tombstone) or written empty.
struct kv_value {
    std::uint64_t version = 0;
    bytes data;
};

/// A key and its value (iteration).
struct kv_entry {
    bytes key;
    kv_value value;
};

/// A key without its value (listing): the version that last wrote it and the value's size.
struct kv_key_info {
    bytes key;
    std::uint64_t version = 0;
    std::uint64_t size = 0;
};

/// `kv_getReplayProgress`: `applied_seq` is the next seq the node will replay (seq N is decided
/// iff applied_seq > N, §6.2); `first_tx_seq` is set when the node started past genesis.
struct kv_progress {
    std::uint64_t applied_seq = 0;
    std::optional<std::uint64_t> first_tx_seq;
};

/// What a put did.
struct kv_put_result {
    hash256 root;
    std::uint64_t tx_seq = 0;
    std::string tx_hash;
    uint256 fee;
    kv::tx_outcome outcome;  ///< the node's verdict (Commit, VersionConfliction, …)
    bool committed() const noexcept { return outcome.committed(); }
};

/// Optimistic concurrency (§5.2). Keys read through `kv_reader::read_tracked_async` are read at
/// one pinned version and remembered; `apply_to(batch)` gives the batch that version and those
/// reads, so the KV node commits it only if none of those keys, and none the batch writes, was
/// written after the version. Otherwise the verdict is `VersionConfliction` and nothing applies:
/// read again and retry. Value type.
struct kv_read_set {
    std::uint64_t version = kv::no_version_check;  ///< no_version_check until the first tracked read pins it
    std::vector<kv::kv_read> reads;

    bool pinned() const noexcept { return version != kv::no_version_check; }
    void add(const kv::stream_id& s, bytes key) { reads.push_back(kv::kv_read{s, std::move(key)}); }
    void apply_to(kv::batch& b) const {
        b.version = version;
        b.reads.insert(b.reads.end(), reads.begin(), reads.end());
    }
};

namespace kv_detail {
/// A JSON integer as u64 (never a double).
inline result<std::uint64_t> u64_of(const json::value& v, std::string_view field) {
    if (v.is_uint64()) return v.get_uint64();
    if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
    return fail(errc::malformed_response, std::string(field) + " is not an unsigned 64-bit integer");
}
inline result<std::string_view> string_of(const json::object& o, std::string_view field) {
    const json::value* v = o.if_contains(field);
    if (!v || !v->is_string()) return fail(errc::malformed_response, "no string \"" + std::string(field) + "\"");
    return std::string_view(v->get_string());
}
inline result<std::uint64_t> u64_field(const json::object& o, std::string_view field) {
    const json::value* v = o.if_contains(field);
    if (!v) return fail(errc::malformed_response, "no \"" + std::string(field) + "\"");
    return u64_of(*v, field);
}
/// `{version, data, size}` (ValueSegment) and, with a key, `{version, key, data, size}`.
struct value_segment {
    std::uint64_t version = 0;
    std::uint64_t size = 0;
    bytes data;
    bytes key;  ///< KeyValueSegment only
};
inline result<value_segment> parse_segment(const json::value& v, bool with_key) {
    const json::object* o = v.if_object();
    if (!o) return fail(errc::malformed_response, "value segment is not an object");
    value_segment s;
    ZEROG_TRY(s.version, u64_field(*o, "version"));
    ZEROG_TRY(s.size, u64_field(*o, "size"));
    ZEROG_TRY(const std::string_view d, string_of(*o, "data"));
    ZEROG_TRY(s.data, base64_decode(d));
    if (with_key) {
        ZEROG_TRY(const std::string_view k, string_of(*o, "key"));
        ZEROG_TRY(s.key, base64_decode(k));
        if (s.key.empty()) return fail(errc::malformed_response, "empty key in a key-value segment");
    }
    if (s.data.size() > s.size) return fail(errc::malformed_response, "slice of " + std::to_string(s.data.size()) +
                                                                          " bytes for a value of " + std::to_string(s.size));
    return s;
}
/// The trailing version parameter: omitted for "latest" (what the SDKs send).
inline void push_version(json::array& p, std::optional<std::uint64_t> version) {
    if (version) p.emplace_back(*version);
}
inline std::string b64(byte_span b) { return base64_encode(b); }
}  // namespace kv_detail

/// Reads a KV node (see the file comment). `Policies` is a client::policy_set; the reader uses
/// its transport, retry, breaker, limiter and clock, and borrows the set (it must outlive it).
template <class Policies>
class kv_reader {
public:
    kv_reader(kv_client_options o, Policies& p) : o_(std::move(o)), p_(&p) {
        o_.slice_bytes = std::clamp<std::uint64_t>(o_.slice_bytes, 1, 256 * 1024);
        o_.poll_min = std::max(o_.poll_min, std::chrono::milliseconds(1));
        o_.poll_max = std::max(o_.poll_max, o_.poll_min);
    }

    /// The value of `key` in `stream` as of `version` (latest when absent), all of it. A version
    /// the node has not replayed yet (it lags, or the write is recent) is waited for until the
    /// read's deadline, then errc::deadline_exceeded saying how far the node is: a node answers
    /// such a read with whatever it has, which would be a silently stale value.
    asio::awaitable<result<kv_value>> get_value_async(kv::stream_id stream, bytes key, std::optional<std::uint64_t> version = std::nullopt) {
        return traced_operation(p_->telemetry, "kv.get", get_value_impl(stream, std::move(key), version));
    }

    /// Read `key` for a later conditional write (kv_read_set): the first tracked read pins the
    /// set to the node's replay position (the last seq it has decided), every read is at that
    /// version, and the key joins the set.
    asio::awaitable<result<kv_value>> read_tracked_async(kv_read_set& rs, kv::stream_id stream, bytes key) {
        if (!rs.pinned()) {
            ZEROG_CO_TRY(const kv_progress p, co_await progress_async());
            rs.version = p.applied_seq == 0 ? 0 : p.applied_seq - 1;
        }
        auto v = co_await get_value_async(stream, key, rs.version);
        if (v) rs.add(stream, std::move(key));
        co_return v;
    }

    /// The smallest / largest live key of `stream` (as of `version`), with its value; none when empty.
    asio::awaitable<result<std::optional<kv_entry>>> first_async(kv::stream_id stream, std::optional<std::uint64_t> version = std::nullopt) {
        return probe("kv_getFirst", stream, std::nullopt, false, version);
    }
    asio::awaitable<result<std::optional<kv_entry>>> last_async(kv::stream_id stream, std::optional<std::uint64_t> version = std::nullopt) {
        return probe("kv_getLast", stream, std::nullopt, false, version);
    }
    /// The first live key after `key` (`inclusive`: at or after), with its value.
    asio::awaitable<result<std::optional<kv_entry>>> next_async(kv::stream_id stream, bytes key, bool inclusive = false,
                                                                std::optional<std::uint64_t> version = std::nullopt) {
        return probe("kv_getNext", stream, std::move(key), inclusive, version);
    }
    /// The last live key before `key` (`inclusive`: at or before), with its value.
    asio::awaitable<result<std::optional<kv_entry>>> prev_async(kv::stream_id stream, bytes key, bool inclusive = false,
                                                                std::optional<std::uint64_t> version = std::nullopt) {
        return probe("kv_getPrev", stream, std::move(key), inclusive, version);
    }

    /// Keys only (no value is fetched): the first live key, and the one after `key`
    /// (`inclusive`: at or after). Listing pins `version` to one snapshot (`progress_async`).
    asio::awaitable<result<std::optional<kv_key_info>>> first_key_async(kv::stream_id stream, std::optional<std::uint64_t> version = std::nullopt) {
        return probe_key("kv_getFirst", stream, std::nullopt, false, version, until(o_.read_timeout));
    }
    asio::awaitable<result<std::optional<kv_key_info>>> next_key_async(kv::stream_id stream, bytes key, bool inclusive = false,
                                                                       std::optional<std::uint64_t> version = std::nullopt) {
        return probe_key("kv_getNext", stream, std::move(key), inclusive, version, until(o_.read_timeout));
    }

    /// The node's verdict on submission `tx_seq`, or none (not replayed yet, or skipped).
    asio::awaitable<result<std::optional<kv::tx_outcome>>> transaction_result_async(std::uint64_t tx_seq) {
        json::array p;
        p.emplace_back(tx_seq);
        auto v = co_await call("kv_getTransactionResult", std::move(p), until(o_.rpc_timeout));
        if (!v) co_return std::move(v).error();
        if (v->is_null()) co_return std::optional<kv::tx_outcome>();
        if (!v->is_string()) co_return fail(errc::malformed_response, "kv_getTransactionResult: not a string or null");
        auto o = kv::parse_result_string(std::string_view(v->get_string()));
        if (!o) co_return std::move(o).error().during("kv_getTransactionResult(" + std::to_string(tx_seq) + ")");
        co_return std::optional<kv::tx_outcome>(std::move(*o));
    }

    asio::awaitable<result<kv_progress>> progress_async() {
        auto v = co_await call("kv_getReplayProgress", json::array(), until(o_.rpc_timeout));
        if (!v) co_return std::move(v).error();
        const json::object* o = v->if_object();
        if (!o) co_return fail(errc::malformed_response, "kv_getReplayProgress: not an object");
        kv_progress r;
        ZEROG_CO_TRY(r.applied_seq, kv_detail::u64_field(*o, "appliedSeq"));
        for (std::uint64_t seen = seen_applied_.load(std::memory_order_relaxed); r.applied_seq > seen;)
            if (seen_applied_.compare_exchange_weak(seen, r.applied_seq, std::memory_order_relaxed)) break;
        if (const json::value* f = o->if_contains("firstTxSeq"); f && !f->is_null()) {
            ZEROG_CO_TRY(const std::uint64_t first, kv_detail::u64_of(*f, "firstTxSeq"));
            r.first_tx_seq = first;
        }
        co_return r;
    }

    /// The streams the node serves (ascending).
    asio::awaitable<result<std::vector<kv::stream_id>>> holding_streams_async() {
        auto v = co_await call("kv_getHoldingStreamIds", json::array(), until(o_.rpc_timeout));
        if (!v) co_return std::move(v).error();
        if (!v->is_array()) co_return fail(errc::malformed_response, "kv_getHoldingStreamIds: not an array");
        std::vector<kv::stream_id> out;
        for (const auto& s : v->get_array()) {
            if (!s.is_string()) co_return fail(errc::malformed_response, "kv_getHoldingStreamIds: not a string");
            ZEROG_CO_TRY(const kv::stream_id id, kv::parse_stream_id(std::string_view(s.get_string())));
            out.push_back(id);
        }
        co_return out;
    }

    // Access control as of `version` (§5.3).
    asio::awaitable<result<bool>> is_admin_async(crypto::address who, kv::stream_id stream, std::optional<std::uint64_t> version = std::nullopt) {
        return boolean("kv_isAdmin", params_of(&who, stream, nullptr, version));
    }
    asio::awaitable<result<bool>> is_writer_of_stream_async(crypto::address who, kv::stream_id stream,
                                                            std::optional<std::uint64_t> version = std::nullopt) {
        return boolean("kv_isWriterOfStream", params_of(&who, stream, nullptr, version));
    }
    asio::awaitable<result<bool>> is_writer_of_key_async(crypto::address who, kv::stream_id stream, bytes key,
                                                         std::optional<std::uint64_t> version = std::nullopt) {
        return boolean("kv_isWriterOfKey", params_of(&who, stream, &key, version));
    }
    asio::awaitable<result<bool>> is_special_key_async(kv::stream_id stream, bytes key, std::optional<std::uint64_t> version = std::nullopt) {
        return boolean("kv_isSpecialKey", params_of(nullptr, stream, &key, version));
    }
    asio::awaitable<result<bool>> has_write_permission_async(crypto::address who, kv::stream_id stream, bytes key,
                                                             std::optional<std::uint64_t> version = std::nullopt) {
        return boolean("kv_hasWritePermission", params_of(&who, stream, &key, version));
    }

    /// Wait until the node has decided `tx_seq` (or `deadline`): its verdict. A node that has
    /// passed the seq without a verdict skipped it: errc::not_found saying why.
    asio::awaitable<result<kv::tx_outcome>> wait_for_result_async(std::uint64_t tx_seq, steady_time deadline) {
        auto pause = o_.poll_min;
        std::optional<zerog::error> last;
        for (;;) {
            auto r = co_await transaction_result_async(tx_seq);
            if (r && *r) co_return std::move(**r);
            if (r) {
                auto pr = co_await progress_async();
                if (pr && pr->applied_seq > tx_seq) {
                    // The node may have replayed the seq between the two calls: ask once more,
                    // now that it has certainly decided (a result never disappears).
                    auto again = co_await transaction_result_async(tx_seq);
                    if (again && *again) co_return std::move(**again);
                    if (!again) co_return std::move(again).error();
                    co_return fail(errc::not_found, "the KV node replayed past seq " + std::to_string(tx_seq) +
                                                        " without a result: it does not serve every stream the batch is tagged with");
                }
                if (!pr) last = std::move(pr).error();
            } else if (!is_retryable(r.error())) {
                co_return std::move(r).error();
            } else {
                last = std::move(r).error();
            }
            if (now() + pause >= deadline) {
                zerog::error e(errc::deadline_exceeded, "no result for KV submission " + std::to_string(tx_seq) + " within the deadline");
                if (last) e.with("last error", last->message());
                co_return e;
            }
            co_await detail::sleep_for(pause);
            pause = std::min(o_.poll_max, pause * 2);
        }
    }

    result<kv_value> get_value(kv::stream_id s, bytes key, std::optional<std::uint64_t> v = std::nullopt) {
        return runner_.run(get_value_async(s, std::move(key), v));
    }
    result<std::optional<kv::tx_outcome>> transaction_result(std::uint64_t seq) { return runner_.run(transaction_result_async(seq)); }
    result<kv_progress> progress() { return runner_.run(progress_async()); }

    const kv_client_options& options() const noexcept { return o_; }

protected:
    steady_time now() const { return p_->clock.now(); }
    steady_time until(std::chrono::milliseconds d) const { return now() + d; }

    /// One guarded call to the KV nodes (failover in the configured order).
    asio::awaitable<result<json::value>> call(std::string method, json::array params, steady_time deadline) {
        if (o_.kv_urls.empty()) co_return fail(errc::invalid_argument, "no KV node configured (kv_urls)");
        std::optional<zerog::error> last;
        for (const auto& url : o_.kv_urls) {
            const std::string endpoint = redact_endpoint(url);
            net::request_options ro;
            ro.deadline = std::min(deadline, now() + o_.rpc_timeout);
            ro.connect_timeout = std::min(ro.connect_timeout, o_.rpc_timeout);
            ro.read_timeout = std::min(ro.read_timeout, o_.rpc_timeout);
            ro.write_timeout = std::min(ro.write_timeout, o_.rpc_timeout);
            net::jsonrpc_client<typename Policies::transport_type> c(p_->transport, url);
            call_context ctx{method, endpoint, o_.user, deadline};
            auto r = co_await guarded_call(*p_, ctx, [&]() { return c.call_async(method, params, ro); });
            if (r) co_return r;
            // A node that answered with a JSON-RPC error has spoken: another node would say the same.
            if (!is_retryable(r.error())) co_return std::move(r).error().during(method).at(endpoint);
            last = std::move(r).error().during(method).at(endpoint);
        }
        co_return std::move(*last);
    }

private:
    asio::awaitable<result<kv_value>> get_value_impl(kv::stream_id stream, bytes key, std::optional<std::uint64_t> version) {
        const auto deadline = until(o_.read_timeout);
        if (version && *version != kv::no_version_check && *version >= seen_applied_.load(std::memory_order_relaxed)) {
            auto w = co_await wait_replayed(*version, deadline);
            if (!w) co_return std::move(w).error().during("reading key " + kv::result_key_text(key) + " of stream " + to_hex(stream));
        }
        auto v = co_await value_at(stream, key, version, deadline);
        if (!v) co_return std::move(v).error().during("reading key " + kv::result_key_text(key) + " of stream " + to_hex(stream));
        co_return std::move(*v);
    }

    /// Until the node has replayed `version` (appliedSeq > version) or `deadline`.
    asio::awaitable<result<void>> wait_replayed(std::uint64_t version, steady_time deadline) {
        auto pause = o_.poll_min;
        for (;;) {
            ZEROG_CO_TRY(const kv_progress p, co_await progress_async());
            if (p.applied_seq > version) co_return result<void>{};
            if (now() + pause >= deadline)
                co_return fail(errc::deadline_exceeded, "the KV node has replayed up to seq " +
                                                            (p.applied_seq ? std::to_string(p.applied_seq - 1) : std::string("(none)")) +
                                                            " only: version " + std::to_string(version) + " was not reached within the deadline (the node lags)");
            co_await detail::sleep_for(pause);
            pause = std::min(o_.poll_max, pause * 2);
        }
    }

    /// [account?, stream, key?, version?]: the positional params of the permission queries.
    static json::array params_of(const crypto::address* who, const kv::stream_id& stream, const bytes* key, std::optional<std::uint64_t> version) {
        json::array p;
        if (who) p.emplace_back(who->to_checksum_hex());
        p.emplace_back(to_hex(stream));
        if (key) p.emplace_back(kv_detail::b64(*key));
        kv_detail::push_version(p, version);
        return p;
    }

    asio::awaitable<result<bool>> boolean(std::string method, json::array params) {
        auto v = co_await call(method, std::move(params), until(o_.rpc_timeout));
        if (!v) co_return std::move(v).error();
        if (!v->is_bool()) co_return fail(errc::malformed_response, method + ": not a boolean");
        co_return v->get_bool();
    }

    /// The whole value at `version` (pinned after the first slice).
    asio::awaitable<result<kv_value>> value_at(const kv::stream_id& stream, const bytes& key, std::optional<std::uint64_t> version,
                                               steady_time deadline) {
        if (key.empty() || key.size() > kv::max_key_length) co_return fail(errc::invalid_argument, "KV keys are 1.." + std::to_string(kv::max_key_length) + " bytes");
        kv_value out;
        std::uint64_t size = 0;
        bool first = true;
        for (;;) {
            json::array p;
            p.emplace_back(to_hex(stream));
            p.emplace_back(kv_detail::b64(key));
            p.emplace_back(static_cast<std::uint64_t>(out.data.size()));
            p.emplace_back(o_.slice_bytes);
            kv_detail::push_version(p, first ? version : std::optional<std::uint64_t>(out.version));
            auto v = co_await call("kv_getValue", std::move(p), deadline);
            if (!v) co_return std::move(v).error();
            ZEROG_CO_TRY(auto seg, kv_detail::parse_segment(*v, false));
            if (first) {
                if (seg.size > o_.max_value_bytes)
                    co_return fail(errc::too_large, "value of " + std::to_string(seg.size) + " bytes exceeds max_value_bytes " +
                                                        std::to_string(o_.max_value_bytes));
                out.version = seg.version;
                size = seg.size;
                out.data.reserve(static_cast<std::size_t>(size));
                first = false;
            } else if (seg.version != out.version || seg.size != size) {
                co_return fail(errc::malformed_response, "value changed between slices: version " + std::to_string(out.version) + " size " +
                                                             std::to_string(size) + ", then version " + std::to_string(seg.version) +
                                                             " size " + std::to_string(seg.size));
            }
            if (seg.data.size() > size - out.data.size())
                co_return fail(errc::malformed_response, "slice runs past the value's size");
            out.data.insert(out.data.end(), seg.data.begin(), seg.data.end());
            if (out.data.size() == size) co_return out;
            if (seg.data.empty()) co_return fail(errc::malformed_response, "empty slice before the end of the value");
        }
    }

    /// One len-0 probe (§7.2): the key, its version and its value's size, or none.
    asio::awaitable<result<std::optional<kv_key_info>>> probe_key(std::string method, kv::stream_id stream, std::optional<bytes> key,
                                                                  bool inclusive, std::optional<std::uint64_t> version, steady_time deadline) {
        if (key && (key->empty() || key->size() > kv::max_key_length))
            co_return fail(errc::invalid_argument, "KV keys are 1.." + std::to_string(kv::max_key_length) + " bytes");
        json::array p;
        p.emplace_back(to_hex(stream));
        if (key) p.emplace_back(kv_detail::b64(*key));
        p.emplace_back(std::uint64_t{0});
        p.emplace_back(std::uint64_t{0});  // len 0: the key and its version, no data
        if (key) p.emplace_back(inclusive);
        kv_detail::push_version(p, version);
        auto v = co_await call(method, std::move(p), deadline);
        if (!v) co_return std::move(v).error();
        if (v->is_null()) co_return std::optional<kv_key_info>();
        auto seg = kv_detail::parse_segment(*v, true);
        if (!seg) co_return std::move(seg).error().during(method);
        if (!seg->data.empty()) co_return fail(errc::malformed_response, method + " returned data for a len-0 probe");
        co_return std::optional<kv_key_info>(kv_key_info{std::move(seg->key), seg->version, seg->size});
    }

    /// A probe, then the key's value read at the version the probe reported.
    asio::awaitable<result<std::optional<kv_entry>>> probe(std::string method, kv::stream_id stream, std::optional<bytes> key, bool inclusive,
                                                           std::optional<std::uint64_t> version) {
        const auto deadline = until(o_.read_timeout);
        auto k = co_await probe_key(method, stream, std::move(key), inclusive, version, deadline);
        if (!k) co_return std::move(k).error();
        if (!*k) co_return std::optional<kv_entry>();
        kv_entry e;
        e.key = std::move((*k)->key);
        auto val = co_await value_at(stream, e.key, (*k)->version, deadline);
        if (!val) co_return std::move(val).error().during(method + " on stream " + to_hex(stream));
        e.value = std::move(*val);
        co_return std::optional<kv_entry>(std::move(e));
    }

protected:
    kv_client_options o_;
    Policies* p_;
    std::atomic<std::uint64_t> seen_applied_{0};  ///< the highest appliedSeq any answer reported
    net::blocking_runner runner_;
};

/// Reads and writes (see the file comment). Writes go through `storage`, which pays; `storage`
/// and its policy set must outlive the client.
template <class Policies>
class kv_client : public kv_reader<Policies> {
public:
    kv_client(kv_client_options o, storage_client<Policies>& storage) : kv_reader<Policies>(std::move(o), storage.policies()), storage_(&storage) {}

    /// Submit `b` as one paid batch and wait for the node's verdict (see the file comment).
    asio::awaitable<result<kv_put_result>> put_async(kv::batch b) {
        return traced_operation(this->p_->telemetry, "kv.put", put_batch(std::move(b)));
    }

    result<kv_put_result> put(kv::batch b) { return this->runner_.run(put_async(std::move(b))); }


private:
    /// put_async's body (see the file comment).
    asio::awaitable<result<kv_put_result>> put_batch(kv::batch b) {
        namespace fs = std::filesystem;
        if (b.writes.empty() && b.ops.empty()) co_return fail(errc::invalid_argument, "a KV batch needs at least one write or access-control op");
        // The nonce read (file comment): makes every put a distinct file.
        const kv::stream_id first_stream = !b.writes.empty() ? b.writes.front().stream : b.ops.front().stream;
        kv::kv_read nonce{first_stream, bytes(32)};
        {
            std::random_device rd;
            for (auto& x : nonce.key) x = static_cast<byte>(rd());
        }
        b.reads.push_back(std::move(nonce));
        ZEROG_CO_TRY(const bytes data, kv::encode_batch(b, kv::build_order::sorted));
        const bytes tags = kv::tags_for(b, kv::tag_order::sorted);

        std::error_code ec;
        const fs::path dir = this->o_.temp_dir.empty() ? fs::temp_directory_path(ec) : this->o_.temp_dir;
        if (ec) co_return fail(errc::io_error, "no temporary directory for the KV batch: " + ec.message());
        const fs::path file = dir / ("zerog-kv-" + to_hex(nonce_tag(b)).substr(2, 16) + ".batch");
        struct cleanup {
            fs::path p;
            ~cleanup() {
                std::error_code e;
                fs::remove(p, e);
            }
        } gone{file};
        {
            std::ofstream out(file, std::ios::binary | std::ios::trunc);
            out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
            if (!out) co_return fail(errc::io_error, "cannot write the KV batch to " + file.string());
        }
        upload_options uo;
        uo.tags = tags;
        auto up = co_await storage_->upload_async(file.string(), uo);
        if (!up) co_return std::move(up).error().during("uploading a KV batch");
        kv_put_result r;
        r.root = up->root;
        r.tx_seq = up->tx_seq;
        r.tx_hash = up->tx_hash;
        r.fee = up->fee;
        auto verdict = co_await this->wait_for_result_async(up->tx_seq, this->until(this->o_.result_timeout));
        {
            const policy::field l[] = {{"outcome", verdict ? kv::outcome_name(verdict->kind) : std::string_view("unknown")}};
            this->p_->telemetry.count("zerog_kv_writes_total", 1, l);
        }
        if (!verdict)
            co_return std::move(verdict).error().during("waiting for the KV node's result of tx_seq " + std::to_string(up->tx_seq) + " (root " +
                                                        to_hex(up->root) + ", paid)");
        r.outcome = std::move(*verdict);
        co_return r;
    }
    /// The nonce key of a batch built by put_async (its last read).
    static hash256 nonce_tag(const kv::batch& b) {
        hash256 h{};
        const bytes& k = b.reads.back().key;
        std::copy_n(k.begin(), std::min<std::size_t>(k.size(), h.size()), h.begin());
        return h;
    }
    storage_client<Policies>* storage_;
};

}  // namespace zerog::client
