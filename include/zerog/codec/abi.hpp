// Solidity ABI encoding and strict decoding, function selectors and calls.
//
//   abi::encode(types, values)           → head/tail encoding of a tuple of values
//   abi::decode(types, data)             → values, rejecting every non-canonical or hostile input
//   abi::function_selector("f(uint256)") → first 4 bytes of keccak256 of the canonical signature
//   abi::encode_call(sig, values...)     → selector ‖ encode(inputs, values); values may be a
//                                          value::list or plain C++ arguments (typed layer below)
//   abi::decode_as<T...>("types", data)  → native C++ values (uint256, address, std::string, ...)
//
// Decoder strictness (Solidity's own decoder is laxer; ethers' too): data length a multiple of 32;
// every read in bounds; an offset must point past the heads of its tuple (never backwards) and
// inside the data; lengths must fit the remaining data before anything is allocated; uint<M>
// high bits and int<M> sign extension must be exact; bool is 0 or 1; address upper 12 bytes
// zero; bytes<N>/bytes/string padding zero; and the total number of words decoded cannot exceed
// the words in the input, which rejects aliasing offsets (the ABI "zip bomb": many heads pointing
// at the same tail). Trailing words after the encoding are accepted, as every other decoder does.
// Errors (errc::invalid_length / out_of_range / parse_error) say which element ("[0][2][1]"),
// which type and at which byte offset.
//
// Thread safety: pure functions.
#pragma once

#include <zerog/codec/abi_types.hpp>
#include <zerog/crypto/keccak.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>

