/**
 * Validation of spec.schedule: the cron expression and the IANA time zone. Kept apart so the
 * schedule module (src/schedule) owns the parsing and this file only reports.
 */
import { checkStart } from '../schedule/cron';
import { FieldError, fieldError } from './fieldError';
import { Schedule } from './spec';

/** True when the runtime knows the IANA zone name. */
export const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

export const checkSchedule = (s: Schedule): FieldError[] => {
  const errors: FieldError[] = [];
  const startProblem = s.start === undefined ? undefined : checkStart(s.start);
  if (startProblem !== undefined) errors.push(fieldError('spec.schedule.start', s.start, startProblem));
  if (s.timeZone !== undefined && !isTimeZone(s.timeZone))
    errors.push(fieldError('spec.schedule.timeZone', s.timeZone, 'is not an IANA time zone (expected e.g. "Europe/Berlin" or "UTC")'));
  (s.windows ?? []).forEach((w, i) => {
    if (w.days.length === 0) errors.push(fieldError(`spec.schedule.windows[${i}].days`, w.days, 'is empty; expected at least one day'));
    if (w.from === w.to) errors.push(fieldError(`spec.schedule.windows[${i}].to`, w.to, `equals from; expected a window of some length`));
  });
  return errors;
};
