#!/usr/bin/env bash
# sluice's local test environment: a real Kubernetes control plane (embedded etcd +
# kube-apiserver + kube-controller-manager + a pod-lifecycle simulator, one Go binary built from
# test/cluster/) and a real Prometheus, all on free 127.0.0.1 ports. No Docker, no kubelet.
#
#   scripts/cluster.sh up       build if needed (cached in ~/.cache/sluice), start, install CRDs
#   scripts/cluster.sh down     stop everything this env started, remove its data
#   scripts/cluster.sh status   exit 0 if up, 1 if not
#   scripts/cluster.sh env      print env.sh:  eval "$(scripts/cluster.sh env)"
#   scripts/cluster.sh build    only build (or find cached) sluice-testenv + kubectl
#   scripts/cluster.sh audit    check sluice's writes in the API server's audit log (test/audit/)
#
# The kube-apiserver writes an audit log ($SLUICE_AUDIT_LOG in env.sh) of every write to
# VirtualServices, DestinationRules, HTTPRoutes, Services, Pods, TrafficShifts and Leases;
# test/audit/ checks it.
#
# Environment: SLUICE_ENV_DIR (default /tmp/sluice-env), SLUICE_SCRAPE_INTERVAL (default 5s),
# SLUICE_CACHE_DIR (default ~/.cache/sluice). See docs/test-environment.md.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/log.sh
. "$ROOT/scripts/lib/log.sh"
# shellcheck source=lib/ports.sh
. "$ROOT/scripts/lib/ports.sh"
# shellcheck source=lib/progress.sh
. "$ROOT/scripts/lib/progress.sh"
export SLUICE_LOG_TAG=cluster

