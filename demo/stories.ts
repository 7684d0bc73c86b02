/**
 * The four stories the demo plays, as data: the TrafficShift each one writes, the timings of the
 * quick and the full run, and what "ended as described" means for each. Pure; demo/main.ts
 * performs them.
 */
import type { ShiftStatus } from '../src/api/status';
import type { StoryResult } from './summary';
import type { ViewState } from './view';

/** The sample app the stories shift (istio/samples/app.yaml). */
export interface App {
  readonly namespace: string;
  readonly service: string;
}

/** Header that marks the mesh simulator's preview stream; the blue-green previewMatch selects it (as in istio/samples/blue-green.yaml). */
export const PREVIEW_HEADER = 'x-preview';

/** The cookie of the beta users in story 4; the A/B test matches it by a regex on the Cookie header, as Istio matches cookies. */
export const BETA_COOKIE = 'user=beta';

/** The simulator's stream of beta users (its id is `<namespace>/<service>#beta`). */
export const BETA_STREAM = 'beta';

/** The error fraction of v3 in story 2. */
export const V3_ERROR_FRACTION = 0.2;

/** The gate's threshold in every story (the TrafficShift default, written out for the reader). */
export const MAX_ERROR_RATE = 0.01;

/** How fast the stories run. */
export interface Timings {
  /** Requests per second of the simulated client's main stream. */
  readonly rps: number;
  /** Requests per second carrying the preview header. */
  readonly previewRps: number;
  /** Canary weights. */
  readonly steps: readonly number[];
  readonly stepInterval: string;
  /** Gate check period and query window. */
  readonly analysisInterval: string;
  /** Fewest requests in one window for a verdict. */
  readonly minRequests: number;
  /** Consecutive failed checks before fallback. */
  readonly failureThreshold: number;
  readonly previewDuration: string;
  readonly rollbackWindow: string;
  /** Seconds after the blue-green switch at which the SRE aborts (well inside the rollback window). */
  readonly abortAfterS: number;
  /** Requests per second of the beta users (story 4), enough for minRequests in one gate window. */
  readonly betaRps: number;
  /** Gate intervals the A/B test of story 4 runs before promotion. */
  readonly abIterations: number;
  readonly progressDeadline: string;
  /** Longest a story may take before the demo gives up on it. */
  readonly storyTimeoutS: number;
}

/**
 * `--quick`: a few minutes in all, for tests. 60 requests/s put enough requests on a 10 % candidate
 * for a verdict in one 6 s window (minRequests 20); the 4/s preview stream does the same for blue-green,
 * and the 8/s beta users (48 per window) for the A/B test. The full run gives each step time to be watched.
 * scripts/demo.sh sets the matching Prometheus scrape interval (2s quick, 5s full).
 */
export const timingsFor = (quick: boolean): Timings =>
  quick
    ? {
        rps: 60, previewRps: 4, steps: [10, 30, 60], stepInterval: '10s', analysisInterval: '6s',
        minRequests: 20, failureThreshold: 2, previewDuration: '10s', rollbackWindow: '3m', abortAfterS: 8,
        betaRps: 8, abIterations: 2, progressDeadline: '2m', storyTimeoutS: 180,
      }
    : {
        rps: 60, previewRps: 4, steps: [10, 25, 50, 75], stepInterval: '30s', analysisInterval: '15s',
        minRequests: 20, failureThreshold: 2, previewDuration: '30s', rollbackWindow: '10m', abortAfterS: 30,
        betaRps: 8, abIterations: 4, progressDeadline: '5m', storyTimeoutS: 600,
      };

/** The threshold gate, named: the stories narrate "failureThreshold checks in a row" (sequential is the default). */
const analysis = (t: Timings) => ({
  interval: t.analysisInterval,
  maxErrorRate: MAX_ERROR_RATE,
  minRequests: t.minRequests,
  failureThreshold: t.failureThreshold,
  method: 'threshold',
});

/** The TrafficShift of the sample app as first applied: canary, serving `version`. */
export const canaryShift = (app: App, t: Timings, version: string) => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'TrafficShift',
  metadata: { name: app.service, namespace: app.namespace },
  spec: {
    service: app.service,
    version,
    strategy: { canary: { steps: t.steps, stepInterval: t.stepInterval } },
    analysis: analysis(t),
    progressDeadline: t.progressDeadline,
  },
});

/** Merge patch for story 3: switch the strategy to blue-green and ask for `version`. */
export const blueGreenPatch = (t: Timings, version: string) => ({
  spec: {
    version,
    strategy: {
      canary: null,
      blueGreen: {
        previewMatch: { headers: { [PREVIEW_HEADER]: { exact: 'true' } } },
        previewDuration: t.previewDuration,
        rollbackWindow: t.rollbackWindow,
      },
    },
  },
});

