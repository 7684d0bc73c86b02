/**
 * What the dashboard shows, computed from TrafficShift objects (pure). The server sends these as
 * JSON; the browser only lays them out. Numbers stay numbers and times stay ISO 8601 strings: the
 * browser formats them for people (relative times tick there without a new message).
 * Read loosely like the CLI (src/cli/shiftView.ts): a shift with an invalid spec must still show.
 */
import * as E from 'fp-ts/Either';
import { formatDuration } from '../api/duration';
import { Condition, GateRecord, HistoryEntry, Phase, ShiftStatus, Weights } from '../api/status';
import { decodeTrafficShift, resolveSpec } from '../api/trafficShift';
import { ResolvedSpec } from '../api/spec';
import { KubeObject } from '../kube/objects';
import { ShiftView } from '../cli/shiftView';
import { pendingLine, shownCandidate, viewOf } from '../cli/shiftView';

/** One line of the overview. */
export interface ShiftRow {
  readonly namespace: string;
  readonly name: string;
  readonly service?: string;
  /** "canary" or "blueGreen", when the spec says which. */
  readonly strategy?: ShiftView['strategy'];
  /** Canary steps in percent. */
  readonly steps?: readonly number[];
  /** status.phase; absent before the daemon has reconciled the shift. */
  readonly phase?: Phase;
  /** spec.version: where the shift is going. */
  readonly version?: string;
  readonly stable?: string;
  /** The candidate, when there is one distinct from stable. */
  readonly candidate?: string;
  readonly weights?: Weights;
  /** status.step, 0-based; -1 before the first step. */
  readonly step?: number;
  readonly lastGate?: GateRecord;
  /** Since when the shift is in its phase (ISO), as far as status tells. */
  readonly phaseSince?: string;
  /** Next scheduled start (ISO), while Waiting. */
  readonly nextStart?: string;
  /** The command written and not yet answered by the daemon, in words. */
  readonly pending?: string;
  /** The Ready condition when it is not True: the daemon met a problem (invalid spec, routes refused, ...). */
  readonly notReady?: Condition;
  /** metadata.generation > status.observedGeneration: the daemon has not seen the latest spec yet. */
  readonly specUnobserved: boolean;
}

/**
 * Since when the shift is in its phase. Status keeps the start of each waiting state; for the
 * resting phases (Idle, Promoted, RolledBack, Failed) the decision that led there is the last
 * history entry.
 */
export const phaseSince = (s: ShiftStatus): string | undefined => {
  const last = s.history?.[s.history.length - 1]?.time;
  switch (s.phase) {
    case 'Paused':
      return s.pausedAt ?? last;
    case 'Waiting':
      return s.waitingSince ?? last;
    case 'Progressing':
      return s.startedAt ?? last;
    case 'Promoting':
      return s.stepStartedAt ?? last;
    default:
      return last;
  }
};

export const rowOf = (obj: KubeObject): ShiftRow => {
  const v = viewOf(obj);
  const s = v.status;
  const ready = s.conditions?.find((c) => c.type === 'Ready');
  const candidate = shownCandidate(s);
  const since = phaseSince(s);
  const pending = pendingLine(v.annotations);
  const generation = obj.metadata.generation;
  return {
    namespace: v.namespace,
    name: v.name,
    ...(v.service !== undefined ? { service: v.service } : {}),
    ...(v.strategy !== undefined ? { strategy: v.strategy } : {}),
    ...(v.steps !== undefined ? { steps: v.steps } : {}),
    ...(s.phase !== undefined ? { phase: s.phase } : {}),
    ...(v.version !== undefined ? { version: v.version } : {}),
    ...(s.stableVersion !== undefined ? { stable: s.stableVersion } : {}),
    ...(candidate !== undefined ? { candidate } : {}),
    ...(s.weights !== undefined ? { weights: s.weights } : {}),
    ...(s.step !== undefined ? { step: s.step } : {}),
    ...(s.lastGate !== undefined ? { lastGate: s.lastGate } : {}),
    ...(since !== undefined ? { phaseSince: since } : {}),
    ...(s.nextStart !== undefined ? { nextStart: s.nextStart } : {}),
    ...(pending !== undefined ? { pending } : {}),
    ...(ready !== undefined && ready.status !== 'True' ? { notReady: ready } : {}),
    specUnobserved: generation !== undefined && (s.observedGeneration ?? 0) < generation,
  };
};

