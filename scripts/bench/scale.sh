#!/usr/bin/env bash
# Thousands of TrafficShifts on the real local control plane (issue 12): command latency, memory,
# Prometheus and API load, restart and failover. Flags: scripts/bench.sh scale --help.
#
# Runs in its own environment ($SLUICE_ENV_DIR, default /tmp/sluice-env-bench-scale), started
# with scripts/cluster.sh up when it is not up, and left up for the next run
# (`SLUICE_ENV_DIR=/tmp/sluice-env-bench-scale scripts/cluster.sh down` stops it).
set -euo pipefail
cd "$(dirname "$0")/../.."
for a in "$@"; do case "$a" in -h|--help) node dist/bench/scale/main.js --help 2>/dev/null || sed -n '2,7p' "$0"; exit 0 ;; esac; done
export SLUICE_ENV_DIR="${SLUICE_ENV_DIR:-/tmp/sluice-env-bench-scale}"
[ -d node_modules ] || npm install --no-audit --no-fund --loglevel=error
export PATH="$PWD/node_modules/.bin:$PATH"
npm run --silent build
bash scripts/cluster.sh up >&2
# shellcheck source=/dev/null
. "$SLUICE_ENV_DIR/env.sh"
# the project's node (package.json devDependencies) ahead of the control plane's kubectl dir
export PATH="$PWD/node_modules/.bin:$PATH"
exec node dist/bench/scale/main.js "$@"