namespace zerog::codec::abi {

using selector = fixed_bytes<4>;

/// First 4 bytes of keccak256(canonical signature). The string is hashed as given: pass the
/// canonical form ("transfer(address,uint256)"), or use `function::parse` for human-readable ones.
inline selector function_selector(std::string_view canonical_signature) {
    const hash256 h = crypto::keccak256(canonical_signature);
    selector s;
    std::copy(h.begin(), h.begin() + 4, s.begin());
    return s;
}

namespace detail {

inline std::string offset_text(std::size_t off) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%zx", off);
    return std::to_string(off) + " (" + buf + ")";
}

/// Prefix a path component ("[3]") to an error coming up from a nested element.
inline zerog::error nest(zerog::error e, std::size_t index) {
    const std::string comp = "[" + std::to_string(index) + "]";
    std::string d = e.detail();
    if (d.starts_with("in [")) d.insert(3, comp);
    else d = "in " + comp + ": " + d;
    zerog::error out(e.code(), std::move(d));
    for (const auto& f : e.context()) {
        out.during(f.operation);
        for (const auto& [k, v] : f.ids) out.with(k, v);
    }
    return out;
}

inline void put_word(bytes& out, const uint256& w) {
    const hash256 b = w.to_be_bytes();
    out.insert(out.end(), b.begin(), b.end());
}
inline void put_padded(bytes& out, byte_span b) {
    out.insert(out.end(), b.begin(), b.end());
    out.resize(out.size() + (32 - b.size() % 32) % 32, 0);
}

inline failure enc_err(const type& t, std::string what) {
    return fail(errc::invalid_argument, "ABI encode of " + t.canonical() + ": " + what);
}

inline result<void> encode_value(const type& t, const value& v, bytes& out);

/// Encode a sequence (tuple members or array elements) at the end of `out`: heads then tails,
/// offsets relative to the start of the sequence.
inline result<void> encode_sequence(const type* types, bool homogeneous, const value::list& vs, bytes& out) {
    const std::size_t base = out.size();
    std::size_t heads = 0;
    for (std::size_t i = 0; i < vs.size(); ++i) heads += types[homogeneous ? 0 : i].head_size();
    out.resize(base + heads, 0);
    std::size_t head_pos = base;
    for (std::size_t i = 0; i < vs.size(); ++i) {
        const type& t = types[homogeneous ? 0 : i];
        if (t.is_dynamic()) {
            const hash256 off = uint256(out.size() - base).to_be_bytes();
            std::copy(off.begin(), off.end(), out.begin() + static_cast<std::ptrdiff_t>(head_pos));
            if (auto r = encode_value(t, vs[i], out); !r) return nest(std::move(r).error(), i);
            head_pos += 32;
        } else {
            // Static values are encoded at the end and moved into their head slot.
            const std::size_t at = out.size();
            if (auto r = encode_value(t, vs[i], out); !r) return nest(std::move(r).error(), i);
            std::copy(out.begin() + static_cast<std::ptrdiff_t>(at), out.end(), out.begin() + static_cast<std::ptrdiff_t>(head_pos));
            out.resize(at);
            head_pos += t.head_size();
        }
    }
    return {};
}

inline result<void> encode_value(const type& t, const value& v, bytes& out) {
    switch (t.k) {
    case kind::uint_: {
        const uint256* w = v.as_uint();
        if (!w) return enc_err(t, "expected an unsigned integer value");
        if (t.bits < 256 && !(*w >> t.bits).is_zero()) return enc_err(t, w->to_decimal() + " does not fit in " + std::to_string(t.bits) + " bits");
        put_word(out, *w);
        return {};
    }
    case kind::int_: {
        const uint256* w = v.as_uint();
        if (!w) return enc_err(t, "expected a signed integer value");
        const uint256 top = *w >> (t.bits - 1);
        if (!top.is_zero() && top != (uint256::max() >> (t.bits - 1)))
            return enc_err(t, signed_decimal(*w) + " does not fit in " + std::to_string(t.bits) + " signed bits");
        put_word(out, *w);
        return {};
    }
    case kind::bool_:
        if (!v.as_bool()) return enc_err(t, "expected a bool value");
        put_word(out, uint256(*v.as_bool() ? 1 : 0));
        return {};
    case kind::address:
        if (!v.as_address()) return enc_err(t, "expected an address value");
        out.resize(out.size() + 12, 0);
        out.insert(out.end(), v.as_address()->data(), v.as_address()->data() + 20);
        return {};
    case kind::fixed_bytes:
        if (!v.as_bytes()) return enc_err(t, "expected a bytes value");
        if (v.as_bytes()->size() != t.bits)
            return enc_err(t, "expected exactly " + std::to_string(t.bits) + " bytes, got " + std::to_string(v.as_bytes()->size()));
        put_padded(out, *v.as_bytes());
        return {};
    case kind::bytes:
    case kind::string: {
        byte_span b;
        if (t.k == kind::bytes && v.as_bytes()) b = *v.as_bytes();
        else if (t.k == kind::string && v.as_string()) b = as_bytes(*v.as_string());
        else return enc_err(t, t.k == kind::bytes ? "expected a bytes value" : "expected a string value");
        put_word(out, uint256(b.size()));
        put_padded(out, b);
        return {};
    }
    case kind::array:
    case kind::fixed_array:
    case kind::tuple: {
        const auto* l = v.as_list();
        if (!l) return enc_err(t, "expected a list value");
        if (t.k == kind::fixed_array && l->size() != t.length)
            return enc_err(t, "expected " + std::to_string(t.length) + " elements, got " + std::to_string(l->size()));
        if (t.k == kind::tuple && l->size() != t.children.size())
            return enc_err(t, "expected " + std::to_string(t.children.size()) + " members, got " + std::to_string(l->size()));
        if (t.k == kind::array) put_word(out, uint256(l->size()));
        return encode_sequence(t.children.data(), t.k != kind::tuple, *l, out);
    }
    }
    return enc_err(t, "unknown type");
}

/// Strict decoder over one input buffer (see the file comment for the rules).
class decoder {
public:
    explicit decoder(byte_span data) : d_(data), budget_(data.size() / 32) {}

