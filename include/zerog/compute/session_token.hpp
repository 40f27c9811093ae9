// 0G Compute G3 session tokens (docs/protocol/compute.md §4.3): building, signing, encoding, and the
// provider-side parser/validator.
//
// Wire format, byte for byte what @0gfoundation/0g-compute-ts-sdk 0.9.0 produces:
//
//   tokenJSON = {"address":"<EIP-55 user>","provider":"<EIP-55 provider>","timestamp":<ms>,
//                "expiresAt":<ms>,"nonce":"<string>","generation":<int>,"tokenId":<int>}   (no spaces)
//   signature = personal_sign(keccak256(tokenJSON))   — EIP-191 over the 32 raw hash bytes
//   header    = "Bearer app-sk-" + base64std(tokenJSON + "|" + 0x-hex(r‖s‖v))
//
// tokenId 255 is an ephemeral session token (expiresAt = timestamp + lifetime, lifetime ≤ 24 h);
// 0–254 are persistent API keys (expiresAt 0 = never). Signing goes through any crypto::Signer: the
// private key never leaves the signer. Tokens are bearer credentials (§4.3): never log them.
//
// Validation (`check_session_token`) follows the Go broker's ValidateSession order and messages
// (§4.3, §8): parse → provider → ephemeral expiry rules → expiry → generation/revocation →
// signature, so a provider emulator built on it answers exactly what a real provider answers.
// It is stricter than Go on syntax (duplicate keys, unknown or missing fields, non-EIP-55 mixed
// case and a non-canonical signature are rejected as malformed): an SDK token never has them.
//
// Thread safety: all functions are pure or as thread-safe as the Signer passed; `session_token`
// is an immutable value.
#pragma once

#include <zerog/compute/flat_json.hpp>
#include <zerog/core/bytes.hpp>
#include <zerog/core/uint256.hpp>
#include <zerog/crypto/address.hpp>
#include <zerog/crypto/keccak.hpp>
#include <zerog/crypto/personal_sign.hpp>
#include <zerog/core/clock.hpp>
#include <zerog/crypto/signer.hpp>

#include <sys/random.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zerog::compute {

/// tokenId of an ephemeral session token; 0–254 are persistent API keys.
inline constexpr std::uint8_t ephemeral_token_id = 255;
/// Longest ephemeral lifetime the broker accepts ("ephemeral token duration cannot exceed 24 hours").
inline constexpr std::chrono::milliseconds max_ephemeral_lifetime{86'400'000};
/// Our default lifetime of a cached token: 5 minutes. Real providers accept a session token until
/// it expires and keep no record of nonces, so a leaked token replays for its whole lifetime; the
/// SDK's 24 h is a day-long bearer credential. Renewal ahead of expiry (token_cache_options::
/// renew_margin) costs one signature (~40 µs) per provider every few minutes.
inline constexpr std::chrono::milliseconds default_token_lifetime{5 * 60'000};
/// The longest lifetime a session_token_cache accepts (configurable up to this bound): 1 hour.
inline constexpr std::chrono::milliseconds max_cached_token_lifetime{60 * 60'000};
/// Largest integer JavaScript (hence the SDK) represents exactly: bound for values we emit.
inline constexpr std::int64_t js_max_safe_integer = 9'007'199'254'740'991;
/// Longest nonce we emit or accept (the SDK's is 32 characters).
inline constexpr std::size_t max_nonce_size = 256;

inline constexpr std::string_view bearer_prefix = "Bearer ";
inline constexpr std::string_view app_sk_prefix = "app-sk-";

/// The seven claims of a token, as signed. Addresses are kept parsed; the JSON spells them EIP-55.
struct session_claims {
    crypto::address address;        ///< the user (signer)
    crypto::address provider;       ///< the provider the token is for
    std::int64_t timestamp_ms = 0;  ///< issue time, Unix ms
    std::int64_t expires_at_ms = 0; ///< Unix ms; 0 = never (API keys only)
    std::string nonce;              ///< uniqueness only; the broker does not check its format
    std::uint64_t generation = 0;   ///< must equal the on-chain account generation
    std::uint8_t token_id = ephemeral_token_id;

    bool is_ephemeral() const noexcept { return token_id == ephemeral_token_id; }
};

/// A signed token with every derived form precomputed (immutable value; cheap to share by pointer).
struct session_token {
    session_claims claims;
    std::string json;             ///< the exact signed bytes
    hash256 json_hash;            ///< keccak256(json)
    hash256 digest;               ///< EIP-191 digest of json_hash (what the signer signed)
    fixed_bytes<65> signature;    ///< r ‖ s ‖ v, v ∈ {27, 28}
    std::string authorization;    ///< "Bearer app-sk-…", the full Authorization header value

    /// "app-sk-…": the same credential as an OpenAI apiKey (what `get-secret` prints).
    std::string_view raw() const noexcept { return std::string_view(authorization).substr(bearer_prefix.size()); }
    std::string signature_hex() const { return to_hex(signature); }
};

/// Unix milliseconds of `clock.wall_now()` (for token_requirements::now_ms).
template <zerog::Clock C>
std::int64_t wall_ms(const C& clock) noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock.wall_now().time_since_epoch()).count();
}

