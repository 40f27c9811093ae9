// `zerog compute setup`, `zerog compute services` and `zerog infer`: the compute client
// (include/zerog/client/compute_client.hpp) from the command line. `infer --estimate` prints the
// estimated prompt/completion tokens and fee from the provider's service prices on chain and
// sends nothing to the provider (no key needed).
//
// Clients come from compute_session.hpp: `compute setup` and `infer` sign (a key from
// ZG_PRIVATE_KEY / ZG_KEYSTORE, or on the devnet profile its public faucet key); `compute services`
// and `infer --estimate` use the read-only compute_reader and need no key on any profile. Neither
// the key nor a session token is ever printed. Amounts are 0G decimals parsed exactly ("2.5" =
// 2.5·10^18 neuron).
#include "compute_session.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace {

using namespace zerog;

int print_error(std::string_view cmd, bool as_json, const zerog::error& e) {
    if (!as_json) return cli::report(cmd, e);
    boost::json::object err;
    err["message"] = e.message();
    err["code"] = e.code().message();
    boost::json::object o;
    o["error"] = std::move(err);
    std::printf("%s\n", boost::json::serialize(o).c_str());
    return 1;
}

int setup(const std::vector<std::string>& raw) {
    constexpr const char* cmd = "compute setup";
    cli::args a(raw, {"json"});
    if (!a.errors().empty()) return cli::usage_error(cmd, a.errors().front());
    if (auto u = a.unknown({"profile", "deposit", "provider", "per-provider", "json"}); !u.empty()) return cli::usage_error(cmd, "unknown option " + u.front());
    auto dep = a.get("deposit");
    if (!dep) return cli::usage_error(cmd, "--deposit AMOUNT (0G) is required");
    auto deposit = parse_token_amount(*dep);
    if (!deposit) return cli::usage_error(cmd, "--deposit: " + deposit.error().detail());
    uint256 per = uint256(2) * client::one_0g;  // 1 0G reserve the provider keeps + 1 0G to spend
    if (auto pp = a.get("per-provider")) {
        auto v = parse_token_amount(*pp);
        if (!v) return cli::usage_error(cmd, "--per-provider: " + v.error().detail());
        per = *v;
    }
    auto c = cli::open_compute_client(a.get("profile"), config::environment::from_process());
    if (!c) return print_error(cmd, a.has("json"), c.error());
    std::vector<crypto::address> providers;
    if (auto p = a.get("provider")) {
        auto addr = crypto::address::parse(*p);
        if (!addr) return cli::usage_error(cmd, "--provider: " + addr.error().message());
        providers.push_back(*addr);
    } else {
        for (const auto& e : c->cfg.providers.value)
            if (auto addr = crypto::address::parse(e.address)) providers.push_back(*addr);
        if (providers.empty()) return cli::usage_error(cmd, "no --provider given and none configured");
    }
    auto rep = c->client->setup(*deposit, providers, per);
    if (!rep) return print_error(cmd, a.has("json"), rep.error());
    if (a.has("json")) {
        boost::json::array steps, txs;
        for (auto& s : rep->steps) steps.push_back(boost::json::value(s));
        for (auto& t : rep->txs) txs.push_back(boost::json::value(to_hex(t)));
        boost::json::object o{{"user", c->client->user().to_checksum_hex()}, {"steps", std::move(steps)}, {"txs", std::move(txs)}};
        std::printf("%s\n", boost::json::serialize(o).c_str());
    } else {
        if (rep->steps.empty()) std::printf("already set up: nothing to do\n");
        for (std::size_t i = 0; i < rep->steps.size(); ++i) std::printf("%s  tx %s\n", rep->steps[i].c_str(), to_hex(rep->txs[i]).c_str());
    }
    return 0;
}

