/**
 * One handler per phase of a running shift. Each first lets the guard speak (a new gate sample,
 * lost readiness), then the stall clock, then considers progress; whatever blocks progress becomes
 * the Progressing condition's reason.
 */
import { ShiftStatus } from '../api/status';
import { gateStall, lostReadiness, observeGate, readinessStall, runStallClock, StallCause } from './guard';
import {
  Ctx, currentGate, dwellMs, freshPass, inPreview, inWindow, keepCondition, msOf, Note, patch, periodDwellMs, Progress, Step, stepWeight,
} from './state';
import { mirrorOf, ResolvedMirror } from '../api/spec';
import { duringFailing, gateHooks, HookGate, observeDuring, occasion } from './hooks';
import { enterStep, fallback, promote, switchOver } from './transitions';
import { HookCall, Problem } from './types';

const hold = (status: ShiftStatus, reason: string, message: string, notes: readonly Note[] = []): Step => ({
  status,
  notes,
  progressing: { status: 'True', reason, message },
});

const withNotes = (notes: readonly Note[], step: Step): Step => (notes.length === 0 ? step : { ...step, notes: [...notes, ...step.notes] });

const stallHold = (status: ShiftStatus, cause: StallCause): Step =>
  hold(status, cause.reason, `waiting: ${cause.head}${cause.tail}`);

const dwellLeft = (ctx: Ctx, status: ShiftStatus): number =>
  msOf(status.stepStartedAt, ctx.now) + periodDwellMs(ctx.spec, status) - ctx.now;

const outsideWindow = (status: ShiftStatus): Step =>
  hold(status, 'OutsideWindow', `${status.candidateVersion} holds at ${status.weights?.candidate ?? 0} %: outside the schedule's windows`);

/**
 * Through the hooks of one kind for one occasion, then `next`: a hold while they have not all
 * passed (with the calls to make), a fallback when preStart hooks failed failureThreshold times.
 * Waiting for a hook does not run the stall clock: an approval may take longer than
 * progressDeadline, and the gate and `during` hooks still guard meanwhile.
 */
const throughHooks = (ctx: Ctx, gate: HookGate, next: (status: ShiftStatus) => Step): Step => {
  switch (gate._tag) {
    case 'Passed':
      return withNotes(gate.notes, next(gate.status));
    case 'Failed':
      return withNotes(gate.notes, fallback(ctx, gate.status, 'HookFailed', gate.why));
    case 'Waiting':
      return { ...hold(gate.status, 'AwaitingHook', gate.message, gate.notes), calls: gate.calls, wakeAt: gate.wakeAt };
  }
};

/** preStep hooks before a weight increase (a canary step, the blue-green switch), then `next`. */
const preStep = (ctx: Ctx, status: ShiftStatus, at: string, next: (status: ShiftStatus) => Step): Step =>
  throughHooks(ctx, gateHooks(ctx, status, 'preStep', at), next);

/** confirmPromotion hooks before the candidate gets 100 % by itself (a promote command skips them), then `next`. */
const confirmed = (ctx: Ctx, status: ShiftStatus, next: (status: ShiftStatus) => Step): Step =>
  throughHooks(ctx, gateHooks(ctx, status, 'confirmPromotion', occasion.promote(status)), next);

/** A failing `during` hook holds the shift where it is (its failures count toward fallback). */
const duringHold = (ctx: Ctx, status: ShiftStatus): Step | undefined => {
  const failing = duringFailing(ctx, status);
  return failing === undefined ? undefined : hold(status, 'HookFailing', `${status.candidateVersion} holds at ${status.weights?.candidate ?? 0} %: ${failing}`);
};

/** manualPromotion: stop before the last change and say so once. */
const awaitPromotion = (status: ShiftStatus, message: string): Step => {
  const already = keepCondition(status, 'Progressing')?.reason === 'AwaitingPromotion';
  return hold(status, 'AwaitingPromotion', message, already ? [] : [{ event: 'AwaitingPromotion', message }]);
};

const intervals = (n: number): string => `${n} gate interval${n === 1 ? '' : 's'}`;

