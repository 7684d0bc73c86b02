/**
 * Problems the daemon (not the core) meets are conditions, never a phase: status.phase is the
 * core's alone (it keeps guarding a shift whatever the daemon reports). A route write refused
 * after the status was written is reported here: Ready=False with the reason and message, the
 * phase and everything else untouched. Earlier versions of sluice set phase Failed instead; such a
 * status is read back once by `recoveredStatus` below.
 */
import { Condition, Phase, ShiftStatus } from '../api/status';
import { Problem } from '../core/types';

/** `status` with Ready=False for `problem`; the condition keeps its transition time while unchanged. */
export const reportedStatus = (status: ShiftStatus, generation: number | undefined, problem: Problem, nowIso: string): ShiftStatus => {
  const prev = status.conditions?.find((c) => c.type === 'Ready');
  const unchanged = prev?.status === 'False' && prev.reason === problem.reason && prev.message === problem.message;
  const ready: Condition = {
    type: 'Ready',
    status: 'False',
    reason: problem.reason,
    message: problem.message,
    lastTransitionTime: unchanged && prev ? prev.lastTransitionTime : nowIso,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
  return { ...status, conditions: [...(status.conditions ?? []).filter((c) => c.type !== 'Ready'), ready] };
};

/** Ready=False reasons that older versions of the daemon paired with phase Failed. */
const DAEMON_REASONS: readonly string[] = ['InvalidSpec', 'NotOwned', 'UnreadableRoutes', 'RoutesRejected', 'UnsafeRoutes'];

/** Upgrade path only: a status an older daemon left in phase Failed (no version writes it now), read as a phase the core knows. */
export const recoveredStatus = (status: ShiftStatus): ShiftStatus => {
  if (status.phase !== 'Failed') return status;
  const reason = status.conditions?.find((c) => c.type === 'Ready')?.reason;
  if (reason === undefined || !DAEMON_REASONS.includes(reason)) return status;
  // The phase before the failure is lost; choose the reading that never adds traffic by itself:
  // a candidate with traffic is Paused (still guarded; an SRE resumes or aborts), one without is
  // RolledBack (it needs retry), and no candidate is Idle.
  const { phase: _failed, message: _message, ...rest } = status;
  const candidate = status.candidateVersion;
  const weight = status.weights?.candidate ?? 0;
  if (candidate !== undefined && weight > 0) {
    const from = weight === 100 ? 'Promoting' : 'Progressing';
    return { ...rest, phase: 'Paused', pausedFrom: from, pausedAt: rest.pausedAt ?? rest.stepStartedAt ?? new Date(0).toISOString() };
  }
  const phase: Phase | undefined = candidate !== undefined ? 'RolledBack' : status.stableVersion !== undefined ? 'Idle' : undefined;
  return phase ? { ...rest, phase } : rest;
};
