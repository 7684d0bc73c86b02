/**
 * The gate: judge one Prometheus sample of the candidate against the shift's rule.
 *
 * Four closed outcomes, kept apart on purpose (Flagger folds the last three into "failed"):
 *   Pass        — enough requests, error rate and p99 within limits
 *   Fail        — enough requests, and the error rate or p99 is over its limit: the candidate's fault
 *   NoData      — fewer than minRequests requests: never a pass; the shift's `noData` says what it means
 *   Unavailable — Prometheus could not answer: NOT the candidate's fault; the shift holds
 *
 * `assess` works on counts (requests, errors), not on a bare ratio, so a stronger statistical
 * judgement (e.g. a binomial test against the stable version) can later replace it at this seam.
 */
import { GateRule } from '../api/spec';
import { GateRecord, GateResult } from '../api/status';
import { GateSample } from './types';

/** What a Measured sample showed, in counts. */
export interface Counts {
  readonly requests: number;
  readonly errors: number;
  /** errors / requests (0 when there were no requests). */
  readonly errorRate: number;
  readonly p99LatencyMs?: number;
}

/** The gate's verdict on one sample: a closed union, each case with a sentence. */
export type Verdict =
  | { readonly _tag: 'Pass'; readonly version: string; readonly counts: Counts; readonly message: string }
  | { readonly _tag: 'Fail'; readonly version: string; readonly counts: Counts; readonly message: string }
  | { readonly _tag: 'NoData'; readonly version: string; readonly counts: Counts; readonly message: string }
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

const judgeMeasured = (version: string, c: Counts, rule: GateRule, window: string): Verdict => {
  if (!(c.requests >= rule.minRequests))
    return {
      _tag: 'NoData',
      version,
      counts: c,
      message: `${version} served ${showNumber(c.requests)} requests in ${window}; a verdict needs at least ${rule.minRequests}`,
    };
  const reasons = [
    ...(errorsOver(c, rule) ? [errorSentence(version, c, window, rule)] : []),
    ...(latencyOver(c, rule) ? [latencySentence(version, c, window, rule)] : []),
  ];
  if (reasons.length > 0) return { _tag: 'Fail', version, counts: c, message: reasons.join('; and ') };
  const latency = c.p99LatencyMs !== undefined && rule.maxP99LatencyMs !== undefined
    ? `, p99 ${showNumber(c.p99LatencyMs)} ms (limit ${showNumber(rule.maxP99LatencyMs)} ms)`
    : '';
  return {
    _tag: 'Pass',
    version,
    counts: c,
    message: `${version} passed: ${showNumber(c.errors)} of ${showNumber(c.requests)} requests failed (${showPercent(c.errorRate)}) in ${window}; limit ${showPercent(rule.maxErrorRate)}${latency}`,
  };
};

/**
 * Judge one sample. `window` is the query window as written in the spec ("30s"), for messages.
 * Non-finite or negative counts are treated as "no data", never as a pass.
 */
export const assess = (sample: GateSample, rule: GateRule, window: string): Verdict => {
  switch (sample._tag) {
    case 'Unavailable':
      return { _tag: 'Unavailable', version: sample.version, reason: sample.reason, message: `Prometheus unavailable: ${sample.reason}` };
    case 'Measured': {
      const sane = Number.isFinite(sample.requests) && Number.isFinite(sample.errors) && sample.requests >= 0 && sample.errors >= 0;
      const counts = sane ? countsOf(sample.requests, Math.min(sample.errors, sample.requests), sample.p99LatencyMs) : countsOf(0, 0);
      return judgeMeasured(sample.version, counts, rule, window);
    }
  }
};

/** The verdict as status.lastGate records it; `at` is the end of the sample's window (epoch ms). */
export const gateRecord = (verdict: Verdict, at: number, rule: GateRule, window: string): GateRecord => {
  const result: GateResult = verdict._tag;
  const base = { result, version: verdict.version, threshold: rule.maxErrorRate, window, time: new Date(at).toISOString(), message: verdict.message };
  switch (verdict._tag) {
    case 'Unavailable':
      return base;
    case 'Pass':
    case 'Fail':
    case 'NoData': {
      const c = verdict.counts;
      // JSON has no +Inf (it would be written as null): the message says it instead.
      return { ...base, requests: c.requests, errors: c.errors, errorRate: c.errorRate, ...(c.p99LatencyMs !== undefined && Number.isFinite(c.p99LatencyMs) ? { p99LatencyMs: c.p99LatencyMs } : {}) };
    }
  }
};
