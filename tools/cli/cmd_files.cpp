// `zerog files list|show`: what this machine (or every instance sharing the database) paid to
// store, from the records written before every payment (store/database.hpp).
//
//   files list [--state S] [--since T] [--limit N] [--profile P] [--json]
//       S: intent|sent|mined|uploaded|finalized|failed; T: a duration back from now (90m, 24h,
//       7d) or a UTC date (2026-12-01 or 2026-12-01T10:00:00Z). Newest first.
//       → [{"root","network","state","size","txSeq","txHash","fee","file","path","replicas",
//           "account","created","updated","expires","lastError"}, …]
//   files show ROOT [--profile P] [--json]
//       the record(s) of ROOT (one per network); exit 1 when there is none
// The database is chosen as for every command (--db, ZEROG_DB, config `database`, the devnet's
// file on the devnet profile, else $XDG_STATE_HOME/zerog/zerog.db); no key is needed.
#include "session.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <ctime>

namespace {

using namespace zerog;

std::string utc(std::int64_t unix_ms) {
    if (unix_ms <= 0) return "";
    const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

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

boost::json::object record_json(const policy::submission_record& r) {
    boost::json::object o;
    o["root"] = to_hex(r.root);
    o["network"] = r.network;
    o["state"] = std::string(policy::to_string(r.status));
    o["size"] = r.size;
    if (r.tx_seq) o["txSeq"] = *r.tx_seq;
    else o["txSeq"] = nullptr;
    o["txHash"] = r.tx_hash;
    o["fee"] = r.fee.to_decimal();
    o["file"] = r.file_name;
    o["path"] = r.local_path;
    o["replicas"] = r.replicas;
    o["account"] = r.account;
    o["created"] = utc(r.created_unix_ms);
    o["updated"] = utc(r.updated_unix_ms);
    o["expires"] = r.expires_unix_ms ? boost::json::value(utc(r.expires_unix_ms)) : boost::json::value(nullptr);
    o["lastError"] = r.last_error;
    return o;
}

result<store::database> open_files_database(const cli::args& a) {
    const auto env = config::environment::from_process();
    ZEROG_TRY(auto cfg, cli::load_config(a.get("profile"), env));
    return cli::open_database(cfg, env);
}

int print(const std::vector<policy::submission_record>& rows, bool js, bool detailed) {
    if (js) {
        boost::json::array out;
        for (const auto& r : rows) out.push_back(record_json(r));
        std::printf("%s\n", boost::json::serialize(out).c_str());
        return 0;
    }
    if (detailed) {
        for (const auto& r : rows) {
            const auto o = record_json(r);
            for (const auto& [k, v] : o) std::printf("%-10s %s\n", std::string(k).c_str(), v.is_string() ? std::string(v.get_string()).c_str() : boost::json::serialize(v).c_str());
            std::printf("\n");
        }
        return 0;
    }
    std::printf("%-66s  %-9s  %12s  %8s  %-20s  %s\n", "ROOT", "STATE", "SIZE", "TX_SEQ", "CREATED", "FILE");
    for (const auto& r : rows)
        std::printf("%-66s  %-9s  %12llu  %8s  %-20s  %s\n", to_hex(r.root).c_str(), std::string(policy::to_string(r.status)).c_str(),
                    static_cast<unsigned long long>(r.size), r.tx_seq ? std::to_string(*r.tx_seq).c_str() : "-", utc(r.created_unix_ms).c_str(),
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

}  // namespace

ZEROG_COMMAND(reg_files_list, "files list", "files list [--state S] [--since 24h|2026-12-01] [--limit N] [--profile P] [--json]", files_list);
ZEROG_COMMAND(reg_files_show, "files show", "files show ROOT [--profile P] [--json]", files_show);
