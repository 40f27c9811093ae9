// `zerog root [--json] [--threads N] FILE`: the 0G Storage merkle root, counts and flow
// submission of a file, computed in one streaming pass (memory bounded, never loads the file).
#include "cli.hpp"

#include <zerog/storage/file_tree.hpp>

#include <charconv>
#include <cstdio>
#include <string>

namespace {

std::string submission_json(const zerog::storage::flow_submission& s) {
    std::string out = "{\"length\":" + std::to_string(s.length) + ",\"tags\":\"" + zerog::to_hex(s.tags) + "\",\"nodes\":[";
    for (std::size_t i = 0; i < s.nodes.size(); ++i) {
        if (i) out += ',';
        out += "{\"root\":\"" + zerog::to_hex(s.nodes[i].root) + "\",\"height\":" + std::to_string(s.nodes[i].height) + "}";
    }
    return out + "]}";
}

int root_cmd(const std::vector<std::string>& raw) {
    using namespace zerog;
    const cli::args a(raw, {"json"});
    if (!a.errors().empty()) return cli::usage_error("root", a.errors().front());
    if (auto u = a.unknown({"json", "threads"}); !u.empty()) return cli::usage_error("root", "unknown option " + u.front());
    if (a.positional().size() != 1) return cli::usage_error("root", "expected exactly one FILE");
    storage::file_tree_options opt;
    opt.keep_segment_roots = false;  // not needed for the root: keeps memory independent of size
    if (auto t = a.get("threads")) {
        unsigned n = 0;
        const auto* end = t->data() + t->size();
        if (auto [p, ec] = std::from_chars(t->data(), end, n); ec != std::errc() || p != end || n == 0 || n > 256)
            return cli::usage_error("root", "--threads must be a number from 1 to 256, got '" + *t + "'");
        opt.threads = n;
    }
    const std::string& path = a.positional().front();
    auto tree = storage::compute_file_tree(path, opt);
    if (!tree) return cli::report("root", tree.error());
    const auto& t = *tree;
    if (a.has("json")) {
        std::printf("{\"root\":\"%s\",\"size\":%llu,\"chunks\":%llu,\"segments\":%llu,\"paddedChunks\":%llu,\"submission\":%s}\n",
                    to_hex(t.root).c_str(), static_cast<unsigned long long>(t.layout.size),
                    static_cast<unsigned long long>(t.layout.chunks), static_cast<unsigned long long>(t.layout.segments),
                    static_cast<unsigned long long>(t.layout.padded_chunks), submission_json(t.submission).c_str());
    } else {
        std::printf("root:          %s\n", to_hex(t.root).c_str());
        std::printf("size:          %llu bytes\n", static_cast<unsigned long long>(t.layout.size));
        std::printf("chunks:        %llu (padded to %llu = fee sectors)\n", static_cast<unsigned long long>(t.layout.chunks),
                    static_cast<unsigned long long>(t.layout.padded_chunks));
        std::printf("segments:      %llu data, %llu in the tree\n", static_cast<unsigned long long>(t.layout.segments),
                    static_cast<unsigned long long>(t.layout.segments_padded));
        std::printf("submission:    length %llu, tags 0x, %zu node(s)\n", static_cast<unsigned long long>(t.submission.length),
                    t.submission.nodes.size());
        for (const auto& n : t.submission.nodes)
            std::printf("  height %2llu   %s\n", static_cast<unsigned long long>(n.height), to_hex(n.root).c_str());
    }
    return 0;
}

}  // namespace

ZEROG_COMMAND(reg_root, "root", "root [--json] [--threads N] FILE", root_cmd);
