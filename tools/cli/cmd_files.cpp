// `zerog files list|show|prune` and `zerog db backup|export|import`: what this machine (or every instance sharing the database) paid to
// store, from the records written before every payment (store/database.hpp).
//
//   files list [--state S] [--since T] [--limit N] [--profile P] [--json]
//       S: intent|sent|mined|uploaded|finalized|failed; T: a duration back from now (90m, 24h,
//       7d) or a UTC date (2026-12-01 or 2026-12-01T10:00:00Z). Newest first.
//       → [{"root","network","state","size","txSeq","txHash","fee","file","path","replicas",
//           "account","created","updated","expires","lastError"}, …]
//   files show ROOT [--profile P] [--json]
//       the record(s) of ROOT (one per network); exit 1 when there is none
//   files prune [--dry-run] [--json]      forget records past their retention (files stay on 0G)
//   db backup PATH [--force]              SQLite online backup (PostgreSQL: pg_dump, said plainly)
//   db export [--out FILE]                JSON lines: submissions, transactions, usage (records.hpp)
//   db import FILE                        the same lines, idempotently
// The database is chosen as for every command (--db, ZEROG_DB, config `database`, the devnet's
// file on the devnet profile, else $XDG_STATE_HOME/zerog/zerog.db); no key is needed.
#include "records.hpp"
#include "session.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>

