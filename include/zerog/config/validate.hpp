// The validation layer: every field of an effective `config` type- and range-checked, all problems
// reported at once, each naming the field and the layer its value came from.
//
// Rules (docs/configuration.md lists them too):
//   * URLs: scheme http or https only; non-empty host (name, IPv4 or [IPv6]); port, when given,
//     1..65535; no whitespace or control characters anywhere; on mainnet https is required unless
//     the host is loopback (a local node or tunnel). Lists: no duplicates, at most
//     `defaults::max_endpoints` entries; `rpc` must not be empty, and storage needs at least one
//     indexer or node URL.
//   * Addresses: EIP-55 (`crypto::address::parse`): mixed case must match the checksum; all-lower or
//     all-upper is accepted as unchecksummed; the zero address is refused. flow, ledger and
//     inference are required; market and fineTuning may be empty (not used / read at run time).
//   * chainId: > 0 and ≤ 4503599627370476 (EIP-2294); on mainnet and testnet it must equal the
//     profile's id, so an override cannot point a "mainnet" client at another chain.
//   * Limits: 0 < maxFileSize ≤ 1 TiB; fragmentSize a power of two in [256 B, 64 GiB];
//     1 ≤ replicas ≤ 32. Timeouts: > 0 and ≤ their cap (rpc 10 min, upload/download 24 h,
//     inference 1 h, finality 6 h).
// URLs in messages are reduced to their origin (`redact_endpoint`): API keys hide in paths.
//
// Thread safety: pure functions.
#pragma once

#include <zerog/config/bundled_profiles.hpp>
#include <zerog/config/values.hpp>
#include <zerog/core/url.hpp>
#include <zerog/crypto/address.hpp>

#include <set>

namespace zerog::config {

/// EIP-2294's bound on chain ids.
inline constexpr std::uint64_t max_chain_id = 4503599627370476ull;

namespace detail {

struct validator {
    const configuration& cfg;
    std::vector<problem> out;

    void add(std::string field, const value_source& src, errc code, std::string msg) {
        out.push_back({std::move(field), src, code, std::move(msg)});
    }

    void url(const std::string& field, const value_source& src, const std::string& u) {
        auto r = zerog::parse_url(u);
        if (!r) { add(field, src, r.error().code() == make_error_code(errc::out_of_range) ? errc::out_of_range : errc::invalid_argument, r.error().detail()); return; }
        if (cfg.profile.value == network::mainnet && !r->tls && !zerog::is_loopback_host(r->host))
            add(field, src, errc::invalid_argument,
                "mainnet endpoints must use https (plain http is allowed only for loopback hosts): " + redact_endpoint(u));
    }

    void url_list(std::string_view name, const setting<std::vector<std::string>>& s) {
        if (s.value.size() > defaults::max_endpoints)
            add(std::string(name), s.source, errc::too_large,
                std::to_string(s.value.size()) + " endpoints, at most " + std::to_string(defaults::max_endpoints) + " allowed");
        std::set<std::string> seen;
        for (std::size_t i = 0; i < s.value.size(); ++i) {
            const std::string field = std::string(name) + "[" + std::to_string(i) + "]";
            url(field, s.source, s.value[i]);
            if (!seen.insert(s.value[i]).second)
                add(field, s.source, errc::already_exists, "duplicate endpoint " + redact_endpoint(s.value[i]) + " (failover to the same endpoint is useless)");
        }
    }

    /// Returns the parsed address when valid.
    std::optional<crypto::address> address(const std::string& field, const value_source& src, const std::string& a, bool required) {
        if (a.empty()) {
            if (required) add(field, src, errc::not_found, "required address is empty");
            return std::nullopt;
        }
        auto r = crypto::address::parse(a);
        if (!r) {
            add(field, src, r.error().is(errc::invalid_checksum) ? errc::invalid_checksum : errc::invalid_address,
                r.error().detail());
            return std::nullopt;
        }
        if (r->is_zero()) { add(field, src, errc::invalid_address, "the zero address is not a contract or an account"); return std::nullopt; }
        return *r;
    }

    void duration(std::string_view field, const setting<std::chrono::milliseconds>& s, std::chrono::milliseconds cap) {
        if (s.value.count() <= 0) add(std::string(field), s.source, errc::out_of_range, "must be greater than 0");
        else if (s.value > cap)
            add(std::string(field), s.source, errc::out_of_range, format_duration(s.value) + " exceeds the cap of " + format_duration(cap));
    }