CLUSTER_SRC="$ROOT/test/cluster"
ENV_DIR="${SLUICE_ENV_DIR:-/tmp/sluice-env}"
case "$ENV_DIR" in /*) ;; *) ENV_DIR="$PWD/$ENV_DIR" ;; esac
CACHE_DIR="${SLUICE_CACHE_DIR:-$HOME/.cache/sluice}"
SCRAPE_INTERVAL="${SLUICE_SCRAPE_INTERVAL:-5s}"
K8S_VERSION="$(tr -d '[:space:]' <"$CLUSTER_SRC/K8S_VERSION")"
ISTIO_API_VERSION="$(tr -d '[:space:]' <"$CLUSTER_SRC/ISTIO_API_VERSION")"
GATEWAY_API_VERSION="$(tr -d '[:space:]' <"$CLUSTER_SRC/GATEWAY_API_VERSION")"
# A cold build measured on the 2-core dev machine (see docs/test-environment.md): seconds and
# number of packages, used for the estimate shown while building.
COLD_BUILD_SECS=1660
COLD_BUILD_PKGS=2694

PIDS="$ENV_DIR/pids"
LOGS="$ENV_DIR/logs"
CP_DIR="$ENV_DIR/controlplane"
TARGETS_DIR="$ENV_DIR/prom-targets"
AUDIT_POLICY="$ENV_DIR/audit-policy.yaml"
AUDIT_LOG="$CP_DIR/audit/audit.log"

export GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

# ---------------------------------------------------------------- build (cached outside the repo)

source_hash() {
  (cd "$CLUSTER_SRC" && find . -name '*.go' -o -name go.mod -o -name go.sum -o -name K8S_VERSION | LC_ALL=C sort |
    xargs sha256sum) | sha256sum | cut -c1-12
}

bin_dir() { echo "$CACHE_DIR/bin/$K8S_VERSION-$(source_hash)"; }

build() {
  local out; out="$(bin_dir)"
  if [ -x "$out/sluice-testenv" ] && [ -L "$out/kubectl" ]; then echo "$out"; return 0; fi
  command -v go >/dev/null || sluice_die "go is required to build the test control plane"
  mkdir -p "$CACHE_DIR/bin"
  # two clones building at once share one build
  exec 9>"$CACHE_DIR/build.lock"
  flock 9
  if [ -x "$out/sluice-testenv" ] && [ -L "$out/kubectl" ]; then flock -u 9; echo "$out"; return 0; fi
  local major minor ld pv cv total log start rc expected
  major="${K8S_VERSION#v}"; major="${major%%.*}"
  minor="${K8S_VERSION#v*.}"; minor="${minor%%.*}"
  pv=k8s.io/component-base/version; cv=k8s.io/client-go/pkg/version
  ld="-s -w"
  for p in $pv $cv; do
    ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=$major -X $p.gitMinor=$minor"
    ld="$ld -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z -X $p.gitCommit=sluice-testenv-$(source_hash)"
  done
  log="$CACHE_DIR/build-$K8S_VERSION.log"
  : >"$log"
  sluice_log "building sluice-testenv (kube-apiserver + kube-controller-manager + etcd + kubectl $K8S_VERSION) into $out"
  total="$(cd "$CLUSTER_SRC" && go list -trimpath -deps -f '{{if .Stale}}x{{end}}' ./cmd/sluice-testenv 2>>"$log" | grep -c x || true)"
  expected=$((COLD_BUILD_SECS * ${total:-0} / COLD_BUILD_PKGS))
  if [ "${total:-0}" -gt 1000 ]; then
    sluice_log "cold build: $total packages to compile, about $(sluice_human_secs "$expected") on 2 cores (once; the Go build cache keeps later builds short)"
  else
    sluice_log "$total packages to compile"
  fi
  start=$(date +%s)
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  set +e
  (cd "$CLUSTER_SRC" && go build -p "${SLUICE_BUILD_JOBS:-2}" -v -trimpath -ldflags "$ld" \
    -o "$out.tmp/sluice-testenv" ./cmd/sluice-testenv 2>&1) | sluice_progress "$total" "[build]" "$log" "$expected"
  rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" != 0 ] || [ ! -x "$out.tmp/sluice-testenv" ]; then
    rm -rf "$out.tmp"
    sluice_tail_log "$log" 60
    sluice_die "build failed (full log: $log)"
  fi
  ln -sf sluice-testenv "$out.tmp/kubectl"
  rm -rf "$out" && mv "$out.tmp" "$out"
  prune_builds
  sluice_log "built in $(sluice_human_secs $(($(date +%s) - start))): $("$out/sluice-testenv" version)"
  flock -u 9
  echo "$out"
}

# keep the 3 newest builds (160 MB each) and any build a running control plane uses (its env.sh
# puts that build's kubectl on PATH); older source versions are rebuilt on demand
prune_builds() {
  local in_use d p
  in_use="$(for d in /proc/[0-9]*; do readlink "$d/exe" 2>/dev/null; done | sed -n 's#/sluice-testenv\( (deleted)\)\{0,1\}$##p' | sort -u)"
  find "$CACHE_DIR/bin" -mindepth 1 -maxdepth 1 -type d -printf '%T@ %p\n' | sort -rn | tail -n +4 | cut -d' ' -f2- |
    while read -r p; do
      grep -qxF -- "$p" <<<"$in_use" && continue
      rm -rf "$p"
    done
}

istio_crds() {
  local f="$CACHE_DIR/istio-crds-$ISTIO_API_VERSION.yaml" dir
  if [ ! -s "$f" ]; then
    dir="$(cd "$CLUSTER_SRC" && go mod download -json "istio.io/api@$ISTIO_API_VERSION" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [ -f "$dir/kubernetes/customresourcedefinitions.gen.yaml" ] ||
      sluice_die "istio.io/api@$ISTIO_API_VERSION has no kubernetes/customresourcedefinitions.gen.yaml"
    mkdir -p "$CACHE_DIR"
    cp "$dir/kubernetes/customresourcedefinitions.gen.yaml" "$f.tmp" && chmod 644 "$f.tmp" && mv "$f.tmp" "$f"
  fi
  echo "$f"
}

# the Gateway API CRDs, standard channel (HTTPRoute v1 etc. and the safe-upgrades admission
# policy), from the sigs.k8s.io/gateway-api module's config/crd/standard, as one cached file
gateway_api_crds() {
  local f="$CACHE_DIR/gateway-api-crds-$GATEWAY_API_VERSION.yaml" dir y
  if [ ! -s "$f" ]; then
    dir="$(cd "$CLUSTER_SRC" && go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [ -f "$dir/config/crd/standard/gateway.networking.k8s.io_httproutes.yaml" ] ||
      sluice_die "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION has no config/crd/standard/gateway.networking.k8s.io_httproutes.yaml"
    mkdir -p "$CACHE_DIR"
    : >"$f.tmp"
    for y in "$dir"/config/crd/standard/*.yaml; do
      { echo '---'; cat "$y"; } >>"$f.tmp"
    done
    chmod 644 "$f.tmp" && mv "$f.tmp" "$f"
  fi
  echo "$f"
}

# ---------------------------------------------------------------- prometheus

# pids_named NAME: pids whose command name is NAME (no procps needed)
pids_named() {
  local d
  for d in /proc/[0-9]*; do
    [ "$(cat "$d/comm" 2>/dev/null)" = "$1" ] && echo "${d#/proc/}"
  done
  return 0
}

ensure_prometheus() {
  command -v prometheus >/dev/null && return 0
  [ "$(id -u)" = 0 ] || sluice_die "prometheus is missing; install it with: sudo apt-get install -y prometheus"
  sluice_log "installing Debian's prometheus package (apt)"
  local created_policy=0 before after p
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=1
  fi
  before="$(pids_named prometheus)"
  {
    apt-get update &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus
  } >"$CACHE_DIR/apt-prometheus.log" 2>&1 || { sluice_tail_log "$CACHE_DIR/apt-prometheus.log"; sluice_die "apt-get install prometheus failed"; }
  [ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  # whatever the package managed to start anyway (it should not have): stop it
  after="$(pids_named prometheus)"
  for p in $after; do grep -qx "$p" <<<"$before" || kill "$p" 2>/dev/null || true; done
  command -v systemctl >/dev/null && systemctl disable --now prometheus >/dev/null 2>&1 || true
  command -v prometheus >/dev/null || sluice_die "prometheus still not on PATH after install"
}

write_prom_config() {
  local port="$1"
  cat >"$ENV_DIR/prometheus.yml" <<EOF
# generated by scripts/cluster.sh - every *.json in $TARGETS_DIR is a file_sd target list:
#   [{"targets":["127.0.0.1:PORT"],"labels":{"job":"NAME"}}]
# a "job" label in the file wins over the job_name below.
global:
  scrape_interval: $SCRAPE_INTERVAL
  evaluation_interval: $SCRAPE_INTERVAL
  scrape_timeout: $SCRAPE_INTERVAL
scrape_configs:
  - job_name: prom-targets
    file_sd_configs:
      - files: ['$TARGETS_DIR/*.json']
        refresh_interval: 2s
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:$port']
EOF
}

# ---------------------------------------------------------------- audit log

# The apiserver's audit policy: the full request and response of every write (and only writes) to
# the objects sluice reads and writes, so a checker can replay the state of each at any moment:
# sluice's routes (VirtualServices, DestinationRules, HTTPRoutes), the Services an HTTPRoute names
# and the Pods behind them (with their Ready condition, written by the pod simulator), shifts and
# Leases. Everything else (reads, watches, Events, ...) is not logged. Contract A in the team
# notes; the checker is test/audit/audit.ts.
audit_policy() {
  cat <<'EOF'
# generated by scripts/cluster.sh
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: RequestResponse
    verbs: [create, update, patch, delete, deletecollection]
    resources:
      - group: networking.istio.io
        resources: [virtualservices, destinationrules]
      - group: gateway.networking.k8s.io
        resources: [httproutes]
      - group: sluice.dev
        resources: [trafficshifts, trafficshifts/status]
      - group: coordination.k8s.io
        resources: [leases]
  - level: RequestResponse
    omitManagedFields: true
    verbs: [create, update, patch, delete, deletecollection]
    resources:
      - group: ""
        resources: [services, pods, pods/status]
  - level: None
EOF
}
write_audit_policy() {
  audit_policy >"$AUDIT_POLICY.tmp"
  mv "$AUDIT_POLICY.tmp" "$AUDIT_POLICY"
}
# the running control plane was started with this policy (a changed policy needs a restart)
audit_policy_current() { [ -f "$AUDIT_POLICY" ] && [ "$(audit_policy)" = "$(cat "$AUDIT_POLICY")" ]; }

# compile test/audit/cli.ts into the env dir and run it over the audit log: prints the writes
# checked and every violation, exits 1 when there are any
cmd_audit() {
  local out="$ENV_DIR/audit-cli" node="$ROOT/node_modules/.bin/node"
  [ -f "$AUDIT_LOG" ] || sluice_die "no audit log at $AUDIT_LOG (run scripts/cluster.sh up first)"
  [ -x "$ROOT/node_modules/.bin/tsc" ] || sluice_die "typescript is missing: run npm install"
  [ -x "$node" ] || node=node
  (cd "$ROOT" && node_modules/.bin/tsc --outDir "$out" --module commonjs --target es2023 --esModuleInterop --skipLibCheck \
    --strict --types node test/audit/cli.ts) || sluice_die "compiling test/audit/cli.ts failed"
  # compiled outside the repo: its imports (fp-ts, through the flag parser) resolve from the repo's node_modules
  NODE_PATH="$ROOT/node_modules" "$node" "$out/test/audit/cli.js" "$AUDIT_LOG"
}

# the running control plane writes the audit log (one started by an older sluice-testenv does not)
audit_on() { grep -qF "\"auditLog\":\"$AUDIT_LOG\"" "$CP_DIR/serve.ready" 2>/dev/null; }

# ---------------------------------------------------------------- process helpers

# pid_of NAME: the recorded pid, only if that process is still ours (its command line mentions
# this env dir), so a stale pid file after a reboot never makes us signal a stranger
pid_of() {
  local p
  [ -f "$PIDS/$1.pid" ] || return 0
  p="$(cat "$PIDS/$1.pid")"
  [ -n "$p" ] && [ -r "/proc/$p/cmdline" ] && tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "$ENV_DIR/" && echo "$p"
  return 0
}
alive() { local p; p="$(pid_of "$1")"; [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# start NAME LOGFILE CMD...: in its own session (process group), so `down` can stop the group
start_proc() {
  local name="$1" log="$2"; shift 2
  mkdir -p "$PIDS" "$LOGS"
  # 8>&- 9>&-: the long-running children must not inherit (and so hold) our lock files
  setsid "$@" </dev/null >>"$log" 2>&1 8>&- 9>&- &
  echo $! >"$PIDS/$name.pid"
}

stop_proc() {
  local name="$1" p i
  p="$(pid_of "$name")"
  [ -n "$p" ] || { rm -f "$PIDS/$name.pid"; return 0; }
  if kill -0 "$p" 2>/dev/null; then
    kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true
    for i in $(seq 1 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then
      sluice_log "$name ($p) did not stop in 15s, killing it"
      kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null || true
      # down returns only once it is gone (reaped), so no caller finds it still there
      for i in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
  # stragglers in its process group (e.g. the controller-manager child)
  kill -0 -- "-$p" 2>/dev/null && { kill -KILL -- "-$p" 2>/dev/null || true; }
  rm -f "$PIDS/$name.pid"
}

apiserver_url() { sed -n 's/.*"apiserver":"\([^"]*\)".*/\1/p' "$CP_DIR/serve.ready" 2>/dev/null; }
prom_port() { cat "$ENV_DIR/prometheus.port" 2>/dev/null || true; }

