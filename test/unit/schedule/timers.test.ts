import fc from 'fast-check';
import { createTask } from 'node-cron';
import { cronScheduler, nextFire } from '../../../src/schedule';
import { at } from './fixtures';

// node-cron runs on setTimeout and Date, so Jest's fake clock drives it: no real waiting, no I/O.
describe('cronScheduler (node-cron on a fake clock)', () => {
  beforeEach(() => jest.useFakeTimers({ now: at('2026-11-23T00:59:58Z') })); // Monday 01:59:58 Berlin
  afterEach(() => jest.useRealTimers());

  it('wakes the shift at its start time in the schedule\'s zone', async () => {
    const scheduler = cronScheduler();
    const fired: string[] = [];
    expect(scheduler.watch('shop/reviews', { start: '0 2 * * 1-5', timeZone: 'Europe/Berlin' }, () => fired.push(new Date().toISOString()))).toBe(true);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(fired).toEqual([]);
    await jest.advanceTimersByTimeAsync(2_000);
    expect(fired).toEqual(['2026-11-23T01:00:00.000Z']);
    scheduler.stopAll();
  });

  it('keeps one timer per key: watching again with the same schedule does not double the wake-ups', async () => {
    const scheduler = cronScheduler();
    let fired = 0;
    scheduler.watch('shop/reviews', { start: '* * * * * *' }, () => (fired += 100));
    scheduler.watch('shop/reviews', { start: '* * * * * *' }, () => (fired += 1));
    await jest.advanceTimersByTimeAsync(3_000);
    expect(fired).toBeGreaterThanOrEqual(2);
    expect(fired).toBeLessThan(100);
    scheduler.stopAll();
  });

  it('stops waking after unwatch and after stopAll', async () => {
    const scheduler = cronScheduler();
    let a = 0;
    let b = 0;
    scheduler.watch('shop/a', { start: '* * * * * *' }, () => a++);
    scheduler.watch('shop/b', { start: '* * * * * *' }, () => b++);
    scheduler.unwatch('shop/a');
    await jest.advanceTimersByTimeAsync(2_000);
    scheduler.stopAll();
    const seen = b;
    await jest.advanceTimersByTimeAsync(5_000);
    expect(a).toBe(0);
    expect(seen).toBeGreaterThan(0);
    expect(b).toBe(seen);
  });

  it('refuses an expression it cannot schedule and says why', () => {
    const warnings: string[] = [];
    const scheduler = cronScheduler({ warn: (m) => warnings.push(m) });
    expect(scheduler.watch('shop/reviews', { start: 'every day' }, () => undefined)).toBe(false);
    expect(warnings[0]).toMatch(/^shop\/reviews: cannot watch schedule "every day" in UTC: /);
  });
});

describe('node-cron and nextFire agree away from daylight-saving transitions', () => {
  afterEach(() => jest.useRealTimers());

  it('wakes exactly when the pure view says the start is', () => {
    const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'America/Santiago'];
    const starts = ['0 2 * * 1-5', '30 2 * * *', '*/20 * * * *', '0 30 1 * * *', '15 3 1 * *', '0 0 * * sun', '45 23 * * 5'];
    // Mid-January to mid-February and June to July: no zone above changes its offset within a month of these.
    const instant = fc.oneof(
      fc.integer({ min: at('2026-01-10T00:00:00Z'), max: at('2026-02-20T00:00:00Z') }),
      fc.integer({ min: at('2026-06-01T00:00:00Z'), max: at('2026-07-31T00:00:00Z') }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...starts), fc.constantFrom(...zones), instant, (start, zone, now) => {
        jest.useFakeTimers({ now });
        const task = createTask(start, () => undefined, { timezone: zone });
        try {
          expect(task.getNextRuns(1)[0]!.getTime()).toBe(nextFire(start, zone, now));
        } finally {
          void task.destroy();
          jest.useRealTimers();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('disagrees on the two DST nights, which is why the core also requeues at nextStart', () => {
    const runAfter = (now: string): string => {
      jest.useFakeTimers({ now: at(now) });
      const task = createTask('30 2 * * *', () => undefined, { timezone: 'Europe/Berlin' });
      const next = task.getNextRuns(1)[0]!.toISOString();
      void task.destroy();
      return next;
    };
    // Skipped hour: node-cron drops the 2026-03-29 start; sluice starts at the jump (01:00 UTC).
    expect(runAfter('2026-03-28T12:00:00Z')).toBe('2026-03-30T00:30:00.000Z');
    expect(nextFire('30 2 * * *', 'Europe/Berlin', at('2026-03-28T12:00:00Z'))).toBe(at('2026-03-29T01:00:00Z'));
    // Repeated hour: node-cron wakes at the second 02:30 (CET); sluice started at the first (CEST).
    expect(runAfter('2026-10-24T12:00:00Z')).toBe('2026-10-25T01:30:00.000Z');
    expect(nextFire('30 2 * * *', 'Europe/Berlin', at('2026-10-24T12:00:00Z'))).toBe(at('2026-10-25T00:30:00Z'));
  });
});
