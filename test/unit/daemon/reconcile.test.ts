import { reconcile } from '../../../src/daemon/reconcile';
import * as TE from 'fp-ts/TaskEither';
import { conflict, invalid, unavailable } from '../../../src/kube/errors';
import { DESTINATION_RULES, FINALIZER, ObjectRef, ORIGINAL_SPEC_ANNOTATION, PODS, TRAFFIC_SHIFTS, VIRTUAL_SERVICES } from '../../../src/kube/objects';
import { NS, pod, seedShift, world, World } from './fixtures';
import { ScheduleError } from '../../../src/schedule';

const KEY = `${NS}/reviews`;
const istioWrites = (w: World) => w.mem.writes.filter((x) => x.kind === 'VirtualService' || x.kind === 'DestinationRule');
const statusOf = (w: World) => w.mem.read(TRAFFIC_SHIFTS, NS, 'reviews')?.status as Record<string, any>;
const vsRoute = (w: World) => (w.mem.read(VIRTUAL_SERVICES, NS, 'reviews')?.spec as any).http.at(-1).route.map((r: any) => [r.destination.subset, r.weight]);

/** Reconcile until the shift settles into the state a first version reaches (Idle at v1). */
const settle = async (w: World) => {
  await reconcile(w.deps, KEY);
  w.mem.writes.length = 0;
  w.events.length = 0;
};

/** Sets spec.version, as a user starting a shift does. */
const setVersion = (w: World, version: string) =>
  w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({ ...o, spec: { ...(o.spec as object), version } }));

/** From a settled v1: spec.version v2 and three passes 1 s apart, so v2 is at the first step (10 %). */
const shiftToV2 = async (w: World) => {
  setVersion(w, 'v2');
  for (let i = 0; i < 3; i++) {
    w.mem.advance(1000);
    await reconcile(w.deps, KEY);
  }
};

/** Marks the shift deleted (deletionTimestamp now) and runs one pass with the write log cleared. */
const deleteShift = async (w: World) => {
  w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({ ...o, metadata: { ...o.metadata, deletionTimestamp: new Date(w.mem.now()).toISOString() } }));
  w.mem.writes.length = 0;
  await reconcile(w.deps, KEY);
};

