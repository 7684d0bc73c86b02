#!/usr/bin/env bash
# Fallback at the statistical limit, sluice and Flagger side by side (docs/benchmarks.md, "Fallback").
#
#   scripts/bench.sh fallback --scenario FILE [--tools sluice,flagger] [--runs N]
#                             [--settings defaults|matched] [--json OUT] [--logs DIR] [--keep]
#   scripts/bench.sh fallback --all [--runs N] [--out DIR] [--tools LIST] [--parallel]
#       every bench/scenarios/*.yaml under both settings, JSON to DIR (default results/bench), then
#       the README table and chart (bench/fallback/chart.ts). LIST defaults to
#       sluice:threshold,sluice:sequential,flagger; --parallel runs the scenarios of one setting at
#       once (the slowest sets the wall time, ~15 min for defaults, ~5 min for matched).
#
# Builds what is missing (npm packages, tsc, the local control plane, Flagger v1.44.0 from the Go
# module proxy, cached in ${SLUICE_CACHE_DIR:-~/.cache/sluice}), starts the control plane and
# Prometheus in $SLUICE_ENV_DIR (default /tmp/sluice-env-bench; left running, `scripts/cluster.sh down`
# stops it) and runs the scenario with both tools at once on the same mesh simulator.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
case "${1:-}" in
  -h|--help|"") sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

[ -d node_modules ] || npm install --no-audit --no-fund --loglevel=error
export PATH="$root/node_modules/.bin:$PATH"
npm run --silent build

export SLUICE_ENV_DIR="${SLUICE_ENV_DIR:-/tmp/sluice-env-bench}"
bash scripts/cluster.sh up >&2
# shellcheck disable=SC1091
. "$SLUICE_ENV_DIR/env.sh"
export PATH="$root/node_modules/.bin:$PATH"

tools=sluice,flagger prev=""
for a in "$@"; do
  case "$a" in --tools=*) tools=${a#--tools=} ;; esac
  [ "$prev" = --tools ] && tools=$a
  prev=$a
done
if [[ ",$tools," == *",flagger,"* ]]; then
  SLUICE_FLAGGER_DIR="$(bash scripts/lib/flagger.sh)"
  export SLUICE_FLAGGER_DIR
fi

if [ "$1" = "--all" ]; then
  shift
  runs=() out="results/bench" parallel=0 all_tools=sluice:threshold,sluice:sequential,flagger
  while [ $# -gt 0 ]; do
    case "$1" in
      --runs) runs=(--runs "$2"); shift ;;
      --out) out="$2"; shift ;;
      --tools) all_tools="$2"; shift ;;
      --parallel) parallel=1 ;;
      *) echo "bench fallback --all: unknown argument $1 (expected --runs N, --out DIR, --tools LIST, --parallel)" >&2; exit 2 ;;
    esac
    shift
  done
  mkdir -p "$out/logs"
  one() { # scenario file, settings
    local name; name=$(basename "$1" .yaml)
    local rc=0
    node dist/bench/fallback/main.js --scenario "$1" --settings "$2" --tools "$all_tools" "${runs[@]}" \
      --json "$out/$name-$2.json" --logs "$out/logs/$name-$2" >"$out/logs/$name-$2.txt" 2>&1 || rc=$?
    echo "$name $2: exit $rc ($out/logs/$name-$2.txt)" >&2
    sed -n '/^$/,$p' "$out/logs/$name-$2.txt" >&2
    return $rc
  }
  failed=0
  for settings in defaults matched; do
    if [ "$parallel" = 1 ]; then
      # Every scenario at once (each has its own mesh simulator, Prometheus proxy, daemons and
      # namespaces): the slowest scenario sets the wall time instead of the sum.
      pids=()
      for f in bench/scenarios/*.yaml; do one "$f" "$settings" & pids+=($!); done
      for p in "${pids[@]}"; do wait "$p" || failed=1; done
    else
      for f in bench/scenarios/*.yaml; do one "$f" "$settings" || failed=1; done
    fi
  done
  node dist/bench/fallback/chart.js "$out"
  exit $failed
fi
exec node dist/bench/fallback/main.js "$@"
