// The compute provider emulator against a real anvil with the dev contracts: registration, the
// G3 request flow (JSON and SSE), TEE response signatures, every refusal of the broker's
// validation, replay protection and the fault modes. One shared chain for all cases (starting
// anvil and deploying costs ~1 s), so cases use distinct users where on-chain state changes.
// All Beast/Asio instantiation of this test program's compute side lives in this TU.
#include <zerog/devnet/compute_provider.hpp>
#include <zerog/devnet/orchestrator.hpp>

#include "anvil.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <thread>

namespace {

namespace dv = zerog::devnet;
namespace cm = zerog::compute;
namespace json = boost::json;
namespace fs = std::filesystem;
using zerog::uint256;
using zerog::crypto::address;
using zerog::crypto::secp256k1_signer;

const uint256 one_0g = uint256(1'000'000'000'000'000'000ULL);

secp256k1_signer key(int i) { return *secp256k1_signer::from_hex(dv::anvil_dev_keys[i]); }

/// The shared devnet: anvil, contracts, two providers (#1 acknowledged by the owner, #2 not) and
/// users A (#1, funded 3 0G), B (#2, 1 0G: too little), C (#3, no sub-account), D (#4, 2 0G,
/// used for revocations).
struct world {
    zerog::testing::anvil_process anvil;
    fs::path dir;
    zerog::net::blocking_runner runner;
    dv::rpc_client rpc;
    address ledger, serving;
    std::string service_name;
    zerog::net::io_thread io;
    dv::compute_provider::pointer p1, p2;
    zerog::net::http_transport http;

    world() : rpc(zerog::net::http_transport(), anvil.url()) {
        std::random_device rd;
        dir = fs::temp_directory_path() / ("zerog-provider-test-" + std::to_string(rd()));
        fs::create_directories(dir);
        std::error_code ec;
        auto tools = dv::locate_tools(fs::read_symlink("/proc/self/exe", ec));
        REQUIRE(tools);
        if (!fs::exists(tools->artefact)) REQUIRE(dv::detail::run_compile(*tools, dir / "compile.log"));
        auto deployed = runner.run(dv::detail::deploy_all(anvil.url(), *tools));
        REQUIRE(deployed);
        ledger = *address::parse(std::string_view(deployed->at("ledger").as_string()));
        serving = *address::parse(std::string_view(deployed->at("inference").as_string()));
        auto info = view(ledger, *zerog::codec::abi::encode_call("getServiceInfo(address)", serving));
        auto t = zerog::codec::abi::decode("((address,address,string,string,string,string,bool,uint256))", info);
        REQUIRE(t);
        service_name = *(*(*t)[0].as_list())[4].as_string();

        p1 = start(6, 7, true, 0);
        p2 = start(8, 9, false, 1);
        // Users: ledgers and sub-accounts with real transactions.
        tx(1, ledger, *zerog::codec::abi::encode_call("addLedger(string)", std::string()), uint256(10) * one_0g);
        transfer(1, p1->address(), uint256(3) * one_0g);
        transfer(1, p2->address(), one_0g);
        tx(2, ledger, *zerog::codec::abi::encode_call("addLedger(string)", std::string()), uint256(4) * one_0g);
        transfer(2, p1->address(), one_0g);
        tx(4, ledger, *zerog::codec::abi::encode_call("addLedger(string)", std::string()), uint256(4) * one_0g);
        transfer(4, p1->address(), uint256(2) * one_0g);
    }
    ~world() {
        if (p1) p1->stop();
        if (p2) p2->stop();
        p1.reset();
        p2.reset();
        std::error_code ec;
        fs::remove_all(dir, ec);
    }

