// The 0G KV batch: the one file format a KV transaction is made of (docs: spec kv.md §1, §2).
//
// A batch is an ordinary 0G Storage file. Its bytes, all integers big-endian and nothing padded:
//
//   u64 version                              the snapshot the reads and writes were made against;
//                                            2^64-1 means "do not check" (§5.2)
//   u32 R, then R × (stream[32] u24 klen key)                                      the read set
//   u32 W, then W × (stream[32] u24 klen key u64 vlen), then the W values back to back
//   u32 C, then C × (u8 type stream[32] [u24 klen key] [account[20]])               the ACL ops
//
// Which optional fields an op carries is decided by its type byte alone (the table in
// `fields_of`). The node parses with the type and nothing else, so an op that carries one field
// too many or too few shifts every byte after it: the TS SDK writes whatever fields the caller
// filled in and so produces batches that fail, or worse, parse as something else (§7.3, quirk
// `renounce_with_extra_account_misparses`). The encoder here refuses such ops and says which.
//
// Decoding follows the node's reader (§2 "How the node parses"), not the encoder: the node reads
// the file in 256-byte entries, so a field may run into the zero padding of the last entry and
// read zeros; only running past the padded end is an error. Other parse errors: a key length of
// 0, a count above 65536, an unknown op type. Bytes after the last op are ignored. The node
// parses lazily, checking the reads before it even looks at the writes (a read conflict wins over
// a malformed write section, §5.2), so `batch_parser` is a cursor with one step per section.
// Values are never copied while decoding: a write refers to its value by (offset, length).
//
// Untrusted input: counts are bounded by 65536 and every allocation by the bytes actually left;
// sums of value lengths are checked for overflow (the node's u64 arithmetic would wrap; we refuse).
//
// Thread safety: pure functions and value types.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/core/result.hpp>
#include <zerog/crypto/address.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace zerog::kv {

/// A stream: 32 bytes naming one database. Always the full 32 bytes (the TS SDK left-aligns short
/// ids, the Go SDK right-aligns them; we accept neither, see `parse_stream_id`).
using stream_id = hash256;
using crypto::address;

/// The "no version check" batch version (what Go and the node tests use for blind writes).
inline constexpr std::uint64_t no_version_check = std::numeric_limits<std::uint64_t>::max();
/// Keys are 1 … 2^24-1 bytes (a u24 length; 0 is a parse error on the node).
inline constexpr std::size_t max_key_length = (std::size_t{1} << 24) - 1;
/// The node refuses a read, write or op list longer than this.
inline constexpr std::uint32_t max_list_length = 65536;
/// The node reads files in entries (sectors) of this size; the last one is zero-padded.
inline constexpr std::uint64_t entry_size = 256;

/// Strict stream id: exactly 64 hex digits, "0x" optional (the node accepts both).
inline result<stream_id> parse_stream_id(std::string_view s) {
    auto r = from_hex_fixed<32>(s, hex_prefix::optional);
    if (!r) return fail(zerog::error(r.error()).during("parsing a KV stream id (32 bytes, 64 hex digits)"));
    return *r;
}

// ---------------------------------------------------------------------------------------------
// ACL op types

enum class acl_op_type : std::uint8_t {
    grant_admin_role = 0x00,
    renounce_admin_role = 0x01,
    set_key_to_special = 0x10,
    set_key_to_normal = 0x11,
    grant_writer_role = 0x20,
    revoke_writer_role = 0x21,
    renounce_writer_role = 0x22,
    grant_special_writer_role = 0x30,
    revoke_special_writer_role = 0x31,
    renounce_special_writer_role = 0x32,
};

inline constexpr acl_op_type all_acl_op_types[] = {
    acl_op_type::grant_admin_role,          acl_op_type::renounce_admin_role,
    acl_op_type::set_key_to_special,        acl_op_type::set_key_to_normal,
    acl_op_type::grant_writer_role,         acl_op_type::revoke_writer_role,
    acl_op_type::renounce_writer_role,      acl_op_type::grant_special_writer_role,
    acl_op_type::revoke_special_writer_role, acl_op_type::renounce_special_writer_role,
};

