/**
 * Leader election on a coordination.k8s.io/v1 Lease, the client-go algorithm:
 *   - every retryPeriod, try to acquire or renew: create the Lease if absent; take it if it is
 *     free (empty holder) or expired; renew it if we hold it. Writes are guarded by
 *     resourceVersion, so of two replicas racing for it exactly one wins.
 *   - "expired" is judged on the local clock, from when this replica last saw the lease record
 *     change (not from renewTime, which another machine's clock wrote), as client-go does.
 *   - a leader that has not renewed successfully for renewDeadline stops leading (before the
 *     lease can expire for the others: renewDeadline < leaseDuration).
 *   - release() (on SIGTERM) writes an empty holder and leaseDurationSeconds 1, so a standby
 *     takes over at its next retry instead of waiting out the lease.
 * A standby keeps its caches warm; only the leader reconciles.
 */
import * as E from 'fp-ts/Either';
import { KubeError } from '../kube/errors';
import { Kube } from '../kube/kube';
import { KubeObject, Lease, LeaseSpec, LEASES, ObjectRef } from '../kube/objects';

export interface LeaderConfig {
  readonly namespace: string;
  readonly name: string;
  /** This replica's identity (pod name, or host + pid). */
  readonly identity: string;
  /** How long a lease is valid without renewal. Default 15 s. */
  readonly leaseDurationMs: number;
  /** A leader that cannot renew for this long stops leading. Default 10 s. */
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

export interface Elector {
  /** One attempt to acquire or renew; resolves with whether this replica leads now. */
  readonly tryAcquireOrRenew: () => Promise<boolean>;
  readonly isLeader: () => boolean;
  /** Give the lease up (only if held): empty holder, 1 s duration. */
  readonly release: () => Promise<void>;
  /** Start the retry loop. */
  readonly start: () => void;
  /** Stop the loop and release the lease. */
  readonly stop: () => Promise<void>;
}

export const createElector = (
  kube: Kube,
  config: LeaderConfig,
  callbacks: LeaderCallbacks,
  clock: { now: () => number; setTimeout: (f: () => void, ms: number) => unknown; clearTimeout: (h: unknown) => void } = {
    now: Date.now, setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  },
): Elector => {
  const ref: ObjectRef = { resource: LEASES, namespace: config.namespace, name: config.name };
  let leader = false;
  let lastRenew = 0;
  let observedRecord = '';
  let observedAt = 0;
  let timer: unknown;
  let stopped = false;

  const setLeader = (v: boolean): void => {
    if (v === leader) return;
    leader = v;
    callbacks.log?.info(v ? 'became leader' : 'stopped leading', { lease: `${config.namespace}/${config.name}`, identity: config.identity });
    if (v) callbacks.onStartedLeading();
    else callbacks.onStoppedLeading();
  };

  let lastProblem = '';
  /** Say why the lease cannot be had (once per distinct reason): a missing namespace or RBAC keeps a replica standby forever. */
  const problem = (e: KubeError): false => {
    if (e._tag !== 'Conflict' && e.message !== lastProblem) callbacks.log?.warn('lease attempt failed', { lease: `${config.namespace}/${config.name}`, error: e.message });
    lastProblem = e.message;
    return false;
  };

  const attempt = async (): Promise<boolean> => {
    const now = clock.now();
    const durationSec = Math.max(1, Math.round(config.leaseDurationMs / 1000));
    const mine: LeaseSpec = { holderIdentity: config.identity, leaseDurationSeconds: durationSec, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 };
    const got = await kube.get(ref)();
    if (E.isLeft(got)) {
      if (got.left._tag !== 'NotFound') return problem(got.left);
      const created = await kube.create(LEASES, { metadata: { name: config.name, namespace: config.namespace }, spec: mine } as KubeObject)();
      return E.isRight(created) || problem(created.left);
    }
    const lease = got.right as Lease;
    const spec = lease.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseDurationSeconds]);
    if (record !== observedRecord) {
      observedRecord = record;
      observedAt = now;
    }
    const holder = spec.holderIdentity ?? '';
    const held = holder !== '' && holder !== config.identity;
    const expired = observedAt + (spec.leaseDurationSeconds ?? durationSec) * 1000 <= now;
    if (held && !expired) return false;
    const next: LeaseSpec =
      holder === config.identity
        ? { ...spec, leaseDurationSeconds: durationSec, renewTime: microTime(now) }
        : { ...mine, leaseTransitions: (spec.leaseTransitions ?? 0) + (holder === '' && spec.leaseTransitions === undefined ? 0 : 1) };
    const updated = await kube.replace(LEASES, { ...lease, spec: next })();
    if (E.isLeft(updated)) return problem(updated.left);
    observedRecord = JSON.stringify([next.holderIdentity, next.renewTime, next.leaseDurationSeconds]);
    observedAt = now;
    return true;
  };

  const tryAcquireOrRenew = async (): Promise<boolean> => {
    const ok = await attempt().catch(() => false);
    const now = clock.now();
    if (ok) {
      lastRenew = now;
      setLeader(true);
    } else if (leader && now - lastRenew >= config.renewDeadlineMs) {
      callbacks.log?.warn('could not renew the lease within the renew deadline', { lease: `${config.namespace}/${config.name}` });
      setLeader(false);
    }
    return leader;
  };

  const loop = (): void => {
    if (stopped) return;
    void tryAcquireOrRenew().then(() => {
      if (!stopped) timer = clock.setTimeout(loop, config.retryPeriodMs);
    });
  };

  const release = async (): Promise<void> => {
    if (!leader) return;
    const got = await kube.get(ref)();
    if (E.isRight(got)) {
      const lease = got.right as Lease;
      if (lease.spec?.holderIdentity === config.identity)
        await kube.replace(LEASES, { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(clock.now()) } })();
    }
    setLeader(false);
  };

  return {
    tryAcquireOrRenew,
    isLeader: () => leader,
    release,
    start: () => {
      stopped = false;
      loop();
    },
    stop: async () => {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      await release();
    },
  };
};
