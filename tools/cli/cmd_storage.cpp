// `zerog upload|download|verify`: the storage client from the command line.
//
//   upload FILE [--profile P] [--replicas N] [--json]
//       → {"root","txSeq","txHash","fee","replicas","verified":true}
//   upload --estimate FILE [--profile P] [--json]
//       root and fee sectors computed locally, the Flow market's pricePerSector read from the
//       chain; prints the fee (exact neuron and 0G) and sends nothing (no key needed)
//       → {"estimate":true,"root","size","sectors","pricePerSector","fee","fee0G","flow","market","fragments"}
//   download ROOT --out PATH [--profile P] [--overwrite] [--json]
//       → {"root","size","txSeq","path","alreadyPresent","segmentsFetched","segmentsReused","segmentRequests"}
//       A network/deadline failure leaves PATH.zerog-part (+ .json sidecar); running the same
//       command again resumes from it (rule: include/zerog/client/storage_download.hpp).
//   verify ROOT [--profile P] [--json]
// Clients come from storage_session.hpp: `upload` signs (a key from ZG_PRIVATE_KEY / ZG_KEYSTORE,
// or on the devnet profile its public faucet key); `upload --estimate`, `download` and `verify`
// use the read-only storage_reader and need no key on any profile. A progress bar goes to stderr
// when it is a TTY and --json is off; logs (--log-level / ZEROG_LOG_LEVEL) go to stderr as JSON lines.
#include "storage_session.hpp"

#include <unistd.h>

#include <cstdio>
#include <limits>

namespace zerog::cli {

/// A one-line progress bar on stderr (only on a TTY).
inline client::progress_fn progress_bar(bool enabled) {
    if (!enabled || !::isatty(STDERR_FILENO)) return {};
    return [](const client::storage_progress& p) {
        static const char* names[] = {"hashing", "submitting", "uploading", "downloading", "verifying"};
        const double f = p.total ? static_cast<double>(std::min(p.done, p.total)) / static_cast<double>(p.total) : 0.0;
        const int w = 30, n = static_cast<int>(f * w);
        std::fprintf(stderr, "\r%-11s [%.*s%*s] %3d%%", names[static_cast<int>(p.what)], n, "##############################", w - n, "",
                     static_cast<int>(f * 100));
        std::fflush(stderr);
    };
}

inline void end_bar(bool enabled) {
    if (enabled && ::isatty(STDERR_FILENO)) std::fprintf(stderr, "\r%60s\r", "");
}

inline std::string upload_json(const client::upload_result& r) {
    return "{\"root\":\"" + to_hex(r.root) + "\",\"txSeq\":" + std::to_string(r.tx_seq) + ",\"txHash\":\"" + r.tx_hash +
           "\",\"fee\":\"" + r.fee.to_decimal() + "\",\"replicas\":" + std::to_string(r.replicas) +
           ",\"verified\":" + (r.verified ? "true" : "false") + "}";
}

inline int json_error(std::string_view cmd, const zerog::error& e, bool as_json) {
    if (!as_json) return report(cmd, e);
    boost::json::object o;
    o["command"] = cmd;
    o["message"] = e.message();
    boost::json::object w;
    w["error"] = std::move(o);
    std::printf("%s\n", boost::json::serialize(w).c_str());
    return 1;
}

/// Upload + download + verify on the devnet in `devnet_dir`, for `zerog demo`.
result<std::string> demo_storage_roundtrip(const std::string& devnet_dir, const std::string& in, const std::string& out) {
    auto vars = config::environment::from_process().vars();
    vars["ZEROG_DEVNET_DIR"] = devnet_dir;
    vars.erase("ZG_PRIVATE_KEY");
    vars.erase("ZG_KEYSTORE");
    vars.erase("ZEROG_CONFIG");
    vars.erase("ZEROG_PROFILE");
    vars.erase("ZEROG_DB");  // the devnet's own database (DIR/zerog.db), which the demo then lists
    ZEROG_TRY(auto s, open_storage_client(std::string("devnet"), config::environment(std::move(vars))));
    ZEROG_TRY(const auto up, s.client->upload(in));
    ZEROG_TRY(const auto down, s.client->download(up.root, out));
    ZEROG_TRY(const auto ver, s.client->verify(up.root));
    return "upload   " + upload_json(up) + "\ndownload " + std::to_string(down.size) + " bytes, root verified\nverify   finalized on " +
           std::to_string(ver.finalized_on.size()) + " node(s), " + std::to_string(ver.segments_checked) + " segment proof(s) checked";
}

}  // namespace zerog::cli

