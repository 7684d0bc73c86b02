#!/usr/bin/env bash
# All tests, from a fresh clone: install, build, type-check, unit tests, then the integration
# tests against the real local control plane + Prometheus + mesh simulator (built and started by
# the jest global setup through scripts/cluster.sh), then the quick demo.
# Exits non-zero on any failure. Ends with one line "tests: N passed, N failed".
#
#   SLUICE_SKIP_INTEGRATION=1  unit tests only
#   SLUICE_SKIP_DEMO=1         skip the demo run
#   --chaos                    the full crash-injection suite (test/integration/chaos.test.ts with
#                              SLUICE_CHAOS=full: 100+ random kills and every write point) instead of its short version
set -euo pipefail
for arg in "$@"; do
  case "$arg" in
    --chaos) export SLUICE_CHAOS=full ;;
    *) echo "scripts/test.sh: unknown argument $arg (expected --chaos)" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
root=$(pwd)
results="$root/results/test"
rm -rf "$results" && mkdir -p "$results"

step() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)" >&2; }

step "install (npm install with the committed lockfile; npm ci cannot work here, see README)"
npm install --no-audit --no-fund --loglevel=error
# The pinned Node 24 (devDependency `node`) runs everything below, whatever node the machine has:
# `npx jest` alone would start jest under the machine's node through its `#!/usr/bin/env node`.
export PATH="$root/node_modules/.bin:$PATH"
echo "node $(node --version)" >&2

# Debian's libfaketime: the clock-skew test runs a daemon whose clock is 10 minutes behind.
if [ ! -e /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  step "install faketime (apt)"
  { DEBIAN_FRONTEND=noninteractive apt-get install -y -q faketime || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q faketime; }; } >"$results/apt-faketime.log" 2>&1 ||
    echo "could not install faketime (see $results/apt-faketime.log); the clock-skew test will fail" >&2
fi

# Debian's chromium: the dashboard's browser tests drive it with puppeteer-core (which never
# downloads a browser of its own; test/integration/dashboard.test.ts).
if ! command -v chromium >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  step "install chromium (apt)"
  { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }; } >"$results/apt-chromium.log" 2>&1 ||
    echo "could not install chromium (see $results/apt-chromium.log); the dashboard's browser tests will fail" >&2
fi

# Flagger (for the side-by-side fallback test, test/integration/bench-fallback.test.ts) takes
# ~13 min to build cold: build it niced in the background, in the time the unit tests and the
# integration tests' timers leave idle; the test waits for it (scripts/lib/flagger.sh shares one
# build through flock). Cached after the first run.
flagger_pid=""
if [ "${SLUICE_SKIP_INTEGRATION:-}" != 1 ]; then
  nice -n 19 bash scripts/lib/flagger.sh >"$results/flagger-build.log" 2>&1 &
  flagger_pid=$!
fi

step "build"
npm run --silent build

step "type-check"
npm run --silent typecheck

passed=0; failed=0
count() { # add the totals of a jest --json report; a run that failed outside any test (global
  # setup or teardown, e.g. the audit-log check) counts as one failure even with all tests green
  local f=$1 rc=$2
  local p=0 q=0
  if [ -f "$f" ]; then
    p=$(node -e 'const r=require(process.argv[1]);console.log(r.numPassedTests)' "$f")
    q=$(node -e 'const r=require(process.argv[1]);console.log(r.numFailedTests + r.numRuntimeErrorTestSuites)' "$f")
  fi
  if [ "$rc" != 0 ] && [ "$q" = 0 ]; then q=1; echo "counted as 1 failure: jest exited $rc outside any test (see above)" >&2; fi
  passed=$((passed + p)); failed=$((failed + q))
}
status=0

step "unit tests"
rc=0; jest --selectProjects unit --json --outputFile="$results/unit.json" || rc=$?
[ "$rc" = 0 ] || status=1
count "$results/unit.json" "$rc"

if [ "${SLUICE_SKIP_INTEGRATION:-}" != 1 ]; then
  step "integration tests (real kube-apiserver, etcd, controllers, Istio CRDs, Prometheus, mesh simulator)"
  export SLUICE_ENV_DIR="${SLUICE_ENV_DIR:-/tmp/sluice-env-test-$$}"
  rc=0; NODE_OPTIONS=--experimental-vm-modules jest --selectProjects integration --runInBand --json --outputFile="$results/integration.json" || rc=$?
  [ "$rc" = 0 ] || status=1
  count "$results/integration.json" "$rc"
fi

if [ "${SLUICE_SKIP_DEMO:-}" != 1 ] && [ -f scripts/demo-check.sh ]; then
  step "demo (scripts/demo.sh --quick)"
  if bash scripts/demo-check.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi
fi

if [ -n "$flagger_pid" ]; then wait "$flagger_pid" 2>/dev/null || echo "the background Flagger build failed: see $results/flagger-build.log" >&2; fi

echo
echo "tests: $passed passed, $failed failed"
exit $status
