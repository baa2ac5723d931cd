#!/usr/bin/env bash
# Installs what Duckling's demo and tests need on Debian/Ubuntu: MariaDB server and client (the
# tests and demo start their own private instance; the machine's service is left alone) and the
# npm dependencies from package-lock.json. Safe to run again: it skips what is already there.
# DUCKLING_SETUP_SKIP_MARIADB=1 skips MariaDB, for a demo against an existing source.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "setup: '$*' needs root and sudo is not installed; run it as root, then run this again" >&2
    exit 1
  fi
}

if ! command -v node >/dev/null 2>&1; then
  echo "Node.js 20 or newer is required: install it (e.g. apt-get install nodejs npm) and run this again" >&2
  exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "Node.js $(node --version) is too old: Duckling needs Node.js 20 or newer" >&2
  exit 1
fi

packages=()
if [ "${DUCKLING_SETUP_SKIP_MARIADB:-0}" != 1 ]; then
  command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || packages+=(mariadb-server)
  command -v mariadb >/dev/null 2>&1 || packages+=(mariadb-client)
fi
# The tests of shared rate limits, tickets and revocations start a private redis-server.
if [ "${DUCKLING_SETUP_TESTS:-0}" = 1 ]; then
  command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
fi
if [ ${#packages[@]} -gt 0 ]; then
  echo "installing ${packages[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${packages[@]}"
fi

lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.duckling-lock-hash ] || [ "$(cat node_modules/.duckling-lock-hash)" != "$lock_hash" ]; then
  npm ci --no-audit --no-fund
  echo "$lock_hash" > node_modules/.duckling-lock-hash
fi
