/**
 * The gate: judge one Prometheus sample of the candidate against the shift's rule.
 *
 * Four closed outcomes, kept apart on purpose (Flagger folds the last three into "failed"):
 *   Pass        — enough requests, error rate and p99 within limits
 *   Fail        — the error rate or p99 is over its limit: the candidate's fault
 *   NoData      — not enough to judge: too few requests, evidence not yet conclusive (sequential),
 *                 or a failure the compared stable version shares (compareTo); never a pass
 *   Unavailable — Prometheus could not answer: NOT the candidate's fault; the shift holds
 *
 * Two methods (spec.analysis.method): `threshold` judges each interval's window on its own
 * (failureThreshold failed windows in a row fall back); `sequential` reads the counts since the
 * period began with Wald's test (sequential.ts, docs/adr/0010-sequential-gate.md) and its Fail is
 * decisive: the shift falls back at once. Latency is judged the same way by both methods.
 */
import { formatDuration } from '../api/duration';
import { GateRule, ResolvedSpec } from '../api/spec';
import { GateRecord, GateResult } from '../api/status';
import { ODDS_RATIO, readEvidence, showFailLine, showLines, showOdds, SprtLimits, sprtLimits, SprtReading } from './sequential';
import { ComparedCounts, GateSample } from './types';

/** What a Measured sample showed, in counts. */
export interface Counts {
  readonly requests: number;
  readonly errors: number;
  /** errors / requests (0 when there were no requests). */
  readonly errorRate: number;
  readonly p99LatencyMs?: number;
}

/** What a verdict carries besides its counts, for status.lastGate. */
export interface VerdictDetail {
  /** sequential: log of the likelihood ratio read. */
  readonly logRatio?: number;
  /** compareTo: the compared version's counts. */
  readonly compared?: ComparedCounts;
  /** A NoData that had requests: the failure is shared with the compared version. */
  readonly hold?: 'SharedFailure';
  /** A Fail that falls back at once (the sequential test decided), not one counted toward failureThreshold. */
  readonly decisive?: boolean;
}

/** The gate's verdict on one sample: a closed union, each case with a sentence. */
export type Verdict =
  | ({ readonly _tag: 'Pass'; readonly version: string; readonly counts: Counts; readonly message: string } & VerdictDetail)
  | ({ readonly _tag: 'Fail'; readonly version: string; readonly counts: Counts; readonly message: string } & VerdictDetail)
  | ({ readonly _tag: 'NoData'; readonly version: string; readonly counts: Counts; readonly message: string } & VerdictDetail)
  | { readonly _tag: 'Unavailable'; readonly version: string; readonly reason: string; readonly message: string };

/** A number for a sentence: at most 2 decimals, no trailing zeros (increase() gives fractions). */
export const showNumber = (n: number): string => String(Number(n.toFixed(2)));

/** A share in percent for a sentence: 0.305 -> "30.5 %". */
export const showPercent = (share: number): string => `${showNumber(share * 100)} %`;

const countsOf = (requests: number, errors: number, p99LatencyMs?: number): Counts => ({
  requests,
  errors,
  errorRate: requests > 0 ? errors / requests : 0,
  ...(p99LatencyMs !== undefined ? { p99LatencyMs } : {}),
});

const errorsOver = (c: Counts, rule: GateRule): boolean => c.errorRate > rule.maxErrorRate;

const latencyOver = (c: Counts, rule: GateRule): boolean =>
  rule.maxP99LatencyMs !== undefined && c.p99LatencyMs !== undefined && c.p99LatencyMs > rule.maxP99LatencyMs;

const errorSentence = (v: string, c: Counts, window: string, rule: GateRule): string =>
  `${v} failed ${showNumber(c.errors)} of ${showNumber(c.requests)} requests (${showPercent(c.errorRate)}) in ${window}; limit ${showPercent(rule.maxErrorRate)}`;

// +Inf is histogram_quantile's answer when the p99 falls in the top bucket: over any limit (defect 8).
const latencySentence = (v: string, c: Counts, window: string, rule: GateRule): string =>
  c.p99LatencyMs === Infinity
    ? `${v} p99 latency is above the largest histogram bucket (+Inf) in ${window}; limit ${showNumber(rule.maxP99LatencyMs ?? 0)} ms`
    : `${v} p99 latency ${showNumber(c.p99LatencyMs ?? 0)} ms in ${window}; limit ${showNumber(rule.maxP99LatencyMs ?? 0)} ms`;

