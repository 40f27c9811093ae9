// `zerog health [--profile P] [--timeout-ms N] [--json]`: the state of every dependency of the
// configuration (include/zerog/client/health.hpp): chain RPC endpoints, storage nodes, indexers,
// contracts, compute providers, KV nodes and the database, each with its status, latency, last
// error and breaker state, and whether a service on this configuration is ready.
//
// Exit status: 0 when ready (also when degraded: a node down while another serves), 1 when
// readiness is lost (or the configuration does not load), 2 on a usage error. So a node in `down`
// mode shows as unhealthy without failing the command, and the last node down fails it.
//
//   text:   one line per dependency, then "ready|NOT READY (reasons) — status"
//   --json: {"live","ready","status","notReadyBecause":[…],"dependencies":[{"dependency","name",
//            "endpoint","status","latencyMs","observed"|"error","breaker","neededForReadiness"}]}
//
// The database is probed with one read of the payment records (the same database every paying
// command uses: --db, ZEROG_DB, the config's, the devnet's). One-shot: no client has run in this
// process, so the breaker state is "unknown"; a long-running service passes its clients' states.
#include "session.hpp"

#include <zerog/client/health.hpp>
#include <zerog/net/http_transport.hpp>
#include <zerog/net/sync.hpp>

#include <boost/json.hpp>

#include <cstdio>

namespace {

using namespace zerog;

constexpr const char* cmd = "health";

int health(const std::vector<std::string>& raw) {
    const cli::args a(raw, {"json"});
    if (!a.errors().empty()) return cli::usage_error(cmd, a.errors().front());
    if (auto u = a.unknown({"profile", "json", "timeout-ms"}); !u.empty()) return cli::usage_error(cmd, "unknown option " + u.front());
    if (!a.positional().empty()) return cli::usage_error(cmd, "unexpected argument " + a.positional().front());
    const bool as_json = a.has("json");
    client::health_options ho;
    bool ok = true;
    if (auto ms = a.unsigned_option("timeout-ms", ok, 1, 600'000); ms) ho.checks.per_check_timeout = std::chrono::milliseconds(*ms);
    if (!ok) return cli::usage_error(cmd, "--timeout-ms must be 1..600000");
    auto fail_with = [&](const zerog::error& e) {
        if (!as_json) return cli::report(cmd, e);
        std::printf("%s\n", boost::json::serialize(boost::json::object{{"live", true}, {"ready", false},
                                                                       {"error", boost::json::object{{"command", cmd}, {"message", e.message()}}}})
                                .c_str());
        return 1;
    };
    const auto env = config::environment::from_process();
    auto cfg = cli::load_config(a.get("profile"), env);
    if (!cfg) return fail_with(cfg.error());
    // The database: opened here; a failure to open is the database's health, not a usage error.
    auto db = cli::open_database(*cfg, env);
    ho.database = [&]() -> result<void> {
        if (!db) return db.error();
        auto r = db->find_submission(hash256{}, "health");
        if (!r) return std::move(r).error();
        return {};
    };
    net::http_transport http;
    net::blocking_runner runner;
    auto rep = runner.run(client::health_check(*cfg, http, ho));
    if (!rep) return fail_with(rep.error());
    if (as_json) {
        boost::json::array deps;
        for (const auto& d : rep->dependencies) {
            boost::json::object o{{"dependency", d.dependency},
                                  {"name", d.name},
                                  {"endpoint", d.endpoint},
                                  {"status", client::to_string(d.status)},
                                  {"latencyMs", d.latency.count()},
                                  {"breaker", d.breaker},
                                  {"neededForReadiness", d.needed_for_readiness}};
            if (d.status == client::health_status::healthy) o["observed"] = d.observed;
            else o["error"] = d.last_error;
            deps.push_back(std::move(o));
        }
        boost::json::array why;
        for (const auto& r : rep->not_ready_because) why.push_back(boost::json::string(r));
        boost::json::object out{{"profile", config::to_string(cfg->profile.value)},
                                {"live", rep->live},
                                {"ready", rep->ready},
                                {"status", client::to_string(rep->overall)},
                                {"notReadyBecause", std::move(why)},
                                {"dependencies", std::move(deps)}};
        std::printf("%s\n", boost::json::serialize(out).c_str());
    } else {
        for (const auto& d : rep->dependencies) {
            const std::string what = d.dependency + " " + d.name;
            std::printf("%-9s  %-30s %6lld ms  %s%s\n", std::string(client::to_string(d.status)).c_str(), what.c_str(),
                        static_cast<long long>(d.latency.count()), d.endpoint.empty() ? "" : (d.endpoint + ": ").c_str(),
                        d.status == client::health_status::healthy ? d.observed.c_str() : d.last_error.c_str());
        }
        if (rep->ready) {
            std::printf("ready (%s)\n", std::string(client::to_string(rep->overall)).c_str());
        } else {
            std::string why;
            for (const auto& r : rep->not_ready_because) why += (why.empty() ? "" : "; ") + r;
            std::printf("NOT READY: %s\n", why.c_str());
        }
    }
    return rep->ready ? 0 : 1;
}

}  // namespace

ZEROG_COMMAND(reg_health, "health", "health [--profile P] [--timeout-ms N] [--json]   (every dependency: status, latency, last error; exit 1 when not ready)",
              health);
