#!/usr/bin/env bash
# The pure core in one process: decide + render latency, resync of 1,000 shifts, memory per shift.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -d node_modules ] || npm install --no-audit --no-fund --loglevel=error
npm run --silent build
node --expose-gc dist/bench/core.js "$@"
