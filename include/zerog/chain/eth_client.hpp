// chain::eth_client: the Ethereum JSON-RPC methods zerog needs, typed and strictly parsed, over any
// net::Transport (through net::jsonrpc_client).
//
//   chain_id, block_number, get_balance, get_transaction_count (default "pending"), gas_price,
//   max_priority_fee_per_gas, fee_history, get_block_header, estimate_gas, call,
//   send_raw_transaction, get_transaction_receipt, get_logs, get_code, and sender_public_key
//   (eth_getTransactionByHash + chain/sender_key.hpp: the secp256k1 public key of the account
//   that sent a transaction).
//
// One code path: every method is a coroutine, `name_async(...)` (`asio::awaitable<result<T>>`); the
// blocking `name(...)` runs the same coroutine to completion (net/sync.hpp).
//
// Results are parsed strictly (chain/detail/eth_json.hpp): a malformed field is
// errc::malformed_response "field \"logs[0].topics[1]\": …" in a frame "decoding the result of
// eth_getTransactionReceipt (tx=0x…) at http://host:port".
//
// Node errors are mapped to codes callers can branch on (`map_node_error`), by the texts geth,
// anvil, reth and the 0G node (geth-based) use:
//   "nonce too low" / "nonce too high"            → errc::nonce_conflict
//   "replacement transaction underpriced", "transaction underpriced", "fee cap less than block
//   base fee", "max fee per gas less than block base fee"        → errc::underpriced
//   "insufficient funds"                          → errc::insufficient_funds
//   "invalid chain id"                            → errc::chain_id_mismatch
//   "already known" / "known transaction"         → errc::already_exists (re-broadcast: harmless)
//   code 3 or "execution reverted" (+ data)       → errc::reverted, detail = the decoded reason
//                                                   (Error(string), Panic, custom errors from the
//                                                   client's codec::abi::error_registry)
//   anything else: errc::rpc_error (errc::server_error for -32603), as net::jsonrpc_client does.
// The node's own words stay in the detail; the frame carries the method, the redacted endpoint
// and the identifiers (tx hash, address) of the call.
//
// Thread safety: methods may run concurrently from several coroutines/threads when the transport
// allows it (http_transport and mock_transport do). `set_error_registry` is not synchronised: call
// it before use. Copies share the transport and the JSON-RPC id sequence.
#pragma once

#include <zerog/chain/detail/eth_json.hpp>
#include <zerog/chain/sender_key.hpp>
#include <zerog/codec/abi_errors.hpp>
#include <zerog/crypto/keccak.hpp>
#include <zerog/net/jsonrpc.hpp>
#include <zerog/net/sync.hpp>

#include <algorithm>
#include <cctype>

namespace zerog::chain {

namespace asio = boost::asio;

/// Identifiers attached to an error frame ("tx" → "0x…", "address" → "0x…").
using frame_ids = std::vector<std::pair<std::string, std::string>>;

/// The revert payload of a node error object: `data` as a hex string, or `data.data` (some
/// nodes nest it). nullopt when there is none or it is not hex.
inline std::optional<bytes> revert_data_of(const net::rpc_error_object& e) {
    const json::value* d = &e.data;
    if (d->is_object()) {
        const json::value* inner = d->get_object().if_contains("data");
        if (!inner) return std::nullopt;
        d = inner;
    }
    if (!d->is_string()) return std::nullopt;
    auto b = from_hex(d->get_string());
    if (!b) return std::nullopt;
    return std::move(*b);
}

/// Map a node's JSON-RPC error object to a zerog::error (see the file comment for the table).
inline zerog::error map_node_error(const net::rpc_error_object& e,
                                   const codec::abi::error_registry& registry = codec::abi::error_registry::builtin()) {
    std::string m = e.message;
    std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto has = [&m](std::string_view s) { return m.find(s) != std::string::npos; };
    const std::string words = "node says: " + net::body_snippet(e.message, 300) + " (code " + std::to_string(e.code) + ")";
    if (e.code == 3 || has("execution reverted") || has("revert")) {
        if (auto data = revert_data_of(e)) {
            auto reason = codec::abi::decode_revert(*data, registry);
            return zerog::error(errc::reverted, reason.message);
        }
        return zerog::error(errc::reverted, words);
    }
    if (has("nonce too low") || has("nonce too high") || has("invalid nonce") || has("nonce has already been used"))
        return zerog::error(errc::nonce_conflict, words);
    if (has("underpriced") || has("fee cap less than block base fee") || has("max fee per gas less than block base fee") ||
        has("gas price too low") || has("feecap too low"))
        return zerog::error(errc::underpriced, words);
    if (has("insufficient funds")) return zerog::error(errc::insufficient_funds, words);
    if (has("invalid chain id") || has("chain id mismatch") || has("incorrect chain id") || has("chainid"))
        return zerog::error(errc::chain_id_mismatch, words);
    if (has("already known") || has("known transaction") || has("already imported"))
        return zerog::error(errc::already_exists, words);
    return e.to_error();
}

/// Typed Ethereum JSON-RPC client over Transport `T`. See the file comment.
template <net::Transport T>
class eth_client {
public:
    using opt_request = std::optional<net::request_options>;

