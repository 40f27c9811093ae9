// chain::eth_client + chain::tx_sender over net::http_transport against a real anvil (one fresh
// node per test case, tests/support/anvil.hpp). The chain layer's one Beast-instantiating test TU.
// Every wait is bounded: the sender's timeout, the transport's timeouts, and `drive`'s bound.
#include "anvil.hpp"

#include <zerog/chain/tx_sender.hpp>
#include <zerog/codec/abi_events.hpp>
#include <zerog/crypto/secp256k1_signer.hpp>
#include <zerog/net/http_server.hpp>
#include <zerog/net/http_transport.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

using namespace zerog;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace json = boost::json;
using clk = std::chrono::steady_clock;
using zerog::testing::anvil_keys;
using zerog::testing::anvil_process;

namespace {

using client_t = chain::eth_client<net::http_transport>;
using sender_t = chain::tx_sender<net::http_transport, crypto::secp256k1_signer>;

// Run `co` on `ioc` until it completes or `bound` passes; rethrow what it threw (Catch2 REQUIRE).
void drive(asio::io_context& ioc, asio::awaitable<void> co, std::chrono::milliseconds bound = 60s) {
    bool done = false;
    std::exception_ptr ep;
    asio::co_spawn(ioc, std::move(co), [&](std::exception_ptr e) {
        ep = e;
        done = true;
    });
    const auto until = clk::now() + bound;
    while (!done && clk::now() < until) ioc.run_one_for(50ms);
    REQUIRE(done);
    if (ep) std::rethrow_exception(ep);
}

crypto::secp256k1_signer dev_signer(int i) { return crypto::secp256k1_signer::from_hex(anvil_keys[i]).value(); }

chain::tx_sender_options sender_options() {
    chain::tx_sender_options o;
    o.chain_id = 16602;
    o.timeout = 30s;
    o.poll_interval = 10ms;
    return o;
}

// A node, a client and a blocking runner for straight-line test code.
struct env {
    anvil_process node;
    client_t client;
    net::blocking_runner br;
    explicit env(anvil_process::options o = {}) : node(std::move(o)), client(net::http_transport(), node.url()) {}
    template <class T>
    T must(asio::awaitable<result<T>> op) {
        auto r = br.run(std::move(op));
        if (!r) FAIL(r.error().message());
        return std::move(r).value();
    }
    template <class T>
    result<T> run(asio::awaitable<result<T>> op) { return br.run(std::move(op)); }
    std::unique_ptr<sender_t> sender(int key, chain::tx_sender_options o = sender_options()) {
        return std::make_unique<sender_t>(client, dev_signer(key), o);
    }
};

// Probe.sol compiled by npm solc, cached in the build dir under the source's hash.
const bytes& probe_bytecode() {
    static const bytes code = [] {
        const std::string src_dir = zerog::testing::env_dir("ZEROG_SOURCE_DIR", ".");
        const std::string sol = src_dir + "/tests/net/contracts/Probe.sol";
        const std::string source = zerog::testing::read_file(sol);
        const std::string tag = to_hex(byte_span(crypto::keccak256(source).data(), 8), false);
        const std::string dir = zerog::testing::build_dir() + "/chain-fixtures";
        const std::string out = dir + "/Probe-" + tag + ".json";
        if (!std::filesystem::exists(out)) {
            std::filesystem::create_directories(dir);
            const std::string cmd = "timeout 120 node '" + src_dir + "/tests/net/contracts/compile.mjs' '" +
                                    zerog::testing::fixtures_dir() + "' '" + sol + "' Probe '" + out + "'";
            if (std::system(cmd.c_str()) != 0) throw std::runtime_error("compiling Probe.sol failed: " + cmd);
        }
        const json::value art = json::parse(zerog::testing::read_file(out));
        return from_hex(art.at("bytecode").as_string()).value();
    }();
    return code;
}

chain::tx_request transfer_to(const crypto::address& to, const uint256& value) {
    chain::tx_request r;
    r.to = to;
    r.value = value;
    return r;
}

const crypto::address recipient = crypto::address::parse("0x1111111111111111111111111111111111111111").value();

}  // namespace

