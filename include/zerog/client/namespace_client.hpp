// Namespaces on 0G KV (kv/namespace.hpp has the format; docs/protocol/namespaces.md explains it).
//
//   create_async(name, meta)       a new random stream (or one the caller names); the creating batch
//                                  makes the caller its admin; registered locally after Commit
//   join_async(stream, name)       adopt a namespace someone else created, after checking its
//                                  metadata is admin-only and names an admin the KV node confirms
//   show_async / members_async     the namespace as the KV node has replayed it (one snapshot)
//   grant_async / revoke_async     roles: writer/admin are KV roles enforced by the node, every
//                                  member gets the data keys wrapped to their public key; revoke
//                                  rotates the key (new epoch) for the remaining members
//   remove_async (ns delete)       tombstone + writers revoked + local entry removed
//   put_file_async / get_file_async / list_files_async / remove_file_async
//                                  files encrypted with the current epoch's key, uploaded (paid
//                                  once: the CTR nonce is derived from the key and the content, so
//                                  a re-run produces the same ciphertext and root and the storage
//                                  client's guard adopts the first payment), entry written to KV
//
// Every read of a namespace is pinned to one version (the node's replay position when the
// operation starts). Reserved keys are trusted only when the node says they are special at that
// version (the trust rule in kv/namespace.hpp). A namespace is never adopted silently: its
// metadata must be admin-only and name an admin the node confirms, and `join` can demand a given
// admin. Every write that changes access is checked against the node BEFORE it is paid
// (kv_isAdmin / kv_hasWritePermission) and its verdict after: anything but Commit is an error.
//
// The local registry (name → stream, role, cached metadata) is the Persistence policy's
// NamespaceStore (memory, SQLite, PostgreSQL). Losing it loses nothing on the network:
// `rebuild_registry_async` finds every namespace this account wrote to from its Submit events'
// tags, and `join` adds any other.
//
// Thread safety: one operation per coroutine, like the clients it is built on.
#pragma once

#include <zerog/client/kv_client.hpp>
#include <zerog/client/persist.hpp>
#include <zerog/client/tracing.hpp>
#include <zerog/kv/namespace.hpp>
#include <zerog/kv/tags.hpp>
#include <zerog/storage/submit_event.hpp>

#include <cryptopp/hmac.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace zerog::client {

/// Settings of a namespace client. Value type.
struct namespace_options {
    kv_client_options kv;      ///< the KV nodes and the KV reader/writer's timeouts
    std::string network;       ///< registry key; empty: the storage client's chain id
};

/// A namespace as the KV node has replayed it, at `version`.
struct namespace_view {
    kv::stream_id stream{};
    std::uint64_t version = 0;          ///< the snapshot every field was read at
    kv::ns::metadata_record metadata;
    std::uint64_t epoch = 0;            ///< the current data-key epoch
    std::optional<kv::ns::tombstone_record> deleted;
    std::vector<kv::ns::member_record> members;  ///< ordered by address
    std::vector<std::string> notes;     ///< reserved keys that were ignored (not admin-only), and why
    std::optional<policy::namespace_record> registry;  ///< the local entry, if any
    kv_read_set reads;                  ///< the reserved keys read, at `version`: a write built from
                                        ///< this view commits only if none of them moved since

    const kv::ns::member_record* member(const crypto::address& a) const {
        for (const auto& m : members)
            if (m.address == a) return &m;
        return nullptr;
    }
};

/// What a namespace write did: the KV batch (and, for files, the upload).
struct namespace_write {
    kv::stream_id stream{};
    kv_put_result batch;                 ///< tx_seq, root, fee of the KV batch; outcome = Commit
    std::optional<upload_result> upload; ///< put_file: the encrypted file's upload
    std::uint64_t epoch = 0;             ///< the data-key epoch after the write
    std::vector<std::string> notes;      ///< what the caller should know (e.g. after a revoke)
    bool skipped = false;                ///< put_file: the same entry was already there, nothing paid
};

/// Reads and writes namespaces. `storage` (which pays) and its policies must outlive the client;
/// `key` is the account's private key (decrypting needs it; it must be the storage signer's key
/// for writes), held by reference and never copied.
template <class Policies>
class namespace_client {
public:
    using persistence_type = typename Policies::persistence_type;
    static_assert(policy::NamespaceStore<persistence_type>, "namespace_client needs a Persistence model with the NamespaceStore operations");

    namespace_client(namespace_options o, storage_client<Policies>& storage, const crypto::private_key* key)
        : o_(std::move(o)), storage_(&storage), kv_(o_.kv, storage), key_(key) {
        if (o_.network.empty()) o_.network = std::to_string(storage.options().chain_id);
        if (key_) me_ = kv::ns::identity_of(*key_);
    }

    const std::optional<kv::ns::public_identity>& identity() const noexcept { return me_; }
    kv_client<Policies>& kv() noexcept { return kv_; }

    // ---- the registry -----------------------------------------------------------------------

    /// A name from the registry, or a stream id written 0x… (whether registered or not).
    asio::awaitable<result<kv::stream_id>> resolve_async(std::string ns) {
        if (ns.size() >= 2 && ns[0] == '0' && (ns[1] == 'x' || ns[1] == 'X')) co_return kv::parse_stream_id(ns);
        ZEROG_CO_CHECK(kv::ns::check_name(ns));
        ZEROG_CO_TRY(auto rec, co_await registry("persistence.find_namespace", [&](auto& s) { return s.find_namespace(o_.network, ns); }));
        if (!rec)
            co_return fail(errc::not_found, "unknown namespace \"" + ns + "\": not in the local registry (`zerog ns list`); a namespace " +
                                                "created elsewhere is added with `zerog ns join 0x<stream id>`");
        co_return rec->stream;
    }

