/**
 * Pure routing, as a sidecar's Envoy does it for one request to `target`:
 *   1. the VirtualService for the host (none: one default route to the Service),
 *   2. the first http route whose match holds (none: 404 NR),
 *   3. a weighted pick among its destinations,
 *   4. the destination's subset resolved through the DestinationRule for that host (unknown
 *      subset: 503 NC, Envoy has no such cluster),
 *   5. a ready endpoint of that subset (none: 503 UH, no healthy upstream);
 * and each mirror policy of the chosen route copies the request to its own destination.
 */
import { readyEndpoints } from './endpoints';
import { responseHeaders, type ResponseHeaders } from './headers';
import { resolveHost, sameService } from './hosts';
import { routeMatches } from './match';
import type { DestinationRule, HttpRoute, Pod, Request, RouteDestination, ServiceRef, TcpMatch, VirtualService } from './model';
import type { Rng } from './prng';

/** Where the request ended, before the workload's own behaviour (errors, latency) applies. */
export type RouteOutcome =
  | { readonly kind: 'served'; readonly service: ServiceRef; readonly subset?: string; readonly pod: Pod; readonly via?: GatewayBackend }
  /** 503 UH: the chosen cluster has no ready endpoint. */
  | { readonly kind: 'noHealthyUpstream'; readonly service: ServiceRef; readonly subset?: string; readonly via?: GatewayBackend }
  /** 500: an HTTPRoute's backendRef names no existing Service (Gateway API: invalid backendRef). */
  | { readonly kind: 'invalidBackend'; readonly service: ServiceRef; readonly via: GatewayBackend }
  /** 503 NC: the route names a subset no DestinationRule defines. */
  | { readonly kind: 'noClusterFound'; readonly service: ServiceRef; readonly subset?: string }
  /** 404 NR: a VirtualService exists but none of its routes matches. */
  | { readonly kind: 'noRoute'; readonly service: ServiceRef }
  /** Envoy's fault filter answered (response flag FI) before the router: no upstream saw the request. */
  | { readonly kind: 'faultAbort'; readonly service: ServiceRef; readonly subset?: string; readonly status: number }
  /** The route answered itself (a redirect, a direct response): no upstream. */
  | { readonly kind: 'localReply'; readonly service: ServiceRef; readonly status: number };

/**
 * How an HTTPRoute reached the request's pod (httproute.ts): `service` of the outcome stays the
 * Service the client addressed (the ledger books under it); the reports name these instead.
 */
export interface GatewayBackend {
  /** The backendRef's Service: the upstream cluster, what the client sidecar reports. */
  readonly backend: ServiceRef;
  /** The oldest Service selecting the serving pod: what its server sidecar reports. Absent when no pod answered. */
  readonly server?: ServiceRef;
}

/** What routing needs to know about any destination host a route may name. */
export interface Upstreams {
  /** The DestinationRule that applies to the Service, if any. */
  readonly destinationRule: (service: ServiceRef) => DestinationRule | undefined;
  /** The pods the Service selects, ready or not. */
  readonly pods: (service: ServiceRef) => readonly Pod[];
}

/** A destination chosen by weight; `undefined` only for an empty list. */
export const pickWeighted = (dests: readonly RouteDestination[], u: number): RouteDestination | undefined => {
  if (dests.length <= 1) return dests[0];
  const total = dests.reduce((sum, d) => sum + (d.weight ?? 0), 0);
  if (total <= 0) return dests[0];
  let point = u * total;
  for (const d of dests) {
    point -= d.weight ?? 0;
    if (point < 0) return d;
  }
  return dests[dests.length - 1];
};

const firstMatchingRoute = (vs: VirtualService, req: Request): HttpRoute | undefined =>
  vs.http.find((r) => routeMatches(r, req));

const pickPod = (pods: readonly Pod[], u: number): Pod => pods[Math.min(pods.length - 1, Math.floor(u * pods.length))];

