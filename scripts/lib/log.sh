# shellcheck shell=bash
# Shared logging helpers. Everything goes to stderr so stdout stays machine-readable.
sluice_log()  { printf '%s [%s] %s\n' "$(date -u +%H:%M:%S)" "${SLUICE_LOG_TAG:-sluice}" "$*" >&2; }
sluice_die()  { sluice_log "ERROR: $*"; exit 1; }
# sluice_tail_log FILE [LINES]: show the end of a log file after a failure
sluice_tail_log() {
  local f="$1" n="${2:-40}"
  [ -f "$f" ] || return 0
  printf -- '----- last %s lines of %s -----\n' "$n" "$f" >&2
  tail -n "$n" "$f" >&2
  printf -- '----- end of %s -----\n' "$f" >&2
}
# sluice_human_secs SECONDS -> "4m05s"
sluice_human_secs() { local s="$1"; if [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi; }
