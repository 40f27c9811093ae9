// The strings a KV node records per replayed batch and returns from `kv_getTransactionResult`
// (spec kv.md §5.5), built byte-exact and parsed back into a typed outcome.
//
//   Commit | VersionConfliction | TagsMismatch | SenderNoWritePermission | DownloadFailed
//   WritePermissionDenied: stream: 0x<64 hex>, key: <K>
//   AccessControlPermissionDenied: operation: <NAME>, stream: 0x<64 hex>, key: <K>, account: 0x<40 hex>
//   DataParseError: Invalid stream data
//   DataParseError: Stream read/write/access_control list too long     (one string, slashes included)
//
// Hex is lower-case and complete (the node prints ids with Rust's `{:?}`). `<K>` is the key read
// as UTF-8 and cut after 32 characters (Unicode scalar values, not bytes), `NONE` for an empty key
// (the key-less ops) and `UNKNOWN` when the key is not valid UTF-8. The key in a result is
// therefore lossy: a client cannot recover it, only recognise it. A missing result (JSON null)
// means "not replayed yet", "not in a served stream" or "not KV"; it has no string.
//
// Thread safety: pure functions.
#pragma once

#include <zerog/kv/batch.hpp>

#include <string>
#include <string_view>

namespace zerog::kv {

inline constexpr std::string_view commit_result = "Commit";
inline constexpr std::string_view version_confliction_result = "VersionConfliction";
inline constexpr std::string_view tags_mismatch_result = "TagsMismatch";
inline constexpr std::string_view sender_no_write_permission_result = "SenderNoWritePermission";
inline constexpr std::string_view download_failed_result = "DownloadFailed";
inline constexpr std::string_view invalid_stream_data_result = "DataParseError: Invalid stream data";
inline constexpr std::string_view list_too_long_result = "DataParseError: Stream read/write/access_control list too long";

namespace detail {
/// Length of the UTF-8 sequence starting at s[i], or 0 if it is not one Rust's `str::from_utf8`
/// accepts (no overlong forms, no surrogates, nothing above U+10FFFF).
inline std::size_t utf8_sequence_length(byte_span s, std::size_t i) noexcept {
    const byte c = s[i];
    auto cont = [&](std::size_t k) { return i + k < s.size() && (s[i + k] & 0xC0) == 0x80; };
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2)) return 0;
        const byte c1 = s[i + 1];
        if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
        if (c == 0xED && c1 > 0x9F) return 0;  // surrogates
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) return 0;
        const byte c1 = s[i + 1];
        if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
        if (c == 0xF4 && c1 > 0x8F) return 0;  // above U+10FFFF
        return 4;
    }
    return 0;
}
}  // namespace detail

/// `<K>`: the key as it appears in a result string.
inline std::string result_key_text(byte_span key) {
    if (key.empty()) return "NONE";
    std::size_t cut = key.size();
    std::size_t chars = 0;
    for (std::size_t i = 0; i < key.size();) {
        const std::size_t n = detail::utf8_sequence_length(key, i);
        if (n == 0) return "UNKNOWN";
        if (chars == 32 && cut == key.size()) cut = i;  // keep validating: the whole key must be UTF-8
        ++chars;
        i += n;
    }
    return std::string(reinterpret_cast<const char*>(key.data()), cut);
}

inline std::string write_permission_denied_result(const stream_id& stream, byte_span key) {
    return "WritePermissionDenied: stream: " + to_hex(stream) + ", key: " + result_key_text(key);
}

/// `account` is the op's account as the node holds it: the sender for RENOUNCE ops, zero for
/// SET_KEY ops.
inline std::string access_control_denied_result(acl_op_type type, const stream_id& stream, byte_span key, const address& account) {
    return "AccessControlPermissionDenied: operation: " + std::string(acl_op_name(type)) + ", stream: " + to_hex(stream) +
           ", key: " + result_key_text(key) + ", account: " + account.to_lower_hex();
}

inline std::string data_parse_error_result(parse_failure f) {
    return std::string(f == parse_failure::list_too_long ? list_too_long_result : invalid_stream_data_result);
}

// ---------------------------------------------------------------------------------------------
// Parsing a node's answer

enum class tx_outcome_kind {
    commit,
    version_confliction,
    tags_mismatch,
    sender_no_write_permission,
    write_permission_denied,
    access_control_permission_denied,
    data_parse_error,
    download_failed,
};

/// A result string, typed. `detail` is the text after "<Kind>: " (empty for the bare kinds), kept
/// verbatim: e.g. "stream: 0x…, key: sp" or "Invalid stream data".
struct tx_outcome {
    tx_outcome_kind kind = tx_outcome_kind::commit;
    std::string detail;
    bool committed() const noexcept { return kind == tx_outcome_kind::commit; }
    friend bool operator==(const tx_outcome&, const tx_outcome&) = default;
};

/// The kind's name as the node prints it ("Commit", "WritePermissionDenied", …).
constexpr std::string_view outcome_name(tx_outcome_kind k) noexcept {
    switch (k) {
    case tx_outcome_kind::commit: return "Commit";
    case tx_outcome_kind::version_confliction: return "VersionConfliction";
    case tx_outcome_kind::tags_mismatch: return "TagsMismatch";
    case tx_outcome_kind::sender_no_write_permission: return "SenderNoWritePermission";
    case tx_outcome_kind::write_permission_denied: return "WritePermissionDenied";
    case tx_outcome_kind::access_control_permission_denied: return "AccessControlPermissionDenied";
    case tx_outcome_kind::data_parse_error: return "DataParseError";
    case tx_outcome_kind::download_failed: return "DownloadFailed";
    }
    return "";
}

/// The exact string back (the inverse of `parse_result_string`).
inline std::string to_result_string(const tx_outcome& o) {
    std::string out(outcome_name(o.kind));
    if (!o.detail.empty()) {
        out += ": ";
        out += o.detail;
    }
    return out;
}

/// Parse a string from `kv_getTransactionResult`. The bare kinds must match exactly; the three
/// kinds with a detail need ": " and a non-empty detail. Anything else is errc::malformed_response
/// (a node newer than this code, or not a KV node).
inline result<tx_outcome> parse_result_string(std::string_view s) {
    using k = tx_outcome_kind;
    for (k bare : {k::commit, k::version_confliction, k::tags_mismatch, k::sender_no_write_permission, k::download_failed})
        if (s == outcome_name(bare)) return tx_outcome{bare, {}};
    for (k detailed : {k::write_permission_denied, k::access_control_permission_denied, k::data_parse_error}) {
        const std::string_view name = outcome_name(detailed);
        if (s.size() > name.size() + 2 && s.substr(0, name.size()) == name && s.substr(name.size(), 2) == ": ")
            return tx_outcome{detailed, std::string(s.substr(name.size() + 2))};
    }
    std::string shown(s.substr(0, 120));
    return fail(errc::malformed_response, "not a KV transaction result: \"" + shown + (s.size() > 120 ? "…\"" : "\""));
}

}  // namespace zerog::kv
