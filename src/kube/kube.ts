/**
 * The Kubernetes API as sluice uses it: a small record of functions, each returning
 * TaskEither<KubeError, A>. Reads for deciding come from the informer caches (kube/caches.ts);
 * these calls are the writes, plus a direct read for the rare paths that must not trust a cache
 * (a 409 on status, leader election). Production: kube/client.ts (every call ends within
 * --kube-timeout, as Timeout at worst). Tests: an in-memory version.
 *
 * Decorators (fencing in daemon/leader.ts, failpoints) must pass `options` on to the Kube they wrap.
 */
import { TaskEither } from 'fp-ts/TaskEither';
import { KubeError } from './errors';
import { KubeObject, ObjectRef, Resource } from './objects';

/** Per-call options. */
export interface CallOptions {
  /**
   * Abandon the call when this aborts (fencing: when this replica's leadership ends). The call
   * then fails with NotLeader. Default: only the client's own timeout bounds the call.
   */
  readonly signal?: AbortSignal;
}

export interface Kube {
  /** GET one object from the API server (not the cache). NotFound when absent. */
  readonly get: (ref: ObjectRef, options?: CallOptions) => TaskEither<KubeError, KubeObject>;
  /** POST a new object. Conflict when it already exists. */
  readonly create: (resource: Resource, obj: KubeObject, options?: CallOptions) => TaskEither<KubeError, KubeObject>;
  /** PUT the whole object, guarded by obj.metadata.resourceVersion (Conflict when it moved). */
  readonly replace: (resource: Resource, obj: KubeObject, options?: CallOptions) => TaskEither<KubeError, KubeObject>;
  /** JSON merge patch (RFC 7386). Put metadata.resourceVersion in the patch to guard it. */
  readonly mergePatch: (ref: ObjectRef, patch: Record<string, unknown>, options?: CallOptions) => TaskEither<KubeError, KubeObject>;
  /** PUT the status subresource of a TrafficShift, guarded by obj.metadata.resourceVersion. */
  readonly replaceStatus: (ref: ObjectRef, obj: KubeObject, options?: CallOptions) => TaskEither<KubeError, KubeObject>;
  /**
   * DELETE one object, only if it is still at `resourceVersion` (a precondition: Conflict when it
   * moved). Used for the per-version Services of spec.routing: gatewayAPI only. Optional: a Kube
   * without it cannot delete, and such Services are left in place.
   */
  readonly delete?: (ref: ObjectRef, resourceVersion: string, options?: CallOptions) => TaskEither<KubeError, KubeObject>;
}
