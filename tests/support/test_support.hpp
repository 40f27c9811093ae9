// Helpers shared by the test programs: locating the test vectors (tests/vectors) and fixtures, reading JSON,
// running a command (the CLI tests).
#pragma once

#include <boost/json.hpp>

#include <sys/wait.h>

#include <cstdio>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
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

/// A fresh directory under the system temp dir, removed (with its contents) at scope exit.
struct scoped_temp_dir {
    std::filesystem::path path;
    explicit scoped_temp_dir(const std::string& prefix = "zerog-test-") {
        std::random_device rd;
        path = std::filesystem::temp_directory_path() / (prefix + std::to_string(rd()) + std::to_string(rd()));
        std::filesystem::create_directories(path);
    }
    ~scoped_temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    scoped_temp_dir(const scoped_temp_dir&) = delete;
    scoped_temp_dir& operator=(const scoped_temp_dir&) = delete;
};

/// A file of `size` pseudo-random bytes determined by `salt` (distinct salts: distinct roots).
inline std::filesystem::path write_random_file(const std::filesystem::path& p, std::uint64_t size, std::uint64_t salt) {
    std::string b(size, '\0');
    std::mt19937_64 g(salt * 0x9E3779B97F4A7C15ull + 1);
    for (std::uint64_t i = 0; i < size; i += 8) {
        const auto x = g();
        for (std::uint64_t k = 0; k < 8 && i + k < size; ++k) b[i + k] = static_cast<char>(x >> (8 * k));
    }
    std::ofstream(p, std::ios::binary).write(b.data(), static_cast<std::streamsize>(b.size()));
    return p;
}

/// $ZEROG_BUILD_DIR/tools/zerog (empty when ZEROG_BUILD_DIR is unset).
inline std::filesystem::path zerog_cli_path() {
    const char* b = std::getenv("ZEROG_BUILD_DIR");
    return b ? std::filesystem::path(b) / "tools" / "zerog" : std::filesystem::path();
}

/// A path single-quoted for the shell.
inline std::string shell_quote(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

/// `zerog devnet up --dir <tmp>/devnet UP_ARGS` in a fresh temp dir, `devnet down` at scope exit.
/// `rc`/`out` are the up's exit code and output (REQUIRE rc == 0, INFO out).
struct cli_devnet {
    scoped_temp_dir tmp;
    std::filesystem::path exe = zerog_cli_path();
    std::filesystem::path dir = tmp.path / "devnet";
    int rc = -1;
    std::string out;
    cli_devnet(const std::string& prefix, const std::string& up_args) : tmp(prefix) {
        std::tie(rc, out) = run_command(shell_quote(exe) + " devnet up --dir " + shell_quote(dir) + " " + up_args + " 2>&1");
    }
    ~cli_devnet() { run_command(shell_quote(exe) + " devnet down --dir " + shell_quote(dir) + " > /dev/null 2>&1"); }
    cli_devnet(const cli_devnet&) = delete;
    cli_devnet& operator=(const cli_devnet&) = delete;
};

}  // namespace zerog::testing
