// The local 0G devnet orchestrator behind `zerog devnet up|down|status|fault`.
//
// `up` starts anvil (chain 16602, hardfork cancun as the dev contracts are compiled for,
// 127.0.0.1, a free port), compiles the dev contracts when the artefact is missing, deploys
// Flow (+ its FixedPrice market), LedgerManager and InferenceServing from anvil account 0 with
// our own transaction code, then starts the services of the plan (`service_spec`: storage
// nodes, indexer, compute provider emulators) as detached processes re-running this binary as
// `zerog devnet serve --dir D --role R --index I`, waits until each answers, sets up the demo
// compute account (compute_setup.hpp) and writes D/devnet.json. With `kv`, a KV node emulator
// (kv_service.hpp, role "kv") follows the Flow and the storage nodes; its URL is devnet.json's
// "kv" (absent without it) and its fault file faults/kv-0.json. Every pid is recorded in D/state.json
// as soon as it exists, so `down` (SIGTERM, bounded wait, SIGKILL; by pid, after checking the
// process's command line) cleans up after a half-finished `up` too. `up` itself calls `down` on
// any failure.
//
// Directory layout: devnet.json, state.json, services/<role>-<i>.json (each service's config),
// data/node-<i>/ (node storage), faults/<kind>-<i>.json, logs/<name>.log.
//
// Thread safety: one orchestrator call at a time per directory (not locked).
#pragma once

#include <zerog/codec/abi.hpp>
#include <zerog/devnet/chain.hpp>
#include <zerog/devnet/compute_setup.hpp>
#include <zerog/devnet/faults.hpp>
#include <zerog/devnet/process.hpp>
#include <zerog/net/sync.hpp>

#include <cstdlib>
#include <functional>
#include <map>

namespace zerog::devnet {

namespace fs = std::filesystem;

/// Anvil's first development account (public, documented by Foundry): the devnet's deployer and
/// faucet. Never a real key.
inline constexpr std::string_view anvil_key0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
inline constexpr std::uint64_t devnet_chain_id = 16602;

/// Options of `up`.
struct up_options {
    fs::path dir;
    unsigned nodes = 2;
    unsigned providers = 1;  ///< compute provider emulators, 0..max_devnet_providers
    unsigned num_shard = 1;  ///< node i gets (num_shard, i % num_shard)
    unsigned max_writings = 16;
    /// Start a KV node emulator. It serves `kv_streams`, or every stream when that is empty (a
    /// devnet deviation: namespaces are created at run time).
    bool kv = false;
    std::vector<std::string> kv_streams;  ///< 0x… stream ids
    fs::path exe;            ///< this binary (re-executed for the services)
    std::chrono::milliseconds ready_timeout{5000};
};

/// Where the fixtures (anvil, the TS SDK) and the source tree are.
struct tool_paths {
    fs::path fixtures, source, anvil, compile_script, artefact;
};

/// Find tools/fixtures: $ZEROG_FIXTURES_DIR, $ZEROG_SOURCE_DIR/tools/fixtures, or the first
/// ancestor of the executable's (then the current) directory that has tools/fixtures.
/// Errors: not_found.
inline result<tool_paths> locate_tools(const fs::path& exe) {
    tool_paths t;
    auto has_anvil = [](const fs::path& f) { return fs::exists(f / "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"); };
    if (const char* e = std::getenv("ZEROG_FIXTURES_DIR"); e && *e) t.fixtures = e;
    else if (const char* s = std::getenv("ZEROG_SOURCE_DIR"); s && *s) t.fixtures = fs::path(s) / "tools" / "fixtures";
    else {
        for (fs::path start : {exe.parent_path(), fs::current_path()})
            for (fs::path p = start; !p.empty(); p = p.parent_path()) {
                if (has_anvil(p / "tools" / "fixtures")) { t.fixtures = p / "tools" / "fixtures"; break; }
                if (p == p.parent_path()) break;
            }
    }
    if (t.fixtures.empty() || !has_anvil(t.fixtures))
        return fail(errc::not_found, "cannot find tools/fixtures with anvil (set ZEROG_FIXTURES_DIR; install with npm ci in tools/fixtures)");
    t.fixtures = fs::absolute(t.fixtures);
    t.source = t.fixtures.parent_path().parent_path();
    t.anvil = t.fixtures / "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil";
    t.compile_script = t.source / "tools/devnet/compile.mjs";
    t.artefact = t.source / "tools/devnet/build/contracts.json";
    return t;
}

/// One service the orchestrator runs (the seam for the compute provider emulator: append more).
struct service_spec {
    std::string name;    ///< "anvil", "node-0", "indexer", "provider-0"
    std::string role;    ///< serve --role
    unsigned index = 0;
    std::uint16_t port = 0;
    json::object config; ///< written to services/<name>.json, read by `serve`
    std::string ready_method;  ///< JSON-RPC method that answers once the service is ready
};

/// D/state.json: pids by service name (written incrementally).
inline json::object read_state(const fs::path& dir) {
    std::ifstream in(dir / "state.json");
    std::ostringstream ss;
    ss << in.rdbuf();
    boost::system::error_code ec;
    auto v = json::parse(ss.str(), ec);
    return (!ec && v.is_object()) ? v.get_object() : json::object();
}
inline result<void> write_json_file(const fs::path& p, const json::value& v) {
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    const auto tmp = p.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << json::serialize(v) << "\n";
        if (!out) return fail(errc::io_error, "cannot write " + tmp);
    }
    fs::rename(tmp, p, ec);
    if (ec) return fail(errc::io_error, "cannot write " + p.string() + ": " + ec.message());
    return {};
}

