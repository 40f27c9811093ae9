// The JSON shape of the database's records, for `files list/show` (for people: UTC dates) and for
// `db export/import` (exact: Unix milliseconds, every field, one JSON object per line).
#pragma once

#include <zerog/policy/persistence.hpp>

#include <boost/json.hpp>

#include <ctime>
#include <string>

namespace zerog::cli {

inline std::string utc_time(std::int64_t unix_ms) {
    if (unix_ms <= 0) return "";
    const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

/// A submission record as JSON. `exact`: times in Unix ms and the claim owner (export); else UTC.
inline boost::json::object submission_json(const policy::submission_record& r, bool exact) {
    boost::json::object o;
    if (exact) o["kind"] = "submission";
    o["root"] = to_hex(r.root);
    o["network"] = r.network;
    o["state"] = std::string(policy::to_string(r.status));
    o["size"] = r.size;
    if (r.tx_seq) o["txSeq"] = *r.tx_seq;
    else o["txSeq"] = nullptr;
    o["txHash"] = r.tx_hash;
    o["fee"] = r.fee.to_decimal();
    o["file"] = r.file_name;
    o["path"] = r.local_path;
    o["replicas"] = r.replicas;
    o["account"] = r.account;
    if (!r.name_space.empty() || exact) o["namespace"] = r.name_space;
    o["lastError"] = r.last_error;
    if (exact) {
        o["owner"] = r.owner;
        o["createdMs"] = r.created_unix_ms;
        o["updatedMs"] = r.updated_unix_ms;
        o["expiresMs"] = r.expires_unix_ms;
    } else {
        o["created"] = utc_time(r.created_unix_ms);
        o["updated"] = utc_time(r.updated_unix_ms);
        o["expires"] = r.expires_unix_ms ? boost::json::value(utc_time(r.expires_unix_ms)) : boost::json::value(nullptr);
    }
    return o;
}

namespace detail {
inline result<std::string> text_of(const boost::json::object& o, std::string_view k) {
    auto* v = o.if_contains(k);
    if (!v || !v->is_string()) return fail(errc::parse_error, "field \"" + std::string(k) + "\" must be a string");
    return std::string(v->get_string());
}
inline result<std::int64_t> int_of(const boost::json::object& o, std::string_view k) {
    auto* v = o.if_contains(k);
    if (!v || !(v->is_int64() || v->is_uint64())) return fail(errc::parse_error, "field \"" + std::string(k) + "\" must be an integer");
    if (v->is_uint64() && v->get_uint64() > static_cast<std::uint64_t>(INT64_MAX)) return fail(errc::out_of_range, "field \"" + std::string(k) + "\" is too large");
    return v->is_int64() ? v->get_int64() : static_cast<std::int64_t>(v->get_uint64());
}
}  // namespace detail

/// The inverse of submission_json(r, true). Every field is checked; nothing is guessed.
inline result<policy::submission_record> submission_from_json(const boost::json::object& o) {
    policy::submission_record r;
    ZEROG_TRY(const std::string root, detail::text_of(o, "root"));
    ZEROG_TRY(r.root, from_hex_fixed<32>(root));
    ZEROG_TRY(r.network, detail::text_of(o, "network"));
    ZEROG_TRY(const std::string st, detail::text_of(o, "state"));
    auto state = policy::submission_state_from(st);
    if (!state) return fail(errc::parse_error, "unknown state \"" + st + "\"");
    r.status = *state;
    ZEROG_TRY(const std::int64_t size, detail::int_of(o, "size"));
    if (size < 0) return fail(errc::out_of_range, "negative size");
    r.size = static_cast<std::uint64_t>(size);
    if (auto* seq = o.if_contains("txSeq"); seq && !seq->is_null()) {
        ZEROG_TRY(const std::int64_t s, detail::int_of(o, "txSeq"));
        if (s < 0) return fail(errc::out_of_range, "negative txSeq");
        r.tx_seq = static_cast<std::uint64_t>(s);
    }
    ZEROG_TRY(r.tx_hash, detail::text_of(o, "txHash"));
    if (!r.tx_hash.empty()) ZEROG_CHECK(from_hex_fixed<32>(r.tx_hash));
    ZEROG_TRY(const std::string fee, detail::text_of(o, "fee"));
    ZEROG_TRY(r.fee, uint256::from_decimal(fee));
    ZEROG_TRY(r.file_name, detail::text_of(o, "file"));
    ZEROG_TRY(r.local_path, detail::text_of(o, "path"));
    ZEROG_TRY(const std::int64_t replicas, detail::int_of(o, "replicas"));
    if (replicas < 0 || replicas > 1'000'000) return fail(errc::out_of_range, "replicas out of range");
    r.replicas = static_cast<std::uint32_t>(replicas);
    ZEROG_TRY(r.account, detail::text_of(o, "account"));
    ZEROG_TRY(r.name_space, detail::text_of(o, "namespace"));
    ZEROG_TRY(r.last_error, detail::text_of(o, "lastError"));
    ZEROG_TRY(r.owner, detail::text_of(o, "owner"));
    ZEROG_TRY(r.created_unix_ms, detail::int_of(o, "createdMs"));
    ZEROG_TRY(r.updated_unix_ms, detail::int_of(o, "updatedMs"));
    ZEROG_TRY(r.expires_unix_ms, detail::int_of(o, "expiresMs"));
    return r;
}

inline boost::json::object tx_json(const policy::tx_record& t) {
    boost::json::object o;
    o["kind"] = "transaction";
    o["key"] = t.key;
    o["nonce"] = t.nonce;
    boost::json::array h;
    for (const auto& x : t.hashes) h.emplace_back(to_hex(x));
    o["hashes"] = std::move(h);
    o["lastRaw"] = to_hex(t.last_raw);
    o["mined"] = t.mined ? boost::json::value(to_hex(*t.mined)) : boost::json::value(nullptr);
    return o;
}

inline result<policy::tx_record> tx_from_json(const boost::json::object& o) {
    policy::tx_record t;
    ZEROG_TRY(t.key, detail::text_of(o, "key"));
    ZEROG_TRY(const std::int64_t nonce, detail::int_of(o, "nonce"));
    if (nonce < 0) return fail(errc::out_of_range, "negative nonce");
    t.nonce = static_cast<std::uint64_t>(nonce);
    auto* h = o.if_contains("hashes");
    if (!h || !h->is_array()) return fail(errc::parse_error, "field \"hashes\" must be an array");
    if (h->get_array().size() > 1024) return fail(errc::too_large, "more than 1024 hashes for one transaction");
    for (const auto& x : h->get_array()) {
        if (!x.is_string()) return fail(errc::parse_error, "a hash must be a string");
        ZEROG_TRY(const hash256 v, from_hex_fixed<32>(std::string(x.get_string())));
        t.hashes.push_back(v);
    }
    ZEROG_TRY(const std::string raw, detail::text_of(o, "lastRaw"));
    ZEROG_TRY(t.last_raw, from_hex(raw));
    if (auto* m = o.if_contains("mined"); m && !m->is_null()) {
        ZEROG_TRY(const std::string mined, detail::text_of(o, "mined"));
        ZEROG_TRY(const hash256 v, from_hex_fixed<32>(mined));
        t.mined = v;
    }
    return t;
}

inline boost::json::object usage_json(const policy::usage_record& u) {
    boost::json::object o;
    o["kind"] = "usage";
    o["user"] = u.user;
    o["budget"] = u.kind;
    o["period"] = u.period;
    o["used"] = u.used.to_decimal();
    return o;
}

inline result<policy::usage_record> usage_from_json(const boost::json::object& o) {
    policy::usage_record u;
    ZEROG_TRY(u.user, detail::text_of(o, "user"));
    ZEROG_TRY(u.kind, detail::text_of(o, "budget"));
    ZEROG_TRY(u.period, detail::int_of(o, "period"));
    ZEROG_TRY(const std::string used, detail::text_of(o, "used"));
    ZEROG_TRY(u.used, uint256::from_decimal(used));
    return u;
}

}  // namespace zerog::cli
