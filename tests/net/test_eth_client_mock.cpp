// chain::eth_client and chain::tx_sender against a scripted JSON-RPC node (policy mock_transport):
// strict parsing of every method's result, node error mapping, the sender's nonce, fee-bump,
// idempotency and deadline logic, and sender public keys recovered from eth_getTransactionByHash
// answers (chain/sender_key.hpp). No Beast in this TU.
#include <zerog/chain/tx_sender.hpp>
#include <zerog/crypto/secp256k1_signer.hpp>
#include <zerog/testing/mocks.hpp>

#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <tuple>

using namespace zerog;
using namespace std::chrono_literals;
namespace json = boost::json;
namespace asio = boost::asio;
using testing::mock_transport;
using testing::scripted_reply;

namespace {

const std::string node_url = "http://node.example:8545/SECRETKEY";
const char* dev_key = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const std::string h32 = "0x" + std::string(64, 'a');
const std::string addr = "0x5fbdb2315678afecb367f032d93f642f64180aa3";

// A scripted node: per-method handlers; a handler returns the result, or rpc_err(...) for an error.
struct fake_node {
    mock_transport t;
    std::map<std::string, std::function<json::value(const json::array&)>> on;
    std::map<std::string, int> calls;
    std::vector<bytes> raws;  // every eth_sendRawTransaction payload

    fake_node() {
        t.set_handler([this](const net::http_request& r) {
            const json::value req = json::parse(r.body);
            const std::string method(req.at("method").as_string());
            const json::array params = req.at("params").as_array();
            ++calls[method];
            if (method == "eth_sendRawTransaction") raws.push_back(*from_hex(params.at(0).as_string()));
            json::object o;
            o["jsonrpc"] = "2.0";
            o["id"] = req.at("id");
            auto it = on.find(method);
            json::value v = it == on.end() ? json::value(nullptr) : it->second(params);
            if (v.is_object() && v.as_object().contains("__error")) o["error"] = v.as_object().at("__error");
            else o["result"] = std::move(v);
            return scripted_reply::json(json::serialize(o));
        });
    }
    void result(const std::string& method, json::value v) {
        on[method] = [v](const json::array&) { return v; };
    }
};

json::value rpc_err(std::int64_t code, std::string message, json::value data = nullptr) {
    json::object e;
    e["code"] = code;
    e["message"] = std::move(message);
    if (!data.is_null()) e["data"] = std::move(data);
    json::object o;
    o["__error"] = std::move(e);
    return o;
}

json::value receipt_json(const std::string& tx, bool ok = true, std::uint64_t block = 5) {
    return json::parse(R"({"transactionHash":")" + tx + R"(","transactionIndex":"0x0","blockHash":")" + h32 +
                       R"(","blockNumber":")" + uint256(block).to_quantity_hex() +
                       R"(","from":"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266","to":")" + addr +
                       R"(","contractAddress":null,"gasUsed":"0x5208","cumulativeGasUsed":"0x5208","effectiveGasPrice":"0x3b9aca00","status":")" +
                       (ok ? "0x1" : "0x0") + R"(","type":"0x2","logs":[{"address":")" + addr + R"(","topics":[")" + h32 +
                       R"("],"data":"0x01","blockNumber":"0x5","blockHash":")" + h32 + R"(","transactionHash":")" + tx +
                       R"(","transactionIndex":"0x0","logIndex":"0x0","removed":false}]})");
}

template <class T>
result<T> run(asio::awaitable<result<T>> op) {
    net::blocking_runner r;
    return r.run(std::move(op));
}

json::value js(const std::string& s) { return json::value(std::string_view(s)); }

// A node good enough for the sender: chain 16602, EIP-1559, receipts for every sent hash.
void make_chain(fake_node& n) {
    n.result("eth_chainId", "0x40da");
    n.result("eth_getBlockByNumber", json::parse(R"({"number":"0x5","hash":")" + h32 + R"(","parentHash":")" + h32 +
                                                 R"(","timestamp":"0x1","gasLimit":"0x1c9c380","gasUsed":"0x0","baseFeePerGas":"0x3b9aca00"})"));
    n.result("eth_maxPriorityFeePerGas", "0x3b9aca00");
    n.result("eth_gasPrice", "0x77359400");
    n.result("eth_estimateGas", "0x5208");
    n.result("eth_getTransactionCount", "0x7");
    n.on["eth_sendRawTransaction"] = [](const json::array& p) { return json::value(to_hex(crypto::keccak256(*from_hex(p.at(0).as_string())))); };
    n.on["eth_getTransactionReceipt"] = [](const json::array& p) { return receipt_json(std::string(p.at(0).as_string())); };
}

using sender_t = chain::tx_sender<mock_transport, crypto::secp256k1_signer>;

std::unique_ptr<sender_t> make_sender(fake_node& n, chain::tx_sender_options o = {}) {
    if (o.chain_id == 0) o.chain_id = 16602;
    o.poll_interval = 5ms;
    chain::eth_client<mock_transport> c(n.t, node_url);
    return std::make_unique<sender_t>(std::move(c), crypto::secp256k1_signer::from_hex(dev_key).value(), o);
}

chain::tx_request transfer(std::string key = {}) {
    chain::tx_request r;
    r.to = crypto::address::parse(addr).value();
    r.value = 1000;
    r.idempotency_key = std::move(key);
    return r;
}

}  // namespace

