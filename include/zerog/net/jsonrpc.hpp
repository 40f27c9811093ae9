// JSON-RPC 2.0 client over any net::Transport (Boost.JSON), with strict response validation.
//
// Why strict: a proxy, a captive portal or a broken node answers *something*; accepting it as a
// result hides the fault until much later (a wrong nonce, a zero balance). Every response is
// checked: valid JSON, within the size limit, "jsonrpc":"2.0", an integer id equal to ours,
// exactly one of result/error, a well-formed error object; batches: every id answered exactly
// once. Each violation is errc::malformed_response with a precise detail.
//
// Error objects become errc::rpc_error (errc::server_error for -32603 internal error, which
// is_retryable treats as transient) with "code C: message; data: …" in the detail and the frame
// `during(method).at(endpoint).with("rpc_code", C)`; the structured object is available from
// `call_detailed`. A non-2xx HTTP answer that carries a valid JSON-RPC error is reported as that
// error (more precise than the status); otherwise as the transport's status error.
//
// Failover: a client may be given several equivalent endpoints (the same chain behind different
// RPC providers). A call goes to the current endpoint; when that endpoint cannot be reached
// (connection refused/closed, timeout, TLS failure, I/O error, HTTP 429/502/503/504) the same
// request goes to the next one, each endpoint at most once per call, while the deadline allows.
// The first endpoint that answers becomes the current one for later calls (copies share it). An
// answer — a result or a JSON-RPC error object, even -32603 — is final: the node saw the request,
// and only reachability is failed over. Resending after a timeout is safe for every Ethereum
// method we use: reads are pure and a signed raw transaction has one hash wherever it lands.
// Errors name the endpoint that produced them and, after a failover, how many were tried.
//
// Telemetry seam: `jsonrpc_options::extra_headers` is called once per HTTP request and its headers
// are added (where a W3C `traceparent` goes). Endpoint choice: `jsonrpc_options::order` and
// `report` let a client's endpoint_selector order the endpoints and hear each attempt's outcome.
//
// Thread safety: `call`/`batch` may run concurrently from several coroutines if the transport
// allows it (http_transport and mock_transport do); ids come from a shared atomic counter. The
// client must outlive the coroutines it started. Copies share the id sequence and the transport.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/core/uint256.hpp>
#include <zerog/net/co_try.hpp>
#include <zerog/policy/retry.hpp>
#include <zerog/core/error_class.hpp>
#include <zerog/net/transport.hpp>

#include <algorithm>
#include <chrono>

#include <boost/json.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace zerog::net {

namespace asio = boost::asio;
namespace json = boost::json;

/// A JSON-RPC error object as received. Value type.
struct rpc_error_object {
    std::int64_t code = 0;
    std::string message;
    json::value data;  ///< null when absent

    /// errc::rpc_error (or errc::server_error for -32603) with code, message and data in the detail.
    zerog::error to_error() const {
        std::string d = "code " + std::to_string(code) + ": " + net::body_snippet(message, 512);
        if (!data.is_null()) d += "; data: " + net::body_snippet(json::serialize(data), 512);
        return zerog::error(code == -32603 ? errc::server_error : errc::rpc_error, std::move(d));
    }
};

/// The outcome of one call: the result value or the server's error object.
using rpc_outcome = std::variant<json::value, rpc_error_object>;

/// One call of a batch. `params` is an array or an object. Value type.
struct rpc_call {
    std::string method;
    json::value params = json::array();
};

/// What the telemetry hook is told about the HTTP request it decorates.
struct rpc_request_info {
    std::string_view method;  ///< the method, or the first method of a batch
    std::size_t batch_size = 1;
};