    void run() {
        // chain id
        const auto& cid = cfg.chain_id;
        if (cid.value == 0) add("chainId", cid.source, errc::out_of_range, "must be greater than 0");
        else if (cid.value > max_chain_id) add("chainId", cid.source, errc::out_of_range, "exceeds the EIP-2294 maximum " + std::to_string(max_chain_id));
        else if (const std::uint64_t want = expected_chain_id(cfg.profile.value); want && cid.value != want)
            add("chainId", cid.source, errc::chain_id_mismatch,
                std::to_string(cid.value) + " does not match the " + std::string(to_string(cfg.profile.value)) +
                    " profile (" + std::to_string(want) + ")");

        // endpoints
        if (cfg.rpc_urls.value.empty()) add("rpc", cfg.rpc_urls.source, errc::empty_input, "at least one EVM RPC endpoint is required");
        url_list("rpc", cfg.rpc_urls);
        url_list("indexer", cfg.indexer_urls);
        url_list("nodes", cfg.node_urls);
        url_list("kv", cfg.kv_urls);
        if (cfg.indexer_urls.value.empty() && cfg.node_urls.value.empty())
            add("indexer", cfg.indexer_urls.source, errc::empty_input, "storage needs at least one indexer URL or node URL");

        // providers
        const auto& ps = cfg.providers;
        if (ps.value.size() > defaults::max_endpoints)
            add("providers", ps.source, errc::too_large, "at most " + std::to_string(defaults::max_endpoints) + " providers allowed");
        std::set<crypto::address> seen;
        for (std::size_t i = 0; i < ps.value.size(); ++i) {
            const std::string f = "providers[" + std::to_string(i) + "]";
            const auto& p = ps.value[i];
            if (auto a = address(f + ".address", ps.source, p.address, true); a && !seen.insert(*a).second)
                add(f + ".address", ps.source, errc::already_exists, "duplicate provider " + a->to_checksum_hex());
            if (!p.url.empty()) url(f + ".url", ps.source, p.url);
            if (p.model.size() > 200) add(f + ".model", ps.source, errc::too_large, "model name longer than 200 characters");
            for (char c : p.model)
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) { add(f + ".model", ps.source, errc::invalid_argument, "model name contains a control character"); break; }
        }

        // contracts
        const auto& c = cfg.contracts;
        address("flow", c.flow.source, c.flow.value, true);
        address("market", c.market.source, c.market.value, false);
        address("ledger", c.ledger.source, c.ledger.value, true);
        address("inference", c.inference.source, c.inference.value, true);
        address("fineTuning", c.fine_tuning.source, c.fine_tuning.value, false);

        if (const auto& g = cfg.genesis_hash; !g.value.empty())
            if (auto h = from_hex_fixed<32>(g.value); !h)
                add("genesisHash", g.source, errc::invalid_hex, "expected 0x and 64 hex digits: " + h.error().detail());

        // limits
        const auto& l = cfg.limits;
        if (l.max_file_size.value == 0) add("limits.maxFileSize", l.max_file_size.source, errc::out_of_range, "must be greater than 0");
        else if (l.max_file_size.value > defaults::max_file_size_cap)
            add("limits.maxFileSize", l.max_file_size.source, errc::out_of_range,
                format_size(l.max_file_size.value) + " exceeds the hard cap of " + format_size(defaults::max_file_size_cap));
        const std::uint64_t fs = l.fragment_size.value;
        if (fs < defaults::fragment_size_min || fs > defaults::fragment_size_cap || (fs & (fs - 1)) != 0)
            add("limits.fragmentSize", l.fragment_size.source, errc::out_of_range,
                format_size(fs) + " is not a power of two between 256 and " + format_size(defaults::fragment_size_cap));
        if (l.replicas.value < 1 || l.replicas.value > defaults::replicas_cap)
            add("limits.replicas", l.replicas.source, errc::out_of_range,
                std::to_string(l.replicas.value) + " is outside 1.." + std::to_string(defaults::replicas_cap));

        // timeouts
        const auto& t = cfg.timeouts;
        duration("timeouts.rpc", t.rpc, defaults::rpc_timeout_cap);
        duration("timeouts.upload", t.upload, defaults::transfer_timeout_cap);
        duration("timeouts.download", t.download, defaults::transfer_timeout_cap);
        duration("timeouts.inference", t.inference, defaults::inference_timeout_cap);
        duration("timeouts.finality", t.finality, defaults::finality_timeout_cap);

        // observability (each optional). A collector URL may carry credentials: messages show
        // its origin only (parse_url's errors never echo the URL).
        const auto& o = cfg.observability;
        if (!o.otlp_endpoint.value.empty()) url("observability.otlpEndpoint", o.otlp_endpoint.source, o.otlp_endpoint.value);
        if (!o.metrics_textfile.value.empty() &&
            std::any_of(o.metrics_textfile.value.begin(), o.metrics_textfile.value.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f; }))
            add("observability.metricsTextfile", o.metrics_textfile.source, errc::invalid_argument, "the path contains control characters");
        if (o.metrics_port.value > 65535)
            add("observability.metricsPort", o.metrics_port.source, errc::out_of_range, std::to_string(o.metrics_port.value) + " is outside 1..65535");
    }
};

}  // namespace detail

/// Check every field of `cfg`; returns all problems (empty when valid).
inline std::vector<problem> validate(const configuration& cfg) {
    detail::validator v{cfg, {}};
    v.run();
    return std::move(v.out);
}

}  // namespace zerog::config
