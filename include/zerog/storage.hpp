// 0G Storage in one include: the storage client and its ready-made compositions.
//
//   zerog::storage_client   the production mix (client/production.hpp) with a key: upload,
//                           download, verify, estimate. Retries with backoff, a breaker per
//                           endpoint, a per-endpoint rate limit, submission records that stop a
//                           second payment, JSON-lines logs on stderr.
//   zerog::storage_reader   the same mix over crypto::null_signer: download, verify, estimate —
//                           everything that needs no key. An upload fails before anything is paid.
//
// Build one from configuration:
//
//     auto cfg = zerog::config::load(...);                 // profiles, files, env, flags
//     zerog::storage_reader r(zerog::client::storage_client_options::from_config(*cfg),
//                             [] { return zerog::make_storage_reader_policies(); });
//     auto got = r.download(root, "out.bin");
//
// Tests compose the same client from mocks: <zerog/testing/clients.hpp>.
#pragma once

#include <zerog/client/production.hpp>
#include <zerog/client/storage_client.hpp>
#include <zerog/crypto/secp256k1_signer.hpp>
#include <zerog/net/http_transport.hpp>
#include <zerog/store/database.hpp>

namespace zerog {

using storage_policies = client::production_policies<net::http_transport, crypto::secp256k1_signer, store::database>;
using storage_client = client::storage_client<storage_policies>;

using storage_reader_policies = client::production_policies<net::http_transport, crypto::null_signer>;
using storage_reader = client::storage_client<storage_reader_policies>;

/// A client that holds no key but records in a database: `repair` and `rebuild_records` (and
/// anything else that must never pay) write what they find without being able to sign.
using storage_maintainer_policies = client::production_policies<net::http_transport, crypto::null_signer, store::database>;
using storage_maintainer = client::storage_client<storage_maintainer_policies>;

/// The production set of a storage_client for `signer` (a factory argument of the constructor).
/// `db`: where payments are recorded (store::database::open(path or postgresql:// URL)); one
/// database may serve many clients and processes: that is what keeps them from paying twice.
inline storage_policies make_storage_policies(crypto::secp256k1_signer signer, store::database db, const client::production_settings& s = {}) {
    return client::make_production_policies<storage_policies>(net::http_transport{}, std::move(signer), std::move(db), s);
}
/// The production set of a storage_reader.
inline storage_reader_policies make_storage_reader_policies(const client::production_settings& s) {
    return client::make_production_policies<storage_reader_policies>(net::http_transport{}, crypto::null_signer{}, s);
}
/// The production set of a storage_maintainer recording in `db`.
inline storage_maintainer_policies make_storage_maintainer_policies(store::database db, const client::production_settings& s = {}) {
    return client::make_production_policies<storage_maintainer_policies>(net::http_transport{}, crypto::null_signer{}, std::move(db), s);
}
inline storage_reader_policies make_storage_reader_policies() { return make_storage_reader_policies(client::production_settings{}); }

}  // namespace zerog
