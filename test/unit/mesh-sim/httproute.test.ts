/**
 * The simulator routes mesh traffic by an HTTPRoute bound to the Service (GAMMA) as Istio does:
 * precedence over rules, weighted backendRefs to per-version Services, 500 for a backendRef to no
 * Service, 503 UH for one without ready pods, and reports naming the backend (client) and the
 * oldest Service selecting the pod (server).
 */
import { httpRouteFromK8s } from '../../mesh-sim/decode';
import { meshRulesFor, routeByHttpRoute, pickBackend } from '../../mesh-sim/httproute';
import type { GatewayHttpRoute, MeshSnapshot, Request, Service } from '../../mesh-sim/model';
import { seededRng } from '../../mesh-sim/prng';
import type { RouteOutcome } from '../../mesh-sim/route';
import { reportsOf, simulateStream, upstreamsOf, type Stream } from '../../mesh-sim/simulate';
import { istioLabels } from '../../mesh-sim/labels';
import { service, snapshot, split, threeEach, v1v2Rule, virtualService } from './fixtures';

const reviews = { namespace: 'shop', name: 'reviews' };
const plain: Request = { uri: '/', headers: {} };

/** Services in creation order: the user's first, then sluice's per-version ones. */
const services = (): Service[] => [
  { ...service(), creationTimestamp: '2026-01-01T00:00:00Z' },
  { ...service('reviews-v1', { app: 'reviews', version: 'v1' }), creationTimestamp: '2026-12-03T10:00:00Z' },
  { ...service('reviews-v2', { app: 'reviews', version: 'v2' }), creationTimestamp: '2026-12-03T10:00:01Z' },
];

const route = (rules: GatewayHttpRoute['rules'], opts: Partial<GatewayHttpRoute> = {}): GatewayHttpRoute => ({
  namespace: 'shop',
  name: 'reviews',
  parentRefs: [{ group: '', kind: 'Service', name: 'reviews' }],
  rules,
  ...opts,
});

const weighted = (v1: number, v2: number): GatewayHttpRoute['rules'][number] => ({
  backendRefs: [{ kind: 'Service', name: 'reviews-v1', weight: v1 }, { kind: 'Service', name: 'reviews-v2', weight: v2 }],
});
const only = (name: string) => ({ backendRefs: [{ kind: 'Service', name, weight: 100 }] });

const snap = (httpRoutes: GatewayHttpRoute[], s: Partial<MeshSnapshot> = {}): MeshSnapshot => snapshot({ services: services(), httpRoutes, ...s });

const routeIn = (m: MeshSnapshot, req: Request = plain, seed = 1): RouteOutcome =>
  routeByHttpRoute(reviews, meshRulesFor(m.httpRoutes ?? [], reviews), m, upstreamsOf(m), req, seededRng(seed));

const versionOf = (o: RouteOutcome): string => (o.kind === 'served' ? o.pod.labels.version : o.kind);

const shares = (m: MeshSnapshot, n: number): Record<string, number> => {
  const rng = seededRng(7);
  const rules = meshRulesFor(m.httpRoutes ?? [], reviews);
  const up = upstreamsOf(m);
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const v = versionOf(routeByHttpRoute(reviews, rules, m, up, plain, rng));
    counts[v] = (counts[v] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).map(([k, c]) => [k, c / n]));
};

