#!/usr/bin/env bash
# Quick start, step 1: install what is missing, build, and run the main job (the demo).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build tools/zerog
exec build/tools/zerog demo