    asio::awaitable<result<std::vector<policy::namespace_record>>> list_async() {
        return registry("persistence.list_namespaces", [&](auto& s) { return s.list_namespaces(o_.network); });
    }

    // ---- reads --------------------------------------------------------------------------------

    /// The namespace at the node's current replay position (see the file comment for what is
    /// checked). Errors: not_found (no zerog namespace in that stream), verification_failed
    /// (metadata not admin-only, or an admin the node does not confirm: never adopted).
    asio::awaitable<result<namespace_view>> show_async(std::string ns) {
        return traced_operation(storage_->policies().telemetry, "namespace.show", show_impl(std::move(ns)));
    }

    /// File entries whose path starts with `prefix`, in path order, as of one snapshot.
    asio::awaitable<result<std::vector<kv::ns::file_record>>> list_files_async(std::string ns, std::string prefix = {}, std::size_t limit = 100'000) {
        return traced_operation(storage_->policies().telemetry, "namespace.list_files", list_files_impl(std::move(ns), std::move(prefix), limit));
    }

    /// Download and decrypt PATH into `out` (verified against its root, then decrypted; the output
    /// appears complete or not at all). Errors: not_found (no such path), unauthorized (no key of
    /// the file's epoch for this account: not a reader, or revoked before it was written).
    asio::awaitable<result<kv::ns::file_record>> get_file_async(std::string ns, std::string path, std::string out) {
        return traced_operation(storage_->policies().telemetry, "namespace.get_file", get_file_impl(std::move(ns), std::move(path), std::move(out)));
    }

    // ---- writes -------------------------------------------------------------------------------

    struct create_options {
        std::map<std::string, std::string> meta;
        std::optional<kv::stream_id> stream;  ///< a chosen stream (e.g. one a KV node was told to serve); default: random
    };

    /// Create NAME: a new stream whose admin is this account. The stream must be empty on the node
    /// (a used id is refused, never adopted). Registered locally after the node's Commit.
    asio::awaitable<result<namespace_write>> create_async(std::string name, create_options co) {
        return traced_operation(storage_->policies().telemetry, "namespace.create", create_impl(std::move(name), std::move(co)));
    }

    /// Add a namespace created elsewhere to the registry as NAME, after checking it (see
    /// show_async). `expected_admin`: refuse unless the namespace's admin is that account.
    asio::awaitable<result<namespace_view>> join_async(kv::stream_id s, std::string name, std::optional<crypto::address> expected_admin) {
        return traced_operation(storage_->policies().telemetry, "namespace.join", join_impl(std::move(s), std::move(name), std::move(expected_admin)));
    }

    /// Make `member` (its public key) a reader, writer or admin of NS. Needs this account to be an
    /// admin. Every epoch's data key is wrapped for the member.
    asio::awaitable<result<namespace_write>> grant_async(std::string ns, fixed_bytes<33> member_key, kv::ns::role r) {
        return traced_operation(storage_->policies().telemetry, "namespace.grant", grant_impl(std::move(ns), std::move(member_key), r));
    }

    /// Remove `member` from NS and rotate the data key (epoch + 1) for the remaining members.
    asio::awaitable<result<namespace_write>> revoke_async(std::string ns, crypto::address member) {
        return traced_operation(storage_->policies().telemetry, "namespace.revoke", revoke_impl(std::move(ns), std::move(member)));
    }

    /// Delete NS: a tombstone under an admin-only key, every writer's KV role revoked, the local
    /// entry removed. The stream's history stays on the log (it is immutable).
    asio::awaitable<result<namespace_write>> remove_async(std::string ns) {
        return traced_operation(storage_->policies().telemetry, "namespace.remove", remove_impl(std::move(ns)));
    }

    /// Upload `local` encrypted with the namespace's current key and record it as PATH.
    asio::awaitable<result<namespace_write>> put_file_async(std::string ns, std::string local, std::string path) {
        return traced_operation(storage_->policies().telemetry, "namespace.put_file", put_file_impl(std::move(ns), std::move(local), std::move(path)));
    }

    /// Remove PATH's entry (the encrypted file stays on 0G Storage: it is immutable).
    asio::awaitable<result<namespace_write>> remove_file_async(std::string ns, std::string path) {
        return traced_operation(storage_->policies().telemetry, "namespace.remove_file", remove_file_impl(std::move(ns), std::move(path)));
    }

    /// What rebuild_registry_async found.
    struct registry_rebuild {
        std::uint64_t from_block = 0, to_block = 0;
        std::size_t events = 0;                        ///< this account's Submit events read
        std::vector<policy::namespace_record> added;   ///< entries written
        std::vector<std::string> notes;                ///< streams not adopted, and why
    };

    /// The registry back from the chain and the KV node, after losing the database: every KV
    /// batch this account submitted (the Flow's Submit events with this account as submitter)
    /// names its streams in its tags; each stream that holds a namespace (checked as show_async
    /// does) in which this account is a member is registered under its own name (the name plus
    /// the stream's first 8 hex digits if that name is taken). Readers, who never submit, use
    /// `join`. Entries already registered are left as they are; running it twice adds nothing.
    asio::awaitable<result<registry_rebuild>> rebuild_registry_async(std::uint64_t from_block = 0) {
        return traced_operation(storage_->policies().telemetry, "namespace.rebuild_registry", rebuild_registry_impl(from_block));
    }

