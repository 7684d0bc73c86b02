/**
 * Webhook answers as the core judges them (src/core/hooks.ts): which calls a decision asks for,
 * when, and what each answer does to the shift. The answers are plain values, as the adapter
 * (src/hooks) reports them; status is the only memory between reconciles.
 */
import { HookKind, ResolvedHook, ResolvedHooks, ResolvedSpec } from '../../../src/api/spec';
import { HookAnswer, HookCall } from '../../../src/core/types';
import { blueGreenSpec, canarySpec, command, failing, iso, MIN, passing, pods, SEC, Shift, T0 } from './fixtures';

const hook = (name: string): ResolvedHook => ({ name, url: `http://hooks.test/${name}`, timeoutMs: 10 * SEC, retries: 2, metadata: {} });
const hooks = (over: Partial<Record<HookKind, string[]>>): ResolvedHooks => ({
  signingSecret: { name: 'hooks', key: 'hmac' },
  preStart: (over.preStart ?? []).map(hook),
  preStep: (over.preStep ?? []).map(hook),
  during: (over.during ?? []).map(hook),
  confirmPromotion: (over.confirmPromotion ?? []).map(hook),
  postPromotion: (over.postPromotion ?? []).map(hook),
  onFallback: (over.onFallback ?? []).map(hook),
});
const withHooks = (over: Partial<Record<HookKind, string[]>>, spec: ResolvedSpec = canarySpec()): ResolvedSpec => ({ ...spec, hooks: hooks(over) });

const answered = (call: HookCall, code: number, latencyMs = 40): HookAnswer => ({ ...call, _tag: 'Answered', code, latencyMs, requests: 1 });
const silent = (call: HookCall, reason = 'timed out after 10s'): HookAnswer => ({ ...call, _tag: 'NoAnswer', reason, latencyMs: 32_000, requests: 3 });
const callsOf = (shift: Shift, kind?: HookKind): readonly HookCall[] => (shift.last.hookCalls ?? []).filter((c) => kind === undefined || c.kind === kind);
const only = (shift: Shift, kind: HookKind): HookCall => {
  const calls = callsOf(shift, kind);
  expect(calls).toHaveLength(1);
  return calls[0]!;
};

/**
 * Adopted v1 at T0, then spec.version v2 with ready pods: the shift started at T0, and at T0+1s
 * its first step was considered (the reconcile that asks for preStart and preStep hooks).
 */
const started = (spec: ResolvedSpec): Shift => {
  const shift = Shift.adopted(spec).setPods('v2', pods(3)).setVersion('v2');
  shift.reconcile();
  shift.advance(SEC).reconcile();
  return shift;
};

