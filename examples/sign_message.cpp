// Sign a message the way personal_sign / ethers' signMessage does, with the key from the
// environment (ZG_PRIVATE_KEY) or an encrypted keystore (ZG_KEYSTORE + ZG_KEYSTORE_PASSWORD).
//
//   ZG_PRIVATE_KEY=0x… build/examples/example_sign_message "hello"
//
// The key never appears in output, logs or errors; only the address and signature are printed.
#include <zerog/compile_once.hpp>
#include <zerog/crypto/keystore.hpp>
#include <zerog/crypto/password.hpp>
#include <zerog/crypto/personal_sign.hpp>
#include <zerog/crypto/private_key.hpp>
#include <zerog/crypto/secp256k1_signer.hpp>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
    using namespace zerog;
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s MESSAGE   (key from ZG_PRIVATE_KEY or ZG_KEYSTORE)\n", argv[0]);
        return 2;
    }
    auto key = crypto::load_private_key_from_env();
    if (!key) {
        std::fprintf(stderr, "error: %s\n", key.error().message().c_str());
        return 1;
    }
    crypto::secp256k1_signer signer(std::move(*key));
    auto sig = crypto::sign_personal(signer, std::string_view(argv[1]));
    if (!sig) {
        std::fprintf(stderr, "error: %s\n", sig.error().message().c_str());
        return 1;
    }
    std::printf("address   %s\nsignature %s\n", signer.address().to_checksum_hex().c_str(), to_hex(*sig).c_str());
    return 0;
}
