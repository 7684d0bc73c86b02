/**
 * User routes as Envoy acts on them (docs/mesh-simulator.md, "Faults, redirects and direct
 * responses"): a fault delays then aborts its share of a route's requests before any upstream
 * sees them, a redirect or direct response is answered by the route, a destination may be another
 * Service; what the client saw still adds up in the ledger.
 */
import { virtualServiceFromK8s } from '../../mesh-sim/decode';
import { initialState, tick, type EngineSetup } from '../../mesh-sim/engine';
import { serviceKey } from '../../mesh-sim/hosts';
import { Ledger, secondOf } from '../../mesh-sim/ledger';
import type { HttpRoute, MeshSnapshot, Request } from '../../mesh-sim/model';
import { deriveSeed, seededRng, type Rng } from '../../mesh-sim/prng';
import { route, virtualServiceFor, type RouteOutcome } from '../../mesh-sim/route';
import { reportsOf, simulateStream, upstreamsOf, type Stream } from '../../mesh-sim/simulate';
import { pod, service, snapshot, split, threeEach, v1v2Rule, virtualService } from './fixtures';

const reviews = { namespace: 'shop', name: 'reviews' };
const chaos: Request = { uri: '/', headers: { 'x-chaos': 'on' } };
const plain: Request = { uri: '/', headers: {} };
const loadgen = { workload: 'loadgen', namespace: 'shop', serviceAccount: 'loadgen' };

const faultRoute = (fault: HttpRoute['fault']): HttpRoute => ({
  match: [{ headers: { 'x-chaos': { exact: 'on' } } }],
  route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 80 }, { destination: { host: 'reviews', subset: 'v2' }, weight: 20 }],
  fault,
});
const meshWith = (http: readonly HttpRoute[], extra: Partial<MeshSnapshot> = {}): MeshSnapshot =>
  snapshot({ pods: threeEach(), virtualServices: [virtualService(http)], destinationRules: [v1v2Rule()], ...extra });

const outcomes = (mesh: MeshSnapshot, req: Request, n: number): RouteOutcome[] => {
  const rng = seededRng(7);
  const vs = virtualServiceFor(mesh.virtualServices, reviews);
  const upstreams = upstreamsOf(mesh);
  return Array.from({ length: n }, () => route(reviews, vs, upstreams, req, rng));
};
const count = (os: readonly RouteOutcome[], kind: RouteOutcome['kind']) => os.filter((o) => o.kind === kind).length;

describe('mesh simulator: fault injection', () => {
  it('an abort at 100 % answers every matching request with its status, before any pod; other requests are served', () => {
    const mesh = meshWith([faultRoute({ abort: { httpStatus: 503, percentage: 100 } }), split(80, 20)]);
    const aborted = outcomes(mesh, chaos, 500);
    expect(count(aborted, 'faultAbort')).toBe(500);
    expect(new Set(aborted.map((o) => (o.kind === 'faultAbort' ? o.status : 0)))).toEqual(new Set([503]));
    expect(count(outcomes(mesh, plain, 500), 'served')).toBe(500);
  });

  it('an abort at 25 % aborts about a quarter (within 2 % over 20 000 requests) and forwards the rest by the route\'s weights', () => {
    const mesh = meshWith([faultRoute({ abort: { httpStatus: 500, percentage: 25 } })]);
    const os = outcomes(mesh, chaos, 20_000);
    expect(Math.abs(count(os, 'faultAbort') / 20_000 - 0.25)).toBeLessThan(0.02);
    const served = os.filter((o): o is Extract<RouteOutcome, { kind: 'served' }> => o.kind === 'served');
    const v2 = served.filter((o) => o.pod.labels.version === 'v2').length / served.length;
    expect(Math.abs(v2 - 0.2)).toBeLessThan(0.02);
  });

  it('an abort without a percentage aborts nothing (Envoy: an unset FractionalPercent is 0)', () => {
    const vs = virtualServiceFromK8s({ metadata: { name: 'reviews', namespace: 'shop' }, spec: { hosts: ['reviews'], http: [{ fault: { abort: { httpStatus: 503 } }, route: [{ destination: { host: 'reviews', subset: 'v1' } }] }] } });
    expect(vs.http[0]!.fault).toEqual({ abort: { httpStatus: 503, percentage: 0 } });
    expect(count(outcomes(snapshot({ pods: threeEach(), virtualServices: [vs], destinationRules: [v1v2Rule()] }), plain, 200), 'served')).toBe(200);
  });

  it('a delay adds its time and the flag DI to the share it hits, and the request is still served', () => {
    const mesh = meshWith([faultRoute({ delay: { fixedDelayMs: 2000, percentage: 50 } })]);
    const stream: Stream = { id: 'chaos', target: reviews, rps: 1000, request: chaos, source: loadgen };
    const { requests } = simulateStream(stream, 0, 1000, { snapshot: mesh, profiles: new Map(), versionLabel: () => 'version' }, upstreamsOf(mesh), seededRng(3));
    const hit = requests.filter((r) => r.flags === 'DI');
    expect(requests.every((r) => r.outcome.kind === 'served')).toBe(true);
    expect(Math.abs(hit.length / requests.length - 0.5)).toBeLessThan(0.05);
    expect(Math.min(...hit.map((r) => r.latencyMs))).toBeGreaterThanOrEqual(2000);
    expect(Math.max(...requests.filter((r) => r.flags === '-').map((r) => r.latencyMs))).toBeLessThan(2000);
  });

  it('an aborted request is reported by the client sidecar only, flag FI, with no upstream peer: the destination reporter the gate reads never sees it', () => {
    const mesh = meshWith([faultRoute({ abort: { httpStatus: 503, percentage: 100 } })]);
    const stream: Stream = { id: 'chaos', target: reviews, rps: 10, request: chaos, source: loadgen };
    const { requests } = simulateStream(stream, 0, 1000, { snapshot: mesh, profiles: new Map(), versionLabel: () => 'version' }, upstreamsOf(mesh), seededRng(3));
    const reports = requests.flatMap(reportsOf);
    expect(reports.length).toBe(requests.length);
    expect(new Set(reports.map((r) => `${r.reporter} ${r.responseCode} ${r.responseFlags} ${r.peer === undefined}`))).toEqual(new Set(['source 503 FI true']));
  });
});

