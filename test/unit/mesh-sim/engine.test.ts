import { initialState, observeMesh, setProfile, tick, type EngineSetup, type EngineState } from '../../mesh-sim/engine';
import { deriveSeed, seededRng, type Rng } from '../../mesh-sim/prng';
import { reportsOf, type SimulatedRequest, type Stream } from '../../mesh-sim/simulate';
import { Ledger, secondOf } from '../../mesh-sim/ledger';
import { serviceKey } from '../../mesh-sim/hosts';
import { snapshot, split, threeEach, v1v2Rule, virtualService } from './fixtures';
import type { MeshSnapshot } from '../../mesh-sim/model';

const reviews = { namespace: 'shop', name: 'reviews' };
const loadgen = { workload: 'loadgen', namespace: 'shop', serviceAccount: 'loadgen' };
const main: Stream = { id: 'shop/reviews', target: reviews, rps: 100, request: { uri: '/', headers: {} }, source: loadgen };
const preview: Stream = { id: 'shop/reviews#preview', target: reviews, rps: 10, request: { uri: '/', headers: { 'x-preview': 'true' } }, source: loadgen };

const setupWith = (overrides: Partial<EngineSetup> = {}): EngineSetup => {
  const rngs = new Map<string, Rng>();
  return {
    streams: [main],
    schedule: [],
    versionLabel: () => 'version',
    propagationDelayMs: 1000,
    rngOf: (id) => rngs.get(id) ?? rngs.set(id, seededRng(deriveSeed(1, id))).get(id)!,
    ...overrides,
  };
};

const meshAt = (v1: number, v2: number, pods = threeEach()): MeshSnapshot =>
  snapshot({ pods, virtualServices: [virtualService([split(v1, v2)])], destinationRules: [v1v2Rule()] });

/** Runs ticks of 100 ms from `fromMs` to `toMs` (exclusive of the start) and returns all requests. */
const run = (setup: EngineSetup, s: EngineState, fromMs: number, toMs: number): { state: EngineState; requests: SimulatedRequest[] } => {
  const requests: SimulatedRequest[] = [];
  let state = s;
  for (let t = fromMs + 100; t <= toMs; t += 100) {
    const r = tick(setup, state, t);
    state = r.state;
    requests.push(...r.requests);
  }
  return { state, requests };
};

const countBy = (rs: readonly SimulatedRequest[], f: (r: SimulatedRequest) => string): Record<string, number> =>
  rs.reduce<Record<string, number>>((acc, r) => ({ ...acc, [f(r)]: (acc[f(r)] ?? 0) + 1 }), {});

