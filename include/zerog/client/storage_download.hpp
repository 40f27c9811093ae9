// storage_client download and verification (included by storage_client.hpp; Go's downloader is
// the reference, docs/protocol/storage.md §10.2):
//   * locations: indexer_getFileLocations, else the configured/trusted nodes; every node must
//     answer zgs_getFileInfo(root, true) with the same size and tx_seq to be used;
//   * segments fetched in parallel with zgs_downloadSegmentWithProofByTxSeq; each is checked for
//     its exact length and its proof against the requested root (§5.3); bad data → next node
//     holding that flow segment (§6.4 global index for sharding);
//   * written with pwrite into the part file `<out>.zerog-part`; the whole file's root is
//     recomputed before the atomic rename; an output that already has the root is left as is.
//
// Part file rule (resumable downloads, across processes):
//   * a TRANSIENT failure (network: timeout, connection refused/closed, 5xx/-32603, busy, rate
//     limit, open breaker; or the download deadline) keeps `<out>.zerog-part` plus the sidecar
//     `<out>.zerog-part.json` {root, size, verified segments with their segment roots};
//   * the next download of the SAME root to the SAME path resumes from it: each kept segment is
//     re-hashed from the part file and must still match its recorded (proof-verified) segment
//     root, else it is fetched again; the final root recomputation covers the whole file anyway;
//   * every other outcome removes both files: success (renamed into place), validation errors,
//     proof/root mismatch, local I/O errors, cancellation (coroutine destroyed), and a download of
//     a DIFFERENT root (or size) to the same path, which discards the stale part first;
//   * the part file is flock'ed while in use: a concurrent download to the same path fails with
//     state_conflict rather than sharing it.
#pragma once

#include <zerog/client/storage_client.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

