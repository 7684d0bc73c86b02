/**
 * Pure routing of mesh traffic by Gateway API HTTPRoutes, as Istio does it for an HTTPRoute whose
 * parentRef is a Service (GAMMA; sources in docs/mesh-simulator.md):
 *   1. every HTTPRoute bound to the addressed Service applies; istiod merges their rules into the
 *      Service's routes, one route per match (a rule without matches is PathPrefix "/");
 *   2. the request takes the most specific matching entry, by Gateway API precedence: an Exact
 *      path, then the longest path, then a method match, then the most header matches, then the
 *      most query matches; ties go to the oldest route, then to rule order. No match: 404 NR;
 *   3. a weighted pick among the rule's backendRefs (weight default 1, 0 never picked; all 0:
 *      503, the abort istiod injects, here flagged UH);
 *   4. the backendRef's Service must exist (else 500, Gateway API's invalid backendRef) and have
 *      a ready pod (else 503 UH, no healthy upstream).
 * The outcome's `service` stays the addressed Service (the ledger books there); `via` carries the
 * backend and serving Services the sidecars report (simulate.ts reportsOf).
 */
import { findService, readyEndpoints, selects } from './endpoints';
import { pathOf, queryOf } from './match';
import type { GatewayBackendRef, GatewayHttpRoute, GatewayRouteMatch, MeshSnapshot, Pod, Request, Service, ServiceRef } from './model';
import type { Rng } from './prng';
import type { RouteOutcome, Upstreams } from './route';

/** One (route, rule, match) entry of the merged, ordered route table of a Service. */
export interface MeshRule {
  readonly route: GatewayHttpRoute;
  readonly match: GatewayRouteMatch;
  readonly backendRefs: readonly GatewayBackendRef[];
}

const ROOT: GatewayRouteMatch = { path: { type: 'PathPrefix', value: '/' } };

const oldestFirst = (a: GatewayHttpRoute, b: GatewayHttpRoute): number =>
  (a.creationTimestamp ?? '').localeCompare(b.creationTimestamp ?? '') || `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`);

/** Whether the route names `target` as a parent Service (core group, same namespace unless given). */
const boundTo = (route: GatewayHttpRoute, target: ServiceRef): boolean =>
  route.parentRefs.some((p) => p.kind === 'Service' && (p.group === '' || p.group === 'core') && p.name === target.name && (p.namespace ?? route.namespace) === target.namespace);

/** Precedence keys, higher first (Gateway API HTTPRouteRule.matches). */
const precedence = (m: GatewayRouteMatch): readonly number[] => {
  const path = m.path ?? ROOT.path!;
  return [path.type === 'Exact' ? 1 : 0, path.value.length, m.method !== undefined ? 1 : 0, m.headers?.length ?? 0, m.queryParams?.length ?? 0];
};

const byPrecedence = (a: MeshRule, b: MeshRule): number => {
  const pa = precedence(a.match);
  const pb = precedence(b.match);
  for (let i = 0; i < pa.length; i++) if (pa[i] !== pb[i]) return pb[i] - pa[i];
  return 0; // stable sort keeps route age, then rule order
};

/** The Service's merged route table, most specific first; empty when no HTTPRoute is bound to it. */
export const meshRulesFor = (all: readonly GatewayHttpRoute[], target: ServiceRef): readonly MeshRule[] =>
  all
    .filter((r) => boundTo(r, target))
    .sort(oldestFirst)
    .flatMap((route) => route.rules.flatMap((rule) =>
      (rule.matches !== undefined && rule.matches.length > 0 ? rule.matches : [ROOT]).map((match) => ({ route, match, backendRefs: rule.backendRefs }))))
    .sort(byPrecedence);

const fullMatch = (pattern: string, value: string): boolean => {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return false;
  }
};

const valueMatches = (m: { readonly type: string; readonly value: string }, value: string | undefined): boolean =>
  value !== undefined && (m.type === 'RegularExpression' ? fullMatch(m.value, value) : value === m.value);

/** PathPrefix matches whole path elements: "/api" matches "/api" and "/api/x", not "/apix". */
const pathMatches = (p: NonNullable<GatewayRouteMatch['path']>, path: string): boolean => {
  switch (p.type) {
    case 'Exact':
      return path === p.value;
    case 'RegularExpression':
      return fullMatch(p.value, path);
    case 'PathPrefix': {
      const prefix = p.value.replace(/\/+$/, '');
      return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
    }
  }
};

/** Whether every condition of one HTTPRouteMatch holds. Header names are case-insensitive. */
export const gatewayMatches = (m: GatewayRouteMatch, req: Request): boolean => {
  if (!pathMatches(m.path ?? ROOT.path!, pathOf(req.uri))) return false;
  const method = req.method ?? 'GET';
  if (m.method !== undefined && m.method !== method) return false;
  if (!(m.headers ?? []).every((h) => valueMatches(h, req.headers[h.name.toLowerCase()]))) return false;
  const query = queryOf(req.uri);
  return (m.queryParams ?? []).every((q) => valueMatches(q, query.get(q.name)));
};

/** A backendRef chosen by weight (default 1); undefined when every weight is 0. */
export const pickBackend = (refs: readonly GatewayBackendRef[], u: number): GatewayBackendRef | undefined => {
  const weighted = refs.filter((r) => (r.weight ?? 1) > 0);
  const total = weighted.reduce((sum, r) => sum + (r.weight ?? 1), 0);
  let point = u * total;
  for (const r of weighted) {
    point -= r.weight ?? 1;
    if (point < 0) return r;
  }
  return weighted[weighted.length - 1];
};

/** The Service a server sidecar names: the oldest one in the pod's namespace whose selector picks it. */
export const oldestServiceOf = (services: readonly Service[], pod: Pod): ServiceRef | undefined =>
  services
    .filter((s) => s.namespace === pod.namespace && Object.keys(s.selector).length > 0 && selects(s.selector, pod.labels))
    .sort((a, b) => (a.creationTimestamp ?? '').localeCompare(b.creationTimestamp ?? '') || a.name.localeCompare(b.name))[0];

/** Routes one request addressed to `target` by its merged HTTPRoute table (see the module comment). */
export const routeByHttpRoute = (
  target: ServiceRef, rules: readonly MeshRule[], snapshot: MeshSnapshot, upstreams: Upstreams, req: Request, rng: Rng,
): RouteOutcome => {
  const rule = rules.find((r) => gatewayMatches(r.match, req));
  if (rule === undefined) return { kind: 'noRoute', service: target };
  const ref = pickBackend(rule.backendRefs, rng());
  if (ref === undefined) return { kind: 'noHealthyUpstream', service: target };
  const backend: ServiceRef = { namespace: ref.namespace ?? rule.route.namespace, name: ref.name };
  if (ref.kind !== 'Service' || findService(snapshot.services, backend) === undefined) return { kind: 'invalidBackend', service: target, via: { backend } };
  const ready = readyEndpoints(upstreams.pods(backend));
  if (ready.length === 0) return { kind: 'noHealthyUpstream', service: target, via: { backend } };
  const pod = ready[Math.min(ready.length - 1, Math.floor(rng() * ready.length))];
  const server = oldestServiceOf(snapshot.services, pod);
  return { kind: 'served', service: target, pod, via: { backend, ...(server !== undefined ? { server } : {}) } };
};