TEST_CASE("anvil: transfers move exactly value + gas·price, EIP-1559 by default", "[chain]") {
    env e;
    auto s = e.sender(0);
    const auto from = s->address();
    const uint256 before = e.must(e.client.get_balance_async(from));
    const std::vector<uint256> values = {uint256(1), uint256(12345), uint256(1'000'000'000'000'000'000ULL)};
    uint256 sent, fees;
    for (const auto& v : values) {
        const auto out = e.must(s->send_async(transfer_to(recipient, v)));
        CHECK(out.rcpt.status);
        CHECK(out.rcpt.from == from);
        CHECK(out.rcpt.to == recipient);
        CHECK(out.rcpt.type == 2);
        REQUIRE(out.rcpt.effective_gas_price);
        fees = fees + uint256(out.rcpt.gas_used) * *out.rcpt.effective_gas_price;
        sent = sent + v;
    }
    CHECK(e.must(e.client.get_balance_async(recipient)) == sent);
    CHECK(e.must(e.client.get_balance_async(from)) == before - sent - fees);
    CHECK(e.must(e.client.get_transaction_count_async(from, chain::block_tag::latest())) == 3);

    // Legacy mode on request, same accounting.
    auto o = sender_options();
    o.mode = chain::tx_sender_options::fee_mode::legacy;
    auto legacy = e.sender(0, o);
    const auto out = e.must(legacy->send_async(transfer_to(recipient, uint256(5))));
    CHECK(out.rcpt.type == 0);
    CHECK(out.nonce == 3);
    CHECK(e.must(e.client.get_balance_async(recipient)) == sent + uint256(5));
}

TEST_CASE("anvil: deploy, call, decode events, custom errors, reverts and status-0 receipts", "[chain]") {
    env e;
    codec::abi::error_registry reg;
    REQUIRE(reg.add("TooSmall(uint256 given, uint256 minimum)"));
    e.client.set_error_registry(&reg);
    auto s = e.sender(0);
    s->client().set_error_registry(&reg);

    chain::tx_request deploy;
    deploy.data = probe_bytecode();
    const auto d = e.must(s->send_async(deploy));
    REQUIRE(d.rcpt.contract_address);
    const crypto::address probe = *d.rcpt.contract_address;
    CHECK(probe.to_checksum_hex() == "0x5FbDB2315678afecb367f032d93F642f64180aa3");
    CHECK(e.must(e.client.get_code_async(probe)).size() > 100);

    chain::tx_request st;
    st.to = probe;
    st.data = abi::encode_call("store(uint256,uint256,string)", uint256(7), uint256(42), std::string("hello")).value();
    const auto out = e.must(s->send_async(st));
    REQUIRE(out.rcpt.logs.size() == 1);
    const auto ev = abi::event::parse("event Stored(address indexed who, uint256 indexed key, uint256 value, string note)").value();
    const auto& log = out.rcpt.logs[0];
    CHECK(log.address == probe);
    const auto fields = ev.decode(log.topics, log.data).value();
    CHECK(*fields[0].as_address() == s->address());
    CHECK(*fields[1].as_uint() == uint256(7));
    CHECK(*fields[2].as_uint() == uint256(42));
    CHECK(*fields[3].as_string() == "hello");

    chain::call_request get;
    get.to = probe;
    get.data = abi::encode_call("get(uint256)", uint256(7)).value();
    CHECK(abi::decode_as<uint256>("uint256", e.must(e.client.call_async(get))).value() == uint256(42));

    chain::log_filter f;
    f.from_block = chain::block_tag::number(0);
    f.addresses.push_back(probe);
    f.topics.push_back(std::vector<hash256>{ev.topic0});
    const auto logs = e.must(e.client.get_logs_async(f));
    REQUIRE(logs.size() == 1);
    CHECK(logs[0].transaction_hash == out.tx_hash);
    CHECK(logs[0].data == log.data);

    chain::call_request bad = get;
    bad.data = abi::encode_call("store(uint256,uint256,string)", uint256(1), uint256(1), std::string("x")).value();
    auto r = e.run(e.client.call_async(bad));
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::reverted));
    CHECK(r.error().detail() == "TooSmall(given=1, minimum=10)");
    bad.data = abi::encode_call("refuse(string)", std::string("nope")).value();
    CHECK(e.run(e.client.call_async(bad)).error().detail() == "nope");
    bad.data = abi::encode_call("divide(uint256,uint256)", uint256(1), uint256(0)).value();
    CHECK(e.run(e.client.call_async(bad)).error().detail() == "Panic(0x12): division or modulo by zero");

    // Estimation reverts: nothing is sent, no nonce is consumed.
    const auto nonce_before = e.must(e.client.get_transaction_count_async(s->address()));
    chain::tx_request failing = st;
    failing.data = abi::encode_call("store(uint256,uint256,string)", uint256(1), uint256(1), std::string("x")).value();
    auto est = e.run(s->send_async(failing));
    REQUIRE_FALSE(est);
    CHECK(est.error().detail() == "TooSmall(given=1, minimum=10)");
    CHECK(e.must(e.client.get_transaction_count_async(s->address())) == nonce_before);

    // With a fixed gas limit it is mined with status 0; the reason comes from eth_call at its block.
    failing.gas_limit = 200'000;
    auto mined = e.run(s->send_async(failing));
    REQUIRE_FALSE(mined);
    CHECK(mined.error().is(errc::reverted));
    CHECK(mined.error().detail() == "TooSmall(given=1, minimum=10)");
    CHECK(mined.error().message().find("status 0") != std::string::npos);
    CHECK(e.must(e.client.get_transaction_count_async(s->address())) == nonce_before + 1);
}