const tooFew = (version: string, c: Counts, rule: GateRule, window: string): Verdict => ({
  _tag: 'NoData',
  version,
  counts: c,
  message: `${version} served ${showNumber(c.requests)} requests in ${window}; a verdict needs at least ${rule.minRequests}`,
});

const latencyPart = (c: Counts, rule: GateRule): string =>
  c.p99LatencyMs !== undefined && rule.maxP99LatencyMs !== undefined
    ? `, p99 ${showNumber(c.p99LatencyMs)} ms (limit ${showNumber(rule.maxP99LatencyMs)} ms)`
    : '';

/** Both versions fail over the same window: a hold (NoData, SharedFailure), not the candidate's fault. */
const sharedFailure = (version: string, counts: Counts, detail: VerdictDetail, message: string): Verdict => ({ _tag: 'NoData', version, counts, ...detail, hold: 'SharedFailure', message });

/** compareTo under threshold: the compared version over the same window, over the limit too. */
const sharedOverLimit = (compared: Counts | undefined, rule: GateRule): boolean =>
  compared !== undefined && compared.requests >= rule.minRequests && errorsOver(compared, rule);

const judgeThreshold = (version: string, c: Counts, rule: GateRule, window: string, compared?: ComparedCounts): Verdict => {
  if (!(c.requests >= rule.minRequests)) return tooFew(version, c, rule, window);
  const other = compared !== undefined ? countsOf(compared.requests, Math.min(compared.errors, compared.requests)) : undefined;
  const detail = compared !== undefined ? { compared } : {};
  const latency = latencyOver(c, rule) ? [latencySentence(version, c, window, rule)] : [];
  if (errorsOver(c, rule) && latency.length === 0 && other !== undefined && sharedOverLimit(other, rule))
    return sharedFailure(
      version,
      c,
      detail,
      `${version} and ${compared!.version} are both over the limit: ${version} failed ${showNumber(c.errors)} of ${showNumber(c.requests)} requests (${showPercent(c.errorRate)}), ${compared!.version} ${showNumber(other.errors)} of ${showNumber(other.requests)} (${showPercent(other.errorRate)}) in ${window}; limit ${showPercent(rule.maxErrorRate)}: a shared failure, not blamed on ${version}; holding`,
    );
  const reasons = [...(errorsOver(c, rule) ? [errorSentence(version, c, window, rule)] : []), ...latency];
  if (reasons.length > 0) return { _tag: 'Fail', version, counts: c, ...detail, message: reasons.join('; and ') };
  return {
    _tag: 'Pass',
    version,
    counts: c,
    ...detail,
    message: `${version} passed: ${showNumber(c.errors)} of ${showNumber(c.requests)} requests failed (${showPercent(c.errorRate)}) in ${window}; limit ${showPercent(rule.maxErrorRate)}${latencyPart(c, rule)}`,
  };
};

/**
 * How many periods a shift's gate judges, each with a fresh sequential test: canary steps (and
 * the mirroring before them); blue-green preview (with a match or mirroring) and rollback window;
 * an A/B test's one period.
 */
export const judgedPeriods = (spec: ResolvedSpec): number => {
  const s = spec.strategy;
  switch (s.kind) {
    case 'canary':
      return s.steps.length + (s.mirror !== undefined ? 1 : 0);
    case 'blueGreen':
      return s.previewMatch !== undefined || s.mirror !== undefined ? 2 : 1;
    case 'abTest':
      return 1;
  }
};

/** "4 of 21 requests failed in 1m30s; 1 : 240 against ≤ 1 %" (odds of ≤ the limit : of p1). */
const evidenceSentence = (c: Counts, window: string, limits: SprtLimits, reading: SprtReading): string => {
  const counted = `${showNumber(c.errors)} of ${showNumber(c.requests)} requests failed in ${window}`;
  // With a limit of 0 % or 100 % the ratio says nothing a person needs; the count says it all.
  if (limits.p0 <= 0 || limits.p0 >= 1) return `${counted}; limit ${showPercent(limits.p0)}`;
  return `${counted}; ${showOdds(reading.logRatio)} ${reading.logRatio >= 0 ? 'against' : 'for'} ≤ ${showPercent(limits.p0)}`;
};