/// The type byte → the op type, or nothing for the bytes the node rejects.
constexpr std::optional<acl_op_type> acl_op_type_from_byte(std::uint8_t b) noexcept {
    for (acl_op_type t : all_acl_op_types)
        if (static_cast<std::uint8_t>(t) == b) return t;
    return std::nullopt;
}

/// The name the node prints in `AccessControlPermissionDenied: operation: <NAME>` (§5.5).
constexpr std::string_view acl_op_name(acl_op_type t) noexcept {
    switch (t) {
    case acl_op_type::grant_admin_role: return "GRANT_ADMIN_ROLE";
    case acl_op_type::renounce_admin_role: return "RENOUNCE_ADMIN_ROLE";
    case acl_op_type::set_key_to_special: return "SET_KEY_TO_SPECIAL";
    case acl_op_type::set_key_to_normal: return "SET_KEY_TO_NORMAL";
    case acl_op_type::grant_writer_role: return "GRANT_WRITER_ROLE";
    case acl_op_type::revoke_writer_role: return "REVOKE_WRITER_ROLE";
    case acl_op_type::renounce_writer_role: return "RENOUNCE_WRITER_ROLE";
    case acl_op_type::grant_special_writer_role: return "GRANT_SPECIAL_WRITER_ROLE";
    case acl_op_type::revoke_special_writer_role: return "REVOKE_SPECIAL_WRITER_ROLE";
    case acl_op_type::renounce_special_writer_role: return "RENOUNCE_SPECIAL_WRITER_ROLE";
    }
    return "UNKNOWN";
}

/// The optional fields an op type carries on the wire, after `type ‖ stream` (key before account).
struct acl_op_fields {
    bool key = false;
    bool account = false;
};

constexpr acl_op_fields fields_of(acl_op_type t) noexcept {
    switch (t) {
    case acl_op_type::grant_admin_role:
    case acl_op_type::grant_writer_role:
    case acl_op_type::revoke_writer_role: return {false, true};
    case acl_op_type::set_key_to_special:
    case acl_op_type::set_key_to_normal:
    case acl_op_type::renounce_special_writer_role: return {true, false};
    case acl_op_type::grant_special_writer_role:
    case acl_op_type::revoke_special_writer_role: return {true, true};
    case acl_op_type::renounce_admin_role:
    case acl_op_type::renounce_writer_role: return {false, false};
    }
    return {};
}

/// RENOUNCE ops name no account: the node uses the batch's sender.
constexpr bool is_renounce(acl_op_type t) noexcept {
    return t == acl_op_type::renounce_admin_role || t == acl_op_type::renounce_writer_role ||
           t == acl_op_type::renounce_special_writer_role;
}

// ---------------------------------------------------------------------------------------------
// The batch

struct kv_read {
    stream_id stream;
    bytes key;
    friend bool operator==(const kv_read&, const kv_read&) = default;
};

/// An empty value deletes the key (the node keeps a tombstone version).
struct kv_write {
    stream_id stream;
    bytes key;
    bytes value;
    friend bool operator==(const kv_write&, const kv_write&) = default;
};

/// One access-control op. `key` is empty for key-less types; `account` is absent for types
/// without an account field (RENOUNCE_* and SET_KEY_*). `fields_of(type)` says which are needed.
struct acl_op {
    acl_op_type type = acl_op_type::grant_admin_role;
    stream_id stream;
    bytes key;
    std::optional<address> account;
    friend bool operator==(const acl_op&, const acl_op&) = default;
};

struct batch {
    std::uint64_t version = no_version_check;
    std::vector<kv_read> reads;
    std::vector<kv_write> writes;
    std::vector<acl_op> ops;
    friend bool operator==(const batch&, const batch&) = default;
};

/// Bytewise key order (SQLite BLOB order: memcmp, a prefix first), the node's iteration order.
inline bool key_less(byte_span a, byte_span b) noexcept {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}
/// (stream, key) order: what the SDKs' sorted build uses and what we iterate in.
inline bool stream_key_less(const stream_id& sa, byte_span ka, const stream_id& sb, byte_span kb) noexcept {
    if (sa != sb) return sa < sb;
    return key_less(ka, kb);
}

