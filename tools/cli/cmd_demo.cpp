// `zerog version` and `zerog demo`: the README's main job.
//
// The demo runs end to end on a local devnet, with checks (a demo that prints numbers nobody
// verified proves nothing):
//   1. writes a 4 MiB sample file (the vectors' content formula) to a temp dir, removed on exit;
//   2. computes its 0G Storage root and flow submission with 1 and 2 threads and checks both
//      against each other and against the official SDK's root for this published vector size;
//   3. signs an EIP-191 message with a freshly generated key using both signers (libsecp256k1 and
//      Crypto++), checks they are byte-identical and that recovery returns the signer's address;
//   4. `zerog devnet up` in the temp dir (anvil + contracts + 2 storage nodes + indexer), uploads
//      the file with the storage client (paid, verified), downloads it (proofs, root), verifies
//      it, compares the bytes, runs one verified inference on the devnet's compute provider, and
//      always runs `devnet down`, on failure too.
// Skip step 4 with --offline (machines without the npm fixtures).
#include "cli.hpp"

#include <boost/json.hpp>

#include <zerog/client/compute_types.hpp>
#include <zerog/crypto/cryptopp_signer.hpp>
#include <zerog/crypto/personal_sign.hpp>
#include <zerog/crypto/secp256k1_signer.hpp>
#include <zerog/crypto/secure_memory.hpp>
#include <zerog/storage/file_tree.hpp>
#include <zerog/core/version.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <fstream>
#include <cstdlib>
#include <random>

namespace zerog::cli {
/// Defined in cmd_storage.cpp (the CLI's one storage-client TU): upload + download + verify on
/// the devnet in `devnet_dir`; a printable summary.
result<std::string> demo_storage_roundtrip(const std::string& devnet_dir, const std::string& in, const std::string& out);
/// Defined in cmd_compute.cpp: one inference on the devnet with its demo account, in process.
result<client::chat_result> demo_inference(const std::string& devnet_dir, const std::string& model, const std::string& prompt);
}  // namespace zerog::cli

