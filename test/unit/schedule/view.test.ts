import { describeInstant, nextStart, scheduleView, ScheduleError } from '../../../src/schedule';
import { ScheduleSpec } from '../../../src/schedule';
import { WEEKDAYS, at, iso, maintenance, window } from './fixtures';

/** The view as readable text: due, next start and window state. */
const view = (schedule: ScheduleSpec, waitingSince: string | undefined, now: string) => {
  const v = scheduleView(schedule, waitingSince === undefined ? {} : { waitingSince }, at(now));
  const { due, next } = v.start();
  const { open, nextChange } = v.window();
  return { startDue: due, nextStart: iso(next), inWindow: open, nextWindowChange: iso(nextChange) };
};

// Dates: Saturday 2026-11-21 .. Tuesday 2026-11-24; Berlin is UTC+1 (02:00 local = 01:00 UTC).
describe('scheduleView: waiting for the start (maintenance sample: "0 2 * * 1-5", Mon-Fri 02:00-05:00 Berlin)', () => {
  it('makes a version pushed on Saturday wait for Monday 02:00 local', () => {
    expect(view(maintenance, '2026-11-21T15:00:00Z', '2026-11-21T15:00:00Z')).toEqual({
      startDue: false, nextStart: '2026-11-23T01:00:00.000Z', inWindow: false, nextWindowChange: '2026-11-23T01:00:00.000Z',
    });
  });

  it('starts it at Monday 02:00 local on the dot', () => {
    expect(view(maintenance, '2026-11-21T15:00:00Z', '2026-11-23T01:00:00Z')).toMatchObject({ startDue: true, nextStart: undefined, inWindow: true });
  });

  it('waits from now when status has no waitingSince yet, so a fire exactly now does not count', () => {
    expect(view(maintenance, undefined, '2026-11-23T01:00:00Z')).toMatchObject({ startDue: false, nextStart: '2026-11-24T01:00:00.000Z' });
  });

  it('makes a version pushed inside the window, after that day\'s start, wait for the next day\'s start', () => {
    expect(view(maintenance, '2026-11-23T01:30:00Z', '2026-11-23T02:00:00Z')).toMatchObject({
      startDue: false, nextStart: '2026-11-24T01:00:00.000Z', inWindow: true, nextWindowChange: '2026-11-23T04:00:00.000Z',
    });
  });
});

describe('scheduleView: a start missed while no leader ran', () => {
  it('starts at once when the leader is back inside the window of the missed start (down 02:00, back 02:10)', () => {
    expect(view(maintenance, '2026-11-21T15:00:00Z', '2026-11-23T01:10:00Z')).toMatchObject({ startDue: true, inWindow: true });
  });

  it('waits for the next start when that window has closed (back at 05:10)', () => {
    expect(view(maintenance, '2026-11-21T15:00:00Z', '2026-11-23T04:10:00Z')).toEqual({
      startDue: false, nextStart: '2026-11-24T01:00:00.000Z', inWindow: false, nextWindowChange: '2026-11-24T01:00:00.000Z',
    });
  });

  it('starts when down for a day: the next day\'s start lies in the window open now', () => {
    expect(view(maintenance, '2026-11-21T15:00:00Z', '2026-11-24T01:10:00Z')).toMatchObject({ startDue: true });
  });

  it('does not carry a missed start into a later window: Monday-only starts wait a week', () => {
    const mondays: ScheduleSpec = { ...maintenance, start: '0 2 * * 1' };
    expect(view(mondays, '2026-11-21T15:00:00Z', '2026-11-24T01:10:00Z')).toMatchObject({ startDue: false, nextStart: '2026-11-30T01:00:00.000Z', inWindow: true });
  });

  it('without windows starts at once however late (down 02:00, back 09:00 the next day)', () => {
    const daily: ScheduleSpec = { start: '0 2 * * *', timeZone: 'UTC' };
    expect(view(daily, '2026-11-21T15:00:00Z', '2026-11-22T02:10:00Z')).toEqual({ startDue: true, nextStart: undefined, inWindow: true, nextWindowChange: undefined });
    expect(view(daily, '2026-11-21T15:00:00Z', '2026-11-23T09:00:00Z')).toMatchObject({ startDue: true });
  });
});

