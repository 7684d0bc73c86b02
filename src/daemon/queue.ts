/**
 * One serialized queue per object key (pepr's queueKey, controller-runtime's workqueue rules):
 *   - two runs of the same key never overlap; an add while it runs marks it dirty and it runs
 *     once more afterwards (many adds coalesce into one run);
 *   - different keys run concurrently, at most `concurrency` at a time;
 *   - requeue-after keeps one timer per key and the earliest due time wins;
 *   - a run that throws is retried with per-key exponential backoff (1 s doubling to 60 s);
 *   - every `resyncMs` every known key is added again (level-based safety net);
 *   - stop() takes no more work, drops timers and resolves when the runs in flight finish.
 * Time comes from `timers` so tests drive it with fake timers.
 */

/** What a run returns: when to look at the key again at the latest (ms), or undefined for "on change only". */
export type Worker = (key: string) => Promise<number | undefined>;

export interface QueueTimers {
  readonly setTimeout: (fn: () => void, ms: number) => unknown;
  readonly clearTimeout: (handle: unknown) => void;
  readonly now: () => number;
}

export const realTimers: QueueTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  now: () => Date.now(),
};

export interface QueueOptions {
  readonly worker: Worker;
  /** Most keys running at once. Default 16. */
  readonly concurrency?: number;
  /** Period of the full resync, ms; 0 disables it. Default 0. */
  readonly resyncMs?: number;
  /** The keys to add on every resync. Default none. */
  readonly keys?: () => readonly string[];
  /** Called with the number of keys waiting to run whenever it changes (the depth gauge). */
  readonly onDepth?: (depth: number) => void;
  /** Called when a run throws (it is retried with backoff). */
  readonly onError?: (key: string, err: unknown, retryInMs: number) => void;
  readonly timers?: QueueTimers;
  /** First retry delay after an error, ms. Default 1000. */
  readonly baseBackoffMs?: number;
  /** Longest retry delay, ms. Default 60000. */
  readonly maxBackoffMs?: number;
}

export interface WorkQueue {
  /** Run `key` as soon as possible (coalesces with a pending run). */
  readonly add: (key: string) => void;
  /** Run `key` in `ms` at the latest; an earlier pending timer wins. */
  readonly addAfter: (key: string, ms: number) => void;
  /**
   * Forget a key (the object is gone): drop its timer, backoff and state. A run in flight finishes
   * and its state is then freed, unless the key was added again meanwhile. Nothing is kept per key
   * after that, so deleted objects do not grow the queue.
   */
  readonly forget: (key: string) => void;
  /** Keys waiting to run. */
  readonly depth: () => number;
  /** Keys the queue keeps state for (waiting, running, timed or backing off). */
  readonly size: () => number;
  /** Stop taking work; resolves when the runs in flight have finished. */
  readonly stop: () => Promise<void>;
}

interface KeyState {
  running: boolean;
  /** Added while running: run again once it finishes. */
  dirty: boolean;
  /** Waiting in the ready list. */
  queued: boolean;
  timer?: unknown;
  due?: number;
  failures: number;
  /** Forgotten while waiting or running: free the state when the run ends (unless added again). */
  forgotten: boolean;
}

export const createQueue = (options: QueueOptions): WorkQueue => {
  const timers = options.timers ?? realTimers;
  const concurrency = options.concurrency ?? 16;
  const baseBackoff = options.baseBackoffMs ?? 1000;
  const maxBackoff = options.maxBackoffMs ?? 60_000;
  const states = new Map<string, KeyState>();
  const ready: string[] = [];
  let active = 0;
  let stopped = false;
  let idle: (() => void) | undefined;
  let resyncTimer: unknown;

  const state = (key: string): KeyState => {
    let s = states.get(key);
    if (!s) {
      s = { running: false, dirty: false, queued: false, failures: 0, forgotten: false };
      states.set(key, s);
    }
    return s;
  };
  const reportDepth = (): void => options.onDepth?.(ready.length);

  const pump = (): void => {
    while (!stopped && active < concurrency && ready.length > 0) {
      const key = ready.shift()!;
      const s = state(key);
      s.queued = false;
      s.running = true;
      active++;
      reportDepth();
      void run(key, s);
    }
  };

  const run = async (key: string, s: KeyState): Promise<void> => {
    let next: number | undefined;
    try {
      next = await options.worker(key);
      s.failures = 0;
    } catch (err) {
      const delay = Math.min(baseBackoff * 2 ** s.failures, maxBackoff);
      s.failures++;
      options.onError?.(key, err, delay);
      next = delay;
    }
    s.running = false;
    active--;
    if (s.forgotten && !s.dirty) {
      clearTimer(s);
      states.delete(key);
    } else if (!stopped) {
      if (next !== undefined) addAfter(key, next);
      if (s.dirty) {
        s.dirty = false;
        add(key);
      }
    }
    if (stopped && active === 0) idle?.();
    pump();
  };

  const add = (key: string): void => {
    if (stopped) return;
    const s = state(key);
    s.forgotten = false;
    if (s.running) {
      s.dirty = true;
      return;
    }
    if (s.queued) return;
    s.queued = true;
    ready.push(key);
    reportDepth();
    pump();
  };

  const clearTimer = (s: KeyState): void => {
    if (s.timer !== undefined) timers.clearTimeout(s.timer);
    s.timer = undefined;
    s.due = undefined;
  };

  const addAfter = (key: string, ms: number): void => {
    if (stopped) return;
    if (ms <= 0) return add(key);
    const s = state(key);
    s.forgotten = false;
    const due = timers.now() + ms;
    if (s.due !== undefined && s.due <= due) return;
    clearTimer(s);
    s.due = due;
    s.timer = timers.setTimeout(() => {
      s.timer = undefined;
      s.due = undefined;
      add(key);
    }, ms);
  };

  const scheduleResync = (): void => {
    if (!options.resyncMs || stopped) return;
    resyncTimer = timers.setTimeout(() => {
      for (const key of options.keys?.() ?? []) add(key);
      scheduleResync();
    }, options.resyncMs);
  };
  scheduleResync();

  return {
    add,
    addAfter,
    forget: (key) => {
      const s = states.get(key);
      if (!s) return;
      clearTimer(s);
      s.failures = 0;
      if (s.running || s.queued) s.forgotten = true;
      else states.delete(key);
    },
    depth: () => ready.length,
    size: () => states.size,
    stop: () => {
      stopped = true;
      if (resyncTimer !== undefined) timers.clearTimeout(resyncTimer);
      for (const s of states.values()) clearTimer(s);
      ready.length = 0;
      reportDepth();
      return active === 0 ? Promise.resolve() : new Promise<void>((resolve) => (idle = resolve));
    },
  };
};