namespace {

using namespace zerog;

/// `upload --estimate FILE`: the fee an upload would pay now; nothing is signed or sent.
int estimate_upload(const cli::args& a, bool js) {
    auto s = cli::open_storage_reader(a.get("profile"), config::environment::from_process());
    if (!s) return cli::json_error("upload", s.error(), js);
    s->client->on_progress(cli::progress_bar(!js));
    auto e = s->client->estimate(a.positional().front());
    cli::end_bar(!js);
    if (!e) return cli::json_error("upload", e.error(), js);
    if (js) {
        boost::json::object o;
        o["estimate"] = true;
        o["root"] = to_hex(e->root);
        o["size"] = e->size;
        o["sectors"] = e->sectors;
        o["pricePerSector"] = e->price_per_sector.to_decimal();
        o["fee"] = e->fee.to_decimal();
        o["fee0G"] = format_token_amount(e->fee);
        o["flow"] = e->flow.to_checksum_hex();
        o["market"] = e->market.to_checksum_hex();
        o["fragments"] = e->fragment_roots.size();
        std::printf("%s\n", boost::json::serialize(o).c_str());
    } else {
        std::printf("file:             %s\nsize:             %llu bytes\nroot:             %s\nsectors:          %llu\n"
                    "price per sector: %s neuron (market %s)\nfee:              %s neuron (%s 0G)\n"
                    "estimate only: nothing was signed or sent\n",
                    a.positional().front().c_str(), static_cast<unsigned long long>(e->size), to_hex(e->root).c_str(),
                    static_cast<unsigned long long>(e->sectors), e->price_per_sector.to_decimal().c_str(),
                    e->market.to_checksum_hex().c_str(), e->fee.to_decimal().c_str(), format_token_amount(e->fee).c_str());
    }
    return 0;
}

int upload_cmd(const std::vector<std::string>& raw) {
    const cli::args a(raw, {"json", "estimate"});
    if (!a.errors().empty()) return cli::usage_error("upload", a.errors().front());
    if (auto u = a.unknown({"json", "profile", "replicas", "estimate", "retention"}); !u.empty()) return cli::usage_error("upload", "unknown option " + u.front());
    if (a.positional().size() != 1) return cli::usage_error("upload", "expected exactly one FILE");
    const bool js = a.has("json");
    if (a.has("estimate")) return estimate_upload(a, js);
    client::upload_options uo;
    if (auto r = a.get("replicas")) {
        try {
            std::size_t pos = 0;
            const unsigned long n = std::stoul(*r, &pos);
            if (pos != r->size() || n == 0 || n > config::defaults::replicas_cap) throw std::out_of_range("replicas");
            uo.replicas = static_cast<std::uint32_t>(n);
        } catch (...) {
            return cli::usage_error("upload", "--replicas must be 1.." + std::to_string(config::defaults::replicas_cap));
        }
    }
    if (auto keep = a.get("retention")) {
        // N followed by s, m, h or d: how long the record is kept (`files prune`); 0 = forever.
        const std::string& k = *keep;
        const std::string units = "smhd";
        std::size_t pos = 0;
        unsigned long n = 0;
        try {
            n = std::stoul(k, &pos);
        } catch (...) {
            pos = 0;
        }
        if (pos == 0 || pos + 1 != k.size() || units.find(k.back()) == std::string::npos || n > 36500ul * 86400ul)
            return cli::usage_error("upload", "--retention takes N followed by s, m, h or d (e.g. 30d; 0d keeps the record forever)");
        const unsigned long mult = k.back() == 's' ? 1 : k.back() == 'm' ? 60 : k.back() == 'h' ? 3600 : 86400;
        uo.retention = std::chrono::milliseconds(static_cast<std::int64_t>(n * mult) * 1000);
    }
    auto s = cli::open_storage_client(a.get("profile"), config::environment::from_process());
    if (!s) return cli::json_error("upload", s.error(), js);
    s->client->on_progress(cli::progress_bar(!js));
    auto r = s->client->upload(a.positional().front(), uo);
    cli::end_bar(!js);
    if (!r) return cli::json_error("upload", r.error(), js);
    if (js) std::printf("%s\n", cli::upload_json(*r).c_str());
    else
        std::printf("root:     %s\ntx_seq:   %llu\ntx:       %s\nfee:      %s wei\nreplicas: %u\nverified: %s\n", to_hex(r->root).c_str(),
                    static_cast<unsigned long long>(r->tx_seq), r->tx_hash.empty() ? "(none: already on chain)" : r->tx_hash.c_str(),
                    r->fee.to_decimal().c_str(), r->replicas, r->verified ? "yes" : "no");
    return 0;
}

int download_cmd(const std::vector<std::string>& raw) {
    const cli::args a(raw, {"json", "overwrite"});
    if (!a.errors().empty()) return cli::usage_error("download", a.errors().front());
    if (auto u = a.unknown({"json", "profile", "out", "overwrite"}); !u.empty()) return cli::usage_error("download", "unknown option " + u.front());
    if (a.positional().size() != 1 || !a.get("out")) return cli::usage_error("download", "expected ROOT and --out PATH");
    const bool js = a.has("json");
    auto root = from_hex_fixed<32>(a.positional().front());
    if (!root) return cli::usage_error("download", "ROOT must be a 0x-prefixed 32-byte hex hash");
    auto s = cli::open_storage_reader(a.get("profile"), config::environment::from_process());
    if (!s) return cli::json_error("download", s.error(), js);
    s->client->on_progress(cli::progress_bar(!js));
    client::download_options dopt;
    dopt.overwrite = a.has("overwrite");
    auto r = s->client->download(*root, *a.get("out"), dopt);
    cli::end_bar(!js);
    if (!r) return cli::json_error("download", r.error(), js);
    if (js)
        std::printf("{\"root\":\"%s\",\"size\":%llu,\"txSeq\":%llu,\"path\":%s,\"alreadyPresent\":%s,\"segmentsFetched\":%llu,"
                    "\"segmentsReused\":%llu,\"segmentRequests\":%llu}\n",
                    to_hex(r->root).c_str(), static_cast<unsigned long long>(r->size), static_cast<unsigned long long>(r->tx_seq),
                    boost::json::serialize(boost::json::value(*a.get("out"))).c_str(), r->already_present ? "true" : "false",
                    static_cast<unsigned long long>(r->segments_fetched), static_cast<unsigned long long>(r->segments_reused),
                    static_cast<unsigned long long>(r->segment_requests));
    else
        std::printf("%s: %llu bytes, root %s verified\n", a.get("out")->c_str(), static_cast<unsigned long long>(r->size),
                    to_hex(r->root).c_str());
    return 0;
}

int verify_cmd(const std::vector<std::string>& raw) {
    const cli::args a(raw, {"json"});
    if (!a.errors().empty()) return cli::usage_error("verify", a.errors().front());
    if (auto u = a.unknown({"json", "profile"}); !u.empty()) return cli::usage_error("verify", "unknown option " + u.front());
    if (a.positional().size() != 1) return cli::usage_error("verify", "expected exactly one ROOT");
    const bool js = a.has("json");
    auto root = from_hex_fixed<32>(a.positional().front());
    if (!root) return cli::usage_error("verify", "ROOT must be a 0x-prefixed 32-byte hex hash");
    auto s = cli::open_storage_reader(a.get("profile"), config::environment::from_process());
    if (!s) return cli::json_error("verify", s.error(), js);
    auto r = s->client->verify(*root);
    if (!r) return cli::json_error("verify", r.error(), js);
    if (js)
        std::printf("{\"root\":\"%s\",\"txSeq\":%llu,\"size\":%llu,\"finalizedOn\":%zu,\"segmentsChecked\":%u,\"verified\":true}\n",
                    to_hex(r->root).c_str(), static_cast<unsigned long long>(r->tx_seq), static_cast<unsigned long long>(r->size),
                    r->finalized_on.size(), r->segments_checked);
    else
        std::printf("root %s: tx_seq %llu, %llu bytes, finalized on %zu node(s), %u segment proof(s) verified\n", to_hex(r->root).c_str(),
                    static_cast<unsigned long long>(r->tx_seq), static_cast<unsigned long long>(r->size), r->finalized_on.size(),
                    r->segments_checked);
    return 0;
}

}  // namespace

