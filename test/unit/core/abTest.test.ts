import { abTestSpec, command, failing, iso, noData, passing, pods, SEC, Shift, T0 } from './fixtures';

/** Adopted v1; v2 (3 ready pods) started at T0: cookie beta=1 reaches v2, judged for 4 x 30s. */
const testing = (spec = abTestSpec(), p = pods(3)): Shift => {
  const shift = Shift.adopted(spec).setPods('v2', p).setVersion('v2');
  shift.reconcile();
  return shift;
};

const passChecks = (shift: Shift, n: number): Shift => {
  for (let i = 0; i < n; i++) shift.checkAfter(30 * SEC, passing);
  return shift;
};

const progressingReason = (shift: Shift): string | undefined => shift.status.conditions?.find((c) => c.type === 'Progressing')?.reason;

describe('A/B test: matching requests to the candidate, judged for iterations intervals', () => {
  it('routes matching requests to the candidate while stable keeps every weight, and guards it', () => {
    const d = testing().last;
    expect(d.status).toMatchObject({ phase: 'Progressing', candidateVersion: 'v2', weights: { stable: 100, candidate: 0 } });
    expect(d.routes).toEqual({ stable: 'v1', candidate: 'v2', weights: { stable: 100, candidate: 0 }, preview: true });
    expect(d.gateActive).toBe(true);
  });

  it('holds through iterations - 1 passing checks and promotes on the check that completes the iterations', () => {
    const shift = passChecks(testing(), 3);
    expect(shift.status.phase).toBe('Progressing');
    expect(progressingReason(shift)).toBe('Testing');
    const d = shift.checkAfter(30 * SEC, passing);
    expect(d.status).toMatchObject({ phase: 'Promoting', weights: { stable: 0, candidate: 100 }, stepStartedAt: iso(T0 + 2 * 60 * SEC) });
    expect(d.routes).toEqual({ stable: 'v1', candidate: 'v2', weights: { stable: 0, candidate: 100 }, preview: false });
    const done = shift.advance(SEC).reconcile();
    expect(done.status).toMatchObject({ phase: 'Promoted', stableVersion: 'v2' });
    expect(shift.historyEvents()).toEqual(['Adopted', 'ShiftStarted', 'Promoting', 'Promoted']);
  });

  it('does not promote on time alone: no data after the iterations holds and counts toward the deadline', () => {
    const shift = testing();
    for (let i = 0; i < 6; i++) shift.checkAfter(30 * SEC, noData);
    expect(shift.status.phase).toBe('Progressing');
    expect(progressingReason(shift)).toBe('NoGateData');
    expect(shift.status.stalledSince).toBeDefined();
  });

  it('falls back to stable (and drops the matching route) after failureThreshold failing checks', () => {
    const shift = passChecks(testing(), 1);
    shift.checkAfter(30 * SEC, failing);
    const d = shift.checkAfter(30 * SEC, failing);
    expect(d.status).toMatchObject({ phase: 'RolledBack', stableVersion: 'v1', weights: { stable: 100, candidate: 0 } });
    expect(d.routes).toEqual({ stable: 'v1', candidate: 'v2', weights: { stable: 100, candidate: 0 }, preview: false });
  });

  it('with manualPromotion waits after the iterations, then a promote command takes the candidate to 100 %', () => {
    const shift = passChecks(testing(abTestSpec({ manualPromotion: true })), 8);
    expect(shift.status.phase).toBe('Progressing');
    expect(progressingReason(shift)).toBe('AwaitingPromotion');
    const d = shift.advance(SEC).reconcile({ command: command('c1', 'promote') });
    expect(d.status).toMatchObject({ phase: 'Promoting', weights: { stable: 0, candidate: 100 } });
  });

  it('does not route matching requests to a candidate without a ready pod', () => {
    const d = testing(abTestSpec(), pods(2, 0)).last;
    expect(d.routes?.preview).toBe(false);
    expect(d.status.phase).toBe('Progressing');
  });
});
