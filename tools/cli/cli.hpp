// The CLI's command registry and a small strict argument parser.
//
// Conventions every command follows: exit 0 on success, 1 on an operational failure (network,
// verification), 2 on a usage error; errors go to stderr as one line "zerog <cmd>: <message>"
// (or as {"error":{...}} on stdout with --json); secrets are never printed.
#pragma once

#include <zerog/core/result.hpp>

#include <boost/json.hpp>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zerog::cli {

/// Parsed "--flag value", "--switch" and positional arguments.
class args {
public:
    args(std::vector<std::string> raw, std::vector<std::string> switches) : switches_(std::move(switches)) {
        for (std::size_t i = 0; i < raw.size(); ++i) {
            const std::string& a = raw[i];
            if (a.rfind("--", 0) == 0 && a.size() > 2) {
                std::string name = a.substr(2);
                if (auto eq = name.find('='); eq != std::string::npos) {
                    options_[name.substr(0, eq)] = name.substr(eq + 1);
                } else if (is_switch(name)) {
                    options_[name] = "";
                } else if (i + 1 < raw.size()) {
                    options_[name] = raw[++i];
                } else {
                    errors_.push_back("option --" + name + " needs a value");
                }
            } else {
                positional_.push_back(a);
            }
        }
    }
    bool has(const std::string& name) const { return options_.count(name) != 0; }
    std::optional<std::string> get(const std::string& name) const {
        auto it = options_.find(name);
        if (it == options_.end()) return std::nullopt;
        return it->second;
    }
    const std::vector<std::string>& positional() const { return positional_; }
    const std::vector<std::string>& errors() const { return errors_; }
    /// Names given that the command does not know (a typo must not be silently ignored).
    std::vector<std::string> unknown(const std::vector<std::string>& known) const {
        std::vector<std::string> out;
        for (auto& [k, v] : options_) {
            bool found = false;
            for (auto& n : known) found |= (n == k);
            if (!found) out.push_back("--" + k);
        }
        return out;
    }

    /// `--name N` as a decimal unsigned integer in [lo, hi]: none when absent (`ok` stays true);
    /// `ok` = false when given but not all digits or out of range.
    std::optional<std::uint64_t> unsigned_option(const std::string& name, bool& ok, std::uint64_t lo = 0,
                                                 std::uint64_t hi = ~std::uint64_t{0}) const {
        ok = true;
        const auto v = get(name);
        if (!v) return std::nullopt;
        std::uint64_t x = 0;
        ok = !v->empty() && v->size() <= 20;
        for (char c : *v) {
            if (!ok) break;
            const auto d = static_cast<std::uint64_t>(c - '0');
            ok = c >= '0' && c <= '9' && x <= (~std::uint64_t{0} - d) / 10;
            x = x * 10 + d;
        }
        ok = ok && x >= lo && x <= hi;
        return x;
    }

private:
    bool is_switch(const std::string& n) const {
        for (auto& s : switches_)
            if (s == n) return true;
        return false;
    }
    std::vector<std::string> switches_;
    std::map<std::string, std::string> options_;
    std::vector<std::string> positional_;
    std::vector<std::string> errors_;
};

struct command {
    std::string name;     ///< e.g. "root" or "devnet up" (a space = sub-command)
    std::string usage;    ///< one line
    std::function<int(const std::vector<std::string>&)> run;
};

inline std::map<std::string, command>& registry() {
    static std::map<std::string, command> r;
    return r;
}

struct registrar {
    registrar(std::string name, std::string usage, std::function<int(const std::vector<std::string>&)> fn) {
        auto key = name;
        registry().emplace(std::move(key), command{std::move(name), std::move(usage), std::move(fn)});
    }
};

/// Print "zerog <cmd>: <message>" to stderr and return the exit code.
inline int report(std::string_view cmd, const zerog::error& e, int code = 1) {
    std::fprintf(stderr, "zerog %.*s: %s\n", static_cast<int>(cmd.size()), cmd.data(), e.message().c_str());
    return code;
}
/// An operational failure: the usual line on stderr, or with --json {"error":{"command","message"}}
/// on stdout. Exit code 1.
inline int fail_with(std::string_view cmd, const zerog::error& e, bool json_out) {
    if (!json_out) return report(cmd, e);
    std::printf("%s\n", boost::json::serialize(boost::json::object{{"error", boost::json::object{{"command", cmd}, {"message", e.message()}}}}).c_str());
    return 1;
}
inline int usage_error(std::string_view cmd, const std::string& msg) {
    std::fprintf(stderr, "zerog %.*s: %s\n", static_cast<int>(cmd.size()), cmd.data(), msg.c_str());
    if (auto it = registry().find(std::string(cmd)); it != registry().end())
        std::fprintf(stderr, "usage: zerog %s\n", it->second.usage.c_str());
    return 2;
}

}  // namespace zerog::cli

#define ZEROG_COMMAND(var, name, usage, fn) static ::zerog::cli::registrar var{name, usage, fn}
