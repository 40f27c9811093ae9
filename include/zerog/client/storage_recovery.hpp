// storage_client recovery (included by storage_client.hpp): the two operations that bring back
// what was paid for when something was lost, neither of which ever pays.
//
//   repair_async(root, path)   a node lost the data (wiped disk, replaced machine) but the Submit
//       is on chain: the nodes that have synced the transaction and are not finalized get the
//       segments of their shard again from the local file, under the tx_seq the chain gave it. No
//       transaction is built, so none can be signed; the nodes accept the segments because the
//       submission is already paid. Steps: the file must hash to ROOT (per fragment) → the
//       nodes' view of ROOT (a node still re-syncing the log is waited for, bounded) → the tx_seq
//       must agree with our record → segments to every node that lacks them → finality →
//       sampled segments of each repaired node verified with proofs → the record says finalized.
//       What it cannot do: a node that holds the file finalized but serves bad bytes (`audit`
//       says "corrupt") refuses new segments ("already uploaded and finalized"); that node's
//       operator must drop the file, then repair re-sends it.
//   rebuild_records_async(opt)   the database is lost: every Submit event of the Flow sent by the
//       account (topic1 = submitter) is read with eth_getLogs in bounded block ranges (halved when
//       the node refuses a range), decoded (storage/submit_event.hpp: tx_seq, size, root folded
//       from the node roots), checked against the nodes (zgs_getFileInfoByTxSeq must name the same
//       root and size; finalized or not), priced (sectors × the market's pricePerSector at the
//       event's block; a node without that state leaves the fee 0 with a note) and dated (block
//       timestamp); then merged into the Persistence model: a missing record is added, an existing
//       one gains what it lacks (tx hash, tx_seq, state) and keeps everything else.
//
// Both run under the client's deadlines (upload_timeout, finality_timeout, download_timeout) and
// the policy pipeline, like every other operation.
#pragma once

#include <zerog/client/storage_client.hpp>
#include <zerog/core/error_class.hpp>
#include <zerog/storage/data_source.hpp>
#include <zerog/storage/fragments.hpp>
#include <zerog/storage/submit_event.hpp>

#include <map>

