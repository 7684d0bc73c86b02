import { cronScheduler, manualScheduler } from '../../../src/schedule';
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

describe('manualScheduler', () => {
  it('fires the handler of a watched key on demand, for daemon tests', () => {
    const scheduler = manualScheduler();
    const fired: string[] = [];
    scheduler.watch('shop/reviews', { start: '0 2 * * *' }, () => fired.push('shop/reviews'));
    expect(scheduler.fire('shop/reviews')).toBe(true);
    scheduler.unwatch('shop/reviews');
    expect(scheduler.fire('shop/reviews')).toBe(false);
    expect(fired).toEqual(['shop/reviews']);
  });
});
