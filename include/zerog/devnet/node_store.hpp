// Persistent state of an emulated storage node: the transactions it has synced from the Flow's
// Submit events, which of each file's segments it stores, and the segment bytes themselves.
//
// Layout of the node's data folder (a restart keeps everything but the in-memory upload cache,
// as on the real node):
//     meta.json                         log sync position + every tx with its segment bitmap
//     segments/<txSeq>/<index>.bin      segment data as uploaded (storage.md §5.4 wire length)
//     segments/<txSeq>/<index>.proof    the FileProof it came with (served by downloadSegmentWithProof)
// Storing the uploader's own (validated) proof lets a shard node serve proofs without holding
// the sibling segments, which it never sees.
//
// Sharding (storage.md §6.4, §7.1): the node keeps file segment j iff (startEntryIndex/1024 + j) % numShard
// == shardId. A file is finalized when every data segment of its shard is stored; a node holding
// none of a file's segments reports it finalized at once (the real node's behaviour too).
//
// Thread safety: not thread-safe; one owner (the node's single-threaded io_context).
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/core/result.hpp>
#include <zerog/storage/layout.hpp>
#include <zerog/storage/merkle.hpp>

#include <boost/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace zerog::devnet {

/// (numShard, shardId): which global flow segments a node stores.
struct shard_config {
    std::uint64_t num_shard = 1;
    std::uint64_t shard_id = 0;
    bool valid() const noexcept { return num_shard >= 1 && (num_shard & (num_shard - 1)) == 0 && shard_id < num_shard; }
    bool holds(std::uint64_t global_segment) const noexcept { return global_segment % num_shard == shard_id; }
};

/// One synced Flow submission (the node's `Transaction`).
struct tx_record {
    std::uint64_t seq = 0;
    hash256 root;                  ///< dataMerkleRoot, derived from the nodes (§4.2)
    std::uint64_t size = 0;        ///< bytes
    std::uint64_t start_entry = 0; ///< startEntryIndex (flow sector)
    std::vector<std::pair<std::uint64_t, hash256>> nodes;  ///< (height, root)
    std::uint64_t start_segment() const noexcept { return start_entry / storage::segment_max_chunks; }
};

/// A tx plus this node's storage progress for it.
struct file_entry {
    tx_record tx;
    std::vector<bool> have;  ///< per data segment (file-relative)
    bool finalized = false;
};

/// The node's persistent store (see the file comment).
class node_store {
public:
    node_store(std::filesystem::path dir, shard_config shard) : dir_(std::move(dir)), shard_(shard) {}

    /// Load meta.json if present. Errors: io_error / parse_error for a damaged file.
    result<void> load() {
        std::error_code ec;
        std::filesystem::create_directories(dir_ / "segments", ec);
        if (ec) return fail(errc::io_error, "cannot create " + (dir_ / "segments").string() + ": " + ec.message());
        std::ifstream in(dir_ / "meta.json", std::ios::binary);
        if (!in) return {};
        std::ostringstream ss;
        ss << in.rdbuf();
        boost::system::error_code jec;
        auto v = boost::json::parse(ss.str(), jec);
        if (jec || !v.is_object()) return fail(errc::parse_error, "damaged " + (dir_ / "meta.json").string());
        try {
            return load_from(v.get_object());
        } catch (const std::exception& e) {
            return fail(errc::parse_error, "damaged " + (dir_ / "meta.json").string() + ": " + e.what());
        }
    }

    /// Write meta.json atomically (temp + rename).
    result<void> save() const {
        return save_impl();
    }

private:
    result<void> load_from(const boost::json::object& o) {
        next_block = o.at("nextBlock").to_number<std::uint64_t>();
        last_block_hash = std::string(o.at("lastBlockHash").as_string());
        for (const auto& t : o.at("txs").as_array()) {
            const auto& to = t.as_object();
            file_entry f;
            f.tx.seq = to.at("seq").to_number<std::uint64_t>();
            f.tx.root = *from_hex_fixed<32>(std::string_view(to.at("root").as_string()));
            f.tx.size = to.at("size").to_number<std::uint64_t>();
            f.tx.start_entry = to.at("start").to_number<std::uint64_t>();
            for (const auto& n : to.at("nodes").as_array())
                f.tx.nodes.emplace_back(n.as_array()[0].to_number<std::uint64_t>(), *from_hex_fixed<32>(std::string_view(n.as_array()[1].as_string())));
            for (char c : std::string_view(to.at("have").as_string())) f.have.push_back(c == '1');
            f.finalized = to.at("finalized").as_bool();
            by_root_[f.tx.root].push_back(f.tx.seq);
            files_.emplace(f.tx.seq, std::move(f));
        }
        return {};
    }

