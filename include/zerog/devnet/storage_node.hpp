// The emulated 0G storage node's JSON-RPC surface (docs/protocol/storage.md §7): every `zgs_*` method the TS
// SDK 1.2.8 and the Go client call, with the exact §7.1 JSON shapes and the §7.3 upload checks in
// the real node's order and wording (rpc_helper.rs `put_segment_with_maybe_tx`):
//   1. data non-empty and a multiple of 256          Invalid params: data / invalid data length
//   2. tx known: tx root == segment root             Internal error / data root and tx seq not match
//   3. root already cached → cache; else with a tx:  Invalid params: file_size / segment file size
//      not matched with tx file size; Invalid params: root / already uploaded and finalized;
//   4. without a tx: fileSize ≤ 10 MiB, else Invalid params: file_size / caching of large file
//      when tx is unavailable is not supported (the segment is cached until the tx is synced)
//   5. §5.4 lengths and §5.3 proof: Invalid params: index / index out of bound, data / invalid data
//      length, proof / validation failed, proof / invalid proof node value in the padding range
//   6. write control: "segment has already been uploaded or is being uploaded", "too many data
//      writing: N" (-32000; more than `max_writings` files in progress, or the `busy` fault)
// This class is the transport-free core (no Asio): storage_service.hpp puts it behind HTTP and
// feeds it the Submit events. Faults that change answers (error, busy, corrupt, stale) are
// applied here; transport faults (down, slow) by the service.
//
// Thread safety: not thread-safe; the service calls it from one thread.
#pragma once

#include <zerog/codec/abi.hpp>
#include <zerog/devnet/faults.hpp>
#include <zerog/devnet/node_store.hpp>
#include <zerog/devnet/rpc_server.hpp>
#include <zerog/storage/segment_proof.hpp>
#include <zerog/storage/submit_event.hpp>
#include <zerog/storage/upload_layout.hpp>

#include <map>
#include <unordered_map>

