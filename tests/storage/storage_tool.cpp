// Test helper for sdk_crosscheck.mjs: drives zerog's storage encryption from the command line.
//   storage_tool encrypt v1 KEYHEX IN OUT     header ‖ AES-CTR(IN), random nonce
//   storage_tool encrypt v2 PUBHEX IN OUT     ECIES header for the recipient's public key
//   storage_tool decrypt v1 KEYHEX IN OUT
//   storage_tool decrypt v2 PRIVHEX IN OUT
// Reads and writes whole files (test sizes only). Exit 0 on success, 1 on error (stderr), 2 usage.
#include <zerog/storage/encryption.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

using namespace zerog;
using namespace zerog::storage;

namespace {
result<bytes> read_all(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return fail(errc::io_error, "cannot open " + p);
    return bytes(std::istreambuf_iterator<char>(in), {});
}
result<void> write_all(const std::string& p, const bytes& b) {
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    if (!out) return fail(errc::io_error, "cannot write " + p);
    return {};
}
result<void> run(const std::string& op, const std::string& ver, const std::string& keyhex, const std::string& in, const std::string& out) {
    ZEROG_TRY(const bytes data, read_all(in));
    if (op == "encrypt" && ver == "v1") {
        ZEROG_TRY(const aes_key key, from_hex_fixed<32>(keyhex, hex_prefix::optional));
        return write_all(out, encrypt_bytes(new_symmetric_header(), key, data));
    }
    if (op == "encrypt" && ver == "v2") {
        ZEROG_TRY(const bytes pub, from_hex(keyhex, hex_prefix::optional));
        ZEROG_TRY(const ecies_material m, new_ecies_header(pub));
        return write_all(out, encrypt_bytes(m.header, m.key, data));
    }
    if (op == "decrypt" && ver == "v1") {
        ZEROG_TRY(const aes_key key, from_hex_fixed<32>(keyhex, hex_prefix::optional));
        ZEROG_TRY(const bytes plain, decrypt_bytes(data, {&key, nullptr}));
        return write_all(out, plain);
    }
    if (op == "decrypt" && ver == "v2") {
        ZEROG_TRY(const crypto::private_key priv, crypto::private_key::from_hex(keyhex));
        ZEROG_TRY(const bytes plain, decrypt_bytes(data, {nullptr, &priv}));
        return write_all(out, plain);
    }
    return fail(errc::invalid_argument, "unknown operation " + op + " " + ver);
}
}  // namespace

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: storage_tool encrypt|decrypt v1|v2 KEYHEX IN OUT\n");
        return 2;
    }
    auto r = run(argv[1], argv[2], argv[3], argv[4], argv[5]);
    if (!r) {
        std::fprintf(stderr, "storage_tool: %s\n", r.error().message().c_str());
        return 1;
    }
    return 0;
}
