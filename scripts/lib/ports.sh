# shellcheck shell=bash
# Free loopback TCP ports without any helper program: read the listening sockets from
# /proc/net/tcp{,6} (state 0A = LISTEN) and pick a random port that is not among them.
# (A port can still be taken between the pick and the bind; callers check that their
# server really started.)

# sluice_listening_ports: prints every locally listening TCP port, one per line (decimal)
sluice_listening_ports() {
  local f
  for f in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$f" ] || continue
    awk 'NR > 1 && $4 == "0A" { split($2, a, ":"); print a[2] }' "$f"
  done | while read -r hex; do printf '%d\n' "0x$hex"; done | sort -un
}

# sluice_port_in_use PORT: exit 0 if something listens on PORT
sluice_port_in_use() { sluice_listening_ports | grep -qx "$1"; }

# sluice_free_port [MIN] [MAX]: prints a currently free port in [MIN,MAX] (default 20000-32767,
# below the usual ephemeral range so outgoing connections do not grab it meanwhile)
sluice_free_port() {
  local min="${1:-20000}" max="${2:-32767}" used p i
  used="$(sluice_listening_ports)"
  for i in $(seq 1 200); do
    p=$((min + RANDOM % (max - min + 1)))
    if ! grep -qx "$p" <<<"$used"; then echo "$p"; return 0; fi
  done
  return 1
}

# sluice_wait_port_free PORT [TIMEOUT_S]: wait until nothing listens on PORT
sluice_wait_port_free() {
  local port="$1" t="${2:-10}" i
  for i in $(seq 1 $((t * 10))); do sluice_port_in_use "$port" || return 0; sleep 0.1; done
  return 1
}
