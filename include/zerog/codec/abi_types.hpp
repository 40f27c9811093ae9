// Solidity ABI: the type model, signature parsing, and the dynamic value model.
//
// `abi::type` is parsed from canonical type strings ("(uint256,bytes,(bytes32,uint256)[])[2]") and
// from human-readable signatures ("event Submit(address indexed sender, bytes32 indexed identity,
// uint256 submissionIndex, ...)", "function getLedger(address user) view returns ((address,...))").
// `abi::value` is a tagged tree whose alternatives follow the type:
//   uint<M>/int<M> → uint256 (int as 256-bit two's complement, i.e. sign-extended),
//   bool → bool, address → crypto::address, bytes/bytes<N> → bytes, string → std::string,
//   T[], T[k], tuples → value::list.
// The encoder and decoder live in codec/abi.hpp; logs and reverts in abi_events.hpp / abi_errors.hpp.
//
// Thread safety: value types, no shared state; parse functions are pure.
#pragma once

#include <zerog/core/bytes.hpp>
#include <zerog/core/result.hpp>
#include <zerog/core/uint256.hpp>
#include <zerog/crypto/address.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace zerog::codec::abi {

/// The ABI type families (fixed-point types are not supported: no 0G contract uses them).
enum class kind : std::uint8_t { uint_, int_, address, bool_, fixed_bytes, bytes, string, array, fixed_array, tuple };

/// Limits that keep caller-supplied type strings sane (the type is trusted input, but a typo like
/// "uint256[99999999999]" must fail at parse time, not as an allocation failure while decoding).
inline constexpr std::size_t max_type_depth = 32;
inline constexpr std::size_t max_static_size = std::size_t(1) << 32;

/// One ABI type. `bits` is M of uint<M>/int<M>, or N of bytes<N>; `length` is k of T[k];
/// `children` holds the element type (arrays) or the members (tuples); `names` the member names
/// of a tuple when the source string had them (informational only, never part of the encoding).
struct type {
    kind k = kind::uint_;
    unsigned bits = 256;
    std::size_t length = 0;
    std::vector<type> children;
    std::vector<std::string> names;

    static type uint(unsigned m = 256) { return type{kind::uint_, m, 0, {}, {}}; }
    static type int_(unsigned m = 256) { return type{kind::int_, m, 0, {}, {}}; }
    static type address() { return type{kind::address, 160, 0, {}, {}}; }
    static type boolean() { return type{kind::bool_, 8, 0, {}, {}}; }
    static type bytes_n(unsigned n) { return type{kind::fixed_bytes, n, 0, {}, {}}; }
    static type bytes() { return type{kind::bytes, 0, 0, {}, {}}; }
    static type string() { return type{kind::string, 0, 0, {}, {}}; }
    static type array(type elem) { return type{kind::array, 0, 0, {std::move(elem)}, {}}; }
    static type fixed_array(type elem, std::size_t k) { return type{kind::fixed_array, 0, k, {std::move(elem)}, {}}; }
    static type tuple(std::vector<type> members) { return type{kind::tuple, 0, 0, std::move(members), {}}; }

    /// Dynamic in the ABI sense: bytes, string, T[], and anything containing one.
    bool is_dynamic() const noexcept {
        switch (k) {
        case kind::bytes: case kind::string: case kind::array: return true;
        case kind::fixed_array: return children[0].is_dynamic();
        case kind::tuple:
            for (const auto& c : children)
                if (c.is_dynamic()) return true;
            return false;
        default: return false;
        }
    }
    /// Bytes this type occupies in its enclosing head: 32 for dynamic types (the offset word),
    /// the full inline size for static ones. Bounded by `max_static_size` at parse time.
    std::size_t head_size() const noexcept {
        if (is_dynamic()) return 32;
        if (k == kind::fixed_array) return length * children[0].head_size();
        if (k == kind::tuple) {
            std::size_t n = 0;
            for (const auto& c : children) n += c.head_size();
            return n;
        }
        return 32;
    }
    /// Size of the heads of a tuple's members (its encoding's minimum size, dynamic or not).
    std::size_t head_size_inner() const noexcept {
        std::size_t n = 0;
        for (const auto& c : children) n += c.head_size();
        return n;
    }
    /// Canonical spelling used for selectors and topics ("uint256", "(bytes32,uint256)[]").
    std::string canonical() const {
        switch (k) {
        case kind::uint_: return "uint" + std::to_string(bits);
        case kind::int_: return "int" + std::to_string(bits);
        case kind::address: return "address";
        case kind::bool_: return "bool";
        case kind::fixed_bytes: return "bytes" + std::to_string(bits);
        case kind::bytes: return "bytes";
        case kind::string: return "string";
        case kind::array: return children[0].canonical() + "[]";
        case kind::fixed_array: return children[0].canonical() + "[" + std::to_string(length) + "]";
        case kind::tuple: {
            std::string s = "(";
            for (std::size_t i = 0; i < children.size(); ++i) {
                if (i) s += ',';
                s += children[i].canonical();
            }
            return s + ")";
        }
        }
        return "?";
    }
    friend bool operator==(const type& a, const type& b) {
        return a.k == b.k && a.bits == b.bits && a.length == b.length && a.children == b.children;
    }
};