    dv::compute_provider::pointer start(int provider_key, int tee_key, bool owner_ack, unsigned index) {
        dv::compute_provider_config c;
        c.rpc_url = anvil.url();
        c.serving = serving;
        c.provider_key = dv::anvil_dev_keys[provider_key];
        c.tee_key = dv::anvil_dev_keys[tee_key];
        if (owner_ack) c.owner_key = dv::anvil_dev_keys[0];
        c.fault_file = dv::fault_file(dir, "provider", index);
        c.state_ttl = std::chrono::milliseconds(200);
        auto p = dv::compute_provider::start_on(io.executor(), c);
        INFO((p ? std::string() : p.error().message()));
        REQUIRE(p);
        return *p;
    }
    zerog::bytes view(const address& to, zerog::bytes data) {
        auto r = runner.run(dv::eth_call(rpc, to, std::move(data)));
        REQUIRE(r);
        return *r;
    }
    void tx(int k, const address& to, zerog::bytes data, uint256 value = uint256(0)) {
        const secp256k1_signer s = key(k);
        auto n = runner.run(dv::provider_chain::pending_nonce(rpc, s.address()));
        REQUIRE(n);
        auto r = runner.run(dv::send_and_wait(rpc, s, dv::devnet_chain_id, *n, to, std::move(data), value));
        INFO((r ? std::string() : r.error().message()));
        REQUIRE(r);
    }
    void transfer(int k, const address& provider, uint256 amount) {
        tx(k, ledger, *zerog::codec::abi::encode_call("transferFund(address,string,uint256)", provider, service_name, amount));
    }

    zerog::net::http_response call(const std::string& method, const std::string& url, const std::string& auth, std::string body) {
        zerog::net::http_request r;
        r.method = method;
        r.url = url;
        if (!body.empty()) r.headers.emplace_back("Content-Type", "application/json");
        if (!auth.empty()) r.headers.emplace_back("Authorization", auth);
        r.body = std::move(body);
        r.options.accept_any_status = true;
        r.options.connect_timeout = std::chrono::milliseconds(2000);
        r.options.read_timeout = std::chrono::milliseconds(10000);
        auto res = http.send(std::move(r));
        INFO((res ? std::string() : res.error().message()));
        REQUIRE(res);
        return *res;
    }
    zerog::net::http_response chat(const dv::compute_provider& p, const std::string& auth, std::string body) {
        return call("POST", p.url() + "/v1/proxy/chat/completions", auth, std::move(body));
    }
    void fault(unsigned index, std::string mode, std::uint64_t ms = 0) {
        dv::fault_state f;
        f.mode = std::move(mode);
        f.ms = ms;
        REQUIRE(dv::write_fault(dir, "provider", index, f));
    }
};

world& env() {
    static std::unique_ptr<world> w(new world());
    return *w;
}

/// A fresh ephemeral token of anvil user `k` for `provider`.
std::string token(int k, const address& provider, std::uint64_t generation = 0, cm::session_token_options o = {}) {
    o.generation = generation;
    auto t = cm::make_session_token(key(k), provider, o);
    REQUIRE(t);
    return t->authorization;
}

std::string body_of(std::string_view prompt, bool stream = false, std::string extra = "") {
    json::object m;
    m["role"] = "user";
    m["content"] = prompt;
    json::array msgs;
    msgs.push_back(json::object{{"role", "system"}, {"content", "be terse"}});
    msgs.push_back(std::move(m));
    json::object o;
    o["model"] = "zerog-devnet-rot13";
    o["messages"] = std::move(msgs);
    o["stream"] = stream;
    std::string s = json::serialize(o);
    if (!extra.empty()) s.insert(s.size() - 1, "," + extra);
    return s;
}

std::string error_text(const zerog::net::http_response& r) {
    auto v = json::parse(r.body);
    return std::string(v.at("error").as_string());
}

/// Fetch and check the TEE signature of a response against the bodies exchanged.
cm::response_check signature_check(dv::compute_provider& p, const zerog::net::http_response& res, std::string_view req_body) {
    auto key_hdr = res.header("ZG-Res-Key");
    REQUIRE(key_hdr);
    auto path = cm::signature_path(*key_hdr, p.config().model);
    REQUIRE(path);
    auto sres = env().call("GET", p.url() + *path, "", "");
    REQUIRE(sres.status == 200);
    auto parsed = cm::parse_signature_response(sres.body);
    REQUIRE(parsed);
    CHECK(parsed->signing_address == p.tee_address());
    return cm::check_response_signature(*parsed, p.tee_address(), cm::exchanged_bodies{req_body, res.body});
}

}  // namespace