namespace zerog::devnet {

/// topic0 of Flow's Submit event (same in the old and new ABI, §6.3).
inline constexpr std::string_view submit_topic = "0x167ce04d2aa1981994d3a31695da0d785373335b1078cec239a1a3a2c7675555";

/// Decode a Submit log's data into a tx record; the root is folded from the nodes (§4.2), as the
/// real node's `nodes_to_root` does (storage/submit_event.hpp). Errors: the decoder's.
inline result<tx_record> decode_submit_log(byte_span data) {
    ZEROG_TRY(auto ev, storage::decode_submit_event(data));
    tx_record tx;
    tx.seq = ev.tx_seq;
    tx.start_entry = ev.start_entry;
    tx.size = ev.size;
    tx.root = ev.root;
    for (const auto& n : ev.nodes) tx.nodes.emplace_back(n.height, n.root);
    return tx;
}

/// Static settings of one node.
struct node_config {
    std::uint64_t chain_id = 16602;
    std::string flow_address;  ///< 0x…, reported in networkIdentity
    shard_config shard;
    std::uint64_t max_cache_file_size = 10u << 20;  ///< §1 max_cache_file_size
    std::uint64_t max_writings = 16;                ///< files in progress before "too many data writing"
};

/// The node's RPC core (see the file comment).
class storage_node_core {
public:
    storage_node_core(node_config cfg, std::filesystem::path data_dir, std::filesystem::path fault_file)
        : cfg_(std::move(cfg)), store_(std::move(data_dir), cfg_.shard), faults_(std::move(fault_file)) {
        add("zgs_getStatus", [this](const json::array&) -> rpc_answer { return status(); });
        add("zgs_getShardConfig", [this](const json::array&) -> rpc_answer {
            return json::value(json::object{{"shardId", cfg_.shard.shard_id}, {"numShard", cfg_.shard.num_shard}});
        });
        add("zgs_getFileInfo", [this](const json::array& p) -> rpc_answer {
            auto root = param_root(p, 0);
            auto need = param_bool(p, 1, false);
            if (!root || !need) return bad_params("expected [root, needAvailable]");
            return file_info(lookup_root(*root));
        });
        add("zgs_getFileInfoByTxSeq", [this](const json::array& p) -> rpc_answer {
            auto seq = param_u64(p, 0);
            if (!seq) return bad_params("expected [txSeq]");
            return file_info(lookup_seq(*seq));
        });
        add("zgs_checkFileFinalized", [this](const json::array& p) -> rpc_answer {
            file_entry* f = nullptr;
            if (auto seq = param_u64(p, 0)) f = lookup_seq(*seq);
            else if (auto root = param_root(p, 0)) f = lookup_root(*root);
            else return bad_params("expected [txSeq | root]");
            return f ? json::value(f->finalized) : json::value(nullptr);
        });
        add("zgs_uploadSegment", [this](const json::array& p) -> rpc_answer {
            if (p.size() < 1) return bad_params("expected [segment]");
            return upload_by_root(p[0]);
        });
        add("zgs_uploadSegments", [this](const json::array& p) -> rpc_answer {
            if (p.size() < 1 || !p[0].is_array()) return bad_params("expected [[segment…]]");
            for (const auto& s : p[0].get_array()) {  // stops at the first error
                auto a = upload_by_root(s);
                if (std::holds_alternative<rpc_failure>(a)) return a;
            }
            return json::value(nullptr);
        });
        add("zgs_uploadSegmentByTxSeq", [this](const json::array& p) -> rpc_answer {
            auto seq = param_u64(p, 1);
            if (p.size() < 2 || !seq) return bad_params("expected [segment, txSeq]");
            return upload(p[0], store_.by_seq(*seq));
        });
        add("zgs_uploadSegmentsByTxSeq", [this](const json::array& p) -> rpc_answer {
            auto seq = param_u64(p, 1);
            if (p.size() < 2 || !p[0].is_array() || !seq) return bad_params("expected [[segment…], txSeq]");
            for (const auto& s : p[0].get_array()) {
                auto a = upload(s, store_.by_seq(*seq));
                if (auto* e = std::get_if<rpc_failure>(&a)) {
                    if (e->message.find("segment has already been uploaded or is being uploaded") != std::string::npos) continue;
                    return a;
                }
            }
            return json::value(nullptr);
        });
        add("zgs_downloadSegment", [this](const json::array& p) -> rpc_answer {
            auto root = param_root(p, 0);
            auto s = param_u64(p, 1), e = param_u64(p, 2);
            if (!root || !s || !e) return bad_params("expected [root, startIndex, endIndex]");
            return download(lookup_root(*root), *s, *e);
        });
        add("zgs_downloadSegmentByTxSeq", [this](const json::array& p) -> rpc_answer {
            auto seq = param_u64(p, 0), s = param_u64(p, 1), e = param_u64(p, 2);
            if (!seq || !s || !e) return bad_params("expected [txSeq, startIndex, endIndex]");
            return download(lookup_seq(*seq), *s, *e);
        });
        add("zgs_downloadSegmentWithProof", [this](const json::array& p) -> rpc_answer {
            auto root = param_root(p, 0);
            auto i = param_u64(p, 1);
            if (!root || !i) return bad_params("expected [root, index]");
            return download_with_proof(lookup_root(*root), *i);
        });
        add("zgs_downloadSegmentWithProofByTxSeq", [this](const json::array& p) -> rpc_answer {
            auto seq = param_u64(p, 0), i = param_u64(p, 1);
            if (!seq || !i) return bad_params("expected [txSeq, index]");
            return download_with_proof(lookup_seq(*seq), *i);
        });
        add("zgs_getSectorProof", [](const json::array&) -> rpc_answer {
            return call_failed("zgs_getSectorProof is not supported by the devnet storage node");
        });
    }

    /// Load persisted state. Errors: node_store::load's.
    result<void> open() { return store_.load(); }

    /// Answer one HTTP body (single call or batch) under the current fault state.
    std::string handle(std::string_view body) {
        fault_ = faults_.current();
        return dispatch(body, [this](std::string_view m) -> const rpc_method* {
            auto it = methods_.find(std::string(m));
            if (it == methods_.end()) return nullptr;
            if (fault_.mode == "error") return &error_method_;
            if (fault_.mode == "flaky" && faults_.take_busy()) return &error_method_;  // the next `count` calls
            return &it->second;
        });
    }

    /// A Submit event was synced: record the tx and flush cached segments of its root into it.
    void on_tx(const tx_record& tx) {
        file_entry& f = store_.add_tx(tx);
        if (auto it = cache_.find(tx.root); it != cache_.end()) {
            if (it->second.file_size == tx.size)
                for (auto& [idx, seg] : it->second.segments)
                    if (idx < f.have.size() && store_.in_shard(f, idx) && !f.have[idx])
                        (void)store_.put_segment(f, idx, seg.first, seg.second);
            cache_.erase(it);
        }
        (void)store_.save();
    }

    /// The current fault state (re-read from its file).
    fault_state current_fault() { return faults_.current(); }
    node_store& store() noexcept { return store_; }
    const node_config& config() const noexcept { return cfg_; }

private:
    struct cache_entry {
        std::uint64_t file_size = 0;
        std::map<std::uint64_t, std::pair<bytes, std::string>> segments;  ///< index → (data, proof JSON)
    };

    void add(const char* name, rpc_method m) { methods_.emplace(name, std::move(m)); }