namespace zerog::client {

template <class P>
auto storage_client<P>::repair_impl(hash256 root, std::string path, repair_options opt) -> asio::awaitable<result<repair_result>> {
    upload_plan plan;
    plan.deadline = until(o_.upload_timeout);
    plan.verify = opt.verify;
    const std::string during = "repairing root " + to_hex(root) + " from " + path;
    auto slot = p_.concurrency.try_enter(policy::limit_key{o_.user, operation_key});
    if (!slot) co_return std::move(slot).error().during(during);
    ZEROG_CO_TRY(auto src, open_checked(path, during));
    ZEROG_CO_TRY(const std::uint64_t frag_size, storage::normalize_fragment_size(o_.fragment_size));
    ZEROG_CO_TRY(const auto frags, storage::plan_fragments(src.size(), frag_size));
    plan.total = src.size();
    plan.file_name = std::filesystem::path(path).filename().string();
    {
        std::error_code ec;
        const auto abs = std::filesystem::absolute(path, ec);
        plan.local_path = ec ? path : abs.lexically_normal().string();
    }
    // Which fragments: ROOT may name the whole file by its first fragment (what `upload` reports)
    // or one fragment. Everything is hashed before any node is asked anything.
    std::vector<std::pair<storage::fragment, storage::file_tree>> trees, todo;
    for (const auto& f : frags) {
        ZEROG_CO_TRY(const auto slice, storage::slice_source::of(src, f.offset, f.size));
        storage::file_tree_options to;
        to.threads = o_.hash_threads;
        report(storage_progress::phase::hashing, f.offset, src.size());
        ZEROG_CO_TRY(storage::file_tree tree, storage::compute_file_tree(slice, to));
        trees.emplace_back(f, std::move(tree));
    }
    report(storage_progress::phase::hashing, src.size(), src.size());
    const std::string hashed = to_hex(trees.front().second.root);
    if (trees.front().second.root == root) todo = std::move(trees);
    else
        for (auto& t : trees)
            if (t.second.root == root) todo.push_back(std::move(t));
    if (todo.empty())
        co_return zerog::error(errc::root_mismatch, path + " hashes to " + hashed + (frags.size() > 1 ? " (first fragment)" : "") +
                                                        ", not to the root to repair; nothing was sent")
            .during(during);

    std::optional<crypto::address> flow = o_.flow;
    ZEROG_CO_TRY(plan.all, co_await discover(plan.deadline, flow, plan.notes));
    if (plan.all.empty() || !flow)
        co_return with_notes(zerog::error(errc::connection_failed, "no storage node answered for chain " + std::to_string(o_.chain_id)), plan.notes)
            .during(during);
    plan.flow = *flow;
    plan.network = network_key(*flow);

    repair_result whole;
    for (auto& item : todo) {
        const storage::fragment& f = item.first;
        ZEROG_CO_TRY(const auto slice, storage::slice_source::of(src, f.offset, f.size));
        auto r = co_await repair_one(slice, std::move(item.second), plan);
        if (!r) {
            zerog::error e = std::move(r).error();
            if (frags.size() > 1) e.with("fragment", std::to_string(f.index));
            co_return std::move(e).during(during);
        }
        if (todo.size() == 1) co_return std::move(*r);
        if (whole.fragments.empty()) {
            whole.root = r->root;
            whole.tx_seq = r->tx_seq;
        }
        whole.segments_sent += r->segments_sent;
        whole.fragments.push_back(std::move(*r));
    }
    whole.verified = std::all_of(whole.fragments.begin(), whole.fragments.end(), [](const repair_result& x) { return x.verified; });
    co_return whole;
}

template <class P>
auto storage_client<P>::repair_one(const storage::data_source& src, storage::file_tree tree, upload_plan& plan)
    -> asio::awaitable<result<repair_result>> {
    const hash256 root = tree.root;
    repair_result out;
    out.root = root;
    // Our record, if any: the tx_seq the chain gave this root when we paid.
    ZEROG_CO_TRY(auto rec, co_await persist(p_, "persistence.find_submission", [&] { return p_.persistence.find_submission(root, plan.network); }));
    std::optional<std::uint64_t> seq = rec ? rec->tx_seq : std::nullopt;

    // The nodes' view. A node that has not synced the Submit yet (a wiped node re-reads the log
    // from the start) is asked again, for a bounded time, once the tx_seq is known.
    std::vector<std::optional<file_info>> seen(plan.all.size());
    std::vector<bool> answered(plan.all.size(), false), noted(plan.all.size(), false);
    const auto sync_until = std::min(plan.deadline, until(std::min<std::chrono::milliseconds>(o_.finality_timeout / 2, std::chrono::seconds(30))));
    std::chrono::nanoseconds delay = std::min<std::chrono::nanoseconds>(o_.poll_interval, std::chrono::milliseconds(10));
    for (;;) {
        bool waiting = false;
        for (std::size_t i = 0; i < plan.all.size(); ++i) {
            if (seen[i]) continue;
            auto fi = co_await file_info_at(plan.all[i].url, root, false, plan.deadline);
            if (!fi) {
                if (!noted[i]) plan.notes.push_back(fi.error().message());  // once per node, not once per poll
                noted[i] = true;
                answered[i] = false;
                continue;
            }
            answered[i] = true;
            if (*fi) seen[i] = **fi;
            else waiting = true;
        }
        if (!seq)
            for (const auto& s : seen)
                if (s) { seq = s->seq; break; }
        if (!waiting || !seq || now() >= sync_until) break;
        co_await detail::sleep_for(std::min<std::chrono::nanoseconds>(delay, sync_until - now()));
        delay = std::min<std::chrono::nanoseconds>(o_.poll_interval, delay * 3 / 2);
    }
    if (!seq)
        co_return with_notes(zerog::error(errc::not_found, "no node knows a Submit of root " + to_hex(root) +
                                                               " and no record names its tx_seq; repair never pays: if the file was "
                                                               "never paid for, upload it"),
                             plan.notes);
    out.tx_seq = *seq;

    std::vector<std::size_t> targets;
    std::optional<file_info> placement;
    for (std::size_t i = 0; i < plan.all.size(); ++i) {
        const std::string where = redact_endpoint(plan.all[i].url);
        if (!seen[i]) {
            if (answered[i]) out.notes.push_back(where + " has not synced tx_seq " + std::to_string(*seq) + " yet; left out");
            continue;
        }
        if (seen[i]->seq != *seq || seen[i]->size != tree.layout.size) {
            out.notes.push_back(where + " reports tx_seq " + std::to_string(seen[i]->seq) + " / " + std::to_string(seen[i]->size) +
                                " bytes for this root, expected " + std::to_string(*seq) + " / " + std::to_string(tree.layout.size) + "; left out");
            continue;
        }
        if (seen[i]->finalized) {
            out.already_final.push_back(plan.all[i].url);
        } else {
            targets.push_back(i);
            if (!placement) placement = seen[i];
        }
    }
    for (auto& n : plan.notes) out.notes.push_back(std::move(n));
    plan.notes.clear();
    if (targets.empty() && out.already_final.empty())
        co_return zerog::error(errc::not_found, "no reachable node has synced tx_seq " + std::to_string(*seq) + " of root " + to_hex(root) +
                                                    "; nothing to repair yet");

    if (!targets.empty()) {
        // Bytes and a request against the budget, never spend: nothing is paid.
        policy::budget_hold hold;
        if (budget_) { ZEROG_CO_TRY(hold, reserve_budget(root, std::nullopt, tree.layout.size)); }
        plan.selected = targets;
        plan.failed.assign(plan.all.size(), false);
        for (std::size_t i = 0; i < plan.all.size(); ++i)  // no failover: each target is repaired or the repair fails
            plan.failed[i] = std::find(targets.begin(), targets.end(), i) == targets.end();
        stage("repair.segments", root, std::to_string(targets.size()) + " node(s) lack the data of tx_seq " + std::to_string(*seq));
        ZEROG_CO_CHECK(co_await upload_segments(src, tree, *placement, plan));
        stage("repair.finality", root, "waiting for the repaired nodes to finalize");
        ZEROG_CO_CHECK(co_await wait_nodes(root, plan, true, *seq));
        hold.commit(policy::budget_kind::bytes_uploaded);
        hold.commit(policy::budget_kind::requests);
        for (std::size_t s = 0; s < plan.selected.size(); ++s) out.repaired.push_back(plan.at(s).url);
        const std::uint64_t start_seg = placement->start_entry / storage::segment_max_chunks;
        for (std::size_t s = 0; s < plan.selected.size(); ++s)
            for (std::uint64_t j = 0; j < tree.layout.segments; ++j) out.segments_sent += plan.at(s).shard.holds(start_seg + j) ? 1 : 0;
        for (auto& n : plan.notes) out.notes.push_back(std::move(n));
        plan.notes.clear();

        if (plan.verify) {
            stage("repair.verify", root, std::to_string(std::max(1u, o_.verify_samples)) + " sampled segment(s) per repaired node");
            located_file loc;
            loc.layout = tree.layout;
            loc.info = *placement;
            loc.info.finalized = true;
            for (std::size_t s = 0; s < plan.selected.size(); ++s) loc.nodes.push_back(plan.at(s));
            std::vector<std::string> bad;
            auto ok = co_await check_samples(root, loc, std::max(1u, o_.verify_samples), bad, plan.deadline);
            if (!ok) co_return std::move(ok).error().during("verifying the repaired nodes of root " + to_hex(root));
            out.verified = true;
        }
    } else {
        plan.sent += tree.layout.size;
        report(storage_progress::phase::uploading, plan.sent, plan.total);
    }
    stage("repair.done", root, std::to_string(out.repaired.size()) + " node(s) repaired, " + std::to_string(out.already_final.size()) +
                                   " already held it");

    // The record says what is true now; a file paid by someone else gets a record like an upload
    // that found it on the nodes.
    policy::submission_record r = rec ? *rec : new_record(tree, plan);
    r.tx_seq = *seq;
    if (!out.repaired.empty() || !out.already_final.empty()) r.status = policy::submission_record::state::finalized;
    r.last_error.clear();
    r.updated_unix_ms = wall_ms();
    if (r.file_name.empty()) r.file_name = plan.file_name;
    if (r.local_path.empty()) r.local_path = plan.local_path;
    auto put = co_await persist(p_, "persistence.put_submission", [&] { return p_.persistence.put_submission(r); });
    if (!put) co_return std::move(put).error().during("recording the repair of root " + to_hex(root) + " (the nodes are repaired)");
    co_return out;
}

template <class P>
auto storage_client<P>::latest_block_async(steady_time deadline) -> asio::awaitable<result<std::uint64_t>> {
    if (!sender_) co_return zerog::error(errc::invalid_argument, "no EVM RPC URL configured");
    auto& eth = sender_->client();
    const std::string endpoint = redact_endpoint(eth.url());
    co_return co_await guarded_call(p_, call_context{"eth_blockNumber", endpoint, o_.user, deadline},
                                    [&]() { return eth.block_number_async(eth.options_until(deadline)); });
}

template <class P>
auto storage_client<P>::submit_logs_async(crypto::address flow, crypto::address account, std::uint64_t from_block, std::uint64_t to_block,
                                          std::uint64_t blocks_per_query, std::size_t max_events, steady_time deadline)
    -> asio::awaitable<result<std::vector<chain::log_entry>>> {
    if (!sender_) co_return zerog::error(errc::invalid_argument, "no EVM RPC URL configured");
    auto& eth = sender_->client();
    const std::string endpoint = redact_endpoint(eth.url());  // call_context holds views
    std::vector<chain::log_entry> logs;
    std::uint64_t step = std::max<std::uint64_t>(1, blocks_per_query);
    for (std::uint64_t b = from_block; b <= to_block;) {
        const std::uint64_t e = std::min(to_block, b + (step - 1));
        chain::log_filter f;
        f.from_block = chain::block_tag::number(b);
        f.to_block = chain::block_tag::number(e);
        f.addresses = {flow};
        f.topics = {std::vector<hash256>{storage::submit_event_topic0()}, std::vector<hash256>{storage::address_topic(account)}};
        auto got = co_await guarded_call(p_, call_context{"eth_getLogs", endpoint, o_.user, deadline},
                                         [&]() { return eth.get_logs_async(f, eth.options_until(deadline)); });
        if (!got) {
            // Providers cap the range or the result count ("query returned more than 10000 results",
            // "block range is too wide"): a smaller range, down to one block.
            const std::string why = got.error().message();
            const bool too_much = why.find("range") != std::string::npos || why.find("results") != std::string::npos ||
                                  why.find("limit") != std::string::npos || why.find("too many") != std::string::npos ||
                                  why.find("exceed") != std::string::npos;
            if (step > 1 && (too_much || !zerog::is_resumable(got.error())) && now() < deadline) {
                step = std::max<std::uint64_t>(1, step / 2);
                continue;
            }
            co_return std::move(got).error().with("blocks", std::to_string(b) + ".." + std::to_string(e))
                .with("resume", "run again with --from-block " + std::to_string(b));
        }
        for (auto& l : *got)
            if (!l.removed) logs.push_back(std::move(l));
        if (logs.size() > max_events)
            co_return zerog::error(errc::too_large, "more than " + std::to_string(max_events) + " Submit events up to block " +
                                                        std::to_string(e) + "; scan in parts with --from-block");
        if (e == to_block) break;
        b = e + 1;
    }
    co_return logs;
}

template <class P>
auto storage_client<P>::rebuild_records_impl(rebuild_options opt) -> asio::awaitable<result<rebuild_result>> {
    using state = policy::submission_record::state;
    const auto deadline = until(o_.download_timeout);
    rebuild_result out;
    if (!sender_) co_return zerog::error(errc::invalid_argument, "no EVM RPC URL configured").during("rebuilding records from the chain");
    const crypto::address account = opt.account ? *opt.account : p_.signer.address();
    if (account.is_zero())
        co_return zerog::error(errc::invalid_argument, "no account to look for: give one (--account) or configure a key")
            .during("rebuilding records from the chain");
    const std::string during = "rebuilding the records of " + account.to_checksum_hex() + " from the chain";
    auto& eth = sender_->client();
    const std::string chain_endpoint = redact_endpoint(eth.url());  // call_context holds views
    // `method` is always a literal: the context (views) outlives this lambda in the coroutine.
    auto guarded = [&](std::string_view method, auto call) {
        return guarded_call(p_, call_context{method, chain_endpoint, o_.user, deadline}, std::move(call));
    };

    std::vector<std::string> notes;
    std::optional<crypto::address> flow = o_.flow;
    std::vector<storage_node> nodes;
    {
        auto d = co_await discover(deadline, flow, notes);
        if (d) nodes = std::move(*d);
        else notes.push_back(d.error().message());
    }
    if (!flow) co_return with_notes(zerog::error(errc::invalid_argument, "the Flow contract is unknown: set contracts.flow or a reachable node"), notes)
        .during(during);
    const std::string network = network_key(*flow);

    ZEROG_CO_TRY(const std::uint64_t latest, co_await latest_block_async(deadline));
    out.from_block = opt.from_block;
    out.to_block = std::min(opt.to_block.value_or(latest), latest);
    if (out.from_block > out.to_block)
        co_return zerog::error(errc::invalid_argument, "--from-block " + std::to_string(out.from_block) + " is after the last block " +
                                                           std::to_string(out.to_block))
            .during(during);

    // 1. the events, in ranges the node accepts
    auto scanned = co_await submit_logs_async(*flow, account, out.from_block, out.to_block, opt.blocks_per_query, opt.max_events, deadline);
    if (!scanned) co_return std::move(scanned).error().during(during);
    const std::vector<chain::log_entry> logs = std::move(*scanned);

    // 2. each event: decoded, checked on the nodes, priced, dated
    std::optional<crypto::address> market = o_.market;
    std::map<std::uint64_t, std::optional<uint256>> price_at;
    std::map<std::uint64_t, std::int64_t> time_at;
    for (const auto& l : logs) {
        auto ev = storage::decode_submit_event(l.data);
        if (!ev) {
            out.notes.push_back("tx " + to_hex(l.transaction_hash) + ": " + ev.error().message());
            continue;
        }
        policy::submission_record r;
        r.root = ev->root;
        r.network = network;
        r.account = account.to_checksum_hex();
        r.tx_hash = to_hex(l.transaction_hash);
        r.tx_seq = ev->tx_seq;
        r.size = ev->size;
        r.status = state::mined;
        r.replicas = o_.replicas;
        for (const auto& n : nodes) {
            json::array params;
            params.emplace_back(ev->tx_seq);
            auto v = co_await rpc(n.url, "zgs_getFileInfoByTxSeq", std::move(params), deadline);
            if (!v) { out.notes.push_back(v.error().message()); continue; }
            auto fi = storage_detail::parse_file_info(*v);
            if (!fi || !*fi) continue;
            if ((*fi)->root != ev->root || (*fi)->size != ev->size) {
                out.notes.push_back(redact_endpoint(n.url) + " names root " + to_hex((*fi)->root) + " / " + std::to_string((*fi)->size) +
                                    " bytes for tx_seq " + std::to_string(ev->tx_seq) + "; the chain says " + to_hex(ev->root) + " / " +
                                    std::to_string(ev->size));
                continue;
            }
            if ((*fi)->finalized) r.status = state::finalized;
        }
        // Fee: the sectors at the market price of the event's block (the state the payment saw).
        const bool priced_before = price_at.contains(l.block_number);
        auto& price = price_at[l.block_number];
        if (!priced_before) {
            if (!market) {
                ZEROG_CO_TRY(const bytes sel, codec::abi::encode_call("market()"));
                chain::call_request c;
                c.to = *flow;
                c.data = sel;
                auto m = co_await guarded("eth_call", [&]() { return eth.call_async(c, chain::block_tag::latest(), eth.options_until(deadline)); });
                if (m)
                    if (auto a = codec::abi::decode_as<crypto::address>("address", *m)) market = *a;
            }
            if (market) {
                ZEROG_CO_TRY(const bytes psel, codec::abi::encode_call("pricePerSector()"));
                chain::call_request c;
                c.to = *market;
                c.data = psel;
                auto pr = co_await guarded("eth_call", [&]() { return eth.call_async(c, chain::block_tag::number(l.block_number), eth.options_until(deadline)); });
                if (pr)
                    if (auto pv = codec::abi::decode_as<uint256>("uint256", *pr)) price = *pv;
            }
        }
        if (price) {
            if (auto fee = policy::estimate_storage_fee(ev->sectors, *price)) r.fee = *fee;
        } else {
            out.notes.push_back("tx_seq " + std::to_string(ev->tx_seq) + ": the market price at block " + std::to_string(l.block_number) +
                                " is not readable; fee left 0");
        }
        if (!time_at.contains(l.block_number)) {
            auto h = co_await guarded("eth_getBlockByNumber",
                                      [&]() { return eth.get_block_header_async(chain::block_tag::number(l.block_number), eth.options_until(deadline)); });
            time_at[l.block_number] = h && *h ? static_cast<std::int64_t>((*h)->timestamp) * 1000 : wall_ms();
        }
        r.created_unix_ms = time_at[l.block_number];
        r.updated_unix_ms = wall_ms();
        if (o_.retention.count() > 0) r.expires_unix_ms = wall_ms() + o_.retention.count();

        // 3. merged: what the database knows stays; what it lacks comes from the chain.
        ZEROG_CO_TRY(auto cur, co_await persist(p_, "persistence.find_submission", [&] { return p_.persistence.find_submission(r.root, network); }));
        if (!cur) {
            ZEROG_CO_CHECK(co_await persist(p_, "persistence.put_submission", [&] { return p_.persistence.put_submission(r); }));
            ++out.added;
            out.records.push_back(std::move(r));
            continue;
        }
        policy::submission_record m = *cur;
        if (m.tx_hash.empty()) m.tx_hash = r.tx_hash;
        if (!m.tx_seq) m.tx_seq = r.tx_seq;
        if (m.account.empty()) m.account = r.account;
        if (m.fee.is_zero()) m.fee = r.fee;
        if (m.size == 0) m.size = r.size;
        if (m.status == state::intent || m.status == state::sent || m.status == state::failed ||
            (m.status == state::mined && r.status == state::finalized))
            m.status = r.status;
        if (m == *cur) {
            ++out.unchanged;
            out.records.push_back(std::move(m));
            continue;
        }
        m.updated_unix_ms = wall_ms();
        ZEROG_CO_CHECK(co_await persist(p_, "persistence.put_submission", [&] { return p_.persistence.put_submission(m); }));
        ++out.updated;
        out.records.push_back(std::move(m));
    }
    for (auto& n : notes) out.notes.push_back(std::move(n));
    co_return out;
}

}  // namespace zerog::client
