// What a 0G storage node and the indexer say, as data (docs/protocol/storage.md §7, §8): the
// shard configuration, FileInfo, the node answers that carry meaning (§7.3 "already uploaded",
// back-pressure), and the pure planning on top of shard configs — replica coverage, the SDK's node
// selection and the interleaved segment-upload plan. Pure: JSON values in, values out; every
// number a node reports is bounded before it drives a loop or an allocation.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/core/result.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zerog::storage {

namespace json = boost::json;

/// The largest numShard accepted from a node or indexer (a power of two). Coverage and selection
/// cost O(numShard) per node, so the bound is what keeps a hostile answer from stalling a client.
inline constexpr std::uint64_t max_num_shard = 1u << 16;

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

namespace node_json {

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

}  // namespace node_json

/// `FileInfo | null` → optional<file_info>. Errors: malformed_response naming the field.
inline result<std::optional<file_info>> parse_file_info(const json::value& v) {
    if (v.is_null()) return std::optional<file_info>();
    if (!v.is_object()) return fail(errc::malformed_response, "FileInfo is not an object");
    const auto& o = v.get_object();
    const json::value* txv = o.if_contains("tx");
    if (!txv || !txv->is_object()) return fail(errc::malformed_response, "FileInfo.tx is not an object");
    const auto& tx = txv->get_object();
    file_info f;
    ZEROG_TRY(const std::string root, node_json::get_str(tx, "dataMerkleRoot"));
    ZEROG_TRY(f.root, from_hex_fixed<32>(root));
    ZEROG_TRY(f.seq, node_json::get_u64(tx, "seq"));
    ZEROG_TRY(f.size, node_json::get_u64(tx, "size"));
    ZEROG_TRY(f.start_entry, node_json::get_u64(tx, "startEntryIndex"));
    ZEROG_TRY(f.finalized, node_json::get_bool(o, "finalized"));
    if (o.if_contains("pruned")) { ZEROG_TRY(f.pruned, node_json::get_bool(o, "pruned")); }
    if (o.if_contains("uploadedSegNum")) { ZEROG_TRY(f.uploaded_segments, node_json::get_u64(o, "uploadedSegNum")); }
    return std::optional<file_info>(f);
}

inline result<shard_config> parse_shard(const json::value& v) {
    if (!v.is_object()) return fail(errc::malformed_response, "ShardConfig is not an object");
    shard_config s;
    ZEROG_TRY(s.shard_id, node_json::get_u64(v.get_object(), "shardId"));
    ZEROG_TRY(s.num_shard, node_json::get_u64(v.get_object(), "numShard"));
    // A hostile node must not make coverage/selection loop or allocate per residue: real
    // deployments shard a handful of ways; anything above max_num_shard is refused here.
    if (s.num_shard > max_num_shard)
        return fail(errc::malformed_response, "numShard " + std::to_string(s.num_shard) + " exceeds the supported maximum " +
                                                  std::to_string(max_num_shard));
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

}  // namespace zerog::storage
