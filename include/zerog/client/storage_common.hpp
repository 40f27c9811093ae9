// Shared pieces of the storage client (storage_client.hpp): options, results, progress, the
// typed zgs_* / indexer_* view of a node's JSON-RPC answers, shard coverage (§7.1, §8) and the
// node error classification (§7.3: the SDKs match message substrings, so do we).
//
// Thread safety: value types and pure functions.
#pragma once

#include <zerog/config/profile.hpp>
#include <zerog/core/bytes.hpp>
#include <zerog/core/uint256.hpp>
#include <zerog/crypto/address.hpp>
#include <zerog/storage/layout.hpp>

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
struct upload_options {
    std::optional<std::uint32_t> replicas;  ///< overrides the client's
    bytes tags;                             ///< Submission tags (empty = "0x")
    bool verify = true;                     ///< re-download samples and check finality after upload
};

/// Per-call download options. Value type.
struct download_options {
    bool overwrite = false;  ///< replace an existing file whose root differs
};

/// What an upload did. Value type.
struct upload_result {
    hash256 root;
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
    unsigned segments_checked = 0;
};

/// Progress of a transfer, reported from the client's executor (keep the callback short).
struct storage_progress {
    enum class phase { hashing, submitting, uploading, downloading, verifying } what = phase::hashing;
    std::uint64_t done = 0;   ///< bytes
    std::uint64_t total = 0;  ///< bytes
};
using progress_fn = std::function<void(const storage_progress&)>;

/// A node's shard (§7.1): it stores flow segment g iff g % num_shard == shard_id.
struct shard_config {
    std::uint64_t shard_id = 0;
    std::uint64_t num_shard = 1;
    bool holds(std::uint64_t global_segment) const noexcept { return global_segment % num_shard == shard_id; }
    bool valid() const noexcept { return num_shard >= 1 && (num_shard & (num_shard - 1)) == 0 && shard_id < num_shard; }
};

/// The part of `FileInfo` (§7.1) the client uses.
struct file_info {
    hash256 root;
    std::uint64_t seq = 0;
    std::uint64_t size = 0;
    std::uint64_t start_entry = 0;
    bool finalized = false;
    bool pruned = false;
    std::uint64_t uploaded_segments = 0;
};

