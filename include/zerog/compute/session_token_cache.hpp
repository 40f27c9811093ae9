// Per-provider cache of ephemeral session tokens (docs/protocol/compute.md §4.3, §6.3).
//
// One personal_sign per provider per token lifetime; every request in between reuses the
// precomputed "Bearer app-sk-…" string. A token is renewed when less than `renew_margin` of its
// validity remains (the margin also absorbs clock skew against the provider, which rejects at
// whole-second granularity), when the caller asks for another account generation (after
// revokeAllTokens), or after `invalidate()` (an auth error naming revoked/expired/generation).
//
// Hot path (token still fresh): one uncontended mutex, one wall-clock read, one hash lookup; no
// allocation. `authorization()` returns a view into the cached token; `get()` returns a shared
// pointer that keeps the token alive across renewals.
//
// Thread safety: all member functions may be called concurrently. A renewal signs under the lock,
// so concurrent callers for the same provider never sign twice (they wait ~30 µs instead). The
// string_view from `authorization()` stays valid until that provider's token is renewed,
// invalidated or cleared: copy it, or use `get()`, when other threads may renew concurrently.
#pragma once

#include <zerog/compute/session_token.hpp>

#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace zerog::compute {

/// Whether a provider's error text says our token is no longer usable, so the cached token should
/// be invalidated and the request retried once with a fresh one (spec §6.3): the broker's messages
/// for expiry, revocation and generation mismatch (§8) all contain one of these words.
inline bool is_stale_token_error(std::string_view provider_message) noexcept {
    for (std::string_view w : {std::string_view("session token expired"), std::string_view("has been revoked"),
                               std::string_view("future generation")})
        if (provider_message.find(w) != std::string_view::npos) return true;
    return false;
}

/// Cache configuration.
struct token_cache_options {
    std::chrono::milliseconds lifetime = default_token_lifetime;      ///< (0, max_cached_token_lifetime = 1 h]
    std::chrono::milliseconds renew_margin = std::chrono::minutes(1);  ///< [0, lifetime): renew this long before expiry
};

/// Thread-safe per-provider token cache. `S` is stored by value (hold a zerog::ref to share one).
template <crypto::Signer S, zerog::Clock C = zerog::system_clock_policy>
class session_token_cache {
public:
    using token_ptr = std::shared_ptr<const session_token>;

    /// Invalid options (lifetime outside (0, 24 h], margin outside [0, lifetime)) are reported by
    /// every later get()/authorization() as errc::invalid_argument.
    explicit session_token_cache(S signer, token_cache_options opt = {}, C clock = {})
        : signer_(std::move(signer)), opt_(opt), clock_(std::move(clock)) {
        if (opt.lifetime <= std::chrono::milliseconds::zero() || opt.lifetime > max_cached_token_lifetime)
            config_error_ = zerog::error(errc::invalid_argument, "cached session token lifetime must be in (0, 1 h], got " +
                                                                     std::to_string(opt.lifetime.count()) + " ms");
        else if (opt.renew_margin < std::chrono::milliseconds::zero() || opt.renew_margin >= opt.lifetime)
            config_error_ = zerog::error(errc::invalid_argument, "renewal margin must be in [0, lifetime), got " +
                                                                     std::to_string(opt.renew_margin.count()) + " ms");
    }

    /// The current token for `provider` at account `generation`, signing a new one if needed.
    /// Errors: errc::invalid_argument (options), the signer's errors (nothing is cached then).
    result<token_ptr> get(const crypto::address& provider, std::uint64_t generation = 0) {
        std::lock_guard lock(mu_);
        ZEROG_TRY(const entry* e, fresh(provider, generation));
        return e->token;
    }

    /// The cached "Bearer app-sk-…" value (see the file comment for the view's lifetime).
    result<std::string_view> authorization(const crypto::address& provider, std::uint64_t generation = 0) {
        std::lock_guard lock(mu_);
        ZEROG_TRY(const entry* e, fresh(provider, generation));
        return std::string_view(e->token->authorization);
    }

    /// Drop the token for `provider` (the next call signs a new one).
    void invalidate(const crypto::address& provider) {
        std::lock_guard lock(mu_);
        map_.erase(provider);
    }
    /// Drop all tokens.
    void clear() {
        std::lock_guard lock(mu_);
        map_.clear();
    }
    /// Number of providers with a cached token.
    std::size_t size() const {
        std::lock_guard lock(mu_);
        return map_.size();
    }
    /// Tokens signed so far (renewals included): for metrics and tests.
    std::uint64_t signed_count() const {
        std::lock_guard lock(mu_);
        return signed_;
    }
    const S& signer() const noexcept { return signer_; }
    const token_cache_options& options() const noexcept { return opt_; }

private:
    struct entry {
        token_ptr token;
        std::int64_t renew_at_ms = 0;  // expiresAt − margin
        std::uint64_t generation = 0;
    };
    struct address_hash {  // addresses are keccak outputs: any 8 bytes are uniformly distributed
        std::size_t operator()(const crypto::address& a) const noexcept {
            std::size_t h;
            std::memcpy(&h, a.data(), sizeof h);
            return h;
        }
    };

    result<const entry*> fresh(const crypto::address& provider, std::uint64_t generation) {
        if (config_error_) return fail(config_error_);
        const std::int64_t now = wall_ms(clock_);
        if (auto it = map_.find(provider); it != map_.end() && it->second.generation == generation && now < it->second.renew_at_ms)
            return &it->second;
        session_token_options o;
        o.lifetime = opt_.lifetime;
        o.generation = generation;
        o.timestamp_ms = now;
        auto t = make_session_token(signer_, provider, o, clock_);
        if (!t) return fail(std::move(t).error().during("renewing a cached session token"));
        ++signed_;
        entry e;
        e.renew_at_ms = t->claims.expires_at_ms - opt_.renew_margin.count();
        e.generation = generation;
        e.token = std::make_shared<const session_token>(std::move(*t));
        auto [it, _] = map_.insert_or_assign(provider, std::move(e));
        return &it->second;
    }

    S signer_;
    token_cache_options opt_;
    C clock_;
    zerog::error config_error_;
    mutable std::mutex mu_;
    std::unordered_map<crypto::address, entry, address_hash> map_;
    std::uint64_t signed_ = 0;
};

}  // namespace zerog::compute
