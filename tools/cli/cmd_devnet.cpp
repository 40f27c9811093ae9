// `zerog devnet up|down|status|fault|serve`: the local 0G devnet (anvil + dev contracts, storage
// nodes, an indexer, compute provider emulators and optionally a KV node emulator; each service is
// a serve role, see serve_roles()).
//
//   up      [--dir D] [--nodes N] [--providers N] [--num-shard K] [--max-writings N] [--kv] [--kv-streams ID,…]
//           --providers: 0..2 (default 1), limited by anvil's public dev keys (a provider and a TEE
//           key each); the faucet account is funded with every provider (demo account)
//           --kv: a KV node serving every stream (devnet deviation); --kv-streams: only these
//   down    [--dir D]                     stop every process `up` started (idempotent)
//   status  [--dir D]                     devnet.json + liveness (+ the KV node's replay position);
//                                         exit 0 iff everything runs
//   fault   [--dir D] (--node I | --provider I | --kv) --mode MODE [--count N] [--ms N]
//   serve   --dir D --role node|indexer|provider|kv --index I   (hidden: what `up` runs per service)
// D defaults to $ZEROG_DEVNET_DIR, else .zerog/devnet.
#include "cli.hpp"

#include <zerog/devnet/compute_provider.hpp>
#include <zerog/devnet/indexer.hpp>
#include <zerog/devnet/kv_service.hpp>
#include <zerog/devnet/orchestrator.hpp>
#include <zerog/devnet/storage_service.hpp>

#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <iostream>

namespace {

namespace fs = std::filesystem;
namespace dv = zerog::devnet;
namespace json = boost::json;
using zerog::cli::args;

fs::path devnet_dir(const args& a) {
    if (auto d = a.get("dir")) return *d;
    if (const char* e = std::getenv("ZEROG_DEVNET_DIR"); e && *e) return e;
    return ".zerog/devnet";
}

std::optional<unsigned> uint_opt(const args& a, const std::string& name, unsigned dflt) {
    auto v = a.get(name);
    if (!v) return dflt;
    try {
        std::size_t pos = 0;
        const unsigned long x = std::stoul(*v, &pos);
        if (pos != v->size() || x > 1000000) return std::nullopt;
        return static_cast<unsigned>(x);
    } catch (...) {
        return std::nullopt;
    }
}

bool check(const args& a, const char* cmd, const std::vector<std::string>& known, int& code) {
    if (!a.errors().empty()) { code = zerog::cli::usage_error(cmd, a.errors().front()); return false; }
    if (auto u = a.unknown(known); !u.empty()) { code = zerog::cli::usage_error(cmd, "unknown option " + u.front()); return false; }
    if (!a.positional().empty()) { code = zerog::cli::usage_error(cmd, "unexpected argument " + a.positional().front()); return false; }
    return true;
}

/// "0x…,0x…" → the stream ids, each checked (64 hex digits, 0x optional), written 0x-prefixed.
std::optional<std::vector<std::string>> stream_list(const std::string& text, std::string& why) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at <= text.size()) {
        const std::size_t comma = std::min(text.find(',', at), text.size());
        const std::string item = text.substr(at, comma - at);
        auto id = zerog::kv::parse_stream_id(item);
        if (!id) {
            why = "--kv-streams: '" + item + "': " + id.error().detail();
            return std::nullopt;
        }
        out.push_back(zerog::to_hex(*id));
        at = comma + 1;
    }
    return out;
}

