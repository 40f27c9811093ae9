// zerog: command-line interface to the zerog library. See `zerog help`.
#include "cli.hpp"

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    using namespace zerog::cli;
    std::vector<std::string> a(argv + 1, argv + argc);
    if (a.empty() || a[0] == "help" || a[0] == "--help" || a[0] == "-h") {
        std::printf("zerog: 0G Storage and 0G Compute from the command line\n\ncommands:\n");
        for (auto& [name, c] : registry()) std::printf("  zerog %s\n", c.usage.c_str());
        return a.empty() ? 2 : 0;
    }
    // Longest match first: "devnet up" before "devnet".
    for (std::size_t words = std::min<std::size_t>(a.size(), 2); words >= 1; --words) {
        std::string name = a[0];
        for (std::size_t i = 1; i < words; ++i) name += " " + a[i];
        if (auto it = registry().find(name); it != registry().end()) {
            std::vector<std::string> rest(a.begin() + static_cast<std::ptrdiff_t>(words), a.end());
            try {
                return it->second.run(rest);
            } catch (const zerog::exception& e) {
                return report(name, e.error());
            } catch (const std::exception& e) {
                std::fprintf(stderr, "zerog %s: internal error: %s\n", name.c_str(), e.what());
                return 1;
            }
        }
    }
    std::fprintf(stderr, "zerog: unknown command '%s' (see `zerog help`)\n", a[0].c_str());
    return 2;
}