    result<void> save_impl() const {
        boost::json::array txs;
        for (const auto& [seq, f] : files_) {
            boost::json::array nodes;
            for (const auto& [h, r] : f.tx.nodes) nodes.push_back(boost::json::array{h, to_hex(r)});
            std::string have;
            for (bool b : f.have) have.push_back(b ? '1' : '0');
            txs.push_back(boost::json::object{{"seq", seq}, {"root", to_hex(f.tx.root)}, {"size", f.tx.size},
                                              {"start", f.tx.start_entry}, {"nodes", std::move(nodes)},
                                              {"have", have}, {"finalized", f.finalized}});
        }
        boost::json::object o{{"nextBlock", next_block}, {"lastBlockHash", last_block_hash}, {"txs", std::move(txs)}};
        const auto tmp = dir_ / "meta.json.tmp";
        {
            std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
            out << boost::json::serialize(o);
            if (!out) return fail(errc::io_error, "cannot write " + tmp.string());
        }
        std::error_code ec;
        std::filesystem::rename(tmp, dir_ / "meta.json", ec);
        if (ec) return fail(errc::io_error, "cannot rename " + tmp.string() + ": " + ec.message());
        return {};
    }

public:
    /// Record a synced tx (idempotent by seq). Returns the entry.
    file_entry& add_tx(const tx_record& tx) {
        if (auto it = files_.find(tx.seq); it != files_.end()) return it->second;
        file_entry f;
        f.tx = tx;
        const auto l = storage::file_layout::of(tx.size);
        f.have.assign(l ? l->segments : 0, false);
        by_root_[tx.root].push_back(tx.seq);
        auto& ref = files_.emplace(tx.seq, std::move(f)).first->second;
        update_finalized(ref);
        return ref;
    }

    file_entry* by_seq(std::uint64_t seq) {
        auto it = files_.find(seq);
        return it == files_.end() ? nullptr : &it->second;
    }
    /// `get_tx_seq_by_data_root`: the first finalized tx of `root`, else the first one (no
    /// pruning on the devnet, so need_available changes nothing).
    file_entry* by_root(const hash256& root) {
        auto it = by_root_.find(root);
        if (it == by_root_.end()) return nullptr;
        for (auto seq : it->second)
            if (files_.at(seq).finalized) return &files_.at(seq);
        return &files_.at(it->second.front());
    }

    /// Does this node keep data segment `index` of `f`?
    bool in_shard(const file_entry& f, std::uint64_t index) const { return shard_.holds(f.tx.start_segment() + index); }

    /// Store a segment (already validated) and update finalization. Errors: io_error.
    result<void> put_segment(file_entry& f, std::uint64_t index, byte_span data, const std::string& proof_json) {
        if (index >= f.have.size()) return fail(errc::out_of_range, "segment index out of range");
        const auto d = dir_ / "segments" / std::to_string(f.tx.seq);
        std::error_code ec;
        std::filesystem::create_directories(d, ec);
        if (!write_file(d / (std::to_string(index) + ".bin"), std::string_view(reinterpret_cast<const char*>(data.data()), data.size())) ||
            !write_file(d / (std::to_string(index) + ".proof"), proof_json))
            return fail(errc::io_error, "cannot write segment " + std::to_string(index) + " under " + d.string());
        f.have[index] = true;
        update_finalized(f);
        return save();
    }

    /// The stored bytes of data segment `index`, if this node has it.
    std::optional<bytes> segment(const file_entry& f, std::uint64_t index) const {
        if (index >= f.have.size() || !f.have[index]) return std::nullopt;
        return read_bytes(dir_ / "segments" / std::to_string(f.tx.seq) / (std::to_string(index) + ".bin"));
    }
    /// The FileProof JSON stored with segment `index`.
    std::optional<std::string> segment_proof(const file_entry& f, std::uint64_t index) const {
        if (index >= f.have.size() || !f.have[index]) return std::nullopt;
        return read_file(dir_ / "segments" / std::to_string(f.tx.seq) / (std::to_string(index) + ".proof"));
    }

    std::uint64_t uploaded_segments(const file_entry& f) const {
        std::uint64_t n = 0;
        for (bool b : f.have) n += b;
        return n;
    }
    /// Files with at least one stored segment and not yet finalized ("writings in progress").
    std::uint64_t writings() const {
        std::uint64_t n = 0;
        for (const auto& [s, f] : files_) n += (!f.finalized && uploaded_segments(f) > 0);
        return n;
    }
    std::uint64_t next_tx_seq() const { return files_.empty() ? 0 : files_.rbegin()->first + 1; }
    const shard_config& shard() const noexcept { return shard_; }
    const std::filesystem::path& dir() const noexcept { return dir_; }

    std::uint64_t next_block = 0;  ///< first block not yet scanned for Submit events
    std::string last_block_hash = "0x0000000000000000000000000000000000000000000000000000000000000000";

private:
    void update_finalized(file_entry& f) {
        if (f.finalized) return;
        for (std::uint64_t i = 0; i < f.have.size(); ++i)
            if (in_shard(f, i) && !f.have[i]) return;
        f.finalized = true;
    }
    static bool write_file(const std::filesystem::path& p, std::string_view data) {
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        out.write(data.data(), static_cast<std::streamsize>(data.size()));
        return static_cast<bool>(out);
    }
    /// A whole file in one buffer sized from its length (no stream copies: segments are read on
    /// every download request).
    static std::optional<bytes> read_bytes(const std::filesystem::path& p) {
        std::ifstream in(p, std::ios::binary | std::ios::ate);
        if (!in) return std::nullopt;
        const auto n = static_cast<std::streamsize>(in.tellg());
        if (n < 0) return std::nullopt;
        bytes out(static_cast<std::size_t>(n));
        in.seekg(0);
        if (n && !in.read(reinterpret_cast<char*>(out.data()), n)) return std::nullopt;
        return out;
    }
    static std::optional<std::string> read_file(const std::filesystem::path& p) {
        std::ifstream in(p, std::ios::binary);
        if (!in) return std::nullopt;
        std::ostringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

    std::filesystem::path dir_;
    shard_config shard_;
    std::map<std::uint64_t, file_entry> files_;
    std::map<hash256, std::vector<std::uint64_t>> by_root_;
};

}  // namespace zerog::devnet