int up(const std::vector<std::string>& raw) {
    args a(raw, {"kv"});
    int code = 0;
    if (!check(a, "devnet up", {"dir", "nodes", "providers", "num-shard", "max-writings", "kv", "kv-streams"}, code)) return code;
    dv::up_options o;
    o.dir = devnet_dir(a);
    auto nodes = uint_opt(a, "nodes", 2), providers = uint_opt(a, "providers", 1), shards = uint_opt(a, "num-shard", 1),
         writings = uint_opt(a, "max-writings", 16);
    if (!nodes || !providers || !shards || !writings) return zerog::cli::usage_error("devnet up", "numbers must be non-negative integers");
    if (*nodes == 0 || *nodes > 16) return zerog::cli::usage_error("devnet up", "--nodes must be 1..16");
    if (*providers > dv::max_devnet_providers)
        return zerog::cli::usage_error("devnet up", "--providers must be 0.." + std::to_string(dv::max_devnet_providers) +
                                                        " (each provider needs two of anvil's public dev keys)");
    if (*shards == 0 || (*shards & (*shards - 1)) || *shards > *nodes)
        return zerog::cli::usage_error("devnet up", "--num-shard must be a power of two no larger than --nodes");
    o.nodes = *nodes;
    o.providers = *providers;
    o.num_shard = *shards;
    o.max_writings = *writings;
    o.kv = a.has("kv") || a.has("kv-streams");
    if (auto list = a.get("kv-streams")) {
        std::string why;
        auto ids = stream_list(*list, why);
        if (!ids) return zerog::cli::usage_error("devnet up", why);
        o.kv_streams = std::move(*ids);
    }
    o.exe = dv::self_exe();
    auto d = dv::devnet_up(o);
    if (!d) return zerog::cli::report("devnet up", d.error());
    std::printf("%s\n", json::serialize(*d).c_str());
    return 0;
}

int down(const std::vector<std::string>& raw) {
    args a(raw, {});
    int code = 0;
    if (!check(a, "devnet down", {"dir"}, code)) return code;
    const auto stopped = dv::devnet_down(devnet_dir(a));
    std::printf("stopped %zu process(es)\n", stopped.size());
    return 0;
}

int status(const std::vector<std::string>& raw) {
    args a(raw, {});
    int code = 0;
    if (!check(a, "devnet status", {"dir"}, code)) return code;
    auto s = dv::devnet_status(devnet_dir(a));
    std::printf("%s\n", json::serialize(s).c_str());
    return s.at("running").as_bool() ? 0 : 1;
}

int fault(const std::vector<std::string>& raw) {
    args a(raw, {"kv"});
    int code = 0;
    if (!check(a, "devnet fault", {"dir", "node", "provider", "kv", "mode", "count", "ms"}, code)) return code;
    if (int(a.has("node")) + int(a.has("provider")) + int(a.has("kv")) != 1)
        return zerog::cli::usage_error("devnet fault", "give exactly one of --node I, --provider I, --kv");
    auto mode = a.get("mode");
    if (!mode) return zerog::cli::usage_error("devnet fault", "--mode is required");
    const std::string kind = a.has("node") ? "node" : a.has("kv") ? "kv" : "provider";
    auto idx = kind == "kv" ? std::optional<unsigned>(0) : uint_opt(a, kind, 0);
    auto count = uint_opt(a, "count", 1), ms = uint_opt(a, "ms", 1000);
    if (!idx || !count || !ms) return zerog::cli::usage_error("devnet fault", "numbers must be non-negative integers");
    dv::fault_state f;
    f.mode = *mode;
    f.count = *count;
    f.ms = *ms;
    auto w = dv::write_fault(devnet_dir(a), kind, *idx, f);
    if (!w) return zerog::cli::usage_error("devnet fault", w.error().detail());
    std::printf("%s-%u: mode %s (count %llu, ms %llu)\n", kind.c_str(), *idx, w->mode.c_str(),
                static_cast<unsigned long long>(w->count), static_cast<unsigned long long>(w->ms));
    return 0;
}

int wipe(const std::vector<std::string>& raw) {
    args a(raw, {});
    int code = 0;
    if (!check(a, "devnet wipe", {"dir", "node"}, code)) return code;
    auto idx = uint_opt(a, "node", 0);
    if (!a.has("node") || !idx) return zerog::cli::usage_error("devnet wipe", "--node I is required");
    if (auto r = dv::devnet_wipe_node(devnet_dir(a), *idx, dv::self_exe()); !r) return zerog::cli::report("devnet wipe", r.error());
    std::printf("node-%u: data deleted, restarted; it re-syncs the log and holds no segment\n", *idx);
    return 0;
}

