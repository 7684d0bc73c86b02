/**
 * spec.routes end to end (issue 13, "Routes of your own"; ADR 0011): `sluice run` as a child
 * process against the real control plane, Prometheus and the mesh simulator. A game-day fault
 * route for one header stream, kept before sluice's primary route, answers its fault through a
 * canary's steps, a promotion, a fallback and the deletion of the TrafficShift, while the other
 * traffic shifts as usual. The simulator's per-stream counts (`received`) are the ground truth.
 */
import { startMeshSim, type MeshSim } from '../mesh-sim/sim';
import {
  canarySpec, DaemonProcess, deleteNamespace, getIstio, getShift, givenReviews, givenShift, newNamespace, patchShift, sleep, startDaemon, waitForPhase, weightsOf,
} from './daemonFixtures';
import { kubectlOk, promQuery, waitFor } from './env';

jest.setTimeout(420_000);

type Received = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** Requests per stream and version received between two `received()` readings. */
const delta = (before: Received, after: Received): Record<string, Record<string, number>> =>
  Object.fromEntries(
    Object.entries(after).map(([stream, versions]) => [
      stream,
      Object.fromEntries(Object.entries(versions).map(([v, n]) => [v, n - (before[stream]?.[v] ?? 0)]).filter(([, n]) => (n as number) > 0)),
    ]),
  );

/** Time for a route write to reach the simulated data plane (propagationDelayMs 500) plus a tick. */
const PROPAGATION_MS = 1500;

/** The game-day route as an SRE writes it: every request with x-game-day: abort is answered 503. */
const gameDay = {
  name: 'game-day',
  match: [{ headers: { 'x-game-day': { exact: 'abort' } } }],
  fault: { abort: { httpStatus: 503, percentage: { value: 100 } } },
  route: [{ destination: { host: 'reviews' } }],
};

type Route = { name?: string; fault?: unknown; match?: unknown; route?: { destination: { subset?: string }; weight?: number }[] };
const routesOf = async (namespace: string): Promise<Route[]> => ((await getIstio(namespace, 'virtualservices'))?.spec.http ?? []) as Route[];
const splitOf = (r: Route | undefined) => Object.fromEntries((r?.route ?? []).map((d) => [d.destination.subset ?? '', d.weight ?? 100]));