apiserver_ready() {
  local url; url="$(apiserver_url)"
  [ -n "$url" ] || return 1
  curl -fsS --max-time 3 --cacert "$CP_DIR/pki/ca.crt" --cert "$CP_DIR/pki/admin.crt" --key "$CP_DIR/pki/admin.key" \
    "$url/readyz" >/dev/null 2>&1
}
prom_ready() { local p; p="$(prom_port)"; [ -n "$p" ] && curl -fsS --max-time 3 "http://127.0.0.1:$p/-/ready" >/dev/null 2>&1; }

is_up() { alive controlplane && alive prometheus && apiserver_ready && prom_ready; }

# ---------------------------------------------------------------- env.sh

env_content() {
  cat <<EOF
export SLUICE_ENV_DIR='$ENV_DIR'
export KUBECONFIG='$ENV_DIR/kubeconfig'
export PATH='$(cat "$ENV_DIR/bin-dir")':"\$PATH"
export SLUICE_PROMETHEUS_URL='http://127.0.0.1:$(prom_port)'
export SLUICE_PROM_TARGETS_DIR='$TARGETS_DIR'
export SLUICE_SCRAPE_INTERVAL='$(cat "$ENV_DIR/scrape-interval" 2>/dev/null || echo "$SCRAPE_INTERVAL")'
export SLUICE_AUDIT_LOG='$AUDIT_LOG'
EOF
}

