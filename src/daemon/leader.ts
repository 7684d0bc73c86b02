/**
 * Leader election on a coordination.k8s.io/v1 Lease, the client-go algorithm, with the leader's
 * own view bounded by a monotonic clock:
 *   - every retryPeriod, try to acquire or renew (`planLease`, pure): create the Lease if absent;
 *     take it if it is free (empty holder) or expired; renew it if we hold it. Writes are guarded
 *     by resourceVersion, so of two replicas racing for it exactly one wins.
 *   - "expired" is judged on the local monotonic clock, from when this replica last saw the lease
 *     record change (not from renewTime, which another machine's clock wrote), as client-go does.
 *   - this replica leads only while now < (start of its last successful renewal) + renewDeadline.
 *     The renewal is counted from when it was SENT: the API server applied it later, and a standby
 *     waits leaseDuration from when it SAW that record, so the leader's own deadline always falls
 *     at least leaseDuration - renewDeadline (5 s by default) before any standby can take over.
 *     When the deadline passes the replica stops leading at once (a timer, and every isLeader()
 *     reads the clock): an attempt that hangs cannot keep it leading; the attempt is abandoned at
 *     the deadline and its late answer, if any, only counts from when it was sent.
 *   - writes are fenced (`fenceWrites`): each write checks, right before it is sent, that this
 *     replica still leads in the term the work started in; it is refused (NotLeader) otherwise, and
 *     one in flight is aborted when the term ends.
 *   - release() (on SIGTERM) writes an empty holder and leaseDurationSeconds 1, so a standby
 *     takes over at its next retry instead of waiting out the lease.
 * Intervals use the monotonic clock (performance.now): a wall-clock step (NTP) changes nothing.
 * The wall clock is only written into the Lease record (acquireTime, renewTime) for humans.
 * A standby keeps its caches warm; only the leader reconciles.
 */
import * as E from 'fp-ts/Either';
import * as TE from 'fp-ts/TaskEither';
import { performance } from 'node:perf_hooks';
import { KubeError, notLeader } from '../kube/errors';
import { CallOptions, Kube } from '../kube/kube';
import { KubeObject, Lease, LeaseSpec, LEASES, ObjectRef, refString, Resource } from '../kube/objects';

export interface LeaderConfig {
  readonly namespace: string;
  readonly name: string;
  /** This replica's identity (pod name, or host + pid). */
  readonly identity: string;
  /** How long a lease is valid without renewal. Default 15 s. */
  readonly leaseDurationMs: number;
  /** A leader leads only until this long after the start of its last successful renewal. Default 10 s. */
  readonly renewDeadlineMs: number;
  /** Time between attempts. Default 2 s. */
  readonly retryPeriodMs: number;
}

export const DEFAULT_LEADER_TIMING = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 } as const;

export interface LeaderCallbacks {
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
  readonly log?: { readonly info: (msg: string, f?: Record<string, unknown>) => void; readonly warn: (msg: string, f?: Record<string, unknown>) => void };
}

/** MicroTime as the API server writes it: RFC 3339 with 6 fraction digits. */
export const microTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

// ---- pure: what to do with the lease record ----------------------------------------------------

/** The lease record as this replica last saw it change, on its monotonic clock. */
export interface Observation {
  /** holder, renewTime and duration of the record, as text. Empty before the first read. */
  readonly record: string;
  /** Monotonic ms when this replica saw `record` first. */
  readonly at: number;
}

export const NO_OBSERVATION: Observation = { record: '', at: 0 };

export type LeaseAction =
  /** No Lease yet: create it holding it. */
  | { readonly _tag: 'Create'; readonly spec: LeaseSpec }
  /** Another replica holds an unexpired lease. */
  | { readonly _tag: 'Wait'; readonly holder: string; readonly expiresInMs: number }
  /** Renew our lease, or take over a free or expired one. */
  | { readonly _tag: 'Update'; readonly spec: LeaseSpec; readonly takeover: boolean };

