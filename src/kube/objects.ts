/**
 * The slices of Kubernetes objects sluice reads and writes. Partial on purpose: sluice decodes
 * the fields it uses and carries the rest through untouched (own only what you own).
 */
import { API_GROUP, PLURAL } from '../api/spec';
import type { ObjectMeta } from '../api/trafficShift';

/** An API resource: where its objects live on the API server. */
export interface Resource {
  readonly group: string; // '' for the core group
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
}

export const TRAFFIC_SHIFTS: Resource = { group: API_GROUP, version: 'v1alpha1', plural: PLURAL, kind: 'TrafficShift' };
/** Istio's networking API; v1 is served by every Istio since 1.22. */
export const VIRTUAL_SERVICES: Resource = { group: 'networking.istio.io', version: 'v1', plural: 'virtualservices', kind: 'VirtualService' };
export const DESTINATION_RULES: Resource = { group: 'networking.istio.io', version: 'v1', plural: 'destinationrules', kind: 'DestinationRule' };
export const PODS: Resource = { group: '', version: 'v1', plural: 'pods', kind: 'Pod' };
export const SERVICES: Resource = { group: '', version: 'v1', plural: 'services', kind: 'Service' };
/** Gateway API HTTPRoutes (standard channel, v1), written with spec.routing: gatewayAPI. */
export const HTTP_ROUTES: Resource = { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes', kind: 'HTTPRoute' };
export const LEASES: Resource = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease' };
export const EVENTS: Resource = { group: '', version: 'v1', plural: 'events', kind: 'Event' };

export const apiVersionOf = (r: Resource): string => (r.group === '' ? r.version : `${r.group}/${r.version}`);

/** One namespaced object of a resource. */
export interface ObjectRef {
  readonly resource: Resource;
  readonly namespace: string;
  readonly name: string;
}

export const refString = (ref: ObjectRef): string => `${ref.resource.kind} ${ref.namespace}/${ref.name}`;

/** The API path of a resource's collection, cluster-wide or in one namespace. */
export const collectionPath = (r: Resource, namespace?: string): string => {
  const prefix = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  return namespace ? `${prefix}/namespaces/${encodeURIComponent(namespace)}/${r.plural}` : `${prefix}/${r.plural}`;
};

/** The API path of one object. */
export const objectPath = (ref: ObjectRef): string => `${collectionPath(ref.resource, ref.namespace)}/${encodeURIComponent(ref.name)}`;

/**
 * Any object's metadata as the API server returns it: the fields a decoded TrafficShift's metadata
 * has (src/api), with namespace optional (cluster-scoped objects) and every other field kept.
 */
export interface Metadata extends Omit<ObjectMeta, 'namespace'> {
  readonly namespace?: string;
  readonly ownerReferences?: readonly unknown[];
  readonly [key: string]: unknown;
}

/** Any object as the API server returns it. */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: Metadata;
  readonly spec?: unknown;
  readonly status?: unknown;
  readonly [key: string]: unknown;
}

export interface PodCondition { readonly type: string; readonly status: string }
export interface Pod extends KubeObject {
  readonly status?: { readonly phase?: string; readonly conditions?: readonly PodCondition[] };
}

export interface Service extends KubeObject {
  readonly spec?: { readonly selector?: Readonly<Record<string, string>>; readonly ports?: readonly Readonly<Record<string, unknown>>[] };
}

export interface LeaseSpec {
  readonly holderIdentity?: string | null;
  readonly leaseDurationSeconds?: number;
  readonly acquireTime?: string | null;
  readonly renewTime?: string | null;
  readonly leaseTransitions?: number;
}
export interface Lease extends KubeObject {
  readonly spec?: LeaseSpec;
}

/** A core/v1 Event about a TrafficShift. */
export interface EventRecord {
  readonly namespace: string;
  /** The object the event is about. */
  readonly involved: { readonly apiVersion: string; readonly kind: string; readonly name: string; readonly namespace: string; readonly uid?: string; readonly resourceVersion?: string };
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** sluice's marks on objects (the managed-by and shift labels live in istio/types.ts). */
/** The spec of an adopted object before sluice took it over, restored on deletion (JSON). */
export const ORIGINAL_SPEC_ANNOTATION = 'sluice.dev/original-spec';
/** Held on every TrafficShift until its traffic has been pinned or restored. */
export const FINALIZER = 'sluice.dev/finalizer';
/** Field manager for sluice's writes (shown in managedFields). */
export const FIELD_MANAGER = 'sluice';
/** reportingComponent of sluice's Events. */
export const REPORTING_CONTROLLER = 'sluice.dev/controller';

export const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;
