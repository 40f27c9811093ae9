// Shared pieces of the storage client (storage_client.hpp): options, results, progress, the
// typed zgs_* / indexer_* view of a node's JSON-RPC answers, shard coverage (storage.md §7.1, §8) and the
// node error classification (§7.3: the SDKs match message substrings, so do we).
//
// Thread safety: value types and pure functions.
#pragma once

#include <zerog/config/profile.hpp>
#include <zerog/core/bytes.hpp>
#include <zerog/core/uint256.hpp>
#include <zerog/crypto/address.hpp>
#include <zerog/policy/persistence.hpp>
#include <zerog/crypto/secure_memory.hpp>
#include <zerog/storage/encryption.hpp>
#include <zerog/storage/layout.hpp>
#include <zerog/storage/node_api.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace zerog::client {

namespace json = boost::json;

/// How a storage client talks to a network and what it enforces. Value type.
struct storage_client_options {
    std::uint64_t chain_id = 0;                ///< required: the chain we must be talking to
    std::vector<std::string> rpc_urls;         ///< EVM RPC endpoints, preferred first (failover: net/jsonrpc.hpp)
    std::vector<std::string> indexer_urls;     ///< node discovery (first that answers)
    std::vector<std::string> node_urls;        ///< used when no indexer answers (devnet, private nodes)
    std::optional<crypto::address> flow;       ///< pinned Flow address; nodes must agree
    std::optional<crypto::address> market;     ///< pinned market; else Flow.market()
    std::uint64_t max_file_size = config::defaults::max_file_size;
    std::uint64_t fragment_size = config::defaults::fragment_size;
    std::uint32_t replicas = config::defaults::replicas;
    std::size_t max_tags_bytes = 4096;
    std::string user;                          ///< rate-limit identity of the caller

