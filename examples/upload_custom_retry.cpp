// Upload a file with zerog::storage_client's production policies, one of them replaced: a retry
// policy of our own, composed in at compile time.
//
//   ZEROG_PROFILE=devnet build/examples/example_upload_custom_retry FILE
//
// Configuration (profile, endpoints, contracts) comes from the usual sources (docs/configuration.md);
// the key from ZG_PRIVATE_KEY or ZG_KEYSTORE (on the devnet profile, the devnet's public faucet key).
// Logs: ZEROG_LOG_LEVEL=debug shows every stage and retry on stderr.
#include <zerog/compile_once.hpp>  // exactly one TU of a program includes this
#include <zerog/config/load.hpp>
#include <zerog/config/secrets.hpp>
#include <zerog/storage.hpp>

#include <chrono>
#include <cstdio>
#include <optional>

/// Our retry policy: whatever the library classifies as retryable (core/error_class.hpp), at
/// most 8 attempts, a fixed 250 ms apart, and never beyond 20 s. It models policy::RetryPolicy.
struct patient_retry {
    std::optional<std::chrono::nanoseconds> next_delay(unsigned attempt, const zerog::error& e, std::chrono::nanoseconds elapsed) const {
        if (attempt >= 8 || !zerog::is_retryable(e) || elapsed > std::chrono::seconds(20)) return std::nullopt;
        return std::chrono::milliseconds(250);
    }
};
static_assert(zerog::policy::RetryPolicy<patient_retry>);

/// zerog::storage_policies with the retry policy swapped (production.hpp's last parameter).
using my_policies = zerog::client::production_policies<zerog::net::http_transport, zerog::crypto::secp256k1_signer,
                                                       zerog::policy::memory_persistence, patient_retry>;
using my_storage_client = zerog::client::storage_client<my_policies>;

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    const auto env = zerog::config::environment::from_process();
    zerog::config::load_options lo;
    lo.env = env;
    auto cfg = zerog::config::load(lo);
    if (!cfg) return std::fprintf(stderr, "error: %s\n", cfg.error().message().c_str()), 1;

    auto key = zerog::config::load_signing_key(env, cfg->profile.value);
    if (!key) return std::fprintf(stderr, "error: %s\n", key.error().message().c_str()), 1;
    std::optional<zerog::crypto::private_key> pk;
    if (*key) pk.emplace(std::move((*key)->key));
    else if (cfg->devnet_faucet_key) pk.emplace(*zerog::crypto::private_key::from_bytes(cfg->devnet_faucet_key->unsafe_bytes()));
    if (!pk) return std::fprintf(stderr, "error: set ZG_PRIVATE_KEY or ZG_KEYSTORE\n"), 1;

    // The policy set is built in place (the breaker, limiter and persistence are not movable).
    my_storage_client client(zerog::client::storage_client_options::from_config(*cfg), [&] {
        return zerog::client::make_production_policies<my_policies>(zerog::net::http_transport{},
                                                                    zerog::crypto::secp256k1_signer(std::move(*pk)));
    });
    auto up = client.upload(argv[1]);
    if (!up) return std::fprintf(stderr, "error: %s\n", up.error().message().c_str()), 1;
    std::printf("root %s tx_seq %llu fee %s verified %s\n", zerog::to_hex(up->root).c_str(),
                static_cast<unsigned long long>(up->tx_seq), up->fee.to_decimal().c_str(), up->verified ? "yes" : "no");
    return 0;
}
