#!/usr/bin/env bash
# The newcomer's one command (npm run demo). It installs what is missing on Debian or Ubuntu and
# then runs scripts/demo/run.mjs. That script starts a private MariaDB with Sakila (or a generated
# shop database), serves Duckling on 127.0.0.1, runs a full sync and prints sample commands.
#
# Usage: scripts/demo.sh [SAKILA_DIR] [--no-serve] [--shop] [--shop-scale N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

for argument in "$@"; do
  if [ "$argument" = "--help" ] || [ "$argument" = "-h" ]; then
    echo "Usage: scripts/demo.sh [SAKILA_DIR] [--no-serve] [--shop] [--shop-scale N]"
    echo "Installs MariaDB and npm packages when missing, starts a private MariaDB with Sakila (or a"
    echo "generated shop database), serves Duckling, runs a full sync and prints sample commands."
    echo "See docs/demo.md for every option and environment variable."
    exit 0
  fi
done

# A private MariaDB is only needed when no source is configured.
if [ -n "${MYSQL_CONNECTION_STRING:-}" ]; then
  DUCKLING_SETUP_SKIP_MARIADB=1 bash scripts/setup.sh
else
  bash scripts/setup.sh
fi

exec node scripts/demo/run.mjs "$@"