    // Blocking facades.
    result<registry_rebuild> rebuild_registry(std::uint64_t from_block = 0) { return runner_.run(rebuild_registry_async(from_block)); }
    result<namespace_write> create(std::string name, create_options co) { return runner_.run(create_async(std::move(name), std::move(co))); }
    result<namespace_view> show(std::string ns) { return runner_.run(show_async(std::move(ns))); }
    result<namespace_view> join(kv::stream_id s, std::string name, std::optional<crypto::address> admin) {
        return runner_.run(join_async(s, std::move(name), admin));
    }
    result<std::vector<policy::namespace_record>> list() { return runner_.run(list_async()); }
    result<namespace_write> grant(std::string ns, fixed_bytes<33> member, kv::ns::role r) { return runner_.run(grant_async(std::move(ns), member, r)); }
    result<namespace_write> revoke(std::string ns, crypto::address member) { return runner_.run(revoke_async(std::move(ns), member)); }
    result<namespace_write> remove(std::string ns) { return runner_.run(remove_async(std::move(ns))); }
    result<namespace_write> put_file(std::string ns, std::string local, std::string path) {
        return runner_.run(put_file_async(std::move(ns), std::move(local), std::move(path)));
    }
    result<kv::ns::file_record> get_file(std::string ns, std::string path, std::string out) {
        return runner_.run(get_file_async(std::move(ns), std::move(path), std::move(out)));
    }
    result<std::vector<kv::ns::file_record>> list_files(std::string ns, std::string prefix = {}) {
        return runner_.run(list_files_async(std::move(ns), std::move(prefix)));
    }
    result<namespace_write> remove_file(std::string ns, std::string path) { return runner_.run(remove_file_async(std::move(ns), std::move(path))); }

private:
    // The bodies of the traced public operations above (client/tracing.hpp: one trace each).
    asio::awaitable<result<namespace_view>> show_impl(std::string ns) {
        ZEROG_CO_TRY(const kv::stream_id s, co_await resolve_async(ns));
        auto v = co_await load(s);
        if (!v) co_return std::move(v).error().during("reading namespace " + ns);
        v->registry = co_await registered(s);
        co_return std::move(*v);
    }

    asio::awaitable<result<std::vector<kv::ns::file_record>>> list_files_impl(std::string ns, std::string prefix, std::size_t limit) {
        ZEROG_CO_TRY(const kv::stream_id s, co_await resolve_async(ns));
        if (!prefix.empty()) ZEROG_CO_CHECK(kv::ns::check_path(prefix));
        ZEROG_CO_TRY(const std::uint64_t at, co_await snapshot());
        std::vector<kv::ns::file_record> out;
        auto r = co_await scan(s, kv::ns::file_key(prefix), at, limit, [&](const kv_entry& e) -> result<void> {
            auto f = kv::ns::decode_file(e.value.data);
            if (!f) return std::move(f).error().during("reading the entry " + kv::result_key_text(e.key));
            f->version = e.value.version;
            out.push_back(std::move(*f));
            return {};
        });
        if (!r) co_return std::move(r).error().during("listing namespace " + ns);
        co_return out;
    }

    asio::awaitable<result<kv::ns::file_record>> get_file_impl(std::string ns, std::string path, std::string out) {
        namespace fs = std::filesystem;
        ZEROG_CO_TRY(const kv::stream_id s, co_await resolve_async(ns));
        ZEROG_CO_CHECK(kv::ns::check_path(path));
        if (!key_ || !me_) co_return fail(errc::invalid_key, "reading a namespace file needs the account's private key");
        ZEROG_CO_TRY(const std::uint64_t at, co_await snapshot());
        ZEROG_CO_TRY(const kv_value v, co_await kv_.get_value_async(s, kv::ns::file_key(path), at));
        if (v.data.empty()) co_return fail(errc::not_found, "no file \"" + path + "\" in namespace " + ns);
        ZEROG_CO_TRY(kv::ns::file_record f, kv::ns::decode_file(v.data));
        f.version = v.version;
        ZEROG_CO_TRY(kv::ns::data_key key, co_await my_key(s, f.epoch, at, ns));
        struct wipe_on_exit {
            kv::ns::data_key& k;
            ~wipe_on_exit() { crypto::secure_wipe(k.data(), k.size()); }
        } wipe{key};
        const fs::path target(out);
        const fs::path enc = target.string() + ".zerog-ns-enc";
        const fs::path plain = target.string() + ".zerog-ns-tmp";
        struct cleanup {
            fs::path a, b;
            ~cleanup() {
                std::error_code e;
                fs::remove(a, e);
                fs::remove(b, e);
            }
        } gone{enc, plain};
        download_options dopt;
        dopt.overwrite = true;
        auto d = co_await storage_->download_async(f.root, enc.string(), dopt);
        if (!d) co_return std::move(d).error().during("downloading \"" + path + "\" of namespace " + ns);
        ZEROG_CO_CHECK(decrypt_file(enc, plain, key, f.size));
        std::error_code ec;
        fs::rename(plain, target, ec);
        if (ec) co_return fail(errc::io_error, "cannot move the decrypted file to " + out + ": " + ec.message());
        co_return f;
    }

