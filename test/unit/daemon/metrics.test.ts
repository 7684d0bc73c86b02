import { PHASES, ShiftStatus } from '../../../src/api/status';
import { Decision } from '../../../src/core/types';
import { forgetShift, observeDecision, registry } from '../../../src/daemon/metrics';

/** Series lines of /metrics that name the shift shop/<name>. */
const seriesOf = async (name: string): Promise<string[]> =>
  (await registry.metrics()).split('\n').filter((l) => !l.startsWith('#') && l.includes('namespace="shop"') && l.includes(`name="${name}"`));

const decision = (status: Partial<ShiftStatus>, reasons: string[]): Decision =>
  ({ status: { phase: 'Progressing', ...status }, events: reasons.map((reason) => ({ type: 'Normal', reason, message: reason })) }) as unknown as Decision;

describe('per-shift metrics', () => {
  it('a deleted shift leaves no series behind: phase, weights, step, gate, rollbacks and promotions', async () => {
    const before = { phase: 'Progressing' } as ShiftStatus;
    observeDecision('shop', 'reviews', before, decision({
      stableVersion: 'v1', candidateVersion: 'v2', weights: { stable: 80, candidate: 20 }, step: 0,
      lastGate: { result: 'Fail', time: '2026-12-03T08:00:00Z', errorRate: 0.2, requests: 50 },
    } as Partial<ShiftStatus>, ['RolledBack', 'Promoted']));
    observeDecision('shop', 'other', before, decision({ stableVersion: 'v1' } as Partial<ShiftStatus>, []));
    const series = await seriesOf('reviews');
    const names = new Set(series.map((l) => l.slice(0, l.indexOf('{'))));
    expect([...names].sort()).toEqual([
      'sluice_gate_error_rate', 'sluice_gate_requests', 'sluice_promotions_total', 'sluice_rollbacks_total', 'sluice_shift_phase', 'sluice_shift_step', 'sluice_shift_weight',
    ]);
    expect(series.filter((l) => l.startsWith('sluice_shift_phase'))).toHaveLength(PHASES.length);

    forgetShift('shop', 'reviews');
    expect(await seriesOf('reviews')).toEqual([]);
    expect((await seriesOf('other')).length).toBeGreaterThan(0); // another shift keeps its own
  });
});
