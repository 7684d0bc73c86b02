/**
 * Shared vocabulary of the decision core: the context one decision runs in, the intermediate
 * `Step` every phase handler returns, and small pure readings of the status (clocks, readiness,
 * whether the gate guards, whether a Pass is fresh enough to advance on).
 */
import { candidateMatches, HookKind, mirrorOf, ResolvedSpec } from '../api/spec';
import { ConditionType, Phase, ShiftStatus, Weights } from '../api/status';
import { formatDuration, parseDuration } from '../api/duration';
import { HookCall, Observations, ShiftInput, VersionPods } from './types';

/** Everything one decision may read. `now` is epoch ms; nothing else tells the time. */
export interface Ctx {
  readonly input: ShiftInput;
  readonly spec: ResolvedSpec;
  readonly observed: Observations;
  readonly now: number;
}

/** A line for history and, with the same words, a Kubernetes Event. */
export interface Note {
  /** CamelCase word: ShiftStarted, StepAdvanced, RolledBack, CommandApplied, ... */
  readonly event: string;
  readonly message: string;
  readonly by?: string;
  /** Recorded as a Warning Event. Default Normal. */
  readonly warning?: boolean;
}

/** The Progressing condition a handler wants; undefined keeps the current one. */
export interface Progress {
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
}

/** What a handler decided, before conditions, history, requeue and routes are derived from it. */
export interface Step {
  /** The new status (conditions, history, observedGeneration are filled in by `finish`). */
  readonly status: ShiftStatus;
  readonly notes: readonly Note[];
  readonly progressing?: Progress;
  /** Something changed that the next reconcile may build on at once: requeue in 1 s. */
  readonly soon?: boolean;
  readonly setSpecVersion?: string;
  /** Webhook calls to make after the status is written (core/hooks.ts). */
  readonly calls?: readonly HookCall[];
  /** Epoch ms when a hook may be asked again: requeue by then at the latest. */
  readonly wakeAt?: number;
}

export const STEADY_RESYNC_MS = 300_000;
export const MIN_REQUEUE_MS = 1000;

export const iso = (ms: number): string => new Date(ms).toISOString();

/** Epoch ms of an ISO time in the status, or `fallback` when absent or unreadable. */
export const msOf = (time: string | undefined, fallback: number): number => {
  const ms = time === undefined ? Number.NaN : Date.parse(time);
  return Number.isNaN(ms) ? fallback : ms;
};

export const since = (ctx: Ctx, time: string | undefined): number => ctx.now - msOf(time, ctx.now);

export const showDuration = (ms: number): string => formatDuration(Math.max(0, ms));

/** Merge changes into a status; keys set to undefined are removed, so statuses deep-compare cleanly. */
export const patch = (status: ShiftStatus, changes: { readonly [K in keyof ShiftStatus]?: ShiftStatus[K] | undefined }): ShiftStatus => {
  const merged: Record<string, unknown> = { ...status, ...changes };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  return merged as ShiftStatus;
};

export const ALL_STABLE: Weights = { stable: 100, candidate: 0 };
export const ALL_CANDIDATE: Weights = { stable: 0, candidate: 100 };
export const canaryWeights = (candidate: number): Weights => ({ stable: 100 - candidate, candidate });

/** Phases in which a candidate is being shifted to (and can be paused, aborted, promoted). */
export const isActive = (phase: Phase | undefined): boolean => phase === 'Progressing' || phase === 'Paused' || phase === 'Promoting';

/** The candidate of a running shift, or undefined. */
export const activeCandidate = (status: ShiftStatus): string | undefined =>
  isActive(status.phase) ? status.candidateVersion : undefined;

export const podsOf = (ctx: Ctx, version: string | undefined): VersionPods =>
  (version !== undefined ? ctx.observed.pods[version] : undefined) ?? { total: 0, ready: 0 };

export const podsSentence = (version: string, pods: VersionPods): string => `${version} had ${pods.ready} of ${pods.total} pods ready`;

/** The phase the shift is in, or returns to when Paused. */
export const runningPhase = (status: ShiftStatus): Phase | undefined =>
  status.phase === 'Paused' ? (status.pausedFrom ?? 'Progressing') : status.phase;

/** Blue-green before the switch with a preview match, or an A/B test before promotion: matching requests reach the candidate. */
export const inPreview = (spec: ResolvedSpec, status: ShiftStatus): boolean =>
  candidateMatches(spec) !== undefined && runningPhase(status) === 'Progressing';

/** The run a hook answer belongs to: the current shift's start. */
export const runOf = (status: ShiftStatus): string => status.startedAt ?? '';

/** Whether every hook of `kind` answered with a pass for `occasion` (true when there are none). */
export const hooksPassed = (ctx: Ctx, status: ShiftStatus, kind: HookKind, occasion: string): boolean =>
  (ctx.spec.hooks?.[kind] ?? []).every((h) => status.hooks?.some((r) => r.kind === kind && r.name === h.name && r.occasion === occasion && r.result === 'Pass'));

/**
 * Preview requests are routed to the candidate only while it has a ready pod (else they would get
 * 503s) and once its preStart hooks passed (they run before the candidate gets any traffic).
 */
export const previewRouted = (ctx: Ctx, status: ShiftStatus): boolean =>
  inPreview(ctx.spec, status) && podsOf(ctx, status.candidateVersion).ready > 0 && hooksPassed(ctx, status, 'preStart', runOf(status));

