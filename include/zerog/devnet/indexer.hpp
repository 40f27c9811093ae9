// The emulated 0G storage indexer (docs/protocol/storage.md §8): `indexer_getShardedNodes`,
// `indexer_getSelectedNodes` (replica selection by shard coverage, the Go `shard.Select`
// segment tree), `indexer_getFileLocations` (nodes that report the file finalized) and
// `indexer_getNodeLocations`, over a fixed list of trusted nodes (the devnet's storage nodes).
//
// Thread safety: `select_nodes` is pure; the service runs on one executor.
#pragma once

#include <zerog/devnet/chain.hpp>
#include <zerog/devnet/node_store.hpp>
#include <zerog/devnet/rpc_server.hpp>
#include <zerog/net/http_server.hpp>

#include <algorithm>
#include <ctime>
#include <memory>
#include <random>
#include <unordered_map>

namespace zerog::devnet {

/// `ShardedNode`: a node URL with its shard config.
struct sharded_node {
    std::string url;
    shard_config config;
    std::uint64_t latency_ms = 0;
    std::int64_t since = 0;  ///< unix seconds

    json::object to_json() const {
        return json::object{{"url", url},
                            {"config", json::object{{"shardId", config.shard_id}, {"numShard", config.num_shard}}},
                            {"latency", latency_ms},
                            {"since", since}};
    }
};

namespace detail {
/// Go `shardSegmentTreeNode`: coverage of the flow-segment residue classes, with lazy replica tags.
struct shard_tree {
    std::uint64_t num_shard = 1, replica = 0, lazy = 0;
    std::unique_ptr<shard_tree> child[2];
    void pushdown() {
        if (!child[0])
            for (auto& c : child) {
                c = std::make_unique<shard_tree>();
                c->num_shard = num_shard << 1;
            }
        for (auto& c : child) {
            c->replica += lazy;
            c->lazy += lazy;
        }
        lazy = 0;
    }
    bool insert(std::uint64_t n, std::uint64_t id, std::uint64_t expected) {
        if (replica >= expected) return false;
        if (num_shard == n) {
            ++replica;
            ++lazy;
            return true;
        }
        pushdown();
        const bool ins = child[id % 2]->insert(n, id >> 1, expected);
        replica = std::min(child[0]->replica, child[1]->replica);
        return ins;
    }
};
}  // namespace detail

/// Go `shard.Select`: order by `method` ("min": ascending numShard then shardId; "max": descending
/// numShard; "random": shuffled), keep a node only when it raises coverage below `expected`,
/// stop when every segment has `expected` replicas. nullopt: the requirement cannot be met.
inline std::optional<std::vector<sharded_node>> select_nodes(std::vector<sharded_node> nodes, std::uint64_t expected, std::string_view method) {
    if (expected == 0) return std::nullopt;
    if (method == "max") {
        std::stable_sort(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) { return a.config.num_shard > b.config.num_shard; });
    } else if (method == "random") {
        std::shuffle(nodes.begin(), nodes.end(), std::mt19937(std::random_device{}()));
    } else {
        std::stable_sort(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) {
            return a.config.num_shard != b.config.num_shard ? a.config.num_shard < b.config.num_shard : a.config.shard_id < b.config.shard_id;
        });
    }
    detail::shard_tree root;
    std::vector<sharded_node> out;
    for (const auto& n : nodes) {
        if (!n.config.valid()) continue;
        if (root.insert(n.config.num_shard, n.config.shard_id, expected)) out.push_back(n);
        if (root.replica >= expected) return out;
    }
    return std::nullopt;
}

/// The indexer service: a fixed trusted node list (see the file comment).
class indexer_service : public std::enable_shared_from_this<indexer_service> {
public:
    /// Listen on 127.0.0.1:`port` (0: ephemeral). Errors: listen errors.
    static result<std::shared_ptr<indexer_service>> start(asio::any_io_executor ex, std::vector<sharded_node> nodes, std::uint16_t port = 0) {
        auto s = std::shared_ptr<indexer_service>(new indexer_service(std::move(nodes)));
        for (auto& n : s->nodes_) n.since = static_cast<std::int64_t>(std::time(nullptr));
        net::server_options o;
        o.port = port;
        std::weak_ptr<indexer_service> w = s;
        auto h = [w](net::server_request req) -> asio::awaitable<net::server_response> {
            auto self = w.lock();
            if (!self) co_return net::server_response::json("{}", 503);
            co_return net::server_response::json(co_await self->handle(std::move(req.body)));
        };
        ZEROG_TRY(auto srv, net::http_server::start(ex, std::move(h), o));
        s->server_.emplace(std::move(srv));
        return s;
    }
    void stop() {
        if (server_) server_->stop();
    }
    std::string url() const { return server_->url(); }
    std::uint16_t port() const { return server_->port(); }

private:
    explicit indexer_service(std::vector<sharded_node> n) : nodes_(std::move(n)) {
        for (const char* m : {"indexer_getShardedNodes", "indexer_getNodeLocations", "indexer_getSelectedNodes"})
            methods_.emplace(m, [this, name = std::string(m)](const json::array& p) { return sync_method(name, p); });
    }

