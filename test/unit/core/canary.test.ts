import { canarySpec, failing, iso, MIN, noData, passing, pods, SEC, Shift, T0, unavailable } from './fixtures';

/** Adopted v1, shift to v2 started and at step 1 (5 %) since T0+1s. */
const atFirstStep = (spec = canarySpec()): Shift => Shift.adopted(spec).startShift('v2');

/** Pass every check until the shift leaves the given step count behind. */
const passSteps = (shift: Shift, steps: number): Shift => {
  for (let i = 0; i < steps; i++) {
    shift.checkAfter(30 * SEC, passing);
    shift.checkAfter(30 * SEC, passing);
  }
  return shift;
};

describe('canary: adoption and steady state', () => {
  it('adopts the first version as stable at 100 % with no analysis', () => {
    const d = Shift.adopted(canarySpec()).last;
    expect(d.status).toMatchObject({ phase: 'Idle', stableVersion: 'v1', weights: { stable: 100, candidate: 0 }, observedGeneration: 1 });
    expect(d.routes).toEqual({ stable: 'v1', weights: { stable: 100, candidate: 0 }, preview: false });
    expect(d.gateActive).toBe(false);
    expect(d.status.history?.map((h) => h.event)).toEqual(['Adopted']);
    expect(d.status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True' });
  });

  it('routes stable 100 % and resyncs every 5 minutes when spec.version is the stable version', () => {
    const shift = Shift.adopted(canarySpec());
    const before = shift.status;
    const d = shift.advance(MIN).reconcile();
    expect(d.status).toEqual(before);
    expect(d.routes).toEqual({ stable: 'v1', weights: { stable: 100, candidate: 0 }, preview: false });
    expect(d.requeueAfterMs).toBe(300_000);
    expect(d.events).toEqual([]);
  });
});

describe('canary: starting and readiness', () => {
  it('starts a new version at 0 % and gives it the first step once it has a ready pod', () => {
    const shift = Shift.adopted(canarySpec()).setPods('v2', pods(3)).setVersion('v2');
    const started = shift.reconcile();
    expect(started.status).toMatchObject({ phase: 'Progressing', candidateVersion: 'v2', step: -1, weights: { stable: 100, candidate: 0 }, consecutiveFailures: 0, startedAt: iso(T0) });
    expect(started.events).toEqual([{ type: 'Normal', reason: 'ShiftStarted', message: 'shift from v1 to v2 started (canary)' }]);
    const first = shift.advance(SEC).reconcile();
    expect(first.routes).toEqual({ stable: 'v1', candidate: 'v2', weights: { stable: 95, candidate: 5 }, preview: false });
    expect(first.status).toMatchObject({ step: 0, stepStartedAt: iso(T0 + SEC) });
    expect(first.gateActive).toBe(true);
  });

  it('holds a candidate with no ready pod at 0 % and falls back when progressDeadline passes', () => {
    const shift = Shift.adopted(canarySpec()).setPods('v2', pods(3, 0)).setVersion('v2');
    shift.reconcile();
    const held = shift.advance(5 * MIN).reconcile();
    expect(held.routes?.weights).toEqual({ stable: 100, candidate: 0 });
    expect(held.status.stalledSince).toBe(iso(T0 + 5 * MIN));
    expect(held.gateActive).toBe(false);
    shift.advance(10 * MIN - SEC).reconcile();
    expect(shift.status.phase).toBe('Progressing');
    const d = shift.advance(SEC).reconcile();
    expect(d.status.phase).toBe('RolledBack');
    expect(d.events).toEqual([{ type: 'Warning', reason: 'RolledBack', message: 'ProgressDeadlineExceeded: v2 had 0 of 3 pods ready for 10m; v1 back at 100 %' }]);
  });

  it('starts a version with no pods at all, since pods may still come', () => {
    const shift = Shift.adopted(canarySpec()).setVersion('v2');
    expect(shift.reconcile().status).toMatchObject({ phase: 'Progressing', candidateVersion: 'v2' });
    shift.advance(SEC).reconcile();
    shift.setPods('v2', pods(1)).advance(SEC).reconcile();
    expect(shift.status.weights).toEqual({ stable: 95, candidate: 5 });
    expect(shift.status.stalledSince).toBeUndefined();
  });

  it('falls back at once when a candidate serving traffic loses all its ready pods', () => {
    const shift = atFirstStep().setPods('v2', pods(3, 0));
    const d = shift.advance(SEC).reconcile();
    expect(d.routes?.weights).toEqual({ stable: 100, candidate: 0 });
    expect(d.status.phase).toBe('RolledBack');
    expect(d.events[0]?.message).toBe('CandidateNotReady: v2 had 0 of 3 pods ready while serving 5 % of traffic; v1 back at 100 %');
  });
});

describe('canary: stepping on the gate', () => {
  it('advances a step only after the step interval and a passing check taken during the step', () => {
    const shift = atFirstStep();
    expect(shift.checkAfter(30 * SEC, passing).status.step).toBe(0);
    const d = shift.checkAfter(30 * SEC, passing);
    expect(d.routes?.weights).toEqual({ stable: 75, candidate: 25 });
    expect(d.status.step).toBe(1);
    expect(d.status.stepStartedAt).toBe(iso(shift.now));
  });

  it('does not advance on a pass whose window ended before it could cover the step', () => {
    const shift = atFirstStep();
    shift.advance(MIN).reconcile({ gate: passing('v2', T0 + 20 * SEC) });
    expect(shift.status.step).toBe(0);
    expect(shift.status.lastGate?.result).toBe('Pass');
  });

  it('does not advance while the dwell lasts, however many checks pass', () => {
    const shift = atFirstStep();
    for (let i = 0; i < 5; i++) shift.checkAfter(10 * SEC, passing);
    expect(shift.status.step).toBe(0);
    expect(shift.checkAfter(10 * SEC, passing).status.step).toBe(1);
  });

  it('promotes after the last step passes: 100 % in phase Promoting first (still guarded), then the candidate becomes stable', () => {
    const shift = passSteps(atFirstStep(), 3);
    expect(shift.last.status).toMatchObject({ phase: 'Promoting', stableVersion: 'v1', weights: { stable: 0, candidate: 100 } });
    expect(shift.last.routes).toEqual({ stable: 'v1', candidate: 'v2', weights: { stable: 0, candidate: 100 }, preview: false });
    expect(shift.last.gateActive).toBe(true);
    expect(shift.last.requeueAfterMs).toBe(1000);
    const d = shift.advance(SEC).reconcile();
    expect(d.status).toMatchObject({ phase: 'Promoted', stableVersion: 'v2', weights: { stable: 100, candidate: 0 } });
    expect(d.status.candidateVersion).toBeUndefined();
    expect(d.routes).toEqual({ stable: 'v2', weights: { stable: 100, candidate: 0 }, preview: false });
    expect(d.status.conditions?.find((c) => c.type === 'Promoted')).toMatchObject({ status: 'True', reason: 'Promoted' });
    expect(d.status.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', reason: 'ShiftComplete' });
    expect(shift.historyEvents()).toEqual(['Adopted', 'ShiftStarted', 'StepAdvanced', 'StepAdvanced', 'StepAdvanced', 'Promoting', 'Promoted']);
  });

  it('falls back to stable in one write when the second check fails', () => {
    const shift = atFirstStep();
    const first = shift.checkAfter(30 * SEC, failing);
    expect(first.status).toMatchObject({ phase: 'Progressing', consecutiveFailures: 1 });
    expect(first.events).toEqual([{ type: 'Warning', reason: 'GateCheckFailed', message: 'failed check 1 of 2 before fallback: v2 failed 61 of 200 requests (30.5 %) in 30s; limit 1 %' }]);
    const second = shift.checkAfter(30 * SEC, failing);
    expect(second.routes).toEqual({ stable: 'v1', candidate: 'v2', weights: { stable: 100, candidate: 0 }, preview: false });
    expect(second.status).toMatchObject({ phase: 'RolledBack', consecutiveFailures: 2, stableVersion: 'v1', candidateVersion: 'v2' });
    expect(second.events.map((e) => e.reason)).toEqual(['GateCheckFailed', 'RolledBack']);
    expect(second.events[1]?.message).toBe(
      'GateFailed: v2 failed 2 checks in a row; last: v2 failed 61 of 200 requests (30.5 %) in 30s; limit 1 %; v1 back at 100 %',
    );
    expect(second.status.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', reason: 'RolledBack' });
  });

  it('a passing check between two failures resets the count', () => {
    const shift = atFirstStep();
    shift.checkAfter(30 * SEC, failing);
    expect(shift.checkAfter(30 * SEC, passing).status.consecutiveFailures).toBe(0);
    expect(shift.checkAfter(30 * SEC, failing).status.phase).toBe('Progressing');
  });

  it('counts a sample once: the same failing sample seen again is not a second failure', () => {
    const shift = atFirstStep();
    const sample = failing('v2', T0 + 30 * SEC);
    shift.advance(30 * SEC).reconcile({ gate: sample });
    shift.advance(30 * SEC).reconcile({ gate: sample });
    expect(shift.status).toMatchObject({ phase: 'Progressing', consecutiveFailures: 1 });
  });

  it('ignores samples of another version', () => {
    const shift = atFirstStep();
    shift.checkAfter(30 * SEC, failing, 'v1');
    shift.checkAfter(30 * SEC, failing, 'v1');
    expect(shift.status).toMatchObject({ phase: 'Progressing', consecutiveFailures: 0 });
  });
});

describe('canary: no data and Prometheus unavailable', () => {
  it('holds and never promotes while Prometheus is unavailable, falls back at progressDeadline', () => {
    const shift = atFirstStep();
    const first = shift.checkAfter(30 * SEC, unavailable);
    expect(first.status).toMatchObject({ phase: 'Progressing', consecutiveFailures: 0, stalledSince: iso(shift.now), step: 0 });
    for (let i = 0; i < 19; i++) expect(shift.checkAfter(30 * SEC, unavailable).status.phase).toBe('Progressing');
    expect(shift.status.step).toBe(0);
    const d = shift.checkAfter(30 * SEC, unavailable);
    expect(d.status.phase).toBe('RolledBack');
    expect(d.events[0]?.message).toBe(
      'ProgressDeadlineExceeded: no gate data for 10m: Prometheus unavailable: connect ECONNREFUSED 10.0.0.9:9090; v1 back at 100 %',
    );
  });

  it('no data is never a pass: with noData=hold it holds the step and runs the stall clock', () => {
    const shift = atFirstStep();
    for (let i = 0; i < 4; i++) shift.checkAfter(30 * SEC, noData);
    expect(shift.status).toMatchObject({ step: 0, consecutiveFailures: 0, stalledSince: iso(T0 + 31 * SEC) });
    expect(shift.status.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('NoGateData');
  });

  it('a verdict after a stretch without data clears the stall clock', () => {
    const shift = atFirstStep();
    shift.checkAfter(30 * SEC, unavailable);
    expect(shift.checkAfter(30 * SEC, passing).status.stalledSince).toBeUndefined();
  });

  it('with noData=fail no data counts as a failed check', () => {
    const shift = atFirstStep(canarySpec({ analysis: { noData: 'fail' } }));
    shift.checkAfter(30 * SEC, noData);
    expect(shift.checkAfter(30 * SEC, noData).status.phase).toBe('RolledBack');
  });
});

describe('canary: manual promotion and after a fallback', () => {
  it('manualPromotion waits at the last step until a promote command', () => {
    const shift = passSteps(atFirstStep(canarySpec({ manualPromotion: true })), 3);
    for (let i = 0; i < 4; i++) shift.checkAfter(30 * SEC, passing);
    expect(shift.status).toMatchObject({ phase: 'Progressing', stableVersion: 'v1', weights: { stable: 50, candidate: 50 } });
    expect(shift.status.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('AwaitingPromotion');
    expect(shift.historyEvents().filter((e) => e === 'AwaitingPromotion')).toHaveLength(1);
    const promoting = shift.advance(SEC).reconcile({ command: { _tag: 'Valid', id: 'p1', verb: 'promote', by: 'carol' } });
    expect(promoting.status).toMatchObject({ phase: 'Promoting', weights: { stable: 0, candidate: 100 } });
    const promoted = shift.advance(SEC).reconcile();
    expect(promoted.status).toMatchObject({ phase: 'Promoted', stableVersion: 'v2', weights: { stable: 100, candidate: 0 } });
  });

  it('RolledBack waits: the same version is not restarted automatically', () => {
    const shift = atFirstStep();
    shift.checkAfter(30 * SEC, failing);
    shift.checkAfter(30 * SEC, failing);
    const later = shift.advance(30 * MIN).reconcile();
    expect(later.status.phase).toBe('RolledBack');
    expect(later.routes?.weights).toEqual({ stable: 100, candidate: 0 });
    expect(later.requeueAfterMs).toBe(300_000);
    expect(later.events).toEqual([]);
  });

  it('a new version after a fallback starts a new shift', () => {
    const shift = atFirstStep();
    shift.checkAfter(30 * SEC, failing);
    shift.checkAfter(30 * SEC, failing);
    shift.setPods('v3', pods(2)).setVersion('v3');
    expect(shift.reconcile().status).toMatchObject({ phase: 'Progressing', candidateVersion: 'v3', consecutiveFailures: 0, step: -1 });
  });
});
