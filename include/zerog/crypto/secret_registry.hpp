// The process-wide registry of loaded private keys, as salted keccak fingerprints (never the keys).
// `crypto::private_key` registers every key it loads, so that the redaction layer
// (observe/redaction.hpp, `scrub`) can recognise a key's hex in any text sink and replace it. It
// lives in crypto because private_key (crypto) must reach it without depending on observe.
//
// Thread safety: process-wide and synchronised; all members may be called concurrently.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/crypto/keccak.hpp>

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <vector>

namespace zerog::crypto {

class secret_registry {
public:
    static secret_registry& instance() {
        static secret_registry r;
        return r;
    }
    /// Register a 32-byte secret (a private key). Stores only keccak(salt ‖ key).
    void add_key(byte_span key32) {
        const hash256 fp = fingerprint(key32);
        std::unique_lock lk(mu_);
        if (std::find(fps_.begin(), fps_.end(), fp) == fps_.end()) fps_.push_back(fp);
    }
    bool is_registered(byte_span key32) const {
        const hash256 fp = fingerprint(key32);
        std::shared_lock lk(mu_);
        return std::find(fps_.begin(), fps_.end(), fp) != fps_.end();
    }
    bool empty() const {
        std::shared_lock lk(mu_);
        return fps_.empty();
    }

private:
    static hash256 fingerprint(byte_span key32) {
        crypto::keccak256_hasher h;
        h.update(std::string_view("zerog/redaction/v1"));
        h.update(key32);
        return h.finalize();
    }
    mutable std::shared_mutex mu_;
    std::vector<hash256> fps_;
};

}  // namespace zerog::crypto
