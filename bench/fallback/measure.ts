/**
 * One run's numbers from the mesh simulator's ledger (the ground truth of which version answered
 * what, per second) and from what the driver saw of the tool's status. Pure.
 *
 * Times are seconds since the shift started (t0: the moment the driver asked for the new
 * version), at the ledger's one-second resolution.
 */
import type { LedgerJson } from '../../test/mesh-sim/ledger';

/** How a run ended. */
export type Outcome = 'promoted' | 'fellBack' | 'held';

/** The JSON row of one run (docs/benchmarks.md, "Output"). */
export interface RunResult {
  /** `sluice`, `flagger` or `sluice:<method>`. */
  readonly tool: string;
  readonly scenario: string;
  readonly settings: string;
  readonly run: number;
  readonly outcome: Outcome;
  /** Candidate requests that failed from t0 until it stopped getting traffic or was promoted (or the run ended). */
  readonly candidateFailedRequests: number;
  /** Candidate requests answered in the same span. */
  readonly candidateServedRequests: number;
  /** From the candidate's first failed request (at or after it turned bad) to the first second it got no more traffic; null unless it fell back. */
  readonly secondsFirstBadToZero: number | null;
  /** From t0 to the first second the stable version got no more traffic; null unless promoted. */
  readonly secondsToPromote: number | null;
  /** From t0 to when the driver saw the tool's final phase; null if held. */
  readonly secondsToVerdict: number | null;
  /** Requests the client saw fail that no pod answered (503 UH / NC, 404 NR) from t0 on. */
  readonly unroutedRequests: number;
  /** Candidate weight changes written to the VirtualService, from the API server's audit log: [seconds since t0, weight]. */
  readonly weightChanges: readonly (readonly [number, number])[];
}

/** What the driver knows about a run besides the ledger. */
export interface RunFacts {
  readonly tool: string;
  readonly scenario: string;
  readonly settings: string;
  readonly run: number;
  /** Ledger service keys (`namespace/name`) that belong to this run's app. */
  readonly services: readonly string[];
  readonly stableVersion: string;
  readonly candidateVersion: string;
  /** Unix ms of t0. */
  readonly t0Ms: number;
  /** Unix ms when the driver stopped counting for this run (after the verdict plus propagation, or the timeout). */
  readonly endMs: number;
  readonly outcome: Outcome;
  /** Unix ms at which the driver saw the final phase. */
  readonly verdictMs?: number;
  /** The candidate turns bad this many seconds after t0. */
  readonly badFromSeconds: number;
  readonly weightChanges?: readonly (readonly [number, number])[];
}

interface Second {
  requests: number;
  failures: number;
}

/** Per second since t0 (index 0 = the second t0 falls in), summed over the run's services. */
export const perSecond = (ledger: LedgerJson, services: readonly string[], version: string, t0Ms: number, endMs: number): Second[] => {
  const t0Second = Math.floor((t0Ms - ledger.startedAtMs) / 1000);
  const length = Math.max(0, Math.ceil((endMs - ledger.startedAtMs) / 1000) - t0Second);
  const out: Second[] = Array.from({ length }, () => ({ requests: 0, failures: 0 }));
  for (const service of services) {
    for (const cell of ledger.services[service]?.[version] ?? []) {
      const i = cell.second - t0Second;
      if (i < 0 || i >= length) continue;
      out[i]!.requests += cell.requests;
      out[i]!.failures += cell.failures;
    }
  }
  return out;
};

const lastIndex = (xs: readonly Second[], p: (s: Second) => boolean): number => {
  for (let i = xs.length - 1; i >= 0; i--) if (p(xs[i]!)) return i;
  return -1;
};

const sum = (xs: readonly Second[], from: number, to: number) =>
  xs.slice(from, to).reduce((a, s) => ({ requests: a.requests + s.requests, failures: a.failures + s.failures }), { requests: 0, failures: 0 });

/** The run's row. */
export const measureRun = (ledger: LedgerJson, f: RunFacts): RunResult => {
  const candidate = perSecond(ledger, f.services, f.candidateVersion, f.t0Ms, f.endMs);
  const stable = perSecond(ledger, f.services, f.stableVersion, f.t0Ms, f.endMs);
  const unrouted = perSecond(ledger, f.services, 'unknown', f.t0Ms, f.endMs);
  const lastStable = lastIndex(stable, (s) => s.requests > 0);
  const lastCandidate = lastIndex(candidate, (s) => s.requests > 0);
  const promotedAt = f.outcome === 'promoted' && lastStable + 1 < stable.length ? lastStable + 1 : null;
  const counted = sum(candidate, 0, promotedAt ?? candidate.length);
  const firstBad = candidate.findIndex((s, i) => i >= Math.floor(f.badFromSeconds) && s.failures > 0);
  const zeroAt = f.outcome === 'fellBack' && lastCandidate + 1 < candidate.length ? lastCandidate + 1 : null;
  return {
    tool: f.tool,
    scenario: f.scenario,
    settings: f.settings,
    run: f.run,
    outcome: f.outcome,
    candidateFailedRequests: counted.failures,
    candidateServedRequests: counted.requests,
    secondsFirstBadToZero: zeroAt !== null && firstBad >= 0 && firstBad < zeroAt ? zeroAt - firstBad : null,
    secondsToPromote: promotedAt,
    secondsToVerdict: f.verdictMs === undefined ? null : Math.round((f.verdictMs - f.t0Ms) / 100) / 10,
    unroutedRequests: sum(unrouted, 0, unrouted.length).requests,
    weightChanges: f.weightChanges ?? [],
  };
};
