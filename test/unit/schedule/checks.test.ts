import * as E from 'fp-ts/Either';
import { formatFor } from '../../../src/api/fieldError';
import { decodeTrafficShift } from '../../../src/api/trafficShift';
import { checkStart } from '../../../src/schedule';

/** The error lines decodeTrafficShift gives for a shift with this spec.schedule ([] when it decodes). */
const scheduleErrors = (schedule: unknown): string[] => {
  const decoded = decodeTrafficShift({
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'TrafficShift',
    metadata: { name: 'reviews', namespace: 'shop' },
    spec: { service: 'reviews', version: 'v2', strategy: { canary: { steps: [10, 50] } }, schedule },
  });
  return E.isLeft(decoded) ? decoded.left.errors.map((e) => formatFor('shop', 'reviews', e)) : [];
};

describe('decodeTrafficShift rejects invalid schedules with a sentence naming the field', () => {
  it('accepts the maintenance-window sample', () => {
    expect(scheduleErrors({ start: '0 2 * * 1-5', timeZone: 'Europe/Berlin', windows: [{ days: ['Mon', 'Fri'], from: '02:00', to: '05:00' }] })).toEqual([]);
  });

  it('rejects an expression with a value out of range', () => {
    expect(scheduleErrors({ start: '61 2 * * *' })).toEqual([
      'shop/reviews: spec.schedule.start: "61 2 * * *" is not a cron expression (expected 5 or 6 fields, e.g. "0 2 * * 1-5")',
    ]);
  });

  it('rejects an expression with seven fields', () => {
    expect(scheduleErrors({ start: '0 0 2 * * * 2026' })).toEqual([
      'shop/reviews: spec.schedule.start: "0 0 2 * * * 2026" is not a cron expression (expected 5 or 6 fields, e.g. "0 2 * * 1-5")',
    ]);
  });

  it('rejects an unknown time zone', () => {
    expect(scheduleErrors({ start: '0 2 * * *', timeZone: 'Europe/Atlantis' })).toEqual([
      'shop/reviews: spec.schedule.timeZone: "Europe/Atlantis" is not an IANA time zone (expected e.g. "Europe/Berlin" or "UTC")',
    ]);
  });

  it('rejects a window time that is not HH:MM and a window of no length', () => {
    expect(scheduleErrors({ windows: [{ days: ['Mon'], from: '2:00', to: '05:00' }] })).toEqual([
      'shop/reviews: spec.schedule.windows[0].from: "2:00" is not a time of day (expected "HH:MM", 00:00 to 23:59)',
    ]);
    expect(scheduleErrors({ windows: [{ days: ['Mon'], from: '05:00', to: '05:00' }] })).toEqual([
      'shop/reviews: spec.schedule.windows[0].to: "05:00" equals from; expected a window of some length',
    ]);
  });

  it('rejects an unknown day name', () => {
    expect(scheduleErrors({ windows: [{ days: ['Monday'], from: '02:00', to: '05:00' }] })).toEqual([
      'shop/reviews: spec.schedule.windows[0].days[0]: "Monday" is not one of Mon, Tue, Wed, Thu, Fri, Sat, Sun',
    ]);
  });
});

describe('checkStart accepts plain cron that every implementation reads alike', () => {
  it.each(['0 2 * * 1-5', '0 2 * * mon-fri', '0 0 2 * * 7', '*/15 1-3 * jan-mar sun', '@daily', '0 2 */2 * *', '5,35 2 * * *', '0 2 * * 0-7'])(
    'accepts %j',
    (expr) => expect(checkStart(expr)).toBeUndefined(),
  );

  it('rejects what node-cron cannot read with the decoder\'s sentence', () => {
    expect(checkStart('5/15 * * * *')).toBe('is not a cron expression (expected 5 or 6 fields, e.g. "0 2 * * 1-5")');
    expect(checkStart('0 0 31 2 *')).toBe('is not a cron expression (expected 5 or 6 fields, e.g. "0 2 * * 1-5")');
  });

  it('rejects a wrap-around range, which node-cron reads and Vixie cron does not, naming the range and its field', () => {
    expect(checkStart('0 22-2 * * *')).toBe(
      'has the wrap-around range 22-2 in its hour field, which cron implementations read differently; expected ranges written low-high, e.g. "1-5"',
    );
    expect(checkStart('0 2 * * sat-mon')).toBe(
      'has the wrap-around range sat-mon in its day of week field, which cron implementations read differently; expected ranges written low-high, e.g. "1-5"',
    );
    expect(checkStart('0 2 * nov-feb/2 *')).toBe(
      'has the wrap-around range nov-feb in its month field, which cron implementations read differently; expected ranges written low-high, e.g. "1-5"',
    );
  });

  it('rejects both day fields restricted: node-cron needs both to match, Vixie cron either', () => {
    expect(checkStart('0 2 13 * 5')).toBe(
      'restricts both day of month and day of week, which cron implementations combine differently; expected "*" in one of them',
    );
  });

  it.each(['0 2 * * 5L', '0 2 L * *', '0 2 15W * *', '0 2 * * 1#2', '0 2 ? * 1'])('rejects the extension in %j', (expr) =>
    expect(checkStart(expr)).toBe(
      'uses L, W, #, ? or H, which sluice does not support (expected numbers, three-letter names, "*", ranges, steps and lists)',
    ),
  );
});
