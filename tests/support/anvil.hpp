// anvil_process: a throwaway anvil (Foundry's dev node, npm @foundry-rs/anvil-linux-amd64) on
// 127.0.0.1 for integration tests. RAII: the destructor kills the process group; the child also
// gets PR_SET_PDEATHSIG so a crashed test program cannot leave it behind.
//
//   zerog::testing::anvil_process node;                  // --port 0 --chain-id 16602, ready ≤ 5 s
//   node.url()                                            // "http://127.0.0.1:NNNNN"
//   anvil_process node({.extra_args = {"--no-mining"}});
//
// The binary comes from $ZEROG_FIXTURES_DIR (set by tests/meson.build; default tools/fixtures).
// Output goes to a temporary log file (read for the "Listening on" line, and quoted when start-up
// fails), so anvil never blocks on a full pipe. Thread safety: one object per test; not shared.
#pragma once

#include "test_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace zerog::testing {

/// How to start anvil. Value type.
struct anvil_options {
    std::uint64_t chain_id = 16602;
    std::vector<std::string> extra_args;  ///< e.g. "--no-mining", "--block-time", "1"
    std::chrono::milliseconds ready_timeout{5000};
};

/// One anvil child process (its own process group). Not copyable or movable.
class anvil_process {
public:
    using options = anvil_options;

    /// Path of the anvil binary under the fixtures directory.
    static std::string binary() { return fixtures_dir() + "/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"; }

    /// Start anvil and wait (bounded by ready_timeout) until it listens. Throws std::runtime_error.
    explicit anvil_process(options o = {}) {
        const std::string bin = binary();
        if (::access(bin.c_str(), X_OK) != 0) throw std::runtime_error("anvil not found at " + bin + " (run npm ci in tools/fixtures)");
        char tmpl[] = "/tmp/zerog-anvil-XXXXXX";
        const int fd = ::mkstemp(tmpl);
        if (fd < 0) throw std::runtime_error("mkstemp failed for the anvil log");
        log_path_ = tmpl;
        std::vector<std::string> args = {bin, "--host", "127.0.0.1", "--port", "0", "--chain-id", std::to_string(o.chain_id)};
        args.insert(args.end(), o.extra_args.begin(), o.extra_args.end());
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        const pid_t parent = ::getpid();
        pid_ = ::fork();
        if (pid_ < 0) {
            ::close(fd);
            throw std::runtime_error("fork failed");
        }
        if (pid_ == 0) {  // child: async-signal-safe calls only
            ::setpgid(0, 0);
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) ::_exit(126);  // the parent died before prctl
            const int devnull = ::open("/dev/null", O_RDONLY);
            if (devnull >= 0) ::dup2(devnull, 0);
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        ::setpgid(pid_, pid_);  // also here: no race with the child's own call
        ::close(fd);
        const auto until = std::chrono::steady_clock::now() + o.ready_timeout;
        while (std::chrono::steady_clock::now() < until) {
            const std::string log = read_log();
            const auto p = log.find("Listening on 127.0.0.1:");
            const auto eol = p == std::string::npos ? p : log.find('\n', p);
            if (eol != std::string::npos) {  // the whole line is written
                const auto digits = log.substr(p + 23, eol - p - 23);
                const auto n = std::strtoul(digits.c_str(), nullptr, 10);
                if (n > 0 && n < 65536) {
                    port_ = static_cast<std::uint16_t>(n);
                    return;
                }
            }
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("anvil exited during start-up: " + read_log().substr(0, 2000));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        stop();
        throw std::runtime_error("anvil did not listen within " + std::to_string(o.ready_timeout.count()) + " ms");
    }
    anvil_process(const anvil_process&) = delete;
    anvil_process& operator=(const anvil_process&) = delete;
    ~anvil_process() { stop(); }

    std::uint16_t port() const noexcept { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    pid_t pid() const noexcept { return pid_; }
    std::string read_log() const {
        try {
            return read_file(log_path_);
        } catch (...) {
            return {};
        }
    }

    /// SIGTERM to the process group, SIGKILL after 2 s; reaps the child. Idempotent.
    void stop() noexcept {
        if (pid_ > 0) {
            ::kill(-pid_, SIGTERM);
            const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
            bool reaped = false;
            while (std::chrono::steady_clock::now() < until) {
                int status = 0;
                if (::waitpid(pid_, &status, WNOHANG) == pid_) { reaped = true; break; }
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            if (!reaped) {
                ::kill(-pid_, SIGKILL);
                int status = 0;
                ::waitpid(pid_, &status, 0);
            }
            pid_ = -1;
        }
        if (!log_path_.empty()) {
            ::unlink(log_path_.c_str());
            log_path_.clear();
        }
    }

private:
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    std::string log_path_;
};

/// Anvil's default dev accounts (mnemonic "test test … junk"); public test keys, never real funds.
inline constexpr const char* anvil_keys[] = {
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
};

}  // namespace zerog::testing
