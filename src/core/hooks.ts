/**
 * Webhook answers judged by the core (docs/adr/0009-hooks-are-observations.md). The daemon's
 * adapter (src/hooks) makes the calls a Decision asks for and reports how each ended
 * (Observations.hooks); the core records each answer once in status.hooks, and that record is
 * its only memory of it:
 *   - gating hooks (preStart, preStep, confirmPromotion) are called once per occasion until all
 *     pass; a failed one is called again each analysis.interval. preStart failures fall back after
 *     analysis.failureThreshold; preStep and confirmPromotion hold (an approval may take hours);
 *   - `during` is called once per analysis.interval while the candidate has traffic; each failure
 *     counts like a failed check, and failureThreshold failures in a row fall back;
 *   - postPromotion and onFallback are called once the status says Promoted / RolledBack, until an
 *     answer (any answer) is recorded: at least once per run, never blocking anything.
 * Pure: the same status, answers and time give the same calls.
 */
import { HookKind } from '../api/spec';
import { HookRecord, ShiftStatus } from '../api/status';
import { showNumber } from './gate';
import { Ctx, guarded, iso, msOf, Note, patch, runOf, showDuration, Step } from './state';
import { HookAnswer, HookCall } from './types';

/** How the hooks of one kind stand for one occasion. */
export type HookGate =
  | { readonly _tag: 'Passed'; readonly status: ShiftStatus; readonly notes: readonly Note[] }
  | { readonly _tag: 'Waiting'; readonly status: ShiftStatus; readonly notes: readonly Note[]; readonly calls: readonly HookCall[]; readonly message: string; readonly wakeAt: number }
  | { readonly _tag: 'Failed'; readonly status: ShiftStatus; readonly notes: readonly Note[]; readonly why: string };

/** The occasions of a run, as HookRecord.occasion spells them. */
export const occasion = {
  preStart: (status: ShiftStatus): string => runOf(status),
  step: (status: ShiftStatus, index: number): string => `${runOf(status)}/step-${index}`,
  switch: (status: ShiftStatus): string => `${runOf(status)}/switch`,
  promote: (status: ShiftStatus): string => `${runOf(status)}/promote`,
  during: (status: ShiftStatus, interval: number): string => `${runOf(status)}/during-${interval}`,
};

const recordOf = (status: ShiftStatus, kind: HookKind, name: string): HookRecord | undefined =>
  status.hooks?.find((r) => r.kind === kind && r.name === name);

const withRecord = (status: ShiftStatus, record: HookRecord): ShiftStatus =>
  patch(status, { hooks: [...(status.hooks ?? []).filter((r) => r.kind !== record.kind || r.name !== record.name), record] });

const sameCall = (a: HookCall, b: HookCall): boolean => a.kind === b.kind && a.name === b.name && a.occasion === b.occasion && a.attempt === b.attempt;

const answerFor = (ctx: Ctx, call: HookCall): HookAnswer | undefined => ctx.observed.hooks?.find((a) => sameCall(a, call));

/** The one rule of what a hook's answer means: 2xx passes; confirmPromotion needs exactly 200. */
export const passes = (kind: HookKind, answer: HookAnswer): boolean =>
  answer._tag === 'Answered' && (kind === 'confirmPromotion' ? answer.code === 200 : answer.code >= 200 && answer.code < 300);

const tries = (a: HookAnswer): string => (a.requests > 1 ? ` after ${a.requests} requests` : '');

/** An answer in words: "answered 200 in 132 ms", "no answer after 3 requests in 30.2 s: timed out after 10s". */
export const describeAnswer = (a: HookAnswer): string => {
  const took = a.latencyMs < 1000 ? `${Math.round(a.latencyMs)} ms` : `${showNumber(a.latencyMs / 1000)} s`;
  return a._tag === 'Answered' ? `answered ${a.code} in ${took}${tries(a)}` : `no answer${tries(a)} in ${took}: ${a.reason}`;
};

