import { route, pickWeighted, virtualServiceFor, destinationRuleFor, type RouteOutcome } from '../../mesh-sim/route';
import { upstreamsOf } from '../../mesh-sim/simulate';
import { seededRng } from '../../mesh-sim/prng';
import type { HttpMatch, MeshSnapshot, Request, VirtualService } from '../../mesh-sim/model';
import { destinationRule, pod, service, snapshot, split, threeEach, v1v2Rule, virtualService } from './fixtures';

const reviews = { namespace: 'shop', name: 'reviews' };
const plain: Request = { uri: '/', headers: {} };

const routeIn = (snap: MeshSnapshot, req: Request = plain, seed = 1): RouteOutcome =>
  route(reviews, virtualServiceFor(snap.virtualServices, reviews), upstreamsOf(snap), req, seededRng(seed));

const versionOf = (o: RouteOutcome): string => (o.kind === 'served' ? o.pod.labels.version : o.kind);

/** Fraction of `n` seeded requests that each outcome (version or failure kind) gets. */
const shares = (snap: MeshSnapshot, n: number, req: Request = plain): Record<string, number> => {
  const rng = seededRng(42);
  const vs = virtualServiceFor(snap.virtualServices, reviews);
  const upstreams = upstreamsOf(snap);
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const v = versionOf(route(reviews, vs, upstreams, req, rng));
    counts[v] = (counts[v] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).map(([k, c]) => [k, c / n]));
};

const previewRoute = (match: VirtualService['http'][number]['match']) =>
  virtualService([{ match, route: [{ destination: { host: 'reviews', subset: 'v2' } }] }, { route: [{ destination: { host: 'reviews', subset: 'v1' } }] }]);

describe('route: matches', () => {
  const headerCases: [string, VirtualService['http'][number]['match'], Record<string, string>, string][] = [
    ['an exact header value', [{ headers: { 'x-preview': { exact: 'true' } } }], { 'x-preview': 'true' }, 'v2'],
    ['a different header value', [{ headers: { 'x-preview': { exact: 'true' } } }], { 'x-preview': 'false' }, 'v1'],
    ['a missing header', [{ headers: { 'x-preview': { exact: 'true' } } }], {}, 'v1'],
    ['a header prefix', [{ headers: { 'x-user': { prefix: 'qa-' } } }], { 'x-user': 'qa-anna' }, 'v2'],
    ['a header regex as a full match', [{ headers: { 'x-user': { regex: 'qa-[a-z]+' } } }], { 'x-user': 'qa-anna' }, 'v2'],
    ['a regex that matches only part of the value', [{ headers: { 'x-user': { regex: 'qa' } } }], { 'x-user': 'qa-anna' }, 'v1'],
    ['a header name in another case', [{ headers: { 'X-Preview': { exact: 'true' } } }], { 'x-preview': 'true' }, 'v2'],
  ];
  it.each(headerCases)('routes on %s', (_, match, headers, expected) => {
    const snap = snapshot({ virtualServices: [previewRoute(match)], destinationRules: [v1v2Rule()] });
    expect(versionOf(routeIn(snap, { uri: '/', headers }))).toBe(expected);
  });

  const uriCases: [string, VirtualService['http'][number]['match'], string, string][] = [
    ['an exact uri', [{ uri: { exact: '/api' } }], '/api', 'v2'],
    ['an exact uri that differs', [{ uri: { exact: '/api' } }], '/api/x', 'v1'],
    ['a uri prefix', [{ uri: { prefix: '/api/' } }], '/api/x', 'v2'],
    ['a uri regex', [{ uri: { regex: '/items/[0-9]+' } }], '/items/42', 'v2'],
  ];
  it.each(uriCases)('routes on %s', (_, match, uri, expected) => {
    const snap = snapshot({ virtualServices: [previewRoute(match)], destinationRules: [v1v2Rule()] });
    expect(versionOf(routeIn(snap, { uri, headers: {} }))).toBe(expected);
  });

  it('needs every condition of one match entry and any one of the entries', () => {
    const match: HttpMatch[] = [{ uri: { prefix: '/api' }, headers: { 'x-a': { exact: '1' } } }, { headers: { 'x-b': { exact: '1' } } }];
    const snap = snapshot({ virtualServices: [previewRoute(match)], destinationRules: [v1v2Rule()] });
    expect(versionOf(routeIn(snap, { uri: '/api', headers: { 'x-a': '1' } }))).toBe('v2');
    expect(versionOf(routeIn(snap, { uri: '/web', headers: { 'x-a': '1' } }))).toBe('v1');
    expect(versionOf(routeIn(snap, { uri: '/web', headers: { 'x-b': '1' } }))).toBe('v2');
  });

  it('evaluates routes in order and takes the first that matches', () => {
    const vs = virtualService([
      { route: [{ destination: { host: 'reviews', subset: 'v1' } }] },
      { match: [{ headers: { 'x-preview': { exact: 'true' } } }], route: [{ destination: { host: 'reviews', subset: 'v2' } }] },
    ]);
    const snap = snapshot({ virtualServices: [vs], destinationRules: [v1v2Rule()] });
    expect(versionOf(routeIn(snap, { uri: '/', headers: { 'x-preview': 'true' } }))).toBe('v1');
  });

  it('answers 404 NR when a VirtualService exists but no route matches', () => {
    const vs = virtualService([{ match: [{ uri: { exact: '/only' } }], route: [{ destination: { host: 'reviews' } }] }]);
    expect(routeIn(snapshot({ virtualServices: [vs] })).kind).toBe('noRoute');
  });
});

