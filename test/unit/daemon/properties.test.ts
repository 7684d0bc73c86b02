/**
 * The daemon's safety invariants over random histories (issue 9): reconcile passes against a
 * memory API server whose caches lag one step behind, whose writes fail (409, 403, 422, 503) or
 * whose daemon "crashes" (a fresh daemon: no gate sample, no remembered trouble), with gate samples
 * that pass or fail, pods that come and go, and SRE commands. Every write ever made is replayed:
 *   - VirtualService weights are integers summing to 100 in every route;
 *   - every subset a route names exists in the DestinationRule at that moment;
 *   - once status records a fallback of X, no later write gives X weight until a retry or a new version;
 *   - no write gives the candidate 100 % (promotion) without a Pass recorded for it or an explicit command.
 */
import fc from 'fast-check';
import * as TE from 'fp-ts/TaskEither';
import { reconcile, ReconcileDeps } from '../../../src/daemon/reconcile';
import { Caches } from '../../../src/kube/caches';
import { conflict, forbidden, invalid, unavailable } from '../../../src/kube/errors';
import { KubeObject, PODS, TRAFFIC_SHIFTS } from '../../../src/kube/objects';
import { NS, pod, seedShift, world, World } from './fixtures';

const KEY = `${NS}/reviews`;

type Action =
  | { readonly kind: 'pass'; readonly ms: number }
  | { readonly kind: 'sample'; readonly fail: boolean }
  | { readonly kind: 'pods'; readonly version: 'v1' | 'v2'; readonly ready: boolean }
  | { readonly kind: 'command'; readonly word: 'promote' | 'abort' | 'pause' | 'resume' | 'retry' }
  | { readonly kind: 'version'; readonly version: 'v1' | 'v2' | 'v3' }
  | { readonly kind: 'fail'; readonly verb: 'replace' | 'create' | 'replaceStatus' | 'mergePatch'; readonly error: 'conflict' | 'forbidden' | 'invalid' | 'unavailable' }
  | { readonly kind: 'crash' }
  /** The daemon dies right after its next `after`-th successful write of the coming pass (SIGKILL between two writes). */
  | { readonly kind: 'killAfterWrite'; readonly after: number };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('pass' as const), ms: fc.integer({ min: 0, max: 40_000 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('sample' as const), fail: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pods' as const), version: fc.constantFrom('v1' as const, 'v2' as const), ready: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('command' as const), word: fc.constantFrom('promote' as const, 'abort' as const, 'pause' as const, 'resume' as const, 'retry' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('version' as const), version: fc.constantFrom('v1' as const, 'v2' as const, 'v3' as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('fail' as const),
      verb: fc.constantFrom('replace' as const, 'create' as const, 'replaceStatus' as const, 'mergePatch' as const),
      error: fc.constantFrom('conflict' as const, 'forbidden' as const, 'invalid' as const, 'unavailable' as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'crash' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('killAfterWrite' as const), after: fc.integer({ min: 1, max: 4 }) }) },
);

/** Thrown by a write that "kills" the daemon: the pass stops right after the write landed. */
class Killed extends Error {}

/** `kube` whose writes count down `left`; the write that reaches 0 lands, then the daemon dies. */
const killing = (kube: ReconcileDeps['kube'], left: { n: number }): ReconcileDeps['kube'] => {
  const wrap = <A extends unknown[]>(f: (...a: A) => TE.TaskEither<unknown, KubeObject>) => (...a: A) => async () => {
    const r = await f(...a)();
    if (r._tag === 'Right' && left.n > 0 && --left.n === 0) throw new Killed('killed after a write');
    return r;
  };
  return { ...kube, create: wrap(kube.create), replace: wrap(kube.replace), mergePatch: wrap(kube.mergePatch), replaceStatus: wrap(kube.replaceStatus) } as ReconcileDeps['kube'];
};

const ERRORS = { conflict, forbidden, invalid, unavailable };

