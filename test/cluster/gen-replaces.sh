#!/usr/bin/env bash
# Regenerates test/cluster/go.mod's replace block from the pinned k8s.io/kubernetes
# go.mod: every `k8s.io/xxx => ./staging/src/k8s.io/xxx` becomes `k8s.io/xxx => k8s.io/xxx v0.MINOR.PATCH`.
# Usage: test/cluster/gen-replaces.sh [v1.36.3]   (run from anywhere; rewrites go.mod in place)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KVER="${1:-$(cat "$here/K8S_VERSION")}"
STAGING="v0${KVER#v1}"   # v1.36.3 -> v0.36.3
cd "$here"
kdir="$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$KVER" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -f "$kdir/go.mod" ] || { echo "cannot find go.mod of k8s.io/kubernetes@$KVER" >&2; exit 1; }
mods="$(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/k8s.io/.*#\1#p' "$kdir/go.mod" | sort -u)"
[ -n "$mods" ] || { echo "no staging replaces found in $kdir/go.mod" >&2; exit 1; }
tmp="$(mktemp)"
# drop any previous generated block
awk '/^\/\/ BEGIN generated staging replaces/{skip=1} !skip{print} /^\/\/ END generated staging replaces/{skip=0}' go.mod > "$tmp"
{
  cat "$tmp"
  echo "// BEGIN generated staging replaces (gen-replaces.sh $KVER) - do not edit by hand"
  echo "replace ("
  for m in $mods; do printf '\t%s => %s %s\n' "$m" "$m" "$STAGING"; done
  echo ")"
  echo
  echo "// END generated staging replaces"
} > go.mod
rm -f "$tmp"
echo "wrote $(echo "$mods" | wc -l) staging replaces ($STAGING) into $here/go.mod" >&2
