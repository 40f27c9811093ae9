// `zerog smoke [--profile P] [--size BYTES] [--model M] [--json]`: an end-to-end check of a network
// with a funded key, meant to be run against testnet/mainnet before going live (docs/configuration.md,
// "Smoke test"). Steps, each timed and costed:
//   upload     SIZE random bytes (default 4096, at most 1 MiB) through the storage client
//              (Flow submission + segments + finality wait): fee = the storage fee the client paid,
//              gas = the rest of the signer's balance drop (balance before − after − fee);
//   download   the root back into a temp file (proof-checked), then a byte-for-byte compare;
//   verify     the file's finality and segment proofs on the nodes;
//   inference  one verified chat completion (TEE signature checked) with the cheapest usable
//              provider (input + output price) — restricted to --model, else to the model of the
//              configured providers when they name one; fee = the provider's charge from the
//              sub-account (inputPrice·prompt + outputPrice·completion).
// Exit 0 only when every step passed; 1 otherwise (the failing step is printed); 2 on usage.
// The key comes from ZG_PRIVATE_KEY / ZG_KEYSTORE; on devnet it defaults to devnet.json's faucet key.
// Inference needs a funded sub-account with the provider (`zerog compute setup`); devnet's demo
// account already has one. Temp files are removed at exit. Amounts print in 0G (exact decimals).
//
// This TU instantiates both the storage and the compute client (compile time: like cmd_storage).
#include "compute_session.hpp"
#include "storage_session.hpp"

#include <zerog/core/amount.hpp>
#include <zerog/crypto/secure_memory.hpp>
#include <zerog/net/jsonrpc.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace {

using namespace zerog;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

struct step_report {
    std::string name;
    bool ok = false;
    std::int64_t latency_ms = 0;
    std::optional<uint256> fee;  ///< neuron
    std::optional<uint256> gas;  ///< neuron
    std::string detail;
};

struct temp_dir {
    fs::path path;
    temp_dir() {
        std::string tmpl = (fs::temp_directory_path() / "zerog-smoke-XXXXXX").string();
        if (::mkdtemp(tmpl.data())) path = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        if (!path.empty()) fs::remove_all(path, ec);
    }
};

std::int64_t ms_since(clock_type::time_point t0) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count();
}

result<std::string> read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return fail(errc::io_error, "cannot read " + p.string());
    return std::string(std::istreambuf_iterator<char>(in), {});
}

result<uint256> balance_of(const std::string& rpc_url, const crypto::address& who, std::chrono::milliseconds timeout) {
    net::blocking_runner runner;
    net::jsonrpc_client<net::http_transport> rpc(net::http_transport{}, rpc_url);
    boost::json::array params;
    params.emplace_back(who.to_checksum_hex());
    params.emplace_back("latest");
    net::request_options ro;
    ro.deadline = clock_type::now() + timeout;
    return runner.run(rpc.call_as_async<uint256>("eth_getBalance", std::move(params), ro));
}

std::string zg(const uint256& v) { return format_token_amount(v) + " 0G"; }

