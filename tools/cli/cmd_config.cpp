// `zerog config show`: print the effective configuration, the source of every value, and every
// problem found, with secrets redacted (the key appears only as its address). Exit 0 when the
// configuration is valid, 1 when it has problems or the key is refused (still printed in full),
// 2 on a usage error.
//
// `zerog config check` (the network checks: eth_chainId, nodes' networkIdentity, indexer, contract
// code, providers) arrives with the chain client; see include/zerog/config/startup_check.hpp.
#include "cli.hpp"

#include <zerog/config/config.hpp>

#include <cstdio>

namespace {

int config_show(const std::vector<std::string>& raw) {
    using namespace zerog::config;
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

}  // namespace

ZEROG_COMMAND(reg_config_show, "config show", "config show [--profile mainnet|testnet|devnet] [--config FILE] [--json]",
              config_show);
