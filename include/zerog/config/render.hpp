// Printing an effective configuration (`zerog config show`), as aligned text or as JSON, with the
// source of every value and no secret anywhere:
//   * the signing key appears only as its address and origin, or "not set";
//   * the devnet faucet key appears only as its address;
//   * URLs are shown as their origin (scheme://host:port) followed by "/…" when a path or query
//     was cut, because RPC providers put API keys in paths; userinfo is dropped.
//
// Thread safety: pure functions.
#pragma once

#include <zerog/config/load.hpp>
#include <zerog/config/secrets.hpp>

#include <boost/json.hpp>

namespace zerog::config {

/// A URL as it may be displayed (see file comment).
inline std::string display_url(std::string_view url) {
    std::string origin = redact_endpoint(url);
    const std::string_view rest = zerog::detail::split_url(url).rest;
    if (!rest.empty() && rest != "/") origin += "/…";
    return origin;
}

/// The database setting as it may be displayed: a path as it is; a URL as display_url shows it.
inline std::string redact_database(std::string_view db) {
    if (db.find("://") == std::string_view::npos) return std::string(db);
    return display_url(db);
}

namespace detail {
/// One displayable row: field name, value text (or JSON), source.
struct row {
    std::string field;
    boost::json::value value;
    std::string source;
};
inline boost::json::array url_array(const std::vector<std::string>& urls) {
    boost::json::array a;
    for (const auto& u : urls) a.emplace_back(display_url(u));
    return a;
}
inline std::vector<row> rows_of(const configuration& c) {
    std::vector<row> r;
    auto add = [&](std::string f, boost::json::value v, const value_source& s) { r.push_back({std::move(f), std::move(v), s.to_string()}); };
    add("profile", boost::json::string(to_string(c.profile.value)), c.profile.source);
    add("chainId", c.chain_id.value, c.chain_id.source);
    add("rpc", url_array(c.rpc_urls.value), c.rpc_urls.source);
    add("indexer", url_array(c.indexer_urls.value), c.indexer_urls.source);
    add("nodes", url_array(c.node_urls.value), c.node_urls.source);
    add("kv", url_array(c.kv_urls.value), c.kv_urls.source);
    boost::json::array ps;
    for (const auto& p : c.providers.value) {
        boost::json::object o{{"address", p.address}};
        if (!p.url.empty()) o["url"] = display_url(p.url);
        if (!p.model.empty()) o["model"] = p.model;
        ps.push_back(std::move(o));
    }
    add("providers", std::move(ps), c.providers.source);
    add("flow", boost::json::string(c.contracts.flow.value), c.contracts.flow.source);
    add("market", boost::json::string(c.contracts.market.value), c.contracts.market.source);
    add("ledger", boost::json::string(c.contracts.ledger.value), c.contracts.ledger.source);
    add("inference", boost::json::string(c.contracts.inference.value), c.contracts.inference.source);
    add("fineTuning", boost::json::string(c.contracts.fine_tuning.value), c.contracts.fine_tuning.source);
    add("genesisHash", boost::json::string(c.genesis_hash.value), c.genesis_hash.source);
    add("database", boost::json::string(redact_database(c.database.value)), c.database.source);
    add("limits.maxFileSize", c.limits.max_file_size.value, c.limits.max_file_size.source);
    add("limits.fragmentSize", c.limits.fragment_size.value, c.limits.fragment_size.source);
    add("limits.replicas", c.limits.replicas.value, c.limits.replicas.source);
    auto dur = [&](std::string f, const setting<std::chrono::milliseconds>& s) { add(std::move(f), boost::json::string(format_duration(s.value)), s.source); };
    dur("timeouts.rpc", c.timeouts.rpc);
    dur("timeouts.upload", c.timeouts.upload);
    dur("timeouts.download", c.timeouts.download);
    dur("timeouts.inference", c.timeouts.inference);
    dur("timeouts.finality", c.timeouts.finality);
    add("observability.otlpEndpoint", boost::json::string(c.observability.otlp_endpoint.value.empty() ? std::string() : display_url(c.observability.otlp_endpoint.value)),
        c.observability.otlp_endpoint.source);
    add("observability.metricsTextfile", boost::json::string(c.observability.metrics_textfile.value), c.observability.metrics_textfile.source);
    add("observability.metricsPort", c.observability.metrics_port.value, c.observability.metrics_port.source);
    return r;
}
inline std::string key_text(const key_description& k) {
    if (k.origin.from == key_origin::kind::none) return k.note.empty() ? "not set" : "not set (" + k.note + ")";
    std::string s = k.address ? k.address->to_checksum_hex() : "(address unknown)";
    s += " from " + k.origin.where;
    if (!k.note.empty()) s += " (" + k.note + ")";
    return s;
}
}  // namespace detail

/// JSON form: {"config": {field: {"value", "source"}}, "key": {...}, "problems": [...]}.
inline boost::json::object render_json(const load_report& rep, const key_description& key) {
    boost::json::object fields;
    for (auto& r : detail::rows_of(rep.cfg)) fields[r.field] = boost::json::object{{"value", std::move(r.value)}, {"source", r.source}};
    boost::json::object k{{"source", key.origin.from == key_origin::kind::none ? "not set" : key.origin.where}};
    k["address"] = key.address ? boost::json::value(key.address->to_checksum_hex()) : boost::json::value(nullptr);
    if (!key.note.empty()) k["note"] = key.note;
    k["refused"] = key.refused;
    boost::json::object doc{{"config", std::move(fields)}, {"key", std::move(k)}};
    if (!rep.cfg.devnet_faucet_address.empty()) doc["devnetFaucet"] = rep.cfg.devnet_faucet_address;
    if (rep.config_file) doc["configFile"] = *rep.config_file;
    boost::json::array ps;
    for (const auto& p : rep.problems)
        ps.push_back(boost::json::object{{"field", p.field}, {"source", p.source.to_string()},
                                         {"code", make_error_code(p.code).message()}, {"message", p.message}});
    doc["problems"] = std::move(ps);
    return doc;
}

/// Text form: one aligned line per field, "field  value  (source)", then the key and any problems.
inline std::string render_text(const load_report& rep, const key_description& key) {
    std::string out;
    auto line = [&](const std::string& f, const std::string& v, const std::string& s) {
        out += f;
        out.append(f.size() < 22 ? 22 - f.size() : 1, ' ');
        out += v;
        if (!s.empty()) { out += "  ("; out += s; out += ')'; }
        out += '\n';
    };
    for (auto& r : detail::rows_of(rep.cfg)) {
        std::string v;
        if (r.value.is_string()) v = r.value.get_string().empty() ? "(not set)" : std::string(r.value.get_string());
        else if (r.value.is_array() && r.value.get_array().empty()) v = "(none)";
        else if (r.value.is_array() && r.value.get_array().front().is_string()) {
            for (const auto& e : r.value.get_array()) { if (!v.empty()) v += ", "; v += e.get_string(); }
        }
        else v = boost::json::serialize(r.value);
        if (r.field == "limits.maxFileSize" || r.field == "limits.fragmentSize") v = format_size(r.value.to_number<std::uint64_t>());
        line(r.field, v, r.source);
    }
    line("key", detail::key_text(key), "");
    if (!rep.cfg.devnet_faucet_address.empty()) line("devnet.faucet", rep.cfg.devnet_faucet_address, "profile:devnet");
    if (!rep.problems.empty()) {
        out += "\n" + std::to_string(rep.problems.size()) + (rep.problems.size() == 1 ? " problem:\n" : " problems:\n");
        for (const auto& p : rep.problems) out += "  " + p.to_string() + "\n";
    }
    return out;
}

}  // namespace zerog::config
