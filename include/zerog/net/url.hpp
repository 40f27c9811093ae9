// Absolute http(s) URL splitting for the transport: scheme, host, port, target.
//
// Deliberately narrow: only what an RPC/REST endpoint needs. Userinfo ("user:pass@") is rejected
// rather than silently turned into a header, because credentials in URLs end up in shell history
// and logs; pass an Authorization header instead. Errors name the redacted endpoint only.
// Thread safety: pure functions.
#pragma once

#include <zerog/core/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace zerog::net {

/// The parts of an absolute http/https URL. Value type.
struct url_parts {
    bool tls = false;
    std::string host;    ///< without brackets for IPv6 literals ("::1")
    std::uint16_t port = 0;
    std::string target;  ///< path + query, "/" when empty; the fragment is dropped

    /// "https://host:443": the key of the connection pool and the endpoint of errors.
    std::string origin() const {
        std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
        return std::string(tls ? "https://" : "http://") + h + ":" + std::to_string(port);
    }
    /// The Host header: the port only when it is not the scheme's default.
    std::string host_header() const {
        std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
        if (port != (tls ? 443 : 80)) h += ":" + std::to_string(port);
        return h;
    }
};

/// Split `url`. Fails with errc::invalid_argument (detail names the problem, never the path).
inline result<url_parts> parse_url(std::string_view url) {
    auto bad = [&](std::string why) {
        return fail(zerog::error(errc::invalid_argument, std::move(why)).during("parsing endpoint URL").at(url));
    };
    url_parts out;
    if (url.starts_with("http://")) {
        url.remove_prefix(7);
    } else if (url.starts_with("https://")) {
        out.tls = true;
        url.remove_prefix(8);
    } else {
        return bad("URL must start with http:// or https://");
    }
    const auto end = url.find_first_of("/?#");
    std::string_view authority = url.substr(0, end);
    std::string_view rest = end == std::string_view::npos ? std::string_view{} : url.substr(end);
    if (authority.find('@') != std::string_view::npos)
        return bad("credentials in the URL are not supported; pass an Authorization header");
    std::string_view host = authority, port;
    if (authority.starts_with('[')) {  // IPv6 literal
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return bad("unterminated IPv6 literal");
        host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':') return bad("garbage after IPv6 literal");
            port = after.substr(1);
        }
    } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty()) return bad("empty host");
    for (char c : host)
        if (static_cast<unsigned char>(c) <= 0x20 || c == '/' || c == '\\') return bad("invalid character in host");
    out.host = std::string(host);
    if (port.empty()) {
        out.port = out.tls ? 443 : 80;
    } else {
        unsigned v = 0;
        if (port.size() > 5) return bad("invalid port");
        for (char c : port) {
            if (c < '0' || c > '9') return bad("invalid port");
            v = v * 10 + static_cast<unsigned>(c - '0');
        }
        if (v == 0 || v > 65535) return bad("port out of range");
        out.port = static_cast<std::uint16_t>(v);
    }
    if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
    if (rest.empty()) out.target = "/";
    else if (rest[0] == '?') out.target = "/" + std::string(rest);
    else out.target = std::string(rest);
    return out;
}

}  // namespace zerog::net
