/**
 * TCP services end to end (issue 13, spec.protocol: tcp): `sluice run` against the real control
 * plane and Prometheus, and the mesh simulator opening connections to a Service whose port Istio
 * routes as TCP (`tcp-db`): each connection picks a version by the tcp route's weights, as Envoy's
 * tcp_proxy does, and is reported with Istio's TCP metrics, which the gate reads. The simulator's
 * ledger (connections per version, per second) is the ground truth of which version served which
 * connections.
 *
 * Each test has its own namespace (deleted afterwards) and its own daemon watching only it.
 */
import { startMeshSim, type MeshSim } from '../mesh-sim/sim';
import {
  canarySpec, DaemonProcess, deleteNamespace, eventsFor, getIstio, givenReviews, givenShift, newNamespace, patchShift, sleep, startDaemon,
  waitForPhase, weightsOf,
} from './daemonFixtures';
import { promQuery, waitFor } from './env';

jest.setTimeout(300_000);

/** Time for a route write to reach the simulated data plane (propagationDelayMs 500) plus a tick. */
const PROPAGATION_MS = 1500;
const TCP_PORT = { name: 'tcp-db', port: 5432 };
const tcpSpec = (version: string) => canarySpec(version, { protocol: 'tcp' });

/** The simulator's current second since it started (the ledger's unit). */
const secondNow = (sim: MeshSim): number => Math.floor((Date.now() - sim.ledger().startedAtMs) / 1000);

