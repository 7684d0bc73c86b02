#!/usr/bin/env bash
# Benchmarks with goals (README "Measured numbers"). Pure core first; with --env also the
# end-to-end fallback on the real local control plane (scripts/demo.sh --quick measures it).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm install --no-audit --no-fund --loglevel=error
npm run --silent build
node --expose-gc dist/bench/core.js
