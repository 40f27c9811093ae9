// Persistence policy: durable memory of what the client paid for, so nothing is paid twice.
//
// The storage client CLAIMS its submission (root, network) BEFORE signing the transaction and
// consults the record on every retry and re-run; the claim is atomic in every model, so of two
// processes sharing one database exactly one pays and the other adopts its submission. The
// transaction sender's idempotency records (every signed hash, recorded before broadcast) live in
// the same store, so a re-run after a crash resumes the signed transaction instead of paying again.
// Compute records cumulative spend; budgets record committed usage.
//
// The family is split in three concepts, each with the operations of one kind of record:
//   SubmissionStore  claim_submission, put_submission, find_submission, list_submissions
//   TxStore          put_tx (merges hashes, never drops one), find_tx
//   UsageStore       add_spend/spend (compute), add_usage/load_usage (budget.hpp)
// `Persistence` is all three. A fourth member, not part of `Persistence` (a model may have it or not):
//   NamespaceStore   add_namespace, update_namespace, find_namespace, find_namespace_by_stream,
//                    list_namespaces, remove_namespace: the local registry of KV namespaces (name →
//                    stream id, role, cached metadata) that client/namespace_client.hpp keeps. Only
//                    a convenience: losing it loses nothing on the network (the namespace client
//                    recovers an entry from the chain with `join`).
// All calls are synchronous. A model whose calls may block (disk
// sync, a lock held by another process, a database server) declares `static constexpr bool
// blocking = true`; the clients then run its calls on a small worker pool so the event loop goes
// on with other work (client/persist.hpp). A failing store fails the operation before any payment
// (never "pay and forget").
//
// Models: `no_persistence` (stores nothing: only safe for read-only clients), `memory_persistence`
// (process lifetime, thread-safe), `testing::mock_persistence` (memory + failure injection + call
// log), and the durable ones in store/: `store::sqlite_persistence` (the default: one file, WAL,
// several processes), `store::postgres_persistence` (several machines), `store::database` (either,
// chosen at run time from a path or a postgresql:// URL). One conformance suite runs on all
// (tests/store). Every model but `no_persistence` keeps the namespace registry; `no_persistence`
// accepts its writes and forgets them (finds nothing), like its submissions.
#pragma once