/** One point of the weights chart: the split from `time` on. */
export interface WeightPoint {
  /** Epoch ms. */
  readonly t: number;
  readonly stable: number;
  readonly candidate: number;
}

/**
 * The split over time, from the history entries that recorded weights, ending with the current
 * split at `now` (a step function: each point holds until the next).
 */
export const weightSeries = (s: ShiftStatus, now: number): readonly WeightPoint[] => {
  const points: WeightPoint[] = [];
  for (const h of s.history ?? []) {
    const t = Date.parse(h.time);
    if (h.weights === undefined || Number.isNaN(t)) continue;
    points.push({ t, stable: h.weights.stable, candidate: h.weights.candidate });
  }
  if (s.weights !== undefined) points.push({ t: now, stable: s.weights.stable, candidate: s.weights.candidate });
  return points;
};

/** History events that carry a gate's judgement (their messages hold the numbers). */
export const VERDICT_EVENTS: readonly string[] = ['GateCheckFailed', 'StepAdvanced', 'RolledBack', 'Promoted', 'Promoting', 'Switched', 'AwaitingPromotion'];

/** What the analysis judges against, as the daemon resolves it. */
export interface Limits {
  readonly maxErrorRate: number;
  readonly maxP99LatencyMs?: number;
  /** The gate's window in ms (spec.analysis.interval). */
  readonly intervalMs: number;
  /** "30s", as the spec writes it. */
  readonly interval: string;
  readonly minRequests: number;
  readonly failureThreshold: number;
}

/** The page of one shift. */
export interface ShiftDetail {
  readonly row: ShiftRow;
  /** The spec resolved with defaults; absent when it is invalid (`invalid` says why). */
  readonly limits?: Limits;
  /** Why the spec is invalid, one sentence per field. */
  readonly invalid?: readonly string[];
  readonly conditions: readonly Condition[];
  /** Newest last, as in status. */
  readonly history: readonly HistoryEntry[];
  readonly weights: readonly WeightPoint[];
  /** Gate judgements: the history entries that recorded one, newest last. */
  readonly verdicts: readonly HistoryEntry[];
  /** status.message, when set. */
  readonly message?: string;
  /** The schedule's time zone, for the next start. */
  readonly timeZone?: string;
  readonly startedAt?: string;
}

/** The resolved spec of a shift, or the sentences saying why its spec is invalid. */
export const resolvedOf = (obj: KubeObject): E.Either<readonly string[], ResolvedSpec> => {
  const decoded = decodeTrafficShift({ apiVersion: 'sluice.dev/v1alpha1', kind: 'TrafficShift', ...obj });
  return E.isLeft(decoded)
    ? E.left(decoded.left.errors.map((e) => `${e.path}: ${e.message}`))
    : E.right(resolveSpec(decoded.right.spec));
};

export const detailOf = (obj: KubeObject, now: number): ShiftDetail => {
  const s = viewOf(obj).status;
  const resolved = resolvedOf(obj);
  const history = s.history ?? [];
  const limits = E.isRight(resolved)
    ? {
        maxErrorRate: resolved.right.analysis.maxErrorRate,
        ...(resolved.right.analysis.maxP99LatencyMs !== undefined ? { maxP99LatencyMs: resolved.right.analysis.maxP99LatencyMs } : {}),
        intervalMs: resolved.right.analysis.intervalMs,
        interval: formatDuration(resolved.right.analysis.intervalMs),
        minRequests: resolved.right.analysis.minRequests,
        failureThreshold: resolved.right.analysis.failureThreshold,
      }
    : undefined;
  return {
    row: rowOf(obj),
    ...(limits !== undefined ? { limits } : {}),
    ...(E.isLeft(resolved) ? { invalid: resolved.left } : {}),
    conditions: s.conditions ?? [],
    history,
    weights: weightSeries(s, now),
    verdicts: history.filter((h) => VERDICT_EVENTS.includes(h.event)),
    ...(s.message !== undefined ? { message: s.message } : {}),
    ...(E.isRight(resolved) && resolved.right.schedule ? { timeZone: resolved.right.schedule.timeZone } : {}),
    ...(s.startedAt !== undefined ? { startedAt: s.startedAt } : {}),
  };
};