const recordAnswer = (ctx: Ctx, answer: HookAnswer, failures: number): HookRecord => ({
  kind: answer.kind,
  name: answer.name,
  occasion: answer.occasion,
  attempt: answer.attempt,
  result: passes(answer.kind, answer) ? 'Pass' : 'Fail',
  ...(answer._tag === 'Answered' ? { code: answer.code } : {}),
  latencyMs: Math.round(answer.latencyMs),
  requests: answer.requests,
  failures,
  time: iso(ctx.now),
  message: describeAnswer(answer),
});

const hookNote = (record: HookRecord, tail = ''): Note => ({
  event: record.result === 'Pass' ? 'HookPassed' : 'HookFailed',
  message: `${record.kind} hook ${record.name} ${record.message}${tail}`,
  ...(record.result === 'Fail' ? { warning: true } : {}),
});

/**
 * The hooks of a gating `kind` for `occasion`: Passed when every one has passed; Failed when a
 * preStart hook failed failureThreshold times in a row; else Waiting, with the calls to make now.
 */
export const gateHooks = (ctx: Ctx, status: ShiftStatus, kind: 'preStart' | 'preStep' | 'confirmPromotion', at: string): HookGate => {
  const interval = ctx.spec.analysis.intervalMs;
  const threshold = ctx.spec.analysis.failureThreshold;
  let s = status;
  const notes: Note[] = [];
  const calls: HookCall[] = [];
  const waiting: string[] = [];
  let wakeAt = ctx.now + interval;
  let failed: string | undefined;
  for (const hook of ctx.spec.hooks?.[kind] ?? []) {
    const before = recordOf(s, kind, hook.name);
    const here = before?.occasion === at ? before : undefined;
    if (here?.result === 'Pass') continue;
    const call: HookCall = { kind, name: hook.name, occasion: at, attempt: (here?.attempt ?? 0) + 1 };
    const answer = answerFor(ctx, call);
    if (answer !== undefined) {
      const pass = passes(kind, answer);
      const record = recordAnswer(ctx, answer, pass ? 0 : (here?.failures ?? 0) + 1);
      s = withRecord(s, record);
      const counted = kind === 'preStart' && !pass ? ` (failure ${record.failures} of ${threshold} before fallback)` : '';
      notes.push(hookNote(record, counted));
      if (pass) continue;
      if (kind === 'preStart' && record.failures >= threshold) {
        failed = `${kind} hook ${hook.name} failed ${record.failures} times in a row; last: ${record.message}`;
        continue;
      }
      waiting.push(`${kind} hook ${hook.name} ${record.message}; asking again in ${showDuration(interval)}`);
      continue;
    }
    if (here !== undefined && ctx.now < msOf(here.time, ctx.now) + interval) {
      const again = msOf(here.time, ctx.now) + interval;
      wakeAt = Math.min(wakeAt, again);
      waiting.push(`${kind} hook ${hook.name} ${here.message}; asking again at ${iso(again)}`);
      continue;
    }
    calls.push(call);
    waiting.push(`waiting for ${kind} hook ${hook.name}${call.attempt > 1 ? ` (call ${call.attempt})` : ''}`);
  }
  if (failed !== undefined) return { _tag: 'Failed', status: s, notes, why: failed };
  if (waiting.length === 0) return { _tag: 'Passed', status: s, notes };
  return { _tag: 'Waiting', status: s, notes, calls, message: `${s.candidateVersion}: ${waiting.join('; ')}`, wakeAt };
};

/** What the `during` hooks said since the last reconcile. */
export interface During {
  readonly status: ShiftStatus;
  readonly notes: readonly Note[];
  readonly calls: readonly HookCall[];
  /** Set when a during hook failed failureThreshold times in a row: the fallback's sentence. */
  readonly failed?: string;
}

const DURING_PREFIX = '/during-';
const intervalOf = (at: string): number => Number(at.slice(at.lastIndexOf(DURING_PREFIX) + DURING_PREFIX.length));

/**
 * The `during` hooks: record each new answer of this run (a pass resets the hook's failures, a
 * failure counts one like a failed check), and call each hook once per analysis.interval while
 * the candidate has traffic. Only failures and recoveries become history lines and Events; every
 * answer is in status.hooks.
 */
