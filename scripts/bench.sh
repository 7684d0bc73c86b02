#!/usr/bin/env bash
# Benchmarks with goals (README "Measured numbers"). One subcommand per benchmark; each lives in
# scripts/bench/<name>.sh and prints its own usage with --help.
#
#   scripts/bench.sh [core]              the pure core in one process (decide + render, memory)
#   scripts/bench.sh fallback ...        a scenario on the real local control plane, sluice and Flagger
#   scripts/bench.sh scale ...           thousands of TrafficShifts on the real local control plane
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:-core}"
[ $# -gt 0 ] && shift
case "$name" in
  -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
script="scripts/bench/$name.sh"
if [ ! -f "$script" ]; then
  echo "scripts/bench.sh: unknown benchmark \"$name\" (expected one of: $(ls scripts/bench | sed 's/\.sh$//' | paste -sd, -))" >&2
  exit 2
fi
exec bash "$script" "$@"