/// How reads and writes are laid out. Ops always keep their order: they are applied in it.
enum class build_order {
    /// Reads and writes sorted by (stream id bytes, key bytes), stably (a repeated key keeps its
    /// relative order, so the last write still wins): the SDKs' `build(true)`, reproducible.
    sorted,
    /// As given: the SDKs' `build()` (what their `exec` submits).
    insertion,
};

/// Byte range of a value, relative to the batch's first byte (after any encryption header).
struct value_range {
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    friend bool operator==(const value_range&, const value_range&) = default;
};

namespace detail {
inline void put_be(bytes& out, std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<byte>(v >> (8 * i)));
}
inline std::string key_bounds_text() { return "keys are 1.." + std::to_string(max_key_length) + " bytes"; }

inline result<void> check_key(const bytes& key, const std::string& where) {
    if (key.empty()) return fail(errc::invalid_length, where + ": empty key (" + key_bounds_text() + "; the node rejects a key length of 0)");
    if (key.size() > max_key_length)
        return fail(errc::invalid_length, where + ": key of " + std::to_string(key.size()) + " bytes (" + key_bounds_text() + ")");
    return {};
}
inline result<void> check_count(std::size_t n, const char* what) {
    if (n > max_list_length)
        return fail(errc::too_large, std::to_string(n) + " " + what + " (the node refuses more than " + std::to_string(max_list_length) + ")");
    return {};
}

/// Indices of `items` in build order.
template <class T>
std::vector<std::size_t> build_indices(const std::vector<T>& items, build_order order) {
    std::vector<std::size_t> idx(items.size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    if (order == build_order::sorted)
        std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
            return stream_key_less(items[a].stream, items[a].key, items[b].stream, items[b].key);
        });
    return idx;
}
}  // namespace detail

/// Check one op's fields against its type. Errors: invalid_argument (unknown type, a missing or
/// extra field), invalid_length (key length).
inline result<void> validate_op(const acl_op& op, std::size_t index) {
    const std::string where = "ops[" + std::to_string(index) + "]";
    const auto known = acl_op_type_from_byte(static_cast<std::uint8_t>(op.type));
    if (!known) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "0x%02x", static_cast<unsigned>(op.type));
        return fail(errc::invalid_argument, where + ": unknown op type " + buf);
    }
    const std::string named = where + " (" + std::string(acl_op_name(op.type)) + ")";
    const acl_op_fields f = fields_of(op.type);
    if (f.key) {
        ZEROG_CHECK(detail::check_key(op.key, named));
    } else if (!op.key.empty()) {
        return fail(errc::invalid_argument, named + ": carries a key, but this op type has no key field; "
                                                    "the node would read the key as the next fields and misparse the rest of the batch");
    }
    if (f.account && !op.account)
        return fail(errc::invalid_argument, named + ": needs an account");
    if (!f.account && op.account)
        return fail(errc::invalid_argument,
                    named + (is_renounce(op.type) ? ": carries an account, but a RENOUNCE op applies to the sender and has no account field"
                                                  : ": carries an account, but this op type has no account field") +
                        "; the node would misparse the rest of the batch");
    return {};
}

/// Everything the node would refuse, and everything that would shift the bytes: list lengths
/// ≤ 65536, keys 1 … 2^24-1 bytes, each op carrying exactly the fields of its type.
inline result<void> validate_batch(const batch& b) {
    ZEROG_CHECK(detail::check_count(b.reads.size(), "reads"));
    ZEROG_CHECK(detail::check_count(b.writes.size(), "writes"));
    ZEROG_CHECK(detail::check_count(b.ops.size(), "ops"));
    for (std::size_t i = 0; i < b.reads.size(); ++i) ZEROG_CHECK(detail::check_key(b.reads[i].key, "reads[" + std::to_string(i) + "]"));
    for (std::size_t i = 0; i < b.writes.size(); ++i) ZEROG_CHECK(detail::check_key(b.writes[i].key, "writes[" + std::to_string(i) + "]"));
    for (std::size_t i = 0; i < b.ops.size(); ++i) ZEROG_CHECK(validate_op(b.ops[i], i));
    return {};
}