/** What mirroring does, in words: "mirroring 50 % of requests to v2 (answers discarded) for 3 gate intervals". */
const mirroringText = (status: ShiftStatus, mirror: ResolvedMirror): string =>
  `mirroring ${mirror.percentage} % of requests to ${status.candidateVersion} (answers discarded) for ${intervals(mirror.iterations)}`;

/**
 * Mirroring before any user reaches the candidate: hold until iterations x interval have passed
 * and the latest check is a fresh Pass on the mirrored requests, then `next` (the first step, the
 * switch). Failing checks fall back through the guard (run before), while no client has been
 * served by the candidate.
 */
const mirrored = (ctx: Ctx, status: ShiftStatus, mirror: ResolvedMirror, next: (status: ShiftStatus) => Step): Step => {
  const held = `${mirroringText(status, mirror)}; ${status.stableVersion} serves every client`;
  if (dwellLeft(ctx, status) > 0 || !freshPass(ctx, status)) return hold(status, 'Mirroring', held);
  const failing = duringHold(ctx, status);
  if (failing !== undefined) return failing;
  return withNotes([{ event: 'MirrorPassed', message: `${status.candidateVersion} passed ${intervals(mirror.iterations)} on mirrored requests (${status.lastGate?.message})` }], next(status));
};

/**
 * Canary at step -1: the first step needs a ready candidate pod (and an open window). With
 * mirroring, the candidate is first judged on copies of stable's requests (mirrored); their
 * lack of data holds and runs the stall clock, as at a step.
 */
const firstStep = (ctx: Ctx, status: ShiftStatus): Step => {
  const mirror = mirrorOf(ctx.spec);
  const ready = readinessStall(ctx, status);
  const cause = ready ?? (mirror !== undefined ? gateStall(ctx, status) : undefined);
  const clock = runStallClock(ctx, status, cause);
  if (clock.exceeded !== undefined) return fallback(ctx, clock.status, 'ProgressDeadlineExceeded', clock.exceeded);
  if (cause !== undefined) return stallHold(clock.status, cause);
  const stepIn = (s: ShiftStatus): Step => preStep(ctx, s, occasion.step(s, 0), (stepped) => enterStep(ctx, stepped, 0));
  if (mirror === undefined) {
    if (!inWindow(ctx)) return outsideWindow(clock.status);
    return throughHooks(ctx, gateHooks(ctx, clock.status, 'preStart', occasion.preStart(clock.status)), stepIn);
  }
  // Mirroring gives no client the candidate, so it may run outside the schedule's windows; the first step may not.
  return throughHooks(ctx, gateHooks(ctx, clock.status, 'preStart', occasion.preStart(clock.status)), (started) =>
    mirrored(ctx, started, mirror, (passed) => (inWindow(ctx) ? stepIn(passed) : outsideWindow(passed))));
};

/** Canary at step i: advance after the dwell on a fresh Pass; after the last step, promote. */
const nextStep = (ctx: Ctx, status: ShiftStatus, steps: readonly number[], step: number): Step => {
  const cause = gateStall(ctx, status);
  const clock = runStallClock(ctx, status, cause);
  if (clock.exceeded !== undefined) return fallback(ctx, clock.status, 'ProgressDeadlineExceeded', clock.exceeded);
  const s = clock.status;
  const at = `${s.candidateVersion} at ${stepWeight(ctx.spec, step)} % (step ${Math.min(step, steps.length - 1) + 1} of ${steps.length})`;
  if (cause !== undefined) return stallHold(s, cause);
  if (dwellLeft(ctx, s) > 0 || !freshPass(ctx, s)) return hold(s, 'StepAdvanced', at);
  const failing = duringHold(ctx, s);
  if (failing !== undefined) return failing;
  if (!inWindow(ctx)) return outsideWindow(s);
  if (step < steps.length - 1) return preStep(ctx, s, occasion.step(s, step + 1), (ready) => enterStep(ctx, ready, step + 1));
  if (ctx.spec.manualPromotion) return awaitPromotion(s, `${at}: passed; waiting for a promote command`);
  return confirmed(ctx, s, (ready) => promote(ctx, ready, `the last step passed (${ready.lastGate?.message})`));
};