    asio::awaitable<result<namespace_write>> create_impl(std::string name, create_options co) {
        const std::string what = "creating namespace " + name;
        ZEROG_CO_CHECK(kv::ns::check_name(name));
        ZEROG_CO_CHECK(kv::ns::check_meta(co.meta));
        ZEROG_CO_TRY(const auto me, need_identity());
        ZEROG_CO_TRY(auto existing, co_await registry("persistence.find_namespace", [&](auto& s) { return s.find_namespace(o_.network, name); }));
        if (existing)
            co_return fail(errc::already_exists, "a namespace named \"" + name + "\" is already in the local registry (stream " +
                                                     to_hex(existing->stream) + "); choose another name");
        kv::stream_id s{};
        if (co.stream) s = *co.stream;
        else crypto::random_bytes(s.span());
        // A stream anyone has written (or claimed) is not new: its first committed writer is its admin.
        auto first = co_await kv_.first_key_async(s);
        if (!first) co_return std::move(first).error().during(what);
        if (*first)
            co_return fail(errc::already_exists, "stream " + to_hex(s) + " already holds data: a namespace is created on a new stream only " +
                                                     "(join an existing one with `zerog ns join`)");
        kv::ns::metadata_record meta{name, me.address, unix_now(), std::move(co.meta)};
        kv::ns::member_record creator{me.address, kv::ns::role::admin, me.compressed, meta.created};
        kv::ns::data_key k0 = kv::ns::new_data_key();
        auto b = kv::ns::create_batch(s, meta, creator, k0);
        crypto::secure_wipe(k0.data(), k0.size());
        if (!b) co_return std::move(b).error().during(what);
        ZEROG_CO_TRY(kv_put_result put, co_await commit(std::move(*b), what));
        // The node must now say we are its admin (someone else's earlier batch would have made it theirs).
        auto adm = co_await kv_.is_admin_async(me.address, s);
        if (!adm) co_return std::move(adm).error().during(what);
        if (!*adm)
            co_return fail(errc::verification_failed, "the KV node does not list " + me.address.to_checksum_hex() + " as admin of " + to_hex(s) +
                                                          " after the creating batch committed; not registered");
        policy::namespace_record rec;
        rec.network = o_.network;
        rec.name = name;
        rec.stream = s;
        rec.role = "admin";
        rec.admin = me.address.to_checksum_hex();
        rec.account = rec.admin;
        rec.metadata_json = kv::ns::detail::text(kv::ns::encode_metadata(meta));
        rec.created_at = rec.updated_at = meta.created;
        ZEROG_CO_CHECK(co_await registry("persistence.add_namespace", [&](auto& st) { return st.add_namespace(rec); }));
        co_return namespace_write{s, std::move(put), std::nullopt, 0, {}, false};
    }

    asio::awaitable<result<namespace_view>> join_impl(kv::stream_id s, std::string name, std::optional<crypto::address> expected_admin) {
        ZEROG_CO_CHECK(kv::ns::check_name(name));
        auto v = co_await load(s);
        if (!v) co_return std::move(v).error().during("joining namespace " + to_hex(s));
        if (expected_admin && v->metadata.admin != *expected_admin)
            co_return fail(errc::verification_failed, "namespace " + to_hex(s) + " is administered by " + v->metadata.admin.to_checksum_hex() +
                                                          ", not " + expected_admin->to_checksum_hex() + "; not joined");
        if (v->deleted) co_return fail(errc::not_found, "namespace " + to_hex(s) + " was deleted; not joined");
        ZEROG_CO_TRY(auto by_name, co_await registry("persistence.find_namespace", [&](auto& st) { return st.find_namespace(o_.network, name); }));
        if (by_name)
            co_return fail(errc::already_exists, "a namespace named \"" + name + "\" is already in the local registry (stream " +
                                                     to_hex(by_name->stream) + "); use --as to choose another name");
        policy::namespace_record rec;
        rec.network = o_.network;
        rec.name = name;
        rec.stream = s;
        const kv::ns::member_record* mine = me_ ? v->member(me_->address) : nullptr;
        rec.role = mine ? std::string(kv::ns::role_name(mine->member_role)) : "none";
        rec.admin = v->metadata.admin.to_checksum_hex();
        rec.account = me_ ? me_->address.to_checksum_hex() : "";
        rec.metadata_json = kv::ns::detail::text(kv::ns::encode_metadata(v->metadata));
        rec.created_at = rec.updated_at = unix_now();
        ZEROG_CO_CHECK(co_await registry("persistence.add_namespace", [&](auto& st) { return st.add_namespace(rec); }));
        v->registry = rec;
        co_return std::move(*v);
    }

    asio::awaitable<result<namespace_write>> grant_impl(std::string ns, fixed_bytes<33> member_key, kv::ns::role r) {
        const std::string what = "granting " + std::string(kv::ns::role_name(r)) + " on namespace " + ns;
        ZEROG_CO_TRY(const auto me, need_identity());
        ZEROG_CO_TRY(const kv::ns::public_identity who, kv::ns::identity_of(member_key));
        if (who.address == me.address) co_return zerog::error(errc::invalid_argument, "granting a role to yourself changes nothing").during(what);
        ZEROG_CO_TRY(const kv::stream_id s, co_await resolve_async(ns));
        auto v = co_await load(s);
        if (!v) co_return std::move(v).error().during(what);
        ZEROG_CO_CHECK(co_await require_admin(*v, me.address, what));
        std::optional<kv::ns::role> previous;
        if (const auto* m = v->member(who.address)) {
            previous = m->member_role;
            if (m->member_role == kv::ns::role::admin && r != kv::ns::role::admin)
                co_return zerog::error(errc::not_supported, "0G KV cannot take the admin role from another account (only the admin can renounce it)").during(what);
        }
        std::vector<kv::ns::data_key> keys;
        struct wipe_all {
            std::vector<kv::ns::data_key>& k;
            ~wipe_all() {
                for (auto& x : k) crypto::secure_wipe(x.data(), x.size());
            }
        } wipe{keys};
        for (std::uint64_t e = 0; e <= v->epoch; ++e) {
            ZEROG_CO_TRY(kv::ns::data_key k, co_await my_key(s, e, v->version, ns));
            keys.push_back(k);
            crypto::secure_wipe(k.data(), k.size());
        }
        kv::ns::member_record m{who.address, r, who.compressed, unix_now()};
        auto b = kv::ns::grant_batch(s, m, previous, keys);
        if (!b) co_return std::move(b).error().during(what);
        v->reads.apply_to(*b);
        ZEROG_CO_TRY(kv_put_result put, co_await commit(std::move(*b), what));
        co_return namespace_write{s, std::move(put), std::nullopt, v->epoch, {}, false};
    }

