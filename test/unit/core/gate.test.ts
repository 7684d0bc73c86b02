import { assess, gateRecord } from '../../../src/core/gate';
import { canarySpec, measured, T0, unavailable } from './fixtures';

const rule = canarySpec().analysis;

describe('assess', () => {
  it('fails a candidate whose error rate is over the limit, with the numbers', () => {
    const v = assess(measured('v3', T0, 200, 61), rule, '30s');
    expect(v._tag).toBe('Fail');
    expect(v.message).toBe('v3 failed 61 of 200 requests (30.5 %) in 30s; limit 1 %');
  });

  it('passes a candidate at exactly the limit (the limit is inclusive)', () => {
    const v = assess(measured('v3', T0, 200, 2), rule, '30s');
    expect(v._tag).toBe('Pass');
    expect(v.message).toBe('v3 passed: 2 of 200 requests failed (1 %) in 30s; limit 1 %');
  });

  it('no data is never a pass: fewer requests than minRequests is NoData even with zero errors', () => {
    const v = assess(measured('v3', T0, 19, 0), rule, '30s');
    expect(v._tag).toBe('NoData');
    expect(v.message).toBe('v3 served 19 requests in 30s; a verdict needs at least 20');
  });

  it('judges fractional counts from increase() and shows them rounded', () => {
    const v = assess(measured('v3', T0, 20.4, 0.333), rule, '30s');
    expect(v._tag).toBe('Fail');
    expect(v.message).toBe('v3 failed 0.33 of 20.4 requests (1.63 %) in 30s; limit 1 %');
  });

  it('treats Prometheus being down as Unavailable, not as the candidate failing', () => {
    const v = assess(unavailable('v3', T0, 'HTTP 503 from prometheus:9090'), rule, '30s');
    expect(v._tag).toBe('Unavailable');
    expect(v.message).toBe('Prometheus unavailable: HTTP 503 from prometheus:9090');
  });

  it('fails on p99 latency over maxP99LatencyMs even with no errors', () => {
    const v = assess(measured('v3', T0, 200, 0, 850), { ...rule, maxP99LatencyMs: 500 }, '30s');
    expect(v._tag).toBe('Fail');
    expect(v.message).toBe('v3 p99 latency 850 ms in 30s; limit 500 ms');
  });

  it('names both reasons when errors and latency are over their limits', () => {
    const v = assess(measured('v3', T0, 100, 5, 900), { ...rule, maxP99LatencyMs: 500 }, '1m');
    expect(v.message).toBe('v3 failed 5 of 100 requests (5 %) in 1m; limit 1 %; and v3 p99 latency 900 ms in 1m; limit 500 ms');
  });

  it('passes with the latency in the message when a latency limit is set', () => {
    const v = assess(measured('v3', T0, 100, 0, 120), { ...rule, maxP99LatencyMs: 500 }, '30s');
    expect(v._tag).toBe('Pass');
    expect(v.message).toBe('v3 passed: 0 of 100 requests failed (0 %) in 30s; limit 1 %, p99 120 ms (limit 500 ms)');
  });

  it('does not fail on latency when Prometheus had no latency figure', () => {
    expect(assess(measured('v3', T0, 100, 0), { ...rule, maxP99LatencyMs: 500 }, '30s')._tag).toBe('Pass');
  });

  it('treats nonsense counts (NaN, negative) as no data, never a pass', () => {
    expect(assess(measured('v3', T0, Number.NaN, 0), rule, '30s')._tag).toBe('NoData');
    expect(assess(measured('v3', T0, -5, 0), rule, '30s')._tag).toBe('NoData');
  });
});

describe('gateRecord', () => {
  it('records the verdict with its counts, threshold, window and the sample time', () => {
    const record = gateRecord(assess(measured('v3', T0, 200, 61), rule, '30s'), T0, rule, 30_000);
    expect(record).toEqual({
      result: 'Fail',
      version: 'v3',
      requests: 200,
      errors: 61,
      errorRate: 0.305,
      threshold: 0.01,
      window: '30s',
      windowMs: 30_000,
      time: '2026-11-20T10:00:00.000Z',
      message: 'v3 failed 61 of 200 requests (30.5 %) in 30s; limit 1 %',
    });
  });

  it('records an unavailable check without counts', () => {
    const record = gateRecord(assess(unavailable('v3', T0, 'timeout'), rule, '30s'), T0, rule, 30_000);
    expect(record).toEqual({ result: 'Unavailable', version: 'v3', threshold: 0.01, window: '30s', windowMs: 30_000, time: '2026-11-20T10:00:00.000Z', message: 'Prometheus unavailable: timeout' });
  });
});
