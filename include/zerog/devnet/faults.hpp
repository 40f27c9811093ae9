// Fault injection for the devnet emulators, shared by another process through a small state
// file per service in the devnet directory:
//     <dir>/faults/node-<I>.json       {"mode":"busy","count":3,"ms":0,"seq":7}
//     <dir>/faults/provider-<I>.json   (same format, provider modes)
//     <dir>/faults/kv-<I>.json         (same format, KV node modes)
// `zerog devnet fault` writes the file (atomically: temp file + rename); the emulator re-reads it
// on every request (and every 100 ms for `down`), so a test can flip a node between modes while it
// runs. `seq` grows with every write: a `busy` budget of N uploads restarts when a new write
// arrives, without the emulator having to write the file back.
//
// Storage node modes: none, down (listener closed: connections refused), error (-32603 on every
// call), flaky (-32603 on the next `count` calls, then healthy: what a retry policy must ride out), busy ("too many data writing" for the next `count` uploads), slow (each answer delayed by
// `ms`), corrupt (one byte flipped in served segment data), stale (files reported as not synced).
// Provider modes (compute emulator): none, down, error, slow, bad-signature.
// KV node modes (kv_service.hpp): none, down, error, flaky, slow, stale (replay paused: reads
// answer from the state reached so far and appliedSeq stops growing, as with a lagging node).
//
// Thread safety: free functions; `fault_reader` is used from one thread.
#pragma once

#include <zerog/core/result.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace zerog::devnet {

/// The fault state of one service.
struct fault_state {
    std::string mode = "none";
    std::uint64_t count = 0;  ///< busy: uploads to refuse
    std::uint64_t ms = 0;     ///< slow: delay per answer
    std::uint64_t seq = 0;    ///< write generation
    friend bool operator==(const fault_state&, const fault_state&) = default;
};

/// Modes a storage node understands.
inline constexpr std::array<std::string_view, 8> node_fault_modes{"none", "down", "error", "flaky", "busy", "slow", "corrupt", "stale"};
/// Modes a compute provider understands (for the compute emulator).
inline constexpr std::array<std::string_view, 5> provider_fault_modes{"none", "down", "error", "slow", "bad-signature"};

/// Modes a KV node emulator understands.
inline constexpr std::array<std::string_view, 6> kv_fault_modes{"none", "down", "error", "flaky", "slow", "stale"};

/// "node", "provider" or "kv" + index → the state file path.
inline std::filesystem::path fault_file(const std::filesystem::path& dir, std::string_view kind, unsigned index) {
    return dir / "faults" / (std::string(kind) + "-" + std::to_string(index) + ".json");
}

/// Read a fault file; a missing or unreadable file means "none" (a fresh devnet has none).
inline fault_state read_fault(const std::filesystem::path& file) {
    fault_state f;
    std::ifstream in(file, std::ios::binary);
    if (!in) return f;
    std::ostringstream ss;
    ss << in.rdbuf();
    boost::system::error_code ec;
    auto v = boost::json::parse(ss.str(), ec);
    if (ec || !v.is_object()) return f;
    const auto& o = v.get_object();
    auto u = [&](const char* k) -> std::uint64_t {
        const auto* x = o.if_contains(k);
        if (x && x->is_uint64()) return x->get_uint64();
        if (x && x->is_int64() && x->get_int64() >= 0) return static_cast<std::uint64_t>(x->get_int64());
        return 0;
    };
    if (const auto* m = o.if_contains("mode"); m && m->is_string()) f.mode = std::string(m->get_string());
    f.count = u("count");
    f.ms = u("ms");
    f.seq = u("seq");
    return f;
}

/// Write a fault file atomically with seq = previous seq + 1. Errors: invalid_argument for a mode
/// `kind` does not know, io_error.
inline result<fault_state> write_fault(const std::filesystem::path& dir, std::string_view kind, unsigned index, fault_state f) {
    auto in = [&](const auto& modes) { return std::find(modes.begin(), modes.end(), f.mode) != modes.end(); };
    const bool known = kind == "node" ? in(node_fault_modes) : kind == "kv" ? in(kv_fault_modes) : in(provider_fault_modes);
    if (!known) return fail(errc::invalid_argument, "unknown " + std::string(kind) + " fault mode '" + f.mode + "'");
    const auto file = fault_file(dir, kind, index);
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    f.seq = read_fault(file).seq + 1;
    boost::json::object o{{"mode", f.mode}, {"count", f.count}, {"ms", f.ms}, {"seq", f.seq}};
    const auto tmp = file.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << boost::json::serialize(o) << "\n";
        if (!out) return fail(errc::io_error, "cannot write " + tmp);
    }
    std::filesystem::rename(tmp, file, ec);
    if (ec) return fail(errc::io_error, "cannot rename " + tmp + ": " + ec.message());
    return f;
}

/// Reads a service's fault file and keeps the `busy` budget (count per write generation).
class fault_reader {
public:
    explicit fault_reader(std::filesystem::path file) : file_(std::move(file)) {}
    /// The current state (re-read from disk).
    fault_state current() {
        fault_state f = read_fault(file_);
        if (f.seq != seen_seq_) {
            seen_seq_ = f.seq;
            busy_left_ = f.count;
        }
        return f;
    }
    /// For `busy` and `flaky`: true if this upload/call must be refused (consumes one of the budget).
    bool take_busy() {
        if (busy_left_ == 0) return false;
        --busy_left_;
        return true;
    }
    const std::filesystem::path& file() const noexcept { return file_; }

private:
    std::filesystem::path file_;
    std::uint64_t seen_seq_ = ~0ULL;
    std::uint64_t busy_left_ = 0;
};

}  // namespace zerog::devnet