/// The text every process we start carries in its command line, checked before signalling it:
/// the one recorded in state.json ("markers"; anvil's is "--port <P>"), else the devnet dir.
inline std::string process_marker(const fs::path& dir, const std::string& name, const json::object* state = nullptr) {
    if (state)
        if (const auto* m = state->if_contains("markers"); m && m->is_object())
            if (const auto* v = m->get_object().if_contains(name); v && v->is_string()) return std::string(v->get_string());
    std::error_code ec;
    return fs::weakly_canonical(dir, ec).string();
}

/// Stop everything D/state.json lists. Idempotent. Returns the names stopped.
inline std::vector<std::string> devnet_down(const fs::path& dir) {
    std::vector<std::string> stopped;
    json::object st = read_state(dir);
    const auto* pids = st.if_contains("pids");
    if (!pids || !pids->is_object()) return stopped;
    // Services first, the chain last (nodes poll it until they stop).
    std::vector<std::pair<std::string, int>> order;
    for (const auto& kv : pids->get_object())
        if (kv.value().is_int64()) order.emplace_back(std::string(kv.key()), static_cast<int>(kv.value().get_int64()));
    std::stable_partition(order.begin(), order.end(), [](const auto& p) { return p.first != "anvil"; });
    for (const auto& [name, pid] : order) {
        const std::string marker = process_marker(dir, name, &st);
        const bool was = process_matches(pid, marker);
        stop_process(pid, marker);
        if (was) stopped.push_back(name);
    }
    std::error_code ec;
    fs::remove(dir / "state.json", ec);
    return stopped;
}