TEST_CASE("eth_client parses every method's result", "[chain]") {
    fake_node n;
    make_chain(n);
    n.result("eth_blockNumber", "0x1b4");
    n.result("eth_getBalance", "0xde0b6b3a7640000");
    n.result("eth_call", "0x000000000000000000000000000000000000000000000000000000000000002a");
    n.result("eth_getCode", "0x6080");
    n.result("eth_feeHistory", json::parse(R"({"oldestBlock":"0x3","baseFeePerGas":["0x1","0x2","0x3"],"gasUsedRatio":[0.5,0],"reward":[["0x1"],["0x2"]]})"));
    n.on["eth_getLogs"] = [](const json::array& p) {
        CHECK(json::serialize(p) == R"([{"fromBlock":"0x1","toBlock":"latest","address":")" + addr + R"(","topics":[[")" + h32 + R"("],null]}])");
        return json::value(receipt_json(h32).at("logs"));
    };
    chain::eth_client<mock_transport> c(n.t, node_url);
    const auto who = crypto::address::parse(addr).value();
    CHECK(*run(c.chain_id_async()) == 16602);
    CHECK(*run(c.block_number_async()) == 436);
    CHECK(run(c.get_balance_async(who))->to_decimal() == "1000000000000000000");
    CHECK(*run(c.get_transaction_count_async(who)) == 7);
    CHECK(json::parse(n.t.requests().back().body).at("params").at(1) == "pending");
    CHECK(*run(c.gas_price_async()) == uint256(2'000'000'000));
    CHECK(*run(c.max_priority_fee_per_gas_async()) == uint256(1'000'000'000));
    auto fh = run(c.get_fee_history_async(2, chain::block_tag::latest(), {50.0}));
    REQUIRE(fh);
    CHECK(fh->oldest_block == 3);
    CHECK(fh->base_fee_per_gas.size() == 3);
    CHECK(fh->reward[1][0] == uint256(2));
    auto head = run(c.get_block_header_async());
    REQUIRE(head);
    REQUIRE(head->has_value());
    CHECK((*head)->base_fee_per_gas == uint256(1'000'000'000));
    chain::call_request cr;
    cr.to = who;
    CHECK(*run(c.estimate_gas_async(cr)) == 21000);
    CHECK(run(c.call_async(cr))->back() == 0x2a);
    CHECK(*run(c.get_code_async(who)) == bytes{0x60, 0x80});
    const bytes raw = {0x02, 0xc0};
    CHECK(*run(c.send_raw_transaction_async(raw)) == crypto::keccak256(raw));
    auto rc = run(c.get_transaction_receipt_async(from_hex_fixed<32>(h32).value()));
    REQUIRE(rc);
    REQUIRE(rc->has_value());
    CHECK((*rc)->status);
    CHECK((*rc)->type == 2);
    CHECK((*rc)->gas_used == 21000);
    CHECK((*rc)->logs.size() == 1);
    CHECK((*rc)->logs[0].data == bytes{0x01});
    chain::log_filter f;
    f.from_block = chain::block_tag::number(1);
    f.to_block = chain::block_tag::latest();
    f.addresses.push_back(who);
    f.topics.push_back(std::vector<hash256>{from_hex_fixed<32>(h32).value()});
    f.topics.push_back(std::nullopt);
    auto logs = run(c.get_logs_async(f));
    REQUIRE(logs);
    CHECK(logs->size() == 1);
    n.result("eth_getTransactionReceipt", nullptr);
    CHECK_FALSE(run(c.get_transaction_receipt_async(hash256{}))->has_value());
    n.result("eth_getBlockByNumber", nullptr);
    CHECK_FALSE(run(c.get_block_header_async(chain::block_tag::number(99)))->has_value());

    // The blocking form runs the same coroutine (one client, both calling styles).
    CHECK(*c.chain_id() == 16602);
}

TEST_CASE("eth_client rejects malformed results naming method and field", "[chain]") {
    fake_node n;
    chain::eth_client<mock_transport> c(n.t, node_url);
    const auto who = crypto::address::parse(addr).value();
    const auto tx = from_hex_fixed<32>(h32).value();
    struct tc {
        const char* method;
        json::value bad;
        std::function<zerog::error()> invoke;
        const char* part;
    };
    auto err = [](auto r) { return r ? zerog::error() : std::move(r).error(); };
    auto good = receipt_json(h32);
    auto mutate = [&](const char* key, json::value v) {
        json::value r = good;
        if (v.is_null() && std::string(key) != "to") r.as_object().erase(key);
        else r.as_object()[key] = v;
        return r;
    };
    json::value bad_log = good;
    bad_log.at("logs").as_array()[0].as_object()["topics"] = json::parse(R"(["0x1234"])");
    chain::call_request cr;
    cr.to = who;
    const std::vector<tc> cases = {
        {"eth_chainId", 16602, [&] { return err(run(c.chain_id_async())); }, "expected a hex quantity string, got number"},
        {"eth_chainId", "40da", [&] { return err(run(c.chain_id_async())); }, "missing 0x prefix"},
        {"eth_blockNumber", "0x", [&] { return err(run(c.block_number_async())); }, "empty hex quantity"},
        {"eth_blockNumber", js("0x1" + std::string(20, '0')), [&] { return err(run(c.block_number_async())); }, "does not fit in 64 bits"},
        {"eth_getBalance", "0xzz", [&] { return err(run(c.get_balance_async(who))); }, "bad character"},
        {"eth_getBalance", nullptr, [&] { return err(run(c.get_balance_async(who))); }, "got null"},
        {"eth_getTransactionCount", js("0x" + std::string(65, '1')), [&] { return err(run(c.get_transaction_count_async(who))); }, "wider than 256 bits"},
        {"eth_gasPrice", true, [&] { return err(run(c.gas_price_async())); }, "got bool"},
        {"eth_maxPriorityFeePerGas", json::array(), [&] { return err(run(c.max_priority_fee_per_gas_async())); }, "got array"},
        {"eth_feeHistory", json::parse(R"({"oldestBlock":"0x1","baseFeePerGas":["0x1"],"gasUsedRatio":[0.5]})"),
         [&] { return err(run(c.get_fee_history_async(1, chain::block_tag::latest(), {}))); }, "1 entries for 1 blocks"},
        {"eth_feeHistory", json::parse(R"({"oldestBlock":"0x1","baseFeePerGas":["0x1","0x1"],"gasUsedRatio":[2]})"),
         [&] { return err(run(c.get_fee_history_async(1, chain::block_tag::latest(), {}))); }, "outside [0, 1]"},
        {"eth_getBlockByNumber", json::parse(R"({"number":"0x1"})"), [&] { return err(run(c.get_block_header_async())); }, "field \"hash\": missing"},
        {"eth_estimateGas", "0x-1", [&] { return err(run(c.estimate_gas_async(cr))); }, "bad character"},
        {"eth_call", "0x123", [&] { return err(run(c.call_async(cr))); }, "odd number of hex digits"},
        {"eth_call", "abcd", [&] { return err(run(c.call_async(cr))); }, "missing 0x prefix"},
        {"eth_getCode", 5, [&] { return err(run(c.get_code_async(who))); }, "expected hex data"},
        {"eth_sendRawTransaction", js(h32), [&] { return err(run(c.send_raw_transaction_async(bytes{1}))); }, "not keccak256(raw)"},
        {"eth_sendRawTransaction", "0x1234", [&] { return err(run(c.send_raw_transaction_async(bytes{1}))); }, "expected 32 bytes"},
        {"eth_getTransactionReceipt", mutate("blockNumber", nullptr), [&] { return err(run(c.get_transaction_receipt_async(tx))); }, "\"blockNumber\": missing"},
        {"eth_getTransactionReceipt", mutate("status", "0x2"), [&] { return err(run(c.get_transaction_receipt_async(tx))); }, "expected 0x0 or 0x1"},
        {"eth_getTransactionReceipt", mutate("from", "0x1234"), [&] { return err(run(c.get_transaction_receipt_async(tx))); }, "field \"from\""},
        {"eth_getTransactionReceipt", mutate("to", "0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266"), [&] { return err(run(c.get_transaction_receipt_async(tx))); }, "EIP-55"},
        {"eth_getTransactionReceipt", bad_log, [&] { return err(run(c.get_transaction_receipt_async(tx))); }, "logs[0].topics[0]"},
        {"eth_getTransactionReceipt", receipt_json("0x" + std::string(64, 'b')), [&] { return err(run(c.get_transaction_receipt_async(tx))); }, "receipt is for transaction"},
        {"eth_getTransactionReceipt", "0x1", [&] { return err(run(c.get_transaction_receipt_async(tx))); }, "expected an object"},
        {"eth_getLogs", json::parse(R"([{"address":"0x00"}])"), [&] { return err(run(c.get_logs_async({}))); }, "result[0].address"},
        {"eth_getLogs", json::object(), [&] { return err(run(c.get_logs_async({}))); }, "expected an array of logs"},
    };
    for (const auto& t : cases) {
        INFO(t.method << " <- " << json::serialize(t.bad));
        n.result(t.method, t.bad);
        const zerog::error e = t.invoke();
        REQUIRE(e);
        CHECK(e.is(errc::malformed_response));
        const std::string m = e.message();
        CHECK(m.find(t.part) != std::string::npos);
        CHECK(m.find(std::string("decoding the result of ") + t.method) != std::string::npos);
        CHECK(m.find("http://node.example:8545") != std::string::npos);
        CHECK(m.find("SECRETKEY") == std::string::npos);
    }
}

TEST_CASE("eth_client maps node error texts to error codes and decodes reverts", "[chain]") {
    struct tc {
        std::int64_t code;
        const char* message;
        errc expected;
    };
    const std::vector<tc> cases = {
        {-32003, "nonce too low", errc::nonce_conflict},
        {-32000, "nonce too high", errc::nonce_conflict},
        {-32000, "replacement transaction underpriced", errc::underpriced},
        {-32000, "transaction underpriced", errc::underpriced},
        {-32000, "max fee per gas less than block base fee: address 0x.., maxFeePerGas: 1 baseFee: 7", errc::underpriced},
        {-32003, "Insufficient funds for gas * price + value", errc::insufficient_funds},
        {-32003, "invalid chain id for signer", errc::chain_id_mismatch},
        {-32000, "already known", errc::already_exists},
        {-32601, "Method not found", errc::rpc_error},
        {-32603, "internal error", errc::server_error},
        {3, "execution reverted", errc::reverted},
    };
    for (const auto& t : cases) {
        INFO(t.message);
        net::rpc_error_object o{t.code, t.message, nullptr};
        const auto e = chain::map_node_error(o);
        CHECK(e.is(t.expected));
        if (t.expected != errc::rpc_error && t.expected != errc::server_error)
            CHECK(e.detail().find(t.message) != std::string::npos);
    }

    fake_node n;
    chain::eth_client<mock_transport> c(n.t, node_url);
    codec::abi::error_registry reg;
    REQUIRE(reg.add("TooSmall(uint256 given, uint256 minimum)"));
    c.set_error_registry(&reg);
    chain::call_request cr;
    cr.to = crypto::address::parse(addr).value();
    cr.data = bytes{1, 2, 3, 4};
    n.result("eth_call", rpc_err(3, "execution reverted: custom error 0xe94fe3af",
                                 "0xe94fe3af0000000000000000000000000000000000000000000000000000000000000001000000000000000000000000000000000000000000000000000000000000000a"));
    auto r = run(c.call_async(cr));
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::reverted));
    CHECK(r.error().detail() == "TooSmall(given=1, minimum=10)");
    const std::string m = r.error().message();
    CHECK(m.find("while eth_call (to=0x5FbDB2315678afecb367f032d93F642f64180aa3, selector=0x01020304, rpc_code=3) at http://node.example:8545") !=
          std::string::npos);
    n.result("eth_estimateGas", rpc_err(3, "execution reverted: nope",
                                        json::object({{"data", "0x08c379a0000000000000000000000000000000000000000000000000000000000000002000000000000000000000000000000000000000000000000000000000000000046e6f706500000000000000000000000000000000000000000000000000000000"}})));
    auto g = run(c.estimate_gas_async(cr));
    REQUIRE_FALSE(g);
    CHECK(g.error().detail() == "nope");
}

TEST_CASE("nonce_allocator hands back, reuses and resyncs without gaps", "[chain]") {
    chain::nonce_allocator a;
    CHECK_FALSE(a.seeded());
    a.seed(10);
    a.seed(3);  // a late, lower seed never lowers the counter
    CHECK(a.acquire() == 10);
    CHECK(a.acquire() == 11);
    CHECK(a.acquire() == 12);
    CHECK_FALSE(a.release(11));  // 12 is out: 11 must be filled or reused
    a.reuse(11);
    CHECK(a.acquire() == 11);    // the gap first
    CHECK(a.acquire() == 13);
    a.reuse(12);
    CHECK(a.release(13));        // top: returned, and the gap 12 below it collapses too
    CHECK(a.peek_next() == 12);
    a.reuse(11);
    a.resync(15);                // the node says 0..14 are used
    CHECK(a.gaps().empty());
    CHECK(a.acquire() == 15);
}

TEST_CASE("tx_sender: wrong chain id fails before anything is estimated or sent", "[chain]") {
    fake_node n;
    make_chain(n);
    n.result("eth_chainId", "0x1");
    auto s = make_sender(n);
    auto r = run(s->send_async(transfer()));
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::chain_id_mismatch));
    CHECK(r.error().detail().find("endpoint serves chain 1, expected 16602") != std::string::npos);
    CHECK(n.calls.size() == 1);
    CHECK(n.calls["eth_chainId"] == 1);
    CHECK(n.raws.empty());
}

TEST_CASE("tx_sender bumps fees on underpriced and resyncs the nonce on nonce too low", "[chain]") {
    fake_node n;
    make_chain(n);
    int sends = 0;
    n.on["eth_sendRawTransaction"] = [&](const json::array& p) -> json::value {
        ++sends;
        if (sends == 1) return rpc_err(-32000, "replacement transaction underpriced");
        if (sends == 2) return rpc_err(-32003, "nonce too low");
        return json::value(to_hex(crypto::keccak256(*from_hex(p.at(0).as_string()))));
    };
    n.on["eth_getTransactionCount"] = [&](const json::array&) { return json::value(sends >= 2 ? "0x9" : "0x7"); };
    auto s = make_sender(n);
    auto r = run(s->send_async(transfer()));
    REQUIRE(r);
    REQUIRE(n.raws.size() == 3);
    auto t0 = chain::decode_raw_transaction(n.raws[0]).value();
    auto t1 = chain::decode_raw_transaction(n.raws[1]).value();
    auto t2 = chain::decode_raw_transaction(n.raws[2]).value();
    const auto& a = std::get<chain::eip1559_tx>(t0.tx);
    const auto& b = std::get<chain::eip1559_tx>(t1.tx);
    CHECK(a.nonce == 7);
    CHECK(a.gas == 21000 + 4200);  // +20 % margin
    CHECK(a.max_fee_per_gas == uint256(3'000'000'000));  // 2·baseFee + tip
    CHECK(b.nonce == 7);
    CHECK(b.max_fee_per_gas >= chain::bumped(a.max_fee_per_gas, 125));
    CHECK(b.max_priority_fee_per_gas >= chain::bumped(a.max_priority_fee_per_gas, 125));
    CHECK(std::get<chain::eip1559_tx>(t2.tx).nonce == 9);
    CHECK(r->nonce == 9);
    CHECK(r->tx_hash == t2.hash);
    CHECK(s->nonces().peek_next() == 10);
}

TEST_CASE("tx_sender returns or fills a nonce that was never broadcast", "[chain]") {
    fake_node n;
    make_chain(n);
    auto s = make_sender(n);
    int sends = 0;
    n.on["eth_sendRawTransaction"] = [&](const json::array& p) -> json::value {
        if (++sends == 1) {
            (void)s->nonces().acquire();  // a concurrent sender takes nonce 8 meanwhile
            return rpc_err(-32003, "Insufficient funds for gas * price + value");
        }
        return json::value(to_hex(crypto::keccak256(*from_hex(p.at(0).as_string()))));
    };
    auto r = run(s->send_async(transfer()));
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::insufficient_funds));
    CHECK(r.error().message().find("nonce=7") != std::string::npos);
    REQUIRE(n.raws.size() == 2);  // the filler
    auto fill = chain::decode_raw_transaction(n.raws[1]).value();
    const auto& ft = std::get<chain::eip1559_tx>(fill.tx);
    CHECK(ft.nonce == 7);
    CHECK(ft.to == fill.sender);
    CHECK(ft.value.is_zero());
    CHECK(s->nonces().gaps().empty());

    // At the top the nonce is simply returned: the next send reuses it.
    n.on["eth_sendRawTransaction"] = [](const json::array&) { return rpc_err(-32003, "insufficient funds"); };
    const auto next = s->nonces().peek_next();
    CHECK_FALSE(run(s->send_async(transfer())));
    CHECK(s->nonces().peek_next() == next);
}

TEST_CASE("tx_sender idempotency: a retried logical transaction sends nothing new", "[chain]") {
    fake_node n;
    make_chain(n);
    auto s = make_sender(n);
    auto first = run(s->send_async(transfer("order-42")));
    REQUIRE(first);
    CHECK_FALSE(first->reused);
    CHECK(n.raws.size() == 1);
    auto again = run(s->send_async(transfer("order-42")));
    REQUIRE(again);
    CHECK(again->reused);
    CHECK(again->tx_hash == first->tx_hash);
    CHECK(n.raws.size() == 1);
    CHECK(n.calls["eth_estimateGas"] == 1);
    CHECK(s->store().size() == 1);
}

TEST_CASE("tx_sender reports a status-0 receipt with the reason replayed by eth_call", "[chain]") {
    fake_node n;
    make_chain(n);
    n.on["eth_getTransactionReceipt"] = [](const json::array& p) { return receipt_json(std::string(p.at(0).as_string()), false, 12); };
    n.on["eth_call"] = [](const json::array& p) {
        CHECK(p.at(1) == "0xc");  // at the receipt's block
        return rpc_err(3, "execution reverted: nope",
                       "0x08c379a0000000000000000000000000000000000000000000000000000000000000002000000000000000000000000000000000000000000000000000000000000000046e6f706500000000000000000000000000000000000000000000000000000000");
    };
    auto s = make_sender(n);
    auto r = run(s->send_async(transfer()));
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::reverted));
    CHECK(r.error().detail() == "nope");
    CHECK(r.error().message().find("block=12") != std::string::npos);
}

