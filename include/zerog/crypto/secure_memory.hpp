// Memory hygiene for secrets: wiping, a page-locked block for long-lived keys, a wiping string
// for passwords, and the CSPRNG.
//
// Why each piece exists:
//   * `secure_wipe`      : a plain memset before free is dead-store-eliminated by the optimiser;
//                          Crypto++'s SecureWipeBuffer writes through a volatile pointer.
//   * `locked_page`      : a private key lives for the whole process. It gets its own anonymous
//                          page, mlock'ed (never swapped) and excluded from core dumps. A page of
//                          its own, because munlock is not reference-counted: unlocking a shared
//                          heap page would silently unlock another secret living on it.
//   * `secret_string`    : passwords. std::string's moves and reallocations leave copies behind;
//                          this type wipes its whole capacity (including the SSO buffer) on
//                          destruction and is non-copyable.
//   * `random_bytes`     : salts, IVs, context randomisation. OS CSPRNG (getrandom/urandom) via
//                          Crypto++'s OS_GenerateRandomBlock.
//
// Thread safety: free functions are thread-safe; objects are not shared.
#pragma once

#include <zerog/core/bytes.hpp>

#include <cryptopp/misc.h>
#include <cryptopp/osrng.h>

#include <cstddef>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include <sys/mman.h>
#include <unistd.h>

namespace zerog::crypto {

/// Overwrite `n` bytes with zeros in a way the optimiser may not elide.
inline void secure_wipe(void* p, std::size_t n) noexcept {
    if (p && n) CryptoPP::SecureWipeBuffer(static_cast<CryptoPP::byte*>(p), n);
}

/// Fill `out` from the operating system's CSPRNG. Throws CryptoPP::OS_RNG_Err only if the OS
/// has no entropy source at all (no /dev/urandom), which we treat as unrecoverable.
inline void random_bytes(std::span<byte> out) {
    if (!out.empty()) CryptoPP::OS_GenerateRandomBlock(false, out.data(), out.size());
}

/// One anonymous, page-aligned, mlock'ed (best effort), non-dumpable page holding up to a page of
/// secret bytes. Movable (pointer swap, so the secret is never copied), not copyable; the page is
/// wiped before it is unmapped. mlock failure (RLIMIT_MEMLOCK) is tolerated: wiping still holds.
class locked_page {
public:
    locked_page() {
        size_ = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
        void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        locked_ = ::mlock(p, size_) == 0;
#ifdef MADV_DONTDUMP
        ::madvise(p, size_, MADV_DONTDUMP);
#endif
        p_ = static_cast<byte*>(p);
    }
    locked_page(const locked_page&) = delete;
    locked_page& operator=(const locked_page&) = delete;
    locked_page(locked_page&& o) noexcept : p_(std::exchange(o.p_, nullptr)), size_(o.size_), locked_(o.locked_) {}
    locked_page& operator=(locked_page&& o) noexcept {
        if (this != &o) {
            release();
            p_ = std::exchange(o.p_, nullptr);
            size_ = o.size_;
            locked_ = o.locked_;
        }
        return *this;
    }
    ~locked_page() { release(); }

    byte* data() noexcept { return p_; }
    const byte* data() const noexcept { return p_; }
    bool empty() const noexcept { return p_ == nullptr; }
    /// Whether mlock succeeded (diagnostics only).
    bool is_locked() const noexcept { return locked_; }

private:
    void release() noexcept {
        if (!p_) return;
        secure_wipe(p_, size_);
        if (locked_) ::munlock(p_, size_);
        ::munmap(p_, size_);
        p_ = nullptr;
    }
    byte* p_ = nullptr;
    std::size_t size_ = 0;
    bool locked_ = false;
};

/// Fixed-size secret scratch buffer on the stack, wiped on scope exit (derived keys, plaintexts).
template <std::size_t N>
struct wiped_array {
    byte data_[N] = {};
    wiped_array() = default;
    wiped_array(const wiped_array&) = delete;
    wiped_array& operator=(const wiped_array&) = delete;
    ~wiped_array() { secure_wipe(data_, N); }
    byte* data() noexcept { return data_; }
    const byte* data() const noexcept { return data_; }
    static constexpr std::size_t size() noexcept { return N; }
};

/// A password or other secret text. Non-copyable, movable; wipes its whole capacity (SSO buffer
/// included) on destruction and before giving up its buffer. Cannot be printed: there is no
/// operator<<; `view()` is for handing the bytes to a KDF.
class secret_string {
public:
    secret_string() = default;
    explicit secret_string(std::string_view s) { assign(s); }
    secret_string(const secret_string&) = delete;
    secret_string& operator=(const secret_string&) = delete;
    secret_string(secret_string&& o) noexcept { s_.reserve(o.s_.size()); s_.assign(o.s_); o.clear(); }
    secret_string& operator=(secret_string&& o) noexcept {
        if (this != &o) { clear(); s_.reserve(o.s_.size()); s_.assign(o.s_); o.clear(); }
        return *this;
    }
    ~secret_string() { clear(); }

    /// Replace the content. Reserves first, so the buffer is never reallocated with the secret in it.
    void assign(std::string_view s) {
        clear();
        s_.reserve(s.size());
        s_.assign(s.data(), s.size());
    }
    void push_back(char c) {
        if (s_.size() == s_.capacity()) {  // grow by hand: wipe the old buffer before it is freed
            std::string bigger;
            bigger.reserve(s_.capacity() * 2 + 16);
            bigger.assign(s_);
            secure_wipe(s_.data(), s_.capacity());
            s_.swap(bigger);
        }
        s_.push_back(c);
    }
    void clear() noexcept {
        secure_wipe(s_.data(), s_.capacity());
        s_.clear();
    }
    std::string_view view() const noexcept { return s_; }
    std::size_t size() const noexcept { return s_.size(); }
    bool empty() const noexcept { return s_.empty(); }

private:
    std::string s_;
};

}  // namespace zerog::crypto