namespace detail {

inline asio::awaitable<result<json::object>> deploy_all(std::string rpc, tool_paths tools) {
    rpc_client c(net::http_transport(), rpc);
    ZEROG_CO_TRY(auto signer, crypto::secp256k1_signer::from_hex(anvil_key0));
    std::ifstream in(tools.artefact);
    std::ostringstream ss;
    ss << in.rdbuf();
    boost::system::error_code ec;
    auto art = json::parse(ss.str(), ec);
    if (ec || !art.is_object()) co_return fail(errc::parse_error, "cannot read " + tools.artefact.string());
    auto creation = [&](const char* name, const bytes& args) -> result<bytes> {
        const auto* o = art.get_object().if_contains(name);
        if (!o || !o->is_object() || !o->get_object().contains("bytecode")) return fail(errc::not_found, std::string(name) + " missing in the artefact");
        ZEROG_TRY(auto code, from_hex(std::string_view(o->get_object().at("bytecode").as_string())));
        code.insert(code.end(), args.begin(), args.end());
        return code;
    };
    namespace abi = codec::abi;
    ZEROG_CO_TRY(std::uint64_t nonce, co_await pending_nonce(c, signer.address()));
    const std::vector<abi::type> u256{*abi::parse_type("uint256")};
    ZEROG_CO_TRY(auto flow_args, abi::encode(u256, abi::value::list{abi::value::uint(uint256(0))}));
    ZEROG_CO_TRY(auto flow_code, creation("Flow", flow_args));
    ZEROG_CO_TRY(auto flow_r, co_await send_and_wait(c, signer, devnet_chain_id, nonce++, std::nullopt, std::move(flow_code)));
    const crypto::address flow = *flow_r.contract;
    ZEROG_CO_TRY(auto market_call, abi::encode_call("market()"));
    ZEROG_CO_TRY(auto market_ret, co_await eth_call(c, flow, std::move(market_call)));
    ZEROG_CO_TRY(auto market, abi::decode_as<crypto::address>("(address)", market_ret));
    ZEROG_CO_TRY(auto ledger_code, creation("LedgerManager", bytes()));
    ZEROG_CO_TRY(auto ledger_r, co_await send_and_wait(c, signer, devnet_chain_id, nonce++, std::nullopt, std::move(ledger_code)));
    const crypto::address ledger = *ledger_r.contract;
    const std::vector<abi::type> serving_types{*abi::parse_type("uint256"), *abi::parse_type("address")};
    ZEROG_CO_TRY(auto serving_args, abi::encode(serving_types, abi::value::list{abi::value::uint(uint256(3600)), abi::value::addr(ledger)}));
    ZEROG_CO_TRY(auto serving_code, creation("InferenceServing", serving_args));
    ZEROG_CO_TRY(auto serving_r, co_await send_and_wait(c, signer, devnet_chain_id, nonce++, std::nullopt, std::move(serving_code)));
    const crypto::address serving = *serving_r.contract;
    ZEROG_CO_TRY(auto reg, abi::encode_call("registerService(string,string,address,string)", std::string("inference"), std::string("v1.0"),
                                            serving, std::string("devnet inference")));
    ZEROG_CO_TRY(auto reg_r, co_await send_and_wait(c, signer, devnet_chain_id, nonce++, ledger, std::move(reg)));
    (void)reg_r;
    json::object out;
    out["flow"] = flow.to_checksum_hex();
    out["market"] = market.to_checksum_hex();
    out["ledger"] = ledger.to_checksum_hex();
    out["inference"] = serving.to_checksum_hex();
    co_return out;
}

/// Poll `method` on `url` until it answers with a result (returned), ≤ `until`.
inline asio::awaitable<result<json::value>> wait_ready(std::string url, std::string method, std::chrono::steady_clock::time_point until) {
    rpc_client c(net::http_transport(), url);
    for (;;) {
        auto r = co_await c.call_async(method, json::array(), local_request(std::chrono::milliseconds(500)));
        if (r) co_return std::move(*r);
        if (std::chrono::steady_clock::now() > until) co_return fail(std::move(r).error().during("waiting for " + url + " to be ready"));
        co_await sleep_for(std::chrono::milliseconds(20));
    }
}

inline result<void> run_compile(const tool_paths& t, const fs::path& log) {
    const std::string cmd = "timeout 180 node '" + t.compile_script.string() + "' > '" + log.string() + "' 2>&1";
    if (std::system(cmd.c_str()) != 0 || !fs::exists(t.artefact))
        return fail(errc::io_error, "compiling the dev contracts failed (see " + log.string() + ")");
    return {};
}

}  // namespace detail

