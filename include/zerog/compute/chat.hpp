// The chat-completions request as it goes on the wire to a 0G Compute provider (OpenAI-compatible,
// docs/protocol/compute.md §4.4): the request type and the exact body bytes. The TEE signs what the
// provider received, so the body is rendered once here and kept byte for byte by the client.
// Pure: no I/O. The streamed answer is parsed by compute/chat_sse.hpp.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zerog::compute {

/// One chat message.
struct chat_message {
    std::string role;
    std::string content;
};

/// An OpenAI-compatible chat-completions request.
struct chat_request {
    std::vector<chat_message> messages;
    std::optional<std::string> model;           ///< default: the service's model
    bool stream = false;
    std::optional<std::uint64_t> max_tokens;
    boost::json::object extra;                  ///< further OpenAI parameters, sent as given
    /// Streaming: called with each content delta as it arrives (on the client's executor).
    std::function<void(std::string_view)> on_delta;
};

/// The exact request body sent for `req` at a service serving `default_model`: model, messages,
/// max_tokens, the caller's extra parameters (never overriding model/messages/stream), stream and,
/// for streams, stream_options.include_usage (so the last event carries the usage we bill).
inline std::string chat_request_body(const chat_request& req, std::string_view default_model) {
    boost::json::object o;
    o["model"] = req.model ? *req.model : std::string(default_model);
    boost::json::array msgs;
    for (const auto& m : req.messages) {
        boost::json::object jm;
        jm["role"] = m.role;
        jm["content"] = m.content;
        msgs.push_back(std::move(jm));
    }
    o["messages"] = std::move(msgs);
    if (req.max_tokens) o["max_tokens"] = *req.max_tokens;
    for (const auto& kv : req.extra)
        if (kv.key() != "model" && kv.key() != "messages" && kv.key() != "stream") o[kv.key()] = kv.value();
    o["stream"] = req.stream;
    if (req.stream) {
        boost::json::object so;
        so["include_usage"] = true;
        o["stream_options"] = std::move(so);
    }
    return boost::json::serialize(o);
}

}  // namespace zerog::compute
