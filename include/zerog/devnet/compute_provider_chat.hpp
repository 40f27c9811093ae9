// The compute provider emulator's "model": a deterministic, reversible chat engine with a
// documented tokenizer, and the exact OpenAI-compatible bodies it answers with (no I/O).
//
// Content. The answer is ROT13 of the text of the last "user" message (the last message of any
// role when there is none): ASCII letters rotate by 13, every other byte is kept. ROT13 is its own
// inverse and keeps the token count, so a test predicts the answer (`rot13(prompt)`) and can
// recover the prompt from it. `max_tokens` / `max_completion_tokens` cut the answer after that
// many tokens (finish_reason "length"; otherwise "stop").
//
// Tokenizer (`tokenize`). Whitespace (space, \t, \n, \v, \f, \r) separates and is never a token.
// A maximal run of ASCII letters and digits is one token. Every other character is a token on
// its own: one UTF-8 code point (its length taken from the lead byte; a stray or truncated byte
// counts as one token). So "Hello, world!" is 4 tokens: "Hello" "," "world" "!".
//   usage.prompt_tokens     = Σ tokens of the text of every message (string content, or the
//                             "text" of each {"type":"text"} part; roles and other fields are free)
//   usage.completion_tokens = tokens of the answer
//   fee                     = prompt_tokens·inputPrice + completion_tokens·outputPrice
//
// Streaming. The answer is cut into pieces, each = the whitespace before a token + the token (the
// last piece also carries trailing whitespace), so the concatenated deltas equal the non-stream
// content byte for byte. Events, each "data: <json>\n\n":
//   1. {"id","object":"chat.completion.chunk","created","model","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}
//   2. one chunk per piece with "delta":{"content":piece}
//   3. a final chunk with "delta":{} , "finish_reason" and "usage" (as vLLM/OpenAI with usage)
//   4. "data: [DONE]\n\n"
// The bytes the TEE signature hashes for a stream are exactly these events concatenated (the HTTP
// body after de-chunking), i.e. "the full SSE byte stream as the broker saw it" (docs/protocol/compute.md §4.6).
//
// Thread safety: pure functions.
#pragma once

#include <zerog/compute/pricing.hpp>
#include <zerog/core/result.hpp>

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zerog::devnet::chat {

namespace json = boost::json;

/// True for the bytes the tokenizer treats as separators.
inline bool is_space(unsigned char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }
/// True for the bytes that form word tokens.
inline bool is_word(unsigned char c) noexcept { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/// One token: its offset and length in the input.
struct token_span {
    std::size_t pos = 0;
    std::size_t len = 0;
};

/// Split `s` into tokens (see the file comment for the rule).
inline std::vector<token_span> tokenize(std::string_view s) {
    std::vector<token_span> out;
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (is_space(c)) { ++i; continue; }
        std::size_t j = i + 1;
        if (is_word(c)) {
            while (j < s.size() && is_word(static_cast<unsigned char>(s[j]))) ++j;
        } else if (c >= 0xC0) {  // UTF-8 lead byte: take its continuation bytes with it
            const std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            while (j < s.size() && j < i + n && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) ++j;
        }
        out.push_back(token_span{i, j - i});
        i = j;
    }
    return out;
}

/// Number of tokens in `s`.
inline std::uint64_t count_tokens(std::string_view s) { return tokenize(s).size(); }

/// ROT13 over ASCII letters; other bytes unchanged (its own inverse).
inline std::string rot13(std::string_view s) {
    std::string out(s);
    for (char& ch : out) {
        if (ch >= 'a' && ch <= 'z') ch = static_cast<char>('a' + (ch - 'a' + 13) % 26);
        else if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>('A' + (ch - 'A' + 13) % 26);
    }
    return out;
}

/// What the engine needs from a chat-completions body.
struct chat_request {
    std::string model;                      ///< as sent ("" when absent)
    bool stream = false;
    std::string prompt;                     ///< text of the last user message
    std::uint64_t prompt_tokens = 0;        ///< over all messages
    std::optional<std::uint64_t> max_tokens;
};

/// The text of a message's `content`: a string, or the "text" of its text parts joined by "\n".
inline std::string content_text(const json::value& content) {
    if (content.is_string()) return std::string(content.get_string());
    std::string out;
    if (const auto* a = content.if_array())
        for (const auto& part : *a)
            if (const auto* o = part.if_object())
                if (const auto* t = o->if_contains("text"); t && t->is_string()) {
                    if (!out.empty()) out.push_back('\n');
                    out.append(t->get_string());
                }
    return out;
}

/// Parse a chat-completions body. Errors: errc::invalid_argument with an OpenAI-style text.
inline result<chat_request> parse_chat_request(std::string_view body) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) return fail(errc::invalid_argument, "invalid request body: expected a JSON object");
    const auto& o = v.get_object();
    chat_request r;
    if (const auto* m = o.if_contains("model")) {
        if (!m->is_string()) return fail(errc::invalid_argument, "invalid request body: \"model\" must be a string");
        r.model = std::string(m->get_string());
    }
    if (const auto* s = o.if_contains("stream"); s && !s->is_null()) {
        if (!s->is_bool()) return fail(errc::invalid_argument, "invalid request body: \"stream\" must be a boolean");
        r.stream = s->get_bool();
    }
    for (const char* key : {"max_tokens", "max_completion_tokens"})
        if (const auto* m = o.if_contains(key); m && !m->is_null()) {
            if (m->is_uint64()) r.max_tokens = m->get_uint64();
            else if (m->is_int64() && m->get_int64() >= 0) r.max_tokens = static_cast<std::uint64_t>(m->get_int64());
            else return fail(errc::invalid_argument, std::string("invalid request body: \"") + key + "\" must be a non-negative integer");
        }
    const auto* msgs = o.if_contains("messages");
    if (!msgs || !msgs->is_array() || msgs->get_array().empty())
        return fail(errc::invalid_argument, "invalid request body: \"messages\" must be a non-empty array");
    const json::object* last_user = nullptr;
    const json::object* last = nullptr;
    for (const auto& m : msgs->get_array()) {
        const auto* mo = m.if_object();
        if (!mo) return fail(errc::invalid_argument, "invalid request body: every message must be an object");
        last = mo;
        if (const auto* role = mo->if_contains("role"); role && role->is_string() && role->get_string() == "user") last_user = mo;
        if (const auto* c = mo->if_contains("content")) r.prompt_tokens += count_tokens(content_text(*c));
    }
    const json::object* src = last_user ? last_user : last;
    if (const auto* c = src->if_contains("content")) r.prompt = content_text(*c);
    return r;
}

