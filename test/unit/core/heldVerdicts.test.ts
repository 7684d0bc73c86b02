/**
 * A held verdict that repeats the last one apart from its time changes nothing in the status, so
 * a waiting shift's status is not rewritten every gate tick (issue 12). Counted failures, passes
 * and the first hold of a new period still write a fresh record.
 */
import { ShiftStatus } from '../../../src/api/status';
import { sameVerdict } from '../../../src/core/gate';
import { canarySpec, command, failing, iso, measured, noData, passing, SEC, Shift, T0, unavailable } from './fixtures';

/** Adopted v1, shift to v2 started and at step 1 (5 %) since T0+1s. */
const atFirstStep = (spec = canarySpec()): Shift => Shift.adopted(spec).startShift('v2');

/** T0+1s (step start) + 30s: the time of the first gate check after the step began. */
const FIRST_CHECK = T0 + 31 * SEC;

describe('held verdicts that repeat the last one', () => {
  it('leave the status unchanged: a repeated NoData keeps the first record and its time', () => {
    const shift = atFirstStep();
    const first = shift.checkAfter(30 * SEC, noData).status;
    expect(first.lastGate).toMatchObject({ result: 'NoData', time: iso(FIRST_CHECK) });
    for (let i = 1; i <= 3; i++) {
      const d = shift.checkAfter(30 * SEC, noData);
      expect(d.status).toEqual(first);
      expect(d.events).toEqual([]);
    }
  });

  it('leave the status unchanged for a repeated Unavailable too', () => {
    const shift = atFirstStep();
    const first = shift.checkAfter(30 * SEC, unavailable).status;
    expect(first.lastGate).toMatchObject({ result: 'Unavailable', time: iso(FIRST_CHECK) });
    expect(shift.checkAfter(30 * SEC, unavailable).status).toEqual(first);
  });

  it('a NoData with other numbers is news: the record and its time move', () => {
    const shift = atFirstStep();
    shift.checkAfter(30 * SEC, noData);
    const d = shift.checkAfter(30 * SEC, (v, at) => measured(v, at, 7, 0));
    expect(d.status.lastGate).toMatchObject({ result: 'NoData', requests: 7, time: iso(FIRST_CHECK + 30 * SEC) });
  });

  it('a change of verdict is news: Unavailable after NoData writes the new record', () => {
    const shift = atFirstStep();
    shift.checkAfter(30 * SEC, noData);
    expect(shift.checkAfter(30 * SEC, unavailable).status.lastGate).toMatchObject({ result: 'Unavailable', time: iso(FIRST_CHECK + 30 * SEC) });
  });

  it('a counted NoData (noData: fail) moves the time, so each sample counts once and the second falls back', () => {
    const shift = atFirstStep(canarySpec({ analysis: { noData: 'fail' } }));
    const once = shift.checkAfter(30 * SEC, noData);
    expect(once.status).toMatchObject({ consecutiveFailures: 1, lastGate: { time: iso(FIRST_CHECK) } });
    // the same sample seen by another reconcile (a pod event) is not counted again
    const again = shift.reconcile({ gate: noData('v2', FIRST_CHECK) });
    expect(again.status.consecutiveFailures).toBe(1);
    expect(shift.checkAfter(30 * SEC, noData).status.phase).toBe('RolledBack');
  });

  it('identical passes still move the time, so the dwell is covered and the step advances', () => {
    const shift = atFirstStep();
    shift.checkAfter(30 * SEC, passing);
    const d = shift.checkAfter(30 * SEC, passing);
    expect(d.status.lastGate?.time).toBe(iso(FIRST_CHECK + 30 * SEC));
    expect(d.status.step).toBe(1);
  });

  it('identical failures count one by one up to the fallback', () => {
    const shift = atFirstStep();
    expect(shift.checkAfter(30 * SEC, failing).status.consecutiveFailures).toBe(1);
    expect(shift.checkAfter(30 * SEC, failing).status.phase).toBe('RolledBack');
  });

  it('the first hold of a new step period writes a fresh record (resume moved the step start past the old one)', () => {
    const shift = atFirstStep();
    shift.checkAfter(30 * SEC, noData);
    shift.advance(9 * SEC).reconcile({ command: command('c1', 'pause') });
    shift.advance(60 * SEC).reconcile({ command: command('c2', 'resume') });
    expect(Date.parse(shift.status.stepStartedAt ?? '')).toBeGreaterThan(FIRST_CHECK);
    const d = shift.checkAfter(30 * SEC, noData);
    expect(d.status.lastGate?.time).toBe(iso(shift.now));
    expect(shift.checkAfter(30 * SEC, noData).status).toEqual(d.status);
  });

  it('a repeated hold of an earlier run is not kept: a new run records its own first check', () => {
    const shift = atFirstStep();
    shift.checkAfter(30 * SEC, noData);
    shift.advance(SEC).reconcile({ command: command('c1', 'abort') });
    shift.advance(SEC).reconcile({ command: command('c2', 'retry') });
    shift.advance(SEC).reconcile();
    expect(Date.parse(shift.status.startedAt ?? '')).toBeGreaterThan(FIRST_CHECK);
    const d = shift.checkAfter(30 * SEC, noData);
    expect(d.status.lastGate?.time).toBe(iso(shift.now));
  });
});

describe('sameVerdict', () => {
  const record: NonNullable<ShiftStatus['lastGate']> = {
    result: 'NoData', version: 'v2', threshold: 0.05, window: '30s', windowMs: 30_000, time: iso(T0), message: 'v2 served 3 requests in 30s',
    requests: 3, errors: 0, errorRate: 0, compared: { version: 'v1', requests: 40, errors: 0 },
  };

  it('ignores the time and the order of keys, as the API server may return them', () => {
    const reordered = Object.fromEntries(Object.entries({ ...record, time: iso(T0 + SEC), compared: { errors: 0, requests: 40, version: 'v1' } }).reverse());
    expect(sameVerdict(reordered as unknown as typeof record, record)).toBe(true);
  });

  it('sees a changed number, a changed nested number and a member present on one side only', () => {
    expect(sameVerdict({ ...record, requests: 4 }, record)).toBe(false);
    expect(sameVerdict({ ...record, compared: { version: 'v1', requests: 41, errors: 0 } }, record)).toBe(false);
    expect(sameVerdict({ ...record, hold: 'SharedFailure' }, record)).toBe(false);
    expect(sameVerdict(record, { ...record, hold: 'SharedFailure' })).toBe(false);
    expect(sameVerdict({ ...record, p99LatencyMs: undefined }, record)).toBe(true);
  });
});
