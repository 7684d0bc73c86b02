import { assess, gateRecord } from '../../../src/core/gate';
import { GateQuery, GateTarget, builtinQueries } from '../../../src/prometheus/queries';
import { NOTHING_ASKED, assessAnswers } from '../../../src/prometheus/samples';
import { fails, ok, promQlError, series, target } from './fixtures';

const AT = Date.UTC(2026, 10, 22, 2, 0, 0);
const reviews = target('shop', 'reviews', 'v2');
const ledger = target('pay', 'ledger', 'v7', { maxP99LatencyMs: 300 });
const batch: GateQuery = { _tag: 'Batch', targets: [reviews, ledger], queries: builtinQueries([reviews, ledger], '30s') };

describe('assessAnswers for a batch', () => {
  it('gives each shift the counts of its own candidate series', () => {
    const samples = assessAnswers(
      batch,
      {
        requests: ok([series('shop', 'reviews', 'v1', 900), series('shop', 'reviews', 'v2', 100), series('pay', 'ledger', 'v7', 42.5)]),
        errors: ok([series('shop', 'reviews', 'v2', 3)]),
        p99: ok([series('pay', 'ledger', 'v7', 180), series('shop', 'reviews', 'v2', 90)]),
      },
      AT,
    );
    expect(samples).toEqual([
      { key: 'shop/reviews', sample: { _tag: 'Measured', version: 'v2', at: AT, windowMs: 30_000, requests: 100, errors: 3 } },
      { key: 'pay/ledger', sample: { _tag: 'Measured', version: 'v7', at: AT, windowMs: 30_000, requests: 42.5, errors: 0, p99LatencyMs: 180 } },
    ]);
  });

  it('measures 0 requests for a shift whose series is absent, so the core says "no data" rather than unavailable', () => {
    const [first] = assessAnswers(batch, { requests: ok([series('shop', 'reviews', 'v1', 900)]), errors: ok([]), p99: ok([]) }, AT);
    expect(first).toEqual({ key: 'shop/reviews', sample: { _tag: 'Measured', version: 'v2', at: AT, windowMs: 30_000, requests: 0, errors: 0 } });
  });

  it('leaves out a p99 that is NaN (no requests in the window)', () => {
    const [, second] = assessAnswers(batch, { requests: ok([]), errors: ok([]), p99: ok([series('pay', 'ledger', 'v7', NaN)]) }, AT);
    expect(second?.sample).not.toHaveProperty('p99LatencyMs');
  });

  it('keeps a p99 of +Inf (the top bucket was hit), and the core fails it as above the largest bucket', () => {
    const answers = { requests: ok([series('pay', 'ledger', 'v7', 400)]), errors: ok([]), p99: ok([series('pay', 'ledger', 'v7', Infinity)]) };
    const [, second] = assessAnswers(batch, answers, AT);
    expect(second?.sample).toEqual({ _tag: 'Measured', version: 'v7', at: AT, windowMs: 30_000, requests: 400, errors: 0, p99LatencyMs: Infinity });
    const rule = { maxErrorRate: 0.01, minRequests: 20, failureThreshold: 2, noData: 'hold' as const, method: 'threshold' as const, falseFailureRate: 0.01, maxP99LatencyMs: 300 };
    const verdict = assess(second!.sample, rule, '30s');
    expect(verdict._tag).toBe('Fail');
    expect(verdict.message).toBe('v7 p99 latency is above the largest histogram bucket (+Inf) in 30s; limit 300 ms');
    // status records the sentence, not a number JSON cannot hold (it would be written as null)
    const record = gateRecord(verdict, AT, rule, 30_000);
    expect(record).not.toHaveProperty('p99LatencyMs');
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);
  });

  it('treats a -Inf p99 like NaN: no latency figure', () => {
    const [, second] = assessAnswers(batch, { requests: ok([]), errors: ok([]), p99: ok([series('pay', 'ledger', 'v7', -Infinity)]) }, AT);
    expect(second?.sample).not.toHaveProperty('p99LatencyMs');
  });

  it('makes every shift of the batch unavailable when any of its queries fails', () => {
    const samples = assessAnswers(batch, { requests: ok([series('shop', 'reviews', 'v2', 100)]), errors: ok([]), p99: fails(promQlError) }, AT);
    const reason = 'the p99 query failed: Prometheus at http://prom:9090 rejected the query (bad_data): parse error';
    expect(samples).toEqual([
      { key: 'shop/reviews', sample: { _tag: 'Unavailable', version: 'v2', at: AT, reason } },
      { key: 'pay/ledger', sample: { _tag: 'Unavailable', version: 'v7', at: AT, reason } },
    ]);
  });
});

