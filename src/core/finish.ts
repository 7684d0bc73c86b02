/**
 * Turn a handler's Step into a Decision: derive routes, conditions, bounded history, Events,
 * whether the gate should be sampled, and when to look again. Everything here is read off the
 * resulting status, so the same status always renders the same routes.
 */
import { Condition, ConditionType, HISTORY_LIMIT, HistoryEntry, ShiftStatus } from '../api/status';
import {
  ALL_STABLE, Ctx, guarded, iso, isActive, keepCondition, MIN_REQUEUE_MS, msOf, Note, patch, previewRouted, Progress,
  STEADY_RESYNC_MS, Step,
} from './state';
import { Decision, DecisionEvent, RouteIntent } from './types';

/** The traffic a status stands for: stable alone when no candidate is (or was just) in play. */
export const routesFor = (ctx: Ctx, status: ShiftStatus): RouteIntent => {
  const stable = status.stableVersion ?? ctx.spec.version;
  const candidate = status.candidateVersion;
  const withCandidate = isActive(status.phase) || status.phase === 'RolledBack';
  if (!withCandidate || candidate === undefined || candidate === stable) return { stable, weights: ALL_STABLE, preview: false };
  return { stable, candidate, weights: status.weights ?? ALL_STABLE, preview: previewRouted(ctx, status) };
};

const describe = (r: RouteIntent): string =>
  r.candidate === undefined
    ? `${r.stable} 100 %`
    : `${r.stable} ${r.weights.stable} %, ${r.candidate} ${r.weights.candidate} %${r.preview ? ', preview requests to ' + r.candidate : ''}`;

/** Set a condition; lastTransitionTime moves only when its status flips. */
const condition = (ctx: Ctx, prior: ShiftStatus, type: ConditionType, p: Progress): Condition => {
  const old = keepCondition(prior, type);
  const lastTransitionTime = old !== undefined && old.status === p.status ? old.lastTransitionTime : iso(ctx.now);
  return { type, status: p.status, reason: p.reason, message: p.message, lastTransitionTime, observedGeneration: ctx.input.generation };
};

/** Promoted is True when no shift runs and the stable version serves all traffic (after promotion, adoption or revert). */
const promotedCondition = (status: ShiftStatus): Progress => {
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
  isActive(status.phase)
    ? { status: 'True', reason: status.phase ?? 'Progressing', message: `shifting to ${status.candidateVersion}` }
    : { status: 'False', reason: 'NoShift', message: `${status.stableVersion} serves all traffic; no shift in progress` };

const progressOf = (step: Step, prior: ShiftStatus): Progress => {
  if (step.progressing !== undefined) return step.progressing;
  const kept = keepCondition(prior, 'Progressing');
  return kept !== undefined && kept.status !== 'Unknown' ? { status: kept.status, reason: kept.reason, message: kept.message } : defaultProgress(step.status);
};

const conditionsFor = (ctx: Ctx, step: Step, routes: RouteIntent): Condition[] => {
  const prior = ctx.input.status;
  return [
    condition(ctx, prior, 'Ready', { status: 'True', reason: 'RoutesDesired', message: describe(routes) }),
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
  const dwell = strategy.kind === 'canary' ? strategy.stepIntervalMs : status.phase === 'Promoting' ? strategy.rollbackWindowMs : strategy.previewDurationMs;
  const running = status.phase === 'Progressing' || status.phase === 'Promoting';
  const dwelling = running && (strategy.kind === 'blueGreen' || (status.step ?? -1) >= 0);
  const schedule = ctx.observed.schedule;
  const timers = [
    guarded(ctx, status) ? ctx.spec.analysis.intervalMs : Number.NaN,
    at(status.stalledSince, ctx.spec.progressDeadlineMs),
    dwelling ? at(status.stepStartedAt, dwell) : Number.NaN,
    status.phase === 'Waiting' && schedule?.nextStart !== undefined ? schedule.nextStart - ctx.now : Number.NaN,
    running && schedule?.nextWindowChange !== undefined ? schedule.nextWindowChange - ctx.now : Number.NaN,
  ].filter((t) => Number.isFinite(t) && t > 0);
  const earliest = timers.length > 0 ? Math.min(...timers) : STEADY_RESYNC_MS;
  return Math.min(STEADY_RESYNC_MS, Math.max(MIN_REQUEUE_MS, Math.ceil(earliest)));
};

export const finish = (ctx: Ctx, step: Step): Decision => {
  const routes = routesFor(ctx, step.status);
  const status = patch(step.status, {
    conditions: conditionsFor(ctx, step, routes),
    history: historyFor(ctx, step.status, step.notes),
    observedGeneration: ctx.input.generation,
  });
  return {
    status,
    routes,
    requeueAfterMs: requeueFor(ctx, step.status, step.soon === true),
    events: eventsFor(step.notes),
    gateActive: guarded(ctx, step.status),
    ...(step.setSpecVersion !== undefined ? { setSpecVersion: step.setSpecVersion } : {}),
  };
};
