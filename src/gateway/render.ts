/**
 * Pure rendering of a RouteIntent into the Gateway API objects a TrafficShift owns with
 * `spec.routing: gatewayAPI`: one HTTPRoute named after the Service, and one Service per routed
 * version. Same input, byte-identical output, like src/istio/render.ts, whose weight split it
 * uses (the candidate weight is authoritative, clamped to 0..100, stable gets the rest).
 *
 * - parentRefs: "mesh" in spec.gateways is the shifted Service itself (GAMMA: the route applies
 *   to mesh traffic addressed to that Service); "<ns>/<name>" or "<name>" is a Gateway.
 * - hostnames: only with a Gateway parent, the spec hosts that are not names of the shifted
 *   Service; none means every hostname of the Gateway's listeners.
 * - One rule per route, as in the VirtualService: `preview` or `ab-test` (candidateMatches: the
 *   blue-green preview match or the A/B test's matches, ANDed with spec.route.match) and `primary`. HTTPRoute rules are not tried in order: Gateway API
 *   picks the most specific match, and the preview rule's matches are the primary's plus
 *   headers, so a request matching both takes the preview rule.
 * - Backends are the per-version Services on the shifted Service's port; the candidate stays at
 *   weight 0 once routed, so going from 0 to a step changes only a weight.
 */
import { candidateMatches, HttpMatch } from '../api/spec';
import { RouteIntent } from '../core/types';
import { ownHosts } from '../istio/hostsPolicy';
import { previewMatches } from '../istio/match';
import { split, ShiftRef, RenderOptions } from '../istio/render';
import { MANAGED_BY, MANAGED_BY_LABEL, SHIFT_LABEL } from '../istio/types';
import { versionServiceName } from './names';
import { toFilters, toRouteMatches } from './translate';
import {
  BackendRef, GATEWAY_API_VERSION, GATEWAY_GROUP, HTTPRoute, HTTPRouteMatch, HTTPRouteRule, ParentRef, RenderedGateway,
  ServicePort, VERSION_SERVICE_LABEL, VersionService,
} from './types';
import { formatDuration, parseDuration } from '../api/duration';

/** Label on a per-version Service naming the shifted Service it belongs to. */
export const FOR_SERVICE_LABEL = 'sluice.dev/service';

/** What sluice copies from the shifted Service. */
export interface ParentService {
  readonly ports: readonly ServicePort[];
  readonly selector: Readonly<Record<string, string>>;
}

const labelsFor = (shift: ShiftRef) => ({ [MANAGED_BY_LABEL]: MANAGED_BY, [SHIFT_LABEL]: shift.name });

/** spec.gateways as parentRefs: mesh is the Service itself, anything else a Gateway. */
export const parentRefsOf = (gateways: readonly string[], service: string): ParentRef[] =>
  gateways.map((g): ParentRef => {
    if (g === 'mesh') return { group: '', kind: 'Service', name: service };
    const slash = g.indexOf('/');
    return slash < 0
      ? { group: GATEWAY_GROUP, kind: 'Gateway', name: g }
      : { group: GATEWAY_GROUP, kind: 'Gateway', namespace: g.slice(0, slash), name: g.slice(slash + 1) };
  });

const hostnamesOf = (shift: ShiftRef, clusterDomain: string | undefined): string[] | undefined => {
  if (!shift.spec.gateways.some((g) => g !== 'mesh')) return undefined;
  const own = new Set(ownHosts(shift.spec.service, shift.namespace, clusterDomain));
  const names = [...new Set(shift.spec.hosts.map((h) => h.toLowerCase()).filter((h) => !own.has(h)))];
  return names.length > 0 ? names : undefined;
};

const istioJson = (m: HttpMatch): Record<string, unknown> => HttpMatch.encode(m) as Record<string, unknown>;

/** Istio matches as HTTPRouteMatches; undefined when one cannot be translated (checkSpec refuses such specs). */
const translated = (matches: readonly Record<string, unknown>[], path: string): HTTPRouteMatch[] | undefined => {
  const r = toRouteMatches(matches, path);
  return r.ok ? r.value : undefined;
};

/** The per-version Service of `version`: the parent's ports, its selector plus the version label. */
export const versionService = (shift: ShiftRef, parent: ParentService, version: string): VersionService => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    name: versionServiceName(shift.spec.service, version),
    namespace: shift.namespace,
    labels: { ...labelsFor(shift), [FOR_SERVICE_LABEL]: shift.spec.service, [VERSION_SERVICE_LABEL]: version },
  },
  spec: {
    type: 'ClusterIP',
    ports: parent.ports.map((p) => ({
      ...(p.name !== undefined ? { name: p.name } : {}),
      port: p.port,
      ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}),
      protocol: p.protocol ?? 'TCP',
      ...(p.appProtocol !== undefined ? { appProtocol: p.appProtocol } : {}),
    })),
    selector: { ...parent.selector, [shift.spec.versionLabel]: version },
  },
});

/** The HTTPRoute and per-version Services for `intent`. */
export const renderGateway = (shift: ShiftRef, intent: RouteIntent, parent: ParentService, options: RenderOptions = {}): RenderedGateway => {
  const spec = shift.spec;
  const port = parent.ports[0]?.port ?? 80;
  const backend = (version: string, weight: number): BackendRef => ({ group: '', kind: 'Service', name: versionServiceName(spec.service, version), port, weight });
  const routeMatchJson = spec.route.match?.map(istioJson);
  const routeMatches = routeMatchJson && routeMatchJson.length > 0 ? translated(routeMatchJson, 'spec.route.match') : undefined;
  const filters = toFilters(spec.route.headers);
  const timeoutMs = spec.route.timeout !== undefined ? parseDuration(spec.route.timeout) : undefined;
  const options_ = {
    ...(filters.length > 0 ? { filters } : {}),
    ...(timeoutMs !== undefined ? { timeouts: { request: formatDuration(timeoutMs) } } : {}),
  };
  const rules: HTTPRouteRule[] = [];
  const candidate = intent.candidate !== undefined && intent.candidate !== intent.stable ? intent.candidate : undefined;
  const audience = candidateMatches(spec);
  if (intent.preview && candidate !== undefined && audience !== undefined) {
    const abTest = spec.strategy.kind === 'abTest';
    const merged = audience.flatMap((m) => previewMatches(istioJson(m), routeMatchJson) ?? []);
    const matches = merged.length > 0 ? translated(merged, abTest ? 'spec.strategy.abTest.match' : 'spec.strategy.blueGreen.previewMatch') : undefined;
    if (matches !== undefined) rules.push({ name: abTest ? 'ab-test' : 'preview', matches, ...options_, backendRefs: [backend(candidate, 100)] });
  }
  const weights = split(intent);
  rules.push({ name: 'primary', ...(routeMatches ? { matches: routeMatches } : {}), ...options_, backendRefs: weights.map((s) => backend(s.version, s.weight)) });
  const hostnames = hostnamesOf(shift, options.clusterDomain);
  const httpRoute: HTTPRoute = {
    apiVersion: GATEWAY_API_VERSION,
    kind: 'HTTPRoute',
    metadata: { name: spec.service, namespace: shift.namespace, labels: labelsFor(shift) },
    spec: { parentRefs: parentRefsOf(spec.gateways, spec.service), ...(hostnames ? { hostnames } : {}), rules },
  };
  const services = weights
    .map((s) => versionService(shift, parent, s.version))
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  return { httpRoute, services };
};
