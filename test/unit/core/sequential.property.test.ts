/**
 * The sequential gate's promise, simulated (docs/adr/0010-sequential-gate.md): a candidate at or
 * below maxErrorRate falls back in at most falseFailureRate of its shifts, and a clearly bad one
 * falls back. Each run is one shift of 1 to 5 periods (canary steps); each period reads the
 * cumulative counts since it began at every tick through the real `assess` (the verdict the core
 * acts on), falls back on a Fail, and moves on once its dwell is over and the latest verdict is a
 * Pass — as src/core does. Requests per tick vary per run (up to 5, 20 or 60); errors are Bernoulli draws
 * from a seeded PRNG (a Binomial draw per tick), so the run is the same every time.
 *
 * Statistical margin: with 10,000 shifts at exactly the limit, a true false-fallback rate of
 * a = 0.01 gives on average 100 with a standard deviation of √(10,000 · a · (1 − a)) ≈ 9.95; the
 * test allows 100 + 3σ = 129 (a process at the bound exceeds that in about 0.14 % of seeds). The
 * real rate is far below the bound (Ville's inequality is loose, and the union over periods more
 * so); the counts are printed by `npx jest ... sequential.property --verbose=false` in the report.
 */
import { GateRule } from '../../../src/api/spec';
import { assess } from '../../../src/core/gate';
import { readEvidence, sprtLimits } from '../../../src/core/sequential';
import { GateSample } from '../../../src/core/types';
import { seededRng } from '../../mesh-sim/prng';

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
const prng = seededRng;

/** A Binomial(n, p) draw from one uniform `u` by inverting its CDF (n ≤ 60 here, so the sum is short). */
const binomial = (u: number, n: number, p: number): number => {
  if (p <= 0) return 0;
  if (p >= 1) return n;
  let k = 0;
  let term = (1 - p) ** n;
  let cdf = term;
  while (u > cdf && k < n) {
    term *= ((n - k) / (k + 1)) * (p / (1 - p));
    k++;
    cdf += term;
  }
  return k;
};

const RULE: GateRule = { maxErrorRate: 0.01, minRequests: 20, failureThreshold: 2, noData: 'hold', method: 'sequential', falseFailureRate: 0.01 };
const DWELL_TICKS = 3;
/** A period that neither passes nor fails in this many ticks is counted as stalled (not a fallback). */
const MAX_TICKS = 5_000;

type Outcome = 'promoted' | 'fellBack' | 'stalled';
type Reading = 'Fail' | 'Pass' | 'Undecided';
/** Reads the cumulative counts of a period: the test's decision. */
type Judge = (requests: number, errors: number) => Reading;

interface Run {
  readonly outcome: Outcome;
  /** Failed requests the candidate served before its fallback (or in all, when it was not failed). */
  readonly failedRequests: number;
}

const sample = (requests: number, errors: number): GateSample => ({ _tag: 'Measured', version: 'v2', at: 0, windowMs: 30_000, requests, errors });

/** The core's verdict, as the decision it acts on: a decisive Fail falls back, a Pass may advance. */
const byAssess = (rule: GateRule, periods: number): Judge => (requests, errors) => {
  const verdict = assess(sample(requests, errors), rule, '30s', { periods });
  if (verdict._tag === 'Fail' && verdict.decisive === true) return 'Fail';
  return verdict._tag === 'Pass' ? 'Pass' : 'Undecided';
};

/** The same decision from the arithmetic alone (sequential.ts), without the sentences: fast enough for 10,000 shifts. */
const byRatio = (rule: GateRule, periods: number): Judge => {
  const limits = sprtLimits(rule.maxErrorRate, rule.falseFailureRate, periods);
  return (requests, errors) => readEvidence(requests, errors, limits, rule.minRequests).decision;
};

/** One shift of `periods` periods of a candidate failing each request with probability `p`; up to `perTick` requests a tick. */
const simulate = (random: () => number, p: number, periods: number, perTick: number, judge: Judge): Run => {
  let failedRequests = 0;
  for (let period = 0; period < periods; period++) {
    let requests = 0;
    let errors = 0;
    let passed = false;
    for (let tick = 1; tick <= MAX_TICKS && !passed; tick++) {
      const n = 1 + Math.floor(random() * perTick);
      errors += binomial(random(), n, p);
      requests += n;
      const reading = judge(requests, errors);
      if (reading === 'Fail') return { outcome: 'fellBack', failedRequests: failedRequests + errors };
      passed = tick >= DWELL_TICKS && reading === 'Pass';
    }
    failedRequests += errors;
    if (!passed) return { outcome: 'stalled', failedRequests };
  }
  return { outcome: 'promoted', failedRequests };
};