describe('mesh simulator: redirects, direct responses, other Services', () => {
  it('a redirect answers with its code (istiod\'s default 301) and a direct response with its status, no pod involved', () => {
    const vs = virtualServiceFromK8s({
      metadata: { name: 'reviews', namespace: 'shop' },
      spec: {
        hosts: ['reviews'],
        http: [
          { match: [{ uri: { prefix: '/old' } }], redirect: { uri: '/new' } },
          { match: [{ uri: { prefix: '/moved' } }], redirect: { uri: '/new', redirectCode: 308 } },
          { match: [{ uri: { prefix: '/down' } }], directResponse: { status: 503, body: { string: 'down' } } },
          { route: [{ destination: { host: 'reviews', subset: 'v1' } }] },
        ],
      },
    });
    const mesh = snapshot({ pods: threeEach(), virtualServices: [vs], destinationRules: [v1v2Rule()] });
    const one = (uri: string) => outcomes(mesh, { uri, headers: {} }, 1)[0]!;
    expect(one('/old/a')).toEqual({ kind: 'localReply', service: reviews, status: 301 });
    expect(one('/moved')).toEqual({ kind: 'localReply', service: reviews, status: 308 });
    expect(one('/down')).toEqual({ kind: 'localReply', service: reviews, status: 503 });
    expect(one('/other').kind).toBe('served');
  });

  it('a route to another Service is served by that Service\'s pods', () => {
    const ratings = [pod('ratings-0', 'v1', { labels: { app: 'ratings', version: 'v1' } })];
    const mesh = meshWith([{ match: [{ uri: { prefix: '/ratings' } }], route: [{ destination: { host: 'ratings.shop.svc.cluster.local' } }] }, split(100, 0)], {
      pods: [...threeEach(), ...ratings],
      services: [service(), service('ratings')],
    });
    const [o] = outcomes(mesh, { uri: '/ratings/1', headers: {} }, 1);
    expect(o!.kind === 'served' && o!.pod.name).toBe('ratings-0');
    expect(o!.service).toEqual({ namespace: 'shop', name: 'ratings' });
  });

  it('with a fault, a redirect and a split side by side, what the client saw adds up in the ledger and per stream', () => {
    const mesh = meshWith([
      faultRoute({ abort: { httpStatus: 503, percentage: 50 }, delay: { fixedDelayMs: 100, percentage: 50 } }),
      { match: [{ uri: { prefix: '/old' } }], redirect: { status: 301 } },
      split(70, 30),
    ]);
    const streams: Stream[] = [
      { id: 'main', target: reviews, rps: 50, request: plain, source: loadgen },
      { id: 'chaos', target: reviews, rps: 20, request: chaos, source: loadgen },
      { id: 'old', target: reviews, rps: 5, request: { uri: '/old/x', headers: {} }, source: loadgen },
    ];
    const rngs = new Map<string, Rng>();
    const setup: EngineSetup = { streams, schedule: [], versionLabel: () => 'version', propagationDelayMs: 0, rngOf: (id) => rngs.get(id) ?? rngs.set(id, seededRng(deriveSeed(1, id))).get(id)! };
    let state = initialState(setup, 0, mesh, []);
    const ledger = new Ledger(0);
    const perStream = new Map<string, number>();
    for (let t = 100; t <= 10_000; t += 100) {
      const r = tick(setup, state, t);
      state = r.state;
      for (const q of r.requests) {
        ledger.book({ service: serviceKey(q.outcome.service), version: q.version, second: secondOf(0, t - 100), failed: q.status >= 500 });
        perStream.set(`${q.stream} ${q.version} ${q.status}`, (perStream.get(`${q.stream} ${q.version} ${q.status}`) ?? 0) + 1);
      }
    }
    const totals = ledger.totals('shop/reviews');
    const booked = Object.values(totals).reduce((s, v) => s + v.requests, 0);
    expect(booked).toBe(750);
    expect([...perStream.values()].reduce((s, n) => s + n, 0)).toBe(750);
    // the chaos stream: aborted ones under "unknown" with 503, the others served by v1/v2
    const chaosAborted = perStream.get('chaos unknown 503') ?? 0;
    expect(chaosAborted).toBeGreaterThan(60);
    expect(chaosAborted).toBeLessThan(140);
    expect(perStream.get('old unknown 301')).toBe(50);
    expect(totals.unknown!.failures).toBe(chaosAborted);
    expect([...perStream.keys()].filter((k) => k.startsWith('main ')).every((k) => / v[12] 200$/.test(k))).toBe(true);
  });
});
