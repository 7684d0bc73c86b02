import { Histogram } from 'prom-client';
import { QueryDurationLabels } from '../../../src/prometheus/metrics';
import { createGateSampler } from '../../../src/prometheus/sampler';
import { fails, memoryPrometheus, ok, series, target } from './fixtures';

const T0 = Date.UTC(2026, 10, 22, 2, 0, 0);
const URL_A = 'http://prom:9090';

const histogram = () =>
  new Histogram<QueryDurationLabels>({ name: 'sluice_prometheus_query_duration_seconds', help: 'h', labelNames: ['query', 'outcome'], registers: [] });

/** A sampler over one in-memory Prometheus answering `requests` and `errors` series by metric. */
const setup = (answer: Parameters<typeof memoryPrometheus>[0]) => {
  const prom = memoryPrometheus(answer);
  const notified: string[][] = [];
  const queryDuration = histogram();
  const sampler = createGateSampler({
    prometheusFor: () => prom.prometheus,
    defaultUrl: URL_A,
    onSample: (keys) => notified.push([...keys]),
    now: () => Date.now(),
    queryDuration,
  });
  return { prom, sampler, notified, queryDuration };
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
    const { sampler, notified } = setup(() => fails({ _tag: 'Network', url: URL_A, message: 'connect ECONNREFUSED 10.0.0.9:9090' }));
    sampler.setActive([target('shop', 'reviews', 'v2'), target('pay', 'ledger', 'v7')]);
    await sampler.sampleNow();
    expect(notified).toEqual([['pay/ledger', 'shop/reviews']]);
    expect(sampler.latest('pay/ledger')).toEqual({
      _tag: 'Unavailable', version: 'v7', at: T0,
      reason: 'the requests query failed: Prometheus at http://prom:9090 could not be reached: connect ECONNREFUSED 10.0.0.9:9090',
    });
  });

  it('forgets the sample of a shift whose candidate changed or that left the active set', async () => {
    const { sampler } = setup(istio);
    sampler.setActive([target('shop', 'reviews', 'v2'), target('pay', 'ledger', 'v7')]);
    await sampler.sampleNow();
    sampler.setActive([target('shop', 'reviews', 'v3')]);
    expect(sampler.latest('shop/reviews')).toBeUndefined();
    expect(sampler.latest('pay/ledger')).toBeUndefined();
  });

  it('drops answers for a shift that changed while its query was in flight', async () => {
    const { prom, sampler, notified } = setup(istio);
    sampler.setActive([target('shop', 'reviews', 'v2')]);
    prom.hold();
    const pending = sampler.sampleNow();
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
    const { sampler, queryDuration } = setup((expr) => (expr.includes('histogram_quantile') ? fails({ _tag: 'Timeout', url: URL_A, timeoutMs: 1 }) : istio(expr)));
    sampler.setActive([target('shop', 'reviews', 'v2', { maxP99LatencyMs: 200 })]);
    await sampler.sampleNow();
    const counts = (await queryDuration.get()).values
      .filter((v) => v.metricName === 'sluice_prometheus_query_duration_seconds_count')
      .map((v) => `${v.labels.query}:${v.labels.outcome}=${v.value}`)
      .sort();
    expect(counts).toEqual(['errors:ok=1', 'p99:Timeout=1', 'requests:ok=1']);
  });
});
