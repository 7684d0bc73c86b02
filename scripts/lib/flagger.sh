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

# shellcheck source=gobuild.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/gobuild.sh"

# _sluice_flagger_ok DIR VERSION: the cached build is complete and reports VERSION
_sluice_flagger_ok() {
  [ -x "$1/flagger" ] && [ -s "$1/crd.yaml" ] && "$1/flagger" -version 2>/dev/null | grep -q "^Flagger version ${2#v} "
}

# the staged build: the CRDs come from the module, not the build
_sluice_flagger_stage() { cp "$_sluice_flagger_src/artifacts/flagger/crd.yaml" "$1/crd.yaml"; }
_sluice_flagger_staged_ok() { _sluice_flagger_ok "$1" "$_sluice_flagger_version"; }

# sluice_flagger [VERSION]: prints the directory holding flagger and crd.yaml, building it first if needed.
sluice_flagger() (
  set -euo pipefail
  SLUICE_LOG_TAG=flagger
  local version="${1:-${SLUICE_FLAGGER_VERSION:-$SLUICE_FLAGGER_DEFAULT_VERSION}}"
  case "$version" in v*) ;; *) version="v$version" ;; esac
  local dir="${SLUICE_CACHE_DIR:-$HOME/.cache/sluice}/flagger-$version"
  if _sluice_flagger_ok "$dir" "$version"; then echo "$dir"; return 0; fi

  command -v go >/dev/null || sluice_die "go is required to build flagger $version"
  sluice_go_lock "$dir"
  if _sluice_flagger_ok "$dir" "$version"; then echo "$dir"; return 0; fi

  export GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
  local module="github.com/fluxcd/flagger" mod
  sluice_log "fetching $module@$version from the Go module proxy"
  mod="$(go mod download -json "$module@$version")" || sluice_die "$module@$version: not on the module proxy?"
  _sluice_flagger_src="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$mod")"
  _sluice_flagger_version="$version"
  [ -s "$_sluice_flagger_src/artifacts/flagger/crd.yaml" ] || sluice_die "$module@$version has no artifacts/flagger/crd.yaml"
  sluice_go_build flagger "$dir" "$module/cmd/flagger@$version" "-s -w" _sluice_flagger_staged_ok _sluice_flagger_stage
  sluice_log "flagger $("$dir/flagger" -version)"
  echo "$dir"
)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  sluice_flagger "$@"
fi
