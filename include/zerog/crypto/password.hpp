// Where a keystore password comes from: ZG_KEYSTORE_PASSWORD, else an interactive no-echo prompt.
//
// A prompt is only attempted when stdin is a terminal; otherwise (CI, pipes, daemons) we fail at
// once with errc::not_found instead of blocking on a read that nobody will answer. The password is
// read byte by byte into a secret_string (never a growing std::string whose old buffers would be
// freed unwiped), echo is restored on every path, and a trailing "\r\n" is stripped.
//
// Thread safety: the prompt touches process-wide terminal state; call it from one thread.
#pragma once

#include <zerog/core/result.hpp>
#include <zerog/crypto/secure_memory.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include <termios.h>
#include <unistd.h>

namespace zerog::crypto {

/// Read a password from the terminal without echo. Errors: not_found when stdin is not a TTY,
/// io_error when the terminal cannot be configured or read (EOF before a newline included).
inline result<secret_string> prompt_password(std::string_view prompt = "Keystore password: ") {
    if (!::isatty(STDIN_FILENO))
        return fail(zerog::error(errc::not_found, "stdin is not a terminal; set ZG_KEYSTORE_PASSWORD")
                        .during("reading the keystore password"));
    termios old{};
    if (::tcgetattr(STDIN_FILENO, &old) != 0)
        return fail(zerog::error(errc::io_error, std::string("tcgetattr: ") + std::strerror(errno))
                        .during("reading the keystore password"));
    termios quiet = old;
    quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
    quiet.c_lflag |= ECHONL;
    if (::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0)
        return fail(zerog::error(errc::io_error, std::string("tcsetattr: ") + std::strerror(errno))
                        .during("reading the keystore password"));
    (void)!::write(STDERR_FILENO, prompt.data(), prompt.size());

    secret_string pw;
    bool complete = false;
    for (;;) {
        char c = 0;
        const ssize_t n = ::read(STDIN_FILENO, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (c == '\n') { complete = true; break; }
        pw.push_back(c);
        c = 0;
    }
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    if (!complete)
        return fail(zerog::error(errc::io_error, "end of input before a newline").during("reading the keystore password"));
    if (!pw.empty() && pw.view().back() == '\r') {
        secret_string trimmed(pw.view().substr(0, pw.size() - 1));
        return trimmed;
    }
    return pw;
}

/// ZG_KEYSTORE_PASSWORD if set (even empty: an empty password is legal), else `prompt_password`.
inline result<secret_string> read_keystore_password(const char* env_var = "ZG_KEYSTORE_PASSWORD") {
    if (const char* v = std::getenv(env_var)) return secret_string(std::string_view(v));
    return prompt_password();
}

}  // namespace zerog::crypto
