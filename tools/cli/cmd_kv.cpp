// `zerog kv get|put|ls`: raw 0G KV streams from the command line (client/kv_client.hpp).
//
//   kv get STREAM KEY [--version V] [--out F] [--profile P] [--json]
//       the whole value (slices pinned to one version); without --out and --json the bytes go to
//       stdout as they are. Exit 1 when the key has no live value.
//       → {"stream","key","version","size","found","value"(base64) | "out"}
//   kv put STREAM KEY (VALUE | --file F) [--expect-version V] [--profile P] [--json]
//       one paid batch (one upload, tagged with STREAM), then the node's verdict. Exit 0 only on
//       Commit; any other verdict is printed and exits 1 (the batch is paid and on chain).
//       --expect-version V: compare-and-set; VersionConfliction if KEY was written after seq V
//       (`kv get --json` prints a key's version).
//       → {"stream","key","txSeq","root","txHash","fee","result","committed"}
//   kv ls STREAM [--prefix P] [--limit N] [--profile P] [--json]
//       live keys in order, as of one snapshot (the node's replay position when the listing
//       starts), without fetching values. → {"version","keys":[{"key","version","size"}]}
// STREAM is 0x + 64 hex digits. KEY and P are UTF-8 text, or bytes when written 0x… (hex); keys
// print as text when they are printable UTF-8, else as 0x hex. The KV nodes come from the
// configuration (`kv`, ZEROG_KV_URLS; the devnet's with `devnet up --kv`).
#include "storage_session.hpp"

#include <zerog/client/kv_client.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>

namespace {

using namespace zerog;

client::kv_client_options kv_options(const config::configuration& cfg) {
    client::kv_client_options o;
    o.kv_urls = cfg.kv_urls.value;
    o.rpc_timeout = std::min(o.rpc_timeout, cfg.timeouts.rpc.value);
    o.read_timeout = cfg.timeouts.download.value;    // a whole value read, lag waits included
    o.result_timeout = cfg.timeouts.finality.value;  // a put's wait for the node's verdict
    return o;
}

result<void> need_kv_nodes(const config::configuration& cfg) {
    if (cfg.kv_urls.value.empty())
        return fail(errc::invalid_argument, "no KV node configured: set \"kv\" in the config file or ZEROG_KV_URLS (on the devnet: `zerog devnet up --kv`)");
    return {};
}

/// KEY / prefix: hex when written 0x…, else the UTF-8 text itself.
result<bytes> key_arg(const std::string& s) {
    if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        auto b = from_hex(s);
        if (!b) return fail(zerog::error(b.error()).during("reading a hex key"));
        return std::move(*b);
    }
    return bytes(s.begin(), s.end());
}

/// A key for people: the text when it is printable UTF-8 (kv::result_key_text's validity rule),
/// else 0x hex.
std::string key_text(const bytes& k) {
    bool printable = !k.empty() && kv::result_key_text(k) != "UNKNOWN";
    for (byte c : k)
        if (c < 0x20 || c == 0x7f) printable = false;
    return printable ? std::string(k.begin(), k.end()) : to_hex(k);
}

using cli::fail_with;  // {"error":{"command","message"}} with --json (cli.hpp)

int kv_get(const std::vector<std::string>& raw) {
    const cli::args a(raw, {"json"});
    if (!a.errors().empty()) return cli::usage_error("kv get", a.errors().front());
    if (auto u = a.unknown({"json", "profile", "version", "out"}); !u.empty()) return cli::usage_error("kv get", "unknown option " + u.front());
    if (a.positional().size() != 2) return cli::usage_error("kv get", "expected STREAM KEY");
    const bool js = a.has("json");
    auto stream = kv::parse_stream_id(a.positional()[0]);
    if (!stream) return cli::usage_error("kv get", stream.error().message());
    auto key = key_arg(a.positional()[1]);
    if (!key) return cli::usage_error("kv get", key.error().message());
    bool ok = true;
    const std::optional<std::uint64_t> version = a.unsigned_option("version", ok);
    if (!ok) return cli::usage_error("kv get", "--version takes an unsigned integer (a tx seq)");
    auto s = cli::open_storage_reader(a.get("profile"), config::environment::from_process());
    if (!s) return fail_with("kv get", s.error(), js);
    if (auto c = need_kv_nodes(s->cfg); !c) return fail_with("kv get", c.error(), js);
    client::kv_reader<zerog::storage_reader_policies> r(kv_options(s->cfg), s->client->policies());
    auto v = r.get_value(*stream, *key, version);
    if (!v) return fail_with("kv get", v.error(), js);
    const bool found = !v->data.empty();
    if (auto out = a.get("out"); out && found) {
        std::ofstream f(*out, std::ios::binary | std::ios::trunc);
        f.write(reinterpret_cast<const char*>(v->data.data()), static_cast<std::streamsize>(v->data.size()));
        if (!f) return fail_with("kv get", zerog::error(errc::io_error, "cannot write " + *out), js);
    }
    if (js) {
        boost::json::object o{{"stream", to_hex(*stream)}, {"key", key_text(*key)}, {"version", v->version}, {"size", v->data.size()}, {"found", found}};
        if (a.get("out")) o["out"] = *a.get("out");
        else o["value"] = base64_encode(v->data);
        std::printf("%s\n", boost::json::serialize(o).c_str());
    } else if (!found) {
        std::fprintf(stderr, "zerog kv get: %s has no value%s\n", key_text(*key).c_str(),
                     v->version ? (" (deleted at seq " + std::to_string(v->version) + ")").c_str() : "");
    } else if (!a.get("out")) {
        std::fwrite(v->data.data(), 1, v->data.size(), stdout);
    }
    return found ? 0 : 1;
}

