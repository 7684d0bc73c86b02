/**
 * TrafficShift status. Everything the core needs to decide the next step lives here (not in
 * memory), so a restarted or failed-over daemon resumes exactly where the last one stopped.
 */

import type { HookKind } from './spec';

/** Where a shift is. */
export type Phase =
  | 'Idle' // stable at 100 %, nothing to do (also right after the first version is adopted)
  | 'Waiting' // a new version is known but its scheduled start has not come
  | 'Progressing' // a candidate is being previewed or stepped up
  | 'Paused' // weights and dwell clocks frozen by pause or set-weight; the gate still guards
  | 'Promoting' // blue-green: candidate at 100 %, stable still routable during the rollback window
  | 'Promoted' // candidate became stable at 100 %
  | 'RolledBack' // candidate fell back to 0 % (gate, deadline or abort); waits for retry or a new version
  | 'Failed'; // the shift cannot act (invalid spec, an object it does not own); traffic untouched

export const PHASES: readonly Phase[] = ['Idle', 'Waiting', 'Progressing', 'Paused', 'Promoting', 'Promoted', 'RolledBack', 'Failed'];

/** Traffic split in integer percent; always sums to 100. */
export interface Weights {
  readonly stable: number;
  readonly candidate: number;
}

export type GateResult = 'Pass' | 'Fail' | 'NoData' | 'Unavailable';

/** The latest gate check and the numbers it came from. */
export interface GateRecord {
  readonly result: GateResult;
  /** Version that was judged. */
  readonly version: string;
  readonly requests?: number;
  readonly errors?: number;
  readonly errorRate?: number;
  readonly p99LatencyMs?: number;
  /** maxErrorRate in force. */
  readonly threshold: number;
  /** Query window in words, e.g. "30s" (for people; see windowMs). */
  readonly window: string;
  /** Query window in milliseconds. Absent in statuses written before it existed. */
  readonly windowMs?: number;
  /** When the check was made (ISO 8601): the end of its window. A hold that repeats this record
   *  apart from its time keeps it, so for a run of identical holds it is the first one's time. */
  readonly time: string;
  /** The verdict in words. */
  readonly message: string;
  /** sequential: natural log of the likelihood ratio (above maxErrorRate over at it) the verdict read. */
  readonly logLikelihoodRatio?: number;
  /** compareTo: the version compared with, and its counts over the same time. */
  readonly compared?: { readonly version: string; readonly requests: number; readonly errors: number };
  /** Why a NoData verdict holds although it had requests: the candidate and the compared version both fail. */
  readonly hold?: 'SharedFailure';
}

export type ConditionType = 'Ready' | 'Progressing' | 'Promoted';

export interface Condition {
  readonly type: ConditionType;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number;
}

/** One decision, kept in a bounded history (newest last). */
export interface HistoryEntry {
  readonly time: string;
  /** What happened, a CamelCase word: ShiftStarted, StepAdvanced, GateFailed, RolledBack, Promoted, CommandApplied, CommandRejected, ... */
  readonly event: string;
  /** Why, in a sentence with the numbers. */
  readonly message: string;
  /** Who asked, for commands. */
  readonly by?: string;
  /** Weights after the decision. */
  readonly weights?: Weights;
}

export const HISTORY_LIMIT = 50;

/**
 * The last answer of one webhook (spec.hooks), kept so a restarted daemon neither calls a hook
 * again that already answered for this moment nor forgets how often it failed.
 */
export interface HookRecord {
  readonly kind: HookKind;
  readonly name: string;
  /** What it was called for: the run (startedAt), "<run>/step-<i>", "<run>/switch", "<run>/promote" or "<run>/during-<n>". */
  readonly occasion: string;
  /** Which call for that occasion (a failed gating hook is called again each analysis.interval). */
  readonly attempt: number;
  /** Pass: 2xx (confirmPromotion: 200). Fail: anything else, or no answer within its retries. */
  readonly result: 'Pass' | 'Fail';
  /** HTTP status of the last answer, when there was one. */
  readonly code?: number;
  /** From the first request to the last answer or give-up, all retries included. */
  readonly latencyMs: number;
  /** HTTP requests sent for this call (1 + retries used). */
  readonly requests: number;
  /** Failures in a row: per occasion for gating hooks, across intervals for `during`. */
  readonly failures: number;
  /** When the core recorded the answer (ISO 8601). */
  readonly time: string;
  /** The answer in words. */
  readonly message: string;
}

export interface ShiftStatus {
  readonly phase?: Phase;
  /** Version serving traffic when no shift runs. */
  readonly stableVersion?: string;
  /** Version being shifted to (kept after a fallback for the record). */
  readonly candidateVersion?: string;
  readonly weights?: Weights;
  /** Index into the canary steps (0-based) the candidate is at; -1 before the first step. */
  readonly step?: number;
  readonly consecutiveFailures?: number;
  readonly lastGate?: GateRecord;
  readonly conditions?: readonly Condition[];
  readonly observedGeneration?: number;
  readonly history?: readonly HistoryEntry[];
  /** When the current shift started (ISO 8601). */
  readonly startedAt?: string;
  /** When the current step (or preview, or rollback window) began; dwell is measured from here. */
  readonly stepStartedAt?: string;
  /**
   * sequential gate: when the evidence of the current period (canary step, blue-green preview or
   * rollback window) began; the gate reads the candidate's counts since then (pause does not move it).
   */
  readonly evidenceSince?: string;
  /** Since when the shift has made no progress (candidate unready, gate without data or unavailable). */
  readonly stalledSince?: string;
  /** When pause began; resume moves stepStartedAt forward by the paused time. */
  readonly pausedAt?: string;
  /** The phase resume returns to (Progressing or Promoting), while Paused. */
  readonly pausedFrom?: 'Progressing' | 'Promoting';
  /** Since when a new version has waited for its scheduled start. */
  readonly waitingSince?: string;
  /** Next scheduled start (ISO 8601, UTC), while Waiting. */
  readonly nextStart?: string;
  /**
   * The Service whose VirtualService and DestinationRule the shift routes (spec.service when its
   * routes were last decided). When spec.service moves, the daemon first releases this one
   * (pinned 100 %), so the old routes never stay split and unguarded.
   */
  readonly routedService?: string;
  /** Id of the last command applied, so a command left behind by a crash is not applied twice. */
  readonly lastCommandId?: string;
  /** Set when a version had to be superseded or a command overrode the schedule, for the record. */
  readonly message?: string;
  /** The last answer of each webhook of the current run (spec.hooks); cleared when a run starts. */
  readonly hooks?: readonly HookRecord[];
  /** The stalledSince value the "progress deadline approaching" warning was given for (once per stall). */
  readonly stallWarnedFor?: string;
}
