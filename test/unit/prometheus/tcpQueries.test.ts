/** spec.protocol: tcp — the gate's queries and samples for TCP shifts (issue 13). */
import { builtinQueries, GateGroup, GateTarget, gateTargetOf, planQueries } from '../../../src/prometheus/queries';
import { assessAnswers } from '../../../src/prometheus/samples';
import { ok, series, target } from './fixtures';
import { ResolvedSpec } from '../../../src/api/spec';

const BY = 'destination_service_namespace, destination_service_name, destination_version';
const tcp = (t: GateTarget): GateTarget => ({ ...t, protocol: 'tcp' });
const group = (targets: GateTarget[]): GateGroup => ({ destination: { _tag: 'Connection', id: 'default' }, intervalMs: 30_000, targets });
const tcpSeries = (namespace: string, service: string, version: string, value: number) => {
  const s = series(namespace, service, version, value);
  return { ...s, labels: { ...s.labels, sluice_protocol: 'tcp' } };
};

describe('TCP gate queries', () => {
  it('counts connections opened, and closed with an Envoy response flag, from the server sidecars', () => {
    const q = builtinQueries([tcp(target('shop', 'db', 'v2'))], '30s');
    expect(q.requests).toBe(
      `label_replace(sum by (${BY}) (increase(istio_tcp_connections_opened_total{reporter="destination", destination_service_namespace=~"shop", destination_service_name=~"db"}[30s])), "sluice_protocol", "tcp", "destination_version", ".*")`,
    );
    expect(q.errors).toBe(
      `label_replace(sum by (${BY}) (increase(istio_tcp_connections_closed_total{reporter="destination", response_flags!="-", destination_service_namespace=~"shop", destination_service_name=~"db"}[30s])), "sluice_protocol", "tcp", "destination_version", ".*")`,
    );
    expect(q.p99).toBeUndefined();
  });

  it('shares the batch with HTTP shifts: still one query per metric, the HTTP term unchanged', () => {
    const http = target('shop', 'reviews', 'v2');
    const both = planQueries(group([http, tcp(target('shop', 'db', 'v2'))]));
    expect(both).toHaveLength(1);
    const alone = builtinQueries([http], '30s');
    expect(both[0]!._tag === 'Batch' && both[0]!.queries.requests.startsWith(`${alone.requests} or label_replace(`)).toBe(true);
    expect(both[0]!._tag === 'Batch' && both[0]!.queries.errors.startsWith(`${alone.errors} or label_replace(`)).toBe(true);
  });

  it('reads a TCP shift from its own series only, so a Service reporting both protocols is not mixed up', () => {
    const http = target('shop', 'db', 'v2');
    const t = { ...tcp(target('shop', 'db', 'v2')), key: 'shop/db-tcp' };
    const [q] = planQueries(group([http, t]));
    const samples = assessAnswers(q!, {
      requests: ok([series('shop', 'db', 'v2', 500), tcpSeries('shop', 'db', 'v2', 40)]),
      errors: ok([series('shop', 'db', 'v2', 1), tcpSeries('shop', 'db', 'v2', 6)]),
    }, 1_000);
    expect(samples.map((s) => [s.key, s.sample._tag === 'Measured' ? [s.sample.requests, s.sample.errors] : s.sample._tag])).toEqual([
      ['shop/db', [500, 1]],
      ['shop/db-tcp', [40, 6]],
    ]);
  });

  it('sequential windows and compareTo work on TCP series as on HTTP ones', () => {
    const t: GateTarget = { ...tcp(target('shop', 'db', 'v2', { method: 'sequential' })), evidenceSince: 0, compareWith: 'v1' };
    const [q] = planQueries(group([t]), undefined, 75_000);
    // counted exactly since the period's start (0 s), like HTTP series (queries.ts exactSumBy)
    expect(q!._tag === 'Batch' && q!.queries.requests).toContain('"sluice_window", "1m15s"');
    expect(q!._tag === 'Batch' && q!.queries.requests).toContain('last_over_time(istio_tcp_connections_opened_total{');
    const windowed = (s: ReturnType<typeof tcpSeries>) => ({ ...s, labels: { ...s.labels, sluice_window: '1m15s' } });
    const [sample] = assessAnswers(q!, {
      requests: ok([windowed(tcpSeries('shop', 'db', 'v2', 30)), windowed(tcpSeries('shop', 'db', 'v1', 300))]),
      errors: ok([windowed(tcpSeries('shop', 'db', 'v2', 3))]),
    }, 75_000);
    expect(sample!.sample).toMatchObject({ _tag: 'Measured', requests: 30, errors: 3, windowMs: 75_000, compared: { version: 'v1', requests: 300, errors: 0 } });
  });

  it('custom templates run as today for a TCP shift', () => {
    const t = tcp(target('shop', 'db', 'v2', { query: { requests: 'sum(increase(my_conns{v="{{version}}"}[{{interval}}]))', errors: 'sum(increase(my_fails{v="{{version}}"}[{{interval}}]))' } }));
    const [q] = planQueries(group([t]));
    expect(q).toMatchObject({ _tag: 'Single', queries: { requests: 'sum(increase(my_conns{v="v2"}[30s]))', errors: 'sum(increase(my_fails{v="v2"}[30s]))' } });
  });

  it('gateTargetOf marks a tcp shift, and only a tcp shift', () => {
    const spec = (protocol: 'http' | 'tcp') => ({ service: 'db', analysis: target('shop', 'db', 'v2').analysis, protocol } as unknown as ResolvedSpec);
    expect(gateTargetOf('shop/db', 'shop', spec('tcp'), {}, 'v2').protocol).toBe('tcp');
    expect(gateTargetOf('shop/db', 'shop', spec('http'), {}, 'v2').protocol).toBeUndefined();
  });
});
