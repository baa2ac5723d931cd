#!/usr/bin/env bash
# Runs every test: installs missing prerequisites, type-checks, then runs the suite against a
# private MariaDB that the runner starts and stops itself. Arguments select test files by substring.
set -euo pipefail
cd "$(dirname "$0")/.."
DUCKLING_SETUP_TESTS=1 bash scripts/setup.sh
npm run --silent typecheck
npm test -- "$@"