#include <zerog/core/result.hpp>
#include <zerog/core/uint256.hpp>

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace zerog::policy {

/// One flow submission the client made (or found on chain).
struct submission_record {
    enum class state : std::uint8_t { intent, sent, mined, uploaded, finalized, failed };
    hash256 root{};
    std::string network;             ///< e.g. "16602:0x22e0…" (chain id and flow address)
    std::string account;             ///< the paying address ("0x…" checksummed); empty when found on the nodes
    std::string tx_hash;             ///< "0x…" once signed (known before broadcast)
    std::optional<std::uint64_t> tx_seq;
    std::uint64_t size = 0;
    uint256 fee;
    state status = state::intent;
    std::string file_name;           ///< base name of the uploaded file, if any
    std::string local_path;          ///< absolute path of the uploaded file, if any
    std::uint32_t replicas = 0;
    std::string name_space;          ///< KV namespace (KV issue); empty for plain files
    std::string owner;               ///< who holds the claim: "<host>/<pid>/<random>"
    std::string last_error;          ///< why the last attempt failed (never a secret)
    std::int64_t created_unix_ms = 0;
    std::int64_t updated_unix_ms = 0;
    std::int64_t expires_unix_ms = 0;  ///< end of retention (0 = keep the record forever)
    friend bool operator==(const submission_record&, const submission_record&) = default;
};

inline std::string_view to_string(submission_record::state s) noexcept {
    using st = submission_record::state;
    switch (s) {
        case st::intent: return "intent";
        case st::sent: return "sent";
        case st::mined: return "mined";
        case st::uploaded: return "uploaded";
        case st::finalized: return "finalized";
        case st::failed: return "failed";
    }
    return "unknown";
}

inline std::optional<submission_record::state> submission_state_from(std::string_view s) noexcept {
    using st = submission_record::state;
    for (st v : {st::intent, st::sent, st::mined, st::uploaded, st::finalized, st::failed})
        if (to_string(v) == s) return v;
    return std::nullopt;
}

/// How far a record got, for merging two copies of it (import): a known tx_seq beats none, then
/// the state's order (failed counts least: any attempt that got further wins).
inline int submission_progress(const submission_record& r) noexcept {
    using st = submission_record::state;
    const int s = r.status == st::failed ? 0 : static_cast<int>(r.status) + 1;
    return (r.tx_seq ? 100 : 0) + (r.tx_hash.empty() ? 0 : 10) + s;
}

/// What `list_submissions` returns: newest first (by creation), at most `limit`.
struct submission_filter {
    std::optional<submission_record::state> status;
    std::int64_t since_unix_ms = 0;  ///< created at or after
    std::string network;             ///< empty: every network
    std::optional<hash256> root;     ///< one root (on every network, unless `network` is set)
    std::size_t limit = 10000;
};

/// The result of `claim_submission`.
struct submission_claim {
    bool claimed = false;          ///< true: the caller's record is now stored and the caller may pay
    submission_record current;     ///< the stored record after the call (the caller's, or the holder's)
};

/// May a new claim replace `existing`? Only when nobody can be paying for it any more: the last
/// attempt failed before signing, or an `intent` that signed nothing and whose owner is gone:
/// either it recorded the intent before `stale_before` (its lease ran out) or it is `dead_owner`,
/// an owner the caller found dead (a process of this host that no longer exists). Comparing the
/// owner inside the atomic section makes the takeover a compare-and-swap: of two callers that
/// found the same owner dead, only the first replaces it. Every model decides with this function.
inline bool claim_may_replace(const submission_record& existing, bool signed_tx_exists, std::int64_t stale_before_unix_ms,
                              std::string_view dead_owner) noexcept {
    using st = submission_record::state;
    if (signed_tx_exists || !existing.tx_hash.empty() || existing.tx_seq) return false;
    if (existing.status == st::failed) return true;
    if (existing.status != st::intent) return false;
    return existing.updated_unix_ms < stale_before_unix_ms || (!dead_owner.empty() && existing.owner == dead_owner);
}

/// What the transaction sender remembers about one logical transaction (chain/tx_sender.hpp).
/// Nothing secret: hashes and the signed raw transaction are public once broadcast.
struct tx_record {
    std::string key;
    std::uint64_t nonce = 0;
    std::vector<hash256> hashes;  ///< every hash signed for this key, oldest first (recorded BEFORE broadcast)
    bytes last_raw;               ///< the newest signed transaction (re-broadcast on resume)
    std::optional<hash256> mined; ///< the hash that was mined, once known
    friend bool operator==(const tx_record&, const tx_record&) = default;
};

/// Merge `incoming` into `stored` (same key). At the same nonce the hashes are a union in
/// first-seen order, so two writers (a process resuming another's transaction) never lose each
/// other's hashes; the newest raw transaction and any mined hash win. At another nonce the sender
/// has established that the old hashes can never be mined (their nonce went to another
/// transaction), so `incoming` replaces them.
inline tx_record merge_tx_records(tx_record stored, const tx_record& incoming) {
    if (stored.nonce != incoming.nonce && !incoming.hashes.empty()) return incoming;
    for (const auto& h : incoming.hashes)
        if (std::find(stored.hashes.begin(), stored.hashes.end(), h) == stored.hashes.end()) stored.hashes.push_back(h);
    if (!incoming.last_raw.empty()) stored.last_raw = incoming.last_raw;
    if (incoming.mined) stored.mined = incoming.mined;
    return stored;
}

/// Committed budget usage of one user and kind in one period (budget_tracker, budget.hpp).
struct usage_record {
    std::string user;
    std::string kind;         ///< budget_kind name: "bytes_uploaded", "requests", "tokens", "spend"
    std::int64_t period = 0;  ///< index of the budget period (0 for lifetime budgets)
    uint256 used;
    friend bool operator==(const usage_record&, const usage_record&) = default;
};

/// One entry of the local KV namespace registry (NamespaceStore). Unique per network by name and
/// by stream. Nothing secret: names, public addresses and the namespace's public metadata.
struct namespace_record {
    std::string network;        ///< the same network key as submission_record::network ("chainid:0xflow…")
    std::string name;           ///< local name, unique per network (1..64 chars; validated by the caller)
    hash256 stream{};           ///< the KV stream id
    std::string role;           ///< "admin" | "writer" | "reader" (as the caller saw it; not validated here)
    std::string admin;          ///< checksummed address of the admin seen when created/joined
    std::string account;        ///< the local account that created/joined it
    std::string metadata_json;  ///< cached metadata JSON text (may be empty)
    std::int64_t created_at = 0;  ///< unix seconds
    std::int64_t updated_at = 0;  ///< unix seconds
    friend bool operator==(const namespace_record&, const namespace_record&) = default;
};

/// An API key of a service built on zerog (tools/gateway): what is stored about it, never the key
/// itself (crypto/api_key.hpp: "sha256:<hex>" of the key text). Durable stores only
/// (store::sql_persistence, store::database); not part of the Persistence concept.
struct api_key_record {
    std::string id;               ///< public (16 hex): listed, revoked by, written in access logs
    std::string user;             ///< the service's user the key acts for
    std::string key_hash;         ///< "sha256:<64 hex>"
    std::string scopes;           ///< comma-separated, e.g. "files,namespaces,inference,usage"
    std::int64_t created_at = 0;  ///< unix seconds
    std::int64_t expires_at = 0;  ///< unix seconds; 0: never
    std::int64_t revoked_at = 0;  ///< unix seconds; 0: not revoked
    bool live_at(std::int64_t now_s) const noexcept { return revoked_at == 0 && (expires_at == 0 || now_s < expires_at); }
    /// True when `scope` is one of `scopes`.
    bool allows(std::string_view scope) const noexcept {
        std::string_view rest = scopes;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            if (rest.substr(0, comma) == scope) return true;
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        }
        return false;
    }
    friend bool operator==(const api_key_record&, const api_key_record&) = default;
};