/// Encoded size of one op: 33 [+3+k] [+20].
inline std::uint64_t encoded_op_size(const acl_op& op) noexcept {
    const acl_op_fields f = fields_of(op.type);
    return 33 + (f.key ? 3 + op.key.size() : 0) + (f.account ? 20 : 0);
}

/// Size = 20 + Σreads(35+k) + Σwrites(43+k+v) + Σops(33 [+3+k] [+20]) (§2). Meaningful for a
/// batch that passes `validate_batch`.
inline std::uint64_t encoded_size(const batch& b) noexcept {
    std::uint64_t n = 20;
    for (const auto& r : b.reads) n += 35 + r.key.size();
    for (const auto& w : b.writes) n += 43 + w.key.size() + w.value.size();
    for (const auto& op : b.ops) n += encoded_op_size(op);
    return n;
}

/// The size of a batch holding one write and nothing else: 63 + keyLen + valueLen (Go's
/// `EncodedSizeForSingleWrite`).
constexpr std::uint64_t encoded_size_single_write(std::uint64_t key_length, std::uint64_t value_length) noexcept {
    return 63 + key_length + value_length;
}

/// The batch's bytes plus where each value landed.
struct encoded_batch {
    bytes data;
    /// For each write in encoded order: its index in `batch::writes` and its value's range.
    std::vector<std::size_t> write_index;
    std::vector<value_range> values;
};

/// Encode with the layout. Errors: `validate_batch`'s.
inline result<encoded_batch> encode_batch_with_layout(const batch& b, build_order order = build_order::sorted) {
    if (auto v = validate_batch(b); !v) return fail(std::move(v).error().during("encoding a KV batch"));
    encoded_batch out;
    out.data.reserve(static_cast<std::size_t>(encoded_size(b)));
    bytes& d = out.data;
    detail::put_be(d, b.version, 8);
    detail::put_be(d, b.reads.size(), 4);
    for (std::size_t i : detail::build_indices(b.reads, order)) {
        const auto& r = b.reads[i];
        d.insert(d.end(), r.stream.begin(), r.stream.end());
        detail::put_be(d, r.key.size(), 3);
        d.insert(d.end(), r.key.begin(), r.key.end());
    }
    out.write_index = detail::build_indices(b.writes, order);
    detail::put_be(d, b.writes.size(), 4);
    for (std::size_t i : out.write_index) {
        const auto& w = b.writes[i];
        d.insert(d.end(), w.stream.begin(), w.stream.end());
        detail::put_be(d, w.key.size(), 3);
        d.insert(d.end(), w.key.begin(), w.key.end());
        detail::put_be(d, w.value.size(), 8);
    }
    out.values.reserve(out.write_index.size());
    for (std::size_t i : out.write_index) {
        const auto& w = b.writes[i];
        out.values.push_back({d.size(), w.value.size()});
        d.insert(d.end(), w.value.begin(), w.value.end());
    }
    detail::put_be(d, b.ops.size(), 4);
    for (const auto& op : b.ops) {
        const acl_op_fields f = fields_of(op.type);
        d.push_back(static_cast<byte>(op.type));
        d.insert(d.end(), op.stream.begin(), op.stream.end());
        if (f.key) {
            detail::put_be(d, op.key.size(), 3);
            d.insert(d.end(), op.key.begin(), op.key.end());
        }
        if (f.account) d.insert(d.end(), op.account->bytes().begin(), op.account->bytes().end());
    }
    return out;
}

/// The batch's bytes. Default: sorted, so equal batches give equal files (and equal roots).
inline result<bytes> encode_batch(const batch& b, build_order order = build_order::sorted) {
    ZEROG_TRY(auto e, encode_batch_with_layout(b, order));
    return std::move(e.data);
}

// ---------------------------------------------------------------------------------------------
// Decoding, by the node's rules

/// The two kinds of parse failure the node reports, as `DataParseError: <text>` (§5.5):
/// `errc::parse_error` ↔ "Invalid stream data", `errc::too_large` ↔ "Stream read/write/access_control
/// list too long". Every decoder error carries one of these two codes.
enum class parse_failure { invalid_stream_data, list_too_long };

