/**
 * spec.routing: gatewayAPI end to end (issue 16): `sluice run --gateway-api` against the real
 * control plane with the Gateway API CRDs (v1.6.3, CEL included), Prometheus and the mesh
 * simulator, which routes the Service's traffic by the HTTPRoute bound to it (GAMMA) to the
 * per-version Services sluice writes. Traffic is measured from the simulator's ledger.
 */
import { startMeshSim, type MeshSim } from '../mesh-sim/sim';
import {
  canarySpec, core, custom, DaemonProcess, deleteNamespace, eventsFor, getShift, givenReviews, givenShift, newNamespace, patchShift,
  startDaemon, waitForPhase,
} from './daemonFixtures';
import { waitFor } from './env';

jest.setTimeout(300_000);

const GATEWAY = { group: 'gateway.networking.k8s.io', version: 'v1' } as const;

interface HttpRouteObject {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { parentRefs: Record<string, unknown>[]; rules: { name?: string; backendRefs: { name: string; weight: number; port: number }[] }[] };
}

const getHttpRoute = async (namespace: string): Promise<HttpRouteObject | undefined> =>
  (custom.getNamespacedCustomObject({ ...GATEWAY, namespace, plural: 'httproutes', name: 'reviews' }) as Promise<HttpRouteObject>).catch(() => undefined);

/** The primary rule's weights by backend Service. */
const backendWeights = (r: HttpRouteObject | undefined): Record<string, number> =>
  Object.fromEntries((r?.spec.rules.find((x) => x.name === 'primary')?.backendRefs ?? []).map((b) => [b.name, b.weight]));

const serviceNames = async (namespace: string): Promise<string[]> =>
  (await core.listNamespacedService({ namespace })).items.map((s) => s.metadata?.name ?? '').sort();

/** The ledger of `namespace/reviews` over seconds [from, to): requests by version, versions that got none left out. */
const requestsByVersion = (sim: MeshSim, namespace: string, from = 0, to = Number.POSITIVE_INFINITY): Record<string, number> =>
  Object.fromEntries(Object.entries(sim.totals(`${namespace}/reviews`, from, to)).filter(([, t]) => t.requests > 0).map(([v, t]) => [v, t.requests]));

const nowSecond = (sim: MeshSim): number => Math.floor((Date.now() - sim.ledger().startedAtMs) / 1000);

