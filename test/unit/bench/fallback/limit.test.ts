import { bernoulliKl, limitOf, waldRequestsUnderH1 } from '../../../../bench/fallback/limit';

const base = { alpha: 0.01, rps: 50, firstWeight: 10, scrapeSeconds: 5, propagationSeconds: 1, writeSeconds: 0.1 };

/** Wald's SPRT run on a seeded Bernoulli(p1) stream until it crosses either bound; the failures it saw. */
const sprtFailures = (p1: number, p0: number, alpha: number, next: () => number): { failures: number; rejected: boolean } => {
  const upper = Math.log((1 - alpha) / alpha);
  const lower = Math.log(alpha / (1 - alpha));
  let llr = 0;
  let failures = 0;
  for (;;) {
    const failed = next() < p1;
    if (failed) failures += 1;
    llr += failed ? Math.log(p1 / p0) : Math.log((1 - p1) / (1 - p0));
    if (llr >= upper) return { failures, rejected: true };
    if (llr <= lower) return { failures, rejected: false };
  }
};

/** mulberry32, enough for a reproducible stream. */
const rng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

describe('the fallback limit', () => {
  it('is 2.1 failures to decide plus the lag for a 20 % candidate against 1 %', () => {
    // KL = 0.2 ln 20 + 0.8 ln(0.8/0.99) = 0.42867; E1[N] = (0.99 ln 99 + 0.01 ln(0.01/0.99)) / KL = 4.50322 / 0.42867 = 10.505
    const l = limitOf({ ...base, p1: 0.2, p0: 0.01 })!;
    expect(l.klPerRequest).toBeCloseTo(0.42867, 5);
    expect(l.requestsToDecide).toBeCloseTo(10.505, 3);
    expect(l.failuresToDecide).toBeCloseTo(2.101, 3);
    // 50 rps x 10 % x 20 % x (5 + 1 + 0.1) s
    expect(l.lagSeconds).toBeCloseTo(6.1, 9);
    expect(l.lagFailures).toBeCloseTo(6.1, 9);
    expect(l.failedRequests).toBeCloseTo(8.201, 3);
  });

  it('needs about 342 requests and 10.3 failures for a 3 % candidate against 1 %', () => {
    const l = limitOf({ ...base, p1: 0.03, p0: 0.01 })!;
    expect(l.klPerRequest).toBeCloseTo(0.0131618, 6);
    expect(l.requestsToDecide).toBeCloseTo(342.14, 1);
    expect(l.failuresToDecide).toBeCloseTo(10.264, 2);
  });

  it('has no failed-request limit for a candidate at or under maxErrorRate', () => {
    expect(limitOf({ ...base, p1: 0.01, p0: 0.01 })).toBeUndefined();
    expect(limitOf({ ...base, p1: 0.003, p0: 0.01 })).toBeUndefined();
  });

  it('grows as the candidate gets closer to the limit and as α shrinks', () => {
    expect(waldRequestsUnderH1(0.03, 0.01, 0.01, 0.01)).toBeGreaterThan(waldRequestsUnderH1(0.2, 0.01, 0.01, 0.01));
    expect(waldRequestsUnderH1(0.2, 0.01, 0.001, 0.001)).toBeGreaterThan(waldRequestsUnderH1(0.2, 0.01, 0.01, 0.01));
    expect(bernoulliKl(0.01, 0.01)).toBe(0);
  });

  it('matches a simulated SPRT: its mean failures to decide are Wald\'s value plus the overshoot, and it errs about α of the time', () => {
    for (const p1 of [0.2, 0.03]) {
      const next = rng(p1 === 0.2 ? 7 : 11);
      const runs = 2000;
      let failures = 0;
      let missed = 0;
      for (let i = 0; i < runs; i++) {
        const r = sprtFailures(p1, 0.01, 0.01, next);
        failures += r.failures;
        if (!r.rejected) missed += 1;
      }
      const wald = limitOf({ ...base, p1, p0: 0.01 })!.failuresToDecide;
      const mean = failures / runs;
      // Wald's approximation ignores the overshoot past the bound, so the real mean is a little larger, never smaller.
      expect(mean).toBeGreaterThanOrEqual(wald * 0.95);
      expect(mean).toBeLessThanOrEqual(wald * 1.6);
      expect(missed / runs).toBeLessThanOrEqual(0.02);
    }
  });
});
