// The HTTP shape of a G3 inference exchange (docs/protocol/compute.md §4.2, §4.4–§4.6), without any I/O:
// paths, the exact request headers, and where the chat key for signature lookup comes from.
//
//   POST {service.url}/v1/proxy/chat/completions
//   Content-Type: application/json
//   Authorization: Bearer app-sk-…                  (session_token.hpp; nothing else is sent)
//
// The response header ZG-Res-Key names the chat for GET /v1/proxy/signature/{key}?model=…; the
// body's `id` is the documented fallback (§4.5; a common user mistake is to prefer `id`).
//
// Thread safety: pure functions.
#pragma once

#include <zerog/core/result.hpp>
#include <zerog/crypto/address.hpp>

#include <boost/json.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace zerog::compute {

inline constexpr std::string_view proxy_prefix = "/v1/proxy";
inline constexpr std::string_view chat_completions_path = "/v1/proxy/chat/completions";
inline constexpr std::string_view images_generations_path = "/v1/proxy/images/generations";
inline constexpr std::string_view images_edits_path = "/v1/proxy/images/edits";
inline constexpr std::string_view audio_transcriptions_path = "/v1/proxy/audio/transcriptions";
/// Response header carrying the chat key (a UUID set by the broker).
inline constexpr std::string_view res_key_header = "ZG-Res-Key";

/// The two headers of a billed request, in the SDK's order: Content-Type, Authorization.
/// The views point at static text and at `authorization`, which must outlive the result.
inline std::array<std::pair<std::string_view, std::string_view>, 2> request_headers(std::string_view authorization) noexcept {
    return {{{"Content-Type", "application/json"}, {"Authorization", authorization}}};
}

/// RFC 3986 percent-encoding of everything but the unreserved characters (ALPHA DIGIT - . _ ~),
/// so a model name such as "meta-llama/Llama-3.3-70B" or a hostile chat key stays one component.
inline std::string percent_encode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char ch : s) {
        const unsigned char c = static_cast<unsigned char>(ch);
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back("0123456789ABCDEF"[c >> 4]);
            out.push_back("0123456789ABCDEF"[c & 15]);
        }
    }
    return out;
}

/// "/v1/proxy/signature/{chat_key}?model={model}" (both percent-encoded).
/// Errors: errc::invalid_argument (empty chat key).
inline result<std::string> signature_path(std::string_view chat_key, std::string_view model) {
    if (chat_key.empty()) return fail(errc::invalid_argument, "empty chat key for the signature endpoint");
    std::string p(proxy_prefix);
    p.append("/signature/").append(percent_encode(chat_key)).append("?model=").append(percent_encode(model));
    return p;
}

/// "/v1/user/{EIP-55 address}/unsettledfee" (§4.2; same Authorization header).
inline std::string unsettled_fee_path(const crypto::address& user) {
    return "/v1/user/" + user.to_checksum_hex() + "/unsettledfee";
}

/// The chat key of a response: the ZG-Res-Key header when present and non-empty, else the body's
/// string `id` (chat completions; for streams pass the first chunk's JSON).
/// Errors: errc::not_found (neither), errc::malformed_response (body not JSON when needed).
inline result<std::string> chat_key_of(std::optional<std::string_view> res_key_header_value, std::string_view body) {
    if (res_key_header_value && !res_key_header_value->empty()) return std::string(*res_key_header_value);
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(body, ec);
    if (ec) return fail(errc::malformed_response, "response is not JSON and has no ZG-Res-Key header: " + ec.message());
    if (const auto* o = v.if_object())
        if (const auto* id = o->if_contains("id"); id && id->is_string() && !id->get_string().empty())
            return std::string(id->get_string());
    return fail(errc::not_found, "response has neither a ZG-Res-Key header nor a string id");
}

}  // namespace zerog::compute
