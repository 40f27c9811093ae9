// POSIX process helpers for the devnet orchestrator: start a service detached from the caller
// (double fork + setsid, stdio to a log file, no inherited descriptors) so it outlives
// `zerog devnet up` and never becomes its zombie; check and stop processes by pid only, after
// checking /proc/<pid>/cmdline so a recycled pid is never signalled; pick free loopback ports.
//
// Thread safety: functions are safe to call from any thread (fork in a multi-threaded program is
// fine here: the child only calls async-signal-safe functions before exec).
#pragma once

#include <zerog/core/result.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace zerog::devnet {

/// Path of the running executable (/proc/self/exe).
inline std::filesystem::path self_exe() {
    std::error_code ec;
    auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::filesystem::path() : p;
}

/// A free TCP port on 127.0.0.1 (bind to 0, read, close). Errors: io_error.
inline result<std::uint16_t> free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(errc::io_error, std::string("socket: ") + std::strerror(errno));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        const int e = errno;
        ::close(fd);
        return fail(errc::io_error, std::string("bind 127.0.0.1:0: ") + std::strerror(e));
    }
    ::close(fd);
    return static_cast<std::uint16_t>(ntohs(a.sin_port));
}

/// Start `argv` detached (see the file comment) with stdout/stderr appended to `log`.
/// Returns the service's pid. Errors: io_error when fork/pipe fail.
inline result<int> spawn_detached(const std::vector<std::string>& argv, const std::filesystem::path& log) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const std::string log_s = log.string();
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return fail(errc::io_error, std::string("pipe: ") + std::strerror(errno));
    const pid_t child = ::fork();
    if (child < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        return fail(errc::io_error, std::string("fork: ") + std::strerror(errno));
    }
    if (child == 0) {
        ::setsid();
        const pid_t gc = ::fork();
        if (gc == 0) {
            const int in = ::open("/dev/null", O_RDONLY);
            const int out = ::open(log_s.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (in >= 0) ::dup2(in, 0);
            if (out >= 0) {
                ::dup2(out, 1);
                ::dup2(out, 2);
            }
            ::syscall(SYS_close_range, 3u, ~0u, 0u);  // no inherited sockets or pipes
            ::signal(SIGPIPE, SIG_DFL);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
        const int v = gc;
        (void)!::write(fds[1], &v, sizeof v);
        ::_exit(gc > 0 ? 0 : 1);
    }
    ::close(fds[1]);
    int pid = -1;
    const ssize_t n = ::read(fds[0], &pid, sizeof pid);
    ::close(fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (n != sizeof pid || pid <= 0) return fail(errc::io_error, "could not start " + argv[0]);
    return pid;
}

/// /proc/<pid>/cmdline with NULs replaced by spaces ("" when the process is gone).
inline std::string process_cmdline(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    for (auto& c : s)
        if (c == '\0') c = ' ';
    return s;
}

/// Is `pid` a live (not zombie) process?
inline bool process_alive(int pid) {
    if (pid <= 0 || ::kill(pid, 0) != 0) return false;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    std::getline(in, stat);
    const auto rp = stat.rfind(')');
    if (rp != std::string::npos && rp + 2 < stat.size() && stat[rp + 2] == 'Z') {
        ::waitpid(pid, nullptr, WNOHANG);  // our own child (in-process use): reap it
        return false;
    }
    return true;
}

/// Is `pid` alive and does its command line contain `marker`? (guards against recycled pids)
inline bool process_matches(int pid, std::string_view marker) {
    return process_alive(pid) && process_cmdline(pid).find(marker) != std::string::npos;
}

/// SIGTERM `pid` if it is alive and matches `marker`, wait ≤ `grace`, then SIGKILL and wait ≤ 1 s.
/// Returns true when the process is gone (or was never ours).
inline bool stop_process(int pid, std::string_view marker, std::chrono::milliseconds grace = std::chrono::milliseconds(3000)) {
    if (!process_matches(pid, marker)) return true;
    ::kill(pid, SIGTERM);
    const auto until = std::chrono::steady_clock::now() + grace;
    while (process_alive(pid) && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!process_alive(pid)) return true;
    ::kill(pid, SIGKILL);
    const auto until2 = std::chrono::steady_clock::now() + std::chrono::milliseconds(1000);
    while (process_alive(pid) && std::chrono::steady_clock::now() < until2) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return !process_alive(pid);
}

}  // namespace zerog::devnet
