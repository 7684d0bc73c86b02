/**
 * The mesh simulator against the real control plane and Prometheus (started by the integration
 * project's globalSetup; contract: KUBECONFIG, SLUICE_PROMETHEUS_URL, SLUICE_PROM_TARGETS_DIR and
 * SLUICE_SCRAPE_INTERVAL in the environment). The local control plane has no kubelet, so each test
 * marks its pods Ready itself, as a kubelet would after a passing readiness probe.
 *
 * Each test uses its own namespace and deletes it afterwards.
 */
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { startMeshSim, type MeshSim } from '../mesh-sim/sim';

const PROMETHEUS = process.env.SLUICE_PROMETHEUS_URL ?? '';
const SCRAPE_MS = (Number.parseFloat(process.env.SLUICE_SCRAPE_INTERVAL ?? '5') || 5) * 1000;

const kc = new KubeConfig();
kc.loadFromDefault();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(500);
  }
};

// ---- Given: fixtures ---------------------------------------------------------------------------

const newNamespace = async (prefix: string): Promise<string> => {
  const name = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
};

const deleteNamespace = (name: string) => core.deleteNamespace({ name }).catch(() => undefined);

const givenReviews = async (namespace: string): Promise<void> => {
  await core.createNamespacedService({
    namespace,
    body: { metadata: { name: 'reviews' }, spec: { selector: { app: 'reviews' }, ports: [{ name: 'http', port: 9080 }] } },
  });
  for (const version of ['v1', 'v2']) {
    const labels = { app: 'reviews', version };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: `reviews-${version}`, labels },
        spec: {
          replicas: 3,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'reviews', image: 'example.invalid/reviews:1' }] } },
        },
      },
    });
  }
  await waitFor('6 pods created by the ReplicaSets', async () => {
    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=reviews' });
    return pods.items.length === 6 ? pods.items : undefined;
  });
};

/** Plays kubelet: sets Ready=True on the pods of one version. */
const markReady = async (namespace: string, version: string): Promise<void> => {
  const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=reviews,version=${version}` });
  const now = new Date();
  for (const pod of pods.items) {
    const body: V1Pod = {
      ...pod,
      status: {
        ...pod.status,
        phase: 'Running',
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
          { type: 'Ready', status: 'True', lastTransitionTime: now },
          { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
        ],
      },
    };
    await core.replaceNamespacedPodStatus({ name: pod.metadata?.name ?? '', namespace, body });
  }
};

const givenDestinationRule = (namespace: string) =>
  custom.createNamespacedCustomObject({
    group: 'networking.istio.io',
    version: 'v1',
    namespace,
    plural: 'destinationrules',
    body: {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'reviews' },
      spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] },
    },
  });

const givenVirtualService = (namespace: string, http: unknown[]) =>
  custom.createNamespacedCustomObject({
    group: 'networking.istio.io',
    version: 'v1',
    namespace,
    plural: 'virtualservices',
    body: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews' }, spec: { hosts: ['reviews'], http } },
  });

const weighted = (v1: number, v2: number) => ({
  route: [
    { destination: { host: 'reviews', subset: 'v1' }, weight: v1 },
    { destination: { host: 'reviews', subset: 'v2' }, weight: v2 },
  ],
});

// ---- Then: Prometheus ------------------------------------------------------------------------

type Sample = { metric: Record<string, string>; value: [number, string] };

const query = async (promql: string): Promise<Sample[]> => {
  const res = await fetch(`${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; data?: { result: Sample[] }; error?: string };
  if (body.status !== 'success' || body.data === undefined) throw new Error(`Prometheus: ${body.error ?? res.status}`);
  return body.data.result;
};

/** `sum by (label)` of the query, as a record; waits until the total reaches `atLeast`. */
const sumsBy = async (label: string, selector: string, atLeast: number): Promise<Record<string, number>> =>
  waitFor(`Prometheus to have ${atLeast} requests for ${selector}`, async () => {
    const rows = await query(`sum by (${label}) (istio_requests_total{${selector}})`);
    const sums = Object.fromEntries(rows.map((r) => [r.metric[label] ?? '', Number(r.value[1])]));
    return Object.values(sums).reduce((a, b) => a + b, 0) >= atLeast ? sums : undefined;
  }, 120_000);

const share = (sums: Record<string, number>, key: string) => (sums[key] ?? 0) / Object.values(sums).reduce((a, b) => a + b, 0);

// ---- the tests -----------------------------------------------------------------------------

describe('mesh simulator against the real control plane and Prometheus', () => {
  let namespace = '';
  let sim: MeshSim | undefined;

  beforeAll(() => {
    if (!PROMETHEUS || !process.env.SLUICE_PROM_TARGETS_DIR || !process.env.KUBECONFIG) {
      throw new Error('KUBECONFIG, SLUICE_PROMETHEUS_URL and SLUICE_PROM_TARGETS_DIR must be set (by test/integration/globalSetup.ts)');
    }
  });

  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
    await deleteNamespace(namespace);
  });

  const startSim = (services: unknown[]) =>
    startMeshSim({ seed: 7, services, propagationDelayMs: 1000 }, { log: () => undefined }).then((s) => (sim = s));

  it('splits traffic 80/20 as the VirtualService says, measured through Prometheus within 3 %', async () => {
    namespace = await newNamespace('meshsim-split');
    await givenReviews(namespace);
    await markReady(namespace, 'v1');
    await markReady(namespace, 'v2');
    await givenDestinationRule(namespace);
    await givenVirtualService(namespace, [weighted(80, 20)]);

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

  it('sends preview-header traffic to the candidate only', async () => {
    namespace = await newNamespace('meshsim-preview');
    await givenReviews(namespace);
    await markReady(namespace, 'v1');
    await markReady(namespace, 'v2');
    await givenDestinationRule(namespace);
    await givenVirtualService(namespace, [
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
    await givenReviews(namespace);
    await markReady(namespace, 'v1'); // v2 pods stay unready
    await givenDestinationRule(namespace);
    await givenVirtualService(namespace, [weighted(50, 50)]);

    await startSim([{ namespace, service: 'reviews', rps: 50 }]);
    await sleep(15_000 + SCRAPE_MS);

    const service = `destination_service_namespace="${namespace}", destination_service_name="reviews"`;
    const fromSource = await sumsBy('response_flags', `reporter="source", ${service}`, 500);
    expect(Math.abs(share(fromSource, 'UH') - 0.5)).toBeLessThanOrEqual(0.05);

    const uh = await query(`istio_requests_total{reporter="source", ${service}, response_flags="UH"}`);
    expect(uh.map((r) => [r.metric.response_code, r.metric.destination_workload, r.metric.destination_version])).toEqual([['503', 'unknown', 'unknown']]);

    const atDestination = await query(`sum by (response_code, destination_version) (istio_requests_total{reporter="destination", ${service}})`);
    expect(atDestination.map((r) => [r.metric.response_code, r.metric.destination_version])).toEqual([['200', 'v1']]);
  });
});
