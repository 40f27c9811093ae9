// `zerog ns …`: namespaces on 0G KV (client/namespace_client.hpp; format in kv/namespace.hpp).
//
//   ns create NAME [--meta k=v]... [--stream 0x…]   a new stream; this account is its admin
//   ns list                                         the local registry
//   ns show NS | ns members NS                      the namespace as the KV node has replayed it
//   ns join 0x<stream> [--as NAME] [--admin 0x…]    add a namespace created elsewhere (checked first)
//   ns grant NS MEMBER --role reader|writer|admin [--from-tx 0x<hash>]
//   ns revoke NS MEMBER                             removes the member and rotates the data key
//   ns delete NS                                    tombstone, writers revoked, local entry removed
//   ns rebuild [--from-block N]                     the registry back from this account's KV batches on chain
//   ns put NS FILE [--as PATH] | ns get NS PATH --out FILE | ns ls NS [--prefix P] | ns rm NS PATH
// Every command takes --profile P and --json. NS is a registry name or a stream id (0x + 64 hex).
// MEMBER is a public key (0x + 66 or 130 hex digits; `zerog account` prints it) or an address,
// whose public key is recovered from a transaction it sent (a reader's data key is wrapped to
// it): --from-tx HASH, else its latest upload or KV batch in the last 100,000 blocks; none found
// is an error that says what to pass.
// Commands that only read (list, show, members, ls) load no key; the others load the account's.
#include "storage_session.hpp"

#include <zerog/client/namespace_client.hpp>

#include <cstdio>