int services(const std::vector<std::string>& raw) {
    constexpr const char* cmd = "compute services";
    cli::args a(raw, {"json"});
    if (!a.errors().empty()) return cli::usage_error(cmd, a.errors().front());
    if (auto u = a.unknown({"profile", "json", "model"}); !u.empty()) return cli::usage_error(cmd, "unknown option " + u.front());
    auto c = cli::open_compute_reader(a.get("profile"), config::environment::from_process());
    if (!c) return print_error(cmd, a.has("json"), c.error());
    auto all = c->client->services();
    if (!all) return print_error(cmd, a.has("json"), all.error());
    const std::string model = a.get("model").value_or("");
    boost::json::array out;
    for (const auto& s : *all) {
        if (!model.empty() && s.model != model) continue;
        if (a.has("json")) out.push_back(client::to_json(s));
        else
            std::printf("%s  %-24s %s  in %s out %s neuron/token  %s\n", s.provider.to_checksum_hex().c_str(), s.model.c_str(), s.url.c_str(),
                        s.input_price.to_decimal().c_str(), s.output_price.to_decimal().c_str(),
                        s.usable() ? "acknowledged" : "NOT acknowledged by the owner");
    }
    if (a.has("json")) std::printf("%s\n", boost::json::serialize(out).c_str());
    return 0;
}

/// `infer --estimate`: tokens and fee from the service's prices on chain; nothing reaches the provider.
int estimate(const cli::args& a, client::chat_request req, bool as_json) {
    constexpr const char* cmd = "infer";
    auto c = cli::open_compute_reader(a.get("profile"), config::environment::from_process());
    if (!c) return print_error(cmd, as_json, c.error());
    result<client::chat_estimate> e = fail(errc::internal, "no estimate ran");
    if (auto p = a.get("provider")) {
        auto addr = crypto::address::parse(*p);
        if (!addr) return cli::usage_error(cmd, "--provider: " + addr.error().message());
        e = c->client->estimate(std::move(req), client::provider_target{*addr, {}});
    } else if (auto m = a.get("model")) {
        e = c->client->estimate_model(std::move(req), *m);
    } else {
        std::optional<client::provider_target> first;
        for (const auto& pe : c->cfg.providers.value)
            if (auto addr = crypto::address::parse(pe.address); addr && !first) first = client::provider_target{*addr, pe.url};
        if (!first) return cli::usage_error(cmd, "give --provider or --model (no providers configured)");
        e = c->client->estimate(std::move(req), std::move(*first));
    }
    if (!e) return print_error(cmd, as_json, e.error());
    if (as_json) {
        std::printf("%s\n", boost::json::serialize(client::to_json(*e)).c_str());
    } else {
        std::printf("provider:          %s\nmodel:             %s\nprompt tokens:     %llu (estimated)\ncompletion tokens: %llu (estimated)\n"
                    "input price:       %s neuron/token\noutput price:      %s neuron/token\nfee:               %s neuron (%s 0G)\n"
                    "estimate only: nothing was sent to the provider%s\n",
                    e->provider.to_checksum_hex().c_str(), e->model.c_str(), static_cast<unsigned long long>(e->tokens.prompt_tokens),
                    static_cast<unsigned long long>(e->tokens.completion_tokens), e->prices.input_per_token.to_decimal().c_str(),
                    e->prices.output_per_token.to_decimal().c_str(), e->fee.to_decimal().c_str(), format_token_amount(e->fee).c_str(),
                    e->usable ? "" : " (this provider is NOT acknowledged by the owner: an inference would be refused)");
    }
    return 0;
}