inline parse_failure parse_failure_of(const zerog::error& e) noexcept {
    return e.is(errc::too_large) ? parse_failure::list_too_long : parse_failure::invalid_stream_data;
}

/// A decoded write: the value is referenced, not copied.
struct decoded_write {
    stream_id stream;
    bytes key;
    value_range value;
    friend bool operator==(const decoded_write&, const decoded_write&) = default;
};

/// Length of the encryption header in front of the batch in a node's stored copy, by its first
/// byte (storage.md §9.7): 0x01 → 17, 0x02 → 50. Any other byte: not_supported (the node retries
/// such a batch forever rather than reporting a result, §5.5).
inline result<std::size_t> encryption_header_length(byte_span stored) {
    if (stored.empty()) return fail(errc::not_supported, "an encrypted KV batch with no bytes (no header version byte)");
    switch (stored[0]) {
    case 0x01: return std::size_t{17};
    case 0x02: return std::size_t{50};
    default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "0x%02x", stored[0]);
        return fail(errc::not_supported, std::string("unsupported encryption header version ") + buf + " (0x01 and 0x02 are known)");
    }
    }
}

/// Cursor over one batch, one section at a time, in the order the node parses:
/// parse_version → parse_reads → parse_writes → parse_ops. A step called out of order is an
/// errc::state_conflict error. Offsets in errors and in value ranges are relative to the batch's
/// first byte (after the header).
class batch_parser {
public:
    /// `stored`: the file as the node stores it (header ‖ batch when encrypted); `header_length`:
    /// bytes to skip first. Bytes past `stored` up to the next multiple of 256 read as zeros.
    explicit batch_parser(byte_span stored, std::size_t header_length = 0) noexcept
        : data_(stored),
          padded_end_((static_cast<std::uint64_t>(stored.size()) + entry_size - 1) / entry_size * entry_size),
          header_(header_length),
          pos_(header_length) {}

    std::size_t header_length() const noexcept { return header_; }
    /// Bytes the node may read: the file rounded up to whole 256-byte entries, minus the header.
    std::uint64_t padded_length() const noexcept { return padded_end_ > header_ ? padded_end_ - header_ : 0; }
    /// Bytes consumed so far, from the batch's first byte (after parse_ops: the parsed length).
    std::uint64_t position() const noexcept { return pos_ - header_; }

    result<std::uint64_t> parse_version() {
        ZEROG_CHECK(expect(stage::version, "parse_version"));
        ZEROG_TRY(version_, take_uint(8, "the version"));
        stage_ = stage::reads;
        return version_;
    }
    std::uint64_t version() const noexcept { return version_; }

    result<std::vector<kv_read>> parse_reads() {
        ZEROG_CHECK(expect(stage::reads, "parse_reads"));
        ZEROG_TRY(const std::uint32_t n, take_count("read"));
        std::vector<kv_read> reads;
        reads.reserve(bounded_reserve(n, 32 + 3 + 1));
        for (std::uint32_t i = 0; i < n; ++i) {
            const std::string where = "reads[" + std::to_string(i) + "]";
            kv_read r;
            ZEROG_TRY(r.stream, take_stream(where));
            ZEROG_TRY(r.key, take_key(where));
            reads.push_back(std::move(r));
        }
        stage_ = stage::writes;
        return reads;
    }

    /// The write metadata, then the values skipped by length (never read).
    result<std::vector<decoded_write>> parse_writes() {
        ZEROG_CHECK(expect(stage::writes, "parse_writes"));
        ZEROG_TRY(const std::uint32_t n, take_count("write"));
        std::vector<decoded_write> writes;
        writes.reserve(bounded_reserve(n, 32 + 3 + 1 + 8));
        for (std::uint32_t i = 0; i < n; ++i) {
            const std::string where = "writes[" + std::to_string(i) + "]";
            decoded_write w;
            ZEROG_TRY(w.stream, take_stream(where));
            ZEROG_TRY(w.key, take_key(where));
            ZEROG_TRY(w.value.length, take_uint(8, where + " value length"));
            writes.push_back(std::move(w));
        }
        std::uint64_t at = pos_;
        for (std::size_t i = 0; i < writes.size(); ++i) {
            auto& v = writes[i].value;
            if (at > padded_end_ || v.length > padded_end_ - at)
                return invalid("writes[" + std::to_string(i) + "] value of " + std::to_string(v.length) + " bytes at byte " +
                               std::to_string(at - header_) + " runs past the padded end (" + std::to_string(padded_length()) + ")");
            v.offset = at - header_;
            at += v.length;
        }
        pos_ = at;
        stage_ = stage::ops;
        return writes;
    }