namespace {

using namespace zerog;
namespace js = boost::json;

using signing_ns = client::namespace_client<zerog::storage_policies>;
using keyless_ns = client::namespace_client<zerog::storage_maintainer_policies>;

client::namespace_options ns_options(const config::configuration& cfg) {
    client::namespace_options o;
    o.kv.kv_urls = cfg.kv_urls.value;
    o.kv.rpc_timeout = std::min(o.kv.rpc_timeout, cfg.timeouts.rpc.value);
    o.kv.read_timeout = cfg.timeouts.download.value;
    o.kv.result_timeout = cfg.timeouts.finality.value;
    return o;
}

result<void> need_kv_nodes(const config::configuration& cfg) {
    if (cfg.kv_urls.value.empty())
        return fail(errc::invalid_argument, "no KV node configured: set \"kv\" in the config file or ZEROG_KV_URLS (on the devnet: `zerog devnet up --kv`)");
    return {};
}

using cli::fail_with;  // {"error":{"command","message"}} with --json (cli.hpp)

void print_json(const js::value& v) { std::printf("%s\n", js::serialize(v).c_str()); }

/// A signing storage client plus the namespace client over it, holding its own copy of the key
/// (wiped memory) for unwrapping data keys.
struct signing_session {
    cli::session<zerog::storage_client> storage;
    crypto::private_key key;
    std::unique_ptr<signing_ns> ns;
};
result<std::unique_ptr<signing_session>> open_signing(const std::optional<std::string>& profile) {
    const auto env = config::environment::from_process();
    ZEROG_TRY(config::configuration cfg, cli::load_config(profile, env));
    ZEROG_CHECK(need_kv_nodes(cfg));
    ZEROG_TRY(crypto::private_key key, cli::signing_key(cfg, env));
    ZEROG_TRY(crypto::private_key mine, crypto::private_key::from_bytes(key.unsafe_bytes()));
    ZEROG_TRY(store::database db, cli::open_database(cfg, env));
    auto s = std::unique_ptr<signing_session>(new signing_session{{}, std::move(mine), nullptr});
    s->storage.client = std::make_unique<zerog::storage_client>(client::storage_client_options::from_config(cfg), [&] {
        return zerog::make_storage_policies(crypto::secp256k1_signer(std::move(key)), std::move(db), cli::production_settings());
    });
    s->storage.cfg = std::move(cfg);
    s->ns = std::make_unique<signing_ns>(ns_options(s->storage.cfg), *s->storage.client, &s->key);
    return s;
}

/// Key-less: reads the KV node and the registry, cannot pay or decrypt.
struct keyless_session {
    cli::session<zerog::storage_maintainer> storage;
    std::unique_ptr<keyless_ns> ns;
};
result<std::unique_ptr<keyless_session>> open_keyless(const std::optional<std::string>& profile) {
    ZEROG_TRY(auto st, cli::open_storage_maintainer(profile, config::environment::from_process()));
    ZEROG_CHECK(need_kv_nodes(st.cfg));
    auto s = std::make_unique<keyless_session>();
    s->storage = std::move(st);
    s->ns = std::make_unique<keyless_ns>(ns_options(s->storage.cfg), *s->storage.client, nullptr);
    return s;
}

js::object member_json(const kv::ns::member_record& m) {
    return js::object{{"address", m.address.to_checksum_hex()}, {"role", kv::ns::role_name(m.member_role)}, {"publicKey", to_hex(m.public_key)},
                      {"added", m.added}};
}

js::object file_json(const kv::ns::file_record& f) {
    return js::object{{"path", f.path}, {"root", to_hex(f.root)}, {"size", f.size}, {"epoch", f.epoch}, {"txSeq", f.tx_seq},
                      {"by", f.by.to_checksum_hex()}, {"at", f.at}, {"version", f.version}};
}

js::object view_json(const client::namespace_view& v) {
    js::object meta;
    for (const auto& [k, val] : v.metadata.meta) meta[k] = val;
    js::array members, notes;
    for (const auto& m : v.members) members.push_back(member_json(m));
    for (const auto& n : v.notes) notes.push_back(js::value(n));
    js::object o{{"stream", to_hex(v.stream)},     {"name", v.metadata.name},     {"admin", v.metadata.admin.to_checksum_hex()},
                 {"created", v.metadata.created},  {"meta", std::move(meta)},     {"epoch", v.epoch},
                 {"version", v.version},           {"deleted", v.deleted.has_value()}, {"members", std::move(members)},
                 {"notes", std::move(notes)}};
    if (v.registry) {
        o["localName"] = v.registry->name;
        o["role"] = v.registry->role;
    }
    return o;
}

js::object write_json(const client::namespace_write& w) {
    js::object o{{"stream", to_hex(w.stream)}, {"epoch", w.epoch}, {"skipped", w.skipped}};
    if (!w.skipped) {
        o["txSeq"] = w.batch.tx_seq;
        o["txHash"] = w.batch.tx_hash;
        o["fee"] = w.batch.fee.to_decimal();
        o["result"] = kv::to_result_string(w.batch.outcome);
    }
    if (w.upload) {
        o["root"] = to_hex(w.upload->root);
        o["fileTxSeq"] = w.upload->tx_seq;
        o["fileFee"] = w.upload->fee.to_decimal();
        o["fileSubmitted"] = w.upload->submitted;  // false: the file was already paid (a re-run)
        o["verified"] = w.upload->verified;
    }
    js::array notes;
    for (const auto& n : w.notes) notes.push_back(js::value(n));
    o["notes"] = std::move(notes);
    return o;
}

void print_write(const char* what, const client::namespace_write& w) {
    std::printf("%s\nstream: %s\n", what, to_hex(w.stream).c_str());
    if (w.skipped) std::printf("entry:  already recorded (nothing paid)\n");
    else
        std::printf("tx_seq: %llu\ntx:     %s\nfee:    %s wei\nresult: %s\n", static_cast<unsigned long long>(w.batch.tx_seq), w.batch.tx_hash.c_str(),
                    w.batch.fee.to_decimal().c_str(), kv::to_result_string(w.batch.outcome).c_str());
    if (w.upload)
        std::printf("root:   %s\nfile tx_seq: %llu\nfile fee: %s wei\n", to_hex(w.upload->root).c_str(), static_cast<unsigned long long>(w.upload->tx_seq),
                    w.upload->fee.to_decimal().c_str());
    for (const auto& n : w.notes) std::printf("note:   %s\n", n.c_str());
}

/// Parse a command line; on error, the exit code.
struct parsed {
    cli::args a;
    bool json_out;
    std::optional<int> exit;
};
parsed parse(const std::vector<std::string>& raw, std::string_view cmd, std::vector<std::string> known, std::size_t positional,
             const char* expected) {
    parsed p{cli::args(raw, {"json"}), false, std::nullopt};
    p.json_out = p.a.has("json");
    known.push_back("json");
    known.push_back("profile");
    if (!p.a.errors().empty()) p.exit = cli::usage_error(cmd, p.a.errors().front());
    else if (auto u = p.a.unknown(known); !u.empty()) p.exit = cli::usage_error(cmd, "unknown option " + u.front());
    else if (p.a.positional().size() != positional) p.exit = cli::usage_error(cmd, std::string("expected ") + expected);
    return p;
}

int ns_create(const std::vector<std::string>& raw_in) {
    // --meta may repeat: collected here, the rest goes to the usual parser.
    std::map<std::string, std::string> meta;
    std::vector<std::string> raw;
    for (std::size_t i = 0; i < raw_in.size(); ++i) {
        std::string kv_text;
        if (raw_in[i] == "--meta" && i + 1 < raw_in.size()) kv_text = raw_in[++i];
        else if (raw_in[i].rfind("--meta=", 0) == 0) kv_text = raw_in[i].substr(7);
        else {
            raw.push_back(raw_in[i]);
            continue;
        }
        const auto eq = kv_text.find('=');
        if (eq == std::string::npos || eq == 0) return cli::usage_error("ns create", "--meta takes KEY=VALUE");
        if (!meta.emplace(kv_text.substr(0, eq), kv_text.substr(eq + 1)).second)
            return cli::usage_error("ns create", "--meta " + kv_text.substr(0, eq) + " given twice");
    }
    auto p = parse(raw, "ns create", {"stream"}, 1, "NAME");
    if (p.exit) return *p.exit;
    const std::string name = p.a.positional()[0];
    if (auto c = kv::ns::check_name(name); !c) return cli::usage_error("ns create", c.error().message());
    if (auto c = kv::ns::check_meta(meta); !c) return cli::usage_error("ns create", c.error().message());
    signing_ns::create_options co;
    co.meta = std::move(meta);
    if (auto st = p.a.get("stream")) {
        auto id = kv::parse_stream_id(*st);
        if (!id) return cli::usage_error("ns create", id.error().message());
        co.stream = *id;
    }
    auto s = open_signing(p.a.get("profile"));
    if (!s) return fail_with("ns create", s.error(), p.json_out);
    auto w = (*s)->ns->create(name, std::move(co));
    if (!w) return fail_with("ns create", w.error(), p.json_out);
    if (p.json_out) {
        js::object o = write_json(*w);
        o["name"] = name;
        print_json(o);
    } else {
        print_write(("created namespace " + name).c_str(), *w);
    }
    return 0;
}

int ns_list(const std::vector<std::string>& raw) {
    auto p = parse(raw, "ns list", {}, 0, "no arguments");
    if (p.exit) return *p.exit;
    auto s = open_keyless(p.a.get("profile"));
    if (!s) return fail_with("ns list", s.error(), p.json_out);
    auto l = (*s)->ns->list();
    if (!l) return fail_with("ns list", l.error(), p.json_out);
    if (p.json_out) {
        js::array out;
        for (const auto& r : *l)
            out.push_back(js::object{{"name", r.name}, {"stream", to_hex(r.stream)}, {"role", r.role}, {"admin", r.admin}, {"account", r.account},
                                     {"created", r.created_at}});
        print_json(js::object{{"namespaces", std::move(out)}});
    } else {
        for (const auto& r : *l) std::printf("%-24s %s  %s\n", r.name.c_str(), to_hex(r.stream).c_str(), r.role.c_str());
    }
    return 0;
}

int show_or_members(const std::vector<std::string>& raw, std::string_view cmd, bool members_only) {
    auto p = parse(raw, cmd, {}, 1, "NS");
    if (p.exit) return *p.exit;
    auto s = open_keyless(p.a.get("profile"));
    if (!s) return fail_with(cmd, s.error(), p.json_out);
    auto v = (*s)->ns->show(p.a.positional()[0]);
    if (!v) return fail_with(cmd, v.error(), p.json_out);
    if (p.json_out) {
        if (members_only) {
            js::array m;
            for (const auto& x : v->members) m.push_back(member_json(x));
            print_json(js::object{{"stream", to_hex(v->stream)}, {"version", v->version}, {"members", std::move(m)}});
        } else {
            print_json(view_json(*v));
        }
        return 0;
    }
    if (!members_only) {
        std::printf("name:    %s\nstream:  %s\nadmin:   %s\ncreated: %lld\nepoch:   %llu\nstate:   %s\n", v->metadata.name.c_str(), to_hex(v->stream).c_str(),
                    v->metadata.admin.to_checksum_hex().c_str(), static_cast<long long>(v->metadata.created),
                    static_cast<unsigned long long>(v->epoch), v->deleted ? "deleted" : "live");
        for (const auto& [k, val] : v->metadata.meta) std::printf("meta:    %s=%s\n", k.c_str(), val.c_str());
    }
    for (const auto& m : v->members)
        std::printf("%s %-6s %s\n", m.address.to_checksum_hex().c_str(), std::string(kv::ns::role_name(m.member_role)).c_str(), to_hex(m.public_key).c_str());
    for (const auto& n : v->notes) std::printf("note: %s\n", n.c_str());
    return 0;
}
int ns_show(const std::vector<std::string>& raw) { return show_or_members(raw, "ns show", false); }
int ns_members(const std::vector<std::string>& raw) { return show_or_members(raw, "ns members", true); }

int ns_join(const std::vector<std::string>& raw) {
    auto p = parse(raw, "ns join", {"as", "admin"}, 1, "0x<stream id>");
    if (p.exit) return *p.exit;
    auto id = kv::parse_stream_id(p.a.positional()[0]);
    if (!id) return cli::usage_error("ns join", id.error().message());
    std::optional<crypto::address> admin;
    if (auto a = p.a.get("admin")) {
        auto x = crypto::address::parse(*a);
        if (!x) return cli::usage_error("ns join", "--admin: " + x.error().message());
        admin = *x;
    }
    auto s = open_signing(p.a.get("profile"));
    if (!s) return fail_with("ns join", s.error(), p.json_out);
    // The name: --as, else the one the namespace gives itself.
    std::string name;
    if (auto as = p.a.get("as")) {
        if (auto c = kv::ns::check_name(*as); !c) return cli::usage_error("ns join", c.error().message());
        name = *as;
    } else {
        auto v = (*s)->ns->show(to_hex(*id));
        if (!v) return fail_with("ns join", v.error(), p.json_out);
        name = v->metadata.name;
    }
    auto v = (*s)->ns->join(*id, name, admin);
    if (!v) return fail_with("ns join", v.error(), p.json_out);
    if (p.json_out) print_json(view_json(*v));
    else
        std::printf("joined %s as \"%s\" (admin %s, your role: %s)\n", to_hex(*id).c_str(), name.c_str(), v->metadata.admin.to_checksum_hex().c_str(),
                    v->registry ? v->registry->role.c_str() : "none");
    return 0;
}

/// MEMBER: a public key, or an address with --from-tx.
template <class Session>
result<fixed_bytes<33>> member_public_key(Session& s, const std::string& member, const std::optional<std::string>& from_tx) {
    auto raw = from_hex(member);
    if (!raw) return fail(errc::invalid_argument, "MEMBER is an address or a public key in hex (0x…): " + raw.error().message());
    if (raw->size() == 33 || raw->size() == 64 || raw->size() == 65) {
        ZEROG_TRY(const auto id, kv::ns::identity_of(*raw));
        return id.compressed;
    }
    if (raw->size() != 20) return fail(errc::invalid_argument, "MEMBER is a 20-byte address or a 33/65-byte public key, got " + std::to_string(raw->size()) + " bytes");
    ZEROG_TRY(const crypto::address who, crypto::address::parse(member));
    hash256 tx{};
    if (from_tx) {
        ZEROG_TRY(tx, (from_hex_fixed<32>(*from_tx, hex_prefix::required)));
    } else {
        // A transaction the address sent: its latest Flow Submit (any upload or KV batch it paid
        // for) in the last `search_blocks` blocks; a full-history scan would be thousands of calls.
        constexpr std::uint64_t search_blocks = 100'000;
        auto& sc = *s.storage.client;
        auto refuse = [&](const std::string& why) {
            return zerog::error(errc::invalid_argument, "a reader's data key is wrapped to a public key, and " + who.to_checksum_hex() + " is only an address (" +
                                                            why + "): pass the member's public key (they print it with `zerog account`), or " +
                                                            "--from-tx 0x<hash> of a transaction that address sent");
        };
        if (!sc.options().flow) return refuse("the Flow contract is not configured, so its uploads cannot be searched");
        net::blocking_runner runner;
        auto found = runner.run([&]() -> boost::asio::awaitable<result<std::optional<hash256>>> {
            const auto deadline = sc.policies().clock.now() + std::chrono::seconds(60);
            ZEROG_CO_TRY(const std::uint64_t latest, co_await sc.latest_block_async(deadline));
            const std::uint64_t from = latest > search_blocks ? latest - search_blocks : 0;
            ZEROG_CO_TRY(auto logs, co_await sc.submit_logs_async(*sc.options().flow, who, from, latest, 5000, 100'000, deadline));
            if (logs.empty()) co_return std::optional<hash256>();
            co_return std::optional<hash256>(logs.back().transaction_hash);
        }());
        if (!found) return std::move(found).error().during("looking for a transaction sent by " + who.to_checksum_hex());
        if (!*found) return refuse("it sent no upload in the last " + std::to_string(search_blocks) + " blocks");
        tx = **found;
    }
    chain::eth_client<zerog::storage_policies::transport_type> eth(s.storage.client->policies().transport, s.storage.cfg.rpc_urls.value);
    ZEROG_TRY(const fixed_bytes<33> pub, eth.sender_public_key(tx));
    ZEROG_TRY(const auto id, kv::ns::identity_of(pub));
    if (id.address != who)
        return fail(errc::verification_failed, "transaction " + to_hex(tx) + " was sent by " + id.address.to_checksum_hex() + ", not " + who.to_checksum_hex());
    return id.compressed;
}

int ns_grant(const std::vector<std::string>& raw) {
    auto p = parse(raw, "ns grant", {"role", "from-tx"}, 2, "NS MEMBER --role reader|writer|admin");
    if (p.exit) return *p.exit;
    if (!p.a.get("role")) return cli::usage_error("ns grant", "--role reader|writer|admin is required");
    auto r = kv::ns::parse_role(*p.a.get("role"));
    if (!r) return cli::usage_error("ns grant", r.error().message());
    auto s = open_signing(p.a.get("profile"));
    if (!s) return fail_with("ns grant", s.error(), p.json_out);
    auto pub = member_public_key(**s, p.a.positional()[1], p.a.get("from-tx"));
    if (!pub) return fail_with("ns grant", pub.error(), p.json_out);
    auto w = (*s)->ns->grant(p.a.positional()[0], *pub, *r);
    if (!w) return fail_with("ns grant", w.error(), p.json_out);
    if (p.json_out) print_json(write_json(*w));
    else print_write(("granted " + std::string(kv::ns::role_name(*r))).c_str(), *w);
    return 0;
}

int ns_revoke(const std::vector<std::string>& raw) {
    auto p = parse(raw, "ns revoke", {}, 2, "NS MEMBER");
    if (p.exit) return *p.exit;
    crypto::address who;
    if (auto raw_key = from_hex(p.a.positional()[1]); raw_key && raw_key->size() != 20) {
        auto id = kv::ns::identity_of(*raw_key);
        if (!id) return cli::usage_error("ns revoke", "MEMBER: " + id.error().message());
        who = id->address;
    } else {
        auto a = crypto::address::parse(p.a.positional()[1]);
        if (!a) return cli::usage_error("ns revoke", "MEMBER is an address or a public key: " + a.error().message());
        who = *a;
    }
    auto s = open_signing(p.a.get("profile"));
    if (!s) return fail_with("ns revoke", s.error(), p.json_out);
    auto w = (*s)->ns->revoke(p.a.positional()[0], who);
    if (!w) return fail_with("ns revoke", w.error(), p.json_out);
    if (p.json_out) print_json(write_json(*w));
    else print_write(("revoked " + who.to_checksum_hex()).c_str(), *w);
    return 0;
}

int ns_delete(const std::vector<std::string>& raw) {
    auto p = parse(raw, "ns delete", {}, 1, "NS");
    if (p.exit) return *p.exit;
    auto s = open_signing(p.a.get("profile"));
    if (!s) return fail_with("ns delete", s.error(), p.json_out);
    auto w = (*s)->ns->remove(p.a.positional()[0]);
    if (!w) return fail_with("ns delete", w.error(), p.json_out);
    if (p.json_out) print_json(write_json(*w));
    else print_write("deleted (tombstone written, writers revoked, removed from the local registry; the history stays on the log)", *w);
    return 0;
}

int ns_put(const std::vector<std::string>& raw) {
    auto p = parse(raw, "ns put", {"as"}, 2, "NS FILE [--as PATH]");
    if (p.exit) return *p.exit;
    const std::string file = p.a.positional()[1];
    const std::string path = p.a.get("as").value_or(std::filesystem::path(file).filename().string());
    if (auto c = kv::ns::check_path(path); !c) return cli::usage_error("ns put", c.error().message());
    auto s = open_signing(p.a.get("profile"));
    if (!s) return fail_with("ns put", s.error(), p.json_out);
    auto w = (*s)->ns->put_file(p.a.positional()[0], file, path);
    if (!w) return fail_with("ns put", w.error(), p.json_out);
    if (p.json_out) {
        js::object o = write_json(*w);
        o["path"] = path;
        print_json(o);
    } else {
        print_write(("put " + path).c_str(), *w);
    }
    return 0;
}

int ns_get(const std::vector<std::string>& raw) {
    auto p = parse(raw, "ns get", {"out"}, 2, "NS PATH --out FILE");
    if (p.exit) return *p.exit;
    if (!p.a.get("out")) return cli::usage_error("ns get", "--out FILE is required");
    auto s = open_signing(p.a.get("profile"));
    if (!s) return fail_with("ns get", s.error(), p.json_out);
    auto f = (*s)->ns->get_file(p.a.positional()[0], p.a.positional()[1], *p.a.get("out"));
    if (!f) return fail_with("ns get", f.error(), p.json_out);
    if (p.json_out) {
        js::object o = file_json(*f);
        o["out"] = *p.a.get("out");
        print_json(o);
    } else {
        std::printf("%s -> %s (%llu bytes, root %s)\n", f->path.c_str(), p.a.get("out")->c_str(), static_cast<unsigned long long>(f->size),
                    to_hex(f->root).c_str());
    }
    return 0;
}

int ns_ls(const std::vector<std::string>& raw) {
    auto p = parse(raw, "ns ls", {"prefix"}, 1, "NS [--prefix P]");
    if (p.exit) return *p.exit;
    auto s = open_keyless(p.a.get("profile"));
    if (!s) return fail_with("ns ls", s.error(), p.json_out);
    auto l = (*s)->ns->list_files(p.a.positional()[0], p.a.get("prefix").value_or(""));
    if (!l) return fail_with("ns ls", l.error(), p.json_out);
    if (p.json_out) {
        js::array out;
        for (const auto& f : *l) out.push_back(file_json(f));
        print_json(js::object{{"files", std::move(out)}});
    } else {
        for (const auto& f : *l)
            std::printf("%-40s %10llu bytes  epoch %llu  %s\n", f.path.c_str(), static_cast<unsigned long long>(f.size),
                        static_cast<unsigned long long>(f.epoch), to_hex(f.root).c_str());
    }
    return 0;
}

int ns_rm(const std::vector<std::string>& raw) {
    auto p = parse(raw, "ns rm", {}, 2, "NS PATH");
    if (p.exit) return *p.exit;
    auto s = open_signing(p.a.get("profile"));
    if (!s) return fail_with("ns rm", s.error(), p.json_out);
    auto w = (*s)->ns->remove_file(p.a.positional()[0], p.a.positional()[1]);
    if (!w) return fail_with("ns rm", w.error(), p.json_out);
    if (p.json_out) print_json(write_json(*w));
    else print_write(("removed " + p.a.positional()[1] + " (the encrypted file stays on 0G Storage)").c_str(), *w);
    return 0;
}

int ns_rebuild(const std::vector<std::string>& raw) {
    auto p = parse(raw, "ns rebuild", {"from-block"}, 0, "no arguments");
    if (p.exit) return *p.exit;
    bool ok = true;
    const std::uint64_t from = p.a.unsigned_option("from-block", ok).value_or(0);
    if (!ok) return cli::usage_error("ns rebuild", "--from-block takes a block number");
    auto s = open_signing(p.a.get("profile"));
    if (!s) return fail_with("ns rebuild", s.error(), p.json_out);
    auto r = (*s)->ns->rebuild_registry(from);
    if (!r) return fail_with("ns rebuild", r.error(), p.json_out);
    if (p.json_out) {
        js::array added, notes;
        for (const auto& x : r->added) added.push_back(js::object{{"name", x.name}, {"stream", to_hex(x.stream)}, {"role", x.role}});
        for (const auto& n : r->notes) notes.push_back(js::value(n));
        print_json(js::object{{"fromBlock", r->from_block}, {"toBlock", r->to_block}, {"events", r->events}, {"added", std::move(added)},
                              {"notes", std::move(notes)}});
    } else {
        std::printf("blocks %llu..%llu: %zu Submit events of this account\n", static_cast<unsigned long long>(r->from_block),
                    static_cast<unsigned long long>(r->to_block), r->events);
        for (const auto& x : r->added) std::printf("added %-24s %s  %s\n", x.name.c_str(), to_hex(x.stream).c_str(), x.role.c_str());
        for (const auto& n : r->notes) std::printf("note: %s\n", n.c_str());
    }
    return 0;
}

}  // namespace

ZEROG_COMMAND(reg_ns_rebuild, "ns rebuild", "ns rebuild [--from-block N] [--profile P] [--json]   (the registry back from your KV batches on chain)", ns_rebuild);
ZEROG_COMMAND(reg_ns_create, "ns create", "ns create NAME [--meta k=v]... [--stream 0x…] [--profile P] [--json]   (a new stream; you are its admin)", ns_create);
ZEROG_COMMAND(reg_ns_list, "ns list", "ns list [--profile P] [--json]   (the local registry)", ns_list);
ZEROG_COMMAND(reg_ns_show, "ns show", "ns show NS [--profile P] [--json]", ns_show);
ZEROG_COMMAND(reg_ns_members, "ns members", "ns members NS [--profile P] [--json]", ns_members);
ZEROG_COMMAND(reg_ns_join, "ns join", "ns join 0x<stream> [--as NAME] [--admin 0x…] [--profile P] [--json]", ns_join);
ZEROG_COMMAND(reg_ns_grant, "ns grant", "ns grant NS MEMBER --role reader|writer|admin [--from-tx 0x…] [--profile P] [--json]", ns_grant);
ZEROG_COMMAND(reg_ns_revoke, "ns revoke", "ns revoke NS MEMBER [--profile P] [--json]   (rotates the data key)", ns_revoke);
ZEROG_COMMAND(reg_ns_delete, "ns delete", "ns delete NS [--profile P] [--json]", ns_delete);
ZEROG_COMMAND(reg_ns_put, "ns put", "ns put NS FILE [--as PATH] [--profile P] [--json]   (encrypted, paid once)", ns_put);
ZEROG_COMMAND(reg_ns_get, "ns get", "ns get NS PATH --out FILE [--profile P] [--json]", ns_get);
ZEROG_COMMAND(reg_ns_ls, "ns ls", "ns ls NS [--prefix P] [--profile P] [--json]", ns_ls);
ZEROG_COMMAND(reg_ns_rm, "ns rm", "ns rm NS PATH [--profile P] [--json]", ns_rm);
