// TEE response signatures (docs/protocol/compute.md §4.6): the provider's TEE signs, per chat, the text
//
//   hex(sha256(request body)) + ":" + hex(sha256(response body))      (lower-case, no 0x)
//
// with EIP-191 personal_sign, and serves it at GET {url}/v1/proxy/signature/{chatKey}?model=… as
//
//   {"text":"…","signature":"0x…(65 bytes)","signing_address":"0x…","signing_algo":"ecdsa"}
//
// (centralized providers add provider_type, provider_identity, tls_cert_fingerprint).
//
// Verification here goes further than the SDK, which only checks that `text` was signed by the
// TEE signer: when the caller still has the request and response bytes, the text is recomputed
// and compared, binding the signature to what was actually sent and received. Outcomes are
// distinct (response_verdict): a signature that does not recover, a valid signature by another
// key, and an authentic signature over other bodies. For streams the response body is the whole
// SSE byte stream as the broker saw it; compression or re-serialisation on the way makes the
// recomputation fail, so callers that cannot guarantee byte identity verify the text only.
//
// The signing side (`sign_response`) is for the provider emulator.
//
// Thread safety: pure functions (signing is as thread-safe as the Signer).
#pragma once

#include <zerog/compute/flat_json.hpp>
#include <zerog/core/bytes.hpp>
#include <zerog/crypto/address.hpp>
#include <zerog/crypto/personal_sign.hpp>
#include <zerog/crypto/signer.hpp>

#include <cryptopp/sha.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zerog::compute {

/// Lower-case hex SHA-256 of `data`, without 0x (the form used inside the signed text).
inline std::string sha256_hex(std::string_view data) {
    hash256 h;
    CryptoPP::SHA256().CalculateDigest(h.data(), reinterpret_cast<const CryptoPP::byte*>(data.data()), data.size());
    return to_hex(h, false);
}

/// The text a TEE signs for a chatbot / speech / video exchange (broker ctrl/signing.go).
inline std::string response_signed_text(std::string_view request_body, std::string_view response_body) {
    std::string out = sha256_hex(request_body);
    out.push_back(':');
    out.append(sha256_hex(response_body));
    return out;
}

/// The answer of GET /v1/proxy/signature/{chatKey}.
struct signature_response {
    std::string text;                       ///< the signed text
    fixed_bytes<65> signature;              ///< r ‖ s ‖ v (v 27/28)
    crypto::address signing_address;        ///< the signer the provider claims
    std::string signing_algo = "ecdsa";     ///< only "ecdsa" is defined
    std::optional<std::string> provider_type;         ///< centralized providers
    std::optional<std::string> provider_identity;     ///< centralized providers
    std::optional<std::string> tls_cert_fingerprint;  ///< centralized providers
};

/// Strict parse of the signature endpoint's JSON: one flat object (flat_json.hpp), no duplicate
/// keys; `text`, `signature` (0x + 130 hex digits), `signing_address` (EIP-55-valid) and
/// `signing_algo` required as strings; the three centralized fields optional strings. Other
/// members are ignored (unsigned metadata the broker may add) but must still be flat scalars.
/// Errors: errc::malformed_response (detail says what), errc::not_supported (signing_algo ≠ "ecdsa").
inline result<signature_response> parse_signature_response(std::string_view json) {
    auto bad = [](std::string why) { return fail(errc::malformed_response, "signature response: " + std::move(why)); };
    auto obj = parse_flat_json(json);
    if (!obj) return bad(obj.error().detail());
    auto str = [&](std::string_view key, bool required) -> result<std::optional<std::string>> {
        const flat_json_value* v = obj->find(key);
        if (!v) {
            if (required) return bad("missing field \"" + std::string(key) + "\"");
            return std::optional<std::string>();
        }
        if (v->type != flat_json_value::kind::string) return bad("\"" + std::string(key) + "\" must be a string");
        return std::optional<std::string>(v->text);
    };
    signature_response r;
    ZEROG_TRY(auto text, str("text", true));
    ZEROG_TRY(auto sig, str("signature", true));
    ZEROG_TRY(auto addr, str("signing_address", true));
    ZEROG_TRY(auto algo, str("signing_algo", true));
    ZEROG_TRY(r.provider_type, str("provider_type", false));
    ZEROG_TRY(r.provider_identity, str("provider_identity", false));
    ZEROG_TRY(r.tls_cert_fingerprint, str("tls_cert_fingerprint", false));
    r.text = std::move(*text);
    auto sb = from_hex_fixed<65>(*sig, hex_prefix::required);
    if (!sb) return bad("signature is not 0x + 130 hex digits: " + sb.error().detail());
    r.signature = *sb;
    auto a = crypto::address::parse(*addr);
    if (!a) return bad("signing_address: " + a.error().detail());
    r.signing_address = *a;
    if (*algo != "ecdsa")
        return fail(errc::not_supported,
                    "signature response: signing_algo \"" + detail::printable_prefix(*algo) + "\" is not supported");
    r.signing_algo = std::move(*algo);
    return r;
}