export interface LeasePlan {
  readonly action: LeaseAction;
  /** The observation to keep after this read. */
  readonly seen: Observation;
}

const recordOf = (spec: LeaseSpec): string => JSON.stringify([spec.holderIdentity ?? '', spec.renewTime ?? '', spec.leaseDurationSeconds ?? 0]);

/**
 * What to do with `lease` (undefined: there is none), given what this replica saw before, at
 * monotonic `now` and wall-clock `wallNow`.
 */
export const planLease = (lease: Lease | undefined, seen: Observation, config: LeaderConfig, now: number, wallNow: number): LeasePlan => {
  const durationSec = Math.max(1, Math.round(config.leaseDurationMs / 1000));
  const mine: LeaseSpec = { holderIdentity: config.identity, leaseDurationSeconds: durationSec, acquireTime: microTime(wallNow), renewTime: microTime(wallNow), leaseTransitions: 0 };
  if (lease === undefined) return { action: { _tag: 'Create', spec: mine }, seen };
  const spec = lease.spec ?? {};
  const record = recordOf(spec);
  const observed = record === seen.record ? seen : { record, at: now };
  const holder = spec.holderIdentity ?? '';
  const expiresAt = observed.at + (spec.leaseDurationSeconds ?? durationSec) * 1000;
  if (holder !== '' && holder !== config.identity && now < expiresAt) return { action: { _tag: 'Wait', holder, expiresInMs: expiresAt - now }, seen: observed };
  if (holder === config.identity) return { action: { _tag: 'Update', spec: { ...spec, leaseDurationSeconds: durationSec, renewTime: microTime(wallNow) }, takeover: false }, seen: observed };
  const transitions = (spec.leaseTransitions ?? 0) + (holder === '' && spec.leaseTransitions === undefined ? 0 : 1);
  return { action: { _tag: 'Update', spec: { ...mine, leaseTransitions: transitions }, takeover: true }, seen: observed };
};

/** Until when (monotonic ms) a renewal sent at `sentAt` lets this replica lead. */
export const leadsUntil = (sentAt: number, config: Pick<LeaderConfig, 'renewDeadlineMs'>): number => sentAt + config.renewDeadlineMs;

// ---- fencing ------------------------------------------------------------------------------------

/** One term of leadership, as the writes of that term see it. */
export interface Leadership {
  /** Milliseconds this replica may still write in this term; 0 once the term is over. */
  readonly remainingMs: () => number;
}

/** Leadership that never ends (leader election off: the only replica). */
export const ALWAYS_LEADING: Leadership = { remainingMs: () => Number.POSITIVE_INFINITY };

/**
 * `kube` with every write fenced by `leadership`: right before a write is sent it must have time
 * left in the term, else it is refused with NotLeader without being sent; a write in flight when
 * the term ends is aborted (its signal) and fails with NotLeader. Reads pass through.
 */
export const fenceWrites = (kube: Kube, leadership: Leadership): Kube => {
  const fenced =
    (ref: ObjectRef, verb: string, write: (options: CallOptions) => TE.TaskEither<KubeError, KubeObject>, outer: CallOptions = {}): TE.TaskEither<KubeError, KubeObject> =>
    async () => {
      const left = leadership.remainingMs();
      if (!(left > 0)) return E.left(notLeader(ref, `${verb} ${refString(ref)}: refused: this replica does not hold the leader lease (lost, or not renewed within --renew-deadline)`));
      if (left === Number.POSITIVE_INFINITY) return write(outer)();
      const ended = new AbortController();
      const timer = setTimeout(() => ended.abort(), left);
      try {
        return await write({ signal: outer.signal ? AbortSignal.any([outer.signal, ended.signal]) : ended.signal })();
      } finally {
        clearTimeout(timer);
      }
    };
  const refFor = (resource: Resource, obj: KubeObject): ObjectRef => ({ resource, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name });
  return {
    get: kube.get,
    create: (resource, obj, o) => fenced(refFor(resource, obj), 'create', (opts) => kube.create(resource, obj, opts), o),
    replace: (resource, obj, o) => fenced(refFor(resource, obj), 'update', (opts) => kube.replace(resource, obj, opts), o),
    mergePatch: (ref, patch, o) => fenced(ref, 'patch', (opts) => kube.mergePatch(ref, patch, opts), o),
    replaceStatus: (ref, obj, o) => fenced(ref, 'update status of', (opts) => kube.replaceStatus(ref, obj, opts), o),
    ...(kube.delete ? { delete: (ref: ObjectRef, rv: string, o?: CallOptions) => fenced(ref, 'delete', (opts) => kube.delete!(ref, rv, opts), o) } : {}),
  };
};