/// The errors of the NamespaceStore operations, the same text in every model.
inline zerog::error namespace_name_taken(const namespace_record& r) {
    return zerog::error(errc::already_exists, "a namespace named \"" + r.name + "\" is already registered on network " + r.network);
}
inline zerog::error namespace_stream_taken(const namespace_record& r, std::string_view registered_as) {
    return zerog::error(errc::already_exists, "stream " + to_hex(r.stream) + " is already registered on network " + r.network + " as \"" +
                                                  std::string(registered_as) + "\"");
}
inline zerog::error namespace_missing(std::string_view network, std::string_view name) {
    return zerog::error(errc::not_found, "no namespace named \"" + std::string(name) + "\" is registered on network " + std::string(network));
}

template <class P>
concept SubmissionStore = requires(P& p, const submission_record& r, const hash256& root, std::string_view s, std::int64_t t,
                                   const submission_filter& f) {
    { p.claim_submission(r, s, t, s) } -> std::same_as<result<submission_claim>>;  // (record, tx key, stale_before, dead_owner)
    { p.put_submission(r) } -> std::same_as<result<void>>;
    { p.find_submission(root, s) } -> std::same_as<result<std::optional<submission_record>>>;
    { p.list_submissions(f) } -> std::same_as<result<std::vector<submission_record>>>;
};

template <class P>
concept TxStore = requires(P& p, const tx_record& r, const std::string& key) {
    { p.put_tx(r) } -> std::same_as<result<void>>;
    { p.find_tx(key) } -> std::same_as<result<std::optional<tx_record>>>;
};

