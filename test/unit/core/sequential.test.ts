import { assess, gateRecord } from '../../../src/core/gate';
import { alternativeRate, logLikelihoodRatio, readEvidence, showOdds, sprtLimits } from '../../../src/core/sequential';
import { GateSample } from '../../../src/core/types';
import { canarySpec, iso, MIN, pods, SEC, Shift, T0, unavailable } from './fixtures';

const spec = (analysis: Partial<ReturnType<typeof canarySpec>['analysis']> = {}) =>
  canarySpec({ analysis: { method: 'sequential', ...analysis } });
const rule = spec().analysis;
/** canarySpec has 3 steps: the shift's 1 % is split into 1/300 per step. */
const THREE = { periods: 3, latencyWindow: '30s' };

/** The candidate's counts since `from` (epoch ms), read at `at`, over a window rounded up to 30s like the daemon's. */
const since = (from: number, requests: number, errors: number, extra: Partial<GateSample> = {}) => (version: string, at: number): GateSample => ({
  _tag: 'Measured',
  version,
  at,
  windowMs: Math.max(1, Math.ceil((at - from) / 30_000)) * 30_000,
  requests,
  errors,
  ...extra,
} as GateSample);

const counts = (requests: number, errors: number, extra: Partial<GateSample> = {}): GateSample => since(T0, requests, errors, extra)('v2', T0 + 90 * SEC);

describe('the sequential test (sequential.ts)', () => {
  it('sets H1 at three times the odds of maxErrorRate, and splits the false-failure rate over the periods', () => {
    expect(alternativeRate(0.01)).toBeCloseTo(0.0294118, 6);
    expect(sprtLimits(0.01, 0.01, 3)).toEqual({ p0: 0.01, p1: alternativeRate(0.01), failAt: 300, passAt: 0.1 / (1 - 0.01 / 3) });
    expect(sprtLimits(0.01, 0.01, 1).failAt).toBe(100);
  });

  it('computes the log likelihood ratio from the counts (4 of 21 at 1 %: 3.98, a ratio of 53)', () => {
    // 4 · ln(0.0294/0.01) + 17 · ln(0.9706/0.99), by hand: 4 · 1.07881 − 17 · 0.019803 = 3.9786
    expect(logLikelihoodRatio(21, 4, sprtLimits(0.01, 0.01, 3))).toBeCloseTo(3.9786, 4);
    expect(logLikelihoodRatio(25, 1, sprtLimits(0, 0.01, 3))).toBe(Infinity);
    expect(logLikelihoodRatio(25, 0, sprtLimits(0, 0.01, 3))).toBe(0);
    expect(logLikelihoodRatio(25, 25, sprtLimits(1, 0.01, 3))).toBe(0);
  });

  it('fails on the ratio alone, passes only with minRequests requests', () => {
    const limits = sprtLimits(0.01, 0.01, 3);
    expect(readEvidence(30, 9, limits, 20).decision).toBe('Fail');
    expect(readEvidence(300, 0, limits, 20).decision).toBe('Pass');
    expect(readEvidence(12, 0, limits, 20).decision).toBe('Undecided');
    expect(readEvidence(21, 4, limits, 20).decision).toBe('Undecided');
    // 6 of 6 failed: a ratio of 1,480 is past 1 : 300 with fewer than minRequests requests.
    expect(readEvidence(6, 6, limits, 20).decision).toBe('Fail');
  });

  it('shows odds of the limit against H1 the way people write them', () => {
    expect(showOdds(Math.log(53.44))).toBe('1 : 53');
    expect(showOdds(Math.log(1.4))).toBe('1 : 1.4');
    expect(showOdds(-Math.log(380.2))).toBe('380 : 1');
    expect(showOdds(Math.log(1.18e39))).toBe('1 : 1.2e+39');
    expect(showOdds(0)).toBe('1 : 1');
    expect(showOdds(Infinity)).toBe('1 : ∞');
  });
});