    json::value sharded_nodes_json(const std::vector<sharded_node>& trusted) const {
        json::array t;
        for (const auto& n : trusted) t.push_back(n.to_json());
        return json::object{{"trusted", std::move(t)}, {"discovered", json::array()}};
    }

    rpc_answer sync_method(std::string_view m, const json::array& p) const {
        if (m == "indexer_getShardedNodes") return sharded_nodes_json(nodes_);
        if (m == "indexer_getNodeLocations") return json::value(json::object());
        if (m == "indexer_getSelectedNodes") {
            auto replica = param_u64(p, 0);
            auto method = p.size() > 1 && p[1].is_string() ? std::string(p[1].get_string()) : std::string("min");
            auto full = param_bool(p, 2, false);
            if (!replica || !full) return bad_params("expected [expectedReplica, method, fullTrusted, dropped]");
            std::vector<std::string> dropped;
            if (p.size() > 3 && p[3].is_array())
                for (const auto& d : p[3].get_array())
                    if (d.is_string()) dropped.emplace_back(d.get_string());
            std::vector<sharded_node> cand;
            for (const auto& n : nodes_)
                if (std::find(dropped.begin(), dropped.end(), n.url) == dropped.end()) cand.push_back(n);
            // Without fullTrusted, floor(3/5 R) replicas must come from discovered nodes (none here).
            const std::uint64_t from_discovered = *full ? 0 : *replica * 3 / 5;
            if (from_discovered > 0) return call_failed("cannot select enough discovered nodes to meet the replication requirement");
            auto sel = select_nodes(cand, *replica - from_discovered, method);
            if (!sel) return call_failed("cannot select a subset from the returned nodes that meets the replication requirement");
            return sharded_nodes_json(*sel);
        }
        return rpc_failure{-32601, "Method not found", std::nullopt};  // unreachable: not in methods_
    }

    /// getFileLocations needs calls to the nodes, so it is answered here, the rest synchronously.
    asio::awaitable<std::string> handle(std::string body) {
        boost::system::error_code ec;
        json::value v = json::parse(body, ec);
        const auto* o = ec ? nullptr : v.if_object();
        if (o && o->if_contains("method") && o->at("method") == json::value("indexer_getFileLocations")) {
            const json::value id = o->if_contains("id") ? o->at("id") : json::value();
            const auto* p = o->if_contains("params");
            rpc_answer a = bad_params("expected [root]");
            if (p && p->is_array() && !p->get_array().empty() && p->get_array()[0].is_string())
                a = co_await file_locations(std::string(p->get_array()[0].get_string()));
            co_return rpc_detail::response(id, a);
        }
        co_return dispatch(body, [this](std::string_view m) -> const rpc_method* {
            auto it = methods_.find(std::string(m));
            return it == methods_.end() ? nullptr : &it->second;
        });
    }

    asio::awaitable<rpc_answer> file_locations(std::string root) {
        bool known = false;
        json::array out;
        for (const auto& n : nodes_) {
            rpc_client c(net::http_transport(), n.url);
            json::array p;
            p.push_back(json::value(root));
            p.push_back(json::value(true));
            auto r = co_await c.call_async("zgs_getFileInfo", std::move(p), local_request(std::chrono::milliseconds(2000)));
            if (!r || !r->is_object()) continue;  // node down or file unknown there
            known = true;
            const auto* fin = r->get_object().if_contains("finalized");
            if (fin && fin->is_bool() && fin->get_bool()) out.push_back(n.to_json());
        }
        if (!known) co_return call_failed("file not found");
        co_return json::value(std::move(out));
    }

    std::vector<sharded_node> nodes_;
    std::unordered_map<std::string, rpc_method> methods_;
    std::optional<net::http_server> server_;
};

}  // namespace zerog::devnet