template <class P>
concept UsageStore = requires(P& p, std::string_view s, const uint256& amount, std::int64_t period) {
    { p.add_spend(s, s, amount) } -> std::same_as<result<void>>;
    { p.spend(s, s) } -> std::same_as<result<uint256>>;
    { p.add_usage(s, s, period, amount) } -> std::same_as<result<void>>;
    { p.load_usage(s) } -> std::same_as<result<std::vector<usage_record>>>;
};

template <class P>
concept Persistence = SubmissionStore<P> && TxStore<P> && UsageStore<P>;

/// The KV namespace registry. add: (network, name) and (network, stream) are unique, either
/// collision is `already_exists` naming the registered name; update: replaces role, admin,
/// account, metadata_json and updated_at of (network, name), `not_found` when absent; list: one
/// network, ordered by name (byte order); remove: true when an entry was removed.
/// Not part of `Persistence`: a model may satisfy it too (every model in this library does).
template <class P>
concept NamespaceStore = requires(P& p, const namespace_record& r, std::string_view s, const hash256& stream) {
    { p.add_namespace(r) } -> std::same_as<result<void>>;
    { p.update_namespace(r) } -> std::same_as<result<void>>;
    { p.find_namespace(s, s) } -> std::same_as<result<std::optional<namespace_record>>>;           // (network, name)
    { p.find_namespace_by_stream(s, stream) } -> std::same_as<result<std::optional<namespace_record>>>;  // (network, stream)
    { p.list_namespaces(s) } -> std::same_as<result<std::vector<namespace_record>>>;             // (network)
    { p.remove_namespace(s, s) } -> std::same_as<result<bool>>;                                  // (network, name)
};

/// True when P's calls may block the calling thread (P::blocking).
template <class P>
inline constexpr bool persistence_blocks = [] {
    if constexpr (requires { P::blocking; }) return static_cast<bool>(P::blocking);
    else return false;
}();

/// Remembers nothing. Zero size. Read-only clients only: a paying client refuses to run with it
/// unless the caller opts out of the double-payment guard explicitly.
struct no_persistence {
    static constexpr bool durable = false;
    static constexpr bool remembers = false;
    result<submission_claim> claim_submission(const submission_record& r, std::string_view, std::int64_t, std::string_view) const {
        return submission_claim{true, r};
    }
    result<void> put_submission(const submission_record&) const noexcept { return {}; }
    result<std::optional<submission_record>> find_submission(const hash256&, std::string_view) const {
        return std::optional<submission_record>{};
    }
    result<std::vector<submission_record>> list_submissions(const submission_filter&) const { return std::vector<submission_record>{}; }
    result<void> put_tx(const tx_record&) const noexcept { return {}; }
    result<std::optional<tx_record>> find_tx(const std::string&) const { return std::optional<tx_record>{}; }
    result<void> add_spend(std::string_view, std::string_view, const uint256&) const noexcept { return {}; }
    result<uint256> spend(std::string_view, std::string_view) const { return uint256{}; }
    result<void> add_usage(std::string_view, std::string_view, std::int64_t, const uint256&) const noexcept { return {}; }
    result<std::vector<usage_record>> load_usage(std::string_view) const { return std::vector<usage_record>{}; }
    // The registry: writes are accepted and forgotten (like put_submission), nothing is ever found.
    result<void> add_namespace(const namespace_record&) const noexcept { return {}; }
    result<void> update_namespace(const namespace_record&) const noexcept { return {}; }
    result<std::optional<namespace_record>> find_namespace(std::string_view, std::string_view) const {
        return std::optional<namespace_record>{};
    }
    result<std::optional<namespace_record>> find_namespace_by_stream(std::string_view, const hash256&) const {
        return std::optional<namespace_record>{};
    }
    result<std::vector<namespace_record>> list_namespaces(std::string_view) const { return std::vector<namespace_record>{}; }
    result<bool> remove_namespace(std::string_view, std::string_view) const noexcept { return false; }
};
static_assert(Persistence<no_persistence>);
static_assert(NamespaceStore<no_persistence>);

