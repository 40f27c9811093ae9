#!/usr/bin/env bash
# Run the whole test suite: configure (once), build what the tests need, run every test program,
# and print one closing line "N passed, N failed" counting test cases across all programs.
# Exit status: meson's (0 when everything passed).
set -uo pipefail
cd "$(dirname "$0")/.."
builddir=${ZEROG_BUILD_DIR:-build}
[ -f "$builddir/build.ninja" ] || meson setup "$builddir" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
rm -f "$builddir/meson-logs/testlog.json"
meson test -C "$builddir" --print-errorlogs --num-processes 2 "$@"
rc=$?
python3 tools/ci/summary.py "$builddir/meson-logs/testlog.json" "$rc"
exit $rc
