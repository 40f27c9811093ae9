// Test double for the Signer policy family (unit tests only; no production header includes it).
// Moved out of the family's header so that production code never carries mock code.
#pragma once

#include <zerog/crypto/signer.hpp>
#include <zerog/crypto/address.hpp>

#include <concepts>
#include <deque>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace zerog::testing {

using namespace zerog::crypto;  // written against the Signer vocabulary

/// Test double for Signer: records every digest it is asked to sign and answers from a script.
///
/// Copies share one state (a shared_ptr), so a test keeps a copy, hands another to the client
/// under test (which may take its signer by value) and later inspects `digests()`. Answers are
/// consumed in order from the script (`will_return`, `will_fail`); when the script is empty the
/// default answer is used (`set_default`), and without a default the call fails with
/// errc::state_conflict naming the digest, so an unexpected signature request fails the test
/// loudly instead of producing a plausible-looking signature.
///
/// Thread safety: all members are safe to call concurrently (one mutex per shared state).
/// Models Signer.
class mock_signer {
public:
    explicit mock_signer(crypto::address addr = {}) : st_(std::make_shared<state>()) { st_->addr = addr; }

    crypto::address address() const {
        std::lock_guard lock(st_->mu);
        return st_->addr;
    }
    void set_address(crypto::address a) {
        std::lock_guard lock(st_->mu);
        st_->addr = a;
    }

    /// Record `digest`, then answer with the next scripted result (or the default).
    result<crypto::signature> sign_digest(const hash256& digest) const {
        std::lock_guard lock(st_->mu);
        st_->digests.push_back(digest);
        if (!st_->script.empty()) {
            auto r = std::move(st_->script.front());
            st_->script.pop_front();
            return r;
        }
        if (st_->fallback) return *st_->fallback;
        return fail(errc::state_conflict,
                    "mock_signer: no scripted answer left for digest " + to_hex(digest) + " (request #" +
                        std::to_string(st_->digests.size()) + ")");
    }

    /// Queue a signature to return.
    mock_signer& will_return(const crypto::signature& sig) { return push(sig); }
    /// Queue an error to return.
    mock_signer& will_fail(zerog::error e) { return push(std::move(e)); }
    /// Answer used once the script is exhausted.
    mock_signer& set_default(result<crypto::signature> r) {
        std::lock_guard lock(st_->mu);
        st_->fallback = std::make_unique<result<crypto::signature>>(std::move(r));
        return *this;
    }

    /// Every digest requested so far, in order.
    std::vector<hash256> digests() const {
        std::lock_guard lock(st_->mu);
        return st_->digests;
    }
    std::size_t call_count() const {
        std::lock_guard lock(st_->mu);
        return st_->digests.size();
    }
    /// Scripted answers not consumed yet (a test can assert 0 at the end).
    std::size_t pending() const {
        std::lock_guard lock(st_->mu);
        return st_->script.size();
    }

private:
    struct state {
        mutable std::mutex mu;
        crypto::address addr;
        std::vector<hash256> digests;
        std::deque<result<crypto::signature>> script;
        std::unique_ptr<result<crypto::signature>> fallback;
    };
    mock_signer& push(result<crypto::signature> r) {
        std::lock_guard lock(st_->mu);
        st_->script.push_back(std::move(r));
        return *this;
    }
    std::shared_ptr<state> st_;
};
static_assert(Signer<mock_signer>);

}  // namespace zerog::testing