describe('simulation engine', () => {
  it('sends the configured rate per stream', () => {
    const setup = setupWith({ streams: [main, preview] });
    const { requests } = run(setup, initialState(setup, 0, meshAt(100, 0), []), 0, 10_000);
    expect(countBy(requests, (r) => r.stream)).toEqual({ 'shop/reviews': 1000, 'shop/reviews#preview': 100 });
  });

  it('applies a route change only after the propagation delay from the watch event', () => {
    const setup = setupWith();
    let s = initialState(setup, 0, meshAt(100, 0), []);
    s = run(setup, s, 0, 5000).state;
    s = observeMesh(setup, s, meshAt(0, 100), 5000);
    const before = run(setup, s, 5000, 6000);
    expect(countBy(before.requests, (r) => r.version)).toEqual({ v1: 100 });
    const after = run(setup, before.state, 6000, 7000);
    expect(countBy(after.requests, (r) => r.version)).toEqual({ v2: 100 });
  });

  it('starts v3 failing 30 % at t = 20 s as scheduled', () => {
    const setup = setupWith({ schedule: [{ atSeconds: 20, namespace: 'shop', service: 'reviews', version: 'v1', errorFraction: 0.3 }] });
    const { requests } = run(setup, initialState(setup, 0, meshAt(100, 0), []), 0, 40_000);
    const failRate = (from: number, to: number) => {
      const window = requests.slice(from * 100, to * 100);
      return window.filter((r) => r.status === 500).length / window.length;
    };
    expect(failRate(0, 20)).toBe(0);
    expect(Math.abs(failRate(20, 40) - 0.3)).toBeLessThan(0.03);
  });

  it('applies a profile set through the API from the next tick', () => {
    const setup = setupWith();
    let s = initialState(setup, 0, meshAt(0, 100), []);
    s = setProfile(s, { namespace: 'shop', service: 'reviews', version: 'v2', errorFraction: 1 });
    expect(run(setup, s, 0, 1000).requests.every((r) => r.status === 500)).toBe(true);
  });

  it('sends the preview stream to the candidate only', () => {
    const vs = virtualService([
      { match: [{ headers: { 'x-preview': { exact: 'true' } } }], route: [{ destination: { host: 'reviews', subset: 'v2' } }] },
      { route: [{ destination: { host: 'reviews', subset: 'v1' } }] },
    ]);
    const setup = setupWith({ streams: [main, preview] });
    const mesh = snapshot({ virtualServices: [vs], destinationRules: [v1v2Rule()] });
    const { requests } = run(setup, initialState(setup, 0, mesh, []), 0, 5000);
    expect(countBy(requests, (r) => `${r.stream} ${r.version}`)).toEqual({ 'shop/reviews v1': 500, 'shop/reviews#preview v2': 50 });
  });

  it('answers 503 UH, reported by the source only, when the routed subset has no ready pods', () => {
    const pods = threeEach().map((p) => (p.labels.version === 'v2' ? { ...p, ready: false } : p));
    const setup = setupWith();
    const { requests } = run(setup, initialState(setup, 0, meshAt(0, 100, pods), []), 0, 1000);
    expect(countBy(requests, (r) => `${r.status} ${r.flags}`)).toEqual({ '503 UH': 100 });
    expect(reportsOf(requests[0]).map((x) => x.reporter)).toEqual(['source']);
  });

  it('books the ledger so that it adds up to what was sent', () => {
    const setup = setupWith({ schedule: [{ atSeconds: 0, namespace: 'shop', service: 'reviews', version: 'v2', errorFraction: 0.5 }] });
    let s = initialState(setup, 0, meshAt(80, 20), []);
    const ledger = new Ledger(0);
    for (let t = 100; t <= 10_000; t += 100) {
      const r = tick(setup, s, t);
      s = r.state;
      for (const req of r.requests) {
        ledger.book({ service: serviceKey(req.outcome.service), version: req.version, second: secondOf(0, t - 1), failed: req.status >= 500 });
      }
    }
    const totals = ledger.totals('shop/reviews');
    expect(totals.v1.requests + totals.v2.requests).toBe(1000);
    expect(totals.v1.failures).toBe(0);
    expect(Math.abs(totals.v2.requests / 1000 - 0.2)).toBeLessThan(0.04);
    expect(totals.v2.failures).toBeGreaterThan(0.3 * totals.v2.requests);
    expect(ledger.toJSON().services['shop/reviews'].v1).toHaveLength(10);
  });

  it('reports a served request from both sidecars', () => {
    const setup = setupWith();
    const { requests } = run(setup, initialState(setup, 0, meshAt(100, 0), []), 0, 100);
    expect(reportsOf(requests[0]).map((x) => x.reporter)).toEqual(['destination', 'source']);
  });
});

describe('engine: mirrored traffic (Istio mirror + mirrorPercentage, Envoy request_mirror_policies)', () => {
  const mirroring = (percentage: number, pods = threeEach()) =>
    snapshot({
      virtualServices: [virtualService([{ route: [{ destination: { host: 'reviews', subset: 'v1' } }], mirrors: [{ destination: { host: 'reviews', subset: 'v2' }, percentage }] }])],
      destinationRules: [v1v2Rule()],
      pods,
    });

  it('copies the share of requests to the mirror; the client gets only the primary answers; copies are reported by the server side only', () => {
    const setup = setupWith();
    const { requests } = run(setup, initialState(setup, 0, mirroring(40), []), 0, 50_000);
    const seen = requests.filter((r) => !r.mirrored);
    const copies = requests.filter((r) => r.mirrored);
    expect(countBy(seen, (r) => r.version)).toEqual({ v1: 5000 });
    expect(countBy(copies, (r) => r.version)).toEqual({ v2: copies.length });
    expect(Math.abs(copies.length / 5000 - 0.4)).toBeLessThan(0.02);
    expect(reportsOf(copies[0]!).map((x) => x.reporter)).toEqual(['destination']);
    expect(reportsOf(copies[0]!)[0]!.service).toEqual(reviews);
  });

  it('mirrors nothing at 0 % or to a subset without ready pods (no one reports such a copy)', () => {
    const setup = setupWith();
    expect(run(setup, initialState(setup, 0, mirroring(0), []), 0, 5000).requests.filter((r) => r.mirrored)).toEqual([]);
    const unready = threeEach().map((p) => (p.labels.version === 'v2' ? { ...p, ready: false } : p));
    const { requests } = run(setup, initialState(setup, 0, mirroring(100, unready), []), 0, 5000);
    expect(countBy(requests, (r) => `${r.mirrored ? 'copy' : 'seen'} ${r.version}`)).toEqual({ 'seen v1': 500 });
  });
});