/// `audit [--sample N] [--json]`: for every record of this network that was paid for, is the file
/// finalized on the nodes (as many copies as the record asked for) and do N sampled segment
/// proofs verify? Verdicts: ok, degraded (fewer copies), unavailable, corrupt. Exit 1 unless all ok.
int audit_cmd(const std::vector<std::string>& raw) {
    const cli::args a(raw, {"json"});
    if (!a.errors().empty()) return cli::usage_error("audit", a.errors().front());
    if (auto u = a.unknown({"json", "profile", "sample"}); !u.empty()) return cli::usage_error("audit", "unknown option " + u.front());
    unsigned samples = 3;
    if (auto n = a.get("sample")) {
        try {
            const unsigned long v = std::stoul(*n);
            if (v == 0 || v > 4096) throw std::out_of_range("sample");
            samples = static_cast<unsigned>(v);
        } catch (const std::exception&) {
            return cli::usage_error("audit", "--sample must be 1..4096");
        }
    }
    const bool js = a.has("json");
    const auto env = config::environment::from_process();
    auto cfg = cli::load_config(a.get("profile"), env);
    if (!cfg) return cli::json_error("audit", cfg.error(), js);
    auto db = cli::open_database(*cfg, env);
    if (!db) return cli::json_error("audit", db.error(), js);
    policy::submission_filter every;
    every.limit = std::numeric_limits<std::size_t>::max();
    auto rows = db->list_submissions(every);
    if (!rows) return cli::json_error("audit", rows.error(), js);
    auto o = client::storage_client_options::from_config(*cfg);
    o.verify_samples = samples;
    zerog::storage_reader reader(o, [] { return zerog::make_storage_reader_policies(cli::production_settings()); });
    const std::string chain = std::to_string(cfg->chain_id.value) + ":";
    boost::json::array report;
    std::size_t checked = 0, bad = 0;
    for (const auto& r : *rows) {
        if (r.network.rfind(chain, 0) != 0 || (!r.tx_seq && r.status != policy::submission_record::state::finalized)) continue;
        ++checked;
        auto v = reader.verify(r.root);
        std::string verdict = "ok", detail;
        if (!v) {
            const auto& e = v.error();
            // Bad bytes served: corrupt. Not finalized anywhere (a node lost it) or not found: unavailable.
            const bool lost = e.message().find("is not finalized on nodes") != std::string::npos;
            verdict = !lost && (e.is(errc::verification_failed) || e.is(errc::proof_invalid) || e.is(errc::root_mismatch)) ? "corrupt" : "unavailable";
            detail = e.message();
            ++bad;
        } else if (r.replicas > 0 && v->copies < r.replicas) {
            // Still readable, but fewer copies than were asked for: a node lost it (repair).
            verdict = "degraded";
            detail = std::to_string(v->copies) + " finalized cop" + (v->copies == 1 ? "y" : "ies") + " of " + std::to_string(r.replicas) +
                     " asked for; `zerog repair " + to_hex(r.root) + " --from FILE` re-sends the segments without paying";
            ++bad;
        } else {
            detail = "finalized on " + std::to_string(v->finalized_on.size()) + " node(s), " + std::to_string(v->segments_checked) +
                     " segment proof(s) verified";
        }
        if (js) {
            boost::json::object x;
            x["root"] = to_hex(r.root);
            x["file"] = r.file_name;
            x["verdict"] = verdict;
            x["detail"] = detail;
            report.push_back(std::move(x));
        } else {
            std::printf("%-11s %s  %s  %s\n", verdict.c_str(), to_hex(r.root).c_str(), r.file_name.c_str(), detail.c_str());
        }
    }
    if (js) std::printf("%s\n", boost::json::serialize(boost::json::object{{"checked", checked}, {"bad", bad}, {"files", std::move(report)}}).c_str());
    else std::printf("%zu file(s) checked, %zu not ok (degraded, unavailable or corrupt) (%s)\n", checked, bad, db->where().c_str());
    return bad == 0 ? 0 : 1;
}

ZEROG_COMMAND(reg_upload, "upload", "upload FILE [--profile P] [--replicas N] [--retention 30d] [--estimate] [--json]   (--estimate: print the fee, send nothing)",
              upload_cmd);
ZEROG_COMMAND(reg_download, "download", "download ROOT --out PATH [--profile P] [--overwrite] [--json]", download_cmd);
ZEROG_COMMAND(reg_verify, "verify", "verify ROOT [--profile P] [--json]", verify_cmd);
ZEROG_COMMAND(reg_audit, "audit", "audit [--sample N] [--profile P] [--json]   (every recorded file: finalized? N sampled proofs verify? exit 1 if not)", audit_cmd);
