/**
 * The transitions of the state machine (docs/state-machine.md), one small function each. Every
 * transition is a single change of routes: the daemon applies the resulting RouteIntent in one go.
 */
import { ShiftStatus } from '../api/status';
import {
  ALL_CANDIDATE, ALL_STABLE, canaryWeights, Ctx, iso, Note, patch, showDuration, Step, stepWeight,
} from './state';

/** First sight of a shift: whatever spec.version names is taken as stable at 100 %. */
export const adopt = (ctx: Ctx, status: ShiftStatus): Step => ({
  status: patch(status, { phase: 'Idle', stableVersion: ctx.spec.version, weights: ALL_STABLE }),
  notes: [{ event: 'Adopted', message: `${ctx.spec.version} adopted as stable at 100 %` }],
  progressing: { status: 'False', reason: 'Adopted', message: `${ctx.spec.version} serves all traffic; no shift in progress` },
});

/** Begin shifting to `version` at 0 %: step -1, fresh clocks, no failures. */
export const start = (ctx: Ctx, status: ShiftStatus, version: string, extra: readonly Note[] = []): Step => ({
  status: patch(status, {
    phase: 'Progressing',
    candidateVersion: version,
    weights: ALL_STABLE,
    step: -1,
    consecutiveFailures: 0,
    startedAt: iso(ctx.now),
    stepStartedAt: iso(ctx.now),
    evidenceSince: iso(ctx.now),
    stalledSince: undefined,
    pausedAt: undefined,
    pausedFrom: undefined,
    waitingSince: undefined,
    nextStart: undefined,
    hooks: undefined,
  }),
  notes: [...extra, { event: 'ShiftStarted', message: `shift from ${status.stableVersion} to ${version} started (${ctx.spec.strategy.kind})` }],
  progressing: { status: 'True', reason: 'ShiftStarted', message: `shifting from ${status.stableVersion} to ${version}` },
  soon: true,
});

/** A new version whose scheduled start has not come: stable keeps 100 %. */
export const wait = (ctx: Ctx, status: ShiftStatus): Step => {
  const next = ctx.observed.schedule?.start().next;
  const when = next !== undefined ? ` at ${iso(next)}` : '';
  const entering = status.phase !== 'Waiting';
  return {
    status: patch(status, {
      phase: 'Waiting',
      weights: ALL_STABLE,
      waitingSince: status.waitingSince ?? iso(ctx.now),
      nextStart: next !== undefined ? iso(next) : undefined,
      stalledSince: undefined,
      pausedAt: undefined,
      pausedFrom: undefined,
    }),
    notes: entering ? [{ event: 'Waiting', message: `${ctx.spec.version} waits for its scheduled start${when}` }] : [],
    progressing: { status: 'True', reason: 'Waiting', message: `${ctx.spec.version} waits for its scheduled start${when}` },
  };
};

/** Canary: move to step `index` (its weight), restart the dwell, clear the stall clock. */
export const enterStep = (ctx: Ctx, status: ShiftStatus, index: number): Step => {
  const weight = stepWeight(ctx.spec, index);
  const count = ctx.spec.strategy.kind === 'canary' ? ctx.spec.strategy.steps.length : 0;
  const message = `${status.candidateVersion} at ${weight} % (step ${index + 1} of ${count})`;
  return {
    status: patch(status, { step: index, weights: canaryWeights(weight), stepStartedAt: iso(ctx.now), evidenceSince: iso(ctx.now), stalledSince: undefined }),
    notes: [{ event: 'StepAdvanced', message }],
    progressing: { status: 'True', reason: 'StepAdvanced', message },
  };
};

/** What every end of a shift clears (promote, revert): no candidate, stable at 100 %, no step, stall or pause. */
const SHIFT_OVER = {
  candidateVersion: undefined,
  weights: ALL_STABLE,
  step: undefined,
  stepStartedAt: undefined,
  evidenceSince: undefined,
  stalledSince: undefined,
  pausedAt: undefined,
  pausedFrom: undefined,
} as const;

