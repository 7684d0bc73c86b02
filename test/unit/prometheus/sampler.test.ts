import { Histogram } from 'prom-client';
import { QueryDurationLabels } from '../../../src/prometheus/metrics';
import { createGateSampler } from '../../../src/prometheus/sampler';
import { PoolOptions, PrometheusConnections } from '../../../src/prometheus/connections';
import { crankedTimer, fails, memoryPool, memoryPrometheus, ok, series, target } from './fixtures';

const T0 = Date.UTC(2026, 10, 22, 2, 0, 0);
const URL_A = 'http://prom:9090';

const histogram = () =>
  new Histogram<QueryDurationLabels>({ name: 'sluice_prometheus_query_duration_seconds', help: 'h', labelNames: ['query', 'outcome'], registers: [] });

/** A sampler over one in-memory Prometheus answering `requests` and `errors` series by metric. */
const setup = (answer: Parameters<typeof memoryPrometheus>[0], connections?: PrometheusConnections, options?: PoolOptions, scrapeIntervalMs?: number) => {
  const prom = memoryPrometheus(answer);
  const { pool, created } = memoryPool(prom.prometheus, connections, options);
  const notified: string[][] = [];
  const queryDuration = histogram();
  const timer = crankedTimer();
  const sampler = createGateSampler({
    prometheusFor: pool,
    defaultUrl: URL_A,
    onSample: (keys) => notified.push([...keys]),
    now: () => Date.now(),
    queryDuration,
    every: timer.every,
    ...(scrapeIntervalMs !== undefined ? { scrapeIntervalMs } : {}),
  });
  /** One tick of every group now (the sampler started, its timers armed). */
  const tickNow = (): Promise<void> => {
    sampler.start();
    return timer.tickNow();
  };
  return { prom, sampler, notified, queryDuration, created, tickNow };
};

const istio = (expr: string) =>
  expr.includes('response_code')
    ? ok([series('shop', 'reviews', 'v2', 2)])
    : ok([series('shop', 'reviews', 'v1', 300), series('shop', 'reviews', 'v2', 40), series('pay', 'ledger', 'v7', 25)]);

beforeEach(() => {
  jest.useFakeTimers({ now: T0 });
});
afterEach(() => {
  jest.useRealTimers();
});