/// The engine's answer to a request.
struct chat_answer {
    std::string content;
    compute::token_usage usage;
    std::string finish_reason = "stop";
};

/// Answer `r` (ROT13 of the prompt, cut at max_tokens).
inline chat_answer answer(const chat_request& r) {
    chat_answer a;
    const std::string full = rot13(r.prompt);
    const auto toks = tokenize(full);
    std::size_t keep = toks.size();
    if (r.max_tokens && *r.max_tokens < keep) {
        keep = static_cast<std::size_t>(*r.max_tokens);
        a.finish_reason = "length";
        a.content = keep == 0 ? std::string() : full.substr(0, toks[keep - 1].pos + toks[keep - 1].len);
    } else {
        a.content = full;
    }
    a.usage.prompt_tokens = r.prompt_tokens;
    a.usage.completion_tokens = keep;
    return a;
}

/// The stream pieces of `content` (their concatenation is `content`).
inline std::vector<std::string> stream_pieces(std::string_view content) {
    std::vector<std::string> out;
    std::size_t from = 0;
    for (const auto& t : tokenize(content)) {
        out.emplace_back(content.substr(from, t.pos + t.len - from));
        from = t.pos + t.len;
    }
    if (from < content.size()) {
        if (out.empty()) out.emplace_back();
        out.back().append(content.substr(from));
    }
    return out;
}

/// The usage object {"prompt_tokens","completion_tokens","total_tokens"}.
inline json::object usage_json(const compute::token_usage& u) {
    json::object o;
    o["prompt_tokens"] = u.prompt_tokens;
    o["completion_tokens"] = u.completion_tokens;
    o["total_tokens"] = u.prompt_tokens + u.completion_tokens;
    return o;
}

/// The non-stream chat.completion body.
inline std::string completion_body(std::string_view id, std::int64_t created, std::string_view model, const chat_answer& a) {
    json::object msg;
    msg["role"] = "assistant";
    msg["content"] = a.content;
    json::object choice;
    choice["index"] = 0;
    choice["message"] = std::move(msg);
    choice["finish_reason"] = a.finish_reason;
    json::array choices;
    choices.push_back(std::move(choice));
    json::object o;
    o["id"] = id;
    o["object"] = "chat.completion";
    o["created"] = created;
    o["model"] = model;
    o["choices"] = std::move(choices);
    o["usage"] = usage_json(a.usage);
    return json::serialize(o);
}

/// The SSE events of a streamed answer, each a complete "data: …\n\n" frame, ending with [DONE].
inline std::vector<std::string> stream_events(std::string_view id, std::int64_t created, std::string_view model, const chat_answer& a) {
    auto chunk = [&](json::object delta, json::value finish, const compute::token_usage* usage) {
        json::object choice;
        choice["index"] = 0;
        choice["delta"] = std::move(delta);
        choice["finish_reason"] = std::move(finish);
        json::array choices;
        choices.push_back(std::move(choice));
        json::object o;
        o["id"] = id;
        o["object"] = "chat.completion.chunk";
        o["created"] = created;
        o["model"] = model;
        o["choices"] = std::move(choices);
        if (usage) o["usage"] = usage_json(*usage);
        return "data: " + json::serialize(o) + "\n\n";
    };
    std::vector<std::string> out;
    json::object first;
    first["role"] = "assistant";
    first["content"] = "";
    out.push_back(chunk(std::move(first), json::value(nullptr), nullptr));
    for (auto& p : stream_pieces(a.content)) {
        json::object d;
        d["content"] = std::move(p);
        out.push_back(chunk(std::move(d), json::value(nullptr), nullptr));
    }
    out.push_back(chunk(json::object(), json::value(a.finish_reason), &a.usage));
    out.emplace_back("data: [DONE]\n\n");
    return out;
}

}  // namespace zerog::devnet::chat