namespace {

using namespace zerog;

/// "90m", "24h", "7d", "30s" back from now, or "YYYY-MM-DD[THH:MM:SSZ]" (UTC): Unix ms.
result<std::int64_t> parse_since(const std::string& s, std::int64_t now_ms) {
    if (!s.empty() && std::isdigit(static_cast<unsigned char>(s.front())) && s.size() >= 2 && std::string("smhd").find(s.back()) != std::string::npos) {
        std::int64_t n = 0;
        for (std::size_t i = 0; i + 1 < s.size(); ++i) {
            if (!std::isdigit(static_cast<unsigned char>(s[i])) || n > 1'000'000'000) return fail(errc::invalid_argument, "--since: not a duration: " + s);
            n = n * 10 + (s[i] - '0');
        }
        const std::int64_t unit = s.back() == 's' ? 1000 : s.back() == 'm' ? 60'000 : s.back() == 'h' ? 3'600'000 : 86'400'000;
        return now_ms - n * unit;
    }
    std::tm tm{};
    const char* end = ::strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end || *end) {
        tm = {};
        end = ::strptime(s.c_str(), "%Y-%m-%d", &tm);
    }
    if (!end || *end) return fail(errc::invalid_argument, "--since takes a duration (90m, 24h, 7d) or a UTC date (2026-12-01[T10:00:00Z]), got " + s);
    return static_cast<std::int64_t>(::timegm(&tm)) * 1000;
}

result<store::database> open_files_database(const cli::args& a) {
    const auto env = config::environment::from_process();
    ZEROG_TRY(auto cfg, cli::load_config(a.get("profile"), env));
    return cli::open_database(cfg, env);
}

int print(const std::vector<policy::submission_record>& rows, bool js, bool detailed) {
    if (js) {
        boost::json::array out;
        for (const auto& r : rows) out.push_back(cli::submission_json(r, false));
        std::printf("%s\n", boost::json::serialize(out).c_str());
        return 0;
    }
    if (detailed) {
        for (const auto& r : rows) {
            const auto o = cli::submission_json(r, false);
            for (const auto& [k, v] : o) std::printf("%-10s %s\n", std::string(k).c_str(), v.is_string() ? std::string(v.get_string()).c_str() : boost::json::serialize(v).c_str());
            std::printf("\n");
        }
        return 0;
    }
    std::printf("%-66s  %-9s  %12s  %8s  %-20s  %s\n", "ROOT", "STATE", "SIZE", "TX_SEQ", "CREATED", "FILE");
    for (const auto& r : rows)
        std::printf("%-66s  %-9s  %12llu  %8s  %-20s  %s\n", to_hex(r.root).c_str(), std::string(policy::to_string(r.status)).c_str(),
                    static_cast<unsigned long long>(r.size), r.tx_seq ? std::to_string(*r.tx_seq).c_str() : "-", cli::utc_time(r.created_unix_ms).c_str(),
                    r.file_name.c_str());
    std::printf("%zu record(s)\n", rows.size());
    return 0;
}

int files_list(const std::vector<std::string>& raw) {
    const cli::args a(raw, {"json"});
    if (!a.errors().empty()) return cli::usage_error("files list", a.errors().front());
    if (auto u = a.unknown({"json", "profile", "state", "since", "limit"}); !u.empty()) return cli::usage_error("files list", "unknown option " + u.front());
    if (!a.positional().empty()) return cli::usage_error("files list", "unexpected argument " + a.positional().front());
    policy::submission_filter f;
    if (auto st = a.get("state")) {
        f.status = policy::submission_state_from(*st);
        if (!f.status) return cli::usage_error("files list", "--state must be intent|sent|mined|uploaded|finalized|failed");
    }
    if (auto since = a.get("since")) {
        const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        auto t = parse_since(*since, now_ms);
        if (!t) return cli::usage_error("files list", t.error().detail());
        f.since_unix_ms = *t;
    }
    if (auto lim = a.get("limit")) {
        try {
            const unsigned long n = std::stoul(*lim);
            if (n == 0 || n > 1'000'000) throw std::out_of_range("limit");
            f.limit = n;
        } catch (const std::exception&) {
            return cli::usage_error("files list", "--limit must be 1..1000000");
        }
    }
    auto db = open_files_database(a);
    if (!db) return cli::report("files list", db.error());
    auto rows = db->list_submissions(f);
    if (!rows) return cli::report("files list", rows.error());
    return print(*rows, a.has("json"), false);
}

int files_show(const std::vector<std::string>& raw) {
    const cli::args a(raw, {"json"});
    if (!a.errors().empty()) return cli::usage_error("files show", a.errors().front());
    if (auto u = a.unknown({"json", "profile"}); !u.empty()) return cli::usage_error("files show", "unknown option " + u.front());
    if (a.positional().size() != 1) return cli::usage_error("files show", "expected exactly one ROOT");
    auto root = from_hex_fixed<32>(a.positional().front());
    if (!root) return cli::usage_error("files show", "ROOT must be 0x and 64 hex digits");
    auto db = open_files_database(a);
    if (!db) return cli::report("files show", db.error());
    policy::submission_filter f;
    f.root = *root;
    auto rows = db->list_submissions(f);
    if (!rows) return cli::report("files show", rows.error());
    if (rows->empty()) return cli::report("files show", zerog::error(errc::not_found, "no record of root " + to_hex(*root) + " in " + db->where()));
    return print(*rows, a.has("json"), true);
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// `files prune [--dry-run] [--json]`: forget records whose retention ended (the files stay on 0G
/// Storage, which is immutable; only our records and their transaction records go).
int files_prune(const std::vector<std::string>& raw) {
    const cli::args a(raw, {"json", "dry-run"});
    if (!a.errors().empty()) return cli::usage_error("files prune", a.errors().front());
    if (auto u = a.unknown({"json", "profile", "dry-run"}); !u.empty()) return cli::usage_error("files prune", "unknown option " + u.front());
    auto db = open_files_database(a);
    if (!db) return cli::report("files prune", db.error());
    std::vector<policy::submission_record> gone;
    if (a.has("dry-run")) {
        auto rows = db->list_submissions({});
        if (!rows) return cli::report("files prune", rows.error());
        const auto now = now_ms();
        for (auto& r : *rows)
            if (r.expires_unix_ms > 0 && r.expires_unix_ms < now) gone.push_back(std::move(r));
    } else {
        auto pruned = db->prune_expired(now_ms());
        if (!pruned) return cli::report("files prune", pruned.error());
        gone = std::move(*pruned);
    }
    if (a.has("json")) return print(gone, true, false);
    for (const auto& r : gone) std::printf("%s %s\n", a.has("dry-run") ? "would forget" : "forgot", to_hex(r.root).c_str());
    std::printf("%zu expired record(s) %s; the files themselves stay on 0G Storage (it is immutable)\n", gone.size(),
                a.has("dry-run") ? "would be removed" : "removed");
    return 0;
}

/// `db backup PATH`: SQLite's online backup (consistent while others write); PostgreSQL: pg_dump.
int db_backup(const std::vector<std::string>& raw) {
    const cli::args a(raw, {"force", "json"});
    if (!a.errors().empty()) return cli::usage_error("db backup", a.errors().front());
    if (auto u = a.unknown({"profile", "force", "json"}); !u.empty()) return cli::usage_error("db backup", "unknown option " + u.front());
    if (a.positional().size() != 1) return cli::usage_error("db backup", "expected exactly one PATH");
    const std::string dest = a.positional().front();
    std::error_code ec;
    if (std::filesystem::exists(dest, ec) && !a.has("force"))
        return cli::report("db backup", zerog::error(errc::already_exists, dest + " exists (--force replaces it)"));
    if (a.has("force")) std::filesystem::remove(dest, ec);
    auto db = open_files_database(a);
    if (!db) return cli::report("db backup", db.error());
    if (auto r = db->backup_to(dest); !r) return cli::report("db backup", r.error());
    if (a.has("json")) std::printf("%s\n", boost::json::serialize(boost::json::object{{"from", db->where()}, {"backup", dest}}).c_str());
    else std::printf("backed up %s to %s\n", db->where().c_str(), dest.c_str());
    return 0;
}

/// `db export [--out FILE]`: every record as JSON lines (submissions, transactions, usage).
int db_export(const std::vector<std::string>& raw) {
    const cli::args a(raw, {});
    if (!a.errors().empty()) return cli::usage_error("db export", a.errors().front());
    if (auto u = a.unknown({"profile", "out"}); !u.empty()) return cli::usage_error("db export", "unknown option " + u.front());
    auto db = open_files_database(a);
    if (!db) return cli::report("db export", db.error());
    policy::submission_filter every;
    every.limit = std::numeric_limits<std::size_t>::max();
    auto subs = db->list_submissions(every);
    if (!subs) return cli::report("db export", subs.error());
    auto txs = db->list_tx();
    if (!txs) return cli::report("db export", txs.error());
    auto usage = db->list_usage();
    if (!usage) return cli::report("db export", usage.error());
    std::string out;
    for (const auto& r : *subs) out += boost::json::serialize(cli::submission_json(r, true)) + "\n";
    for (const auto& t : *txs) out += boost::json::serialize(cli::tx_json(t)) + "\n";
    for (const auto& u : *usage) out += boost::json::serialize(cli::usage_json(u)) + "\n";
    if (auto path = a.get("out")) {
        const std::string tmp = *path + ".zerog-part";
        {
            std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
            f << out;
            if (!f.flush()) return cli::report("db export", zerog::error(errc::io_error, "cannot write " + tmp));
        }
        std::error_code ec;
        std::filesystem::rename(tmp, *path, ec);
        if (ec) return cli::report("db export", zerog::error(errc::io_error, "cannot rename " + tmp + ": " + ec.message()));
        std::fprintf(stderr, "exported %zu submission(s), %zu transaction(s), %zu usage counter(s) to %s\n", subs->size(), txs->size(),
                     usage->size(), path->c_str());
    } else {
        std::fwrite(out.data(), 1, out.size(), stdout);
    }
    return 0;
}

/// `db import FILE`: the lines of `db export`, idempotently (records never go backwards, hashes
/// merge, usage takes the larger count). A bad line stops the import with its line number; what
/// was imported before it stays (each line is one transaction).
int db_import(const std::vector<std::string>& raw) {
    const cli::args a(raw, {"json"});
    if (!a.errors().empty()) return cli::usage_error("db import", a.errors().front());
    if (auto u = a.unknown({"profile", "json"}); !u.empty()) return cli::usage_error("db import", "unknown option " + u.front());
    if (a.positional().size() != 1) return cli::usage_error("db import", "expected exactly one FILE (from zerog db export)");
    std::ifstream in(a.positional().front(), std::ios::binary);
    if (!in) return cli::report("db import", zerog::error(errc::not_found, "cannot open " + a.positional().front()));
    auto db = open_files_database(a);
    if (!db) return cli::report("db import", db.error());
    std::size_t line_no = 0, subs = 0, changed = 0, txs = 0, usage = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_no;
        if (line.empty()) continue;
        auto fail_at = [&](const zerog::error& e) {
            return cli::report("db import", zerog::error(e).during("importing line " + std::to_string(line_no) + " of " + a.positional().front()));
        };
        if (line.size() > (1u << 20)) return fail_at(zerog::error(errc::too_large, "a line above 1 MiB"));
        boost::system::error_code ec;
        auto v = boost::json::parse(line, ec);
        if (ec || !v.is_object()) return fail_at(zerog::error(errc::parse_error, "not a JSON object"));
        const auto& o = v.get_object();
        auto* kind = o.if_contains("kind");
        const std::string k = kind && kind->is_string() ? std::string(kind->get_string()) : "";
        if (k == "submission") {
            auto r = cli::submission_from_json(o);
            if (!r) return fail_at(r.error());
            auto done = db->import_submission(*r);
            if (!done) return fail_at(done.error());
            ++subs;
            changed += *done ? 1 : 0;
        } else if (k == "transaction") {
            auto t = cli::tx_from_json(o);
            if (!t) return fail_at(t.error());
            if (auto done = db->put_tx(*t); !done) return fail_at(done.error());
            ++txs;
        } else if (k == "usage") {
            auto u = cli::usage_from_json(o);
            if (!u) return fail_at(u.error());
            if (auto done = db->import_usage(*u); !done) return fail_at(done.error());
            ++usage;
        } else {
            return fail_at(zerog::error(errc::parse_error, "unknown kind \"" + k + "\" (submission, transaction or usage)"));
        }
    }
    if (a.has("json"))
        std::printf("%s\n", boost::json::serialize(boost::json::object{{"submissions", subs}, {"changed", changed}, {"transactions", txs},
                                                                       {"usage", usage}, {"into", db->where()}})
                                .c_str());
    else
        std::printf("imported %zu submission(s) (%zu new or further along), %zu transaction(s), %zu usage counter(s) into %s\n", subs, changed,
                    txs, usage, db->where().c_str());
    return 0;
}

}  // namespace

ZEROG_COMMAND(reg_files_prune, "files prune", "files prune [--dry-run] [--profile P] [--json]   (records past their retention; the files stay on 0G Storage)", files_prune);
ZEROG_COMMAND(reg_db_backup, "db backup", "db backup PATH [--force] [--profile P] [--json]   (SQLite online backup; PostgreSQL: pg_dump)", db_backup);
ZEROG_COMMAND(reg_db_export, "db export", "db export [--out FILE] [--profile P]   (JSON lines: submissions, transactions, usage)", db_export);
ZEROG_COMMAND(reg_db_import, "db import", "db import FILE [--profile P] [--json]   (idempotent)", db_import);
ZEROG_COMMAND(reg_files_list, "files list", "files list [--state S] [--since 24h|2026-12-01] [--limit N] [--profile P] [--json]", files_list);
ZEROG_COMMAND(reg_files_show, "files show", "files show ROOT [--profile P] [--json]", files_show);
