/**
 * Turn a handler's Step into a Decision: derive routes, conditions, bounded history, Events,
 * whether the gate should be sampled, and when to look again. Everything here is read off the
 * resulting status, so the same status always renders the same routes.
 */
import { Condition, ConditionType, HISTORY_LIMIT, HistoryEntry, ShiftStatus } from '../api/status';
import {
  ALL_STABLE, Ctx, guarded, inMirror, iso, isActive, keepCondition, MIN_REQUEUE_MS, mirrorRouted, msOf, Note, patch, periodDwellMs, podsOf, podsSentence, previewRouted, Progress,
  showDuration, STEADY_RESYNC_MS, Step,
} from './state';

/** How often held routes are looked at again when nothing else wakes the shift (pod events usually do first). */
const HELD_RECHECK_MS = 5000;
import { Decision, DecisionEvent, RouteIntent } from './types';

/** The traffic a status stands for: stable alone when no candidate is (or was just) in play. */
export const routesFor = (ctx: Ctx, status: ShiftStatus): RouteIntent => {
  const stable = status.stableVersion ?? ctx.spec.version;
  const candidate = status.candidateVersion;
  const withCandidate = isActive(status.phase) || status.phase === 'RolledBack';
  if (!withCandidate || candidate === undefined || candidate === stable) return { stable, weights: ALL_STABLE, preview: false };
  return { stable, candidate, weights: status.weights ?? ALL_STABLE, preview: previewRouted(ctx, status), ...(mirrorRouted(ctx, status) ? { mirror: true } : {}) };
};

const describe = (r: RouteIntent): string =>
  r.candidate === undefined
    ? `${r.stable} 100 %`
    : `${r.stable} ${r.weights.stable} %, ${r.candidate} ${r.weights.candidate} %${r.preview ? ', preview requests to ' + r.candidate : ''}${r.mirror === true ? ', requests mirrored to ' + r.candidate : ''}`;

/** Set a condition; lastTransitionTime moves only when its status flips. */
const condition = (ctx: Ctx, prior: ShiftStatus, type: ConditionType, p: Progress): Condition => {
  const old = keepCondition(prior, type);
  const lastTransitionTime = old !== undefined && old.status === p.status ? old.lastTransitionTime : iso(ctx.now);
  return { type, status: p.status, reason: p.reason, message: p.message, lastTransitionTime, observedGeneration: ctx.input.generation };
};

/** Promoted is True when no shift runs and the stable version serves all traffic (after promotion, adoption or revert). */
const promotedCondition = (status: ShiftStatus): Progress => {
  if (status.stableVersion === undefined) return { status: 'False', reason: 'NotAdopted', message: 'no version adopted yet' };
  switch (status.phase) {
    case 'Promoted':
      return { status: 'True', reason: 'Promoted', message: `${status.stableVersion} was promoted and serves 100 %` };
    case 'Idle':
      return { status: 'True', reason: 'Stable', message: `${status.stableVersion} serves 100 %` };
    case 'Waiting':
    case 'RolledBack':
    case 'Failed':
      return { status: 'False', reason: status.phase, message: `${status.stableVersion} serves 100 %; the new version is not promoted` };
    default:
      return { status: 'False', reason: 'ShiftInProgress', message: `shifting from ${status.stableVersion} to ${status.candidateVersion}` };
  }
};

const defaultProgress = (status: ShiftStatus): Progress =>
  status.stableVersion === undefined
    ? { status: 'False', reason: 'NotAdopted', message: 'no version adopted yet' }
    : isActive(status.phase)
    ? { status: 'True', reason: status.phase ?? 'Progressing', message: `shifting to ${status.candidateVersion}` }
    : { status: 'False', reason: 'NoShift', message: `${status.stableVersion} serves all traffic; no shift in progress` };

const progressOf = (step: Step, prior: ShiftStatus): Progress => {
  if (step.progressing !== undefined) return step.progressing;
  const kept = keepCondition(prior, 'Progressing');
  return kept !== undefined && kept.status !== 'Unknown' ? { status: kept.status, reason: kept.reason, message: kept.message } : defaultProgress(step.status);
};

/** Versions `routes` gives traffic to. */
const targets = (r: RouteIntent): string[] => [
  ...(r.weights.stable > 0 || r.candidate === undefined ? [r.stable] : []),
  ...(r.candidate !== undefined && (r.weights.candidate > 0 || r.preview) ? [r.candidate] : []),
];

