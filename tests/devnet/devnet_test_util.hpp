// Helpers for the devnet tests: sample files, segment JSON, a blocking JSON-RPC client, and an
// in-process storage node with transactions injected directly (no chain needed for the
// validation rules).
#pragma once

#include <zerog/devnet/indexer.hpp>
#include <zerog/devnet/orchestrator.hpp>
#include <zerog/devnet/storage_service.hpp>
#include <zerog/storage/file_tree.hpp>
#include <zerog/storage/segment_proof.hpp>
#include <zerog/storage/upload_layout.hpp>

#include <catch2/catch.hpp>

#include <future>
#include <random>

namespace devnet_test {

namespace fs = std::filesystem;
namespace dv = zerog::devnet;
namespace json = boost::json;
namespace st = zerog::storage;
using zerog::bytes;

/// A temp directory removed at scope exit.
struct temp_dir {
    fs::path path;
    temp_dir() {
        std::random_device rd;
        path = fs::temp_directory_path() / ("zerog-devnet-test-" + std::to_string(rd()) + std::to_string(rd()));
        fs::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

/// The vectors' content formula, with a salt so files differ.
inline bytes sample(std::uint64_t size, unsigned salt = 0) {
    bytes b(size);
    for (std::uint64_t i = 0; i < size; ++i) b[i] = static_cast<zerog::byte>((i * 31 + 7 + salt * 13) % 256);
    return b;
}

/// A file with its tree and the tx a node would sync for it.
struct test_file {
    bytes data;
    st::file_tree tree;
    dv::tx_record tx;

    static test_file make(std::uint64_t size, std::uint64_t seq, std::uint64_t start_entry, unsigned salt = 0) {
        test_file f;
        f.data = sample(size, salt);
        f.tree = *st::compute_file_tree(zerog::byte_span(f.data));
        f.tx.seq = seq;
        f.tx.root = f.tree.root;
        f.tx.size = size;
        f.tx.start_entry = start_entry;
        for (const auto& n : f.tree.submission.nodes) f.tx.nodes.emplace_back(n.height, n.root);
        return f;
    }
    std::string root_hex() const { return zerog::to_hex(tree.root); }
    /// The wire bytes of data segment i (docs/protocol/storage.md §5.4).
    bytes segment(std::uint64_t i) const {
        auto s = *st::data_segment(tree.layout, i);
        bytes out(data.begin() + static_cast<std::ptrdiff_t>(s.offset), data.begin() + static_cast<std::ptrdiff_t>(s.offset + s.data_bytes));
        out.resize(s.wire_bytes, 0);
        return out;
    }
    st::file_proof proof(std::uint64_t i) const { return *st::build_segment_proof(tree, i); }
    /// SegmentWithProof JSON, optionally with replaced parts.
    json::object seg_json(std::uint64_t i, std::optional<bytes> data_override = std::nullopt,
                          std::optional<st::file_proof> proof_override = std::nullopt, std::optional<std::uint64_t> size_override = std::nullopt) const {
        const bytes d = data_override ? *data_override : segment(i);
        return json::object{{"root", root_hex()}, {"data", zerog::base64_encode(d)}, {"index", i},
                            {"proof", st::to_json(proof_override ? *proof_override : proof(i))},
                            {"fileSize", size_override ? *size_override : tx.size}};
    }
};

/// Blocking JSON-RPC calls that keep error objects as values.
class client {
public:
    explicit client(std::string url) : c_(zerog::net::http_transport(), std::move(url)) {}
    zerog::result<zerog::net::rpc_outcome> raw(const std::string& method, json::array params = json::array()) {
        return runner_.run(c_.call_detailed_async(method, std::move(params), dv::local_request(std::chrono::milliseconds(5000))));
    }
    /// The result (fails the test on an error).
    json::value ok(const std::string& method, json::array params = json::array()) {
        auto r = raw(method, std::move(params));
        if (!r) FAIL("transport error: " << r.error().message());
        if (auto* e = std::get_if<zerog::net::rpc_error_object>(&*r)) FAIL(method << " error " << e->code << " " << e->message << " " << json::serialize(e->data));
        return std::get<json::value>(*r);
    }
    /// The error object (fails the test on a result).
    zerog::net::rpc_error_object err(const std::string& method, json::array params = json::array()) {
        auto r = raw(method, std::move(params));
        if (!r) FAIL("transport error: " << r.error().message());
        if (auto* v = std::get_if<json::value>(&*r)) FAIL(method << " unexpectedly returned " << json::serialize(*v));
        return std::get<zerog::net::rpc_error_object>(*r);
    }

private:
    zerog::net::blocking_runner runner_;
    dv::rpc_client c_;
};

/// Check an error object's code, message and data string.
inline void require_error(const zerog::net::rpc_error_object& e, std::int64_t code, const std::string& message,
                          std::optional<std::string> data = std::nullopt) {
    INFO("error " << e.code << " " << e.message << " " << json::serialize(e.data));
    REQUIRE(e.code == code);
    REQUIRE(e.message == message);
    if (data) {
        REQUIRE(e.data.is_string());
        REQUIRE(std::string(e.data.get_string()) == *data);
    }
}

/// An in-process storage node on its own io thread; txs are injected with `add_tx`.
struct local_node {
    fs::path dir;
    dv::storage_service_config cfg;
    std::unique_ptr<zerog::net::io_thread> io = std::make_unique<zerog::net::io_thread>();
    std::shared_ptr<dv::storage_service> svc;

    local_node(fs::path d, dv::shard_config shard = {}, std::uint64_t max_writings = 16, std::uint16_t port = 0) : dir(std::move(d)) {
        cfg.node.flow_address = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
        cfg.node.shard = shard;
        cfg.node.max_writings = max_writings;
        cfg.data_dir = dir / "data";
        cfg.fault_file = dv::fault_file(dir, "node", 0);
        cfg.port = port;
        start();
    }
    ~local_node() { stop(); }
    void start() {
        svc = on_io([&] { return *dv::storage_service::start(io->executor(), cfg); });
        cfg.port = svc->port();  // a restart reuses the port
    }
    void stop() {
        if (!svc) return;
        on_io([&] { svc->stop(); return 0; });
        std::this_thread::sleep_for(std::chrono::milliseconds(150));  // the fault watcher's tick ends
        svc.reset();
    }
    template <class F>
    auto on_io(F f) -> decltype(f()) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto fut = task.get_future();
        boost::asio::post(io->executor(), [&task] { task(); });
        return fut.get();
    }
    void add_tx(const dv::tx_record& tx) { on_io([&] { svc->core().on_tx(tx); return 0; }); }
    std::string url() const { return svc->url(); }
    void fault(const std::string& mode, std::uint64_t count = 0, std::uint64_t ms = 0) {
        dv::fault_state f{mode, count, ms, 0};
        REQUIRE(dv::write_fault(dir, "node", 0, f));
    }
};

/// Positional params from values.
inline json::array params(std::initializer_list<json::value> l) {
    json::array a;
    for (const auto& v : l) a.push_back(v);
    return a;
}

}  // namespace devnet_test