/// Start the devnet (see the file comment). Returns the devnet.json object.
inline result<json::object> devnet_up(up_options o) {
    if (o.nodes == 0 || o.nodes > 16) return fail(errc::invalid_argument, "--nodes must be 1..16");
    if (o.providers > max_devnet_providers)
        return fail(errc::invalid_argument, "--providers must be 0.." + std::to_string(max_devnet_providers) + " (anvil dev keys)");
    if (o.num_shard == 0 || (o.num_shard & (o.num_shard - 1)) || o.num_shard > o.nodes)
        return fail(errc::invalid_argument, "--num-shard must be a power of two ≤ --nodes");
    std::error_code ec;
    fs::create_directories(o.dir, ec);
    if (ec) return fail(errc::io_error, "cannot create " + o.dir.string() + ": " + ec.message());
    o.dir = fs::canonical(o.dir);
    {
        const json::object st = read_state(o.dir);
        if (const auto* p = st.if_contains("pids"); p && p->is_object())
            for (const auto& kv : p->get_object())
                if (kv.value().is_int64() && process_matches(static_cast<int>(kv.value().get_int64()), process_marker(o.dir, std::string(kv.key()), &st)))
                    return fail(errc::invalid_argument, "a devnet is already running in " + o.dir.string() + " (zerog devnet down --dir " + o.dir.string() + ")");
    }
    ZEROG_TRY(auto tools, locate_tools(o.exe));
    // A new devnet is a new chain: old node data and faults would describe another chain.
    for (const char* sub : {"data", "faults", "services"}) fs::remove_all(o.dir / sub, ec);
    fs::remove(o.dir / "devnet.json", ec);
    fs::create_directories(o.dir / "logs", ec);

    json::object state;
    json::object pids, markers;
    auto record = [&](const std::string& name, int pid, const std::string& marker) {
        pids[name] = pid;
        markers[name] = marker;
        state["pids"] = pids;
        state["markers"] = markers;
        return write_json_file(o.dir / "state.json", state);
    };
    auto fail_up = [&](zerog::error e) -> result<json::object> {
        devnet_down(o.dir);
        return fail(std::move(e).during("starting the devnet in " + o.dir.string()));
    };

    // 1. anvil
    ZEROG_TRY(std::uint16_t anvil_port, free_port());
    const std::string rpc = "http://127.0.0.1:" + std::to_string(anvil_port);
    std::vector<std::string> anvil_argv{tools.anvil.string(), "--host", "127.0.0.1", "--port", std::to_string(anvil_port),
                                        "--chain-id", std::to_string(devnet_chain_id), "--hardfork", "cancun", "--silent"};
    auto anvil_pid = spawn_detached(anvil_argv, o.dir / "logs" / "anvil.log");
    if (!anvil_pid) return fail_up(anvil_pid.error());
    if (auto r = record("anvil", *anvil_pid, "--port " + std::to_string(anvil_port)); !r) return fail_up(r.error());
    net::blocking_runner runner;
    if (auto r = runner.run(detail::wait_ready(rpc, "eth_chainId", std::chrono::steady_clock::now() + o.ready_timeout)); !r)
        return fail_up(r.error());

    // 2. contracts
    if (!fs::exists(tools.artefact))
        if (auto r = detail::run_compile(tools, o.dir / "logs" / "compile.log"); !r) return fail_up(r.error());
    auto deployed = runner.run(detail::deploy_all(rpc, tools));
    if (!deployed) return fail_up(deployed.error());

    // 3. services
    std::vector<service_spec> plan;
    json::array node_urls, indexer_nodes;
    for (unsigned i = 0; i < o.nodes; ++i) {
        service_spec s;
        s.name = "node-" + std::to_string(i);
        s.role = "node";
        s.index = i;
        if (auto p = free_port()) s.port = *p;
        else return fail_up(p.error());  // anvil runs already
        const std::string url = "http://127.0.0.1:" + std::to_string(s.port);
        s.config = json::object{{"port", s.port}, {"rpc", rpc}, {"flow", deployed->at("flow")}, {"chainId", devnet_chain_id},
                                {"numShard", o.num_shard}, {"shardId", i % o.num_shard}, {"maxWritings", o.max_writings},
                                {"dataDir", (o.dir / "data" / s.name).string()},
                                {"faultFile", fault_file(o.dir, "node", i).string()}};
        s.ready_method = "zgs_getStatus";
        node_urls.push_back(json::value(url));
        indexer_nodes.push_back(json::object{{"url", url}, {"numShard", o.num_shard}, {"shardId", i % o.num_shard}});
        plan.push_back(std::move(s));
    }
    const std::size_t indexer_at = plan.size();
    {
        service_spec s;
        s.name = "indexer";
        s.role = "indexer";
        if (auto p = free_port()) s.port = *p;
        else return fail_up(p.error());  // anvil runs already
        s.config = json::object{{"port", s.port}, {"nodes", indexer_nodes}};
        s.ready_method = "indexer_getShardedNodes";
        plan.push_back(std::move(s));
    }
    std::optional<std::size_t> kv_at;
    if (o.kv) {
        service_spec s;
        s.name = "kv";
        s.role = "kv";
        if (auto p = free_port()) s.port = *p;
        else return fail_up(p.error());
        json::array streams;
        for (const auto& id : o.kv_streams) streams.push_back(json::value(id));
        s.config = json::object{{"port", s.port}, {"rpc", rpc}, {"flow", deployed->at("flow")}, {"nodes", node_urls},
                                {"streams", std::move(streams)}, {"serveAllStreams", o.kv_streams.empty()},
                                {"faultFile", fault_file(o.dir, "kv", 0).string()}};
        s.ready_method = "kv_getStatus";
        kv_at = plan.size();
        plan.push_back(std::move(s));
    }
    const std::size_t first_provider = plan.size();
    for (unsigned i = 0; i < o.providers; ++i) {
        service_spec s;
        s.name = "provider-" + std::to_string(i);
        s.role = "provider";
        s.index = i;
        if (auto p = free_port()) s.port = *p;
        else return fail_up(p.error());
        auto cfg = provider_service_config(o.dir, i, s.port, rpc, devnet_chain_id, std::string(deployed->at("inference").as_string()),
                                           anvil_key0);
        if (!cfg) return fail_up(cfg.error());
        s.config = std::move(*cfg);
        s.ready_method = "devnet_providerStatus";
        plan.push_back(std::move(s));
    }
    auto launch = [&](const service_spec& s) -> result<void> {
        ZEROG_CHECK(write_json_file(o.dir / "services" / (s.name + ".json"), s.config));
        std::vector<std::string> argv{o.exe.string(), "devnet", "serve", "--dir", o.dir.string(), "--role", s.role, "--index", std::to_string(s.index)};
        ZEROG_TRY(int pid, spawn_detached(argv, o.dir / "logs" / (s.name + ".log")));
        return record(s.name, pid, o.dir.string());
    };
    const auto until = std::chrono::steady_clock::now() + o.ready_timeout;
    auto ready = [&](const service_spec& s) {
        return runner.run(detail::wait_ready("http://127.0.0.1:" + std::to_string(s.port), s.ready_method, until));
    };
    // Storage services and the first provider start together. Providers after the first start one
    // at a time: each has the contract owner (key 0) acknowledge its TEE signer, and two processes
    // reading the owner's pending nonce at once would send conflicting transactions.
    for (std::size_t i = 0; i < plan.size() && i <= first_provider; ++i)
        if (auto r = launch(plan[i]); !r) return fail_up(r.error());
    std::vector<json::value> answers(plan.size());
    for (std::size_t i = 0; i < plan.size(); ++i) {
        if (i > first_provider)
            if (auto r = launch(plan[i]); !r) return fail_up(r.error());
        auto r = ready(plan[i]);
        if (!r) return fail_up(r.error());
        answers[i] = std::move(*r);
    }

    // 4. the demo compute account (after the providers: key 0 must be idle again)
    json::array providers, provider_details;
    std::vector<crypto::address> provider_addrs;
    for (std::size_t i = first_provider; i < plan.size(); ++i) {
        const auto* st = answers[i].if_object();
        std::optional<crypto::address> addr;
        if (st && st->contains("url") && st->contains("model"))
            if (const auto* a = st->if_contains("address"); a && a->is_string())
                if (auto p = crypto::address::parse(std::string_view(a->get_string()))) addr = *p;
        if (!addr) return fail_up(zerog::error(errc::malformed_response, plan[i].name + ": unexpected devnet_providerStatus answer"));
        provider_addrs.push_back(*addr);
        // `providers` keeps the three fields the config loader accepts (config/sources.hpp refuses
        // unknown provider fields); the full status (TEE signer, prices, …) is in providerDetails.
        providers.push_back(json::object{{"address", st->at("address")}, {"url", st->at("url")}, {"model", st->at("model")}});
        provider_details.push_back(*st);
    }
    json::object demo;
    if (!provider_addrs.empty()) {
        auto ledger = crypto::address::parse(std::string_view(deployed->at("ledger").as_string()));
        auto serving = crypto::address::parse(std::string_view(deployed->at("inference").as_string()));
        auto d = runner.run(setup_demo_account(rpc, devnet_chain_id, *ledger, *serving, std::string(anvil_key0), provider_addrs));
        if (!d) return fail_up(d.error());
        demo = std::move(*d);
    }

    // 5. devnet.json
    json::object d;
    d["chainId"] = devnet_chain_id;
    d["rpc"] = rpc;
    for (const char* k : {"flow", "market", "ledger", "inference"}) d[k] = deployed->at(k);
    d["indexer"] = "http://127.0.0.1:" + std::to_string(plan[indexer_at].port);
    if (kv_at) d["kv"] = "http://127.0.0.1:" + std::to_string(plan[*kv_at].port);
    d["nodes"] = node_urls;
    d["providers"] = providers;
    d["providerDetails"] = provider_details;
    if (!demo.empty()) d["demoAccount"] = demo;
    d["faucetKey"] = anvil_key0;
    d["numShard"] = o.num_shard;
    d["pids"] = pids;
    d["dir"] = o.dir.string();
    if (auto r = write_json_file(o.dir / "devnet.json", d); !r) return fail_up(r.error());
    return d;
}