describe('preStart hooks', () => {
  it('are called before any candidate traffic, and the first step waits for all of them to pass', () => {
    const shift = started(withHooks({ preStart: ['smoke', 'db'] }));
    const calls = callsOf(shift, 'preStart');
    expect(calls).toEqual([
      { kind: 'preStart', name: 'smoke', occasion: iso(T0), attempt: 1 },
      { kind: 'preStart', name: 'db', occasion: iso(T0), attempt: 1 },
    ]);
    expect(shift.last.routes?.weights).toEqual({ stable: 100, candidate: 0 });
    expect(shift.last.status.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ reason: 'AwaitingHook' });

    const one = shift.advance(SEC).reconcile({ hooks: [answered(calls[0]!, 200, 132)] });
    expect(one.routes?.weights).toEqual({ stable: 100, candidate: 0 });
    expect(one.status.hooks).toEqual([
      { kind: 'preStart', name: 'smoke', occasion: iso(T0), attempt: 1, result: 'Pass', code: 200, latencyMs: 132, requests: 1, failures: 0, time: iso(T0 + 2 * SEC), message: 'answered 200 in 132 ms' },
    ]);
    expect(one.events).toEqual([{ type: 'Normal', reason: 'HookPassed', message: 'preStart hook smoke answered 200 in 132 ms' }]);
    // The one still out is asked again (same call: the adapter makes it once), the passed one is not.
    expect(callsOf(shift)).toEqual([calls[1]]);

    const both = shift.advance(SEC).reconcile({ hooks: [answered(calls[0]!, 200), answered(calls[1]!, 204)] });
    expect(both.routes?.weights).toEqual({ stable: 95, candidate: 5 });
    expect(both.status.step).toBe(0);
    expect(both.hookCalls).toBeUndefined();
  });

  it('are not called again after a restart once they passed; an unanswered one is asked again with the same call', () => {
    const shift = started(withHooks({ preStart: ['smoke'] }));
    const call = only(shift, 'preStart');
    // A new daemon: no answers in memory, status as written.
    shift.advance(5 * SEC).reconcile();
    expect(callsOf(shift)).toEqual([call]);
    shift.advance(SEC).reconcile({ hooks: [answered(call, 200)] });
    expect(shift.status.step).toBe(0);
    const again = shift.advance(30 * SEC).reconcile({ gate: passing('v2', shift.now) });
    expect(callsOf(shift, 'preStart')).toEqual([]);
    expect(again.status.hooks?.filter((r) => r.kind === 'preStart')).toHaveLength(1);
  });

  it('hold after a failure, ask again one analysis.interval later, and fall back after failureThreshold failures', () => {
    const shift = started(withHooks({ preStart: ['smoke'] }));
    const first = only(shift, 'preStart');
    const failed = shift.advance(SEC).reconcile({ hooks: [answered(first, 500, 20)] });
    expect(failed.status.phase).toBe('Progressing');
    expect(failed.routes?.weights).toEqual({ stable: 100, candidate: 0 });
    expect(failed.events).toEqual([{ type: 'Warning', reason: 'HookFailed', message: 'preStart hook smoke answered 500 in 20 ms (failure 1 of 2 before fallback)' }]);
    expect(failed.hookCalls).toBeUndefined();
    expect(failed.requeueAfterMs).toBe(30 * SEC);

    shift.advance(29 * SEC).reconcile({ hooks: [answered(first, 500, 20)] });
    expect(callsOf(shift)).toEqual([]);
    shift.advance(SEC).reconcile({ hooks: [answered(first, 500, 20)] });
    const second = only(shift, 'preStart');
    expect(second).toEqual({ ...first, attempt: 2 });

    const rolled = shift.advance(SEC).reconcile({ hooks: [silent(second)] });
    expect(rolled.status.phase).toBe('RolledBack');
    expect(rolled.routes?.weights).toEqual({ stable: 100, candidate: 0 });
    expect(rolled.events.map((e) => e.message)).toEqual([
      'preStart hook smoke no answer after 3 requests in 32 s: timed out after 10s (failure 2 of 2 before fallback)',
      'HookFailed: preStart hook smoke failed 2 times in a row; last: no answer after 3 requests in 32 s: timed out after 10s; v1 back at 100 %',
    ]);
  });

  it('keep a blue-green preview away from the candidate until they pass', () => {
    const shift = started(withHooks({ preStart: ['smoke'] }, blueGreenSpec()));
    expect(shift.last.routes?.preview).toBe(false);
    const call = only(shift, 'preStart');
    const d = shift.advance(SEC).reconcile({ hooks: [answered(call, 200)] });
    expect(d.routes?.preview).toBe(true);
  });
});

/** A canary with preStep hooks at step 0 (5 %), after its first step's call passed. */
const atStepZero = (spec: ResolvedSpec): Shift => {
  const shift = started(spec);
  const first = callsOf(shift, 'preStep');
  shift.advance(SEC).reconcile({ hooks: first.map((c) => answered(c, 200)) });
  expect(shift.status.step).toBe(0);
  return shift;
};

