/**
 * Keeping a client-node informer running. Its ListWatch resumes from the last resourceVersion
 * after a clean close and relists after 410 Gone, but after any other error (API server down,
 * 403, a failed list) it calls its error callbacks and STOPS for good. `keepWatching` restarts it
 * after each error with exponential backoff (500 ms doubling to 30 s; reset once a start
 * succeeds); a restart resumes from the last resourceVersion the informer saw.
 */

/** The part of client-node's Informer this needs. */
export interface Startable {
  start(): Promise<void>;
  stop(): Promise<void>;
  on(verb: 'error', cb: (err?: unknown) => void): void;
}

export interface RestartTimers {
  readonly setTimeout: (fn: () => void, ms: number) => unknown;
  readonly clearTimeout: (handle: unknown) => void;
}

export interface Watching {
  /** The informer has listed at least once. */
  readonly synced: () => boolean;
  readonly stop: () => Promise<void>;
}

export const BASE_BACKOFF_MS = 500;
export const MAX_BACKOFF_MS = 30_000;

export const keepWatching = (
  informer: Startable,
  what: string,
  log: { readonly info: (m: string, f?: Record<string, unknown>) => void; readonly warn: (m: string, f?: Record<string, unknown>) => void },
  timers: RestartTimers = { setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
): Watching => {
  let synced = false;
  let stopped = false;
  let backoffMs = BASE_BACKOFF_MS;
  let timer: unknown;

  const start = (): void => {
    if (stopped) return;
    informer.start().then(
      () => {
        if (!synced) log.info('watch synced', { path: what });
        synced = true;
        backoffMs = BASE_BACKOFF_MS;
      },
      (err: unknown) => restartLater(err),
    );
  };
  const restartLater = (err: unknown): void => {
    if (stopped || timer !== undefined) return;
    log.warn('watch failed; restarting', { path: what, error: String((err as Error | undefined)?.message ?? err), retryInMs: backoffMs });
    timer = timers.setTimeout(() => {
      timer = undefined;
      start();
    }, backoffMs);
    backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
  };
  informer.on('error', restartLater);
  start();

  return {
    synced: () => synced,
    stop: async () => {
      stopped = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      await informer.stop();
    },
  };
};