/// Newest first by creation time, then by root; the order every model's list_submissions returns.
inline bool newer_submission_first(const submission_record& a, const submission_record& b) noexcept {
    if (a.created_unix_ms != b.created_unix_ms) return a.created_unix_ms > b.created_unix_ms;
    return std::tie(a.root, a.network) < std::tie(b.root, b.network);
}

inline bool submission_matches(const submission_record& r, const submission_filter& f) noexcept {
    return (!f.status || r.status == *f.status) && r.created_unix_ms >= f.since_unix_ms && (f.network.empty() || r.network == f.network) &&
           (!f.root || r.root == *f.root);
}

/// In-process memory. Thread-safe (one mutex; calls are rare and tiny).
class memory_persistence {
public:
    static constexpr bool durable = false;
    static constexpr bool remembers = true;
    result<submission_claim> claim_submission(const submission_record& r, std::string_view tx_key, std::int64_t stale_before,
                                              std::string_view dead_owner) {
        std::lock_guard lk(mu_);
        auto [it, fresh] = subs_.try_emplace({r.root, r.network}, r);
        if (!fresh) {
            auto tx = txs_.find(std::string(tx_key));
            const bool signed_tx = tx != txs_.end() && !tx->second.hashes.empty();
            if (!claim_may_replace(it->second, signed_tx, stale_before, dead_owner)) return submission_claim{false, it->second};
            submission_record next = r;
            next.created_unix_ms = it->second.created_unix_ms;
            it->second = std::move(next);
        }
        return submission_claim{true, it->second};
    }
    result<void> put_submission(const submission_record& r) {
        std::lock_guard lk(mu_);
        auto [it, fresh] = subs_.try_emplace({r.root, r.network}, r);
        if (!fresh) {
            const std::int64_t created = it->second.created_unix_ms;  // an upsert keeps the creation time
            it->second = r;
            it->second.created_unix_ms = created;
        }
        return {};
    }
    result<std::optional<submission_record>> find_submission(const hash256& root, std::string_view network) {
        std::lock_guard lk(mu_);
        auto it = subs_.find({root, std::string(network)});
        if (it == subs_.end()) return std::optional<submission_record>{};
        return std::optional<submission_record>{it->second};
    }
    result<std::vector<submission_record>> list_submissions(const submission_filter& f) {
        std::lock_guard lk(mu_);
        std::vector<submission_record> out;
        for (const auto& [k, r] : subs_)
            if (submission_matches(r, f)) out.push_back(r);
        std::sort(out.begin(), out.end(), newer_submission_first);
        if (out.size() > f.limit) out.resize(f.limit);
        return out;
    }
    result<void> put_tx(const tx_record& r) {
        std::lock_guard lk(mu_);
        auto [it, fresh] = txs_.try_emplace(r.key, r);
        if (!fresh) it->second = merge_tx_records(std::move(it->second), r);
        return {};
    }
    result<std::optional<tx_record>> find_tx(const std::string& key) {
        std::lock_guard lk(mu_);
        auto it = txs_.find(key);
        if (it == txs_.end()) return std::optional<tx_record>{};
        return std::optional<tx_record>{it->second};
    }
    result<void> add_spend(std::string_view account, std::string_view provider, const uint256& amount) {
        std::lock_guard lk(mu_);
        auto& v = spend_[{std::string(account), std::string(provider)}];
        ZEROG_TRY(v, checked_add(v, amount));
        return {};
    }
    result<uint256> spend(std::string_view account, std::string_view provider) {
        std::lock_guard lk(mu_);
        auto it = spend_.find({std::string(account), std::string(provider)});
        return it == spend_.end() ? uint256{} : it->second;
    }
    result<void> add_usage(std::string_view user, std::string_view kind, std::int64_t period, const uint256& amount) {
        std::lock_guard lk(mu_);
        auto [it, fresh] = usage_.try_emplace({std::string(user), std::string(kind)}, usage_record{std::string(user), std::string(kind), period, amount});
        if (fresh) return {};
        usage_record& u = it->second;
        if (u.period != period) {
            u.period = period;
            u.used = amount;
            return {};
        }
        auto sum = checked_add(u.used, amount);
        if (!sum) return fail(std::move(sum).error().during("adding budget usage of user \"" + std::string(user) + "\" (" + std::string(kind) + ")"));
        u.used = *sum;
        return {};
    }
    result<std::vector<usage_record>> load_usage(std::string_view user) {
        std::lock_guard lk(mu_);
        std::vector<usage_record> out;
        for (auto it = usage_.lower_bound({std::string(user), std::string()}); it != usage_.end() && it->first.first == user; ++it)
            out.push_back(it->second);
        return out;
    }