TEST_CASE("tx_sender gives up at its deadline with tx_not_mined, re-broadcasting meanwhile", "[chain]") {
    fake_node n;
    make_chain(n);
    n.result("eth_getTransactionReceipt", nullptr);
    chain::tx_sender_options o;
    o.timeout = 400ms;
    o.rebroadcast_interval = 50ms;
    o.bump_after = 10s;
    auto s = make_sender(n, o);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = run(s->send_async(transfer("slow")));
    const auto took = std::chrono::steady_clock::now() - t0;
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::tx_not_mined));
    CHECK(took < 2s);
    CHECK(n.raws.size() >= 3);  // first broadcast + re-broadcasts of the same bytes
    CHECK(n.raws.front() == n.raws.back());
    CHECK(r.error().message().find("key=slow") != std::string::npos);
    // A retry of the same key first looks at the recorded hash: mined now → nothing new is sent.
    make_chain(n);
    const auto sent = n.raws.size();
    auto retry = run(s->send_async(transfer("slow")));
    REQUIRE(retry);
    CHECK(retry->reused);
    CHECK(n.raws.size() == sent);
}

TEST_CASE("tx_sender: underpriced at the fee cap fails at once and returns the nonce", "[chain]") {
    fake_node n;
    make_chain(n);
    n.on["eth_sendRawTransaction"] = [](const json::array&) { return rpc_err(-32000, "transaction underpriced"); };
    chain::tx_sender_options o;
    o.max_fee_cap = uint256(3'000'000'000);  // exactly the first quote: no room for a bump
    auto s = make_sender(n, o);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = run(s->send_async(transfer()));
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::underpriced));
    CHECK(std::chrono::steady_clock::now() - t0 < 1s);
    CHECK(n.raws.size() == 1);
    CHECK(n.calls["eth_getTransactionReceipt"] == 0);
    CHECK(s->nonces().peek_next() == 7);  // handed back: the next send uses 7 again
}