    static std::optional<hash256> param_root(const json::array& p, std::size_t i) {
        auto s = param_str(p, i);
        if (!s) return std::nullopt;
        auto h = from_hex_fixed<32>(*s);
        if (!h) return std::nullopt;
        return *h;
    }
    bool stale() const { return fault_.mode == "stale"; }
    file_entry* lookup_root(const hash256& r) { return stale() ? nullptr : store_.by_root(r); }
    file_entry* lookup_seq(std::uint64_t s) { return stale() ? nullptr : store_.by_seq(s); }

    json::value status() {
        const std::uint64_t height = store_.next_block ? store_.next_block - 1 : 0;
        return json::object{{"connectedPeers", 0},
                            {"logSyncHeight", stale() ? 0 : height},
                            {"logSyncBlock", store_.last_block_hash},
                            {"nextTxSeq", stale() ? 0 : store_.next_tx_seq()},
                            {"networkIdentity", json::object{{"chainId", cfg_.chain_id},
                                                             {"flowAddress", cfg_.flow_address},
                                                             {"p2pProtocolVersion", json::object{{"major", 0}, {"minor", 4}, {"build", 0}}}}}};
    }

    json::value file_info(file_entry* f) {
        if (!f) return nullptr;
        json::array nodes;
        for (const auto& [h, r] : f->tx.nodes) nodes.push_back(json::array{h + 1, to_hex(r)});  // depth = height + 1
        json::object tx{{"streamIds", json::array()}, {"data", json::array()}, {"dataMerkleRoot", to_hex(f->tx.root)},
                        {"merkleNodes", std::move(nodes)}, {"startEntryIndex", f->tx.start_entry},
                        {"size", f->tx.size}, {"seq", f->tx.seq}};
        return json::object{{"tx", std::move(tx)}, {"finalized", f->finalized}, {"isCached", cache_.count(f->tx.root) != 0},
                            {"uploadedSegNum", store_.uploaded_segments(*f)}, {"pruned", false}};
    }

    /// zgs_uploadSegment(s): the tx is looked up by root with need_available = false.
    rpc_answer upload_by_root(const json::value& seg) {
        const auto* o = seg.if_object();
        const auto* r = o ? o->if_contains("root") : nullptr;
        std::optional<hash256> root;
        if (r && r->is_string())
            if (auto h = from_hex_fixed<32>(std::string_view(r->get_string()))) root = *h;
        if (!root) return bad_params("segment.root must be a 0x-prefixed 32-byte hex string");
        return upload(seg, store_.by_root(*root));
    }

    /// `put_segment_with_maybe_tx` (see the file comment for the order of checks).
    rpc_answer upload(const json::value& seg_json, file_entry* tx) {
        const auto* o = seg_json.if_object();
        if (!o) return bad_params("segment must be an object");
        const auto* root_v = o->if_contains("root");
        const auto* data_v = o->if_contains("data");
        const auto* proof_v = o->if_contains("proof");
        json::array scalar{o->contains("index") ? o->at("index") : json::value(), o->contains("fileSize") ? o->at("fileSize") : json::value()};
        auto index = param_u64(scalar, 0), file_size = param_u64(scalar, 1);
        if (!root_v || !root_v->is_string() || !data_v || !data_v->is_string() || !proof_v || !index || !file_size)
            return bad_params("segment needs root, data, index, proof, fileSize");
        auto root = from_hex_fixed<32>(std::string_view(root_v->get_string()));
        if (!root) return bad_params("segment.root: " + root.error().detail());
        auto data = base64_decode(data_v->get_string());
        if (!data) return bad_params("segment.data: " + data.error().detail());
        auto proof = storage::file_proof_from_json(*proof_v);
        if (!proof) return bad_params("segment.proof: " + proof.error().detail());

        // 1. chunk pool: data size
        if (data->empty() || data->size() % storage::chunk_size) return invalid_params("data", "invalid data length");
        // 2. root vs tx
        if (tx && tx->tx.root != *root) return internal_error("data root and tx seq not match");
        // 3./4. cache or store
        bool need_cache = cache_.count(*root) != 0;
        if (!need_cache) {
            if (tx) {
                if (tx->tx.size != *file_size)
                    return invalid_params("file_size", "segment file size not matched with tx file size");
                if (tx->finalized) return invalid_params("root", "already uploaded and finalized");
            } else {
                if (*file_size > cfg_.max_cache_file_size)
                    return invalid_params("file_size", "caching of large file when tx is unavailable is not supported");
                need_cache = true;
            }
        }
        // 5. SegmentWithProof::validate
        auto layout = storage::file_layout::of(*file_size);
        if (!layout || *index >= layout->segments) return invalid_params("index", "index out of bound");
        if (!storage::check_upload_segment(*layout, *index, data->size())) return invalid_params("data", "invalid data length");
        auto leaf = storage::padded_segment_root(*layout, *index, *data);
        if (!leaf) return invalid_params("data", "invalid data length");
        if (auto v = storage::verify_segment_proof(*proof, *leaf, *index, *layout, *root); !v) {
            if (v.error().detail().find("rear padding") != std::string::npos)
                return invalid_params("proof", "invalid proof node value in the padding range");
            return invalid_params("proof", "validation failed");
        }
        // 6. write control
        if (fault_.mode == "busy" && faults_.take_busy()) return call_failed("too many data writing: " + std::to_string(cfg_.max_writings));
        const std::string proof_text = json::serialize(storage::to_json(*proof));
        if (need_cache) {
            auto& c = cache_[*root];
            c.file_size = *file_size;
            if (c.segments.count(*index)) return call_failed("segment has already been uploaded or is being uploaded");
            c.segments.emplace(*index, std::make_pair(std::move(*data), proof_text));
            return json::value(nullptr);
        }
        if (!store_.in_shard(*tx, *index)) return json::value(nullptr);  // not this node's shard: nothing to keep
        if (tx->have[*index]) return call_failed("segment has already been uploaded or is being uploaded");
        if (store_.uploaded_segments(*tx) == 0 && store_.writings() >= cfg_.max_writings)
            return call_failed("too many data writing: " + std::to_string(store_.writings()));
        if (auto w = store_.put_segment(*tx, *index, *data, proof_text); !w) return internal_error(w.error().detail());
        return json::value(nullptr);
    }