export const observeDuring = (ctx: Ctx, status: ShiftStatus): During => {
  const hooks = ctx.spec.hooks?.during ?? [];
  if (hooks.length === 0 || !guarded(ctx, status)) return { status, notes: [], calls: [] };
  const intervalMs = ctx.spec.analysis.intervalMs;
  const threshold = ctx.spec.analysis.failureThreshold;
  const run = runOf(status);
  const current = occasion.during(status, Math.max(0, Math.floor((ctx.now - msOf(status.startedAt, ctx.now)) / intervalMs)));
  let s = status;
  const notes: Note[] = [];
  const calls: HookCall[] = [];
  let failed: string | undefined;
  for (const hook of hooks) {
    const before = recordOf(s, 'during', hook.name);
    const mine = before !== undefined && before.occasion.startsWith(`${run}${DURING_PREFIX}`) ? before : undefined;
    const answer = ctx.observed.hooks?.find(
      (a) => a.kind === 'during' && a.name === hook.name && a.occasion.startsWith(`${run}${DURING_PREFIX}`) && (mine === undefined || intervalOf(a.occasion) > intervalOf(mine.occasion)),
    );
    if (answer !== undefined) {
      const pass = passes('during', answer);
      const record = recordAnswer(ctx, answer, pass ? 0 : (mine?.failures ?? 0) + 1);
      s = withRecord(s, record);
      if (!pass) notes.push(hookNote(record, ` (failed check ${record.failures} of ${threshold} before fallback)`));
      else if ((mine?.failures ?? 0) > 0) notes.push(hookNote(record, ' (recovered)'));
      if (!pass && record.failures >= threshold) failed = `during hook ${hook.name} failed ${record.failures} checks in a row; last: ${record.message}`;
    }
    const latest = recordOf(s, 'during', hook.name);
    if (latest?.occasion !== current) calls.push({ kind: 'during', name: hook.name, occasion: current, attempt: 1 });
  }
  return { status: s, notes, calls, ...(failed !== undefined ? { failed } : {}) };
};

/** A during hook of this run whose last answer failed: the shift must not advance on it. */
export const duringFailing = (ctx: Ctx, status: ShiftStatus): string | undefined => {
  const run = runOf(status);
  const failing = (status.hooks ?? []).find((r) => r.kind === 'during' && r.result === 'Fail' && r.occasion.startsWith(`${run}${DURING_PREFIX}`) && (ctx.spec.hooks?.during ?? []).some((h) => h.name === r.name));
  return failing === undefined ? undefined : `during hook ${failing.name} ${failing.message} (failure ${failing.failures} of ${ctx.spec.analysis.failureThreshold})`;
};

/**
 * After the fact: once a status says Promoted (postPromotion) or RolledBack (onFallback), call
 * each such hook of the run until an answer is recorded. Nothing waits for them.
 */
export const afterTheFact = (ctx: Ctx, step: Step): Step => {
  const phase = step.status.phase;
  const kind: HookKind | undefined = phase === 'Promoted' ? 'postPromotion' : phase === 'RolledBack' ? 'onFallback' : undefined;
  const hooks = kind !== undefined ? ctx.spec.hooks?.[kind] ?? [] : [];
  if (kind === undefined || hooks.length === 0 || step.status.startedAt === undefined) return step;
  const at = runOf(step.status);
  let s = step.status;
  const notes: Note[] = [];
  const calls: HookCall[] = [];
  for (const hook of hooks) {
    if (recordOf(s, kind, hook.name)?.occasion === at) continue;
    const call: HookCall = { kind, name: hook.name, occasion: at, attempt: 1 };
    const answer = answerFor(ctx, call);
    if (answer === undefined) {
      calls.push(call);
      continue;
    }
    const record = recordAnswer(ctx, answer, passes(kind, answer) ? 0 : 1);
    s = withRecord(s, record);
    notes.push(hookNote(record));
  }
  return { ...step, status: s, notes: [...step.notes, ...notes], calls: [...(step.calls ?? []), ...calls] };
};