write_env() {
  env_content >"$ENV_DIR/env.sh.tmp" && mv "$ENV_DIR/env.sh.tmp" "$ENV_DIR/env.sh"
}

print_env_hint() {
  echo "export KUBECONFIG=$ENV_DIR/kubeconfig"
  echo "source $ENV_DIR/env.sh"
}

# ---------------------------------------------------------------- CRDs

# api_get PATH: GET from the apiserver as admin with curl (much cheaper than a kubectl process)
api_get() {
  curl -fsS --max-time 10 --cacert "$CP_DIR/pki/ca.crt" --cert "$CP_DIR/pki/admin.crt" --key "$CP_DIR/pki/admin.key" \
    "$(apiserver_url)$1"
}

# crds_exist customresourcedefinition.apiextensions.k8s.io/NAME...: all of them are there
crds_exist() {
  local have n
  have="$(api_get /apis/apiextensions.k8s.io/v1/customresourcedefinitions | grep -o '"name": *"[^"]*"')" || return 1
  for n in "$@"; do grep -q "\"${n#*/}\"" <<<"$have" || return 1; done
}

apply_crds() {
  local kubectl="$1" files=() f names sum marker
  files+=("$(istio_crds)" "$(gateway_api_crds)")
  if [ -d "$ROOT/charts/sluice/crds" ]; then
    for f in "$ROOT"/charts/sluice/crds/*.yaml "$ROOT"/charts/sluice/crds/*.yml; do [ -f "$f" ] && files+=("$f"); done
  fi
  mkdir -p "$ENV_DIR/crds-applied"
  for f in "${files[@]}"; do
    # a file already applied to this env with the same content is skipped when its CRDs still
    # exist (server-side applying Istio's 800 KB of CRDs again costs seconds on 2 cores)
    sum="$(sha256sum "$f" | cut -c1-16)"
    marker="$ENV_DIR/crds-applied/$sum"
    # shellcheck disable=SC2046 # one name per word
    if [ -s "$marker" ] && crds_exist $(cat "$marker"); then
      continue
    fi
    if ! names="$(KUBECONFIG="$ENV_DIR/kubeconfig" "$kubectl" apply --server-side --force-conflicts -f "$f" -o name 2>"$LOGS/crd-apply.err")"; then
      cat "$LOGS/crd-apply.err" >&2
      sluice_die "applying CRDs from $f failed"
    fi
    names="$(grep '^customresourcedefinition' <<<"$names" || true)"
    [ -n "$names" ] || continue
    # shellcheck disable=SC2086
    KUBECONFIG="$ENV_DIR/kubeconfig" "$kubectl" wait --for condition=Established --timeout=60s $names >/dev/null ||
      sluice_die "CRDs from $f not Established within 60s"
    echo "$names" | tr '\n' ' ' >"$marker"
    sluice_log "CRDs Established: $(wc -l <<<"$names") from ${f#"$ROOT"/}"
  done
}

# ---------------------------------------------------------------- commands

cmd_down() {
  local had=0 port n p
  # signal all first, then wait for each: they shut down in parallel
  for n in prometheus controlplane; do
    if [ -f "$PIDS/$n.pid" ]; then had=1; p="$(pid_of "$n")"; [ -z "$p" ] || kill -TERM -- "-$p" 2>/dev/null || true; fi
  done
  for n in prometheus controlplane; do stop_proc "$n"; done
  port="$(prom_port)"
  [ -n "$port" ] && { sluice_wait_port_free "$port" 10 || sluice_log "warning: port $port still in use"; }
  if [ -d "$ENV_DIR" ]; then
    # only remove what is ours (the dir may be a user-chosen path)
    rm -rf "$PIDS" "$LOGS" "$CP_DIR" "$TARGETS_DIR" "$ENV_DIR/prometheus-data" "$ENV_DIR/prometheus.yml" \
      "$ENV_DIR/prometheus.port" "$ENV_DIR/scrape-interval" "$ENV_DIR/crds-applied" "$ENV_DIR/kubeconfig" "$ENV_DIR/env.sh" "$ENV_DIR/bin-dir" "$AUDIT_POLICY" "$ENV_DIR/audit-cli"
    rmdir "$ENV_DIR" 2>/dev/null || true
  fi
  [ "$had" = 1 ] && sluice_log "down: stopped and removed $ENV_DIR" || sluice_log "down: nothing was running in $ENV_DIR"
}

cmd_status() {
  local rc=0
  if alive controlplane && apiserver_ready; then
    echo "controlplane: up   pid $(pid_of controlplane)  $(apiserver_url)  (etcd + kube-apiserver + pod simulator, controller-manager child)"
  elif alive controlplane; then
    echo "controlplane: starting/unhealthy  pid $(pid_of controlplane)"; rc=1
  else
    echo "controlplane: down"; rc=1
  fi
  if alive prometheus && prom_ready; then
    echo "prometheus:   up   pid $(pid_of prometheus)  http://127.0.0.1:$(prom_port)  targets: $TARGETS_DIR/*.json"
  else
    echo "prometheus:   down"; rc=1
  fi
  [ "$rc" = 0 ] && echo "env: source $ENV_DIR/env.sh"
  return $rc
}

cmd_env() {
  [ -f "$ENV_DIR/env.sh" ] || sluice_die "no environment in $ENV_DIR (run scripts/cluster.sh up)"
  cat "$ENV_DIR/env.sh"
}

wait_until() { # wait_until TIMEOUT_S WHAT LOG PIDNAME CHECK...
  local t="$1" what="$2" log="$3" pname="$4" i; shift 4
  for i in $(seq 1 $((t * 5))); do
    "$@" && return 0
    if ! alive "$pname"; then sluice_tail_log "$log" 60; sluice_die "$what: process exited (log: $log)"; fi
    sleep 0.2
  done
  sluice_tail_log "$log" 60
  sluice_die "$what: not ready after ${t}s (log: $log)"
}

cmd_up() {
  local bin kubectl t0 port
  t0=$(date +%s%N)
  bin="$(build)"
  kubectl="$bin/kubectl"
  if is_up && ! audit_on; then
    sluice_log "restarting: the control plane in $ENV_DIR writes no audit log (started by an older sluice-testenv)"
    cmd_down
  elif is_up && ! audit_policy_current; then
    sluice_log "restarting: the control plane in $ENV_DIR logs with an older audit policy (audit_policy in scripts/cluster.sh changed)"
    cmd_down
  fi
  if is_up; then
    sluice_log "already up in $ENV_DIR; checking CRDs"
    echo "$bin" >"$ENV_DIR/bin-dir"
    apply_crds "$kubectl"
    write_env
    print_env_hint
    return 0
  fi
  # anything half-started from before goes first
  if [ -d "$PIDS" ]; then sluice_log "cleaning up a previous, not healthy environment"; cmd_down; fi
  ensure_prometheus
  mkdir -p "$ENV_DIR" "$PIDS" "$LOGS" "$TARGETS_DIR" "$ENV_DIR/prometheus-data"
  echo "$bin" >"$ENV_DIR/bin-dir"
  istio_crds >/dev/null
  gateway_api_crds >/dev/null

  sluice_log "starting control plane (etcd + kube-apiserver $K8S_VERSION + controller-manager + pod simulator)"
  write_audit_policy
  start_proc controlplane "$LOGS/controlplane.log" "$bin/sluice-testenv" serve --dir "$CP_DIR" \
    --audit-policy-file "$AUDIT_POLICY" --audit-log-path "$AUDIT_LOG"

  port="$(sluice_free_port)" || sluice_die "no free port for prometheus"
  echo "$SCRAPE_INTERVAL" >"$ENV_DIR/scrape-interval"
  echo "$port" >"$ENV_DIR/prometheus.port"
  write_prom_config "$port"
  start_proc prometheus "$LOGS/prometheus.log" prometheus --config.file="$ENV_DIR/prometheus.yml" \
    --storage.tsdb.path="$ENV_DIR/prometheus-data" --storage.tsdb.retention.time=1d \
    --web.listen-address="127.0.0.1:$port" --web.enable-lifecycle --log.level=warn

  wait_until 180 "control plane" "$LOGS/controlplane.log" controlplane test -f "$CP_DIR/serve.ready"
  wait_until 30 "kube-apiserver /readyz" "$LOGS/controlplane.log" controlplane apiserver_ready
  cp "$CP_DIR/kubeconfig" "$ENV_DIR/kubeconfig.tmp" && mv "$ENV_DIR/kubeconfig.tmp" "$ENV_DIR/kubeconfig"
  wait_until 60 "prometheus /-/ready" "$LOGS/prometheus.log" prometheus prom_ready
  apply_crds "$kubectl"
  write_env
  sluice_log "up in $(( ($(date +%s%N) - t0) / 1000000 )) ms: apiserver $(apiserver_url), prometheus http://127.0.0.1:$port, logs in $LOGS"
  print_env_hint
}

# up and down of one env dir never interleave (two test runs sharing the default dir)
lock_env() {
  mkdir -p "$(dirname "$ENV_DIR")"
  exec 8>"$ENV_DIR.lock"
  flock -w 600 8 || sluice_die "another scripts/cluster.sh holds $ENV_DIR.lock"
}

case "${1:-}" in
  up) lock_env; cmd_up ;;
  down) lock_env; cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  build) build ;;
  audit) cmd_audit ;;
  *) echo "usage: $0 up|down|status|env|build|audit" >&2; exit 2 ;;
esac
