/**
 * spec.routing: gatewayAPI through the whole reconcile, on the memory Kube: per-version Services
 * before the HTTPRoute gives them weight, a fallback in one route write, deletion pinning the
 * route, and the refusals (no --gateway-api, a Service with two ports, a live routing switch).
 */
import { reconcile } from '../../../src/daemon/reconcile';
import { HTTP_ROUTES, KubeObject, SERVICES, TRAFFIC_SHIFTS, VIRTUAL_SERVICES } from '../../../src/kube/objects';
import { NS, pod, world, World } from './fixtures';
import { PODS } from '../../../src/kube/objects';

const KEY = `${NS}/reviews`;
const service = (ports = [{ name: 'http', port: 9080, targetPort: 9080, protocol: 'TCP' }]): KubeObject => ({ metadata: { name: 'reviews', namespace: NS }, spec: { selector: { app: 'reviews' }, ports } });

const gatewayWorld = (versions: readonly string[], enabled = true): World => {
  const w = world([]);
  w.mem.edit(SERVICES, NS, 'reviews', () => service());
  versions.forEach((v, i) => w.mem.seed(PODS, pod(`reviews-${v}-${i}`, v)));
  (w.deps as { gatewayAPI?: boolean }).gatewayAPI = enabled;
  w.mem.seed(TRAFFIC_SHIFTS, {
    apiVersion: 'sluice.dev/v1alpha1', kind: 'TrafficShift', metadata: { name: 'reviews', namespace: NS },
    spec: { service: 'reviews', version: 'v1', routing: 'gatewayAPI', strategy: { canary: { steps: [10, 50], stepInterval: '10s' } }, analysis: { interval: '10s', minRequests: 10, failureThreshold: 2, method: 'threshold' }, progressDeadline: '2m' },
  });
  return w;
};
const pass = async (w: World, ms = 1000) => {
  w.mem.advance(ms);
  await reconcile(w.deps, KEY);
};
const routingWrites = (w: World) => w.mem.writes.filter((x) => x.kind === 'HTTPRoute' || (x.kind === 'Service')).map((x) => `${x.verb} ${x.kind} ${x.name}`);
const backends = (w: World) => ((w.mem.read(HTTP_ROUTES, NS, 'reviews')?.spec as any)?.rules ?? []).at(-1)?.backendRefs.map((b: any) => [b.name, b.weight]);
const statusOf = (w: World) => w.mem.read(TRAFFIC_SHIFTS, NS, 'reviews')?.status as Record<string, any>;
const setVersion = (w: World, version: string) => w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({ ...o, spec: { ...(o.spec as object), version } }));

