/**
 * What guards a running shift in every phase, before any progress is considered: a new gate
 * sample (counted once), a candidate that lost all its ready pods while serving traffic, and the
 * stall clock that turns "no progress for progressDeadline" into a fallback.
 */
import { GateRecord, ShiftStatus } from '../api/status';
import { assess, gateRecord, judgedPeriods, sameEvidence, sameVerdict, Verdict } from './gate';
import {
  Ctx, currentGate, evidenceStart, guarded, inMirror, inPreview, msOf, Note, patch, podsOf, podsSentence, runningPhase, showDuration,
} from './state';
import { GateSample, Problem } from './types';

/** The outcome of looking at this reconcile's sample. */
export interface Guarded {
  readonly status: ShiftStatus;
  readonly notes: readonly Note[];
  /** Set when consecutive failures reached failureThreshold: the fallback's sentence. */
  readonly failed?: string;
}

const windowOf = (ctx: Ctx, sample: GateSample): number =>
  sample._tag === 'Measured' ? sample.windowMs : ctx.spec.analysis.intervalMs;

/**
 * A sample counts once: it must be for the candidate, taken in this run, and newer than lastGate.
 * sequential: it must also be taken after the current period began and reach back to its start,
 * so a sample of the previous step never judges this one.
 */
const isNewSample = (ctx: Ctx, status: ShiftStatus, sample: GateSample): boolean => {
  if (sample.version !== status.candidateVersion) return false;
  if (sample.at < msOf(status.startedAt, Infinity)) return false;
  if (ctx.spec.analysis.method === 'sequential') {
    const since = evidenceStart(status, Infinity);
    if (!(sample.at > since)) return false;
    if (sample._tag === 'Measured' && sample.at - sample.windowMs > since) return false;
  }
  const last = status.lastGate;
  return last === undefined || last.version !== sample.version || sample.at > msOf(last.time, -Infinity);
};

/** How a verdict moves consecutiveFailures: +1, reset to 0, or unchanged (a hold). */
const failureDelta = (ctx: Ctx, status: ShiftStatus, verdict: Verdict): 'count' | 'reset' | 'hold' => {
  switch (verdict._tag) {
    case 'Pass':
      return 'reset';
    case 'Fail':
      return 'count';
    case 'NoData':
      // Preview traffic is sparse by design: no data neither blocks nor fails a preview. A shared
      // failure and undecided sequential evidence are never counted against the candidate.
      if (inPreview(ctx.spec, status) || verdict.hold !== undefined || ctx.spec.analysis.method === 'sequential') return 'hold';
      return ctx.spec.analysis.noData === 'fail' ? 'count' : 'hold';
    case 'Unavailable':
      return 'hold';
  }
};

/**
 * A held verdict that repeats the record of this period except for its time changes nothing, so
 * the status keeps the record (and its time: when this run of identical holds began). Otherwise
 * every gate tick of every waiting shift rewrites its status for a timestamp, the main steady-state
 * API load of a big mesh (issue 12). Only holds qualify: a counted failure must move the time so
 * the same sample is not counted twice, and a Pass's time is what freshPass reads. The record must
 * be of this run (currentGate) and taken since the current step and period began (stepStartedAt,
 * evidenceSince), so a new step, run or resume still gets one fresh record; the held sample is
 * judged again on later reconciles, to the same nothing.
 */
const repeatsHold = (ctx: Ctx, status: ShiftStatus, record: GateRecord): boolean => {
  const last = currentGate(status);
  const periodStart = Math.max(evidenceStart(status, Infinity), msOf(status.stepStartedAt, -Infinity));
  // sequential: the window grows with every read, so "the same" is the same counts (sameEvidence).
  const same = ctx.spec.analysis.method === 'sequential' ? sameEvidence : sameVerdict;
  return last !== undefined && msOf(last.time, -Infinity) >= periodStart && same(record, last);
};

/**
 * sequential: the gate reads every scrape (sampler.ts), but status records a verdict of the same
 * kind at most once per interval: a Pass, an undecided NoData or a latency Fail within one interval
 * of the last record of this period with the same result (and hold) changes nothing — so a waiting
 * shift writes its status no more often than with reads every interval (issue 12), and latency still
 * fails after `failureThreshold` intervals in a row, not scrapes. A decisive Fail always acts, and
 * a change of result is always recorded. A kept Pass still lets the step advance (freshPass).
 */
const throttled = (ctx: Ctx, status: ShiftStatus, verdict: Verdict, record: GateRecord): boolean => {
  const rule = ctx.spec.analysis;
  if (rule.method !== 'sequential' || (verdict._tag === 'Fail' && verdict.decisive === true)) return false;
  const last = currentGate(status);
  const periodStart = Math.max(evidenceStart(status, Infinity), msOf(status.stepStartedAt, -Infinity));
  if (last === undefined || msOf(last.time, -Infinity) < periodStart) return false;
  return last.result === record.result && last.hold === record.hold && msOf(record.time, -Infinity) - msOf(last.time, Infinity) < rule.intervalMs;
};