TEST_CASE("anvil: 52 transactions from 4 concurrent coroutines on one key, no nonce gap", "[chain]") {
    env e;
    auto s = e.sender(1);
    const auto n0 = e.must(e.client.get_transaction_count_async(s->address()));
    std::vector<std::uint64_t> nonces;
    int failures = 0;
    asio::io_context ioc;
    drive(ioc, [&]() -> asio::awaitable<void> {
        auto worker = [&](int w) -> asio::awaitable<void> {
            for (int i = 0; i < 13; ++i) {
                auto out = co_await s->send_async(transfer_to(recipient, uint256(1000)));
                if (out) nonces.push_back(out->nonce);
                else {
                    ++failures;
                    UNSCOPED_INFO("worker " << w << ": " << out.error().message());
                }
            }
        };
        auto ex = co_await asio::this_coro::executor;
        int finished = 0;
        for (int w = 0; w < 4; ++w) asio::co_spawn(ex, worker(w), [&](std::exception_ptr) { ++finished; });
        asio::steady_timer t(ex);
        while (finished < 4) {
            t.expires_after(5ms);
            co_await t.async_wait(asio::use_awaitable);
        }
    }(), 120s);
    CHECK(failures == 0);
    REQUIRE(nonces.size() == 52);
    std::sort(nonces.begin(), nonces.end());
    for (std::size_t i = 0; i < nonces.size(); ++i) CHECK(nonces[i] == n0 + i);
    CHECK(e.must(e.client.get_transaction_count_async(s->address(), chain::block_tag::latest())) == n0 + 52);
    CHECK(e.must(e.client.get_transaction_count_async(s->address(), chain::block_tag::pending())) == n0 + 52);
    CHECK(e.must(e.client.get_balance_async(recipient)) == uint256(52'000));
}

TEST_CASE("anvil: a wrong chain id is rejected before anything is sent", "[chain]") {
    env e;
    const auto block0 = e.must(e.client.block_number_async());
    auto o = sender_options();
    o.chain_id = 1;
    auto s = e.sender(0, o);
    auto r = e.run(s->send_async(transfer_to(recipient, uint256(1))));
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::chain_id_mismatch));
    CHECK(r.error().message().find("endpoint serves chain 16602, expected 1") != std::string::npos);
    CHECK(e.must(e.client.block_number_async()) == block0);
    CHECK(e.must(e.client.get_transaction_count_async(s->address())) == 0);
    CHECK(e.must(e.client.get_balance_async(recipient)).is_zero());

    // A raw transaction signed for another chain: the node's "invalid chain id for signer".
    chain::eip1559_tx tx;
    tx.chain_id = 1;
    tx.gas = 21000;
    tx.max_fee_per_gas = 10'000'000'000ULL;
    tx.to = recipient;
    auto stx = chain::sign_transaction(tx, dev_signer(0)).value();
    auto sent = e.run(e.client.send_raw_transaction_async(stx.raw));
    REQUIRE_FALSE(sent);
    CHECK(sent.error().is(errc::chain_id_mismatch));
    CHECK(e.must(e.client.block_number_async()) == block0);
}