describe('assess with method sequential: the sentences', () => {
  it('fails decisively with the counts and the odds a person can check', () => {
    const v = assess(counts(30, 9), rule, '1m30s', THREE);
    expect([v._tag, v._tag === 'Fail' && v.decisive]).toEqual(['Fail', true]);
    expect(v.message).toBe('v2 failed: 9 of 30 requests failed in 1m30s; 1 : 10866 against ≤ 1 % (falls back at 1 : 300)');
  });

  it('passes with the odds for the limit', () => {
    const v = assess(counts(300, 0), rule, '1m30s', THREE);
    expect(v._tag).toBe('Pass');
    expect(v.message).toBe('v2 passed: 0 of 300 requests failed in 1m30s; 380 : 1 for ≤ 1 %');
  });

  it('says undecided, with both lines, while the evidence is not strong enough either way', () => {
    const v = assess(counts(21, 4), rule, '1m30s', THREE);
    expect(v._tag).toBe('NoData');
    expect(v.message).toBe('v2: 4 of 21 requests failed in 1m30s; 1 : 53 against ≤ 1 %; undecided (falls back at 1 : 300, passes at 10 : 1 with at least 20 requests)');
    expect(assess(counts(12, 0), rule, '1m30s', THREE).message).toBe(
      'v2: 0 of 12 requests failed in 1m30s; 1.3 : 1 for ≤ 1 %; undecided (falls back at 1 : 300, passes at 10 : 1 with at least 20 requests)',
    );
  });

  it('with a 0 % limit falls back at the first failed request and passes at minRequests without one', () => {
    const strict = { ...rule, maxErrorRate: 0 };
    expect(assess(counts(25, 1), strict, '1m', THREE).message).toBe('v2 failed: 1 of 25 requests failed in 1m; limit 0 % (falls back at the first failed request)');
    expect(assess(counts(25, 0), strict, '1m', THREE).message).toBe('v2 passed: 0 of 25 requests failed in 1m; limit 0 %');
    expect(assess(counts(19, 0), strict, '1m', THREE).message).toBe('v2: 0 of 19 requests failed in 1m; limit 0 %; undecided (falls back at the first failed request, passes at 20 requests)');
  });

  it('judges latency as the threshold method does, over the interval, and counts it toward failureThreshold (not decisive)', () => {
    const v = assess(counts(300, 0, { p99LatencyMs: 900 }), { ...rule, maxP99LatencyMs: 500 }, '1m30s', THREE);
    expect([v._tag, v._tag === 'Fail' && v.decisive]).toEqual(['Fail', undefined]);
    expect(v.message).toBe('v2 p99 latency 900 ms in 30s; limit 500 ms; v2: 0 of 300 requests failed in 1m30s; 380 : 1 for ≤ 1 %');
    const both = assess(counts(30, 9, { p99LatencyMs: 900 }), { ...rule, maxP99LatencyMs: 500 }, '1m30s', THREE);
    expect(both.message).toBe('v2 failed: 9 of 30 requests failed in 1m30s; 1 : 10866 against ≤ 1 % (falls back at 1 : 300); and v2 p99 latency 900 ms in 30s; limit 500 ms');
  });

  it('records the ratio, the compared counts and the hold in status.lastGate', () => {
    const compared = { version: 'v1', requests: 450, errors: 90 };
    const v = assess(counts(50, 10, { compared }), { ...rule, compareTo: 'stable' }, '1m30s', THREE);
    expect(gateRecord(v, T0, rule, 90_000)).toEqual({
      result: 'NoData', version: 'v2', threshold: 0.01, window: '1m30s', windowMs: 90_000, time: iso(T0), message: v.message,
      requests: 50, errors: 10, errorRate: 0.2, logLikelihoodRatio: expect.closeTo(9.996, 3), compared, hold: 'SharedFailure',
    });
  });
});