TEST_CASE("provider: tokenizer and deterministic answers", "[provider]") {
    CHECK(dv::chat::count_tokens("Hello, world!") == 4);
    CHECK(dv::chat::count_tokens("  naïve  café\n42x ") == 6);  // "na" "ï" "ve" "caf" "é" "42x"
    CHECK(dv::chat::rot13(dv::chat::rot13("Round trip: 123!")) == "Round trip: 123!");
    auto r = dv::chat::parse_chat_request(body_of("Hello, world!", false, "\"max_tokens\":2"));
    REQUIRE(r);
    const auto a = dv::chat::answer(*r);
    CHECK(a.content == "Uryyb,");
    CHECK(a.finish_reason == "length");
    CHECK(a.usage.prompt_tokens == 6);
    CHECK(a.usage.completion_tokens == 2);
    std::string joined;
    for (const auto& p : dv::chat::stream_pieces(" a  b, c ")) joined += p;
    CHECK(joined == " a  b, c ");
}

TEST_CASE("provider: registration on InferenceServing", "[provider]") {
    world& w = env();
    auto s1 = w.runner.run(dv::provider_chain::read_service(w.rpc, w.serving, w.p1->address()));
    REQUIRE(s1);
    CHECK(s1->url == w.p1->url());
    CHECK(s1->tee_signer == w.p1->tee_address());
    CHECK(s1->tee_signer_acknowledged);
    auto s2 = w.runner.run(dv::provider_chain::read_service(w.rpc, w.serving, w.p2->address()));
    REQUIRE(s2);
    CHECK_FALSE(s2->tee_signer_acknowledged);
    // Readiness endpoint for `zerog devnet up`.
    auto st = w.call("POST", w.p1->url() + "/", "", R"({"jsonrpc":"2.0","id":1,"method":"devnet_providerStatus"})");
    CHECK(st.status == 200);
    CHECK(st.body.find(w.p1->address().to_checksum_hex()) != std::string::npos);
}

TEST_CASE("provider: completions with verifiable TEE signatures", "[provider]") {
    world& w = env();
    const address user = key(1).address();
    const uint256 before = w.p1->unsettled_fee(user);

    const std::string req = body_of("Hello, world!");
    auto res = w.chat(*w.p1, token(1, w.p1->address()), req);
    REQUIRE(res.status == 200);
    auto v = json::parse(res.body).as_object();
    CHECK(v.at("choices").as_array()[0].at("message").at("content").as_string() == "Uryyb, jbeyq!");
    CHECK(v.at("usage").at("prompt_tokens").as_int64() == 6);
    CHECK(v.at("usage").at("completion_tokens").as_int64() == 4);
    CHECK(res.header("ZG-Res-Key"));
    CHECK(*res.header("ZG-Res-Key") != std::string_view(v.at("id").as_string()));
    CHECK(signature_check(*w.p1, res, req).ok());
    CHECK(w.p1->unsettled_fee(user) == before + uint256(6) * uint256(50'000'000'000ULL) + uint256(4) * uint256(100'000'000'000ULL));

    SECTION("streaming SSE, signature over the whole event stream") {
        const std::string sreq = body_of("Hello, world!", true, "\"max_tokens\":2");
        auto sres = w.chat(*w.p1, token(1, w.p1->address()), sreq);
        REQUIRE(sres.status == 200);
        CHECK(sres.header("Content-Type") == std::string_view("text/event-stream"));
        std::string content, last_json;
        std::size_t pos = 0;
        bool done = false;
        while (pos < sres.body.size()) {
            const auto end = sres.body.find("\n\n", pos);
            REQUIRE(end != std::string::npos);
            const std::string ev = sres.body.substr(pos, end - pos);
            pos = end + 2;
            REQUIRE(ev.substr(0, 6) == "data: ");
            if (ev == "data: [DONE]") { done = true; continue; }
            last_json = ev.substr(6);
            auto c = json::parse(last_json).at("choices").as_array()[0].at("delta").as_object();
            if (auto* t = c.if_contains("content")) content += t->as_string().c_str();
        }
        CHECK(done);
        CHECK(content == "Uryyb,");
        auto u = cm::parse_usage(last_json);
        REQUIRE(u);
        CHECK(u->prompt_tokens == 6);
        CHECK(u->completion_tokens == 2);
        CHECK(signature_check(*w.p1, sres, sreq).ok());
    }
    SECTION("unknown chat key and foreign model at the signature endpoint") {
        CHECK(w.call("GET", w.p1->url() + "/v1/proxy/signature/nope?model=zerog-devnet-rot13", "", "").status == 404);
        auto k = *res.header("ZG-Res-Key");
        CHECK(w.call("GET", w.p1->url() + "/v1/proxy/signature/" + std::string(k) + "?model=other", "", "").status == 400);
    }
    SECTION("unsettled fee endpoint") {
        auto r = w.call("GET", w.p1->url() + cm::unsettled_fee_path(user), token(1, w.p1->address()), "");
        REQUIRE(r.status == 200);
        auto fee = cm::parse_unsettled_fee(r.body);
        REQUIRE(fee);
        CHECK(*fee == w.p1->unsettled_fee(user));
    }
}