TEST_CASE("anvil: the sender's public key is recovered from its transactions of every type", "[chain][sender_key]") {
    env e;
    const auto key = crypto::private_key::from_hex(anvil_keys[0]).value();
    const fixed_bytes<33> expected = crypto::compressed_public_key_of(key);
    REQUIRE(to_hex(expected) == "0x038318535b54105d4a7aae60c08fc45f9687181b4fdfc625bd1a753fa7397fed75");
    std::vector<std::pair<std::string, hash256>> sent;
    {  // type 2 and type 0 through the transaction sender
        auto s = e.sender(0);
        chain::tx_request r = transfer_to(recipient, uint256(5));
        r.data = *from_hex("0x1234");
        sent.emplace_back("EIP-1559", e.must(s->send_async(r)).tx_hash);
        auto o = sender_options();
        o.mode = chain::tx_sender_options::fee_mode::legacy;
        auto l = e.sender(0, o);
        sent.emplace_back("legacy", e.must(l->send_async(transfer_to(recipient, uint256(6)))).tx_hash);
    }
    {  // type 1 with an access list, signed here and sent raw
        chain::eip2930_tx t;
        t.chain_id = 16602;
        t.nonce = e.must(e.client.get_transaction_count_async(crypto::address_of(key)));
        t.gas_price = e.must(e.client.gas_price_async()) * uint256(2);
        t.gas = 100000;
        t.to = recipient;
        t.value = uint256(7);
        t.access_list = {{crypto::address::parse("0x2222222222222222222222222222222222222222").value(),
                          {hash256{}, crypto::keccak256(std::string_view("slot"))}}};
        const auto st = chain::sign_transaction(t, dev_signer(0)).value();
        sent.emplace_back("EIP-2930", e.must(e.client.send_raw_transaction_async(st.raw)));
    }
    for (const auto& [name, hash] : sent) {
        INFO(name << " " << to_hex(hash));
        CHECK(e.must(e.client.sender_public_key_async(hash)) == expected);
    }
    // The blocking form, and a hash the chain does not know.
    CHECK(e.client.sender_public_key(sent.front().second).value() == expected);
    auto none = e.run(e.client.sender_public_key_async(crypto::keccak256(std::string_view("no such transaction"))));
    REQUIRE_FALSE(none);
    CHECK(none.error().is(errc::not_found));
}

TEST_CASE("anvil: an external use of the key is absorbed by a nonce resync", "[chain]") {
    env e;
    auto s = e.sender(2);
    s->nonces().seed(0);  // the sender believes nonce 0 is free...
    chain::eip1559_tx tx;  // ...but another process uses it first
    tx.chain_id = 16602;
    tx.gas = 21000;
    tx.max_fee_per_gas = 10'000'000'000ULL;
    tx.max_priority_fee_per_gas = 1'000'000'000ULL;
    tx.to = recipient;
    tx.value = 7;
    e.must(e.client.send_raw_transaction_async(chain::sign_transaction(tx, dev_signer(2)).value().raw));
    const auto out = e.must(s->send_async(transfer_to(recipient, uint256(1))));
    CHECK(out.nonce == 1);
    CHECK(e.must(e.client.get_balance_async(recipient)) == uint256(8));
}

TEST_CASE("anvil: idempotency key: a retried logical transaction sends nothing new", "[chain]") {
    env e;
    auto store = std::make_shared<chain::memory_idempotency_store>();
    auto s = std::make_unique<sender_t>(e.client, dev_signer(0), sender_options(), store);
    auto req = transfer_to(recipient, uint256(99));
    req.idempotency_key = "invoice-1";
    const auto first = e.must(s->send_async(req));
    CHECK_FALSE(first.reused);
    const auto block = e.must(e.client.block_number_async());
    const auto again = e.must(s->send_async(req));
    CHECK(again.reused);
    CHECK(again.tx_hash == first.tx_hash);
    // A new sender over the same store (a restarted process with a persistent store) too.
    auto restarted = std::make_unique<sender_t>(e.client, dev_signer(0), sender_options(), store);
    CHECK(e.must(restarted->send_async(req)).reused);
    CHECK(e.must(e.client.block_number_async()) == block);
    CHECK(e.must(e.client.get_transaction_count_async(s->address())) == 1);
    CHECK(e.must(e.client.get_balance_async(recipient)) == uint256(99));
}

