// The compute client end to end against anvil + the dev contracts + provider emulators started
// in-process (as tests/devnet_compute does): setup, verified inference (JSON and SSE), every
// precise refusal, failover under provider faults, and a scan of every request the client sent
// for key material, budgets (refusal before sending, committed bill, alerts, restart). One shared chain for all cases; cases use distinct users where on-chain state
// changes. The only Beast/Asio-instantiating TU of the compute client tests.
//
// Providers: P1 (provider key #6, TEE #7, owner-acknowledged, replay protection per request),
// P2 (#8, TEE #9, owner-acknowledged, replay off), P3 (#7, TEE #5, NOT acknowledged by the owner).
// Users: #1 main (setup through the client), #2 under-funded (1 0G at P1), #3 no sub-account,
// #4 revocations.
#include <zerog/client/compute_client.hpp>
#include <zerog/devnet/compute_provider.hpp>
#include <zerog/policy/budget.hpp>
#include <zerog/core/ref.hpp>
#include <zerog/devnet/orchestrator.hpp>
#include <zerog/testing/mocks.hpp>

#include "anvil.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <thread>

namespace {

namespace dv = zerog::devnet;
namespace cl = zerog::client;
namespace json = boost::json;
namespace fs = std::filesystem;
using zerog::uint256;
using zerog::crypto::address;
using zerog::crypto::secp256k1_signer;

const uint256 one_0g = cl::one_0g;

secp256k1_signer key(int i) { return *secp256k1_signer::from_hex(dv::anvil_dev_keys[i]); }

/// Transport wrapper policy that records every request before handing it to the real transport
/// (the test's view of everything the providers and the node received from the client).
struct recording_transport {
    struct log_t {
        std::mutex m;
        std::vector<zerog::net::http_request> requests;
    };
    zerog::net::http_transport inner{zerog::net::http_transport_options{}};
    std::shared_ptr<log_t> log = std::make_shared<log_t>();

    void record(const zerog::net::http_request& r) {
        std::lock_guard lk(log->m);
        log->requests.push_back(r);
    }
    boost::asio::awaitable<zerog::result<zerog::net::http_response>> send_async(zerog::net::http_request r) {
        record(r);
        return inner.send_async(std::move(r));
    }
    boost::asio::awaitable<zerog::result<zerog::net::http_response>> send_streaming_async(zerog::net::http_request r,
                                                                                             zerog::net::chunk_handler h) {
        record(r);
        return inner.send_streaming_async(std::move(r), std::move(h));
    }
    std::vector<zerog::net::http_request> requests() const {
        std::lock_guard lk(log->m);
        return log->requests;
    }
};
static_assert(zerog::net::Transport<recording_transport>);

/// A clock whose wall time runs two hours late (steady time is real): every token it issues is
/// already expired at the provider.
struct late_clock {
    zerog::steady_time now() const noexcept { return std::chrono::steady_clock::now(); }
    zerog::policy::wall_time wall_now() const noexcept { return std::chrono::system_clock::now() - std::chrono::hours(2); }
};

using test_policies = cl::policy_set<recording_transport, secp256k1_signer, zerog::policy::no_retry, zerog::policy::no_breaker,
                                     zerog::policy::no_limit, zerog::policy::memory_persistence>;
using late_policies = cl::policy_set<recording_transport, secp256k1_signer, zerog::policy::no_retry, zerog::policy::no_breaker,
                                     zerog::policy::no_limit, zerog::policy::memory_persistence, zerog::policy::null_telemetry, late_clock>;
using test_client = cl::compute_client<test_policies>;

struct world {
    zerog::testing::anvil_process anvil;
    fs::path dir;
    zerog::net::blocking_runner runner;
    dv::rpc_client rpc;
    address ledger, serving;
    zerog::net::io_thread io;
    dv::compute_provider::pointer p1, p2, p3;