describe('preStep hooks', () => {
  it('gate each weight increase; anything but 2xx holds without running the stall clock', () => {
    const shift = started(withHooks({ preStep: ['traffic-ok'] }));
    expect(only(shift, 'preStep').occasion).toBe(`${iso(T0)}/step-0`);
    shift.advance(SEC).reconcile({ hooks: [answered(only(shift, 'preStep'), 200)] });
    expect(shift.status.weights).toEqual({ stable: 95, candidate: 5 });

    shift.checkAfter(30 * SEC, passing);
    shift.checkAfter(30 * SEC, passing);
    const ask = only(shift, 'preStep');
    expect(ask.occasion).toBe(`${iso(T0)}/step-1`);
    expect(shift.status.weights).toEqual({ stable: 95, candidate: 5 });
    // Refused for far longer than progressDeadline: still held at 5 %, never fallen back.
    let call = ask;
    for (let i = 0; i < 30; i++) {
      shift.advance(SEC).reconcile({ hooks: [answered(call, 409)], gate: passing('v2', shift.now) });
      shift.advance(30 * SEC).reconcile({ gate: passing('v2', shift.now) });
      call = only(shift, 'preStep');
    }
    expect(shift.status).toMatchObject({ phase: 'Progressing', weights: { stable: 95, candidate: 5 } });
    expect(shift.status.stalledSince).toBeUndefined();
    expect(call.attempt).toBe(31);
    const up = shift.advance(SEC).reconcile({ hooks: [answered(call, 200)], gate: passing('v2', shift.now) });
    expect(up.status.weights).toEqual({ stable: 75, candidate: 25 });
  });
});

describe('during hooks', () => {
  it('are called once per analysis.interval while the candidate has traffic, and never before', () => {
    const shift = started(withHooks({ during: ['load'] }));
    expect(callsOf(shift, 'during')).toEqual([]);
    shift.advance(SEC).reconcile();
    expect(shift.status.step).toBe(0);
    const first = only(shift, 'during');
    expect(first.occasion).toBe(`${iso(T0)}/during-0`);
    shift.advance(10 * SEC).reconcile({ hooks: [answered(first, 200)] });
    expect(callsOf(shift, 'during')).toEqual([]);
    expect(shift.last.events).toEqual([]);
    shift.advance(20 * SEC).reconcile({ hooks: [answered(first, 200)] });
    expect(only(shift, 'during').occasion).toBe(`${iso(T0)}/during-1`);
  });

  it('count each failure like a failed check, hold the step meanwhile, and fall back after failureThreshold in a row', () => {
    const shift = started(withHooks({ during: ['smoke'] }));
    shift.advance(SEC).reconcile();
    const first = only(shift, 'during');
    shift.advance(30 * SEC).reconcile({ hooks: [answered(first, 503)], gate: passing('v2', shift.now) });
    expect(shift.last.events).toEqual([{ type: 'Warning', reason: 'HookFailed', message: 'during hook smoke answered 503 in 40 ms (failed check 1 of 2 before fallback)' }]);
    // The gate passed and the dwell is over, but the failing hook holds the step.
    const held = shift.advance(30 * SEC).reconcile({ gate: passing('v2', shift.now) });
    expect(held.status.weights).toEqual({ stable: 95, candidate: 5 });
    expect(held.status.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ reason: 'HookFailing' });
    const second = only(shift, 'during');
    const rolled = shift.advance(SEC).reconcile({ hooks: [answered(second, 500)] });
    expect(rolled.status.phase).toBe('RolledBack');
    expect(rolled.events.at(-1)?.message).toBe('HookFailed: during hook smoke failed 2 checks in a row; last: answered 500 in 40 ms; v1 back at 100 %');
  });

  it('a pass between failures resets the count, and the step advances on the next pass', () => {
    const shift = started(withHooks({ during: ['smoke'] }));
    shift.advance(SEC).reconcile();
    shift.advance(30 * SEC).reconcile({ hooks: [answered(only(shift, 'during'), 500)] });
    expect(shift.status.hooks?.[0]).toMatchObject({ result: 'Fail', failures: 1 });
    const second = only(shift, 'during');
    expect(second.occasion).toBe(`${iso(T0)}/during-1`);
    const recovered = shift.advance(29 * SEC).reconcile({ hooks: [answered(second, 200)], gate: passing('v2', shift.now) });
    expect(recovered.events.find((e) => e.reason === 'HookPassed')?.message).toBe('during hook smoke answered 200 in 40 ms (recovered)');
    expect(recovered.status.hooks?.[0]).toMatchObject({ result: 'Pass', failures: 0 });
    expect(recovered.status.weights).toEqual({ stable: 75, candidate: 25 });
  });
});

