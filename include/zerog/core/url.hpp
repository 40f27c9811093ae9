// The one endpoint URL parser: absolute http(s) URLs for RPC and REST endpoints. The transport
// connects with it and the configuration layer validates with it, so a URL that configuration
// accepts is one the transport can use, and the reverse.
//
// Rules: scheme http or https (case-insensitive); no whitespace or control characters anywhere;
// no userinfo ("user:pass@": credentials in URLs end up in shell history and logs — pass an
// Authorization header instead); a non-empty host that is a name (letters, digits, '-', '.', '_'),
// an IPv4 address or a bracketed IPv6 literal; a port, when given, in 1..65535; the fragment is
// dropped. Errors are errc::invalid_argument (errc::out_of_range for the port) and never contain
// the URL's path, query or credentials: the frame names the redacted endpoint only.
// Thread safety: pure functions.
#pragma once

#include <zerog/core/detail/url_split.hpp>
#include <zerog/core/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace zerog {

/// The parts of an absolute http/https URL. Value type.
struct url_parts {
    bool tls = false;
    std::string host;    ///< without brackets for IPv6 literals ("::1")
    std::uint16_t port = 0;
    std::string target;  ///< path + query, "/" when empty; the fragment is dropped

    std::string_view scheme() const noexcept { return tls ? "https" : "http"; }
    bool ipv6() const noexcept { return host.find(':') != std::string::npos; }
    /// "https://host:443": the key of the connection pool and the endpoint of errors.
    std::string origin() const {
        std::string h = ipv6() ? "[" + host + "]" : host;
        return std::string(tls ? "https://" : "http://") + h + ":" + std::to_string(port);
    }
    /// The Host header: the port only when it is not the scheme's default.
    std::string host_header() const {
        std::string h = ipv6() ? "[" + host + "]" : host;
        if (port != (tls ? 443 : 80)) h += ":" + std::to_string(port);
        return h;
    }
};

/// Whether a host is loopback: "localhost", 127.0.0.0/8, ::1.
inline bool is_loopback_host(std::string_view host) noexcept {
    if (host == "localhost" || host == "::1") return true;
    if (host.rfind("127.", 0) != 0) return false;
    int dots = 0;
    for (char c : host) {
        if (c == '.') ++dots;
        else if (c < '0' || c > '9') return false;
    }
    return dots == 3;
}

/// Parse and check `url` (see the file comment).
inline result<url_parts> parse_url(std::string_view url) {
    auto bad = [&](errc code, std::string why) {
        return fail(zerog::error(code, std::move(why)).during("parsing endpoint URL").at(url));
    };
    if (url.empty()) return bad(errc::invalid_argument, "empty URL");
    for (std::size_t i = 0; i < url.size(); ++i) {
        const auto c = static_cast<unsigned char>(url[i]);
        if (c <= 0x20 || c == 0x7f)
            return bad(errc::invalid_argument, "URL contains whitespace or a control character at position " + std::to_string(i));
    }
    const detail::url_split s = detail::split_url(url);
    if (!s.has_scheme) return bad(errc::invalid_argument, "URL has no scheme (expected http:// or https://)");
    std::string scheme;
    for (char c : s.scheme) scheme.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
    url_parts out;
    if (scheme == "https") out.tls = true;
    else if (scheme != "http") return bad(errc::invalid_argument, "scheme must be http or https, got \"" + scheme.substr(0, 16) + "\"");
    if (s.has_userinfo)
        return bad(errc::invalid_argument, "credentials in the URL are not supported; pass an Authorization header");
    std::string_view host = s.authority, port;
    bool has_port = false;
    if (host.starts_with('[')) {  // IPv6 literal
        const auto close = host.find(']');
        if (close == std::string_view::npos) return bad(errc::invalid_argument, "unterminated IPv6 host (missing ']')");
        std::string_view after = host.substr(close + 1);
        host = host.substr(1, close - 1);
        if (!after.empty()) {
            if (after[0] != ':') return bad(errc::invalid_argument, "unexpected characters after the IPv6 host");
            port = after.substr(1);
            has_port = true;
        }
        for (char c : host)
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
                return bad(errc::invalid_argument, "invalid character in IPv6 host");
    } else {
        if (const auto colon = host.find(':'); colon != std::string_view::npos) {
            port = host.substr(colon + 1);
            host = host.substr(0, colon);
            has_port = true;
        }
        for (char c : host)
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '_'))
                return bad(errc::invalid_argument, "invalid character in host name");
    }
    if (host.empty()) return bad(errc::invalid_argument, "URL has an empty host");
    out.host = std::string(host);
    if (has_port) {
        if (port.empty()) return bad(errc::invalid_argument, "empty port after ':'");
        unsigned v = 0;
        if (port.size() > 5) return bad(errc::out_of_range, "port must be a number in 1..65535");
        for (char c : port) {
            if (c < '0' || c > '9') return bad(errc::out_of_range, "port must be a number in 1..65535");
            v = v * 10 + static_cast<unsigned>(c - '0');
        }
        if (v == 0 || v > 65535) return bad(errc::out_of_range, "port must be a number in 1..65535");
        out.port = static_cast<std::uint16_t>(v);
    } else {
        out.port = out.tls ? 443 : 80;
    }
    std::string_view rest = s.rest;
    if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
    if (rest.empty()) out.target = "/";
    else if (rest[0] == '?') out.target = "/" + std::string(rest);
    else out.target = std::string(rest);
    return out;
}

}  // namespace zerog