namespace zerog::client {

namespace storage_detail {
/// Failures worth resuming after: core/error_class.hpp `is_resumable` (the one table).
inline bool transient(const zerog::error& e) { return zerog::is_resumable(e); }

/// Remove the part files (and sidecars) under `dir` untouched for longer than `max_age`: what
/// downloads interrupted long ago and never resumed left behind. A part file another download
/// holds (flock) is skipped; only names ending in ".zerog-part", ".zerog-part.json" or
/// ".zerog-part.json.tmp" are considered, and at most `scan_limit` directory entries are read.
/// Returns the paths removed. Never fails: what cannot be removed is left.
inline std::vector<std::string> sweep_stale_parts(const std::filesystem::path& dir, std::chrono::milliseconds max_age,
                                                  std::size_t scan_limit = 100'000) {
    namespace fs = std::filesystem;
    std::vector<std::string> removed;
    if (max_age.count() <= 0) return removed;
    std::error_code ec;
    const auto cutoff = fs::file_time_type::clock::now() - max_age;
    auto ends = [](const std::string& s, std::string_view suf) { return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0; };
    std::size_t seen = 0;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end && seen < scan_limit; it.increment(ec), ++seen) {
        const std::string name = it->path().filename().string();
        std::string part;
        if (ends(name, ".zerog-part")) part = it->path().string();
        else if (ends(name, ".zerog-part.json")) part = it->path().string().substr(0, it->path().string().size() - 5);
        else if (ends(name, ".zerog-part.json.tmp")) part = it->path().string().substr(0, it->path().string().size() - 9);
        else continue;
        std::error_code e2;
        if (!it->is_regular_file(e2) || it->last_write_time(e2) > cutoff || e2) continue;
        // Whoever resumes it holds the lock: a part in use is not stale, whatever its time.
        if (const int fd = ::open(part.c_str(), O_RDWR | O_CLOEXEC); fd >= 0) {
            const bool busy = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
            ::close(fd);
            if (busy) continue;
        }
        if (fs::remove(it->path(), e2)) removed.push_back(it->path().string());
    }
    return removed;
}

/// The download's part file `<out>.zerog-part` and its sidecar `<out>.zerog-part.json`
/// ({"zerogPart":1,"root","size","segments","done":[[index,"0x<segment root>"],…]}).
/// Both are removed at scope exit unless `commit` renamed the part into place or `keep` wrote
/// the sidecar for a later resume. The part is flock'ed: a second concurrent download to the
/// same path fails instead of sharing it.
class temp_output {
public:
    struct resume_state {
        std::vector<std::pair<std::uint64_t, hash256>> done;  ///< segments the sidecar claims
    };
    /// Open (or create) the part for `root`/`size`. A sidecar for the same root and size is
    /// returned in `prev` (its part file is reused as is); anything else is discarded.
    static result<temp_output> open(const std::filesystem::path& out, const hash256& root, std::uint64_t size, resume_state& prev) {
        temp_output t;
        const std::string part = out.string() + ".zerog-part";
        const int fd = ::open(part.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return zerog::error(errc::io_error, "cannot create part file " + part + ": " + std::strerror(errno));
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            ::close(fd);
            return zerog::error(errc::state_conflict, "another download to " + out.string() + " is in progress (" + part + " is locked)");
        }
        t.fd_ = fd;
        t.path_ = part;
        t.side_ = part + ".json";
        prev.done.clear();
        if (auto p = read_sidecar(t.side_, root, size); p) {
            struct stat st {};
            if (::fstat(fd, &st) == 0 && static_cast<std::uint64_t>(st.st_size) == size) prev = std::move(*p);
        }
        ::unlink(t.side_.c_str());  // rewritten only by `keep`
        if (prev.done.empty() && ::ftruncate(fd, 0) != 0)
            return zerog::error(errc::io_error, "cannot reset part file " + part + ": " + std::strerror(errno));
        if (::ftruncate(fd, static_cast<off_t>(size)) != 0)
            return zerog::error(errc::io_error, "cannot size part file " + part + ": " + std::strerror(errno));
        return t;
    }
    temp_output() = default;
    temp_output(temp_output&& o) noexcept : path_(std::move(o.path_)), side_(std::move(o.side_)), fd_(o.fd_) {
        o.fd_ = -1;
        o.path_.clear();
        o.side_.clear();
    }
    temp_output& operator=(temp_output&&) = delete;
    ~temp_output() {
        if (!path_.empty()) {
            ::unlink(path_.c_str());
            ::unlink(side_.c_str());
        }
        if (fd_ >= 0) ::close(fd_);
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
    result<bytes> read_at(std::uint64_t off, std::size_t len) const {
        bytes b(len);
        std::size_t done = 0;
        while (done < len) {
            const ssize_t n = ::pread(fd_, b.data() + done, len - done, static_cast<off_t>(off + done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return zerog::error(errc::io_error, "read from " + path_ + " failed");
            done += static_cast<std::size_t>(n);
        }
        return b;
    }
    /// fsync; the file stays until `commit`, `keep` or destruction.
    result<void> finish() {
        if (::fsync(fd_) != 0) return zerog::error(errc::io_error, "cannot flush " + path_);
        return {};
    }
    /// Atomically move into place (same directory, rename(2)).
    result<void> commit(const std::filesystem::path& out) {
        if (::rename(path_.c_str(), out.c_str()) != 0)
            return zerog::error(errc::io_error, "cannot rename " + path_ + " to " + out.string() + ": " + std::strerror(errno));
        ::unlink(side_.c_str());
        path_.clear();
        return {};
    }
    /// Leave the part file for a resume: write the sidecar (atomically) listing the verified
    /// segments. Without a single verified segment there is nothing worth keeping.
    void keep(const hash256& root, std::uint64_t size, std::uint64_t segments, const std::vector<std::pair<std::uint64_t, hash256>>& done) {
        if (done.empty() || ::fsync(fd_) != 0) return;
        json::object o;
        o["zerogPart"] = 1;
        o["root"] = to_hex(root);
        o["size"] = size;
        o["segments"] = segments;
        json::array d;
        for (const auto& [j, r] : done) {
            json::array e;
            e.emplace_back(j);
            e.emplace_back(to_hex(r));
            d.emplace_back(std::move(e));
        }
        o["done"] = std::move(d);
        const std::string txt = json::serialize(o), tmp = side_ + ".tmp";
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) return;
        const bool ok = ::write(fd, txt.data(), txt.size()) == static_cast<ssize_t>(txt.size()) && ::fsync(fd) == 0;
        ::close(fd);
        if (!ok || ::rename(tmp.c_str(), side_.c_str()) != 0) { ::unlink(tmp.c_str()); return; }
        path_.clear();  // keep both
    }
    const std::string& path() const noexcept { return path_; }

private:
    static std::optional<resume_state> read_sidecar(const std::string& side, const hash256& root, std::uint64_t size) {
        std::ifstream in(side, std::ios::binary);
        if (!in) return std::nullopt;
        const std::string txt((std::istreambuf_iterator<char>(in)), {});
        boost::system::error_code ec;
        const json::value v = json::parse(txt, ec);
        if (ec || !v.is_object()) return std::nullopt;
        const auto& o = v.get_object();
        auto r = get_str(o, "root");
        auto sz = get_u64(o, "size");
        if (!r || !sz || *sz != size) return std::nullopt;
        auto h = from_hex_fixed<32>(*r);
        if (!h || *h != root) return std::nullopt;
        const json::value* d = o.if_contains("done");
        if (!d || !d->is_array()) return std::nullopt;
        resume_state s;
        for (const auto& e : d->get_array()) {
            if (!e.is_array() || e.get_array().size() != 2 || !e.get_array()[0].is_number() || !e.get_array()[1].is_string()) continue;
            boost::system::error_code ec2;
            const auto j = e.get_array()[0].to_number<std::uint64_t>(ec2);
            auto sr = from_hex_fixed<32>(std::string(e.get_array()[1].get_string()));
            if (!ec2 && sr) s.done.emplace_back(j, *sr);
        }
        return s;
    }

    std::string path_, side_;
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
                                      steady_time deadline, hash256* leaf_out, std::uint64_t* requests)
    -> asio::awaitable<result<bytes>> {
    ZEROG_CO_TRY(const storage::segment_span span, storage::data_segment(loc.layout, j));
    // The nodes holding segment j, in the selector's order: consecutive segments rotate over the
    // equally good holders (healthy and fast) and the others follow for failover; holders behind
    // an open breaker are left out unless nothing else holds the segment.
    std::vector<std::string> holder_urls;
    for (const auto& n : loc.nodes)
        if (n.shard.holds(loc.start_segment() + j)) holder_urls.push_back(n.url);
    const auto plan = selector_.plan(holder_urls);
    std::vector<std::string> order = plan.endpoints.empty() ? holder_urls : plan.endpoints;
    if (const std::size_t spread = plan.endpoints.empty() ? order.size() : plan.preferred; spread > 1)
        std::rotate(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(j % spread), order.begin() + static_cast<std::ptrdiff_t>(spread));
    std::vector<const storage_node*> holders;
    for (const auto& u : order)
        for (const auto& n : loc.nodes)
            if (n.url == u) { holders.push_back(&n); break; }
    std::string why;
    std::optional<zerog::error> net_error;  // the last transient failure, when no node served bad data
    bool bad_data = false;
    for (std::size_t k = 0; k < holders.size(); ++k) {
        const storage_node& n = *holders[k];
        json::array params;
        params.emplace_back(loc.info.seq);
        params.emplace_back(j);
        if (requests) ++*requests;
        auto v = co_await rpc(n.url, "zgs_downloadSegmentWithProofByTxSeq", std::move(params), deadline);
        hash256 leaf{};
        auto checked = [&]() -> result<bytes> {
            if (!v) return std::move(v).error();
            if (!v->is_object()) return zerog::error(errc::not_found, "no segment (null)");
            const auto& o = v->get_object();
            // Decoded straight from the parsed JSON string (no copy of the ~350 KB of base64).
            const json::value* dv = o.if_contains("data");
            if (!dv || !dv->is_string()) return zerog::error(errc::malformed_response, "segment without a \"data\" string");
            ZEROG_TRY(bytes data, base64_decode(std::string_view(dv->get_string())));
            const json::value* pj = o.if_contains("proof");
            if (!pj) return zerog::error(errc::malformed_response, "segment without proof");
            ZEROG_TRY(const storage::file_proof proof, storage::file_proof_from_json(*pj));
            if (data.size() != span.wire_bytes)
                return zerog::error(errc::invalid_length, std::to_string(data.size()) + " bytes, expected " + std::to_string(span.wire_bytes));
            ZEROG_TRY(leaf, storage::padded_segment_root(loc.layout, j, data));
            ZEROG_CHECK(storage::verify_segment_proof(proof, leaf, j, loc.layout, root));
            data.resize(span.data_bytes);
            return data;
        }();
        if (checked) {
            if (leaf_out) *leaf_out = leaf;
            co_return std::move(*checked);
        }
        if (checked.error().is(errc::proof_invalid) || checked.error().is(errc::invalid_length)) {
            bad.push_back(n.url);
            bad_data = true;
        } else if (storage_detail::transient(checked.error())) {
            net_error = checked.error();
        } else {
            bad_data = true;  // not a network failure: not resumable
        }
        why += (why.empty() ? "" : "; ") + redact_endpoint(n.url) + ": " + checked.error().message();
    }
    if (net_error && !bad_data)  // only the network failed: transient, the download may resume
        co_return std::move(*net_error).during("fetching segment " + std::to_string(j) + " of root " + to_hex(root) + " (" + why + ")");
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
    // Metrics of the whole operation; a node that served data failing its proof is a
    // verification failure even when another node's data then verified.
    const auto started = now();
    auto r = co_await traced_operation(p_.telemetry, "storage.download", download_impl(root, std::move(out_path), std::move(opt)));
    const policy::field l[] = {{"outcome", r ? std::string_view("ok") : r.error().code_name()}};
    p_.telemetry.count("zerog_downloads_total", 1, l);
    p_.telemetry.observe("zerog_download_duration_seconds", std::chrono::duration<double>(now() - started).count(), {});
    if (r) {
        p_.telemetry.count("zerog_download_bytes_total", double(r->size), {});
        if (!r->bad_nodes.empty()) {
            const policy::field k[] = {{"kind", "storage_proof"}};
            p_.telemetry.count("zerog_verification_failures_total", double(r->bad_nodes.size()), k);
        }
    } else if (r.error().is(errc::verification_failed) || r.error().is(errc::root_mismatch) || r.error().is(errc::proof_invalid)) {
        count_verification_failure("storage_download");
    }
    co_return r;
}

template <class P>
auto storage_client<P>::download_impl(hash256 root, std::string out_path, download_options opt)
    -> asio::awaitable<result<download_result>> {
    namespace fs = std::filesystem;
    const auto deadline = until(o_.download_timeout);
    auto slot = p_.concurrency.try_enter(policy::limit_key{o_.user, operation_key});
    if (!slot) co_return std::move(slot).error().during("downloading " + to_hex(root));
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
    // Part files of downloads interrupted long ago and never resumed: swept before we add ours.
    for (const auto& gone : storage_detail::sweep_stale_parts(dir, o_.stale_part_age)) stage("download.swept", root, "stale part file " + gone);
    storage_detail::temp_output::resume_state prev;
    ZEROG_CO_TRY(auto tmp, storage_detail::temp_output::open(out, root, loc.info.size, prev));
    const std::uint64_t n = loc.layout.segments;

    struct job {
        std::vector<std::uint64_t> todo;
        std::size_t next = 0;
        std::uint64_t done_bytes = 0, requests = 0;
        std::optional<zerog::error> failed;
        std::vector<std::string> bad;
        std::vector<std::pair<std::uint64_t, hash256>> verified;  // (segment, segment root)
    };
    auto jb = std::make_shared<job>();
    // Re-check what a previous run left: each kept segment must hash to its recorded root.
    std::vector<char> have(n, 0);
    for (const auto& [j, sr] : prev.done) {
        if (j >= n || have[j]) continue;
        auto span = storage::data_segment(loc.layout, j);
        if (!span) continue;
        auto d = tmp.read_at(j * storage::segment_size, span->data_bytes);
        if (!d) continue;
        d->resize(span->wire_bytes, 0);
        auto leaf = storage::padded_segment_root(loc.layout, j, *d);
        if (!leaf || *leaf != sr) continue;
        have[j] = 1;
        jb->verified.emplace_back(j, sr);
        jb->done_bytes += span->data_bytes;
    }
    res.segments_reused = jb->verified.size();
    for (std::uint64_t j = 0; j < n; ++j)
        if (!have[j]) jb->todo.push_back(j);
    if (res.segments_reused) report(storage_progress::phase::downloading, jb->done_bytes, loc.info.size);

    auto worker = [this, jb, &loc, &root, &tmp, deadline](std::size_t) -> asio::awaitable<void> {
        while (!jb->failed && jb->next < jb->todo.size()) {
            const std::uint64_t j = jb->todo[jb->next++];
            hash256 leaf{};
            auto seg = co_await fetch_segment(root, loc, j, jb->bad, deadline, &leaf, &jb->requests);
            if (!seg) { if (!jb->failed) jb->failed = std::move(seg).error(); co_return; }
            if (auto w = tmp.write_at(j * storage::segment_size, *seg); !w) { if (!jb->failed) jb->failed = std::move(w).error(); co_return; }
            jb->verified.emplace_back(j, leaf);
            jb->done_bytes += seg->size();
            report(storage_progress::phase::downloading, jb->done_bytes, loc.info.size);
        }
    };
    if (!jb->todo.empty())
        if (co_await storage_detail::run_workers(std::min<std::uint64_t>(o_.parallel, jb->todo.size()), worker))
            co_return zerog::error(errc::cancelled, "download cancelled; partial data removed").during("downloading root " + to_hex(root));
    res.bad_nodes = jb->bad;
    res.segment_requests = jb->requests;
    res.segments_fetched = jb->verified.size() - res.segments_reused;
    if (jb->failed) {
        if (storage_detail::transient(*jb->failed)) {
            tmp.keep(root, loc.info.size, n, jb->verified);
            if (tmp.path().empty())
                jb->failed->with("resumable", out_path + ".zerog-part kept with " + std::to_string(jb->verified.size()) + "/" +
                                                  std::to_string(n) + " verified segments; run the same download again to resume");
        }
        co_return std::move(*jb->failed).during("downloading root " + to_hex(root));
    }
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
auto storage_client<P>::verify_impl(hash256 root) -> asio::awaitable<result<verify_result>> {
    const auto deadline = until(o_.download_timeout);
    auto slot = p_.concurrency.try_enter(policy::limit_key{o_.user, operation_key});
    if (!slot) co_return std::move(slot).error().during("verifying " + to_hex(root));
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
    r.copies = static_cast<unsigned>(storage_detail::coverage(shards));
    if (r.copies == 0)
        co_return zerog::error(errc::verification_failed, "root " + to_hex(root) + " (tx_seq " + std::to_string(loc.info.seq) +
                                                              ") is not finalized on nodes covering every shard");
    std::vector<std::string> bad;
    ZEROG_CO_CHECK(co_await check_samples(root, loc, std::max(1u, o_.verify_samples), bad, deadline));
    r.segments_checked = static_cast<unsigned>(std::min<std::uint64_t>(std::max(1u, o_.verify_samples), loc.layout.segments));
    co_return r;
}

}  // namespace zerog::client