describe('sluice run with spec.routing: gatewayAPI (HTTPRoute + per-version Services)', () => {
  let namespace = '';
  let sim: MeshSim | undefined;
  const daemons: DaemonProcess[] = [];

  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.kill('SIGKILL');
    await sim?.stop();
    sim = undefined;
    await deleteNamespace(namespace);
  });

  /** Given v1 and v2 pods, `sluice run --gateway-api`, traffic at 30 rps with these error fractions; v1 Idle behind its HTTPRoute. */
  const givenStableV1 = async (prefix: string, spec: Record<string, unknown>, errors: Record<string, number>) => {
    namespace = await newNamespace(prefix);
    await givenReviews(namespace, ['v1', 'v2']);
    daemons.push(await startDaemon(namespace, 'sluice-a', ['--gateway-api']));
    sim = await startMeshSim(
      {
        seed: 11,
        propagationDelayMs: 500,
        services: [{ namespace, service: 'reviews', rps: 30 }],
        profiles: Object.entries(errors).map(([version, errorFraction]) => ({ namespace, service: 'reviews', version, errorFraction })),
      },
      { log: () => undefined },
    );
    await givenShift(namespace, { ...spec, routing: 'gatewayAPI' });
    await waitForPhase(namespace, (s) => s.stableVersion === 'v1' && s.phase === 'Idle', 60_000);
    await waitFor(async () => backendWeights(await getHttpRoute(namespace))['reviews-v1'] === 100, { timeoutMs: 30_000, what: 'the HTTPRoute to send 100 % to reviews-v1' });
  };

  it('canary: the HTTPRoute bound to the Service shifts traffic to reviews-v2 step by step and promotes; no request ever meets a missing or empty backend', async () => {
    await givenStableV1('gw-canary', canarySpec('v1'), {});

    const route = await getHttpRoute(namespace);
    expect(route?.spec.parentRefs).toEqual([{ group: '', kind: 'Service', name: 'reviews' }]);
    expect(route?.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'sluice' });
    expect(await serviceNames(namespace)).toEqual(['reviews', 'reviews-v1']);
    // Before the HTTPRoute, the Service spread requests over v1 and v2 pods; once it propagated, v1 only.
    await new Promise((r) => setTimeout(r, 2_000));
    const routed = nowSecond(sim!) + 1;
    await new Promise((r) => setTimeout(r, 4_000));
    expect(Object.keys(requestsByVersion(sim!, namespace, routed, nowSecond(sim!)))).toEqual(['v1']);

    patchShift(namespace, { spec: { version: 'v2' } });
    const seen = new Set<string>();
    const status = await waitFor(
      async () => {
        const w = backendWeights(await getHttpRoute(namespace));
        seen.add(JSON.stringify(w));
        const s = (await getShift(namespace))?.status;
        return s?.phase === 'Promoted' ? s : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 500, what: 'the canary to be promoted' },
    );
    expect(status.stableVersion).toBe('v2');
    // The steps the spec names (20, 60) reached the route, each summing to 100.
    expect([...seen].map((w) => JSON.parse(w) as Record<string, number>)).toEqual(expect.arrayContaining([
      { 'reviews-v1': 80, 'reviews-v2': 20 },
      { 'reviews-v1': 40, 'reviews-v2': 60 },
    ]));
    for (const w of [...seen].map((x) => JSON.parse(x) as Record<string, number>))
      if (Object.keys(w).length > 0) expect(Object.values(w).reduce((a, b) => a + b, 0)).toBe(100);
    await waitFor(async () => (await serviceNames(namespace)).join() === 'reviews,reviews-v2', { timeoutMs: 30_000, what: 'reviews-v1 to be deleted after the promotion' });
    expect(backendWeights(await getHttpRoute(namespace))).toEqual({ 'reviews-v2': 100 });

    // From the ledger: after the promotion has propagated, every request reaches v2.
    await new Promise((r) => setTimeout(r, 3_000));
    const from = nowSecond(sim!);
    await new Promise((r) => setTimeout(r, 4_000));
    const after = requestsByVersion(sim!, namespace, from, nowSecond(sim!));
    expect(after.v2).toBeGreaterThan(60);
    expect(after.v1 ?? 0).toBe(0);
    // Over the whole run no request was answered by the mesh itself (500 invalid backend, 503 no healthy upstream).
    expect(requestsByVersion(sim!, namespace).unknown).toBeUndefined();
    expect(requestsByVersion(sim!, namespace).v2).toBeGreaterThan(0);
  });

  it('fallback: a candidate answering 30 % 5xx is gated on its per-version traffic and the route goes back to reviews-v1 in one write', async () => {
    await givenStableV1('gw-fallback', canarySpec('v1'), { v2: 0.3 });

    patchShift(namespace, { spec: { version: 'v2' } });
    const status = await waitForPhase(namespace, 'RolledBack', 150_000);
    expect(status.lastGate).toMatchObject({ result: 'Fail', version: 'v2' });
    await waitFor(async () => backendWeights(await getHttpRoute(namespace))['reviews-v1'] === 100, { timeoutMs: 30_000, what: 'the route back on reviews-v1' });
    const rolledBack = (await eventsFor(namespace)).find((e) => e.reason === 'RolledBack');
    expect(rolledBack?.message).toMatch(/^GateFailed: v2 failed .* requests .*; v1 back at 100 %$/);

    // v2 had traffic while it was judged, and none once the fallback propagated.
    expect(requestsByVersion(sim!, namespace).v2).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 3_000));
    const from = nowSecond(sim!);
    await new Promise((r) => setTimeout(r, 4_000));
    const after = requestsByVersion(sim!, namespace, from, nowSecond(sim!));
    expect(after.v1).toBeGreaterThan(60);
    expect(after.v2 ?? 0).toBe(0);
    expect(requestsByVersion(sim!, namespace).unknown).toBeUndefined();
  });

  it('blue-green: the preview rule sends only x-preview requests to reviews-v2, the switch moves all of them, and a failing gate in the rollback window switches back', async () => {
    namespace = await newNamespace('gw-bluegreen');
    await givenReviews(namespace, ['v1', 'v2']);
    daemons.push(await startDaemon(namespace, 'sluice-a', ['--gateway-api']));
    const spec = canarySpec('v1', {
      routing: 'gatewayAPI',
      strategy: { blueGreen: { previewMatch: { headers: { 'x-preview': { exact: 'true' } } }, previewDuration: '15s', rollbackWindow: '5m' } },
    });
    await givenShift(namespace, spec);
    await waitForPhase(namespace, (s) => s.stableVersion === 'v1' && s.phase === 'Idle', 60_000);
    await waitFor(async () => backendWeights(await getHttpRoute(namespace))['reviews-v1'] === 100, { timeoutMs: 30_000, what: 'the HTTPRoute on reviews-v1' });
    sim = await startMeshSim(
      { seed: 5, propagationDelayMs: 500, services: [{ namespace, service: 'reviews', rps: 30, preview: { headers: { 'x-preview': 'true' }, rps: 10 } }] },
      { log: () => undefined },
    );
    const main = `${namespace}/reviews`;
    const preview = `${namespace}/reviews#preview`;
    /** Per stream, the versions that answered during the next `ms`, after waiting for propagation. */
    const receivedOver = async (ms: number): Promise<Record<string, Record<string, number>>> => {
      await new Promise((r) => setTimeout(r, 2_000));
      const before = sim!.received();
      await new Promise((r) => setTimeout(r, ms));
      const after = sim!.received();
      return Object.fromEntries([main, preview].map((st) => [st, Object.fromEntries(
        Object.entries(after[st] ?? {}).map(([v, n]) => [v, n - (before[st]?.[v] ?? 0)] as const).filter(([, n]) => n > 0),
      )]));
    };

    patchShift(namespace, { spec: { version: 'v2' } });
    await waitFor(async () => (await getHttpRoute(namespace))?.spec.rules.some((r) => r.name === 'preview'), { timeoutMs: 60_000, what: 'the preview rule' });
    const previewRule = (await getHttpRoute(namespace))!.spec.rules.find((r) => r.name === 'preview')!;
    expect(previewRule.backendRefs.map((b) => [b.name, b.weight])).toEqual([['reviews-v2', 100]]);
    const during = await receivedOver(4_000);
    expect(Object.keys(during[main]!)).toEqual(['v1']);
    expect(Object.keys(during[preview]!)).toEqual(['v2']);

    const promoting = await waitForPhase(namespace, 'Promoting', 120_000);
    expect(promoting.weights).toEqual({ stable: 0, candidate: 100 });
    await waitFor(async () => backendWeights(await getHttpRoute(namespace))['reviews-v2'] === 100, { timeoutMs: 30_000, what: 'the switch on the route' });
    // reviews-v1 stays routable (weight 0, its Service kept) for the rollback window
    expect(backendWeights(await getHttpRoute(namespace))).toEqual({ 'reviews-v1': 0, 'reviews-v2': 100 });
    expect(await serviceNames(namespace)).toEqual(['reviews', 'reviews-v1', 'reviews-v2']);
    const switched = await receivedOver(4_000);
    expect(Object.keys(switched[main]!)).toEqual(['v2']);

    sim!.setProfile({ namespace, service: 'reviews', version: 'v2', errorFraction: 0.5 });
    const back = await waitForPhase(namespace, 'RolledBack', 120_000);
    expect(back.stableVersion).toBe('v1');
    await waitFor(async () => backendWeights(await getHttpRoute(namespace))['reviews-v1'] === 100, { timeoutMs: 30_000, what: 'the switch back on the route' });
    const after = await receivedOver(4_000);
    expect(Object.keys(after[main]!)).toEqual(['v1']);
    expect(requestsByVersion(sim!, namespace).unknown).toBeUndefined();
  });
});