/**
 * Why `routes` must not be written now, or undefined: they send traffic to a version with no
 * ready pod while the routes in the cluster reach a ready one (a typo in spec.version, a stable
 * Deployment scaled to zero). Writing would turn a working service into 503s; holding is never
 * worse than doing nothing, and the write happens as soon as the version has a ready pod.
 */
export const routesHeld = (ctx: Ctx, routes: RouteIntent): string | undefined => {
  if (ctx.observed.servingReady !== true) return undefined;
  const unready = targets(routes).filter((v) => podsOf(ctx, v).ready === 0);
  if (unready.length === 0) return undefined;
  const why = unready.map((v) => podsSentence(v, podsOf(ctx, v))).join('; ');
  return `not routing ${describe(routes)}: ${why} behind ${ctx.spec.service} (${ctx.spec.versionLabel}=<version>), while the current routes reach ready pods; waiting for a ready pod`;
};

/** The Ready condition: what the routes should be, or the problem or hold that keeps them from it. */
const readyOf = (ctx: Ctx, routes: RouteIntent, held: string | undefined): Progress => {
  const problem = ctx.observed.problem;
  if (problem !== undefined) return { status: 'False', reason: problem.reason, message: problem.message };
  if (held !== undefined) return { status: 'False', reason: 'RoutesHeld', message: held };
  return { status: 'True', reason: 'RoutesDesired', message: describe(routes) };
};

const conditionsFor = (ctx: Ctx, step: Step, routes: RouteIntent, held: string | undefined): Condition[] => {
  const prior = ctx.input.status;
  return [
    condition(ctx, prior, 'Ready', readyOf(ctx, routes, held)),
    condition(ctx, prior, 'Progressing', progressOf(step, prior)),
    condition(ctx, prior, 'Promoted', promotedCondition(step.status)),
  ];
};

const historyFor = (ctx: Ctx, status: ShiftStatus, notes: readonly Note[]): HistoryEntry[] => {
  const added = notes.map((n): HistoryEntry => ({
    time: iso(ctx.now),
    event: n.event,
    message: n.message,
    ...(n.by !== undefined ? { by: n.by } : {}),
    weights: status.weights ?? ALL_STABLE,
  }));
  return [...(status.history ?? []), ...added].slice(-HISTORY_LIMIT);
};

const eventsFor = (notes: readonly Note[]): DecisionEvent[] =>
  notes.map((n) => ({ type: n.warning ? 'Warning' : 'Normal', reason: n.event, message: n.message }));

/** The earliest moment something time-driven can change; a long resync when nothing is running. */
export const requeueFor = (ctx: Ctx, status: ShiftStatus, soon: boolean): number => {
  if (soon) return MIN_REQUEUE_MS;
  const at = (time: string | undefined, plus: number): number => msOf(time, Number.NaN) + plus - ctx.now;
  const strategy = ctx.spec.strategy;
  const dwell = periodDwellMs(ctx.spec, status);
  const running = status.phase === 'Progressing' || status.phase === 'Promoting';
  const dwelling = running && (strategy.kind !== 'canary' || (status.step ?? -1) >= 0 || inMirror(ctx.spec, status));
  const schedule = ctx.observed.schedule;
  const timers = [
    guarded(ctx, status) ? ctx.spec.analysis.intervalMs : Number.NaN,
    at(status.stalledSince, ctx.spec.progressDeadlineMs),
    dwelling ? at(status.stepStartedAt, dwell) : Number.NaN,
    status.phase === 'Waiting' ? (schedule?.start().next ?? Number.NaN) - ctx.now : Number.NaN,
    running ? (schedule?.window().nextChange ?? Number.NaN) - ctx.now : Number.NaN,
  ].filter((t) => Number.isFinite(t) && t > 0);
  const earliest = timers.length > 0 ? Math.min(...timers) : STEADY_RESYNC_MS;
  return Math.min(STEADY_RESYNC_MS, Math.max(MIN_REQUEUE_MS, Math.ceil(earliest)));
};

/**
 * Under a problem the routes are written only when this decision takes traffic away from the
 * candidate (a fallback, abort or revert) or a refused write is being retried; otherwise the
 * Istio objects stay as they are (bad input changes nothing).
 */