TEST_CASE("anvil --no-mining: an unmined transaction is fee-bumped and the replacement is mined", "[chain]") {
    anvil_process::options ao;
    ao.extra_args = {"--no-mining"};
    env e(ao);
    auto o = sender_options();
    o.bump_after = 300ms;
    o.rebroadcast_interval = 150ms;
    o.poll_interval = 25ms;
    o.timeout = 20s;
    auto s = e.sender(3, o);
    auto req = transfer_to(recipient, uint256(5));
    req.idempotency_key = "bump-me";
    std::optional<result<chain::tx_outcome>> out;
    asio::io_context ioc;
    drive(ioc, [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        asio::co_spawn(ex, [&]() -> asio::awaitable<void> { out.emplace(co_await s->send_async(req)); }, asio::detached);
        asio::steady_timer t(ex);
        for (int i = 0; i < 400; ++i) {  // ≤ 10 s: wait until a replacement was broadcast, then mine
            auto rec = s->store().find("bump-me");
            if (rec && *rec && (*rec)->hashes.size() >= 2) break;
            t.expires_after(25ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        auto mined = co_await e.client.rpc().call_async("evm_mine");
        REQUIRE(mined);
        for (int i = 0; i < 400 && !out; ++i) {
            t.expires_after(25ms);
            co_await t.async_wait(asio::use_awaitable);
        }
    }(), 30s);
    REQUIRE(out);
    REQUIRE(*out);
    const auto& o2 = out->value();
    CHECK(o2.hashes.size() >= 2);
    CHECK(o2.tx_hash != o2.hashes.front());  // the bumped replacement, not the original
    CHECK(o2.nonce == 0);
    CHECK(e.must(e.client.get_transaction_count_async(s->address(), chain::block_tag::latest())) == 1);
    CHECK(e.must(e.client.get_balance_async(recipient)) == uint256(5));
}

TEST_CASE("chain client: an unreachable endpoint and a silent server fail within their deadlines", "[chain]") {
    net::jsonrpc_options jo;
    jo.request.connect_timeout = 1s;
    jo.request.read_timeout = 300ms;
    client_t dead(net::http_transport(), "http://127.0.0.1:1", jo);
    net::blocking_runner br;
    auto t0 = clk::now();
    auto r = br.run(dead.chain_id_async());
    REQUIRE_FALSE(r);
    CHECK(clk::now() - t0 < 2s);
    CHECK(r.error().message().find("eth_chainId") != std::string::npos);

    asio::io_context ioc;
    auto server = net::http_server::start(ioc.get_executor(), [](net::server_request) -> asio::awaitable<net::server_response> {
                      asio::steady_timer t(co_await asio::this_coro::executor);
                      t.expires_after(60s);  // never answers in time; cancelled by stop()
                      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
                      co_return net::server_response::json("{}");
                  }).value();
    client_t silent(net::http_transport(), server.url(), jo);
    auto o = sender_options();
    o.timeout = 500ms;
    sender_t s(silent, dev_signer(0), o);
    drive(ioc, [&]() -> asio::awaitable<void> {
        auto t1 = clk::now();
        auto c = co_await silent.chain_id_async();
        REQUIRE_FALSE(c);
        CHECK(c.error().is(errc::timeout));
        CHECK(clk::now() - t1 < 2s);
        t1 = clk::now();
        auto sent = co_await s.send_async(transfer_to(recipient, uint256(1)));
        REQUIRE_FALSE(sent);
        CHECK(clk::now() - t1 < 2s);
        CHECK(sent.error().message().find("sending a transaction") != std::string::npos);
    }(), 10s);
    server.stop();
    ioc.run_for(100ms);
}

TEST_CASE("anvil: RPC failover: a dead first endpoint is skipped, a transfer goes through once", "[chain][failover]") {
    env e;
    std::uint16_t dead_port = 0;
    {
        asio::io_context ioc;
        asio::ip::tcp::acceptor a(ioc, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        dead_port = a.local_endpoint().port();
    }  // closed: connecting is refused
    const std::string dead = "http://127.0.0.1:" + std::to_string(dead_port);
    client_t c(net::http_transport(), std::vector<std::string>{dead, e.node.url()});
    CHECK(e.must(c.chain_id_async()) == 16602);
    CHECK(c.url() == e.node.url());  // the answering endpoint became current
    const auto before = e.must(e.client.get_balance_async(recipient));
    sender_t s(c, dev_signer(3), sender_options());
    const auto out = e.must(s.send_async(transfer_to(recipient, uint256(5))));
    CHECK(out.nonce == 0);  // key 3 is used by no other test
    CHECK(e.must(e.client.get_balance_async(recipient)) == before + uint256(5));

    // Both endpoints dead: a precise error within the connect timeouts, naming the last endpoint.
    client_t none(net::http_transport(), std::vector<std::string>{dead, dead + "/second"});
    const auto t0 = std::chrono::steady_clock::now();
    auto r = e.run(none.block_number_async());
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::connection_failed));
    CHECK(r.error().message().find("endpoints_tried") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
}