    world() : rpc(zerog::net::http_transport(), anvil.url()) {
        std::random_device rd;
        dir = fs::temp_directory_path() / ("zerog-compute-client-test-" + std::to_string(rd()));
        fs::create_directories(dir);
        std::error_code ec;
        auto tools = dv::locate_tools(fs::read_symlink("/proc/self/exe", ec));
        REQUIRE(tools);
        if (!fs::exists(tools->artefact)) REQUIRE(dv::detail::run_compile(*tools, dir / "compile.log"));
        auto deployed = runner.run(dv::detail::deploy_all(anvil.url(), *tools));
        REQUIRE(deployed);
        ledger = *address::parse(std::string_view(deployed->at("ledger").as_string()));
        serving = *address::parse(std::string_view(deployed->at("inference").as_string()));
        p1 = start(6, 7, true, 0, dv::replay_mode::per_request);
        p2 = start(8, 9, true, 1, dv::replay_mode::off);
        p3 = start(7, 5, false, 2, dv::replay_mode::off);
    }
    ~world() {
        for (auto* p : {&p1, &p2, &p3})
            if (*p) (*p)->stop();
        p1.reset();
        p2.reset();
        p3.reset();
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    dv::compute_provider::pointer start(int provider_key, int tee_key, bool owner_ack, unsigned index, dv::replay_mode replay) {
        dv::compute_provider_config c;
        c.rpc_url = anvil.url();
        c.serving = serving;
        c.provider_key = dv::anvil_dev_keys[provider_key];
        c.tee_key = dv::anvil_dev_keys[tee_key];
        if (owner_ack) c.owner_key = dv::anvil_dev_keys[0];
        c.fault_file = dv::fault_file(dir, "provider", index);
        c.state_ttl = std::chrono::milliseconds(200);
        c.replay = replay;
        auto p = dv::compute_provider::start_on(io.executor(), c);
        INFO((p ? std::string() : p.error().message()));
        REQUIRE(p);
        return *p;
    }
    void fault(unsigned index, std::string mode, std::uint64_t ms = 0) {
        dv::fault_state f;
        f.mode = std::move(mode);
        f.ms = ms;
        REQUIRE(dv::write_fault(dir, "provider", index, f));
        std::this_thread::sleep_for(std::chrono::milliseconds(350));  // `down` is polled every 100 ms
    }
    cl::compute_client_options options() const {
        cl::compute_client_options o;
        o.rpc_urls = {anvil.url()};
        o.chain_id = 16602;
        o.ledger = ledger;
        o.inference = serving;
        o.per_provider_timeout = std::chrono::milliseconds(5000);
        o.inference_timeout = std::chrono::milliseconds(30000);
        o.connect_timeout = std::chrono::milliseconds(1000);
        o.state_ttl = std::chrono::milliseconds(0);  // every request re-reads the chain unless a case says otherwise
        return o;
    }
    template <class P = test_policies>
    std::unique_ptr<cl::compute_client<P>> client(int k, cl::compute_client_options o) {
        auto make = [k] { return P{.signer = key(k)}; };
        return std::make_unique<cl::compute_client<P>>(std::move(o), make);
    }
    std::unique_ptr<test_client> client(int k) { return client<test_policies>(k, options()); }
};

world& env() {
    static std::unique_ptr<world> w(new world());
    return *w;
}

cl::chat_request ask(std::string prompt, bool stream = false) {
    cl::chat_request r;
    r.messages.push_back({"system", "be terse"});
    r.messages.push_back({"user", std::move(prompt)});
    r.stream = stream;
    r.max_tokens = 64;
    return r;
}

/// User #1 set up with P1 and P2 once (through the client: real transactions).
test_client& main_client() {
    static std::unique_ptr<test_client> c = [] {
        auto cc = env().client(1);
        auto rep = cc->setup(uint256(10) * one_0g, {env().p1->address(), env().p2->address()}, uint256(3) * one_0g);
        INFO((rep ? std::string() : rep.error().message()));
        REQUIRE(rep);
        CHECK(rep->steps.size() >= 3);  // addLedger, transferFund ×2 (auto-acknowledged)
        return cc;
    }();
    return *c;
}

std::string error_of(const zerog::result<cl::chat_result>& r) { return r ? std::string("(no error)") : r.error().message(); }

std::size_t lines_with_prefix(const std::vector<std::string>& lines, std::string_view p) {
    std::size_t n = 0;
    for (const auto& l : lines) n += l.rfind(p, 0) == 0 ? 1 : 0;
    return n;
}

}  // namespace

TEST_CASE("compute client: discovery", "[compute-client]") {
    auto c = env().client(3);
    auto all = c->services();
    REQUIRE(all);
    CHECK(all->size() == 3);
    auto usable = c->services_for_model("zerog-devnet-rot13");
    REQUIRE(usable);
    REQUIRE(usable->size() == 2);  // P3's TEE signer is not owner-acknowledged
    CHECK((*usable)[0].provider == env().p1->address());
    CHECK((*usable)[1].provider == env().p2->address());
    CHECK((*usable)[0].tee_signer == env().p1->tee_address());
    auto one = c->service(env().p2->address());
    REQUIRE(one);
    CHECK(one->url == env().p2->url());
    auto none = c->service(key(3).address());
    REQUIRE_FALSE(none);
    CHECK(none.error().is(zerog::errc::not_found));

    // RPC failover: a first endpoint that refuses connections is skipped for the fallback.
    std::uint16_t dead_port = 0;
    {
        boost::asio::io_context ioc;
        boost::asio::ip::tcp::acceptor a(ioc, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
        dead_port = a.local_endpoint().port();
    }
    auto o = env().options();
    o.rpc_urls.insert(o.rpc_urls.begin(), "http://127.0.0.1:" + std::to_string(dead_port));
    auto failover = env().client<test_policies>(3, o);
    auto via_fallback = failover->services();
    INFO((via_fallback ? std::string() : via_fallback.error().message()));
    REQUIRE(via_fallback);
    CHECK(via_fallback->size() == 3);
}

TEST_CASE("compute client: setup is idempotent and funds exactly", "[compute-client]") {
    test_client& c = main_client();
    auto again = c.setup(uint256(10) * one_0g, {env().p1->address(), env().p2->address()}, uint256(3) * one_0g);
    REQUIRE(again);
    CHECK(again->steps.empty());
    auto led = c.ledger();
    REQUIRE(led);
    REQUIRE(*led);
    CHECK((*led)->total == uint256(10) * one_0g);
    CHECK((*led)->available == uint256(4) * one_0g);
    auto acc = c.account(env().p1->address());
    REQUIRE(acc);
    REQUIRE(*acc);
    CHECK((*acc)->acknowledged);
    CHECK((*acc)->balance == uint256(3) * one_0g);
    // Refusals before any transaction.
    auto c5 = env().client(3);
    auto small = c5->setup(one_0g, {env().p1->address()}, one_0g);
    REQUIRE_FALSE(small);
    CHECK(small.error().is(zerog::errc::invalid_argument));
    auto unack = c.setup(uint256(10) * one_0g, {env().p3->address()}, one_0g);
    REQUIRE_FALSE(unack);
    CHECK(unack.error().is(zerog::errc::unauthorized));
    CHECK(unack.error().message().find("not acknowledged by the contract owner") != std::string::npos);
}

TEST_CASE("compute client: verified inference, JSON and streaming", "[compute-client]") {
    test_client& c = main_client();
    const address p1 = env().p1->address();
    const uint256 spent_before = *c.spend(p1);

    auto r = c.chat(ask("Hello, world!"), {{p1, {}}});
    INFO(error_of(r));
    REQUIRE(r);
    CHECK(r->content == "Uryyb, jbeyq!");
    CHECK(r->provider == p1);
    CHECK(r->model == "zerog-devnet-rot13");
    CHECK(r->verified);
    CHECK(r->verdict == zerog::compute::response_verdict::valid);
    CHECK_FALSE(r->chat_id.empty());
    CHECK(r->response_body.find(r->chat_id) == std::string::npos);  // ZG-Res-Key, not the body id
    const auto& cfg = env().p1->config();
    CHECK(r->fee == cfg.input_price * uint256(r->usage.prompt_tokens) + cfg.output_price * uint256(r->usage.completion_tokens));
    CHECK(r->usage.completion_tokens == 4);
    CHECK(r->estimated_fee >= r->fee);

    std::string streamed;
    auto s = ask("Hello, world!", true);
    s.on_delta = [&streamed](std::string_view d) { streamed += d; };
    auto rs = c.chat(std::move(s), {{p1, {}}});
    INFO(error_of(rs));
    REQUIRE(rs);
    CHECK(rs->content == "Uryyb, jbeyq!");
    CHECK(streamed == rs->content);
    CHECK(rs->verified);
    CHECK(rs->response_body.find("data: [DONE]") != std::string::npos);
    CHECK(rs->usage == r->usage);

    // Cumulative spend is booked exactly; the CLI JSON has the documented shape.
    CHECK(*c.spend(p1) == spent_before + r->fee + rs->fee);
    const auto j = cl::to_json(*r);
    for (const char* k : {"content", "provider", "model", "chatId", "usage", "fee", "verified"}) CHECK(j.contains(k));

    // Replay-protected P1 served two different bodies: the adaptive client learned to use fresh tokens.
    auto again = c.chat(ask("third, different body"), {{p1, {}}});
    INFO(error_of(again));
    CHECK(again);
}

TEST_CASE("compute client: precise refusals", "[compute-client]") {
    world& w = env();
    (void)main_client();
    const address p1 = w.p1->address(), p2 = w.p2->address();

    SECTION("replayed nonce: a cached token reused for another request at a replay-protecting provider") {
        auto o = w.options();
        o.reuse = cl::token_reuse::cached;
        auto c = w.client<test_policies>(1, o);
        REQUIRE(c->chat(ask("first body"), {{p1, {}}}));
        auto r = c->chat(ask("second body"), {{p1, {}}});
        REQUIRE_FALSE(r);
        CHECK(r.error().is(zerog::errc::unauthorized));
        CHECK(r.error().message().find(dv::provider_messages::nonce_replayed) != std::string::npos);
    }
    SECTION("expired token (client wall clock two hours late)") {
        auto c = w.client<late_policies>(1, w.options());
        auto r = c->chat(ask("late"), {{p2, {}}});
        REQUIRE_FALSE(r);
        CHECK(r.error().is(zerog::errc::unauthorized));
        CHECK(r.error().message().find(zerog::compute::broker_messages::expired) != std::string::npos);
    }
    SECTION("foreign provider: the URL serves another provider") {
        auto c = w.client(1);
        auto r = c->chat(ask("wrong door"), {{p1, w.p2->url()}});
        REQUIRE_FALSE(r);
        CHECK(r.error().is(zerog::errc::unauthorized));
        CHECK(r.error().message().find(zerog::compute::broker_messages::different_provider) != std::string::npos);
    }
    SECTION("unacknowledged provider: refused before sending") {
        auto c = w.client(1);
        auto r = c->chat(ask("untrusted"), {{w.p3->address(), {}}});
        REQUIRE_FALSE(r);
        CHECK(r.error().is(zerog::errc::unauthorized));
        CHECK(r.error().message().find("not acknowledged by the contract owner") != std::string::npos);
        for (const auto& q : c->policies().transport.requests()) CHECK(q.url.find(w.p3->url()) == std::string::npos);
    }
    SECTION("no sub-account") {
        auto c = w.client(3);
        auto r = c->chat(ask("who am I"), {{p1, {}}});
        REQUIRE_FALSE(r);
        CHECK(r.error().is(zerog::errc::not_found));
        CHECK(r.error().message().find("no sub-account with provider") != std::string::npos);
    }
    SECTION("insufficient balance: refused by the estimate before sending") {
        auto c = w.client(2);
        auto rep = c->setup(uint256(3) * one_0g, {p1}, one_0g);
        INFO((rep ? std::string() : rep.error().message()));
        REQUIRE(rep);
        const std::size_t served = w.p1->completions();
        auto r = c->chat(ask("too poor"), {{p1, {}}});
        REQUIRE_FALSE(r);
        CHECK(r.error().is(zerog::errc::insufficient_funds));
        CHECK(r.error().message().find("insufficient balance: your locked balance is ") != std::string::npos);
        CHECK(w.p1->completions() == served);
    }
}

TEST_CASE("compute client: revoked generation", "[compute-client]") {
    world& w = env();
    const address p2 = w.p2->address();
    auto setup = w.client(4);
    REQUIRE(setup->setup(uint256(4) * one_0g, {p2}, uint256(3) * one_0g));

    auto o = w.options();
    o.state_ttl = std::chrono::minutes(10);  // keeps the old generation cached
    o.renew_on_auth_error = false;
    auto strict = w.client<test_policies>(4, o);
    o.renew_on_auth_error = true;
    auto renewing = w.client<test_policies>(4, o);
    REQUIRE(strict->chat(ask("before"), {{p2, {}}}));
    REQUIRE(renewing->chat(ask("before"), {{p2, {}}}));

    REQUIRE(setup->revoke_all_tokens(p2));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // provider state_ttl

    auto r = strict->chat(ask("after"), {{p2, {}}});
    REQUIRE_FALSE(r);
    CHECK(r.error().is(zerog::errc::unauthorized));
    CHECK(r.error().message().find(zerog::compute::broker_messages::generation_revoked) != std::string::npos);
    const auto signed_before = renewing->tokens().signed_count();
    auto ok = renewing->chat(ask("after"), {{p2, {}}});
    INFO(error_of(ok));
    CHECK(ok);
    CHECK(renewing->tokens().signed_count() == signed_before + 1);
    CHECK(setup->chat(ask("revoker's own cache was dropped"), {{p2, {}}}));
}

TEST_CASE("compute client: failover under provider faults", "[compute-client]") {
    world& w = env();
    test_client& c = main_client();
    const address p1 = w.p1->address(), p2 = w.p2->address();
    const std::vector<cl::provider_target> order = {{p2, {}}, {p1, {}}};
    struct restore {
        ~restore() { env().fault(1, "none"); }
    } guard;

    (void)c;  // user #1 is set up with both providers
    for (const char* mode : {"down", "error", "bad-signature"}) {
        INFO(mode);
        w.fault(1, mode);
        // A fresh client: its endpoint selector has seen neither provider, so the caller's order holds.
        auto fresh = w.client(1);
        auto r = fresh->chat(ask(std::string("failover ") + mode), order);
        INFO(error_of(r));
        REQUIRE(r);
        CHECK(r->provider == p1);
        CHECK(r->verified);
        REQUIRE(r->failed_over.size() == 1);
        CHECK(r->failed_over[0].find(p2.to_checksum_hex()) == 0);
        // The same client again: the selector learned that p2 fails and tries p1 first.
        auto again = fresh->chat(ask(std::string("after failover ") + mode), order);
        INFO(error_of(again));
        REQUIRE(again);
        CHECK(again->provider == p1);
        CHECK(again->failed_over.empty());
    }
    {  // slow: the per-provider deadline moves on
        w.fault(1, "slow", 3000);
        auto o = w.options();
        o.per_provider_timeout = std::chrono::milliseconds(800);
        auto fast = w.client<test_policies>(1, o);
        const auto t0 = std::chrono::steady_clock::now();
        auto r = fast->chat(ask("failover slow"), order);
        INFO(error_of(r));
        REQUIRE(r);
        CHECK(r->provider == p1);
        CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(2500));
    }
    {  // lenient verification keeps a bad-signature answer but says so
        w.fault(1, "bad-signature");
        auto o = w.options();
        o.verify = cl::verification::lenient;
        auto lenient = w.client<test_policies>(1, o);
        auto r = lenient->chat(ask("trust me"), {{p2, {}}});
        REQUIRE(r);
        CHECK_FALSE(r->verified);
        CHECK(r->verdict == zerog::compute::response_verdict::wrong_signer);
        CHECK_FALSE(r->verification_error.empty());
    }
    {  // every provider failing: one error naming each
        w.fault(1, "error");
        auto r = c.chat(ask("nobody home"), {{p2, {}}, {w.p3->address(), {}}});
        REQUIRE_FALSE(r);
        CHECK(r.error().message().find("all 2 providers failed") != std::string::npos);
    }
    {  // by model: every acknowledged provider, in contract order
        w.fault(0, "down");
        auto r = c.chat_model(ask("by model"), "zerog-devnet-rot13");
        w.fault(0, "none");
        REQUIRE_FALSE(r);  // P1 down, P2 erroring
        w.fault(1, "none");
        auto ok = c.chat_model(ask("by model again"), "zerog-devnet-rot13");
        INFO(error_of(ok));
        CHECK(ok);
    }
}

TEST_CASE("compute client: no key material in any request", "[compute-client]") {
    test_client& c = main_client();
    // Make sure streaming, signature fetches and transactions are in the log.
    REQUIRE(c.chat(ask("scan me", true), {{env().p1->address(), {}}}));
    const auto reqs = c.policies().transport.requests();
    REQUIRE(reqs.size() > 10);
    std::string hex(dv::anvil_dev_keys[1] + 2);
    std::string upper = hex;
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    auto lower_of = [](std::string s) {
        for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        return s;
    };
    bool saw_tx = false, saw_auth = false;
    for (const auto& q : reqs) {
        std::string all = q.method + " " + q.url + "\n";
        for (const auto& [k, v] : q.headers) all += k + ": " + v + "\n";
        all += q.body;
        const std::string low = lower_of(all);
        CHECK(low.find(hex) == std::string::npos);  // covers upper, lower, mixed case, with or without 0x
        CHECK(all.find(upper) == std::string::npos);
        saw_tx |= all.find("eth_sendRawTransaction") != std::string::npos;
        saw_auth |= zerog::net::find_header(q.headers, "Authorization").has_value();
        if (auto a = zerog::net::find_header(q.headers, "Authorization")) CHECK(a->rfind("Bearer app-sk-", 0) == 0);
    }
    CHECK(saw_tx);
    CHECK(saw_auth);
}

TEST_CASE("compute client: budgets refuse before sending, commit the billed fee, alert at 50/80/100 %, survive a restart",
          "[compute-client][budget]") {
    namespace pol = zerog::policy;
    using tracker_t = pol::budget_tracker<zerog::ref<zerog::testing::recording_telemetry>>;
    world& w = env();
    (void)main_client();  // user #1 is set up with P1
    const address p1 = w.p1->address();
    const auto& cfg = w.p1->config();
    zerog::testing::recording_telemetry tel;
    pol::budget_config bc;
    bc.default_limits[static_cast<int>(pol::budget_kind::requests)] = uint256(4);
    tracker_t t(bc, {&tel});
    auto o = w.options();
    o.user = "carol";
    auto c = w.client<test_policies>(1, o);
    t.persist_to(c->policies().persistence);
    c->use_budget(&t);
    auto sent_to_p1 = [&](test_client& cc) {
        std::size_t n = 0;
        for (const auto& q : cc.policies().transport.requests()) n += q.url.rfind(w.p1->url(), 0) == 0 ? 1 : 0;
        return n;
    };
    auto used = [&](tracker_t& tr, pol::budget_kind k) { return tr.usage_of("carol", k).used; };
    auto alerts = [&] {
        std::size_t n = 0;
        for (const auto& l : tel.lines()) n += l.rfind("alert:budget_threshold user=carol", 0) == 0 ? 1 : 0;
        return n;
    };

    // The estimate is pricing's value for the exact body; reading it sends nothing to the provider.
    auto est = c->estimate(ask("budget"), {p1, {}});
    INFO((est ? std::string() : est.error().message()));
    REQUIRE(est);
    const auto want = zerog::compute::estimate_request_fee(test_client::request_body(ask("budget"), est->model),
                                                           zerog::compute::service_prices{cfg.input_price, cfg.output_price});
    REQUIRE(want);
    CHECK(est->fee == want->total_fee);
    CHECK(est->tokens == want->tokens);
    CHECK(est->tokens.completion_tokens == 64);  // ask() sets max_tokens
    CHECK(est->usable);
    CHECK(sent_to_p1(*c) == 0);

    // A spend limit one neuron below the estimate: refused, the provider received nothing.
    t.set_limit("carol", pol::budget_kind::spend, est->fee - uint256(1));
    const std::size_t served = w.p1->completions();
    auto refused = c->chat(ask("budget"), {{p1, {}}});
    REQUIRE_FALSE(refused);
    INFO(refused.error().message());
    CHECK(refused.error().is(zerog::errc::budget_exhausted));
    CHECK(refused.error().message().find("requested exceeds the limit of") != std::string::npos);
    CHECK(refused.error().message().find("nothing was sent to the provider") != std::string::npos);
    CHECK(w.p1->completions() == served);
    CHECK(sent_to_p1(*c) == 0);  // not even the unsettled-fee read
    CHECK(used(t, pol::budget_kind::spend) == uint256());
    CHECK(t.usage_of("carol", pol::budget_kind::spend).reserved == uint256());
    CHECK(used(t, pol::budget_kind::requests) == uint256());

    // Raised: it runs, and the committed spend / tokens are the billed ones.
    t.set_limit("carol", pol::budget_kind::spend, est->fee * uint256(100));
    uint256 billed;
    std::uint64_t tokens = 0;
    for (int i = 1; i <= 4; ++i) {
        INFO("inference " << i);
        auto r = c->chat(ask("budget"), {{p1, {}}});
        INFO(error_of(r));
        REQUIRE(r);
        billed = billed + r->fee;
        tokens += r->usage.prompt_tokens + r->usage.completion_tokens;
        CHECK(r->fee < est->fee);  // the conservative estimate was reserved, the bill committed
        CHECK(used(t, pol::budget_kind::spend) == billed);
        CHECK(used(t, pol::budget_kind::tokens) == uint256(tokens));
        CHECK(used(t, pol::budget_kind::requests) == uint256(static_cast<std::uint64_t>(i)));
        for (auto k : {pol::budget_kind::spend, pol::budget_kind::tokens, pol::budget_kind::requests})
            CHECK(t.usage_of("carol", k).reserved == uint256());
        CHECK(w.p1->completions() == served + static_cast<std::size_t>(i));
        CHECK(alerts() == (i < 2 ? 0u : i < 4 ? 1u : 3u));  // 50 % at 2 of 4; 80 and 100 % together at 4
    }
    CHECK(lines_with_prefix(tel.lines(), "alert:budget_threshold user=carol kind=requests percent=50 used=2 limit=4") == 1);
    CHECK(lines_with_prefix(tel.lines(), "alert:budget_threshold user=carol kind=requests percent=100 used=4 limit=4") == 1);
    auto fifth = c->chat(ask("budget"), {{p1, {}}});
    REQUIRE_FALSE(fifth);
    CHECK(fifth.error().is(zerog::errc::quota_exceeded));
    CHECK(w.p1->completions() == served + 4);

    // "Restart": a tracker restored from the persistence model refuses what the old one refuses.
    tracker_t restarted(bc, {&tel});
    restarted.persist_to(c->policies().persistence);
    auto c2 = w.client<test_policies>(1, o);
    c2->use_budget(&restarted);
    auto r2 = c2->chat(ask("budget"), {{p1, {}}});
    REQUIRE_FALSE(r2);
    INFO(r2.error().message());
    CHECK(r2.error().is(zerog::errc::quota_exceeded));
    CHECK(r2.error().message().find("requests quota: 4 used + 0 reserved + 1 requested exceeds the limit of 4") != std::string::npos);
    CHECK(w.p1->completions() == served + 4);
    CHECK(sent_to_p1(*c2) == 0);
    CHECK(used(restarted, pol::budget_kind::spend) == billed);
    CHECK(alerts() == 3);
}