TEST_CASE("provider: replay protection binds a nonce to one request", "[provider]") {
    world& w = env();
    const std::string t = token(1, w.p1->address());
    const std::string a = body_of("first request"), b = body_of("second request");
    CHECK(w.chat(*w.p1, t, a).status == 200);
    CHECK(w.chat(*w.p1, t, a).status == 200);  // a retry of the same request passes
    auto r = w.chat(*w.p1, t, b);
    CHECK(r.status == 401);
    CHECK(error_text(r) == dv::provider_messages::nonce_replayed);
}

TEST_CASE("provider: refusals with the broker's texts", "[provider]") {
    world& w = env();
    const address me = w.p1->address();
    auto refused = [&](const std::string& auth, unsigned status, std::string_view text, const dv::compute_provider* p = nullptr) {
        auto r = w.chat(p ? *p : *w.p1, auth, body_of("refuse me"));
        CHECK(r.status == status);
        CHECK(error_text(r) == text);
    };
    refused("", 401, cm::broker_messages::invalid_header);
    refused("Basic abc", 401, cm::broker_messages::invalid_header);
    {
        cm::session_token_options o;
        const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        o.timestamp_ms = now - 7'200'000;
        o.lifetime = std::chrono::milliseconds(3'600'000);
        refused(token(1, me, 0, o), 401, cm::broker_messages::expired);
    }
    refused(token(1, w.p2->address()), 401, cm::broker_messages::different_provider);
    {  // tampered: another nonce under the original signature
        auto t = cm::make_session_token(key(1), me);
        REQUIRE(t);
        std::string j = t->json;
        const auto p = j.find("\"nonce\":\"") + 9;
        j[p] = j[p] == '1' ? '2' : '1';
        refused(cm::encode_authorization(j, t->signature), 401, cm::broker_messages::address_mismatch);
    }
    refused(token(3, me), 400, dv::provider_messages::account_not_exist);
    refused(token(1, w.p2->address()), 400, dv::provider_messages::service_not_acknowledged, w.p2.get());
    {
        auto r = w.chat(*w.p1, token(2, me), body_of("refuse me"));
        CHECK(r.status == 400);
        CHECK(error_text(r).rfind("insufficient balance: your locked balance is 1.000000 0G, but the required minimum is 1.000000 0G "
                                  "(breakdown: minimum reserve 1.000000 0G + unsettled fees 0.000000 0G + current request fee 0.000000 0G)",
                                  0) == 0);
    }
}

