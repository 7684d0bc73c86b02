import { ResolvedSpec } from '../../../src/api/spec';
import { blueGreenSpec, canarySpec, failing, MIN, noData, passing, pods, SEC, Shift, unavailable } from './fixtures';

const MIRROR = { percentage: 50, iterations: 4 };

/** A canary (steps 5/25/50) that mirrors 50 % of requests for 4 x 30s first. */
const mirrorCanary = (changes: Partial<ResolvedSpec> = {}): ResolvedSpec =>
  canarySpec({ strategy: { kind: 'canary', steps: [5, 25, 50], stepIntervalMs: MIN, mirror: MIRROR }, ...changes });

/** Adopted v1; v2 started at the current time with `p` pods. */
const mirroring = (spec = mirrorCanary(), p = pods(3)): Shift => {
  const shift = Shift.adopted(spec).setPods('v2', p).setVersion('v2');
  shift.reconcile();
  return shift;
};

const passChecks = (shift: Shift, n: number): Shift => {
  for (let i = 0; i < n; i++) shift.checkAfter(30 * SEC, passing);
  return shift;
};

const progressingReason = (shift: Shift): string | undefined => shift.status.conditions?.find((c) => c.type === 'Progressing')?.reason;

/** Candidate weights of every history entry: what clients could have been served by v2. */
const candidateWeights = (shift: Shift): number[] => (shift.status.history ?? []).map((h) => h.weights?.candidate ?? 0);

describe('canary mirroring: copies of stable\'s requests judge the candidate before the first step', () => {
  it('mirrors to the candidate at weight 0 and guards it, so the gate samples the copies', () => {
    const d = mirroring().last;
    expect(d.status).toMatchObject({ phase: 'Progressing', candidateVersion: 'v2', step: -1, weights: { stable: 100, candidate: 0 } });
    expect(d.routes).toEqual({ stable: 'v1', candidate: 'v2', weights: { stable: 100, candidate: 0 }, preview: false, mirror: true });
    expect(d.gateActive).toBe(true);
  });

  it('holds through iterations - 1 passing checks, then enters the first step and stops mirroring', () => {
    const shift = passChecks(mirroring(), 3);
    expect(shift.status).toMatchObject({ phase: 'Progressing', step: -1, weights: { candidate: 0 } });
    expect(progressingReason(shift)).toBe('Mirroring');
    expect(shift.last.routes?.mirror).toBe(true);
    const d = shift.checkAfter(30 * SEC, passing);
    expect(d.status).toMatchObject({ phase: 'Progressing', step: 0, weights: { stable: 95, candidate: 5 } });
    expect(d.routes).toEqual({ stable: 'v1', candidate: 'v2', weights: { stable: 95, candidate: 5 }, preview: false });
    expect(shift.historyEvents()).toEqual(['Adopted', 'ShiftStarted', 'MirrorPassed', 'StepAdvanced']);
    expect(shift.status.history?.find((h) => h.event === 'MirrorPassed')?.message).toBe(
      'v2 passed 4 gate intervals on mirrored requests (v2 passed: 1 of 200 requests failed (0.5 %) in 30s; limit 1 %)');
  });

  it('does not step on time alone: a failing check after the iterations holds until a fresh Pass', () => {
    const shift = passChecks(mirroring(), 3);
    shift.checkAfter(30 * SEC, failing);
    expect(shift.status).toMatchObject({ phase: 'Progressing', step: -1, consecutiveFailures: 1 });
    const d = shift.checkAfter(30 * SEC, passing);
    expect(d.status).toMatchObject({ step: 0, weights: { candidate: 5 } });
  });

  it('falls back while mirroring without any client ever served by the candidate, and stops mirroring in the same write', () => {
    const shift = passChecks(mirroring(), 1);
    shift.checkAfter(30 * SEC, failing);
    const d = shift.checkAfter(30 * SEC, failing);
    expect(d.status).toMatchObject({ phase: 'RolledBack', stableVersion: 'v1', weights: { stable: 100, candidate: 0 } });
    expect(d.routes).toEqual({ stable: 'v1', candidate: 'v2', weights: { stable: 100, candidate: 0 }, preview: false });
    expect(d.gateActive).toBe(false);
    expect(candidateWeights(shift).length).toBeGreaterThanOrEqual(4);
    expect(candidateWeights(shift).every((w) => w === 0)).toBe(true);
    expect(shift.historyEvents()).toEqual(['Adopted', 'ShiftStarted', 'GateCheckFailed', 'GateCheckFailed', 'RolledBack']);
  });

  it('falls back at once on a decisive sequential Fail while mirroring', () => {
    const shift = mirroring(mirrorCanary({ analysis: { ...mirrorCanary().analysis, method: 'sequential' } }));
    const d = shift.checkAfter(30 * SEC, (v, at) => ({ _tag: 'Measured', version: v, at, windowMs: 30 * SEC, requests: 200, errors: 61 }));
    expect(d.status.phase).toBe('RolledBack');
    expect(d.routes?.mirror).toBeUndefined();
  });

  it('no data on the copies holds and runs the stall clock toward progressDeadline', () => {
    const shift = mirroring();
    for (let i = 0; i < 6; i++) shift.checkAfter(30 * SEC, noData);
    expect(shift.status).toMatchObject({ phase: 'Progressing', step: -1 });
    expect(progressingReason(shift)).toBe('NoGateData');
    expect(shift.status.stalledSince).toBeDefined();
    shift.advance(10 * MIN);
    const d = shift.reconcile({ gate: unavailable('v2', shift.now) });
    expect(d.status.phase).toBe('RolledBack');
  });

  it('mirrors nothing to a candidate without a ready pod, and does not sample it', () => {
    const d = mirroring(mirrorCanary(), pods(2, 0)).last;
    expect(d.routes?.mirror).toBeUndefined();
    expect(d.gateActive).toBe(false);
  });

  it('keeps mirroring while paused at step -1 (the guard still samples), and resumes the dwell', () => {
    const shift = passChecks(mirroring(), 1);
    const d = shift.advance(SEC).reconcile({ command: { _tag: 'Valid', id: 'c1', verb: 'pause', by: 'alice' } });
    expect(d.status.phase).toBe('Paused');
    expect(d.routes?.mirror).toBe(true);
    expect(d.gateActive).toBe(true);
  });

  it('a canary without mirror is unchanged: step 0 as soon as the candidate is ready, no mirror in the routes', () => {
    const shift = Shift.adopted(canarySpec()).setPods('v2', pods(3)).setVersion('v2');
    shift.reconcile();
    const d = shift.advance(SEC).reconcile();
    expect(d.status).toMatchObject({ step: 0 });
    expect(d.routes).toEqual({ stable: 'v1', candidate: 'v2', weights: { stable: 95, candidate: 5 }, preview: false });
  });
});