    result<value::list> sequence(const type* types, bool homogeneous, std::size_t count, std::size_t base) {
        // Bound the element count by the bytes left before allocating anything.
        if (base > d_.size()) return err(errc::invalid_length, base, types[0], "data truncated (sequence starts past the end)");
        const std::size_t left = d_.size() - base;
        std::size_t heads = 0;
        if (homogeneous) {
            const std::size_t elem_head = types[0].head_size();
            if (elem_head && count > left / elem_head)
                return err(errc::invalid_length, base, types[0], std::to_string(count) + " elements cannot fit in the " +
                                                                     std::to_string(left) + " bytes left");
            heads = count * elem_head;
        } else {
            for (std::size_t i = 0; i < count; ++i) heads += types[i].head_size();
        }
        value::list out;
        out.reserve(std::min(count, left / 32 + 1));
        std::size_t pos = base;
        for (std::size_t i = 0; i < count; ++i) {
            const type& t = types[homogeneous ? 0 : i];
            result<value> v = value{};
            if (t.is_dynamic()) {
                ZEROG_TRY(const uint256 off, word(pos, t));
                // The target must hold at least the type's own heads (a length word for bytes,
                // string and T[]; nothing for a zero-length T[0]).
                const std::size_t need = t.k == kind::bytes || t.k == kind::string || t.k == kind::array ? 32
                                         : t.k == kind::fixed_array ? t.length * t.children[0].head_size()
                                                                    : t.head_size_inner();
                if (!off.fits_u64() || left < need || off.low64() > left - need)
                    return nest(err(errc::out_of_range, pos, t, "offset " + off.to_decimal() + " points beyond the " +
                                                                   std::to_string(d_.size()) + "-byte data").err, i);
                if (off.low64() < heads)
                    return nest(err(errc::out_of_range, pos, t, "offset " + off.to_decimal() +
                                                                   " points back into the heads (which end at " + std::to_string(heads) + ")").err, i);
                v = one(t, base + static_cast<std::size_t>(off.low64()));
                pos += 32;
            } else {
                v = one(t, pos);
                pos += t.head_size();
            }
            if (!v) return nest(std::move(v).error(), i);
            out.push_back(std::move(v).value());
        }
        return out;
    }

private:
    failure err(errc c, std::size_t off, const type& t, std::string what) const {
        return fail(c, "ABI decode of " + t.canonical() + " at offset " + offset_text(off) + ": " + what);
    }
    /// Read the 32-byte word at `pos`, charging the anti-aliasing budget.
    result<uint256> word(std::size_t pos, const type& t) {
        if (pos > d_.size() || d_.size() - pos < 32)
            return err(errc::invalid_length, pos, t, "data truncated (need 32 bytes, " +
                                                         std::to_string(pos > d_.size() ? 0 : d_.size() - pos) + " left)");
        if (budget_ == 0)
            return err(errc::out_of_range, pos, t, "offsets alias: more words decoded than the data holds");
        --budget_;
        return *uint256::from_be_bytes(d_.subspan(pos, 32));
    }
    result<void> zero_padding(std::size_t from, std::size_t to, const type& t) {
        for (std::size_t i = from; i < to; ++i)
            if (d_[i]) return err(errc::parse_error, i, t, "non-zero padding byte");
        return {};
    }
    result<value> one(const type& t, std::size_t pos) {
        switch (t.k) {
        case kind::uint_: {
            ZEROG_TRY(const uint256 w, word(pos, t));
            if (t.bits < 256 && !(w >> t.bits).is_zero()) return err(errc::parse_error, pos, t, "value has bits above bit " + std::to_string(t.bits));
            return value::uint(w);
        }
        case kind::int_: {
            ZEROG_TRY(const uint256 w, word(pos, t));
            const uint256 top = w >> (t.bits - 1);
            if (!top.is_zero() && top != (uint256::max() >> (t.bits - 1)))
                return err(errc::parse_error, pos, t, "value is not sign-extended from bit " + std::to_string(t.bits - 1));
            return value::twos_complement(w);
        }
        case kind::bool_: {
            ZEROG_TRY(const uint256 w, word(pos, t));
            if (w > uint256(1)) return err(errc::parse_error, pos, t, "bool is neither 0 nor 1");
            return value::boolean(w == uint256(1));
        }
        case kind::address: {
            ZEROG_TRY(const uint256 w, word(pos, t));
            if (!(w >> 160).is_zero()) return err(errc::parse_error, pos, t, "address has non-zero upper 12 bytes");
            return value::addr(crypto::address(fixed_bytes<20>::from_span(d_.subspan(pos + 12, 20))));
        }
        case kind::fixed_bytes: {
            ZEROG_TRY(const uint256 w, word(pos, t));
            (void)w;
            ZEROG_CHECK(zero_padding(pos + t.bits, pos + 32, t));
            return value::bytes(d_.subspan(pos, t.bits));
        }
        case kind::bytes:
        case kind::string: {
            ZEROG_TRY(const uint256 len, word(pos, t));
            const std::size_t start = pos + 32;
            const std::size_t left = d_.size() - start;
            if (!len.fits_u64() || len.low64() > left)
                return err(errc::invalid_length, pos, t, "length " + len.to_decimal() + " exceeds the " + std::to_string(left) + " bytes left");
            const std::size_t n = static_cast<std::size_t>(len.low64());
            const std::size_t padded = (n + 31) / 32 * 32;
            if (padded > left) return err(errc::invalid_length, pos, t, "missing padding after " + std::to_string(n) + " bytes");
            if (padded / 32 > budget_) return err(errc::out_of_range, pos, t, "offsets alias: more words decoded than the data holds");
            budget_ -= padded / 32;
            ZEROG_CHECK(zero_padding(start + n, start + padded, t));
            if (t.k == kind::string) return value::string(std::string(reinterpret_cast<const char*>(d_.data() + start), n));
            return value::bytes(d_.subspan(start, n));
        }
        case kind::array: {
            ZEROG_TRY(const uint256 n, word(pos, t));
            const std::size_t left = d_.size() - (pos + 32);
            const std::size_t elem = t.children[0].head_size();
            // Zero-size elements (e.g. "()[]") still cost one byte each so a length can't blow up memory.
            if (!n.fits_u64() || n.low64() > left / (elem ? elem : 1))
                return err(errc::invalid_length, pos, t, "array length " + n.to_decimal() + " cannot fit in the " + std::to_string(left) + " bytes left");
            ZEROG_TRY(auto l, sequence(t.children.data(), true, static_cast<std::size_t>(n.low64()), pos + 32));
            return value::array(std::move(l));
        }
        case kind::fixed_array: {
            ZEROG_TRY(auto l, sequence(t.children.data(), true, t.length, pos));
            return value::array(std::move(l));
        }
        case kind::tuple: {
            ZEROG_TRY(auto l, sequence(t.children.data(), false, t.children.size(), pos));
            return value::tuple(std::move(l));
        }
        }
        return err(errc::internal, pos, t, "unknown type");
    }

