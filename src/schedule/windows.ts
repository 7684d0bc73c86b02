/**
 * `spec.schedule.windows`: wall-clock periods in the schedule's zone during which steps may
 * advance. A window is open from `from` (inclusive) to `to` (exclusive) on each of its days; when
 * `to` is earlier than `from` it closes at `to` on the following day (Fri 22:00-02:00 is open
 * until Saturday 02:00). No windows, or an empty list, means always open.
 *
 * Windows are wall-clock periods, so daylight saving stretches or shrinks them: a window inside
 * a repeated hour is open through both passes, one inside a skipped hour does not open that day.
 */
import { Day, Window } from '../api/spec';
import { DAY_MS, MINUTE_MS, instantsOfWallIn, minuteOfWallDay, offsetsIn, wallDayStart, wallOf, weekdayOfWall } from './zone';

const DAY_INDEX: Record<Day, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether a window is open at a wall time. */
const openAt = (w: Window, wall: number): boolean => {
  const day = weekdayOfWall(wall);
  const minute = minuteOfWallDay(wall);
  const from = minutesOf(w.from);
  const to = minutesOf(w.to);
  const opensOn = (d: number): boolean => w.days.some((name) => DAY_INDEX[name] === d);
  if (from < to) return opensOn(day) && minute >= from && minute < to;
  // Past midnight: the evening part on an opening day, the morning part on the day after one.
  return (opensOn(day) && minute >= from) || (opensOn((day + 6) % 7) && minute < to);
};

/** True when no windows are set or one of them is open at `nowMs` (epoch ms) in `timeZone`. */
export const inWindow = (windows: readonly Window[] | undefined, timeZone: string, nowMs: number): boolean => {
  if (windows === undefined || windows.length === 0) return true;
  const wall = wallOf(nowMs, timeZone);
  return windows.some((w) => openAt(w, wall));
};

/**
 * Every instant in [fromMs, toMs] at which a window can open or close: each window edge on each
 * local day (both instants of a repeated wall time, the jump for a skipped one), and each offset
 * transition (a fall-back can reopen a window that closed in the first pass). Ascending, distinct.
 */
const possibleChanges = (windows: readonly Window[], zone: string, fromMs: number, toMs: number): number[] => {
  const edges = [...new Set(windows.flatMap((w) => [minutesOf(w.from), minutesOf(w.to)]))];
  const spans = offsetsIn(zone, fromMs - 2 * DAY_MS, toMs + 2 * DAY_MS);
  const out = new Set<number>(spans.map((s) => s.start).filter((t) => t > fromMs && t <= toMs));
  for (let day = wallDayStart(wallOf(fromMs, zone)) - DAY_MS; day <= wallOf(toMs, zone) + DAY_MS; day += DAY_MS) {
    for (const minute of edges) {
      for (const t of instantsOfWallIn(day + minute * MINUTE_MS, spans)) if (t >= fromMs && t <= toMs) out.add(t);
    }
  }
  return [...out].sort((a, b) => a - b);
};

/** Windows repeat weekly; eight days of look-ahead (or look-back) find any change there is. */
const SPAN_MS = 8 * DAY_MS;

/**
 * The first instant after `nowMs` at which `inWindow` changes (a window opens or the open one
 * closes), or undefined when it never changes (no windows, or windows covering the whole week).
 */
export const nextWindowChange = (windows: readonly Window[] | undefined, timeZone: string, nowMs: number): number | undefined => {
  if (windows === undefined || windows.length === 0) return undefined;
  const now = inWindow(windows, timeZone, nowMs);
  return possibleChanges(windows, timeZone, nowMs + 1, nowMs + SPAN_MS).find((t) => inWindow(windows, timeZone, t) !== now);
};

/**
 * The last instant at or before `nowMs` at which `inWindow` took its current value (when the open
 * window opened, or the last one closed), or undefined when it has not changed in eight days.
 */
export const lastWindowChange = (windows: readonly Window[] | undefined, timeZone: string, nowMs: number): number | undefined => {
  if (windows === undefined || windows.length === 0) return undefined;
  const now = inWindow(windows, timeZone, nowMs);
  const changes = possibleChanges(windows, timeZone, nowMs - SPAN_MS, nowMs).reverse();
  return changes.find((t) => inWindow(windows, timeZone, t - 1) !== now);
};
