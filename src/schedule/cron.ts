/**
 * `spec.schedule.start`: which cron expressions sluice accepts, and when one next fires in a zone.
 *
 * node-cron is the one cron library: it reads the expression (`validateDetailed`, the syntax
 * reference) and wakes the daemon at fire times (timers.ts). It cannot say when an expression
 * fires after a given instant (its tasks count from the real clock, `getNextRuns`), and the pure
 * core needs exactly that with time as a parameter, so `nextFire` walks the local days itself
 * over node-cron's reading of the fields, with the daylight-saving rule of zone.ts.
 *
 * Sluice accepts 5 or 6 fields (seconds optional, as in node-cron) of numbers, month and weekday
 * names, `*`, ranges `a-b` (a <= b), steps `/n` and lists, or a nickname such as `@daily`.
 * Rejected: L, W, #, ?, H, wrap-around ranges (`22-2`: node-cron reads them, Vixie cron and most
 * others refuse them), and restricting both day-of-month and day-of-week (node-cron requires both
 * to match, Vixie cron either).
 *
 * Daylight saving (docs/scheduling.md, zone.ts instantsOfWallIn): a fire whose wall time is
 * skipped (02:30 when clocks jump from 02:00 to 03:00) happens once, at the instant of the jump
 * (03:00 local); a repeated wall time fires at its first occurrence only.
 */
import { validateDetailed } from 'node-cron';
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS, instantsOfWallIn, isKnownZone, offsetsIn, wallDayStart, wallOf } from './zone';

const NOT_CRON = 'is not a cron expression (expected 5 or 6 fields, e.g. "0 2 * * 1-5")';
const NAMES = /jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat/gi;
const FIELD_NAMES = ['second', 'minute', 'hour', 'day of month', 'month', 'day of week'] as const;
const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *',
};
const NUMBER_OF: Record<string, number> = Object.fromEntries([
  ...['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((m, i) => [m, i + 1] as const),
  ...['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((d, i) => [d, i] as const),
]);

/** The six fields of an expression (seconds "0" when omitted), nicknames resolved. */
const sixFields = (expr: string): string[] => {
  const fields = (NICKNAMES[expr.trim().toLowerCase()] ?? expr).trim().split(/\s+/);
  return fields.length === 5 ? ['0', ...fields] : fields;
};

/** The first range `a-b` with a > b in a field (`22-2`), or undefined. */
const wrapAround = (field: string): string | undefined =>
  field.split(',').map((part) => part.split('/')[0]!).find((range) => {
    const [low, high] = range.split('-').map((v) => NUMBER_OF[v.toLowerCase()] ?? Number(v));
    return high !== undefined && low! > high;
  });

/**
 * Why sluice cannot use `expr` as a start, as the end of a sentence after the value
 * (`spec.schedule.start: "0 2 13 * 5" restricts both ...`), or undefined when it can.
 */
export const checkStart = (expr: string): string | undefined => {
  const byNodeCron = validateDetailed(expr);
  if (!byNodeCron.valid || byNodeCron.fields === undefined) return NOT_CRON;
  const fields = sixFields(expr);
  if (fields.some((f) => /[a-z#?]/i.test(f.replace(NAMES, ''))))
    return 'uses L, W, #, ? or H, which sluice does not support (expected numbers, three-letter names, "*", ranges, steps and lists)';
  if (fields[3] !== '*' && fields[5] !== '*')
    return 'restricts both day of month and day of week, which cron implementations combine differently; expected "*" in one of them';
  const wrapped = fields.map(wrapAround).findIndex((range) => range !== undefined);
  if (wrapped >= 0)
    return `has the wrap-around range ${wrapAround(fields[wrapped]!)} in its ${FIELD_NAMES[wrapped]} field, which cron implementations read differently; expected ranges written low-high, e.g. "1-5"`;
  return undefined;
};

/** An accepted expression as node-cron reads it: the values each field allows, ascending. */
interface CronFields {
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly days: ReadonlySet<number>;
  /** 1 = January. */
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday (node-cron reads 7 as 0). */
  readonly weekdays: ReadonlySet<number>;
}

const ascending = (values: readonly (number | string)[]): number[] => values.map(Number).sort((a, b) => a - b);

/** node-cron's reading of `expr`, or undefined when sluice does not accept it (checkStart). */
const readFields = (expr: string): CronFields | undefined => {
  if (checkStart(expr) !== undefined) return undefined;
  const f = validateDetailed(expr).fields!;
  return {
    seconds: ascending(f.second), minutes: ascending(f.minute), hours: ascending(f.hour),
    days: new Set(ascending(f.dayOfMonth)), months: new Set(f.month), weekdays: new Set(ascending(f.dayOfWeek)),
  };
};

/** Bounded memo: cleared when full (the daemon sees a handful of expressions, zones and days). */
const memo = <V>(limit: number) => {
  const entries = new Map<string, V>();
  return (key: string, compute: () => V): V => {
    if (entries.has(key)) return entries.get(key)!;
    const value = compute();
    if (entries.size >= limit) entries.clear();
    entries.set(key, value);
    return value;
  };
};

const fieldsMemo = memo<CronFields | undefined>(256);
const firesMemo = memo<readonly number[]>(1024);

/**
 * The fires on one local day (`day`: its midnight as a wall time), ascending: each matching wall
 * time at the first instant that shows it (zone.ts); several skipped wall times fire once, at the
 * jump. Memoized per expression, zone and day.
 */
const firesOn = (expr: string, f: CronFields, zone: string, day: number): readonly number[] => {
  const date = new Date(day);
  if (!f.months.has(date.getUTCMonth() + 1) || !f.days.has(date.getUTCDate()) || !f.weekdays.has(date.getUTCDay())) return [];
  const compute = (): readonly number[] => {
    const spans = offsetsIn(zone, day - DAY_MS, day + 2 * DAY_MS);
    const fires: number[] = [];
    for (const h of f.hours) {
      for (const m of f.minutes) {
        for (const s of f.seconds) {
          const t = instantsOfWallIn(day + h * HOUR_MS + m * MINUTE_MS + s * SECOND_MS, spans)[0];
          if (t !== undefined && (fires.length === 0 || t > fires[fires.length - 1]!)) fires.push(t);
        }
      }
    }
    return fires;
  };
  // Every-second or every-minute starts are cheap to recompute and too long to keep.
  const perDay = f.hours.length * f.minutes.length * f.seconds.length;
  return perDay > 1440 ? compute() : firesMemo(`${expr}\u0000${zone}\u0000${day}`, compute);
};

/** Fires are looked for this far ahead; an expression that fires less often than yearly has no next fire. */
const HORIZON_MS = 400 * DAY_MS;

/**
 * The first fire of `expr` strictly after `afterMs` (epoch ms) in `zone`; undefined when sluice
 * does not accept the expression (checkStart), the zone is unknown, or nothing fires within 400 days.
 */
export const nextFire = (expr: string, zone: string, afterMs: number): number | undefined => {
  const fields = fieldsMemo(expr, () => readFields(expr));
  if (fields === undefined || !isKnownZone(zone)) return undefined;
  // A day early: the first instant of a wall time is never a day before the instant showing it.
  const first = wallDayStart(wallOf(afterMs, zone)) - DAY_MS;
  for (let day = first; day <= first + HORIZON_MS; day += DAY_MS) {
    const fire = firesOn(expr, fields, zone, day).find((t) => t > afterMs);
    if (fire !== undefined) return fire;
  }
  return undefined;
};