/** Judge this reconcile's sample if it is new and the gate guards; count it toward failureThreshold. */
export const observeGate = (ctx: Ctx, status: ShiftStatus): Guarded => {
  const sample = ctx.observed.gate;
  if (sample === undefined || !guarded(ctx, status) || !isNewSample(ctx, status, sample)) return { status, notes: [] };
  const rule = ctx.spec.analysis;
  const windowMs = Math.max(0, windowOf(ctx, sample));
  const verdict = assess(sample, rule, showDuration(windowMs), { periods: judgedPeriods(ctx.spec), latencyWindow: showDuration(rule.intervalMs) });
  const record = gateRecord(verdict, sample.at, rule, windowMs);
  if (throttled(ctx, status, verdict, record)) return { status, notes: [] };
  const before = status.consecutiveFailures ?? 0;
  const delta = failureDelta(ctx, status, verdict);
  const failures = delta === 'count' ? before + 1 : delta === 'reset' ? 0 : before;
  if (delta === 'hold' && repeatsHold(ctx, status, record)) return { status, notes: [] };
  const next = patch(status, { lastGate: record, consecutiveFailures: failures });
  if (delta !== 'count') return { status: next, notes: [] };
  // The sequential test decided: its evidence already spans the period, so it falls back at once.
  if (verdict._tag === 'Fail' && verdict.decisive === true) return { status: next, notes: [], failed: verdict.message };
  const counted = `failed check ${failures} of ${rule.failureThreshold} before fallback: ${verdict.message}`;
  const notes: Note[] = [{ event: 'GateCheckFailed', message: counted, warning: true }];
  if (failures < rule.failureThreshold) return { status: next, notes };
  return { status: next, notes, failed: `${verdict.version} failed ${failures} checks in a row; last: ${verdict.message}` };
};

/** A candidate serving traffic with no ready pod: its share of requests gets 503s, so fall back at once. */
export const lostReadiness = (ctx: Ctx, status: ShiftStatus): string | undefined => {
  const candidate = status.candidateVersion;
  if (candidate === undefined || (status.weights?.candidate ?? 0) === 0) return undefined;
  const pods = podsOf(ctx, candidate);
  if (pods.ready > 0) return undefined;
  return `${podsSentence(candidate, pods)} while serving ${status.weights?.candidate} % of traffic`;
};

/** Why the shift cannot progress, as "<head> for <duration><tail>", or undefined. */
export interface StallCause {
  readonly head: string;
  readonly tail: string;
  /** Progressing condition reason while it lasts. */
  readonly reason: 'CandidateNotReady' | 'NoGateData' | Problem['reason'];
}

/** A candidate that needs ready pods to progress and has none (canary before step 1) or not all (blue-green before the switch). */
export const readinessStall = (ctx: Ctx, status: ShiftStatus): StallCause | undefined => {
  const candidate = status.candidateVersion ?? '';
  const pods = podsOf(ctx, candidate);
  const blocked = ctx.spec.strategy.kind === 'blueGreen' && runningPhase(status) === 'Progressing'
    ? !(pods.ready >= 1 && pods.ready === pods.total)
    : (status.step ?? -1) < 0 && pods.ready === 0;
  return blocked ? { head: podsSentence(candidate, pods), tail: '', reason: 'CandidateNotReady' } : undefined;
};

/** The latest check of this run holds the shift: Prometheus unavailable, or no data with noData=hold (not in preview). */
export const gateStall = (ctx: Ctx, status: ShiftStatus): StallCause | undefined => {
  const gate = currentGate(status);
  if (gate === undefined || !guarded(ctx, status)) return undefined;
  // Blue-green's preview is optional traffic: its lack of data does not hold the switch. An A/B
  // test is judged on its matching traffic only, so there no data holds as it does for a canary step.
  // A NoData with enough requests is undecided sequential evidence: it is gathering, not stalled.
  // Mirrored traffic is not optional: it is what the candidate is judged on before the switch.
  const optional = ctx.spec.strategy.kind === 'blueGreen' && inPreview(ctx.spec, status) && !inMirror(ctx.spec, status);
  const noData = gate.result === 'NoData' && ctx.spec.analysis.noData === 'hold' && !optional && !((gate.requests ?? 0) >= ctx.spec.analysis.minRequests);
  const holds = gate.result === 'Unavailable' || gate.hold === 'SharedFailure' || noData;
  return holds ? { head: 'no gate data', tail: `: ${gate.message}`, reason: 'NoGateData' } : undefined;
};

/** Start, keep or clear the stall clock; `exceeded` carries the fallback sentence once progressDeadline passed. */
export const runStallClock = (ctx: Ctx, status: ShiftStatus, cause: StallCause | undefined): { status: ShiftStatus; exceeded?: string } => {
  if (cause === undefined) return { status: patch(status, { stalledSince: undefined }) };
  const stalledSince = status.stalledSince ?? new Date(ctx.now).toISOString();
  const next = patch(status, { stalledSince });
  const deadline = ctx.spec.progressDeadlineMs;
  if (ctx.now - msOf(stalledSince, ctx.now) < deadline) return { status: next };
  return { status: next, exceeded: `${cause.head} for ${showDuration(deadline)}${cause.tail}` };
};
