/**
 * The sequential gate's promise, simulated (docs/adr/0009-sequential-gate.md): a candidate at or
 * below maxErrorRate falls back in at most falseFailureRate of its shifts, and a clearly bad one
 * falls back. Each run is one shift of 1 to 5 periods (canary steps); each period reads the
 * cumulative counts since it began at every tick through the real `assess` (the verdict the core
 * acts on), falls back on a Fail, and moves on once its dwell is over and the latest verdict is a
 * Pass — as src/core does. Requests per tick vary per run (1 to 60); errors are Bernoulli draws
 * from a seeded PRNG, so the run is the same every time.
 *
 * Statistical margin: with 10,000 shifts at exactly the limit, a true false-fallback rate of
 * a = 0.01 gives on average 100 with a standard deviation of √(10,000 · a · (1 − a)) ≈ 9.95; the
 * test allows 100 + 3σ = 129 (a process at the bound exceeds that in about 0.14 % of seeds). The
 * real rate is far below the bound (Ville's inequality is loose, and the union over periods more
 * so); the counts are printed by `npx jest ... sequential.property --verbose=false` in the report.
 */
import { GateRule } from '../../../src/api/spec';
import { assess } from '../../../src/core/gate';
import { GateSample } from '../../../src/core/types';

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
const prng = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const RULE: GateRule = { maxErrorRate: 0.01, minRequests: 20, failureThreshold: 2, noData: 'hold', method: 'sequential', falseFailureRate: 0.01 };
const DWELL_TICKS = 3;
/** A period that neither passes nor fails in this many ticks is counted as stalled (not a fallback). */
const MAX_TICKS = 400;

type Outcome = 'promoted' | 'fellBack' | 'stalled';

interface Run {
  readonly outcome: Outcome;
  /** Failed requests the candidate served before its fallback (or in all, when it was not failed). */
  readonly failedRequests: number;
  readonly assessed: number;
}

const sample = (requests: number, errors: number): GateSample => ({ _tag: 'Measured', version: 'v2', at: 0, windowMs: 30_000, requests, errors });

/** One shift of `periods` periods of a candidate failing each request with probability `p`. */
const simulate = (random: () => number, p: number, periods: number, perTick: number, rule: GateRule = RULE): Run => {
  let failedRequests = 0;
  let assessed = 0;
  for (let period = 0; period < periods; period++) {
    let requests = 0;
    let errors = 0;
    let passed = false;
    for (let tick = 1; tick <= MAX_TICKS && !passed; tick++) {
      const n = 1 + Math.floor(random() * perTick);
      for (let i = 0; i < n; i++) if (random() < p) errors++;
      requests += n;
      const verdict = assess(sample(requests, errors), rule, '30s', { periods });
      assessed++;
      if (verdict._tag === 'Fail') return { outcome: 'fellBack', failedRequests: failedRequests + errors, assessed };
      passed = tick >= DWELL_TICKS && verdict._tag === 'Pass';
    }
    failedRequests += errors;
    if (!passed) return { outcome: 'stalled', failedRequests, assessed };
  }
  return { outcome: 'promoted', failedRequests, assessed };
};

const runMany = (seed: number, runs: number, errorRate: (random: () => number) => number): Run[] => {
  const random = prng(seed);
  return Array.from({ length: runs }, () => {
    const p = errorRate(random);
    const periods = 1 + Math.floor(random() * 5);
    const perTick = [2, 10, 60][Math.floor(random() * 3)]!;
    return simulate(random, p, periods, perTick);
  });
};

const count = (runs: readonly Run[], outcome: Outcome): number => runs.filter((r) => r.outcome === outcome).length;

/** Allowed false fallbacks among `n` shifts for a bound `a`: the mean plus three standard deviations. */
const allowed = (n: number, a: number): number => Math.floor(n * a + 3 * Math.sqrt(n * a * (1 - a)));

describe('the sequential gate over simulated Bernoulli streams', () => {
  it('falls back in at most falseFailureRate of 10,000 shifts of a candidate exactly at maxErrorRate', () => {
    const runs = runMany(11, 10_000, () => RULE.maxErrorRate);
    const fellBack = count(runs, 'fellBack');
    expect(allowed(10_000, 0.01)).toBe(129);
    expect(fellBack).toBeLessThanOrEqual(129);
    // The runs decided: nearly all were promoted (a stalled run would hide fallbacks it never reached).
    expect(count(runs, 'stalled')).toBeLessThan(50);
    expect(count(runs, 'promoted') + fellBack + count(runs, 'stalled')).toBe(10_000);
    // Not a gate that never fails: some good shifts do fall back, as the bound allows.
    expect(fellBack).toBeGreaterThan(0);
    console.info(`at the limit: ${fellBack} of 10,000 shifts fell back, ${count(runs, 'stalled')} stalled`);
  });

  it('falls back in at most falseFailureRate of 5,000 shifts of candidates below maxErrorRate', () => {
    const runs = runMany(12, 5_000, (random) => random() * RULE.maxErrorRate);
    expect(count(runs, 'fellBack')).toBeLessThanOrEqual(allowed(5_000, 0.01));
    expect(count(runs, 'promoted')).toBeGreaterThan(4_950);
  });

  it('holds its bound for a stricter falseFailureRate of 0.001 too', () => {
    const rule: GateRule = { ...RULE, falseFailureRate: 0.001 };
    const random = prng(13);
    const runs = Array.from({ length: 5_000 }, () => simulate(random, rule.maxErrorRate, 3, 10, rule));
    expect(count(runs, 'fellBack')).toBeLessThanOrEqual(allowed(5_000, 0.001));
  });

  it('falls back for a clearly bad candidate (5 × maxErrorRate) in nearly every shift, after few failed requests', () => {
    const runs = runMany(14, 2_000, () => 5 * RULE.maxErrorRate);
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