describe('blue-green mirroring: the switch waits for iterations and a fresh Pass on the copies', () => {
  const spec = (): ResolvedSpec =>
    blueGreenSpec({ strategy: { kind: 'blueGreen', previewDurationMs: 0, rollbackWindowMs: 10 * MIN, mirror: { percentage: 100, iterations: 2 } } });

  it('mirrors before the switch, switches after the iterations with a Pass, and stops mirroring at the switch', () => {
    const shift = mirroring(spec());
    expect(shift.last.routes).toEqual({ stable: 'v1', candidate: 'v2', weights: { stable: 100, candidate: 0 }, preview: false, mirror: true });
    shift.checkAfter(30 * SEC, passing);
    expect(shift.status.phase).toBe('Progressing');
    expect(progressingReason(shift)).toBe('Previewing');
    const d = shift.checkAfter(30 * SEC, passing);
    expect(d.status).toMatchObject({ phase: 'Promoting', weights: { stable: 0, candidate: 100 } });
    expect(d.routes?.mirror).toBeUndefined();
  });

  it('no data on the copies blocks the switch (mirrored traffic is not optional like a preview)', () => {
    const shift = mirroring(spec());
    for (let i = 0; i < 4; i++) shift.checkAfter(30 * SEC, noData);
    expect(shift.status.phase).toBe('Progressing');
    expect(progressingReason(shift)).toBe('NoGateData');
  });

  it('falls back on failing checks before the switch: stable 100 %, no mirror', () => {
    const shift = mirroring(spec());
    shift.checkAfter(30 * SEC, failing);
    const d = shift.checkAfter(30 * SEC, failing);
    expect(d.status).toMatchObject({ phase: 'RolledBack', weights: { stable: 100, candidate: 0 } });
    expect(d.routes?.mirror).toBeUndefined();
  });
});