describe('GateSampler', () => {
  it('asks one query per metric per tick for all shifts of a group, and reports their keys', async () => {
    const { prom, sampler, notified } = setup(istio);
    sampler.setActive([target('shop', 'reviews', 'v2'), target('pay', 'ledger', 'v7'), target('web', 'front', 'v3')]);
    sampler.start();
    await jest.advanceTimersByTimeAsync(30_000);
    expect(prom.asked).toHaveLength(2);
    expect(prom.asked.every((q) => q.at === T0 + 30_000)).toBe(true);
    expect(notified).toEqual([['pay/ledger', 'shop/reviews', 'web/front']]);
    expect(sampler.latest('shop/reviews')).toEqual({ _tag: 'Measured', version: 'v2', at: T0 + 30_000, windowMs: 30_000, requests: 40, errors: 2 });
    expect(sampler.latest('web/front')).toEqual({ _tag: 'Measured', version: 'v3', at: T0 + 30_000, windowMs: 30_000, requests: 0, errors: 0 });
    sampler.stop();
  });

  it('ticks each (URL, interval) group on its own timer', async () => {
    const { prom, sampler, notified } = setup(istio);
    sampler.setActive([target('shop', 'reviews', 'v2'), target('pay', 'ledger', 'v7', { intervalMs: 60_000 })]);
    sampler.start();
    await jest.advanceTimersByTimeAsync(30_000);
    expect(notified).toEqual([['shop/reviews']]);
    await jest.advanceTimersByTimeAsync(30_000);
    expect(notified.slice(1).map((k) => k.join()).sort()).toEqual(['pay/ledger', 'shop/reviews']);
    expect(prom.asked.filter((q) => q.expr.includes('[1m]'))).toHaveLength(2);
    sampler.stop();
  });

  it('makes every shift unavailable when Prometheus fails, and still reports them', async () => {
    const { sampler, notified, tickNow } = setup(() => fails({ _tag: 'Network', url: URL_A, message: 'connect ECONNREFUSED 10.0.0.9:9090' }));
    sampler.setActive([target('shop', 'reviews', 'v2'), target('pay', 'ledger', 'v7')]);
    await tickNow();
    expect(notified).toEqual([['pay/ledger', 'shop/reviews']]);
    expect(sampler.latest('pay/ledger')).toEqual({
      _tag: 'Unavailable', version: 'v7', at: T0,
      reason: 'the requests query failed: Prometheus at http://prom:9090 could not be reached: connect ECONNREFUSED 10.0.0.9:9090',
    });
  });

  it('forgets the sample of a shift whose candidate changed or that left the active set', async () => {
    const { sampler, tickNow } = setup(istio);
    sampler.setActive([target('shop', 'reviews', 'v2'), target('pay', 'ledger', 'v7')]);
    await tickNow();
    sampler.setActive([target('shop', 'reviews', 'v3')]);
    expect(sampler.latest('shop/reviews')).toBeUndefined();
    expect(sampler.latest('pay/ledger')).toBeUndefined();
  });

  it('drops answers for a shift that changed while its query was in flight', async () => {
    const { prom, sampler, notified, tickNow } = setup(istio);
    sampler.setActive([target('shop', 'reviews', 'v2')]);
    prom.hold();
    const pending = tickNow();
    sampler.setActive([target('shop', 'reviews', 'v3')]);
    prom.release();
    await pending;
    expect(sampler.latest('shop/reviews')).toBeUndefined();
    expect(notified).toEqual([]);
  });

  it('skips a tick while the previous one of the same group is still waiting for Prometheus', async () => {
    const { prom, sampler } = setup(istio);
    sampler.setActive([target('shop', 'reviews', 'v2')]);
    prom.hold();
    sampler.start();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(prom.asked).toHaveLength(2);
    prom.release();
    await jest.advanceTimersByTimeAsync(30_000);
    expect(prom.asked).toHaveLength(4);
    sampler.stop();
  });

  it('stops ticking when stopped and when its group empties', async () => {
    const { prom, sampler } = setup(istio);
    sampler.setActive([target('shop', 'reviews', 'v2'), target('pay', 'ledger', 'v7', { intervalMs: 60_000 })]);
    sampler.start();
    sampler.setActive([target('shop', 'reviews', 'v2')]);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(prom.asked.filter((q) => q.expr.includes('[1m]'))).toHaveLength(0);
    sampler.stop();
    const before = prom.asked.length;
    await jest.advanceTimersByTimeAsync(120_000);
    expect(prom.asked).toHaveLength(before);
  });

  it('records each query in sluice_prometheus_query_duration_seconds with its outcome', async () => {
    const { sampler, queryDuration, tickNow } = setup((expr) => (expr.includes('histogram_quantile') ? fails({ _tag: 'Timeout', url: URL_A, timeoutMs: 1 }) : istio(expr)));
    sampler.setActive([target('shop', 'reviews', 'v2', { maxP99LatencyMs: 200 })]);
    await tickNow();
    const counts = (await queryDuration.get()).values
      .filter((v) => v.metricName === 'sluice_prometheus_query_duration_seconds_count')
      .map((v) => `${v.labels.query}:${v.labels.outcome}=${v.value}`)
      .sort();
    expect(counts).toEqual(['errors:ok=1', 'p99:Timeout=1', 'requests:ok=1']);
  });

  it('sends nothing for a shift naming a URL nobody allowed, and gives it an Unavailable sample saying so', async () => {
    const { prom, sampler, notified, created, tickNow } = setup(istio);
    sampler.setActive([target('shop', 'reviews', 'v2', { prometheusUrl: 'http://kubernetes.default.svc' }), target('pay', 'ledger', 'v7')]);
    await tickNow();
    expect(created.map((r) => r.id)).toEqual(['default']);
    expect(prom.asked.every((q) => !q.expr.includes('"shop"'))).toBe(true);
    expect(notified.flat().sort()).toEqual(['pay/ledger', 'shop/reviews']);
    expect(sampler.latest('shop/reviews')).toEqual({
      _tag: 'Unavailable', version: 'v2', at: T0,
      reason: 'spec.analysis.prometheus.url: "http://kubernetes.default.svc" is not an allowed Prometheus (not --prometheus-url, not in $SLUICE_PROMETHEUS_CONNECTIONS, no --allow-prometheus-url pattern matches); allow it without credentials with --allow-prometheus-url=http://kubernetes.default.svc',
    });
    expect(sampler.latest('pay/ledger')).toMatchObject({ _tag: 'Measured', requests: 25 });
  });

  it("batches tenants of one URL apart, each with its own connection, and never mixes them into another's query", async () => {
    const connections = {
      others: [
        { url: 'http://mimir:8080', headers: { 'X-Scope-OrgID': 'shop' }, namespaces: ['shop'] },
        { url: 'http://mimir:8080', headers: { 'X-Scope-OrgID': 'pay' }, namespaces: ['pay'] },
      ],
    };
    const { prom, sampler, created, tickNow } = setup(istio, connections);
    const mimir = { prometheusUrl: 'http://mimir:8080' };
    sampler.setActive([target('shop', 'reviews', 'v2', mimir), target('pay', 'ledger', 'v7', mimir), target('web', 'front', 'v3', mimir)]);
    await tickNow();
    expect(created.map((r) => [r.id, r.config.headers?.['X-Scope-OrgID']]).sort()).toEqual([
      ['SLUICE_PROMETHEUS_CONNECTIONS[0]', 'shop'],
      ['SLUICE_PROMETHEUS_CONNECTIONS[1]', 'pay'],
    ]);
    expect(prom.asked).toHaveLength(4);
    expect(prom.asked.filter((q) => q.expr.includes('"shop"') && q.expr.includes('"pay"'))).toEqual([]);
    expect(sampler.latest('web/front')).toMatchObject({ _tag: 'Unavailable', reason: expect.stringMatching(/is a connection of other namespaces, not of "web"/) });
  });

  it('runs no custom template unless the operator allowed them', async () => {
    const query = { requests: 'sum(my_requests)', errors: 'sum(my_errors)' };
    const off = setup(() => ok([{ labels: {}, value: 50 }]));
    off.sampler.setActive([target('shop', 'reviews', 'v2', { query })]);
    await off.tickNow();
    expect(off.prom.asked).toEqual([]);
    expect(off.sampler.latest('shop/reviews')).toMatchObject({ _tag: 'Unavailable', reason: expect.stringMatching(/^spec\.analysis\.query: custom query templates are off/) });
    const on = setup(() => ok([{ labels: {}, value: 50 }]), undefined, { allowQueries: true });
    on.sampler.setActive([target('shop', 'reviews', 'v2', { query })]);
    await on.tickNow();
    expect(on.prom.asked.map((q) => q.expr)).toEqual(['sum(my_requests)', 'sum(my_errors)']);
  });

  it('drops the client of a connection when no shift uses it any more', () => {
    const { sampler } = setup(istio, { default: { url: 'http://prom:9090' }, others: [{ url: 'http://thanos:9090', namespaces: ['*'] }] });
    sampler.setActive([target('shop', 'reviews', 'v2'), target('pay', 'ledger', 'v7', { prometheusUrl: 'http://thanos:9090' })]);
    expect(sampler.clients()).toEqual(['SLUICE_PROMETHEUS_CONNECTIONS[0]', 'default']);
    sampler.setActive([target('shop', 'reviews', 'v2')]);
    expect(sampler.clients()).toEqual(['default']);
    sampler.setActive([]);
    expect(sampler.clients()).toEqual([]);
  });
});

