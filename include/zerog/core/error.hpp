// zerog's one error type: a code in the `zerog` boost::system category plus a context chain.
//
// Every failure in the library is reported as `zerog::error`:
//   * `code()`    : a boost::system::error_code, normally in zerog's category (`zerog::errc`), or a
//                   foreign category (asio, beast) when the failure came from below us;
//   * `detail()`  : one sentence about what exactly was wrong ("odd number of hex digits (3)");
//   * `context()` : the chain of what was being done, innermost first, each frame naming the
//                   operation, the endpoint (reduced to scheme://host:port, see `redact_endpoint`)
//                   and identifiers (root, tx hash, index...).
//
// Secrets: an error never carries a secret. Endpoints are reduced to their origin (API keys hide
// in URL paths, queries and userinfo). Callers must never put key material in a detail or an
// identifier; `zerog::secret` types (crypto/private_key.hpp) cannot be formatted at all.
//
// Thread safety: value type; distinct objects may be used from distinct threads.
#pragma once

#include <zerog/core/detail/url_split.hpp>

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zerog {

/// Error conditions raised by zerog itself. Grouped by class; core/error_class.hpp (`classify`) is the single
/// place that decides which classes a retry policy may retry.
enum class errc : int {
    ok = 0,
    // input validation (never retryable)
    invalid_argument = 1,
    invalid_hex,
    invalid_base64,
    invalid_length,
    invalid_address,
    invalid_checksum,
    invalid_number,
    out_of_range,
    overflow,
    parse_error,
    empty_input,
    too_large,
    // crypto / verification (never retryable)
    invalid_key = 30,
    invalid_signature,
    wrong_password,
    keystore_malformed,
    proof_invalid,
    root_mismatch,
    verification_failed,
    // I/O and network (retryable unless stated)
    io_error = 60,
    timeout,
    connection_failed,
    connection_closed,
    tls_error,
    http_status,          // non-2xx other than 5xx (4xx: our request is wrong; not retryable)
    server_error,         // HTTP 5xx or a JSON-RPC internal error (-32603): retryable
    response_too_large,
    malformed_response,   // a peer answered something that is not the protocol
    rpc_error,            // a JSON-RPC error object (code/message/data in the detail)
    server_busy,          // "too many data writing" and similar back-pressure
    // chain
    chain_id_mismatch = 90,
    reverted,
    insufficient_funds,
    nonce_conflict,
    underpriced,
    tx_not_mined,
    // policy outcomes
    cancelled = 120,
    deadline_exceeded,
    circuit_open,
    rate_limited,
    budget_exhausted,
    quota_exceeded,
    unauthorized,
    // state
    not_found = 150,
    already_exists,
    not_supported,
    state_conflict,
    internal,
};

namespace detail {
class zerog_category_impl final : public boost::system::error_category {
public:
    constexpr zerog_category_impl() noexcept : boost::system::error_category(0x7a65726f67ULL) {}
    const char* name() const noexcept override { return "zerog"; }
    std::string message(int ev) const override { return std::string(describe(ev)); }
    char const* message(int ev, char*, std::size_t) const noexcept override { return describe(ev); }

    static const char* describe(int ev) noexcept {
        switch (static_cast<errc>(ev)) {
        case errc::ok: return "success";
        case errc::invalid_argument: return "invalid argument";
        case errc::invalid_hex: return "invalid hex";
        case errc::invalid_base64: return "invalid base64";
        case errc::invalid_length: return "invalid length";
        case errc::invalid_address: return "invalid address";
        case errc::invalid_checksum: return "invalid EIP-55 checksum";
        case errc::invalid_number: return "invalid number";
        case errc::out_of_range: return "value out of range";
        case errc::overflow: return "arithmetic overflow";
        case errc::parse_error: return "parse error";
        case errc::empty_input: return "empty input";
        case errc::too_large: return "input too large";
        case errc::invalid_key: return "invalid private key";
        case errc::invalid_signature: return "invalid signature";
        case errc::wrong_password: return "wrong password or corrupted keystore (MAC mismatch)";
        case errc::keystore_malformed: return "malformed keystore";
        case errc::proof_invalid: return "invalid merkle proof";
        case errc::root_mismatch: return "merkle root mismatch";
        case errc::verification_failed: return "verification failed";
        case errc::io_error: return "I/O error";
        case errc::timeout: return "timed out";
        case errc::connection_failed: return "connection failed";
        case errc::connection_closed: return "connection closed by peer";
        case errc::tls_error: return "TLS error";
        case errc::http_status: return "unexpected HTTP status";
        case errc::server_error: return "server error";
        case errc::response_too_large: return "response too large";
        case errc::malformed_response: return "malformed response";
        case errc::rpc_error: return "JSON-RPC error";
        case errc::server_busy: return "server busy";
        case errc::chain_id_mismatch: return "chain id mismatch";
        case errc::reverted: return "execution reverted";
        case errc::insufficient_funds: return "insufficient funds";
        case errc::nonce_conflict: return "nonce conflict";
        case errc::underpriced: return "transaction underpriced";
        case errc::tx_not_mined: return "transaction not mined";
        case errc::cancelled: return "cancelled";
        case errc::deadline_exceeded: return "deadline exceeded";
        case errc::circuit_open: return "circuit breaker open";
        case errc::rate_limited: return "rate limited";
        case errc::budget_exhausted: return "budget exhausted";
        case errc::quota_exceeded: return "quota exceeded";
        case errc::unauthorized: return "unauthorized";
        case errc::not_found: return "not found";
        case errc::already_exists: return "already exists";
        case errc::not_supported: return "not supported";
        case errc::state_conflict: return "state conflict";
        case errc::internal: return "internal error";
        }
        return "unknown zerog error";
    }
};
}  // namespace detail

/// The `zerog` error category (a constexpr singleton; comparisons by address are stable).
inline const boost::system::error_category& zerog_category() noexcept {
    static constexpr detail::zerog_category_impl instance;
    return instance;
}

inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), zerog_category()};
}

