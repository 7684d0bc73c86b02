/**
 * Pure rendering of a RouteIntent into the DestinationRule and VirtualService a TrafficShift
 * owns. Same input, byte-identical output: every object is built in a fixed key order, subsets
 * are sorted by name, and nothing depends on the clock or on iteration order of user maps.
 *
 * Decisions (see also names.ts and match.ts):
 * - Hosts in the DestinationRule and in route destinations are FQDNs
 *   (`reviews.shop.svc.cluster.local`): the same Service from any namespace, and no ambiguity
 *   when the VirtualService is bound to a gateway. spec.hosts is written as the user gave it.
 * - The candidate destination stays in the primary route at weight 0 (Istio accepts 0): the
 *   subset stays referenced, and going from 0 to a step is a weight change only.
 * - Requests matching the candidate's matches (blue-green preview, A/B test; candidateMatches)
 *   get a route of their own before the primary one, ANDed with spec.route.match (match.ts).
 * - strategy.canary.sessionAffinity (sticky.ts): while the candidate has weight, its destination in
 *   the primary route adds a Set-Cookie and a `sticky` route before it sends requests carrying the
 *   cookie to the candidate; with no candidate weight a `sticky-expire` route sends them to stable
 *   and expires the cookie. Neither names the candidate once its weight is 0 (a fallback).
 * - User routes (spec.routes.before / after) come first and last, as written, except that a
 *   destination naming the routed Service gets the primary route's split (userRoutes.ts).
 * - Mirroring (spec.strategy.<kind>.mirror, intent.mirror) is `mirror` + `mirrorPercentage` on the
 *   primary route only: copies of stable's requests go to the candidate subset (kept in the
 *   DestinationRule, as at weight 0), and Envoy discards their answers. Requests taking a preview
 *   route already reach the candidate and are not copied.
 * - The candidate weight is authoritative: it is rounded and clamped to 0..100, and the stable
 *   destination gets the rest, so every rendered route sums to 100 whatever the intent says.
 * - spec.protocol: tcp renders one `tcp` route with the same weighted destinations instead of the
 *   `http` routes (renderRoutes picks by protocol): Envoy's tcp_proxy weighs them per connection.
 */
import { candidateMatches, HttpMatch, mirrorOf, ResolvedSpec, ResolvedUserRoutes } from '../api/spec';
import { RouteIntent } from '../core/types';
import { previewMatches } from './match';
import { sortKeys } from './canonical';
import { ownHosts } from './hostsPolicy';
import { serviceFqdn, subsetName } from './names';
import { addSetCookie, cookieMatch, expireCookie, pinCookie } from './sticky';
import { renderUserRoute } from './userRoutes';
import {
  AnyRenderedRoutes, DestinationRule, HttpRoute, ISTIO_API_VERSION, IstioMeta, MANAGED_BY, MANAGED_BY_LABEL, RenderedRoutes,
  RenderedTcpRoutes, RouteDestination, SHIFT_LABEL, Subset, TcpVirtualService, UserHttpRoute, VirtualService,
} from './types';

/** The TrafficShift being rendered: where it lives, its uid, its resolved spec. */
export interface ShiftRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly spec: ResolvedSpec;
}

export interface RenderOptions {
  /** Cluster DNS domain for FQDN hosts. Default "cluster.local". */
  readonly clusterDomain?: string;
}

const metadataFor = (shift: ShiftRef): IstioMeta => ({
  name: shift.spec.service,
  namespace: shift.namespace,
  labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [SHIFT_LABEL]: shift.name },
});

/** Stable and candidate versions with their integer weights; no candidate when it equals stable. */
export const split = (intent: RouteIntent): { version: string; weight: number }[] => {
  if (intent.candidate === undefined || intent.candidate === intent.stable) return [{ version: intent.stable, weight: 100 }];
  const raw = Number.isFinite(intent.weights.candidate) ? Math.round(intent.weights.candidate) : 0;
  const candidate = Math.min(100, Math.max(0, raw));
  return [{ version: intent.stable, weight: 100 - candidate }, { version: intent.candidate, weight: candidate }];
};

const routeOptions = (route: ResolvedSpec['route']): Partial<HttpRoute> => ({
  ...(route.timeout !== undefined ? { timeout: route.timeout } : {}),
  ...(route.retries !== undefined ? { retries: route.retries } : {}),
  ...(route.headers !== undefined ? { headers: route.headers } : {}),
  ...(route.corsPolicy !== undefined ? { corsPolicy: route.corsPolicy } : {}),
});

/** Istio's JSON for a decoded match ({ kind, value } back to { exact: ... }), keys sorted: the bytes do not depend on the order the user wrote them in. */
const istioMatch = (m: HttpMatch): Record<string, unknown> => sortKeys(HttpMatch.encode(m)) as Record<string, unknown>;

