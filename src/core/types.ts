/**
 * The inputs and outputs of the pure decision core. `decide(shift, observed, now)` (decide.ts)
 * takes these and returns a Decision: no I/O, no clock reads, no randomness. The daemon gathers
 * Observations from its informer caches and Prometheus, and applies the Decision.
 */
import { HookKind, ResolvedSpec } from '../api/spec';
import { ShiftStatus, Weights } from '../api/status';

/** Pods of one version behind the shift's Service, from the pod informer. */
export interface VersionPods {
  /** Pods that exist and are not terminating. */
  readonly total: number;
  /** Pods whose Ready condition is True. */
  readonly ready: number;
}

/** The version a candidate is compared with (analysis.compareTo) and its counts over the same window. */
export interface ComparedCounts {
  readonly version: string;
  readonly requests: number;
  readonly errors: number;
}

/**
 * What Prometheus said about one version over one window (the daemon's query result). With the
 * sequential method the window reaches back to the period's start (status.evidenceSince).
 */
export type GateSample =
  | {
      readonly _tag: 'Measured';
      /** Version measured (the candidate). */
      readonly version: string;
      /** End of the query window, epoch ms. */
      readonly at: number;
      /** Window length in ms. */
      readonly windowMs: number;
      /** Requests served by the version in the window (may be fractional from increase()). */
      readonly requests: number;
      /** 5xx responses served by the version in the window. */
      readonly errors: number;
      /** p99 latency in ms, when a latency limit is set and Prometheus had data. */
      readonly p99LatencyMs?: number;
      /** compareTo: the compared (stable) version's counts over the same window. */
      readonly compared?: ComparedCounts;
    }
  | {
      readonly _tag: 'Unavailable';
      readonly version: string;
      readonly at: number;
      /** Why Prometheus could not answer: network, HTTP status, PromQL error, timeout. */
      readonly reason: string;
    };

/** The SRE commands, from the sluice.dev/* annotations (see kube/annotations.ts). */
export type CommandVerb = 'promote' | 'abort' | 'pause' | 'resume' | 'retry' | 'set-weight' | 'shift-to';

export type Command =
  | { readonly _tag: 'Valid'; readonly id: string; readonly verb: CommandVerb; readonly weight?: number; readonly version?: string; readonly by?: string }
  /** A command that could not be parsed (unknown word, weight 140): rejected with `reason`. */
  | { readonly _tag: 'Invalid'; readonly id: string; readonly raw: string; readonly reason: string; readonly by?: string };

/**
 * Whether the schedule allows starting or advancing now (computed purely from spec + status + now
 * by src/schedule). Each part is computed when first asked, so only the decisions that need a
 * part pay for it: a waiting version asks `start`, a running shift asks `window`.
 */
export interface ScheduleView {
  /** A waiting version may start now (`due`); if not, when it next may (epoch ms, absent when never within the horizon). */
  readonly start: () => { readonly due: boolean; readonly next?: number };
  /** Steps may advance now (`open`: inside an allowed window, or no windows); when that next changes (epoch ms), for requeueing. */
  readonly window: () => { readonly open: boolean; readonly nextChange?: number };
}

/**
 * Something the daemon met that keeps it from following the spec (it is not a phase: the core
 * keeps the phase and goes on guarding). Reported as Ready=False with this reason and message.
 */
export interface Problem {
  /**
   * InvalidSpec: the spec does not decode (the core runs on the last guardable reading of it);
   * NotOwned / UnreadableRoutes: the routes cannot be written; RoutesNotApplied: the last route
   * write was refused (403, 413, 422, 5xx, timeout); UnsafeRoutes: rendered routes failed the
   * last check before writing.
   */
  readonly reason: 'InvalidSpec' | 'NotOwned' | 'UnreadableRoutes' | 'RoutesNotApplied' | 'UnsafeRoutes' | 'Refused';
  readonly message: string;
}

/** A webhook call the core wants made (src/hooks runs it once per distinct call). */
export interface HookCall {
  readonly kind: HookKind;
  /** The hook's name in spec.hooks.<kind>. */
  readonly name: string;
  /** What it is called for (HookRecord.occasion). */
  readonly occasion: string;
  /** Which call for that occasion, from 1. */
  readonly attempt: number;
}

/** How one HookCall ended, after the adapter's retries: an HTTP answer, or none. */
export type HookAnswer = HookCall & {
  /** From the first request to the last answer or give-up, ms. */
  readonly latencyMs: number;
  /** HTTP requests sent (1 + retries used). */
  readonly requests: number;
} & (
    | { readonly _tag: 'Answered'; readonly code: number }
    /** No usable answer: timeout, connection refused, URL not allowed, Secret unreadable; `reason` says which. */
    | { readonly _tag: 'NoAnswer'; readonly reason: string }
  );

export interface Observations {
  /** Pods per version label value behind the Service. */
  readonly pods: Readonly<Record<string, VersionPods>>;
  /** The most recent gate sample for the candidate, if any was taken. */
  readonly gate?: GateSample;
  /** A pending command (at most one per reconcile). */
  readonly command?: Command;
  /** Schedule eligibility; absent when the shift has no schedule. */
  readonly schedule?: ScheduleView;
  /**
   * Whether the routes in the cluster now reach at least one ready pod (the daemon reads the
   * VirtualService for this safety check only; with no VirtualService, whether any pod behind the
   * Service is ready). When true, routes that would send traffic to a version with no ready pod
   * are held back. Default false: nothing to protect.
   */
  readonly servingReady?: boolean;
  /** A problem the daemon met: hold (no start, no advance), keep guarding, run the stall clock. */
  readonly problem?: Problem;
  /** The latest finished call of each webhook of this shift (at most one per kind and name). Default none. */
  readonly hooks?: readonly HookAnswer[];
}

export interface ShiftInput {
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  readonly spec: ResolvedSpec;
  readonly status: ShiftStatus;
}

/** The traffic the owned Istio objects should carry. Rendered by src/istio/render.ts. */
export interface RouteIntent {
  readonly stable: string;
  /** Candidate subset to keep in the DestinationRule and route to, if any. */
  readonly candidate?: string;
  readonly weights: Weights;
  /** Blue-green preview: route requests matching previewMatch to the candidate. */
  readonly preview: boolean;
  /**
   * Mirroring (spec.strategy.<kind>.mirror): copy mirror.percentage % of the primary route's
   * requests to the candidate, whose answers are discarded. Default false.
   */
  readonly mirror?: boolean;
}

/** A Kubernetes Event to record (type Normal or Warning), one per meaningful decision. */
export interface DecisionEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

export interface Decision {
  readonly status: ShiftStatus;
  /** Desired routes; undefined means "leave the Istio objects as they are" (e.g. invalid input). */
  readonly routes?: RouteIntent;
  /** When to reconcile again at the latest, ms from now. */
  readonly requeueAfterMs: number;
  readonly events: readonly DecisionEvent[];
  /** shift-to: the daemon patches spec.version to this (then reconciles again). */
  readonly setSpecVersion?: string;
  /** Whether the daemon should take a gate sample for the candidate (in phases where the gate guards). */
  readonly gateActive: boolean;
  /** Webhook calls to make once the status is written (each distinct call is made once). Default none. */
  readonly hookCalls?: readonly HookCall[];
}
