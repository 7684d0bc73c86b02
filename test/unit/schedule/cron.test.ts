import { nextFire } from '../../../src/schedule';
import { at, iso } from './fixtures';

const fire = (expr: string, zone: string, after: string): string | undefined => iso(nextFire(expr, zone, at(after)));

describe('nextFire in a time zone', () => {
  it('reads the expression in the zone: 02:00 Berlin is 01:00 UTC in winter and 00:00 UTC in summer', () => {
    expect(fire('0 2 * * *', 'Europe/Berlin', '2026-01-10T12:00:00Z')).toBe('2026-01-11T01:00:00.000Z');
    expect(fire('0 2 * * *', 'Europe/Berlin', '2026-07-10T12:00:00Z')).toBe('2026-07-11T00:00:00.000Z');
  });

  it('picks the weekday in the zone, not in UTC (Monday 01:00 Tokyo is Sunday in UTC)', () => {
    expect(fire('0 1 * * 1', 'Asia/Tokyo', '2026-11-20T00:00:00Z')).toBe('2026-11-22T16:00:00.000Z');
  });

  it('handles zones with half-hour offsets', () => {
    expect(fire('0 2 * * *', 'Asia/Kolkata', '2026-11-20T00:00:00Z')).toBe('2026-11-20T20:30:00.000Z');
  });

  it('fires strictly after the given instant, also when that instant is a fire', () => {
    expect(fire('0 2 * * *', 'UTC', '2026-11-20T02:00:00Z')).toBe('2026-11-21T02:00:00.000Z');
    expect(fire('0 2 * * *', 'UTC', '2026-11-20T01:59:59.999Z')).toBe('2026-11-20T02:00:00.000Z');
  });

  it('accepts six fields with seconds, as node-cron does', () => {
    expect(fire('30 15 10 * * *', 'UTC', '2026-11-20T10:15:29.500Z')).toBe('2026-11-20T10:15:30.000Z');
  });

  it('has no next fire for an unknown zone or an unreadable expression', () => {
    expect(fire('0 2 * * *', 'Mars/Olympus_Mons', '2026-11-20T00:00:00Z')).toBeUndefined();
    expect(fire('not cron', 'UTC', '2026-11-20T00:00:00Z')).toBeUndefined();
  });
});

describe('nextFire across a spring-forward transition (the skipped hour)', () => {
  // Europe/Berlin 2026-03-29: at 02:00 CET (01:00 UTC) clocks jump to 03:00 CEST.
  it('runs a start in the skipped hour once, at the jump: 03:00 local', () => {
    expect(fire('30 2 * * *', 'Europe/Berlin', '2026-03-28T12:00:00Z')).toBe('2026-03-29T01:00:00.000Z');
  });

  it('runs it once even when several starts fall in the skipped hour, then resumes the next day', () => {
    expect(fire('0,30 2 * * *', 'Europe/Berlin', '2026-03-28T12:00:00Z')).toBe('2026-03-29T01:00:00.000Z');
    expect(fire('0,30 2 * * *', 'Europe/Berlin', '2026-03-29T01:00:00Z')).toBe('2026-03-30T00:00:00.000Z');
    expect(fire('30 2 * * *', 'Europe/Berlin', '2026-03-29T01:00:00Z')).toBe('2026-03-30T00:30:00.000Z');
  });

  it('keeps a start at 03:00 local where it is, and a start in the gap plus one at 03:30 both', () => {
    expect(fire('0 3 * * *', 'Europe/Berlin', '2026-03-28T12:00:00Z')).toBe('2026-03-29T01:00:00.000Z');
    expect(fire('30 2,3 * * *', 'Europe/Berlin', '2026-03-28T12:00:00Z')).toBe('2026-03-29T01:00:00.000Z');
    expect(fire('30 2,3 * * *', 'Europe/Berlin', '2026-03-29T01:00:00Z')).toBe('2026-03-29T01:30:00.000Z');
  });

  it('runs a start in a 30-minute gap at the jump too (Lord Howe Island)', () => {
    // 2026-10-04 02:00 +10:30 (15:30 UTC on the 3rd) jumps to 02:30 +11:00.
    expect(fire('15 2 * * *', 'Australia/Lord_Howe', '2026-10-03T12:00:00Z')).toBe('2026-10-03T15:30:00.000Z');
  });

  it('finds the next monthly fire across a 30-minute fall-back (Lord Howe, April)', () => {
    // Found by the schedule property test: asked at a fire (03:15 on 1 March 2029, +11:00), the
    // answer is 03:15 on 1 April (+10:30 after 02:00 became 01:30 that night).
    expect(fire('15 3 1 * *', 'Australia/Lord_Howe', '2029-02-28T16:15:00Z')).toBe('2029-03-31T16:45:00.000Z');
  });

  it('handles a gap at midnight (America/Santiago skips 00:00-01:00 on 2026-09-06)', () => {
    expect(fire('30 0 * * *', 'America/Santiago', '2026-09-05T12:00:00Z')).toBe('2026-09-06T04:00:00.000Z');
  });
});

describe('nextFire across a fall-back transition (the repeated hour)', () => {
  // Europe/Berlin 2026-10-25: at 03:00 CEST (01:00 UTC) clocks go back to 02:00 CET; 02:xx happens twice.
  it('runs a start in the repeated hour once, at its first occurrence (02:30 CEST)', () => {
    expect(fire('30 2 * * *', 'Europe/Berlin', '2026-10-24T12:00:00Z')).toBe('2026-10-25T00:30:00.000Z');
    expect(fire('30 2 * * *', 'Europe/Berlin', '2026-10-25T00:30:00Z')).toBe('2026-10-26T01:30:00.000Z');
  });

  it('gives the same answer when asked from inside the second pass (not 02:30 CET)', () => {
    expect(fire('30 2 * * *', 'Europe/Berlin', '2026-10-25T01:10:00Z')).toBe('2026-10-26T01:30:00.000Z');
  });

  it('skips the second pass for every-hour starts too: each wall time fires once', () => {
    expect(fire('30 * * * *', 'Europe/Berlin', '2026-10-25T00:00:00Z')).toBe('2026-10-25T00:30:00.000Z');
    expect(fire('30 * * * *', 'Europe/Berlin', '2026-10-25T00:30:00Z')).toBe('2026-10-25T02:30:00.000Z');
  });
});
