// Retries bounded under every compute provider fault mode (issue #8, checklist §4): anvil + the
// dev contracts + one in-process provider emulator on 127.0.0.1; for none, error, slow,
// bad-signature and down:
//   * an inference through compute_client with backoff_retry: the billed chat request is sent at
//     most once, the free GETs (unsettled fee, TEE signature) at most max_attempts times, the
//     whole attempt ends within the per-provider timeout, and a bad signature is neither
//     re-fetched nor re-asked;
//   * a direct guarded request (TEE signature GET + verification) with backoff_retry: transient
//     faults are retried exactly up to max_attempts, within max_elapsed; a verification failure
//     is tried once.
// Anvil, the provider and the temp folder are released at scope exit.
#include "resilience_util.hpp"

#include <zerog/client/compute_client.hpp>
#include <zerog/compute/response_signature.hpp>
#include <zerog/devnet/compute_provider.hpp>
#include <zerog/devnet/orchestrator.hpp>

#include "anvil.hpp"

#include <random>
#include <sstream>

using namespace resilience_test;
namespace cl = zerog::client;
namespace asio = boost::asio;
using zerog::errc;
using zerog::uint256;
using zerog::crypto::address;
using zerog::crypto::secp256k1_signer;

namespace {

constexpr unsigned max_attempts = 3;
constexpr auto max_elapsed = 800ms;
constexpr auto per_attempt = 250ms;
constexpr auto per_provider = 1500ms;
pol::backoff_config retry_config() { return {.base = 20ms, .cap = 40ms, .max_attempts = max_attempts, .max_elapsed = max_elapsed, .seed = 11}; }

using compute_set = cl::policy_set<counting_transport, secp256k1_signer, pol::backoff_retry, pol::no_breaker, pol::no_limit,
                                   pol::memory_persistence>;
using compute_cl = cl::compute_client<compute_set>;

/// anvil + contracts + provider P (provider key #6, TEE #7, owner-acknowledged, no replay check).
struct world {
    zerog::testing::anvil_process anvil;
    fs::path dir;
    asio::io_context ioc;  // this thread's calls (run_until_done)
    address ledger, serving;
    zerog::net::io_thread io;
    dv::compute_provider::pointer p;

