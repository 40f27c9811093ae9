// Clients composed from mocks, for unit tests of code that uses zerog's clients:
//
//   zerog::testing::storage_client   scripted transport, mock signer, inspectable persistence
//   zerog::testing::compute_client   scripted transport, a real signer (session tokens and TEE
//                                    signatures must verify), mock breaker/limiter/persistence
//
// Drive them through `client.policies().transport` (script node and provider answers) and
// inspect `client.policies().persistence.calls`, `...signer.digests()`. examples/mock_storage_test.cpp
// is a complete program.
#pragma once

#include <zerog/client/compute_client.hpp>
#include <zerog/client/storage_client.hpp>
#include <zerog/crypto/secp256k1_signer.hpp>
#include <zerog/testing/mocks.hpp>

namespace zerog::testing {

using storage_policies = client::policy_set<mock_transport, mock_signer, policy::no_retry, policy::no_breaker, policy::no_limit,
                                            mock_persistence>;
using storage_client = client::storage_client<storage_policies>;

using compute_policies = client::policy_set<mock_transport, crypto::secp256k1_signer, policy::no_retry, mock_breaker,
                                            mock_limiter, mock_persistence>;
using compute_client = client::compute_client<compute_policies>;

}  // namespace zerog::testing
