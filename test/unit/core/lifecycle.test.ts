import { HISTORY_LIMIT } from '../../../src/api/status';
import { decide } from '../../../src/core/decide';
import { ScheduleView } from '../../../src/core/types';
import { canarySpec, failing, input, iso, MIN, passing, pods, schedule, SEC, Shift, T0 } from './fixtures';

const canaryAt5 = (): Shift => Shift.adopted(canarySpec()).startShift('v2');

describe('schedule', () => {
  it('a new version waits for its scheduled start with stable at 100 %, and requeues at the start', () => {
    const shift = Shift.adopted(canarySpec()).setPods('v2', pods(3)).setVersion('v2');
    const next = T0 + 2 * 3600 * SEC;
    const d = shift.advance(SEC).reconcile({ schedule: schedule({ startDue: false, nextStart: next }) });
    expect(d.status).toMatchObject({ phase: 'Waiting', waitingSince: iso(T0 + SEC), nextStart: iso(next) });
    expect(d.routes).toEqual({ stable: 'v1', weights: { stable: 100, candidate: 0 }, preview: false });
    const later = shift.advance(MIN).reconcile({ schedule: schedule({ startDue: false, nextStart: next }) });
    expect(later.status.waitingSince).toBe(iso(T0 + SEC));
    expect(later.requeueAfterMs).toBe(next - shift.now > 300_000 ? 300_000 : next - shift.now);
    expect(shift.advance(MIN).reconcile({ schedule: schedule({ startDue: false, nextStart: T0 + 3 * MIN + 30 * SEC }) }).requeueAfterMs).toBe(89_000);
    const started = shift.advance(MIN).reconcile({ schedule: schedule({ startDue: true }) });
    expect(started.status).toMatchObject({ phase: 'Progressing', candidateVersion: 'v2' });
    expect(started.status.waitingSince).toBeUndefined();
  });

  it('a waiting version reverted in the spec leaves the shift Idle', () => {
    const shift = Shift.adopted(canarySpec()).setPods('v2', pods(3)).setVersion('v2');
    shift.reconcile({ schedule: schedule({ startDue: false }) });
    expect(shift.setVersion('v1').advance(SEC).reconcile().status.phase).toBe('Idle');
  });

  it('holds advancement outside the windows but still falls back on a failing gate', () => {
    const shift = canaryAt5();
    const closed = { schedule: schedule({ inWindow: false }) };
    for (let i = 0; i < 6; i++) shift.checkAfter(30 * SEC, passing, 'v2', closed);
    expect(shift.status.weights).toEqual({ stable: 95, candidate: 5 });
    expect(shift.status.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('OutsideWindow');
    shift.checkAfter(30 * SEC, failing, 'v2', closed);
    expect(shift.checkAfter(30 * SEC, failing, 'v2', closed).status).toMatchObject({ phase: 'RolledBack', weights: { stable: 100, candidate: 0 } });
  });

  it('asks the schedule only what the decision needs: nothing when steady, the start when waiting, the window when running', () => {
    const asked: string[] = [];
    const counting = (): ScheduleView => {
      const view = schedule({ startDue: false, nextStart: T0 + 3600 * SEC });
      return { start: () => (asked.push('start'), view.start()), window: () => (asked.push('window'), view.window()) };
    };
    const shift = Shift.adopted(canarySpec()).setPods('v2', pods(3));
    shift.advance(SEC).reconcile({ schedule: counting() });
    expect(asked).toEqual([]);
    shift.setVersion('v2').advance(SEC).reconcile({ schedule: counting() });
    expect(asked.length).toBeGreaterThan(0);
    expect(new Set(asked)).toEqual(new Set(['start']));
    asked.length = 0;
    const running = canaryAt5();
    running.advance(SEC).reconcile({ schedule: counting() });
    expect(new Set(asked)).toEqual(new Set(['window']));
  });

  it('the first step also waits for a window', () => {
    const shift = Shift.adopted(canarySpec()).setPods('v2', pods(3)).setVersion('v2');
    shift.reconcile();
    expect(shift.advance(SEC).reconcile({ schedule: schedule({ inWindow: false }) }).status.weights).toEqual({ stable: 100, candidate: 0 });
    expect(shift.advance(SEC).reconcile({ schedule: schedule({ inWindow: true }) }).status.weights).toEqual({ stable: 95, candidate: 5 });
  });
});

describe('spec.version changing mid-shift', () => {
  it('a new version mid-shift never routes to two candidates: the old drops to 0 and the new starts at 0 in one change', () => {
    const shift = canaryAt5();
    shift.checkAfter(30 * SEC, passing);
    shift.checkAfter(30 * SEC, passing);
    expect(shift.status.weights).toEqual({ stable: 75, candidate: 25 });
    const d = shift.setPods('v3', pods(3)).setVersion('v3').advance(SEC).reconcile();
    expect(d.routes).toEqual({ stable: 'v1', candidate: 'v3', weights: { stable: 100, candidate: 0 }, preview: false });
    expect(d.status).toMatchObject({ phase: 'Progressing', candidateVersion: 'v3', step: -1, message: 'v3 superseded v2 (which had 25 %)' });
    expect(d.events.map((e) => e.reason)).toEqual(['Superseded', 'ShiftStarted']);
  });

  it('a new version mid-shift whose start is not due drops the old candidate and waits', () => {
    const shift = canaryAt5();
    const d = shift.setPods('v3', pods(3)).setVersion('v3').advance(SEC).reconcile({ schedule: schedule({ startDue: false }) });
    expect(d.routes).toEqual({ stable: 'v1', weights: { stable: 100, candidate: 0 }, preview: false });
    expect(d.status.phase).toBe('Waiting');
  });

  it('spec.version set back to the stable version mid-shift returns to stable 100 % and Idle', () => {
    const d = canaryAt5().setVersion('v1').advance(SEC).reconcile();
    expect(d.routes).toEqual({ stable: 'v1', weights: { stable: 100, candidate: 0 }, preview: false });
    expect(d.status.phase).toBe('Idle');
    expect(d.status.candidateVersion).toBeUndefined();
    expect(d.events[0]?.reason).toBe('Reverted');
  });
});

describe('conditions, history and requeue', () => {
  it('moves lastTransitionTime only when a condition flips', () => {
    const shift = canaryAt5();
    const progressing = () => shift.status.conditions?.find((c) => c.type === 'Progressing');
    const since = progressing()?.lastTransitionTime;
    shift.checkAfter(30 * SEC, passing);
    shift.checkAfter(30 * SEC, passing);
    expect(progressing()).toMatchObject({ status: 'True', reason: 'StepAdvanced', lastTransitionTime: since });
    shift.setVersion('v1').advance(SEC).reconcile();
    expect(progressing()).toMatchObject({ status: 'False', lastTransitionTime: iso(shift.now) });
  });

  it('stamps observedGeneration on the status and its conditions', () => {
    const d = Shift.adopted(canarySpec()).setPods('v2', pods(1)).setVersion('v2').reconcile();
    expect(d.status.observedGeneration).toBe(2);
    expect(d.status.conditions?.every((c) => c.observedGeneration === 2)).toBe(true);
  });

  it(`keeps at most ${HISTORY_LIMIT} history entries, newest last`, () => {
    const shift = canaryAt5();
    for (let i = 0; i < 60; i++) {
      shift.advance(SEC).reconcile({ command: { _tag: 'Invalid', id: `c${i}`, raw: 'x', reason: 'unknown' } });
    }
    expect(shift.status.history).toHaveLength(HISTORY_LIMIT);
    expect(shift.status.history?.at(-1)?.message).toBe('"x" by an unnamed user rejected: unknown');
  });

  it('requeues at the earliest of the gate interval and the dwell end, never below 1s', () => {
    const shift = canaryAt5();
    expect(shift.last.requeueAfterMs).toBe(30_000);
    expect(shift.advance(45 * SEC).reconcile().requeueAfterMs).toBe(15_000);
    expect(shift.advance(15 * SEC + 900).reconcile().requeueAfterMs).toBe(30_000);
  });

  it('requeues at the progress deadline while a candidate without ready pods holds (at most the 5m resync)', () => {
    const shift = Shift.adopted(canarySpec({ progressDeadlineMs: 2 * MIN })).setPods('v2', pods(2, 0)).setVersion('v2');
    shift.reconcile();
    // First at 80 % of the deadline (the warning that it approaches), then at the deadline.
    expect(shift.advance(SEC).reconcile().requeueAfterMs).toBe(96 * SEC);
    expect(shift.advance(SEC).reconcile().requeueAfterMs).toBe(95 * SEC);
    expect(shift.advance(95 * SEC).reconcile().requeueAfterMs).toBe(24 * SEC);
  });

  it('warns once, at 80 % of progressDeadline, that a stalled shift is about to fall back', () => {
    const shift = Shift.adopted(canarySpec({ progressDeadlineMs: 2 * MIN })).setPods('v2', pods(2, 0)).setVersion('v2');
    shift.reconcile();
    shift.advance(SEC).reconcile();
    expect(shift.advance(95 * SEC).reconcile().events).toEqual([]);
    expect(shift.advance(SEC).reconcile().events).toEqual([{
      type: 'Warning',
      reason: 'ProgressDeadlineApproaching',
      message: 'v2 has made no progress for 1m36s; it falls back in 24s (progressDeadline 2m) unless that changes: waiting: v2 had 0 of 2 pods ready',
    }]);
    expect(shift.advance(10 * SEC).reconcile().events).toEqual([]);
    expect(shift.historyEvents().filter((e) => e === 'ProgressDeadlineApproaching')).toHaveLength(1);
    // Ready again: the stall ends and so does the marker.
    shift.setPods('v2', pods(2, 2)).advance(SEC).reconcile();
    expect(shift.status.stalledSince).toBeUndefined();
    expect(shift.status.stallWarnedFor).toBeUndefined();
  });

  it('is deterministic: the same input twice gives deep-equal decisions', () => {
    const i = input(canarySpec({ version: 'v2' }), canaryAt5().status);
    const observed = { pods: { v1: pods(3), v2: pods(3) }, gate: failing('v2', T0 + MIN) };
    expect(decide(i, observed, T0 + MIN)).toEqual(decide(i, observed, T0 + MIN));
  });
});
