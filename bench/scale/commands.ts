/**
 * SRE commands sent the way `kubectl annotate` (or `sluice set-weight|abort|shift`) sends them:
 * a merge patch of annotations on the TrafficShift. Each is timed from the stored annotation
 * write to the stored VirtualService write that carries it out (both from the audit log, on the
 * API server's clock). The driver keeps every shift active: after an abort it sends `retry`, after
 * a shift-to the stable version it shifts back to v2; those follow-ups are not timed.
 */
import { seededRng } from '../../test/mesh-sim/prng';
import { Api } from './api';
import { bySluice, stored, Write } from './auditTail';
import { CANARY_STEPS, Target } from './fleet';
import { mergePatch, shiftPath } from './setup';

export type Verb = 'set-weight' | 'abort' | 'shift-to';
export const VERBS: readonly Verb[] = ['set-weight', 'abort', 'shift-to'];

/** What the driver believes of a shift: active with a candidate weight, or busy (a command or churn in flight). */
interface Tracked { weight: number; busy: boolean; gone: boolean }

export interface Timed { readonly verb: Verb; readonly shift: string; readonly ms: number }

export interface CommandResults {
  readonly timed: Timed[];
  /** Commands whose VirtualService write did not come within the timeout. */
  readonly missed: { readonly verb: Verb; readonly shift: string }[];
}

const keyOf = (t: Target): string => `${t.namespace}/${t.name}`;

export interface Commander {
  /** Send one command of `verb` to a random idle active shift among `among` and wait for its VirtualService write; undefined when none is idle. */
  readonly send: (verb: Verb, among: readonly Target[]) => Promise<Timed | 'missed' | undefined>;
  /** Mark a shift busy (churn deletes it) or active again at the first step. */
  readonly hold: (t: Target) => boolean;
  readonly release: (t: Target) => void;
  /** Feed the audit log's new writes (call often). */
  readonly observe: (writes: readonly Write[]) => void;
}

const TIMEOUT_MS = 60_000;

export const commander = (api: Api, run: string, random: () => number): Commander => {
  const tracked = new Map<string, Tracked>();
  const stateOf = (t: Target): Tracked => {
    let s = tracked.get(keyOf(t));
    if (!s) tracked.set(keyOf(t), (s = { weight: CANARY_STEPS[0], busy: false, gone: false }));
    return s;
  };
  // command-id -> when its annotation write was stored; per shift, when sluice last wrote its
  // VirtualService and last cleared a command (µs, the API server's clock)
  const storedAt = new Map<string, number>();
  const routedAt = new Map<string, number[]>();
  const clearedAt = new Map<string, number>();
  let seq = 0;

  const observe = (writes: readonly Write[]): void => {
    for (const w of writes) {
      if (!stored(w)) continue;
      const key = `${w.namespace}/${w.name}`;
      if (w.resource === 'trafficshifts' && !w.subresource) {
        if (w.commandId !== undefined && !bySluice(w)) storedAt.set(w.commandId, w.atMicros);
        if (w.clearsCommand && bySluice(w)) clearedAt.set(key, w.atMicros);
      }
      if (w.resource === 'virtualservices' && bySluice(w)) {
        const list = routedAt.get(key) ?? [];
        list.push(w.atMicros);
        if (list.length > 8) list.shift();
        routedAt.set(key, list);
      }
    }
  };

  /**
   * Patch the annotations; resolves with when the patch was stored and the first VirtualService
   * write after it, once the daemon also cleared the command (the next command must not meet
   * this one's annotations: two at once are rejected). Undefined after the timeout.
   */
  const command = async (t: Target, annotations: Record<string, string>): Promise<{ at: number; routed: number } | undefined> => {
    const id = `bench-${run}-${++seq}`;
    const key = keyOf(t);
    await mergePatch(api, shiftPath(t), { metadata: { annotations: { ...annotations, 'sluice.dev/by': 'bench', 'sluice.dev/command-id': id } } });
    const until = Date.now() + TIMEOUT_MS;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 25));
      const at = storedAt.get(id);
      if (at === undefined) continue;
      const routed = routedAt.get(key)?.find((x) => x > at);
      if (routed !== undefined && (clearedAt.get(key) ?? 0) > at) {
        storedAt.delete(id);
        return { at, routed };
      }
    }
    storedAt.delete(id);
    return undefined;
  };

  const send = async (verb: Verb, among: readonly Target[]): Promise<Timed | 'missed' | undefined> => {
    const idle = among.filter((t) => !stateOf(t).busy && !stateOf(t).gone);
    if (idle.length === 0) return undefined;
    const t = idle[Math.floor(random() * idle.length)]!;
    const s = stateOf(t);
    s.busy = true;
    try {
      let annotations: Record<string, string>;
      let followUp: Record<string, string> | undefined;
      if (verb === 'set-weight') {
        let w = 1 + Math.floor(random() * 99);
        if (w === s.weight) w = w === 99 ? 1 : w + 1;
        annotations = { 'sluice.dev/set-weight': String(w) };
        s.weight = w;
      } else if (verb === 'abort') {
        annotations = { 'sluice.dev/command': 'abort' };
        followUp = { 'sluice.dev/command': 'retry' };
      } else {
        annotations = { 'sluice.dev/shift-to': 'v1' };
        followUp = { 'sluice.dev/shift-to': 'v2' };
      }
      const done = await command(t, annotations);
      if (!done) return 'missed';
      const timed: Timed = { verb, shift: keyOf(t), ms: (done.routed - done.at) / 1000 };
      if (followUp) {
        await command(t, followUp);
        s.weight = CANARY_STEPS[0];
      }
      return timed;
    } finally {
      s.busy = false;
    }
  };

  return {
    send,
    observe,
    hold: (t) => {
      const s = stateOf(t);
      if (s.busy || s.gone) return false;
      s.busy = s.gone = true;
      return true;
    },
    release: (t) => {
      const s = stateOf(t);
      s.busy = s.gone = false;
      s.weight = CANARY_STEPS[0];
    },
  };
};

/** A small seeded PRNG (the mesh simulator's mulberry32), so a run's choice of shifts can be repeated. */
export const seeded = seededRng;