describe('compareTo: stable', () => {
  const compareRule = { ...rule, compareTo: 'stable' as const };

  it('holds, in a sentence of its own, when stable fails as much as the candidate (a shared downstream failure)', () => {
    const v = assess(counts(50, 10, { compared: { version: 'v1', requests: 450, errors: 90 } }), compareRule, '1m30s', THREE);
    expect([v._tag, v._tag === 'NoData' && v.hold]).toEqual(['NoData', 'SharedFailure']);
    expect(v.message).toBe(
      'v2 and v1 both fail: v2 10 of 50 requests failed in 1m30s; 1 : 21938 against ≤ 1 %; v1 90 of 450 (1 : 1.2e+39 against ≤ 1 %): a shared failure, not blamed on v2; holding',
    );
  });

  it('still fails a candidate clearly worse than a failing stable', () => {
    const v = assess(counts(50, 25, { compared: { version: 'v1', requests: 450, errors: 90 } }), compareRule, '1m30s', THREE);
    expect([v._tag, v._tag === 'Fail' && v.decisive]).toEqual(['Fail', true]);
    expect(v.message).toBe(
      'v2 failed: 25 of 50 requests failed in 1m30s; 1 : 3.1e+11 against ≤ 1 % (falls back at 1 : 300); v1 90 of 450 (1 : 1.2e+39 against ≤ 1 %) fails too, but v2 is clearly worse',
    );
  });

  it('fails the candidate when stable is healthy', () => {
    const v = assess(counts(50, 10, { compared: { version: 'v1', requests: 450, errors: 2 } }), compareRule, '1m30s', THREE);
    expect(v.message).toBe('v2 failed: 10 of 50 requests failed in 1m30s; 1 : 21938 against ≤ 1 % (falls back at 1 : 300)');
  });

  it('under the threshold method, holds when both are over the limit in the window', () => {
    const threshold = { ...compareRule, method: 'threshold' as const };
    const v = assess(counts(50, 5, { compared: { version: 'v1', requests: 450, errors: 45 } }), threshold, '30s');
    expect([v._tag, v._tag === 'NoData' && v.hold]).toEqual(['NoData', 'SharedFailure']);
    expect(v.message).toBe('v2 and v1 are both over the limit: v2 failed 5 of 50 requests (10 %), v1 45 of 450 (10 %) in 30s; limit 1 %: a shared failure, not blamed on v2; holding');
    // too few stable requests to say it fails too: the candidate's failure is its own
    expect(assess(counts(50, 5, { compared: { version: 'v1', requests: 10, errors: 5 } }), threshold, '30s')._tag).toBe('Fail');
  });
});

/** Adopted v1, a sequential shift to v2 at step 1 (5 %) since T0+1s. */
const atFirstStep = (analysis: Partial<typeof rule> = {}): Shift => Shift.adopted(spec(analysis)).startShift('v2');
const STEP1 = T0 + SEC;

