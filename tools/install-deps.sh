#!/usr/bin/env bash
# Install everything zerog needs on Debian 12, idempotently: Debian packages (only those missing)
# and the npm fixtures (anvil, solc, ethers, the official 0G TS SDK) from the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(g++ meson ninja-build pkg-config libboost1.81-dev libcrypto++-dev libsecp256k1-dev libssl-dev
      catch2 libbenchmark-dev libsqlite3-dev libpq-dev postgresql sqlite3 ca-certificates openssl nodejs npm python3 curl
      prometheus  # prometheus and promtool: deploy/prometheus rule tests, the scrape test
      clang)  # clang: tools/ci/check_headers.sh (every header compiles on its own with a second compiler)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node/npm may come from elsewhere than Debian (this image ships them); only require working commands.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "zerog: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm fixtures: reinstall only when the lockfile changed.
fx=tools/fixtures
if [ ! -f "$fx/node_modules/.zerog-lock-sha" ] || ! cmp -s <(sha256sum "$fx/package-lock.json" | cut -d' ' -f1) "$fx/node_modules/.zerog-lock-sha"; then
  echo "zerog: installing npm fixtures (npm ci)"
  (cd "$fx" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  sha256sum "$fx/package-lock.json" | cut -d' ' -f1 > "$fx/node_modules/.zerog-lock-sha"
fi
