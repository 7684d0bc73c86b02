/**
 * Pure traffic generation: how many requests a stream sends in a tick, and what the serving
 * workload answers (status and latency) given its behaviour profile.
 */
import type { Profile } from './profiles';
import type { Rng } from './prng';

/** Requests to send this tick at `rps` over `dtMs`, carrying the fraction over so the long-run rate is exact. */
export const arrivals = (carry: number, rps: number, dtMs: number): { readonly count: number; readonly carry: number } => {
  const expected = carry + (rps * Math.max(0, dtMs)) / 1000;
  const count = Math.floor(expected + 1e-9); // 6.9999999 after float sums is 7
  return { count, carry: Math.max(0, expected - count) };
};

/** z of the 99th percentile of the standard normal distribution. */
const Z99 = 2.326347874;

/** A standard normal sample (Box-Muller). */
const standardNormal = (rng: Rng): number => {
  const u1 = Math.max(rng(), Number.MIN_VALUE);
  const u2 = rng();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
};

/**
 * A log-normal latency whose median is p50Ms and whose 99th percentile is p99Ms:
 * ln(latency) ~ N(ln p50, sigma) with sigma = ln(p99 / p50) / z99.
 */
export const sampleLatencyMs = (profile: Profile, rng: Rng): number => {
  const p50 = Math.max(profile.p50Ms, 0.001);
  const sigma = profile.p99Ms > p50 ? Math.log(profile.p99Ms / p50) / Z99 : 0;
  return Math.exp(Math.log(p50) + sigma * standardNormal(rng));
};

/** The workload's HTTP status: 500 with probability errorFraction, else 200. */
export const sampleStatus = (profile: Profile, rng: Rng): number => (rng() < profile.errorFraction ? 500 : 200);