/** The decision lines of the test in words; with p0 = 0 or 1 the ratio cannot pass, so the line is a count. */
const linesSentence = (limits: SprtLimits, rule: GateRule): string => {
  if (limits.p0 <= 0) return `falls back at the first failed request, passes at ${rule.minRequests} requests`;
  if (limits.p0 >= 1) return `never falls back on errors, passes at ${rule.minRequests} requests`;
  return `${showLines(limits)} with at least ${rule.minRequests} requests`;
};

/**
 * Whether the candidate is clearly worse than the compared version: of the failures of both, the
 * candidate's share is tested against its share of the requests (H1: its error rate is
 * ODDS_RATIO times the compared one's), with the same line as the candidate's own test.
 */
const clearlyWorse = (c: Counts, compared: Counts, limits: SprtLimits): boolean => {
  const all = c.requests + compared.requests;
  if (!(c.requests > 0) || !(compared.requests > 0)) return true;
  const q0 = c.requests / all;
  const q1 = (ODDS_RATIO * c.requests) / (ODDS_RATIO * c.requests + compared.requests);
  return c.errors * Math.log(q1 / q0) + compared.errors * Math.log((1 - q1) / (1 - q0)) >= Math.log(limits.failAt);
};

/**
 * A Fail of the candidate's own test, seen next to the compared version: when that version's own
 * test fails too and the candidate is not clearly worse, the failure is shared (a downstream
 * outage): a hold, not the candidate's fault. This only ever turns a Fail into a hold, so the
 * false-failure bound is untouched.
 */
const failOrShared = (version: string, c: Counts, rule: GateRule, evidence: string, limits: SprtLimits, detail: VerdictDetail, compared?: ComparedCounts): Verdict => {
  const line = limits.p0 <= 0 ? 'falls back at the first failed request' : showFailLine(limits);
  const failed = `${version} failed: ${evidence} (${line})`;
  if (compared === undefined) return { _tag: 'Fail', version, counts: c, ...detail, decisive: true, message: failed };
  const other = countsOf(compared.requests, Math.min(compared.errors, compared.requests));
  const reading = readEvidence(other.requests, other.errors, limits, rule.minRequests);
  const theirs = `${compared.version} ${showNumber(other.errors)} of ${showNumber(other.requests)} (${showOdds(reading.logRatio)} against ≤ ${showPercent(limits.p0)})`;
  if (reading.decision !== 'Fail') return { _tag: 'Fail', version, counts: c, ...detail, decisive: true, message: failed };
  if (clearlyWorse(c, other, limits))
    return { _tag: 'Fail', version, counts: c, ...detail, decisive: true, message: `${failed}; ${theirs} fails too, but ${version} is clearly worse` };
  return sharedFailure(version, c, detail, `${version} and ${compared.version} both fail: ${version} ${evidence}; ${theirs}: a shared failure, not blamed on ${version}; holding`);
};

const judgeSequential = (version: string, c: Counts, rule: GateRule, window: string, options: AssessOptions, compared?: ComparedCounts): Verdict => {
  const limits = sprtLimits(rule.maxErrorRate, rule.falseFailureRate, options.periods ?? 1);
  const reading = readEvidence(c.requests, c.errors, limits, rule.minRequests);
  const evidence = evidenceSentence(c, window, limits, reading);
  const detail: VerdictDetail = { logRatio: reading.logRatio, ...(compared !== undefined ? { compared } : {}) };
  // Latency is judged as the threshold method does (the p99 of the last interval), counted toward failureThreshold.
  const latency = c.requests >= rule.minRequests && latencyOver(c, rule) ? latencySentence(version, c, options.latencyWindow ?? window, rule) : undefined;
  if (reading.decision === 'Fail') {
    const verdict = failOrShared(version, c, rule, evidence, limits, detail, compared);
    if (latency === undefined) return verdict;
    if (verdict._tag === 'Fail') return { ...verdict, message: `${verdict.message}; and ${latency}` };
    return { _tag: 'Fail', version, counts: c, ...detail, message: `${latency}; its errors (${evidence}) are a failure ${compared?.version} shares, not blamed on ${version}` };
  }
  if (latency !== undefined) return { _tag: 'Fail', version, counts: c, ...detail, message: `${latency}; ${version}: ${evidence}` };
  if (reading.decision === 'Pass')
    return { _tag: 'Pass', version, counts: c, ...detail, message: `${version} passed: ${evidence}${latencyPart(c, rule)}` };
  return { _tag: 'NoData', version, counts: c, ...detail, message: `${version}: ${evidence}; undecided (${linesSentence(limits, rule)})` };
};

