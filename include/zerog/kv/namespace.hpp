// Namespaces on 0G KV: the layout of a namespace stream, its records, and the key wrapping that
// gives read isolation. Pure code: bytes and JSON text in, batches and records out
// (client/namespace_client.hpp does the I/O). docs/protocol/namespaces.md describes the format.
//
// A namespace is one KV stream (a random 256-bit id). Who may WRITE it is decided by the KV
// nodes replaying the stream (the creator is its admin; writers hold the KV writer role). Who
// may READ it is decided by cryptography, because KV has no read control and everything on 0G
// Storage is public: files are encrypted with the namespace's data key of the current epoch
// (AES-256-CTR, the storage core's v1 header `0x01 ‖ nonce`), and that key is wrapped for every
// member's secp256k1 public key. Revoking a member starts a new epoch with a new key, wrapped for
// the remaining members only; files written before stay readable by whoever had their key.
//
// Keys of a namespace stream (text):
//   zerog.ns/meta                         {"v":1,"kind":"zerog-namespace","name","admin","created","meta":{…}}
//   zerog.ns/epoch                        {"v":1,"epoch":E}                          current data-key epoch
//   zerog.ns/deleted                      {"v":1,"deleted":unix,"by":"0x…"}          tombstone (absent while live)
//   zerog.ns/member/<addr, 40 lower hex>  {"v":1,"role","publicKey","added"}         one per member; deleted on revoke
//   zerog.ns/key/<E>/<addr>               wrapped data key of epoch E for that member (93 bytes)
//   files/<path>                          {"v":1,"root","size","epoch","txSeq","by","at"}  one per file
//
// Trust rule. Every `zerog.ns/…` key is made SPECIAL (kv SET_KEY_TO_SPECIAL) in the same batch
// that writes it, by an admin, and nobody is ever granted a special-writer role, so after that
// only admins can write it. Stream writers can still write a reserved key nobody has made
// special yet (e.g. plant `zerog.ns/member/<them>` before any admin touched it); readers
// therefore accept a reserved key only if the node says it is special (`kv_isSpecialKey`) at the
// version they read. `meta`, `epoch` and `deleted` are made special at creation, before any
// writer exists. File entries (`files/…`) are normal keys: writers write them.
//
// Key wrapping ("zerog-ns-wrap-v1"): for reader public key P, epoch E, stream S and reader
// address A:  e = random scalar, Q = e·G (33 bytes compressed), x = x(ECDH(e, P)),
//   k = HKDF-SHA256(ikm = x, salt = S, info = "zerog/ns/key-wrap/v1" ‖ E (8 bytes BE) ‖ A), 32 bytes
//   wrapped = Q ‖ nonce(12) ‖ AES-256-GCM(k, nonce, aad = Q ‖ S ‖ E ‖ A)(data key) ‖ tag(16)   = 93 bytes
// The HKDF inputs and the AAD bind a wrapped key to its stream, epoch and reader, so it cannot
// be moved to another slot; the GCM tag rejects a corrupted or forged-for-someone-else blob
// (Q is in the AAD because x(ECDH) is the same for Q and −Q).
//
// Thread safety: pure functions.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/core/result.hpp>
#include <zerog/crypto/address.hpp>
#include <zerog/crypto/private_key.hpp>
#include <zerog/crypto/secure_memory.hpp>
#include <zerog/kv/batch.hpp>
#include <zerog/storage/encryption.hpp>

#include <boost/json.hpp>
#include <cryptopp/gcm.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zerog::kv::ns {

namespace json = boost::json;

// ---------------------------------------------------------------------------------------------
// Limits (hostile streams: every record is bounded before it is parsed)

inline constexpr std::size_t max_name_length = 64;            ///< local and on-stream names
inline constexpr std::size_t max_meta_entries = 64;
inline constexpr std::size_t max_meta_key_length = 64;
inline constexpr std::size_t max_meta_value_length = 1024;
inline constexpr std::size_t max_path_length = 1024;          ///< a file's path in the namespace
inline constexpr std::size_t max_record_bytes = 256 * 1024;   ///< any JSON record of the stream
inline constexpr std::size_t max_members = 1024;              ///< members read when listing
inline constexpr std::size_t wrapped_key_size = 33 + 12 + 32 + 16;
inline constexpr std::string_view wrap_info = "zerog/ns/key-wrap/v1";
inline constexpr std::string_view record_kind = "zerog-namespace";