    std::chrono::milliseconds rpc_timeout{30'000};       ///< one JSON-RPC exchange
    std::chrono::milliseconds upload_timeout{30 * 60'000};
    std::chrono::milliseconds download_timeout{30 * 60'000};
    std::chrono::milliseconds finality_timeout{10 * 60'000};  ///< tx receipt, log sync, finality
    std::chrono::milliseconds poll_interval{250};
    std::chrono::milliseconds busy_backoff{1'000};   ///< "too many data writing" (Go: 10 s)
    unsigned busy_tries = 12;                        ///< Go's count
    unsigned segments_per_call = 4;                  ///< ≤ 10 keeps requests far below 100 MiB
    unsigned parallel = 4;                           ///< concurrent segment requests
    unsigned verify_samples = 3;                     ///< segments re-downloaded after an upload
    unsigned hash_threads = 1;
    /// How long an unsigned payment intent of another process blocks this one before it is taken
    /// over (a process of this host that died is taken over at once; persist.hpp owner_is_dead).
    std::chrono::milliseconds intent_lease{120'000};
    /// How long submission records are kept (0: forever); `zerog files prune` removes older ones.
    std::chrono::milliseconds retention{0};
    /// Part files of interrupted downloads (`<out>.zerog-part` + sidecar) older than this are
    /// removed from the output directory when a download starts there (0: never). A part file in
    /// use (flock'ed) is never touched, whatever its age.
    std::chrono::milliseconds stale_part_age{7LL * 24 * 3600 * 1000};

    /// The options of a loaded configuration (profile, endpoints, limits, timeouts).
    static storage_client_options from_config(const config::configuration& c) {
        storage_client_options o;
        o.chain_id = c.chain_id.value;
        o.rpc_urls = c.rpc_urls.value;
        o.indexer_urls = c.indexer_urls.value;
        o.node_urls = c.node_urls.value;
        if (auto f = crypto::address::parse(c.contracts.flow.value)) o.flow = *f;
        if (auto m = crypto::address::parse(c.contracts.market.value)) o.market = *m;
        o.max_file_size = c.limits.max_file_size.value;
        o.fragment_size = c.limits.fragment_size.value;
        o.replicas = c.limits.replicas.value;
        o.rpc_timeout = c.timeouts.rpc.value;
        o.upload_timeout = c.timeouts.upload.value;
        o.download_timeout = c.timeouts.download.value;
        o.finality_timeout = c.timeouts.finality.value;
        return o;
    }
};

/// Per-call upload options. Value type.
/// Encrypt an upload on the fly: the uploaded file is `header ‖ AES-256-CTR(file)` (storage
/// core, encryption.hpp), hashed, paid and sent without a clear or encrypted copy on disk; the
/// root is the ciphertext's. Every copy wipes its key when destroyed (the options are copied and
/// moved into the upload's coroutine frame); the caller wipes its own key.
struct upload_encryption {
    storage::encryption_header header;
    storage::aes_key key;

    upload_encryption() = default;
    upload_encryption(storage::encryption_header h, const storage::aes_key& k) : header(h), key(k) {}
    upload_encryption(const upload_encryption&) = default;
    upload_encryption& operator=(const upload_encryption&) = default;
    ~upload_encryption() { crypto::secure_wipe(key.data(), key.size()); }
};

struct upload_options {
    std::optional<std::uint32_t> replicas;  ///< overrides the client's
    std::optional<upload_encryption> encryption;  ///< none: the file is uploaded as it is
    bytes tags;                             ///< Submission tags (empty = "0x")
    bool verify = true;                     ///< re-download samples and check finality after upload
    std::optional<std::chrono::milliseconds> retention;  ///< overrides the client's (0: keep the record forever)
};

/// Per-call download options. Value type.
struct download_options {
    bool overwrite = false;  ///< replace an existing file whose root differs
};

/// What an upload did. Value type.
struct upload_result {
    hash256 root;
    std::uint64_t size = 0;    ///< bytes of the file as stored (the ciphertext when encrypted)
    std::uint64_t tx_seq = 0;
    std::string tx_hash;       ///< empty when no transaction was needed (already on chain)
    uint256 fee;               ///< paid by this call (0 when nothing was sent)
    std::uint32_t replicas = 0;
    bool verified = false;
    bool submitted = false;    ///< a transaction was sent (or resumed) by this client
    std::vector<std::string> nodes;  ///< the nodes holding the file
    std::vector<upload_result> fragments;  ///< one per fragment when the file was split (§9.6)
};

/// What a download did. Value type.
struct download_result {
    hash256 root;
    std::uint64_t size = 0;
    std::uint64_t tx_seq = 0;
    bool already_present = false;  ///< the output already held this root: nothing fetched
    std::vector<std::string> bad_nodes;  ///< nodes that served data failing its proof
    std::uint64_t segments_reused = 0;   ///< taken from a resumable part file (re-hashed)
    std::uint64_t segments_fetched = 0;  ///< fetched and verified by this call
    std::uint64_t segment_requests = 0;  ///< segment RPCs sent by this call (incl. failed ones)
};

/// What `estimate` found: the fee an upload of the file would pay at the current market price.
/// Value type.
struct storage_estimate {
    hash256 root;                       ///< of the file (of its first fragment when split)
    std::uint64_t size = 0;             ///< bytes
    std::uint64_t sectors = 0;          ///< fee sectors (padded 256-byte chunks), all fragments
    uint256 price_per_sector;           ///< market.pricePerSector(), neuron
    uint256 fee;                        ///< sectors × price_per_sector, neuron (exact)
    crypto::address flow, market;
    std::vector<hash256> fragment_roots;  ///< one per fragment (one entry when not split)
};

/// What `verify` found. Value type.
struct verify_result {
    hash256 root;
    std::uint64_t tx_seq = 0;
    std::uint64_t size = 0;
    std::vector<std::string> finalized_on;
    unsigned copies = 0;  ///< how many finalized nodes hold every segment (min over the segments)
    unsigned segments_checked = 0;
};

/// Per-call repair options. Value type.
struct repair_options {
    bool verify = true;  ///< download sampled segments of every repaired node and check their proofs
};

/// What `repair` did (storage_recovery.hpp). Value type.
struct repair_result {
    hash256 root;
    std::uint64_t tx_seq = 0;
    std::vector<std::string> repaired;       ///< nodes that lacked segments and are finalized now
    std::vector<std::string> already_final;  ///< nodes that held the whole file before
    std::vector<std::string> notes;          ///< nodes left out, and why
    std::uint64_t segments_sent = 0;         ///< segment uploads accepted (per node)
    bool verified = false;                   ///< sampled segments of the repaired nodes verified
    std::vector<repair_result> fragments;    ///< one per fragment when the file was split (§9.6)
};

/// What `rebuild_records` looks for on chain. Value type.
struct rebuild_options {
    std::optional<crypto::address> account;  ///< the submitter; default: the client's signer
    std::uint64_t from_block = 0;
    std::optional<std::uint64_t> to_block;   ///< default: the latest block when the scan starts
    std::uint64_t blocks_per_query = 5000;   ///< eth_getLogs range; halved when the node refuses it
    std::size_t max_events = 1'000'000;      ///< a bound on what one scan may load
};

/// What `rebuild_records` found and wrote. Value type.
struct rebuild_result {
    std::uint64_t from_block = 0, to_block = 0;
    std::vector<policy::submission_record> records;  ///< one per Submit event, as written
    std::size_t added = 0, updated = 0, unchanged = 0;
    std::vector<std::string> notes;  ///< events the nodes disagree with, fees not readable, …
};

/// Progress of a transfer, reported from the client's executor (keep the callback short).
struct storage_progress {
    enum class phase { hashing, submitting, uploading, downloading, verifying } what = phase::hashing;
    std::uint64_t done = 0;   ///< bytes
    std::uint64_t total = 0;  ///< bytes
};
using progress_fn = std::function<void(const storage_progress&)>;

using storage::shard_config;
using storage::file_info;

namespace storage_detail {
using storage::node_json::get_u64;
using storage::node_json::get_bool;
using storage::node_json::get_str;
using storage::parse_file_info;
using storage::parse_shard;
using storage::already_uploaded;
using storage::too_busy;
using storage::coverage;
using storage::select_nodes;
using storage::upload_task;
using storage::plan_upload;

inline std::string lower_hex(const crypto::address& a) {
    std::string s = a.to_checksum_hex();
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

}  // namespace storage_detail
}  // namespace zerog::client
