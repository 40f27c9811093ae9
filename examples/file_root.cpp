// Compute the 0G Storage root and flow submission of a file, streaming, on all cores.
//
//   build/examples/example_file_root FILE
//
// This is exactly what an upload would put on chain (minus the submitter address), computed
// without reading the whole file into memory.
#include <zerog/compile_once.hpp>  // exactly one TU of a program includes this
#include <zerog/storage/file_tree.hpp>

#include <cstdio>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    zerog::storage::file_tree_options opt;
    opt.threads = 0;                  // all hardware threads; the result is identical for any count
    opt.keep_segment_roots = false;   // not building proofs here: keep memory flat
    auto tree = zerog::storage::compute_file_tree(std::string(argv[1]), opt);
    if (!tree) {
        std::fprintf(stderr, "error: %s\n", tree.error().message().c_str());
        return 1;
    }
    std::printf("root        %s\n", zerog::to_hex(tree->root).c_str());
    std::printf("size        %llu bytes, %llu chunks (%llu padded), %llu segments\n",
                static_cast<unsigned long long>(tree->layout.size), static_cast<unsigned long long>(tree->layout.chunks),
                static_cast<unsigned long long>(tree->layout.padded_chunks),
                static_cast<unsigned long long>(tree->layout.segments));
    for (const auto& n : tree->submission.nodes)
        std::printf("node        height %2llu  %s\n", static_cast<unsigned long long>(n.height), zerog::to_hex(n.root).c_str());
    std::printf("fee        %llu sectors x pricePerSector\n", static_cast<unsigned long long>(tree->fee_sectors));
    return 0;
}