describe('GateSampler with sequential shifts (issue 11: the evidence is read every scrape)', () => {
  /** A sequential shift whose period began 95 s before T0. */
  const seq = (ns: string, svc: string, v: string) => ({ ...target(ns, svc, v, { method: 'sequential' }), evidenceSince: T0 - 95_000 });
  /** Answers like `istio`, and the requests query of a batch with sequential shifts also says when the newest scrape was. */
  const scrapedAt = (ms: number | undefined) => (expr: string) => {
    const answer = istio(expr);
    if (ms === undefined || !expr.includes('sluice_scraped') || answer._tag === 'Left') return answer;
    return ok([...answer.right, { labels: { sluice_scraped: 'last' }, value: ms / 1000 }]);
  };

  it('reads a group with sequential shifts every scrape, still one query per metric per tick, and its threshold shifts once per interval', async () => {
    const { prom, sampler, notified } = setup(scrapedAt(undefined), undefined, undefined, 5_000);
    sampler.setActive([seq('shop', 'reviews', 'v2'), target('pay', 'ledger', 'v7')]);
    sampler.start();
    await jest.advanceTimersByTimeAsync(35_000);
    expect(prom.asked.map((q) => q.at)).toEqual([5, 10, 15, 20, 25, 30, 35].flatMap((s) => [T0 + s * 1000, T0 + s * 1000]));
    // the threshold shift rides along on the first tick and again one interval later
    const withLedger = prom.asked.filter((q) => q.expr.includes('ledger')).map((q) => q.at);
    expect(withLedger).toEqual([T0 + 5_000, T0 + 5_000, T0 + 35_000, T0 + 35_000]);
    expect(notified.filter((k) => k.includes('pay/ledger'))).toHaveLength(2);
    expect(notified).toHaveLength(7);
    expect(sampler.latest('shop/reviews')).toMatchObject({ _tag: 'Measured', at: T0 + 35_000, windowMs: 155_000 });
    expect(sampler.latest('pay/ledger')).toMatchObject({ _tag: 'Measured', at: T0 + 35_000, windowMs: 30_000 });
    sampler.stop();
  });

  it('reads every interval when that is shorter than the scrape interval, and threshold-only groups as before', async () => {
    const { prom, sampler } = setup(scrapedAt(undefined), undefined, undefined, 60_000);
    sampler.setActive([seq('shop', 'reviews', 'v2'), target('pay', 'ledger', 'v7', { intervalMs: 20_000 })]);
    sampler.start();
    await jest.advanceTimersByTimeAsync(60_000);
    const at = (key: string) => [...new Set(prom.asked.filter((q) => q.expr.includes(key)).map((q) => (q.at! - T0) / 1000))];
    expect(at('reviews')).toEqual([30, 60]);
    expect(at('ledger')).toEqual([20, 40, 60]);
    sampler.stop();
  });

  /** The query times (ms after its start) of a sequential group over 20 s when Prometheus scrapes at `phase` after it and every 5 s. */
  const readsWithScrapesAt = async (phase: number): Promise<number[]> => {
    const t0 = Date.now();
    const { prom, sampler } = setup((expr) => scrapedAt(Math.floor((Date.now() - t0 - phase) / 5_000) * 5_000 + t0 + phase)(expr), undefined, undefined, 5_000);
    sampler.setActive([seq('shop', 'reviews', 'v2')]);
    sampler.start();
    await jest.advanceTimersByTimeAsync(20_000);
    sampler.stop();
    return [...new Set(prom.asked.map((q) => q.at! - t0))];
  };

  it('re-phases its timer to read 1.5 s after the newest scrape, not just before the next', async () => {
    // scrapes at 2, 7, 12 … s: the first tick (5 s) is 3 s after one; then reads at 8.5, 13.5, 18.5 s, asked at whole seconds
    expect(await readsWithScrapesAt(2_000)).toEqual([5_000, 8_000, 13_000, 18_000]);
    // scrapes at 4, 9, 14 … s: the first tick is 1 s after one, close enough to 1.5 s: kept
    expect(await readsWithScrapesAt(4_000)).toEqual([5_000, 10_000, 15_000, 20_000]);
  });

  it('never re-phases to a read less than half a scrape after the last one', async () => {
    // scrapes at 0.5, 5.5, 10.5 … s: the first tick (5 s) is 3 s late; the next ideal read (7 s) is
    // only 2 s away, so it reads at 12 s and then every 5 s
    expect(await readsWithScrapesAt(500)).toEqual([5_000, 12_000, 17_000]);
  });
});