/** Caches that answer with what the store held one step ago (an informer that lags). */
const laggingCaches = (w: World): { caches: Caches; catchUp: () => void } => {
  let snapshot = new Map<string, KubeObject>();
  const take = () => (snapshot = new Map([...w.mem.store.entries()].map(([k, v]) => [k, structuredClone(v)])));
  take();
  const key = (plural: string, ns: string, name: string) => `${plural}/${ns}/${name}`;
  const get = (plural: string) => (ns: string, name: string) => {
    const o = snapshot.get(key(plural, ns, name));
    return o ? structuredClone(o) : undefined;
  };
  const list = (plural: string, ns?: string) => [...snapshot.entries()].filter(([k]) => k.startsWith(`${plural}/${ns === undefined ? '' : `${ns}/`}`)).map(([, o]) => structuredClone(o));
  return {
    caches: {
      shift: get('trafficshifts'), shifts: (ns) => list('trafficshifts', ns), service: get('services'), pods: (ns) => list('pods', ns),
      virtualService: get('virtualservices'), destinationRule: get('destinationrules'), synced: () => true,
    },
    catchUp: take,
  };
};

interface Route { readonly subset: string; readonly weight: number }
const routesOf = (vs: KubeObject): Route[][] =>
  (((vs.spec as { http?: { route?: { destination: { subset?: string }; weight?: number }[] }[] }).http) ?? []).map((r) =>
    (r.route ?? []).map((d) => ({ subset: d.destination.subset ?? '', weight: d.weight ?? ((r.route ?? []).length === 1 ? 100 : 0) })));
const subsetsOf = (dr: KubeObject | undefined): Set<string> => new Set((((dr?.spec as { subsets?: { name: string }[] })?.subsets) ?? []).map((s) => s.name));

/** Every violation in the write log, replayed in order; `promotedAt`: write counts when a promote command was given. */
const violations = (w: World, promotedAt: readonly number[] = []): string[] => {
  const found: string[] = [];
  let dr: KubeObject | undefined;
  let vs: KubeObject | undefined;
  let status: Record<string, any> = {};
  const fellBack = new Set<string>();
  const passed = new Set<string>();
  for (const [i, write] of w.mem.writes.entries()) {
    if (write.kind === 'DestinationRule') {
      dr = write.object;
      if (vs) for (const route of routesOf(vs)) for (const d of route) if (!subsetsOf(dr).has(d.subset)) found.push(`#${i}: DestinationRule drops subset ${d.subset} a route still names`);
    }
    if (write.kind === 'TrafficShift' && write.verb === 'replaceStatus') {
      status = write.object.status as Record<string, any>;
      const c = status.candidateVersion as string | undefined;
      if (status.phase === 'RolledBack' && c) fellBack.add(`${c}@${status.startedAt}`);
      if (status.lastGate?.result === 'Pass') passed.add(status.lastGate.version);
      if ((status.history ?? []).some((h: any) => h.event === 'CommandApplied' && /^promote/.test(h.message))) passed.add(`promoted:${status.stableVersion}`);
    }
    if (write.kind === 'VirtualService') {
      // A write that takes a candidate from > 0 to 0 is a fallback of this run, whatever status says yet.
      const before = new Map((vs ? routesOf(vs) : []).flat().map((d) => [d.subset, d.weight]));
      for (const d of routesOf(write.object).flat()) if (d.weight === 0 && (before.get(d.subset) ?? 0) > 0) fellBack.add(`${d.subset}@${status.startedAt}`);
      vs = write.object;
      for (const route of routesOf(vs)) {
        const sum = route.reduce((a, d) => a + d.weight, 0);
        if (route.some((d) => !Number.isInteger(d.weight)) || sum !== 100) found.push(`#${i}: weights ${JSON.stringify(route)} do not sum to 100`);
        for (const d of route) if (!subsetsOf(dr).has(d.subset)) found.push(`#${i}: route to subset ${d.subset} the DestinationRule does not have`);
        for (const d of route) {
          if (d.weight === 0) continue;
          const run = `${d.subset}@${status.startedAt}`;
          if (fellBack.has(run) && d.subset !== status.stableVersion) found.push(`#${i}: ${d.subset} given ${d.weight} % after its fallback`);
          const commanded = promotedAt.some((at) => at <= i);
          if (d.weight === 100 && d.subset !== (status.stableVersion ?? d.subset) && !passed.has(d.subset) && !commanded) found.push(`#${i}: ${d.subset} at 100 % without a Pass or a promote`);
        }
      }
    }
  }
  return found;
};

