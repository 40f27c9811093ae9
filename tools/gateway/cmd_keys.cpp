// `zerog gateway keys issue|list|revoke`: the gateway's API keys. A key is random (crypto/api_key.hpp),
// printed once when issued and stored only as its hash, with its user, scopes, expiry and revocation
// (table zerog_api_keys, store/sql_persistence.hpp); every gateway instance reads the same database,
// so a revocation holds everywhere at once.
//
//   gateway keys issue --user U [--scope S[,S…]] [--expires D] [--json]
//       U: 1..64 characters of [A-Za-z0-9._@-]; S: files, namespaces, inference, usage (default: all);
//       D: a lifetime (90m, 24h, 30d; default: no expiry).
//       → {"id","user","key","scopes","created","expires"}   (the key: shown this once)
//   gateway keys list [--user U] [--json]
//       → [{"id","user","scopes","created","expires","revoked","state"}, …]   (never a key or a hash)
//   gateway keys revoke ID [--json]
//       → {"id","user","revoked"}; exit 1 when there is no such key
// The database is chosen as for every command (--db, ZEROG_DB, config `database`, the devnet's file
// on the devnet profile); it must be SQLite or PostgreSQL. No signing key is needed.
#include "../cli/records.hpp"
#include "../cli/session.hpp"

#include <zerog/crypto/api_key.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>

namespace {

using namespace zerog;
namespace js = boost::json;

constexpr const char* cmd = "gateway keys";
constexpr std::string_view all_scopes[] = {"files", "namespaces", "inference", "usage"};

std::int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// A user name as the gateway stores and logs it: no spaces, quotes or control characters.
result<void> check_user(std::string_view u) {
    if (u.empty() || u.size() > 64) return fail(errc::invalid_argument, "--user must be 1..64 characters");
    for (char c : u)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '@' && c != '-')
            return fail(errc::invalid_argument, "--user may contain only letters, digits and . _ @ -");
    return {};
}

/// "files,usage" → the same list, checked against the known scopes, without duplicates, in the
/// canonical order.
result<std::string> parse_scopes(std::string_view s) {
    const auto items = config::parse_list(s);
    if (items.empty()) return fail(errc::invalid_argument, "--scope needs at least one of files, namespaces, inference, usage");
    for (const auto& i : items)
        if (std::find(std::begin(all_scopes), std::end(all_scopes), i) == std::end(all_scopes))
            return fail(errc::invalid_argument, "unknown scope \"" + i.substr(0, 32) + "\" (files, namespaces, inference, usage)");
    std::string out;
    for (auto known : all_scopes)
        if (std::find(items.begin(), items.end(), known) != items.end()) out += (out.empty() ? "" : ",") + std::string(known);
    return out;
}

/// "90m", "24h", "30d" → seconds (1 minute .. 10 years).
result<std::int64_t> parse_lifetime(std::string_view s) {
    const auto bad = [] { return fail(errc::invalid_argument, "--expires takes a lifetime such as 90m, 24h or 30d (1 minute to 10 years)"); };
    if (s.size() < 2 || s.size() > 8) return bad();
    const char unit = s.back();
    std::int64_t n = 0;
    for (char c : s.substr(0, s.size() - 1)) {
        if (c < '0' || c > '9') return bad();
        n = n * 10 + (c - '0');
    }
    const std::int64_t mult = unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0;
    const std::int64_t secs = n * mult;
    if (mult == 0 || secs < 60 || secs > 10LL * 366 * 86400) return bad();
    return secs;
}

std::string state_of(const policy::api_key_record& r, std::int64_t now) {
    if (r.revoked_at) return "revoked";
    if (r.expires_at && now >= r.expires_at) return "expired";
    return "active";
}

js::object key_json(const policy::api_key_record& r, std::int64_t now) {
    js::object o;
    o["id"] = r.id;
    o["user"] = r.user;
    js::array sc;
    for (auto item : config::parse_list(r.scopes)) sc.emplace_back(item);
    o["scopes"] = std::move(sc);
    o["created"] = cli::utc_time(r.created_at * 1000);
    o["expires"] = r.expires_at ? js::value(cli::utc_time(r.expires_at * 1000)) : js::value(nullptr);
    o["revoked"] = r.revoked_at ? js::value(cli::utc_time(r.revoked_at * 1000)) : js::value(nullptr);
    o["state"] = state_of(r, now);
    return o;
}

result<store::database> open_keys_database(const cli::args& a) {
    const auto env = config::environment::from_process();
    ZEROG_TRY(auto cfg, cli::load_config(a.get("profile"), env));
    return cli::open_database(cfg, env);
}