    world() {
        std::random_device rd;
        dir = fs::temp_directory_path() / ("zerog-resilience-compute-" + std::to_string(rd()) + std::to_string(rd()));
        fs::create_directories(dir);
        std::error_code ec;
        auto tools = dv::locate_tools(fs::read_symlink("/proc/self/exe", ec));
        REQUIRE(tools);
        if (!fs::exists(tools->artefact)) REQUIRE(dv::detail::run_compile(*tools, dir / "compile.log"));
        auto deployed = run_until_done(ioc, dv::detail::deploy_all(anvil.url(), *tools));
        INFO((deployed ? std::string() : deployed.error().message()));
        REQUIRE(deployed);
        ledger = *address::parse(std::string_view(deployed->at("ledger").as_string()));
        serving = *address::parse(std::string_view(deployed->at("inference").as_string()));
        dv::compute_provider_config c;
        c.rpc_url = anvil.url();
        c.serving = serving;
        c.provider_key = dv::anvil_dev_keys[6];
        c.tee_key = dv::anvil_dev_keys[7];
        c.owner_key = dv::anvil_dev_keys[0];
        c.fault_file = dv::fault_file(dir, "provider", 0);
        c.state_ttl = std::chrono::milliseconds(200);
        c.replay = dv::replay_mode::off;
        auto started = dv::compute_provider::start_on(io.executor(), c);
        INFO((started ? std::string() : started.error().message()));
        REQUIRE(started);
        p = *started;
    }
    ~world() {
        if (p) p->stop();
        p.reset();
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    void fault(std::string mode, std::uint64_t ms = 0) {
        dv::fault_state f;
        f.mode = std::move(mode);
        f.ms = ms;
        REQUIRE(dv::write_fault(dir, "provider", 0, f));
        std::this_thread::sleep_for(350ms);  // `down` is polled every 100 ms
    }
    std::unique_ptr<compute_cl> client(cl::verification verify = cl::verification::strict) {
        cl::compute_client_options o;
        o.rpc_urls = {anvil.url()};
        o.chain_id = 16602;
        o.ledger = ledger;
        o.inference = serving;
        o.per_provider_timeout = per_provider;
        o.inference_timeout = 5000ms;
        o.connect_timeout = 500ms;
        o.state_ttl = 0ms;
        o.verify = verify;
        auto make = [] { return compute_set{.signer = *secp256k1_signer::from_hex(dv::anvil_dev_keys[1]), .retry = pol::backoff_retry(retry_config())}; };
        return std::make_unique<compute_cl>(std::move(o), make);
    }
};

cl::chat_request ask(std::string prompt) {
    cl::chat_request r;
    r.messages.push_back({"user", std::move(prompt)});
    r.max_tokens = 32;
    return r;
}

/// GET the TEE signature of `chat` and verify it (signer and both bodies) under guarded_call.
asio::awaitable<zerog::result<void>> signature_op(compute_set& p, std::string base, cl::chat_result chat, std::string model,
                                                  address tee, clock_type::time_point deadline) {
    auto path = zerog::compute::signature_path(chat.chat_id, model);
    if (!path) co_return std::move(path).error();
    zerog::net::http_request q;
    q.method = "GET";
    q.url = base + *path;
    q.options = dv::local_request(per_attempt);
    q.options.deadline = deadline;
    const std::string ep = zerog::redact_endpoint(base);
    const cl::call_context ctx{"compute.signature", ep, "", deadline};
    auto op = [&]() -> asio::awaitable<zerog::result<void>> {
        auto res = co_await p.transport.send_async(q);
        if (!res) co_return std::move(res).error();
        auto sig = zerog::compute::parse_signature_response(res->body);
        if (!sig) co_return std::move(sig).error();
        const zerog::compute::exchanged_bodies bodies{chat.request_body, chat.response_body};
        auto chk = zerog::compute::check_response_signature(*sig, tee, bodies);
        if (!chk.ok()) co_return zerog::fail(std::move(chk.error));
        co_return zerog::result<void>{};
    };
    co_return co_await cl::guarded_call(p, ctx, op);
}

}  // namespace

TEST_CASE("resilience: retries stay bounded under every compute provider fault mode", "[resilience][devnet][retry][compute]") {
    world w;
    const address prov = w.p->address();
    const std::string base = w.p->url(), ep = zerog::redact_endpoint(base);
    {
        auto setup = w.client();
        std::vector<address> provs{prov};
        auto rep = run_until_done(w.ioc, setup->setup_async(uint256(10) * cl::one_0g, std::move(provs), uint256(3) * cl::one_0g));
        INFO((rep ? std::string() : rep.error().message()));
        REQUIRE(rep);
    }
    const std::string chat_path = "POST /v1/proxy/chat/completions", sig_path = "GET /v1/proxy/signature/", fee_path = "GET /v1/user/";
    const auto slack = 700ms;  // scheduling on a loaded machine
    const std::vector<cl::provider_target> targets{{prov, {}}};
    std::ostringstream table;
    std::optional<cl::chat_result> good;  // an answer served (and signed) while healthy
    std::string model;

    for (const std::string mode : {"none", "error", "slow", "bad-signature", "down"}) {
        INFO("provider mode " << mode);
        w.fault(mode, mode == "slow" ? 2500 : 0);  // waits until `down` has closed the listener

        // 1. Inference through the compute client.
        auto c = w.client();
        const auto t0 = clock_type::now();
        auto r = run_until_done(w.ioc, c->chat_async(ask("resilience " + mode), targets));
        const auto took = clock_type::now() - t0;
        const auto& tr = c->policies().transport;
        const unsigned chats = tr.count(ep, chat_path), sigs = tr.count(ep, sig_path), fees = tr.count(ep, fee_path);
        INFO("inference: " << (r ? std::string("ok") : r.error().message()) << "; chat " << chats << ", signature " << sigs
                           << ", unsettled fee " << fees << ", " << seconds(took) << " s");
        table << mode << ": inference " << (r ? "ok" : "failed") << " chat=" << chats << " sig=" << sigs << " fee=" << fees << " "
              << int(seconds(took) * 1000) << "ms";
        CHECK(chats <= 1);  // billed: never re-sent
        CHECK(sigs <= max_attempts);
        CHECK(fees <= max_attempts);
        CHECK(took <= per_provider + slack);
        if (mode == "none") {
            REQUIRE(r);
            CHECK(r->verified);
            CHECK(chats == 1);
            CHECK(sigs == 1);
            CHECK(fees == 1);
            good = *r;
            model = r->model;
        } else if (mode == "error") {
            REQUIRE_FALSE(r);
            CHECK(r.error().is(errc::server_error));
            CHECK(chats == 1);
            CHECK(sigs == 0);
        } else if (mode == "slow") {
            REQUIRE_FALSE(r);
            CHECK(sigs == 0);
        } else if (mode == "bad-signature") {
            REQUIRE_FALSE(r);
            CHECK(r.error().is(errc::verification_failed));
            CHECK(chats == 1);
            CHECK(sigs == 1);  // a verification failure is not retried
            CHECK(fees == 1);
        } else {  // down: the free GET is retried up to the bound, the billed request is not
            REQUIRE_FALSE(r);
            CHECK(chats == 1);
            CHECK(sigs == 0);
            CHECK(fees == max_attempts);
        }

        // 2. A direct guarded request: fetch and verify the healthy answer's signature.
        REQUIRE(good);
        {
            compute_set p{.signer = *secp256k1_signer::from_hex(dv::anvil_dev_keys[1]), .retry = pol::backoff_retry(retry_config())};
            const auto s0 = clock_type::now();
            auto v = run_until_done(w.ioc, signature_op(p, base, *good, model, w.p->tee_address(), s0 + 5s));
            const auto stook = clock_type::now() - s0;
            const unsigned attempts = p.transport.count(ep);
            INFO("direct signature check: " << (v ? std::string("ok") : v.error().message()) << ", attempts " << attempts << ", "
                                            << seconds(stook) << " s");
            table << ", direct signature GET " << attempts << (v ? " ok " : " failed ") << int(seconds(stook) * 1000) << "ms; ";
            CHECK(attempts >= 1);
            CHECK(attempts <= max_attempts);
            CHECK(stook <= max_elapsed + per_attempt + slack);
            if (mode == "none" || mode == "bad-signature") {  // the stored signature of a healthy answer is served as is
                CHECK(v);
                CHECK(attempts == 1);
            } else {
                REQUIRE_FALSE(v);
                CHECK(zerog::policy::is_retryable(v.error()));
                if (mode == "slow") CHECK(attempts >= 2);
                else CHECK(attempts == max_attempts);
            }
        }

        // 3. bad-signature: an answer signed by the wrong key fails verification once, not max_attempts times.
        if (mode == "bad-signature") {
            auto lenient = w.client(cl::verification::lenient);
            auto bad = run_until_done(w.ioc, lenient->chat_async(ask("signed by a rogue key"), targets));
            INFO((bad ? std::string() : bad.error().message()));
            REQUIRE(bad);
            CHECK_FALSE(bad->verified);
            CHECK(lenient->policies().transport.count(ep, sig_path) == 1);
            compute_set p{.signer = *secp256k1_signer::from_hex(dv::anvil_dev_keys[1]), .retry = pol::backoff_retry(retry_config())};
            auto v = run_until_done(w.ioc, signature_op(p, base, *bad, model, w.p->tee_address(), clock_type::now() + 5s));
            REQUIRE_FALSE(v);
            INFO(v.error().message());
            CHECK(v.error().is(errc::verification_failed));
            CHECK(p.transport.count(ep) == 1);
        }
    }
    WARN("per provider fault mode (max " << max_attempts << " attempts): " << table.str());
    w.fault("none");
}
