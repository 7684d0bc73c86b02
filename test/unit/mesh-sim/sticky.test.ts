/**
 * Users with cookie jars through sluice's own sticky-canary routes (src/istio/render.ts), decoded
 * as the simulator decodes what it watches: once the candidate served a user, it keeps serving
 * them; after a fallback they are back on stable and their cookie is gone.
 */
import * as E from 'fp-ts/Either';
import { decodeTrafficShift, resolveSpec } from '../../../src/api/trafficShift';
import { render } from '../../../src/istio/render';
import { destinationRuleFromK8s, virtualServiceFromK8s } from '../../mesh-sim/decode';
import { initialState, observeMesh, tick, type EngineSetup, type EngineState } from '../../mesh-sim/engine';
import { deriveSeed, seededRng, type Rng } from '../../mesh-sim/prng';
import { cookieHeader } from '../../mesh-sim/cookies';
import { jarKey, type SimulatedRequest, type Stream } from '../../mesh-sim/simulate';
import { snapshot } from './fixtures';

const USERS = 200;
const users: Stream = {
  id: 'shop/reviews#users', target: { namespace: 'shop', name: 'reviews' }, rps: 100, users: USERS,
  request: { uri: '/', headers: {} }, source: { workload: 'loadgen', namespace: 'shop', serviceAccount: 'loadgen' },
};
const anonymous: Stream = { ...users, id: 'shop/reviews', users: undefined, rps: 20 };

const shift = (() => {
  const d = decodeTrafficShift({
    apiVersion: 'sluice.dev/v1alpha1', kind: 'TrafficShift', metadata: { name: 'reviews', namespace: 'shop' },
    spec: { service: 'reviews', version: 'v2', strategy: { canary: { steps: [10, 25], sessionAffinity: { cookieName: 'canary', maxAge: '1h' } } } },
  });
  if (E.isLeft(d)) throw new Error('bad spec');
  return { namespace: 'shop', name: 'reviews', uid: 'u', spec: resolveSpec(d.right.spec) };
})();

/** The mesh as the simulator sees sluice's objects for this split. */
const meshAt = (stable: string, candidate: string | undefined, weight: number) => {
  const r = render(shift, { stable, ...(candidate ? { candidate } : {}), weights: { stable: 100 - weight, candidate: weight }, preview: false });
  const asK8s = (o: object) => JSON.parse(JSON.stringify(o));
  return snapshot({ virtualServices: [virtualServiceFromK8s(asK8s(r.virtualService))], destinationRules: [destinationRuleFromK8s(asK8s(r.destinationRule))] });
};

const setup = (): EngineSetup => {
  const rngs = new Map<string, Rng>();
  return {
    streams: [users, anonymous], schedule: [], versionLabel: () => 'version', propagationDelayMs: 0,
    rngOf: (id) => rngs.get(id) ?? rngs.set(id, seededRng(deriveSeed(3, id))).get(id)!,
  };
};

/** A change observed at `at` (no propagation delay here) takes effect with the tick after the next (engine.ts). */
const settle = (st: EngineSetup, s: EngineState, at: number) => run(st, s, at, at + 100).state;

const run = (st: EngineSetup, s: EngineState, fromMs: number, toMs: number): { state: EngineState; requests: SimulatedRequest[] } => {
  const requests: SimulatedRequest[] = [];
  let state = s;
  for (let t = fromMs + 100; t <= toMs; t += 100) {
    const r = tick(st, state, t);
    state = r.state;
    requests.push(...r.requests);
  }
  return { state, requests };
};

/** Per user, the versions that served them in order, runs of one version collapsed: "v1 v2". */
const sequences = (requests: readonly SimulatedRequest[]): Map<number, string> => {
  const out = new Map<number, string[]>();
  for (const r of requests) {
    if (r.user === undefined) continue;
    const seq = out.get(r.user) ?? [];
    if (seq[seq.length - 1] !== r.version) seq.push(r.version);
    out.set(r.user, seq);
  }
  return new Map([...out].map(([u, s]) => [u, s.join(' ')]));
};
const count = (m: Map<number, string>) => {
  const c: Record<string, number> = {};
  for (const s of m.values()) c[s] = (c[s] ?? 0) + 1;
  return c;
};