describe('mesh simulator: HTTPRoute bound to a Service', () => {
  it('splits by backendRef weight between the per-version Services', () => {
    const s = shares(snap([route([weighted(80, 20)])]), 20_000);
    expect(s.v1).toBeCloseTo(0.8, 1);
    expect(s.v2).toBeCloseTo(0.2, 1);
    expect(Object.keys(s).sort()).toEqual(['v1', 'v2']);
  });

  it('never picks a backendRef of weight 0, and a missing weight counts 1', () => {
    expect(shares(snap([route([weighted(100, 0)])]), 2_000)).toEqual({ v1: 1 });
    expect(pickBackend([{ kind: 'Service', name: 'a' }, { kind: 'Service', name: 'b' }], 0.75)?.name).toBe('b');
  });

  it('answers 500 for a backendRef to a Service that does not exist, and 503 UH for one without ready pods', () => {
    expect(routeIn(snap([route([only('reviews-v3')])])).kind).toBe('invalidBackend');
    const notReady = threeEach().map((p) => (p.labels.version === 'v2' ? { ...p, ready: false } : p));
    expect(routeIn(snap([route([only('reviews-v2')])], { pods: notReady })).kind).toBe('noHealthyUpstream');
    const stream: Stream = { id: 'shop/reviews', target: reviews, rps: 10, request: plain, source: { workload: 'loadgen', namespace: 'shop', serviceAccount: 'loadgen' } };
    const ctx = { snapshot: snap([route([only('reviews-v3')])]), profiles: new Map(), versionLabel: () => 'version' };
    const { requests } = simulateStream(stream, 0, 1000, ctx, upstreamsOf(ctx.snapshot), seededRng(1));
    expect(requests.map((r) => r.status)).toEqual(Array(10).fill(500));
  });

  it('takes the most specific rule (header match) over the catch-all whatever their order, and 404s when nothing matches', () => {
    const preview = { matches: [{ headers: [{ type: 'Exact' as const, name: 'x-preview', value: 'true' }] }], ...only('reviews-v2') };
    const m = snap([route([only('reviews-v1'), preview])]);
    expect(versionOf(routeIn(m, { uri: '/', headers: { 'x-preview': 'true' } }))).toBe('v2');
    expect(versionOf(routeIn(m, plain))).toBe('v1');
    const apiOnly = snap([route([{ matches: [{ path: { type: 'PathPrefix', value: '/api' } }], ...only('reviews-v1') }])]);
    expect(versionOf(routeIn(apiOnly, { uri: '/api/x', headers: {} }))).toBe('v1');
    expect(versionOf(routeIn(apiOnly, { uri: '/apix', headers: {} }))).toBe('noRoute');
  });

  it('wins over a VirtualService for the same Service, and ignores routes bound to another Service or a Gateway', () => {
    const vs = virtualService([split(100, 0)]);
    const stream: Stream = { id: 'shop/reviews', target: reviews, rps: 20, request: plain, source: { workload: 'loadgen', namespace: 'shop', serviceAccount: 'loadgen' } };
    const run = (httpRoutes: GatewayHttpRoute[]) => {
      const ctx = { snapshot: snap(httpRoutes, { virtualServices: [vs], destinationRules: [v1v2Rule()] }), profiles: new Map(), versionLabel: () => 'version' };
      return [...new Set(simulateStream(stream, 0, 1000, ctx, upstreamsOf(ctx.snapshot), seededRng(3)).requests.map((r) => r.version))];
    };
    expect(run([route([only('reviews-v2')])])).toEqual(['v2']);
    expect(run([route([only('reviews-v2')], { parentRefs: [{ group: '', kind: 'Service', name: 'ratings' }] })])).toEqual(['v1']);
    expect(run([route([only('reviews-v2')], { parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public' }] })])).toEqual(['v1']);
  });

  it('reports the backend Service from the client and the oldest Service selecting the pod from the server; the ledger keeps the addressed Service', () => {
    const m = snap([route([only('reviews-v2')])]);
    const stream: Stream = { id: 'shop/reviews', target: reviews, rps: 1, request: plain, source: { workload: 'loadgen', namespace: 'shop', serviceAccount: 'loadgen' } };
    const ctx = { snapshot: m, profiles: new Map(), versionLabel: () => 'version' };
    const [r] = simulateStream(stream, 0, 1000, ctx, upstreamsOf(m), seededRng(1)).requests;
    expect(r.outcome.service).toEqual(reviews);
    const labels = reportsOf(r).map((rep) => { const l = istioLabels(rep); return [l.reporter, l.destination_service_name, l.destination_version]; });
    expect(labels).toEqual([['destination', 'reviews', 'v2'], ['source', 'reviews-v2', 'v2']]);
  });

  it('decodes an HTTPRoute as the API server returns it (defaults for omitted group, kind, weight and path)', () => {
    const decoded = httpRouteFromK8s({
      metadata: { namespace: 'shop', name: 'reviews', creationTimestamp: new Date('2026-12-03T10:00:00Z') },
      spec: {
        parentRefs: [{ group: '', kind: 'Service', name: 'reviews' }, { name: 'public', namespace: 'edge' }],
        rules: [{ backendRefs: [{ name: 'reviews-v1', port: 9080 }] }],
      },
    });
    expect(decoded.creationTimestamp).toBe('2026-12-03T10:00:00.000Z');
    expect(decoded.parentRefs).toEqual([{ group: '', kind: 'Service', name: 'reviews', namespace: undefined }, { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'edge' }]);
    expect(decoded.rules[0].backendRefs).toEqual([{ kind: 'Service', name: 'reviews-v1', namespace: undefined, weight: undefined }]);
    expect(decoded.rules[0].matches).toBeUndefined();
    expect(versionOf(routeIn(snap([decoded])))).toBe('v1');
  });
});