int infer(const std::vector<std::string>& raw) {
    constexpr const char* cmd = "infer";
    cli::args a(raw, {"json", "stream", "estimate"});
    if (!a.errors().empty()) return cli::usage_error(cmd, a.errors().front());
    if (auto u = a.unknown({"profile", "provider", "model", "prompt", "stream", "json", "max-tokens", "estimate"}); !u.empty())
        return cli::usage_error(cmd, "unknown option " + u.front());
    auto prompt = a.get("prompt");
    if (!prompt || prompt->empty()) return cli::usage_error(cmd, "--prompt TEXT is required");
    if (a.has("provider") && a.has("model")) return cli::usage_error(cmd, "give --provider or --model, not both");
    client::chat_request req;
    req.messages.push_back({"user", *prompt});
    req.stream = a.has("stream");
    if (auto m = a.get("max-tokens")) {
        try {
            req.max_tokens = std::stoull(*m);
        } catch (...) {
            return cli::usage_error(cmd, "--max-tokens must be a non-negative integer");
        }
    }
    const bool as_json = a.has("json");
    if (a.has("estimate")) return estimate(a, std::move(req), as_json);
    if (req.stream && !as_json) req.on_delta = [](std::string_view d) {
        std::fwrite(d.data(), 1, d.size(), stdout);
        std::fflush(stdout);
    };
    auto c = cli::open_compute_client(a.get("profile"), config::environment::from_process());
    if (!c) return print_error(cmd, as_json, c.error());
    result<client::chat_result> r = fail(errc::internal, "no inference ran");
    if (auto p = a.get("provider")) {
        auto addr = crypto::address::parse(*p);
        if (!addr) return cli::usage_error(cmd, "--provider: " + addr.error().message());
        std::vector<client::provider_target> t;
        t.push_back(client::provider_target{*addr, {}});
        r = c->client->chat(std::move(req), std::move(t));
    } else if (auto m = a.get("model")) {
        r = c->client->chat_model(std::move(req), *m);
    } else {
        // Configured providers in failover order (their URLs override the chain's when set).
        std::vector<client::provider_target> t;
        for (const auto& e : c->cfg.providers.value)
            if (auto addr = crypto::address::parse(e.address)) t.push_back(client::provider_target{*addr, e.url});
        if (t.empty()) return cli::usage_error(cmd, "give --provider or --model (no providers configured)");
        r = c->client->chat(std::move(req), std::move(t));
    }
    if (!r) return print_error(cmd, as_json, r.error());
    if (as_json) {
        std::printf("%s\n", boost::json::serialize(client::to_json(*r)).c_str());
    } else {
        if (!a.has("stream")) std::printf("%s", r->content.c_str());
        std::printf("\n-- provider %s, model %s, tokens %llu+%llu, fee %s neuron, verified %s\n", r->provider.to_checksum_hex().c_str(),
                    r->model.c_str(), static_cast<unsigned long long>(r->usage.prompt_tokens),
                    static_cast<unsigned long long>(r->usage.completion_tokens), r->fee.to_decimal().c_str(), r->verified ? "yes" : "no");
    }
    return 0;
}

}  // namespace

namespace zerog::cli {
/// One inference on the devnet in `devnet_dir` with its demo account, in this process (so that its
/// metrics land in this process's registry), for `zerog demo`. The same path as `zerog infer`.
result<client::chat_result> demo_inference(const std::string& devnet_dir, const std::string& model, const std::string& prompt) {
    auto vars = config::environment::from_process().vars();
    vars["ZEROG_DEVNET_DIR"] = devnet_dir;
    for (const char* k : {"ZG_PRIVATE_KEY", "ZG_KEYSTORE", "ZEROG_CONFIG", "ZEROG_PROFILE", "ZEROG_DB"}) vars.erase(k);
    ZEROG_TRY(auto c, open_compute_client(std::string("devnet"), config::environment(std::move(vars))));
    client::chat_request req;
    req.messages.push_back({"user", prompt});
    return c.client->chat_model(std::move(req), model);
}
}  // namespace zerog::cli

ZEROG_COMMAND(reg_compute_setup, "compute setup",
              "compute setup --deposit AMOUNT [--provider ADDR] [--per-provider AMOUNT] [--profile P] [--json]   (ledger, funding, "
              "acknowledgement; idempotent)",
              setup);
ZEROG_COMMAND(reg_compute_services, "compute services", "compute services [--profile P] [--model M] [--json]", services);
ZEROG_COMMAND(reg_infer, "infer",
              "infer [--profile P] [--provider ADDR | --model M] --prompt TEXT [--stream] [--max-tokens N] [--estimate] [--json]   (verified "
              "inference; --estimate: print tokens and fee, send nothing)",
              infer);