    asio::awaitable<result<namespace_write>> revoke_impl(std::string ns, crypto::address member) {
        const std::string what = "revoking " + member.to_checksum_hex() + " from namespace " + ns;
        ZEROG_CO_TRY(const auto me, need_identity());
        ZEROG_CO_TRY(const kv::stream_id s, co_await resolve_async(ns));
        auto v = co_await load(s);
        if (!v) co_return std::move(v).error().during(what);
        ZEROG_CO_CHECK(co_await require_admin(*v, me.address, what));
        const kv::ns::member_record* gone = v->member(member);
        if (!gone) co_return fail(errc::not_found, member.to_checksum_hex() + " is not a member of namespace " + ns);
        if (gone->member_role == kv::ns::role::admin)
            co_return zerog::error(errc::not_supported, "0G KV has no operation to revoke an admin: only the admin itself can renounce the role").during(what);
        std::vector<kv::ns::member_record> remaining;
        for (const auto& m : v->members)
            if (m.address != member) remaining.push_back(m);
        kv::ns::data_key next = kv::ns::new_data_key();
        auto b = kv::ns::revoke_batch(s, *gone, v->epoch + 1, next, remaining);
        crypto::secure_wipe(next.data(), next.size());
        if (!b) co_return std::move(b).error().during(what);
        v->reads.apply_to(*b);
        ZEROG_CO_TRY(kv_put_result put, co_await commit(std::move(*b), what));
        namespace_write w{s, std::move(put), std::nullopt, v->epoch + 1, {}, false};
        w.notes.push_back("files written from now on use key epoch " + std::to_string(v->epoch + 1) + ", which " + member.to_checksum_hex() +
                          " cannot read; files written before stay readable by whoever already had their key (0G Storage is public and immutable)");
        co_return w;
    }

    asio::awaitable<result<namespace_write>> remove_impl(std::string ns) {
        const std::string what = "deleting namespace " + ns;
        ZEROG_CO_TRY(const auto me, need_identity());
        ZEROG_CO_TRY(const kv::stream_id s, co_await resolve_async(ns));
        auto v = co_await load(s);
        if (!v) co_return std::move(v).error().during(what);
        if (v->deleted) co_return fail(errc::not_found, "namespace " + ns + " is already deleted");
        ZEROG_CO_CHECK(co_await require_admin(*v, me.address, what));
        kv::batch b = kv::ns::delete_batch(s, kv::ns::tombstone_record{unix_now(), me.address}, v->members);
        v->reads.apply_to(b);
        ZEROG_CO_TRY(kv_put_result put, co_await commit(b, what));
        namespace_write w{s, std::move(put), std::nullopt, v->epoch, {}, false};
        for (const auto& m : v->members)
            if (m.member_role == kv::ns::role::admin && m.address != me.address)
                w.notes.push_back(m.address.to_checksum_hex() + " stays an admin of the stream (0G KV cannot revoke an admin)");
        if (auto rec = co_await registered(s))
            (void)co_await registry("persistence.remove_namespace", [&](auto& st) { return st.remove_namespace(o_.network, rec->name); });
        co_return w;
    }

    asio::awaitable<result<namespace_write>> put_file_impl(std::string ns, std::string local, std::string path) {
        const std::string what = "putting " + local + " into namespace " + ns + " as \"" + path + "\"";
        ZEROG_CO_CHECK(kv::ns::check_path(path));
        ZEROG_CO_TRY(const auto me, need_identity());
        ZEROG_CO_TRY(const kv::stream_id s, co_await resolve_async(ns));
        auto v = co_await load(s);
        if (!v) co_return std::move(v).error().during(what);
        if (v->deleted) co_return zerog::error(errc::not_found, "namespace " + ns + " was deleted").during(what);
        // Refused before anything is paid: the node would refuse the entry after the upload.
        auto may = co_await kv_.has_write_permission_async(me.address, s, kv::ns::file_key(path), v->version);
        if (!may) co_return std::move(may).error().during(what);
        if (!*may)
            co_return zerog::error(errc::unauthorized, me.address.to_checksum_hex() + " may not write namespace " + ns +
                                                   " (not a writer or admin); nothing was paid").during(what);
        ZEROG_CO_TRY(kv::ns::data_key key, co_await my_key(s, v->epoch, v->version, ns));
        struct wipe_on_exit {
            kv::ns::data_key& k;
            ~wipe_on_exit() { crypto::secure_wipe(k.data(), k.size()); }
        } wipe{key};
        upload_options uo;
        upload_encryption enc;
        enc.header.version = storage::symmetric_version;
        ZEROG_CO_TRY(enc.header.nonce, content_nonce(key, local));
        enc.key = key;
        uo.encryption = enc;
        crypto::secure_wipe(enc.key.data(), enc.key.size());
        std::error_code ec;
        const std::uint64_t size = std::filesystem::file_size(local, ec);
        if (ec) co_return zerog::error(errc::not_found, "cannot read " + local + ": " + ec.message()).during(what);
        auto up = co_await storage_->upload_async(local, std::move(uo));
        if (!up) co_return std::move(up).error().during(what);
        kv::ns::file_record f{path, up->root, size, v->epoch, up->tx_seq, me.address, unix_now(), 0};
        namespace_write w{s, {}, *up, v->epoch, {}, false};
        // A re-run after a crash: the same content gives the same root; an entry already naming it
        // needs no second batch.
        auto cur = co_await kv_.get_value_async(s, kv::ns::file_key(path));
        if (cur && !cur->data.empty())
            if (auto old = kv::ns::decode_file(cur->data); old && old->root == f.root && old->size == f.size && old->epoch == f.epoch) {
                w.skipped = true;
                co_return w;
            }
        // Conditional on the view the key came from: a revoke (new epoch) since then, or another
        // write of PATH, ends VersionConfliction instead of an entry under a retired key.
        kv::batch b;
        b.writes.push_back(kv::kv_write{s, kv::ns::file_key(path), kv::ns::encode_file(f)});
        v->reads.apply_to(b);
        ZEROG_CO_TRY(w.batch, co_await commit(std::move(b), what));
        co_return w;
    }

