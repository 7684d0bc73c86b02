#!/usr/bin/env bash
# A real helm, built from the Go module proxy and cached by version:
#   ${SLUICE_CACHE_DIR:-~/.cache/sluice}/helm-<version>/helm
#
#   bash scripts/lib/helm.sh [VERSION]     build if needed, print the binary's path on stdout
#   . scripts/lib/helm.sh; sluice_helm     the same as a function (for other scripts)
#
# VERSION defaults to $SLUICE_HELM_VERSION, else the pin below. A cold build compiles ~640
# packages (measured: 8 min on the 2-core dev machine); progress shows on stderr. The same
# ldflags as helm's Makefile set `helm version` and the default Kubernetes version (that of
# the client-go helm was built with).
# Two callers at once share one build (flock).

# v3.21.4: the newest approved v3 release (v3.22.0 is on the module proxy but not an approved release).
SLUICE_HELM_DEFAULT_VERSION=v3.21.4

# shellcheck source=gobuild.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/gobuild.sh"

# _sluice_helm_ok DIR: DIR holds a helm that runs
_sluice_helm_ok() { [ -x "$1/helm" ] && "$1/helm" version --short >/dev/null 2>&1; }

# sluice_helm [VERSION]: prints the path of a working helm VERSION, building it first if needed.
sluice_helm() (
  set -euo pipefail
  SLUICE_LOG_TAG=helm
  local version="${1:-${SLUICE_HELM_VERSION:-$SLUICE_HELM_DEFAULT_VERSION}}"
  case "$version" in v*) ;; *) version="v$version" ;; esac
  local dir="${SLUICE_CACHE_DIR:-$HOME/.cache/sluice}/helm-$version"
  if _sluice_helm_ok "$dir"; then echo "$dir/helm"; return 0; fi

  command -v go >/dev/null || sluice_die "go is required to build helm $version"
  sluice_go_lock "$dir"
  if _sluice_helm_ok "$dir"; then echo "$dir/helm"; return 0; fi

  export GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
  local pkg="helm.sh/helm/v3/cmd/helm@$version" mod gomod k8s major minor ld
  sluice_log "fetching helm.sh/helm/v3@$version from the Go module proxy"
  mod="$(go mod download -json "helm.sh/helm/v3@$version")" || sluice_die "helm.sh/helm/v3@$version: not on the module proxy?"
  gomod="$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p' <<<"$mod")"
  # helm's Makefile: the default cluster version is 1.<client-go minor> (client-go v0.N.x is 1.N)
  k8s="$(sed -n 's/^[[:space:]]*k8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$gomod" | head -1)"
  major=1; minor="${k8s:-}"
  ld="-s -w -X helm.sh/helm/v3/internal/version.version=$version -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  if [ -n "$minor" ]; then
    for p in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
      ld="$ld -X $p.k8sVersionMajor=$major -X $p.k8sVersionMinor=$minor"
    done
  fi

  sluice_go_build helm "$dir" "$pkg" "$ld" _sluice_helm_ok
  sluice_log "$("$dir/helm" version --short)"
  echo "$dir/helm"
)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  sluice_helm "$@"
fi