// ---- serve: one devnet service in the foreground until SIGTERM/SIGINT ------------------------

json::object read_config(const fs::path& p) {
    std::ifstream in(p);
    std::ostringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str()).as_object();
}

int serve_node(const fs::path& dir, unsigned index, boost::asio::io_context& ioc, std::function<void()>& on_stop) {
    const auto c = read_config(dir / "services" / ("node-" + std::to_string(index) + ".json"));
    dv::storage_service_config cfg;
    cfg.node.chain_id = c.at("chainId").to_number<std::uint64_t>();
    cfg.node.flow_address = std::string(c.at("flow").as_string());
    cfg.node.shard.num_shard = c.at("numShard").to_number<std::uint64_t>();
    cfg.node.shard.shard_id = c.at("shardId").to_number<std::uint64_t>();
    cfg.node.max_writings = c.at("maxWritings").to_number<std::uint64_t>();
    cfg.data_dir = std::string(c.at("dataDir").as_string());
    cfg.fault_file = std::string(c.at("faultFile").as_string());
    cfg.rpc_url = std::string(c.at("rpc").as_string());
    cfg.port = static_cast<std::uint16_t>(c.at("port").to_number<std::uint64_t>());
    auto svc = dv::storage_service::start(ioc.get_executor(), cfg);
    if (!svc) return zerog::cli::report("devnet serve", svc.error());
    on_stop = [s = *svc] { s->stop(); };
    std::fprintf(stderr, "storage node %u listening on %s\n", index, (*svc)->url().c_str());
    return 0;
}

int serve_indexer(const fs::path& dir, unsigned, boost::asio::io_context& ioc, std::function<void()>& on_stop) {
    const auto c = read_config(dir / "services" / "indexer.json");
    std::vector<dv::sharded_node> nodes;
    for (const auto& n : c.at("nodes").as_array()) {
        dv::sharded_node s;
        s.url = std::string(n.at("url").as_string());
        s.config.num_shard = n.at("numShard").to_number<std::uint64_t>();
        s.config.shard_id = n.at("shardId").to_number<std::uint64_t>();
        nodes.push_back(std::move(s));
    }
    auto svc = dv::indexer_service::start(ioc.get_executor(), std::move(nodes), static_cast<std::uint16_t>(c.at("port").to_number<std::uint64_t>()));
    if (!svc) return zerog::cli::report("devnet serve", svc.error());
    on_stop = [s = *svc] { s->stop(); };
    std::fprintf(stderr, "indexer listening on %s\n", (*svc)->url().c_str());
    return 0;
}

int serve_provider(const fs::path& dir, unsigned index, boost::asio::io_context& ioc, std::function<void()>& on_stop) {
    auto cfg = dv::provider_config_from_json(read_config(dir / "services" / ("provider-" + std::to_string(index) + ".json")));
    if (!cfg) return zerog::cli::report("devnet serve", cfg.error());
    // Blocks until the service is registered on InferenceServing (and acknowledged by the owner).
    auto svc = dv::compute_provider::start(ioc, std::move(*cfg));
    if (!svc) return zerog::cli::report("devnet serve", svc.error());
    on_stop = [s = *svc] { s->stop(); };
    std::fprintf(stderr, "compute provider %u (%s) listening on %s\n", index, (*svc)->address().to_checksum_hex().c_str(),
                 (*svc)->url().c_str());
    return 0;
}

