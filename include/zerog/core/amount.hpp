// Token amounts: exact decimal parsing and formatting of 0G amounts (1 0G = 10^18 neuron).
//
// Floating point never touches money: "0.1" parses to exactly 100000000000000000 neuron. Inputs with
// more than 18 decimals, signs, exponents, spaces, empty parts ("1." / ".5" are accepted as 1 and
// 0.5, "." is not) and values above 2^256-1 neuron are errors.
#pragma once

#include <zerog/core/uint256.hpp>

#include <string>
#include <string_view>

namespace zerog {

inline constexpr unsigned token_decimals = 18;

/// A typed amount in neuron (the smallest unit). Exact; ordering and checked arithmetic only.
struct neuron_amount {
    uint256 value;
    friend constexpr bool operator==(const neuron_amount&, const neuron_amount&) = default;
    friend constexpr auto operator<=>(const neuron_amount&, const neuron_amount&) = default;
};

/// Parse "1.5" (0G) into neuron. `decimals` lets the same code parse gwei (9) or neuron (0).
inline result<uint256> parse_token_amount(std::string_view s, unsigned decimals = token_decimals) {
    const std::string_view original = s;
    auto bad = [&](std::string why) {
        return fail(errc::invalid_number, "token amount \"" + std::string(original.substr(0, 80)) + "\": " + why);
    };
    if (s.empty()) return bad("empty");
    if (s[0] == '-') return bad("negative amounts are not allowed");
    if (s[0] == '+') return bad("a sign is not allowed");
    const auto dot = s.find('.');
    std::string_view whole = s.substr(0, dot);
    std::string_view frac = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
    if (whole.empty() && frac.empty()) return bad("no digits");
    if (frac.find('.') != std::string_view::npos) return bad("more than one decimal point");
    if (frac.size() > decimals)
        return bad("more than " + std::to_string(decimals) + " decimal places");
    for (std::string_view part : {whole, frac})
        for (char c : part)
            if (c < '0' || c > '9') return bad("bad character " + detail::printable_char(c));
    std::string digits(whole);
    digits.append(frac);
    digits.append(decimals - frac.size(), '0');
    auto v = uint256::from_decimal(digits.empty() ? std::string_view("0") : std::string_view(digits));
    if (!v) return bad("does not fit in 256 bits of the smallest unit");
    return *v;
}

/// Format neuron as an exact decimal 0G string with no trailing zeros ("0.1", "2", "0.000000000000000001").
inline std::string format_token_amount(const uint256& v, unsigned decimals = token_decimals) {
    std::string d = v.to_decimal();
    if (decimals == 0) return d;
    if (d.size() <= decimals) d.insert(0, decimals + 1 - d.size(), '0');
    std::string whole = d.substr(0, d.size() - decimals);
    std::string frac = d.substr(d.size() - decimals);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    return frac.empty() ? whole : whole + "." + frac;
}

}  // namespace zerog