describe('route: weights', () => {
  it('lands an 80/20 split within 1 % over 20000 seeded requests', () => {
    const got = shares(snapshot({ virtualServices: [virtualService([split(80, 20)])], destinationRules: [v1v2Rule()] }), 20_000);
    expect(Math.abs(got.v1 - 0.8)).toBeLessThan(0.01);
    expect(Math.abs(got.v2 - 0.2)).toBeLessThan(0.01);
  });

  it('sends nothing to a destination of weight 0', () => {
    const got = shares(snapshot({ virtualServices: [virtualService([split(100, 0)])], destinationRules: [v1v2Rule()] }), 2000);
    expect(got).toEqual({ v1: 1 });
  });

  it('gives a lone destination without a weight all the traffic', () => {
    expect(pickWeighted([{ destination: { host: 'reviews' } }], 0.99)).toEqual({ destination: { host: 'reviews' } });
  });

  it('picks by cumulative weight', () => {
    const dests = split(80, 20).route ?? [];
    expect(pickWeighted(dests, 0.79)?.destination.subset).toBe('v1');
    expect(pickWeighted(dests, 0.8)?.destination.subset).toBe('v2');
  });

  it('is deterministic given the seed', () => {
    const snap = snapshot({ virtualServices: [virtualService([split(50, 50)])], destinationRules: [v1v2Rule()] });
    const run = () => Array.from({ length: 50 }, (_, i) => versionOf(routeIn(snap, plain, i)));
    expect(run()).toEqual(run());
  });
});