/** `runs` shifts of 1 to 5 periods at 1-5, 1-20 or 1-60 requests a tick, judged by `judgeFor`. */
const runMany = (seed: number, runs: number, errorRate: (random: () => number) => number, judgeFor = byRatio, rule = RULE): Run[] => {
  const random = prng(seed);
  return Array.from({ length: runs }, () => {
    const p = errorRate(random);
    const periods = 1 + Math.floor(random() * 5);
    const perTick = [5, 20, 60][Math.floor(random() * 3)]!;
    return simulate(random, p, periods, perTick, judgeFor(rule, periods));
  });
};

const count = (runs: readonly Run[], outcome: Outcome): number => runs.filter((r) => r.outcome === outcome).length;

/** Allowed false fallbacks among `n` shifts for a bound `a`: the mean plus three standard deviations. */
const allowed = (n: number, a: number): number => Math.floor(n * a + 3 * Math.sqrt(n * a * (1 - a)));

describe('the sequential gate over simulated Bernoulli streams', () => {
  it('the arithmetic and the core\'s verdicts decide alike, tick by tick, over 300 shifts', () => {
    const random = prng(10);
    let ticks = 0;
    for (let run = 0; run < 300; run++) {
      const p = random() * 4 * RULE.maxErrorRate;
      const periods = 1 + Math.floor(random() * 5);
      const [viaAssess, viaRatio] = [byAssess(RULE, periods), byRatio(RULE, periods)];
      const both: Judge = (requests, errors) => {
        ticks++;
        const reading = viaAssess(requests, errors);
        expect([requests, errors, reading]).toEqual([requests, errors, viaRatio(requests, errors)]);
        return reading;
      };
      simulate(random, p, periods, 20, both);
    }
    expect(ticks).toBeGreaterThan(3_000);
  });

  it('falls back in at most falseFailureRate of 10,000 shifts of a candidate exactly at maxErrorRate', () => {
    const runs = runMany(11, 10_000, () => RULE.maxErrorRate);
    const fellBack = count(runs, 'fellBack');
    expect(allowed(10_000, 0.01)).toBe(129);
    expect(fellBack).toBeLessThanOrEqual(129);
    // Every run decided (a stalled run would hide a fallback it never reached).
    expect(count(runs, 'stalled')).toBe(0);
    // Not a gate that never fails: some good shifts do fall back, as the bound allows.
    expect(fellBack).toBeGreaterThan(0);
    console.info(`at the limit: ${fellBack} of 10,000 shifts fell back`);
  });

  it('falls back in at most falseFailureRate of 5,000 shifts of candidates below maxErrorRate', () => {
    const runs = runMany(12, 5_000, (random) => random() * RULE.maxErrorRate);
    expect(count(runs, 'fellBack')).toBeLessThanOrEqual(allowed(5_000, 0.01));
    expect(count(runs, 'promoted')).toBe(5_000 - count(runs, 'fellBack'));
  });

  it('holds its bound for a stricter falseFailureRate of 0.001 too (5,000 shifts at the limit)', () => {
    const runs = runMany(13, 5_000, () => RULE.maxErrorRate, byRatio, { ...RULE, falseFailureRate: 0.001 });
    expect(count(runs, 'fellBack')).toBeLessThanOrEqual(allowed(5_000, 0.001));
    expect(count(runs, 'stalled')).toBe(0);
  });

  it('falls back for a clearly bad candidate (5 × maxErrorRate) in nearly every shift, after few failed requests', () => {
    const runs = runMany(14, 2_000, () => 5 * RULE.maxErrorRate, byAssess);
    expect(count(runs, 'fellBack')).toBeGreaterThanOrEqual(1_980);
    const failed = runs.filter((r) => r.outcome === 'fellBack').map((r) => r.failedRequests).sort((a, b) => a - b);
    const median = failed[Math.floor(failed.length / 2)]!;
    expect(median).toBeLessThanOrEqual(12);
    console.info(`at 5 × the limit: ${count(runs, 'fellBack')} of 2,000 fell back; median failed requests ${median}`);
  });

  it('falls back for a subtly bad candidate (3 × maxErrorRate) in most shifts', () => {
    const runs = runMany(15, 2_000, () => 3 * RULE.maxErrorRate);
    expect(count(runs, 'fellBack')).toBeGreaterThanOrEqual(1_800);
  });
});
