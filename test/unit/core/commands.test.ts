import { blueGreenSpec, canarySpec, command, failing, invalid, iso, MIN, passing, pods, schedule, SEC, Shift, T0 } from './fixtures';

/** Adopted v1, v2 at the first canary step (5 %) since T0+1s. */
const canaryAt5 = (): Shift => Shift.adopted(canarySpec()).startShift('v2');
/** Adopted v1, v2 previewed (blue-green) since T0. */
const preview = (): Shift => {
  const shift = Shift.adopted(blueGreenSpec()).setPods('v2', pods(3)).setVersion('v2');
  shift.reconcile();
  return shift;
};
const rolledBack = (): Shift => {
  const shift = canaryAt5();
  shift.checkAfter(30 * SEC, failing);
  shift.checkAfter(30 * SEC, failing);
  return shift;
};

describe('commands: promote', () => {
  it('promotes a canary to 100 % at once, skipping the remaining steps', () => {
    const shift = canaryAt5();
    const d = shift.advance(SEC).reconcile({ command: command('c1', 'promote') });
    expect(d.status).toMatchObject({ phase: 'Promoting', stableVersion: 'v1', lastCommandId: 'c1', weights: { stable: 0, candidate: 100 } });
    expect(d.events.map((e) => e.reason)).toEqual(['CommandApplied', 'Promoting']);
    expect(d.status.history?.at(-2)).toMatchObject({ event: 'CommandApplied', by: 'alice', message: 'promote by alice: v2 to 100 % now' });
    const promoted = shift.advance(SEC).reconcile();
    expect(promoted.status).toMatchObject({ phase: 'Promoted', stableVersion: 'v2', weights: { stable: 100, candidate: 0 } });
    expect(promoted.events.map((e) => e.reason)).toEqual(['Promoted']);
  });

  it('switches a blue-green preview into the rollback window, and promotes from there on a second promote', () => {
    const shift = preview();
    expect(shift.advance(SEC).reconcile({ command: command('c1', 'promote') }).status).toMatchObject({ phase: 'Promoting', weights: { stable: 0, candidate: 100 } });
    expect(shift.advance(SEC).reconcile({ command: command('c2', 'promote') }).status).toMatchObject({ phase: 'Promoted', stableVersion: 'v2' });
  });

  it('is rejected when no shift is in progress', () => {
    const d = Shift.adopted(canarySpec()).advance(SEC).reconcile({ command: command('c1', 'promote') });
    expect(d.events).toEqual([{ type: 'Warning', reason: 'CommandRejected', message: 'promote by alice rejected: nothing to promote: no shift in progress' }]);
    expect(d.status).toMatchObject({ phase: 'Idle', stableVersion: 'v1', lastCommandId: 'c1' });
  });

  it('is rejected while the candidate has no ready pod', () => {
    const shift = Shift.adopted(canarySpec()).setPods('v2', pods(2, 0)).setVersion('v2');
    shift.reconcile();
    const d = shift.advance(SEC).reconcile({ command: command('c1', 'promote') });
    expect(d.events[0]?.message).toBe('promote by alice rejected: cannot promote: v2 had 0 of 2 pods ready');
    expect(d.status.phase).toBe('Progressing');
  });

  it("is recorded as an explicit override outside the schedule's windows", () => {
    const d = canaryAt5().advance(SEC).reconcile({ command: command('c1', 'promote'), schedule: schedule({ inWindow: false }) });
    expect(d.status.phase).toBe('Promoting');
    expect(d.status.history?.at(-2)?.message).toBe("promote by alice: v2 to 100 % now (outside the schedule's windows: explicit override)");
  });
});

describe('commands: abort and retry', () => {
  it('abort falls back at once to stable 100 %, naming who aborted', () => {
    const d = canaryAt5().advance(SEC).reconcile({ command: command('c1', 'abort', { by: 'bob' }) });
    expect(d.routes?.weights).toEqual({ stable: 100, candidate: 0 });
    expect(d.status.phase).toBe('RolledBack');
    expect(d.events[1]).toEqual({ type: 'Warning', reason: 'RolledBack', message: 'Aborted: aborted by bob; v1 back at 100 %' });
  });

  it('abort is rejected when no shift is in progress', () => {
    expect(rolledBack().advance(SEC).reconcile({ command: command('c1', 'abort') }).events[0]?.message).toBe(
      'abort by alice rejected: nothing to abort: no shift in progress',
    );
  });

  it('retry restarts a rolled-back candidate from the beginning with failures reset', () => {
    const shift = rolledBack();
    const d = shift.advance(MIN).reconcile({ command: command('c1', 'retry') });
    expect(d.status).toMatchObject({ phase: 'Progressing', candidateVersion: 'v2', step: -1, consecutiveFailures: 0, startedAt: iso(shift.now) });
    expect(shift.advance(SEC).reconcile().status.weights).toEqual({ stable: 95, candidate: 5 });
  });

  it('retry is rejected unless the shift was rolled back', () => {
    expect(canaryAt5().advance(SEC).reconcile({ command: command('c1', 'retry') }).events[0]?.message).toBe(
      'retry by alice rejected: retry needs a rolled-back shift',
    );
  });
});