const writesUnderProblem = (ctx: Ctx, status: ShiftStatus): boolean => {
  const problem = ctx.observed.problem;
  if (problem === undefined || problem.reason === 'RoutesNotApplied') return true;
  const before = ctx.input.status;
  const less = (status.weights?.candidate ?? 0) < (before.weights?.candidate ?? 0);
  const ended = (isActive(before.phase) || before.phase === 'Waiting') && !isActive(status.phase);
  return less || ended;
};

/** A Warning Event when a problem or a hold of the routes is news (not on every reconcile while it lasts). */
const readyNotes = (ctx: Ctx, held: string | undefined): Note[] => {
  const before = keepCondition(ctx.input.status, 'Ready');
  const problem = ctx.observed.problem;
  if (problem !== undefined)
    return before?.reason === problem.reason && before.message === problem.message ? [] : [{ event: problem.reason, message: problem.message, warning: true }];
  return held !== undefined && before?.reason !== 'RoutesHeld' ? [{ event: 'RoutesHeld', message: held, warning: true }] : [];
};

/** Share of progressDeadline after which a stall is announced, once per stall. */
export const STALL_WARNING_SHARE = 0.8;

/**
 * A running shift stalled for most of its progressDeadline: say so once (history, a Warning
 * Event, a notification) while there is still time to act. status.stallWarnedFor remembers which
 * stall was announced.
 */
const stallWarning = (ctx: Ctx, step: Step): Step => {
  const status = step.status;
  const since = status.stalledSince;
  if (since === undefined || !isActive(status.phase)) return status.stallWarnedFor === undefined ? step : { ...step, status: patch(status, { stallWarnedFor: undefined }) };
  const deadline = ctx.spec.progressDeadlineMs;
  const stalled = ctx.now - msOf(since, ctx.now);
  if (status.stallWarnedFor === since) return step;
  if (stalled < deadline * STALL_WARNING_SHARE) return { ...step, wakeAt: Math.min(step.wakeAt ?? Infinity, msOf(since, ctx.now) + Math.ceil(deadline * STALL_WARNING_SHARE)) };
  const why = step.progressing?.message ?? keepCondition(status, 'Progressing')?.message ?? 'no progress';
  const message = `${status.candidateVersion} has made no progress for ${showDuration(stalled)}; it falls back in ${showDuration(deadline - stalled)} (progressDeadline ${showDuration(deadline)}) unless that changes: ${why}`;
  return { ...step, status: patch(status, { stallWarnedFor: since }), notes: [...step.notes, { event: 'ProgressDeadlineApproaching', message, warning: true }] };
};

export const finish = (ctx: Ctx, taken: Step): Decision => {
  const step = stallWarning(ctx, taken);
  const routes = routesFor(ctx, step.status);
  const held = routesHeld(ctx, routes);
  // Adoption of a version with no ready pod while others serve: do not adopt yet.
  const kept: Step = held !== undefined && ctx.input.status.stableVersion === undefined ? { status: ctx.input.status, notes: [] } : step;
  const notes = [...kept.notes, ...readyNotes(ctx, held)];
  const write = held === undefined && writesUnderProblem(ctx, kept.status);
  const status = patch(kept.status, {
    conditions: conditionsFor(ctx, kept, routes, held),
    history: historyFor(ctx, kept.status, notes),
    observedGeneration: ctx.input.generation,
    ...(write && kept.status.stableVersion !== undefined ? { routedService: ctx.spec.service } : {}),
  });
  const requeue = Math.min(requeueFor(ctx, kept.status, kept.soon === true), kept.wakeAt !== undefined ? Math.max(MIN_REQUEUE_MS, Math.ceil(kept.wakeAt - ctx.now)) : Infinity);
  return {
    status,
    ...(write ? { routes } : {}),
    ...(kept.calls !== undefined && kept.calls.length > 0 ? { hookCalls: kept.calls } : {}),
    requeueAfterMs: held !== undefined ? Math.min(requeue, HELD_RECHECK_MS) : requeue,
    events: eventsFor(notes),
    gateActive: guarded(ctx, kept.status),
    ...(kept.setSpecVersion !== undefined ? { setSpecVersion: kept.setSpecVersion } : {}),
  };
};