describe('assessAnswers for a shift with templates', () => {
  const custom = target('pay', 'ledger', 'v7', { query: { requests: 'r', errors: 'e' } });
  const single: GateQuery = { _tag: 'Single', target: custom, queries: { requests: 'r', errors: 'e' } };

  it('reads one number per query, an empty answer being 0', () => {
    expect(assessAnswers(single, { requests: ok([{ labels: {}, value: 57 }]), errors: ok([]) }, AT)).toEqual([
      { key: 'pay/ledger', sample: { _tag: 'Measured', version: 'v7', at: AT, windowMs: 30_000, requests: 57, errors: 0 } },
    ]);
  });

  it('is unavailable when a template returns several series, and says how to fix it', () => {
    const [only] = assessAnswers(single, { requests: ok([series('a', 'b', 'v1', 1), series('a', 'b', 'v2', 2)]), errors: ok([]) }, AT);
    expect(only?.sample).toEqual({
      _tag: 'Unavailable', version: 'v7', at: AT,
      reason: 'the requests query returned 2 series; expected one number (wrap the template in sum())',
    });
  });

  it('keeps a +Inf p99 from a template too', () => {
    const withP99 = target('pay', 'ledger', 'v7', { query: { requests: 'r', errors: 'e', p99LatencyMs: 'p' }, maxP99LatencyMs: 250 });
    const q: GateQuery = { _tag: 'Single', target: withP99, queries: { requests: 'r', errors: 'e', p99: 'p' } };
    const [only] = assessAnswers(q, { requests: ok([{ labels: {}, value: 57 }]), errors: ok([]), p99: ok([{ labels: {}, value: Infinity }]) }, AT);
    expect(only?.sample).toMatchObject({ _tag: 'Measured', p99LatencyMs: Infinity });
  });

  it('is unavailable when its query times out', () => {
    const [only] = assessAnswers(single, { requests: ok([]), errors: fails({ _tag: 'Timeout', url: 'http://prom:9090', timeoutMs: 10_000 }) }, AT);
    expect(only?.sample).toEqual({ _tag: 'Unavailable', version: 'v7', at: AT, reason: 'the errors query failed: Prometheus at http://prom:9090 did not answer within 10000 ms' });
  });
});

describe('assessAnswers for an unqueryable shift', () => {
  it('is unavailable with the plan\'s reason', () => {
    const q: GateQuery = { _tag: 'Unqueryable', target: reviews, reason: 'no Prometheus is configured' };
    expect(assessAnswers(q, NOTHING_ASKED, AT)).toEqual([
      { key: 'shop/reviews', sample: { _tag: 'Unavailable', version: 'v2', at: AT, reason: 'no Prometheus is configured' } },
    ]);
  });
});

describe('assessAnswers for sequential shifts and compareTo (issue 11)', () => {
  const seqReviews: GateTarget = { ...target('shop', 'reviews', 'v2', { method: 'sequential', compareTo: 'stable' }), evidenceSince: AT - 95_000, compareWith: 'v1' };
  const windows = new Map([['shop/reviews', 120_000]]);
  const q: GateQuery = { _tag: 'Batch', targets: [seqReviews, ledger], queries: builtinQueries([seqReviews, ledger], '30s', windows), windows };
  const tagged = (ns: string, svc: string, v: string, value: number, window: string) => ({ ...series(ns, svc, v, value), labels: { ...series(ns, svc, v, value).labels, sluice_window: window } });

  it("reads a sequential shift's counts from its own window's series, and the stable version's beside them", () => {
    const samples = assessAnswers(q, {
      requests: ok([series('shop', 'reviews', 'v2', 10), tagged('shop', 'reviews', 'v2', 400, '2m'), tagged('shop', 'reviews', 'v1', 3600, '2m'), series('pay', 'ledger', 'v7', 50)]),
      errors: ok([tagged('shop', 'reviews', 'v2', 8, '2m'), tagged('shop', 'reviews', 'v1', 36, '2m'), series('shop', 'reviews', 'v2', 1)]),
      p99: ok([]),
    }, AT);
    expect(samples).toEqual([
      { key: 'shop/reviews', sample: { _tag: 'Measured', version: 'v2', at: AT, windowMs: 120_000, requests: 400, errors: 8, compared: { version: 'v1', requests: 3600, errors: 36 } } },
      { key: 'pay/ledger', sample: { _tag: 'Measured', version: 'v7', at: AT, windowMs: 30_000, requests: 50, errors: 0 } },
    ]);
  });

  it('measures 0 for an absent stable series (no data, never a shared failure)', () => {
    const [first] = assessAnswers(q, { requests: ok([tagged('shop', 'reviews', 'v2', 400, '2m')]), errors: ok([]), p99: ok([]) }, AT);
    expect(first?.sample).toMatchObject({ requests: 400, compared: { version: 'v1', requests: 0, errors: 0 } });
  });
});