    asio::awaitable<result<namespace_write>> remove_file_impl(std::string ns, std::string path) {
        const std::string what = "removing \"" + path + "\" from namespace " + ns;
        ZEROG_CO_CHECK(kv::ns::check_path(path));
        ZEROG_CO_TRY(const auto me, need_identity());
        ZEROG_CO_TRY(const kv::stream_id s, co_await resolve_async(ns));
        ZEROG_CO_TRY(const std::uint64_t at, co_await snapshot());
        ZEROG_CO_TRY(const kv_value cur, co_await kv_.get_value_async(s, kv::ns::file_key(path), at));
        if (cur.data.empty()) co_return fail(errc::not_found, "no file \"" + path + "\" in namespace " + ns);
        auto may = co_await kv_.has_write_permission_async(me.address, s, kv::ns::file_key(path), at);
        if (!may) co_return std::move(may).error().during(what);
        if (!*may) co_return zerog::error(errc::unauthorized, me.address.to_checksum_hex() + " may not write namespace " + ns + "; nothing was paid").during(what);
        kv::batch b;
        b.writes.push_back(kv::kv_write{s, kv::ns::file_key(path), {}});
        ZEROG_CO_TRY(kv_put_result put, co_await commit(std::move(b), what));
        co_return namespace_write{s, std::move(put), std::nullopt, 0, {}, false};
    }

    asio::awaitable<result<registry_rebuild>> rebuild_registry_impl(std::uint64_t from_block) {
        const std::string what = "rebuilding the namespace registry from the chain";
        ZEROG_CO_TRY(const auto me, need_identity());
        if (!storage_->options().flow)
            co_return zerog::error(errc::invalid_argument, "the Flow contract address is not configured (contracts.flow)").during(what);
        const auto deadline = storage_->policies().clock.now() + o_.kv.read_timeout;
        registry_rebuild out;
        out.from_block = from_block;
        auto latest = co_await storage_->latest_block_async(deadline);
        if (!latest) co_return std::move(latest).error().during(what);
        out.to_block = *latest;
        if (from_block > out.to_block)
            co_return zerog::error(errc::invalid_argument, "--from-block " + std::to_string(from_block) + " is after the last block " +
                                                               std::to_string(out.to_block));
        auto logs = co_await storage_->submit_logs_async(*storage_->options().flow, me.address, from_block, out.to_block, 5000, 1'000'000, deadline);
        if (!logs) co_return std::move(logs).error().during(what);
        out.events = logs->size();
        std::vector<kv::stream_id> streams;
        for (const auto& l : *logs) {
            auto ev = storage::decode_submit_event(l.data);
            if (!ev) continue;  // not ours to judge here: `db rebuild` reports damaged events
            if (auto ids = kv::parse_tags(ev->tags))
                for (const auto& id : *ids)
                    if (std::find(streams.begin(), streams.end(), id) == streams.end()) streams.push_back(id);
        }
        for (const auto& s : streams) {
            if (auto known = co_await registered(s)) continue;
            auto v = co_await load(s);
            if (!v) {
                out.notes.push_back(to_hex(s) + ": " + v.error().message());
                continue;
            }
            const kv::ns::member_record* mine = v->member(me.address);
            if (!mine) {
                out.notes.push_back(to_hex(s) + ": " + me.address.to_checksum_hex() + " is no longer a member of \"" + v->metadata.name + "\"");
                continue;
            }
            policy::namespace_record rec;
            rec.network = o_.network;
            rec.name = v->metadata.name;
            ZEROG_CO_TRY(auto taken, co_await registry("persistence.find_namespace", [&](auto& st) { return st.find_namespace(o_.network, rec.name); }));
            if (taken) rec.name = rec.name.substr(0, kv::ns::max_name_length - 9) + "-" + to_hex(s).substr(2, 8);
            rec.stream = s;
            rec.role = std::string(kv::ns::role_name(mine->member_role));
            rec.admin = v->metadata.admin.to_checksum_hex();
            rec.account = me.address.to_checksum_hex();
            rec.metadata_json = kv::ns::detail::text(kv::ns::encode_metadata(v->metadata));
            rec.created_at = v->metadata.created;
            rec.updated_at = unix_now();
            ZEROG_CO_CHECK(co_await registry("persistence.add_namespace", [&](auto& st) { return st.add_namespace(rec); }));
            out.added.push_back(std::move(rec));
        }
        co_return out;
    }

    static std::int64_t unix_now() {
        return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    }

    result<kv::ns::public_identity> need_identity() const {
        if (!me_) return fail(errc::invalid_key, "this namespace operation needs the account's private key");
        return *me_;
    }

    /// A call on the namespace registry (the storage client's Persistence model), measured as
    /// `span_name` ("persistence.<op>", a literal).
    template <class F>
    asio::awaitable<std::invoke_result_t<F&, persistence_type&>> registry(std::string_view span_name, F f) {
        auto& policies = storage_->policies();
        co_return co_await persist(policies, span_name, [&]() { return f(policies.persistence); });
    }

    asio::awaitable<std::optional<policy::namespace_record>> registered(const kv::stream_id& s) {
        auto r = co_await registry("persistence.find_namespace_by_stream", [&](auto& st) { return st.find_namespace_by_stream(o_.network, s); });
        co_return r ? *r : std::nullopt;
    }