/**
 * A canary before its first step, or a blue-green before the switch, whose strategy mirrors and
 * whose candidate serves no client: a copy of stable's requests goes to the candidate
 * (spec.strategy.<kind>.mirror).
 */
export const inMirror = (spec: ResolvedSpec, status: ShiftStatus): boolean =>
  mirrorOf(spec) !== undefined &&
  runningPhase(status) === 'Progressing' &&
  (spec.strategy.kind !== 'canary' || (status.step ?? -1) < 0) &&
  // A set-weight while mirroring gives the candidate real clients: their answers are the evidence then.
  (status.weights?.candidate ?? 0) === 0;

/**
 * Copies are mirrored to the candidate only while it has a ready pod (a copy to no endpoint is
 * judged by no one) and once its preStart hooks passed, as preview requests are (previewRouted).
 */
export const mirrorRouted = (ctx: Ctx, status: ShiftStatus): boolean =>
  inMirror(ctx.spec, status) && podsOf(ctx, status.candidateVersion).ready > 0 && hooksPassed(ctx, status, 'preStart', runOf(status));

/** Whether the candidate receives traffic the gate should judge (and the daemon should sample): real, preview or mirrored requests. */
export const guarded = (ctx: Ctx, status: ShiftStatus): boolean =>
  isActive(status.phase) && ((status.weights?.candidate ?? 0) > 0 || previewRouted(ctx, status) || mirrorRouted(ctx, status) || status.phase === 'Promoting');

/** Canary weight of a step index; -1 (before the first step) is 0. Indices past the end clamp to the last step. */
export const stepWeight = (spec: ResolvedSpec, step: number): number => {
  if (spec.strategy.kind !== 'canary' || step < 0) return 0;
  const steps = spec.strategy.steps;
  return steps[Math.min(step, steps.length - 1)] ?? 0;
};

/** The dwell a phase must last before it may move on. */
export const dwellMs = (spec: ResolvedSpec, phase: Phase | undefined): number => {
  switch (spec.strategy.kind) {
    case 'canary':
      return phase === 'Promoting' ? 0 : spec.strategy.stepIntervalMs;
    case 'blueGreen':
      return phase === 'Promoting' ? spec.strategy.rollbackWindowMs : spec.strategy.previewDurationMs;
    case 'abTest':
      return phase === 'Promoting' ? 0 : spec.strategy.iterations * spec.analysis.intervalMs;
  }
};

/** How long the candidate is judged on mirrored traffic at least: iterations x analysis.interval (0 without mirroring). */
export const mirrorDwellMs = (spec: ResolvedSpec): number => (mirrorOf(spec)?.iterations ?? 0) * spec.analysis.intervalMs;

/**
 * The dwell of the period the shift is in: the phase's own (dwellMs), and while mirroring at least
 * the mirror's iterations (a blue-green preview lasts the longer of previewDuration and those).
 */
export const periodDwellMs = (spec: ResolvedSpec, status: ShiftStatus): number => {
  const phase = runningPhase(status);
  if (!inMirror(spec, status)) return dwellMs(spec, phase);
  return spec.strategy.kind === 'canary' ? mirrorDwellMs(spec) : Math.max(dwellMs(spec, phase), mirrorDwellMs(spec));
};

/**
 * Whether status.lastGate is a Pass for the candidate taken late enough to speak for the current
 * step: its window must end at least min(query window, dwell) after the step began, so the window
 * mostly covers traffic at this step's weight rather than the previous one's.
 */
export const freshPass = (ctx: Ctx, status: ShiftStatus): boolean => {
  const gate = status.lastGate;
  if (gate === undefined || gate.result !== 'Pass' || gate.version !== status.candidateVersion) return false;
  // sequential: a Pass read every request since the period began, so any Pass taken in it speaks for it.
  if (ctx.spec.analysis.method === 'sequential') return msOf(gate.time, -Infinity) > evidenceStart(status, Infinity);
  const stepStart = msOf(status.stepStartedAt, ctx.now);
  // A number since windowMs exists; a status written before it carries only the words.
  const window = gate.windowMs ?? parseDuration(gate.window) ?? ctx.spec.analysis.intervalMs;
  const cover = Math.min(window, periodDwellMs(ctx.spec, status));
  return msOf(gate.time, -Infinity) >= stepStart + cover;
};

/**
 * When the evidence of the current period began (epoch ms): status.evidenceSince, else (a status
 * written before it existed) the step's start, else the shift's, else `fallback`.
 */
export const evidenceStart = (status: ShiftStatus, fallback: number): number =>
  msOf(status.evidenceSince ?? status.stepStartedAt ?? status.startedAt, fallback);

/** The last gate record if it judged this run of the candidate (not an earlier shift or run). */
export const currentGate = (status: ShiftStatus) => {
  const gate = status.lastGate;
  if (gate === undefined || gate.version !== status.candidateVersion) return undefined;
  return msOf(gate.time, -Infinity) >= msOf(status.startedAt, Infinity) ? gate : undefined;
};

/** Steps may raise weights now (no schedule, or inside a window). */
export const inWindow = (ctx: Ctx): boolean => ctx.observed.schedule?.window().open ?? true;

export const keepCondition = (status: ShiftStatus, type: ConditionType) => status.conditions?.find((c) => c.type === type);