/// Client options. Value type.
struct jsonrpc_options {
    net::request_options request;  ///< deadline, timeouts, max response bytes of each HTTP request
    net::http_headers headers;     ///< static headers (e.g. Authorization; never logged or in errors)
    /// Extra headers per HTTP request (telemetry: W3C traceparent). Empty: none.
    std::function<net::http_headers(const rpc_request_info&)> extra_headers;
    /// Endpoint choice (optional, several endpoints only): the order in which one call tries the
    /// endpoints, e.g. an endpoint_selector's plan (health, then measured latency). It returns
    /// indices into the endpoint list; an empty answer means the built-in order (the current
    /// endpoint first). Unknown indices are ignored.
    std::function<std::vector<std::size_t>(const std::vector<std::string>& urls)> order;
    /// Told each attempt's outcome: whether the endpoint was reached (an answer, even an error
    /// object) and how long the exchange took.
    std::function<void(const std::string& url, bool reached, std::chrono::nanoseconds took)> report;
};

namespace jsonrpc_detail {

inline const char* kind_name(const json::value& v) {
    switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "bool";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "number";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
    }
    return "?";
}

inline zerog::error malformed(std::string detail) { return zerog::error(errc::malformed_response, std::move(detail)); }

/// Parse a response body: size limit, emptiness, JSON validity (truncation reported as such).
inline result<json::value> parse_body(std::string_view body, std::size_t limit) {
    if (body.size() > limit)
        return fail(errc::response_too_large, "JSON-RPC response of " + std::to_string(body.size()) +
                                                  " bytes exceeds the limit of " + std::to_string(limit));
    if (body.empty()) return malformed("empty response body");
    json::parse_options po;
    po.max_depth = 128;
    boost::system::error_code ec;
    json::value v = json::parse(body, ec, {}, po);
    if (ec == json::error::incomplete)
        return malformed("truncated JSON (" + std::to_string(body.size()) + " bytes): " + ec.message());
    if (ec) return malformed("response is not JSON (" + ec.message() + "): " + net::body_snippet(body, 80));
    return v;
}

/// The id: nullopt for JSON null; an integer otherwise (we only send integers).
struct parsed_response {
    std::optional<std::uint64_t> id;
    rpc_outcome outcome;
};

/// Validate one response object (see the file comment for the rules). The result is MOVED out of
/// `v`: a storage segment's result holds ~350 KB of base64, and a deep copy of it was a tenth of
/// a download's CPU.
inline result<parsed_response> parse_response(json::value& v) {
    if (!v.is_object()) return malformed(std::string("expected a JSON-RPC response object, got ") + kind_name(v));
    json::object& o = v.get_object();
    const json::value* ver = o.if_contains("jsonrpc");
    if (!ver) return malformed("missing \"jsonrpc\" member");
    if (!ver->is_string() || ver->get_string() != "2.0")
        return malformed("\"jsonrpc\" is " + net::body_snippet(json::serialize(*ver), 40) + ", expected \"2.0\"");
    const json::value* idv = o.if_contains("id");
    if (!idv) return malformed("missing \"id\" member");
    parsed_response out{std::nullopt, json::value()};
    if (idv->is_uint64()) out.id = idv->get_uint64();
    else if (idv->is_int64() && idv->get_int64() >= 0) out.id = static_cast<std::uint64_t>(idv->get_int64());
    else if (!idv->is_null())
        return malformed("id " + net::body_snippet(json::serialize(*idv), 40) + " is not the integer id we sent");
    json::value* res = o.if_contains("result");
    const json::value* err = o.if_contains("error");
    if (res && err) return malformed("both \"result\" and \"error\" present");
    if (!res && !err) return malformed("neither \"result\" nor \"error\" present");
    if (res) {
        if (!out.id) return malformed("a result with a null id");
        out.outcome = std::move(*res);
        return out;
    }
    if (!err->is_object()) return malformed(std::string("\"error\" is a ") + kind_name(*err) + ", expected an object");
    const json::object& eo = err->get_object();
    const json::value* code = eo.if_contains("code");
    const json::value* msg = eo.if_contains("message");
    if (!code || !(code->is_int64() || (code->is_uint64() && code->get_uint64() <= INT64_MAX)))
        return malformed("error object without an integer \"code\"");
    if (!msg || !msg->is_string()) return malformed("error object without a string \"message\"");
    rpc_error_object e;
    e.code = code->is_int64() ? code->get_int64() : static_cast<std::int64_t>(code->get_uint64());
    e.message = std::string(msg->get_string());
    if (const json::value* d = eo.if_contains("data")) e.data = *d;
    out.outcome = std::move(e);
    return out;
}

