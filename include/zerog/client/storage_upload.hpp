// storage_client upload (included by storage_client.hpp). Order and why (docs/protocol/storage.md §9):
//   1. validation before anything is paid: the file (exists, regular, readable, non-empty, within
//      limits.max_file_size), replicas ≥ 1 and reachable by the nodes' shard coverage (§8), tags;
//   2. root + submission in one pass (file_tree), per fragment above the fragment size (§9.6);
//   3. existence check on the selected nodes: a file known to them needs no transaction (resume
//      its segment upload unless every node already finalized it);
//   4. otherwise the double-payment guard (Persistence record + tx_sender idempotency key), the
//      fee (sectors × market.pricePerSector()), submit (current ABI; legacy selector when the
//      current one reverts without data, §6.1), tx_seq from exactly one Submit log of the Flow;
//   5. bounded wait for log sync on the selected nodes (a node that stays behind is replaced by
//      a synced node of the same shard when there is one);
//   6. segments in bounded batches, Go-style interleaving (§9.4), "already uploaded…" = success,
//      "too many data writing" = back off, node errors = fail over to a node of the same shard;
//   7. bounded wait for finality; 8. verification: every node finalized under one tx_seq, sampled
//      segments downloaded with proofs.
#pragma once

#include <zerog/client/storage_client.hpp>
#include <zerog/codec/abi.hpp>
#include <zerog/storage/data_source.hpp>
#include <zerog/storage/flow_calldata.hpp>
#include <zerog/storage/fragments.hpp>

namespace zerog::client {

template <class P>
struct storage_client<P>::upload_plan {
    std::vector<storage_node> all;      ///< discovered nodes
    std::vector<std::size_t> selected;  ///< indices into `all`, one per replica slot
    std::vector<bool> failed;           ///< per `all` entry: gave a node error during this upload
    crypto::address flow;
    std::string network;
    std::uint32_t replicas = 1;
    bool verify = true;
    steady_time deadline;
    std::vector<std::string> notes;
    std::uint64_t total = 0, sent = 0;  ///< progress bytes
    std::string file_name, local_path;  ///< recorded with the submission
    std::int64_t expires_unix_ms = 0;   ///< end of the record's retention (0: forever)