    byte_span d_;
    std::size_t budget_;
};

}  // namespace detail

/// Encode `values` as the tuple `types` (function arguments, return data, event data).
inline result<bytes> encode(const std::vector<type>& types, const value::list& values) {
    if (types.size() != values.size())
        return fail(errc::invalid_argument, "ABI encode: " + std::to_string(types.size()) + " types but " +
                                                std::to_string(values.size()) + " values");
    bytes out;
    ZEROG_CHECK(detail::encode_sequence(types.data(), false, values, out));
    return out;
}
/// Encode against a tuple type ("(uint256,bytes)" parsed with `parse_type`).
inline result<bytes> encode(const type& tuple, const value::list& values) {
    if (tuple.k != kind::tuple) return encode(std::vector<type>{tuple}, values);
    return encode(tuple.children, values);
}

/// Strictly decode `data` as the tuple `types`.
inline result<value::list> decode(const std::vector<type>& types, byte_span data) {
    if (data.size() % 32)
        return fail(errc::invalid_length, "ABI decode: data length " + std::to_string(data.size()) + " is not a multiple of 32");
    detail::decoder d(data);
    if (types.empty()) return value::list{};
    return d.sequence(types.data(), false, types.size(), 0);
}
inline result<value::list> decode(const type& tuple, byte_span data) {
    if (tuple.k != kind::tuple) return decode(std::vector<type>{tuple}, data);
    return decode(tuple.children, data);
}
/// Convenience: parse the type list "(uint256,address)" (or a single "uint256") and decode.
inline result<value::list> decode(std::string_view types, byte_span data) {
    ZEROG_TRY(auto t, parse_type(types));
    return decode(t, data);
}

/// A parsed function: selector computed once, encoding of inputs and decoding of outputs.
/// Reuse one object on hot paths (parsing and hashing the signature cost more than encoding).
struct function {
    abi::signature sig;
    abi::selector sel;
    std::vector<type> in_types, out_types;

