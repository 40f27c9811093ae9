// A unit test of code that uses a storage client, with no network: zerog::testing::storage_client
// is the real client composed from mocks (<zerog/testing/clients.hpp>). Here a scripted storage
// node serves a 2-segment file; the test checks that a download verifies every segment, and that
// a node serving one corrupted byte is caught (errc::verification_failed) with nothing written.
//
//   build/examples/example_mock_storage_test      (exit 0: every check passed)
#include <zerog/compile_once.hpp>  // exactly one TU of a program includes this
#include <zerog/storage/file_tree.hpp>
#include <zerog/storage/segment_proof.hpp>
#include <zerog/testing/clients.hpp>

#include <boost/json.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace {

int failures = 0;
void check(bool ok, const char* what) {
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    failures += ok ? 0 : 1;
}

/// A storage node as the mock transport's handler: it answers the three methods a download uses
/// from an in-memory file; `corrupt` flips one byte of every segment it serves.
zerog::testing::mock_transport::handler_fn node(const zerog::bytes& file, const zerog::storage::file_tree& tree, bool corrupt) {
    return [&file, &tree, corrupt](const zerog::net::http_request& req) {
        namespace json = boost::json;
        const auto rq = json::parse(req.body).as_object();
        const std::string method(rq.at("method").as_string());
        json::value result;
        if (method == "zgs_getShardConfig") {
            result = json::object{{"shardId", 0}, {"numShard", 1}};
        } else if (method == "zgs_getFileInfo") {
            json::object tx{{"dataMerkleRoot", zerog::to_hex(tree.root)}, {"seq", 1}, {"size", file.size()}, {"startEntryIndex", 0}};
            result = json::object{{"tx", std::move(tx)}, {"finalized", true}};
        } else {  // zgs_downloadSegmentWithProofByTxSeq(seq, index)
            const auto j = rq.at("params").as_array().back().to_number<std::uint64_t>();
            const auto span = *zerog::storage::data_segment(tree.layout, j);
            zerog::bytes data(file.begin() + static_cast<std::ptrdiff_t>(span.offset),
                              file.begin() + static_cast<std::ptrdiff_t>(span.offset + span.data_bytes));
            data.resize(span.wire_bytes, 0);
            if (corrupt) data[0] ^= 1;
            result = json::object{{"data", zerog::base64_encode(data)},
                                  {"proof", zerog::storage::to_json(*zerog::storage::build_segment_proof(tree, j))}};
        }
        json::object reply{{"jsonrpc", "2.0"}, {"id", rq.at("id")}, {"result", std::move(result)}};
        return zerog::testing::scripted_reply::json(json::serialize(reply));
    };
}

std::string slurp(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
}

}  // namespace

int main() {
    // A file of two segments and a bit, and its merkle tree (what the node "stores").
    zerog::bytes file(2 * zerog::storage::segment_size + 100);
    for (std::size_t i = 0; i < file.size(); ++i) file[i] = static_cast<zerog::byte>(i * 7 + 3);
    const auto tree = *zerog::storage::compute_file_tree(zerog::byte_span(file));
    const auto dir = std::filesystem::temp_directory_path() / ("zerog-example-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);

    zerog::client::storage_client_options o;
    o.chain_id = 16602;
    o.node_urls = {"http://node.test:5678"};  // never resolved: the mock transport answers
    o.download_timeout = std::chrono::seconds(5);
    {
        zerog::testing::storage_client c(o, [] { return zerog::testing::storage_policies{}; });
        c.policies().transport.set_handler(node(file, tree, false));
        auto r = c.download(tree.root, (dir / "good.bin").string());
        check(r.has_value(), "a download from an honest node succeeds");
        check(r && r->size == file.size(), "it has the file's size");
        check(slurp(dir / "good.bin") == std::string(file.begin(), file.end()), "its bytes are the file's");
        check(c.policies().signer.call_count() == 0, "a download never asks the signer for anything");
    }
    {
        zerog::testing::storage_client c(o, [] { return zerog::testing::storage_policies{}; });
        c.policies().transport.set_handler(node(file, tree, true));
        auto r = c.download(tree.root, (dir / "bad.bin").string());
        check(!r && r.error().is(zerog::errc::verification_failed), "a corrupting node is caught by the segment proofs");
        check(!std::filesystem::exists(dir / "bad.bin"), "and nothing is written under the output name");
    }
    std::filesystem::remove_all(dir);
    std::printf("%d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