const progressCanary = (ctx: Ctx, status: ShiftStatus, steps: readonly number[]): Step => {
  const step = status.step ?? -1;
  return step < 0 ? firstStep(ctx, status) : nextStep(ctx, status, steps, step);
};

/** A failing or unanswered preview check blocks the switch; no data does not. */
const previewBlocked = (ctx: Ctx, status: ShiftStatus): boolean => {
  const gate = currentGate(status);
  return inPreview(ctx.spec, status) && gate !== undefined && (gate.result === 'Fail' || gate.result === 'Unavailable');
};

/** Blue-green before the switch: all candidate pods ready, preview long enough, preview gate not failing. */
const progressBlueGreen = (ctx: Ctx, status: ShiftStatus): Step => {
  const ready = readinessStall(ctx, status);
  const cause = ready ?? gateStall(ctx, status);
  const clock = runStallClock(ctx, status, cause);
  if (clock.exceeded !== undefined) return fallback(ctx, clock.status, 'ProgressDeadlineExceeded', clock.exceeded);
  const s = clock.status;
  const mirror = mirrorOf(ctx.spec);
  const previewing = `previewing ${s.candidateVersion}${inPreview(ctx.spec, s) ? ' to matching requests' : ''}${mirror !== undefined ? `, ${mirroringText(s, mirror)}` : ''}; ${s.stableVersion} serves 100 %`;
  if (ready !== undefined) return stallHold(s, ready);
  if (mirror !== undefined && cause !== undefined) return stallHold(s, cause);
  return throughHooks(ctx, gateHooks(ctx, s, 'preStart', occasion.preStart(s)), (started) => {
    if (dwellLeft(ctx, started) > 0) return hold(started, 'Previewing', previewing);
    // Mirroring is judged like a step: the switch needs a fresh Pass on the copies.
    if (mirror !== undefined && !freshPass(ctx, started)) return hold(started, 'Mirroring', `${previewing}; the switch waits for a passing check on mirrored requests`);
    if (previewBlocked(ctx, started)) return hold(started, 'Previewing', `${previewing}; the switch waits for a passing preview check (${started.lastGate?.message})`);
    const failing = duringHold(ctx, started);
    if (failing !== undefined) return failing;
    if (!inWindow(ctx)) return outsideWindow(started);
    if (ctx.spec.manualPromotion) return awaitPromotion(started, `${previewing}; waiting for a promote command to switch`);
    return preStep(ctx, started, occasion.switch(started), (stepped) => confirmed(ctx, stepped, (ok) => switchOver(ctx, ok, 'preview done')));
  });
};

/**
 * A/B test before promotion: matching requests reach the candidate (routed only while it has a
 * ready pod); after `iterations` gate intervals and a fresh passing check it is promoted, or waits
 * for a promote command. Failing checks fall back through the guard (run before).
 */
const progressAbTest = (ctx: Ctx, status: ShiftStatus, iterations: number): Step => {
  const ready = readinessStall(ctx, status);
  const cause = ready ?? gateStall(ctx, status);
  const clock = runStallClock(ctx, status, cause);
  if (clock.exceeded !== undefined) return fallback(ctx, clock.status, 'ProgressDeadlineExceeded', clock.exceeded);
  const s = clock.status;
  const testing = `A/B testing ${s.candidateVersion} on matching requests for ${iterations} gate interval${iterations === 1 ? '' : 's'}; ${s.stableVersion} serves everyone else`;
  if (cause !== undefined) return stallHold(s, cause);
  if (dwellLeft(ctx, s) > 0 || !freshPass(ctx, s)) return hold(s, 'Testing', testing);
  if (!inWindow(ctx)) return outsideWindow(s);
  if (ctx.spec.manualPromotion) return awaitPromotion(s, `${testing}: passed; waiting for a promote command`);
  return promote(ctx, s, `the A/B test passed ${iterations} interval${iterations === 1 ? '' : 's'} (${s.lastGate?.message})`);
};

/**
 * Candidate at 100 %. Canary and A/B: the promotion was decided (last step passed, or a promote command)
 * and its routes were written after the status: Promoted now. Blue-green: the rollback window,
 * then Promoted on a fresh Pass.
 */