    result<std::vector<acl_op>> parse_ops() {
        ZEROG_CHECK(expect(stage::ops, "parse_ops"));
        ZEROG_TRY(const std::uint32_t n, take_count("access_control"));
        std::vector<acl_op> ops;
        ops.reserve(bounded_reserve(n, 1 + 32));
        for (std::uint32_t i = 0; i < n; ++i) {
            const std::string where = "ops[" + std::to_string(i) + "]";
            const std::uint64_t type_at = pos_ - header_;
            ZEROG_TRY(const std::uint64_t type_byte, take_uint(1, where + " type"));
            const auto type = acl_op_type_from_byte(static_cast<std::uint8_t>(type_byte));
            if (!type) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "0x%02x", static_cast<unsigned>(type_byte));
                return invalid(where + ": unknown op type " + buf + " at byte " + std::to_string(type_at));
            }
            acl_op op;
            op.type = *type;
            ZEROG_TRY(op.stream, take_stream(where));
            const acl_op_fields f = fields_of(*type);
            if (f.key) {
                ZEROG_TRY(op.key, take_key(where));
            }
            if (f.account) {
                fixed_bytes<20> a;
                ZEROG_CHECK(take_into(a.data(), 20, where + " account"));
                op.account = address(a);
            }
            ops.push_back(std::move(op));
        }
        stage_ = stage::done;
        return ops;
    }

    /// A value's bytes, zeros where the range reaches into the padding (the node would serve them).
    bytes value_bytes(const value_range& r) const {
        bytes out(static_cast<std::size_t>(r.length), 0);
        const std::uint64_t begin = header_ + r.offset;
        if (begin < data_.size()) {
            const std::uint64_t n = std::min<std::uint64_t>(r.length, data_.size() - begin);
            std::copy_n(data_.begin() + static_cast<std::ptrdiff_t>(begin), static_cast<std::size_t>(n), out.begin());
        }
        return out;
    }

