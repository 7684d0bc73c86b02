import { blueGreenSpec, failing, iso, MIN, noData, passing, pods, SEC, Shift, T0, unavailable } from './fixtures';

/** Adopted v1; v2 (3 ready pods) started at T0 with preview on x-preview: yes for 2m, rollback window 10m. */
const previewing = (spec = blueGreenSpec(), p = pods(3)): Shift => {
  const shift = Shift.adopted(spec).setPods('v2', p).setVersion('v2');
  shift.reconcile();
  return shift;
};

/** ... and switched at T0+2m on passing preview checks. */
const switched = (): Shift => {
  const shift = previewing();
  shift.checkAfter(MIN, passing);
  shift.checkAfter(MIN, passing);
  return shift;
};

/** Pass checks every 30s for `ms`. */
const passFor = (shift: Shift, ms: number): Shift => {
  for (let t = 0; t < ms; t += 30 * SEC) shift.checkAfter(30 * SEC, passing);
  return shift;
};

describe('blue-green: preview, switch, rollback window, Promoted', () => {
  it('previews the candidate to matching requests while stable keeps 100 %', () => {
    const d = previewing().last;
    expect(d.status).toMatchObject({ phase: 'Progressing', candidateVersion: 'v2', weights: { stable: 100, candidate: 0 } });
    expect(d.routes).toEqual({ stable: 'v1', candidate: 'v2', weights: { stable: 100, candidate: 0 }, preview: true });
    expect(d.gateActive).toBe(true);
  });

  it('switches all traffic to the candidate in one change after the preview duration on a passing preview', () => {
    const shift = previewing();
    expect(shift.checkAfter(MIN, passing).status.phase).toBe('Progressing');
    const d = shift.checkAfter(MIN, passing);
    expect(d.status).toMatchObject({ phase: 'Promoting', stableVersion: 'v1', weights: { stable: 0, candidate: 100 }, stepStartedAt: iso(T0 + 2 * MIN) });
    expect(d.routes).toEqual({ stable: 'v1', candidate: 'v2', weights: { stable: 0, candidate: 100 }, preview: false });
    expect(d.events).toEqual([{ type: 'Normal', reason: 'Switched', message: 'v2 serves 100 %; v1 stays routable for 10m (preview done)' }]);
  });

  it('becomes Promoted after the rollback window on a passing check, dropping the old stable', () => {
    const shift = passFor(switched(), 9 * MIN + 30 * SEC);
    expect(shift.status.phase).toBe('Promoting');
    const d = shift.checkAfter(30 * SEC, passing);
    expect(d.status).toMatchObject({ phase: 'Promoted', stableVersion: 'v2', weights: { stable: 100, candidate: 0 } });
    expect(d.routes).toEqual({ stable: 'v2', weights: { stable: 100, candidate: 0 }, preview: false });
    expect(shift.historyEvents()).toEqual(['Adopted', 'ShiftStarted', 'Switched', 'Promoted']);
  });

  it('a failing gate in the rollback window switches back to stable in one write', () => {
    const shift = passFor(switched(), 3 * MIN);
    shift.checkAfter(30 * SEC, failing);
    const d = shift.checkAfter(30 * SEC, failing);
    expect(d.status).toMatchObject({ phase: 'RolledBack', stableVersion: 'v1', weights: { stable: 100, candidate: 0 } });
    expect(d.routes).toEqual({ stable: 'v1', candidate: 'v2', weights: { stable: 100, candidate: 0 }, preview: false });
  });

  it('never promotes while Prometheus is unavailable in the rollback window, and falls back at progressDeadline', () => {
    const shift = switched();
    for (let i = 0; i < 20; i++) shift.checkAfter(30 * SEC, unavailable);
    expect(shift.status.phase).toBe('Promoting');
    const d = shift.checkAfter(30 * SEC, unavailable);
    expect(d.status.phase).toBe('RolledBack');
    expect(d.routes?.weights).toEqual({ stable: 100, candidate: 0 });
  });

  it('pausing in the rollback window freezes it; resume returns to Promoting with the window moved forward', () => {
    const shift = passFor(switched(), MIN);
    shift.advance(SEC).reconcile({ command: { _tag: 'Valid', id: 'c1', verb: 'pause', by: 'alice' } });
    passFor(shift, 20 * MIN);
    expect(shift.status).toMatchObject({ phase: 'Paused', pausedFrom: 'Promoting', weights: { stable: 0, candidate: 100 } });
    const resumed = shift.advance(SEC).reconcile({ command: { _tag: 'Valid', id: 'c2', verb: 'resume', by: 'alice' } });
    expect(resumed.status).toMatchObject({ phase: 'Promoting', weights: { stable: 0, candidate: 100 } });
    expect(resumed.routes?.candidate).toBe('v2');
    passFor(shift, 8 * MIN);
    expect(shift.status.phase).toBe('Promoting');
    passFor(shift, 2 * MIN);
    expect(shift.status.phase).toBe('Promoted');
  });

  it('switches back at once when the candidate loses all ready pods after the switch', () => {
    const shift = switched().setPods('v2', pods(3, 0));
    expect(shift.advance(SEC).reconcile().status).toMatchObject({ phase: 'RolledBack', weights: { stable: 100, candidate: 0 } });
  });
});