    /// The version every read of one operation is pinned to: the last seq the node has replayed.
    asio::awaitable<result<std::uint64_t>> snapshot() {
        ZEROG_CO_TRY(const kv_progress p, co_await kv_.progress_async());
        co_return p.applied_seq == 0 ? 0 : p.applied_seq - 1;
    }

    /// A reserved key's value at `at`, trusted only when the node says the key is special.
    /// none: absent (or deleted); an untrusted value is reported in `notes` and treated as absent.
    asio::awaitable<result<std::optional<bytes>>> reserved(const kv::stream_id& s, const bytes& key, std::uint64_t at, std::vector<std::string>* notes) {
        ZEROG_CO_TRY(kv_value v, co_await kv_.get_value_async(s, key, at));
        if (v.data.empty()) co_return std::optional<bytes>();
        ZEROG_CO_TRY(const bool special, co_await kv_.is_special_key_async(s, key, at));
        if (!special) {
            if (notes) notes->push_back(kv::result_key_text(key) + " ignored: written by a non-admin (the key is not admin-only)");
            co_return std::optional<bytes>();
        }
        co_return std::optional<bytes>(std::move(v.data));
    }

    /// Visit every live key starting with `prefix` (bytes) at `at`, in order, with its value.
    /// The first key is found by an exclusive search after the prefix plus an exact read of the
    /// prefix itself: an inclusive search that lands on a deleted key hangs real nodes (§6.1).
    template <class Visit>
    asio::awaitable<result<void>> scan(const kv::stream_id& s, bytes prefix, std::uint64_t at, std::size_t limit, Visit visit) {
        std::size_t n = 0;
        auto take = [&](kv_entry e) -> result<bool> {
            if (!kv::ns::starts_with(e.key, std::string_view(reinterpret_cast<const char*>(prefix.data()), prefix.size()))) return false;
            if (++n > limit) return fail(errc::too_large, "more than " + std::to_string(limit) + " entries");
            ZEROG_CHECK(visit(e));
            return true;
        };
        ZEROG_CO_TRY(kv_value exact, co_await kv_.get_value_async(s, prefix, at));
        if (!exact.data.empty()) ZEROG_CO_CHECK(take(kv_entry{prefix, std::move(exact)}));
        bytes from = prefix;
        for (;;) {
            ZEROG_CO_TRY(auto e, co_await kv_.next_async(s, from, false, at));
            if (!e) co_return result<void>{};
            from = e->key;
            ZEROG_CO_TRY(const bool more, take(std::move(*e)));
            if (!more) co_return result<void>{};
        }
    }

    /// Load and check a namespace (file comment).
    asio::awaitable<result<namespace_view>> load(const kv::stream_id& s) {
        namespace_view v;
        v.stream = s;
        ZEROG_CO_TRY(v.version, co_await snapshot());
        v.reads.version = v.version;
        for (bytes k : {kv::ns::meta_key(), kv::ns::epoch_key(), kv::ns::deleted_key()}) v.reads.add(s, std::move(k));
        ZEROG_CO_TRY(kv_value raw_meta, co_await kv_.get_value_async(s, kv::ns::meta_key(), v.version));
        if (raw_meta.data.empty())
            co_return fail(errc::not_found, "stream " + to_hex(s) + " holds no zerog namespace (no metadata as of seq " + std::to_string(v.version) +
                                                "; a namespace just created appears once the KV node has replayed it)");
        ZEROG_CO_TRY(const bool special, co_await kv_.is_special_key_async(s, kv::ns::meta_key(), v.version));
        if (!special)
            co_return fail(errc::verification_failed, "stream " + to_hex(s) + " has namespace metadata that any writer can change: not a " +
                                                          "namespace created by zerog, or squatted; not adopted");
        ZEROG_CO_TRY(v.metadata, kv::ns::decode_metadata(raw_meta.data));
        ZEROG_CO_TRY(const bool admin_ok, co_await kv_.is_admin_async(v.metadata.admin, s, v.version));
        if (!admin_ok)
            co_return fail(errc::verification_failed, "the metadata of stream " + to_hex(s) + " names " + v.metadata.admin.to_checksum_hex() +
                                                          " as admin but the KV node does not: not adopted");
        ZEROG_CO_TRY(auto ep, co_await reserved(s, kv::ns::epoch_key(), v.version, &v.notes));
        if (!ep) co_return fail(errc::verification_failed, "stream " + to_hex(s) + " has no admin-written key epoch");
        ZEROG_CO_TRY(v.epoch, kv::ns::decode_epoch(*ep));
        ZEROG_CO_TRY(auto del, co_await reserved(s, kv::ns::deleted_key(), v.version, &v.notes));
        if (del) {
            ZEROG_CO_TRY(auto t, kv::ns::decode_tombstone(*del));
            v.deleted = t;
        }
        // Members: every key under the member prefix; untrusted ones are noted and skipped.
        std::vector<std::pair<bytes, bytes>> found;
        auto r = co_await scan(s, kv::ns::text_key(kv::ns::member_prefix), v.version, kv::ns::max_members,
                               [&](const kv_entry& e) -> result<void> {
                                   found.emplace_back(e.key, e.value.data);
                                   return {};
                               });
        if (!r) co_return std::move(r).error().during("listing the members of " + to_hex(s));
        for (auto& [key, value] : found) {
            ZEROG_CO_TRY(const bool trusted, co_await kv_.is_special_key_async(s, key, v.version));
            if (!trusted) {
                v.notes.push_back(kv::result_key_text(key) + " ignored: written by a non-admin (the key is not admin-only)");
                continue;
            }
            v.reads.add(s, key);
            auto m = kv::ns::decode_member(value);
            if (!m) co_return std::move(m).error().during("reading " + kv::result_key_text(key) + " of " + to_hex(s));
            if (kv::ns::member_key(m->address) != key)
                co_return fail(errc::malformed_response, kv::result_key_text(key) + " holds the record of another account");
            v.members.push_back(std::move(*m));
        }
        co_return v;
    }

