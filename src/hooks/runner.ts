/**
 * The HookRunner makes the webhook calls decisions ask for (Decision.hookCalls) and keeps how each
 * ended for the next decision (Observations.hooks). It never judges an answer (that is the
 * core's job, src/core/hooks.ts) and never blocks a reconcile: `request` starts calls and returns
 * at once; when a call ends, the shift is enqueued (`onAnswer`).
 *
 * Bounds, so a receiver that hangs or fails cannot wedge anything:
 *   - one call at a time per hook of a shift (a `during` call still running when the next interval
 *     comes is not doubled; the core asks again);
 *   - each request ends within the hook's timeout (at most 60 s); a call makes at most
 *     1 + retries (at most 6) requests, one second apart, so it ends within about 6 min 5 s;
 *   - at most `maxInFlight` calls at once in the daemon; beyond that a call waits for a later
 *     reconcile (the core requeues within one analysis.interval).
 * Answers live in memory only: a restarted daemon has none, and the core asks again for every
 * call whose answer status does not record yet (at least once).
 */
import * as E from 'fp-ts/Either';
import { performance } from 'node:perf_hooks';
import { HookKind, ResolvedHook, ResolvedSpec } from '../api/spec';
import { ShiftStatus } from '../api/status';
import { HookAnswer, HookCall } from '../core/types';
import { WebhookClient } from './client';
import { deliveryId, hookPayload } from './payload';
import { webhookTarget, WebhookPolicyConfig } from './policy';
import { SecretReader } from './secrets';
import { DELIVERY_HEADER, KIND_HEADER, signBody, SIGNATURE_HEADER } from './signature';

/** What a shift's calls are made from: the spec (hook definitions) and the status just written (payload). */
export interface ShiftForHooks {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly spec: ResolvedSpec;
  readonly status: ShiftStatus;
}

export interface HookRunnerDeps {
  readonly client: WebhookClient;
  readonly secrets: SecretReader;
  /** The operator's allow-list, checked again right before each call (admission checked it first). */
  readonly policy: WebhookPolicyConfig;
  /** A call of shift `key` ended: enqueue it. */
  readonly onAnswer: (key: string) => void;
  /** Epoch ms, for the payload's time. Default Date.now. */
  readonly now?: () => number;
  /** Pause between a failed request and the next one. Default 1 s. */
  readonly retryDelayMs?: number;
  /** Calls running at once in this daemon. Default 32. */
  readonly maxInFlight?: number;
  /** Told of every ended call: kind, HTTP status (undefined: no answer), seconds taken. Default none. */
  readonly observe?: (kind: HookKind, code: number | undefined, seconds: number) => void;
}

export interface HookRunner {
  /** Start the calls not made yet (each distinct call once); returns at once. */
  readonly request: (shift: ShiftForHooks, calls: readonly HookCall[]) => void;
  /** The latest ended call of each hook of shift `key`. */
  readonly answers: (key: string) => readonly HookAnswer[];
  /** Forget a shift (deleted): its answers go, calls in flight end unheard. */
  readonly forget: (key: string) => void;
  /** Abandon every call in flight and forget everything (this replica stops leading). */
  readonly stop: () => void;
  /** Calls running now. */
  readonly inFlight: () => number;
}

interface Slot {
  /** Delivery id of the call running now. */
  running?: string;
  /** Delivery id of the last ended call, and how it ended. */
  ended?: string;
  answer?: HookAnswer;
}

/** A 5xx, 429 or 408 is worth another request; any other answer is the receiver's word. */
const retryable = (code: number): boolean => code >= 500 || code === 429 || code === 408;

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