describe('route: subsets and endpoints', () => {
  it('resolves a subset through the DestinationRule to the pods carrying its labels', () => {
    const vs = virtualService([{ route: [{ destination: { host: 'reviews.shop.svc.cluster.local', subset: 'v2' } }] }]);
    const got = shares(snapshot({ virtualServices: [vs], destinationRules: [v1v2Rule()] }), 500);
    expect(got).toEqual({ v2: 1 });
  });

  it('uses only READY pods', () => {
    const pods = [pod('a', 'v1'), pod('b', 'v1', { ready: false }), pod('c', 'v2', { ready: false })];
    const vs = virtualService([{ route: [{ destination: { host: 'reviews', subset: 'v1' } }] }]);
    const upstreams = upstreamsOf(snapshot({ pods, destinationRules: [v1v2Rule()] }));
    const rng = seededRng(3);
    const names = new Set(Array.from({ length: 200 }, () => route(reviews, vs, upstreams, plain, rng)).map((o) => (o.kind === 'served' ? o.pod.name : o.kind)));
    expect([...names]).toEqual(['a']);
  });

  it('answers 503 UH when the routed subset has no ready pods', () => {
    const pods = threeEach().map((p) => (p.labels.version === 'v2' ? { ...p, ready: false } : p));
    const vs = virtualService([{ route: [{ destination: { host: 'reviews', subset: 'v2' } }] }]);
    expect(routeIn(snapshot({ pods, virtualServices: [vs], destinationRules: [v1v2Rule()] }))).toEqual({
      kind: 'noHealthyUpstream',
      service: reviews,
      subset: 'v2',
    });
  });

  it('answers 503 NC when the route names a subset no DestinationRule defines', () => {
    const vs = virtualService([{ route: [{ destination: { host: 'reviews', subset: 'v3' } }] }]);
    expect(routeIn(snapshot({ virtualServices: [vs], destinationRules: [v1v2Rule()] })).kind).toBe('noClusterFound');
  });

  it('spreads over all ready pods of the Service when there is no VirtualService (kube-proxy behaviour)', () => {
    const got = shares(snapshot({}), 6000);
    expect(Math.abs(got.v1 - 0.5)).toBeLessThan(0.03);
    expect(Math.abs(got.v2 - 0.5)).toBeLessThan(0.03);
  });

  it('ignores pods the Service selector does not pick', () => {
    const pods = [pod('a', 'v1'), pod('other', 'v9', { labels: { app: 'ratings', version: 'v9' } })];
    expect(shares(snapshot({ pods }), 100)).toEqual({ v1: 1 });
  });

  it('answers 503 UH for a Service with no ready pods at all', () => {
    expect(routeIn(snapshot({ pods: [] })).kind).toBe('noHealthyUpstream');
  });

  it('routes to another host named by the route', () => {
    const snap = snapshot({
      services: [service(), service('reviews-canary', { app: 'reviews', version: 'v2' })],
      virtualServices: [virtualService([{ route: [{ destination: { host: 'reviews-canary' } }] }])],
    });
    const o = routeIn(snap);
    expect(o.kind === 'served' && [o.service.name, o.pod.labels.version]).toEqual(['reviews-canary', 'v2']);
  });
});

describe('route: which VirtualService and DestinationRule apply', () => {
  it('finds the VirtualService by any host form', () => {
    for (const host of ['reviews', 'reviews.shop', 'reviews.shop.svc', 'reviews.shop.svc.cluster.local']) {
      expect(virtualServiceFor([virtualService([], { hosts: [host], namespace: host === 'reviews' ? 'shop' : 'other' })], reviews)).toBeDefined();
    }
  });

  it('does not apply a short host relative to another namespace', () => {
    expect(virtualServiceFor([virtualService([], { namespace: 'other' })], reviews)).toBeUndefined();
  });

  it('ignores a VirtualService bound only to a gateway', () => {
    expect(virtualServiceFor([virtualService([], { gateways: ['istio-system/ingress'] })], reviews)).toBeUndefined();
    expect(virtualServiceFor([virtualService([], { gateways: ['mesh', 'istio-system/ingress'] })], reviews)).toBeDefined();
  });

  it('takes the oldest VirtualService for a host', () => {
    const older = virtualService([], { name: 'a', creationTimestamp: '2026-01-01T00:00:00Z' });
    const newer = virtualService([], { name: 'b', creationTimestamp: '2026-02-01T00:00:00Z' });
    expect(virtualServiceFor([newer, older], reviews)?.name).toBe('a');
  });

  it('prefers a DestinationRule in the Service namespace', () => {
    const elsewhere = destinationRule({}, { namespace: 'mesh-root', name: 'x' });
    const local = destinationRule({}, { name: 'y', host: 'reviews' });
    expect(destinationRuleFor([elsewhere, local], reviews)?.name).toBe('y');
  });
});

