/**
 * Which decisions are worth telling people about, and what they say: the notification is the
 * decision's own history line (the same words as its Event), with the shift's numbers beside it.
 * Pure: the status before and the decision in, notifications out.
 */
import { API_VERSION, Severity, SEVERITIES } from '../api/spec';
import { GateRecord, HistoryEntry, Phase, Weights } from '../api/status';
import { Decision } from '../core/types';

/** History events sent, with their severity. Everything else (checks, hook answers, holds) stays in status and Events. */
export const NOTIFIED: Readonly<Record<string, Severity>> = {
  ShiftStarted: 'info',
  StepAdvanced: 'info',
  Switched: 'info',
  Promoted: 'info',
  CommandApplied: 'info',
  CommandRejected: 'warning',
  ProgressDeadlineApproaching: 'warning',
  RolledBack: 'error',
};

/** One message, whatever the format it is sent in (src/notify/providers.ts). */
export interface Notification {
  readonly apiVersion: typeof API_VERSION;
  /** The history event: ShiftStarted, StepAdvanced, Switched, Promoted, RolledBack, CommandApplied, CommandRejected, ProgressDeadlineApproaching. */
  readonly event: string;
  readonly severity: Severity;
  readonly namespace: string;
  readonly shift: string;
  /** The history line (with the verdict's numbers for a fallback). */
  readonly message: string;
  /** Who gave the command, for commands. */
  readonly by?: string;
  readonly phase: Phase | null;
  readonly versions: { readonly stable: string | null; readonly candidate: string | null };
  readonly weights: Weights;
  readonly step: number | null;
  /** The last gate verdict with its counts, null before the first. */
  readonly lastVerdict: GateRecord | null;
  /** When it was decided (ISO 8601). */
  readonly time: string;
}

/** Whether `severity` reaches a target whose lowest severity is `floor`. */
export const atLeast = (severity: Severity, floor: Severity): boolean => SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(floor);

/**
 * The notifications of a written decision: its new history lines whose event is notified. The
 * last `events.length` history entries are this decision's (finish.ts writes both from the same
 * notes), so `by` comes from history.
 */
export const notificationsOf = (namespace: string, shift: string, decision: Decision): readonly Notification[] => {
  const added: readonly HistoryEntry[] = decision.events.length === 0 ? [] : (decision.status.history ?? []).slice(-decision.events.length);
  const s = decision.status;
  return added.flatMap((entry): Notification[] => {
    const severity = NOTIFIED[entry.event];
    if (severity === undefined) return [];
    return [{
      apiVersion: API_VERSION,
      event: entry.event,
      severity,
      namespace,
      shift,
      message: entry.message,
      ...(entry.by !== undefined ? { by: entry.by } : {}),
      phase: s.phase ?? null,
      versions: { stable: s.stableVersion ?? null, candidate: s.candidateVersion ?? null },
      weights: entry.weights ?? s.weights ?? { stable: 100, candidate: 0 },
      step: s.step ?? null,
      lastVerdict: s.lastGate ?? null,
      time: entry.time,
    }];
  });
};