    // ---- the namespace registry ---------------------------------------------------------------
    result<void> add_namespace(const namespace_record& r) {
        std::lock_guard lk(mu_);
        if (namespaces_.contains({r.network, r.name})) return fail(namespace_name_taken(r));
        if (auto it = namespace_by_stream(r.network, r.stream); it != namespaces_.end()) return fail(namespace_stream_taken(r, it->second.name));
        namespaces_.emplace(std::pair{r.network, r.name}, r);
        return {};
    }
    result<void> update_namespace(const namespace_record& r) {
        std::lock_guard lk(mu_);
        auto it = namespaces_.find({r.network, r.name});
        if (it == namespaces_.end()) return fail(namespace_missing(r.network, r.name));
        namespace_record& n = it->second;
        n.role = r.role;
        n.admin = r.admin;
        n.account = r.account;
        n.metadata_json = r.metadata_json;
        n.updated_at = r.updated_at;
        return {};
    }
    result<std::optional<namespace_record>> find_namespace(std::string_view network, std::string_view name) {
        std::lock_guard lk(mu_);
        auto it = namespaces_.find({std::string(network), std::string(name)});
        if (it == namespaces_.end()) return std::optional<namespace_record>{};
        return std::optional<namespace_record>{it->second};
    }
    result<std::optional<namespace_record>> find_namespace_by_stream(std::string_view network, const hash256& stream) {
        std::lock_guard lk(mu_);
        auto it = namespace_by_stream(network, stream);
        if (it == namespaces_.end()) return std::optional<namespace_record>{};
        return std::optional<namespace_record>{it->second};
    }
    result<std::vector<namespace_record>> list_namespaces(std::string_view network) {
        std::lock_guard lk(mu_);
        std::vector<namespace_record> out;  // the map's order: by name, bytewise (as SQL's COLLATE "C"/BINARY)
        for (auto it = namespaces_.lower_bound({std::string(network), std::string()}); it != namespaces_.end() && it->first.first == network; ++it)
            out.push_back(it->second);
        return out;
    }
    result<bool> remove_namespace(std::string_view network, std::string_view name) {
        std::lock_guard lk(mu_);
        return namespaces_.erase({std::string(network), std::string(name)}) > 0;
    }

private:
    using namespace_map = std::map<std::pair<std::string, std::string>, namespace_record>;  // (network, name)

    /// The entry of `stream` on `network` (caller holds mu_); end() when none. A scan of one
    /// network's entries: registries are small and the calls rare.
    namespace_map::iterator namespace_by_stream(std::string_view network, const hash256& stream) {
        for (auto it = namespaces_.lower_bound({std::string(network), std::string()}); it != namespaces_.end() && it->first.first == network; ++it)
            if (it->second.stream == stream) return it;
        return namespaces_.end();
    }

    std::mutex mu_;
    std::map<std::pair<hash256, std::string>, submission_record> subs_;
    std::map<std::string, tx_record> txs_;
    std::map<std::pair<std::string, std::string>, uint256> spend_;
    std::map<std::pair<std::string, std::string>, usage_record> usage_;
    namespace_map namespaces_;
};
static_assert(Persistence<memory_persistence>);
static_assert(NamespaceStore<memory_persistence>);


}  // namespace zerog::policy