namespace {

namespace fs = std::filesystem;

/// A temp directory removed on every exit path.
struct temp_dir {
    fs::path path;
    temp_dir() {
        std::random_device rd;
        path = fs::temp_directory_path() / ("zerog-demo-" + std::to_string(rd()) + std::to_string(rd()));
        fs::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

int version(const std::vector<std::string>&) {
    std::printf("zerog %.*s\n", static_cast<int>(zerog::version.size()), zerog::version.data());
    return 0;
}

int demo(const std::vector<std::string>& raw) {
    using namespace zerog;
    zerog::cli::args a(raw, {"offline"});
    if (!a.errors().empty() || !a.positional().empty() || !a.unknown({"offline"}).empty())
        return zerog::cli::usage_error("demo", "takes only --offline");

    // 1. sample file: byte[i] = (i*31 + 7) mod 256, 4 MiB + 123 bytes (a padded, multi-node file)
    temp_dir dir;
    const std::uint64_t size = 4194427;  // in tests/vectors/storage.json
    const fs::path file = dir.path / "sample.bin";
    {
        std::vector<char> buf(size);
        for (std::uint64_t i = 0; i < size; ++i) buf[i] = static_cast<char>((i * 31 + 7) % 256);
        std::ofstream out(file, std::ios::binary);
        out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
        if (!out) return zerog::cli::report("demo", zerog::error(errc::io_error, "cannot write the sample file"));
    }

    // 2. root with 1 and 2 threads
    auto t0 = std::chrono::steady_clock::now();
    storage::file_tree_options one;
    auto tree1 = storage::compute_file_tree(file.string(), one);
    if (!tree1) return zerog::cli::report("demo", tree1.error());
    auto t1 = std::chrono::steady_clock::now();
    storage::file_tree_options two;
    two.threads = 2;
    auto tree2 = storage::compute_file_tree(file.string(), two);
    if (!tree2) return zerog::cli::report("demo", tree2.error());
    const std::string root = to_hex(tree1->root);
    const char* sdk_root = "0x9444ab6107780a7799b728a5f4e8ad3c95db55c71c4ca5763716015c63375bac";
    if (tree1->root != tree2->root || tree1->submission != tree2->submission)
        return zerog::cli::report("demo", zerog::error(errc::verification_failed, "1-thread and 2-thread trees differ"));
    if (root != sdk_root)
        return zerog::cli::report("demo", zerog::error(errc::root_mismatch, "root " + root + " != official SDK " + sdk_root));
    const double ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    std::printf("storage  file %llu bytes -> root %s (matches the official SDK)\n", static_cast<unsigned long long>(size),
                root.c_str());
    std::printf("         chunks %llu, padded %llu, segments %llu, submission nodes:",
                static_cast<unsigned long long>(tree1->layout.chunks), static_cast<unsigned long long>(tree1->layout.padded_chunks),
                static_cast<unsigned long long>(tree1->layout.segments));
    for (const auto& n : tree1->submission.nodes) std::printf(" h%llu", static_cast<unsigned long long>(n.height));
    std::printf("\n         fee sectors %llu; hashed in %.1f ms (%.0f MiB/s, one thread)\n",
                static_cast<unsigned long long>(tree1->fee_sectors), ms, size / 1048576.0 / (ms / 1000.0));

    // 3. signature round trip with a freshly generated demo key (never printed, never stored)
    auto generated = crypto::private_key::generate();
    if (!generated) return zerog::cli::report("demo", generated.error());
    crypto::private_key key = std::move(*generated);
    auto key2 = crypto::private_key::from_bytes(key.unsafe_bytes());
    if (!key2) return zerog::cli::report("demo", key2.error());
    crypto::secp256k1_signer fast(std::move(key));
    crypto::cryptopp_signer portable(std::move(*key2));
    const std::string msg = "zerog demo: hello 0G";
    auto s1 = crypto::sign_personal(fast, msg);
    auto s2 = crypto::sign_personal(portable, msg);
    if (!s1) return zerog::cli::report("demo", s1.error());
    if (!s2) return zerog::cli::report("demo", s2.error());
    if (*s1 != *s2)
        return zerog::cli::report("demo", zerog::error(errc::verification_failed, "libsecp256k1 and Crypto++ signatures differ"));
    auto who = crypto::recover_personal(msg, *s1);
    if (!who) return zerog::cli::report("demo", who.error());
    if (*who != fast.address())
        return zerog::cli::report("demo", zerog::error(errc::verification_failed, "recovered address differs from the signer"));
    std::printf("signing  EIP-191 \"%s\" by %s\n", msg.c_str(), fast.address().to_checksum_hex().c_str());
    std::printf("         signature %s\n", to_hex(*s1).c_str());
    std::printf("         libsecp256k1 == Crypto++, recovered signer matches\n");
    if (a.has("offline")) {
        std::printf("demo ok (offline: devnet skipped)\n");
        return 0;
    }

    // 4. devnet round trip; `down` runs on every exit path (the guard), even after a failed `up`.
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return zerog::cli::report("demo", zerog::error(errc::not_found, "cannot locate the zerog binary"));
    const fs::path devdir = dir.path / "devnet";
    const std::string q = "'" + exe.string() + "' devnet ";
    struct down_guard {
        std::string cmd;
        ~down_guard() { if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "zerog demo: devnet down reported a problem\n"); }
    } guard{q + "down --dir '" + devdir.string() + "' > /dev/null 2>&1"};
    std::printf("devnet   starting in %s ...\n", devdir.string().c_str());
    const fs::path uplog = dir.path / "devnet-up.log";
    if (std::system((q + "up --dir '" + devdir.string() + "' --nodes 2 --providers 1 > '" + uplog.string() + "' 2>&1").c_str()) != 0) {
        std::ifstream in(uplog);
        std::string line, last;
        while (std::getline(in, line)) if (!line.empty()) last = line;
        return zerog::cli::report("demo", zerog::error(errc::connection_failed, "devnet up failed: " + last +
                                                                                     " (run tools/install-deps.sh; see tools/quickstart.sh)"));
    }
    const fs::path out = dir.path / "downloaded.bin";
    auto t2 = std::chrono::steady_clock::now();
    auto summary = zerog::cli::demo_storage_roundtrip(devdir.string(), file.string(), out.string());
    if (!summary) return zerog::cli::report("demo", summary.error());
    const double rt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t2).count();
    {
        std::ifstream x(file, std::ios::binary), y(out, std::ios::binary);
        std::string bx((std::istreambuf_iterator<char>(x)), {}), by((std::istreambuf_iterator<char>(y)), {});
        if (bx != by) return zerog::cli::report("demo", zerog::error(errc::verification_failed, "downloaded bytes differ from the upload"));
    }
    std::printf("%s\n", summary->c_str());
    std::printf("         round trip %.1f s, downloaded bytes identical\n", rt);
    {
        // The record of that payment, written before the transaction was signed (devnet: DIR/zerog.db).
        const std::string list = "env -u ZEROG_DB -u ZEROG_CONFIG ZEROG_DEVNET_DIR='" + devdir.string() + "' '" + exe.string() + "' files list --profile devnet 2>&1";
        std::string rows;
        int st = -1;
        if (std::FILE* pipe = ::popen(list.c_str(), "r")) {
            char buf[4096];
            std::size_t n;
            while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) rows.append(buf, n);
            st = ::pclose(pipe);
        }
        if (st != 0 || rows.find("finalized") == std::string::npos)
            return zerog::cli::report("demo", zerog::error(errc::state_conflict, "zerog files list does not show the finalized upload: " + rows));
        std::printf("files    zerog files list (%s/zerog.db):\n", devdir.string().c_str());
        std::istringstream lines(rows);
        for (std::string line; std::getline(lines, line);) std::printf("         %s\n", line.c_str());
    }

    // 5. one verified inference through the devnet's compute provider with the demo account that
    //    `devnet up` funded and acknowledged (the same code path as `zerog infer`).
    const std::string prompt = "Hello from zerog";
    auto answer = zerog::cli::demo_inference(devdir.string(), "zerog-devnet-rot13", prompt);
    if (!answer) return zerog::cli::report("demo", std::move(answer).error().during("the demo's inference"));
    std::string expected = prompt;  // the devnet model answers with ROT13 of the prompt
    for (char& c : expected) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>('a' + (c - 'a' + 13) % 26);
        else if (c >= 'A' && c <= 'Z') c = static_cast<char>('A' + (c - 'A' + 13) % 26);
    }
    if (!answer->verified || answer->content != expected)
        return zerog::cli::report("demo", zerog::error(errc::verification_failed, "inference not verified or wrong: \"" + answer->content +
                                                                                      "\" " + answer->verification_error));
    std::printf("compute  \"%s\" -> \"%s\" (provider %s)\n", prompt.c_str(), answer->content.c_str(),
                answer->provider.to_checksum_hex().c_str());
    std::printf("         chat %s, fee %s neuron, TEE signature verified\n", answer->chat_id.c_str(), answer->fee.to_decimal().c_str());
    std::printf("demo ok (devnet stopped on exit)\n");
    return 0;
}

}  // namespace

ZEROG_COMMAND(reg_version, "version", "version", version);
ZEROG_COMMAND(reg_demo, "demo", "demo [--offline]          (devnet: upload, download, verify a file; one verified inference)", demo);