private:
    enum class stage { version, reads, writes, ops, done };

    static failure invalid(std::string what) {
        return fail(zerog::error(errc::parse_error, "Invalid stream data: " + std::move(what)).during("parsing a KV batch"));
    }

    result<void> expect(stage s, const char* step) const {
        if (stage_ != s)
            return fail(errc::state_conflict, std::string("batch_parser::") + step + " called out of order (version, reads, writes, ops)");
        return {};
    }

    /// Never reserve more than the bytes left could hold.
    std::size_t bounded_reserve(std::uint32_t n, std::uint64_t min_item) const noexcept {
        return static_cast<std::size_t>(std::min<std::uint64_t>(n, remaining() / min_item));
    }

    /// Bytes left before the padded end (none when a header longer than the file put us past it).
    std::uint64_t remaining() const noexcept { return pos_ < padded_end_ ? padded_end_ - pos_ : 0; }

    result<void> take_into(byte* out, std::uint64_t n, const std::string& what) {
        if (n > remaining())
            return invalid(what + " (" + std::to_string(n) + " bytes at byte " + std::to_string(pos_ - header_) +
                           ") runs past the padded end (" + std::to_string(padded_length()) + ")");
        for (std::uint64_t i = 0; i < n; ++i) out[i] = pos_ + i < data_.size() ? data_[static_cast<std::size_t>(pos_ + i)] : 0;
        pos_ += n;
        return {};
    }
    result<std::uint64_t> take_uint(int n, const std::string& what) {
        byte buf[8];
        ZEROG_CHECK(take_into(buf, static_cast<std::uint64_t>(n), what));
        std::uint64_t v = 0;
        for (int i = 0; i < n; ++i) v = v << 8 | buf[i];
        return v;
    }
    result<std::uint32_t> take_count(const char* list) {
        const std::uint64_t at = pos_ - header_;
        ZEROG_TRY(const std::uint64_t n, take_uint(4, std::string(list) + " count"));
        if (n > max_list_length)
            return fail(zerog::error(errc::too_large, "Stream read/write/access_control list too long: " + std::string(list) + " count " +
                                                          std::to_string(n) + " at byte " + std::to_string(at) + " exceeds " +
                                                          std::to_string(max_list_length))
                            .during("parsing a KV batch"));
        return static_cast<std::uint32_t>(n);
    }
    result<stream_id> take_stream(const std::string& where) {
        stream_id s;
        ZEROG_CHECK(take_into(s.data(), 32, where + " stream id"));
        return s;
    }
    result<bytes> take_key(const std::string& where) {
        const std::uint64_t at = pos_ - header_;
        ZEROG_TRY(const std::uint64_t n, take_uint(3, where + " key length"));
        if (n == 0) return invalid(where + ": key length 0 at byte " + std::to_string(at));
        if (n > remaining())
            return invalid(where + " key (" + std::to_string(n) + " bytes at byte " + std::to_string(pos_ - header_) +
                           ") runs past the padded end (" + std::to_string(padded_length()) + ")");
        bytes key(static_cast<std::size_t>(n));
        ZEROG_CHECK(take_into(key.data(), n, where + " key"));
        return key;
    }

    byte_span data_;
    std::uint64_t padded_end_;
    std::uint64_t header_;
    std::uint64_t pos_;
    std::uint64_t version_ = 0;
    stage stage_ = stage::version;
};

/// A whole batch decoded by the node's rules.
struct decoded_batch {
    std::uint64_t version = 0;
    std::vector<kv_read> reads;
    std::vector<decoded_write> writes;
    std::vector<acl_op> ops;
    /// Bytes from the batch's first byte to the end of the last op (may reach into the padding).
    std::uint64_t parsed_length = 0;
};

/// Decode a whole batch (see `batch_parser` for the arguments). Errors carry errc::parse_error or
/// errc::too_large (`parse_failure_of`), with the offending section, item and byte offset.
inline result<decoded_batch> decode_batch(byte_span stored, std::size_t header_length = 0) {
    batch_parser p(stored, header_length);
    decoded_batch d;
    ZEROG_TRY(d.version, p.parse_version());
    ZEROG_TRY(d.reads, p.parse_reads());
    ZEROG_TRY(d.writes, p.parse_writes());
    ZEROG_TRY(d.ops, p.parse_ops());
    d.parsed_length = p.position();
    return d;
}

/// The writes that survive the node's dedup (the last one per (stream, key) wins), as indices
/// into `writes`, in ascending (stream, key) order.
inline std::vector<std::size_t> effective_write_indices(std::span<const decoded_write> writes) {
    std::vector<std::size_t> idx(writes.size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
        return stream_key_less(writes[a].stream, writes[a].key, writes[b].stream, writes[b].key);
    });
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < idx.size(); ++i) {
        const bool last_of_group = i + 1 == idx.size() || writes[idx[i + 1]].stream != writes[idx[i]].stream ||
                                   writes[idx[i + 1]].key != writes[idx[i]].key;
        if (last_of_group) out.push_back(idx[i]);  // stable sort: the last of a group is the last in batch order
    }
    return out;
}

/// A decoded batch with its values copied back out of the stored file (zeros where a value reaches
/// into the padding): the inverse of `encode_batch` for well-formed input.
inline batch materialize(const decoded_batch& d, byte_span stored, std::size_t header_length = 0) {
    const batch_parser reader(stored, header_length);
    batch b;
    b.version = d.version;
    b.reads = d.reads;
    b.writes.reserve(d.writes.size());
    for (const auto& w : d.writes) b.writes.push_back({w.stream, w.key, reader.value_bytes(w.value)});
    b.ops = d.ops;
    return b;
}

}  // namespace zerog::kv