/// The code's identifier ("deadline_exceeded"): a stable, bounded token for metric labels and
/// machine-readable error codes (the description above is for people).
inline std::string_view errc_name(errc e) noexcept {
    switch (e) {
#define ZEROG_ERRC_NAME(x) case errc::x: return #x;
        ZEROG_ERRC_NAME(ok) ZEROG_ERRC_NAME(invalid_argument) ZEROG_ERRC_NAME(invalid_hex) ZEROG_ERRC_NAME(invalid_base64)
        ZEROG_ERRC_NAME(invalid_length) ZEROG_ERRC_NAME(invalid_address) ZEROG_ERRC_NAME(invalid_checksum)
        ZEROG_ERRC_NAME(invalid_number) ZEROG_ERRC_NAME(out_of_range) ZEROG_ERRC_NAME(overflow) ZEROG_ERRC_NAME(parse_error)
        ZEROG_ERRC_NAME(empty_input) ZEROG_ERRC_NAME(too_large) ZEROG_ERRC_NAME(invalid_key) ZEROG_ERRC_NAME(invalid_signature)
        ZEROG_ERRC_NAME(wrong_password) ZEROG_ERRC_NAME(keystore_malformed) ZEROG_ERRC_NAME(proof_invalid)
        ZEROG_ERRC_NAME(root_mismatch) ZEROG_ERRC_NAME(verification_failed) ZEROG_ERRC_NAME(io_error) ZEROG_ERRC_NAME(timeout)
        ZEROG_ERRC_NAME(connection_failed) ZEROG_ERRC_NAME(connection_closed) ZEROG_ERRC_NAME(tls_error)
        ZEROG_ERRC_NAME(http_status) ZEROG_ERRC_NAME(server_error) ZEROG_ERRC_NAME(response_too_large)
        ZEROG_ERRC_NAME(malformed_response) ZEROG_ERRC_NAME(rpc_error) ZEROG_ERRC_NAME(server_busy)
        ZEROG_ERRC_NAME(chain_id_mismatch) ZEROG_ERRC_NAME(reverted) ZEROG_ERRC_NAME(insufficient_funds)
        ZEROG_ERRC_NAME(nonce_conflict) ZEROG_ERRC_NAME(underpriced) ZEROG_ERRC_NAME(tx_not_mined) ZEROG_ERRC_NAME(cancelled)
        ZEROG_ERRC_NAME(deadline_exceeded) ZEROG_ERRC_NAME(circuit_open) ZEROG_ERRC_NAME(rate_limited)
        ZEROG_ERRC_NAME(budget_exhausted) ZEROG_ERRC_NAME(quota_exceeded) ZEROG_ERRC_NAME(unauthorized)
        ZEROG_ERRC_NAME(not_found) ZEROG_ERRC_NAME(already_exists) ZEROG_ERRC_NAME(not_supported)
        ZEROG_ERRC_NAME(state_conflict) ZEROG_ERRC_NAME(internal)
#undef ZEROG_ERRC_NAME
    }
    return "unknown";
}

}  // namespace zerog