/**
 * The cookie match of story 4: `user=beta` anywhere among the request's cookies (as
 * istio/samples/ab-test.yaml). A Cookie header separates cookies with "; " (RFC 6265 §4.2.1), so
 * the regex allows the space: the pattern often copied for Istio, `^(.*?;)?(user=beta)(;.*)?$`,
 * misses the cookie unless it comes first.
 */
export const betaMatch = { headers: { cookie: { regex: `^(.*?;\\s*)?(${BETA_COOKIE})(;.*)?$` } } };

/** Merge patch for story 4: an A/B test of `version` for the beta users, `abIterations` gate intervals long. */
export const abTestPatch = (t: Timings, version: string) => ({
  spec: {
    version,
    strategy: { canary: null, blueGreen: null, abTest: { match: [betaMatch], iterations: t.abIterations } },
  },
});

/** The mesh simulator's configuration for the demo; it registers with Prometheus through $SLUICE_PROM_TARGETS_DIR. */
export const meshSimConfig = (app: App, t: Timings, opts: { port: number; ledgerPath: string }) => ({
  port: opts.port,
  ledgerPath: opts.ledgerPath,
  ledgerFlushMs: 2000,
  services: [{
    namespace: app.namespace,
    service: app.service,
    rps: t.rps,
    preview: { headers: { [PREVIEW_HEADER]: 'true' }, rps: t.previewRps },
    streams: [{ name: BETA_STREAM, rps: t.betaRps, headers: { cookie: `theme=dark; ${BETA_COOKIE}` } }],
  }],
});

/** Seconds in a duration like "6s", "2m", "1h". */
export const durationSeconds = (d: string): number => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(d);
  if (!m) return Number.NaN;
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 'ms' | 's' | 'm' | 'h'];
};

/** Percent of traffic `version` gets, whatever its role (stable or candidate) in the status. */
export const weightOf = (s: ShiftStatus, version: string): number => {
  if (s.weights === undefined) return 0;
  if (s.stableVersion === version) return s.weights.stable;
  if (s.candidateVersion === version) return s.weights.candidate;
  return 0;
};

export const isTerminal = (s: ShiftStatus): boolean => s.phase === 'Promoted' || s.phase === 'RolledBack' || s.phase === 'Failed';

/**
 * The shift to `candidate` has ended: promoted (it is now the stable version), or fallen back or
 * failed with it as the candidate. Right after the patch the status still shows the previous
 * story's end, which names another version, so that never counts.
 */
export const ended = (candidate: string) => (s: ShiftStatus): boolean =>
  (s.phase === 'Promoted' && s.stableVersion === candidate) || ((s.phase === 'RolledBack' || s.phase === 'Failed') && s.candidateVersion === candidate);

/** The live view's state from a TrafficShift status; a gate reading of another version than the candidate is not shown. */
export const viewStateOf = (title: string, status: ShiftStatus | undefined, stepCount: number | undefined, elapsedS: number, mode?: string): ViewState => {
  const last = status?.history?.[status.history.length - 1];
  const g = status?.lastGate;
  return {
    title,
    elapsedS,
    ...(stepCount !== undefined ? { stepCount } : {}),
    ...(mode !== undefined ? { mode } : {}),
    phase: status?.phase,
    stableVersion: status?.stableVersion,
    candidateVersion: status?.candidateVersion,
    weights: status?.weights,
    step: status?.step,
    gate: g && g.version === status?.candidateVersion ? { result: g.result, errorRate: g.errorRate, threshold: g.threshold, requests: g.requests, errors: g.errors, window: g.window } : undefined,
    lastEvent: last && `${last.event}: ${last.message}`,
  };
};

/** What the demo saw of one story, enough to judge it. */
export interface StoryObservation {
  /** The status when the story stopped watching. */
  readonly final?: ShiftStatus;
  /** Highest candidate weight seen. */
  readonly maxCandidateWeight: number;
  /** Requests and failures the candidate served during the story, per the ledger. */
  readonly candidate: { readonly requests: number; readonly failures: number };
  /** Story 3: requests the candidate answered while its weight was still 0 (only preview requests can reach it then). */
  readonly previewAnswered?: number;
  /** Story 3: whether the abort command succeeded. */
  readonly abortApplied?: boolean;
  /** Story 4: requests per version each audience got while the A/B test ran (from the simulator's per-stream counts). */
  readonly audiences?: { readonly beta: Readonly<Record<string, number>>; readonly others: Readonly<Record<string, number>> };
  /** Whether the story stopped because it ran out of time. */
  readonly timedOut: boolean;
}