    eth_client(T transport, std::string url, net::jsonrpc_options opts = {})
        : rpc_(std::move(transport), std::move(url), std::move(opts)) {}
    /// Several equivalent RPC endpoints, preferred first: calls fail over when one cannot be
    /// reached (net/jsonrpc.hpp, "Failover").
    eth_client(T transport, std::vector<std::string> urls, net::jsonrpc_options opts = {})
        : rpc_(std::move(transport), std::move(urls), std::move(opts)) {}
    explicit eth_client(net::jsonrpc_client<T> rpc) : rpc_(std::move(rpc)) {}

    /// Custom errors known to revert decoding (default: the built-in registry). Must outlive the
    /// client; set before use.
    void set_error_registry(const codec::abi::error_registry* r) noexcept {
        registry_ = r ? r : &codec::abi::error_registry::builtin();
    }
    const codec::abi::error_registry& error_registry() const noexcept { return *registry_; }

    /// The client's request options with an absolute deadline (per-call bound for long operations).
    /// (Not const only because jsonrpc_client::options() has no const overload.)
    net::request_options options_until(zerog::steady_time deadline) {
        net::request_options o = rpc_.options().request;
        if (!o.deadline || deadline < *o.deadline) o.deadline = deadline;
        return o;
    }

    /// eth_chainId.
    asio::awaitable<result<std::uint64_t>> chain_id_async(opt_request req = std::nullopt) {
        auto v = co_await invoke("eth_chainId", json::array(), std::move(req), frame_ids());
        if (!v) co_return std::move(v).error();
        co_return decoded(detail::parse_u64(*v, "result"), "eth_chainId", frame_ids());
    }

    /// eth_blockNumber.
    asio::awaitable<result<std::uint64_t>> block_number_async(opt_request req = std::nullopt) {
        auto v = co_await invoke("eth_blockNumber", json::array(), std::move(req), frame_ids());
        if (!v) co_return std::move(v).error();
        co_return decoded(detail::parse_u64(*v, "result"), "eth_blockNumber", frame_ids());
    }

    /// eth_getBalance (wei, exact).
    asio::awaitable<result<uint256>> get_balance_async(crypto::address who, block_tag at = block_tag::latest(),
                                                 opt_request req = std::nullopt) {
        json::array p;
        p.push_back(json::value(who.to_lower_hex()));
        p.push_back(json::value(at.to_param()));
        frame_ids ids = address_ids(who);
        auto v = co_await invoke("eth_getBalance", std::move(p), std::move(req), ids);
        if (!v) co_return std::move(v).error();
        co_return decoded(detail::parse_quantity(*v, "result"), "eth_getBalance", ids);
    }

    /// eth_getTransactionCount, by default at "pending" (the next nonce to use, pool included).
    asio::awaitable<result<std::uint64_t>> get_transaction_count_async(crypto::address who, block_tag at = block_tag::pending(),
                                                                 opt_request req = std::nullopt) {
        json::array p;
        p.push_back(json::value(who.to_lower_hex()));
        p.push_back(json::value(at.to_param()));
        frame_ids ids = address_ids(who);
        auto v = co_await invoke("eth_getTransactionCount", std::move(p), std::move(req), ids);
        if (!v) co_return std::move(v).error();
        co_return decoded(detail::parse_u64(*v, "result"), "eth_getTransactionCount", ids);
    }

    /// eth_gasPrice (legacy price suggestion, wei).
    asio::awaitable<result<uint256>> gas_price_async(opt_request req = std::nullopt) {
        auto v = co_await invoke("eth_gasPrice", json::array(), std::move(req), frame_ids());
        if (!v) co_return std::move(v).error();
        co_return decoded(detail::parse_quantity(*v, "result"), "eth_gasPrice", frame_ids());
    }

