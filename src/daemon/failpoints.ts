/**
 * Crash injection for the chaos suite (test/integration/chaos.test.ts): a Kube decorator that
 * kills the process with SIGKILL right after the Nth successful write of a given kind and
 * operation, so a test can stop a real `sluice run` exactly between two writes.
 *
 * Off unless $SLUICE_FAILPOINT is set. Its value is one or more failpoints separated by commas,
 * each `after:<kind>:<op>:<n>`; the process dies at the first one reached:
 *
 *   after:VirtualService:update:3                     after the 3rd VirtualService update
 *   after:DestinationRule:create:1,after:TrafficShift:status:1   after whichever comes first
 *
 *   kind  DestinationRule | VirtualService | TrafficShift | Lease
 *   op    create         POST of a new object
 *         update         PUT of the whole object
 *         status         PUT of a TrafficShift's status subresource
 *         clear-command  merge patch of a TrafficShift that removes the command annotations
 *         patch          any other merge patch (finalizer, spec.version)
 *   n     a positive integer: counts this process's successful writes of that kind and op
 *
 * A value that does not parse stops the daemon before it starts, with a sentence naming the
 * part, its value and what was expected (a typo must not silently run a chaos test without chaos).
 */
import * as E from 'fp-ts/Either';
import * as TE from 'fp-ts/TaskEither';
import { pipe } from 'fp-ts/function';
import { writeSync } from 'node:fs';
import { ANNOTATION } from '../kube/annotations';
import { KubeError } from '../kube/errors';
import { Kube } from '../kube/kube';
import { KubeObject, ObjectRef, Resource } from '../kube/objects';

export const FAILPOINT_ENV = 'SLUICE_FAILPOINT';
export const FAILPOINT_KINDS = ['DestinationRule', 'VirtualService', 'TrafficShift', 'Lease'] as const;
export const FAILPOINT_OPS = ['create', 'update', 'status', 'clear-command', 'patch'] as const;
export type FailpointKind = (typeof FAILPOINT_KINDS)[number];
export type FailpointOp = (typeof FAILPOINT_OPS)[number];

/** Die right after the `nth` successful write of `kind` by `op`. */
export interface Failpoint {
  readonly kind: FailpointKind;
  readonly op: FailpointOp;
  /** Counted from 1 in this process. */
  readonly nth: number;
}

const isKind = (s: string): s is FailpointKind => (FAILPOINT_KINDS as readonly string[]).includes(s);
const isOp = (s: string): s is FailpointOp => (FAILPOINT_OPS as readonly string[]).includes(s);
const TRAFFIC_SHIFT_ONLY: readonly FailpointOp[] = ['status', 'clear-command'];

/** What happens when a failpoint is reached: `object` is the one just written ("VirtualService shop/reviews"). */
export type Die = (failpoint: Failpoint, object: string) => void;

/** The text of a failpoint, as parsed. */
export const formatFailpoint = (f: Failpoint): string => `after:${f.kind}:${f.op}:${f.nth}`;

/** One `after:<kind>:<op>:<n>`, or a sentence saying what is wrong with it. */
export const parseFailpoint = (text: string): E.Either<string, Failpoint> => {
  const where = `${FAILPOINT_ENV}: ${JSON.stringify(text)}`;
  const parts = text.trim().split(':');
  if (parts.length !== 4) return E.left(`${where} is not a failpoint (expected after:<kind>:<op>:<n>, e.g. after:VirtualService:update:3)`);
  const [when, kind, op, n] = parts as [string, string, string, string];
  if (when !== 'after') return E.left(`${where}: ${JSON.stringify(when)} is not a moment (expected after)`);
  if (!isKind(kind)) return E.left(`${where}: ${JSON.stringify(kind)} is not a kind (expected ${FAILPOINT_KINDS.join(', ')})`);
  if (!isOp(op)) return E.left(`${where}: ${JSON.stringify(op)} is not an operation (expected ${FAILPOINT_OPS.join(', ')})`);
  if (TRAFFIC_SHIFT_ONLY.includes(op) && kind !== 'TrafficShift') return E.left(`${where}: ${op} is an operation on a TrafficShift only, not on a ${kind}`);
  if (!/^[1-9]\d{0,8}$/.test(n)) return E.left(`${where}: ${JSON.stringify(n)} is not a count (expected an integer from 1)`);
  return E.right({ kind, op, nth: Number(n) });
};

