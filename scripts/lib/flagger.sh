#!/usr/bin/env bash
# A real Flagger, built from the Go module proxy and cached by version, for the fallback
# benchmark (scripts/bench/fallback.sh, docs/benchmarks.md):
#   ${SLUICE_CACHE_DIR:-~/.cache/sluice}/flagger-<version>/flagger     the controller
#   ${SLUICE_CACHE_DIR:-~/.cache/sluice}/flagger-<version>/crd.yaml    its CRDs (artifacts/flagger/crd.yaml)
#
#   bash scripts/lib/flagger.sh [VERSION]     build if needed, print the directory on stdout
#   . scripts/lib/flagger.sh; sluice_flagger  the same as a function (for other scripts)
#
# VERSION defaults to $SLUICE_FLAGGER_VERSION, else v1.44.0 (the version issue 11 compares with).
# A cold build compiles the packages `go install -n` counts (progress on stderr; measured time in
# docs/benchmarks.md). The ldflags are those of Flagger's Dockerfile (-s -w, version from the
# module's pkg/version). Two callers at once share one build (flock).

SLUICE_FLAGGER_DEFAULT_VERSION=v1.44.0

_sluice_flagger_lib="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=log.sh
. "$_sluice_flagger_lib/log.sh"
# shellcheck source=progress.sh
. "$_sluice_flagger_lib/progress.sh"

# _sluice_flagger_ok DIR VERSION: the cached build is complete and reports VERSION
_sluice_flagger_ok() {
  [ -x "$1/flagger" ] && [ -s "$1/crd.yaml" ] && "$1/flagger" -version 2>/dev/null | grep -q "^Flagger version ${2#v} "
}

# sluice_flagger [VERSION]: prints the directory holding flagger and crd.yaml, building it first if needed.
sluice_flagger() (
  set -euo pipefail
  SLUICE_LOG_TAG=flagger
  local version="${1:-${SLUICE_FLAGGER_VERSION:-$SLUICE_FLAGGER_DEFAULT_VERSION}}"
  case "$version" in v*) ;; *) version="v$version" ;; esac
  local cache="${SLUICE_CACHE_DIR:-$HOME/.cache/sluice}" dir
  dir="$cache/flagger-$version"
  if _sluice_flagger_ok "$dir" "$version"; then echo "$dir"; return 0; fi

  command -v go >/dev/null || sluice_die "go is required to build flagger $version"
  mkdir -p "$cache"
  exec 8>"$cache/flagger-$version.lock"
  flock 8
  if _sluice_flagger_ok "$dir" "$version"; then echo "$dir"; return 0; fi

  export GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
  local module="github.com/fluxcd/flagger" mod src pkg ld log total start rc
  pkg="$module/cmd/flagger@$version"
  sluice_log "fetching $module@$version from the Go module proxy"
  mod="$(go mod download -json "$module@$version")" || sluice_die "$module@$version: not on the module proxy?"
  src="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$mod")"
  [ -s "$src/artifacts/flagger/crd.yaml" ] || sluice_die "$module@$version has no artifacts/flagger/crd.yaml"
  ld="-s -w"

  log="$cache/flagger-$version-build.log"
  : >"$log"
  # `go install -n` lists the compile actions the build cache cannot satisfy: one per package
  total="$(go install -n -ldflags "$ld" "$pkg" 2>&1 | grep -c '^mkdir -p \$WORK/b' || true)"
  sluice_log "building flagger $version into $dir: $total packages to compile"
  start=$(date +%s)
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  set +e
  GOBIN="$dir.tmp" go install -v -trimpath -ldflags "$ld" "$pkg" 2>&1 | sluice_progress "$total" "[flagger]" "$log"
  rc=${PIPESTATUS[0]}
  set -e
  cp "$src/artifacts/flagger/crd.yaml" "$dir.tmp/crd.yaml"
  if [ "$rc" != 0 ] || ! _sluice_flagger_ok "$dir.tmp" "$version"; then
    rm -rf "$dir.tmp"
    sluice_tail_log "$log" 40
    sluice_die "building flagger $version failed (log: $log)"
  fi
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  sluice_log "built in $(sluice_human_secs $(($(date +%s) - start))): flagger $("$dir/flagger" -version)"
  echo "$dir"
)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  sluice_flagger "$@"
fi
