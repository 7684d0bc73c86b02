/**
 * The daemon's failure paths keep a guarded, routable split (issue 9): a problem is a condition,
 * not a phase, and the gate keeps guarding; a fallback is durable before it is visible; routes
 * never move traffic to a version with no ready pod while the current routes reach one; refused
 * route writes are reported and backed off.
 */
import { reconcile, ReconcileError } from '../../../src/daemon/reconcile';
import { forbidden, unavailable } from '../../../src/kube/errors';
import { DESTINATION_RULES, KubeObject, PODS, SERVICES, TRAFFIC_SHIFTS, VIRTUAL_SERVICES } from '../../../src/kube/objects';
import { NS, pod, seedShift, world, World } from './fixtures';

const KEY = `${NS}/reviews`;
const statusOf = (w: World) => w.mem.read(TRAFFIC_SHIFTS, NS, 'reviews')?.status as Record<string, any>;
const ready = (w: World) => statusOf(w).conditions.find((c: any) => c.type === 'Ready');
const vsRoute = (w: World) => (w.mem.read(VIRTUAL_SERVICES, NS, 'reviews')?.spec as any)?.http.at(-1).route.map((r: any) => [r.destination.subset, r.weight]);

const pass = async (w: World, ms = 1000) => {
  w.mem.advance(ms);
  await reconcile(w.deps, KEY);
};

/** v1 adopted, spec.version v2, passes until v2 is at its first step (10 %). */
const atFirstStep = async (w: World) => {
  seedShift(w);
  await reconcile(w.deps, KEY);
  w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({ ...o, spec: { ...(o.spec as object), version: 'v2' } }));
  for (let i = 0; i < 3; i++) await pass(w);
  expect(vsRoute(w)).toEqual([['v1', 90], ['v2', 10]]);
};

/** A failing sample for v2, newer than any before. */
const failing = (w: World) => {
  w.gate = { _tag: 'Measured', version: 'v2', at: w.mem.now(), windowMs: 10_000, requests: 100, errors: 40 };
};

/** Two failed checks (failureThreshold 2): the second pass decides the fallback. */
const failTwice = async (w: World) => {
  failing(w);
  await pass(w, 10_000);
  failing(w);
  w.mem.writes.length = 0;
  await pass(w, 10_000).catch(() => undefined);
};

const breakSpec = (w: World) =>
  w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({ ...o, spec: { ...(o.spec as object), strategy: { canary: { steps: [50, 40], stepInterval: '10s' } } } }));

