/**
 * The Prometheus allow-list over real HTTP (issue 10 #3 #4, issue 9 #8 #13): the real local
 * Prometheus, and loopback servers that count every request they get and answer with redirects,
 * huge bodies, error pages holding a secret, or as a multi-tenant frontend checking credentials.
 *
 * Given a gate sampler on the real pool (real fetch) whose default connection is the real
 * Prometheus, when shifts name URLs nobody allowed, redirectors, huge or hostile answers, or
 * another tenant's connection, then no request reaches a URL that was not allowed, no redirect is
 * followed, no body is read past 1 MiB, the sample's sentence is short and holds no body text, and
 * a tenant's token and X-Scope-OrgID only ever travel with that tenant's queries. The last test
 * runs the real daemon on the real control plane with a shift naming a URL nobody allowed.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { assess } from '../../src/core/gate';
import { GateSample } from '../../src/core/types';
import { BODY_LIMIT_BYTES, SENTENCE_LIMIT } from '../../src/prometheus/client';
import { PoolOptions, PrometheusConnections, prometheusPool } from '../../src/prometheus/connections';
import { GateTarget } from '../../src/prometheus/queries';
import { createGateSampler } from '../../src/prometheus/sampler';
import { crankedTimer } from '../unit/prometheus/fixtures';
import {
  DaemonProcess, canarySpec, deleteNamespace, givenReviews, givenShift, newNamespace, startDaemon, waitForPhase,
} from './daemonFixtures';

jest.setTimeout(60_000);

const PROM = process.env.SLUICE_PROMETHEUS_URL ?? '';
const SECRET = 'internal-secret-4711';
const EMPTY_VECTOR = JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } });

// ---- Given ---------------------------------------------------------------------------------------

interface Seen {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** A loopback server that records every request (path, headers, form body) before `answer` handles it. */
const servers: http.Server[] = [];
const countingServer = async (answer: (req: http.IncomingMessage, res: http.ServerResponse) => void) => {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, body: decodeURIComponent(body.replace(/\+/g, ' ')) });
      answer(req, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
};

const target = (namespace: string, over: Partial<GateTarget['analysis']> = {}): GateTarget => ({
  key: `${namespace}/reviews`, namespace, service: 'reviews', version: 'v2',
  analysis: { intervalMs: 30_000, maxErrorRate: 0.01, minRequests: 20, failureThreshold: 2, noData: 'hold', method: 'threshold', falseFailureRate: 0.01, ...over },
});

/** One sample of every target through the real pool and the real fetch. */
const sampleOnce = async (targets: GateTarget[], connections: PrometheusConnections = { default: { url: PROM } }, options: PoolOptions = {}) => {
  const timer = crankedTimer();
  const sampler = createGateSampler({ prometheusFor: prometheusPool(connections, options), defaultUrl: connections.default?.url, onSample: () => undefined, every: timer.every });
  sampler.setActive(targets);
  sampler.start();
  await timer.tickNow();
  sampler.stop();
  return (key: string): GateSample | undefined => sampler.latest(key);
};

const reasonOf = (s: GateSample | undefined): string => {
  if (s?._tag !== 'Unavailable') throw new Error(`expected an Unavailable sample, got ${JSON.stringify(s)}`);
  return s.reason;
};