const httpRoutes = (shift: ShiftRef, intent: RouteIntent, host: string, own: ReadonlySet<string>): (HttpRoute | UserHttpRoute)[] => {
  const spec = shift.spec;
  const options = routeOptions(spec.route);
  const routeMatch = spec.route.match?.map(istioMatch);
  const destination = (version: string, weight: number): RouteDestination => ({ destination: { host, subset: subsetName(version) }, weight });
  const weights = split(intent);
  const user = (list: ResolvedUserRoutes['before'] | undefined) => (list ?? []).map((r) => renderUserRoute(r, own, host, weights));
  const routes: (HttpRoute | UserHttpRoute)[] = [...user(spec.routes?.before)];
  const candidate = intent.candidate !== undefined && intent.candidate !== intent.stable ? intent.candidate : undefined;
  const audience = candidateMatches(spec);
  if (intent.preview && candidate !== undefined && audience !== undefined) {
    const match = audience.flatMap((m) => previewMatches(istioMatch(m), routeMatch) ?? []);
    if (match.length > 0) routes.push({ name: spec.strategy.kind === 'abTest' ? 'ab-test' : 'preview', match, route: [destination(candidate, 100)], ...options });
  }
  const mirror = intent.mirror === true && candidate !== undefined ? mirrorOf(spec) : undefined;
  // Sticky canary (sticky.ts): pinned while the candidate has weight, expired whenever it has none.
  const affinity = spec.strategy.kind === 'canary' ? spec.strategy.sessionAffinity : undefined;
  const pinned = affinity !== undefined && candidate !== undefined && (weights[1]?.weight ?? 0) > 0 ? { affinity, candidate } : undefined;
  if (pinned !== undefined) {
    const match = previewMatches(cookieMatch(pinned.affinity.cookieName, pinned.candidate), routeMatch);
    const cookie = addSetCookie(pinCookie(pinned.affinity, pinned.candidate));
    if (match !== undefined) routes.push({ name: 'sticky', match, route: [{ ...destination(pinned.candidate, 100), headers: cookie }], ...options });
  } else if (affinity !== undefined) {
    const match = previewMatches(cookieMatch(affinity.cookieName), routeMatch);
    if (match !== undefined) routes.push({ name: 'sticky-expire', match, route: [{ ...destination(intent.stable, 100), headers: addSetCookie(expireCookie(affinity)) }], ...options });
  }
  routes.push({
    name: 'primary',
    ...(routeMatch !== undefined && routeMatch.length > 0 ? { match: routeMatch } : {}),
    route: weights.map((s) => {
      const d = destination(s.version, s.weight);
      return pinned !== undefined && s.version === pinned.candidate ? { ...d, headers: addSetCookie(pinCookie(pinned.affinity, pinned.candidate)) } : d;
    }),
    ...(mirror !== undefined && candidate !== undefined
      ? { mirror: { host, subset: subsetName(candidate) }, mirrorPercentage: { value: mirror.percentage } }
      : {}),
    ...options,
  });
  return [...routes, ...user(spec.routes?.after)];
};

/** Every host form of the routed Service, lower case: a user route's destination naming one of them gets the split. */
const ownHostSet = (shift: ShiftRef, options: RenderOptions): ReadonlySet<string> =>
  new Set(ownHosts(shift.spec.service, shift.namespace, options.clusterDomain).map((h) => h.toLowerCase()));

/** Subsets to keep: every version the intent routes to (stable, and the candidate if any). */
const subsetsFor = (spec: ResolvedSpec, intent: RouteIntent): Subset[] =>
  split(intent)
    .map((s) => ({ name: subsetName(s.version), labels: { [spec.versionLabel]: s.version } }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/**
 * The DestinationRule and VirtualService for `intent`. Which to write first, and how, is
 * planWrites's (writes.ts) from what is in the cluster.
 */
export const render = (shift: ShiftRef, intent: RouteIntent, options: RenderOptions = {}): RenderedRoutes => {
  const host = serviceFqdn(shift.spec.service, shift.namespace, options.clusterDomain);
  const destinationRule: DestinationRule = {
    apiVersion: ISTIO_API_VERSION,
    kind: 'DestinationRule',
    metadata: metadataFor(shift),
    spec: { host, subsets: subsetsFor(shift.spec, intent) },
  };
  const virtualService: VirtualService = {
    apiVersion: ISTIO_API_VERSION,
    kind: 'VirtualService',
    metadata: metadataFor(shift),
    spec: { hosts: [...shift.spec.hosts], gateways: [...shift.spec.gateways], http: httpRoutes(shift, intent, host, ownHostSet(shift, options)) },
  };
  return { destinationRule, virtualService };
};

/**
 * The routes of a TCP shift: the same DestinationRule, and a VirtualService whose one `tcp` route
 * carries the weighted destinations of the primary route (no preview: a TCP spec has no match).
 */
export const renderTcp = (shift: ShiftRef, intent: RouteIntent, options: RenderOptions = {}): RenderedTcpRoutes => {
  const host = serviceFqdn(shift.spec.service, shift.namespace, options.clusterDomain);
  const { destinationRule, virtualService } = render(shift, { ...intent, preview: false }, options);
  const tcp: TcpVirtualService = {
    apiVersion: virtualService.apiVersion,
    kind: virtualService.kind,
    metadata: virtualService.metadata,
    spec: {
      hosts: virtualService.spec.hosts,
      gateways: virtualService.spec.gateways,
      tcp: [{ route: split(intent).map((s) => ({ destination: { host, subset: subsetName(s.version) }, weight: s.weight })) }],
    },
  };
  return { destinationRule, virtualService: tcp };
};

/** The routes for the shift's protocol (spec.protocol; default http): what the daemon and `sluice plan --routes` write. */
export const renderRoutes = (shift: ShiftRef, intent: RouteIntent, options: RenderOptions = {}): AnyRenderedRoutes =>
  shift.spec.protocol === 'tcp' ? renderTcp(shift, intent, options) : render(shift, intent, options);