    void maybe_corrupt(bytes& d) const {
        if (fault_.mode == "corrupt" && !d.empty()) d[d.size() / 2] ^= 0x01;
    }

    rpc_answer download(file_entry* f, std::uint64_t start, std::uint64_t end) {
        if (start >= end) return invalid_params("end_index", "invalid chunk index");
        if (end - start > storage::segment_max_chunks)
            return invalid_params("end_index", "exceeds maximum chunks " + std::to_string(storage::segment_max_chunks));
        if (!f) return json::value(nullptr);
        if (end > storage::num_chunks(f->tx.size)) return invalid_params("end_index", "index out of bound");
        bytes out;
        out.reserve((end - start) * storage::chunk_size);
        for (std::uint64_t seg = start / storage::segment_max_chunks; seg * storage::segment_max_chunks < end; ++seg) {
            auto d = store_.segment(*f, seg);
            if (!d) return json::value(nullptr);
            const std::uint64_t s0 = seg * storage::segment_max_chunks;
            const std::uint64_t from = std::max(start, s0) - s0, to = std::min(end, s0 + storage::segment_max_chunks) - s0;
            if (to * storage::chunk_size > d->size()) return json::value(nullptr);
            out.insert(out.end(), d->begin() + static_cast<std::ptrdiff_t>(from * storage::chunk_size),
                       d->begin() + static_cast<std::ptrdiff_t>(to * storage::chunk_size));
        }
        maybe_corrupt(out);
        return json::value(base64_encode(out));
    }

    rpc_answer download_with_proof(file_entry* f, std::uint64_t index) {
        if (!f) return json::value(nullptr);
        if (index >= f->have.size()) return invalid_params("index", "index out of bound");
        auto d = store_.segment(*f, index);
        auto p = store_.segment_proof(*f, index);
        if (!d || !p) return json::value(nullptr);
        maybe_corrupt(*d);
        // Written as text (rpc_raw_result): the base64 is never copied into a json::value nor
        // escape-checked by the serializer. The proof is our own stored JSON, checked to be one.
        boost::system::error_code ec;
        if (json::parse(*p, ec); ec) return internal_error("stored proof of segment " + std::to_string(index) + " is not JSON");
        std::string out;
        out.reserve(base64_encoded_size(d->size()) + p->size() + 160);
        out += R"({"root":")";
        out += to_hex(f->tx.root);
        out += R"(","data":")";
        base64_append(out, *d);
        out += R"(","index":)";
        out += std::to_string(index);
        out += R"(,"proof":)";
        out += *p;
        out += R"(,"fileSize":)";
        out += std::to_string(f->tx.size);
        out += '}';
        return rpc_raw_result{std::move(out)};
    }

    node_config cfg_;
    node_store store_;
    fault_reader faults_;
    fault_state fault_;
    std::unordered_map<std::string, rpc_method> methods_;
    rpc_method error_method_ = [](const json::array&) -> rpc_answer { return internal_error("injected fault: error mode"); };
    std::map<hash256, cache_entry> cache_;
};

}  // namespace zerog::devnet
