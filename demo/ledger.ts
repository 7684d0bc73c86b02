/**
 * Reading the mesh simulator's ledger (GET /ledger): the ground truth of which version answered
 * how many requests, and how many of them failed, per second. Pure.
 */

import type { LedgerCell, LedgerJson } from '../test/mesh-sim/ledger';

export type { LedgerCell, LedgerJson };

export interface Totals {
  readonly requests: number;
  readonly failures: number;
}

const cellsOf = (l: LedgerJson, service: string, version: string): readonly LedgerCell[] => l.services[service]?.[version] ?? [];

/** Unix ms at which a cell's second starts. */
const cellStartMs = (l: LedgerJson, c: LedgerCell): number => l.startedAtMs + c.second * 1000;

/** Cells of seconds that overlap [fromMs, toMs): a second straddling `fromMs` counts, so the first requests of a story are never lost. */
const cellsIn = (l: LedgerJson, service: string, version: string, fromMs: number, toMs: number): readonly LedgerCell[] =>
  cellsOf(l, service, version).filter((c) => cellStartMs(l, c) >= fromMs - 999 && cellStartMs(l, c) < toMs);

/** Requests and failures of one version in [fromMs, toMs). */
export const totalsBetween = (l: LedgerJson, service: string, version: string, fromMs: number, toMs = Number.POSITIVE_INFINITY): Totals =>
  cellsIn(l, service, version, fromMs, toMs).reduce(
    (acc, c) => ({ requests: acc.requests + c.requests, failures: acc.failures + c.failures }),
    { requests: 0, failures: 0 },
  );

/** Unix ms of the start of the first second, at or after `fromMs`, in which the version failed a request. */
export const firstFailureMs = (l: LedgerJson, service: string, version: string, fromMs: number): number | undefined => {
  const c = cellsIn(l, service, version, fromMs, Number.POSITIVE_INFINITY).find((x) => x.failures > 0);
  return c === undefined ? undefined : cellStartMs(l, c);
};

/**
 * The version's error rate per `bucketS` seconds, as points at each bucket's middle in seconds
 * since `fromMs`. Buckets in which it served nothing are left out (no rate, not a zero rate).
 */
export const ratePoints = (l: LedgerJson, service: string, version: string, fromMs: number, toMs: number, bucketS: number): readonly { t: number; rate: number }[] => {
  const buckets = new Map<number, { requests: number; failures: number }>();
  for (const c of cellsIn(l, service, version, fromMs, toMs)) {
    const b = Math.floor(Math.max(0, cellStartMs(l, c) - fromMs) / 1000 / bucketS);
    const acc = buckets.get(b) ?? { requests: 0, failures: 0 };
    buckets.set(b, { requests: acc.requests + c.requests, failures: acc.failures + c.failures });
  }
  return [...buckets.entries()]
    .filter(([, v]) => v.requests > 0)
    .sort(([a], [b]) => a - b)
    .map(([b, v]) => ({ t: (b + 0.5) * bucketS, rate: v.failures / v.requests }));
};
