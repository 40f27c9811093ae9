// Helpers shared by the test programs: locating the test vectors (tests/vectors) and fixtures, reading JSON,
// running a command (the CLI tests).
#pragma once

#include <boost/json.hpp>

#include <sys/wait.h>

#include <cstdio>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace zerog::testing {

/// Directory from an environment variable set by tests/meson.build (with a source-relative fallback).
inline std::string env_dir(const char* var, const char* fallback) {
    if (const char* v = std::getenv(var); v && *v) return v;
    return fallback;
}
inline std::string vectors_dir() { return env_dir("ZEROG_VECTORS_DIR", "tests/vectors"); }
inline std::string fixtures_dir() { return env_dir("ZEROG_FIXTURES_DIR", "tools/fixtures"); }
inline std::string build_dir() { return env_dir("ZEROG_BUILD_DIR", "build"); }

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Parsed tests/vectors/<name>.
inline const boost::json::value& vectors(const std::string& name) {
    static std::map<std::string, boost::json::value> cache;
    auto it = cache.find(name);
    if (it == cache.end()) it = cache.emplace(name, boost::json::parse(read_file(vectors_dir() + "/" + name))).first;
    return it->second;
}

/// Run a shell command: (exit code, stdout); -1 when it could not run or did not exit normally.
inline std::pair<int, std::string> run_command(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return {-1, out};
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int st = ::pclose(p);
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

}  // namespace zerog::testing
