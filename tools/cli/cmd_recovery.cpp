// `zerog repair` and `zerog db rebuild`: bringing back what was paid for when a node or the
// database lost it (include/zerog/client/storage_recovery.hpp). Neither can pay: both run on a
// storage_maintainer, which records in the database but holds no key.
//
//   repair ROOT --from FILE [--no-verify] [--profile P] [--json]
//       FILE must hash to ROOT; the nodes that synced its Submit but lack the data get the
//       segments again; → {"root","txSeq","repaired":[…],"alreadyFinal":[…],"segmentsSent",
//       "verified","notes":[…]}; exit 1 when nothing could be repaired
//   db rebuild --from-chain [--from-block N] [--to-block N] [--account 0x…] [--profile P] [--json]
//       the records of every Submit the account sent to the Flow, checked on the nodes, merged
//       into the database (existing records keep what they have); the account defaults to the
//       configured key's address (ZG_PRIVATE_KEY / ZG_KEYSTORE, or the devnet faucet key)
//       → {"fromBlock","toBlock","added","updated","unchanged","records":[…],"notes":[…]}
#include "records.hpp"
#include "storage_session.hpp"

#include <zerog/crypto/secp256k1_context.hpp>

#include <cstdio>
#include <limits>

namespace {

using namespace zerog;

using cli::fail_with;  // {"error":{"command","message"}} with --json (cli.hpp)

boost::json::array strings(const std::vector<std::string>& v, bool redact) {
    boost::json::array a;
    for (const auto& s : v) a.push_back(boost::json::value(redact ? redact_endpoint(s) : s));
    return a;
}

int repair_cmd(const std::vector<std::string>& raw) {
    const cli::args a(raw, {"json", "no-verify"});
    if (!a.errors().empty()) return cli::usage_error("repair", a.errors().front());
    if (auto u = a.unknown({"json", "profile", "from", "no-verify"}); !u.empty()) return cli::usage_error("repair", "unknown option " + u.front());
    if (a.positional().size() != 1 || !a.get("from")) return cli::usage_error("repair", "expected ROOT and --from FILE");
    auto root = from_hex_fixed<32>(a.positional().front());
    if (!root) return cli::usage_error("repair", "ROOT must be a 0x-prefixed 32-byte hex hash");
    const bool js = a.has("json");
    auto s = cli::open_storage_maintainer(a.get("profile"), config::environment::from_process());
    if (!s) return fail_with("repair", s.error(), js);
    client::repair_options ro;
    ro.verify = !a.has("no-verify");
    auto r = s->client->repair(*root, *a.get("from"), ro);
    if (!r) return fail_with("repair", r.error(), js);
    std::vector<const client::repair_result*> parts;
    if (r->fragments.empty()) parts.push_back(&*r);
    for (const auto& f : r->fragments) parts.push_back(&f);
    std::size_t repaired = 0;
    if (js) {
        boost::json::array frags;
        for (const auto* p : parts) {
            repaired += p->repaired.size();
            frags.push_back(boost::json::object{{"root", to_hex(p->root)}, {"txSeq", p->tx_seq}, {"repaired", strings(p->repaired, true)},
                                                {"alreadyFinal", strings(p->already_final, true)}, {"segmentsSent", p->segments_sent},
                                                {"verified", p->verified}, {"notes", strings(p->notes, false)}});
        }
        boost::json::object o = frags.size() == 1 ? frags.front().as_object() : boost::json::object{{"root", to_hex(r->root)}, {"fragments", frags}};
        std::printf("%s\n", boost::json::serialize(o).c_str());
    } else {
        for (const auto* p : parts) {
            repaired += p->repaired.size();
            std::printf("root %s (tx_seq %llu): %zu node(s) repaired with %llu segment(s)%s, %zu already held it\n", to_hex(p->root).c_str(),
                        static_cast<unsigned long long>(p->tx_seq), p->repaired.size(), static_cast<unsigned long long>(p->segments_sent),
                        p->verified ? " and verified" : "", p->already_final.size());
            for (const auto& n : p->notes) std::printf("  note: %s\n", n.c_str());
        }
        std::printf("no transaction was sent\n");
    }
    bool any_final = false;
    for (const auto* p : parts) any_final = any_final || !p->repaired.empty() || !p->already_final.empty();
    return any_final ? 0 : 1;
}

int db_rebuild(const std::vector<std::string>& raw) {
    const cli::args a(raw, {"json", "from-chain"});
    if (!a.errors().empty()) return cli::usage_error("db rebuild", a.errors().front());
    if (auto u = a.unknown({"json", "profile", "from-chain", "from-block", "to-block", "account"}); !u.empty())
        return cli::usage_error("db rebuild", "unknown option " + u.front());
    if (!a.has("from-chain") || !a.positional().empty())
        return cli::usage_error("db rebuild", "the one source there is: --from-chain (the Flow's Submit events)");
    const bool js = a.has("json");
    client::rebuild_options ro;
    auto block = [&](const char* name) -> std::optional<std::uint64_t> {
        auto v = a.get(name);
        if (!v) return std::nullopt;
        std::uint64_t n = 0;
        if (v->empty() || v->size() > 19 || v->find_first_not_of("0123456789") != std::string::npos) throw std::invalid_argument(name);
        for (char c : *v) n = n * 10 + static_cast<std::uint64_t>(c - '0');
        return n;
    };
    try {
        ro.from_block = block("from-block").value_or(0);
        ro.to_block = block("to-block");
    } catch (const std::invalid_argument& e) {
        return cli::usage_error("db rebuild", std::string("--") + e.what() + " takes a block number");
    }
    const auto env = config::environment::from_process();
    if (auto acct = a.get("account")) {
        auto p = crypto::address::parse(*acct);
        if (!p) return cli::usage_error("db rebuild", "--account must be a 0x-prefixed 20-byte address");
        ro.account = *p;
    } else {
        // The configured key's address; the key itself is dropped at once (nothing is signed).
        auto cfg = cli::load_config(a.get("profile"), env);
        if (!cfg) return fail_with("db rebuild", cfg.error(), js);
        auto key = cli::signing_key(*cfg, env);
        if (!key) return fail_with("db rebuild", zerog::error(errc::invalid_argument, "no account: give --account 0x… or configure a key"), js);
        ro.account = crypto::address_of(*key);
    }
    auto s = cli::open_storage_maintainer(a.get("profile"), env);
    if (!s) return fail_with("db rebuild", s.error(), js);
    auto r = s->client->rebuild_records(ro);
    if (!r) return fail_with("db rebuild", r.error(), js);
    if (js) {
        boost::json::array recs;
        for (const auto& x : r->records) recs.push_back(cli::submission_json(x, false));
        std::printf("%s\n", boost::json::serialize(boost::json::object{{"fromBlock", r->from_block}, {"toBlock", r->to_block}, {"added", r->added},
                                                                       {"updated", r->updated}, {"unchanged", r->unchanged},
                                                                       {"records", std::move(recs)}, {"notes", strings(r->notes, false)}})
                                .c_str());
    } else {
        for (const auto& x : r->records)
            std::printf("%-66s  %-9s  %12llu  tx_seq %-8llu  %s\n", to_hex(x.root).c_str(), std::string(policy::to_string(x.status)).c_str(),
                        static_cast<unsigned long long>(x.size), static_cast<unsigned long long>(x.tx_seq.value_or(0)), x.tx_hash.c_str());
        for (const auto& n : r->notes) std::printf("note: %s\n", n.c_str());
        std::printf("blocks %llu..%llu: %zu Submit event(s); %zu record(s) added, %zu updated, %zu unchanged\n",
                    static_cast<unsigned long long>(r->from_block), static_cast<unsigned long long>(r->to_block), r->records.size(), r->added,
                    r->updated, r->unchanged);
    }
    return 0;
}

}  // namespace

ZEROG_COMMAND(reg_repair, "repair", "repair ROOT --from FILE [--no-verify] [--profile P] [--json]   (re-sends lost segments; never pays)", repair_cmd);
ZEROG_COMMAND(reg_db_rebuild, "db rebuild",
              "db rebuild --from-chain [--from-block N] [--to-block N] [--account 0x…] [--profile P] [--json]   (records from the Flow's Submit events)",
              db_rebuild);
