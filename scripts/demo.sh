#!/usr/bin/env bash
# One command to see sluice do its job on this machine: a real Kubernetes control plane and
# Prometheus (scripts/cluster.sh), the mesh simulator standing in for Istio's data plane, and
# `sluice run` shifting the sample app's traffic through three stories:
#   1. canary v1 -> v2, healthy: promoted through every step;
#   2. canary v2 -> v3, v3 fails 20 % of requests: automatic fallback;
#   3. blue-green v2 -> v4: preview, the 0/100 switch, and an SRE abort (`kubectl sluice abort`).
# Ends with a summary table and a chart per story under a results folder it prints.
#
#   bash scripts/demo.sh [--quick] [--keep] [--results DIR]
#   bash scripts/demo.sh --down        stop what a --keep run left running
#
#   --quick   short intervals: the stories take under 2 minutes, about 2½ in all (after the first build)
#   --keep    leave everything running and print the exports to play by hand
#
# Exits 0 only if all three stories end as described; otherwise non-zero with the reason.
# Everything listens on 127.0.0.1 only. No prompts; without a terminal it logs plain lines.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
t_start=$(date +%s)

quick=0 keep=0 down=0 results=""
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --keep) keep=1 ;;
    --down) down=1 ;;
    --results) results=${2:?--results needs a folder}; shift ;;
    --results=*) results=${1#*=} ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

# The demo's own environment folder, so it never collides with a test run's.
export SLUICE_ENV_DIR=${SLUICE_DEMO_ENV_DIR:-/tmp/sluice-demo}
pids_file=$SLUICE_ENV_DIR/demo.pids
say() { printf '%s\n' "$*"; }
step() { printf '\n==> %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

stop_processes() {
  [ -f "$pids_file" ] || return 0
  local pid
  while read -r pid; do
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  done <"$pids_file"
  # Give them a moment to write their last words (the mesh simulator flushes its ledger).
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    local alive=0
    while read -r pid; do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && alive=1; done <"$pids_file"
    [ $alive = 0 ] && break
    sleep 0.5
  done
  while read -r pid; do [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true; done <"$pids_file"
  rm -f "$pids_file"
}

tear_down() {
  stop_processes
  rm -rf "$SLUICE_ENV_DIR/bin" # ours; cluster.sh removes only what it made
  if [ -f scripts/cluster.sh ]; then bash scripts/cluster.sh down >/dev/null 2>&1 || true; fi
}

if [ $down = 1 ]; then
  tear_down
  say "demo: stopped (environment $SLUICE_ENV_DIR)"
  exit 0
fi

# --- cleanup on every exit, including Ctrl-C --------------------------------------------------
status=1
cleanup() {
  trap - EXIT INT TERM
  if [ $keep = 1 ] && [ "${ready:-0}" = 1 ]; then return; fi
  step "cleaning up (daemon, mesh simulator, control plane, Prometheus)"
  tear_down
}
trap cleanup EXIT
trap 'say ""; say "demo: interrupted"; exit 130' INT TERM

# --- what is missing ---------------------------------------------------------------------------
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "installing dependencies (npm install with the committed lockfile)"
  npm install --no-audit --no-fund --loglevel=error
fi
# The project's Node (the `node` devDependency) comes first: the system one may be older.
export PATH="$root/node_modules/.bin:$PATH"

if [ ! -f dist/demo/main.js ] || [ -n "$(find src demo test/mesh-sim package.json tsconfig.json tsconfig.build.json -newer dist/demo/main.js -print -quit 2>/dev/null)" ]; then
  step "building (tsc)"
  npm run --silent build
fi

if ! command -v rsvg-convert >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    step "installing rsvg-convert (Debian librsvg2-bin) to turn the SVG charts into PNG"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq librsvg2-bin >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq librsvg2-bin >/dev/null 2>&1; }; } ||
      say "demo: could not install librsvg2-bin; charts will be SVG only"
  else
    say "demo: rsvg-convert is missing (Debian: librsvg2-bin); charts will be SVG only"
  fi
fi

# --- control plane + Prometheus ----------------------------------------------------------------
if [ $quick = 1 ]; then export SLUICE_SCRAPE_INTERVAL=${SLUICE_SCRAPE_INTERVAL:-2s}; else export SLUICE_SCRAPE_INTERVAL=${SLUICE_SCRAPE_INTERVAL:-5s}; fi
cache=${SLUICE_CACHE_DIR:-$HOME/.cache/sluice}
if ! ls "$cache"/bin/*/sluice-testenv >/dev/null 2>&1; then
  # cluster.sh keeps the measured figure; say it before the build starts, not minutes into it.
  secs=$(sed -n 's/^COLD_BUILD_SECS=\([0-9][0-9]*\)$/\1/p' scripts/cluster.sh)
  step "first run: the control plane (etcd, kube-apiserver, controller-manager, kubectl) is built from source into $cache"
  say "    One-time cold build: about $(( (${secs:-1900} + 59) / 60 )) minutes on a 2-core machine (less if Go's build cache is warm); progress follows. Later runs start in seconds."
fi
step "starting the control plane and Prometheus (scripts/cluster.sh up, environment $SLUICE_ENV_DIR, scrape every $SLUICE_SCRAPE_INTERVAL)"
t_cluster=$(date +%s)
stop_processes # a previous run's leftovers, if it was killed hard
bash scripts/cluster.sh up
[ -f "$SLUICE_ENV_DIR/env.sh" ] || die "scripts/cluster.sh up did not write $SLUICE_ENV_DIR/env.sh"
# shellcheck disable=SC1091
. "$SLUICE_ENV_DIR/env.sh"
export PATH="$root/node_modules/.bin:$PATH"
t_cluster=$(( $(date +%s) - t_cluster ))

results=${results:-$root/results/demo-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$results" "$SLUICE_ENV_DIR"
: >"$pids_file"

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.5 s
  local secs=$1 what=$2; shift 2
  local until=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$until" ] || return 1
    sleep 0.5
  done
}

# --- mesh simulator ----------------------------------------------------------------------------
step "starting the mesh simulator (synthetic client traffic, Istio metrics for Prometheus)"
node dist/demo/main.js --print-mesh-config --ledger "$results/ledger.json" $([ $quick = 1 ] && echo --quick) >"$results/mesh-sim.json"
node dist/test/mesh-sim/main.js --config "$results/mesh-sim.json" >"$results/mesh-sim.out" 2>"$results/mesh-sim.log" &
echo $! >>"$pids_file"
mesh_pid=$!
wait_for 60 "mesh simulator" grep -q '"url"' "$results/mesh-sim.out" ||
  die "the mesh simulator did not start within 60 s; see $results/mesh-sim.log: $(tail -n 5 "$results/mesh-sim.log" 2>/dev/null)"
mesh_url=$(node -e 'const l=require("fs").readFileSync(process.argv[1],"utf8").split("\n")[0];console.log(JSON.parse(l).url)' "$results/mesh-sim.out")
say "    control endpoint $mesh_url (GET /ledger, POST /profiles), pid $mesh_pid"

# --- CRD and the daemon ------------------------------------------------------------------------
step "applying the TrafficShift CRD"
kubectl apply --server-side --force-conflicts -f charts/sluice/crds/trafficshift.yaml >/dev/null
kubectl wait --for condition=established --timeout=60s crd/trafficshifts.sluice.dev >/dev/null

# A generic JSON webhook on loopback: the daemon's cluster-wide notification target (errors only,
# i.e. fallbacks); each message it receives is one line of $results/notifications.jsonl.
notify_port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
node -e 'const fs=require("fs");require("http").createServer((q,r)=>{let b="";q.on("data",c=>b+=c);q.on("end",()=>{fs.appendFileSync(process.argv[2],b.replace(/\n/g," ")+"\n");r.end("ok")})}).listen(+process.argv[1],"127.0.0.1")' \
  "$notify_port" "$results/notifications.jsonl" >"$results/notify-receiver.log" 2>&1 &
echo $! >>"$pids_file"
: >"$results/notifications.jsonl"

metrics_port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
step "starting sluice run (metrics on 127.0.0.1:$metrics_port, log $results/sluice.log)"
SLUICE_NOTIFY_URL="http://127.0.0.1:$notify_port/" node dist/src/cli/main.js run --kubeconfig "$KUBECONFIG" --prometheus-url "$SLUICE_PROMETHEUS_URL" \
  --metrics-addr "127.0.0.1:$metrics_port" --leader-elect=false --log-format json \
  --notify-provider generic --notify-severity error >"$results/sluice.log" 2>&1 &
echo $! >>"$pids_file"
sluice_pid=$!
metrics_up() { kill -0 "$sluice_pid" && node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "http://127.0.0.1:$metrics_port/metrics"; }
wait_for 60 "sluice" metrics_up || die "sluice run did not come up within 60 s; see $results/sluice.log: $(tail -n 5 "$results/sluice.log")"

# `kubectl sluice ...`: kubectl finds plugins named kubectl-* on PATH.
mkdir -p "$SLUICE_ENV_DIR/bin"
ln -sf "$root/dist/src/cli/main.js" "$SLUICE_ENV_DIR/bin/kubectl-sluice"
export PATH="$SLUICE_ENV_DIR/bin:$PATH"
ready=1

# --- the stories -------------------------------------------------------------------------------
step "playing the stories$([ $quick = 1 ] && echo ' (--quick)')"
t_stories=$(date +%s)
set +e
node dist/demo/main.js --results "$results" --mesh-url "$mesh_url" $([ $quick = 1 ] && echo --quick)
status=$?
set -e
t_stories=$(( $(date +%s) - t_stories ))

# What the generic webhook was told about the fallbacks (its JSON, one message per fallback).
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean);
  const fallbacks = lines.map((l) => { try { return JSON.parse(l); } catch { return undefined; } }).filter((m) => m && m.event === "RolledBack");
  if (fallbacks.length === 0) { console.log("\nThe generic webhook received no fallback message."); process.exit(0); }
  console.log(`\nThe generic webhook (sluice run --notify-provider generic) received ${fallbacks.length} fallback message(s); the first:`);
  const m = fallbacks[0];
  console.log(JSON.stringify({ event: m.event, severity: m.severity, shift: `${m.namespace}/${m.shift}`, message: m.message, versions: m.versions, weights: m.weights, lastVerdict: m.lastVerdict && { result: m.lastVerdict.result, errors: m.lastVerdict.errors, requests: m.lastVerdict.requests, threshold: m.lastVerdict.threshold } }, null, 2));
' "$results/notifications.jsonl" || true

say ""
say "Results: $results (summary.md, story-N.svg/.png, sluice.log, mesh-sim.log)"
say "Timings: control plane up ${t_cluster}s, stories ${t_stories}s, total $(( $(date +%s) - t_start ))s"
if [ $keep = 1 ]; then
  # The dashboard over the same kubeconfig, loopback only; stopped by --down with the rest.
  dash_port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  node dist/src/cli/main.js dashboard -A --port "$dash_port" --address 127.0.0.1 --kubeconfig "$KUBECONFIG" \
    --prometheus-url "$SLUICE_PROMETHEUS_URL" >"$results/dashboard.log" 2>&1 &
  echo $! >>"$pids_file"
  dash_up() { node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "http://127.0.0.1:$dash_port/"; }
  if wait_for 30 "the dashboard" dash_up; then
    say ""
    say "Dashboard: http://127.0.0.1:$dash_port/  (sluice dashboard -A; every shift live, its charts, the SRE commands)"
  else
    say "the dashboard did not come up within 30 s; see $results/dashboard.log"
  fi
  cat <<EOF

Everything is still running. To play by hand, in another shell:
  export KUBECONFIG='$KUBECONFIG'
  export PATH='$SLUICE_ENV_DIR/bin:$root/node_modules/.bin:$(dirname "$(command -v kubectl)"):\$PATH'
  export SLUICE_PROMETHEUS_URL='$SLUICE_PROMETHEUS_URL'
  kubectl get trafficshifts -A
  kubectl sluice status reviews -n shop         # phase, weights, last gate verdict, history
  kubectl sluice retry reviews -n shop          # v4 again: preview, then the switch
  kubectl sluice promote reviews -n shop        # end the rollback window now
  kubectl sluice shift reviews --to v3 -n shop  # v3 still fails 20 %: watch it fall back
  curl -s $mesh_url/ledger                      # what each version served
  curl -s -X POST $mesh_url/profiles -d '{"namespace":"shop","service":"reviews","version":"v4","errorFraction":0.3}'
Stop it all with: bash scripts/demo.sh --down
EOF
fi
exit $status