describe('commands: pause, resume and set-weight', () => {
  it('pause freezes the weights and the dwell: nothing advances while paused', () => {
    const shift = canaryAt5();
    shift.advance(SEC).reconcile({ command: command('c1', 'pause') });
    for (let i = 0; i < 10; i++) shift.checkAfter(30 * SEC, passing);
    expect(shift.status).toMatchObject({ phase: 'Paused', pausedFrom: 'Progressing', weights: { stable: 95, candidate: 5 } });
    expect(shift.last.gateActive).toBe(true);
  });

  it('a failing gate still falls back while paused', () => {
    const shift = canaryAt5();
    shift.advance(SEC).reconcile({ command: command('c1', 'pause') });
    shift.checkAfter(30 * SEC, failing);
    expect(shift.checkAfter(30 * SEC, failing).status).toMatchObject({ phase: 'RolledBack', weights: { stable: 100, candidate: 0 } });
  });

  it('resume returns to the prior phase with the step clock moved forward by the paused time', () => {
    const shift = canaryAt5();
    shift.advance(20 * SEC).reconcile({ command: command('c1', 'pause') });
    const d = shift.advance(5 * MIN).reconcile({ command: command('c2', 'resume') });
    expect(d.status).toMatchObject({ phase: 'Progressing', stepStartedAt: iso(T0 + SEC + 5 * MIN) });
    expect(d.status.pausedAt).toBeUndefined();
    // 40s of the 1m dwell were left at the pause: they run out 40s after resume, not before.
    expect(shift.checkAfter(39 * SEC, passing).status.step).toBe(0);
    expect(shift.checkAfter(1 * SEC, passing).status.step).toBe(1);
  });

  it('pause is rejected when already paused, resume when not paused', () => {
    const shift = canaryAt5();
    shift.advance(SEC).reconcile({ command: command('c1', 'pause') });
    expect(shift.advance(SEC).reconcile({ command: command('c2', 'pause') }).events[0]?.message).toBe('pause by alice rejected: already paused');
    shift.advance(SEC).reconcile({ command: command('c3', 'resume') });
    expect(shift.advance(SEC).reconcile({ command: command('c4', 'resume') }).events[0]?.message).toBe('resume by alice rejected: not paused');
  });

  it('set-weight routes the given share to the candidate and holds it (Paused, ManualWeight)', () => {
    const d = canaryAt5().advance(SEC).reconcile({ command: command('c1', 'set-weight', { weight: 40 }) });
    expect(d.routes?.weights).toEqual({ stable: 60, candidate: 40 });
    expect(d.status.phase).toBe('Paused');
    expect(d.status.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ reason: 'ManualWeight', message: 'v2 set to 40 % by alice; held until resume' });
  });

  it('resume after set-weight returns to the current step weight', () => {
    const shift = canaryAt5();
    shift.advance(SEC).reconcile({ command: command('c1', 'set-weight', { weight: 40 }) });
    expect(shift.advance(SEC).reconcile({ command: command('c2', 'resume') }).routes?.weights).toEqual({ stable: 95, candidate: 5 });
  });

  it.each([
    [140, 'weight must be a whole number from 0 to 100, got 140'],
    [-1, 'weight must be a whole number from 0 to 100, got -1'],
    [2.5, 'weight must be a whole number from 0 to 100, got 2.5'],
    [undefined, 'weight must be a whole number from 0 to 100, got undefined'],
  ])('set-weight %s is rejected', (weight, reason) => {
    const d = canaryAt5().advance(SEC).reconcile({ command: command('c1', 'set-weight', weight === undefined ? {} : { weight }) });
    expect(d.events[0]?.message).toBe(`set-weight by alice rejected: ${reason}`);
    expect(d.routes?.weights).toEqual({ stable: 95, candidate: 5 });
  });

  it('set-weight is rejected without a candidate', () => {
    const d = Shift.adopted(canarySpec()).advance(SEC).reconcile({ command: command('c1', 'set-weight', { weight: 10 }) });
    expect(d.events[0]?.message).toBe('set-weight by alice rejected: no candidate to set a weight for: no shift in progress');
  });
});

describe('commands: shift-to, invalid commands and idempotence', () => {
  it('shift-to asks the daemon to set spec.version when pods carry that version', () => {
    const shift = Shift.adopted(canarySpec()).setPods('v3', pods(1));
    const d = shift.advance(SEC).reconcile({ command: command('c1', 'shift-to', { version: 'v3' }) });
    expect(d.setSpecVersion).toBe('v3');
    expect(d.status.history?.at(-1)).toMatchObject({ event: 'CommandApplied', message: 'shift-to by alice: spec.version v1 -> v3' });
  });

  it('shift-to is rejected when no pod carries the version', () => {
    const d = Shift.adopted(canarySpec()).advance(SEC).reconcile({ command: command('c1', 'shift-to', { version: 'v9' }) });
    expect(d.setSpecVersion).toBeUndefined();
    expect(d.events[0]?.message).toBe('shift-to by alice rejected: no pods with version=v9 behind reviews');
  });

  it('an invalid command is rejected with its reason and changes nothing else', () => {
    const shift = canaryAt5();
    const before = shift.last;
    const d = shift.advance(SEC).reconcile({ command: invalid('c1', 'promte', 'unknown command "promte"; expected one of promote, abort, pause, resume, retry, set-weight, shift-to') });
    expect(d.events).toEqual([{ type: 'Warning', reason: 'CommandRejected', message: '"promte" by alice rejected: unknown command "promte"; expected one of promote, abort, pause, resume, retry, set-weight, shift-to' }]);
    expect(d.routes).toEqual(before.routes);
    expect({ ...d.status, history: [], lastCommandId: undefined }).toEqual({ ...before.status, history: [], lastCommandId: undefined });
  });

  it('a command whose id was already applied is ignored silently', () => {
    const shift = canaryAt5();
    shift.advance(SEC).reconcile({ command: command('c1', 'pause') });
    shift.advance(SEC).reconcile({ command: command('c1', 'pause') });
    expect(shift.last.events).toEqual([]);
    expect(shift.historyEvents().filter((e) => e.startsWith('Command'))).toEqual(['CommandApplied']);
  });
});