    const storage_node& at(std::size_t slot) const { return all[selected[slot]]; }
    /// An unused, healthy node with the same shard as slot's node.
    std::optional<std::size_t> alternate(std::size_t slot) const {
        for (std::size_t i = 0; i < all.size(); ++i) {
            if (failed[i] || std::find(selected.begin(), selected.end(), i) != selected.end()) continue;
            if (all[i].shard.num_shard == at(slot).shard.num_shard && all[i].shard.shard_id == at(slot).shard.shard_id) return i;
        }
        return std::nullopt;
    }
};

template <class P>
auto storage_client<P>::upload_async(std::string path, upload_options opt) -> asio::awaitable<result<upload_result>> {
    // Metrics of the whole operation (zerog_uploads_total, _bytes_total, _duration_seconds); the
    // stages, payments and network calls are counted where they happen.
    const auto started = now();
    auto r = co_await traced_operation(p_.telemetry, "storage.upload", upload_impl(std::move(path), std::move(opt)));
    const policy::field l[] = {{"outcome", r ? std::string_view("ok") : r.error().code_name()}};
    p_.telemetry.count("zerog_uploads_total", 1, l);
    p_.telemetry.observe("zerog_upload_duration_seconds", std::chrono::duration<double>(now() - started).count(), {});
    if (r) {
        std::uint64_t bytes = 0;
        if (r->fragments.empty()) bytes = r->size;
        for (const auto& f : r->fragments) bytes += f.size;
        p_.telemetry.count("zerog_upload_bytes_total", double(bytes), {});
    }
    co_return r;
}

template <class P>
auto storage_client<P>::upload_impl(std::string path, upload_options opt) -> asio::awaitable<result<upload_result>> {
    namespace fs = std::filesystem;
    upload_plan plan;
    plan.deadline = until(o_.upload_timeout);
    plan.verify = opt.verify;
    auto invalid = [&](errc c, std::string what) {
        return zerog::error(c, std::move(what) + "; nothing was sent or paid").during("validating the upload of " + path);
    };
    // 0. a concurrency slot for the whole operation (policy_set::concurrency; refused at once)
    auto slot = p_.concurrency.try_enter(policy::limit_key{o_.user, operation_key});
    if (!slot) co_return std::move(slot).error().during("uploading " + path + "; nothing was sent or paid");
    // 1. validation
    ZEROG_CO_TRY(auto file, open_checked(path, "validating the upload of " + path));
    std::optional<storage::encrypted_source> encrypted;  // header ‖ ciphertext, produced as it is read
    if (opt.encryption) encrypted.emplace(file, opt.encryption->key, opt.encryption->header);
    const storage::data_source& src = encrypted ? static_cast<const storage::data_source&>(*encrypted) : file;
    const std::uint64_t size = src.size();
    plan.replicas = opt.replicas.value_or(o_.replicas);
    if (plan.replicas < 1 || plan.replicas > config::defaults::replicas_cap)
        co_return invalid(errc::invalid_argument, "replicas must be 1.." + std::to_string(config::defaults::replicas_cap) + ", got " +
                                                      std::to_string(plan.replicas));
    if (opt.tags.size() > o_.max_tags_bytes)
        co_return invalid(errc::too_large, "tags of " + std::to_string(opt.tags.size()) + " bytes exceed " + std::to_string(o_.max_tags_bytes));
    if (!sender_) co_return invalid(errc::invalid_argument, "no EVM RPC URL configured");
    if (o_.chain_id == 0) co_return invalid(errc::invalid_argument, "the chain id is not configured");
    {
        std::error_code ec;
        const fs::path abs = fs::absolute(path, ec);
        plan.local_path = ec ? path : abs.lexically_normal().string();
        plan.file_name = fs::path(path).filename().string();
        const auto keep = opt.retention.value_or(o_.retention);
        if (keep.count() < 0) co_return invalid(errc::invalid_argument, "a negative retention period");
        if (keep.count() > 0) plan.expires_unix_ms = wall_ms() + keep.count();
    }

    // Node selection for the replica count (still before any payment).
    std::optional<crypto::address> flow = o_.flow;
    const auto discover_started = now();
    ZEROG_CO_TRY(plan.all, co_await discover(plan.deadline, flow, plan.notes));
    observe_stage("discover", discover_started);
    if (plan.all.empty() || !flow)
        co_return with_notes(invalid(errc::connection_failed, "no storage node answered for chain " + std::to_string(o_.chain_id)), plan.notes);
    std::vector<shard_config> shards;
    for (const auto& n : plan.all) shards.push_back(n.shard);
    auto sel = storage_detail::select_nodes(shards, plan.replicas);
    if (!sel) {
        std::string list;
        for (const auto& n : plan.all) list += (list.empty() ? "" : ", ") + std::to_string(n.shard.shard_id) + "/" + std::to_string(n.shard.num_shard);
        co_return with_notes(invalid(errc::invalid_argument, "replicas " + std::to_string(plan.replicas) + " not achievable: the " +
                                                                 std::to_string(plan.all.size()) + " reachable node(s) (shards " + list +
                                                                 ") hold each segment at most " + std::to_string(storage_detail::coverage(shards)) +
                                                                 " time(s)"),
                             plan.notes);
    }
    plan.selected = *sel;
    plan.failed.assign(plan.all.size(), false);
    plan.flow = *flow;
    plan.network = network_key(*flow);

    // 2. hashing, per fragment
    ZEROG_CO_TRY(const std::uint64_t frag_size, storage::normalize_fragment_size(o_.fragment_size));
    ZEROG_CO_TRY(const auto frags, storage::plan_fragments(size, frag_size));
    plan.total = size;
    upload_result whole;
    for (const auto& f : frags) {
        ZEROG_CO_TRY(const auto slice, storage::slice_source::of(src, f.offset, f.size));
        storage::file_tree_options to;
        to.threads = o_.hash_threads;
        report(storage_progress::phase::hashing, f.offset, size);
        const auto hash_started = now();
        ZEROG_CO_TRY(storage::file_tree tree, storage::compute_file_tree(slice, to));
        observe_stage("hash", hash_started);
        report(storage_progress::phase::hashing, f.offset + f.size, size);
        tree.submission.tags = opt.tags;
        if (frags.size() > 1) plan.file_name = fs::path(path).filename().string() + " (fragment " + std::to_string(f.index) + ")";
        const hash256 fragment_root = tree.root;
        auto r = co_await upload_one(slice, std::move(tree), plan);
        if (!r) {
            zerog::error e = std::move(r).error();
            if (frags.size() > 1) e.with("fragment", std::to_string(f.index));
            // Paid already? Say so (root and tx hash), keep the reason in the record, and tell how to resume.
            auto rec = co_await persist(p_, "persistence.find_submission", [&] { return p_.persistence.find_submission(fragment_root, plan.network); });
            if (rec && *rec && (!(*rec)->tx_hash.empty() || (*rec)->tx_seq) && (*rec)->status != policy::submission_record::state::failed) {
                policy::submission_record paid = **rec;
                paid.last_error = e.message();
                paid.updated_unix_ms = wall_ms();
                (void)co_await persist(p_, "persistence.put_submission", [&] { return p_.persistence.put_submission(paid); });
                e.with("root", to_hex(fragment_root)).with("paid_in_tx", paid.tx_hash.empty() ? "(found on chain)" : paid.tx_hash);
                e.with("resume", "run the same upload again: it continues without paying");
            }
            co_return e;
        }
        if (frags.size() == 1) co_return std::move(*r);
        if (f.index == 0) whole = *r;
        whole.fragments.push_back(std::move(*r));
    }
    whole.verified = std::all_of(whole.fragments.begin(), whole.fragments.end(), [](const upload_result& u) { return u.verified; });
    co_return whole;
}

template <class P>
result<storage::file_source> storage_client<P>::open_checked(const std::string& path, const std::string& during) const {
    namespace fs = std::filesystem;
    auto invalid = [&](errc c, std::string what) { return zerog::error(c, std::move(what) + "; nothing was sent or paid").during(during); };
    std::error_code ec;
    const auto st = fs::status(path, ec);
    if (ec || !fs::exists(st)) return invalid(errc::not_found, "file " + path + " does not exist");
    if (!fs::is_regular_file(st)) return invalid(errc::invalid_argument, path + " is not a regular file");
    auto src = storage::file_source::open(path);
    if (!src) return std::move(src).error().during(during);
    const std::uint64_t size = src->size();
    if (size == 0) return invalid(errc::empty_input, "file " + path + " is empty (0G Storage cannot store an empty file)");
    if (size > o_.max_file_size)
        return invalid(errc::too_large, "file " + path + " is " + std::to_string(size) + " bytes, above the configured limit of " +
                                            std::to_string(o_.max_file_size) + " bytes (limits.max_file_size)");
    return src;
}

template <class P>
auto storage_client<P>::read_price(const crypto::address& flow, steady_time deadline) -> asio::awaitable<result<market_price>> {
    auto& eth = sender_->client();
    auto view = [&](crypto::address to, bytes data) -> asio::awaitable<result<bytes>> {
        chain::call_request c;
        c.to = to;
        c.data = std::move(data);
        const std::string ctx_endpoint = redact_endpoint(eth.url());  // call_context holds views: keep the string alive
        call_context ctx{"eth_call", ctx_endpoint, o_.user, deadline};
        co_return co_await guarded_call(p_, ctx, [&]() { return eth.call_async(c, chain::block_tag::latest(), eth.options_until(deadline)); });
    };
    market_price out;
    if (o_.market) {
        out.market = *o_.market;
    } else {
        ZEROG_CO_TRY(const bytes sel, codec::abi::encode_call("market()"));
        auto ret = co_await view(flow, sel);
        if (!ret) co_return std::move(ret).error().during("reading Flow.market() of " + flow.to_checksum_hex());
        ZEROG_CO_TRY(out.market, codec::abi::decode_as<crypto::address>("address", *ret));
    }
    ZEROG_CO_TRY(const bytes psel, codec::abi::encode_call("pricePerSector()"));
    auto pret = co_await view(out.market, psel);
    if (!pret) co_return std::move(pret).error().during("reading pricePerSector() of market " + out.market.to_checksum_hex());
    ZEROG_CO_TRY(out.price, codec::abi::decode_as<uint256>("uint256", *pret));
    co_return out;
}

template <class P>
result<policy::budget_hold> storage_client<P>::reserve_budget(const hash256& root, std::optional<uint256> spend, std::uint64_t bytes) {
    if (!budget_) return policy::budget_hold{};
    std::vector<policy::budget_request> want;
    if (spend) want.push_back({policy::budget_kind::spend, *spend});
    want.push_back({policy::budget_kind::bytes_uploaded, uint256(bytes)});
    want.push_back({policy::budget_kind::requests, uint256(1)});
    auto h = budget_->reserve_all(o_.user, want);
    if (!h) {
        zerog::error e = std::move(h).error();
        return zerog::error(e.code(), e.detail() + "; nothing was sent or paid")
            .during("reserving the budget for the upload of root " + to_hex(root) + (spend ? " (fee " + format_token_amount(*spend) + " 0G)" : ""));
    }
    return std::move(*h);
}

template <class P>
auto storage_client<P>::estimate_impl(std::string path) -> asio::awaitable<result<storage_estimate>> {
    const std::string during = "estimating the upload fee of " + path;
    const auto deadline = until(o_.upload_timeout);
    ZEROG_CO_TRY(auto src, open_checked(path, during));
    if (!sender_) co_return zerog::error(errc::invalid_argument, "no EVM RPC URL configured").during(during);
    storage_estimate out;
    out.size = src.size();
    // The Flow: pinned, else the one the nodes agree on.
    std::optional<crypto::address> flow = o_.flow;
    if (!flow) {
        std::vector<std::string> notes;
        auto nodes = co_await discover(deadline, flow, notes);
        if (!nodes) co_return std::move(nodes).error().during(during);
        if (!flow) co_return with_notes(zerog::error(errc::connection_failed, "no storage node named the Flow contract for chain " +
                                                                                  std::to_string(o_.chain_id) + " (set contracts.flow)"),
                                        notes).during(during);
    }
    out.flow = *flow;
    ZEROG_CO_TRY(const std::uint64_t frag_size, storage::normalize_fragment_size(o_.fragment_size));
    ZEROG_CO_TRY(const auto frags, storage::plan_fragments(out.size, frag_size));
    for (const auto& f : frags) {
        ZEROG_CO_TRY(const auto slice, storage::slice_source::of(src, f.offset, f.size));
        storage::file_tree_options to;
        to.threads = o_.hash_threads;
        report(storage_progress::phase::hashing, f.offset, out.size);
        ZEROG_CO_TRY(const storage::file_tree tree, storage::compute_file_tree(slice, to));
        ZEROG_CO_TRY(const std::uint64_t sectors, storage::fee_sectors(tree.submission));
        if (out.sectors + sectors < out.sectors) co_return zerog::error(errc::overflow, "fee sectors overflow uint64").during(during);
        out.sectors += sectors;
        if (f.index == 0) out.root = tree.root;
        out.fragment_roots.push_back(tree.root);
    }
    report(storage_progress::phase::hashing, out.size, out.size);
    auto mp = co_await read_price(out.flow, deadline);
    if (!mp) co_return std::move(mp).error().during(during);
    out.market = mp->market;
    out.price_per_sector = mp->price;
    auto fee = policy::estimate_storage_fee(out.sectors, out.price_per_sector);
    if (!fee) co_return std::move(fee).error().during(during);
    out.fee = *fee;
    co_return out;
}

template <class P>
auto storage_client<P>::upload_one(const storage::data_source& src, storage::file_tree tree, upload_plan& plan)
    -> asio::awaitable<result<upload_result>> {
    const hash256 root = tree.root;
    upload_result out;
    out.root = root;
    out.size = tree.layout.size;
    out.replicas = plan.replicas;
    // 3. existence check
    std::optional<file_info> known;
    bool all_final = true;
    for (std::size_t s = 0; s < plan.selected.size(); ++s) {
        auto fi = co_await file_info_at(plan.at(s).url, root, false, plan.deadline);
        if (fi && *fi) {
            if (!known) known = **fi;
            all_final = all_final && (*fi)->finalized;
        } else {
            all_final = false;
        }
    }
    std::uint64_t seq = 0;
    policy::budget_hold hold;  // released on every early return (nothing more was spent)
    stage("upload.existence", root, known ? (all_final ? "finalized on every selected node" : "known, not finalized everywhere")
                                          : "not on the nodes: a submission is needed");
    if (known) {
        seq = known->seq;
        // Remember what we found, without overwriting our own record of a payment.
        auto rec = co_await persist(p_, "persistence.find_submission", [&] { return p_.persistence.find_submission(root, plan.network); });
        if (rec && !*rec) {
            policy::submission_record r = new_record(tree, plan);
            r.tx_seq = seq;
            r.status = policy::submission_record::state::mined;
            (void)co_await persist(p_, "persistence.put_submission", [&] { return p_.persistence.put_submission(r); });
        } else if (rec && *rec) {
            out.tx_hash = (*rec)->tx_hash;
            out.fee = (*rec)->fee;
        }
    } else {
        // 4. pay exactly once
        stage("upload.submit", root, "one Submit transaction (guarded against paying twice)");
        const auto submit_started = now();
        ZEROG_CO_TRY(seq, co_await submit_once(tree, plan, out, hold));
        observe_stage("submit", submit_started);
        all_final = false;
    }
    out.tx_seq = seq;
    if (!all_final) {
        // Segments still to upload for a file paid before (by us or anyone): bytes and a request,
        // no spend. Reserved before any segment is sent.
        if (budget_ && hold.empty()) {
            ZEROG_CO_TRY(hold, reserve_budget(root, std::nullopt, tree.layout.size));
        }
        stage("upload.log_sync", root, "waiting for the nodes to sync tx_seq " + std::to_string(seq));
        auto stage_started = now();
        ZEROG_CO_CHECK(co_await wait_nodes(root, plan, false, seq));  // 5.
        observe_stage("log_sync", stage_started);
        // Placement (startEntryIndex) as the node synced it from the Submit event.
        auto fi = co_await file_info_at(plan.at(0).url, root, false, plan.deadline);
        if (!fi) co_return std::move(fi).error();
        if (!*fi) co_return zerog::error(errc::state_conflict, "node forgot root " + to_hex(root)).at(redact_endpoint(plan.at(0).url));
        stage("upload.segments", root, std::to_string(tree.layout.segments) + " segment(s) to " + std::to_string(plan.selected.size()) + " node(s)");
        stage_started = now();
        ZEROG_CO_CHECK(co_await upload_segments(src, tree, **fi, plan));  // 6.
        observe_stage("segments", stage_started);
        stage("upload.finality", root, "waiting for every selected node to finalize");
        stage_started = now();
        ZEROG_CO_CHECK(co_await wait_nodes(root, plan, true, seq));       // 7.
        observe_stage("finality", stage_started);
        hold.commit(policy::budget_kind::bytes_uploaded);
        hold.commit(policy::budget_kind::requests);
    } else {
        plan.sent += tree.layout.size;
        report(storage_progress::phase::uploading, plan.sent, plan.total);
    }
    for (std::size_t s = 0; s < plan.selected.size(); ++s) out.nodes.push_back(plan.at(s).url);
    // 8. verification
    if (plan.verify) {
        stage("upload.verify", root, std::to_string(std::max(1u, o_.verify_samples)) + " sampled segment(s) per node");
        const auto verify_started = now();
        located_file loc;
        loc.layout = tree.layout;
        for (std::size_t s = 0; s < plan.selected.size(); ++s) {
            const auto& n = plan.at(s);
            auto fi = co_await file_info_at(n.url, root, true, plan.deadline);
            if (!fi) co_return std::move(fi).error().during("verifying root " + to_hex(root));
            if (!*fi || !(*fi)->finalized)
                co_return zerog::error(errc::verification_failed, "root " + to_hex(root) + " is not finalized").at(redact_endpoint(n.url));
            if (loc.nodes.empty()) loc.info = **fi;
            else if ((*fi)->seq != loc.info.seq)
                co_return zerog::error(errc::verification_failed, "nodes disagree on the tx_seq of root " + to_hex(root) + ": " +
                                                                      std::to_string(loc.info.seq) + " vs " + std::to_string((*fi)->seq));
            loc.nodes.push_back(n);
        }
        out.tx_seq = loc.info.seq;
        std::vector<std::string> bad;
        auto ok = co_await check_samples(root, loc, std::max(1u, o_.verify_samples), bad, plan.deadline);
        if (!ok) {
            if (ok.error().is(errc::verification_failed) || ok.error().is(errc::proof_invalid)) count_verification_failure("storage_upload");
            co_return std::move(ok).error().during("verifying the upload of root " + to_hex(root));
        }
        observe_stage("verify", verify_started);
        out.verified = true;
    }
    stage("upload.done", root, "tx_seq " + std::to_string(out.tx_seq) + (out.verified ? ", verified" : ""));
    if (auto rec = co_await persist(p_, "persistence.find_submission", [&] { return p_.persistence.find_submission(root, plan.network); }); rec && *rec) {
        policy::submission_record r = **rec;
        r.tx_seq = out.tx_seq;
        r.status = policy::submission_record::state::finalized;
        r.replicas = plan.replicas;
        r.last_error.clear();
        r.updated_unix_ms = wall_ms();
        if (r.file_name.empty()) r.file_name = plan.file_name;
        if (r.local_path.empty()) r.local_path = plan.local_path;
        (void)co_await persist(p_, "persistence.put_submission", [&] { return p_.persistence.put_submission(r); });
    }
    co_return out;
}

template <class P>
policy::submission_record storage_client<P>::new_record(const storage::file_tree& tree, const upload_plan& plan) const {
    policy::submission_record r;
    r.root = tree.root;
    r.network = plan.network;
    r.size = tree.layout.size;
    r.file_name = plan.file_name;
    r.local_path = plan.local_path;
    r.replicas = plan.replicas;
    r.owner = process_owner_id();
    r.created_unix_ms = r.updated_unix_ms = wall_ms();
    r.expires_unix_ms = plan.expires_unix_ms;
    return r;
}

template <class P>
auto storage_client<P>::submit_once(const storage::file_tree& tree, upload_plan& plan, upload_result& out, policy::budget_hold& hold)
    -> asio::awaitable<result<std::uint64_t>> {
    using state = policy::submission_record::state;
    const hash256& root = tree.root;
    const std::string key = "zerog-storage:" + plan.network + ":" + to_hex(root);
    auto& eth = sender_->client();
    const auto fdl = std::min(plan.deadline, until(o_.finality_timeout));
    auto tx_seq_of = [&](const chain::receipt& rc) -> result<std::uint64_t> {
        const hash256 topic = storage::submit_event_topic0();
        std::vector<std::uint64_t> seqs;
        for (const auto& l : rc.logs)
            if (l.address == plan.flow && !l.topics.empty() && l.topics[0] == topic && l.data.size() >= 32) {
                ZEROG_TRY(const uint256 s, codec::abi::decode_as<uint256>("uint256", byte_span(l.data.data(), 32)));
                if (!s.fits_u64()) return zerog::error(errc::overflow, "tx_seq does not fit in 64 bits");
                seqs.push_back(s.low64());
            }
        if (seqs.size() != 1)
            return zerog::error(errc::malformed_response, "expected exactly one Submit event from the Flow, found " + std::to_string(seqs.size()))
                .with("tx", to_hex(rc.transaction_hash));
        return seqs.front();
    };

    // The double-payment guard, part 1: a record that already names the tx_seq is adopted.
    ZEROG_CO_TRY(auto prev, co_await persist(p_, "persistence.find_submission", [&] { return p_.persistence.find_submission(root, plan.network); }));
    if (prev && prev->status != state::failed && prev->tx_seq) {
        out.tx_hash = prev->tx_hash;
        out.fee = prev->fee;
        co_return *prev->tx_seq;
    }

    // Fee: sectors × pricePerSector of the Flow's market.
    report(storage_progress::phase::submitting, 0, tree.layout.size);
    ZEROG_CO_TRY(const market_price mp, co_await read_price(plan.flow, fdl));
    ZEROG_CO_TRY(const uint256 fee, storage::submission_fee(tree.submission, mp.price));
    ZEROG_CO_CHECK(storage::validate_submission(tree.submission));

    // Current ABI; the legacy selector only when the current one reverts without data (§6.1).
    ZEROG_CO_TRY(bytes calldata, storage::submit_calldata(tree.submission, p_.signer.address()));
    {
        chain::call_request c;
        c.from = p_.signer.address();
        c.to = plan.flow;
        c.data = calldata;
        c.value = fee;
        const std::string ctx_endpoint = redact_endpoint(eth.url());  // call_context holds views: keep the string alive
        call_context ctx{"eth_call", ctx_endpoint, o_.user, fdl};
        auto probe = co_await guarded_call(p_, ctx, [&]() { return eth.call_async(c, chain::block_tag::latest(), eth.options_until(fdl)); });
        if (!probe && probe.error().is(errc::reverted) &&
            (probe.error().detail().find("without data") != std::string::npos || probe.error().detail().rfind("node says:", 0) == 0)) {
            ZEROG_CO_TRY(calldata, storage::submit_calldata_legacy(tree.submission));
        }
    }

    // Budget: reserved before anything is recorded, signed or sent; a refusal leaves no trace. No
    // spend when a signed transaction is on record (resuming it pays nothing new); spend reserved
    // here but not paid by us (another process paid, or we resume) is released at the end.
    if (budget_ && hold.empty()) {
        auto idem = sender_->store().find(key);
        if (!idem) co_return std::move(idem).error().during("reading the transaction record of root " + to_hex(root));
        const bool signed_before = *idem && !(*idem)->hashes.empty();
        ZEROG_CO_TRY(hold, reserve_budget(root, signed_before ? std::nullopt : std::optional<uint256>(fee), tree.layout.size));
    }

    // Part 2: CLAIM (root, network) in the store BEFORE anything is signed. The claim is atomic in
    // every Persistence model, so of several processes sharing one database exactly one pays; the
    // others wait for its transaction and adopt it. A failing store fails here, before payment.
    policy::submission_record rec = new_record(tree, plan);
    rec.account = p_.signer.address().to_checksum_hex();
    rec.fee = fee;
    rec.status = state::intent;
    bool resuming = false;  // a transaction was signed before (by us or a process that died): resume it, pay nothing new
    std::string dead_owner;
    for (;;) {
        rec.updated_unix_ms = wall_ms();
        const std::int64_t stale_before = rec.updated_unix_ms - o_.intent_lease.count();
        auto claim = co_await persist(p_, "persistence.claim_submission", [&] { return p_.persistence.claim_submission(rec, key, stale_before, dead_owner); });
        if (!claim) co_return std::move(claim).error().during("recording the submission of root " + to_hex(root) + " before payment");
        if (claim->claimed) break;
        const policy::submission_record& cur = claim->current;
        if (cur.tx_seq) {  // another process paid and saw it mined
            out.tx_hash = cur.tx_hash;
            out.fee = cur.fee;
            co_return *cur.tx_seq;
        }
        auto idem = sender_->store().find(key);
        if (!idem) co_return std::move(idem).error().during("reading the transaction record of root " + to_hex(root));
        if (*idem && !(*idem)->hashes.empty() && !sender_->in_flight(key)) {
            // Signed before: the sender finds those hashes and waits for (or re-broadcasts) them;
            // nothing new is signed while one of them may still be mined.
            resuming = true;
            rec = cur;
            rec.owner = process_owner_id();
            rec.updated_unix_ms = wall_ms();
            break;
        }
        if (!cur.tx_hash.empty() && !(*idem && !(*idem)->hashes.empty())) {
            // A hash recorded without its sender record (a store from before the sender kept one).
            ZEROG_CO_TRY(const hash256 h, from_hex_fixed<32>(cur.tx_hash));
            const std::string ctx_endpoint = redact_endpoint(eth.url());  // call_context holds views: keep the string alive
            call_context ctx{"eth_getTransactionReceipt", ctx_endpoint, o_.user, fdl};
            ZEROG_CO_TRY(auto rc, co_await guarded_call(p_, ctx, [&]() { return eth.get_transaction_receipt_async(h, eth.options_until(fdl)); }));
            if (!rc || !rc->status)
                co_return zerog::error(errc::state_conflict, "root " + to_hex(root) + " was already submitted in tx " + cur.tx_hash +
                                                                 (rc ? " which reverted" : " which is not mined yet") + "; not paying again");
            ZEROG_CO_TRY(const std::uint64_t s, tx_seq_of(*rc));
            out.tx_hash = cur.tx_hash;
            out.fee = cur.fee;
            co_return s;
        }
        if (dead_owner != cur.owner && owner_is_dead(cur.owner)) {
            dead_owner = cur.owner;  // claim again at once: the store replaces exactly this owner's intent
            continue;
        }
        if (now() >= fdl)
            co_return zerog::error(errc::state_conflict, "another process (" + cur.owner + ") has been submitting root " + to_hex(root) +
                                                             " since " + std::to_string(cur.updated_unix_ms) +
                                                             " (Unix ms) and has not signed yet; not paying again. Run the upload again later; an "
                                                             "intent older than " + std::to_string(o_.intent_lease.count()) + " ms is taken over");
        stage("upload.submit", root, "another process (" + cur.owner + ") is paying for this root; waiting for its transaction");
        co_await detail::sleep_for(std::min<std::chrono::nanoseconds>(o_.poll_interval, fdl - now()));
    }

    stage("upload.claimed", root, resuming ? "resuming a transaction signed before" : "intent recorded; signing one Submit transaction");
    if (resuming) (void)co_await persist(p_, "persistence.put_submission", [&] { return p_.persistence.put_submission(rec); });

    chain::tx_request req;
    req.to = plan.flow;
    req.value = fee;
    req.data = std::move(calldata);
    req.idempotency_key = key;
    const std::string ctx_endpoint = redact_endpoint(eth.url());  // call_context holds views: keep the string alive
    call_context ctx{"flow.submit", ctx_endpoint, o_.user, fdl};
    auto sent = co_await guarded_call(p_, ctx, [&]() { return sender_->send_async(req); });
    {
        const policy::field l[] = {{"kind", "storage"}, {"outcome", sent ? std::string_view("ok") : sent.error().code_name()}};
        p_.telemetry.count("zerog_payments_total", 1, l);
    }
    if (!sent) {
        // Whatever hash was signed may still be mined: remember it so no re-run pays again.
        auto idem = sender_->store().find(key);
        if (idem && *idem && !(*idem)->hashes.empty()) {
            rec.tx_hash = to_hex((*idem)->hashes.back());
            rec.status = state::sent;
            if (!resuming) hold.commit(policy::budget_kind::spend);  // it may be mined: count the money as gone (a re-run resumes without reserving)
        } else {
            rec.status = state::failed;  // nothing was signed: a re-run may pay
        }
        rec.last_error = sent.error().message();
        rec.updated_unix_ms = wall_ms();
        (void)co_await persist(p_, "persistence.put_submission", [&] { return p_.persistence.put_submission(rec); });
        co_return std::move(sent).error().during("submitting root " + to_hex(root));
    }
    rec.tx_hash = to_hex(sent->tx_hash);
    rec.status = state::mined;
    rec.last_error.clear();
    rec.updated_unix_ms = wall_ms();
    if (!resuming) hold.commit(policy::budget_kind::spend, fee);  // mined (a resumed transaction holds no spend: nothing new was paid)
    auto s = tx_seq_of(sent->rcpt);
    if (s) rec.tx_seq = *s;
    (void)co_await persist(p_, "persistence.put_submission", [&] { return p_.persistence.put_submission(rec); });
    if (!s) co_return std::move(s).error();
    out.tx_hash = rec.tx_hash;
    out.fee = fee;
    out.submitted = true;
    p_.telemetry.count("zerog_storage_fee_neuron_total", fee.to_double(), {});
    co_return *s;
}

template <class P>
auto storage_client<P>::wait_nodes(const hash256& root, upload_plan& plan, bool finalized, std::uint64_t tx_seq)
    -> asio::awaitable<result<void>> {
    const auto deadline = std::min(plan.deadline, until(o_.finality_timeout));
    // A node still behind after this long is swapped for a ready node of the same shard.
    const auto grace = std::min<std::chrono::milliseconds>(std::chrono::milliseconds(5000), o_.finality_timeout / 4);
    const auto started = now();
    std::vector<bool> ready(plan.selected.size(), false);
    std::string last;
    // Polling adapts to what it sees: 10 ms after the first miss, then ×1.5 up to poll_interval. A
    // node that syncs in 30 ms is seen then, not at the next fixed 250 ms tick; a slow network costs
    // a handful of extra status calls.
    std::chrono::nanoseconds delay = std::min<std::chrono::nanoseconds>(o_.poll_interval, std::chrono::milliseconds(10));
    auto is_ready = [&](const std::string& url) -> asio::awaitable<bool> {
        auto fi = co_await file_info_at(url, root, finalized, deadline);
        if (!fi) { last = fi.error().message(); co_return false; }
        co_return *fi && (!finalized || (*fi)->finalized);
    };
    for (;;) {
        bool all = true;
        for (std::size_t s = 0; s < plan.selected.size(); ++s) {
            if (ready[s]) continue;
            ready[s] = co_await is_ready(plan.at(s).url);
            if (!ready[s] && !finalized && now() - started > grace)
                if (auto alt = plan.alternate(s); alt && co_await is_ready(plan.all[*alt].url)) {
                    plan.failed[plan.selected[s]] = true;
                    plan.notes.push_back(redact_endpoint(plan.at(s).url) + " did not sync tx_seq " + std::to_string(tx_seq) + "; replaced");
                    plan.selected[s] = *alt;
                    ready[s] = true;
                }
            all = all && ready[s];
        }
        if (all) co_return result<void>();
        if (now() >= deadline) break;
        co_await detail::sleep_for(std::min<std::chrono::nanoseconds>(delay, deadline - now()));
        delay = std::min<std::chrono::nanoseconds>(o_.poll_interval, delay * 3 / 2);
    }
    std::string behind;
    for (std::size_t s = 0; s < plan.selected.size(); ++s)
        if (!ready[s]) behind += (behind.empty() ? "" : ", ") + redact_endpoint(plan.at(s).url);
    zerog::error e(errc::deadline_exceeded, std::string(finalized ? "root not finalized" : "tx_seq not synced") + " on " + behind +
                                                " within the deadline (finality timeout " + std::to_string(o_.finality_timeout.count()) + " ms)");
    e.with("root", to_hex(root)).with("tx_seq", std::to_string(tx_seq));
    if (!last.empty()) e.with("last_error", last);
    co_return e;
}

template <class P>
auto storage_client<P>::upload_segments(const storage::data_source& src, const storage::file_tree& tree, const file_info& info,
                                        upload_plan& plan) -> asio::awaitable<result<void>> {
    ZEROG_CO_TRY(const auto stree, storage::segment_tree::build(tree.segment_roots));
    std::vector<shard_config> shards;
    for (std::size_t s = 0; s < plan.selected.size(); ++s) shards.push_back(plan.at(s).shard);
    const std::uint64_t start_seg = info.start_entry / storage::segment_max_chunks;
    struct job {
        std::vector<storage_detail::upload_task> tasks;
        std::size_t next = 0;
        std::optional<zerog::error> failed;
    };
    auto jb = std::make_shared<job>();
    jb->tasks = storage_detail::plan_upload(shards, start_seg, tree.layout.segments, o_.segments_per_call);
    const std::string root_hex = to_hex(tree.root);

    auto run_task = [this, &src, &tree, &stree, &plan, &info, root_hex](storage_detail::upload_task t) -> asio::awaitable<result<void>> {
        json::array segs;
        std::uint64_t bytes_in = 0;
        for (std::uint64_t j : t.segments) {
            ZEROG_CO_TRY(const auto span, storage::data_segment(tree.layout, j));
            bytes buf(span.wire_bytes, 0);
            ZEROG_CO_CHECK(src.read_at(span.offset, std::span<byte>(buf.data(), span.data_bytes)));
            ZEROG_CO_TRY(const auto proof, stree.proof(j));
            json::object o;
            o["root"] = root_hex;
            o["data"] = base64_encode(buf);
            o["index"] = j;
            o["proof"] = storage::to_json(proof);
            o["fileSize"] = tree.layout.size;
            segs.push_back(std::move(o));
            bytes_in += span.data_bytes;
        }
        unsigned busy = 0;
        for (;;) {
            const std::string url = plan.at(t.node).url;
            json::array params;
            params.push_back(segs);
            params.emplace_back(info.seq);
            auto r = co_await rpc(url, "zgs_uploadSegmentsByTxSeq", std::move(params), plan.deadline);
            if (r || storage_detail::already_uploaded(r.error())) {
                plan.sent += bytes_in;
                report(storage_progress::phase::uploading, plan.sent, plan.total);
                co_return result<void>();
            }
            if (storage_detail::too_busy(r.error()) && ++busy < o_.busy_tries && now() + o_.busy_backoff < plan.deadline) {
                co_await detail::sleep_for(o_.busy_backoff);
                continue;
            }
            if (plan.at(t.node).url != url) continue;  // another worker already failed this node over
            auto alt = plan.alternate(t.node);
            if (!alt)
                co_return std::move(r).error().during("uploading segments of root " + root_hex).with("tx_seq", std::to_string(info.seq));
            plan.failed[plan.selected[t.node]] = true;
            plan.notes.push_back(redact_endpoint(url) + ": " + r.error().message() + "; failing over");
            plan.selected[t.node] = *alt;
            busy = 0;
            ZEROG_CO_CHECK(co_await wait_nodes(tree.root, plan, false, info.seq));
        }
    };
    auto worker = [jb, run_task](std::size_t) -> asio::awaitable<void> {
        while (!jb->failed && jb->next < jb->tasks.size()) {
            auto r = co_await run_task(jb->tasks[jb->next++]);
            if (!r && !jb->failed) jb->failed = std::move(r).error();
        }
    };
    if (co_await storage_detail::run_workers(std::min<std::size_t>(o_.parallel, jb->tasks.size()), worker))
        co_return zerog::error(errc::cancelled, "segment upload cancelled (the submission is recorded; a re-run resumes without paying again)");
    if (jb->failed) co_return std::move(*jb->failed);
    co_return result<void>();
}

}  // namespace zerog::client