/// A named parameter of a function, event or error.
struct param {
    abi::type type;
    std::string name;     ///< may be empty
    bool indexed = false; ///< events only
};

/// A parsed signature: `name(params)` plus the outputs after `returns` (functions only).
struct signature {
    std::string kind_keyword;  ///< "function", "event", "error" or empty when the source had none
    std::string name;
    std::vector<param> inputs;
    std::vector<param> outputs;

    /// "name(t1,t2)": the string hashed into selectors and event topics.
    std::string canonical() const {
        std::string s = name + "(";
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            if (i) s += ',';
            s += inputs[i].type.canonical();
        }
        return s + ")";
    }
    /// The inputs as one tuple type (what is encoded after the selector).
    type input_tuple() const {
        type t = type::tuple({});
        for (const auto& p : inputs) { t.children.push_back(p.type); t.names.push_back(p.name); }
        return t;
    }
    type output_tuple() const {
        type t = type::tuple({});
        for (const auto& p : outputs) { t.children.push_back(p.type); t.names.push_back(p.name); }
        return t;
    }
};

namespace detail {

/// Recursive-descent parser over a type or signature string; errors carry the character index.
class type_parser {
public:
    explicit type_parser(std::string_view s) : s_(s) {}

    result<type> parse_type(std::size_t depth = 0) {
        if (depth > max_type_depth) return err("type nesting deeper than " + std::to_string(max_type_depth));
        type t;
        skip_ws();
        if (peek() == '(' || starts_with_word("tuple(")) {
            if (peek() == 't') i_ += 5;
            ZEROG_TRY(auto ps, parse_params(depth + 1, false));
            t = type::tuple({});
            for (auto& p : ps) { t.children.push_back(std::move(p.type)); t.names.push_back(std::move(p.name)); }
        } else {
            const std::size_t start = i_;
            while (i_ < s_.size() && is_ident(s_[i_])) ++i_;
            ZEROG_TRY(t, elementary(s_.substr(start, i_ - start), start));
        }
        // array suffixes, innermost first: "uint256[2][]" is a dynamic array of uint256[2]
        while (peek() == '[') {
            const std::size_t open = i_++;
            // An element that encodes to no bytes (the empty tuple, a static T[0]) would let a length
            // word or a type string ask for billions of values at no cost in data: refused (Solidity
            // has no such types; a dynamic T[0] such as string[0] is fine and stays accepted).
            if (!t.is_dynamic() && t.head_size() == 0) return err("array of a zero-size element type", open);
            if (peek() == ']') {
                ++i_;
                t = type::array(std::move(t));
                continue;
            }
            std::size_t k = 0;
            const std::size_t digits_start = i_;
            while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
                if (k > max_static_size) return err("array length too large", open);
                k = k * 10 + static_cast<std::size_t>(s_[i_++] - '0');
            }
            if (i_ == digits_start || peek() != ']') return err("expected array length and ']'", open);
            if (s_[digits_start] == '0' && i_ - digits_start > 1) return err("array length with leading zeros", open);
            ++i_;
            if (k > 0 && t.head_size() > max_static_size / k) return err("static array size too large", open);
            t = type::fixed_array(std::move(t), k);
        }
        return t;
    }

    /// "(p, p, ...)" where p = type ["indexed"] [name].
    result<std::vector<param>> parse_params(std::size_t depth, bool allow_indexed) {
        skip_ws();
        if (peek() != '(') return err("expected '('");
        ++i_;
        std::vector<param> out;
        skip_ws();
        if (peek() == ')') { ++i_; return out; }
        for (;;) {
            param p;
            ZEROG_TRY(p.type, parse_type(depth));
            skip_ws();
            if (is_ident_start(peek())) {
                std::string_view w = word();
                if (w == "indexed") {
                    if (!allow_indexed) return err("'indexed' outside an event parameter list");
                    p.indexed = true;
                    skip_ws();
                    if (is_ident_start(peek())) w = word(); else w = {};
                }
                if (w == "memory" || w == "calldata" || w == "storage") {  // Solidity data locations
                    skip_ws();
                    w = is_ident_start(peek()) ? word() : std::string_view{};
                }
                p.name = std::string(w);
            }
            out.push_back(std::move(p));
            skip_ws();
            if (peek() == ',') { ++i_; continue; }
            if (peek() == ')') { ++i_; return out; }
            return err("expected ',' or ')'");
        }
    }

