/** spec.routes through the daemon: kept in every write, a fallback and the pin on deletion; bad input changes none of them. */
import { reconcile } from '../../../src/daemon/reconcile';
import { TRAFFIC_SHIFTS, VIRTUAL_SERVICES } from '../../../src/kube/objects';
import { NS, seedShift, world, World } from './fixtures';

const KEY = `${NS}/reviews`;
const FQDN = 'reviews.shop.svc.cluster.local';
const gameDay = {
  name: 'game-day',
  match: [{ headers: { 'x-chaos': { exact: 'abort' } } }],
  fault: { abort: { httpStatus: 503, percentage: { value: 100 } } },
  route: [{ destination: { host: 'reviews' } }],
};
const routes = { before: [gameDay] };

const http = (w: World) => (w.mem.read(VIRTUAL_SERVICES, NS, 'reviews')?.spec as { http: Record<string, any>[] }).http;
const split = (r: Record<string, any>) => r.route.map((d: any) => `${d.destination.subset} ${d.weight}`);
const vsWrites = (w: World) => w.mem.writes.filter((x) => x.kind === 'VirtualService');
const editSpec = (w: World, f: (spec: Record<string, any>) => Record<string, any>) =>
  w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({ ...o, spec: f(o.spec as Record<string, any>) }));
const passes = async (w: World, n: number) => {
  for (let i = 0; i < n; i++) {
    w.mem.advance(1000);
    await reconcile(w.deps, KEY);
  }
};

/** Settled at v1 with the game-day route, then v2 at the first step (10 %). */
const atFirstStep = async (): Promise<World> => {
  const w = world(['v1', 'v2']);
  seedShift(w, { spec: { routes } });
  await reconcile(w.deps, KEY);
  editSpec(w, (s) => ({ ...s, version: 'v2' }));
  await passes(w, 3);
  return w;
};

describe('user routes through the daemon', () => {
  it('writes them before the primary route, their destination to the routed Service split as the primary route is', async () => {
    const w = await atFirstStep();
    const [fault, primary] = http(w);
    expect(fault!.name).toBe('game-day');
    expect(fault!.fault).toEqual(gameDay.fault);
    expect(fault!.match).toEqual(gameDay.match);
    expect(split(fault!)).toEqual(['v1 90', 'v2 10']);
    expect(split(primary!)).toEqual(['v1 90', 'v2 10']);
    expect(fault!.route[0].destination.host).toBe(FQDN);
  });

  it('moves their split back to stable in the fallback write (abort)', async () => {
    const w = await atFirstStep();
    w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({ ...o, metadata: { ...o.metadata, annotations: { 'sluice.dev/command': 'abort', 'sluice.dev/command-id': 'a-1' } } }));
    w.mem.writes.length = 0;
    await reconcile(w.deps, KEY);
    expect(vsWrites(w)).toHaveLength(1);
    expect(http(w).map((r) => [r.name, ...split(r)])).toEqual([['game-day', 'v1 100', 'v2 0'], ['primary', 'v1 100', 'v2 0']]);
  });

  it('keeps them, pinned, on the VirtualService left behind when the shift is deleted', async () => {
    const w = await atFirstStep();
    w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({ ...o, metadata: { ...o.metadata, deletionTimestamp: new Date(w.mem.now()).toISOString() } }));
    await reconcile(w.deps, KEY);
    expect(http(w).map((r) => [r.name, r.fault !== undefined, ...split(r)])).toEqual([['game-day', true, 'v1 100'], ['primary', false, 'v1 100']]);
  });

  it('a spec edited into a shadowing route is an InvalidSpec problem and changes no route, not even the user route', async () => {
    const w = await atFirstStep();
    const before = JSON.stringify(http(w));
    editSpec(w, (s) => ({ ...s, routes: { before: [{ ...gameDay, match: [{ uri: { prefix: '/' } }] }] } }));
    w.mem.writes.length = 0;
    await passes(w, 2);
    expect(vsWrites(w)).toEqual([]);
    expect(JSON.stringify(http(w))).toBe(before);
    const ready = (w.mem.read(TRAFFIC_SHIFTS, NS, 'reviews')!.status as any).conditions.find((c: any) => c.type === 'Ready');
    expect(ready.reason).toBe('InvalidSpec');
    expect(ready.message).toContain('spec.routes.before[0].match[0]: {"uri":{"prefix":"/"}} catches every request sluice\'s route "primary" would get');
    expect(w.events.some((e) => e.reason === 'InvalidSpec' && e.message.includes('spec.routes.before[0].match[0]'))).toBe(true);
  });

  it('under an invalid spec a fallback still moves the live user route\'s split, keeping its fault', async () => {
    const w = await atFirstStep();
    editSpec(w, (s) => ({ ...s, routes: { before: [{ ...gameDay, match: undefined }] } }));
    await passes(w, 1);
    w.mem.edit(TRAFFIC_SHIFTS, NS, 'reviews', (o) => ({ ...o, metadata: { ...o.metadata, annotations: { 'sluice.dev/command': 'abort', 'sluice.dev/command-id': 'a-2' } } }));
    await passes(w, 1);
    expect(http(w).map((r) => [r.name, r.fault?.abort?.httpStatus, JSON.stringify(r.match), ...split(r)])).toEqual([
      ['game-day', 503, JSON.stringify(gameDay.match), 'v1 100', 'v2 0'],
      ['primary', undefined, undefined, 'v1 100', 'v2 0'],
    ]);
  });
});