const run = async (actions: readonly Action[]): Promise<{ found: string[]; writes: number }> => {
  const w = world(['v1', 'v2']);
  const lag = laggingCaches(w);
  const kill = { n: 0 };
  let deps: ReconcileDeps = { ...w.deps, kube: killing(w.deps.kube, kill), caches: lag.caches, troubles: new Map() };
  seedShift(w, { spec: { strategy: { canary: { steps: [10, 50], stepInterval: '10s' } } } });
  lag.catchUp();
  let n = 0;
  const promotedAt: number[] = [];
  const pass = async () => {
    const killed = await reconcile(deps, KEY).then(() => false, (e) => e instanceof Killed);
    if (killed) {
      // A fresh daemon takes over: no gate sample and no remembered trouble.
      w.gate = undefined;
      deps = { ...deps, troubles: new Map() };
    }
    kill.n = 0;
    lag.catchUp();
  };
  for (const a of actions) {
    switch (a.kind) {
      case 'pass':
        w.mem.advance(a.ms);
        await pass();
        break;
      case 'sample': {
        const c = (w.mem.read(TRAFFIC_SHIFTS, NS, 'reviews')?.status as Record<string, any> | undefined)?.candidateVersion ?? 'v2';
        w.gate = { _tag: 'Measured', version: c, at: w.mem.now(), windowMs: 10_000, requests: 100, errors: a.fail ? 40 : 0 };
        break;
      }
      case 'pods':
        w.mem.edit(PODS, NS, `reviews-${a.version}-${a.version === 'v1' ? 0 : 1}`, () => pod(`reviews-${a.version}-${a.version === 'v1' ? 0 : 1}`, a.version, a.ready));
        break;
      case 'command':
        if (a.word === 'promote') promotedAt.push(w.mem.writes.length);
        w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({ ...o, metadata: { ...o.metadata, annotations: { 'sluice.dev/command': a.word, 'sluice.dev/command-id': `c-${++n}` } } }));
        break;
      case 'version':
        w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({ ...o, spec: { ...(o.spec as object), version: a.version } }));
        break;
      case 'fail':
        w.mem.failNext(a.verb, (ref) => ERRORS[a.error](ref, `injected ${a.error}`));
        break;
      case 'killAfterWrite':
        kill.n = a.after;
        break;
      case 'crash':
        w.gate = undefined;
        deps = { ...deps, troubles: new Map() };
        break;
    }
  }
  return { found: violations(w, promotedAt), writes: w.mem.writes.length };
};

describe('daemon safety invariants over random histories with lagging caches, failing writes and crashes', () => {
  it('never writes unsafe routes, never undoes a fallback, never promotes without a Pass or a command', async () => {
    let writes = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 10, maxLength: 60 }), async (actions) => {
        const r = await run(actions);
        writes += r.writes;
        runs++;
        expect(r.found).toEqual([]);
      }),
      { numRuns: 300 },
    );
    // The histories reached the API server: the property was not vacuous.
    expect(runs).toBe(300);
    expect(writes).toBeGreaterThan(1500);
  });

  it('the checker finds a fallback undone and an unguarded promotion when they happen (it can fail)', async () => {
    const w = world(['v1', 'v2']);
    const log = (kind: string, verb: string, object: KubeObject) => w.mem.writes.push({ kind, verb, name: 'reviews', object } as never);
    const vs = (v1: number, v2: number): KubeObject => ({ metadata: { name: 'reviews', namespace: NS }, spec: { http: [{ route: [{ destination: { subset: 'v1' }, weight: v1 }, { destination: { subset: 'v2' }, weight: v2 }] }] } });
    log('DestinationRule', 'create', { metadata: { name: 'reviews', namespace: NS }, spec: { subsets: [{ name: 'v1' }, { name: 'v2' }] } });
    log('TrafficShift', 'replaceStatus', { metadata: { name: 'reviews' }, status: { phase: 'RolledBack', candidateVersion: 'v2', stableVersion: 'v1', startedAt: 't1' } });
    log('VirtualService', 'replace', vs(75, 25));
    log('VirtualService', 'replace', vs(0, 100));
    expect(violations(w)).toEqual(['#2: v2 given 25 % after its fallback', '#3: v2 given 100 % after its fallback', '#3: v2 at 100 % without a Pass or a promote']);
  });
});