/** Step 4 and 5 for one destination. */
const resolve = (service: ServiceRef, subset: string | undefined, upstreams: Upstreams, rng: Rng): RouteOutcome => {
  let labels: Readonly<Record<string, string>> = {};
  if (subset !== undefined) {
    const found = upstreams.destinationRule(service)?.subsets.find((s) => s.name === subset);
    if (found === undefined) return { kind: 'noClusterFound', service, subset };
    labels = found.labels;
  }
  const ready = readyEndpoints(upstreams.pods(service), labels);
  if (ready.length === 0) return { kind: 'noHealthyUpstream', service, subset };
  return { kind: 'served', service, subset, pod: pickPod(ready, rng()) };
};

/** Steps 4 and 5 for a destination host, read relative to the VirtualService's namespace. */
const resolveDestination = (target: ServiceRef, vs: VirtualService, dest: RouteDestination['destination'], upstreams: Upstreams, rng: Rng): RouteOutcome => {
  const service = resolveHost(dest.host, vs.namespace);
  if (service === undefined) return { kind: 'noClusterFound', service: target, subset: dest.subset };
  return resolve(service, dest.subset, upstreams, rng);
};

/** A request's own outcome and the outcomes of the copies its route mirrored (fire and forget). */
export interface Routed {
  readonly outcome: RouteOutcome;
  /** A delay the route's fault injected before anything else happened (Envoy response flag DI). Default none. */
  readonly delayMs?: number;
  /** One per mirror policy that sampled this request (Envoy's runtime_fraction), in policy order. */
  readonly mirrored: readonly RouteOutcome[];
  /**
   * The response headers the client gets from the route's and the chosen destination's
   * `headers.response` (headers.ts; the simulated workloads add none). Envoy adds them to local
   * replies (503 UH/NC) too; none without a route (404 NR) or without a VirtualService.
   */
  readonly responseHeaders: ResponseHeaders;
}

/**
 * Routes one request addressed to `target` (see the module comment for the steps), and its
 * mirrored copies: each mirror policy of the chosen route copies the request with probability
 * percentage / 100 to its destination. The PRNG is drawn for mirrors only on routes that have
 * them, so routes without mirrors see the same random sequence as before mirrors existed.
 */
export const routeWithMirrors = (target: ServiceRef, vs: VirtualService | undefined, upstreams: Upstreams, req: Request, rng: Rng): Routed => {
  if (vs === undefined) return { outcome: resolve(target, undefined, upstreams, rng), mirrored: [], responseHeaders: [] };
  const httpRoute = firstMatchingRoute(vs, req);
  // A redirect or direct response is answered by the route itself (Envoy's redirect / direct_response action).
  const local = httpRoute?.redirect ?? httpRoute?.directResponse;
  if (local !== undefined) return { outcome: { kind: 'localReply', service: target, status: local.status }, mirrored: [], responseHeaders: [] };
  const chosen = httpRoute && pickWeighted(httpRoute.route ?? [], rng());
  if (httpRoute === undefined || chosen === undefined) return { outcome: { kind: 'noRoute', service: target }, mirrored: [], responseHeaders: [] };
  // Envoy picks the weighted cluster when it resolves the route, before the fault filter runs
  // (the filter sits before the router); the filter delays, then aborts: an aborted request
  // reaches no upstream. The PRNG is drawn for faults only on routes that have them.
  const fault = httpRoute.fault;
  const delayMs = fault?.delay !== undefined && rng() * 100 < fault.delay.percentage ? fault.delay.fixedDelayMs : 0;
  const aborted = fault?.abort !== undefined && rng() * 100 < fault.abort.percentage ? fault.abort.httpStatus : undefined;
  const delay = delayMs > 0 ? { delayMs } : {};
  if (aborted !== undefined) {
    const service = resolveHost(chosen.destination.host, vs.namespace) ?? target;
    return { outcome: { kind: 'faultAbort', service, subset: chosen.destination.subset, status: aborted }, mirrored: [], responseHeaders: [], ...delay };
  }
  const outcome = resolveDestination(target, vs, chosen.destination, upstreams, rng);
  const mirrored = (httpRoute.mirrors ?? []).flatMap((m) => (rng() * 100 < m.percentage ? [resolveDestination(target, vs, m.destination, upstreams, rng)] : []));
  const weighted = (httpRoute.route ?? []).length > 1;
  return { outcome, mirrored, responseHeaders: responseHeaders([], httpRoute.responseHeaders, chosen.responseHeaders, weighted), ...delay };
};

