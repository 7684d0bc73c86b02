/**
 * `spec.schedule.start`: which cron expressions sluice accepts, and when one next fires in a zone.
 *
 * Two libraries read the expression: node-cron wakes the daemon at fire times (timers.ts) and
 * cron-parser computes fire times for the pure core. Sluice accepts only what both read the same
 * way: 5 or 6 fields (seconds optional, as in node-cron) of numbers, month and weekday names, `*`,
 * ranges `a-b` (a <= b), steps `/n` and lists, or a nickname such as `@daily`. Rejected: L, W, #,
 * ?, H, wrap-around ranges (`22-2`), and restricting both day-of-month and day-of-week (node-cron
 * requires both to match, Vixie cron and cron-parser either).
 *
 * Daylight saving (docs/scheduling.md): a fire whose wall time is skipped (02:30 when clocks jump
 * from 02:00 to 03:00) happens once, at the instant of the jump (03:00 local). cron-parser moves it
 * by the length of the gap instead (03:30) or drops it (30-minute gaps), so `nextFire` corrects it.
 * A repeated wall time fires at its first occurrence only. cron-parser does so too when it starts
 * before the repeated hour, but fires the second occurrence when asked from inside it (and fires
 * both passes for `*` hours), which would make the answer depend on when it is asked.
 */
import { CronExpressionParser } from 'cron-parser';
import { validateDetailed } from 'node-cron';
import { DAY_MS, instantsOfWall, transitionsIn, wallOf } from './zone';

const NOT_CRON = 'is not a cron expression (expected 5 or 6 fields, e.g. "0 2 * * 1-5")';
const NAMES = /jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat/gi;
const FIELD_NAMES = ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek'] as const;
const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *',
};

/** The six fields of an expression (seconds "0" when omitted), nicknames resolved. */
const sixFields = (expr: string): string[] => {
  const fields = (NICKNAMES[expr.trim().toLowerCase()] ?? expr).trim().split(/\s+/);
  return fields.length === 5 ? ['0', ...fields] : fields;
};

/** Sorted distinct numbers, weekday 7 read as 0 (both mean Sunday). */
const normalized = (values: readonly (number | string)[], weekday: boolean): string =>
  JSON.stringify([...new Set(values.map((v) => (weekday && v === 7 ? 0 : v)))].sort((a, b) => Number(a) - Number(b)));

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
  let parsed;
  try {
    parsed = CronExpressionParser.parse(expr).fields;
  } catch (e) {
    return `is not a cron expression sluice can evaluate (${(e as Error).message}); expected ranges written low-high, e.g. "1-5"`;
  }
  const differing = FIELD_NAMES.find(
    (name) => normalized(parsed[name].values, name === 'dayOfWeek') !== normalized(byNodeCron.fields![name], name === 'dayOfWeek'),
  );
  if (differing !== undefined) return `is read differently by node-cron and cron-parser in its ${differing} field; expected a plainer expression`;
  return undefined;
};

type Fields = ReturnType<typeof CronExpressionParser.parse>['fields'];
const parsedFields = new Map<string, Fields>();

/** cron-parser's reading of the fields (UTC), cached: parsing costs about half a millisecond. */
const fieldsOf = (expr: string): Fields => {
  let fields = parsedFields.get(expr);
  if (fields === undefined) {
    if (parsedFields.size >= 1000) parsedFields.clear();
    fields = CronExpressionParser.parse(expr).fields;
    parsedFields.set(expr, fields);
  }
  return fields;
};

/** Whether a wall time (encoded as UTC ms) matches the expression's fields (day fields combined as cron-parser does). */
const matchesWall = (expr: string, wall: number): boolean => {
  const f = fieldsOf(expr);
  const d = new Date(wall);
  const has = (values: readonly (number | string)[], v: number): boolean => values.includes(v);
  const dom = has(f.dayOfMonth.values, d.getUTCDate());
  const dow = has(f.dayOfWeek.values, d.getUTCDay()) || (d.getUTCDay() === 0 && has(f.dayOfWeek.values, 7));
  const day = !f.dayOfMonth.isWildcard && !f.dayOfWeek.isWildcard ? dom || dow : dom && dow;
  return day && has(f.second.values, d.getUTCSeconds()) && has(f.minute.values, d.getUTCMinutes()) && has(f.hour.values, d.getUTCHours()) && has(f.month.values, d.getUTCMonth() + 1);
};

/** Whether any wall time in [fromWall, toWall) matches the expression. */
const matchesWallIn = (expr: string, fromWall: number, toWall: number): boolean =>
  CronExpressionParser.parse(expr, { tz: 'UTC', currentDate: new Date(fromWall - 1) }).next().getTime() < toWall;

/** Fires are looked for this far ahead; an expression that fires less often than yearly has no next fire. */
const HORIZON_MS = 400 * DAY_MS;

/**
 * The same answer computed on the wall clock: cron-parser in UTC (no transitions there) yields
 * matching wall times, each mapped back to its first instant in `zone`; a wall time in a gap has
 * none and is left to the skipped-hour correction in nextFire.
 */
const nextFireByWall = (expr: string, zone: string, afterMs: number): number | undefined => {
  const fromWall = wallOf(afterMs, zone) - DAY_MS; // a day early: offsets never differ by more
  const walls = CronExpressionParser.parse(expr, { tz: 'UTC', currentDate: new Date(fromWall), endDate: new Date(fromWall + HORIZON_MS) });
  for (let i = 0; i < 10_000; i++) {
    let wall: number;
    try {
      wall = walls.next().getTime();
    } catch {
      return undefined;
    }
    const first = instantsOfWall(wall, zone)[0];
    if (first !== undefined && first > afterMs) return first;
  }
  return undefined;
};

/** The first genuine fire (its wall time matches, at its first occurrence) cron-parser gives after `afterMs`, or undefined within the horizon. */
const nextMatchingFire = (expr: string, zone: string, afterMs: number): number | undefined => {
  const it = CronExpressionParser.parse(expr, { tz: zone, currentDate: new Date(afterMs), endDate: new Date(afterMs + HORIZON_MS) });
  for (let i = 0; i < 10_000; i++) {
    let fire: number;
    try {
      fire = it.next().getTime();
    } catch (e) {
      // cron-parser gives up ("loop limit exceeded") on some zones with half-hour DST shifts
      // (Australia/Lord_Howe); walk the wall clock instead. Otherwise: past the horizon.
      return /loop limit/i.test((e as Error).message) ? nextFireByWall(expr, zone, afterMs) : undefined;
    }
    const wall = wallOf(fire, zone);
    if (fire > afterMs && matchesWall(expr, wall) && instantsOfWall(wall, zone)[0] === fire) return fire;
  }
  return undefined;
};

/**
 * The first fire of `expr` strictly after `afterMs` (epoch ms) in `zone`, with the skipped-hour
 * correction above; undefined when the expression or zone is invalid or nothing fires within 400 days.
 */
export const nextFire = (expr: string, zone: string, afterMs: number): number | undefined => {
  try {
    const fire = nextMatchingFire(expr, zone, afterMs);
    const until = fire ?? afterMs + HORIZON_MS;
    // A wall time skipped by a spring-forward transition fires once, at the transition.
    for (const t of transitionsIn(zone, afterMs, until)) {
      if (t.after <= t.before) continue;
      const gapEnd = wallOf(t.at, zone);
      if (matchesWallIn(expr, gapEnd - (t.after - t.before), gapEnd)) return t.at;
    }
    return fire;
  } catch {
    return undefined;
  }
};
