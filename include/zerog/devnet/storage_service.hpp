// The emulated storage node as a running service: storage_node_core behind net::http_server, a
// Submit-event follower (eth_getLogs polling every `poll` ms, from the node's persisted block
// on), and a fault watcher that closes the listener in `down` mode and re-opens it on the same
// port afterwards (connections are then really refused, as with a dead node).
// Request log (off by default, for tests): `record_requests(true)` keeps one `request_record` per
// HTTP request (arrival time on the steady clock, JSON-RPC method or "batch", the value of the
// `X-Zerog-User` header a test transport may add), read with `requests()`; tests measure from the
// server's side what clients really sent (per-user rates, retries).
//
// Thread safety: start/stop on the executor's thread or before it runs; everything runs on one
// single-threaded executor (the core is not thread-safe). `record_requests` and `requests` may be
// called from any thread.
#pragma once

#include <zerog/devnet/chain.hpp>
#include <zerog/devnet/storage_node.hpp>
#include <zerog/net/http_server.hpp>

#include <boost/asio/detached.hpp>

#include <cctype>
#include <cstdio>
#include <memory>
#include <mutex>
#include <vector>

namespace zerog::devnet {

/// One HTTP request as the node received it (the request log, see the file comment).
struct request_record {
    std::chrono::steady_clock::time_point at;  ///< arrival (before any `slow` delay)
    std::string method;                        ///< JSON-RPC method, "batch", or "" when unparsable
    std::string user;                          ///< X-Zerog-User header ("" when absent)
};

/// Everything a storage node process needs.
struct storage_service_config {
    node_config node;
    std::filesystem::path data_dir;
    std::filesystem::path fault_file;
    std::string rpc_url;  ///< the chain (anvil); empty: no log following (tests inject txs)
    std::uint16_t port = 0;
    std::chrono::milliseconds poll{100};
};

/// A running emulated storage node (see the file comment). Not copyable; stop() or destroy to end.
class storage_service : public std::enable_shared_from_this<storage_service> {
public:
    /// Open the data folder, listen, start following. Errors: store load, listen errors.
    static result<std::shared_ptr<storage_service>> start(asio::any_io_executor ex, storage_service_config cfg) {
        auto s = std::shared_ptr<storage_service>(new storage_service(ex, std::move(cfg)));
        ZEROG_CHECK(s->core_.open());
        ZEROG_CHECK(s->listen());
        s->port_ = s->server_->port();
        if (!s->cfg_.rpc_url.empty()) asio::co_spawn(ex, follow(s), asio::detached);
        asio::co_spawn(ex, watch_faults(s), asio::detached);
        return s;
    }
    ~storage_service() { stop(); }

    /// Close the listener and stop the background loops. Idempotent.
    void stop() {
        stopped_ = true;
        if (server_) server_->stop();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::uint16_t port() const noexcept { return port_; }
    storage_node_core& core() noexcept { return core_; }
    /// Last error of the log follower (empty when healthy), for diagnostics.
    const std::string& follow_error() const noexcept { return follow_error_; }

    /// Start (true: from an empty log) or stop keeping the request log. Any thread.
    void record_requests(bool on) {
        std::lock_guard lk(log_m_);
        recording_ = on;
        if (on) log_.clear();
    }
    /// A copy of the request log. Any thread.
    std::vector<request_record> requests() const {
        std::lock_guard lk(log_m_);
        return log_;
    }

private:
    storage_service(asio::any_io_executor ex, storage_service_config cfg)
        : ex_(ex), cfg_(std::move(cfg)), core_(cfg_.node, cfg_.data_dir, cfg_.fault_file), port_(cfg_.port) {}

    result<void> listen() {
        net::server_options o;
        o.port = port_;
        o.max_body_bytes = 100u << 20;  // the node's max_request_body_size
        std::weak_ptr<storage_service> w = weak_from_this();
        auto h = [w](net::server_request req) -> asio::awaitable<net::server_response> {
            auto self = w.lock();
            if (!self) co_return net::server_response::json("{}", 503);
            self->log_request(req);
            const fault_state f = self->core_.current_fault();
            if (f.mode == "slow" && f.ms) co_await sleep_for(std::chrono::milliseconds(f.ms));
            co_return net::server_response::json(self->core_.handle(req.body));
        };
        ZEROG_TRY(auto srv, net::http_server::start(ex_, std::move(h), o));
        server_.emplace(std::move(srv));
        return {};
    }

    void log_request(const net::server_request& req) {
        // W3C trace context from a traced client: one line on the node's log (DIR/logs/node-I.log),
        // where the tests find the trace id of the client's spans.
        if (auto tp = req.header("traceparent"); tp && tp->size() <= 64) {
            std::string line = "{\"event\":\"traceparent\",\"traceparent\":\"";
            for (char c : *tp) line += (std::isalnum(static_cast<unsigned char>(c)) || c == '-') ? c : '?';
            line += "\"}\n";
            std::fputs(line.c_str(), stderr);
            std::fflush(stderr);
        }
        std::lock_guard lk(log_m_);
        if (!recording_) return;
        request_record r{std::chrono::steady_clock::now(), {}, std::string(req.header("X-Zerog-User").value_or(""))};
        boost::system::error_code ec;
        const json::value v = json::parse(req.body, ec);
        if (!ec && v.is_array()) r.method = "batch";
        else if (!ec && v.is_object())
            if (const auto* m = v.get_object().if_contains("method"); m && m->is_string()) r.method = std::string(m->get_string());
        log_.push_back(std::move(r));
    }

    static asio::awaitable<void> watch_faults(std::shared_ptr<storage_service> s) {
        while (!s->stopped_) {
            const bool down = s->core_.current_fault().mode == "down";
            if (down && s->server_) {
                s->server_->stop();
                s->server_.reset();
            } else if (!down && !s->server_) {
                if (!s->listen()) { /* port busy for a moment: retry on the next tick */ }
            }
            co_await sleep_for(std::chrono::milliseconds(100));
        }
    }

    static asio::awaitable<void> follow(std::shared_ptr<storage_service> s) {
        rpc_client c(net::http_transport(), s->cfg_.rpc_url);
        while (!s->stopped_) {
            auto r = co_await follow_once(*s, c);
            s->follow_error_ = r ? std::string() : r.error().message();
            co_await sleep_for(s->cfg_.poll);
        }
    }

    static asio::awaitable<result<void>> follow_once(storage_service& s, rpc_client& c) {
        node_store& st = s.core_.store();
        ZEROG_CO_TRY(auto got, co_await fetch_submit_logs(c, s.cfg_.node.flow_address, st.next_block, std::string(submit_topic)));
        if (!got) co_return result<void>{};
        for (const auto& l : got->logs) {
            const auto* o = l.if_object();
            if (!o || !o->if_contains("data") || !o->at("data").is_string()) continue;
            auto data = from_hex(std::string_view(o->at("data").get_string()));
            if (!data) continue;
            auto tx = decode_submit_log(*data);
            if (tx) s.core_.on_tx(*tx);
        }
        st.next_block = got->head + 1;
        if (!got->head_hash.empty()) st.last_block_hash = got->head_hash;
        ZEROG_CO_CHECK(st.save());
        co_return result<void>{};
    }

    asio::any_io_executor ex_;
    storage_service_config cfg_;
    storage_node_core core_;
    std::uint16_t port_;
    std::optional<net::http_server> server_;
    bool stopped_ = false;
    std::string follow_error_;
    mutable std::mutex log_m_;
    bool recording_ = false;
    std::vector<request_record> log_;
};

}  // namespace zerog::devnet
