#!/usr/bin/env bash
# The frame every Go tool the tests build shares (scripts/lib/helm.sh, scripts/lib/flagger.sh):
# one directory per tool and version under ${SLUICE_CACHE_DIR:-~/.cache/sluice}, a lock so two
# callers at once share one build, `go install` from the Go module proxy with progress on stderr,
# and a staged directory that replaces the cached one only once the build works.

_sluice_gobuild_lib="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=log.sh
. "$_sluice_gobuild_lib/log.sh"
# shellcheck source=progress.sh
. "$_sluice_gobuild_lib/progress.sh"

# sluice_go_lock DIR: take DIR's build lock (held until the calling subshell ends)
sluice_go_lock() {
  mkdir -p "$(dirname "$1")"
  exec 8>"$1.lock"
  flock 8
}

# sluice_go_build TAG DIR PKG LDFLAGS OK [STAGE]: build PKG (module@version) into DIR.
#   OK DIR    succeeds when DIR holds a working build (checked on the staged directory)
#   STAGE DIR adds what is not built (e.g. files from the module) to the staged directory
# The build log is DIR-build.log; a failed build leaves DIR as it was and dies with the log's tail.
sluice_go_build() {
  local tag="$1" dir="$2" pkg="$3" ld="$4" ok="$5" stage="${6:-:}" log total start rc
  log="$dir-build.log"
  : >"$log"
  # `go install -n` lists the compile actions the build cache cannot satisfy: one per package
  total="$(go install -n -ldflags "$ld" "$pkg" 2>&1 | grep -c '^mkdir -p \$WORK/b' || true)"
  sluice_log "building $pkg into $dir: $total packages to compile"
  start=$(date +%s)
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  set +e
  GOBIN="$dir.tmp" go install -v -trimpath -ldflags "$ld" "$pkg" 2>&1 | sluice_progress "$total" "[$tag]" "$log"
  rc=${PIPESTATUS[0]}
  set -e
  [ "$rc" != 0 ] || "$stage" "$dir.tmp"
  if [ "$rc" != 0 ] || ! "$ok" "$dir.tmp"; then
    rm -rf "$dir.tmp"
    sluice_tail_log "$log" 40
    sluice_die "building $pkg failed (log: $log)"
  fi
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  sluice_log "built $pkg in $(sluice_human_secs $(($(date +%s) - start)))"
}
