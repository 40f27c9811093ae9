// Server side of JSON-RPC 2.0 for the devnet emulators (storage node, indexer, compute provider).
//
// The real storage node is jsonrpsee 0.14: params are positional arrays, errors are
//   invalid_params  → {code:-32602, message:"Invalid params: <param>", data:"<detail>"}
//   internal_error  → {code:-32603, message:"Internal error", data:"<detail>"}
//   anyhow failures → {code:-32000, message:"<text>"}      (jsonrpsee CallError::Failed)
// and clients (both SDKs) match on the message/data text, so the emulators produce exactly these
// shapes (docs/protocol/storage.md §7.3). `dispatch` handles single calls and batches, parse errors (-32700),
// invalid requests (-32600) and unknown methods (-32601 "Method not found").
//
// Thread safety: pure functions; the method table is called synchronously.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>

namespace zerog::devnet {

namespace json = boost::json;

/// A JSON-RPC error object to send back.
struct rpc_failure {
    std::int64_t code = -32603;
    std::string message = "Internal error";
    std::optional<std::string> data;
};

/// jsonrpsee `error::invalid_params(param, detail)`.
inline rpc_failure invalid_params(std::string param, std::string detail) {
    return rpc_failure{-32602, "Invalid params: " + std::move(param), std::move(detail)};
}
/// jsonrpsee `error::internal_error(detail)`.
inline rpc_failure internal_error(std::string detail) { return rpc_failure{-32603, "Internal error", std::move(detail)}; }
/// An anyhow error surfaced as `CallError::Failed` (docs/protocol/storage.md §7.3, code unverified: -32000).
inline rpc_failure call_failed(std::string text) { return rpc_failure{-32000, std::move(text), std::nullopt}; }
/// Wrong arity / types of the positional params (jsonrpsee's own parse failure).
inline rpc_failure bad_params(std::string detail) { return rpc_failure{-32602, "Invalid params", std::move(detail)}; }

/// A result the method has already written as JSON text. For large answers: a segment's ~350 KB of
/// base64 built as a json::value was copied into the response object and then escape-checked
/// character by character by the serializer (half of a devnet node's CPU while serving
/// downloads). The method guarantees the text is one valid JSON value.
struct rpc_raw_result {
    std::string json;
};

/// What a method returns: a result value, a pre-serialized result, or an error object.
using rpc_answer = std::variant<json::value, rpc_failure, rpc_raw_result>;

/// A method implementation: positional params in, answer out.
using rpc_method = std::function<rpc_answer(const json::array& params)>;

namespace rpc_detail {
inline json::object error_object(const rpc_failure& f) {
    json::object e;
    e["code"] = f.code;
    e["message"] = f.message;
    if (f.data) e["data"] = *f.data;
    return e;
}
/// One response object as text: {"jsonrpc":"2.0","result"|"error":…,"id":…}.
inline std::string response(const json::value& id, const rpc_answer& a) {
    std::string out = R"({"jsonrpc":"2.0",)";
    if (const auto* v = std::get_if<json::value>(&a)) {
        out += R"("result":)";
        out += json::serialize(*v);
    } else if (const auto* r = std::get_if<rpc_raw_result>(&a)) {
        out += R"("result":)";
        out += r->json;
    } else {
        out += R"("error":)";
        out += json::serialize(error_object(std::get<rpc_failure>(a)));
    }
    out += R"(,"id":)";
    out += json::serialize(id);
    out += '}';
    return out;
}
}  // namespace rpc_detail

/// Answer one request object (not a batch) with `lookup(method)` (nullptr: unknown method); the
/// response object's text.
inline std::string answer_one(const json::value& req, const std::function<const rpc_method*(std::string_view)>& lookup) {
    const json::object* o = req.if_object();
    const json::value null_id;
    if (!o) return rpc_detail::response(null_id, rpc_failure{-32600, "Invalid request", std::nullopt});
    const json::value* id = o->if_contains("id");
    const json::value& idv = id ? *id : null_id;
    const json::value* m = o->if_contains("method");
    if (!m || !m->is_string()) return rpc_detail::response(idv, rpc_failure{-32600, "Invalid request", std::nullopt});
    const rpc_method* fn = lookup(m->get_string());
    if (!fn) return rpc_detail::response(idv, rpc_failure{-32601, "Method not found", std::nullopt});
    // The TS SDK omits "params" for parameterless calls (zgs_getStatus): treat as [].
    static const json::array empty;
    const json::value* p = o->if_contains("params");
    if (p && !p->is_array() && !p->is_null()) return rpc_detail::response(idv, bad_params("params must be an array"));
    const json::array& params = (p && p->is_array()) ? p->get_array() : empty;
    try {
        return rpc_detail::response(idv, (*fn)(params));
    } catch (const std::exception& e) {
        return rpc_detail::response(idv, internal_error(e.what()));
    }
}

/// Answer a request body (single or batch). Returns the response body.
inline std::string dispatch(std::string_view body, const std::function<const rpc_method*(std::string_view)>& lookup) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec) return rpc_detail::response(json::value(), rpc_failure{-32700, "Parse error", std::nullopt});
    if (v.is_array()) {
        if (v.get_array().empty()) return rpc_detail::response(json::value(), rpc_failure{-32600, "Invalid request", std::nullopt});
        std::string out = "[";
        for (const auto& r : v.get_array()) {
            if (out.size() > 1) out += ',';
            out += answer_one(r, lookup);
        }
        out += ']';
        return out;
    }
    return answer_one(v, lookup);
}

// ---- positional parameter readers (errors in jsonrpsee's style) ------------------------------

/// params[i] as an unsigned integer (u64 on the wire is a JSON number).
inline std::optional<std::uint64_t> param_u64(const json::array& p, std::size_t i) {
    if (i >= p.size()) return std::nullopt;
    if (p[i].is_uint64()) return p[i].get_uint64();
    if (p[i].is_int64() && p[i].get_int64() >= 0) return static_cast<std::uint64_t>(p[i].get_int64());
    return std::nullopt;
}
/// params[i] as a string.
inline std::optional<std::string> param_str(const json::array& p, std::size_t i) {
    if (i >= p.size() || !p[i].is_string()) return std::nullopt;
    return std::string(p[i].get_string());
}
/// params[i] as a bool (missing: `dflt`).
inline std::optional<bool> param_bool(const json::array& p, std::size_t i, std::optional<bool> dflt = std::nullopt) {
    if (i >= p.size()) return dflt;
    if (!p[i].is_bool()) return std::nullopt;
    return p[i].get_bool();
}

}  // namespace zerog::devnet
