// store::database: the Persistence model chosen at run time, from what an operator types.
//
//   "postgresql://…" or "postgres://…"   PostgreSQL (postgres.hpp), for several instances
//   ":memory:"                           process memory (tests, throwaway runs)
//   anything else                        a path to an SQLite file (sqlite.hpp), created when missing
//
// The CLI takes it from `--db`, else ZEROG_DB, else the configuration's `database`, else
// `default_database_path` ($XDG_STATE_HOME/zerog/zerog.db, else ~/.local/state/zerog/zerog.db).
// A `database` is a shared handle: copies use the same connection(s), so several clients of one
// process share one database. Calls may block (`blocking`): the clients offload them.
#pragma once

#include <zerog/policy/persistence.hpp>
#include <zerog/store/postgres.hpp>
#include <zerog/store/sqlite.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace zerog::store {

struct database_options {
    sqlite_options sqlite{};
    postgres_options postgres{};
};

/// $XDG_STATE_HOME/zerog/zerog.db when XDG_STATE_HOME is set (and absolute), else
/// $HOME/.local/state/zerog/zerog.db. Empty when neither is usable.
inline std::filesystem::path default_database_path(std::string_view xdg_state_home, std::string_view home) {
    if (!xdg_state_home.empty() && xdg_state_home.front() == '/') return std::filesystem::path(xdg_state_home) / "zerog" / "zerog.db";
    if (!home.empty() && home.front() == '/') return std::filesystem::path(home) / ".local" / "state" / "zerog" / "zerog.db";
    return {};
}

inline bool is_postgres_url(std::string_view spec) noexcept {
    return spec.rfind("postgresql://", 0) == 0 || spec.rfind("postgres://", 0) == 0;
}

class database {
public:
    static constexpr bool durable = true;
    static constexpr bool remembers = true;
    static constexpr bool blocking = true;

    /// Open what `spec` names (see the file comment), migrating it to the current schema.
    static result<database> open(std::string_view spec, const database_options& o = {}) {
        database d;
        if (spec.empty()) return fail(errc::invalid_argument, "no database given (a file path, a postgresql:// URL or :memory:)");
        if (spec == ":memory:") {
            d.impl_ = std::make_shared<impl>(std::in_place_type<policy::memory_persistence>);
            d.where_ = ":memory:";
        } else if (is_postgres_url(spec)) {
            ZEROG_TRY(auto pg, open_postgres(std::string(spec), o.postgres));
            d.where_ = pg.backend().where();
            d.impl_ = std::make_shared<impl>(std::in_place_type<postgres_persistence>, std::move(pg));
        } else {
            ZEROG_TRY(auto lite, open_sqlite(std::filesystem::path(spec), o.sqlite));
            d.where_ = lite.backend().path();
            d.impl_ = std::make_shared<impl>(std::in_place_type<sqlite_persistence>, std::move(lite));
        }
        return d;
    }

    /// "sqlite", "postgresql" or "memory".
    std::string_view kind() const noexcept {
        if (!impl_) return "none";
        switch (impl_->index()) {
            case 0: return "memory";
            case 1: return "sqlite";
            default: return "postgresql";
        }
    }
    /// The file path or the redacted URL (never a password).
    const std::string& where() const noexcept { return where_; }

    sqlite_persistence* sqlite() noexcept { return impl_ ? std::get_if<sqlite_persistence>(impl_.get()) : nullptr; }
    postgres_persistence* postgres() noexcept { return impl_ ? std::get_if<postgres_persistence>(impl_.get()) : nullptr; }

    result<policy::submission_claim> claim_submission(const policy::submission_record& r, std::string_view tx_key, std::int64_t stale_before,
                                                      std::string_view dead_owner) {
        return visit([&](auto& p) { return p.claim_submission(r, tx_key, stale_before, dead_owner); });
    }
    result<void> put_submission(const policy::submission_record& r) {
        return visit([&](auto& p) { return p.put_submission(r); });
    }
    result<std::optional<policy::submission_record>> find_submission(const hash256& root, std::string_view network) {
        return visit([&](auto& p) { return p.find_submission(root, network); });
    }
    result<std::vector<policy::submission_record>> list_submissions(const policy::submission_filter& f) {
        return visit([&](auto& p) { return p.list_submissions(f); });
    }
    result<void> put_tx(const policy::tx_record& r) {
        return visit([&](auto& p) { return p.put_tx(r); });
    }
    result<std::optional<policy::tx_record>> find_tx(const std::string& key) {
        return visit([&](auto& p) { return p.find_tx(key); });
    }
    result<void> add_spend(std::string_view account, std::string_view provider, const uint256& amount) {
        return visit([&](auto& p) { return p.add_spend(account, provider, amount); });
    }
    result<uint256> spend(std::string_view account, std::string_view provider) {
        return visit([&](auto& p) { return p.spend(account, provider); });
    }
    result<void> add_usage(std::string_view user, std::string_view kind, std::int64_t period, const uint256& amount) {
        return visit([&](auto& p) { return p.add_usage(user, kind, period, amount); });
    }
    result<std::vector<policy::usage_record>> load_usage(std::string_view user) {
        return visit([&](auto& p) { return p.load_usage(user); });
    }

