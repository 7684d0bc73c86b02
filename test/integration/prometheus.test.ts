/**
 * The gate's Prometheus side against the real Prometheus and the mesh simulator.
 *
 * Given two namespaces, each with Service reviews and versions v1 / v2 routed by a VirtualService
 * (80/20 in the first, 50/50 with v2 failing 20 % in the second), and simulated traffic,
 * when the sampler takes one batched sample of both shifts (plus a shift without traffic and one
 * with hostile label values),
 * then one query per metric answered all of them, each shift got its own candidate's counts (the
 * same numbers as a per-shift query at the same instant), and the others got "no data" counts.
 * An unreachable Prometheus, a broken template, a silent server and a proxy error page give
 * Unavailable samples with their reason — never a verdict.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as E from 'fp-ts/Either';
import { startMeshSim, type MeshSim } from '../mesh-sim/sim';
import { GateSample } from '../../src/core/types';
import { Prometheus, prometheusClient } from '../../src/prometheus/client';
import { GateTarget } from '../../src/prometheus/queries';
import { createGateSampler } from '../../src/prometheus/sampler';
import { crankedTimer } from '../unit/prometheus/fixtures';
import { PoolOptions, prometheusPool } from '../../src/prometheus/connections';
import { kubectl, kubectlOk, waitFor } from './env';

// The project's testTimeout is not applied per project by jest; hooks and tests here take minutes.
jest.setTimeout(300_000);

const PROM = process.env.SLUICE_PROMETHEUS_URL ?? '';
const HOSTILE = 'a"}or vector(1)#';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const suffix = () => Math.random().toString(36).slice(2, 8);

// ---- Given ---------------------------------------------------------------------------------------

const apply = (objects: object[]) => kubectlOk(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));

/** Namespace with Service reviews, one Ready pod each of v1 and v2, and routes v1/v2 by weight. */
const givenReviews = async (namespace: string, v2Weight: number): Promise<void> => {
  kubectlOk(['create', 'namespace', namespace]);
  const deployment = (version: string) => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `reviews-${version}`, namespace, labels: { app: 'reviews', version } },
    spec: {
      replicas: 1, selector: { matchLabels: { app: 'reviews', version } },
      template: { metadata: { labels: { app: 'reviews', version } }, spec: { containers: [{ name: 'reviews', image: 'example.invalid/reviews:1' }] } },
    },
  });
  const subsets = ['v1', 'v2'].map((v) => ({ name: v, labels: { version: v } }));
  const route = [
    { destination: { host: 'reviews', subset: 'v1' }, weight: 100 - v2Weight },
    { destination: { host: 'reviews', subset: 'v2' }, weight: v2Weight },
  ];
  apply([
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'reviews', namespace }, spec: { selector: { app: 'reviews' }, ports: [{ name: 'http', port: 9080 }] } },
    deployment('v1'),
    deployment('v2'),
    { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'reviews', namespace }, spec: { host: 'reviews', subsets } },
    { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews', namespace }, spec: { hosts: ['reviews'], http: [{ route }] } },
  ]);
  await waitFor(() => {
    const pods = JSON.parse(kubectlOk(['get', 'pods', '-n', namespace, '-l', 'app=reviews', '-o', 'json'])) as {
      items: { status?: { conditions?: { type: string; status: string }[] } }[];
    };
    return pods.items.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === 2;
  }, { timeoutMs: 90_000, intervalMs: 500, what: `reviews-v1 and reviews-v2 Ready in ${namespace}` });
};

const target = (namespace: string, service: string, version: string, over: Partial<GateTarget['analysis']> = {}): GateTarget => ({
  key: `${namespace}/${service}`, namespace, service, version,
  analysis: { intervalMs: 30_000, maxErrorRate: 0.01, minRequests: 20, failureThreshold: 2, noData: 'hold', method: 'threshold', falseFailureRate: 0.01, ...over },
});

/** A real client that counts the queries it sends. */
const counting = (url: string, timeoutMs?: number) => {
  const client = prometheusClient({ url, ...(timeoutMs ? { timeoutMs } : {}) });
  const sent: string[] = [];
  const prometheus: Prometheus = { ...client, query: (expr, at) => (sent.push(expr), client.query(expr, at)) };
  return { prometheus, sent };
};

/** One sample of every target, taken now, through the real pool (default connection `defaultUrl`) whose clients are `prometheus`. */
const sampleOnce = async (prometheus: Prometheus, targets: GateTarget[], defaultUrl = PROM, options: PoolOptions = { allowQueries: true }) => {
  const pool = prometheusPool({ default: { url: defaultUrl } }, options);
  const timer = crankedTimer();
  const sampler = createGateSampler({ prometheusFor: { ...pool, client: () => prometheus }, defaultUrl, onSample: () => undefined, every: timer.every });
  sampler.setActive(targets);
  sampler.start();
  await timer.tickNow();
  sampler.stop();
  return (key: string): GateSample | undefined => sampler.latest(key);
};