describe('reconcile with spec.routing: gatewayAPI', () => {
  it('creates the stable version\'s Service, then (next pass, endpoints ready) the HTTPRoute to it', async () => {
    const w = gatewayWorld(['v1']);
    await pass(w);
    expect(routingWrites(w)).toEqual(['create Service reviews-v1']);
    await pass(w);
    expect(routingWrites(w)).toEqual(['create Service reviews-v1', 'create HTTPRoute reviews']);
    expect(backends(w)).toEqual([['reviews-v1', 100]]);
    expect((w.mem.read(SERVICES, NS, 'reviews-v1')!.spec as any).selector).toEqual({ app: 'reviews', version: 'v1' });
    w.mem.writes.length = 0;
    await pass(w);
    expect(w.mem.writes).toEqual([]);
    expect(w.mem.read(VIRTUAL_SERVICES, NS, 'reviews')).toBeUndefined();
  });

  it('shifts a canary to a new version whose Service exists before any weight reaches it, and falls back in one route write', async () => {
    const w = gatewayWorld(['v1', 'v2']);
    await pass(w);
    await pass(w);
    setVersion(w, 'v2');
    w.mem.writes.length = 0;
    for (let i = 0; i < 4; i++) await pass(w);
    const writes = routingWrites(w);
    expect(writes[0]).toBe('create Service reviews-v2');
    expect(writes).toContain('replace HTTPRoute reviews');
    expect(backends(w)).toEqual([['reviews-v1', 90], ['reviews-v2', 10]]);
    // every route write named only Services that existed at that moment
    const created = new Set(['reviews-v1']);
    for (const x of w.mem.writes) {
      if (x.kind === 'Service' && x.verb === 'create') created.add(x.name);
      if (x.kind === 'HTTPRoute') for (const r of (x.object.spec as any).rules) for (const b of r.backendRefs) expect(created.has(b.name)).toBe(true);
    }
    w.mem.writes.length = 0;
    for (const at of [10_000, 20_000]) {
      w.gate = { _tag: 'Measured', version: 'v2', at: w.mem.now() + at, windowMs: 10_000, requests: 100, errors: 40 };
      await pass(w, 10_000);
    }
    expect(statusOf(w).phase).toBe('RolledBack');
    expect(backends(w)).toEqual([['reviews-v1', 100], ['reviews-v2', 0]]);
    expect(routingWrites(w)).toEqual(['replace HTTPRoute reviews']);
    const statusWrite = w.mem.writes.findIndex((x) => x.verb === 'replaceStatus' && (x.object.status as any).phase === 'RolledBack');
    expect(statusWrite).toBeGreaterThanOrEqual(0);
    expect(statusWrite).toBeLessThan(w.mem.writes.findIndex((x) => x.kind === 'HTTPRoute'));
  });

  it('pins the HTTPRoute on deletion and deletes the Services it no longer names, then the finalizer', async () => {
    const w = gatewayWorld(['v1', 'v2']);
    await pass(w);
    await pass(w);
    setVersion(w, 'v2');
    for (let i = 0; i < 4; i++) await pass(w);
    expect(backends(w)).toEqual([['reviews-v1', 90], ['reviews-v2', 10]]);
    w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({ ...o, metadata: { ...o.metadata, deletionTimestamp: new Date(w.mem.now()).toISOString() } }));
    w.mem.writes.length = 0;
    await pass(w);
    expect(routingWrites(w)).toEqual(['replace HTTPRoute reviews', 'delete Service reviews-v2']);
    expect(backends(w)).toEqual([['reviews-v1', 100]]);
    expect(w.mem.read(SERVICES, NS, 'reviews-v1')).toBeDefined();
    expect(w.events.map((e) => e.message).join('\n')).toContain('HTTPRoute reviews left pinned 100 % to v1');
    expect(w.mem.read(TRAFFIC_SHIFTS, NS, 'reviews')?.metadata.finalizers ?? []).toEqual([]);
  });

  it('refuses to route when the daemon runs without --gateway-api, naming the flag; nothing is written', async () => {
    const w = gatewayWorld(['v1'], false);
    await pass(w);
    expect(routingWrites(w)).toEqual([]);
    const ready = statusOf(w).conditions.find((c: any) => c.type === 'Ready');
    expect([ready.status, ready.reason]).toEqual(['False', 'Refused']);
    expect(ready.message).toContain('--gateway-api');
  });

  it('refuses a Service with two ports, naming them', async () => {
    const w = gatewayWorld(['v1']);
    w.mem.edit(SERVICES, NS, 'reviews', () => service([{ name: 'http', port: 9080, targetPort: 9080, protocol: 'TCP' }, { name: 'grpc', port: 9090, targetPort: 9090, protocol: 'TCP' }]));
    await pass(w);
    expect(routingWrites(w)).toEqual([]);
    expect(statusOf(w).conditions.find((c: any) => c.type === 'Ready').message).toBe(
      'shop/reviews: spec.service: Service shop/reviews has 2 ports (http 9080, grpc 9090); spec.routing: gatewayAPI routes a Service with exactly one port',
    );
  });

  it('refuses to write over a Service of the same name it does not own', async () => {
    const w = gatewayWorld(['v1']);
    w.mem.seed(SERVICES, { metadata: { name: 'reviews-v1', namespace: NS }, spec: { selector: { app: 'other' } } });
    await pass(w);
    expect(routingWrites(w)).toEqual([]);
    expect(statusOf(w).conditions.find((c: any) => c.type === 'Ready').message).toBe(
      'shop/reviews: Service shop/reviews-v1 exists and is not managed by sluice (with spec.routing: gatewayAPI sluice adopts no objects); delete or rename it',
    );
  });

  it('refuses switching a live shift from gatewayAPI to virtualService, leaving the HTTPRoute alone', async () => {
    const w = gatewayWorld(['v1']);
    await pass(w);
    await pass(w);
    w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({ ...o, spec: { ...(o.spec as object), routing: 'virtualService' } }));
    w.mem.writes.length = 0;
    await pass(w);
    expect(w.mem.writes.filter((x) => x.kind !== 'TrafficShift' && x.kind !== 'Event')).toEqual([]);
    expect(statusOf(w).conditions.find((c: any) => c.type === 'Ready').message).toContain('changing the routing kind of a live shift is not supported');
  });

  describe('a cache that has not yet seen a backend Service deleted (a hand delete, a namespace being deleted)', () => {
    /** At the first step, 90/10, with the route written. */
    const atFirstStep = async (): Promise<World> => {
      const w = gatewayWorld(['v1', 'v2']);
      await pass(w);
      await pass(w);
      setVersion(w, 'v2');
      for (let i = 0; i < 4; i++) await pass(w);
      expect(backends(w)).toEqual([['reviews-v1', 90], ['reviews-v2', 10]]);
      return w;
    };
    /** `name` gone from the API server while the caches still return it. */
    const deletedBehindCache = (w: World, name: string): void => {
      const cached = w.mem.read(SERVICES, NS, name)!;
      w.mem.store.delete(`${SERVICES.plural}/${NS}/${name}`);
      const caches = w.mem.caches;
      Object.assign(w.deps, {
        caches: { ...caches, service: (ns: string, n: string) => (n === name ? cached : caches.service(ns, n)), services: (ns: string) => [...caches.services!(ns), cached] },
      });
    };
    const cacheCaughtUp = (w: World) => Object.assign(w.deps, { caches: w.mem.caches });
    const routeWrites = (w: World) => w.mem.writes.filter((x) => x.kind === 'HTTPRoute');

    it('writes no HTTPRoute naming the missing Service, and routes once the cache has caught up', async () => {
      const w = await atFirstStep();
      deletedBehindCache(w, 'reviews-v1');
      w.mem.writes.length = 0;
      for (const at of [10_000, 20_000]) {
        w.gate = { _tag: 'Measured', version: 'v2', at: w.mem.now() + at, windowMs: 10_000, requests: 100, errors: 40 };
        await pass(w, 10_000);
      }
      // The fallback is decided and durable in status; the route waits for a backend to route to.
      expect(statusOf(w).phase).toBe('RolledBack');
      expect(routeWrites(w)).toEqual([]);
      expect(backends(w)).toEqual([['reviews-v1', 90], ['reviews-v2', 10]]);
      cacheCaughtUp(w);
      await pass(w);
      expect(routingWrites(w)).toEqual(['create Service reviews-v1']);
      await pass(w);
      expect(routingWrites(w)).toEqual(['create Service reviews-v1', 'replace HTTPRoute reviews']);
      expect(backends(w)).toEqual([['reviews-v1', 100], ['reviews-v2', 0]]);
    });

    it('does not pin a deleted shift\'s route to a Service that is gone, and lets the shift go once the cache has caught up', async () => {
      const w = await atFirstStep();
      deletedBehindCache(w, 'reviews-v1');
      w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({ ...o, metadata: { ...o.metadata, deletionTimestamp: new Date(w.mem.now()).toISOString() } }));
      w.mem.writes.length = 0;
      await pass(w);
      expect(routingWrites(w)).toEqual([]);
      expect(w.mem.read(TRAFFIC_SHIFTS, NS, 'reviews')).toBeDefined();
      // The cache sees reviews-v1 gone: nothing to pin to, the route is left as the person left it.
      cacheCaughtUp(w);
      await pass(w);
      expect(routeWrites(w)).toEqual([]);
      expect(w.mem.read(TRAFFIC_SHIFTS, NS, 'reviews')).toBeUndefined();
    });

    it('lets a deleted shift go when its namespace took the route first', async () => {
      const w = await atFirstStep();
      // The namespace controller has deleted the HTTPRoute and reviews-v2, not yet reviews-v1.
      deletedBehindCache(w, 'reviews-v2');
      const route = w.mem.read(HTTP_ROUTES, NS, 'reviews')!;
      w.mem.store.delete(`${HTTP_ROUTES.plural}/${NS}/reviews`);
      Object.assign(w.deps, { caches: { ...w.deps.caches, httpRoute: () => route } });
      w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({ ...o, metadata: { ...o.metadata, deletionTimestamp: new Date(w.mem.now()).toISOString() } }));
      w.mem.writes.length = 0;
      // The pin to reviews-v1 meets no route: wait for the cache, no error to back off from.
      await pass(w);
      expect(routingWrites(w)).toEqual([]);
      cacheCaughtUp(w);
      await pass(w);
      expect(routingWrites(w)).toEqual(['delete Service reviews-v1']);
      expect(w.mem.read(TRAFFIC_SHIFTS, NS, 'reviews')).toBeUndefined();
    });
  });
});
