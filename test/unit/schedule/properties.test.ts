import fc from 'fast-check';
import { Day, Window } from '../../../src/api/spec';
import { inWindow, lastWindowChange, nextFire, nextStart, nextWindowChange } from '../../../src/schedule';
import { at } from './fixtures';

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/Santiago'];
const STARTS = ['0 2 * * 1-5', '30 2 * * *', '*/20 * * * *', '0 30 1 * * *', '15 3 1 * *', '0 0 * * sun', '45 23 * * 5'];
const DAYS: Day[] = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

const instant = fc.integer({ min: at('2024-01-01T00:00:00Z'), max: at('2032-12-31T00:00:00Z') });
const zone = fc.constantFrom(...ZONES);
const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45)).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
const win: fc.Arbitrary<Window> = fc
  .record({ days: fc.subarray(DAYS, { minLength: 1 }), from: hhmm, to: hhmm })
  .filter((w) => w.from !== w.to);
const windows = fc.array(win, { minLength: 1, maxLength: 3 });

describe('schedule invariants for any instant', () => {
  it('nextFire is strictly later, and is itself a fire (asking from just before it gives it back)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...STARTS), zone, instant, (start, tz, now) => {
        const fire = nextFire(start, tz, now);
        expect(fire).toBeDefined();
        expect(fire!).toBeGreaterThan(now);
        expect(nextFire(start, tz, fire! - 1)).toBe(fire);
      }),
      { numRuns: 100 },
    );
  });

  it('nextStart is strictly later and lies inside a window (defined in a good share of runs: an always-undefined nextStart fails)', () => {
    let defined = 0;
    fc.assert(
      fc.property(fc.constantFrom(...STARTS), zone, windows, instant, (start, tz, ws, now) => {
        const next = nextStart({ start, timeZone: tz, windows: ws }, now);
        if (next === undefined) return;
        defined++;
        expect(next).toBeGreaterThan(now);
        expect(inWindow(ws, tz, next)).toBe(true);
      }),
      { numRuns: 60 },
    );
    expect(defined).toBeGreaterThanOrEqual(20); // about 38 of 60 here; an always-undefined nextStart gives 0
  });

  it('inWindow holds its value until nextWindowChange and flips there; lastWindowChange finds that flip again (defined in most runs)', () => {
    let defined = 0;
    fc.assert(
      fc.property(windows, zone, instant, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }), (ws, tz, now, fractions) => {
        const state = inWindow(ws, tz, now);
        const change = nextWindowChange(ws, tz, now);
        if (change === undefined) return;
        defined++;
        expect(change).toBeGreaterThan(now);
        expect(inWindow(ws, tz, change)).toBe(!state);
        for (const f of fractions) expect(inWindow(ws, tz, Math.floor(now + f * (change - now - 1)))).toBe(state);
        expect(inWindow(ws, tz, change - 1)).toBe(state);
        expect(lastWindowChange(ws, tz, change)).toBe(change);
      }),
      { numRuns: 100 },
    );
    expect(defined).toBeGreaterThanOrEqual(80); // 99–100 of 100 here
  });
});
