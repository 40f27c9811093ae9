// Random-access byte sources for the storage pipeline: a file (pread), a memory span, and a
// window of another source (a fragment, docs/protocol/storage.md §9.6). encryption.hpp adds an encrypting source.
//
// Random access (rather than a sequential stream) is what lets N threads hash N segments at once
// with no shared buffer; see file_tree.hpp for the sequential `file_tree_builder`.
//
// Thread safety: `read_at` is const and safe to call from many threads at once on every source
// defined here (pread has no shared file offset). The source must outlive its readers.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/core/result.hpp>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace zerog::storage {

/// A sized, random-access, read-only byte source.
class data_source {
public:
    virtual ~data_source() = default;
    /// Total size in bytes.
    virtual std::uint64_t size() const noexcept = 0;
    /// Fill `out` with the bytes at [offset, offset + out.size()), which must lie inside the
    /// source. Thread-safe. Errors: out_of_range, io_error (with the offset).
    virtual result<void> read_at(std::uint64_t offset, std::span<byte> out) const = 0;

protected:
    result<void> check_range(std::uint64_t offset, std::size_t n) const {
        if (offset > size() || n > size() - offset)
            return fail(errc::out_of_range, "read of " + std::to_string(n) + " bytes at offset " + std::to_string(offset) +
                                                " is outside the " + std::to_string(size()) + "-byte source");
        return {};
    }
};

/// A source over caller-owned memory (not copied; must outlive the source).
class memory_source final : public data_source {
public:
    explicit memory_source(byte_span data) noexcept : data_(data) {}
    std::uint64_t size() const noexcept override { return data_.size(); }
    result<void> read_at(std::uint64_t offset, std::span<byte> out) const override {
        ZEROG_CHECK(check_range(offset, out.size()));
        if (!out.empty()) std::memcpy(out.data(), data_.data() + offset, out.size());
        return {};
    }

private:
    byte_span data_;
};

/// A regular file read with pread(2). The size is fixed at open time; a file that shrinks while
/// being read yields an io_error naming the offset rather than silently hashing zeros.
class file_source final : public data_source {
public:
    /// Open `path` read-only. Errors: io_error (with errno text) when it cannot be opened or is
    /// not a regular file.
    static result<file_source> open(const std::string& path) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return fail(errc::io_error, "cannot open '" + path + "': " + std::strerror(errno));
        struct stat st {};
        if (::fstat(fd, &st) != 0) {
            const int e = errno;
            ::close(fd);
            return fail(errc::io_error, "cannot stat '" + path + "': " + std::strerror(e));
        }
        if (!S_ISREG(st.st_mode)) {
            ::close(fd);
            return fail(errc::io_error, "'" + path + "' is not a regular file");
        }
#ifdef POSIX_FADV_SEQUENTIAL
        ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);  // bigger kernel read-ahead; a hint only
#endif
        return file_source(fd, static_cast<std::uint64_t>(st.st_size), path);
    }

    file_source(file_source&& o) noexcept : fd_(o.fd_), size_(o.size_), path_(std::move(o.path_)) { o.fd_ = -1; }
    file_source& operator=(file_source&& o) noexcept {
        if (this != &o) {
            close_fd();
            fd_ = o.fd_; size_ = o.size_; path_ = std::move(o.path_);
            o.fd_ = -1;
        }
        return *this;
    }
    file_source(const file_source&) = delete;
    file_source& operator=(const file_source&) = delete;
    ~file_source() override { close_fd(); }

    std::uint64_t size() const noexcept override { return size_; }
    const std::string& path() const noexcept { return path_; }

    result<void> read_at(std::uint64_t offset, std::span<byte> out) const override {
        ZEROG_CHECK(check_range(offset, out.size()));
        std::size_t done = 0;
        while (done < out.size()) {
            const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
            if (n < 0) {
                if (errno == EINTR) continue;
                return fail(errc::io_error, "reading '" + path_ + "' at offset " + std::to_string(offset + done) + ": " +
                                                std::strerror(errno));
            }
            if (n == 0)
                return fail(errc::io_error, "'" + path_ + "' ended at offset " + std::to_string(offset + done) +
                                                " (it was " + std::to_string(size_) + " bytes when opened; modified while reading?)");
            done += static_cast<std::size_t>(n);
        }
        return {};
    }

private:
    file_source(int fd, std::uint64_t size, std::string path) noexcept : fd_(fd), size_(size), path_(std::move(path)) {}
    void close_fd() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    int fd_ = -1;
    std::uint64_t size_ = 0;
    std::string path_;
};

/// The window [offset, offset + size) of another source (e.g. one fragment of a large file).
/// The parent must outlive the slice.
class slice_source final : public data_source {
public:
    /// Errors: out_of_range when the window does not fit in the parent.
    static result<slice_source> of(const data_source& parent, std::uint64_t offset, std::uint64_t size) {
        if (offset > parent.size() || size > parent.size() - offset)
            return fail(errc::out_of_range, "slice [" + std::to_string(offset) + ", +" + std::to_string(size) +
                                                ") does not fit in a " + std::to_string(parent.size()) + "-byte source");
        return slice_source(parent, offset, size);
    }
    std::uint64_t size() const noexcept override { return size_; }
    std::uint64_t offset() const noexcept { return offset_; }
    result<void> read_at(std::uint64_t offset, std::span<byte> out) const override {
        ZEROG_CHECK(check_range(offset, out.size()));
        return parent_->read_at(offset_ + offset, out);
    }

private:
    slice_source(const data_source& p, std::uint64_t o, std::uint64_t s) noexcept : parent_(&p), offset_(o), size_(s) {}
    const data_source* parent_;
    std::uint64_t offset_, size_;
};

}  // namespace zerog::storage
