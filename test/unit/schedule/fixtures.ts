/** Shared builders for the schedule tests: instants from ISO text, windows, the maintenance sample. */
import { Day, Window } from '../../../src/api/spec';
import { ScheduleSpec } from '../../../src/schedule';

/** Epoch ms of an ISO 8601 instant ("2026-03-29T01:00:00Z"). */
export const at = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad instant in test: ${iso}`);
  return ms;
};

/** ISO text of an instant (or undefined), for readable expectations. */
export const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

export const WEEKDAYS: Day[] = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'];

export const window = (days: Day[], from: string, to: string): Window => ({ days, from, to });

/** istio/samples/scheduled-canary.yaml: start 02:00 on weekdays in Berlin, advance only 02:00-05:00. */
export const maintenance: ScheduleSpec = {
  start: '0 2 * * 1-5',
  timeZone: 'Europe/Berlin',
  windows: [window(WEEKDAYS, '02:00', '05:00')],
};