int kv_put(const std::vector<std::string>& raw) {
    const cli::args a(raw, {"json"});
    if (!a.errors().empty()) return cli::usage_error("kv put", a.errors().front());
    if (auto u = a.unknown({"json", "profile", "file", "expect-version"}); !u.empty()) return cli::usage_error("kv put", "unknown option " + u.front());
    bool ok = true;
    const std::optional<std::uint64_t> expect = a.unsigned_option("expect-version", ok);
    if (!ok) return cli::usage_error("kv put", "--expect-version takes an unsigned integer (a tx seq)");
    const bool from_file = a.get("file").has_value();
    if (a.positional().size() != (from_file ? 2u : 3u)) return cli::usage_error("kv put", "expected STREAM KEY VALUE, or STREAM KEY --file F");
    const bool js = a.has("json");
    auto stream = kv::parse_stream_id(a.positional()[0]);
    if (!stream) return cli::usage_error("kv put", stream.error().message());
    auto key = key_arg(a.positional()[1]);
    if (!key) return cli::usage_error("kv put", key.error().message());
    if (key->empty()) return cli::usage_error("kv put", "KEY must not be empty");
    auto s = cli::open_storage_client(a.get("profile"), config::environment::from_process());
    if (!s) return fail_with("kv put", s.error(), js);
    if (auto c = need_kv_nodes(s->cfg); !c) return fail_with("kv put", c.error(), js);
    bytes value;
    if (from_file) {
        std::error_code ec;
        const auto size = std::filesystem::file_size(*a.get("file"), ec);
        if (ec) return fail_with("kv put", zerog::error(errc::not_found, "cannot read " + *a.get("file") + ": " + ec.message()), js);
        if (size > s->cfg.limits.max_file_size.value)
            return fail_with("kv put", zerog::error(errc::too_large, *a.get("file") + " is " + std::to_string(size) + " bytes, above limits.maxFileSize " +
                                                                      std::to_string(s->cfg.limits.max_file_size.value)), js);
        std::ifstream f(*a.get("file"), std::ios::binary);
        value.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
        if (!f.good() && !f.eof()) return fail_with("kv put", zerog::error(errc::io_error, "cannot read " + *a.get("file")), js);
    } else {
        value.assign(a.positional()[2].begin(), a.positional()[2].end());
    }
    if (value.empty()) return cli::usage_error("kv put", "an empty value would delete the key; not written");
    kv::batch b;
    b.writes.push_back({*stream, *key, std::move(value)});
    if (expect) {  // compare-and-set: KEY must not have been written after seq V (a read set, §5.2)
        client::kv_read_set rs;
        rs.version = *expect;
        rs.add(*stream, *key);
        rs.apply_to(b);
    }
    client::kv_client<zerog::storage_policies> c(kv_options(s->cfg), *s->client);
    auto r = c.put(std::move(b));
    if (!r) return fail_with("kv put", r.error(), js);
    const std::string verdict = kv::to_result_string(r->outcome);
    if (js) {
        boost::json::object o{{"stream", to_hex(*stream)}, {"key", key_text(*key)}, {"txSeq", r->tx_seq}, {"root", to_hex(r->root)},
                              {"txHash", r->tx_hash}, {"fee", r->fee.to_decimal()}, {"result", verdict}, {"committed", r->committed()}};
        std::printf("%s\n", boost::json::serialize(o).c_str());
    } else {
        std::printf("tx_seq: %llu\nroot:   %s\ntx:     %s\nfee:    %s wei\nresult: %s\n", static_cast<unsigned long long>(r->tx_seq),
                    to_hex(r->root).c_str(), r->tx_hash.c_str(), r->fee.to_decimal().c_str(), verdict.c_str());
    }
    return r->committed() ? 0 : 1;
}