/// Lose storage node `index`'s data as a failed disk would: stop the node, delete its data folder,
/// start it again on the same port with the same configuration. It re-reads the Flow's Submit
/// events from block 0 and reports every file again, none finalized, holding no segment: what a
/// real node does after losing its database. What `audit` must notice and `repair` must fix.
/// Errors: not_found (no such node in this devnet), io_error, the readiness wait's.
inline result<void> devnet_wipe_node(const fs::path& dir, unsigned index, const fs::path& exe,
                                     std::chrono::milliseconds ready_timeout = std::chrono::milliseconds(10000)) {
    const std::string name = "node-" + std::to_string(index);
    const std::string during = "wiping devnet storage " + name + " in " + dir.string();
    json::object st = read_state(dir);
    auto* pids = st.if_contains("pids");
    if (!pids || !pids->is_object() || !pids->get_object().contains(name) || !pids->get_object().at(name).is_int64())
        return zerog::error(errc::not_found, "this devnet has no " + name).during(during);
    std::ifstream in(dir / "services" / (name + ".json"));
    std::ostringstream ss;
    ss << in.rdbuf();
    boost::system::error_code jec;
    auto cfg = json::parse(ss.str(), jec);
    if (jec || !cfg.is_object() || !cfg.get_object().contains("dataDir") || !cfg.get_object().contains("port"))
        return zerog::error(errc::parse_error, "damaged " + (dir / "services" / (name + ".json")).string()).during(during);
    const fs::path data = std::string(cfg.at("dataDir").as_string());
    const auto port = cfg.at("port").to_number<std::uint64_t>();
    stop_process(static_cast<int>(pids->get_object().at(name).get_int64()), process_marker(dir, name, &st));
    std::error_code ec;
    fs::remove_all(data, ec);
    if (ec) return zerog::error(errc::io_error, "cannot delete " + data.string() + ": " + ec.message()).during(during);
    std::vector<std::string> argv{exe.string(), "devnet", "serve", "--dir", dir.string(), "--role", "node", "--index", std::to_string(index)};
    ZEROG_TRY(const int pid, spawn_detached(argv, dir / "logs" / (name + ".log")));
    pids->get_object()[name] = pid;
    ZEROG_CHECK(write_json_file(dir / "state.json", st));
    net::blocking_runner runner;
    const std::string url = "http://127.0.0.1:" + std::to_string(port);
    if (auto r = runner.run(detail::wait_ready(url, "zgs_getStatus", std::chrono::steady_clock::now() + ready_timeout)); !r)
        return std::move(r).error().during(during);
    return {};
}