const phaseIs = (o: StoryObservation, phase: string): string[] =>
  o.final?.phase === phase ? [] : [`phase is ${o.final?.phase ?? 'unknown'}, expected ${phase}${o.timedOut ? ' (timed out waiting)' : ''}`];

const stableAt100 = (o: StoryObservation, version: string): string[] => {
  const out: string[] = [];
  if (o.final?.stableVersion !== version) out.push(`stable version is ${o.final?.stableVersion ?? 'unknown'}, expected ${version}`);
  if (o.final?.weights?.stable !== 100) out.push(`stable weight is ${o.final?.weights?.stable ?? 'unknown'}, expected 100`);
  return out;
};

/** Story 1: promoted through every step, the candidate now stable at 100 %. */
export const judgePromoted = (o: StoryObservation, candidate: string): string[] => [
  ...phaseIs(o, 'Promoted'),
  ...stableAt100(o, candidate),
];

/** Story 2: fell back on its own; the failing candidate at 0 % after failing real requests. */
export const judgeFallback = (o: StoryObservation, stable: string, candidate: string): string[] => [
  ...phaseIs(o, 'RolledBack'),
  ...stableAt100(o, stable),
  ...(o.final?.weights?.candidate === 0 ? [] : [`${candidate} weight is ${o.final?.weights?.candidate ?? 'unknown'}, expected 0`]),
  ...(o.candidate.failures > 0 ? [] : [`${candidate} failed no request per the ledger, so the fallback proves nothing`]),
];

/** Story 3: preview answered by the candidate, switch to 100 %, abort back to the stable version at 100 %. */
export const judgeBlueGreenAbort = (o: StoryObservation, stable: string, candidate: string): string[] => [
  ...((o.previewAnswered ?? 0) > 0 ? [] : [`no preview request was answered by ${candidate} before the switch`]),
  ...(o.maxCandidateWeight === 100 ? [] : [`${candidate} never reached 100 % (highest ${o.maxCandidateWeight} %)`]),
  ...(o.abortApplied ? [] : ['the abort command did not succeed']),
  ...phaseIs(o, 'RolledBack'),
  ...stableAt100(o, stable),
];

/** Story 4: during the A/B test only the beta users reached the candidate; then it was promoted to everyone. */
export const judgeAbTest = (o: StoryObservation, candidate: string): string[] => [
  ...((o.audiences?.beta[candidate] ?? 0) > 0 ? [] : [`no beta user's request was answered by ${candidate} during the A/B test`]),
  ...((o.audiences?.others[candidate] ?? 0) === 0 ? [] : [`${o.audiences?.others[candidate]} requests of users without the cookie were answered by ${candidate} during the A/B test`]),
  ...phaseIs(o, 'Promoted'),
  ...stableAt100(o, candidate),
];

/** Requests per version `stream` got between two readings of the simulator's per-stream counts. */
export const receivedBetween = (
  before: Readonly<Record<string, Readonly<Record<string, number>>>>,
  after: Readonly<Record<string, Readonly<Record<string, number>>>>,
  stream: string,
): Record<string, number> =>
  Object.fromEntries(Object.entries(after[stream] ?? {}).map(([version, n]) => [version, n - (before[stream]?.[version] ?? 0)]).filter(([, n]) => (n as number) > 0));

/** A story's summary row. */
export const resultOf = (
  story: string,
  o: StoryObservation,
  reasons: readonly string[],
  timing: { durationS?: number; fallbackS?: number; fallbackFrom?: string },
): StoryResult => ({
  story,
  outcome: o.final?.phase ?? '-',
  ...timing,
  candidateRequests: o.candidate.requests,
  candidateFailures: o.candidate.failures,
  ok: reasons.length === 0,
  reasons,
});

/** When the status history first records weights matching `pred` at or after `sinceMs` (1 s of clock slack), if it does. */
export const writeMs = (status: ShiftStatus | undefined, sinceMs: number, pred: (w: { stable: number; candidate: number }) => boolean): number | undefined => {
  const e = (status?.history ?? []).find((h) => Date.parse(h.time) >= sinceMs - 1000 && h.weights !== undefined && pred(h.weights));
  return e === undefined ? undefined : Date.parse(e.time);
};

/**
 * When the candidate's weight was written back to 0 after `sinceMs`, per the status history: the
 * first entry at 0 that follows one where the candidate had traffic. Undefined if not recorded.
 */
export const fallbackWriteMs = (status: ShiftStatus | undefined, sinceMs: number): number | undefined => {
  let hadTraffic = false;
  for (const h of status?.history ?? []) {
    if (Date.parse(h.time) < sinceMs - 1000 || h.weights === undefined) continue;
    if (h.weights.candidate > 0) hadTraffic = true;
    else if (hadTraffic) return Date.parse(h.time);
  }
  return undefined;
};