/** A loopback server answering with `handler`, closed after the test. */
const servers: http.Server[] = [];
const serve = async (handler: http.RequestListener): Promise<string> => {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

const closedPort = async (): Promise<string> => {
  const url = await serve(() => undefined);
  const server = servers.pop()!;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  return url;
};

// ---- the tests -------------------------------------------------------------------------------

describe('gate queries against the real Prometheus and the mesh simulator', () => {
  const ns1 = `gate-a-${suffix()}`;
  const ns2 = `gate-b-${suffix()}`;
  let sim: MeshSim | undefined;

  beforeAll(async () => {
    await givenReviews(ns1, 20);
    await givenReviews(ns2, 50);
    sim = await startMeshSim(
      {
        seed: 11,
        services: [{ namespace: ns1, service: 'reviews', rps: 40 }, { namespace: ns2, service: 'reviews', rps: 40 }],
        profiles: [{ namespace: ns2, service: 'reviews', version: 'v2', errorFraction: 0.2 }],
      },
      { log: () => undefined },
    );
    // traffic for more than one window, and Prometheus scraping the simulator
    await sleep(35_000);
    await waitFor(async () => {
      const v = await prometheusClient({ url: PROM }).query(`sum(istio_requests_total{destination_service_namespace="${ns2}"})`)();
      return E.isRight(v) && (v.right[0]?.value ?? 0) > 500;
    }, { timeoutMs: 60_000, intervalMs: 1000, what: 'Prometheus to have scraped the simulator' });
  });

  afterAll(async () => {
    await sim?.stop();
    for (const ns of [ns1, ns2]) kubectl(['delete', 'namespace', ns, '--wait=false']);
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  });

  it('answers two shifts in two namespaces with one query per metric and per-version counts', async () => {
    const { prometheus, sent } = counting(PROM);
    const latest = await sampleOnce(prometheus, [
      target(ns1, 'reviews', 'v2'),
      target(ns2, 'reviews', 'v2', { maxP99LatencyMs: 500 }),
      target(ns1, 'ratings', 'v2'),
      target(HOSTILE, '.*', 'v2'),
    ]);
    expect(sent).toHaveLength(3);

    const a = latest(`${ns1}/reviews`);
    const b = latest(`${ns2}/reviews`);
    if (a?._tag !== 'Measured' || b?._tag !== 'Measured') throw new Error(`expected counts, got ${JSON.stringify([a, b])}`);

    // the same numbers as a query of that shift alone, at the same instant
    const alone = async (ns: string, extra = '') => {
      const v = await prometheusClient({ url: PROM }).query(
        `sum(increase(istio_requests_total{reporter="destination", destination_service_namespace="${ns}", destination_service_name="reviews", destination_version="v2"${extra}}[30s]))`, a.at)();
      return E.isRight(v) ? (v.right[0]?.value ?? 0) : NaN;
    };
    expect(a.requests).toBeCloseTo(await alone(ns1), 6);
    expect(b.requests).toBeCloseTo(await alone(ns2), 6);
    expect(b.errors).toBeCloseTo(await alone(ns2, ', response_code=~"5.."'), 6);

    // and they look like the traffic: 20 % vs 50 % of 40 rps over 30 s, v2 failing 20 % in ns2 only
    expect(a.requests).toBeGreaterThan(120);
    expect(b.requests).toBeGreaterThan(a.requests);
    expect(a.errors).toBe(0);
    expect(b.errors / b.requests).toBeGreaterThan(0.1);
    expect(b.errors / b.requests).toBeLessThan(0.3);
    expect(b.p99LatencyMs).toBeGreaterThan(0);
    expect(a).not.toHaveProperty('p99LatencyMs');

    // a Service without traffic and the hostile values: absent series, i.e. "no data" counts
    expect(latest(`${ns1}/ratings`)).toMatchObject({ _tag: 'Measured', requests: 0, errors: 0 });
    expect(latest(`${HOSTILE}/.*`)).toMatchObject({ _tag: 'Measured', requests: 0, errors: 0 });
  });

  it('renders a custom template with escaped values and queries it on its own', async () => {
    const { prometheus, sent } = counting(PROM);
    const query = {
      requests: 'sum(increase(istio_requests_total{reporter="destination", destination_service_namespace="{{namespace}}", destination_version=~"{{version}}"}[{{interval}}]))',
      errors: 'sum(increase(istio_requests_total{reporter="destination", destination_service_namespace="{{namespace}}", destination_version=~"{{version}}", response_code=~"5.."}[{{interval}}]))',
    };
    const latest = await sampleOnce(prometheus, [target(ns2, 'reviews', 'v2', { query }), target(ns1, 'reviews', '.*', { query })]);
    expect(sent).toHaveLength(4);
    expect(latest(`${ns2}/reviews`)).toMatchObject({ _tag: 'Measured' });
    expect((latest(`${ns2}/reviews`) as { requests: number }).requests).toBeGreaterThan(100);
    // ".*" is quoted: it matches no version, instead of all of them
    expect(latest(`${ns1}/reviews`)).toMatchObject({ _tag: 'Measured', requests: 0 });
  });

  it('is Unavailable, never a verdict, when Prometheus cannot be reached', async () => {
    const url = await closedPort();
    const latest = await sampleOnce(prometheusClient({ url }), [target(ns1, 'reviews', 'v2'), target(ns2, 'reviews', 'v2')], url);
    for (const key of [`${ns1}/reviews`, `${ns2}/reviews`]) {
      const s = latest(key);
      expect(s?._tag).toBe('Unavailable');
      expect(s?._tag === 'Unavailable' && s.reason).toMatch(new RegExp(`^the requests query failed: Prometheus at ${url} could not be reached: .*ECONNREFUSED`));
    }
  });

  it('is Unavailable with Prometheus\' own words when a template does not parse', async () => {
    const broken = { requests: 'sum(increase(istio_requests_total{destination_version="{{version}}"}[{{interval}}])', errors: 'vector(0)' };
    const latest = await sampleOnce(prometheusClient({ url: PROM }), [target(ns1, 'reviews', 'v2', { query: broken })]);
    const s = latest(`${ns1}/reviews`);
    expect(s?._tag === 'Unavailable' && s.reason).toMatch(/^the requests query failed: Prometheus at .* rejected the query \(bad_data\): .*parse error/);
  });

  it("counts a candidate's first 5xx at the first read after Prometheus scraped them, where increase() sees none (issue 11)", async () => {
    // Given ns1's v2 answering without errors for a while: it has no 5xx series yet
    const errorsOfV2 = `istio_requests_total{reporter="destination", destination_service_namespace="${ns1}", destination_service_name="reviews", destination_version="v2", response_code=~"5.."}`;
    const client = prometheusClient({ url: PROM });
    const vector = async (expr: string, at?: number) => {
      const v = await client.query(expr, at)();
      if (E.isLeft(v)) throw new Error(`${expr}: ${JSON.stringify(v.left)}`);
      return v.right;
    };
    expect(await vector(errorsOfV2)).toEqual([]);
    const evidenceSince = Date.now() - 20_000;
    try {
      // When v2 starts failing 20 % and Prometheus scrapes its first errors (Istio creates the series then)
      sim!.setProfile({ namespace: ns1, service: 'reviews', version: 'v2', errorFraction: 0.2 });
      const born = await waitFor(async () => {
        const v = await vector(`timestamp(${errorsOfV2})`);
        return v.length > 0 ? Math.max(...v.map((x) => x.value)) * 1000 : undefined;
      }, { timeoutMs: 60_000, intervalMs: 200, what: 'the first 5xx series of v2' });
      const firstErrors = (await vector(errorsOfV2, born)).reduce((sum, x) => sum + x.value, 0);
      await sleep(Math.max(0, born + 1_500 - Date.now())); // when the sampler reads: 1.5 s after the scrape
      // Then the sequential shift's first read counts them
      const latest = await sampleOnce(client, [{ ...target(ns1, 'reviews', 'v2', { method: 'sequential', intervalMs: 10_000 }), evidenceSince }]);
      const s = latest(`${ns1}/reviews`);
      if (s?._tag !== 'Measured') throw new Error(`expected counts, got ${JSON.stringify(s)}`);
      expect(firstErrors).toBeGreaterThan(0);
      expect(s.errors).toBeGreaterThanOrEqual(firstErrors);
      expect(s.requests).toBeGreaterThan(s.errors);
      // while increase() over the same window, from the one sample of the new series, says 0
      const window = `${Math.round(s.windowMs / 1000)}s`;
      const samplesSoFar = await vector(`count_over_time(${errorsOfV2}[${window}])`, s.at);
      if (samplesSoFar.every((x) => x.value === 1)) expect(await vector(`sum(increase(${errorsOfV2}[${window}]))`, s.at)).toEqual([]);
      else console.warn(`a second scrape came before the read (${JSON.stringify(samplesSoFar)}); increase() not compared`);
    } finally {
      sim!.setProfile({ namespace: ns1, service: 'reviews', version: 'v2', errorFraction: 0 });
    }
  });

  it('tells a server that never answers (Timeout) from a proxy error page (Http)', async () => {
    const silent = await serve(() => undefined);
    const proxy = await serve((_req, res) => res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html><body>502 Bad Gateway</body></html>'));
    expect(await prometheusClient({ url: silent, timeoutMs: 500 }).query('up')()).toEqual(E.left({ _tag: 'Timeout', url: silent, timeoutMs: 500 }));
    expect(await prometheusClient({ url: proxy }).query('up')()).toEqual(
      E.left({ _tag: 'Http', url: proxy, status: 502, json: false, bytes: 41 }),
    );
    expect(await prometheusClient({ url: PROM }).query('vector(1)')()).toMatchObject(E.right([{ value: 1 }]));
  });
});