describe('confirmPromotion hooks', () => {
  /** At the last step (50 %) with its dwell over and a fresh pass. */
  const atLastStep = (spec: ResolvedSpec): Shift => {
    const shift = atStepZero(spec);
    for (let i = 0; i < 3; i++) {
      shift.checkAfter(30 * SEC, passing);
      shift.checkAfter(30 * SEC, passing);
    }
    return shift;
  };

  it('must answer 200 before the candidate gets 100 %; 202 holds', () => {
    const shift = atLastStep(withHooks({ confirmPromotion: ['change-board'] }));
    expect(shift.status.weights).toEqual({ stable: 50, candidate: 50 });
    const ask = only(shift, 'confirmPromotion');
    expect(ask.occasion).toBe(`${iso(T0)}/promote`);
    shift.advance(SEC).reconcile({ hooks: [answered(ask, 202)], gate: passing('v2', shift.now) });
    expect(shift.status.weights).toEqual({ stable: 50, candidate: 50 });
    expect(shift.last.status.hooks?.[0]).toMatchObject({ result: 'Fail', code: 202 });
    shift.advance(30 * SEC).reconcile({ gate: passing('v2', shift.now) });
    const again = only(shift, 'confirmPromotion');
    expect(again.attempt).toBe(2);
    const yes = shift.advance(SEC).reconcile({ hooks: [answered(again, 200)], gate: passing('v2', shift.now) });
    expect(yes.status).toMatchObject({ phase: 'Promoting', weights: { stable: 0, candidate: 100 } });
  });

  it('are skipped by a promote command, which is itself the approval', () => {
    const shift = atLastStep(withHooks({ confirmPromotion: ['change-board'] }));
    const d = shift.advance(SEC).reconcile({ command: command('c1', 'promote') });
    expect(d.status).toMatchObject({ phase: 'Promoting', weights: { stable: 0, candidate: 100 } });
  });
});

describe('postPromotion and onFallback hooks', () => {
  it('onFallback is asked for in the decision that falls back, until an answer (even a 500) is recorded', () => {
    const shift = atStepZero(withHooks({ onFallback: ['pager'] }));
    shift.checkAfter(30 * SEC, failing);
    const rolled = shift.checkAfter(30 * SEC, failing);
    expect(rolled.status.phase).toBe('RolledBack');
    const call = only(shift, 'onFallback');
    expect(call).toEqual({ kind: 'onFallback', name: 'pager', occasion: iso(T0), attempt: 1 });
    // A crash before the answer: the next daemon asks again.
    shift.advance(MIN).reconcile();
    expect(callsOf(shift)).toEqual([call]);
    const told = shift.advance(SEC).reconcile({ hooks: [answered(call, 500)] });
    expect(told.status.hooks?.[0]).toMatchObject({ kind: 'onFallback', result: 'Fail', code: 500 });
    expect(told.events).toEqual([{ type: 'Warning', reason: 'HookFailed', message: 'onFallback hook pager answered 500 in 40 ms' }]);
    expect(shift.advance(MIN).reconcile().hookCalls).toBeUndefined();
  });

  it('postPromotion is asked for once the shift is Promoted, and never before', () => {
    const shift = atStepZero(withHooks({ postPromotion: ['notify-cd'] }));
    for (let i = 0; i < 3 && shift.status.phase === 'Progressing'; i++) {
      shift.checkAfter(30 * SEC, passing);
      expect(callsOf(shift, 'postPromotion')).toEqual([]);
      shift.checkAfter(30 * SEC, passing);
    }
    expect(shift.status.phase).toBe('Promoting');
    expect(callsOf(shift, 'postPromotion')).toEqual([]);
    shift.advance(SEC).reconcile();
    expect(shift.status.phase).toBe('Promoted');
    const call = only(shift, 'postPromotion');
    shift.advance(SEC).reconcile({ hooks: [answered(call, 200)] });
    expect(shift.status.hooks?.find((r) => r.kind === 'postPromotion')).toMatchObject({ result: 'Pass' });
    expect(shift.advance(MIN).reconcile().hookCalls).toBeUndefined();
  });

  it('a new run forgets the last run\'s answers', () => {
    const shift = atStepZero(withHooks({ preStep: ['ok'] }));
    expect(shift.status.hooks).toHaveLength(1);
    shift.setPods('v3', pods(2)).setVersion('v3').advance(SEC).reconcile();
    expect(shift.status.candidateVersion).toBe('v3');
    expect(shift.status.hooks).toBeUndefined();
  });
});