/// The exact token JSON for `c` (JSON.stringify of the SDK's object literal). `c.nonce` must be
/// valid UTF-8 (escaped like JSON.stringify); numbers are printed as integers.
inline std::string session_token_json(const session_claims& c) {
    std::string out;
    out.reserve(200 + c.nonce.size());
    out.append("{\"address\":\"").append(c.address.to_checksum_hex());
    out.append("\",\"provider\":\"").append(c.provider.to_checksum_hex());
    out.append("\",\"timestamp\":").append(std::to_string(c.timestamp_ms));
    out.append(",\"expiresAt\":").append(std::to_string(c.expires_at_ms));
    out.append(",\"nonce\":");
    append_json_string(out, c.nonce);
    out.append(",\"generation\":").append(std::to_string(c.generation));
    out.append(",\"tokenId\":").append(std::to_string(static_cast<unsigned>(c.token_id)));
    out.push_back('}');
    return out;
}

/// "Bearer app-sk-" + base64(json + "|" + 0x-hex signature).
inline std::string encode_authorization(std::string_view json, const fixed_bytes<65>& sig) {
    std::string payload;
    payload.reserve(json.size() + 1 + 132);
    payload.append(json).push_back('|');
    payload.append(to_hex(sig));
    std::string out;
    out.reserve(bearer_prefix.size() + app_sk_prefix.size() + (payload.size() + 2) / 3 * 4);
    out.append(bearer_prefix).append(app_sk_prefix).append(base64_encode(as_bytes(payload)));
    return out;
}

/// Fill `out` from the kernel CSPRNG (getrandom(2); blocks only before the pool is initialised at
/// boot). Errors: errc::internal.
inline result<void> os_random_bytes(std::span<byte> out) {
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(errc::internal, "getrandom failed (errno " + std::to_string(errno) + ")");
        }
        done += static_cast<std::size_t>(n);
    }
    return {};
}