/// `status`: devnet.json plus whether each recorded process is alive, and with a KV node its
/// replay position (`devnet_kvStatus`, asked with a 1 s bound; an error object when it does not
/// answer).
inline json::object devnet_status(const fs::path& dir) {
    json::object out;
    std::ifstream in(dir / "devnet.json");
    std::ostringstream ss;
    ss << in.rdbuf();
    boost::system::error_code ec;
    auto d = json::parse(ss.str(), ec);
    if (!ec && d.is_object()) out["devnet"] = d;
    json::object alive;
    bool all = true, any = false;
    const json::object st = read_state(dir);
    if (const auto* p = st.if_contains("pids"); p && p->is_object())
        for (const auto& kv : p->get_object()) {
            const bool a = kv.value().is_int64() &&
                           process_matches(static_cast<int>(kv.value().get_int64()), process_marker(dir, std::string(kv.key()), &st));
            alive[kv.key()] = a;
            all = all && a;
            any = any || a;
        }
    out["processes"] = alive;
    out["running"] = any && all && out.contains("devnet");
    if (const auto* dv = out.if_contains("devnet"); dv && dv->is_object())
        if (const auto* kv = dv->get_object().if_contains("kv"); kv && kv->is_string()) {
            net::blocking_runner runner;
            rpc_client c(net::http_transport(), std::string(kv->get_string()));
            auto r = runner.run(c.call_async("devnet_kvStatus", json::array(), local_request(std::chrono::milliseconds(1000))));
            out["kv"] = r ? *r : json::value(json::object{{"error", r.error().message()}});
        }
    return out;
}

}  // namespace zerog::devnet