    /// [function|event|error] name(params) [modifiers] [returns (params)]
    result<signature> parse_signature() {
        signature sig;
        skip_ws();
        std::string_view w = is_ident_start(peek()) ? word() : std::string_view{};
        if (w == "function" || w == "event" || w == "error") {
            sig.kind_keyword = std::string(w);
            skip_ws();
            w = is_ident_start(peek()) ? word() : std::string_view{};
        }
        if (w.empty()) return err("expected a name");
        sig.name = std::string(w);
        if (peek() != '(') return err("expected '(' right after the name");
        ZEROG_TRY(sig.inputs, parse_params(0, sig.kind_keyword != "function" && sig.kind_keyword != "error"));
        for (;;) {
            skip_ws();
            if (i_ == s_.size()) break;
            if (!is_ident_start(peek())) return err("unexpected character");
            const std::string_view m = word();
            if (m == "returns") {
                ZEROG_TRY(sig.outputs, parse_params(0, false));
            } else if (m != "view" && m != "pure" && m != "payable" && m != "nonpayable" && m != "external" &&
                       m != "public" && m != "anonymous" && m != "virtual" && m != "override") {
                return err("unknown modifier '" + std::string(m) + "'");
            }
        }
        return sig;
    }

    bool at_end() { skip_ws(); return i_ == s_.size(); }
    failure err(std::string what) const { return err(std::move(what), i_); }
    failure err(std::string what, std::size_t at) const {
        return fail(errc::parse_error, "ABI signature \"" + std::string(s_) + "\": " + what + " at index " + std::to_string(at));
    }

private:
    static bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$'; }
    static bool is_ident(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
    char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
    void skip_ws() { while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n')) ++i_; }
    bool starts_with_word(std::string_view w) const { return s_.substr(i_, w.size()) == w; }
    std::string_view word() {
        const std::size_t start = i_;
        while (i_ < s_.size() && is_ident(s_[i_])) ++i_;
        return s_.substr(start, i_ - start);
    }
    static bool parse_width(std::string_view digits, unsigned& out) {
        if (digits.empty() || digits.size() > 3 || digits[0] == '0') return false;
        out = 0;
        for (char c : digits) {
            if (c < '0' || c > '9') return false;
            out = out * 10 + static_cast<unsigned>(c - '0');
        }
        return true;
    }
    result<type> elementary(std::string_view w, std::size_t at) const {
        if (w.empty()) return err("expected a type", at);
        if (w == "address") return type::address();
        if (w == "bool") return type::boolean();
        if (w == "string") return type::string();
        if (w == "bytes") return type::bytes();
        if (w == "uint") return type::uint(256);  // Solidity aliases; canonical() spells them out
        if (w == "int") return type::int_(256);
        unsigned m = 0;
        if (w.starts_with("uint") || w.starts_with("int")) {
            const bool u = w[0] == 'u';
            if (!parse_width(w.substr(u ? 4 : 3), m) || m % 8 || m > 256)
                return err("bad integer width in '" + std::string(w) + "'", at);
            return u ? type::uint(m) : type::int_(m);
        }
        if (w.starts_with("bytes")) {
            if (!parse_width(w.substr(5), m) || m > 32) return err("bad bytesN width in '" + std::string(w) + "'", at);
            return type::bytes_n(m);
        }
        if (w == "function") return type::bytes_n(24);  // address ‖ selector, encoded as bytes24
        return fail(errc::not_supported, "ABI signature \"" + std::string(s_) + "\": type '" + std::string(w) +
                                             "' is not supported, at index " + std::to_string(at));
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

}  // namespace detail

/// Parse one type, e.g. "(uint256,bytes,(bytes32,uint256)[])" or "uint8[3][]". Names inside
/// tuples are accepted and kept. Errors: parse_error / not_supported with the character index.
inline result<type> parse_type(std::string_view s) {
    detail::type_parser p(s);
    ZEROG_TRY(auto t, p.parse_type());
    if (!p.at_end()) return p.err("trailing characters after the type");
    return t;
}

/// Parse a signature: "submit(((uint256,bytes,(bytes32,uint256)[]),address))", or human-readable
/// forms with names, "indexed", modifiers and "returns (...)".
inline result<signature> parse_signature(std::string_view s) {
    detail::type_parser p(s);
    return p.parse_signature();
}

// ---------------------------------------------------------------------------------------------

/// A dynamic ABI value (see the file comment for which alternative each type uses). Build with
/// the named factories; `value(5)` is deliberately impossible (bool vs number ambiguity).
class value {
public:
    using list = std::vector<value>;
    using storage = std::variant<uint256, bool, crypto::address, zerog::bytes, std::string, list>;

    value() = default;
    static value uint(const uint256& v) { return value(storage(std::in_place_index<0>, v)); }
    /// Signed integer from a native int: stored sign-extended to 256 bits.
    static value integer(std::int64_t v) {
        const auto lo = static_cast<std::uint64_t>(v);
        return uint(v < 0 ? uint256::from_limbs(lo, ~0ULL, ~0ULL, ~0ULL) : uint256(lo));
    }
    /// Signed integer given as its 256-bit two's complement.
    static value twos_complement(const uint256& v) { return uint(v); }
    static value boolean(bool b) { return value(storage(std::in_place_index<1>, b)); }
    static value addr(const crypto::address& a) { return value(storage(std::in_place_index<2>, a)); }
    static value bytes(zerog::bytes b) { return value(storage(std::in_place_index<3>, std::move(b))); }
    static value bytes(byte_span b) { return bytes(zerog::bytes(b.begin(), b.end())); }
    static value string(std::string s) { return value(storage(std::in_place_index<4>, std::move(s))); }
    static value tuple(list l) { return value(storage(std::in_place_index<5>, std::move(l))); }
    static value array(list l) { return tuple(std::move(l)); }

    const storage& get() const noexcept { return v_; }
    const uint256* as_uint() const noexcept { return std::get_if<0>(&v_); }
    const bool* as_bool() const noexcept { return std::get_if<1>(&v_); }
    const crypto::address* as_address() const noexcept { return std::get_if<2>(&v_); }
    const zerog::bytes* as_bytes() const noexcept { return std::get_if<3>(&v_); }
    const std::string* as_string() const noexcept { return std::get_if<4>(&v_); }
    const list* as_list() const noexcept { return std::get_if<5>(&v_); }
    friend bool operator==(const value&, const value&) = default;

private:
    explicit value(storage s) : v_(std::move(s)) {}
    storage v_{};
};

/// Decimal text of a 256-bit two's complement integer ("-5").
inline std::string signed_decimal(const uint256& twos) {
    if (!(twos >> 255).is_zero()) return "-" + ((~twos) + uint256(1)).to_decimal();
    return twos.to_decimal();
}

/// Human-readable text of a value of type `t` (error messages, logs): decimal numbers, EIP-55
/// addresses, 0x-hex bytes, quoted strings, [..] arrays and (..) tuples.
inline std::string format(const type& t, const value& v) {
    switch (t.k) {
    case kind::uint_: return v.as_uint() ? v.as_uint()->to_decimal() : "?";
    case kind::int_: return v.as_uint() ? signed_decimal(*v.as_uint()) : "?";
    case kind::bool_: return v.as_bool() ? (*v.as_bool() ? "true" : "false") : "?";
    case kind::address: return v.as_address() ? v.as_address()->to_checksum_hex() : "?";
    case kind::fixed_bytes: case kind::bytes: return v.as_bytes() ? to_hex(*v.as_bytes()) : "?";
    case kind::string: {
        if (!v.as_string()) return "?";
        std::string s = "\"";
        for (char c : *v.as_string()) {
            if (c == '"' || c == '\\') { s += '\\'; s += c; }
            else if (static_cast<unsigned char>(c) < 0x20) s += zerog::detail::printable_char(c);
            else s += c;
        }
        return s + "\"";
    }
    case kind::array: case kind::fixed_array: case kind::tuple: {
        const auto* l = v.as_list();
        if (!l) return "?";
        const bool tup = t.k == kind::tuple;
        std::string s = tup ? "(" : "[";
        for (std::size_t i = 0; i < l->size(); ++i) {
            if (i) s += ", ";
            if (tup && i < t.names.size() && !t.names[i].empty()) s += t.names[i] + "=";
            s += format(tup ? (i < t.children.size() ? t.children[i] : t) : t.children[0], (*l)[i]);
        }
        return s + (tup ? ")" : "]");
    }
    }
    return "?";
}

}  // namespace zerog::codec::abi

namespace zerog {
namespace abi = codec::abi;
}
