// Unordered maps keyed by std::string and looked up by std::string_view without allocating
// (C++20 heterogeneous lookup). Shared by the keyed policy models.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace zerog::policy::detail {

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
template <class V>
using string_map = std::unordered_map<std::string, V, string_hash, std::equal_to<>>;

}  // namespace zerog::policy::detail