// ---------------------------------------------------------------------------------------------
// Keys

inline constexpr std::string_view reserved_prefix = "zerog.ns/";
inline constexpr std::string_view member_prefix = "zerog.ns/member/";
inline constexpr std::string_view key_prefix = "zerog.ns/key/";
inline constexpr std::string_view files_prefix = "files/";

inline bytes text_key(std::string_view s) { return bytes(s.begin(), s.end()); }
inline bytes meta_key() { return text_key("zerog.ns/meta"); }
inline bytes epoch_key() { return text_key("zerog.ns/epoch"); }
inline bytes deleted_key() { return text_key("zerog.ns/deleted"); }
/// 40 lowercase hex digits, no 0x: one fixed spelling per account.
inline std::string address_slot(const crypto::address& a) { return a.to_lower_hex().substr(2); }
inline bytes member_key(const crypto::address& a) { return text_key(std::string(member_prefix) + address_slot(a)); }
inline bytes wrapped_key_key(std::uint64_t epoch, const crypto::address& a) {
    return text_key(std::string(key_prefix) + std::to_string(epoch) + "/" + address_slot(a));
}
inline bytes file_key(std::string_view path) { return text_key(std::string(files_prefix) + std::string(path)); }

inline bool starts_with(byte_span k, std::string_view prefix) {
    return k.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), k.begin(), [](char c, byte b) { return static_cast<byte>(c) == b; });
}

// ---------------------------------------------------------------------------------------------
// Validation of what users type

/// A namespace name: 1..64 of [A-Za-z0-9._-], not starting with "0x" (that spelling means a
/// stream id wherever a command takes a namespace).
inline result<void> check_name(std::string_view n) {
    if (n.empty() || n.size() > max_name_length)
        return fail(errc::invalid_argument, "a namespace name is 1.." + std::to_string(max_name_length) + " characters, got " + std::to_string(n.size()));
    for (char c : n)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
            return fail(errc::invalid_argument, "a namespace name uses only letters, digits, '.', '_' and '-': \"" + std::string(n) + "\"");
    if (n.size() >= 2 && n[0] == '0' && (n[1] == 'x' || n[1] == 'X'))
        return fail(errc::invalid_argument, "a namespace name must not start with 0x (that is how a stream id is written)");
    return {};
}

/// A path inside a namespace: 1..1024 bytes of valid UTF-8 without control characters.
inline result<void> check_path(std::string_view p) {
    if (p.empty() || p.size() > max_path_length)
        return fail(errc::invalid_argument, "a namespace path is 1.." + std::to_string(max_path_length) + " bytes, got " + std::to_string(p.size()));
    std::size_t i = 0;
    while (i < p.size()) {
        const auto c = static_cast<unsigned char>(p[i]);
        if (c < 0x20 || c == 0x7f) return fail(errc::invalid_argument, "a namespace path must not contain control characters");
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        if (len == 0 || i + len > p.size()) return fail(errc::invalid_argument, "a namespace path must be valid UTF-8");
        for (std::size_t j = 1; j < len; ++j)
            if ((static_cast<unsigned char>(p[i + j]) & 0xc0) != 0x80) return fail(errc::invalid_argument, "a namespace path must be valid UTF-8");
        i += len;
    }
    return {};
}

/// Metadata given as k=v pairs: bounded counts and lengths, keys [A-Za-z0-9._-].
inline result<void> check_meta(const std::map<std::string, std::string>& m) {
    if (m.size() > max_meta_entries) return fail(errc::too_large, "at most " + std::to_string(max_meta_entries) + " metadata entries");
    for (const auto& [k, v] : m) {
        if (k.empty() || k.size() > max_meta_key_length)
            return fail(errc::invalid_argument, "a metadata key is 1.." + std::to_string(max_meta_key_length) + " characters");
        for (char c : k)
            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
                return fail(errc::invalid_argument, "metadata key \"" + k + "\" uses characters other than letters, digits, '.', '_', '-'");
        if (v.size() > max_meta_value_length)
            return fail(errc::too_large, "metadata value of \"" + k + "\" is above " + std::to_string(max_meta_value_length) + " bytes");
    }
    return {};
}

