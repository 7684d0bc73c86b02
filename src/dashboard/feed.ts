/**
 * The live list of shifts behind the overview: list, then watch, again and again (a watch ends
 * after a while, or on an error), keeping the objects in memory and telling every subscriber (one
 * per open page, through server-sent events) what changed. A failure is kept as the feed's
 * problem and sent too, so a page shows "no access" or "API server unreachable" as such.
 *
 * It also notices a daemon that does not answer: a command pending, or a spec generation not
 * observed, for longer than the pages' threshold is shown as "is sluice run running?".
 */
import * as E from 'fp-ts/Either';
import { ShiftClient } from '../cli/cliDeps';
import { KubeObject, keyOf } from '../kube/objects';
import { rowOf, ShiftRow } from './model';
import { kubeErrorProblem, Problem } from './problems';

/** A row as the feed sends it: the model's row and since when the daemon owes an answer (ISO). */
export type FeedRow = ShiftRow & { readonly unansweredSince?: string };

export type FeedMessage =
  | { readonly type: 'snapshot'; readonly rows: readonly FeedRow[]; readonly problem?: Problem }
  | { readonly type: 'upsert'; readonly row: FeedRow }
  | { readonly type: 'delete'; readonly namespace: string; readonly name: string }
  | { readonly type: 'problem'; readonly problem?: Problem };

/** One watch as the feed needs it: events until `onEnd` (with the reason when it failed); the function stops it. */
export type WatchShifts = (
  namespace: string | undefined,
  onEvent: (type: string, obj: KubeObject) => void,
  onEnd: (problem?: Problem) => void,
) => Promise<() => void>;

export interface FeedDeps {
  readonly shifts: ShiftClient;
  readonly watch: WatchShifts;
  /** undefined: every namespace. */
  readonly namespace: string | undefined;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface Feed {
  /** The current snapshot (rows sorted by namespace and name, and the problem if any). */
  readonly snapshot: () => FeedMessage & { type: 'snapshot' };
  /** The object last seen for a shift. */
  readonly object: (namespace: string, name: string) => KubeObject | undefined;
  /** Get every message from now on; returns the unsubscribe function. */
  readonly subscribe: (send: (m: FeedMessage) => void) => () => void;
  readonly stop: () => void;
}

/** What the daemon owes for an object: a pending command or an unobserved generation (or nothing). */
export const owedOf = (obj: KubeObject, row: ShiftRow): string | undefined => {
  const id = obj.metadata.annotations?.['sluice.dev/command-id'];
  if (row.pending !== undefined) return `command ${id ?? row.pending}`;
  if (row.specUnobserved) return `generation ${obj.metadata.generation}`;
  return undefined;
};

/** Retry pause after a failed list or watch, ms. */
export const RETRY_MS = 3000;

export const startFeed = (deps: FeedDeps): Feed => {
  const objects = new Map<string, KubeObject>();
  /** key -> [what is owed, since when (epoch ms)] */
  const owed = new Map<string, [string, number]>();
  const subscribers = new Set<(m: FeedMessage) => void>();
  let problem: Problem | undefined;
  let stopped = false;
  let stopWatch: (() => void) | undefined;

  const publish = (m: FeedMessage): void => {
    for (const send of subscribers) send(m);
  };
  const feedRow = (obj: KubeObject): FeedRow => {
    const row = rowOf(obj);
    const key = keyOf(row.namespace, row.name);
    const what = owedOf(obj, row);
    const before = owed.get(key);
    if (what === undefined) owed.delete(key);
    else if (before?.[0] !== what) owed.set(key, [what, deps.now()]);
    const since = owed.get(key)?.[1];
    return since === undefined ? row : { ...row, unansweredSince: new Date(since).toISOString() };
  };
  const setProblem = (p: Problem | undefined): void => {
    if (JSON.stringify(p) === JSON.stringify(problem)) return;
    problem = p;
    publish({ type: 'problem', ...(p ? { problem: p } : {}) });
  };
  const upsert = (obj: KubeObject): void => {
    const key = keyOf(obj.metadata.namespace ?? '', obj.metadata.name);
    objects.set(key, obj);
    publish({ type: 'upsert', row: feedRow(obj) });
  };
  const remove = (namespace: string, name: string): void => {
    const key = keyOf(namespace, name);
    if (!objects.delete(key)) return;
    owed.delete(key);
    publish({ type: 'delete', namespace, name });
  };

  const loop = async (): Promise<void> => {
    while (!stopped) {
      const listed = await deps.shifts.list(deps.namespace)();
      if (stopped) return;
      if (E.isLeft(listed)) {
        setProblem(kubeErrorProblem(listed.left));
        await deps.sleep(RETRY_MS);
        continue;
      }
      setProblem(undefined);
      const seen = new Set(listed.right.map((o) => keyOf(o.metadata.namespace ?? '', o.metadata.name)));
      for (const key of [...objects.keys()]) if (!seen.has(key)) remove(...(key.split('/') as [string, string]));
      for (const obj of listed.right) {
        const key = keyOf(obj.metadata.namespace ?? '', obj.metadata.name);
        if (objects.get(key)?.metadata.resourceVersion !== obj.metadata.resourceVersion) upsert(obj);
      }
      const ended = await new Promise<Problem | undefined>((resolve) => {
        deps
          .watch(
            deps.namespace,
            (type, obj) => {
              if (type === 'ADDED' || type === 'MODIFIED') upsert(obj);
              else if (type === 'DELETED') remove(obj.metadata.namespace ?? '', obj.metadata.name);
            },
            resolve,
          )
          .then((stop) => {
            stopWatch = stop;
            if (stopped) stop();
          })
          .catch((e: unknown) => resolve({ _tag: 'ApiUnavailable', message: `cannot watch TrafficShifts: ${e instanceof Error ? e.message : String(e)}` }));
      });
      stopWatch = undefined;
      if (ended !== undefined) {
        setProblem(ended);
        await deps.sleep(RETRY_MS);
      }
    }
  };
  void loop();

  return {
    snapshot: () => {
      const rows = [...objects.values()].map(feedRow).sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
      return { type: 'snapshot', rows, ...(problem ? { problem } : {}) };
    },
    object: (namespace, name) => objects.get(keyOf(namespace, name)),
    subscribe: (send) => {
      subscribers.add(send);
      return () => subscribers.delete(send);
    },
    stop: () => {
      stopped = true;
      stopWatch?.();
    },
  };
};
