/**
 * Wall-clock time in an IANA zone, from Intl alone (no time-zone library). A "wall time" is the
 * local reading of the clock encoded as if it were UTC epoch ms (2026-03-29 02:30 local ->
 * Date.UTC(2026, 2, 29, 2, 30)), so calendar arithmetic on it is plain UTC arithmetic.
 *
 * Daylight-saving transitions make the map instant -> wall time non-injective (the repeated hour)
 * and not onto (the skipped hour). `instantsOfWall` says which instants show a wall time: two in a
 * repeated hour, none in a skipped one (then the instant the clocks jumped is returned instead).
 */

export const SECOND_MS = 1000;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

const formatterFor = (zone: string): Intl.DateTimeFormat => {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
};

/** Whether the runtime knows the IANA zone. */
export const isKnownZone = (zone: string): boolean => {
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
};

const floorToSecond = (ms: number): number => Math.floor(ms / SECOND_MS) * SECOND_MS;

/** The wall time (whole seconds, encoded as UTC ms) an instant shows in `zone`. Throws RangeError for an unknown zone. */
export const wallOf = (ms: number, zone: string): number => {
  const p: Record<string, number> = {};
  for (const part of formatterFor(zone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour! % 24, p.minute!, p.second!);
};

/** UTC offset of `zone` at an instant, in ms (Europe/Berlin in summer: +7_200_000). */
export const offsetAt = (ms: number, zone: string): number => wallOf(ms, zone) - floorToSecond(ms);

/** Weekday of a wall time, 0 = Sunday. */
export const weekdayOfWall = (wall: number): number => new Date(wall).getUTCDay();

/** Minutes since local midnight of a wall time. */
export const minuteOfWallDay = (wall: number): number => Math.floor((((wall % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS);

/** Local midnight (as a wall time) of the day a wall time falls on. */
export const wallDayStart = (wall: number): number => wall - (((wall % DAY_MS) + DAY_MS) % DAY_MS);

/**
 * The first instant in (lo, hi] whose offset differs from the offset at lo; lo and hi must
 * straddle exactly one transition. Offsets change on whole seconds, so a search in seconds is exact.
 */
const transitionBetween = (zone: string, lo: number, hi: number): number => {
  const before = offsetAt(lo, zone);
  let a = Math.floor(lo / SECOND_MS);
  let b = Math.ceil(hi / SECOND_MS);
  while (b - a > 1) {
    const mid = Math.floor((a + b) / 2);
    if (offsetAt(mid * SECOND_MS, zone) === before) a = mid;
    else b = mid;
  }
  return b * SECOND_MS;
};

/** Offset transitions in (fromMs, toMs], ascending. Samples every 12 hours: zones do not change offset twice within 12 hours. */
export const transitionsIn = (zone: string, fromMs: number, toMs: number): { at: number; before: number; after: number }[] => {
  const out: { at: number; before: number; after: number }[] = [];
  let lo = fromMs;
  let loOffset = offsetAt(lo, zone);
  while (lo < toMs) {
    const hi = Math.min(lo + 12 * HOUR_MS, toMs);
    const hiOffset = offsetAt(hi, zone);
    if (hiOffset !== loOffset) out.push({ at: transitionBetween(zone, lo, hi), before: loOffset, after: hiOffset });
    lo = hi;
    loOffset = hiOffset;
  }
  return out;
};

/** From `start` (epoch ms) on, `zone` shows wall times at `offset` ms from UTC, until the next span starts. */
export interface OffsetSpan {
  readonly start: number;
  readonly offset: number;
}

/** The offsets of `zone` over [fromMs, toMs]: the offset at fromMs, then one span per transition, ascending. */
export const offsetsIn = (zone: string, fromMs: number, toMs: number): OffsetSpan[] => [
  { start: -Infinity, offset: offsetAt(fromMs, zone) },
  ...transitionsIn(zone, fromMs, toMs).map((t) => ({ start: t.at, offset: t.after })),
];

/**
 * The daylight-saving rule, in one place: the instants that show `wall` under `spans` (which must
 * cover a day either side of it), ascending. One normally, two in a repeated (fall-back) hour,
 * and in a skipped (spring-forward) hour the single instant at which the clocks jumped over it.
 */
export const instantsOfWallIn = (wall: number, spans: readonly OffsetSpan[]): number[] => {
  const shown = spans
    .filter((s, i) => {
      const t = wall - s.offset;
      return t >= s.start && t < (spans[i + 1]?.start ?? Infinity);
    })
    .map((s) => wall - s.offset);
  if (shown.length > 0) return shown;
  // Skipped: the first transition the wall time lies beyond on the old offset and before on the new.
  const jump = spans.find((s, i) => i > 0 && wall - s.offset < s.start);
  return jump !== undefined ? [jump.start] : [];
};

/** The instants that show `wall` in `zone` (instantsOfWallIn with the zone's offsets around it). */
export const instantsOfWall = (wall: number, zone: string): number[] =>
  instantsOfWallIn(floorToSecond(wall), offsetsIn(zone, wall - 2 * DAY_MS, wall + 2 * DAY_MS));