// ---------------------------------------------------------------------------------------------
// Sender public keys (chain/sender_key.hpp, eth_client::sender_public_key): transactions signed by
// our own signer with anvil's dev key 0, presented the way a node answers eth_getTransactionByHash.

namespace {

// anvil dev key 0's compressed public key (ethers: new SigningKey(key).compressedPublicKey).
const std::string dev_public_key = "0x038318535b54105d4a7aae60c08fc45f9687181b4fdfc625bd1a753fa7397fed75";
const auto other = crypto::address::parse("0x1111111111111111111111111111111111111111").value();

json::value qty(const uint256& v) { return json::value(v.to_quantity_hex()); }

// The eth_getTransactionByHash object of `s` (geth/anvil field names, block fields included).
json::object rpc_tx_json(const chain::signed_transaction& s) {
    json::object o;
    auto put_common = [&](std::uint64_t nonce, std::uint64_t gas, const std::optional<crypto::address>& to, const uint256& value, const bytes& data) {
        o["nonce"] = qty(nonce);
        o["gas"] = qty(gas);
        o["to"] = to ? json::value(to->to_lower_hex()) : json::value(nullptr);
        o["value"] = qty(value);
        o["input"] = to_hex(data);
    };
    auto access_list = [](const std::vector<chain::access_list_entry>& al) {
        json::array a;
        for (const auto& e : al) {
            json::array keys;
            for (const auto& k : e.storage_keys) keys.push_back(json::value(to_hex(k)));
            a.push_back(json::object{{"address", e.address.to_lower_hex()}, {"storageKeys", std::move(keys)}});
        }
        return a;
    };
    if (const auto* l = std::get_if<chain::legacy_tx>(&s.tx)) {
        o["type"] = "0x0";
        if (l->chain_id) o["chainId"] = qty(l->chain_id);
        o["gasPrice"] = qty(l->gas_price);
        put_common(l->nonce, l->gas, l->to, l->value, l->data);
        o["v"] = qty(l->chain_id ? l->chain_id * 2 + 35 + s.sig.recovery_id : 27u + s.sig.recovery_id);
    } else if (const auto* a = std::get_if<chain::eip2930_tx>(&s.tx)) {
        o["type"] = "0x1";
        o["chainId"] = qty(a->chain_id);
        o["gasPrice"] = qty(a->gas_price);
        put_common(a->nonce, a->gas, a->to, a->value, a->data);
        o["accessList"] = access_list(a->access_list);
    } else {
        const auto& d = std::get<chain::eip1559_tx>(s.tx);
        o["type"] = "0x2";
        o["chainId"] = qty(d.chain_id);
        o["maxPriorityFeePerGas"] = qty(d.max_priority_fee_per_gas);
        o["maxFeePerGas"] = qty(d.max_fee_per_gas);
        o["gasPrice"] = qty(d.max_fee_per_gas);  // effective price: not part of what was signed
        put_common(d.nonce, d.gas, d.to, d.value, d.data);
        o["accessList"] = access_list(d.access_list);
    }
    if (!std::holds_alternative<chain::legacy_tx>(s.tx)) {
        o["yParity"] = qty(s.sig.recovery_id);
        o["v"] = qty(s.sig.recovery_id);
    }
    o["r"] = qty(*uint256::from_be_bytes(s.sig.r));
    o["s"] = qty(*uint256::from_be_bytes(s.sig.s));
    o["hash"] = to_hex(s.hash);
    o["from"] = s.sender.to_lower_hex();
    o["blockHash"] = h32;
    o["blockNumber"] = "0x5";
    o["transactionIndex"] = "0x0";
    return o;
}

const std::vector<chain::access_list_entry> sample_access_list = {
    {crypto::address::parse("0x2222222222222222222222222222222222222222").value(),
     {hash256{}, crypto::keccak256(std::string_view("slot"))}},
    {crypto::address::parse("0x3333333333333333333333333333333333333333").value(), {}},
};

// One signed transaction of each kind (all from dev key 0).
std::vector<std::pair<std::string, chain::signed_transaction>> signed_samples() {
    const auto signer = crypto::secp256k1_signer::from_hex(dev_key).value();
    std::vector<std::pair<std::string, chain::signed_transaction>> out;
    chain::legacy_tx l;
    l.chain_id = 16602;
    l.nonce = 3;
    l.gas_price = uint256(2'000'000'000);
    l.gas = 50000;
    l.to = other;
    l.value = uint256(12345);
    l.data = *from_hex("0xdeadbeef");
    out.emplace_back("legacy EIP-155", chain::sign_transaction(l, signer).value());
    {  // pre-EIP-155 (v = 27/28): signed without a chain id, like old wallets did
        chain::legacy_tx p = l;
        p.chain_id = 0;
        const auto sig = signer.sign_digest(chain::detail::unchecked_signing_hash(p)).value();
        chain::signed_transaction s{p, sig, chain::encode_signed(p, sig), {}, signer.address()};
        s.hash = crypto::keccak256(s.raw);
        out.emplace_back("legacy pre-EIP-155", std::move(s));
    }
    chain::eip2930_tx a;
    a.chain_id = 16602;
    a.nonce = 4;
    a.gas_price = uint256(3'000'000'000ULL);
    a.gas = 80000;
    a.to = other;
    a.value = uint256(1);
    a.data = *from_hex("0x01020304");
    a.access_list = sample_access_list;
    out.emplace_back("EIP-2930", chain::sign_transaction(a, signer).value());
    chain::eip1559_tx d;
    d.chain_id = 16602;
    d.nonce = 5;
    d.max_priority_fee_per_gas = uint256(1'000'000'000);
    d.max_fee_per_gas = uint256(30'000'000'000ULL);
    d.gas = 90000;
    d.to = other;
    d.value = uint256(7);
    d.data = *from_hex("0xbc8c11f8");
    d.access_list = sample_access_list;
    out.emplace_back("EIP-1559", chain::sign_transaction(d, signer).value());
    d.to.reset();  // contract creation: "to": null
    d.access_list.clear();
    d.nonce = 6;
    out.emplace_back("EIP-1559 contract creation", chain::sign_transaction(d, signer).value());
    return out;
}

chain::signed_transaction sample(const std::string& name) {
    for (auto& [n, s] : signed_samples())
        if (n == name) return s;
    throw std::logic_error("no sample " + name);
}

// The error of recovering from `o` (REQUIREs that it fails).
zerog::error recover_error(const json::object& o) {
    auto r = chain::recover_sender_public_key(o);
    REQUIRE_FALSE(r);
    return r.error();
}

bool mentions(const zerog::error& e, std::string_view s) { return e.message().find(s) != std::string::npos; }

}  // namespace

TEST_CASE("sender key: recovered from every transaction type, equal to the signer's", "[chain][sender_key]") {
    const auto key = crypto::private_key::from_hex(dev_key).value();
    REQUIRE(to_hex(crypto::compressed_public_key_of(key)) == dev_public_key);
    REQUIRE(crypto::address::from_public_key(crypto::decompress_public_key(crypto::compressed_public_key_of(key)).value().span()) ==
            crypto::address_of(key));
    for (const auto& [name, s] : signed_samples()) {
        INFO(name);
        const json::object o = rpc_tx_json(s);
        auto pub = chain::recover_sender_public_key(o);
        if (!pub) FAIL(pub.error().message());
        CHECK(to_hex(*pub) == dev_public_key);
        // the same through a JSON round trip (what the client parses)
        CHECK(to_hex(chain::recover_sender_public_key(json::parse(json::serialize(o)).as_object()).value()) == dev_public_key);
        // the parsed transaction is the one that was signed
        const auto p = chain::parse_rpc_transaction(o).value();
        CHECK(p.tx == s.tx);
        CHECK(p.sig == s.sig);
    }
    // typed transactions from nodes that send only v, or only yParity
    for (const char* drop : {"v", "yParity"}) {
        json::object o = rpc_tx_json(sample("EIP-2930"));
        o.erase(drop);
        CHECK(to_hex(chain::recover_sender_public_key(o).value()) == dev_public_key);
    }
    // checksummed `from`, leading zeros in quantities, a pre-EIP-155 answer that names a chain id
    json::object o = rpc_tx_json(sample("legacy pre-EIP-155"));
    o["from"] = crypto::address::parse(std::string(o["from"].as_string())).value().to_checksum_hex();
    o["nonce"] = "0x0003";
    o["chainId"] = "0x40da";
    CHECK(to_hex(chain::recover_sender_public_key(o).value()) == dev_public_key);
}

TEST_CASE("sender key: a tampered answer does not yield a key", "[chain][sender_key]") {
    const auto s = sample("EIP-1559");
    SECTION("a signed field changed: the signature recovers to another address") {
        for (const auto& [field, value] : std::vector<std::pair<std::string, json::value>>{
                 {"value", js("0x8")}, {"nonce", js("0x6")}, {"input", js("0xbc8c11f9")}, {"chainId", js("0x40db")},
                 {"to", js("0x1111111111111111111111111111111111111112")}, {"maxFeePerGas", js("0x6fc23ac01")}}) {
            INFO(field);
            json::object o = rpc_tx_json(s);
            o[field] = value;
            const auto e = recover_error(o);
            CHECK(e.is(errc::verification_failed));
            CHECK(mentions(e, "recovers to"));
            CHECK(mentions(e, "but \"from\" is 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
        }
        json::object o = rpc_tx_json(s);
        o["accessList"].as_array()[0].as_object()["storageKeys"].as_array().pop_back();
        CHECK(recover_error(o).is(errc::verification_failed));
        o = rpc_tx_json(sample("legacy EIP-155"));
        o["gasPrice"] = "0x1";
        CHECK(recover_error(o).is(errc::verification_failed));
    }
    SECTION("another `from`, or a hash that is not the fields'") {
        json::object o = rpc_tx_json(s);
        o["from"] = other.to_lower_hex();
        const auto e = recover_error(o);
        CHECK(e.is(errc::verification_failed));
        CHECK(mentions(e, "but \"from\" is " + other.to_checksum_hex()));
        o = rpc_tx_json(s);
        o["hash"] = h32;
        const auto h = recover_error(o);
        CHECK(h.is(errc::verification_failed));
        CHECK(mentions(h, "but \"hash\" is " + h32));
        // the other yParity: another key (or none), never the signer's
        o = rpc_tx_json(s);
        o["yParity"] = s.sig.recovery_id ? "0x0" : "0x1";
        o["v"] = o["yParity"];
        auto r = chain::recover_sender_public_key(o);
        REQUIRE_FALSE(r);
        CHECK((r.error().is(errc::verification_failed) || r.error().is(errc::invalid_signature)));
    }
    SECTION("invalid signatures: high-s, zero or out-of-range r/s, bad legacy v") {
        const uint256 n = *uint256::from_be_bytes(byte_span(crypto::detail::secp256k1_order, 32));
        json::object o = rpc_tx_json(s);
        o["s"] = qty(n - *uint256::from_be_bytes(s.sig.s));  // the malleated twin (EIP-2)
        o["yParity"] = s.sig.recovery_id ? "0x0" : "0x1";
        o["v"] = o["yParity"];
        auto e = recover_error(o);
        CHECK(e.is(errc::invalid_signature));
        CHECK(mentions(e, "high-s"));
        for (const auto& [field, value] : std::vector<std::pair<std::string, uint256>>{{"r", uint256(0)}, {"s", uint256(0)}, {"r", n}, {"s", n}}) {
            o = rpc_tx_json(s);
            o[field] = qty(value);
            CHECK(recover_error(o).is(errc::invalid_signature));
        }
        for (const char* v : {"0x0", "0x1", "0x1d", "0x23", "0x24"}) {
            INFO(v);
            o = rpc_tx_json(sample("legacy EIP-155"));
            o["v"] = v;
            e = recover_error(o);
            CHECK(e.is(errc::invalid_signature));
            CHECK(mentions(e, "legacy v"));
        }
    }
}

TEST_CASE("sender key: malformed answers are rejected naming the field", "[chain][sender_key]") {
    auto expect_field = [](const json::object& o, const std::string& field) {
        const auto e = recover_error(o);
        INFO(e.message());
        CHECK(e.is(errc::malformed_response));
        CHECK(mentions(e, "field \"" + field + "\""));
    };
    SECTION("every field the payload needs is required") {
        const std::vector<std::pair<std::string, std::vector<std::string>>> required = {
            {"legacy EIP-155", {"type", "nonce", "gasPrice", "gas", "to", "value", "input", "v", "r", "s", "from", "hash"}},
            {"EIP-2930", {"type", "chainId", "nonce", "gasPrice", "gas", "to", "value", "input", "accessList", "r", "s", "from", "hash"}},
            {"EIP-1559", {"type", "chainId", "nonce", "maxPriorityFeePerGas", "maxFeePerGas", "gas", "to", "value", "input", "accessList",
                          "r", "s", "from", "hash"}},
        };
        for (const auto& [name, fields] : required) {
            for (const auto& f : fields) {
                INFO(name << ": without " << f);
                json::object o = rpc_tx_json(sample(name));
                o.erase(f);
                expect_field(o, f);
            }
            json::object o = rpc_tx_json(sample(name));
            if (name != "legacy EIP-155") {
                o.erase("v");
                o.erase("yParity");
                expect_field(o, "yParity");
            }
        }
    }
    SECTION("ill-typed and out-of-range values") {
        const auto s = sample("EIP-1559");
        const std::vector<std::tuple<std::string, json::value, std::string>> cases = {
            {"nonce", json::value(5), "nonce"},
            {"nonce", js("5"), "nonce"},
            {"nonce", js("0x10000000000000000"), "nonce"},  // beyond 64 bits
            {"gas", json::value(nullptr), "gas"},
            {"value", js("0x" + std::string(65, 'f')), "value"},
            {"value", js("0x" + std::string(80, '0') + "1"), "value"},  // hex too long, even if small
            {"r", js("0x" + std::string(200, '0') + "1"), "r"},
            {"chainId", js("0xzz"), "chainId"},
            {"input", js("0x123"), "input"},
            {"input", json::value(nullptr), "input"},
            {"to", js("0x1234"), "to"},
            {"to", json::value(7), "to"},
            {"from", js("0xF39fd6e51aad88f6f4ce6ab8827279cfffb92266"), "from"},  // bad EIP-55 checksum
            {"hash", js("0x1234"), "hash"},
            {"type", js("two"), "type"},
            {"yParity", js("0x2"), "yParity"},
            {"v", js("0x1b"), "v"},  // a legacy v on a typed transaction
            {"accessList", json::object(), "accessList"},
            {"accessList", json::array({json::value(1)}), "accessList[0]"},
            {"accessList", json::array({json::object{{"address", other.to_lower_hex()}}}), "accessList[0].storageKeys"},
            {"accessList", json::array({json::object{{"storageKeys", json::array()}}}), "accessList[0].address"},
            {"accessList", json::array({json::object{{"address", other.to_lower_hex()}, {"storageKeys", json::array({js("0x12")})}}}),
             "accessList[0].storageKeys[0]"},
        };
        for (const auto& [field, value, named] : cases) {
            INFO(field << " = " << json::serialize(value));
            json::object o = rpc_tx_json(s);
            o[field] = value;
            expect_field(o, named);
        }
        json::object o = rpc_tx_json(s);
        o["yParity"] = "0x0";
        o["v"] = "0x1";
        expect_field(o, "v");  // v and yParity disagree
        o = rpc_tx_json(sample("legacy EIP-155"));
        o["chainId"] = "0x1";  // v says 16602
        expect_field(o, "chainId");
    }
    SECTION("oversized access lists and input") {
        const auto s = sample("EIP-2930");
        json::object o = rpc_tx_json(s);
        json::array many;
        for (std::size_t i = 0; i <= chain::max_rpc_access_list_entries; ++i)
            many.push_back(json::object{{"address", other.to_lower_hex()}, {"storageKeys", json::array()}});
        o["accessList"] = many;
        auto e = recover_error(o);
        CHECK(e.is(errc::malformed_response));
        CHECK(mentions(e, "1025 entries (at most 1024)"));
        json::array keys;
        for (std::size_t i = 0; i <= chain::max_rpc_access_list_keys; ++i) keys.push_back(js(h32));
        o["accessList"] = json::array({json::object{{"address", other.to_lower_hex()}, {"storageKeys", keys}}});
        e = recover_error(o);
        CHECK(e.is(errc::malformed_response));
        CHECK(mentions(e, "field \"accessList[0].storageKeys\": 1025 storage keys (at most 1024)"));
        o = rpc_tx_json(s);
        o["input"] = "0x" + std::string(2 * chain::max_rpc_input_bytes + 2, '0');
        e = recover_error(o);
        CHECK(e.is(errc::malformed_response));
        CHECK(mentions(e, "field \"input\""));
    }
    SECTION("unknown transaction types are not supported") {
        for (const char* t : {"0x3", "0x4", "0x7e", "0xff"}) {
            json::object o = rpc_tx_json(sample("EIP-1559"));
            o["type"] = t;
            const auto e = recover_error(o);
            CHECK(e.is(errc::not_supported));
            CHECK(mentions(e, std::string("transaction type ") + t));
        }
    }
}

TEST_CASE("eth_client sender_public_key: eth_getTransactionByHash, recovered and checked", "[chain][sender_key]") {
    fake_node n;
    std::map<std::string, json::value> txs;
    for (const auto& [name, s] : signed_samples()) txs[to_hex(s.hash)] = rpc_tx_json(s);
    n.on["eth_getTransactionByHash"] = [&](const json::array& p) {
        auto it = txs.find(std::string(p.at(0).as_string()));
        return it == txs.end() ? json::value(nullptr) : it->second;
    };
    chain::eth_client<mock_transport> c(n.t, node_url);
    for (const auto& [name, s] : signed_samples()) {
        INFO(name);
        auto pub = run(c.sender_public_key_async(s.hash));
        if (!pub) FAIL(pub.error().message());
        CHECK(to_hex(*pub) == dev_public_key);
    }
    const auto s = sample("EIP-2930");
    CHECK(to_hex(c.sender_public_key(s.hash).value()) == dev_public_key);  // the blocking form
    CHECK(json::serialize(json::parse(n.t.requests().back().body).at("params")) == "[\"" + to_hex(s.hash) + "\"]");

    // unknown transaction
    const hash256 unknown = crypto::keccak256(std::string_view("nothing"));
    auto r = run(c.sender_public_key_async(unknown));
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::not_found));
    CHECK(mentions(r.error(), "no transaction " + to_hex(unknown) + " on this chain"));
    CHECK_FALSE(mentions(r.error(), "SECRETKEY"));

    // a node answering another (valid) transaction than the one asked for
    txs[to_hex(unknown)] = rpc_tx_json(s);
    r = run(c.sender_public_key_async(unknown));
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::malformed_response));
    CHECK(mentions(r.error(), "node answered transaction " + to_hex(s.hash)));

    // a tampered answer: the method, the endpoint and the transaction are in the error
    json::object bad = rpc_tx_json(s);
    bad["value"] = "0x2";
    txs[to_hex(s.hash)] = bad;
    r = run(c.sender_public_key_async(s.hash));
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::verification_failed));
    CHECK(mentions(r.error(), "eth_getTransactionByHash"));
    CHECK(mentions(r.error(), "http://node.example:8545"));
    CHECK(mentions(r.error(), to_hex(s.hash)));
    // not an object, a missing field
    txs[to_hex(s.hash)] = json::value("0x1234");
    CHECK(run(c.sender_public_key_async(s.hash)).error().is(errc::malformed_response));
    bad = rpc_tx_json(s);
    bad.erase("hash");
    txs[to_hex(s.hash)] = bad;
    r = run(c.sender_public_key_async(s.hash));
    CHECK(r.error().is(errc::malformed_response));
    CHECK(mentions(r.error(), "field \"hash\": missing"));
    // a node error
    n.on["eth_getTransactionByHash"] = [](const json::array&) { return rpc_err(-32000, "header not found"); };
    CHECK(run(c.sender_public_key_async(s.hash)).error().is(errc::rpc_error));
}
