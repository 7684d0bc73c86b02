import type { ShiftStatus } from '../../../src/api/status';
import { Recorder } from '../../../demo/recorder';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const gate = (version: string, seconds: number, errorRate: number) => ({
  result: 'Pass' as const, version, errorRate, threshold: 0.01, window: '6s', time: new Date(T0 + seconds * 1000).toISOString(), message: '',
});
const at = (seconds: number) => T0 + seconds * 1000;

describe('Recorder', () => {
  it('charts weights by version, so a promotion shows the candidate at 100 % and the old stable at 0', () => {
    const r = new Recorder('t', T0, 3, { stable: 'v1', candidate: 'v2' });
    r.record({ phase: 'Idle', stableVersion: 'v1', weights: { stable: 100, candidate: 0 } }, at(0.4));
    r.record({ phase: 'Progressing', stableVersion: 'v1', candidateVersion: 'v2', weights: { stable: 70, candidate: 30 } }, at(10));
    r.record({ phase: 'Promoted', stableVersion: 'v2', weights: { stable: 100, candidate: 0 } }, at(31));
    r.finish(at(32));
    expect(r.weights).toEqual([
      { t: 0, stable: 100, candidate: 0 }, // the first reading is the starting point
      { t: 10, stable: 70, candidate: 30 },
      { t: 31, stable: 0, candidate: 100 },
      { t: 32, stable: 0, candidate: 100 },
    ]);
    expect(r.maxCandidate).toBe(100);
    expect(r.zeroSeenMs).toBeUndefined();
  });

  it('notes when the candidate is first seen back at 0 after having traffic', () => {
    const r = new Recorder('t', T0, 3, { stable: 'v2', candidate: 'v3' });
    r.record({ stableVersion: 'v2', weights: { stable: 100, candidate: 0 } }, at(0.5));
    r.record({ stableVersion: 'v2', candidateVersion: 'v3', weights: { stable: 90, candidate: 10 } }, at(1));
    r.record({ stableVersion: 'v2', candidateVersion: 'v3', weights: { stable: 100, candidate: 0 } }, at(13));
    r.record({ stableVersion: 'v2', candidateVersion: 'v3', weights: { stable: 100, candidate: 0 } }, at(14));
    expect(r.zeroSeenMs).toBe(at(13));
  });

  it("keeps each gate reading of the candidate once, and none of another version's or from before the story", () => {
    const r = new Recorder('t', T0, 3, { stable: 'v2', candidate: 'v3' });
    const s = (g: ReturnType<typeof gate>): ShiftStatus => ({ stableVersion: 'v2', candidateVersion: 'v3', weights: { stable: 90, candidate: 10 }, lastGate: g });
    r.record(s(gate('v2', -5, 0)), at(1));
    r.record(s(gate('v3', -1, 0.5)), at(1));
    r.record(s(gate('v3', 6, 0.2)), at(7));
    r.record(s(gate('v3', 6, 0.2)), at(8));
    r.record(s(gate('v4', 9, 0.1)), at(9));
    expect(r.gate).toEqual([{ t: 6, rate: 0.2 }]);
  });
});