    /// Accepts "submit(((uint256,bytes,(bytes32,uint256)[]),address))" as well as
    /// "function getLedger(address user) view returns ((address,uint256,uint256,string))".
    static result<function> parse(std::string_view signature) {
        ZEROG_TRY(auto s, parse_signature(signature));
        function f;
        f.sel = function_selector(s.canonical());
        for (const auto& p : s.inputs) f.in_types.push_back(p.type);
        for (const auto& p : s.outputs) f.out_types.push_back(p.type);
        f.sig = std::move(s);
        return f;
    }
    /// selector ‖ encode(inputs, values).
    result<bytes> encode_call(const value::list& values) const {
        bytes out(sel.begin(), sel.end());
        if (in_types.size() != values.size())
            return fail(errc::invalid_argument, "ABI encode of " + sig.canonical() + ": expected " + std::to_string(in_types.size()) +
                                                    " arguments, got " + std::to_string(values.size()));
        if (auto r = detail::encode_sequence(in_types.data(), false, values, out); !r)
            return fail(std::move(r).error().during("encoding call " + sig.canonical()));
        return out;
    }
    /// Decode return data against the `returns (...)` list.
    result<value::list> decode_output(byte_span data) const {
        return decode(out_types, data).during("decoding the return data of " + sig.canonical());
    }
    /// Decode calldata (selector checked) against the inputs.
    result<value::list> decode_input(byte_span calldata) const {
        if (calldata.size() < 4 || !std::equal(sel.begin(), sel.end(), calldata.begin()))
            return fail(errc::parse_error, "calldata does not start with the selector " + to_hex(sel) + " of " + sig.canonical());
        return decode(in_types, calldata.subspan(4)).during("decoding the calldata of " + sig.canonical());
    }
};

// ---------------------------------------------------------------------------------------------
// Typed convenience layer: native C++ values ⇄ abi::value.

namespace detail {
template <class T> struct is_fixed_bytes : std::false_type {};
template <std::size_t N> struct is_fixed_bytes<fixed_bytes<N>> : std::true_type {};
template <class T, class...> struct first_type { using type = T; };
}  // namespace detail

/// Convert a C++ value to an abi::value: unsigned/signed integers, uint256, bool, address,
/// fixed_bytes<N> (bytesN), bytes, strings, std::vector/std::array (arrays), std::tuple (tuples).
template <class T>
value to_value(const T& x) {
    using U = std::remove_cvref_t<T>;
    if constexpr (std::is_same_v<U, value>) return x;
    else if constexpr (std::is_same_v<U, bool>) return value::boolean(x);
    else if constexpr (std::is_integral_v<U> && std::is_signed_v<U>) return value::integer(static_cast<std::int64_t>(x));
    else if constexpr (std::is_integral_v<U>) return value::uint(uint256(static_cast<std::uint64_t>(x)));
    else if constexpr (std::is_same_v<U, uint256>) return value::uint(x);
    else if constexpr (std::is_same_v<U, crypto::address>) return value::addr(x);
    else if constexpr (std::is_same_v<U, bytes>) return value::bytes(x);
    else if constexpr (std::is_convertible_v<const U&, std::string_view>) return value::string(std::string(std::string_view(x)));
    else if constexpr (detail::is_fixed_bytes<U>::value)
        return value::bytes(byte_span(x.data(), U::size()));
    else if constexpr (requires { std::tuple_size<U>::value; } && !requires { x.begin(); }) {
        return std::apply([](const auto&... e) { return value::tuple(value::list{to_value(e)...}); }, x);
    } else {
        value::list l;
        for (const auto& e : x) l.push_back(to_value(e));
        return value::array(std::move(l));
    }
}