const promoting = (ctx: Ctx, status: ShiftStatus): Step => {
  if (ctx.spec.strategy.kind !== 'blueGreen') return promote(ctx, status, keepCondition(status, 'Progressing')?.message ?? 'promotion decided');
  const cause = gateStall(ctx, status);
  const clock = runStallClock(ctx, status, cause);
  if (clock.exceeded !== undefined) return fallback(ctx, clock.status, 'ProgressDeadlineExceeded', clock.exceeded);
  const s = clock.status;
  if (cause !== undefined) return stallHold(s, cause);
  const until = new Date(msOf(s.stepStartedAt, ctx.now) + dwellMs(ctx.spec, 'Promoting')).toISOString();
  const message = `${s.candidateVersion} serves 100 %; ${s.stableVersion} stays routable until ${until}`;
  if (dwellLeft(ctx, s) > 0 || !freshPass(ctx, s)) return hold(s, 'Switched', message);
  const failing = duringHold(ctx, s);
  if (failing !== undefined) return failing;
  return promote(ctx, s, `the rollback window passed (${s.lastGate?.message})`);
};

/** Paused: weights and clocks frozen, no stall clock; the guard (run before) still falls back. */
const paused = (status: ShiftStatus): Step => {
  const kept = keepCondition(status, 'Progressing');
  const progressing: Progress | undefined = kept && kept.status !== 'Unknown' ? { status: kept.status, reason: kept.reason, message: kept.message } : undefined;
  return { status: patch(status, { stalledSince: undefined }), notes: [], ...(progressing ? { progressing } : {}) };
};

const byPhase = (ctx: Ctx, status: ShiftStatus): Step => {
  switch (status.phase) {
    case 'Paused':
      return paused(status);
    case 'Promoting':
      return promoting(ctx, status);
    default: {
      const strategy = ctx.spec.strategy;
      switch (strategy.kind) {
        case 'canary':
          return progressCanary(ctx, status, strategy.steps);
        case 'blueGreen':
          return progressBlueGreen(ctx, status);
        case 'abTest':
          return progressAbTest(ctx, status, strategy.iterations);
      }
    }
  }
};

/**
 * A problem the daemon met (invalid spec, routes it may not or could not write): nothing moves
 * forward, but the guard (run before) still falls back, and the stall clock runs, so a candidate
 * is never left with traffic and no deadline. Paused stays paused (its clocks are frozen).
 */
const problemHold = (ctx: Ctx, status: ShiftStatus, problem: Problem): Step => {
  if (status.phase === 'Paused') return paused(status);
  const cause: StallCause = { head: problem.message, tail: '', reason: problem.reason };
  const clock = runStallClock(ctx, status, cause);
  if (clock.exceeded !== undefined) return fallback(ctx, clock.status, 'ProgressDeadlineExceeded', clock.exceeded);
  return hold(clock.status, problem.reason, `holding ${clock.status.candidateVersion} at ${clock.status.weights?.candidate ?? 0} %: ${problem.message}`);
};

/** `during` calls go with whatever the phase decided, unless it ended the shift. */
const withCalls = (calls: readonly HookCall[], step: Step): Step =>
  calls.length === 0 || step.status.phase === 'RolledBack' ? step : { ...step, calls: [...calls, ...(step.calls ?? [])] };

/**
 * A running shift whose spec.version is its candidate: guard first (the gate's sample, the
 * `during` hooks' answers, lost readiness), then the phase's own progress.
 */
export const runShift = (ctx: Ctx, status: ShiftStatus): Step => {
  const gate = observeGate(ctx, status);
  if (gate.failed !== undefined) return withNotes(gate.notes, fallback(ctx, gate.status, 'GateFailed', gate.failed));
  const during = observeDuring(ctx, gate.status);
  const notes = [...gate.notes, ...during.notes];
  if (during.failed !== undefined) return withNotes(notes, fallback(ctx, during.status, 'HookFailed', during.failed));
  const lost = lostReadiness(ctx, during.status);
  if (lost !== undefined) return withNotes(notes, fallback(ctx, during.status, 'CandidateNotReady', lost));
  const problem = ctx.observed.problem;
  return withCalls(during.calls, withNotes(notes, problem !== undefined ? problemHold(ctx, during.status, problem) : byPhase(ctx, during.status)));
};