/// A single call's body, validated against the id we sent.
inline result<rpc_outcome> parse_single(std::string_view body, std::uint64_t id, std::size_t limit) {
    ZEROG_TRY(json::value v, parse_body(body, limit));
    if (v.is_array()) return malformed("expected a response object, got an array (batch answer to a single call)");
    ZEROG_TRY(parsed_response r, parse_response(v));
    if (!r.id) {
        // The spec's null id: the server could not read our request (parse error/invalid request).
        if (std::holds_alternative<rpc_error_object>(r.outcome)) return std::move(r.outcome);
        return malformed("a result with a null id");
    }
    if (*r.id != id) return malformed("response id " + std::to_string(*r.id) + " does not match request id " + std::to_string(id));
    return std::move(r.outcome);
}

/// A batch's body: one outcome per call, in call order; every id [first, first+n) exactly once.
inline result<std::vector<rpc_outcome>> parse_batch(std::string_view body, std::uint64_t first, std::size_t n,
                                                    std::size_t limit) {
    ZEROG_TRY(json::value v, parse_body(body, limit));
    if (v.is_object()) {
        // A whole-batch rejection is a single error object with a null id.
        ZEROG_TRY(parsed_response r, parse_response(v));
        if (!r.id && std::holds_alternative<rpc_error_object>(r.outcome))
            return std::get<rpc_error_object>(r.outcome).to_error().with("batch_size", std::to_string(n));
        return malformed("expected an array answering the batch, got a single response object");
    }
    if (!v.is_array()) return malformed(std::string("expected an array answering the batch, got ") + kind_name(v));
    json::array& a = v.get_array();
    std::vector<std::optional<rpc_outcome>> slots(n);
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto r = parse_response(a[i]);
        if (!r) return malformed("batch element " + std::to_string(i) + ": " + r.error().detail());
        if (!r->id) return malformed("batch element " + std::to_string(i) + " has a null id");
        const std::uint64_t id = *r->id;
        if (id < first || id - first >= n) return malformed("batch element " + std::to_string(i) + " has unexpected id " + std::to_string(id));
        auto& slot = slots[id - first];
        if (slot) return malformed("duplicate id " + std::to_string(id) + " in batch response");
        slot = std::move(r->outcome);
    }
    std::vector<rpc_outcome> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        if (!slots[i]) return malformed("batch response has no answer for id " + std::to_string(first + i) + " (call " + std::to_string(i) + ")");
        out.push_back(std::move(*slots[i]));
    }
    return out;
}

inline void append_request(json::object& o, std::string_view method, const json::value& params, std::uint64_t id) {
    o.reserve(4);
    o.emplace("jsonrpc", "2.0");
    o.emplace("id", id);
    o.emplace("method", method);
    o.emplace("params", params);
}

}  // namespace jsonrpc_detail