describe('mesh simulator: users with cookie jars on a sticky canary', () => {
  const T0 = 1_800_000_000_000;

  it('keeps every user the candidate served on it through the steps, while users without a jar keep being split', () => {
    const st = setup();
    let state = initialState(st, T0, meshAt('v1', 'v2', 10), []);
    const first = run(st, state, T0, T0 + 20_000);
    state = observeMesh(st, first.state, meshAt('v1', 'v2', 25), T0 + 20_000);
    const second = run(st, state, T0 + 20_000, T0 + 40_000);
    const all = [...first.requests, ...second.requests];
    const seqs = count(sequences(all));
    // only two shapes: never served by v2, or v1 until the first v2 and v2 ever after
    expect(Object.keys(seqs).sort()).toEqual(['v1', 'v1 v2', 'v2'].filter((k) => seqs[k] !== undefined).sort());
    expect((seqs['v1 v2'] ?? 0) + (seqs.v2 ?? 0)).toBeGreaterThan(USERS * 0.5);
    // the users' share of v2 grows beyond the weight (stickiness accumulates); the jar-less stream stays near 25 %
    const late = second.requests.filter((r) => r.stream === users.id);
    expect(late.filter((r) => r.version === 'v2').length / late.length).toBeGreaterThan(0.5);
    const anon = second.requests.filter((r) => r.stream === anonymous.id);
    expect(anon.filter((r) => r.version === 'v2').length / anon.length).toBeLessThan(0.4);
    // per-user counts add up to the stream's requests
    expect(all.filter((r) => r.user !== undefined).length).toBe(all.filter((r) => r.stream === users.id).length);
    const pinned = [...sequences(all)].filter(([, s]) => s.endsWith('v2')).map(([u]) => u);
    expect(pinned.every((u) => cookieHeader(second.state.jars!.get(jarKey(users.id, u)) ?? [], '/', T0 + 40_000) === 'canary=v2')).toBe(true);
  });

  it('after a fallback sends every pinned user back to stable and expires their cookie; the candidate serves no one', () => {
    const st = setup();
    const before = run(st, initialState(st, T0, meshAt('v1', 'v2', 25), []), T0, T0 + 20_000);
    const pinned = [...sequences(before.requests)].filter(([, s]) => s.endsWith('v2')).map(([u]) => u);
    expect(pinned.length).toBeGreaterThan(USERS * 0.5);
    const after = run(st, settle(st, observeMesh(st, before.state, meshAt('v1', 'v2', 0), T0 + 20_000), T0 + 20_000), T0 + 20_100, T0 + 40_000);
    expect(after.requests.filter((r) => r.version === 'v2')).toEqual([]);
    const seen = new Set(after.requests.map((r) => r.user).filter((u) => u !== undefined));
    const returned = pinned.filter((u) => seen.has(u));
    expect(returned.length).toBeGreaterThan(pinned.length * 0.9);
    expect(returned.every((u) => (after.state.jars!.get(jarKey(users.id, u)) ?? []).length === 0)).toBe(true);
  });

  it('after a promotion serves everyone the new stable version and expires the cookie (harmless)', () => {
    const st = setup();
    const before = run(st, initialState(st, T0, meshAt('v1', 'v2', 25), []), T0, T0 + 10_000);
    const after = run(st, settle(st, observeMesh(st, before.state, meshAt('v2', undefined, 0), T0 + 10_000), T0 + 10_000), T0 + 10_100, T0 + 30_000);
    expect(new Set(after.requests.map((r) => r.version))).toEqual(new Set(['v2']));
    expect([...after.state.jars!.values()].every((jar) => jar.length === 0)).toBe(true);
  });
});
