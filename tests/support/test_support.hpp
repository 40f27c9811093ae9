// Helpers shared by the test programs: locating the shared vectors and fixtures, reading JSON.
#pragma once

#include <boost/json.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

namespace zerog::testing {

/// Directory from an environment variable set by tests/meson.build (with a source-relative fallback).
inline std::string env_dir(const char* var, const char* fallback) {
    if (const char* v = std::getenv(var); v && *v) return v;
    return fallback;
}
inline std::string vectors_dir() { return env_dir("ZEROG_VECTORS_DIR", "../shared/vectors"); }
inline std::string fixtures_dir() { return env_dir("ZEROG_FIXTURES_DIR", "tools/fixtures"); }
inline std::string build_dir() { return env_dir("ZEROG_BUILD_DIR", "build"); }

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Parsed ../shared/vectors/<name>.
inline const boost::json::value& vectors(const std::string& name) {
    static std::map<std::string, boost::json::value> cache;
    auto it = cache.find(name);
    if (it == cache.end()) it = cache.emplace(name, boost::json::parse(read_file(vectors_dir() + "/" + name))).first;
    return it->second;
}

}  // namespace zerog::testing