/// The address of a secp256k1 public key given as 33, 64 or 65 bytes, and its compressed form.
/// Errors: invalid_key.
struct public_identity {
    crypto::address address;
    fixed_bytes<33> compressed{};
};
inline result<public_identity> identity_of(byte_span pub) {
    ZEROG_TRY(const secp256k1_pubkey pk, storage::detail::parse_pubkey(pub));
    byte xy65[65];
    std::size_t len = 65;
    secp256k1_ec_pubkey_serialize(crypto::secp256k1_ctx(), xy65, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
    const std::span<const byte, 64> xy(xy65 + 1, 64);
    return public_identity{crypto::address::from_public_key(xy), crypto::compress_public_key(xy)};
}
/// The identity of a private key (its address and compressed public key).
inline public_identity identity_of(const crypto::private_key& k) {
    const auto xy = crypto::public_key_of(k);
    return public_identity{crypto::address::from_public_key(xy.span()), crypto::compress_public_key(xy.span())};
}

// ---------------------------------------------------------------------------------------------
// Roles

enum class role : std::uint8_t { reader, writer, admin };

constexpr std::string_view role_name(role r) noexcept {
    return r == role::admin ? "admin" : r == role::writer ? "writer" : "reader";
}
inline result<role> parse_role(std::string_view s) {
    if (s == "reader") return role::reader;
    if (s == "writer") return role::writer;
    if (s == "admin") return role::admin;
    return fail(errc::invalid_argument, "a role is reader, writer or admin, got \"" + std::string(s) + "\"");
}

// ---------------------------------------------------------------------------------------------
// Records

struct metadata_record {
    std::string name;
    crypto::address admin;
    std::int64_t created = 0;  ///< unix seconds
    std::map<std::string, std::string> meta;
};

struct member_record {
    crypto::address address;
    role member_role = role::reader;
    fixed_bytes<33> public_key{};
    std::int64_t added = 0;
};

struct file_record {
    std::string path;
    hash256 root{};
    std::uint64_t size = 0;     ///< plaintext bytes
    std::uint64_t epoch = 0;    ///< the data key that encrypted it
    std::uint64_t tx_seq = 0;   ///< the storage submission of the ciphertext
    crypto::address by;
    std::int64_t at = 0;
    std::uint64_t version = 0;  ///< the KV version of the entry (filled by readers)
};

struct tombstone_record {
    std::int64_t deleted = 0;
    crypto::address by;
};

namespace detail {
inline std::string text(const bytes& b) { return std::string(b.begin(), b.end()); }
inline bytes to_value(const json::object& o) {
    const std::string s = json::serialize(o);
    return bytes(s.begin(), s.end());
}
/// Parse a bounded record: an object with "v":1.
inline result<json::object> parse_record(byte_span value, std::string_view what) {
    if (value.size() > max_record_bytes)
        return fail(errc::too_large, std::string(what) + " record of " + std::to_string(value.size()) + " bytes exceeds " +
                                         std::to_string(max_record_bytes));
    boost::system::error_code ec;
    json::parse_options po;
    po.max_depth = 8;
    json::value v = json::parse(std::string_view(reinterpret_cast<const char*>(value.data()), value.size()), ec, {}, po);
    if (ec || !v.is_object()) return fail(errc::malformed_response, std::string(what) + " record is not a JSON object");
    json::object& o = v.as_object();
    const json::value* ver = o.if_contains("v");
    if (!ver || !ver->is_int64() || ver->as_int64() != 1)
        return fail(errc::not_supported, std::string(what) + " record has an unknown format version (this zerog reads v1)");
    return std::move(o);
}
inline result<std::string> str(const json::object& o, std::string_view f, std::string_view what) {
    const json::value* v = o.if_contains(f);
    if (!v || !v->is_string()) return fail(errc::malformed_response, std::string(what) + " record: \"" + std::string(f) + "\" is not a string");
    return std::string(v->get_string());
}
inline result<std::uint64_t> u64(const json::object& o, std::string_view f, std::string_view what) {
    const json::value* v = o.if_contains(f);
    if (v && v->is_uint64()) return v->get_uint64();
    if (v && v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
    return fail(errc::malformed_response, std::string(what) + " record: \"" + std::string(f) + "\" is not an unsigned integer");
}
inline result<std::int64_t> i64(const json::object& o, std::string_view f, std::string_view what) {
    const json::value* v = o.if_contains(f);
    if (v && v->is_int64()) return v->get_int64();
    if (v && v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(v->get_uint64());
    return fail(errc::malformed_response, std::string(what) + " record: \"" + std::string(f) + "\" is not an integer");
}
inline result<crypto::address> addr(const json::object& o, std::string_view f, std::string_view what) {
    ZEROG_TRY(const std::string s, str(o, f, what));
    auto a = crypto::address::parse(s);
    if (!a) return fail(errc::malformed_response, std::string(what) + " record: \"" + std::string(f) + "\" is not an address");
    return *a;
}
}  // namespace detail

inline bytes encode_metadata(const metadata_record& m) {
    json::object meta;
    for (const auto& [k, v] : m.meta) meta[k] = v;
    return detail::to_value(json::object{{"v", 1}, {"kind", record_kind}, {"name", m.name}, {"admin", m.admin.to_checksum_hex()},
                                         {"created", m.created}, {"meta", std::move(meta)}});
}
inline result<metadata_record> decode_metadata(byte_span value) {
    ZEROG_TRY(const json::object o, detail::parse_record(value, "namespace metadata"));
    ZEROG_TRY(const std::string kind, detail::str(o, "kind", "namespace metadata"));
    if (kind != record_kind) return fail(errc::malformed_response, "the stream's metadata is not a zerog namespace (kind \"" + kind + "\")");
    metadata_record m;
    ZEROG_TRY(m.name, detail::str(o, "name", "namespace metadata"));
    ZEROG_CHECK(check_name(m.name));
    ZEROG_TRY(m.admin, detail::addr(o, "admin", "namespace metadata"));
    ZEROG_TRY(m.created, detail::i64(o, "created", "namespace metadata"));
    const json::value* meta = o.if_contains("meta");
    if (!meta || !meta->is_object()) return fail(errc::malformed_response, "namespace metadata: \"meta\" is not an object");
    for (const auto& kv : meta->get_object()) {
        if (!kv.value().is_string()) return fail(errc::malformed_response, "namespace metadata: a metadata value is not a string");
        m.meta.emplace(std::string(kv.key()), std::string(kv.value().get_string()));
    }
    ZEROG_CHECK(check_meta(m.meta));
    return m;
}

inline bytes encode_epoch(std::uint64_t epoch) { return detail::to_value(json::object{{"v", 1}, {"epoch", epoch}}); }
inline result<std::uint64_t> decode_epoch(byte_span value) {
    ZEROG_TRY(const json::object o, detail::parse_record(value, "namespace epoch"));
    return detail::u64(o, "epoch", "namespace epoch");
}

inline bytes encode_member(const member_record& m) {
    return detail::to_value(json::object{{"v", 1}, {"address", m.address.to_checksum_hex()}, {"role", role_name(m.member_role)},
                                         {"publicKey", to_hex(m.public_key)}, {"added", m.added}});
}
inline result<member_record> decode_member(byte_span value) {
    ZEROG_TRY(const json::object o, detail::parse_record(value, "namespace member"));
    member_record m;
    ZEROG_TRY(m.address, detail::addr(o, "address", "namespace member"));
    ZEROG_TRY(const std::string r, detail::str(o, "role", "namespace member"));
    ZEROG_TRY(m.member_role, parse_role(r));
    ZEROG_TRY(const std::string pk, detail::str(o, "publicKey", "namespace member"));
    auto raw = from_hex_fixed<33>(pk, hex_prefix::required);
    if (!raw) return fail(errc::malformed_response, "namespace member: \"publicKey\" is not 33 bytes of hex");
    // The key must be the member's: an admin who typed a wrong key would lock the member out.
    auto id = identity_of(*raw);
    if (!id) return fail(errc::malformed_response, "namespace member: \"publicKey\" is not a secp256k1 point");
    m.public_key = id->compressed;
    if (id->address != m.address)
        return fail(errc::malformed_response, "namespace member: the public key does not belong to " + m.address.to_checksum_hex());
    ZEROG_TRY(m.added, detail::i64(o, "added", "namespace member"));
    return m;
}

inline bytes encode_file(const file_record& f) {
    return detail::to_value(json::object{{"v", 1}, {"path", f.path}, {"root", to_hex(f.root)}, {"size", f.size}, {"epoch", f.epoch},
                                         {"txSeq", f.tx_seq}, {"by", f.by.to_checksum_hex()}, {"at", f.at}});
}
inline result<file_record> decode_file(byte_span value) {
    ZEROG_TRY(const json::object o, detail::parse_record(value, "namespace file"));
    file_record f;
    ZEROG_TRY(f.path, detail::str(o, "path", "namespace file"));
    ZEROG_CHECK(check_path(f.path));
    ZEROG_TRY(const std::string root, detail::str(o, "root", "namespace file"));
    auto r = from_hex_fixed<32>(root, hex_prefix::required);
    if (!r) return fail(errc::malformed_response, "namespace file: \"root\" is not 32 bytes of hex");
    f.root = *r;
    ZEROG_TRY(f.size, detail::u64(o, "size", "namespace file"));
    ZEROG_TRY(f.epoch, detail::u64(o, "epoch", "namespace file"));
    ZEROG_TRY(f.tx_seq, detail::u64(o, "txSeq", "namespace file"));
    ZEROG_TRY(f.by, detail::addr(o, "by", "namespace file"));
    ZEROG_TRY(f.at, detail::i64(o, "at", "namespace file"));
    return f;
}

inline bytes encode_tombstone(const tombstone_record& t) {
    return detail::to_value(json::object{{"v", 1}, {"deleted", t.deleted}, {"by", t.by.to_checksum_hex()}});
}
inline result<tombstone_record> decode_tombstone(byte_span value) {
    ZEROG_TRY(const json::object o, detail::parse_record(value, "namespace tombstone"));
    tombstone_record t;
    ZEROG_TRY(t.deleted, detail::i64(o, "deleted", "namespace tombstone"));
    ZEROG_TRY(t.by, detail::addr(o, "by", "namespace tombstone"));
    return t;
}

// ---------------------------------------------------------------------------------------------
// Data keys and their wrapping

using data_key = storage::aes_key;

/// A fresh data key from the OS CSPRNG.
inline data_key new_data_key() {
    data_key k;
    crypto::random_bytes(k.span());
    return k;
}

namespace detail {
/// S ‖ E (8 bytes BE) ‖ A: the HKDF info suffix; the GCM AAD is Q ‖ S ‖ E ‖ A, because the
/// ECDH x-coordinate is the same for Q and −Q (a flipped parity byte must not still decrypt).
inline bytes wrap_context(const stream_id& s, std::uint64_t epoch, const crypto::address& a) {
    bytes c(s.begin(), s.end());
    for (int i = 7; i >= 0; --i) c.push_back(static_cast<byte>(epoch >> (8 * i)));
    c.insert(c.end(), a.bytes().begin(), a.bytes().end());
    return c;
}
inline bytes wrap_aad(byte_span q33, const stream_id& s, std::uint64_t epoch, const crypto::address& a) {
    bytes c(q33.begin(), q33.end());
    const bytes rest = wrap_context(s, epoch, a);
    c.insert(c.end(), rest.begin(), rest.end());
    return c;
}
inline result<data_key> wrap_kek(const secp256k1_pubkey& pub, const byte* priv32, const stream_id& s, std::uint64_t epoch,
                                 const crypto::address& a) {
    crypto::wiped_array<32> shared;
    if (!secp256k1_ecdh(crypto::secp256k1_ctx(), shared.data(), &pub, priv32, storage::detail::ecdh_copy_x, nullptr))
        return fail(errc::invalid_key, "ECDH failed (invalid scalar)");
    bytes info(wrap_info.begin(), wrap_info.end());
    const bytes ctx = wrap_context(s, epoch, a);
    info.insert(info.end(), ctx.begin(), ctx.end());
    data_key kek;
    CryptoPP::HKDF<CryptoPP::SHA256> hkdf;
    hkdf.DeriveKey(kek.data(), kek.size(), shared.data(), 32, s.data(), s.size(), info.data(), info.size());
    return kek;
}
}  // namespace detail

/// Wrap `key` for the member with public key `pub` (33/64/65 bytes) at (stream, epoch). The
/// address is derived from `pub`. Errors: invalid_key for a bad public key.
inline result<bytes> wrap_key(const data_key& key, byte_span pub, const stream_id& stream, std::uint64_t epoch) {
    ZEROG_TRY(const secp256k1_pubkey recipient, storage::detail::parse_pubkey(pub));
    ZEROG_TRY(const public_identity id, identity_of(pub));
    const crypto::address who = id.address;
    storage::ephemeral_key eph;
    ZEROG_CHECK(storage::new_ephemeral_key(eph));
    ZEROG_TRY(data_key kek, detail::wrap_kek(recipient, eph.secret.data(), stream, epoch, who));
    bytes out(wrapped_key_size);
    std::copy(eph.public_compressed.begin(), eph.public_compressed.end(), out.begin());
    crypto::random_bytes(std::span<byte>(out.data() + 33, 12));
    const bytes aad = detail::wrap_aad(byte_span(out.data(), 33), stream, epoch, who);
    CryptoPP::GCM<CryptoPP::AES>::Encryption enc;
    enc.SetKeyWithIV(kek.data(), kek.size(), out.data() + 33, 12);
    enc.EncryptAndAuthenticate(out.data() + 45, out.data() + 45 + 32, 16, out.data() + 33, 12, aad.data(), aad.size(), key.data(), key.size());
    crypto::secure_wipe(kek.data(), kek.size());
    return out;
}

/// Unwrap a wrapped key with the member's private key. Errors: invalid_length (not 93 bytes),
/// invalid_key (bad point), verification_failed (not wrapped for this key, stream, epoch).
inline result<data_key> unwrap_key(byte_span wrapped, const crypto::private_key& me, const stream_id& stream, std::uint64_t epoch) {
    if (wrapped.size() != wrapped_key_size)
        return fail(errc::invalid_length, "a wrapped namespace key is " + std::to_string(wrapped_key_size) + " bytes, got " + std::to_string(wrapped.size()));
    ZEROG_TRY(const secp256k1_pubkey eph, storage::detail::parse_pubkey(wrapped.subspan(0, 33)));
    const crypto::address who = identity_of(me).address;
    ZEROG_TRY(data_key kek, detail::wrap_kek(eph, me.unsafe_bytes().data(), stream, epoch, who));
    const bytes aad = detail::wrap_aad(wrapped.subspan(0, 33), stream, epoch, who);
    data_key key;
    CryptoPP::GCM<CryptoPP::AES>::Decryption dec;
    dec.SetKeyWithIV(kek.data(), kek.size(), wrapped.data() + 33, 12);
    const bool ok = dec.DecryptAndVerify(key.data(), wrapped.data() + 45 + 32, 16, wrapped.data() + 33, 12, aad.data(), aad.size(),
                                         wrapped.data() + 45, 32);
    crypto::secure_wipe(kek.data(), kek.size());
    if (!ok) {
        crypto::secure_wipe(key.data(), key.size());
        return fail(errc::verification_failed, "the namespace key of epoch " + std::to_string(epoch) + " is not wrapped for " +
                                                   who.to_checksum_hex() + " (or was altered)");
    }
    return key;
}

// ---------------------------------------------------------------------------------------------
// Batches (what each namespace operation writes; the client uploads them)

namespace detail {
inline void write_special(batch& b, const stream_id& s, bytes key, bytes value) {
    b.ops.push_back(acl_op{acl_op_type::set_key_to_special, s, key, std::nullopt});
    b.writes.push_back(kv_write{s, std::move(key), std::move(value)});
}
}  // namespace detail

/// The creating batch: metadata, epoch 0, the creator as admin member with the epoch-0 key
/// wrapped for them, and `deleted` made special (empty until deleted). The stream must be new:
/// the node then makes the sender its admin (spec §5.3, implicit admin).
inline result<batch> create_batch(const stream_id& s, const metadata_record& meta, const member_record& creator, const data_key& k0) {
    ZEROG_CHECK(check_name(meta.name));
    ZEROG_CHECK(check_meta(meta.meta));
    batch b;
    detail::write_special(b, s, meta_key(), encode_metadata(meta));
    detail::write_special(b, s, epoch_key(), encode_epoch(0));
    detail::write_special(b, s, member_key(creator.address), encode_member(creator));
    ZEROG_TRY(bytes w, wrap_key(k0, creator.public_key, s, 0));
    detail::write_special(b, s, wrapped_key_key(0, creator.address), std::move(w));
    b.ops.push_back(acl_op{acl_op_type::set_key_to_special, s, deleted_key(), std::nullopt});
    return b;
}

/// Grant (or change) a member's role. `keys` holds the data key of every epoch 0..E (all wrapped
/// for the member, so they can read files written before they joined). `previous` is the
/// member's role before, if any (a writer demoted to reader loses the KV writer role).
inline result<batch> grant_batch(const stream_id& s, const member_record& m, std::optional<role> previous, const std::vector<data_key>& keys) {
    batch b;
    detail::write_special(b, s, member_key(m.address), encode_member(m));
    for (std::uint64_t e = 0; e < keys.size(); ++e) {
        ZEROG_TRY(bytes w, wrap_key(keys[e], m.public_key, s, e));
        detail::write_special(b, s, wrapped_key_key(e, m.address), std::move(w));
    }
    if (m.member_role == role::admin) b.ops.push_back(acl_op{acl_op_type::grant_admin_role, s, {}, m.address});
    if (m.member_role == role::writer) b.ops.push_back(acl_op{acl_op_type::grant_writer_role, s, {}, m.address});
    if (m.member_role == role::reader && previous == role::writer) b.ops.push_back(acl_op{acl_op_type::revoke_writer_role, s, {}, m.address});
    return b;
}

/// Revoke `gone` and rotate: epoch E+1 with `next_key`, wrapped for each remaining member.
/// The KV protocol has no way to revoke another admin (only RENOUNCE_ADMIN_ROLE by the admin
/// itself): the caller refuses that before building the batch.
inline result<batch> revoke_batch(const stream_id& s, const member_record& gone, std::uint64_t next_epoch, const data_key& next_key,
                                  const std::vector<member_record>& remaining) {
    batch b;
    b.writes.push_back(kv_write{s, member_key(gone.address), {}});  // deleted; the key stays special
    if (gone.member_role == role::writer) b.ops.push_back(acl_op{acl_op_type::revoke_writer_role, s, {}, gone.address});
    detail::write_special(b, s, epoch_key(), encode_epoch(next_epoch));
    for (const auto& m : remaining) {
        ZEROG_TRY(bytes w, wrap_key(next_key, m.public_key, s, next_epoch));
        detail::write_special(b, s, wrapped_key_key(next_epoch, m.address), std::move(w));
    }
    return b;
}

/// Delete: the tombstone, and every writer's KV role revoked. Other admins cannot be revoked
/// (KV has no such op); they are listed by the caller.
inline batch delete_batch(const stream_id& s, const tombstone_record& t, const std::vector<member_record>& members) {
    batch b;
    b.writes.push_back(kv_write{s, deleted_key(), encode_tombstone(t)});  // made special at creation
    for (const auto& m : members)
        if (m.member_role == role::writer) b.ops.push_back(acl_op{acl_op_type::revoke_writer_role, s, {}, m.address});
    return b;
}

}  // namespace zerog::kv::ns
