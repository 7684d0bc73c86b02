#!/usr/bin/env bash
# Mutation testing with Stryker, one folder at a time: `npm run mutate` runs all four,
# `npm run mutate -- core istio` some. Each folder keeps an incremental file in reports/mutation/,
# so a second run only tests the mutants whose code or covering tests changed. Prints the score
# per folder at the end (also written to reports/mutation/scores.txt). Not part of scripts/test.sh:
# a cold run takes long on 2 cores. SLUICE_MUTATE_CONCURRENCY (default 2) sets Stryker's workers.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
export FC_SEED="${FC_SEED:-20261122}" # property tests replay one seed, so a score is reproducible
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(core istio api promql)
mkdir -p reports/mutation
for target in "${targets[@]}"; do
  echo "== mutate $target"
  SLUICE_MUTATE="$target" stryker run stryker.config.mjs 2>&1 | tee "reports/mutation/$target.log"
done
node scripts/lib/mutationScores.js reports/mutation | tee reports/mutation/scores.txt