afterAll(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

// ---- the tests -------------------------------------------------------------------------------

describe('the Prometheus allow-list over real HTTP', () => {
  it('sends nothing to a URL nobody allowed, and says which flag would allow it; the configured Prometheus is asked as usual', async () => {
    const victim = await countingServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(EMPTY_VECTOR));
    const latest = await sampleOnce([target('team-a', { prometheusUrl: `${victim.url}/` }), target('team-b')]);
    expect(victim.seen).toEqual([]);
    expect(reasonOf(latest('team-a/reviews'))).toBe(
      `spec.analysis.prometheus.url: "${victim.url}" is not an allowed Prometheus (not --prometheus-url, not in $SLUICE_PROMETHEUS_CONNECTIONS, no --allow-prometheus-url pattern matches); allow it without credentials with --allow-prometheus-url=${victim.url}`,
    );
    expect(latest('team-b/reviews')).toMatchObject({ _tag: 'Measured', requests: 0 });

    // the control: the same URL allowed by a pattern is asked (so the count above could have been > 0)
    const allowed = await sampleOnce([target('team-a', { prometheusUrl: victim.url })], { default: { url: PROM } }, { allowUrls: ['http://127.0.0.1:*'] });
    expect(victim.seen.map((s) => s.path)).toEqual(['/api/v1/query', '/api/v1/query']);
    expect(allowed('team-a/reviews')).toMatchObject({ _tag: 'Measured', requests: 0 });
  });

  it.each([301, 302, 307, 308])('follows no redirect (HTTP %i): the target of the redirect gets no request', async (status) => {
    const destination = await countingServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(EMPTY_VECTOR));
    const redirector = await countingServer((_req, res) => res.writeHead(status, { Location: `${destination.url}/api/v1/query` }).end(`moved ${SECRET}`));
    const latest = await sampleOnce([target('team-a', { prometheusUrl: redirector.url })], { default: { url: PROM } }, { allowUrls: ['http://127.0.0.1:*'] });
    expect(redirector.seen).toHaveLength(2);
    expect(destination.seen).toEqual([]);
    expect(reasonOf(latest('team-a/reviews'))).toBe(
      `the requests query failed: Prometheus at ${redirector.url} answered HTTP ${status} (a redirect); sluice does not follow redirects, configure the final URL`,
    );
  });

  it(`stops reading a body at ${BODY_LIMIT_BYTES} bytes, streamed or declared`, async () => {
    const MiB = 1024 * 1024;
    let written = 0;
    const endless = await countingServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = (): void => {
        while (!res.destroyed && written < 256 * MiB) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const declared = await countingServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(512 * MiB) });
      res.write(Buffer.alloc(1024, 0x20));
    });
    const options = { allowUrls: ['http://127.0.0.1:*'] };
    const a = await sampleOnce([target('team-a', { prometheusUrl: endless.url })], { default: { url: PROM } }, options);
    const b = await sampleOnce([target('team-b', { prometheusUrl: declared.url })], { default: { url: PROM } }, options);
    expect(reasonOf(a('team-a/reviews'))).toBe(`the requests query failed: Prometheus at ${endless.url} sent more than ${BODY_LIMIT_BYTES} bytes; sluice stopped reading`);
    expect(reasonOf(b('team-b/reviews'))).toBe(`the requests query failed: Prometheus at ${declared.url} sent more than ${BODY_LIMIT_BYTES} bytes; sluice stopped reading`);
    // two queries of up to 1 MiB each, plus what sits in socket buffers: far from the 512 MiB offered
    expect(written).toBeLessThan(32 * MiB);
  });

  it('puts neither an error page nor a long error text into the sample: status and size, clipped', async () => {
    const page = await countingServer((_req, res) => res.writeHead(502, { 'Content-Type': 'text/html' }).end(`<html>${SECRET}${'x'.repeat(100_000)}</html>`));
    const chatty = await countingServer((_req, res) =>
      res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: `parse error\n${'y'.repeat(50_000)}` })),
    );
    const options = { allowUrls: ['http://127.0.0.1:*'] };
    const a = reasonOf((await sampleOnce([target('team-a', { prometheusUrl: page.url })], { default: { url: PROM } }, options))('team-a/reviews'));
    const b = reasonOf((await sampleOnce([target('team-b', { prometheusUrl: chatty.url })], { default: { url: PROM } }, options))('team-b/reviews'));
    expect(a).toBe(`the requests query failed: Prometheus at ${page.url} answered HTTP 502: non-JSON body (100033 bytes)`);
    expect(b).toMatch(new RegExp(`^the requests query failed: Prometheus at ${chatty.url} rejected the query \\(bad_data\\): parse error y+…$`));
    for (const reason of [a, b]) {
      expect(reason).not.toContain(SECRET);
      expect(reason.length).toBeLessThanOrEqual(SENTENCE_LIMIT + 60);
    }
  });

  it("gives a tenant's token and X-Scope-OrgID only to that tenant's queries, even when another tenant names the same URL", async () => {
    const mimir = await countingServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(EMPTY_VECTOR));
    const connections: PrometheusConnections = {
      default: { url: PROM },
      others: [{ url: mimir.url, bearerToken: 'team-a-token', headers: { 'X-Scope-OrgID': 'team-a' }, namespaces: ['team-a'] }],
    };
    const latest = await sampleOnce([target('team-a', { prometheusUrl: mimir.url }), target('team-b', { prometheusUrl: mimir.url })], connections, { allowUrls: [mimir.url] });
    expect(latest('team-a/reviews')).toMatchObject({ _tag: 'Measured' });
    expect(latest('team-b/reviews')).toMatchObject({ _tag: 'Measured' });
    const byTenant = (ns: string) => mimir.seen.filter((s) => s.body.includes(`"${ns}"`));
    expect(byTenant('team-a')).toHaveLength(2);
    expect(byTenant('team-b')).toHaveLength(2);
    expect(mimir.seen).toHaveLength(4); // no query mixes the two tenants
    for (const s of byTenant('team-a')) expect([s.headers.authorization, s.headers['x-scope-orgid']]).toEqual(['Bearer team-a-token', 'team-a']);
    for (const s of byTenant('team-b')) expect([s.headers.authorization, s.headers['x-scope-orgid']]).toEqual([undefined, undefined]);

    // without the pattern, team-b is refused outright and mimir sees nothing more
    const refused = await sampleOnce([target('team-b', { prometheusUrl: mimir.url })], connections);
    expect(reasonOf(refused('team-b/reviews'))).toMatch(/is a connection of other namespaces, not of "team-b"/);
    expect(mimir.seen).toHaveLength(4);
  });

  it('runs custom templates only when allowed, and fails a +Inf p99 from the real Prometheus as above the largest bucket', async () => {
    const query = { requests: 'vector(100)', errors: 'vector(0)', p99LatencyMs: 'vector(1/0)' };
    const shift = target('team-a', { query, maxP99LatencyMs: 500 });
    const off = await sampleOnce([shift]);
    expect(reasonOf(off('team-a/reviews'))).toBe(
      'spec.analysis.query: custom query templates are off on this daemon (they would run with its Prometheus credentials); allow them with --allow-prometheus-queries',
    );
    const sample = (await sampleOnce([shift], { default: { url: PROM } }, { allowQueries: true }))('team-a/reviews');
    expect(sample).toMatchObject({ _tag: 'Measured', requests: 100, errors: 0, p99LatencyMs: Infinity });
    const verdict = assess(sample!, { maxErrorRate: 0.01, minRequests: 20, failureThreshold: 2, noData: 'hold', method: 'threshold', falseFailureRate: 0.01, maxP99LatencyMs: 500 }, '30s');
    expect([verdict._tag, verdict.message]).toEqual(['Fail', 'v2 p99 latency is above the largest histogram bucket (+Inf) in 30s; limit 500 ms']);
  });

  it('through the real daemon: a shift naming a URL nobody allowed never causes a request there, and its status says why', async () => {
    const victim = await countingServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(EMPTY_VECTOR));
    const namespace = await newNamespace('p-allow');
    let daemon: DaemonProcess | undefined;
    try {
      await givenReviews(namespace, ['v1', 'v2'], { replicas: 1 });
      daemon = await startDaemon(namespace, 'sluice-prom');
      await givenShift(namespace, canarySpec('v1', { analysis: { interval: '2s', minRequests: 5, maxErrorRate: 0.05, prometheus: { url: victim.url } } }));
      // Admission refuses the spec before anything is routed (the sampler would refuse it too).
      const status = await waitForPhase(namespace, (st) => st.conditions?.some((c: { type: string; reason: string }) => c.type === 'Ready' && c.reason === 'Refused'), 60_000);
      const ready = status.conditions.find((c: { type: string }) => c.type === 'Ready');
      expect(ready.message).toBe(
        `${namespace}/reviews: spec.analysis.prometheus.url: "${victim.url}" is not an allowed Prometheus (not --prometheus-url, not in $SLUICE_PROMETHEUS_CONNECTIONS, no --allow-prometheus-url pattern matches); allow it without credentials with --allow-prometheus-url=${victim.url}`,
      );
      await new Promise((r) => setTimeout(r, 5_000)); // a few more 2s ticks
      expect(victim.seen).toEqual([]);
      expect(status.stableVersion).toBeUndefined();
    } finally {
      await daemon?.kill('SIGTERM');
      await deleteNamespace(namespace);
    }
  }, 180_000);
});