/// Converts a JSON result to a C++ type for `call_as_async<T>`. Specialise for more types.
template <class T>
struct rpc_result_traits;
template <>
struct rpc_result_traits<json::value> {
    static result<json::value> from_json(json::value v) { return v; }
};
template <>
struct rpc_result_traits<uint256> {  ///< JSON-RPC QUANTITY ("0x1a")
    static result<uint256> from_json(const json::value& v) {
        if (!v.is_string()) return fail(errc::malformed_response, std::string("expected a hex quantity string, got ") + jsonrpc_detail::kind_name(v));
        return uint256::from_quantity_hex(v.get_string());
    }
};
template <>
struct rpc_result_traits<std::uint64_t> {  ///< QUANTITY that must fit in 64 bits (block numbers, nonces)
    static result<std::uint64_t> from_json(const json::value& v) {
        ZEROG_TRY(uint256 q, rpc_result_traits<uint256>::from_json(v));
        if (!q.fits_u64()) return fail(errc::overflow, "quantity does not fit in 64 bits");
        return q.low64();
    }
};
template <>
struct rpc_result_traits<std::string> {
    static result<std::string> from_json(const json::value& v) {
        if (!v.is_string()) return fail(errc::malformed_response, std::string("expected a string, got ") + jsonrpc_detail::kind_name(v));
        return std::string(v.get_string());
    }
};
template <>
struct rpc_result_traits<bool> {
    static result<bool> from_json(const json::value& v) {
        if (!v.is_bool()) return fail(errc::malformed_response, std::string("expected a bool, got ") + jsonrpc_detail::kind_name(v));
        return v.get_bool();
    }
};
template <>
struct rpc_result_traits<bytes> {  ///< DATA ("0x…" hex)
    static result<bytes> from_json(const json::value& v) {
        if (!v.is_string()) return fail(errc::malformed_response, std::string("expected hex data, got ") + jsonrpc_detail::kind_name(v));
        return from_hex(v.get_string());
    }
};

/// JSON-RPC 2.0 client over Transport `T` (defaults to the null transport). See the file comment.
template <net::Transport T = net::null_transport>
class jsonrpc_client {
public:
    jsonrpc_client(T transport, std::string url, jsonrpc_options opts = {})
        : jsonrpc_client(std::move(transport), std::vector<std::string>{std::move(url)}, std::move(opts)) {}
    /// Several equivalent endpoints, preferred first (see "Failover" in the file comment). At
    /// least one is required; an empty list gets one empty URL, which every call reports as bad.
    jsonrpc_client(T transport, std::vector<std::string> urls, jsonrpc_options opts = {})
        : transport_(std::move(transport)), eps_(std::make_shared<endpoints>(std::move(urls))), opts_(std::move(opts)),
          next_id_(std::make_shared<std::atomic<std::uint64_t>>(1)) {}

    /// Call `method` with `params` (array or object); the result, or a contextual error.
    /// `request` overrides the client's request options (e.g. a per-call deadline).
    asio::awaitable<result<json::value>> call_async(std::string method, json::value params = json::array(),
                                              std::optional<net::request_options> request = std::nullopt) {
        auto out = co_await call_detailed_async(method, std::move(params), std::move(request));
        if (!out) co_return std::move(out).error();
        if (auto* e = std::get_if<rpc_error_object>(&*out))
            co_return e->to_error().during(method).at(url()).with("rpc_code", std::to_string(e->code));
        co_return std::get<json::value>(std::move(*out));
    }

    /// `call` then convert the result with rpc_result_traits<R> (e.g. uint256 from a hex quantity).
    template <class R>
    asio::awaitable<result<R>> call_as_async(std::string method, json::value params = json::array(),
                                       std::optional<net::request_options> request = std::nullopt) {
        auto v = co_await call_async(method, std::move(params), std::move(request));
        if (!v) co_return std::move(v).error();
        auto converted = rpc_result_traits<R>::from_json(std::move(v).value());
        if (!converted) co_return std::move(converted).error().during("decoding the result of " + method).at(url());
        co_return std::move(converted).value();
    }

    /// Like `call`, but a server error object is a value (code, message, data) rather than an
    /// error: for callers that branch on codes or decode revert data.
    asio::awaitable<result<rpc_outcome>> call_detailed_async(std::string method, json::value params = json::array(),
                                                       std::optional<net::request_options> request = std::nullopt) {
        const std::uint64_t id = next_id_->fetch_add(1, std::memory_order_relaxed);
        json::object o;
        jsonrpc_detail::append_request(o, method, params, id);
        const std::size_t limit = (request ? *request : opts_.request).max_response_bytes;
        std::size_t used = 0;
        auto res = co_await post(json::serialize(o), rpc_request_info{method, 1}, request, used);
        const std::string& at = eps_->urls[used];
        if (!res) co_return std::move(res).error().during(method).at(at);
        auto parsed = jsonrpc_detail::parse_single(res->body, id, limit);
        if (!parsed || !is_success(res->status)) co_return status_or(std::move(parsed), std::move(*res), method, at);
        co_return std::move(parsed).value();
    }

