// Sign and recover throughput: libsecp256k1 (secp256k1_signer, recover_address) vs Crypto++
// (cryptopp_signer, cryptopp_recover_address), plus EIP-191 end to end and keystore decryption.
// Targets (one core, CPU time): libsecp ≥ 25k signs/s, ≥ 15k recovers/s; Crypto++ ≥ 2.5k signs/s.
#include <zerog/crypto/cryptopp_signer.hpp>
#include <zerog/crypto/keystore.hpp>
#include <zerog/crypto/personal_sign.hpp>
#include <zerog/crypto/recover.hpp>
#include <zerog/crypto/secp256k1_signer.hpp>

#include <benchmark/benchmark.h>

namespace {
using namespace zerog;
using namespace zerog::crypto;

constexpr const char* anvil1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

/// A different digest each iteration (RFC 6979 nonces are deterministic, so reuse would be fine,
/// but varying input keeps the measurement honest).
hash256 next_digest(std::uint64_t i) {
    hash256 d = keccak256(std::string_view("zerog bench"));
    for (int b = 0; b < 8; ++b) d[b] ^= static_cast<byte>(i >> (8 * b));
    return d;
}

template <class S>
void bm_sign(benchmark::State& st) {
    auto signer = S::from_hex(anvil1).value();
    std::uint64_t i = 0;
    for (auto _ : st) benchmark::DoNotOptimize(signer.sign_digest(next_digest(i++)));
    st.SetItemsProcessed(st.iterations());
}

template <bool UseCryptopp>
void bm_recover(benchmark::State& st) {
    auto signer = secp256k1_signer::from_hex(anvil1).value();
    constexpr int n = 64;
    std::vector<std::pair<hash256, signature>> sigs;
    for (int i = 0; i < n; ++i) sigs.emplace_back(next_digest(i), signer.sign_digest(next_digest(i)).value());
    std::size_t i = 0;
    for (auto _ : st) {
        const auto& [d, s] = sigs[i++ % n];
        if constexpr (UseCryptopp) benchmark::DoNotOptimize(cryptopp_recover_address(d, s));
        else benchmark::DoNotOptimize(recover_address(d, s));
    }
    st.SetItemsProcessed(st.iterations());
}

void bm_personal_sign_32B(benchmark::State& st) {  // a session token: keccak + prefix + sign
    auto signer = secp256k1_signer::from_hex(anvil1).value();
    const hash256 token_hash = keccak256(std::string_view("{\"address\":\"0x…\"}"));
    for (auto _ : st) benchmark::DoNotOptimize(sign_personal(signer, token_hash));
    st.SetItemsProcessed(st.iterations());
}

void bm_keystore_decrypt_scrypt_n1024(benchmark::State& st) {
    auto key = private_key::from_hex(anvil1).value();
    const std::string ks = encrypt_keystore(key, "pw", keystore_options{1024, 8, 1}).value();
    for (auto _ : st) benchmark::DoNotOptimize(decrypt_keystore(ks, "pw"));
    st.SetItemsProcessed(st.iterations());
}

}  // namespace

BENCHMARK(bm_sign<zerog::crypto::secp256k1_signer>)->Name("sign/libsecp256k1");
BENCHMARK(bm_sign<zerog::crypto::cryptopp_signer>)->Name("sign/cryptopp");
BENCHMARK(bm_recover<false>)->Name("recover/libsecp256k1");
BENCHMARK(bm_recover<true>)->Name("recover/cryptopp");
BENCHMARK(bm_personal_sign_32B)->Name("personal_sign_32B/libsecp256k1");
BENCHMARK(bm_keystore_decrypt_scrypt_n1024)->Name("keystore_decrypt/scrypt_n1024_r8");
