/**
 * The mesh simulator against the real control plane and Prometheus brought up by the integration
 * project's globalSetup (KUBECONFIG, SLUICE_PROMETHEUS_URL, SLUICE_PROM_TARGETS_DIR and
 * SLUICE_SCRAPE_INTERVAL in the environment). The environment's pod simulator plays kubelet: pods
 * become Ready unless annotated `sim.sluice.dev/unready: "true"`.
 *
 * Each test uses its own namespace and deletes it afterwards.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startMeshSim, type MeshSim } from '../mesh-sim/sim';
import { apps, core, custom, deleteNamespace, deployment, givenDestinationRule, givenReviews, givenVirtualService, ISTIO, newNamespace, sleep } from './daemonFixtures';
import { promQuery, REPO_ROOT, waitFor } from './env';

/** SLUICE_SCRAPE_INTERVAL as Prometheus writes durations ("5s", "500ms", "1m"); default 5 s. */
const scrapeIntervalMs = (): number => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(process.env.SLUICE_SCRAPE_INTERVAL ?? '');
  if (!m) return 5000;
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 } as const)[(m[2] ?? 's') as 'ms' | 's' | 'm'];
};

// ---- Given: fixtures (daemonFixtures.ts) -------------------------------------------------------

/** Service reviews and Deployments reviews-v1 / reviews-v2, 3 replicas each; waits for the pods. */
const givenReviewsV1V2 = (namespace: string, unready: string[] = []) => givenReviews(namespace, ['v1', 'v2'], { replicas: 3, unready });

/** VirtualService reviews with these HTTP routes. */
const givenRoutes = (namespace: string, http: unknown[]) => givenVirtualService(namespace, { hosts: ['reviews'], http });

const weighted = (v1: number, v2: number) => ({
  route: [
    { destination: { host: 'reviews', subset: 'v1' }, weight: v1 },
    { destination: { host: 'reviews', subset: 'v2' }, weight: v2 },
  ],
});

// ---- Then: Prometheus ------------------------------------------------------------------------

/** `sum by (label)` of istio_requests_total{selector}; waits until the total reaches `atLeast`. */
const sumsBy = (label: string, selector: string, atLeast: number): Promise<Record<string, number>> =>
  waitFor(
    async () => {
      const rows = await promQuery(`sum by (${label}) (istio_requests_total{${selector}})`);
      const sums = Object.fromEntries(rows.map((r) => [r.metric[label] ?? '', Number(r.value[1])]));
      return Object.values(sums).reduce((a, b) => a + b, 0) >= atLeast ? sums : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 1000, what: `Prometheus to count ${atLeast} requests for {${selector}}` },
  );

const share = (sums: Record<string, number>, key: string) => (sums[key] ?? 0) / Object.values(sums).reduce((a, b) => a + b, 0);

// ---- the tests -----------------------------------------------------------------------------