/** What the sequential method needs besides the rule. */
export interface AssessOptions {
  /** How many periods the shift's false-failure rate is split over (judgedPeriods). Default 1. */
  readonly periods?: number;
  /** The p99's window in words (the interval), when it differs from the count window. Default `window`. */
  readonly latencyWindow?: string;
}

/**
 * Judge one sample. `window` is the count window in words ("30s"; sequential: the time since the
 * period began, rounded up to whole intervals), for messages.
 * Non-finite or negative counts are treated as "no data", never as a pass.
 */
export const assess = (sample: GateSample, rule: GateRule, window: string, options: AssessOptions = {}): Verdict => {
  switch (sample._tag) {
    case 'Unavailable':
      return { _tag: 'Unavailable', version: sample.version, reason: sample.reason, message: `Prometheus unavailable: ${sample.reason}` };
    case 'Measured': {
      const sane = Number.isFinite(sample.requests) && Number.isFinite(sample.errors) && sample.requests >= 0 && sample.errors >= 0;
      if (!sane) return tooFew(sample.version, countsOf(0, 0), rule, window);
      const counts = countsOf(sample.requests, Math.min(sample.errors, sample.requests), sample.p99LatencyMs);
      const compared = sample.compared !== undefined && saneCounts(sample.compared) ? sample.compared : undefined;
      return rule.method === 'sequential'
        ? judgeSequential(sample.version, counts, rule, window, options, compared)
        : judgeThreshold(sample.version, counts, rule, window, compared);
    }
  }
};

const saneCounts = (c: ComparedCounts): boolean =>
  Number.isFinite(c.requests) && Number.isFinite(c.errors) && c.requests >= 0 && c.errors >= 0;

/**
 * Whether `next` says what `last` says, apart from when it was taken. Records hold strings and
 * numbers and one nested object (compared), never arrays; keys may come back from the API server
 * in another order, and an absent member equals an undefined one.
 */
export const sameVerdict = (next: GateRecord, last: GateRecord): boolean => sameMembers(next, last, ['time']);

/**
 * sequential: whether `next` holds the same evidence as `last` — the same result and counts (hence
 * the same ratio), apart from when it was read and over how long a window, which grows with every
 * read while no request arrives (the message says the window, so it is not compared either).
 */
export const sameEvidence = (next: GateRecord, last: GateRecord): boolean => sameMembers(next, last, ['time', 'window', 'windowMs', 'message']);

const sameMembers = (a: object, b: object, skip: readonly string[] = []): boolean => {
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const k of keys) {
    if (skip.includes(k)) continue;
    const x = ra[k];
    const y = rb[k];
    const nested = typeof x === 'object' && x !== null && typeof y === 'object' && y !== null;
    if (nested ? !sameMembers(x, y) : x !== y) return false;
  }
  return true;
};

/** The verdict as status.lastGate records it; `at` is the end of the sample's window and `windowMs` its length (epoch ms, ms). */
export const gateRecord = (verdict: Verdict, at: number, rule: GateRule, windowMs: number): GateRecord => {
  const result: GateResult = verdict._tag;
  const base = { result, version: verdict.version, threshold: rule.maxErrorRate, window: formatDuration(windowMs), windowMs, time: new Date(at).toISOString(), message: verdict.message };
  switch (verdict._tag) {
    case 'Unavailable':
      return base;
    case 'Pass':
    case 'Fail':
    case 'NoData': {
      const c = verdict.counts;
      // JSON has no +Inf (it would be written as null): the message says it instead.
      return {
        ...base,
        requests: c.requests,
        errors: c.errors,
        errorRate: c.errorRate,
        ...(c.p99LatencyMs !== undefined && Number.isFinite(c.p99LatencyMs) ? { p99LatencyMs: c.p99LatencyMs } : {}),
        ...(verdict.logRatio !== undefined && Number.isFinite(verdict.logRatio) ? { logLikelihoodRatio: verdict.logRatio } : {}),
        ...(verdict.compared !== undefined ? { compared: verdict.compared } : {}),
        ...(verdict.hold !== undefined ? { hold: verdict.hold } : {}),
      };
    }
  }
};
