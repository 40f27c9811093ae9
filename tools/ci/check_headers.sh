#!/usr/bin/env bash
# Self-containment check: every public header under include/zerog (devnet/ excepted: not installed) must
# compile on its own, i.e. include what it uses. Each header is compiled in a translation unit of its own
# with clang++ -fsyntax-only (a second compiler besides the build's g++), two at a time.
#
# Usage: tools/ci/check_headers.sh [header ...]   (default: every header; paths relative to the repo root)
# Environment: CXX (default clang++), JOBS (default 2), ZEROG_HEADERS_PCH=1 to parse the Boost headers
#              once into a precompiled header (clang -include-pch) instead of in every TU.
# Exit: 0 all compile, 1 some fail, 77 (meson's "skipped") when the compiler is missing.
set -uo pipefail
cd "$(dirname "$0")/../.."

CXX=${CXX:-clang++}
JOBS=${JOBS:-2}
if ! command -v "$CXX" >/dev/null 2>&1; then
  echo "headers_clang: $CXX not found, skipped (tools/install-deps.sh installs clang)"
  exit 77
fi

# The defines of meson.build's zerog_defines, read from it so that the two cannot diverge.
defines=$(python3 - <<'EOF'
import re, sys
s = open("meson.build", encoding="utf-8").read()
m = re.search(r"zerog_defines\s*=\s*\[(.*?)\]", s, re.S)
if not m:
    sys.exit("check_headers: zerog_defines not found in meson.build")
print(" ".join(re.findall(r"'(-D[^']*)'", m.group(1))))
EOF
) || exit 1
dep_cflags=$(pkg-config --cflags libcrypto++ libsecp256k1 openssl sqlite3 libpq 2>/dev/null) || {
  echo "headers_clang: pkg-config --cflags libcrypto++ libsecp256k1 openssl sqlite3 libpq failed"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zerog-headers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

base_flags="-std=c++20 -Wall -Wextra -pthread -I $PWD/include $defines $dep_cflags"

flags="$base_flags -fsyntax-only"
pch_flags=""
if [ "${ZEROG_HEADERS_PCH:-0}" = 1 ]; then
  # Every Boost header that a zerog header includes, parsed once. A header that forgets a Boost include
  # of its own would go unnoticed in this mode, hence off by default.
  grep -rhoE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<boost/[^>]+>' include/zerog --include='*.hpp' \
    | sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*/#include /' | sort -u > "$tmp/pch.hpp"
  # shellcheck disable=SC2086
  if "$CXX" $base_flags -x c++-header "$tmp/pch.hpp" -o "$tmp/pch.hpp.pch" > "$tmp/pch.log" 2>&1; then
    pch_flags="-include-pch $tmp/pch.hpp.pch"
  fi
  [ -n "$pch_flags" ] || { echo "headers_clang: building the Boost PCH failed, compiling without it"; head -20 "$tmp/pch.log"; }
fi

if [ $# -gt 0 ]; then
  printf '%s\n' "$@" > "$tmp/list"
else
  find include/zerog -name '*.hpp' -not -path 'include/zerog/devnet/*' | LC_ALL=C sort > "$tmp/list"
fi
total=$(wc -l < "$tmp/list")
start=$(date +%s)

export CXX flags pch_flags tmp
# One TU per header: a .cpp that only includes it (so #pragma once and "header included from the main
# file" quirks do not apply). Writes $tmp/fail/<n> with the first errors when it does not compile.
compile_one() {
  h=$1
  id=$(printf '%s' "$h" | tr '/.' '__')
  printf '#include <%s>\n' "${h#include/}" > "$tmp/$id.cpp"
  # shellcheck disable=SC2086
  if ! "$CXX" $flags $pch_flags -ferror-limit=5 -fno-color-diagnostics "$tmp/$id.cpp" > "$tmp/$id.log" 2>&1; then
    mkdir -p "$tmp/fail"
    { echo "FAIL $h"
      grep -E "error:" "$tmp/$id.log" | head -5 | sed -e "s|$PWD/||g" -e "s/^/    /"
    } > "$tmp/fail/$id"
    cat "$tmp/fail/$id"
  elif grep -q 'warning:' "$tmp/$id.log"; then
    echo "warn $h ($(grep -c 'warning:' "$tmp/$id.log") warnings)"
  fi
  rm -f "$tmp/$id.cpp"
}
export -f compile_one
tr '\n' '\0' < "$tmp/list" | xargs -0 -n1 -P "$JOBS" bash -c 'compile_one "$1"' _

elapsed=$(( $(date +%s) - start ))
nfail=$(ls "$tmp/fail" 2>/dev/null | wc -l)
if [ "$nfail" -gt 0 ]; then
  echo "headers_clang: $nfail of $total headers do not compile on their own with $CXX (${elapsed}s):"
  cat "$tmp/fail"/* | grep '^FAIL ' | sed 's/^FAIL /  /'
  exit 1
fi
echo "headers_clang: all $total headers compile on their own with $CXX (${elapsed}s)"
exit 0
