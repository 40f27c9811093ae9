// zerog: command-line interface to the zerog library. See `zerog help`.
#include "cli.hpp"
#include "session.hpp"

#include <malloc.h>

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    // Transfers allocate a few ~350 KB buffers per 256 KiB segment (the response body, the parsed
    // JSON string, the decoded bytes). glibc serves blocks that size with mmap, or trims them back
    // to the kernel when freed, so every segment faulted fresh zeroed pages in again: 55 % of the
    // CPU of a 100 MiB download (docs/benchmarks.md). Keep such blocks on the heap and freed
    // memory in the process; peak RSS stays what the transfer needs at once.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    using namespace zerog::cli;
    std::vector<std::string> a(argv + 1, argv + argc);
    // Global option, valid with every command: --log-level LEVEL (or --log-level=LEVEL). The
    // clients log JSON lines to stderr at this level; without it ZEROG_LOG_LEVEL decides (warn).
    for (std::size_t i = 0; i < a.size(); ++i) {
        std::string v;
        std::size_t n = 0;
        if (a[i] == "--log-level") {
            if (i + 1 >= a.size()) { std::fprintf(stderr, "zerog: --log-level needs a value (trace|debug|info|warn|error|off)\n"); return 2; }
            v = a[i + 1];
            n = 2;
        } else if (a[i].rfind("--log-level=", 0) == 0) {
            v = a[i].substr(12);
            n = 1;
        } else {
            continue;
        }
        auto level = zerog::policy::parse_log_level(v);
        if (!level) { std::fprintf(stderr, "zerog: --log-level must be trace|debug|info|warn|error|off\n"); return 2; }
        log_level_option() = *level;
        a.erase(a.begin() + static_cast<std::ptrdiff_t>(i), a.begin() + static_cast<std::ptrdiff_t>(i + n));
        --i;
    }
    // Global option: --db PATH|URL (or --db=…): where payments are recorded (session.hpp open_database).
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] == "--db") {
            if (i + 1 >= a.size() || a[i + 1].empty()) { std::fprintf(stderr, "zerog: --db needs a value (an SQLite path or a postgresql:// URL)\n"); return 2; }
            db_option() = a[i + 1];
            a.erase(a.begin() + static_cast<std::ptrdiff_t>(i), a.begin() + static_cast<std::ptrdiff_t>(i + 2));
            --i;
        } else if (a[i].rfind("--db=", 0) == 0) {
            db_option() = a[i].substr(5);
            if (db_option()->empty()) { std::fprintf(stderr, "zerog: --db needs a value (an SQLite path or a postgresql:// URL)\n"); return 2; }
            a.erase(a.begin() + static_cast<std::ptrdiff_t>(i));
            --i;
        }
    }
    if (a.empty() || a[0] == "help" || a[0] == "--help" || a[0] == "-h") {
        std::printf("zerog: 0G Storage and 0G Compute from the command line\n\ncommands:\n");
        for (auto& [name, c] : registry()) std::printf("  zerog %s\n", c.usage.c_str());
        std::printf("\nglobal options:\n  --log-level trace|debug|info|warn|error|off   JSON-lines logs on stderr (default: ZEROG_LOG_LEVEL, else warn)\n"
                    "  --db PATH|postgresql://…                      where payments are recorded (default: ZEROG_DB, the config's\n"
                    "                                                `database`, the devnet's own file, else $XDG_STATE_HOME/zerog/zerog.db)\n");
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