describe('decide with method sequential', () => {
  it('records when the step began as evidenceSince, and the daemon counts from there', () => {
    const shift = atFirstStep();
    expect(shift.status).toMatchObject({ step: 0, stepStartedAt: iso(STEP1), evidenceSince: iso(STEP1) });
  });

  it('falls back at once, in one write, on the first decisive Fail (no failureThreshold)', () => {
    const shift = atFirstStep();
    const d = shift.checkAfter(30 * SEC, since(STEP1, 30, 9));
    expect(d.status.phase).toBe('RolledBack');
    expect(d.routes?.weights).toEqual({ stable: 100, candidate: 0 });
    expect(d.events).toEqual([{ type: 'Warning', reason: 'RolledBack', message: 'GateFailed: v2 failed: 9 of 30 requests failed in 30s; 1 : 10866 against ≤ 1 % (falls back at 1 : 300); v1 back at 100 %' }]);
  });

  it('advances after the dwell on a Pass over every request since the step began', () => {
    const shift = atFirstStep();
    shift.checkAfter(30 * SEC, since(STEP1, 150, 0));
    expect(shift.status.step).toBe(0); // a Pass, but the 1m dwell is not over
    const d = shift.checkAfter(30 * SEC, since(STEP1, 300, 0));
    expect(d.status).toMatchObject({ step: 1, evidenceSince: iso(T0 + 61 * SEC) });
    expect(d.routes?.weights).toEqual({ stable: 75, candidate: 25 });
  });

  it('holds while undecided with enough requests, without running the stall clock (no deadline fallback for a slow verdict)', () => {
    const shift = atFirstStep();
    const d = shift.checkAfter(30 * SEC, since(STEP1, 60, 1));
    expect(d.status.lastGate?.result).toBe('NoData');
    expect(d.status.stalledSince).toBeUndefined();
    shift.checkAfter(20 * MIN, since(STEP1, 2000, 38)); // undecided at 1.9 % (1 : 8), past the 10m deadline
    expect(shift.status).toMatchObject({ phase: 'Progressing', step: 0 });
    expect(shift.status.stalledSince).toBeUndefined();
  });

  it('reads every scrape but records a verdict of the same kind at most once per interval; a decisive Fail acts at once', () => {
    const shift = atFirstStep();
    shift.checkAfter(5 * SEC, since(STEP1, 40, 0));
    const first = shift.status.lastGate;
    expect(first).toMatchObject({ result: 'NoData', requests: 40, time: iso(STEP1 + 5 * SEC) });
    // 5 s later, still undecided with new counts: nothing to write (the 30 s interval has not passed)
    const held = shift.checkAfter(5 * SEC, since(STEP1, 60, 1));
    expect(shift.status.lastGate).toEqual(first);
    expect(held.status).toEqual(shift.status);
    // a change of kind is written at once: a decisive Fail 5 s later falls back
    const d = shift.checkAfter(5 * SEC, since(STEP1, 80, 12));
    expect(d.status.phase).toBe('RolledBack');
    expect(d.status.lastGate).toMatchObject({ result: 'Fail', requests: 80, errors: 12, time: iso(STEP1 + 15 * SEC) });
  });

  it('writes the status of a shift waiting without traffic once, however long its window grows', () => {
    const shift = atFirstStep();
    shift.checkAfter(5 * SEC, since(STEP1, 0, 0));
    const first = shift.status.lastGate;
    expect(first).toMatchObject({ result: 'NoData', requests: 0, time: iso(STEP1 + 5 * SEC) });
    for (let i = 0; i < 20; i++) shift.checkAfter(5 * SEC, since(STEP1, 0, 0));
    expect(shift.status.lastGate).toEqual(first);
    shift.checkAfter(5 * SEC, since(STEP1, 3, 0));
    expect(shift.status.lastGate).toMatchObject({ result: 'NoData', requests: 3, time: iso(STEP1 + 110 * SEC) });
  });

  it('records the next undecided reading one interval after the last, and a kept Pass still advances after the dwell', () => {
    const shift = atFirstStep();
    shift.checkAfter(5 * SEC, since(STEP1, 40, 0));
    shift.checkAfter(30 * SEC, since(STEP1, 60, 1));
    expect(shift.status.lastGate).toMatchObject({ result: 'NoData', requests: 60, time: iso(STEP1 + 35 * SEC) });
    shift.checkAfter(5 * SEC, since(STEP1, 150, 0));
    expect(shift.status.lastGate).toMatchObject({ result: 'Pass', requests: 150, time: iso(STEP1 + 40 * SEC) });
    // 21 s later, at the end of the 1m dwell: another Pass is not written, and the step advances on the kept one
    const d = shift.checkAfter(21 * SEC, since(STEP1, 300, 0));
    expect(d.status).toMatchObject({ step: 1, evidenceSince: iso(STEP1 + 61 * SEC) });
    expect(d.status.lastGate).toMatchObject({ result: 'Pass', requests: 150 });
  });

  it('counts a latency failure at most once per interval, so failureThreshold still means intervals in a row', () => {
    const shift = atFirstStep({ maxP99LatencyMs: 500, failureThreshold: 2 });
    const slow = (requests: number) => since(STEP1, requests, 0, { p99LatencyMs: 900 });
    shift.checkAfter(5 * SEC, slow(40));
    expect(shift.status).toMatchObject({ consecutiveFailures: 1, lastGate: { result: 'Fail' } });
    shift.checkAfter(5 * SEC, slow(60));
    shift.checkAfter(5 * SEC, slow(80));
    expect(shift.status).toMatchObject({ phase: 'Progressing', consecutiveFailures: 1 });
    const d = shift.checkAfter(20 * SEC, slow(160));
    expect(d.status).toMatchObject({ phase: 'RolledBack', consecutiveFailures: 2 });
  });

  it('runs the stall clock while fewer than minRequests requests arrived since the step began', () => {
    const shift = atFirstStep();
    shift.checkAfter(30 * SEC, since(STEP1, 3, 0));
    expect(shift.status.stalledSince).toBe(iso(STEP1 + 30 * SEC));
  });

  it('never counts NoData or Unavailable as a failure, whatever their number', () => {
    const shift = atFirstStep();
    for (let i = 1; i <= 5; i++) shift.checkAfter(30 * SEC, unavailable);
    for (let i = 1; i <= 5; i++) shift.checkAfter(30 * SEC, since(STEP1, 3 * i, 0));
    expect(shift.status).toMatchObject({ phase: 'Progressing', consecutiveFailures: 0 });
  });

  it('ignores a sample that does not reach back to the step start (taken for the previous step)', () => {
    const shift = atFirstStep();
    shift.checkAfter(30 * SEC, since(STEP1, 150, 0));
    shift.checkAfter(30 * SEC, since(STEP1, 300, 0));
    expect(shift.status.step).toBe(1);
    const stepTwo = T0 + 61 * SEC;
    // Counts over a window starting after the step began miss part of it: not judged.
    const late: GateSample = { _tag: 'Measured', version: 'v2', at: stepTwo + 40 * SEC, windowMs: 30 * SEC, requests: 40, errors: 12 };
    shift.advance(40 * SEC).reconcile({ gate: late });
    expect(shift.status.phase).toBe('Progressing');
    expect(shift.status.lastGate?.time).toBe(iso(T0 + 61 * SEC));
  });

  it('keeps evidenceSince through pause and resume (the dwell clock moves, the evidence does not)', () => {
    const shift = atFirstStep();
    shift.advance(10 * SEC).reconcile({ command: { _tag: 'Valid', id: 'c1', verb: 'pause', by: 'alice' } });
    shift.advance(5 * MIN).reconcile({ command: { _tag: 'Valid', id: 'c2', verb: 'resume', by: 'alice' } });
    expect(shift.status).toMatchObject({ phase: 'Progressing', evidenceSince: iso(STEP1) });
    expect(shift.status.stepStartedAt).toBe(iso(STEP1 + 5 * MIN));
  });

  it('holds on a failure stable shares, runs the stall clock, and falls back only at progressDeadline', () => {
    const shift = atFirstStep({ compareTo: 'stable' });
    const compared = { version: 'v1', requests: 4500, errors: 900 };
    const d = shift.checkAfter(30 * SEC, since(STEP1, 500, 100, { compared }));
    expect(d.status).toMatchObject({ phase: 'Progressing', stalledSince: iso(STEP1 + 30 * SEC) });
    expect(d.status.lastGate).toMatchObject({ result: 'NoData', hold: 'SharedFailure' });
    expect(d.events).toEqual([]);
    const later = shift.checkAfter(10 * MIN, since(STEP1, 5000, 1000, { compared: { ...compared, requests: 45000, errors: 9000 } }));
    expect(later.status.phase).toBe('RolledBack');
    expect(later.events[0]?.message).toMatch(/^ProgressDeadlineExceeded: no gate data for 10m: v2 and v1 both fail: /);
  });

  it('splits falseFailureRate over the blue-green preview and rollback window', () => {
    const bg = Shift.adopted(canarySpec({ strategy: { kind: 'blueGreen', previewDurationMs: 0, rollbackWindowMs: 10 * MIN }, analysis: { method: 'sequential' } }));
    bg.setPods('v2', pods(3)).setVersion('v2').reconcile();
    bg.advance(SEC).reconcile();
    expect(bg.status.phase).toBe('Promoting');
    const switched = Date.parse(bg.status.evidenceSince!);
    const d = bg.checkAfter(30 * SEC, since(switched, 30, 9));
    // no preview match: one judged period, so the whole 1 % (1 : 100)
    expect(d.events[0]?.message).toBe('GateFailed: v2 failed: 9 of 30 requests failed in 30s; 1 : 10866 against ≤ 1 % (falls back at 1 : 100); v1 back at 100 %');
  });
});