describe('TCP services', () => {
  let namespace = '';
  let sim: MeshSim | undefined;
  const daemons: DaemonProcess[] = [];

  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.kill('SIGKILL');
    await sim?.stop();
    sim = undefined;
    await deleteNamespace(namespace);
  });

  /** v1 stable under a TCP canary shift of Service reviews (port tcp-db), a daemon, and the simulator opening 12 connections a second. */
  const given = async (prefix: string): Promise<MeshSim> => {
    namespace = await newNamespace(prefix);
    await givenReviews(namespace, ['v1', 'v2'], { replicas: 1, port: TCP_PORT });
    daemons.push(await startDaemon(namespace, 'sluice-a'));
    await givenShift(namespace, tcpSpec('v1'));
    await waitForPhase(namespace, (st) => st.stableVersion === 'v1' && st.phase === 'Idle', 60_000);
    sim = await startMeshSim({ seed: 23, propagationDelayMs: 500, services: [{ namespace, service: 'reviews', rps: 12 }] }, { log: () => undefined });
    return sim;
  };

  /** Connections per version from the ledger over seconds [from, to). */
  const connections = (s: MeshSim, from = 0, to = Number.POSITIVE_INFINITY): Record<string, number> =>
    Object.fromEntries(Object.entries(s.totals(`${namespace}/reviews`, from, to)).filter(([, t]) => t.requests > 0).map(([v, t]) => [v, t.requests]));

  /** The ledger adds up: what the stream opened, per version, is what the ledger booked. */
  const expectLedgerAddsUp = (s: MeshSim) => {
    expect(s.received()[`${namespace}/reviews`]).toEqual(connections(s));
    expect(Object.values(connections(s)).reduce((a, b) => a + b, 0)).toBe(s.sent()[`${namespace}/reviews`]);
  };

  it('promotes a healthy candidate: connections move to v2 by the tcp route weights, the gate counting them from Istio TCP metrics', async () => {
    const s = await given('tcp-promote');
    await sleep(3000);
    const before = secondNow(s);

    // When v2 is the new version
    patchShift(namespace, { spec: { version: 'v2' } });
    await waitForPhase(namespace, (st) => st.phase === 'Progressing' && st.candidateVersion === 'v2', 60_000);
    // Then sluice writes a tcp route and no http one
    const vs = await waitFor(async () => {
      const v = await getIstio(namespace, 'virtualservices');
      return weightsOf(v)['v2'] === 20 ? v : undefined;
    }, { timeoutMs: 30_000, what: 'the first step (20 %) on the tcp route' });
    expect(vs.spec.http).toBeUndefined();
    expect(vs.spec.tcp).toEqual([{ route: [
      { destination: { host: `reviews.${namespace}.svc.cluster.local`, subset: 'v1' }, weight: 80 },
      { destination: { host: `reviews.${namespace}.svc.cluster.local`, subset: 'v2' }, weight: 20 },
    ] }]);
    await sleep(PROPAGATION_MS);
    const firstStep = secondNow(s);
    await waitFor(async () => (weightsOf(await getIstio(namespace, 'virtualservices'))['v2'] === 60 ? true : undefined), { timeoutMs: 90_000, what: 'the second step (60 %)' });
    const secondStep = secondNow(s);
    const promoted = await waitForPhase(namespace, 'Promoted', 120_000);
    expect(promoted.stableVersion).toBe('v2');
    expect(promoted.lastGate.result).toBe('Pass');
    // The gate's counts are connections read from Prometheus: v2 had some in its window.
    expect(promoted.lastGate.requests).toBeGreaterThanOrEqual(5);
    expect(promoted.lastGate.errors).toBe(0);
    await sleep(PROPAGATION_MS);
    const settled = secondNow(s);
    await sleep(4000);

    // And the ledger shows who served which connections: v1 alone before, about 20 % then 60 % to v2 during the steps, v2 alone after.
    expect(Object.keys(connections(s, 0, before))).toEqual(['v1']);
    const step1 = connections(s, firstStep, secondStep - 1);
    const share1 = (step1['v2'] ?? 0) / ((step1['v1'] ?? 0) + (step1['v2'] ?? 0));
    expect(share1).toBeGreaterThan(0.08);
    expect(share1).toBeLessThan(0.35);
    expect(connections(s, settled)).toEqual({ v2: expect.any(Number) });
    expect(Object.values(s.totals(`${namespace}/reviews`)).reduce((a, t) => a + t.failures, 0)).toBe(0);
    // Prometheus saw v2's connections from the server sidecars, as the gate reads them.
    const v2Opened = await promQuery(`sum(istio_tcp_connections_opened_total{reporter="destination", destination_service_namespace="${namespace}", destination_version="v2"})`);
    expect(Number(v2Opened[0]?.value[1] ?? 0)).toBeGreaterThan(0);
    expectLedgerAddsUp(s);
  });

  it('falls back from a candidate whose connections fail: v2 stops getting connections, the failures were all its own', async () => {
    const s = await given('tcp-fallback');

    // When v2 refuses half its connections (its sidecar flags them UF,URX) and becomes the new version
    s.setProfile({ namespace, service: 'reviews', version: 'v2', errorFraction: 0.5 });
    patchShift(namespace, { spec: { version: 'v2' } });
    await waitForPhase(namespace, (st) => st.phase === 'Progressing' && st.candidateVersion === 'v2', 60_000);
    const back = await waitForPhase(namespace, 'RolledBack', 120_000);

    // Then the gate failed it on failed connections, and the tcp route gives v2 nothing
    expect(back.lastGate.result).toBe('Fail');
    expect(back.lastGate.errors).toBeGreaterThan(0);
    expect(weightsOf(await getIstio(namespace, 'virtualservices'))).toEqual({ v1: 100, v2: 0 });
    expect((await eventsFor(namespace)).find((e) => e.reason === 'RolledBack')?.type).toBe('Warning');
    const failedFlags = await promQuery(`sum by (response_flags) (istio_tcp_connections_closed_total{reporter="destination", destination_service_namespace="${namespace}", destination_version="v2"})`);
    expect(failedFlags.map((r) => r.metric['response_flags']).sort()).toEqual(['-', 'UF,URX']);
    await sleep(PROPAGATION_MS);
    const settled = secondNow(s);
    await sleep(6000);

    // And the ledger: after the fallback only v1 serves; every failed connection was v2's.
    expect(connections(s, settled)).toEqual({ v1: expect.any(Number) });
    const totals = s.totals(`${namespace}/reviews`);
    expect(totals['v2']!.requests).toBeGreaterThan(0);
    expect(totals['v2']!.failures).toBeGreaterThan(0);
    expect(totals['v1']!.failures).toBe(0);
    expectLedgerAddsUp(s);
  });

  it("refuses an http shift of a Service whose port Istio routes as TCP, as a condition and an Event naming the port, and writes no route", async () => {
    namespace = await newNamespace('tcp-mismatch');
    await givenReviews(namespace, ['v1'], { replicas: 1, port: TCP_PORT });
    daemons.push(await startDaemon(namespace, 'sluice-a'));
    await givenShift(namespace, canarySpec('v1'));
    const readyOf = (st: Record<string, any>) => st.conditions?.find((c: { type: string }) => c.type === 'Ready');
    const sentence = `${namespace}/reviews: spec.protocol: "http" (the default) cannot route Service ${namespace}/reviews: Istio routes its port 5432 (name "tcp-db") as TCP, so only tcp routes apply to it and sluice's http routes would move no traffic; expected spec.protocol: tcp`;
    const invalid = await waitForPhase(namespace, (st) => readyOf(st)?.reason === 'InvalidSpec', 60_000);
    expect(readyOf(invalid)).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(readyOf(invalid).message).toBe(sentence);
    const event = await waitFor(async () => (await eventsFor(namespace)).find((e) => e.reason === 'InvalidSpec'), { what: 'an InvalidSpec Event' });
    expect(event.type).toBe('Warning');
    expect(event.message).toContain(sentence);
    expect(await getIstio(namespace, 'virtualservices')).toBeUndefined();
    expect(await getIstio(namespace, 'destinationrules')).toBeUndefined();
  });
});