int smoke(const std::vector<std::string>& raw) {
    constexpr const char* cmd = "smoke";
    const cli::args a(raw, {"json"});
    if (!a.errors().empty()) return cli::usage_error(cmd, a.errors().front());
    if (auto u = a.unknown({"profile", "json", "size", "model"}); !u.empty()) return cli::usage_error(cmd, "unknown option " + u.front());
    if (!a.positional().empty()) return cli::usage_error(cmd, "unexpected argument " + a.positional().front());
    const bool as_json = a.has("json");
    std::size_t size = 4096;
    if (auto s = a.get("size")) {
        try {
            std::size_t pos = 0;
            const unsigned long long n = std::stoull(*s, &pos);
            if (pos != s->size() || n == 0 || n > (1u << 20)) throw std::out_of_range("size");
            size = static_cast<std::size_t>(n);
        } catch (...) {
            return cli::usage_error(cmd, "--size must be 1..1048576 bytes");
        }
    }
    auto fatal = [&](const zerog::error& e) {
        if (!as_json) return cli::report(cmd, e);
        std::printf("%s\n", boost::json::serialize(boost::json::object{{"ok", false}, {"error", e.message()}}).c_str());
        return 1;
    };

    // Both clients come from the CLI's one place (storage_session.hpp, compute_session.hpp): the
    // same configuration, key rules and production policies as `zerog upload` and `zerog infer`.
    const auto env = config::environment::from_process();
    auto storage_s = cli::open_storage_client(a.get("profile"), env);
    if (!storage_s) return fatal(storage_s.error());
    auto compute_s = cli::open_compute_client(a.get("profile"), env);
    if (!compute_s) return fatal(compute_s.error());
    const config::configuration* cfg = &storage_s->cfg;
    auto& storage = *storage_s->client;
    const crypto::address me(storage.policies().signer.address());

    std::vector<step_report> steps;
    temp_dir tmp;
    if (tmp.path.empty()) return fatal(zerog::error(errc::io_error, "cannot create a temporary directory"));
    const fs::path in = tmp.path / "smoke.bin", out = tmp.path / "smoke.out";
    std::string payload(size, '\0');
    crypto::random_bytes(std::span<byte>(reinterpret_cast<byte*>(payload.data()), payload.size()));
    {
        std::ofstream f(in, std::ios::binary);
        f.write(payload.data(), static_cast<std::streamsize>(payload.size()));
        if (!f) return fatal(zerog::error(errc::io_error, "cannot write " + in.string()));
    }

    // Storage: upload, download + compare, verify.
    const std::string rpc0 = cfg->rpc_urls.value.front();
    const auto before = balance_of(rpc0, me, cfg->timeouts.rpc.value);
    std::optional<hash256> root;
    {
        step_report s;
        s.name = "upload";
        const auto t0 = clock_type::now();
        auto up = storage.upload(in.string());
        s.latency_ms = ms_since(t0);
        if (up) {
            root = up->root;
            s.ok = up->verified;
            s.fee = up->fee;
            s.detail = std::to_string(size) + " bytes, root " + to_hex(up->root) + ", tx_seq " + std::to_string(up->tx_seq) + ", " +
                       std::to_string(up->replicas) + " replica(s)" + (up->tx_hash.empty() ? ", already on chain" : ", tx " + up->tx_hash);
            if (!up->verified) s.detail += " (NOT verified)";
            const auto after = balance_of(rpc0, me, cfg->timeouts.rpc.value);
            if (before && after && *before >= *after && *before - *after >= up->fee) s.gas = *before - *after - up->fee;
        } else {
            s.detail = up.error().message();
        }
        steps.push_back(std::move(s));
    }
    if (root) {
        step_report s;
        s.name = "download";
        const auto t0 = clock_type::now();
        auto down = storage.download(*root, out.string());
        s.latency_ms = ms_since(t0);
        if (down) {
            auto got = read_all(out);
            if (!got) s.detail = got.error().message();
            else if (*got != payload) s.detail = "downloaded bytes differ from the uploaded ones (" + std::to_string(got->size()) + " vs " + std::to_string(size) + " bytes)";
            else {
                s.ok = true;
                s.detail = std::to_string(down->size) + " bytes, proofs checked, byte-identical";
            }
        } else {
            s.detail = down.error().message();
        }
        steps.push_back(std::move(s));
    }
    if (root) {
        step_report s;
        s.name = "verify";
        const auto t0 = clock_type::now();
        auto v = storage.verify(*root);
        s.latency_ms = ms_since(t0);
        if (v) {
            s.ok = true;
            s.detail = "finalized on " + std::to_string(v->finalized_on.size()) + " node(s), " + std::to_string(v->segments_checked) +
                       " segment proof(s) checked";
        } else {
            s.detail = v.error().message();
        }
        steps.push_back(std::move(s));
    }

    // Compute: one verified inference with the cheapest usable provider.
    {
        step_report s;
        s.name = "inference";
        const auto t0 = clock_type::now();
        auto run_inference = [&]() -> result<client::chat_result> {
            auto& c = *compute_s->client;
            std::string model = a.get("model").value_or("");
            if (model.empty())
                for (const auto& e : cfg->providers.value)
                    if (!e.model.empty()) { model = e.model; break; }
            ZEROG_TRY(auto all, c.services());
            const client::compute_service* best = nullptr;
            for (const auto& sv : all) {
                if (!sv.usable() || (!model.empty() && sv.model != model)) continue;
                if (!best || sv.input_price + sv.output_price < best->input_price + best->output_price) best = &sv;
            }
            if (!best)
                return fail(errc::not_found, "no usable provider" + (model.empty() ? std::string() : " for model \"" + model + "\""));
            std::string url;
            for (const auto& e : cfg->providers.value)
                if (auto ad = crypto::address::parse(e.address); ad && *ad == best->provider) url = e.url;
            client::chat_request req;
            req.messages.push_back({"user", "zerog smoke test: reply with one word"});
            req.max_tokens = 16;
            std::vector<client::provider_target> t;
            t.push_back(client::provider_target{best->provider, url});
            return c.chat(std::move(req), std::move(t));
        };
        auto r = run_inference();
        s.latency_ms = ms_since(t0);
        if (r) {
            s.ok = r->verified;
            s.fee = r->fee;
            s.detail = "provider " + r->provider.to_checksum_hex() + ", model " + r->model + ", tokens " + std::to_string(r->usage.prompt_tokens) +
                       "+" + std::to_string(r->usage.completion_tokens) + (r->verified ? ", TEE signature verified" : ", NOT verified: " + r->verification_error);
        } else {
            s.detail = r.error().message();
        }
        steps.push_back(std::move(s));
    }

    bool ok = steps.size() == 4;
    uint256 total_fee, total_gas;
    for (const auto& s : steps) {
        ok = ok && s.ok;
        if (s.fee) total_fee = total_fee + *s.fee;
        if (s.gas) total_gas = total_gas + *s.gas;
    }
    if (as_json) {
        boost::json::array arr;
        for (const auto& s : steps) {
            boost::json::object o{{"step", s.name}, {"ok", s.ok}, {"latencyMs", s.latency_ms}, {"detail", s.detail}};
            if (s.fee) o["fee"] = format_token_amount(*s.fee);
            if (s.gas) o["gas"] = format_token_amount(*s.gas);
            arr.push_back(std::move(o));
        }
        boost::json::object outj{{"profile", config::to_string(cfg->profile.value)}, {"account", me.to_checksum_hex()}, {"ok", ok},
                                 {"steps", std::move(arr)}, {"totalFee", format_token_amount(total_fee)}, {"totalGas", format_token_amount(total_gas)}};
        std::printf("%s\n", boost::json::serialize(outj).c_str());
    } else {
        std::printf("smoke test on %s with account %s\n", std::string(config::to_string(cfg->profile.value)).c_str(), me.to_checksum_hex().c_str());
        for (const auto& s : steps) {
            std::string cost;
            if (s.fee) cost += "fee " + zg(*s.fee);
            if (s.gas) cost += (cost.empty() ? "" : ", ") + std::string("gas ") + zg(*s.gas);
            std::printf("%-4s  %-9s %7lld ms  %s%s%s\n", s.ok ? "ok" : "FAIL", s.name.c_str(), static_cast<long long>(s.latency_ms),
                        cost.empty() ? "" : (cost + "  ").c_str(), s.detail.c_str(), "");
        }
        std::printf("%s: fees %s, gas %s\n", ok ? "ok" : "FAILED", zg(total_fee).c_str(), zg(total_gas).c_str());
    }
    return ok ? 0 : 1;
}

}  // namespace

ZEROG_COMMAND(reg_smoke, "smoke",
              "smoke [--profile P] [--size BYTES] [--model M] [--json]   (upload+download+verify and one verified inference; spends funds)",
              smoke);