int issue(const cli::args& a) {
    const bool json_out = a.has("json");
    if (auto u = a.unknown({"json", "profile", "user", "scope", "expires"}); !u.empty()) return cli::usage_error(cmd, "unknown option " + u.front());
    if (a.positional().size() != 1) return cli::usage_error(cmd, "issue takes no argument besides its options");
    const auto user = a.get("user");
    if (!user) return cli::usage_error(cmd, "issue needs --user U");
    if (auto ok = check_user(*user); !ok) return cli::usage_error(cmd, ok.error().detail());
    std::string scopes = "files,namespaces,inference,usage";
    if (auto s = a.get("scope")) {
        auto parsed = parse_scopes(*s);
        if (!parsed) return cli::usage_error(cmd, parsed.error().detail());
        scopes = std::move(*parsed);
    }
    const std::int64_t now = now_s();
    std::int64_t expires = 0;
    if (auto e = a.get("expires")) {
        auto life = parse_lifetime(*e);
        if (!life) return cli::usage_error(cmd, life.error().detail());
        expires = now + *life;
    }
    auto db = open_keys_database(a);
    if (!db) return cli::fail_with(cmd, db.error(), json_out);
    const auto key = crypto::new_api_key();
    const policy::api_key_record rec{key.id, *user, key.key_hash, scopes, now, expires, 0};
    if (auto stored = db->add_api_key(rec); !stored) return cli::fail_with(cmd, stored.error(), json_out);
    // The one place the key is shown. Not through a log (the logger scrubs, and logs are kept).
    if (json_out) {
        js::object o = key_json(rec, now);
        o.erase("revoked");
        o.erase("state");
        std::string text = js::serialize(o);  // no secret in it: the key is printed from its wiped buffer
        text.pop_back();                      // the closing brace
        std::printf("%s,\"key\":\"%.*s\"}\n", text.c_str(), static_cast<int>(key.key.size()), key.key.view().data());
    } else {
        std::printf("id       %s\nuser     %s\nscopes   %s\nexpires  %s\nkey      %.*s\n\nThe key is shown only now: it is stored hashed and cannot be shown again.\n",
                    rec.id.c_str(), rec.user.c_str(), rec.scopes.c_str(), expires ? cli::utc_time(expires * 1000).c_str() : "never",
                    static_cast<int>(key.key.size()), key.key.view().data());
    }
    return 0;
}

int list(const cli::args& a) {
    const bool json_out = a.has("json");
    if (auto u = a.unknown({"json", "profile", "user"}); !u.empty()) return cli::usage_error(cmd, "unknown option " + u.front());
    if (a.positional().size() != 1) return cli::usage_error(cmd, "list takes no argument besides its options");
    const std::string user = a.get("user").value_or("");
    if (!user.empty())
        if (auto ok = check_user(user); !ok) return cli::usage_error(cmd, ok.error().detail());
    auto db = open_keys_database(a);
    if (!db) return cli::fail_with(cmd, db.error(), json_out);
    auto keys = db->list_api_keys(user);
    if (!keys) return cli::fail_with(cmd, keys.error(), json_out);
    const std::int64_t now = now_s();
    if (json_out) {
        js::array out;
        for (const auto& k : *keys) out.push_back(key_json(k, now));
        std::printf("%s\n", js::serialize(out).c_str());
        return 0;
    }
    std::printf("%-16s  %-20s  %-8s  %-20s  %-20s  %s\n", "ID", "USER", "STATE", "CREATED", "EXPIRES", "SCOPES");
    for (const auto& k : *keys)
        std::printf("%-16s  %-20s  %-8s  %-20s  %-20s  %s\n", k.id.c_str(), k.user.c_str(), state_of(k, now).c_str(), cli::utc_time(k.created_at * 1000).c_str(),
                    k.expires_at ? cli::utc_time(k.expires_at * 1000).c_str() : "never", k.scopes.c_str());
    std::printf("%zu key(s)\n", keys->size());
    return 0;
}

int revoke(const cli::args& a) {
    const bool json_out = a.has("json");
    if (auto u = a.unknown({"json", "profile"}); !u.empty()) return cli::usage_error(cmd, "unknown option " + u.front());
    if (a.positional().size() != 2) return cli::usage_error(cmd, "revoke takes one key ID (from `zerog gateway keys list`)");
    const std::string& id = a.positional()[1];
    if (id.size() != crypto::api_key_id_hex || !crypto::detail::lower_hex(id)) return cli::usage_error(cmd, "a key ID is 16 lower-case hex digits");
    auto db = open_keys_database(a);
    if (!db) return cli::fail_with(cmd, db.error(), json_out);
    auto r = db->revoke_api_key(id, now_s());
    if (!r) return cli::fail_with(cmd, r.error(), json_out);
    if (!*r) return cli::fail_with(cmd, zerog::error(errc::not_found, "no API key with id " + id + " in " + db->where()), json_out);
    const auto& k = **r;
    if (json_out) std::printf("%s\n", js::serialize(js::object{{"id", k.id}, {"user", k.user}, {"revoked", cli::utc_time(k.revoked_at * 1000)}}).c_str());
    else std::printf("revoked %s (user %s) at %s\n", k.id.c_str(), k.user.c_str(), cli::utc_time(k.revoked_at * 1000).c_str());
    return 0;
}

int keys(const std::vector<std::string>& raw) {
    const cli::args a(raw, {"json"});
    if (!a.errors().empty()) return cli::usage_error(cmd, a.errors().front());
    const std::string verb = a.positional().empty() ? "" : a.positional().front();
    if (verb == "issue") return issue(a);
    if (verb == "list") return list(a);
    if (verb == "revoke") return revoke(a);
    return cli::usage_error(cmd, verb.empty() ? "expected issue, list or revoke" : "unknown sub-command \"" + verb.substr(0, 32) + "\"");
}

}  // namespace

ZEROG_COMMAND(reg_gateway_keys, "gateway keys",
              "gateway keys issue --user U [--scope files,namespaces,inference,usage] [--expires 30d] [--json] | list [--user U] [--json] | "
              "revoke ID [--json]   (the gateway's API keys; stored hashed)",
              keys);
