// Incremental parser of an OpenAI-style chat-completions SSE stream (docs/protocol/compute.md §4.4–§4.5):
//
//   data: {"id":…,"choices":[{"delta":{"content":"…"}}],…}\n\n   …   data: [DONE]\n\n
//
// Fed the body piece by piece as the transport receives it (chunks may split events, lines and
// UTF-8 sequences anywhere). It also keeps every byte received, because the TEE signs the whole
// event stream as the broker sent it (§4.6). Events: LF or CRLF line ends, several `data:` lines
// per event joined with "\n", comments (":…") and other fields ignored, as the SSE spec says.
//
// Thread safety: one parser per stream; not synchronised.
#pragma once

#include <zerog/compute/pricing.hpp>

#include <boost/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace zerog::compute {

/// Incremental SSE chat-completion parser. See the file comment.
class chat_sse_parser {
public:
    /// `on_delta` receives each non-empty content delta (may be empty: no callback).
    explicit chat_sse_parser(std::function<void(std::string_view)> on_delta = {}, std::size_t max_bytes = 32u << 20)
        : on_delta_(std::move(on_delta)), max_bytes_(max_bytes) {}

    /// Feed the next piece of the body. Errors: errc::malformed_response (a data event that is not
    /// a JSON object), errc::response_too_large.
    result<void> feed(std::string_view chunk) {
        raw_.append(chunk);
        if (raw_.size() > max_bytes_) return fail(errc::response_too_large, "event stream exceeds " + std::to_string(max_bytes_) + " bytes");
        for (;;) {
            const std::size_t nl = raw_.find('\n', pos_);
            if (nl == std::string::npos) return {};
            std::string_view line(raw_.data() + pos_, nl - pos_);
            pos_ = nl + 1;
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            if (line.empty()) {
                if (have_data_) ZEROG_CHECK(dispatch());
                continue;
            }
            if (line.front() == ':') continue;  // comment / keep-alive
            if (line.substr(0, 5) != "data:") continue;  // event:, id:, retry: carry nothing for us
            std::string_view v = line.substr(5);
            if (!v.empty() && v.front() == ' ') v.remove_prefix(1);
            if (have_data_) data_.push_back('\n');
            data_.append(v);
            have_data_ = true;
        }
    }

    /// Finish: an unterminated last event is dispatched. Errors: as feed; errc::malformed_response
    /// when no completion chunk arrived at all.
    result<void> finish() {
        if (have_data_) ZEROG_CHECK(dispatch());
        if (chunks_ == 0) return fail(errc::malformed_response, "event stream carried no completion chunk");
        return {};
    }

    const std::string& raw() const noexcept { return raw_; }
    std::string take_raw() noexcept { return std::move(raw_); }
    const std::string& content() const noexcept { return content_; }
    const std::string& first_id() const noexcept { return first_id_; }
    const std::string& finish_reason() const noexcept { return finish_reason_; }
    const std::optional<compute::token_usage>& usage() const noexcept { return usage_; }
    bool done() const noexcept { return done_; }
    std::size_t chunks() const noexcept { return chunks_; }

private:
    result<void> dispatch() {
        std::string data = std::move(data_);
        data_.clear();
        have_data_ = false;
        if (data == "[DONE]") {
            done_ = true;
            return {};
        }
        boost::system::error_code ec;
        boost::json::value v = boost::json::parse(data, ec);
        if (ec || !v.is_object()) return fail(errc::malformed_response, "stream event is not a JSON object");
        const auto& o = v.get_object();
        if (const auto* e = o.if_contains("error")) {
            std::string text = e->is_string() ? std::string(e->get_string()) : boost::json::serialize(*e);
            return fail(errc::server_error, "provider reported an error inside the stream: " + policy_snippet(text));
        }
        ++chunks_;
        if (first_id_.empty())
            if (const auto* id = o.if_contains("id"); id && id->is_string()) first_id_ = std::string(id->get_string());
        if (const auto* ch = o.if_contains("choices"); ch && ch->is_array() && !ch->get_array().empty() && ch->get_array()[0].is_object()) {
            const auto& c0 = ch->get_array()[0].get_object();
            if (const auto* d = c0.if_contains("delta"); d && d->is_object())
                if (const auto* t = d->get_object().if_contains("content"); t && t->is_string() && !t->get_string().empty()) {
                    const std::string_view piece(t->get_string());
                    content_.append(piece);
                    if (on_delta_) on_delta_(piece);
                }
            if (const auto* f = c0.if_contains("finish_reason"); f && f->is_string()) finish_reason_ = std::string(f->get_string());
        }
        if (const auto* u = o.if_contains("usage"); u && !u->is_null()) {
            auto parsed = compute::usage_from_json(*u);
            if (!parsed) return fail(std::move(parsed).error());
            usage_ = *parsed;
        }
        return {};
    }
    static std::string policy_snippet(std::string_view s) { return std::string(s.substr(0, 200)); }

    std::function<void(std::string_view)> on_delta_;
    std::size_t max_bytes_;
    std::string raw_;
    std::size_t pos_ = 0;
    std::string data_;
    bool have_data_ = false;
    bool done_ = false;
    std::size_t chunks_ = 0;
    std::string content_, first_id_, finish_reason_;
    std::optional<compute::token_usage> usage_;
};

}  // namespace zerog::compute