describe('scheduleView: schedules without a start, and starts outside every window', () => {
  it('without start or windows lets a version start at once', () => {
    expect(view({ timeZone: 'UTC' }, undefined, '2026-11-21T15:00:00Z')).toEqual({ startDue: true, nextStart: undefined, inWindow: true, nextWindowChange: undefined });
  });

  it('with windows only starts a version when a window is open, and names the opening as the next start', () => {
    const windowsOnly: ScheduleSpec = { timeZone: 'Europe/Berlin', windows: maintenance.windows! };
    expect(view(windowsOnly, '2026-11-21T15:00:00Z', '2026-11-21T15:00:00Z')).toMatchObject({ startDue: false, nextStart: '2026-11-23T01:00:00.000Z' });
    expect(view(windowsOnly, '2026-11-21T15:00:00Z', '2026-11-23T03:00:00Z')).toMatchObject({ startDue: true, inWindow: true });
  });

  it('ignores fires outside every window: "0 1,3 * * *" with 02:00-05:00 starts at 03:00', () => {
    const s: ScheduleSpec = { start: '0 1,3 * * *', timeZone: 'UTC', windows: [window(WEEKDAYS, '02:00', '05:00')] };
    expect(iso(nextStart(s, at('2026-11-23T00:00:00Z')))).toBe('2026-11-23T03:00:00.000Z');
    expect(view(s, '2026-11-23T00:00:00Z', '2026-11-23T02:30:00Z')).toMatchObject({ startDue: false, nextStart: '2026-11-23T03:00:00.000Z' });
  });

  it('has no next start when no fire ever falls inside a window', () => {
    expect(nextStart({ start: '0 1 * * *', timeZone: 'UTC', windows: [window(WEEKDAYS, '02:00', '05:00')] }, at('2026-11-23T00:00:00Z'))).toBeUndefined();
  });

  it('throws a ScheduleError naming the field for an unknown zone or an unaccepted start, never a false "outside the window"', () => {
    const unknownZone = scheduleView({ start: '0 2 * * *', timeZone: 'Mars/Olympus_Mons' }, {}, at('2026-11-21T15:00:00Z'));
    expect(() => unknownZone.window()).toThrow(new ScheduleError('spec.schedule.timeZone: "Mars/Olympus_Mons" is not an IANA time zone (expected e.g. "Europe/Berlin" or "UTC")'));
    expect(() => unknownZone.start()).toThrow(ScheduleError);
    const wrapped = scheduleView({ start: '0 22-2 * * *', timeZone: 'UTC' }, {}, at('2026-11-21T15:00:00Z'));
    expect(() => wrapped.start()).toThrow(/^spec\.schedule\.start: "0 22-2 \* \* \*" has the wrap-around range 22-2/);
  });
});

describe('scheduleView across daylight saving (start "30 2 * * *" Europe/Berlin)', () => {
  const nightly: ScheduleSpec = { start: '30 2 * * *', timeZone: 'Europe/Berlin' };

  it('starts at the jump (03:00 CEST) when 02:30 is skipped on 2026-03-29', () => {
    expect(view(nightly, '2026-03-28T12:00:00Z', '2026-03-29T00:59:00Z')).toMatchObject({ startDue: false, nextStart: '2026-03-29T01:00:00.000Z' });
    expect(view(nightly, '2026-03-28T12:00:00Z', '2026-03-29T01:00:00Z')).toMatchObject({ startDue: true });
  });

  it('starts once, at 02:30 CEST, when 02:30 happens twice on 2026-10-25', () => {
    expect(view(nightly, '2026-10-24T12:00:00Z', '2026-10-25T00:30:00Z')).toMatchObject({ startDue: true });
    expect(view(nightly, '2026-10-25T00:40:00Z', '2026-10-25T01:30:00Z')).toMatchObject({ startDue: false, nextStart: '2026-10-26T01:30:00.000Z' });
  });
});

describe('describeInstant', () => {
  it('shows the zone\'s wall time and UTC, for status and plan', () => {
    expect(describeInstant(at('2026-11-23T01:00:00Z'), 'Europe/Berlin')).toBe('2026-11-23 02:00 Europe/Berlin (2026-11-23T01:00:00Z)');
    expect(describeInstant(at('2026-11-23T01:00:05Z'), 'UTC')).toBe('2026-11-23 01:00:05 UTC (2026-11-23T01:00:05Z)');
  });
});