    /// eth_maxPriorityFeePerGas (EIP-1559 tip suggestion, wei).
    asio::awaitable<result<uint256>> max_priority_fee_per_gas_async(opt_request req = std::nullopt) {
        auto v = co_await invoke("eth_maxPriorityFeePerGas", json::array(), std::move(req), frame_ids());
        if (!v) co_return std::move(v).error();
        co_return decoded(detail::parse_quantity(*v, "result"), "eth_maxPriorityFeePerGas", frame_ids());
    }

    /// eth_feeHistory(blocks, newest, percentiles).
    asio::awaitable<result<fee_history>> get_fee_history_async(std::uint64_t blocks, block_tag newest, std::vector<double> percentiles,
                                                         opt_request req = std::nullopt) {
        json::array p;
        p.push_back(json::value(uint256(blocks).to_quantity_hex()));
        p.push_back(json::value(newest.to_param()));
        json::array pct;
        for (double x : percentiles) pct.push_back(json::value(x));
        p.push_back(std::move(pct));
        auto v = co_await invoke("eth_feeHistory", std::move(p), std::move(req), frame_ids());
        if (!v) co_return std::move(v).error();
        co_return decoded(detail::parse_fee_history(*v, percentiles.size()), "eth_feeHistory", frame_ids());
    }

    /// eth_getBlockByNumber(at, false): the header fields; nullopt when the node has no such block.
    asio::awaitable<result<std::optional<block_header>>> get_block_header_async(block_tag at = block_tag::latest(),
                                                                         opt_request req = std::nullopt) {
        json::array p;
        p.push_back(json::value(at.to_param()));
        p.push_back(json::value(false));
        frame_ids ids;
        ids.emplace_back("block", at.to_param());
        auto v = co_await invoke("eth_getBlockByNumber", std::move(p), std::move(req), ids);
        if (!v) co_return std::move(v).error();
        if (v->is_null()) co_return std::optional<block_header>();
        auto h = decoded(detail::parse_block_header(*v), "eth_getBlockByNumber", ids);
        if (!h) co_return std::move(h).error();
        co_return std::optional<block_header>(std::move(*h));
    }

    /// eth_estimateGas. A revert is errc::reverted with the decoded reason.
    asio::awaitable<result<std::uint64_t>> estimate_gas_async(call_request c, opt_request req = std::nullopt) {
        json::array p;
        p.push_back(detail::call_object(c));
        frame_ids ids = call_ids(c);
        auto v = co_await invoke("eth_estimateGas", std::move(p), std::move(req), ids);
        if (!v) co_return std::move(v).error();
        co_return decoded(detail::parse_u64(*v, "result"), "eth_estimateGas", ids);
    }

    /// eth_call at `at`: the return data. A revert is errc::reverted with the decoded reason.
    asio::awaitable<result<bytes>> call_async(call_request c, block_tag at = block_tag::latest(), opt_request req = std::nullopt) {
        json::array p;
        p.push_back(detail::call_object(c));
        p.push_back(json::value(at.to_param()));
        frame_ids ids = call_ids(c);
        auto v = co_await invoke("eth_call", std::move(p), std::move(req), ids);
        if (!v) co_return std::move(v).error();
        co_return decoded(detail::parse_data(*v, "result"), "eth_call", ids);
    }

    /// eth_sendRawTransaction. The returned hash must equal keccak256(raw): a node answering
    /// another hash is errc::malformed_response.
    asio::awaitable<result<hash256>> send_raw_transaction_async(bytes raw, opt_request req = std::nullopt) {
        const hash256 expected = crypto::keccak256(raw);
        json::array p;
        p.push_back(json::value(to_hex(raw)));
        const frame_ids ids = tx_ids(expected);
        auto v = co_await invoke("eth_sendRawTransaction", std::move(p), std::move(req), ids);
        if (!v) co_return std::move(v).error();
        auto h = decoded(detail::parse_hash(*v, "result"), "eth_sendRawTransaction", ids);
        if (!h) co_return std::move(h).error();
        if (*h != expected)
            co_return decoding_error(zerog::error(errc::malformed_response, "node answered hash " + to_hex(*h) + ", not keccak256(raw)"),
                                     "eth_sendRawTransaction", ids);
        co_return *h;
    }