namespace storage_detail {

inline result<std::uint64_t> get_u64(const json::object& o, std::string_view k) {
    const json::value* v = o.if_contains(k);
    if (!v) return fail(errc::malformed_response, "missing field \"" + std::string(k) + "\"");
    if (v->is_uint64()) return v->get_uint64();
    if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
    return fail(errc::malformed_response, "field \"" + std::string(k) + "\" is not a non-negative integer");
}
inline result<bool> get_bool(const json::object& o, std::string_view k) {
    const json::value* v = o.if_contains(k);
    if (!v || !v->is_bool()) return fail(errc::malformed_response, "field \"" + std::string(k) + "\" is not a boolean");
    return v->get_bool();
}
inline result<std::string> get_str(const json::object& o, std::string_view k) {
    const json::value* v = o.if_contains(k);
    if (!v || !v->is_string()) return fail(errc::malformed_response, "field \"" + std::string(k) + "\" is not a string");
    return std::string(v->get_string());
}

/// `FileInfo | null` → optional<file_info>. Errors: malformed_response naming the field.
inline result<std::optional<file_info>> parse_file_info(const json::value& v) {
    if (v.is_null()) return std::optional<file_info>();
    if (!v.is_object()) return fail(errc::malformed_response, "FileInfo is not an object");
    const auto& o = v.get_object();
    const json::value* txv = o.if_contains("tx");
    if (!txv || !txv->is_object()) return fail(errc::malformed_response, "FileInfo.tx is not an object");
    const auto& tx = txv->get_object();
    file_info f;
    ZEROG_TRY(const std::string root, get_str(tx, "dataMerkleRoot"));
    ZEROG_TRY(f.root, from_hex_fixed<32>(root));
    ZEROG_TRY(f.seq, get_u64(tx, "seq"));
    ZEROG_TRY(f.size, get_u64(tx, "size"));
    ZEROG_TRY(f.start_entry, get_u64(tx, "startEntryIndex"));
    ZEROG_TRY(f.finalized, get_bool(o, "finalized"));
    if (o.if_contains("pruned")) { ZEROG_TRY(f.pruned, get_bool(o, "pruned")); }
    if (o.if_contains("uploadedSegNum")) { ZEROG_TRY(f.uploaded_segments, get_u64(o, "uploadedSegNum")); }
    return std::optional<file_info>(f);
}

inline result<shard_config> parse_shard(const json::value& v) {
    if (!v.is_object()) return fail(errc::malformed_response, "ShardConfig is not an object");
    shard_config s;
    ZEROG_TRY(s.shard_id, get_u64(v.get_object(), "shardId"));
    ZEROG_TRY(s.num_shard, get_u64(v.get_object(), "numShard"));
    if (!s.valid())
        return fail(errc::malformed_response, "invalid shard config " + std::to_string(s.shard_id) + "/" + std::to_string(s.num_shard));
    return s;
}

/// §7.3 answers that mean "the segment is there": success.
inline bool already_uploaded(const zerog::error& e) {
    const std::string& d = e.detail();
    return d.find("already uploaded and finalized") != std::string::npos ||
           d.find("segment has already been uploaded or is being uploaded") != std::string::npos;
}
/// §7.3 back-pressure: retry after a pause.
inline bool too_busy(const zerog::error& e) { return e.detail().find("too many data writing") != std::string::npos; }

/// Every selected node's shards together hold each flow segment at least `replicas` times?
/// Returns the minimum replica count over the residues of the largest num_shard.
inline std::uint64_t coverage(const std::vector<shard_config>& shards) {
    std::uint64_t m = 1;
    for (const auto& s : shards) m = std::max(m, s.num_shard);
    std::uint64_t best = UINT64_MAX;
    for (std::uint64_t r = 0; r < m; ++r) {
        std::uint64_t c = 0;
        for (const auto& s : shards) c += s.holds(r) ? 1 : 0;
        best = std::min(best, c);
    }
    return shards.empty() ? 0 : best;
}

/// §8 "min" selection: candidates by ascending num_shard then shard_id; a node is taken only if
/// it raises some residue still below `replicas`. Returns indices into `shards`, or nullopt when
/// the candidates cannot reach `replicas`.
inline std::optional<std::vector<std::size_t>> select_nodes(const std::vector<shard_config>& shards, std::uint64_t replicas) {
    std::vector<std::size_t> order(shards.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return shards[a].num_shard != shards[b].num_shard ? shards[a].num_shard < shards[b].num_shard
                                                          : shards[a].shard_id < shards[b].shard_id;
    });
    std::uint64_t m = 1;
    for (const auto& s : shards) m = std::max(m, s.num_shard);
    std::vector<std::uint64_t> count(m, 0);
    std::vector<std::size_t> chosen;
    for (std::size_t i : order) {
        bool useful = false;
        for (std::uint64_t r = 0; r < m; ++r) useful |= shards[i].holds(r) && count[r] < replicas;
        if (!useful) continue;
        chosen.push_back(i);
        for (std::uint64_t r = 0; r < m; ++r) count[r] += shards[i].holds(r) ? 1 : 0;
        if (*std::min_element(count.begin(), count.end()) >= replicas) return chosen;
    }
    return std::nullopt;
}

/// Go-style task plan (§9.1 step 6 with the §9.4 fix): per node, the file-relative segment
/// indices it stores, in batches of `per_call`; the per-node lists are interleaved round-robin
/// up to the LONGEST list, so no task is dropped. Each task is (node position, indices).
struct upload_task {
    std::size_t node = 0;
    std::vector<std::uint64_t> segments;
};
inline std::vector<upload_task> plan_upload(const std::vector<shard_config>& nodes, std::uint64_t start_segment,
                                            std::uint64_t segments, unsigned per_call) {
    per_call = std::max(1u, per_call);
    std::vector<std::vector<upload_task>> per_node(nodes.size());
    for (std::size_t n = 0; n < nodes.size(); ++n) {
        upload_task t{n, {}};
        for (std::uint64_t j = 0; j < segments; ++j) {
            if (!nodes[n].holds(start_segment + j)) continue;
            t.segments.push_back(j);
            if (t.segments.size() == per_call) { per_node[n].push_back(t); t.segments.clear(); }
        }
        if (!t.segments.empty()) per_node[n].push_back(std::move(t));
    }
    std::size_t longest = 0;
    for (const auto& l : per_node) longest = std::max(longest, l.size());
    std::vector<upload_task> out;
    for (std::size_t i = 0; i < longest; ++i)
        for (auto& l : per_node)
            if (i < l.size()) out.push_back(std::move(l[i]));
    return out;
}

inline std::string lower_hex(const crypto::address& a) {
    std::string s = a.to_checksum_hex();
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

}  // namespace storage_detail
}  // namespace zerog::client
