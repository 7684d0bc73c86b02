import fc from 'fast-check';
import { builtinQueries, groupTargets, planQueries } from '../../../src/prometheus/queries';
import { lexStrings, regexMatches, target } from './fixtures';

const BY = 'destination_service_namespace, destination_service_name, destination_version';
const HOSTILE = 'a"}or vector(1)#';

describe('groupTargets', () => {
  it('groups shifts by Prometheus URL and interval, the default URL standing in for shifts without one', () => {
    const groups = groupTargets(
      [
        target('shop', 'reviews', 'v2'),
        target('pay', 'ledger', 'v7', { prometheusUrl: 'http://thanos:9090' }),
        target('shop', 'cart', 'v3', { intervalMs: 60_000 }),
        target('web', 'front', 'v9', { prometheusUrl: 'http://prom:9090' }),
      ],
      'http://prom:9090',
    );
    expect(groups.map((g) => [g.url, g.intervalMs, g.targets.map((t) => t.key)])).toEqual([
      ['http://prom:9090', 30_000, ['shop/reviews', 'web/front']],
      ['http://thanos:9090', 30_000, ['pay/ledger']],
      ['http://prom:9090', 60_000, ['shop/cart']],
    ]);
  });

  it('puts shifts with no URL anywhere in a group whose plan says so', () => {
    const [group] = groupTargets([target('shop', 'reviews', 'v2')], undefined);
    expect(planQueries(group!)).toEqual([
      { _tag: 'Unqueryable', target: target('shop', 'reviews', 'v2'), reason: "no Prometheus is configured: set spec.analysis.prometheus.url or the daemon's --prometheus-url" },
    ]);
  });
});

describe('builtinQueries', () => {
  it('asks one query per metric for every shift of the group', () => {
    const q = builtinQueries([target('ns1', 'svc1', 'v2'), target('ns2', 'svc2', 'v5')], '30s');
    expect(q).toEqual({
      requests: `sum by (${BY}) (increase(istio_requests_total{reporter="destination", destination_service_namespace=~"ns1|ns2", destination_service_name=~"svc1|svc2"}[30s]))`,
      errors: `sum by (${BY}) (increase(istio_requests_total{reporter="destination", response_code=~"5..", destination_service_namespace=~"ns1|ns2", destination_service_name=~"svc1|svc2"}[30s]))`,
    });
  });

  it('adds the p99 query, over the shifts with a latency limit only', () => {
    const q = builtinQueries([target('ns1', 'svc1', 'v2', { maxP99LatencyMs: 300 }), target('ns2', 'svc2', 'v5')], '1m');
    expect(q.p99).toBe(
      `histogram_quantile(0.99, sum by (${BY}, le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination", destination_service_namespace=~"ns1", destination_service_name=~"svc1"}[1m])))`,
    );
  });

  it('quotes a hostile label value so it cannot add selectors or operators to the batch', () => {
    const q = builtinQueries([target(HOSTILE, '.*', 'v1'), target('shop', 'reviews', 'v2')], '30s');
    const { skeleton, strings } = lexStrings(q.requests);
    expect(skeleton).toBe(
      `sum by (${BY}) (increase(istio_requests_total{reporter=S, destination_service_namespace=~S, destination_service_name=~S}[30s]))`,
    );
    const [, namespaces, services] = strings;
    expect(regexMatches(namespaces!, HOSTILE)).toBe(true);
    expect(regexMatches(namespaces!, 'anything')).toBe(false);
    expect(regexMatches(services!, '.*')).toBe(true);
    expect(regexMatches(services!, 'payments')).toBe(false);
  });

  it('keeps the query shape for any namespace, service and version', () => {
    const shape = lexStrings(builtinQueries([target('a', 'b', 'c')], '30s').errors).skeleton;
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (ns, svc, v) => {
        const { skeleton, strings } = lexStrings(builtinQueries([target(ns, svc, v)], '30s').errors);
        expect(skeleton).toBe(shape);
        expect(regexMatches(strings[2]!, ns) && regexMatches(strings[3]!, svc)).toBe(true);
      }),
    );
  });
});

describe('planQueries', () => {
  const templates = {
    requests: 'sum(increase(http_requests_total{namespace="{{namespace}}", app="{{service}}", version="{{version}}"}[{{interval}}]))',
    errors: 'sum(increase(http_requests_total{namespace="{{namespace}}", app="{{service}}", version="{{version}}", code=~"5.."}[{{interval}}]))',
  };

  it('batches built-in shifts and queries a shift with templates on its own', () => {
    const custom = target('pay', 'ledger', HOSTILE, { query: templates });
    const plan = planQueries({ url: 'http://prom:9090', intervalMs: 30_000, targets: [target('shop', 'reviews', 'v2'), custom, target('shop', 'cart', 'v3')] });
    expect(plan.map((q) => [q._tag, q._tag === 'Batch' ? q.targets.map((t) => t.key) : q.target.key])).toEqual([
      ['Batch', ['shop/reviews', 'shop/cart']],
      ['Single', 'pay/ledger'],
    ]);
    const single = plan[1]!;
    expect(single._tag === 'Single' && single.queries.requests).toBe(
      'sum(increase(http_requests_total{namespace="pay", app="ledger", version="a\\"}or vector(1)#"}[30s]))',
    );
    const batch = plan[0]!;
    expect(batch._tag === 'Batch' && [batch.queries.requests, batch.queries.errors].some((q) => q.includes('vector(1)'))).toBe(false);
  });

  it('makes a shift whose template does not render unqueryable, with the field named', () => {
    const bad = target('pay', 'ledger', 'v1', { query: { ...templates, errors: 'sum(x{pod="{{pod}}"})' } });
    expect(planQueries({ url: 'http://prom:9090', intervalMs: 30_000, targets: [bad] })).toEqual([
      {
        _tag: 'Unqueryable',
        target: bad,
        reason: 'spec.analysis.query.errors: unknown placeholder {{pod}} (expected {{namespace}}, {{service}}, {{version}} or {{interval}})',
      },
    ]);
  });

  it('asks a template p99 only when the shift sets a latency limit', () => {
    const withP99 = { ...templates, p99LatencyMs: 'histogram_quantile(0.99, sum by (le) (rate(lat_bucket{v="{{version}}"}[{{interval}}])))' };
    const [limited] = planQueries({ url: 'u', intervalMs: 90_000, targets: [target('a', 'b', 'v1', { query: withP99, maxP99LatencyMs: 250 })] });
    const [unlimited] = planQueries({ url: 'u', intervalMs: 90_000, targets: [target('a', 'b', 'v1', { query: withP99 })] });
    expect(limited?._tag === 'Single' && limited.queries.p99).toBe('histogram_quantile(0.99, sum by (le) (rate(lat_bucket{v="v1"}[1m30s])))');
    expect(unlimited?._tag === 'Single' && unlimited.queries.p99).toBeUndefined();
  });
});