describe('failure paths keep a guarded, routable split', () => {
  it('keeps guarding a canary whose spec stops decoding: a failing gate still falls back', async () => {
    const w = world(['v1', 'v2']);
    await atFirstStep(w);
    breakSpec(w);
    await pass(w);
    expect(ready(w)).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(statusOf(w).phase).toBe('Progressing');
    expect(w.tracked.get(KEY)?.version).toBe('v2');
    await failTwice(w);
    expect(statusOf(w).phase).toBe('RolledBack');
    expect(vsRoute(w)).toEqual([['v1', 100], ['v2', 0]]);
  });

  it('holds an invalid spec at its weight and falls back at progressDeadline if it is not fixed', async () => {
    const w = world(['v1', 'v2']);
    await atFirstStep(w);
    breakSpec(w);
    await pass(w);
    expect(vsRoute(w)).toEqual([['v1', 90], ['v2', 10]]);
    await pass(w, 60_000);
    expect(vsRoute(w)).toEqual([['v1', 90], ['v2', 10]]);
    await pass(w, 61_000); // progressDeadline 2m
    expect(statusOf(w).phase).toBe('RolledBack');
    expect(vsRoute(w)).toEqual([['v1', 100], ['v2', 0]]);
  });

  it('writes a fallback to status before it writes the routes', async () => {
    const w = world(['v1', 'v2']);
    await atFirstStep(w);
    await failTwice(w);
    const order = w.mem.writes.map((x) => `${x.verb} ${x.kind}`).filter((x) => !x.includes('Event'));
    expect(order.indexOf('replaceStatus TrafficShift')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('replaceStatus TrafficShift')).toBeLessThan(order.indexOf('replace VirtualService'));
  });

  it('a daemon that dies between the fallback status and the route write cannot give the candidate its weight back', async () => {
    const w = world(['v1', 'v2']);
    await atFirstStep(w);
    failing(w);
    await pass(w, 10_000);
    failing(w);
    w.mem.failNext('replace', (ref) => unavailable(ref, 'killed'));
    await pass(w, 10_000).catch(() => undefined);
    expect(statusOf(w).phase).toBe('RolledBack');
    expect(vsRoute(w)).toEqual([['v1', 90], ['v2', 10]]);
    // A fresh daemon: no gate sample in memory, no remembered trouble.
    w.gate = undefined;
    const fresh = { ...w.deps, troubles: new Map() };
    await reconcile(fresh, KEY);
    expect(vsRoute(w)).toEqual([['v1', 100], ['v2', 0]]);
  });

  it('holds a fallback while the stable version has no ready pod, and finishes it once one is ready', async () => {
    const w = world(['v1', 'v2']);
    await atFirstStep(w);
    w.mem.edit(PODS, NS, 'reviews-v1-0', () => pod('reviews-v1-0', 'v1', false));
    w.events.length = 0;
    await failTwice(w);
    expect(statusOf(w).phase).toBe('RolledBack');
    expect(vsRoute(w)).toEqual([['v1', 90], ['v2', 10]]);
    expect(ready(w)).toMatchObject({ status: 'False', reason: 'RoutesHeld' });
    expect(ready(w).message).toContain('v1 had 0 of 1 pods ready');
    expect(w.events.filter((e) => e.reason === 'RoutesHeld')).toHaveLength(1);
    await pass(w);
    expect(w.events.filter((e) => e.reason === 'RoutesHeld')).toHaveLength(1);
    w.mem.edit(PODS, NS, 'reviews-v1-0', () => pod('reviews-v1-0', 'v1', true));
    await pass(w);
    expect(vsRoute(w)).toEqual([['v1', 100], ['v2', 0]]);
    expect(ready(w)).toMatchObject({ status: 'True' });
  });

  it('does not adopt a version with no pods (a typo in spec.version) while another version serves', async () => {
    const w = world(['v1']);
    seedShift(w, { version: 'v1x' });
    await reconcile(w.deps, KEY);
    expect(w.mem.read(VIRTUAL_SERVICES, NS, 'reviews')).toBeUndefined();
    expect(statusOf(w).stableVersion).toBeUndefined();
    expect(ready(w)).toMatchObject({ status: 'False', reason: 'RoutesHeld' });
    expect(ready(w).message).toContain('v1x had 0 of 0 pods ready');
  });

  it('reports a refused route write (403) with a condition and an Event, backs off, and does not advance on routes that are not there', async () => {
    const w = world(['v1', 'v2']);
    await atFirstStep(w);
    w.gate = { _tag: 'Measured', version: 'v2', at: w.mem.now() + 10_000, windowMs: 10_000, requests: 100, errors: 0 };
    w.mem.failNext('replace', (ref) => forbidden(ref, 'virtualservices.networking.istio.io "reviews" is forbidden: exceeded quota'));
    await expect(pass(w, 10_000)).rejects.toBeInstanceOf(ReconcileError);
    expect(vsRoute(w)).toEqual([['v1', 90], ['v2', 10]]);
    expect(ready(w)).toMatchObject({ status: 'False', reason: 'RoutesNotApplied' });
    expect(ready(w).message).toContain('exceeded quota');
    expect(w.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'RoutesNotApplied' });
    const step = statusOf(w).step;
    // Next pass: the write goes through; no further step was taken while it was refused.
    w.gate = { _tag: 'Measured', version: 'v2', at: w.mem.now() + 20_000, windowMs: 10_000, requests: 100, errors: 0 };
    await pass(w, 20_000);
    expect(vsRoute(w)).toEqual([['v1', 50], ['v2', 50]]);
    expect(statusOf(w).step).toBe(step);
    await pass(w);
    expect(ready(w)).toMatchObject({ status: 'True' });
  });

  it('moving spec.service mid-shift first pins the old Service\'s routes to stable, then routes the new one', async () => {
    const w = world(['v1', 'v2']);
    await atFirstStep(w);
    w.mem.seed(SERVICES, { metadata: { name: 'ratings', namespace: NS }, spec: { selector: { app: 'reviews' } } });
    w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({ ...o, spec: { ...(o.spec as object), service: 'ratings' } }));
    await pass(w);
    expect(vsRoute(w)).toEqual([['v1', 100]]);
    const ratings = (w.mem.read(VIRTUAL_SERVICES, NS, 'ratings')?.spec as any).http.at(-1).route.map((r: any) => [r.destination.subset, r.weight]);
    expect(ratings).toEqual([['v1', 90], ['v2', 10]]);
    expect(statusOf(w).routedService).toBe('ratings');
  });

  describe('a cache that has not yet seen the DestinationRule deleted (a namespace being deleted)', () => {
    /** The DestinationRule gone from the API server while the cache still returns it. */
    const ruleDeletedBehindCache = (w: World): KubeObject => {
      const cached = w.mem.read(DESTINATION_RULES, NS, 'reviews')!;
      w.mem.store.delete(`${DESTINATION_RULES.plural}/${NS}/reviews`);
      Object.assign(w.deps, { caches: { ...w.mem.caches, destinationRule: () => cached } });
      return cached;
    };
    const vsWrites = (w: World) => w.mem.writes.filter((x) => x.kind === 'VirtualService');

    it('writes no VirtualService naming its subsets, and writes it once the rule is back', async () => {
      const w = world(['v1', 'v2']);
      await atFirstStep(w);
      const cached = ruleDeletedBehindCache(w);
      await failTwice(w);
      // The fallback is decided and durable in status; the routes wait for a rule to route to.
      expect(statusOf(w).phase).toBe('RolledBack');
      expect(vsWrites(w)).toEqual([]);
      expect(vsRoute(w)).toEqual([['v1', 90], ['v2', 10]]);
      w.mem.seed(DESTINATION_RULES, cached);
      await pass(w);
      expect(vsRoute(w)).toEqual([['v1', 100], ['v2', 0]]);
    });

    it('lets a deleted shift go without pinning its routes to a subset that is gone', async () => {
      const w = world(['v1', 'v2']);
      await atFirstStep(w);
      ruleDeletedBehindCache(w);
      w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({ ...o, metadata: { ...o.metadata, deletionTimestamp: new Date(w.mem.now()).toISOString() } }));
      w.mem.writes.length = 0;
      await reconcile(w.deps, KEY).catch(() => undefined);
      expect(vsWrites(w)).toEqual([]);
      // Once the cache has caught up, the deletion finishes (a namespace being deleted is not
      // held up) and the routes were never pointed at a subset that does not exist.
      Object.assign(w.deps, { caches: { ...w.mem.caches, destinationRule: () => undefined } });
      await reconcile(w.deps, KEY);
      expect(vsWrites(w)).toEqual([]);
      expect(w.mem.read(TRAFFIC_SHIFTS, NS, 'reviews')).toBeUndefined();
      expect(w.logs.map((l) => l.msg)).toContain('routes not pinned: their DestinationRule is gone');
    });
  });
});