export const createHookRunner = (deps: HookRunnerDeps): HookRunner => {
  const now = deps.now ?? Date.now;
  const retryDelayMs = deps.retryDelayMs ?? 1000;
  const maxInFlight = deps.maxInFlight ?? 32;
  const slots = new Map<string, Map<string, Slot>>();
  let abort = new AbortController();
  let running = 0;

  const slotOf = (key: string, call: HookCall): Slot => {
    const mine = slots.get(key) ?? new Map<string, Slot>();
    slots.set(key, mine);
    const id = `${call.kind}/${call.name}`;
    const slot = mine.get(id) ?? {};
    mine.set(id, slot);
    return slot;
  };

  /** One call: read the key, check the URL, sign, POST with retries. Always ends in an answer. */
  const call = async (shift: ShiftForHooks, c: HookCall, hook: ResolvedHook, signal: AbortSignal): Promise<HookAnswer> => {
    const began = performance.now();
    const ended = (requests: number, outcome: { readonly _tag: 'Answered'; readonly code: number } | { readonly _tag: 'NoAnswer'; readonly reason: string }): HookAnswer =>
      ({ ...c, ...outcome, requests, latencyMs: performance.now() - began }) as HookAnswer;
    const secretRef = shift.spec.hooks?.signingSecret;
    if (secretRef === undefined) return ended(0, { _tag: 'NoAnswer', reason: 'spec.hooks.signingSecret is not set' });
    const secret = await deps.secrets.read(shift.namespace, secretRef)();
    if (E.isLeft(secret)) return ended(0, { _tag: 'NoAnswer', reason: `not signed: ${secret.left.message}` });
    const index = (shift.spec.hooks?.[c.kind] ?? []).indexOf(hook);
    const target = webhookTarget(deps.policy, hook.url, `spec.hooks.${c.kind}[${index}].url`);
    if (E.isLeft(target)) return ended(0, { _tag: 'NoAnswer', reason: target.left });
    const body = JSON.stringify(hookPayload(shift.namespace, shift.name, shift.status, c, hook, now()));
    const headers = {
      [SIGNATURE_HEADER]: signBody(secret.right, body),
      [DELIVERY_HEADER]: deliveryId(shift.namespace, shift.name, c),
      [KIND_HEADER]: c.kind,
    };
    let requests = 0;
    for (;;) {
      const r = await deps.client.post({ url: target.right, body, headers, timeoutMs: hook.timeoutMs, signal })();
      requests++;
      const last = requests > hook.retries || signal.aborted;
      if (E.isRight(r) && (!retryable(r.right.code) || last)) return ended(requests, { _tag: 'Answered', code: r.right.code });
      if (E.isLeft(r) && last) return ended(requests, { _tag: 'NoAnswer', reason: r.left.message });
      await sleep(retryDelayMs, signal);
    }
  };

  const start = (shift: ShiftForHooks, c: HookCall, slot: Slot, id: string): void => {
    const hook = (shift.spec.hooks?.[c.kind] ?? []).find((h) => h.name === c.name);
    if (hook === undefined) return;
    slot.running = id;
    running++;
    const signal = abort.signal;
    void call(shift, c, hook, signal).then((answer) => {
      running--;
      // Forgotten or stopped meanwhile: nobody waits for this answer.
      if (slot.running !== id || signal.aborted) return;
      slot.running = undefined;
      slot.ended = id;
      slot.answer = answer;
      deps.observe?.(c.kind, answer._tag === 'Answered' ? answer.code : undefined, answer.latencyMs / 1000);
      deps.onAnswer(shift.key);
    });
  };

  return {
    request: (shift, calls) => {
      for (const c of calls) {
        const id = deliveryId(shift.namespace, shift.name, c);
        const slot = slotOf(shift.key, c);
        if (slot.running !== undefined || slot.ended === id) continue;
        if (running >= maxInFlight) return;
        start(shift, c, slot, id);
      }
    },
    answers: (key) => [...(slots.get(key)?.values() ?? [])].flatMap((s) => (s.answer !== undefined ? [s.answer] : [])),
    forget: (key) => {
      for (const slot of slots.get(key)?.values() ?? []) slot.running = undefined;
      slots.delete(key);
    },
    stop: () => {
      abort.abort();
      abort = new AbortController();
      slots.clear();
    },
    inFlight: () => running,
  };
};
