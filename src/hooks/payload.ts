/**
 * The JSON body of a webhook call (README "Hooks"): what the shift is doing when the hook is
 * called. Pure; the numbers are carried as numbers, the last verdict as status records it.
 */
import { API_VERSION, HookKind, ResolvedHook } from '../api/spec';
import { GateRecord, Phase, Weights } from '../api/status';
import { ShiftStatus } from '../api/status';
import { HookCall } from '../core/types';

export interface HookPayload {
  readonly apiVersion: typeof API_VERSION;
  /** The hook kind: preStart, preStep, during, confirmPromotion, postPromotion or onFallback. */
  readonly kind: HookKind;
  /** The hook's name in the spec. */
  readonly hook: string;
  /** Same for every retry of this call and for a call repeated after a daemon restart: receivers dedupe on it. */
  readonly delivery: string;
  readonly namespace: string;
  /** The TrafficShift's name. */
  readonly shift: string;
  readonly phase: Phase | null;
  readonly versions: { readonly stable: string | null; readonly candidate: string | null };
  readonly weights: Weights;
  /** Canary step index (0-based; -1 before the first step), null when none. */
  readonly step: number | null;
  /** status.lastGate: the last verdict with its numbers, null before the first check. */
  readonly lastVerdict: GateRecord | null;
  /** What the call is for (HookRecord.occasion) and which call for it. */
  readonly occasion: string;
  readonly attempt: number;
  /** spec.hooks.<kind>[].metadata, as written. */
  readonly metadata: Readonly<Record<string, string>>;
  /** When the call was made (ISO 8601). */
  readonly time: string;
}

/** The delivery id of a call: stable across retries and restarts. */
export const deliveryId = (namespace: string, shift: string, call: HookCall): string =>
  `${namespace}/${shift}/${call.kind}/${call.name}/${call.occasion}/${call.attempt}`;

/**
 * The payload for `call` of `hook`, from the status just written. For postPromotion the
 * candidate is the version just promoted (status.stableVersion by then).
 */
export const hookPayload = (namespace: string, shift: string, status: ShiftStatus, call: HookCall, hook: ResolvedHook, now: number): HookPayload => {
  const promoted = call.kind === 'postPromotion';
  return {
    apiVersion: API_VERSION,
    kind: call.kind,
    hook: hook.name,
    delivery: deliveryId(namespace, shift, call),
    namespace,
    shift,
    phase: status.phase ?? null,
    versions: {
      stable: status.stableVersion ?? null,
      candidate: promoted ? status.stableVersion ?? null : status.candidateVersion ?? null,
    },
    weights: status.weights ?? { stable: 100, candidate: 0 },
    step: status.step ?? null,
    lastVerdict: status.lastGate ?? null,
    occasion: call.occasion,
    attempt: call.attempt,
    metadata: hook.metadata,
    time: new Date(now).toISOString(),
  };
};
