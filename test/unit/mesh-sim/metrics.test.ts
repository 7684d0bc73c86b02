import { istioMetrics, ISTIO_DURATION_BUCKETS } from '../../mesh-sim/metrics';
import type { Report } from '../../mesh-sim/labels';
import { pod } from './fixtures';

const source = { workload: 'loadgen', namespace: 'shop', serviceAccount: 'loadgen' };
const reviews = { namespace: 'shop', name: 'reviews' };
const served = (reporter: Report['reporter'], code = 200): Report => ({
  reporter,
  source,
  service: reviews,
  peer: { pod: pod('reviews-v1-0', 'v1', { workload: 'reviews-v1' }) },
  responseCode: code,
  responseFlags: '-',
});

const sample = (text: string, name: string, labels: Record<string, string>): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

describe('Istio metrics exposition', () => {
  it('counts requests per label set, as of every scrape', async () => {
    const m = istioMetrics();
    for (let i = 0; i < 3; i++) m.record(served('destination'), 12);
    m.record(served('destination', 500), 40);
    let text = await m.registry.metrics();
    expect(sample(text, 'istio_requests_total', { reporter: 'destination', response_code: '200', destination_workload: 'reviews-v1' })).toBe(3);
    expect(sample(text, 'istio_requests_total', { reporter: 'destination', response_code: '500' })).toBe(1);
    m.record(served('destination'), 12);
    text = await m.registry.metrics();
    expect(sample(text, 'istio_requests_total', { reporter: 'destination', response_code: '200' })).toBe(4);
  });

  it("observes durations in Istio's default buckets", async () => {
    const m = istioMetrics();
    m.record(served('source'), 12);
    m.record(served('source'), 300);
    const text = await m.registry.metrics();
    const bucket = (le: string) => sample(text, 'istio_request_duration_milliseconds_bucket', { reporter: 'source', le });
    expect([bucket('10'), bucket('25'), bucket('250'), bucket('500'), bucket('+Inf')]).toEqual([0, 1, 1, 2, 2]);
    expect(sample(text, 'istio_request_duration_milliseconds_sum', { reporter: 'source' })).toBe(312);
    expect(ISTIO_DURATION_BUCKETS).toHaveLength(19);
  });
});
