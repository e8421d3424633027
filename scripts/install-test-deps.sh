#!/usr/bin/env bash
# Installs what `npm test` needs on Debian 12 and starts the daemons the integration tests talk to.
# The README's test command and .ci/run both run it:  bash scripts/install-test-deps.sh && npm ci && npm test
# Idempotent: a package already installed or a daemon already answering is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: run as root (the tests define libvirt domains, mount hugetlbfs and create links)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
mapfile -t pkgs < <(grep -v '^\s*#' .ci/apt-packages.txt | grep -v '^\s*$')
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-test-deps: installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node 20 (package.json engines): Debian 12 ships 18; the npm registry carries Node's own binaries.
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if ! command -v npm >/dev/null; then
  # Only on a machine without Node at all: Debian's nodejs + npm, just to fetch Node 20 below.
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if [ "$(node_major)" -lt 20 ]; then
  echo "install-test-deps: installing Node 20 from the npm registry (node@20)"
  npm install -g --no-fund --no-audit node@20 >/dev/null
  hash -r
  if [ "$(node_major)" -lt 20 ]; then
    echo "install-test-deps: Node 20 is still not first on PATH ($(command -v node))" >&2
    exit 1
  fi
fi

bash scripts/start-test-daemons.sh
