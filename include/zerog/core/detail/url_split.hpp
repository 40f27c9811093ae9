// The lexical split of an endpoint URL into scheme, userinfo, authority and the rest. Shared by
// the one URL parser (core/url.hpp, which validates) and `redact_endpoint` (core/error.hpp, which
// must never fail: it reduces whatever it is given to scheme://host:port for error messages), so
// both agree on where the host ends and the path, query and credentials begin.
#pragma once

#include <string_view>

namespace zerog::detail {

struct url_split {
    std::string_view scheme;     ///< before "://" (empty when there is none)
    std::string_view userinfo;   ///< before '@' in the authority (credentials: never echoed)
    std::string_view authority;  ///< host[:port], without userinfo
    std::string_view rest;       ///< path, query and fragment (from the first '/', '?' or '#')
    bool has_scheme = false;
    bool has_userinfo = false;
};

constexpr url_split split_url(std::string_view url) noexcept {
    url_split s;
    if (const auto p = url.find("://"); p != std::string_view::npos) {
        s.scheme = url.substr(0, p);
        s.has_scheme = true;
        url.remove_prefix(p + 3);
    }
    const auto end = url.find_first_of("/?#");
    s.authority = url.substr(0, end);
    s.rest = end == std::string_view::npos ? std::string_view{} : url.substr(end);
    if (const auto at = s.authority.rfind('@'); at != std::string_view::npos) {
        s.userinfo = s.authority.substr(0, at);
        s.has_userinfo = true;
        s.authority.remove_prefix(at + 1);
    }
    return s;
}

}  // namespace zerog::detail
