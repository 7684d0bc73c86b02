import fc from 'fast-check';
import { NO_URL } from '../../../src/prometheus/access';
import { ResolvedSpec } from '../../../src/api/spec';
import { builtinQueries, countStartMs, countWindowMs, Destination, GateGroup, GateTarget, gateTargetOf, groupTargets, planQueries, urlOf } from '../../../src/prometheus/queries';
import { lexStrings, regexMatches, target } from './fixtures';

const BY = 'destination_service_namespace, destination_service_name, destination_version';
const HOSTILE = 'a"}or vector(1)#';

const to = (id: string): Destination => ({ _tag: 'Connection', id });
const group = (targets: GateTarget[], intervalMs = 30_000): GateGroup => ({ destination: to('default'), intervalMs, targets });

describe('groupTargets', () => {
  it('groups shifts by destination and interval', () => {
    const groups = groupTargets(
      [
        target('shop', 'reviews', 'v2'),
        target('pay', 'ledger', 'v7', { prometheusUrl: 'http://thanos:9090' }),
        target('shop', 'cart', 'v3', { intervalMs: 60_000 }),
        target('web', 'front', 'v9', { prometheusUrl: 'http://prom:9090' }),
      ],
      (t) => to(t.analysis.prometheusUrl === 'http://thanos:9090' ? 'thanos' : 'default'),
    );
    expect(groups.map((g) => [g.destination, g.intervalMs, g.targets.map((t) => t.key)])).toEqual([
      [to('default'), 30_000, ['shop/reviews', 'web/front']],
      [to('thanos'), 30_000, ['pay/ledger']],
      [to('default'), 60_000, ['shop/cart']],
    ]);
  });

  it('puts refused shifts in groups whose plan sends nothing and gives the reason', () => {
    const [refused] = groupTargets([target('shop', 'reviews', 'v2')], () => ({ _tag: 'Refused', reason: NO_URL }));
    expect(planQueries(refused!)).toEqual([
      { _tag: 'Unqueryable', target: target('shop', 'reviews', 'v2'), reason: "no Prometheus is configured: set spec.analysis.prometheus.url or the daemon's --prometheus-url" },
    ]);
  });
});

describe('urlOf', () => {
  it("names the field a shift's URL came from", () => {
    expect(urlOf(target('a', 'b', 'v1', { prometheusUrl: 'http://x' }), 'http://prom:9090')).toEqual({ url: 'http://x', field: 'spec.analysis.prometheus.url' });
    expect(urlOf(target('a', 'b', 'v1'), 'http://prom:9090')).toEqual({ url: 'http://prom:9090', field: '--prometheus-url' });
    expect(urlOf(target('a', 'b', 'v1'), undefined)).toEqual({ url: '', field: '--prometheus-url' });
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
    const plan = planQueries(group([target('shop', 'reviews', 'v2'), custom, target('shop', 'cart', 'v3')]));
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
    expect(planQueries(group([bad]))).toEqual([
      {
        _tag: 'Unqueryable',
        target: bad,
        reason: 'spec.analysis.query.errors: unknown placeholder {{pod}} (expected {{namespace}}, {{service}}, {{version}} or {{interval}})',
      },
    ]);
  });

  it('asks a template p99 only when the shift sets a latency limit', () => {
    const withP99 = { ...templates, p99LatencyMs: 'histogram_quantile(0.99, sum by (le) (rate(lat_bucket{v="{{version}}"}[{{interval}}])))' };
    const [limited] = planQueries(group([target('a', 'b', 'v1', { query: withP99, maxP99LatencyMs: 250 })], 90_000));
    const [unlimited] = planQueries(group([target('a', 'b', 'v1', { query: withP99 })], 90_000));
    expect(limited?._tag === 'Single' && limited.queries.p99).toBe('histogram_quantile(0.99, sum by (le) (rate(lat_bucket{v="v1"}[1m30s])))');
    expect(unlimited?._tag === 'Single' && unlimited.queries.p99).toBeUndefined();
  });

  it('makes a shift with templates unqueryable when the operator has not allowed them, and sends its batch neighbours as usual', () => {
    const custom = target('pay', 'ledger', 'v1', { query: templates });
    const refusal = 'spec.analysis.query: custom query templates are off';
    const plan = planQueries(group([custom, target('shop', 'reviews', 'v2')]), (t) => (t.analysis.query ? refusal : undefined));
    expect(plan.map((q) => q._tag)).toEqual(['Batch', 'Unqueryable']);
    expect(plan[1]).toEqual({ _tag: 'Unqueryable', target: custom, reason: refusal });
  });
});

