// `zerog version`.
#include "cli.hpp"

#include <cstdio>

namespace {
int version(const std::vector<std::string>&) {
    std::printf("zerog 0.1.0\n");
    return 0;
}
}  // namespace

ZEROG_COMMAND(reg_version, "version", "version", version);
