/**
 * Scheduled shifts (docs/scheduling.md). Pure: `checkStart`, `nextFire`, `inWindow`,
 * `nextWindowChange`, `nextStart`, `scheduleView`, `describeInstant` (time is a parameter).
 * Effectful: `cronScheduler`, the daemon's node-cron wake-up at start times.
 */
export { checkStart, nextFire } from './cron';
export { inWindow, lastWindowChange, nextWindowChange } from './windows';
export { describeInstant, nextStart, scheduleView, ScheduleError } from './view';
export type { ScheduleSpec } from './view';
export { cronScheduler } from './timers';
export type { Scheduler, SchedulerLog, WatchedSchedule } from './timers';