describe('sequential shifts in a batch (issue 11)', () => {
  const AT = Date.UTC(2026, 11, 3, 12, 0, 0);
  const seq = (ns: string, svc: string, v: string, sinceMs: number): GateTarget => ({ ...target(ns, svc, v, { method: 'sequential' }), evidenceSince: AT - sinceMs });

  it('counts a sequential shift since its period began rounded down to whole intervals, a start that stays put while it is read', () => {
    expect(countStartMs(seq('a', 'b', 'v2', 95_000))).toBe(AT - 120_000);
    expect(countWindowMs(seq('a', 'b', 'v2', 95_000), AT + 5_000)).toBe(125_000);
    expect(countWindowMs(seq('a', 'b', 'v2', 95_000), AT + 7_000)).toBe(127_000);
    expect(countStartMs(target('a', 'b', 'v2'))).toBeUndefined();
    expect(countWindowMs(seq('a', 'b', 'v2', 95_000), AT)).toBe(120_000);
    expect(countWindowMs(seq('a', 'b', 'v2', 90_000), AT)).toBe(90_000);
    expect(countWindowMs(seq('a', 'b', 'v2', 2_000), AT)).toBe(30_000);
    expect(countWindowMs(target('a', 'b', 'v2'), AT)).toBe(30_000);
  });

  it('still sends one query per metric: the interval term, then one labelled term per distinct window, joined by or', () => {
    const targets = [target('ns1', 'svc1', 'v2'), seq('ns2', 'svc2', 'v5', 95_000), seq('ns3', 'svc3', 'v1', 100_000), seq('ns4', 'svc4', 'v9', 20_000)];
    const [only, ...rest] = planQueries(group(targets), undefined, AT);
    expect(rest).toEqual([]);
    expect(only?._tag === 'Batch' && [...only.windows!.entries()]).toEqual([['ns2/svc2', 120_000], ['ns3/svc3', 120_000], ['ns4/svc4', 30_000]]);
    const sel = (ns: string, svc: string) => `{reporter="destination", destination_service_namespace=~"${ns}", destination_service_name=~"${svc}"}`;
    // A window's exact count (queries.ts exactSumBy): growth since the start, increase() across a reset, else from zero.
    const exact = (x: string, w: string) =>
      `sum by (${BY}) ((last_over_time(${x}[${w}]) - ${x} offset ${w} >= 0 unless resets(${x}[${w}]) > 0)` +
      ` or (increase(${x}[${w}]) and resets(${x}[${w}]) > 0) or last_over_time(${x}[${w}]))`;
    expect(only?._tag === 'Batch' && only.queries.requests).toBe(
      `sum by (${BY}) (increase(istio_requests_total${sel('ns1', 'svc1')}[30s]))` +
        ` or label_replace(${exact(`istio_requests_total${sel('ns4', 'svc4')}`, '30s')}, "sluice_window", "30s", "destination_version", ".*")` +
        ` or label_replace(${exact(`istio_requests_total${sel('ns2|ns3', 'svc2|svc3')}`, '2m')}, "sluice_window", "2m", "destination_version", ".*")` +
        ` or label_replace(max(timestamp(istio_requests_total${sel('ns2|ns3|ns4', 'svc2|svc3|svc4')})), "sluice_scraped", "last", "", "")`,
    );
    // The errors query has the same terms with the 5xx matcher, and no scrape time.
    const sel5 = (ns: string, svc: string) => `{reporter="destination", response_code=~"5..", destination_service_namespace=~"${ns}", destination_service_name=~"${svc}"}`;
    expect(only?._tag === 'Batch' && only.queries.errors).toBe(
      `sum by (${BY}) (increase(istio_requests_total${sel5('ns1', 'svc1')}[30s]))` +
        ` or label_replace(${exact(`istio_requests_total${sel5('ns4', 'svc4')}`, '30s')}, "sluice_window", "30s", "destination_version", ".*")` +
        ` or label_replace(${exact(`istio_requests_total${sel5('ns2|ns3', 'svc2|svc3')}`, '2m')}, "sluice_window", "2m", "destination_version", ".*")`,
    );
  });

  it('fills {{interval}} of a template with the window in the count queries and with the interval in the p99 query', () => {
    const t: GateTarget = {
      ...target('a', 'b', 'v2', { method: 'sequential', maxP99LatencyMs: 300, query: { requests: 'sum(increase(r[{{interval}}]))', errors: 'sum(increase(e[{{interval}}]))', p99LatencyMs: 'max(p[{{interval}}])' } }),
      evidenceSince: AT - 95_000,
    };
    expect(planQueries(group([t]), undefined, AT)).toEqual([
      { _tag: 'Single', target: t, windowMs: 120_000, queries: { requests: 'sum(increase(r[2m]))', errors: 'sum(increase(e[2m]))', p99: 'max(p[30s])' } },
    ]);
  });

  it('builds the daemon target from status: evidenceSince for sequential, the stable version for compareTo', () => {
    const spec = { service: 'reviews', analysis: { ...target('a', 'b', 'v').analysis, method: 'sequential' as const, compareTo: 'stable' as const } } as ResolvedSpec;
    const status = { stableVersion: 'v1', stepStartedAt: '2026-12-03T11:00:00.000Z', evidenceSince: '2026-12-03T11:58:00.000Z' };
    expect(gateTargetOf('shop/reviews', 'shop', spec, status, 'v2')).toEqual({
      key: 'shop/reviews', namespace: 'shop', service: 'reviews', version: 'v2', analysis: spec.analysis, evidenceSince: Date.UTC(2026, 11, 3, 11, 58), compareWith: 'v1',
    });
    const threshold = { ...spec, analysis: { ...spec.analysis, method: 'threshold' as const, compareTo: undefined } } as ResolvedSpec;
    expect(gateTargetOf('shop/reviews', 'shop', threshold, status, 'v2')).toEqual({ key: 'shop/reviews', namespace: 'shop', service: 'reviews', version: 'v2', analysis: threshold.analysis });
  });
});
