// The library's version (meson.build's project version; tests/core/test_version.cpp keeps the two
// equal). Reported by `zerog version` and as the service.version of exported traces.
#pragma once

#include <string_view>

namespace zerog {

inline constexpr std::string_view version = "0.1.0";

}  // namespace zerog
