/**
 * Schedule eligibility, purely from spec + status + now (ADR 0006): whether a waiting version may
 * start, when it will, and whether steps may advance. Nothing here reads a clock or keeps state,
 * so a restarted or failed-over daemon reaches the same answer from the same status.
 *
 * Starts are the fires of `start` that fall inside a window (every fire when no windows are set).
 * A version waiting since W (status.waitingSince) may start at `now` when
 *   - no windows: some start lies in (W, now] - however late; a start missed while no leader ran
 *     is taken at once, because `start` says "not before" and nothing else limits it;
 *   - windows: `now` is inside a window and some start lies in (W, now] at or after the moment
 *     that window opened - a missed start is taken while its own window is still open, otherwise
 *     the version waits for the next start;
 *   - no `start`: at once when there are no windows, else as soon as a window is open.
 * See docs/scheduling.md for examples.
 */
import { DEFAULTS, Window } from '../api/spec';
import { ShiftStatus } from '../api/status';
import { ScheduleView } from '../core/types';
import { checkStart, nextFire } from './cron';
import { inWindow, lastWindowChange, nextWindowChange } from './windows';
import { DAY_MS, isKnownZone, wallOf } from './zone';

/** A schedule as resolved (ResolvedSpec.schedule) or as written (spec.schedule, zone defaulting to UTC). */
export interface ScheduleSpec {
  /** Cron expression for starts (checked by checkStart). Default: no scheduled start. */
  readonly start?: string;
  /** IANA zone for `start` and `windows`. Default UTC. */
  readonly timeZone?: string;
  /** Periods in which steps may advance. Default (or empty): always. */
  readonly windows?: readonly Window[];
}

const zoneOf = (s: ScheduleSpec): string => s.timeZone ?? DEFAULTS.timeZone;
const windowsOf = (s: ScheduleSpec): readonly Window[] | undefined => (s.windows && s.windows.length > 0 ? s.windows : undefined);

/**
 * A start further away than this is reported as none (e.g. one that never falls inside a window).
 * Fires of an expression with `*` for day of month and month repeat weekly in wall time, as windows
 * do, so two weeks show whether any falls in a window; other expressions get 400 days.
 */
const horizonFor = (start: string): number => {
  const fields = start.trim().split(/\s+/);
  const weekly = fields.length >= 5 && fields[fields.length - 3] === '*' && fields[fields.length - 2] === '*';
  return (weekly ? 15 : 400) * DAY_MS;
};

/**
 * The first start strictly after `afterMs`: a fire of `schedule.start` inside a window. Undefined
 * without `start`, for an invalid expression or zone, or when none comes within the horizon above.
 */
export const nextStart = (schedule: ScheduleSpec, afterMs: number): number | undefined => {
  if (schedule.start === undefined) return undefined;
  const zone = zoneOf(schedule);
  const windows = windowsOf(schedule);
  const horizon = windows === undefined ? 400 * DAY_MS : horizonFor(schedule.start);
  if (!isKnownZone(zone)) return undefined;
  let after = afterMs;
  for (let i = 0; i < 1000; i++) {
    const fire = nextFire(schedule.start, zone, after);
    if (fire === undefined || fire > afterMs + horizon) return undefined;
    if (inWindow(windows, zone, fire)) return fire;
    // Outside every window: no fire counts until the next window opens.
    const opens = nextWindowChange(windows, zone, fire);
    if (opens === undefined) return undefined;
    after = opens - 1;
  }
  return undefined;
};

const isDue = (schedule: ScheduleSpec, waitingSinceMs: number, nowMs: number, open: boolean): boolean => {
  const zone = zoneOf(schedule);
  const windows = windowsOf(schedule);
  if (schedule.start === undefined) return open;
  if (!open) return false;
  // With windows, only a start inside the window open now counts (at or after it opened).
  const openedAt = windows === undefined ? undefined : lastWindowChange(windows, zone, nowMs);
  const from = openedAt === undefined ? waitingSinceMs : Math.max(waitingSinceMs, openedAt - 1);
  const fire = nextFire(schedule.start, zone, from);
  return fire !== undefined && fire <= nowMs;
};

const parseTime = (iso: string | undefined): number | undefined => {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
};

/**
 * A schedule that cannot be evaluated (an unknown zone or an expression sluice does not accept,
 * which decoding normally reports first): thrown by a ScheduleView's functions so the daemon
 * reports it as a condition instead of a false "outside the window".
 */
export class ScheduleError extends Error {}

/** `compute` run on the first call only. */
const once = <A>(compute: () => A): (() => A) => {
  let value: { readonly a: A } | undefined;
  return () => (value ??= { a: compute() }).a;
};

/**
 * What the core needs from the schedule at `nowMs`, each part computed when first asked: only a
 * version waiting for its start asks `start`, only a running shift asks `window`, so a steady or
 * running shift does no cron arithmetic. Without status.waitingSince (the version has not entered
 * Waiting yet) it waits from now, so a new version never starts on a fire already past.
 * Throws ScheduleError (when asked) for a schedule that cannot be evaluated.
 */
export const scheduleView = (schedule: ScheduleSpec, status: Pick<ShiftStatus, 'waitingSince'>, nowMs: number): ScheduleView => {
  const zone = zoneOf(schedule);
  const windows = windowsOf(schedule);
  const readable = once(() => {
    if (!isKnownZone(zone)) throw new ScheduleError(`spec.schedule.timeZone: ${JSON.stringify(zone)} is not an IANA time zone (expected e.g. "Europe/Berlin" or "UTC")`);
    const problem = schedule.start === undefined ? undefined : checkStart(schedule.start);
    if (problem !== undefined) throw new ScheduleError(`spec.schedule.start: ${JSON.stringify(schedule.start)} ${problem}`);
  });
  const window = once(() => {
    readable();
    const nextChange = nextWindowChange(windows, zone, nowMs);
    return { open: inWindow(windows, zone, nowMs), ...(nextChange !== undefined ? { nextChange } : {}) };
  });
  const start = once(() => {
    const { open, nextChange } = window();
    const waitingSince = Math.min(parseTime(status.waitingSince) ?? nowMs, nowMs);
    if (isDue(schedule, waitingSince, nowMs, open)) return { due: true };
    // Not due: the next start, or without `start` the next opening of a window.
    const next = schedule.start !== undefined ? nextStart(schedule, nowMs) : nextChange;
    return { due: false, ...(next !== undefined ? { next } : {}) };
  });
  return { start, window };
};

/** An instant for people: `2026-11-24 02:00 Europe/Berlin (2026-11-24T01:00:00Z)`, for `sluice status` and `sluice plan`. */
export const describeInstant = (ms: number, timeZone: string): string => {
  const local = new Date(wallOf(ms, timeZone)).toISOString();
  const seconds = local.slice(17, 19) === '00' ? '' : local.slice(16, 19);
  return `${local.slice(0, 10)} ${local.slice(11, 16)}${seconds} ${timeZone} (${new Date(ms).toISOString().replace('.000Z', 'Z')})`;
};