describe('reconcile', () => {
  it('adds the finalizer, creates the DestinationRule before the VirtualService and records status', async () => {
    const w = world(['v1']);
    seedShift(w);
    await reconcile(w.deps, KEY);
    const shift = w.mem.read(TRAFFIC_SHIFTS, NS, 'reviews')!;
    expect(shift.metadata.finalizers).toEqual([FINALIZER]);
    expect(istioWrites(w).map((x) => `${x.verb} ${x.kind}`)).toEqual(['create DestinationRule', 'create VirtualService']);
    expect(statusOf(w).stableVersion).toBe('v1');
    expect(vsRoute(w)).toEqual([['v1', 100]]);
  });

  it('names the Service by the cluster\'s DNS domain (--cluster-domain) in the routes it writes and in the ones it pins on deletion', async () => {
    const w = world(['v1', 'v2']);
    Object.assign(w.deps, { clusterDomain: 'corp.example' });
    seedShift(w);
    await settle(w);
    await shiftToV2(w);
    const hostOf = (o: any) => o?.spec?.host;
    const destHosts = (o: any) => [...new Set(o.spec.http.flatMap((r: any) => r.route.map((d: any) => d.destination.host)))];
    expect(hostOf(w.mem.read(DESTINATION_RULES, NS, 'reviews'))).toBe('reviews.shop.svc.corp.example');
    expect(destHosts(w.mem.read(VIRTUAL_SERVICES, NS, 'reviews'))).toEqual(['reviews.shop.svc.corp.example']);
    await deleteShift(w);
    expect(istioWrites(w).length).toBeGreaterThan(0);
    expect(destHosts(w.mem.read(VIRTUAL_SERVICES, NS, 'reviews'))).toEqual(['reviews.shop.svc.corp.example']);
    expect(hostOf(w.mem.read(DESTINATION_RULES, NS, 'reviews'))).toBe('reviews.shop.svc.corp.example');
  });

  it('does not rewrite unchanged objects or status on a second pass', async () => {
    const w = world(['v1']);
    seedShift(w);
    await settle(w);
    await reconcile(w.deps, KEY);
    expect(w.mem.writes).toEqual([]);
  });

  it('writes the DestinationRule with the new subset before the VirtualService routes to it', async () => {
    const w = world(['v1', 'v2']);
    seedShift(w);
    await settle(w);
    setVersion(w, 'v2');
    for (let i = 0; i < 3 && !(vsRoute(w).length === 2 && vsRoute(w)[1][1] > 0); i++) {
      w.mem.advance(1000);
      await reconcile(w.deps, KEY);
    }
    const order = istioWrites(w).map((x) => x.kind);
    expect(order[0]).toBe('DestinationRule');
    expect(order.indexOf('DestinationRule')).toBeLessThan(order.indexOf('VirtualService'));
    const dr = w.mem.read(DESTINATION_RULES, NS, 'reviews')!.spec as any;
    expect(dr.subsets.map((s: any) => s.name)).toEqual(['v1', 'v2']);
    expect(statusOf(w).candidateVersion).toBe('v2');
    // v2 has traffic, so the gate samples it
    expect(w.tracked.get(KEY)?.version).toBe('v2');
  });

  it('never writes a VirtualService it does not manage: Ready=False / NotOwned with a Warning Event, no phase', async () => {
    const w = world(['v1']);
    w.mem.seed(VIRTUAL_SERVICES, { metadata: { name: 'reviews', namespace: NS }, spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' } }] }] } });
    seedShift(w);
    await reconcile(w.deps, KEY);
    expect(istioWrites(w)).toEqual([]);
    const s = statusOf(w);
    expect(s.phase).toBeUndefined();
    const ready = s.conditions.find((c: any) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'NotOwned' });
    expect(ready.message).toBe(
      'shop/reviews: VirtualService shop/reviews exists and is not managed by sluice; set spec.adopt: true to take it over, or delete or rename it',
    );
    expect(w.events).toEqual([{ type: 'Warning', reason: 'NotOwned', message: ready.message }]);
    // A second pass says nothing new.
    await reconcile(w.deps, KEY);
    expect(w.events).toHaveLength(1);
  });

  it('reports an invalid spec field by field, with a Warning Event and no traffic change', async () => {
    const w = world(['v1']);
    seedShift(w, { spec: { strategy: { canary: { steps: [50, 40] } } } });
    await reconcile(w.deps, KEY);
    expect(istioWrites(w)).toEqual([]);
    const s = statusOf(w);
    expect(s.phase).toBeUndefined();
    const ready = s.conditions.find((c: any) => c.type === 'Ready');
    expect(ready.reason).toBe('InvalidSpec');
    expect(ready.message).toBe('shop/reviews: spec.strategy.canary.steps[1]: 40 is not greater than the previous step 50');
    expect(w.events[0]).toEqual({ type: 'Warning', reason: 'InvalidSpec', message: ready.message });
  });

  it('reports routes the API server refuses (a field copied as written) with a Warning Event, leaving traffic and phase as they were', async () => {
    const w = world(['v1']);
    seedShift(w);
    await reconcile(w.deps, KEY);
    const before = w.mem.read(VIRTUAL_SERVICES, NS, 'reviews');
    w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({ ...o, spec: { ...(o.spec as object), route: { retries: { attempts: 'three' } } } }));
    const refusal = 'VirtualService.networking.istio.io "reviews" is invalid: spec.http[0].retries.attempts: Invalid value: "string": must be of type integer';
    w.mem.failNext('replace', (ref) => invalid(ref, refusal));
    await reconcile(w.deps, KEY);
    const s = statusOf(w);
    expect(s.phase).toBe('Idle');
    const ready = s.conditions.find((c: any) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'RoutesNotApplied' });
    expect(ready.message).toBe(`shop/reviews: routes not written: ${refusal}; fix the fields sluice copies onto its routes (spec.route, spec.routes, spec.strategy.blueGreen.previewMatch, spec.strategy.abTest.match)`);
    expect(w.events.at(-1)).toEqual({ type: 'Warning', reason: 'RoutesNotApplied', message: ready.message });
    expect(w.mem.read(VIRTUAL_SERVICES, NS, 'reviews')).toEqual(before);
  });

  it('refuses to adopt a VirtualService whose route options it would drop, and says which', async () => {
    const w = world(['v1']);
    const original = { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' } }], timeout: '3s' }] };
    w.mem.seed(VIRTUAL_SERVICES, { metadata: { name: 'reviews', namespace: NS, labels: { team: 'a' } }, spec: original });
    seedShift(w, { spec: { adopt: true } });
    await reconcile(w.deps, KEY);
    expect(istioWrites(w)).toEqual([]);
    const ready = statusOf(w).conditions.find((c: any) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'NotOwned' });
    expect(ready.message).toContain('timeout');
  });

  it('recovers from an invalid spec once it is fixed', async () => {
    const w = world(['v1']);
    seedShift(w, { spec: { strategy: { canary: { steps: [50, 40] } } } });
    await reconcile(w.deps, KEY);
    w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({ ...o, spec: { ...(o.spec as object), strategy: { canary: { steps: [10, 50] } } } }));
    await reconcile(w.deps, KEY);
    expect(statusOf(w).phase).not.toBe('Failed');
    expect(vsRoute(w)).toEqual([['v1', 100]]);
  });

  it('re-reads and decides again when the status write conflicts', async () => {
    const w = world(['v1']);
    seedShift(w);
    let edited = false;
    w.mem.failNext('replaceStatus', (ref) => conflict(ref, 'changed'), () => {
      edited = true;
      w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({ ...o, metadata: { ...o.metadata, labels: { team: 'a' } } }));
    });
    await reconcile(w.deps, KEY);
    expect(edited).toBe(true);
    const shift = w.mem.read(TRAFFIC_SHIFTS, NS, 'reviews')!;
    expect(shift.metadata.labels).toEqual({ team: 'a' });
    expect(statusOf(w).stableVersion).toBe('v1');
    expect(w.mem.writes.filter((x) => x.verb === 'replaceStatus')).toHaveLength(1);
  });

  it('adopts an unmanaged VirtualService with spec.adopt and restores it when the shift is deleted', async () => {
    const w = world(['v1']);
    const original = { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' } }], timeout: '3s' }] };
    w.mem.seed(VIRTUAL_SERVICES, { metadata: { name: 'reviews', namespace: NS, labels: { team: 'a' } }, spec: original });
    seedShift(w, { spec: { adopt: true, route: { timeout: '3s' } } });
    await reconcile(w.deps, KEY);
    const adopted = w.mem.read(VIRTUAL_SERVICES, NS, 'reviews')!;
    expect(adopted.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'sluice', team: 'a' });
    expect(JSON.parse(adopted.metadata.annotations![ORIGINAL_SPEC_ANNOTATION]!)).toEqual(original);

    await deleteShift(w);
    const restored = w.mem.read(VIRTUAL_SERVICES, NS, 'reviews')!;
    expect(restored.spec).toEqual(original);
    expect(restored.metadata.labels).toEqual({ team: 'a' });
    expect(restored.metadata.annotations).toBeUndefined();
    expect(restored.metadata.ownerReferences).toBeUndefined();
    expect(w.mem.read(TRAFFIC_SHIFTS, NS, 'reviews')).toBeUndefined();
    expect(istioWrites(w).filter((x) => x.kind === 'VirtualService')).toHaveLength(1);
  });

  it('on deletion mid-shift pins 100 % to stable in one VirtualService write and releases the objects', async () => {
    const w = world(['v1', 'v2']);
    seedShift(w);
    await settle(w);
    await shiftToV2(w);
    expect(vsRoute(w)).toEqual([['v1', 90], ['v2', 10]]);
    await deleteShift(w);
    const vsWrites = istioWrites(w).filter((x) => x.kind === 'VirtualService');
    expect(vsWrites).toHaveLength(1);
    expect(vsRoute(w)).toEqual([['v1', 100]]);
    const vs = w.mem.read(VIRTUAL_SERVICES, NS, 'reviews')!;
    const dr = w.mem.read(DESTINATION_RULES, NS, 'reviews')!;
    expect(vs.metadata.ownerReferences).toBeUndefined();
    expect(dr.metadata.ownerReferences).toBeUndefined();
    expect(istioWrites(w).map((x) => x.kind)).toEqual(['VirtualService', 'DestinationRule']);
    expect(w.mem.read(TRAFFIC_SHIFTS, NS, 'reviews')).toBeUndefined();
    expect(w.tracked.has(KEY)).toBe(false);
  });

  it('counts only ready, non-terminating pods selected by the Service', async () => {
    const w = world(['v1']);
    w.mem.seed(PODS, pod('reviews-v2-a', 'v2', false));
    seedShift(w, { version: 'v1' });
    await settle(w);
    const seen: unknown[] = [];
    const decide = w.deps.decide;
    const deps = { ...w.deps, decide: (i: any, o: any, n: number) => (seen.push(o.pods), decide(i, o, n)) };
    await reconcile(deps, KEY);
    expect(seen[0]).toEqual({ v1: { total: 1, ready: 1 }, v2: { total: 1, ready: 0 } });
  });

  it('applies a command from annotations once, then clears the annotations after status is written', async () => {
    const w = world(['v1', 'v2']);
    seedShift(w);
    await settle(w);
    await shiftToV2(w);
    w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({
      ...o,
      metadata: { ...o.metadata, annotations: { 'sluice.dev/command': 'pause', 'sluice.dev/command-id': 'c-1', 'sluice.dev/by': 'alice' } },
    }));
    w.mem.writes.length = 0;
    await reconcile(w.deps, KEY);
    const shift = w.mem.read(TRAFFIC_SHIFTS, NS, 'reviews')!;
    expect((shift.status as any).phase).toBe('Paused');
    expect((shift.status as any).lastCommandId).toBe('c-1');
    expect(shift.metadata.annotations ?? {}).toEqual({});
    expect(w.mem.writes.filter((x) => x.kind === 'TrafficShift').map((x) => x.verb)).toEqual(['replaceStatus', 'mergePatch']);
    expect(w.events.map((e) => e.reason)).toContain('CommandApplied');
  });

  it('only clears a command that status says was already applied (left behind by a crash)', async () => {
    const w = world(['v1']);
    seedShift(w);
    await settle(w);
    w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({
      ...o,
      metadata: { ...o.metadata, annotations: { 'sluice.dev/command': 'abort', 'sluice.dev/command-id': 'c-9' } },
      status: { ...(o.status as object), lastCommandId: 'c-9' },
    }));
    const before = statusOf(w);
    w.mem.writes.length = 0;
    await reconcile(w.deps, KEY);
    expect(statusOf(w)).toEqual(before);
    expect(w.mem.writes.map((x) => x.verb)).toEqual(['mergePatch']);
    expect(w.mem.read(TRAFFIC_SHIFTS, NS, 'reviews')!.metadata.annotations ?? {}).toEqual({});
  });

  it('stamps an id onto a command given without one, so a crash after the status write cannot apply it twice', async () => {
    const w = world(['v1', 'v2']);
    seedShift(w);
    await settle(w);
    await shiftToV2(w);
    w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({ ...o, metadata: { ...o.metadata, annotations: { 'sluice.dev/command': 'pause' } } }));
    // The daemon dies right after the status write: the second merge patch (the clear) never lands.
    let patches = 0;
    const crashing = { ...w.deps, kube: { ...w.deps.kube, mergePatch: (ref: ObjectRef, p: Record<string, unknown>) => (++patches === 2 ? TE.left(unavailable(ref, 'killed')) : w.deps.kube.mergePatch(ref, p)) } };
    await reconcile(crashing, KEY).catch(() => undefined);
    const id = w.mem.read(TRAFFIC_SHIFTS, NS, 'reviews')!.metadata.annotations?.['sluice.dev/command-id'];
    expect(id).toMatch(/^daemon-/);
    expect(statusOf(w).phase).toBe('Paused');
    expect(statusOf(w).lastCommandId).toBe(id);
    // A new leader sees the same stamped id: it only clears the annotations.
    await reconcile(w.deps, KEY);
    expect(statusOf(w).history.filter((h: any) => h.event === 'CommandApplied')).toHaveLength(1);
    expect(w.mem.read(TRAFFIC_SHIFTS, NS, 'reviews')!.metadata.annotations ?? {}).toEqual({});
  });

  it('holds a running canary with Ready=False naming the schedule when it cannot be evaluated, not a false OutsideWindow', async () => {
    const w = world(['v1', 'v2']);
    seedShift(w, { spec: { schedule: { windows: [{ days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'], from: '00:00', to: '23:59' }] } } });
    await settle(w);
    await shiftToV2(w);
    expect(vsRoute(w)).toEqual([['v1', 90], ['v2', 10]]);
    const broken = new ScheduleError('spec.schedule.timeZone: "Mars/Olympus_Mons" is not an IANA time zone (expected e.g. "Europe/Berlin" or "UTC")');
    const evaluated = { ...w.deps, scheduleView: () => ({ start: () => { throw broken; }, window: () => { throw broken; } }) };
    w.mem.advance(1000);
    await reconcile(evaluated, KEY);
    const ready = statusOf(w).conditions.find((c: any) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'InvalidSpec', message: `${NS}/reviews: ${broken.message}` });
    expect(statusOf(w).conditions.find((c: any) => c.type === 'Progressing').reason).not.toBe('OutsideWindow');
    expect(statusOf(w).phase).toBe('Progressing');
    expect(vsRoute(w)).toEqual([['v1', 90], ['v2', 10]]);
  });
});
