/**
 * The informer caches as the reconciler reads them: plain lookups, no I/O. Production:
 * kube/informers.ts; tests: a map.
 */
import { KubeObject, Resource } from './objects';

export interface Caches {
  /** A TrafficShift by namespace and name. */
  readonly shift: (namespace: string, name: string) => KubeObject | undefined;
  /** Every TrafficShift seen, or those in one namespace. */
  readonly shifts: (namespace?: string) => readonly KubeObject[];
  /** A Service by namespace and name. */
  readonly service: (namespace: string, name: string) => KubeObject | undefined;
  /** Pods in a namespace, read from that namespace's index (Pods are cached slim: kube/slim.ts). Without one: every pod, a full copy; keep it off hot paths. */
  readonly pods: (namespace?: string) => readonly KubeObject[];
  readonly virtualService: (namespace: string, name: string) => KubeObject | undefined;
  readonly destinationRule: (namespace: string, name: string) => KubeObject | undefined;
  /** Services in a namespace (slim, like `service`); absent in caches that do not list them. Read for spec.routing: gatewayAPI. */
  readonly services?: (namespace: string) => readonly KubeObject[];
  /** An HTTPRoute by namespace and name; absent when the daemon does not watch them (no --gateway-api). */
  readonly httpRoute?: (namespace: string, name: string) => KubeObject | undefined;
  /** Every watch has listed at least once. */
  readonly synced: () => boolean;
}

/** An object was added, updated or deleted in a cache. */
export interface CacheChange {
  readonly type: 'add' | 'update' | 'delete';
  readonly resource: Resource;
  readonly obj: KubeObject;
}
