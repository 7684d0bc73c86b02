/**
 * The failures the daemon (not the core) detects: a spec that does not decode, an Istio object
 * sluice may not write or cannot read, and routes the API server refuses (Istio's schema rejects
 * a field sluice copies as written, e.g. spec.route.retries). Each leaves traffic exactly as it is
 * and says why in status (phase Failed, Ready=False with the reason) and in a Warning Event.
 */
import { Condition, Phase, ShiftStatus } from '../api/status';

/** Ready=False reasons set by the daemon itself. */
export type FailureReason = 'InvalidSpec' | 'NotOwned' | 'UnreadableRoutes' | 'RoutesRejected' | 'UnsafeRoutes';
const DAEMON_REASONS: readonly string[] = ['InvalidSpec', 'NotOwned', 'UnreadableRoutes', 'RoutesRejected', 'UnsafeRoutes'];

/** `status` moved to Failed for `reason`; the Ready condition keeps its transition time while unchanged. */
export const failedStatus = (status: ShiftStatus, generation: number | undefined, reason: FailureReason, message: string, nowIso: string): ShiftStatus => {
  const prev = status.conditions?.find((c) => c.type === 'Ready');
  const unchanged = prev?.status === 'False' && prev.reason === reason && prev.message === message;
  const ready: Condition = {
    type: 'Ready',
    status: 'False',
    reason,
    message,
    lastTransitionTime: unchanged && prev ? prev.lastTransitionTime : nowIso,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
  return {
    ...status,
    phase: 'Failed',
    message,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    conditions: [...(status.conditions ?? []).filter((c) => c.type !== 'Ready'), ready],
  };
};

/**
 * The status the core should see once a daemon-detected failure is fixed: the phase the shift
 * was in, read back from what status still records (the failure changed nothing else). A shift
 * with a candidate carrying traffic was Progressing; one with a stable version was Idle.
 */
export const recoveredStatus = (status: ShiftStatus): ShiftStatus => {
  if (status.phase !== 'Failed') return status;
  const reason = status.conditions?.find((c) => c.type === 'Ready')?.reason;
  if (reason === undefined || !DAEMON_REASONS.includes(reason)) return status;
  const phase: Phase | undefined =
    status.candidateVersion !== undefined && (status.weights?.candidate ?? 0) > 0 ? 'Progressing' : status.stableVersion !== undefined ? 'Idle' : undefined;
  const { phase: _failed, message: _message, ...rest } = status;
  return phase ? { ...rest, phase } : rest;
};
