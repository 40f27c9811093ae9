// The redaction layer: the last line of defence that keeps key material out of every text sink
// (log lines, error messages the CLI prints, metric labels).
//
// Three rules, applied by `scrub()`:
//   1. Registered keys. Loaded private keys register a salted keccak fingerprint (never the key);
//      any run of exactly 64 hex digits in the text whose bytes match a fingerprint is replaced by
//      "<redacted:key>". Hashes and roots pass untouched (they match no fingerprint).
//   2. Credentials by shape: "Bearer …" and "app-sk-…" session tokens become "<redacted>".
//   3. Fields whose name says secret (password, private_key, secret, mnemonic, authorization,
//      api_key, seed) are redacted whole by the JSON logger before `scrub` even runs.
//
// Thread safety: the registry is process-wide and synchronised; scrub() may run concurrently.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/crypto/secret_registry.hpp>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace zerog::observe {

using crypto::secret_registry;  // the registry lives in crypto (private_key registers itself)

/// Field names whose values are always redacted whole.
inline bool is_secret_field_name(std::string_view key) {
    std::string k(key);
    std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (std::string_view bad : {"password", "passphrase", "private", "secret", "mnemonic", "authorization", "api_key",
                                 "apikey", "seed", "bearer", "session_token"})
        if (k.find(bad) != std::string::npos) return true;
    return false;
}

/// Apply rules 1 and 2 to a text.
inline std::string scrub(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    const bool have_keys = !secret_registry::instance().empty();
    auto is_hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
    std::size_t i = 0;
    while (i < in.size()) {
        // rule 2: credentials by shape
        if (in.compare(i, 7, "Bearer ") == 0 || in.compare(i, 7, "bearer ") == 0) {
            out.append(in.substr(i, 7));
            out.append("<redacted>");
            i += 7;
            while (i < in.size() && !std::isspace(static_cast<unsigned char>(in[i])) && in[i] != '"' && in[i] != '\\') ++i;
            continue;
        }
        if (in.compare(i, 7, "app-sk-") == 0) {
            out.append("app-sk-<redacted>");
            i += 7;
            while (i < in.size() && (std::isalnum(static_cast<unsigned char>(in[i])) || in[i] == '+' || in[i] == '/' ||
                                     in[i] == '=' || in[i] == '-' || in[i] == '_'))
                ++i;
            continue;
        }
        // rule 1: a maximal run of hex digits of length exactly 64
        if (have_keys && is_hex(in[i])) {  // i starts a maximal run: the previous run was consumed whole
            std::size_t j = i;
            while (j < in.size() && is_hex(in[j])) ++j;
            if (j - i == 64) {
                fixed_bytes<32> k;
                if (hex_decode_into(in.substr(i, 64), k.data_, hex_prefix::none) &&
                    secret_registry::instance().is_registered(k)) {
                    out.append("<redacted:key>");
                    i = j;
                    continue;
                }
            }
            out.append(in.substr(i, j - i));
            i = j;
            continue;
        }
        out.push_back(in[i++]);
    }
    return out;
}

}  // namespace zerog::observe