/// Convert a decoded value back to a C++ type, checking ranges (uint64_t from a uint256 fails
/// with errc::overflow when it does not fit) and alternatives.
template <class T>
result<T> from_value(const value& v) {
    auto wrong = [](const char* want) { return fail(errc::parse_error, std::string("ABI value is not ") + want); };
    if constexpr (std::is_same_v<T, value>) return v;
    else if constexpr (std::is_same_v<T, bool>) { if (!v.as_bool()) return wrong("a bool"); return *v.as_bool(); }
    else if constexpr (std::is_same_v<T, uint256>) { if (!v.as_uint()) return wrong("an integer"); return *v.as_uint(); }
    else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
        if (!v.as_uint()) return wrong("an integer");
        if (!v.as_uint()->fits_u64() || v.as_uint()->low64() > std::numeric_limits<T>::max())
            return fail(errc::overflow, "ABI integer " + v.as_uint()->to_decimal() + " does not fit the requested C++ type");
        return static_cast<T>(v.as_uint()->low64());
    } else if constexpr (std::is_integral_v<T>) {
        if (!v.as_uint()) return wrong("an integer");
        const uint256& w = *v.as_uint();
        const bool neg = !(w >> 255).is_zero();
        const uint256 mag = neg ? (~w) + uint256(1) : w;
        if (!mag.fits_u64() || mag.low64() > static_cast<std::uint64_t>(std::numeric_limits<T>::max()) + (neg ? 1 : 0))
            return fail(errc::overflow, "ABI integer " + signed_decimal(w) + " does not fit the requested C++ type");
        return static_cast<T>(neg ? -static_cast<std::int64_t>(mag.low64() - 1) - 1 : static_cast<std::int64_t>(mag.low64()));
    } else if constexpr (std::is_same_v<T, crypto::address>) { if (!v.as_address()) return wrong("an address"); return *v.as_address(); }
    else if constexpr (std::is_same_v<T, bytes>) { if (!v.as_bytes()) return wrong("bytes"); return *v.as_bytes(); }
    else if constexpr (std::is_same_v<T, std::string>) { if (!v.as_string()) return wrong("a string"); return *v.as_string(); }
    else if constexpr (detail::is_fixed_bytes<T>::value) {
        if (!v.as_bytes() || v.as_bytes()->size() != T::size()) return wrong("fixed-size bytes of the requested length");
        return T::from_span(*v.as_bytes());
    } else {  // std::vector<E>
        if (!v.as_list()) return wrong("a list");
        T out;
        for (const auto& e : *v.as_list()) {
            ZEROG_TRY(auto x, from_value<typename T::value_type>(e));
            out.push_back(std::move(x));
        }
        return out;
    }
}

/// selector ‖ encoded arguments, from a signature and a value list.
inline result<bytes> encode_call(std::string_view signature, const value::list& values) {
    ZEROG_TRY(auto f, function::parse(signature));
    return f.encode_call(values);
}
/// selector ‖ encoded arguments, from a signature and native C++ arguments:
/// `abi::encode_call("pricePerSector()")`, `abi::encode_call("getLedger(address)", user)`.
template <class... Args>
    requires(!(sizeof...(Args) == 1 && (std::is_same_v<std::remove_cvref_t<Args>, value::list> && ...)))
result<bytes> encode_call(std::string_view signature, const Args&... args) {
    return encode_call(signature, value::list{to_value(args)...});
}

/// Decode `data` as `types` and convert to native types: `decode_as<uint256>("uint256", ret)`
/// returns result<uint256>; with several Ts, result<std::tuple<Ts...>>.
template <class... Ts>
auto decode_as(std::string_view types, byte_span data)
    -> result<std::conditional_t<sizeof...(Ts) == 1, typename detail::first_type<Ts...>::type, std::tuple<Ts...>>> {
    ZEROG_TRY(auto t, parse_type(types));
    ZEROG_TRY(auto l, decode(t, data));
    if (l.size() != sizeof...(Ts))
        return fail(errc::invalid_argument, "decode_as: " + std::to_string(sizeof...(Ts)) + " C++ types for " + std::to_string(l.size()) + " ABI values");
    if constexpr (sizeof...(Ts) == 1) {
        return from_value<Ts...>(l[0]);
    } else {
        std::tuple<result<Ts>...> parts = [&]<std::size_t... I>(std::index_sequence<I...>) {
            return std::tuple<result<Ts>...>{from_value<Ts>(l[I])...};
        }(std::index_sequence_for<Ts...>{});
        zerog::error first;
        std::apply([&](auto&... p) { ((first || p ? void() : void(first = p.error())), ...); }, parts);
        if (first) return fail(std::move(first));
        return std::apply([](auto&... p) { return std::tuple<Ts...>{std::move(*p)...}; }, parts);
    }
}

}  // namespace zerog::codec::abi