/** Routes one request addressed to `target`, its mirrored copies aside. */
export const route = (target: ServiceRef, vs: VirtualService | undefined, upstreams: Upstreams, req: Request, rng: Rng): RouteOutcome =>
  routeWithMirrors(target, vs, upstreams, req, rng).outcome;

/**
 * Whether a tcp route's match holds for a connection from a sidecar (istiod `matchTCP`: the
 * client's labels and namespace, the gateways, the port). A match naming destinationSubnets
 * becomes a filter chain on those addresses, which the simulator does not have: it never holds.
 */
const tcpMatchHolds = (m: TcpMatch, port: number | undefined, source: Request['source']): boolean => {
  if (m.destinationSubnets !== undefined && m.destinationSubnets.length > 0) return false;
  if (m.gateways !== undefined && m.gateways.length > 0 && !m.gateways.includes('mesh')) return false;
  if (m.port !== undefined && m.port !== port) return false;
  if (m.sourceLabels !== undefined && !Object.entries(m.sourceLabels).every(([k, v]) => source?.labels[k] === v)) return false;
  if (m.sourceNamespace !== undefined && m.sourceNamespace !== source?.namespace) return false;
  return true;
};

/**
 * Routes one TCP connection addressed to `target`'s `port`, as istiod builds a sidecar's outbound
 * TCP filter chains (istio/istio pilot/pkg/networking/core, buildSidecarOutboundTCPFilterChainOpts):
 * the first `tcp` route without a match, or with a match that holds, wins; its destinations
 * become Envoy tcp_proxy `weighted_clusters`, picked once for the whole connection. No tcp route
 * (http routes do not apply to a TCP port) or none matching: the Service's default cluster, all
 * of its ready endpoints. Subsets and endpoints resolve as for HTTP (503 NC becomes flag NC, no
 * ready endpoint flag UH).
 */
export const routeTcp = (target: ServiceRef, vs: VirtualService | undefined, upstreams: Upstreams, source: Request['source'], port: number | undefined, rng: Rng): RouteOutcome => {
  const tcpRoute = vs?.tcp?.find((r) => r.match === undefined || r.match.length === 0 || r.match.some((m) => tcpMatchHolds(m, port, source)));
  if (vs === undefined || tcpRoute === undefined) return resolve(target, undefined, upstreams, rng);
  const chosen = pickWeighted(tcpRoute.route ?? [], rng());
  if (chosen === undefined) return resolve(target, undefined, upstreams, rng);
  return resolveDestination(target, vs, chosen.destination, upstreams, rng);
};

/** Whether a host, read relative to `namespace`, names `target`. */
const names = (host: string, namespace: string, target: ServiceRef): boolean => {
  const s = resolveHost(host, namespace);
  return s !== undefined && sameService(s, target);
};

const appliesToMesh = (vs: VirtualService): boolean => vs.gateways === undefined || vs.gateways.length === 0 || vs.gateways.includes('mesh');

const oldestFirst = <T extends { readonly creationTimestamp?: string; readonly namespace: string; readonly name: string }>(a: T, b: T): number =>
  (a.creationTimestamp ?? '').localeCompare(b.creationTimestamp ?? '') || `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`);

/** The VirtualService sidecars use for `target`: bound to the mesh, oldest first as in Istio. */
export const virtualServiceFor = (all: readonly VirtualService[], target: ServiceRef): VirtualService | undefined =>
  all
    .filter((vs) => appliesToMesh(vs) && vs.hosts.some((h) => names(h, vs.namespace, target)))
    .sort(oldestFirst)[0];

/** The DestinationRule for `target`, preferring one in the Service's own namespace. */
export const destinationRuleFor = (all: readonly DestinationRule[], target: ServiceRef): DestinationRule | undefined => {
  const matching = all.filter((dr) => names(dr.host, dr.namespace, target));
  return matching.find((dr) => dr.namespace === target.namespace) ?? matching[0];
};
