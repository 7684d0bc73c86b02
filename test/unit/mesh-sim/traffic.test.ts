import { arrivals, sampleLatencyMs, sampleStatus } from '../../mesh-sim/traffic';
import { seededRng } from '../../mesh-sim/prng';

const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))];

describe('traffic generation', () => {
  it('sends exactly rps requests per second over uneven ticks, carrying fractions', () => {
    let carry = 0;
    let total = 0;
    for (const dt of [100, 130, 70, 100, 99, 101, 400]) {
      const a = arrivals(carry, 7, dt);
      total += a.count;
      carry = a.carry;
    }
    expect(total).toBe(7); // 1000 ms at 7 rps
  });

  it('sends nothing at rate 0 or for a clock that went backwards', () => {
    expect(arrivals(0, 0, 100).count).toBe(0);
    expect(arrivals(0.5, 10, -50)).toEqual({ count: 0, carry: 0.5 });
  });

  it('draws latencies whose median and 99th percentile match the profile', () => {
    const rng = seededRng(7);
    const xs = Array.from({ length: 50_000 }, () => sampleLatencyMs({ errorFraction: 0, p50Ms: 20, p99Ms: 200 }, rng));
    expect(quantile(xs, 0.5)).toBeGreaterThan(19);
    expect(quantile(xs, 0.5)).toBeLessThan(21);
    expect(quantile(xs, 0.99)).toBeGreaterThan(180);
    expect(quantile(xs, 0.99)).toBeLessThan(220);
  });

  it('draws a constant latency when p99 is not above p50', () => {
    const rng = seededRng(1);
    expect(sampleLatencyMs({ errorFraction: 0, p50Ms: 30, p99Ms: 30 }, rng)).toBeCloseTo(30);
  });

  it('fails the profile error fraction of requests with 500', () => {
    const rng = seededRng(9);
    const statuses = Array.from({ length: 20_000 }, () => sampleStatus({ errorFraction: 0.3, p50Ms: 1, p99Ms: 2 }, rng));
    const failed = statuses.filter((s) => s === 500).length / statuses.length;
    expect(Math.abs(failed - 0.3)).toBeLessThan(0.01);
    expect(new Set(statuses)).toEqual(new Set([200, 500]));
  });
});