/**
 * The candidate becomes stable at 100 %; its old stable subset is dropped. `why` says what allowed
 * it. A candidate not yet at 100 % first goes there in phase Promoting, still guarded, and is
 * Promoted on the next reconcile: status is written before routes (ADR 0005), so a crash between
 * the two can only re-render 100 % (never the previous split), and the gate does not stop before
 * the routes carry the promotion.
 */
export const promote = (ctx: Ctx, status: ShiftStatus, why: string): Step => {
  const candidate = status.candidateVersion ?? '';
  if ((status.weights?.candidate ?? 0) !== 100) {
    const message = `${candidate} to 100 % (was ${status.weights?.candidate ?? 0} %): ${why}; promoted once the routes carry it`;
    return {
      status: patch(status, { phase: 'Promoting', weights: ALL_CANDIDATE, stepStartedAt: iso(ctx.now), stalledSince: undefined, pausedAt: undefined, pausedFrom: undefined }),
      notes: [{ event: 'Promoting', message }],
      progressing: { status: 'True', reason: 'Promoting', message },
      soon: true,
    };
  }
  const message = `${candidate} promoted to 100 % (was ${status.stableVersion}): ${why}`;
  return {
    status: patch(status, { phase: 'Promoted', stableVersion: candidate, ...SHIFT_OVER }),
    notes: [{ event: 'Promoted', message }],
    progressing: { status: 'False', reason: 'ShiftComplete', message },
  };
};

/** Blue-green: all traffic to the candidate in one change; stable stays routable for the rollback window. */
export const switchOver = (ctx: Ctx, status: ShiftStatus, why: string): Step => {
  const window = ctx.spec.strategy.kind === 'blueGreen' ? ctx.spec.strategy.rollbackWindowMs : 0;
  const message = `${status.candidateVersion} serves 100 %; ${status.stableVersion} stays routable for ${showDuration(window)} (${why})`;
  return {
    status: patch(status, { phase: 'Promoting', weights: ALL_CANDIDATE, stepStartedAt: iso(ctx.now), evidenceSince: iso(ctx.now), stalledSince: undefined, pausedAt: undefined, pausedFrom: undefined }),
    notes: [{ event: 'Switched', message }],
    progressing: { status: 'True', reason: 'Switched', message },
  };
};

export type FallbackReason = 'GateFailed' | 'ProgressDeadlineExceeded' | 'CandidateNotReady' | 'Aborted' | 'HookFailed';

/** Any fallback: ONE change to stable 100 % / candidate 0 %. RolledBack waits for retry or a new version. */
export const fallback = (_ctx: Ctx, status: ShiftStatus, reason: FallbackReason, why: string): Step => {
  const message = `${reason}: ${why}; ${status.stableVersion} back at 100 %`;
  return {
    status: patch(status, { phase: 'RolledBack', weights: ALL_STABLE, stalledSince: undefined, pausedAt: undefined, pausedFrom: undefined }),
    notes: [{ event: 'RolledBack', message, warning: true }],
    progressing: { status: 'False', reason: 'RolledBack', message },
  };
};

/** spec.version changed to a third version mid-shift: drop the old candidate and start the new one, in one change. */
export const supersede = (ctx: Ctx, status: ShiftStatus): Step => {
  const old = status.candidateVersion;
  const message = `${ctx.spec.version} superseded ${old} (which had ${status.weights?.candidate ?? 0} %)`;
  const note: Note = { event: 'Superseded', message };
  const started = start(ctx, patch(status, { message }), ctx.spec.version, [note]);
  return started;
};

/** spec.version set back to the stable version: stable 100 %, the candidate dropped, Idle. */
export const revert = (ctx: Ctx, status: ShiftStatus): Step => {
  const message = `spec.version is back to ${ctx.spec.version}; ${status.candidateVersion ?? 'the new version'} dropped and ${ctx.spec.version} serves 100 %`;
  return {
    status: patch(status, { phase: 'Idle', ...SHIFT_OVER, waitingSince: undefined, nextStart: undefined }),
    notes: [{ event: 'Reverted', message }],
    progressing: { status: 'False', reason: 'Reverted', message },
  };
};