/// Serialize as the broker does (key order text, signature, signing_address, signing_algo, then
/// the centralized fields when present); parse_signature_response(to_json(r)) == r.
inline std::string to_json(const signature_response& r) {
    std::string out;
    out.reserve(r.text.size() + 260);
    out.append("{\"text\":");
    append_json_string(out, r.text);
    out.append(",\"signature\":\"").append(to_hex(r.signature));
    out.append("\",\"signing_address\":\"").append(r.signing_address.to_checksum_hex());
    out.append("\",\"signing_algo\":");
    append_json_string(out, r.signing_algo);
    auto opt = [&](const char* key, const std::optional<std::string>& v) {
        if (!v) return;
        out.append(",\"").append(key).append("\":");
        append_json_string(out, *v);
    };
    opt("provider_type", r.provider_type);
    opt("provider_identity", r.provider_identity);
    opt("tls_cert_fingerprint", r.tls_cert_fingerprint);
    out.push_back('}');
    return out;
}

/// Outcome of a response-signature check.
enum class response_verdict {
    valid,
    bad_signature,  ///< the signature does not recover (bad v, r/s out of range, high-s): errc::invalid_signature
    wrong_signer,   ///< a valid signature by another key than the TEE signer: errc::verification_failed
    text_mismatch,  ///< authentic, but over other bodies than ours: errc::verification_failed
};

/// The request and response bytes exactly as sent and received (for recomputing the text).
struct exchanged_bodies {
    std::string_view request;
    std::string_view response;
};

/// Verdict, the error describing it (empty when valid) and the recovered signer (when it recovered).
struct response_check {
    response_verdict verdict = response_verdict::valid;
    zerog::error error;
    std::optional<crypto::address> recovered;
    bool ok() const noexcept { return verdict == response_verdict::valid; }
};

/// Check `r` against the service's TEE signer (`expected_signer`; spec §4.6 step 1 says which
/// address that is). Order: the signature must recover, the recovered address must be
/// `expected_signer` (case-insensitive by construction: addresses compare as bytes), and, when
/// `bodies` are given, `r.text` must equal response_signed_text(bodies). The claimed
/// `signing_address` is informative only: trusting it would let anyone sign their own answers.
inline response_check check_response_signature(const signature_response& r, const crypto::address& expected_signer,
                                               const std::optional<exchanged_bodies>& bodies = std::nullopt) {
    response_check out;
    auto rec = crypto::recover_personal(std::string_view(r.text), byte_span(r.signature));
    if (!rec) {
        out.verdict = response_verdict::bad_signature;
        out.error = std::move(rec).error().during("verifying a TEE response signature");
        return out;
    }
    out.recovered = *rec;
    if (*rec != expected_signer) {
        out.verdict = response_verdict::wrong_signer;
        out.error = zerog::error(errc::verification_failed, "response signed by " + rec->to_checksum_hex() +
                                                                ", not by the TEE signer " + expected_signer.to_checksum_hex())
                        .during("verifying a TEE response signature");
        return out;
    }
    if (bodies) {
        const std::string expect = response_signed_text(bodies->request, bodies->response);
        if (r.text != expect) {
            // Name the half that differs: a request mismatch means the broker saw another body
            // (rewrites), a response mismatch usually means transport re-encoding.
            const std::string_view t = r.text, e = expect;
            std::string what;
            if (t.size() != e.size() || t[64] != ':') what = "the form sha256(request):sha256(response)";
            else if (t.substr(0, 64) != e.substr(0, 64) && t.substr(65) != e.substr(65)) what = "either the request or the response hash";
            else if (t.substr(0, 64) != e.substr(0, 64)) what = "the request hash";
            else what = "the response hash";
            out.verdict = response_verdict::text_mismatch;
            out.error = zerog::error(errc::verification_failed, "signed text does not match " + what + " of the exchanged bodies")
                            .during("verifying a TEE response signature");
            return out;
        }
    }
    return out;
}

/// `check_response_signature` as a result<void>.
inline result<void> verify_response_signature(const signature_response& r, const crypto::address& expected_signer,
                                              const std::optional<exchanged_bodies>& bodies = std::nullopt) {
    auto c = check_response_signature(r, expected_signer, bodies);
    if (!c.ok()) return fail(std::move(c.error));
    return {};
}

/// Parse the endpoint's JSON and check it in one step. Errors: parse errors, then the verdict's.
inline result<signature_response> verify_signature_response_json(std::string_view json, const crypto::address& expected_signer,
                                                                 const std::optional<exchanged_bodies>& bodies = std::nullopt) {
    ZEROG_TRY(auto r, parse_signature_response(json));
    ZEROG_CHECK(verify_response_signature(r, expected_signer, bodies));
    return r;
}

/// Provider side: sign `text` with the TEE signer and build the endpoint's answer.
template <crypto::Signer S>
result<signature_response> sign_response_text(const S& tee_signer, std::string text) {
    signature_response r;
    ZEROG_TRY(r.signature, crypto::sign_personal(tee_signer, std::string_view(text)));
    r.signing_address = crypto::address(tee_signer.address());
    r.text = std::move(text);
    return r;
}

/// Provider side: sign the chatbot text of this exchange.
template <crypto::Signer S>
result<signature_response> sign_response(const S& tee_signer, std::string_view request_body, std::string_view response_body) {
    return sign_response_text(tee_signer, response_signed_text(request_body, response_body));
}

}  // namespace zerog::compute