describe('route: the other HTTPMatchRequest fields, as istiod translates them for Envoy', () => {
  const beta = { labels: { app: 'loadgen', track: 'beta' }, namespace: 'shop' };
  const cases: [string, HttpMatch, Request, string][] = [
    ['a cookie by regex (the cookie header)', { headers: { cookie: { regex: '^(.*?;\\s*)?user=beta(;.*)?$' } } }, { uri: '/', headers: { cookie: 'theme=dark; user=beta' } }, 'v2'],
    ['another cookie value', { headers: { cookie: { regex: '^(.*?;\\s*)?user=beta(;.*)?$' } } }, { uri: '/', headers: { cookie: 'user=betamax' } }, 'v1'],
    ['presence of a header (empty StringMatch)', { headers: { 'x-canary': {} } }, { uri: '/', headers: { 'x-canary': '' } }, 'v2'],
    ['presence of a header (regex "*")', { headers: { 'x-canary': { regex: '*' } } }, { uri: '/', headers: { 'x-canary': 'any' } }, 'v2'],
    ['withoutHeaders and the header absent', { withoutHeaders: { 'x-opt-out': { exact: '1' } } }, { uri: '/', headers: {} }, 'v2'],
    ['withoutHeaders and the header matching', { withoutHeaders: { 'x-opt-out': { exact: '1' } } }, { uri: '/', headers: { 'x-opt-out': '1' } }, 'v1'],
    ['withoutHeaders presence and the header present', { withoutHeaders: { 'x-opt-out': {} } }, { uri: '/', headers: { 'x-opt-out': '0' } }, 'v1'],
    ['a query parameter', { queryParams: { variant: { exact: 'b' } } }, { uri: '/list?page=2&variant=b', headers: {} }, 'v2'],
    ['the first of a repeated query parameter', { queryParams: { variant: { exact: 'b' } } }, { uri: '/list?variant=a&variant=b', headers: {} }, 'v1'],
    ['a query parameter by presence', { queryParams: { debug: {} } }, { uri: '/list?debug', headers: {} }, 'v2'],
    ['a missing query parameter', { queryParams: { variant: { exact: 'b' } } }, { uri: '/list', headers: {} }, 'v1'],
    ['a uri that ignores the query string', { uri: { exact: '/list' } }, { uri: '/list?variant=b', headers: {} }, 'v2'],
    ['ignoreUriCase on a prefix', { uri: { prefix: '/API' }, ignoreUriCase: true }, { uri: '/api/x', headers: {} }, 'v2'],
    ['a prefix in another case without ignoreUriCase', { uri: { prefix: '/API' } }, { uri: '/api/x', headers: {} }, 'v1'],
    ['ignoreUriCase, which a regex ignores', { uri: { regex: '/API/.*' }, ignoreUriCase: true }, { uri: '/api/x', headers: {} }, 'v1'],
    ['the method', { method: { exact: 'POST' } }, { uri: '/', headers: {}, method: 'POST' }, 'v2'],
    ['the method, GET by default', { method: { exact: 'POST' } }, { uri: '/', headers: {} }, 'v1'],
    ['the authority', { authority: { prefix: 'reviews' } }, { uri: '/', headers: {}, authority: 'reviews:9080' }, 'v2'],
    ['sourceLabels the client carries', { sourceLabels: { track: 'beta' } }, { uri: '/', headers: {}, source: beta }, 'v2'],
    ['sourceLabels the client lacks', { sourceLabels: { track: 'alpha' } }, { uri: '/', headers: {}, source: beta }, 'v1'],
    ['sourceNamespace', { sourceNamespace: 'shop' }, { uri: '/', headers: {}, source: beta }, 'v2'],
    ['another sourceNamespace', { sourceNamespace: 'web' }, { uri: '/', headers: {}, source: beta }, 'v1'],
  ];
  it.each(cases)('routes on %s', (_, match, req, expected) => {
    const snap = snapshot({ virtualServices: [previewRoute([match])], destinationRules: [v1v2Rule()] });
    expect(versionOf(routeIn(snap, req))).toBe(expected);
  });
});