    /// Send `calls` as one batch. Structural faults fail the whole batch; each call's own server
    /// error is that element's error. Results are in call order.
    asio::awaitable<result<std::vector<result<json::value>>>> batch_async(std::vector<rpc_call> calls,
                                                                    std::optional<net::request_options> request = std::nullopt) {
        if (calls.empty()) co_return fail(zerog::error(errc::invalid_argument, "empty JSON-RPC batch").during("JSON-RPC batch").at(url()));
        const std::size_t n = calls.size();
        const std::uint64_t first = next_id_->fetch_add(n, std::memory_order_relaxed);
        json::array a;
        a.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            json::object o;
            jsonrpc_detail::append_request(o, calls[i].method, calls[i].params, first + i);
            a.push_back(std::move(o));
        }
        const std::string label = "JSON-RPC batch";
        const std::size_t limit = (request ? *request : opts_.request).max_response_bytes;
        std::size_t used = 0;
        auto res = co_await post(json::serialize(a), rpc_request_info{calls.front().method, n}, request, used);
        const std::string& at = eps_->urls[used];
        if (!res) co_return std::move(res).error().during(label).at(at).with("batch_size", std::to_string(n));
        auto parsed = jsonrpc_detail::parse_batch(res->body, first, n, limit);
        if (!is_success(res->status)) {
            // Only a whole-batch JSON-RPC rejection explains more than the status itself.
            const bool rpc_rejection = !parsed && (parsed.error().is(errc::rpc_error) || parsed.error().is(errc::server_error));
            if (!rpc_rejection) {
                auto e = net::check_status(std::move(*res), status_shape(at));
                co_return std::move(e).error().during(label).at(at).with("batch_size", std::to_string(n));
            }
        }
        if (!parsed) co_return std::move(parsed).error().during(label).at(at).with("batch_size", std::to_string(n));
        std::vector<result<json::value>> out;
        out.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            auto& oc = parsed.value()[i];
            if (auto* e = std::get_if<rpc_error_object>(&oc))
                out.push_back(e->to_error().during(calls[i].method).at(at).with("rpc_code", std::to_string(e->code)));
            else
                out.push_back(std::get<json::value>(std::move(oc)));
        }
        co_return out;
    }

    T& transport() noexcept { return transport_; }
    const T& transport() const noexcept { return transport_; }
    /// The current endpoint (the one the next call goes to first).
    const std::string& url() const noexcept { return eps_->urls[eps_->current.load(std::memory_order_relaxed)]; }
    /// Every configured endpoint, preferred first.
    const std::vector<std::string>& urls() const noexcept { return eps_->urls; }
    jsonrpc_options& options() noexcept { return opts_; }

