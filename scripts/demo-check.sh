#!/usr/bin/env bash
# The demo as a test (scripts/test.sh runs it): `scripts/demo.sh --quick` must exit 0, and its
# summary must show the four stories ended as described, with a chart for each.
# Prints the demo's output to results/test/demo/demo.log and its last lines on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
out=results/test/demo
rm -rf "$out" && mkdir -p "$out"

fail() {
  printf 'demo-check: FAILED: %s\n' "$*" >&2
  printf -- '--- last lines of %s\n' "$out/demo.log" >&2
  tail -n 40 "$out/demo.log" >&2 || true
  exit 1
}

start=$(date +%s)
set +e
# An environment of its own: a demo someone left running with --keep (/tmp/sluice-demo, possibly
# from an older checkout with another CRD) is never reused by the test.
SLUICE_DEMO_ENV_DIR="/tmp/sluice-demo-check-$$" bash scripts/demo.sh --quick --results "$out" </dev/null >"$out/demo.log" 2>&1
code=$?
set -e
secs=$(( $(date +%s) - start ))
[ $code = 0 ] || fail "scripts/demo.sh --quick exited $code after ${secs}s"

summary=$out/summary.md
[ -f "$summary" ] || fail "no $summary"
grep -Eq '^\| 1 canary v1 → v2 +\| Promoted +\|.*\| ok +\|$' "$summary" || fail "story 1 is not 'Promoted ... ok' in $summary"
grep -Eq '^\| 2 canary v2 → v3 +\| RolledBack +\| [0-9.]+ s +\| [1-9][0-9]* / [0-9]+ .*\| ok +\|$' "$summary" || fail "story 2 is not 'RolledBack' with failed requests > 0 in $summary"
grep -Eq '^\| 3 blue-green v2 → v4 +\| RolledBack +\|.*\| ok +\|$' "$summary" || fail "story 3 is not 'RolledBack ... ok' in $summary"
grep -Eq '^\| 4 A/B test v2 → v5 +\| Promoted +\|.*\| ok +\|$' "$summary" || fail "story 4 is not 'Promoted ... ok' in $summary"
for n in 1 2 3 4; do
  [ -s "$out/story-$n.svg" ] || fail "no chart $out/story-$n.svg"
  if command -v rsvg-convert >/dev/null 2>&1; then [ -s "$out/story-$n.png" ] || fail "no chart $out/story-$n.png"; fi
done
grep -Eq '^The generic webhook \(sluice run --notify-provider generic\) received [1-9][0-9]* fallback message' "$out/demo.log" ||
  fail "the demo did not print a fallback message received by the generic webhook"
grep -q '"event": "RolledBack"' "$out/demo.log" || fail "the generic webhook's message is not a RolledBack notification"
if sed -n '/==> playing the stories/,$p' "$out/demo.log" | grep -q $'\x1b\\['; then fail "the stories wrote terminal escape codes without a terminal"; fi
printf 'demo-check: ok in %ss (%s)\n' "$secs" "$(grep -o 'stories [0-9]*s' "$out/demo.log" | tail -n 1)"
