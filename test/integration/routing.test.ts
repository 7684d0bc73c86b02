/**
 * Routing modes end to end (issue 13): `sluice run` as a child process against the real control
 * plane, Prometheus and the mesh simulator, which routes each simulated request the way Envoy
 * would with the VirtualService sluice wrote. The simulator's per-stream counts (`received`) are
 * the ground truth of who got which version.
 *
 * Each test has its own namespace (deleted afterwards) and its own daemon watching only it.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { startMeshSim, type MeshSim } from '../mesh-sim/sim';
import {
  canarySpec, DaemonProcess, deleteNamespace, eventsFor, getIstio, givenDestinationRule, givenReviews, givenShift, givenVirtualService, newNamespace,
  patchShift, sleep, startDaemon, waitForPhase, weightsOf,
} from './daemonFixtures';
import { kubectl, kubectlOk, promQuery, REPO_ROOT, waitFor } from './env';

jest.setTimeout(300_000);

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

describe('routing modes', () => {
  let namespace = '';
  let sim: MeshSim | undefined;
  const daemons: DaemonProcess[] = [];

  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.kill('SIGKILL');
    await sim?.stop();
    sim = undefined;
    await deleteNamespace(namespace);
  });

  it("plan --routes: Istio's CRDs on the API server accept every object of every state of every sample", () => {
    const samples = path.join(REPO_ROOT, 'istio', 'samples');
    const files = readdirSync(samples).filter((f) => /^kind: TrafficShift$/m.test(readFileSync(path.join(samples, f), 'utf8')));
    expect(files.length).toBeGreaterThanOrEqual(5);
    namespace = `r-plan-${Math.random().toString(36).slice(2, 8)}`;
    kubectlOk(['create', 'namespace', namespace]);
    const cli = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
    let objects = 0;
    for (const file of files) {
      const r = spawnSync(process.execPath, [cli, 'plan', '-f', path.join(samples, file), '--routes', '--stable', 'v1', '--json'], { encoding: 'utf8' });
      expect([file, r.status]).toEqual([file, 0]);
      // A VirtualService shift's states carry its DestinationRule and VirtualService; a gatewayAPI
      // shift's its HTTPRoute (checked against the Gateway API CRDs cluster.sh installs) and
      // per-version Services, left out here: offline there is no parent Service to copy ports from.
      type Obj = { metadata: object };
      type State = { state: string; destinationRule?: Obj; virtualService?: Obj; httpRoute?: Obj };
      const states = (JSON.parse(r.stdout).shifts as { routes: { states: State[] } }[]).flatMap((sh) => sh.routes.states);
      const items = states
        .flatMap((st) => (st.httpRoute !== undefined ? [st.httpRoute] : [st.destinationRule, st.virtualService]))
        .map((o) => {
          expect(o).toBeDefined();
          return { ...o, metadata: { ...o!.metadata, namespace } };
        });
      // One server-side dry-run create per object (a List is sent item by item), strict field validation.
      const created = kubectl(['-n', namespace, 'create', '--dry-run=server', '--validate=strict', '-o', 'name', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
      expect([file, created.status, created.stderr]).toEqual([file, 0, '']);
      expect(created.stdout.trim().split('\n')).toHaveLength(items.length);
      objects += items.length;
    }
    expect(objects).toBeGreaterThanOrEqual(40);
  });

  it('mirror: a VirtualService mirror copies 50 % of v1 traffic to v2; clients see only v1; Prometheus sees the copies at the destination only', async () => {
    // Given v1 and v2, and routes that send everything to v1 and mirror half of it to v2.
    namespace = await newNamespace('r-mirror');
    await givenReviews(namespace, ['v1', 'v2'], { replicas: 1 });
    await givenDestinationRule(namespace);
    await givenVirtualService(namespace, {
      hosts: ['reviews'],
      http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' } }], mirror: { host: 'reviews', subset: 'v2' }, mirrorPercentage: { value: 50 } }],
    });
    // When the client sends 40 requests a second for 10 s,
    sim = await startMeshSim({ seed: 5, propagationDelayMs: 500, services: [{ namespace, service: 'reviews', rps: 40 }] }, { log: () => undefined });
    await sleep(10_000);
    // Then every answer the client got came from v1, and v2 answered about half as many copies.
    const main = `${namespace}/reviews`;
    const seen = sim.received()[main]!;
    const copies = sim.mirroredTotals(main).v2?.requests ?? 0;
    expect(Object.keys(seen)).toEqual(['v1']);
    expect(copies / seen.v1!).toBeGreaterThan(0.35);
    expect(copies / seen.v1!).toBeLessThan(0.65);
    // And Prometheus counts the copies under the Service at reporter="destination", none at the source.
    const byReporter = async () =>
      Object.fromEntries(
        (await promQuery(`sum by (reporter) (istio_requests_total{destination_service_namespace="${namespace}", destination_service_name="reviews", destination_version="v2"})`)).map((r) => [
          r.metric.reporter ?? '',
          Number(r.value[1]),
        ]),
      );
    const counted = await waitFor(async () => {
      const rows = await byReporter();
      return (rows.destination ?? 0) > 0 ? rows : undefined;
    }, { timeoutMs: 60_000, intervalMs: 1000, what: 'Prometheus to scrape the mirrored copies' });
    expect(counted.source ?? 0).toBe(0);
  });

  it('A/B: only users with the beta cookie or header reach the candidate; a passing gate promotes it, a failing one sends them back to stable', async () => {
    // Given v1 stable, three client populations, and an A/B shift on a cookie (by regex) or a header.
    namespace = await newNamespace('r-abtest');
    await givenReviews(namespace, ['v1', 'v2', 'v3'], { replicas: 1 });
    daemons.push(await startDaemon(namespace, 'sluice-a'));
    const abTest = {
      match: [{ headers: { cookie: { regex: '^(.*?;\\s*)?user=beta(;.*)?$' } } }, { headers: { 'x-group': { exact: 'beta' } } }],
      iterations: 2,
    };
    await givenShift(namespace, canarySpec('v1', { strategy: { abTest } }));
    await waitForPhase(namespace, (st) => st.stableVersion === 'v1' && st.phase === 'Idle', 60_000);
    sim = await startMeshSim(
      {
        seed: 13, propagationDelayMs: 500,
        services: [{
          namespace, service: 'reviews', rps: 20,
          streams: [
            { name: 'cookie', rps: 8, headers: { cookie: 'theme=dark; user=beta' } },
            { name: 'header', rps: 4, headers: { 'x-group': 'beta' } },
            { name: 'lookalike', rps: 4, headers: { cookie: 'user=betamax', 'x-group': 'beta-2' } },
          ],
        }],
      },
      { log: () => undefined },
    );
    const main = `${namespace}/reviews`;
    const [cookie, header, lookalike] = ['cookie', 'header', 'lookalike'].map((s) => `${main}#${s}`);

    // When v2 is the new version, Then only the beta populations reach it, and all of their requests do.
    patchShift(namespace, { spec: { version: 'v2' } });
    await waitForPhase(namespace, (st) => st.phase === 'Progressing' && st.candidateVersion === 'v2', 60_000);
    // Status is written before the routes it decides (ADR 0005): wait for the ab-test route itself.
    const routeNames = async () => ((await getIstio(namespace, 'virtualservices'))?.spec.http ?? []).map((r: { name: string }) => r.name);
    await waitFor(async () => ((await routeNames()).includes('ab-test') ? true : undefined), { timeoutMs: 30_000, what: 'the ab-test route' });
    const vs = (await getIstio(namespace, 'virtualservices'))!;
    expect(vs.spec.http.map((r: { name: string }) => r.name)).toEqual(['ab-test', 'primary']);
    expect(weightsOf(vs)).toMatchObject({ v1: 100 });
    await sleep(PROPAGATION_MS);
    const start = sim.received();
    await sleep(8000);
    const testing = delta(start, sim.received());
    expect(testing[main]).toEqual({ v1: expect.any(Number) });
    expect(testing[lookalike]).toEqual({ v1: expect.any(Number) });
    expect(testing[cookie]).toEqual({ v2: expect.any(Number) });
    expect(testing[header]).toEqual({ v2: expect.any(Number) });
    expect(testing[cookie].v2).toBeGreaterThan(40); // 8 rps for 8 s

    // Then after `iterations` passing gate intervals v2 is promoted and everyone gets it.
    const promoted = await waitForPhase(namespace, 'Promoted', 120_000);
    expect(promoted.stableVersion).toBe('v2');
    expect(promoted.lastGate.result).toBe('Pass');
    await sleep(PROPAGATION_MS);
    const afterPromotion = sim.received();
    await sleep(3000);
    const everyone = delta(afterPromotion, sim.received());
    for (const stream of [main, cookie, header, lookalike]) expect(everyone[stream]).toEqual({ v2: expect.any(Number) });

    // When v3 answers half its requests with 500 and becomes the new version,
    // Then only the beta populations saw it, and the failing gate sends them back to v2 in one write.
    sim.setProfile({ namespace, service: 'reviews', version: 'v3', errorFraction: 0.5 });
    patchShift(namespace, { spec: { version: 'v3' } });
    await waitForPhase(namespace, (st) => st.phase === 'Progressing' && st.candidateVersion === 'v3', 60_000);
    const v3Start = sim.received();
    const back = await waitForPhase(namespace, 'RolledBack', 120_000);
    expect(back.stableVersion).toBe('v2');
    expect(back.lastGate.result).toBe('Fail');
    const during = delta(v3Start, sim.received());
    expect(during[main].v3 ?? 0).toBe(0);
    expect(during[lookalike].v3 ?? 0).toBe(0);
    expect(during[cookie].v3).toBeGreaterThan(0);
    await waitFor(async () => ((await routeNames()).includes('ab-test') ? undefined : true), { timeoutMs: 30_000, what: 'the ab-test route to go' });
    const after = (await getIstio(namespace, 'virtualservices'))!;
    expect(after.spec.http.map((r: { name: string }) => r.name)).toEqual(['primary']);
    expect(weightsOf(after)).toMatchObject({ v2: 100 });
    await sleep(PROPAGATION_MS);
    const afterFallback = sim.received();
    await sleep(3000);
    const restored = delta(afterFallback, sim.received());
    for (const stream of [main, cookie, header, lookalike]) expect(restored[stream]).toEqual({ v2: expect.any(Number) });
    expect((await eventsFor(namespace)).find((e) => e.reason === 'RolledBack')?.type).toBe('Warning');
    // The per-stream counts add up to the ledger.
    const perVersion: Record<string, number> = {};
    for (const versions of Object.values(sim.received())) for (const [v, n] of Object.entries(versions)) perVersion[v] = (perVersion[v] ?? 0) + n;
    expect(perVersion).toEqual(Object.fromEntries(Object.entries(sim.totals(main)).map(([v, t]) => [v, t.requests])));
  });
});
