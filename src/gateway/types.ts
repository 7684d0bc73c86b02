/**
 * The Gateway API objects sluice owns with `spec.routing: gatewayAPI`, as plain data: one
 * HTTPRoute (gateway.networking.k8s.io/v1, standard channel) per shifted Service and one Service
 * per routed version. Only the fields sluice writes are typed; objects.ts decodes existing ones
 * while keeping everything else.
 */
import { IstioMeta } from '../istio/types';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
export const GATEWAY_API_VERSION = `${GATEWAY_GROUP}/v1`;
/** Label on a per-version Service naming the version it selects (for people; sluice reads its selector). */
export const VERSION_SERVICE_LABEL = 'sluice.dev/version';

/** A parent the route attaches to: the shifted Service (mesh traffic, GAMMA) or a Gateway (ingress). */
export type ParentRef =
  | { readonly group: ''; readonly kind: 'Service'; readonly name: string }
  | { readonly group: typeof GATEWAY_GROUP; readonly kind: 'Gateway'; readonly namespace?: string; readonly name: string };

/** Gateway API StringMatch-like entries of a match (headers, query parameters). */
export interface ValueMatch {
  readonly type: 'Exact' | 'RegularExpression';
  readonly name: string;
  readonly value: string;
}

export interface HTTPRouteMatch {
  readonly path?: { readonly type: 'Exact' | 'PathPrefix' | 'RegularExpression'; readonly value: string };
  readonly headers?: readonly ValueMatch[];
  readonly queryParams?: readonly ValueMatch[];
  readonly method?: string;
}

export interface HeaderModifier {
  readonly set?: readonly { readonly name: string; readonly value: string }[];
  readonly add?: readonly { readonly name: string; readonly value: string }[];
  readonly remove?: readonly string[];
}

export type HTTPRouteFilter =
  | { readonly type: 'RequestHeaderModifier'; readonly requestHeaderModifier: HeaderModifier }
  | { readonly type: 'ResponseHeaderModifier'; readonly responseHeaderModifier: HeaderModifier };

/** A weighted backend: a per-version Service on the shifted Service's port. */
export interface BackendRef {
  readonly group: '';
  readonly kind: 'Service';
  readonly name: string;
  readonly port: number;
  /** Integer percent; the backendRefs of a rule sum to 100. */
  readonly weight: number;
}

export interface HTTPRouteRule {
  /** `preview` or `primary`. */
  readonly name: string;
  readonly matches?: readonly HTTPRouteMatch[];
  readonly filters?: readonly HTTPRouteFilter[];
  readonly backendRefs: readonly BackendRef[];
  /** Gateway API durations (GEP-2257), e.g. "1h30m", "250ms". */
  readonly timeouts?: { readonly request: string };
}

export interface HTTPRoute {
  readonly apiVersion: typeof GATEWAY_API_VERSION;
  readonly kind: 'HTTPRoute';
  readonly metadata: IstioMeta;
  readonly spec: {
    readonly parentRefs: readonly ParentRef[];
    readonly hostnames?: readonly string[];
    readonly rules: readonly HTTPRouteRule[];
  };
}

/** A Service port as sluice copies it from the shifted Service. */
export interface ServicePort {
  readonly name?: string;
  readonly port: number;
  readonly targetPort?: number | string;
  readonly protocol?: string;
  readonly appProtocol?: string;
}

/** The Service of one version: the shifted Service's ports, its selector plus the version label. */
export interface VersionService {
  readonly apiVersion: 'v1';
  readonly kind: 'Service';
  readonly metadata: IstioMeta;
  readonly spec: {
    readonly type: 'ClusterIP';
    readonly ports: readonly ServicePort[];
    readonly selector: Readonly<Record<string, string>>;
  };
}

/** What a shift renders to under gatewayAPI. */
export interface RenderedGateway {
  readonly httpRoute: HTTPRoute;
  /** One per version the route names (stable, and the candidate if any), sorted by name. */
  readonly services: readonly VersionService[];
}