    /// eth_getTransactionReceipt: nullopt while the transaction is unknown or not mined.
    asio::awaitable<result<std::optional<receipt>>> get_transaction_receipt_async(hash256 tx, opt_request req = std::nullopt) {
        json::array p;
        p.push_back(json::value(to_hex(tx)));
        const frame_ids ids = tx_ids(tx);
        auto v = co_await invoke("eth_getTransactionReceipt", std::move(p), std::move(req), ids);
        if (!v) co_return std::move(v).error();
        if (v->is_null()) co_return std::optional<receipt>();
        auto r = decoded(detail::parse_receipt(*v), "eth_getTransactionReceipt", ids);
        if (!r) co_return std::move(r).error();
        if (r->transaction_hash != tx)
            co_return decoding_error(zerog::error(errc::malformed_response, "receipt is for transaction " + to_hex(r->transaction_hash)),
                                     "eth_getTransactionReceipt", ids);
        co_return std::optional<receipt>(std::move(*r));
    }

    /// eth_getLogs.
    asio::awaitable<result<std::vector<log_entry>>> get_logs_async(log_filter f, opt_request req = std::nullopt) {
        json::array p;
        p.push_back(detail::filter_object(f));
        auto v = co_await invoke("eth_getLogs", std::move(p), std::move(req), frame_ids());
        if (!v) co_return std::move(v).error();
        co_return decoded(detail::parse_logs(*v, "result"), "eth_getLogs", frame_ids());
    }

    /// eth_getCode (empty for an account without code).
    asio::awaitable<result<bytes>> get_code_async(crypto::address who, block_tag at = block_tag::latest(), opt_request req = std::nullopt) {
        json::array p;
        p.push_back(json::value(who.to_lower_hex()));
        p.push_back(json::value(at.to_param()));
        frame_ids ids = address_ids(who);
        auto v = co_await invoke("eth_getCode", std::move(p), std::move(req), ids);
        if (!v) co_return std::move(v).error();
        co_return decoded(detail::parse_data(*v, "result"), "eth_getCode", ids);
    }

    /// eth_getTransactionByHash(tx), then recover_sender_public_key (chain/sender_key.hpp): the
    /// sender's 33-byte compressed public key, its address checked against the answer's `from`
    /// and the signed fields against `tx` itself. Errors: not_found when the node knows no such
    /// transaction; malformed_response, not_supported, invalid_signature, verification_failed as
    /// recover_sender_public_key says (the answer's hash differing from `tx`: malformed_response).
    asio::awaitable<result<fixed_bytes<33>>> sender_public_key_async(hash256 tx, opt_request req = std::nullopt) {
        json::array p;
        p.push_back(json::value(to_hex(tx)));
        const frame_ids ids = tx_ids(tx);
        auto v = co_await invoke("eth_getTransactionByHash", std::move(p), std::move(req), ids);
        if (!v) co_return std::move(v).error();
        if (v->is_null())
            co_return with_ids(zerog::error(errc::not_found, "no transaction " + to_hex(tx) + " on this chain")
                                   .during("eth_getTransactionByHash")
                                   .at(rpc_.url()),
                               ids);
        auto obj = decoded(detail::want_object(*v, "result"), "eth_getTransactionByHash", ids);
        if (!obj) co_return std::move(obj).error();
        // The answer must be the transaction asked for (its own hash is checked against its fields).
        const json::value* h = (*obj)->if_contains("hash");
        auto hash = decoded(h ? detail::parse_hash(*h, "hash") : result<hash256>(detail::bad_field("hash", "missing")),
                            "eth_getTransactionByHash", ids);
        if (!hash) co_return std::move(hash).error();
        if (*hash != tx)
            co_return decoding_error(zerog::error(errc::malformed_response, "node answered transaction " + to_hex(*hash)),
                                     "eth_getTransactionByHash", ids);
        co_return decoded(recover_sender_public_key(**obj), "eth_getTransactionByHash", ids);
    }

    net::jsonrpc_client<T>& rpc() noexcept { return rpc_; }
    const std::string& url() const noexcept { return rpc_.url(); }


