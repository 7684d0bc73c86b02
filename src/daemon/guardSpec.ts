/**
 * What the daemon still knows when a spec stops decoding (a cron or time zone the CRD accepts
 * and the codec refuses, a field edited mid-shift): the spec with each offending field removed,
 * so its default stands in. The core runs on it only to guard — a shift under a problem never
 * starts or advances (core/decide.ts `troubled`) — so a candidate with traffic keeps its gate,
 * its readiness check and its deadline while the spec is being fixed.
 */
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { toFieldErrors } from '../api/codecs';
import { FieldError } from '../api/fieldError';
import { ResolvedSpec, TrafficShiftSpec } from '../api/spec';
import { resolveSpec } from '../api/trafficShift';

/** Rounds of removing fields before giving up (a removal can reveal a required field, then its parent goes). */
const MAX_ROUNDS = 8;

/** `spec.strategy.canary.steps[2]` -> ['spec', 'strategy', 'canary', 'steps']: the field to drop is the list, not one item. */
const keysOf = (path: string): string[] => {
  const cut = path.indexOf('[');
  return (cut >= 0 ? path.slice(0, cut) : path).split('.').filter((k) => k !== '');
};

/** `obj` without the field at `keys` (a copy along the way); unchanged when the path does not exist. */
const without = (obj: unknown, keys: readonly string[]): unknown => {
  if (keys.length === 0 || typeof obj !== 'object' || obj === null || Array.isArray(obj)) return obj;
  const [head, ...rest] = keys as [string, ...string[]];
  const record = obj as Record<string, unknown>;
  if (!(head in record)) return obj;
  if (rest.length === 0) {
    const { [head]: _dropped, ...kept } = record;
    return kept;
  }
  return { ...record, [head]: without(record[head], rest) };
};

/** The structural reading of a raw spec (no cross-field checks), or the fields that keep it from one. */
const structural = (spec: unknown): E.Either<readonly FieldError[], ResolvedSpec> =>
  pipe(TrafficShiftSpec.decode(spec), E.mapLeft((errs) => toFieldErrors(errs, 'spec')), E.map(resolveSpec));

/**
 * The spec to guard with, or undefined when even the required fields (service, version) do not
 * decode. Read structurally, without the cross-field checks (step order, deadline against
 * interval, cron syntax) and without the schedule (a shift under a problem neither starts nor
 * advances). Each round removes the fields the errors name; a field still wrong after its removal
 * (a required one) takes its parent with it, so the parent's default stands in.
 */
export const guardSpec = (obj: unknown): ResolvedSpec | undefined => {
  const raw = (obj as { spec?: unknown } | null)?.spec;
  let current = without({ spec: raw }, ['spec', 'schedule']) as { spec?: unknown };
  const removed = new Set<string>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const decoded = structural(current.spec);
    if (E.isRight(decoded)) return decoded.right;
    const paths = decoded.left.map((e) => {
      let keys = keysOf(e.path);
      while (removed.has(keys.join('.')) && keys.length > 2) keys = keys.slice(0, -1);
      return keys;
    }).filter((k) => k[0] === 'spec' && k.length > 1 && !removed.has(k.join('.')));
    if (paths.length === 0) return undefined;
    paths.forEach((k) => removed.add(k.join('.')));
    current = paths.reduce<unknown>((o, keys) => without(o, keys), current) as { spec?: unknown };
  }
  return undefined;
};
