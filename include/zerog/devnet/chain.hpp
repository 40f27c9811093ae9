// Small Ethereum helpers for the devnet tooling (contract deployment, log following), written on
// net::jsonrpc + chain/transaction.hpp directly: chain/eth_client and tx_sender were still being
// written when the devnet was built. Every wait is bounded.
//
// Thread safety: coroutines; a client is used from one executor at a time.
#pragma once

#include <zerog/chain/transaction.hpp>
#include <zerog/crypto/secp256k1_signer.hpp>
#include <zerog/net/http_transport.hpp>
#include <zerog/net/jsonrpc.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <chrono>

namespace zerog::devnet {

namespace asio = boost::asio;
namespace json = boost::json;

/// The JSON-RPC client type every devnet component uses.
using rpc_client = net::jsonrpc_client<net::http_transport>;

/// Request options with a short bound: everything is on 127.0.0.1.
inline net::request_options local_request(std::chrono::milliseconds total = std::chrono::milliseconds(5000)) {
    net::request_options o;
    o.connect_timeout = std::min(total, std::chrono::milliseconds(2000));
    o.read_timeout = total;
    o.write_timeout = total;
    o.deadline = zerog::steady_time::clock::now() + total;
    o.max_response_bytes = 128u << 20;
    return o;
}

/// "0x1a" → 26. Errors: malformed_response.
inline result<std::uint64_t> quantity_u64(const json::value& v) { return net::rpc_result_traits<std::uint64_t>::from_json(v); }

/// Sleep on the current executor.
inline asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

/// The Flow's Submit logs of the blocks a follower has not read yet (storage node and KV node
/// emulators): `head` is the latest block (read up to and including it; the next read starts at
/// head + 1), `head_hash` its hash. Nothing when the chain has no block at or after `from_block`.
struct new_submit_logs {
    std::uint64_t head = 0;
    std::string head_hash;
    json::array logs;
};
inline asio::awaitable<result<std::optional<new_submit_logs>>> fetch_submit_logs(rpc_client& c, std::string flow_address,
                                                                                 std::uint64_t from_block, std::string topic0) {
    json::array bp;
    bp.push_back(json::value("latest"));
    bp.push_back(json::value(false));
    ZEROG_CO_TRY(auto blk, co_await c.call_async("eth_getBlockByNumber", std::move(bp), local_request()));
    if (!blk.is_object() || !blk.get_object().if_contains("number")) co_return fail(errc::malformed_response, "latest block is not an object with a number");
    ZEROG_CO_TRY(const std::uint64_t number, quantity_u64(blk.get_object().at("number")));
    if (number < from_block) co_return std::optional<new_submit_logs>();
    json::object filter;
    filter["fromBlock"] = uint256(from_block).to_quantity_hex();
    filter["toBlock"] = uint256(number).to_quantity_hex();
    filter["address"] = flow_address;
    json::array topics;
    topics.push_back(json::value(topic0));
    filter["topics"] = std::move(topics);
    json::array lp;
    lp.push_back(std::move(filter));
    ZEROG_CO_TRY(auto logs, co_await c.call_async("eth_getLogs", std::move(lp), local_request()));
    if (!logs.is_array()) co_return fail(errc::malformed_response, "eth_getLogs did not return an array");
    new_submit_logs out;
    out.head = number;
    if (const auto* h = blk.get_object().if_contains("hash"); h && h->is_string()) out.head_hash = std::string(h->get_string());
    out.logs = std::move(logs.get_array());
    co_return std::optional<new_submit_logs>(std::move(out));
}

/// What a mined transaction left behind.
struct receipt_info {
    hash256 tx_hash;
    std::optional<crypto::address> contract;  ///< contractAddress for a creation
    json::array logs;
};

/// Sign (legacy EIP-155, gas = estimate × 1.3 + 10 000, price = eth_gasPrice) and send a
/// transaction, then wait (≤ `wait`) for a successful receipt. `to` nullopt: contract creation.
/// Errors: rpc errors, errc::reverted for status 0, errc::timeout.
inline asio::awaitable<result<receipt_info>> send_and_wait(rpc_client& c, const crypto::secp256k1_signer& signer, std::uint64_t chain_id,
                                                          std::uint64_t nonce, std::optional<crypto::address> to, bytes data,
                                                          uint256 value = uint256(0),
                                                          std::chrono::milliseconds wait = std::chrono::milliseconds(15000)) {
    json::object call;
    call["from"] = signer.address().to_lower_hex();
    if (to) call["to"] = to->to_lower_hex();
    call["data"] = to_hex(data);
    call["value"] = value.to_quantity_hex();
    json::array est_params;
    est_params.push_back(call);
    ZEROG_CO_TRY(auto gas_v, co_await c.call_async("eth_estimateGas", std::move(est_params), local_request()));
    ZEROG_CO_TRY(std::uint64_t gas, quantity_u64(gas_v));
    ZEROG_CO_TRY(auto price_v, co_await c.call_async("eth_gasPrice", json::array(), local_request()));
    ZEROG_CO_TRY(uint256 price, net::rpc_result_traits<uint256>::from_json(price_v));
    chain::legacy_tx tx;
    tx.chain_id = chain_id;
    tx.nonce = nonce;
    tx.gas_price = price + price;  // 2× keeps it above a drifting base fee
    tx.gas = gas * 13 / 10 + 10000;
    tx.to = to;
    tx.value = value;
    tx.data = std::move(data);
    ZEROG_CO_TRY(auto signed_tx, chain::sign_transaction(chain::transaction(tx), signer));
    json::array send_params;
    send_params.push_back(json::value(to_hex(signed_tx.raw)));
    ZEROG_CO_TRY(auto sent, co_await c.call_async("eth_sendRawTransaction", std::move(send_params), local_request()));
    (void)sent;
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
        json::array rp;
        rp.push_back(json::value(to_hex(signed_tx.hash)));
        ZEROG_CO_TRY(auto r, co_await c.call_async("eth_getTransactionReceipt", std::move(rp), local_request()));
        if (r.is_object()) {
            const auto& o = r.get_object();
            receipt_info out;
            out.tx_hash = signed_tx.hash;
            if (const auto* st = o.if_contains("status"); st && !(st->is_string() && st->get_string() == "0x1"))
                co_return fail(errc::reverted, "transaction " + to_hex(signed_tx.hash) + " reverted");
            if (const auto* ca = o.if_contains("contractAddress"); ca && ca->is_string()) {
                ZEROG_CO_TRY(auto a, crypto::address::parse(std::string_view(ca->get_string())));
                out.contract = a;
            }
            if (const auto* l = o.if_contains("logs"); l && l->is_array()) out.logs = l->get_array();
            co_return out;
        }
        if (std::chrono::steady_clock::now() > deadline)
            co_return fail(errc::timeout, "no receipt for " + to_hex(signed_tx.hash) + " within " + std::to_string(wait.count()) + " ms");
        co_await sleep_for(std::chrono::milliseconds(20));
    }
}

/// The account's next nonce (eth_getTransactionCount "pending").
inline asio::awaitable<result<std::uint64_t>> pending_nonce(rpc_client& c, const crypto::address& a) {
    json::array p;
    p.push_back(json::value(a.to_lower_hex()));
    p.push_back(json::value("pending"));
    ZEROG_CO_TRY(auto n, co_await c.call_async("eth_getTransactionCount", std::move(p), local_request()));
    co_return quantity_u64(n);
}

/// eth_call returning the raw bytes.
inline asio::awaitable<result<bytes>> eth_call(rpc_client& c, const crypto::address& to, bytes data) {
    json::object call;
    call["to"] = to.to_lower_hex();
    call["data"] = to_hex(data);
    json::array p;
    p.push_back(call);
    p.push_back(json::value("latest"));
    ZEROG_CO_TRY(auto r, co_await c.call_async("eth_call", std::move(p), local_request()));
    co_return net::rpc_result_traits<bytes>::from_json(r);
}

}  // namespace zerog::devnet