describe('routes of your own (spec.routes)', () => {
  let namespace = '';
  let sim: MeshSim | undefined;
  const daemons: DaemonProcess[] = [];

  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.kill('SIGKILL');
    await sim?.stop();
    sim = undefined;
    await deleteNamespace(namespace);
  });

  it('a before fault route for a header stream answers its fault through steps, a promotion, a fallback and the deletion, while the rest shifts as usual', async () => {
    // Given v1 stable, a shift with the game-day route, a main stream and a game-day stream.
    namespace = await newNamespace('r-userroutes');
    await givenReviews(namespace, ['v1', 'v2', 'v3'], { replicas: 1 });
    daemons.push(await startDaemon(namespace, 'sluice-u'));
    await givenShift(namespace, canarySpec('v1', { routes: { before: [gameDay] } }));
    await waitForPhase(namespace, (st) => st.stableVersion === 'v1' && st.phase === 'Idle', 60_000);
    await waitFor(async () => ((await routesOf(namespace)).length === 2 ? true : undefined), { timeoutMs: 30_000, what: 'the routes' });
    const first = await routesOf(namespace);
    expect(first.map((r) => r.name)).toEqual(['game-day', 'primary']);
    expect(first[0]!.fault).toEqual(gameDay.fault);
    expect(first[0]!.match).toEqual(gameDay.match);
    sim = await startMeshSim(
      { seed: 17, propagationDelayMs: 500, services: [{ namespace, service: 'reviews', rps: 20, streams: [{ name: 'game-day', rps: 6, headers: { 'x-game-day': 'abort' } }] }] },
      { log: () => undefined },
    );
    const main = `${namespace}/reviews`;
    const chaos = `${main}#game-day`;

    // When v2 is the new version, Then the main stream moves to v2 step by step and the gate passes
    // (the aborted requests never reach a pod, so the candidate is not blamed for them),
    // while every game-day request is answered by the fault.
    const v2Start = sim.received();
    patchShift(namespace, { spec: { version: 'v2' } });
    await waitForPhase(namespace, (st) => st.phase === 'Progressing' && st.candidateVersion === 'v2', 60_000);
    const atStep = await waitFor(async () => {
      const routes = await routesOf(namespace);
      return (splitOf(routes[0]).v2 ?? 0) > 0 ? routes : undefined;
    }, { timeoutMs: 60_000, what: 'a step giving v2 weight' });
    expect(atStep.map((r) => r.name)).toEqual(['game-day', 'primary']);
    expect(splitOf(atStep[0])).toEqual(splitOf(atStep[1]));
    const promoted = await waitForPhase(namespace, 'Promoted', 180_000);
    expect(promoted.stableVersion).toBe('v2');
    expect(promoted.lastGate.result).toBe('Pass');
    const steps = delta(v2Start, sim.received());
    expect(steps[chaos]).toEqual({ unknown: expect.any(Number) });
    expect(steps[chaos]!.unknown).toBeGreaterThan(50);
    expect(steps[main]!.v1).toBeGreaterThan(0);
    expect(steps[main]!.v2).toBeGreaterThan(0);
    expect(steps[main]!.unknown ?? 0).toBe(0);

    // Then after the promotion the route is still there, pinned to v2 as the primary route is.
    await waitFor(async () => (splitOf((await routesOf(namespace))[0]).v2 === 100 ? true : undefined), { timeoutMs: 30_000, what: 'the promoted routes' });
    await sleep(PROPAGATION_MS);
    const afterPromotion = sim.received();
    await sleep(3000);
    const promotedTraffic = delta(afterPromotion, sim.received());
    expect(promotedTraffic[main]).toEqual({ v2: expect.any(Number) });
    expect(promotedTraffic[chaos]).toEqual({ unknown: expect.any(Number) });

    // When v3 fails half its requests, Then the gate falls back in one write that keeps the fault
    // route (its split back on v2), and the game-day stream never reaches a pod meanwhile.
    sim.setProfile({ namespace, service: 'reviews', version: 'v3', errorFraction: 0.5 });
    const v3Start = sim.received();
    patchShift(namespace, { spec: { version: 'v3' } });
    await waitForPhase(namespace, (st) => st.phase === 'Progressing' && st.candidateVersion === 'v3', 60_000);
    const back = await waitForPhase(namespace, 'RolledBack', 180_000);
    expect(back.stableVersion).toBe('v2');
    expect(back.lastGate.result).toBe('Fail');
    const during = delta(v3Start, sim.received());
    expect(during[main]!.v3).toBeGreaterThan(0);
    expect(during[chaos]).toEqual({ unknown: expect.any(Number) });
    await waitFor(async () => ((await routesOf(namespace)).every((r) => (splitOf(r).v3 ?? 0) === 0) ? true : undefined), { timeoutMs: 30_000, what: 'the fallback routes' });
    const fellBack = await routesOf(namespace);
    expect(fellBack.map((r) => r.name)).toEqual(['game-day', 'primary']);
    expect(fellBack[0]!.fault).toEqual(gameDay.fault);
    expect(splitOf(fellBack[0])).toEqual({ v2: 100, v3: 0 });
    await sleep(PROPAGATION_MS);
    const afterFallback = sim.received();
    await sleep(3000);
    const restored = delta(afterFallback, sim.received());
    expect(restored[main]).toEqual({ v2: expect.any(Number) });
    expect(restored[chaos]).toEqual({ unknown: expect.any(Number) });

    // When the TrafficShift is deleted, Then the VirtualService left behind keeps the fault route,
    // pinned to v2 like the primary route, and both streams go on as before.
    kubectlOk(['-n', namespace, 'delete', 'trafficshift', 'reviews', '--wait=false']);
    await waitFor(async () => ((await getShift(namespace)) === undefined ? true : undefined), { timeoutMs: 60_000, what: 'the shift to be gone' });
    const released = (await getIstio(namespace, 'virtualservices'))!;
    const pinned = released.spec.http as Route[];
    expect(pinned.map((r) => r.name)).toEqual(['game-day', 'primary']);
    expect(pinned[0]!.fault).toEqual(gameDay.fault);
    expect(splitOf(pinned[0])).toEqual({ v2: 100 });
    expect(weightsOf(released)).toEqual({ v2: 100 });
    await sleep(PROPAGATION_MS);
    const afterDeletion = sim.received();
    await sleep(3000);
    const left = delta(afterDeletion, sim.received());
    expect(left[main]).toEqual({ v2: expect.any(Number) });
    expect(left[chaos]).toEqual({ unknown: expect.any(Number) });

    // The ledger adds up: per-stream counts equal its per-version totals, and every request of
    // version "unknown" (none answered by a pod) is a game-day 503.
    const received = sim.received();
    const perVersion: Record<string, number> = {};
    for (const versions of Object.values(received)) for (const [v, n] of Object.entries(versions)) perVersion[v] = (perVersion[v] ?? 0) + n;
    const totals = sim.totals(main);
    expect(perVersion).toEqual(Object.fromEntries(Object.entries(totals).map(([v, t]) => [v, t.requests])));
    expect(totals.unknown!.requests).toBe(received[chaos]!.unknown);
    expect(totals.unknown!.failures).toBe(totals.unknown!.requests);
    expect(Object.keys(received[chaos]!)).toEqual(['unknown']);

    // And Prometheus has the aborts from the client sidecar only (flag FI), none at the destination the gate reads.
    const service = `destination_service_namespace="${namespace}", destination_service_name="reviews"`;
    const faults = await waitFor(async () => {
      const rows = await promQuery(`sum by (reporter) (istio_requests_total{${service}, response_flags="FI"})`);
      return rows.length > 0 ? rows : undefined;
    }, { timeoutMs: 60_000, intervalMs: 1000, what: 'Prometheus to scrape the aborted requests' });
    expect(faults.map((r) => [r.metric.reporter, Number(r.value[1]) > 0])).toEqual([['source', true]]);
  });
});