    // Blocking forms: each runs the same coroutine to completion on a private io_context in the
    // calling thread (net::blocking_runner, shared by copies of this client). Concurrent blocking
    // calls are serialised; use the *_async forms for parallelism.
    result<std::uint64_t> chain_id() { return run(chain_id_async()); }
    result<std::uint64_t> block_number() { return run(block_number_async()); }
    result<uint256> get_balance(crypto::address a, block_tag at = block_tag::latest()) { return run(get_balance_async(a, std::move(at))); }
    result<std::uint64_t> get_transaction_count(crypto::address a, block_tag at = block_tag::pending()) {
        return run(get_transaction_count_async(a, std::move(at)));
    }
    result<uint256> gas_price() { return run(gas_price_async()); }
    result<uint256> max_priority_fee_per_gas() { return run(max_priority_fee_per_gas_async()); }
    result<fee_history> get_fee_history(std::uint64_t n, block_tag newest, std::vector<double> pct) {
        return run(get_fee_history_async(n, std::move(newest), std::move(pct)));
    }
    result<std::optional<block_header>> get_block_header(block_tag at = block_tag::latest()) { return run(get_block_header_async(std::move(at))); }
    result<std::uint64_t> estimate_gas(call_request c) { return run(estimate_gas_async(std::move(c))); }
    result<bytes> call(call_request c, block_tag at = block_tag::latest()) { return run(call_async(std::move(c), std::move(at))); }
    result<hash256> send_raw_transaction(bytes raw) { return run(send_raw_transaction_async(std::move(raw))); }
    result<std::optional<receipt>> get_transaction_receipt(hash256 h) { return run(get_transaction_receipt_async(h)); }
    result<std::vector<log_entry>> get_logs(log_filter f) { return run(get_logs_async(std::move(f))); }
    result<bytes> get_code(crypto::address a, block_tag at = block_tag::latest()) { return run(get_code_async(a, std::move(at))); }
    result<fixed_bytes<33>> sender_public_key(hash256 tx) { return run(sender_public_key_async(tx)); }

private:
    template <class R>
    result<R> run(asio::awaitable<result<R>> op) {
        if (!runner_) runner_ = std::make_shared<net::blocking_runner>();
        return runner_->run(std::move(op));
    }
    static frame_ids address_ids(const crypto::address& a) {
        frame_ids ids;
        ids.emplace_back("address", a.to_checksum_hex());
        return ids;
    }
    static frame_ids tx_ids(const hash256& tx) {
        frame_ids ids;
        ids.emplace_back("tx", to_hex(tx));
        return ids;
    }
    static frame_ids call_ids(const call_request& c) {
        frame_ids ids;
        if (c.to) ids.emplace_back("to", c.to->to_checksum_hex());
        else ids.emplace_back("to", "(contract creation)");
        if (c.data.size() >= 4) ids.emplace_back("selector", to_hex(byte_span(c.data.data(), 4)));
        return ids;
    }
    static zerog::error with_ids(zerog::error e, const frame_ids& ids) {
        for (const auto& [k, v] : ids) e.with(k, v);
        return e;
    }

    // The result value, or the (mapped) error in context "method (ids) at endpoint".
    asio::awaitable<result<json::value>> invoke(std::string method, json::array params, opt_request req, frame_ids ids) {
        auto out = co_await rpc_.call_detailed_async(method, json::value(std::move(params)), std::move(req));
        if (!out) co_return with_ids(std::move(out).error(), ids);
        if (auto* e = std::get_if<net::rpc_error_object>(&*out)) {
            auto err = with_ids(map_node_error(*e, *registry_).during(method).at(rpc_.url()), ids);
            co_return std::move(err).with("rpc_code", std::to_string(e->code));
        }
        co_return std::get<json::value>(std::move(*out));
    }

    // `e` in context "decoding the result of method (ids) at endpoint": a result that is malformed,
    // or well-formed but not the answer asked for (another transaction's hash).
    zerog::error decoding_error(zerog::error e, const std::string& method, const frame_ids& ids) const {
        return with_ids(std::move(e).during("decoding the result of " + method).at(rpc_.url()), ids);
    }
    template <class R>
    result<R> decoded(result<R> r, const std::string& method, const frame_ids& ids) const {
        if (r) return r;
        return decoding_error(std::move(r).error(), method, ids);
    }

    net::jsonrpc_client<T> rpc_;
    const codec::abi::error_registry* registry_ = &codec::abi::error_registry::builtin();
    std::shared_ptr<net::blocking_runner> runner_;  // created by the first blocking call
};

}  // namespace zerog::chain