int kv_ls(const std::vector<std::string>& raw) {
    const cli::args a(raw, {"json"});
    if (!a.errors().empty()) return cli::usage_error("kv ls", a.errors().front());
    if (auto u = a.unknown({"json", "profile", "prefix", "limit"}); !u.empty()) return cli::usage_error("kv ls", "unknown option " + u.front());
    if (a.positional().size() != 1) return cli::usage_error("kv ls", "expected STREAM");
    const bool js = a.has("json");
    auto stream = kv::parse_stream_id(a.positional()[0]);
    if (!stream) return cli::usage_error("kv ls", stream.error().message());
    bytes prefix;
    if (auto p = a.get("prefix")) {
        auto k = key_arg(*p);
        if (!k) return cli::usage_error("kv ls", k.error().message());
        prefix = std::move(*k);
    }
    bool ok = true;
    const std::size_t limit = a.unsigned_option("limit", ok, 1, 1'000'000).value_or(1000);
    if (!ok) return cli::usage_error("kv ls", "--limit takes 1..1000000");
    auto s = cli::open_storage_reader(a.get("profile"), config::environment::from_process());
    if (!s) return fail_with("kv ls", s.error(), js);
    if (auto c = need_kv_nodes(s->cfg); !c) return fail_with("kv ls", c.error(), js);
    client::kv_reader<zerog::storage_reader_policies> r(kv_options(s->cfg), s->client->policies());
    struct listing {
        std::uint64_t version = 0;
        std::vector<client::kv_key_info> keys;
        bool more = false;
    };
    auto run = [&]() -> boost::asio::awaitable<result<listing>> {
        listing out;
        ZEROG_CO_TRY(const client::kv_progress pr, co_await r.progress_async());
        if (pr.applied_seq == 0) co_return out;  // nothing replayed yet: an empty stream
        out.version = pr.applied_seq - 1;
        // Not a conditional expression: GCC 12 miscompiles co_await inside `?:`.
        result<std::optional<client::kv_key_info>> k = std::optional<client::kv_key_info>();
        if (prefix.empty()) k = co_await r.first_key_async(*stream, out.version);
        else k = co_await r.next_key_async(*stream, prefix, true, out.version);
        for (;;) {
            if (!k) co_return std::move(k).error();
            if (!*k) break;
            const bytes& key = (*k)->key;
            if (key.size() < prefix.size() || !std::equal(prefix.begin(), prefix.end(), key.begin())) break;
            if (out.keys.size() == limit) {
                out.more = true;
                break;
            }
            out.keys.push_back(**k);
            k = co_await r.next_key_async(*stream, out.keys.back().key, false, out.version);
        }
        co_return out;
    };
    net::blocking_runner runner;
    auto l = runner.run(run());
    if (!l) return fail_with("kv ls", l.error(), js);
    if (js) {
        boost::json::array ks;
        for (const auto& k : l->keys) ks.push_back(boost::json::object{{"key", key_text(k.key)}, {"version", k.version}, {"size", k.size}});
        std::printf("%s\n", boost::json::serialize(boost::json::object{{"version", l->version}, {"keys", std::move(ks)}, {"more", l->more}}).c_str());
    } else {
        for (const auto& k : l->keys)
            std::printf("%-40s  seq %-8llu %llu bytes\n", key_text(k.key).c_str(), static_cast<unsigned long long>(k.version),
                        static_cast<unsigned long long>(k.size));
        if (l->more) std::printf("(more keys: raise --limit)\n");
    }
    return 0;
}

}  // namespace

ZEROG_COMMAND(reg_kv_get, "kv get", "kv get STREAM KEY [--version V] [--out F] [--profile P] [--json]   (KEY: text, or 0x… bytes)", kv_get);
ZEROG_COMMAND(reg_kv_put, "kv put", "kv put STREAM KEY (VALUE | --file F) [--expect-version V] [--profile P] [--json]   (one paid batch; exit 0 only on Commit)", kv_put);
ZEROG_COMMAND(reg_kv_ls, "kv ls", "kv ls STREAM [--prefix P] [--limit N] [--profile P] [--json]   (keys as of one snapshot)", kv_ls);