TEST_CASE("provider: on-chain revocation (generation and token id)", "[provider]") {
    world& w = env();
    const address me = w.p1->address();
    const std::string old_gen = token(4, me, 0);
    REQUIRE(w.chat(*w.p1, old_gen, body_of("before revocation")).status == 200);
    w.tx(4, w.serving, *zerog::codec::abi::encode_call("revokeAllTokens(address)", me));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // > state_ttl
    auto r = w.chat(*w.p1, old_gen, body_of("after revocation"));
    CHECK(r.status == 401);
    CHECK(error_text(r) == cm::broker_messages::generation_revoked);
    r = w.chat(*w.p1, token(4, me, 2), body_of("future"));
    CHECK(error_text(r) == cm::broker_messages::future_generation);
    CHECK(w.chat(*w.p1, token(4, me, 1), body_of("current generation")).status == 200);

    // Persistent API keys: id 7 revoked, id 8 unaffected.
    cm::session_token_options api;
    api.token_id = 7;
    const std::string k7 = token(4, me, 1, api);
    api.token_id = 8;
    const std::string k8 = token(4, me, 1, api);
    CHECK(w.chat(*w.p1, k7, body_of("api key")).status == 200);
    w.tx(4, w.serving, *zerog::codec::abi::encode_call("revokeToken(address,uint8)", me, std::uint8_t(7)));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    r = w.chat(*w.p1, k7, body_of("api key again"));
    CHECK(r.status == 401);
    CHECK(error_text(r) == cm::broker_messages::token_revoked);
    CHECK(w.chat(*w.p1, k8, body_of("other api key")).status == 200);
}

TEST_CASE("provider: fault modes", "[provider]") {
    world& w = env();
    const address me = w.p1->address();
    w.fault(0, "error");
    auto r = w.chat(*w.p1, token(1, me), body_of("fault"));
    CHECK(r.status == 500);
    CHECK(error_text(r) == dv::provider_messages::internal);

    w.fault(0, "slow", 300);
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(w.chat(*w.p1, token(1, me), body_of("slow")).status == 200);
    CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(300));

    w.fault(0, "bad-signature");
    const std::string req = body_of("signed by whom?");
    r = w.chat(*w.p1, token(1, me), req);
    REQUIRE(r.status == 200);
    const auto chk = signature_check(*w.p1, r, req);
    CHECK(chk.verdict == cm::response_verdict::wrong_signer);

    w.fault(0, "down");
    std::this_thread::sleep_for(std::chrono::milliseconds(350));
    {
        zerog::net::http_request q;
        q.url = w.p1->url() + "/v1/proxy/chat/completions";
        q.body = body_of("down");
        q.options.connect_timeout = std::chrono::milliseconds(1000);
        q.options.accept_any_status = true;
        auto res = w.http.send(std::move(q));
        CHECK_FALSE(res);  // connection refused
    }
    w.fault(0, "none");
    std::this_thread::sleep_for(std::chrono::milliseconds(350));
    const std::string ok_req = body_of("back up");
    r = w.chat(*w.p1, token(1, me), ok_req);
    CHECK(r.status == 200);
    CHECK(signature_check(*w.p1, r, ok_req).ok());
}

TEST_CASE("provider: JSON config and the blocking start used by `devnet serve`", "[provider]") {
    world& w = env();
    json::object o;
    o["rpc"] = w.anvil.url();
    o["serving"] = w.serving.to_checksum_hex();
    o["providerKey"] = dv::anvil_dev_keys[6];
    o["teeKey"] = dv::anvil_dev_keys[7];
    o["register"] = false;  // p1 registered this provider already
    o["inputPrice"] = "7";
    o["replay"] = "off";
    auto cfg = dv::provider_config_from_json(o);
    REQUIRE(cfg);
    CHECK(cfg->input_price == uint256(7));
    CHECK(cfg->replay == dv::replay_mode::off);
    o["replay"] = "sometimes";
    CHECK_FALSE(dv::provider_config_from_json(o));

    boost::asio::io_context ioc(1);
    auto p = dv::compute_provider::start(ioc, *cfg);
    REQUIRE(p);
    std::thread t([&ioc] { ioc.run(); });
    auto st = w.call("POST", (*p)->url() + "/", "", R"({"jsonrpc":"2.0","id":1,"method":"devnet_providerStatus"})");
    CHECK(st.status == 200);
    CHECK(json::parse(st.body).at("result").at("teeSigner").as_string() == (*p)->tee_address().to_checksum_hex());
    // replay off: one token, two different requests (the Go broker's behaviour).
    const std::string tk = token(1, (*p)->address());
    CHECK(w.chat(**p, tk, body_of("one")).status == 200);
    CHECK(w.chat(**p, tk, body_of("two")).status == 200);
    (*p)->stop();
    p->reset();
    ioc.stop();
    t.join();
}
