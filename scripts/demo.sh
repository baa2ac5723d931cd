#!/usr/bin/env bash
# The newcomer's one command (npm run demo). It installs what is missing on Debian or Ubuntu and
# then runs scripts/demo/run.mjs. That script starts a private MariaDB with Sakila (or a generated
# shop database), serves Duckling on 127.0.0.1, runs a full sync and prints sample commands.
#
# Usage: scripts/demo.sh [SAKILA_DIR] [--no-serve] [--shop] [--shop-scale N]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "demo: '$*' needs root and sudo is not installed; run it as root, then run the demo again" >&2
    exit 1
  fi
}

if ! command -v node >/dev/null 2>&1; then
  echo "demo: Node.js 20 or later is required and 'node' was not found; install it (e.g. from https://nodejs.org or NodeSource), then run the demo again" >&2
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "demo: Node.js $(node --version) is too old; Duckling needs Node.js 20 or later" >&2
  exit 1
fi

# A private MariaDB is only needed when no source is configured.
if [ -z "${MYSQL_CONNECTION_STRING:-}" ] && ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "demo: MariaDB server (mariadbd) is missing and apt-get is not available; install mariadb-server and mariadb-client, or set MYSQL_CONNECTION_STRING" >&2
    exit 1
  fi
  echo "[demo] installing mariadb-server and mariadb-client with apt-get"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y mariadb-server mariadb-client
fi

if [ ! -d node_modules ]; then
  echo "[demo] installing Node.js dependencies with npm ci"
  npm ci
fi

exec node scripts/demo/run.mjs "$@"
