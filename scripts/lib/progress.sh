# shellcheck shell=bash
# sluice_progress TOTAL LABEL [LOGFILE] [EXPECTED_SECS]: reads `go build -v` output (one package
# per line) on stdin and shows "LABEL 512/2400 (21%) 4m10s elapsed, ~15m left  <pkg>" on stderr:
# redrawn in place on a terminal, one line every 5% otherwise (CI logs). Every input line is also
# appended to LOGFILE, so compiler errors can be shown afterwards. The estimate is the larger of
# the count-based one and EXPECTED_SECS - elapsed (small packages come first, so counting alone
# is far too optimistic early on).
sluice_progress() {
  local total="$1" label="$2" log="${3:-/dev/null}" expected="${4:-0}" n=0 start now el pct left rest last_pct=-5 line tty=0
  [ -t 2 ] && tty=1
  [ "$total" -gt 0 ] 2>/dev/null || total=1
  start=$(date +%s)
  while IFS= read -r line; do
    printf '%s\n' "$line" >>"$log"
    case "$line" in
      *' '*|'#'*|'') continue ;;  # compiler messages, not package names
    esac
    n=$((n + 1))
    now=$(date +%s); el=$((now - start))
    pct=$((n * 100 / total)); [ "$pct" -gt 99 ] && pct=99
    if [ "$n" -gt 20 ] && [ "$el" -gt 0 ]; then
      rest=$(((total - n) * el / n))
      [ $((expected - el)) -gt "$rest" ] && rest=$((expected - el))
      left="~$(sluice_human_secs "$rest") left"
    else
      left="estimating"
    fi
    if [ "$tty" = 1 ]; then
      printf '\r\033[K%s %d/%d (%d%%) %s elapsed, %s  %s' "$label" "$n" "$total" "$pct" "$(sluice_human_secs "$el")" "$left" "${line:0:60}" >&2
    elif [ $((pct - last_pct)) -ge 5 ]; then
      last_pct=$pct
      printf '%s %d/%d (%d%%) %s elapsed, %s  %s\n' "$label" "$n" "$total" "$pct" "$(sluice_human_secs "$el")" "$left" "$line" >&2
    fi
  done
  [ "$tty" = 1 ] && printf '\r\033[K' >&2
  printf '%s done: %d packages compiled in %s\n' "$label" "$n" "$(sluice_human_secs $(($(date +%s) - start)))" >&2
}
