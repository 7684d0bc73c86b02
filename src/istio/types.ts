/**
 * The Istio objects sluice owns, as plain data (networking.istio.io/v1). Only the fields sluice
 * writes are typed; see objects.ts for decoding existing objects while keeping everything else.
 */

import type { UserRouteJson } from '../api/spec';

export const ISTIO_API_VERSION = 'networking.istio.io/v1';
/** Label every object sluice writes carries; `isManagedBySluice` reads it. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'sluice';
/** Label naming the TrafficShift that owns the object. */
export const SHIFT_LABEL = 'sluice.dev/shift';
/** Kubernetes cluster DNS domain used for FQDN hosts. Default "cluster.local". */
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

export interface IstioMeta {
  readonly name: string;
  readonly namespace: string;
  /**
   * Ownership is these labels (managed-by sluice, sluice.dev/shift), never an ownerReference:
   * the garbage collector deletes the dependents of an object deleted in the foreground (kubectl
   * delete --cascade=foreground, Argo CD's prune) whatever its finalizers intend, and live routes
   * must outlive their TrafficShift (docs/adr/0004).
   */
  readonly labels: Readonly<Record<string, string>>;
}

/** One DestinationRule subset: a version's pods, selected by the version label. */
export interface Subset {
  /** DNS-1123 label derived from the version (see subsetName). */
  readonly name: string;
  /** `{ <versionLabel>: <version> }`. */
  readonly labels: Readonly<Record<string, string>>;
}

export interface DestinationRule {
  readonly apiVersion: typeof ISTIO_API_VERSION;
  readonly kind: 'DestinationRule';
  readonly metadata: IstioMeta;
  readonly spec: {
    /** FQDN of the Service: `<service>.<namespace>.svc.<clusterDomain>`. */
    readonly host: string;
    /** Sorted by name so the object does not change when stable and candidate swap. */
    readonly subsets: readonly Subset[];
  };
}

export interface RouteDestination {
  readonly destination: { readonly host: string; readonly subset: string };
  /** Integer percent; the destinations of a route sum to 100. */
  readonly weight: number;
  /** Header operations for requests sent to this destination: sluice sets only `response.add` of a Set-Cookie (sessionAffinity). */
  readonly headers?: { readonly response: { readonly add: Readonly<Record<string, string>> } };
}

/** An Istio HTTPRoute as sluice generates it. Matches and route options are Istio's own JSON. */
export interface HttpRoute {
  /** `preview` (blue-green), `ab-test` (A/B), `sticky` / `sticky-expire` (canary sessionAffinity) or `primary`. */
  readonly name: string;
  /** OR of HTTPMatchRequests; absent means every request. */
  readonly match?: readonly Record<string, unknown>[];
  readonly route: readonly RouteDestination[];
  /** Mirroring (primary route only): the candidate's subset, sent a copy of each mirrored request; answers discarded. */
  readonly mirror?: { readonly host: string; readonly subset: string };
  /** Share of the route's requests mirrored, in percent (Istio's Percent). Absent: none mirrored here. */
  readonly mirrorPercentage?: { readonly value: number };
  readonly timeout?: string;
  readonly retries?: Record<string, unknown>;
  readonly headers?: Record<string, unknown>;
  readonly corsPolicy?: Record<string, unknown>;
}

/** A user route (spec.routes) as sluice writes it: Istio JSON (src/istio/userRoutes.ts). */
export type UserHttpRoute = UserRouteJson;

export interface VirtualService {
  readonly apiVersion: typeof ISTIO_API_VERSION;
  readonly kind: 'VirtualService';
  readonly metadata: IstioMeta;
  readonly spec: {
    readonly hosts: readonly string[];
    readonly gateways: readonly string[];
    /** spec.routes.before, sluice's routes (preview or ab-test, then primary), spec.routes.after. */
    readonly http: readonly (HttpRoute | UserHttpRoute)[];
  };
}

export interface RenderedRoutes {
  readonly destinationRule: DestinationRule;
  readonly virtualService: VirtualService;
}

/**
 * An Istio TCPRoute as sluice generates it (spec.protocol: tcp): weighted destinations only, no
 * match and no name (Istio's TCPRoute has neither a name nor HTTP fields); Envoy's tcp_proxy
 * picks one destination per connection.
 */
export interface TcpRoute {
  readonly route: readonly RouteDestination[];
}

/** The VirtualService of a TCP shift: `tcp` routes instead of `http` ones. */
export interface TcpVirtualService {
  readonly apiVersion: typeof ISTIO_API_VERSION;
  readonly kind: 'VirtualService';
  readonly metadata: IstioMeta;
  readonly spec: {
    readonly hosts: readonly string[];
    readonly gateways: readonly string[];
    readonly tcp: readonly TcpRoute[];
  };
}

export interface RenderedTcpRoutes {
  readonly destinationRule: DestinationRule;
  readonly virtualService: TcpVirtualService;
}

/** Routes of either protocol, as renderRoutes returns them. */
export type AnyRenderedRoutes = RenderedRoutes | RenderedTcpRoutes;