private:
    static bool is_success(unsigned status) { return status >= 200 && status < 300; }

    struct endpoints {
        explicit endpoints(std::vector<std::string> u) : urls(u.empty() ? std::vector<std::string>{std::string()} : std::move(u)) {}
        const std::vector<std::string> urls;  // never empty
        std::atomic<std::size_t> current{0};
    };

    /// Could this outcome be an unreachable endpoint rather than an answer? (See the file comment.)
    static bool unreachable(const result<net::http_response>& r) {
        if (r) {  // an answer with a status: only "go elsewhere" statuses count (core/error_class.hpp)
            const auto a = classify_http_status(r->status);
            return a == error_action::fail_over || a == error_action::skip;
        }
        return is_unreachable(r.error());  // deadline, cancellation, bad URL, oversized answer: final
    }

    /// POST `body` to the current endpoint, failing over (file comment); `used` = the endpoint
    /// index whose outcome is returned.
    asio::awaitable<result<net::http_response>> post(std::string body, const rpc_request_info& info,
                                                        const std::optional<net::request_options>& request, std::size_t& used) {
        const std::size_t n = eps_->urls.size();
        std::size_t first = eps_->current.load(std::memory_order_relaxed);
        if (n == 1) {
            used = 0;
            net::http_request req = make_request(eps_->urls[0], std::move(body), info, request);
            co_return co_await transport_.send_async(std::move(req));
        }
        const auto& ro = request ? *request : opts_.request;
        // The order of this call's attempts: the chooser's (selector), else rotation from current.
        std::vector<std::size_t> order;
        if (opts_.order) {
            for (std::size_t i : opts_.order(eps_->urls))
                if (i < n && std::find(order.begin(), order.end(), i) == order.end()) order.push_back(i);
        }
        if (order.empty())
            for (std::size_t k = 0; k < n; ++k) order.push_back((first + k) % n);
        for (std::size_t k = 0;; ++k) {
            used = order[k];
            const bool last = k + 1 == order.size();
            // Built in a named local: GCC 12 mishandles a conditional's temporary inside co_await.
            std::string this_body = last ? std::move(body) : body;
            net::http_request req = make_request(eps_->urls[used], std::move(this_body), info, request);
            const auto t0 = std::chrono::steady_clock::now();
            auto res = co_await transport_.send_async(std::move(req));
            const bool reached = !unreachable(res);
            if (opts_.report) opts_.report(eps_->urls[used], reached, std::chrono::steady_clock::now() - t0);
            const bool out_of_time = ro.deadline && std::chrono::steady_clock::now() >= *ro.deadline;
            if (reached || last || out_of_time) {
                if (k > 0 && reached) eps_->current.compare_exchange_strong(first, used, std::memory_order_relaxed);
                if (k > 0 && !res) co_return std::move(res).error().with("endpoints_tried", std::to_string(k + 1));
                co_return res;
            }
        }
    }

    net::http_request make_request(const std::string& url, std::string body, const rpc_request_info& info,
                                      const std::optional<net::request_options>& request) const {
        net::http_request req;
        req.method = "POST";
        req.url = url;
        req.body = std::move(body);
        req.options = request ? *request : opts_.request;
        // We read the JSON-RPC error a server may send with a non-2xx status, then decide.
        req.options.accept_any_status = true;
        req.headers.reserve(opts_.headers.size() + 4);
        req.headers.emplace_back("Content-Type", "application/json");
        req.headers.emplace_back("Accept", "application/json");
        for (const auto& h : opts_.headers) req.headers.push_back(h);
        if (opts_.extra_headers)
            for (auto& h : opts_.extra_headers(info)) req.headers.push_back(std::move(h));
        return req;
    }

    // The request shape check_status needs: only the URL, method and the (default) status policy.
    static net::http_request status_shape(const std::string& url) {
        net::http_request r;
        r.url = url;
        return r;
    }

    // Non-2xx: a valid JSON-RPC error in the body explains more than the status; otherwise the
    // status error (and, for a 2xx, the parse error) is what we report.
    static result<rpc_outcome> status_or(result<rpc_outcome> parsed, net::http_response res, const std::string& method,
                                         const std::string& url) {
        if (is_success(res.status)) return std::move(parsed).error().during(method).at(url);
        if (parsed && std::holds_alternative<rpc_error_object>(*parsed)) return parsed;
        auto e = net::check_status(std::move(res), status_shape(url));
        return std::move(e).error().during(method).at(url);
    }

    T transport_;
    std::shared_ptr<endpoints> eps_;
    jsonrpc_options opts_;
    std::shared_ptr<std::atomic<std::uint64_t>> next_id_;
};

}  // namespace zerog::net