/** A comma-separated list of failpoints (at least one); the first problem found. */
export const parseFailpoints = (text: string): E.Either<string, readonly Failpoint[]> => {
  const items = text.split(',');
  const parsed: Failpoint[] = [];
  for (const item of items) {
    const f = parseFailpoint(item);
    if (E.isLeft(f)) return f;
    parsed.push(f.right);
  }
  return E.right(parsed);
};

/** Whether a merge patch removes the command annotations (kube/annotations.ts clearCommandPatch). */
const clearsCommand = (patch: Record<string, unknown>): boolean => {
  const annotations = (patch.metadata as { annotations?: Record<string, unknown> } | undefined)?.annotations;
  return annotations !== undefined && annotations !== null && annotations[ANNOTATION.command] === null;
};

/**
 * `kube` with every failpoint armed: after each successful write the counts go up, and when one
 * reaches its `nth`, `die(failpoint, object written)` is called (in production: SIGKILL, so nothing after it runs).
 * Failed writes do not count.
 */
export const withFailpoints = (kube: Kube, failpoints: readonly Failpoint[], die: Die): Kube => {
  const counts = new Map<string, number>();
  const after = (resource: Resource, op: FailpointOp) => (written: KubeObject): KubeObject => {
    const key = `${resource.kind}:${op}`;
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    const hit = failpoints.find((f) => f.kind === resource.kind && f.op === op && f.nth === n);
    if (hit) die(hit, `${resource.kind} ${written.metadata.namespace ?? ''}/${written.metadata.name}`);
    return written;
  };
  const counted = (resource: Resource, op: FailpointOp, write: TE.TaskEither<KubeError, KubeObject>) => pipe(write, TE.map(after(resource, op)));
  return {
    get: kube.get,
    // The options (the fence's abort signal) pass through: writes in flight end with the term.
    create: (resource, obj, options) => counted(resource, 'create', kube.create(resource, obj, options)),
    replace: (resource, obj, options) => counted(resource, 'update', kube.replace(resource, obj, options)),
    replaceStatus: (ref: ObjectRef, obj, options) => counted(ref.resource, 'status', kube.replaceStatus(ref, obj, options)),
    mergePatch: (ref: ObjectRef, patch, options) => counted(ref.resource, clearsCommand(patch) ? 'clear-command' : 'patch', kube.mergePatch(ref, patch, options)),
    ...(kube.delete ? { delete: (ref: ObjectRef, rv: string, options?: Parameters<NonNullable<Kube['delete']>>[2]) => kube.delete!(ref, rv, options) } : {}),
  };
};

/** SIGKILL this process, after one line on stdout (the daemon's JSON log) saying which failpoint fired. */
export const killSelf: Die = (f, object) => {
  try {
    writeSync(1, `${JSON.stringify({ level: 'warn', msg: 'failpoint reached: SIGKILL', failpoint: formatFailpoint(f), object })}\n`);
  } catch {
    // A closed stdout must not keep the process alive.
  }
  process.kill(process.pid, 'SIGKILL');
};

/**
 * `kube` armed with the failpoints of $SLUICE_FAILPOINT, or `kube` itself when it is unset or
 * empty. Throws an Error with the sentence when the value does not parse (the daemon refuses to start).
 */
export const failpointsFromEnv = (kube: Kube, env: Readonly<Record<string, string | undefined>> = process.env, die: Die = killSelf): Kube => {
  const text = env[FAILPOINT_ENV];
  if (text === undefined || text === '') return kube;
  const parsed = parseFailpoints(text);
  if (E.isLeft(parsed)) throw new Error(parsed.left);
  return withFailpoints(kube, parsed.right, die);
};