    asio::awaitable<result<void>> require_admin(const namespace_view& v, const crypto::address& me, const std::string& what) {
        auto adm = co_await kv_.is_admin_async(me, v.stream, v.version);
        if (!adm) co_return std::move(adm).error().during(what);
        if (!*adm) co_return zerog::error(errc::unauthorized, me.to_checksum_hex() + " is not an admin of namespace " + to_hex(v.stream) + "; nothing was paid").during(what);
        co_return result<void>{};
    }

    /// This account's data key of `epoch`. Errors: unauthorized when none is wrapped for it.
    asio::awaitable<result<kv::ns::data_key>> my_key(const kv::stream_id& s, std::uint64_t epoch, std::uint64_t at, const std::string& ns) {
        ZEROG_CO_TRY(const auto me, need_identity());
        ZEROG_CO_TRY(auto w, co_await reserved(s, kv::ns::wrapped_key_key(epoch, me.address), at, nullptr));
        if (!w)
            co_return fail(errc::unauthorized, me.address.to_checksum_hex() + " holds no key of epoch " + std::to_string(epoch) + " of namespace " + ns +
                                                   ": not a member, or removed before that epoch");
        co_return kv::ns::unwrap_key(*w, *key_, s, epoch);
    }

    /// The CTR nonce of a file: HMAC-SHA256(key, "zerog/ns/file-nonce/v1" ‖ SHA-256(content))[0..16).
    /// Deterministic, so a re-run encrypts to the same bytes and root (paid once); the same
    /// (key, nonce) pair only ever encrypts the same content, so CTR's keystream is never reused
    /// on different data. Costs one extra read of the file.
    static result<storage::ctr_nonce> content_nonce(const kv::ns::data_key& key, const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        if (!in) return fail(errc::not_found, "cannot read " + path);
        CryptoPP::SHA256 sha;
        std::vector<char> buf(1 << 20);
        while (in) {
            in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
            if (in.gcount() > 0) sha.Update(reinterpret_cast<const byte*>(buf.data()), static_cast<std::size_t>(in.gcount()));
        }
        if (in.bad()) return fail(errc::io_error, "cannot read " + path);
        byte digest[32];
        sha.Final(digest);
        CryptoPP::HMAC<CryptoPP::SHA256> mac(key.data(), key.size());
        static constexpr std::string_view label = "zerog/ns/file-nonce/v1";
        mac.Update(reinterpret_cast<const byte*>(label.data()), label.size());
        mac.Update(digest, 32);
        byte tag[32];
        mac.Final(tag);
        storage::ctr_nonce n;
        std::copy_n(tag, 16, n.begin());
        return n;
    }

    /// `enc` (v1 header ‖ ciphertext) → `plain`, which must be `size` bytes.
    static result<void> decrypt_file(const std::filesystem::path& enc, const std::filesystem::path& plain, const kv::ns::data_key& key, std::uint64_t size) {
        std::ifstream in(enc, std::ios::binary);
        if (!in) return fail(errc::io_error, "cannot read " + enc.string());
        bytes head(storage::symmetric_header_size);
        in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
        if (in.gcount() != static_cast<std::streamsize>(head.size()))
            return fail(errc::verification_failed, "the namespace file is shorter than its encryption header");
        ZEROG_TRY(const storage::encryption_header h, storage::encryption_header::parse(head));
        if (h.version != storage::symmetric_version) return fail(errc::verification_failed, "the namespace file is not encrypted with a namespace key");
        std::ofstream out(plain, std::ios::binary | std::ios::trunc);
        if (!out) return fail(errc::io_error, "cannot write " + plain.string());
        std::vector<byte> buf(1 << 20);
        std::uint64_t done = 0;
        while (in) {
            in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(buf.size()));
            const auto got = static_cast<std::size_t>(in.gcount());
            if (got == 0) break;
            storage::crypt_at(key, h.nonce, done, std::span<byte>(buf.data(), got));
            out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(got));
            done += got;
        }
        crypto::secure_wipe(buf.data(), buf.size());
        if (in.bad() || !out.flush()) return fail(errc::io_error, "cannot decrypt into " + plain.string());
        if (done != size)
            return fail(errc::verification_failed, "the namespace file decrypts to " + std::to_string(done) + " bytes, its entry says " + std::to_string(size));
        return {};
    }

    asio::awaitable<result<kv_put_result>> commit(kv::batch b, const std::string& what) {
        auto put = co_await kv_.put_async(std::move(b));
        if (!put) co_return std::move(put).error().during(what);
        if (!put->committed()) {
            using k = kv::tx_outcome_kind;
            const k o = put->outcome.kind;
            const errc code = o == k::version_confliction ? errc::state_conflict
                              : (o == k::sender_no_write_permission || o == k::write_permission_denied || o == k::access_control_permission_denied)
                                  ? errc::unauthorized
                                  : errc::verification_failed;
            std::string text = "the KV node refused the batch: " + kv::to_result_string(put->outcome) + " (tx_seq " + std::to_string(put->tx_seq) + ", paid)";
            if (o == k::version_confliction) text += "; the namespace changed while this ran (a concurrent grant, revoke or write): run it again";
            co_return zerog::error(code, std::move(text)).during(what);
        }
        co_return std::move(*put);
    }

    namespace_options o_;
    storage_client<Policies>* storage_;
    kv_client<Policies> kv_;
    const crypto::private_key* key_;
    std::optional<kv::ns::public_identity> me_;
    net::blocking_runner runner_;
};

}  // namespace zerog::client