    // ---- the KV namespace registry (policy::NamespaceStore) -----------------------------------
    result<void> add_namespace(const policy::namespace_record& r) {
        return visit([&](auto& p) { return p.add_namespace(r); });
    }
    result<void> update_namespace(const policy::namespace_record& r) {
        return visit([&](auto& p) { return p.update_namespace(r); });
    }
    result<std::optional<policy::namespace_record>> find_namespace(std::string_view network, std::string_view name) {
        return visit([&](auto& p) { return p.find_namespace(network, name); });
    }
    result<std::optional<policy::namespace_record>> find_namespace_by_stream(std::string_view network, const hash256& stream) {
        return visit([&](auto& p) { return p.find_namespace_by_stream(network, stream); });
    }
    result<std::vector<policy::namespace_record>> list_namespaces(std::string_view network) {
        return visit([&](auto& p) { return p.list_namespaces(network); });
    }
    result<bool> remove_namespace(std::string_view network, std::string_view name) {
        return visit([&](auto& p) { return p.remove_namespace(network, name); });
    }

    // ---- operations of the durable stores only (retention, export/import, backup) ------------
    result<std::vector<policy::submission_record>> prune_expired(std::int64_t now_unix_ms) {
        return on_durable_store("removing expired records", [&](auto& p) { return p.prune_expired(now_unix_ms); });
    }
    result<std::vector<policy::tx_record>> list_tx() {
        return on_durable_store("listing transaction records", [&](auto& p) { return p.list_tx(); });
    }
    result<std::vector<policy::usage_record>> list_usage() {
        return on_durable_store("listing budget usage", [&](auto& p) { return p.list_usage(); });
    }
    result<bool> import_submission(const policy::submission_record& r) {
        return on_durable_store("importing a record", [&](auto& p) { return p.import_submission(r); });
    }
    result<void> import_usage(const policy::usage_record& u) {
        return on_durable_store("importing budget usage", [&](auto& p) { return p.import_usage(u); });
    }
    // ---- API keys of a service built on zerog (sql_persistence; durable stores only) -----------
    result<void> add_api_key(const policy::api_key_record& r) {
        return on_durable_store("storing an API key", [&](auto& p) { return p.add_api_key(r); });
    }
    result<std::optional<policy::api_key_record>> find_api_key(std::string_view id) {
        return on_durable_store("reading an API key", [&](auto& p) { return p.find_api_key(id); });
    }
    result<std::vector<policy::api_key_record>> list_api_keys(std::string_view user) {
        return on_durable_store("listing API keys", [&](auto& p) { return p.list_api_keys(user); });
    }
    result<std::optional<policy::api_key_record>> revoke_api_key(std::string_view id, std::int64_t now_s) {
        return on_durable_store("revoking an API key", [&](auto& p) { return p.revoke_api_key(id, now_s); });
    }

    /// SQLite's online backup to `dest` (consistent while others write). PostgreSQL: use pg_dump.
    result<void> backup_to(const std::filesystem::path& dest) {
        if (auto* lite = sqlite()) return lite->backend().backup_to(dest);
        return zerog::error(errc::not_supported, "backups of a PostgreSQL database are the server's: pg_dump -Fc '" + where_ +
                                                     "' > zerog.dump (zerog's tables are zerog_*)");
    }

private:
    using impl = std::variant<policy::memory_persistence, sqlite_persistence, postgres_persistence>;

    template <class F, class R = std::invoke_result_t<F&, policy::memory_persistence&>>
    R visit(F&& f) {
        if (!impl_) return fail(errc::internal, "the database handle was moved from or never opened");
        return std::visit([&](auto& p) -> R { return f(p); }, *impl_);
    }

    template <class F>
    auto on_durable_store(const char* what, F&& f) -> std::invoke_result_t<F&, sqlite_persistence&> {
        if (auto* lite = sqlite()) return f(*lite);
        if (auto* pg = postgres()) return f(*pg);
        return zerog::error(errc::not_supported, std::string(what) + " needs an SQLite or PostgreSQL database, not " + where_);
    }

    std::shared_ptr<impl> impl_;
    std::string where_;
};

static_assert(policy::Persistence<database>);
static_assert(policy::NamespaceStore<database>);

}  // namespace zerog::store
