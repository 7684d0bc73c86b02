/**
 * The Kubernetes API as sluice uses it: a small record of functions, each returning
 * TaskEither<KubeError, A>. Reads for deciding come from the informer caches (kube/caches.ts);
 * these calls are the writes, plus a direct read for the rare paths that must not trust a cache
 * (a 409 on status, leader election). Production: kube/client.ts. Tests: an in-memory version.
 */
import { TaskEither } from 'fp-ts/TaskEither';
import { KubeError } from './errors';
import { KubeObject, ObjectRef, Resource } from './objects';

export interface Kube {
  /** GET one object from the API server (not the cache). NotFound when absent. */
  readonly get: (ref: ObjectRef) => TaskEither<KubeError, KubeObject>;
  /** POST a new object. Conflict when it already exists. */
  readonly create: (resource: Resource, obj: KubeObject) => TaskEither<KubeError, KubeObject>;
  /** PUT the whole object, guarded by obj.metadata.resourceVersion (Conflict when it moved). */
  readonly replace: (resource: Resource, obj: KubeObject) => TaskEither<KubeError, KubeObject>;
  /** JSON merge patch (RFC 7386). Put metadata.resourceVersion in the patch to guard it. */
  readonly mergePatch: (ref: ObjectRef, patch: Record<string, unknown>) => TaskEither<KubeError, KubeObject>;
  /** PUT the status subresource of a TrafficShift, guarded by obj.metadata.resourceVersion. */
  readonly replaceStatus: (ref: ObjectRef, obj: KubeObject) => TaskEither<KubeError, KubeObject>;
}
