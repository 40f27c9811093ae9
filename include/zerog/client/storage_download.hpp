// storage_client download and verification (included by storage_client.hpp; Go's downloader is
// the reference, storage.md §10.2):
//   * locations: indexer_getFileLocations, else the configured/trusted nodes; every node must
//     answer zgs_getFileInfo(root, true) with the same size and tx_seq to be used;
//   * segments fetched in parallel with zgs_downloadSegmentWithProofByTxSeq; each is checked for
//     its exact length and its proof against the requested root (§5.3); bad data → next node
//     holding that flow segment (§6.4 global index for sharding);
//   * written with pwrite into a temp file next to the output, removed by RAII on every error
//     path and when the coroutine is destroyed (cancellation); the whole file's root is
//     recomputed before the atomic rename; an output that already has the root is left as is.
#pragma once

#include <zerog/client/storage_client.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <random>

namespace zerog::client {

namespace storage_detail {
/// A temp file removed at scope exit unless `commit` renamed it into place.
class temp_output {
public:
    static result<temp_output> create(const std::filesystem::path& out, std::uint64_t size) {
        std::random_device rd;
        temp_output t;
        t.path_ = out.string() + ".zerog-part-" + std::to_string(rd()) + std::to_string(rd());
        t.fd_ = ::open(t.path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (t.fd_ < 0) return zerog::error(errc::io_error, "cannot create temp file " + t.path_ + ": " + std::strerror(errno));
        if (::ftruncate(t.fd_, static_cast<off_t>(size)) != 0)
            return zerog::error(errc::io_error, "cannot size temp file " + t.path_ + ": " + std::strerror(errno));
        return t;
    }
    temp_output() = default;
    temp_output(temp_output&& o) noexcept : path_(std::move(o.path_)), fd_(o.fd_) { o.fd_ = -1; o.path_.clear(); }
    temp_output& operator=(temp_output&&) = delete;
    ~temp_output() {
        if (fd_ >= 0) ::close(fd_);
        if (!path_.empty()) ::unlink(path_.c_str());
    }
    result<void> write_at(std::uint64_t off, byte_span d) const {
        std::size_t done = 0;
        while (done < d.size()) {
            const ssize_t n = ::pwrite(fd_, d.data() + done, d.size() - done, static_cast<off_t>(off + done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return zerog::error(errc::io_error, "write to " + path_ + " failed: " + std::strerror(errno));
            done += static_cast<std::size_t>(n);
        }
        return {};
    }
    /// fsync + close; the file stays until `commit` or destruction.
    result<void> finish() {
        if (::fsync(fd_) != 0 || ::close(fd_) != 0) { fd_ = -1; return zerog::error(errc::io_error, "cannot flush " + path_); }
        fd_ = -1;
        return {};
    }
    /// Atomically move into place (same directory, rename(2)).
    result<void> commit(const std::filesystem::path& out) {
        if (::rename(path_.c_str(), out.c_str()) != 0)
            return zerog::error(errc::io_error, "cannot rename " + path_ + " to " + out.string() + ": " + std::strerror(errno));
        path_.clear();
        return {};
    }
    const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
    int fd_ = -1;
};
}  // namespace storage_detail

/// A file as the nodes that hold it describe it.
template <class P>
struct storage_client<P>::located_file {
    file_info info;
    storage::file_layout layout;
    std::vector<storage_node> nodes;
    std::uint64_t start_segment() const noexcept { return info.start_entry / storage::segment_max_chunks; }
};

template <class P>
auto storage_client<P>::locate(const hash256& root, steady_time deadline) -> asio::awaitable<result<located_file>> {
    std::vector<std::string> notes;
    std::vector<storage_node> cands;
    for (const auto& ix : o_.indexer_urls) {
        json::array params;
        params.emplace_back(to_hex(root));
        auto v = co_await rpc(ix, "indexer_getFileLocations", std::move(params), deadline);
        if (!v) { notes.push_back(v.error().message()); continue; }
        if (!v->is_array()) continue;
        for (const auto& n : v->get_array()) {
            if (!n.is_object()) continue;
            auto url = storage_detail::get_str(n.get_object(), "url");
            const json::value* cfg = n.get_object().if_contains("config");
            auto sh = cfg ? storage_detail::parse_shard(*cfg) : result<shard_config>(zerog::error(errc::malformed_response, "no config"));
            if (url && sh) cands.push_back({*url, *sh});
        }
        if (!cands.empty()) break;
    }
    if (cands.empty()) {
        for (const auto& url : co_await candidate_urls(deadline, notes)) {
            auto sh = co_await shard_at(url, deadline);
            if (!sh) { notes.push_back(sh.error().message()); continue; }
            cands.push_back({url, *sh});
        }
    }
    located_file loc;
    bool have = false;
    for (auto& n : cands) {
        auto fi = co_await file_info_at(n.url, root, true, deadline);
        if (!fi) { notes.push_back(fi.error().message()); continue; }
        if (!*fi) { notes.push_back(redact_endpoint(n.url) + ": file not available"); continue; }
        if (have && ((*fi)->size != loc.info.size || (*fi)->seq != loc.info.seq)) {
            notes.push_back(redact_endpoint(n.url) + " reports size " + std::to_string((*fi)->size) + " / tx_seq " +
                            std::to_string((*fi)->seq) + ", others " + std::to_string(loc.info.size) + " / " + std::to_string(loc.info.seq));
            continue;
        }
        if (!have) { loc.info = **fi; have = true; }
        loc.nodes.push_back(std::move(n));
    }
    if (!have)
        co_return with_notes(zerog::error(errc::not_found, "root " + to_hex(root) + " is not available on any of " +
                                                               std::to_string(cands.size()) + " node(s)"), notes);
    ZEROG_CO_TRY(loc.layout, storage::file_layout::of(loc.info.size));
    std::vector<shard_config> shards;
    for (const auto& n : loc.nodes) shards.push_back(n.shard);
    if (storage_detail::coverage(shards) == 0)
        co_return with_notes(zerog::error(errc::not_found, "the nodes holding root " + to_hex(root) + " do not cover every shard"), notes);
    co_return loc;
}

template <class P>
auto storage_client<P>::fetch_segment(const hash256& root, const located_file& loc, std::uint64_t j, std::vector<std::string>& bad,
                                      steady_time deadline) -> asio::awaitable<result<bytes>> {
    ZEROG_CO_TRY(const storage::segment_span span, storage::data_segment(loc.layout, j));
    std::vector<const storage_node*> holders;
    for (const auto& n : loc.nodes)
        if (n.shard.holds(loc.start_segment() + j)) holders.push_back(&n);
    std::string why;
    for (std::size_t k = 0; k < holders.size(); ++k) {
        const storage_node& n = *holders[(j + k) % holders.size()];
        json::array params;
        params.emplace_back(loc.info.seq);
        params.emplace_back(j);
        auto v = co_await rpc(n.url, "zgs_downloadSegmentWithProofByTxSeq", std::move(params), deadline);
        auto checked = [&]() -> result<bytes> {
            if (!v) return std::move(v).error();
            if (!v->is_object()) return zerog::error(errc::not_found, "no segment (null)");
            const auto& o = v->get_object();
            ZEROG_TRY(const std::string b64, storage_detail::get_str(o, "data"));
            ZEROG_TRY(bytes data, base64_decode(b64));
            const json::value* pj = o.if_contains("proof");
            if (!pj) return zerog::error(errc::malformed_response, "segment without proof");
            ZEROG_TRY(const storage::file_proof proof, storage::file_proof_from_json(*pj));
            if (data.size() != span.wire_bytes)
                return zerog::error(errc::invalid_length, std::to_string(data.size()) + " bytes, expected " + std::to_string(span.wire_bytes));
            ZEROG_CHECK(storage::verify_segment(loc.layout, j, data, proof, root));
            data.resize(span.data_bytes);
            return data;
        }();
        if (checked) co_return std::move(*checked);
        if (checked.error().is(errc::proof_invalid) || checked.error().is(errc::invalid_length)) bad.push_back(n.url);
        why += (why.empty() ? "" : "; ") + redact_endpoint(n.url) + ": " + checked.error().message();
    }
    co_return zerog::error(errc::verification_failed, "segment " + std::to_string(j) + " of root " + to_hex(root) +
                                                          ": no node served data that verifies (" +
                                                          (holders.empty() ? std::string("no node holds it") : why) + ")");
}

template <class P>
auto storage_client<P>::check_samples(const hash256& root, const located_file& loc, unsigned samples, std::vector<std::string>& bad,
                                      steady_time deadline) -> asio::awaitable<result<void>> {
    std::vector<std::uint64_t> idx{0, loc.layout.segments - 1, loc.layout.segments / 2};
    std::sort(idx.begin(), idx.end());
    idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
    if (idx.size() > samples) idx.resize(samples);
    // Every node holding a sampled segment must serve it correctly (one located_file per node).
    for (const auto& n : loc.nodes) {
        located_file one = loc;
        one.nodes = {n};
        for (std::uint64_t j : idx) {
            if (!n.shard.holds(loc.start_segment() + j)) continue;
            auto seg = co_await fetch_segment(root, one, j, bad, deadline);
            if (!seg) co_return std::move(seg).error().at(redact_endpoint(n.url));
            report(storage_progress::phase::verifying, (j + 1) * storage::segment_size, loc.info.size);
        }
    }
    co_return result<void>();
}

template <class P>
auto storage_client<P>::download_async(hash256 root, std::string out_path, download_options opt)
    -> asio::awaitable<result<download_result>> {
    namespace fs = std::filesystem;
    const auto deadline = until(o_.download_timeout);
    download_result res;
    res.root = root;
    const fs::path out(out_path);
    std::error_code ec;
    if (fs::exists(out, ec)) {
        if (!fs::is_regular_file(out, ec)) co_return zerog::error(errc::invalid_argument, out_path + " exists and is not a regular file");
        auto t = storage::compute_file_tree(out_path);
        if (t && t->root == root) {
            res.already_present = true;
            res.size = t->layout.size;
            co_return res;
        }
        if (!opt.overwrite)
            co_return zerog::error(errc::already_exists, out_path + " exists with different content (root " +
                                                             (t ? to_hex(t->root) : std::string("unreadable")) + "); not overwritten");
    }
    ZEROG_CO_TRY(const located_file loc, co_await locate(root, deadline));
    res.size = loc.info.size;
    res.tx_seq = loc.info.seq;
    const fs::path dir = out.has_parent_path() ? out.parent_path() : fs::path(".");
    if (!fs::is_directory(dir, ec)) co_return zerog::error(errc::not_found, "output directory " + dir.string() + " does not exist");
    ZEROG_CO_TRY(auto tmp, storage_detail::temp_output::create(out, loc.info.size));

    struct job {
        std::uint64_t next = 0, done_bytes = 0;
        std::optional<zerog::error> failed;
        std::vector<std::string> bad;
    };
    auto jb = std::make_shared<job>();
    const std::uint64_t n = loc.layout.segments;
    auto worker = [this, jb, &loc, &root, &tmp, deadline, n](std::size_t) -> asio::awaitable<void> {
        while (!jb->failed && jb->next < n) {
            const std::uint64_t j = jb->next++;
            auto seg = co_await fetch_segment(root, loc, j, jb->bad, deadline);
            if (!seg) { if (!jb->failed) jb->failed = std::move(seg).error(); co_return; }
            if (auto w = tmp.write_at(j * storage::segment_size, *seg); !w) { if (!jb->failed) jb->failed = std::move(w).error(); co_return; }
            jb->done_bytes += seg->size();
            report(storage_progress::phase::downloading, jb->done_bytes, loc.info.size);
        }
    };
    co_await storage_detail::run_workers(std::min<std::uint64_t>(o_.parallel, n), worker);
    res.bad_nodes = jb->bad;
    if (jb->failed) co_return std::move(*jb->failed).during("downloading root " + to_hex(root));
    ZEROG_CO_CHECK(tmp.finish());
    storage::file_tree_options to;
    to.threads = o_.hash_threads;
    to.keep_segment_roots = false;
    ZEROG_CO_TRY(const storage::file_tree check, storage::compute_file_tree(tmp.path(), to));
    if (check.root != root)
        co_return zerog::error(errc::root_mismatch, "downloaded data hashes to " + to_hex(check.root) + ", requested root " + to_hex(root) +
                                                        "; nothing written to " + out_path);
    ZEROG_CO_CHECK(tmp.commit(out));
    co_return res;
}

template <class P>
auto storage_client<P>::verify_async(hash256 root) -> asio::awaitable<result<verify_result>> {
    const auto deadline = until(o_.download_timeout);
    ZEROG_CO_TRY(const located_file loc, co_await locate(root, deadline));
    verify_result r;
    r.root = root;
    r.tx_seq = loc.info.seq;
    r.size = loc.info.size;
    for (const auto& n : loc.nodes) {
        auto fi = co_await file_info_at(n.url, root, true, deadline);
        if (fi && *fi && (*fi)->finalized && (*fi)->seq == loc.info.seq) r.finalized_on.push_back(n.url);
    }
    std::vector<shard_config> shards;
    for (const auto& n : loc.nodes)
        if (std::find(r.finalized_on.begin(), r.finalized_on.end(), n.url) != r.finalized_on.end()) shards.push_back(n.shard);
    if (storage_detail::coverage(shards) == 0)
        co_return zerog::error(errc::verification_failed, "root " + to_hex(root) + " (tx_seq " + std::to_string(loc.info.seq) +
                                                              ") is not finalized on nodes covering every shard");
    std::vector<std::string> bad;
    ZEROG_CO_CHECK(co_await check_samples(root, loc, std::max(1u, o_.verify_samples), bad, deadline));
    r.segments_checked = static_cast<unsigned>(std::min<std::uint64_t>(std::max(1u, o_.verify_samples), loc.layout.segments));
    co_return r;
}

}  // namespace zerog::client
