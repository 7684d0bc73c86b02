import { inWindow, lastWindowChange, nextWindowChange } from '../../../src/schedule';
import { WEEKDAYS, at, iso, window } from './fixtures';

describe('inWindow', () => {
  const weekdayNights = [window(WEEKDAYS, '02:00', '05:00')];

  it('is open from "from" (inclusive) to "to" (exclusive), on the listed days, in the zone', () => {
    // Monday 2026-11-23; Berlin is UTC+1.
    expect(inWindow(weekdayNights, 'Europe/Berlin', at('2026-11-23T00:59:59Z'))).toBe(false);
    expect(inWindow(weekdayNights, 'Europe/Berlin', at('2026-11-23T01:00:00Z'))).toBe(true);
    expect(inWindow(weekdayNights, 'Europe/Berlin', at('2026-11-23T03:59:59Z'))).toBe(true);
    expect(inWindow(weekdayNights, 'Europe/Berlin', at('2026-11-23T04:00:00Z'))).toBe(false);
    expect(inWindow(weekdayNights, 'Europe/Berlin', at('2026-11-22T01:30:00Z'))).toBe(false); // Sunday
  });

  it('uses the weekday in the zone: Monday 02:30 in Tokyo is still Sunday in UTC', () => {
    expect(inWindow([window(['Mon'], '02:00', '03:00')], 'Asia/Tokyo', at('2026-11-22T17:30:00Z'))).toBe(true);
    expect(inWindow([window(['Mon'], '02:00', '03:00')], 'UTC', at('2026-11-22T17:30:00Z'))).toBe(false);
  });

  it('runs a window past midnight into the next day: Fri 22:00-02:00 is open early on Saturday', () => {
    const fridayNight = [window(['Fri'], '22:00', '02:00')];
    expect(inWindow(fridayNight, 'UTC', at('2026-11-27T21:59:00Z'))).toBe(false);
    expect(inWindow(fridayNight, 'UTC', at('2026-11-27T22:00:00Z'))).toBe(true);
    expect(inWindow(fridayNight, 'UTC', at('2026-11-28T01:59:00Z'))).toBe(true); // Saturday
    expect(inWindow(fridayNight, 'UTC', at('2026-11-28T02:00:00Z'))).toBe(false);
    expect(inWindow(fridayNight, 'UTC', at('2026-11-27T01:00:00Z'))).toBe(false); // Friday morning: Thursday had no window
  });

  it('wraps the week: a Sunday-night window is open early on Monday', () => {
    expect(inWindow([window(['Sun'], '23:00', '01:00')], 'UTC', at('2026-11-23T00:30:00Z'))).toBe(true);
  });

  it('is always open without windows or with an empty list', () => {
    expect(inWindow(undefined, 'UTC', at('2026-11-22T12:00:00Z'))).toBe(true);
    expect(inWindow([], 'UTC', at('2026-11-22T12:00:00Z'))).toBe(true);
  });

  it('keeps a window in the repeated hour open through both passes', () => {
    const two = [window(['Sun'], '02:00', '03:00')];
    expect(inWindow(two, 'Europe/Berlin', at('2026-10-25T00:30:00Z'))).toBe(true); // 02:30 CEST
    expect(inWindow(two, 'Europe/Berlin', at('2026-10-25T01:30:00Z'))).toBe(true); // 02:30 CET
  });
});

describe('nextWindowChange', () => {
  const weekdayNights = [window(WEEKDAYS, '02:00', '05:00')];

  it('gives the next opening when outside: Saturday afternoon -> Monday 02:00 Berlin', () => {
    expect(iso(nextWindowChange(weekdayNights, 'Europe/Berlin', at('2026-11-21T15:00:00Z')))).toBe('2026-11-23T01:00:00.000Z');
  });

  it('gives the closing when inside', () => {
    expect(iso(nextWindowChange(weekdayNights, 'Europe/Berlin', at('2026-11-23T01:00:00Z')))).toBe('2026-11-23T04:00:00.000Z');
  });

  it('skips an edge where nothing changes: overlapping windows close at the later end', () => {
    const overlapping = [window(['Mon'], '02:00', '04:00'), window(['Mon'], '03:00', '05:00')];
    expect(iso(nextWindowChange(overlapping, 'UTC', at('2026-11-23T02:30:00Z')))).toBe('2026-11-23T05:00:00.000Z');
  });

  it('follows a window past midnight and the day boundary in the zone', () => {
    const fridayNight = [window(['Fri'], '22:00', '02:00')];
    expect(iso(nextWindowChange(fridayNight, 'America/New_York', at('2026-11-28T02:00:00Z')))).toBe('2026-11-28T03:00:00.000Z');
    expect(iso(nextWindowChange(fridayNight, 'America/New_York', at('2026-11-28T03:00:00Z')))).toBe('2026-11-28T07:00:00.000Z');
  });

  it('is undefined without windows and when windows cover the whole week', () => {
    expect(nextWindowChange(undefined, 'UTC', at('2026-11-22T12:00:00Z'))).toBeUndefined();
    const always = [window(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'], '12:00', '00:00'), window(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'], '00:00', '12:00')];
    expect(nextWindowChange(always, 'UTC', at('2026-11-22T12:00:00Z'))).toBeUndefined();
  });

  it('sees a window reopen at a fall-back transition (01:00-02:30 reopens when 03:00 CEST becomes 02:00 CET)', () => {
    const early = [window(['Sun'], '01:00', '02:30')];
    expect(iso(nextWindowChange(early, 'Europe/Berlin', at('2026-10-25T00:45:00Z')))).toBe('2026-10-25T01:00:00.000Z');
    expect(iso(nextWindowChange(early, 'Europe/Berlin', at('2026-10-25T01:00:00Z')))).toBe('2026-10-25T01:30:00.000Z');
  });

  it('closes a window whose end is skipped at the spring-forward jump', () => {
    expect(iso(nextWindowChange([window(['Sun'], '01:00', '02:30')], 'Europe/Berlin', at('2026-03-29T00:10:00Z')))).toBe('2026-03-29T01:00:00.000Z');
  });
});

describe('lastWindowChange', () => {
  it('gives when the open window opened, and when the last one closed', () => {
    const weekdayNights = [window(WEEKDAYS, '02:00', '05:00')];
    expect(iso(lastWindowChange(weekdayNights, 'Europe/Berlin', at('2026-11-23T02:10:00Z')))).toBe('2026-11-23T01:00:00.000Z');
    expect(iso(lastWindowChange(weekdayNights, 'Europe/Berlin', at('2026-11-23T01:00:00Z')))).toBe('2026-11-23T01:00:00.000Z');
    expect(iso(lastWindowChange(weekdayNights, 'Europe/Berlin', at('2026-11-22T12:00:00Z')))).toBe('2026-11-20T04:00:00.000Z');
  });
});
