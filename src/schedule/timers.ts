/**
 * The daemon's wake-up at scheduled start times. A Scheduler only wakes: it never decides. When a
 * watched expression fires, the daemon enqueues the shift and the pure core (view.ts) decides from
 * spec + status + now, so a lost, early, late or duplicated wake-up changes nothing but latency.
 *
 * node-cron reads daylight-saving edges differently from view.ts (it skips a start in a skipped
 * hour and fires a repeated one at its second occurrence), so the daemon must also requeue at
 * ScheduleView.nextStart; that requeue is the guarantee, node-cron the punctual everyday wake-up.
 */
import { Logger, ScheduledTask, schedule as cronSchedule } from 'node-cron';

/** What a Scheduler watches: a start expression (checked by checkStart) in a zone. */
export interface WatchedSchedule {
  /** Cron expression, 5 or 6 fields. */
  readonly start: string;
  /** IANA zone. Default UTC. */
  readonly timeZone?: string;
}

export interface Scheduler {
  /**
   * Call `onFire` at every fire of `schedule`. Watching a key again with the same schedule keeps
   * the running timer (cheap to call on every reconcile); with another schedule it replaces it.
   * Returns false when the expression or zone cannot be scheduled (nothing is watched then).
   */
  watch(key: string, schedule: WatchedSchedule, onFire: () => void): boolean;
  /** Stop waking for `key` (shift deleted, schedule removed, or this replica lost leadership). */
  unwatch(key: string): void;
  /** Stop every timer (shutdown, lost leadership). */
  stopAll(): void;
}

/** Where node-cron's own messages go (defaults to silence: wake-ups are not worth a log line). */
export interface SchedulerLog {
  /** node-cron warnings, e.g. a missed execution while the event loop was blocked. */
  readonly warn: (message: string) => void;
}

/** The production Scheduler: one node-cron task per key, `unref`ed so it never holds the process open. */
export const cronScheduler = (log: SchedulerLog = { warn: () => undefined }): Scheduler => {
  const tasks = new Map<string, { readonly id: string; readonly task: ScheduledTask; onFire: () => void }>();
  const logger: Logger = {
    info: () => undefined,
    warn: log.warn,
    error: (m) => log.warn(String(m)),
    debug: () => undefined,
  };
  const unwatch = (key: string): void => {
    const entry = tasks.get(key);
    if (entry === undefined) return;
    tasks.delete(key);
    void entry.task.destroy();
  };
  return {
    watch: (key, watched, onFire) => {
      const timezone = watched.timeZone ?? 'UTC';
      const id = `${watched.start}\u0000${timezone}`;
      const existing = tasks.get(key);
      if (existing !== undefined && existing.id === id) {
        existing.onFire = onFire;
        return true;
      }
      unwatch(key);
      try {
        const entry = { id, onFire, task: undefined as unknown as ScheduledTask };
        entry.task = cronSchedule(watched.start, () => entry.onFire(), { timezone, name: `sluice:${key}`, logger, unref: true, noOverlap: true });
        tasks.set(key, entry);
        return true;
      } catch (e) {
        log.warn(`${key}: cannot watch schedule ${JSON.stringify(watched.start)} in ${timezone}: ${(e as Error).message}`);
        return false;
      }
    },
    unwatch,
    stopAll: () => [...tasks.keys()].forEach(unwatch),
  };
};
