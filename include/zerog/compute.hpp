// 0G Compute in one include: the compute client and its ready-made compositions.
//
//   zerog::compute_client   the production mix (client/production.hpp) with a key: ledger setup,
//                           acknowledgement, verified inference with exact fees. The billed chat
//                           request itself is never retried (failover to another provider
//                           instead); contract reads and the signature/fee GETs are.
//   zerog::compute_reader   the same mix over crypto::null_signer: services, ledger and account
//                           reads, estimates — everything that needs no key. Inference and
//                           transactions fail before anything is sent.
//
// Tests compose the same client from mocks: <zerog/testing/clients.hpp>.
#pragma once

#include <zerog/client/compute_client.hpp>
#include <zerog/client/production.hpp>
#include <zerog/crypto/secp256k1_signer.hpp>
#include <zerog/net/http_transport.hpp>
#include <zerog/store/database.hpp>

namespace zerog {

using compute_policies = client::production_policies<net::http_transport, crypto::secp256k1_signer, store::database>;
using compute_client = client::compute_client<compute_policies>;

using compute_reader_policies = client::production_policies<net::http_transport, crypto::null_signer>;
using compute_reader = client::compute_client<compute_reader_policies>;

/// The production set of a compute_client for `signer` (a factory argument of the constructor).
/// `db`: where payments are recorded (store::database::open(path or postgresql:// URL)); one
/// database may serve many clients and processes: that is what keeps them from paying twice.
inline compute_policies make_compute_policies(crypto::secp256k1_signer signer, store::database db, const client::production_settings& s = {}) {
    return client::make_production_policies<compute_policies>(net::http_transport{}, std::move(signer), std::move(db), s);
}
/// The production set of a compute_reader.
inline compute_reader_policies make_compute_reader_policies(const client::production_settings& s) {
    return client::make_production_policies<compute_reader_policies>(net::http_transport{}, crypto::null_signer{}, s);
}
inline compute_reader_policies make_compute_reader_policies() { return make_compute_reader_policies(client::production_settings{}); }

}  // namespace zerog
