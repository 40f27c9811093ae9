// Helpers shared by the storage tests: the vector content formula, hex parsing of vector fields.
#pragma once

#include <zerog/core/bytes.hpp>

#include <boost/json.hpp>
#include <test_support.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace zerog::storage_test {

/// byte[i] = (i*31 + 7) mod 256 (tests/vectors/README.md).
inline bytes formula_data(std::uint64_t size) {
    bytes b(static_cast<std::size_t>(size));
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<byte>((i * 31 + 7) & 0xff);
    return b;
}

inline hash256 h(const boost::json::value& v) {
    auto r = from_hex_fixed<32>(std::string(v.as_string()));
    if (!r) throw std::runtime_error("bad hash in vectors: " + r.error().message());
    return *r;
}

inline const boost::json::array& storage_vectors() {
    return zerog::testing::vectors("storage.json").as_object().at("vectors").as_array();
}
inline const boost::json::object& storage_constants() {
    return zerog::testing::vectors("storage.json").as_object().at("constants").as_object();
}

}  // namespace zerog::storage_test