describe('mesh simulator against the real control plane and Prometheus', () => {
  let namespace = '';
  let sim: MeshSim | undefined;

  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
    await deleteNamespace(namespace);
  });

  const startSim = (services: unknown[]) =>
    startMeshSim({ seed: 7, services, propagationDelayMs: 1000 }, { log: () => undefined }).then((s) => (sim = s));

  it('splits traffic 80/20 as the VirtualService says, measured through Prometheus within 3 %', async () => {
    namespace = await newNamespace('meshsim-split');
    await givenReviewsV1V2(namespace);
    await givenDestinationRule(namespace);
    await givenRoutes(namespace, [weighted(80, 20)]);

    const s = await startSim([{ namespace, service: 'reviews', rps: 100 }]);
    await sleep(30_000);

    const selector = `reporter="destination", destination_service_namespace="${namespace}", destination_service_name="reviews"`;
    const byVersion = await sumsBy('destination_version', selector, 2500);
    expect(Math.abs(share(byVersion, 'v1') - 0.8)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(share(byVersion, 'v2') - 0.2)).toBeLessThanOrEqual(0.03);

    const byWorkload = await sumsBy('destination_workload', selector, 1);
    expect(Object.keys(byWorkload).sort()).toEqual(['reviews-v1', 'reviews-v2']);

    const truth = s.totals(`${namespace}/reviews`);
    expect(Math.abs(truth.v2.requests / (truth.v1.requests + truth.v2.requests) - 0.2)).toBeLessThanOrEqual(0.03);
  });

  it("labels versions as Istio does, not by the shift's versionLabel: pods told apart only by `track` report no destination_version", async () => {
    namespace = await newNamespace('meshsim-labels');
    // Given pods that carry no `version` label: stable ones nothing else, canary ones app.kubernetes.io/version.
    await core.createNamespacedService({ namespace, body: { metadata: { name: 'reviews' }, spec: { selector: { app: 'reviews' }, ports: [{ name: 'http', port: 9080 }] } } });
    await apps.createNamespacedDeployment({ namespace, body: deployment('reviews-stable', { app: 'reviews', track: 'stable' }, 2) });
    await apps.createNamespacedDeployment({ namespace, body: deployment('reviews-canary', { app: 'reviews', track: 'canary', 'app.kubernetes.io/version': '2.0.0' }, 2) });
    await waitFor(async () => (await core.listNamespacedPod({ namespace, labelSelector: 'app=reviews' })).items.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === 4, {
      timeoutMs: 90_000, what: '4 Ready reviews pods',
    });
    await custom.createNamespacedCustomObject({
      ...ISTIO, namespace, plural: 'destinationrules',
      body: { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'reviews' }, spec: { host: 'reviews', subsets: [{ name: 'stable', labels: { track: 'stable' } }, { name: 'canary', labels: { track: 'canary' } }] } },
    });
    await givenRoutes(namespace, [{ route: [{ destination: { host: 'reviews', subset: 'stable' }, weight: 50 }, { destination: { host: 'reviews', subset: 'canary' }, weight: 50 }] }]);

    // When traffic flows with the simulator keyed by `track` (what a TrafficShift with versionLabel: track would use).
    const s = await startSim([{ namespace, service: 'reviews', rps: 50, versionLabel: 'track' }]);
    await sleep(15_000);

    // Then both tracks served requests (ground truth) ...
    const truth = s.totals(`${namespace}/reviews`);
    expect(truth.stable?.requests).toBeGreaterThan(100);
    expect(truth.canary?.requests).toBeGreaterThan(100);
    // ... but the server side reports no destination_version at all (Istio reads only the `version` label),
    const selector = `reporter="destination", destination_service_namespace="${namespace}", destination_service_name="reviews"`;
    const byVersion = await sumsBy('destination_version', selector, 400);
    expect(Object.keys(byVersion)).toEqual(['']);
    // and the canonical revision is app.kubernetes.io/version where there is one, else "latest".
    const byRevision = await sumsBy('destination_canonical_revision', selector, 400);
    expect(Object.keys(byRevision).sort()).toEqual(['2.0.0', 'latest']);
    expect(Math.abs(share(byRevision, '2.0.0') - 0.5)).toBeLessThanOrEqual(0.1);
  });

  it('sends preview-header traffic to the candidate only', async () => {
    namespace = await newNamespace('meshsim-preview');
    await givenReviewsV1V2(namespace);
    await givenDestinationRule(namespace);
    await givenRoutes(namespace, [
      { name: 'preview', match: [{ headers: { 'x-preview': { exact: 'true' } } }], route: [{ destination: { host: 'reviews', subset: 'v2' } }] },
      { name: 'stable', route: [{ destination: { host: 'reviews', subset: 'v1' } }] },
    ]);

    const s = await startSim([{ namespace, service: 'reviews', rps: 20, preview: { headers: { 'x-preview': 'true' }, rps: 5 } }]);
    await sleep(20_000);

    const sent = s.sent();
    const truth = s.totals(`${namespace}/reviews`);
    expect(truth.v2.requests).toBe(sent[`${namespace}/reviews#preview`]);
    expect(truth.v1.requests).toBe(sent[`${namespace}/reviews`]);

    const selector = `reporter="destination", destination_service_namespace="${namespace}", destination_service_name="reviews"`;
    const byVersion = await sumsBy('destination_version', selector, 400);
    expect(Math.abs(share(byVersion, 'v2') - 0.2)).toBeLessThanOrEqual(0.03);
  });

  it('answers 503 UH, reported by the source only, for a routed subset without ready pods', async () => {
    namespace = await newNamespace('meshsim-uh');
    await givenReviewsV1V2(namespace, ['v2']);
    await givenDestinationRule(namespace);
    await givenRoutes(namespace, [weighted(50, 50)]);

    await startSim([{ namespace, service: 'reviews', rps: 50 }]);
    await sleep(15_000 + scrapeIntervalMs());

    const service = `destination_service_namespace="${namespace}", destination_service_name="reviews"`;
    const fromSource = await sumsBy('response_flags', `reporter="source", ${service}`, 500);
    expect(Math.abs(share(fromSource, 'UH') - 0.5)).toBeLessThanOrEqual(0.05);

    const uh = await promQuery(`istio_requests_total{reporter="source", ${service}, response_flags="UH"}`);
    expect(uh.map((r) => [r.metric.response_code, r.metric.destination_workload, r.metric.destination_version])).toEqual([['503', 'unknown', 'unknown']]);

    const atDestination = await promQuery(`sum by (response_code, destination_version) (istio_requests_total{reporter="destination", ${service}})`);
    expect(atDestination.map((r) => [r.metric.response_code, r.metric.destination_version])).toEqual([['200', 'v1']]);
  });

  it('applies a route change the configured propagation delay after the watch event', async () => {
    namespace = await newNamespace('meshsim-delay');
    await givenReviewsV1V2(namespace);
    await givenDestinationRule(namespace);
    await givenRoutes(namespace, [weighted(100, 0)]);
    const s = await startMeshSim({ services: [{ namespace, service: 'reviews', rps: 50 }], propagationDelayMs: 3000 }, { log: () => undefined });
    sim = s;
    await sleep(2000);

    const vs = (await custom.getNamespacedCustomObject({ ...ISTIO, namespace, plural: 'virtualservices', name: 'reviews' })) as { spec: object };
    const changedAt = Date.now();
    await custom.replaceNamespacedCustomObject({ ...ISTIO, namespace, plural: 'virtualservices', name: 'reviews', body: { ...vs, spec: { hosts: ['reviews'], http: [weighted(0, 100)] } } });
    await sleep(6000);

    const ledger = s.ledger();
    const v2Seconds = ledger.services[`${namespace}/reviews`].v2.map((c) => ledger.startedAtMs + c.second * 1000);
    // ledger seconds are whole: the first v2 second starts at most 1 s before the switch
    expect(v2Seconds[0]).toBeGreaterThanOrEqual(changedAt + 3000 - 1000);
    expect(v2Seconds[0]).toBeLessThanOrEqual(changedAt + 3000 + 1000);
  });

  it('fails requests as profiles say, set through POST /profiles and the schedule, and the usual 5xx query sees it', async () => {
    namespace = await newNamespace('meshsim-errors');
    await givenReviewsV1V2(namespace);
    await givenDestinationRule(namespace);
    await givenRoutes(namespace, [weighted(50, 50)]);

    const s = await startMeshSim(
      { seed: 11, services: [{ namespace, service: 'reviews', rps: 60 }], schedule: [{ atSeconds: 5, namespace, service: 'reviews', version: 'v2', errorFraction: 0.5 }] },
      { log: () => undefined },
    );
    sim = s;
    const res = await fetch(`${s.url}/profiles`, { method: 'POST', body: JSON.stringify({ namespace, service: 'reviews', version: 'v1', errorFraction: 0.1 }) });
    expect(res.status).toBe(200);
    await sleep(25_000);

    const failures = await waitFor(
      async () => {
        const rows = await promQuery(
          `sum by (destination_service_namespace, destination_service_name, destination_version) (increase(istio_requests_total{reporter="destination", response_code=~"5..", destination_service_namespace="${namespace}"}[1m]))`,
        );
        return rows.length === 2 ? Object.fromEntries(rows.map((r) => [r.metric.destination_version, Number(r.value[1])])) : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000, what: 'Prometheus to see 5xx from v1 and v2' },
    );
    const truth = s.totals(`${namespace}/reviews`);
    expect(truth.v2.failures / truth.v2.requests).toBeGreaterThan(0.3); // 0 for 5 s, then 0.5
    expect(Math.abs(truth.v1.failures / truth.v1.requests - 0.1)).toBeLessThan(0.05);
    expect(failures.v2).toBeGreaterThan(failures.v1);
  });

  it('runs from the CLI: registers with Prometheus, then on SIGTERM writes the ledger, unregisters and exits 0', async () => {
    const cli = path.join(REPO_ROOT, 'dist', 'test', 'mesh-sim', 'main.js');
    if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-sim-cli-'));
    const configFile = path.join(dir, 'mesh-sim.json');
    const ledgerFile = path.join(dir, 'ledger.json');
    namespace = await newNamespace('meshsim-cli');
    await givenReviewsV1V2(namespace);
    fs.writeFileSync(configFile, JSON.stringify({ ledgerPath: ledgerFile, services: [{ namespace, service: 'reviews', rps: 10 }] }));

    const child = spawn(process.execPath, [cli, '--config', configFile], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    try {
      const { port } = await waitFor(() => (stdout.includes('\n') ? (JSON.parse(stdout.split('\n')[0]) as { port: number }) : undefined), {
        timeoutMs: 60_000,
        what: 'the CLI to print its port',
      });
      const target = path.join(process.env.SLUICE_PROM_TARGETS_DIR ?? '', `mesh-sim-${port}.json`);
      expect(JSON.parse(fs.readFileSync(target, 'utf8'))).toEqual([{ targets: [`127.0.0.1:${port}`], labels: { job: 'mesh-sim' } }]);
      await waitFor(async () => (await promQuery(`up{job="mesh-sim", instance="127.0.0.1:${port}"} == 1`)).length === 1, {
        timeoutMs: 60_000,
        what: 'Prometheus to scrape the CLI',
      });

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(fs.existsSync(target)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const ledger = JSON.parse(fs.readFileSync(ledgerFile, 'utf8')) as { services: Record<string, Record<string, unknown[]>> };
    expect(Object.keys(ledger.services[`${namespace}/reviews`]).sort()).toEqual(['v1', 'v2']);
  });
});