int serve_kv(const fs::path& dir, unsigned, boost::asio::io_context& ioc, std::function<void()>& on_stop) {
    const auto c = read_config(dir / "services" / "kv.json");
    dv::kv_service_config cfg;
    cfg.rpc_url = std::string(c.at("rpc").as_string());
    cfg.flow_address = std::string(c.at("flow").as_string());
    for (const auto& n : c.at("nodes").as_array()) cfg.storage_nodes.push_back(std::string(n.as_string()));
    for (const auto& s : c.at("streams").as_array()) {
        auto id = zerog::kv::parse_stream_id(std::string_view(s.as_string()));
        if (!id) return zerog::cli::report("devnet serve", id.error());
        cfg.node.streams.push_back(*id);
    }
    cfg.node.serve_all_streams = c.at("serveAllStreams").as_bool();
    cfg.fault_file = std::string(c.at("faultFile").as_string());
    cfg.port = static_cast<std::uint16_t>(c.at("port").to_number<std::uint64_t>());
    auto svc = dv::kv_service::start(ioc.get_executor(), cfg);
    if (!svc) return zerog::cli::report("devnet serve", svc.error());
    on_stop = [s = *svc] { s->stop(); };
    std::fprintf(stderr, "KV node listening on %s (serving %s; state in memory, replayed from block 0)\n", (*svc)->url().c_str(),
                 cfg.node.serve_all_streams ? "every stream" : (std::to_string(cfg.node.streams.size()) + " stream(s)").c_str());
    return 0;
}

/// The serve roles: the seam for more emulators.
using serve_fn = int (*)(const fs::path&, unsigned, boost::asio::io_context&, std::function<void()>&);
std::map<std::string, serve_fn>& serve_roles() {
    static std::map<std::string, serve_fn> r{
        {"node", &serve_node}, {"indexer", &serve_indexer}, {"provider", &serve_provider}, {"kv", &serve_kv}};
    return r;
}

int serve(const std::vector<std::string>& raw) {
    args a(raw, {});
    int code = 0;
    if (!check(a, "devnet serve", {"dir", "role", "index"}, code)) return code;
    auto role = a.get("role");
    auto idx = uint_opt(a, "index", 0);
    if (!role || !idx || !a.has("dir")) return zerog::cli::usage_error("devnet serve", "needs --dir, --role and --index");
    auto it = serve_roles().find(*role);
    if (it == serve_roles().end()) return zerog::cli::usage_error("devnet serve", "unknown role " + *role);
    boost::asio::io_context ioc(1);
    std::function<void()> on_stop;
    if (int rc = it->second(devnet_dir(a), *idx, ioc, on_stop); rc != 0) return rc;
    boost::asio::signal_set sigs(ioc, SIGTERM, SIGINT);
    sigs.async_wait([&](const boost::system::error_code&, int) {
        if (on_stop) on_stop();
        ioc.stop();
    });
    ioc.run();
    return 0;
}

}  // namespace

ZEROG_COMMAND(reg_devnet_up, "devnet up",
              "devnet up [--dir D] [--nodes N] [--providers N (0..2, default 1: anvil dev keys allow two)] [--num-shard K] [--max-writings N] "
              "[--kv (a KV node serving every stream) | --kv-streams ID,… (serving only these)]",
              up);
ZEROG_COMMAND(reg_devnet_down, "devnet down", "devnet down [--dir D]", down);
ZEROG_COMMAND(reg_devnet_status, "devnet status", "devnet status [--dir D]", status);
ZEROG_COMMAND(reg_devnet_fault, "devnet fault",
              "devnet fault [--dir D] (--node I --mode none|down|error|flaky|busy|slow|corrupt|stale | --provider I --mode "
              "none|down|error|slow|bad-signature | --kv --mode none|down|error|flaky|slow|stale) [--count N] [--ms N]",
              fault);
ZEROG_COMMAND(reg_devnet_wipe, "devnet wipe", "devnet wipe --node I [--dir D]   (the node loses its data and restarts: for audit/repair)", wipe);
ZEROG_COMMAND(reg_devnet_serve, "devnet serve", "devnet serve --dir D --role node|indexer|provider|kv --index I   (internal)", serve);
