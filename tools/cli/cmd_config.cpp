// `zerog config show`: print the effective configuration, the source of every value, and every
// problem found, with secrets redacted (the key appears only as its address). Exit 0 when the
// configuration is valid, 1 when it has problems or the key is refused (still printed in full),
// 2 on a usage error.
//
// `zerog config check [--profile P] [--config FILE] [--timeout-ms N] [--json]`: run the network
// start-up checks (include/zerog/client/startup_check.hpp: eth_chainId, genesis hash, every node's
// networkIdentity, the indexer, contract code, providers) and print each with ok/FAIL, its latency
// and, on failure, what was expected and what came back from which (redacted) endpoint. Exit 0
// only when every check passed; 1 when one failed or the configuration does not load; 2 on usage.
// JSON: {"profile","ok","checks":[{"kind","field","target","endpoint","ok","latencyMs","observed"|"error"}]}.
#include "cli.hpp"

#include <zerog/config/config.hpp>
#include <zerog/client/startup_check.hpp>
#include <zerog/net/http_transport.hpp>
#include <zerog/net/sync.hpp>

#include <cstdio>

namespace {

int config_show(const std::vector<std::string>& raw) {
    using namespace zerog::config;
    using namespace zerog::client;
    const zerog::cli::args a(raw, {"json"});
    if (!a.errors().empty()) return zerog::cli::usage_error("config show", a.errors().front());
    if (auto u = a.unknown({"profile", "json", "config"}); !u.empty())
        return zerog::cli::usage_error("config show", "unknown option " + u.front());
    if (!a.positional().empty()) return zerog::cli::usage_error("config show", "unexpected argument " + a.positional().front());

    load_options opt;
    opt.env = environment::from_process();
    opt.config_file = a.get("config");
    if (auto p = a.get("profile")) {
        auto n = parse_network(*p);
        if (!n) return zerog::cli::usage_error("config show", "--profile: " + n.error().detail());
        opt.explicit_values.profile = setting<network>{*n, value_source::cli()};
    }
    const load_report rep = evaluate(opt);
    const key_description key = describe_key(opt.env, rep.cfg.profile.value);
    if (a.has("json")) {
        std::printf("%s\n", boost::json::serialize(render_json(rep, key)).c_str());
    } else {
        std::fputs(render_text(rep, key).c_str(), stdout);
    }
    return rep.ok() && !key.refused ? 0 : 1;
}

int config_check(const std::vector<std::string>& raw) {
    using namespace zerog::config;
    using namespace zerog::client;
    constexpr const char* cmd = "config check";
    const zerog::cli::args a(raw, {"json"});
    if (!a.errors().empty()) return zerog::cli::usage_error(cmd, a.errors().front());
    if (auto u = a.unknown({"profile", "json", "config", "timeout-ms"}); !u.empty()) return zerog::cli::usage_error(cmd, "unknown option " + u.front());
    if (!a.positional().empty()) return zerog::cli::usage_error(cmd, "unexpected argument " + a.positional().front());
    const bool as_json = a.has("json");
    startup_check_options sco;
    if (auto t = a.get("timeout-ms")) {
        try {
            std::size_t pos = 0;
            const unsigned long long ms = std::stoull(*t, &pos);
            if (pos != t->size() || ms == 0 || ms > 600000) throw std::out_of_range("timeout");
            sco.per_check_timeout = std::chrono::milliseconds(ms);
        } catch (...) {
            return zerog::cli::usage_error(cmd, "--timeout-ms must be 1..600000");
        }
    }
    load_options opt;
    opt.env = environment::from_process();
    opt.config_file = a.get("config");
    if (auto p = a.get("profile")) {
        auto n = parse_network(*p);
        if (!n) return zerog::cli::usage_error(cmd, "--profile: " + n.error().detail());
        opt.explicit_values.profile = setting<network>{*n, value_source::cli()};
    }
    auto cfg = load(opt);
    if (!cfg) {
        if (!as_json) return zerog::cli::report(cmd, cfg.error());
        boost::json::object e{{"message", cfg.error().message()}};
        std::printf("%s\n", boost::json::serialize(boost::json::object{{"ok", false}, {"error", std::move(e)}}).c_str());
        return 1;
    }
    zerog::net::http_transport http;
    zerog::net::blocking_runner runner;
    auto rep = runner.run(startup_check(*cfg, http, sco));
    if (!rep) {
        if (!as_json) return zerog::cli::report(cmd, rep.error());
        boost::json::object e{{"message", rep.error().message()}};
        std::printf("%s\n", boost::json::serialize(boost::json::object{{"ok", false}, {"error", std::move(e)}}).c_str());
        return 1;
    }
    auto shown_target = [](const check_outcome& o) {
        return o.check.target.find("://") != std::string::npos ? zerog::redact_endpoint(o.check.target) : o.check.target;
    };
    if (as_json) {
        boost::json::array checks;
        for (const auto& o : rep->outcomes) {
            boost::json::object c{{"kind", to_string(o.check.kind)}, {"field", o.check.field}, {"target", shown_target(o)},
                                  {"endpoint", o.endpoint}, {"ok", o.passed}, {"latencyMs", o.latency.count()}};
            if (o.passed) c["observed"] = o.observed;
            else if (o.error) c["error"] = o.error->message();
            checks.push_back(std::move(c));
        }
        boost::json::object out{{"profile", to_string(cfg->profile.value)}, {"ok", rep->ok()}, {"checks", std::move(checks)}};
        std::printf("%s\n", boost::json::serialize(out).c_str());
    } else {
        std::size_t failed = 0;
        for (const auto& o : rep->outcomes) {
            const std::string what = std::string(to_string(o.check.kind)) + " " + o.check.field;
            std::printf("%-4s  %-26s %6lld ms  %s\n", o.passed ? "ok" : "FAIL", what.c_str(), static_cast<long long>(o.latency.count()),
                        o.passed ? (shown_target(o) + ": " + o.observed).c_str() : (o.error ? o.error->message().c_str() : "failed"));
            failed += o.passed ? 0 : 1;
        }
        std::printf("%s: %zu check(s), %zu failed (profile %s)\n", rep->ok() ? "ok" : "FAILED", rep->outcomes.size(), failed,
                    std::string(to_string(cfg->profile.value)).c_str());
    }
    return rep->ok() ? 0 : 1;
}

}  // namespace

ZEROG_COMMAND(reg_config_check, "config check",
              "config check [--profile mainnet|testnet|devnet] [--config FILE] [--timeout-ms N] [--json]   (network start-up checks)",
              config_check);
ZEROG_COMMAND(reg_config_show, "config show", "config show [--profile mainnet|testnet|devnet] [--config FILE] [--json]",
              config_show);