/// A fresh nonce in the SDK's Node format: "<now_ms>-<13 base-36 chars>" right-padded with '0' to
/// 32 characters. The SDK draws the 13 characters from Math.random; we draw them uniformly from the
/// kernel CSPRNG (rejection sampling, 13·log2(36) ≈ 67 bits), so nonces are unique in practice
/// even across processes and machines. Errors: errc::internal (no randomness).
inline result<std::string> generate_nonce(std::int64_t now_ms) {
    static constexpr char digits36[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::string out = std::to_string(now_ms);
    out.push_back('-');
    int have = 0;
    while (have < 13) {
        byte buf[32];
        ZEROG_CHECK(os_random_bytes(buf));
        for (byte b : buf) {
            if (b >= 252) continue;  // 252 = 7·36: keep the distribution uniform
            out.push_back(digits36[b % 36]);
            if (++have == 13) break;
        }
    }
    if (out.size() < 32) out.append(32 - out.size(), '0');
    return out;
}

/// How to build a token. Unset optionals are filled from the clock and the CSPRNG; set them only to
/// reproduce a token (tests, vectors, `zerog token --timestamp-ms …`).
struct session_token_options {
    std::chrono::milliseconds lifetime = default_token_lifetime;  ///< ephemeral: expiresAt = timestamp + lifetime (≤ 24 h)
    std::uint64_t generation = 0;                                 ///< on-chain account generation
    std::uint8_t token_id = ephemeral_token_id;                   ///< 255 ephemeral; 0–254 API key
    std::optional<std::int64_t> timestamp_ms;                     ///< pinned issue time
    std::optional<std::int64_t> expires_at_ms;                    ///< pinned expiry (API key default: 0 = never)
    std::optional<std::string> nonce;                             ///< pinned nonce
};

/// Check the claims we are about to sign against the broker's rules, so we never issue a token the
/// provider will refuse. Errors: errc::invalid_argument naming the rule.
inline result<void> check_issuable(const session_claims& c) {
    auto bad = [](std::string why) { return fail(errc::invalid_argument, "session token: " + std::move(why)); };
    if (c.timestamp_ms < 0 || c.timestamp_ms > js_max_safe_integer) return bad("timestamp out of range");
    if (c.expires_at_ms < 0 || c.expires_at_ms > js_max_safe_integer) return bad("expiresAt out of range");
    if (c.generation > static_cast<std::uint64_t>(js_max_safe_integer)) return bad("generation above 2^53-1");
    if (c.nonce.empty() || c.nonce.size() > max_nonce_size) return bad("nonce must be 1.." + std::to_string(max_nonce_size) + " bytes");
    if (!is_valid_utf8(c.nonce)) return bad("nonce is not valid UTF-8");
    if (c.is_ephemeral()) {
        if (c.expires_at_ms == 0) return bad("ephemeral token must have an expiration time");
        if (c.expires_at_ms <= c.timestamp_ms) return bad("expiresAt must be after timestamp");
        if (c.expires_at_ms - c.timestamp_ms > max_ephemeral_lifetime.count())
            return bad("ephemeral token duration cannot exceed 24 hours");
    } else if (c.expires_at_ms != 0 && c.expires_at_ms <= c.timestamp_ms) {
        return bad("expiresAt must be 0 (never) or after timestamp");
    }
    return {};
}

/// Sign already-complete claims (claims.address must be the signer's). Errors: invalid_argument
/// (check_issuable, or an address that is not the signer's), the signer's own errors.
template <crypto::Signer S>
result<session_token> sign_session_token(const S& signer, session_claims claims) {
    if (crypto::address(signer.address()) != claims.address)
        return fail(errc::invalid_argument, "session token: claims.address is not the signer's address");
    ZEROG_CHECK(check_issuable(claims));
    session_token t;
    t.json = session_token_json(claims);
    t.json_hash = crypto::keccak256(std::string_view(t.json));
    t.digest = crypto::personal_message_digest(byte_span(t.json_hash));
    auto sig = signer.sign_digest(t.digest);
    if (!sig) return fail(std::move(sig).error().during("signing a session token"));
    t.signature = sig->to_rsv();
    t.authorization = encode_authorization(t.json, t.signature);
    t.claims = std::move(claims);
    return t;
}

/// Build and sign a token for `provider` (spec §4.3). Time comes from `clock.wall_now()` unless
/// pinned. Errors: errc::invalid_argument (lifetime ≤ 0 or > 24 h, pinned values the broker would
/// refuse), errc::internal (no randomness), the signer's errors.
template <crypto::Signer S, zerog::Clock C = zerog::system_clock_policy>
result<session_token> make_session_token(const S& signer, const crypto::address& provider,
                                         const session_token_options& opt = {}, const C& clock = {}) {
    session_claims c;
    c.address = crypto::address(signer.address());
    c.provider = provider;
    c.generation = opt.generation;
    c.token_id = opt.token_id;
    c.timestamp_ms = opt.timestamp_ms ? *opt.timestamp_ms : wall_ms(clock);
    if (c.timestamp_ms < 0 || c.timestamp_ms > js_max_safe_integer)  // before any arithmetic on it
        return fail(errc::invalid_argument, "session token: timestamp out of range");
    if (opt.expires_at_ms) {
        c.expires_at_ms = *opt.expires_at_ms;
    } else if (c.is_ephemeral()) {
        if (opt.lifetime <= std::chrono::milliseconds::zero() || opt.lifetime > max_ephemeral_lifetime)
            return fail(errc::invalid_argument, "session token lifetime must be in (0, 24 h], got " +
                                                    std::to_string(opt.lifetime.count()) + " ms");
        c.expires_at_ms = c.timestamp_ms + opt.lifetime.count();
    }  // else: API key that never expires (the SDK's createApiKey default)
    if (opt.nonce) {
        c.nonce = *opt.nonce;
    } else {
        ZEROG_TRY(c.nonce, generate_nonce(c.timestamp_ms));
    }
    return sign_session_token(signer, std::move(c));
}

// ---------------------------------------------------------------------------------------------
// Parsing and validation (the provider side)

/// The broker's error texts (spec §8), used verbatim as error details so an emulator can answer them.
namespace broker_messages {
inline constexpr std::string_view invalid_header =
    "missing or invalid Authorization header, must be Bearer app-sk-<base64(rawMessage:signature)>";
inline constexpr std::string_view different_provider = "session token is for different provider";
inline constexpr std::string_view expired = "session token expired";
inline constexpr std::string_view missing_expiry = "ephemeral token must have an expiration time";
inline constexpr std::string_view lifetime_exceeded = "ephemeral token duration cannot exceed 24 hours";
inline constexpr std::string_view generation_revoked = "session token has been revoked (generation expired)";
inline constexpr std::string_view future_generation = "invalid session token (future generation)";
inline constexpr std::string_view token_revoked = "session token has been revoked";
inline constexpr std::string_view address_mismatch = "signature verification failed: address mismatch";
}  // namespace broker_messages

/// A token taken apart but not yet verified.
struct decoded_session_token {
    session_claims claims;
    std::string json;           ///< the signed bytes as received
    fixed_bytes<65> signature;  ///< as received (v 27/28)
};

/// Decode "Bearer app-sk-…" or "app-sk-…": base64 (standard, padded, strict), split at the first
/// '|', parse the JSON strictly (all seven fields, exact types, no duplicates, no unknown keys,
/// EIP-55-valid addresses) and the 0x-hex 65-byte signature. No cryptographic check.
/// Errors: errc::invalid_base64 (payload), errc::parse_error (everything else), each with a detail.
inline result<decoded_session_token> decode_session_token(std::string_view header) {
    auto malformed = [](std::string why) { return fail(errc::parse_error, "malformed session token: " + std::move(why)); };
    if (header.substr(0, bearer_prefix.size()) == bearer_prefix) header.remove_prefix(bearer_prefix.size());
    if (header.substr(0, app_sk_prefix.size()) != app_sk_prefix)
        return fail(errc::parse_error, std::string(broker_messages::invalid_header));
    header.remove_prefix(app_sk_prefix.size());
    if (header.size() > 4 * max_flat_json_size / 3 + 4) return malformed("payload too large");
    auto raw = base64_decode(header);
    if (!raw) return fail(zerog::error(errc::invalid_base64, "malformed session token: payload is not base64: " + raw.error().detail()));
    const std::string_view payload(reinterpret_cast<const char*>(raw->data()), raw->size());
    const auto bar = payload.find('|');
    if (bar == std::string_view::npos) return malformed("no '|' between token and signature");
    decoded_session_token d;
    d.json = std::string(payload.substr(0, bar));
    const std::string_view sig = payload.substr(bar + 1);
    auto sb = from_hex_fixed<65>(sig, hex_prefix::required);
    if (!sb) return malformed("signature is not 0x + 130 hex digits: " + sb.error().detail());
    d.signature = *sb;

    auto obj = parse_flat_json(d.json);
    if (!obj) return malformed(obj.error().detail());
    static constexpr std::string_view keys[] = {"address", "provider", "timestamp", "expiresAt", "nonce", "generation", "tokenId"};
    for (const auto& [k, v] : obj->members) {
        bool known = false;
        for (auto kk : keys) known |= (k == kk);
        if (!known) return malformed("unknown field \"" + detail::printable_prefix(k) + "\"");
    }
    const flat_json_value* f[7];
    for (int i = 0; i < 7; ++i) {
        f[i] = obj->find(keys[i]);
        if (!f[i]) return malformed("missing field \"" + std::string(keys[i]) + "\"");
    }
    auto addr = [&](const flat_json_value* v, std::string_view name) -> result<crypto::address> {
        if (v->type != flat_json_value::kind::string) return malformed(std::string(name) + " must be a string");
        auto a = crypto::address::parse(v->text);
        if (!a) return malformed(std::string(name) + ": " + a.error().detail());
        return *a;
    };
    auto num = [&](result<std::int64_t> r) -> result<std::int64_t> {
        if (!r) return malformed(r.error().detail());
        return *r;
    };
    ZEROG_TRY(d.claims.address, addr(f[0], "address"));
    ZEROG_TRY(d.claims.provider, addr(f[1], "provider"));
    ZEROG_TRY(d.claims.timestamp_ms, num(json_integer(*f[2], "timestamp", INT64_MIN, INT64_MAX)));
    ZEROG_TRY(d.claims.expires_at_ms, num(json_integer(*f[3], "expiresAt", INT64_MIN, INT64_MAX)));
    if (f[4]->type != flat_json_value::kind::string) return malformed("nonce must be a string");
    if (f[4]->text.size() > max_nonce_size) return malformed("nonce longer than " + std::to_string(max_nonce_size) + " bytes");
    d.claims.nonce = f[4]->text;
    auto gen = json_unsigned(*f[5], "generation", UINT64_MAX);
    if (!gen) return malformed(gen.error().detail());
    d.claims.generation = *gen;
    auto tid = json_unsigned(*f[6], "tokenId", 255);
    if (!tid) return malformed(tid.error().detail());
    d.claims.token_id = static_cast<std::uint8_t>(*tid);
    return d;
}

/// The address that signed `d` (personal_sign over keccak256(json)); high-s and bad v rejected.
/// Errors: errc::invalid_signature.
inline result<crypto::address> recover_token_signer(const decoded_session_token& d) {
    const hash256 h = crypto::keccak256(std::string_view(d.json));
    return crypto::recover_personal(byte_span(h), byte_span(d.signature)).during("verifying a session token signature");
}

/// Why a token was refused (none = accepted).
enum class token_rejection {
    none,
    malformed,           ///< not Bearer app-sk-…, bad base64, bad JSON or field (errc::parse_error / invalid_base64)
    foreign_provider,    ///< issued for another provider (errc::unauthorized)
    missing_expiry,      ///< ephemeral with expiresAt 0 (errc::unauthorized)
    lifetime_exceeded,   ///< ephemeral lifetime > 24 h (errc::unauthorized)
    expired,             ///< now past expiresAt (errc::unauthorized)
    generation_revoked,  ///< token generation below the account's (errc::unauthorized)
    future_generation,   ///< token generation above the account's (errc::unauthorized)
    token_revoked,       ///< API key id set in revokedBitmap (errc::unauthorized)
    bad_signature,       ///< signature not recoverable: bad v, r/s range, high-s (errc::invalid_signature)
    signer_mismatch,     ///< recovered address ≠ token address, e.g. tampered payload (errc::verification_failed)
};

/// What the verifier needs to know about this provider and account.
struct token_requirements {
    crypto::address provider;                 ///< our provider address
    std::int64_t now_ms = 0;                  ///< current Unix time in ms
    std::optional<std::uint64_t> generation;  ///< on-chain account generation (nullopt: not checked)
    uint256 revoked_bitmap;                   ///< on-chain revokedBitmap (bit i = API key i revoked)
    bool require_bearer = true;               ///< as the broker: "Bearer " must precede app-sk-
};

/// Outcome of `check_session_token`: a rejection reason plus the error, or the verified token.
struct token_check {
    token_rejection rejection = token_rejection::none;
    zerog::error error;              ///< set iff rejection != none; detail = broker text where one exists
    decoded_session_token token;     ///< filled as far as decoding got
    crypto::address signer;          ///< recovered signer (valid iff rejection == none)
    bool ok() const noexcept { return rejection == token_rejection::none; }
};

/// Validate an Authorization header value against `req`, in the broker's order (file comment).
/// Never throws; see token_rejection for the error code of each outcome.
inline token_check check_session_token(std::string_view header, const token_requirements& req) {
    token_check out;
    auto reject = [&](token_rejection r, errc code, std::string_view detail) -> token_check& {
        out.rejection = r;
        out.error = zerog::error(code, std::string(detail)).during("validating a session token");
        return out;
    };
    if (req.require_bearer && header.substr(0, bearer_prefix.size()) != bearer_prefix)
        return reject(token_rejection::malformed, errc::parse_error, broker_messages::invalid_header);
    auto d = decode_session_token(header);
    if (!d) {
        out.rejection = token_rejection::malformed;
        out.error = std::move(d).error().during("validating a session token");
        return out;
    }
    out.token = std::move(*d);
    const session_claims& c = out.token.claims;
    if (c.provider != req.provider) return reject(token_rejection::foreign_provider, errc::unauthorized, broker_messages::different_provider);
    if (c.is_ephemeral()) {
        if (c.expires_at_ms == 0) return reject(token_rejection::missing_expiry, errc::unauthorized, broker_messages::missing_expiry);
        // Go computes expiresAt − timestamp in int64; __int128 avoids overflow on hostile values.
        if (static_cast<__int128>(c.expires_at_ms) - c.timestamp_ms > max_ephemeral_lifetime.count())
            return reject(token_rejection::lifetime_exceeded, errc::unauthorized, broker_messages::lifetime_exceeded);
    }
    // Go: expiresAt > 0 && time.Now().Unix() > expiresAt/1000 (whole seconds, integer division).
    if (c.expires_at_ms > 0 && req.now_ms / 1000 > c.expires_at_ms / 1000)
        return reject(token_rejection::expired, errc::unauthorized, broker_messages::expired);
    if (req.generation) {
        if (c.generation < *req.generation)
            return reject(token_rejection::generation_revoked, errc::unauthorized, broker_messages::generation_revoked);
        if (c.generation > *req.generation)
            return reject(token_rejection::future_generation, errc::unauthorized, broker_messages::future_generation);
    }
    if (!c.is_ephemeral() && !((req.revoked_bitmap >> c.token_id) & uint256(1)).is_zero())
        return reject(token_rejection::token_revoked, errc::unauthorized, broker_messages::token_revoked);
    auto signer = recover_token_signer(out.token);
    if (!signer) {
        out.rejection = token_rejection::bad_signature;
        out.error = std::move(signer).error().during("validating a session token");
        return out;
    }
    if (*signer != c.address)
        return reject(token_rejection::signer_mismatch, errc::verification_failed, broker_messages::address_mismatch);
    out.signer = *signer;
    return out;
}

/// `check_session_token` as a result: the decoded, verified token or the rejection's error.
inline result<decoded_session_token> verify_session_token(std::string_view header, const token_requirements& req) {
    auto c = check_session_token(header, req);
    if (!c.ok()) return fail(std::move(c.error));
    return std::move(c.token);
}

}  // namespace zerog::compute