// ---- the elector --------------------------------------------------------------------------------

export interface ElectorClock {
  /** Monotonic ms: every interval the elector measures. Default performance.now. */
  readonly now: () => number;
  /** Wall-clock ms, only written into the Lease record. Default Date.now. */
  readonly wallNow: () => number;
  readonly setTimeout: (f: () => void, ms: number) => unknown;
  readonly clearTimeout: (h: unknown) => void;
}

export const realElectorClock: ElectorClock = {
  now: () => performance.now(),
  wallNow: Date.now,
  setTimeout: (f, ms) => setTimeout(f, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface Elector {
  /** One attempt to acquire or renew, abandoned at the renew deadline; resolves with whether this replica leads now. */
  readonly tryAcquireOrRenew: () => Promise<boolean>;
  /** Whether this replica leads now (reads the clock: false from the renew deadline on, timer or not). */
  readonly isLeader: () => boolean;
  /** The current term, for fencing its writes (fenceWrites); a term that is over (or none) has 0 ms left. */
  readonly leadership: () => Leadership;
  /** Give the lease up (only if held): empty holder, 1 s duration. */
  readonly release: () => Promise<void>;
  /** Start the retry loop. */
  readonly start: () => void;
  /** Stop the loop and release the lease. */
  readonly stop: () => Promise<void>;
}

export const createElector = (kube: Kube, config: LeaderConfig, callbacks: LeaderCallbacks, clock: ElectorClock = realElectorClock): Elector => {
  const ref: ObjectRef = { resource: LEASES, namespace: config.namespace, name: config.name };
  const lease = `${config.namespace}/${config.name}`;
  let leading = false;
  /** Monotonic ms until which this replica leads (valid while `leading`). */
  let until = 0;
  /** Incremented each time this replica starts leading. */
  let term = 0;
  let seen = NO_OBSERVATION;
  let loopTimer: unknown;
  let expiryTimer: unknown;
  let stopped = false;

  const leads = (): boolean => leading && clock.now() < until;

  const setLeading = (v: boolean, why?: string): void => {
    if (v === leading) return;
    leading = v;
    if (v) term++;
    else if (expiryTimer !== undefined) {
      clock.clearTimeout(expiryTimer);
      expiryTimer = undefined;
    }
    if (v) callbacks.log?.info('became leader', { lease, identity: config.identity });
    else callbacks.log?.[why ? 'warn' : 'info']('stopped leading', { lease, identity: config.identity, ...(why ? { reason: why } : {}) });
    if (v) callbacks.onStartedLeading();
    else callbacks.onStoppedLeading();
  };

  const DEADLINE_PASSED = `the lease was not renewed within the renew deadline (${config.renewDeadlineMs} ms)`;

  /** Stop leading when `until` passes (timers may fire a fraction of a millisecond early: then wait the rest). */
  const armExpiry = (): void => {
    if (expiryTimer !== undefined) clock.clearTimeout(expiryTimer);
    expiryTimer = clock.setTimeout(() => {
      expiryTimer = undefined;
      if (!leading) return;
      if (clock.now() >= until) setLeading(false, DEADLINE_PASSED);
      else armExpiry();
    }, Math.max(0, Math.ceil(until - clock.now())));
  };

  /** Lead until `newUntil`; stop at once when it passes. */
  const extend = (newUntil: number): void => {
    until = newUntil;
    armExpiry();
  };

  let lastProblem = '';
  /** Say why the lease cannot be had (once per distinct reason): a missing namespace or RBAC keeps a replica standby forever. */
  const problem = (e: KubeError): false => {
    if (e._tag !== 'Conflict' && e.message !== lastProblem) callbacks.log?.warn('lease attempt failed', { lease, error: e.message });
    lastProblem = e.message;
    return false;
  };

  /** One read and, if the plan says so, one write. Resolves with success and the observation to keep. */
  const attempt = async (sentAt: number): Promise<{ ok: boolean; seen: Observation }> => {
    const got = await kube.get(ref)();
    if (E.isLeft(got) && got.left._tag !== 'NotFound') return { ok: problem(got.left), seen };
    const plan = planLease(E.isRight(got) ? (got.right as Lease) : undefined, seen, config, sentAt, clock.wallNow());
    switch (plan.action._tag) {
      case 'Wait':
        return { ok: false, seen: plan.seen };
      case 'Create': {
        const created = await kube.create(LEASES, { metadata: { name: config.name, namespace: config.namespace }, spec: plan.action.spec } as KubeObject)();
        return E.isRight(created) ? { ok: true, seen: { record: recordOf(plan.action.spec), at: sentAt } } : { ok: problem(created.left), seen: plan.seen };
      }
      case 'Update': {
        const current = E.isRight(got) ? got.right : undefined;
        const updated = await kube.replace(LEASES, { ...(current as KubeObject), spec: plan.action.spec })();
        return E.isRight(updated) ? { ok: true, seen: { record: recordOf(plan.action.spec), at: sentAt } } : { ok: problem(updated.left), seen: plan.seen };
      }
    }
  };

  let attempts = 0;
  const tryAcquireOrRenew = async (): Promise<boolean> => {
    const sentAt = clock.now();
    const mine = ++attempts;
    // A renewal may take until the deadline; an acquisition one renew deadline.
    const budget = leads() ? until - sentAt : config.renewDeadlineMs;
    let giveUp: unknown;
    const abandoned = new Promise<undefined>((resolve) => (giveUp = clock.setTimeout(() => resolve(undefined), budget)));
    const result = await Promise.race([attempt(sentAt).catch(() => ({ ok: false, seen })), abandoned]);
    clock.clearTimeout(giveUp);
    // An abandoned attempt's answer is dropped: a later attempt has newer news.
    if (result === undefined || mine !== attempts) {
      if (result === undefined) callbacks.log?.warn('lease attempt abandoned: no answer within the renew deadline', { lease, afterMs: budget });
      if (!leads()) setLeading(false, DEADLINE_PASSED);
      return leads();
    }
    seen = result.seen;
    const validUntil = leadsUntil(sentAt, config);
    if (result.ok && clock.now() < validUntil) {
      extend(validUntil);
      setLeading(true);
    } else if (leading && !leads()) setLeading(false, DEADLINE_PASSED);
    return leads();
  };

  const loop = (): void => {
    if (stopped) return;
    void tryAcquireOrRenew().then(() => {
      if (!stopped) loopTimer = clock.setTimeout(loop, config.retryPeriodMs);
    });
  };

  const release = async (): Promise<void> => {
    if (!leads()) {
      setLeading(false);
      return;
    }
    setLeading(false);
    const got = await kube.get(ref)();
    if (E.isRight(got)) {
      const held = got.right as Lease;
      if (held.spec?.holderIdentity === config.identity)
        await kube.replace(LEASES, { ...held, spec: { ...held.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(clock.wallNow()) } })();
    }
  };

  return {
    tryAcquireOrRenew,
    isLeader: leads,
    leadership: () => {
      const mine = term;
      return { remainingMs: () => (leading && term === mine ? Math.max(0, until - clock.now()) : 0) };
    },
    release,
    start: () => {
      stopped = false;
      loop();
    },
    stop: async () => {
      stopped = true;
      if (loopTimer !== undefined) clock.clearTimeout(loopTimer);
      await release();
    },
  };
};