template <>
struct boost::system::is_error_code_enum<zerog::errc> : std::true_type {};

namespace zerog {

/// Reduce a URL to `scheme://host:port` so that API keys in paths, queries or userinfo never
/// reach an error, a log line or a metric label.
inline std::string redact_endpoint(std::string_view url) {
    const detail::url_split s = detail::split_url(url);
    std::string out;
    out.reserve(s.scheme.size() + 3 + s.authority.size());
    if (s.has_scheme) { out.append(s.scheme); out.append("://"); }
    out.append(s.authority);
    return out;
}

/// One step of the context chain: what was being done, where, and on which identifiers.
struct error_frame {
    std::string operation;                                  ///< e.g. "eth_sendRawTransaction"
    std::string endpoint;                                   ///< origin only (redacted)
    std::vector<std::pair<std::string, std::string>> ids;   ///< e.g. {"root","0x…"},{"segment","3"}
};

/// The library's error value. Cheap to move; copying copies the chain.
class error {
public:
    error() = default;
    error(boost::system::error_code code, std::string detail = {})
        : code_(code), detail_(std::move(detail)) {}
    error(errc code, std::string detail = {}) : code_(make_error_code(code)), detail_(std::move(detail)) {}

    const boost::system::error_code& code() const noexcept { return code_; }
    const std::string& detail() const noexcept { return detail_; }
    const std::vector<error_frame>& context() const noexcept { return frames_; }
    explicit operator bool() const noexcept { return static_cast<bool>(code_); }
    bool is(errc e) const noexcept { return code_ == make_error_code(e); }
    /// errc_name of the code, "system_error" for a code of another category (bounded: metric
    /// labels and machine-readable codes).
    std::string_view code_name() const noexcept {
        return code_.category() == zerog_category() ? errc_name(static_cast<errc>(code_.value())) : std::string_view("system_error");
    }

    /// Push a new outer frame: "while doing `operation`".
    error& during(std::string operation) & {
        frames_.push_back(error_frame{std::move(operation), {}, {}});
        return *this;
    }
    error&& during(std::string operation) && { return std::move(during(std::move(operation))); }

    /// Attach the endpoint (redacted to its origin) to the outermost frame.
    error& at(std::string_view endpoint) & {
        top().endpoint = redact_endpoint(endpoint);
        return *this;
    }
    error&& at(std::string_view endpoint) && { return std::move(at(endpoint)); }

    /// Attach an identifier (root, tx hash, index…) to the outermost frame. Never a secret.
    error& with(std::string key, std::string value) & {
        top().ids.emplace_back(std::move(key), std::move(value));
        return *this;
    }
    error&& with(std::string key, std::string value) && {
        return std::move(with(std::move(key), std::move(value)));
    }

    /// "while uploading file (root=0x…) at http://127.0.0.1:5678: while zgs_uploadSegments
    ///  (segment=3): invalid merkle proof: sibling 2 does not match"  — outermost first.
    std::string message() const {
        std::string out;
        for (auto it = frames_.rbegin(); it != frames_.rend(); ++it) {
            // A frame made only by at()/with() has no operation: print just its endpoint/ids.
            if (!it->operation.empty()) {
                out += "while ";
                out += it->operation;
            }
            if (!it->ids.empty()) {
                out += it->operation.empty() ? "(" : " (";
                for (std::size_t i = 0; i < it->ids.size(); ++i) {
                    if (i) out += ", ";
                    out += it->ids[i].first;
                    out += '=';
                    out += it->ids[i].second;
                }
                out += ')';
            }
            if (!it->endpoint.empty()) {
                out += (it->operation.empty() && it->ids.empty()) ? "at " : " at ";
                out += it->endpoint;
            }
            out += ": ";
        }
        out += code_.message();
        if (!detail_.empty()) { out += ": "; out += detail_; }
        return out;
    }

private:
    error_frame& top() {
        if (frames_.empty()) frames_.push_back(error_frame{});
        return frames_.back();
    }

    boost::system::error_code code_;
    std::string detail_;
    std::vector<error_frame> frames_;  // innermost first
};

/// Exception carrying a zerog::error, thrown only by `result<T>::value()` on misuse-as-exception
/// style code paths (the CLI and tests); the library itself reports through `result<T>`.
class exception : public std::runtime_error {
public:
    explicit exception(zerog::error e) : std::runtime_error(e.message()), err_(std::move(e)) {}
    const zerog::error& error() const noexcept { return err_; }

private:
    zerog::error err_;
};

}  // namespace zerog