describe('blue-green: what holds the switch', () => {
  it('waits until every candidate pod is ready, and falls back when that takes longer than progressDeadline', () => {
    const shift = previewing(blueGreenSpec(), pods(3, 2));
    const held = shift.checkAfter(5 * MIN, passing);
    expect(held.status).toMatchObject({ phase: 'Progressing', stalledSince: iso(T0 + 5 * MIN) });
    expect(held.status.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('CandidateNotReady');
    const d = shift.advance(10 * MIN).reconcile();
    expect(d.events[0]?.message).toBe('ProgressDeadlineExceeded: v2 had 2 of 3 pods ready for 10m; v1 back at 100 %');
  });

  it('routes no preview requests to a candidate without a ready pod, and does not sample it', () => {
    const d = previewing(blueGreenSpec(), pods(2, 0)).last;
    expect(d.routes).toEqual({ stable: 'v1', candidate: 'v2', weights: { stable: 100, candidate: 0 }, preview: false });
    expect(d.gateActive).toBe(false);
  });

  it('a failing preview check blocks the switch, and failureThreshold of them fall back', () => {
    const shift = previewing();
    shift.checkAfter(MIN, passing);
    expect(shift.checkAfter(MIN, failing).status).toMatchObject({ phase: 'Progressing', consecutiveFailures: 1 });
    expect(shift.advance(MIN).reconcile().status.phase).toBe('Progressing');
    expect(shift.checkAfter(MIN, failing).status.phase).toBe('RolledBack');
  });

  it('no data in the preview does not block the switch, whatever noData says', () => {
    const shift = previewing(blueGreenSpec({ analysis: { noData: 'fail' } }));
    shift.checkAfter(MIN, noData);
    const d = shift.checkAfter(MIN, noData);
    expect(d.status).toMatchObject({ phase: 'Promoting', consecutiveFailures: 0 });
  });

  it('without a previewMatch nothing reaches the candidate before the switch and the gate is not sampled', () => {
    const spec = blueGreenSpec({ strategy: { kind: 'blueGreen', previewDurationMs: 0, rollbackWindowMs: 5 * MIN } });
    const shift = previewing(spec);
    expect(shift.last.routes?.preview).toBe(false);
    expect(shift.last.gateActive).toBe(false);
    expect(shift.advance(SEC).reconcile().status.phase).toBe('Promoting');
  });

  it('manualPromotion waits for a promote command to switch', () => {
    const shift = previewing(blueGreenSpec({ manualPromotion: true }));
    for (let i = 0; i < 6; i++) shift.checkAfter(MIN, passing);
    expect(shift.status.phase).toBe('Progressing');
    expect(shift.status.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('AwaitingPromotion');
  });
});
