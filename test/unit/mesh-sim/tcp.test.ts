/** The simulator's TCP connections, as Envoy and Istio handle them (issue 13). */
import { istioMetrics } from '../../mesh-sim/metrics';
import type { ServicePort, VirtualService } from '../../mesh-sim/model';
import { seededRng } from '../../mesh-sim/prng';
import { portProtocol, serviceProtocol } from '../../mesh-sim/protocol';
import { applyChange } from '../../mesh-sim/profiles';
import { isFailure, reportsOf, simulateStream, upstreamsOf, type SimulatedRequest, type Stream, type TickContext } from '../../mesh-sim/simulate';
import { tcpEvents, TCP_REPORTING_MS } from '../../mesh-sim/tcp';
import { Ledger } from '../../mesh-sim/ledger';
import { serviceKey } from '../../mesh-sim/hosts';
import { service, snapshot, split, v1v2Rule, virtualService } from './fixtures';

const tcpService = (ports: readonly ServicePort[] = [{ port: 5432, name: 'tcp-postgres' }]) => ({ ...service(), ports });
const stream = (rps: number): Stream => ({
  id: 'shop/reviews',
  target: { namespace: 'shop', name: 'reviews' },
  rps,
  request: { uri: '/', headers: {}, source: { labels: { app: 'loadgen' }, namespace: 'shop' } },
  source: { workload: 'loadgen', namespace: 'shop', serviceAccount: 'loadgen' },
});
const tcpSplit = (v1: number, v2: number) => ({ route: split(v1, v2).route });
const connections = (vs: VirtualService | undefined, n: number, over: Partial<TickContext> = {}, ports?: readonly ServicePort[]): readonly SimulatedRequest[] => {
  const snap = snapshot({ services: [tcpService(ports)], virtualServices: vs ? [vs] : [], destinationRules: [v1v2Rule()] });
  const ctx: TickContext = { snapshot: snap, profiles: new Map(), versionLabel: () => 'version', ...over };
  return simulateStream(stream(n), 0, 1000, ctx, upstreamsOf(ctx.snapshot), seededRng(7)).requests;
};
const byVersion = (rs: readonly SimulatedRequest[]) => rs.reduce<Record<string, number>>((m, r) => ({ ...m, [r.version]: (m[r.version] ?? 0) + 1 }), {});

describe('which protocol Istio gives a Service port', () => {
  it.each([
    [{ port: 80, name: 'http-web' }, 'http'], [{ port: 5432, name: 'tcp-postgres' }, 'tcp'], [{ port: 5432, name: 'TCP' }, 'tcp'],
    [{ port: 443, name: 'https' }, 'tcp'], [{ port: 443, name: 'tls-x' }, 'tcp'], [{ port: 3306, name: 'mysql' }, 'tcp'], [{ port: 9090, name: 'grpc-web' }, 'http'],
    [{ port: 5432, name: 'http-db', appProtocol: 'tcp' }, 'tcp'], [{ port: 80, name: 'tcp-x', appProtocol: 'http' }, 'http'],
    [{ port: 8080, name: 'web' }, 'http'], [{ port: 8080 }, 'http'],
  ] as const)('%j is %s', (port, expected) => {
    expect(portProtocol(port)).toBe(expected);
  });

  it('the first port decides for the streams; a Service without ports is HTTP', () => {
    expect(serviceProtocol(tcpService([{ port: 5432, name: 'tcp' }, { port: 80, name: 'http' }]))).toBe('tcp');
    expect(serviceProtocol(service())).toBe('http');
    expect(serviceProtocol(undefined)).toBe('http');
  });
});

describe('TCP routing', () => {
  it('a tcp route weighs connections: 80/20 over 20 000 connections lands within 1 %', () => {
    const rs = connections(virtualService([], { tcp: [tcpSplit(80, 20)] }), 20_000);
    expect(rs.every((r) => r.protocol === 'tcp' && r.status === 0)).toBe(true);
    expect(Math.abs(byVersion(rs)['v2']! / 20_000 - 0.2)).toBeLessThan(0.01);
  });

  it('http routes do not apply to a TCP port, and tcp routes do not apply to an HTTP one', () => {
    const vs = virtualService([split(100, 0)], { tcp: [tcpSplit(0, 100)] });
    expect(byVersion(connections(vs, 200))).toEqual({ v2: 200 });
    expect(byVersion(connections(vs, 200, {}, [{ port: 80, name: 'http' }]))).toEqual({ v1: 200 });
  });

  it('without a tcp route, or none that matches, a connection goes to the Service (all ready pods)', () => {
    const counts = byVersion(connections(virtualService([split(0, 100)]), 2000));
    expect(counts['v1']! + counts['v2']!).toBe(2000);
    expect(counts['v1']).toBeGreaterThan(800);
    const elsewhere = virtualService([], { tcp: [{ match: [{ port: 9999 }], ...tcpSplit(0, 100) }] });
    expect(byVersion(connections(elsewhere, 2000))['v1']).toBeGreaterThan(800);
  });

  it('the first route whose match holds wins: port, source labels, source namespace', () => {
    const vs = virtualService([], { tcp: [{ match: [{ port: 5432, sourceLabels: { app: 'other' } }], ...tcpSplit(100, 0) }, { match: [{ port: 5432, sourceNamespace: 'shop' }], ...tcpSplit(0, 100) }] });
    expect(byVersion(connections(vs, 100))).toEqual({ v2: 100 });
  });

  it('a subset without ready pods: flag UH, reported by the client sidecar only; a missing subset: NC', () => {
    const unready = connections(virtualService([], { tcp: [tcpSplit(0, 100)] }), 50, { snapshot: snapshot({ services: [tcpService()], virtualServices: [virtualService([], { tcp: [tcpSplit(0, 100)] })], destinationRules: [v1v2Rule()], pods: [] }) });
    expect(new Set(unready.map((r) => r.flags))).toEqual(new Set(['UH']));
    expect(reportsOf(unready[0]!).map((r) => [r.reporter, r.responseFlags, r.protocol])).toEqual([['source', 'UH', 'tcp']]);
    const missing = connections(virtualService([], { tcp: [{ route: [{ destination: { host: 'reviews', subset: 'v9' } }] }] }), 10);
    expect(new Set(missing.map((r) => r.flags))).toEqual(new Set(['NC']));
  });
});

describe('failed connections', () => {
  const failing = applyChange(new Map(), { namespace: 'shop', service: 'reviews', version: 'v2', errorFraction: 0.3 });
  const rs = connections(virtualService([], { tcp: [tcpSplit(0, 100)] }), 4000, { profiles: failing });
  const failed = rs.filter(isFailure);

  it("fail with the version's errorFraction, flagged UF,URX by the server sidecar and by nothing at the client", () => {
    expect(Math.abs(failed.length / rs.length - 0.3)).toBeLessThan(0.03);
    expect(reportsOf(failed[0]!).map((r) => [r.reporter, r.responseFlags])).toEqual([['destination', 'UF,URX'], ['source', '-']]);
    expect(reportsOf(rs.find((r) => !isFailure(r))!).map((r) => [r.reporter, r.responseFlags])).toEqual([['destination', '-'], ['source', '-']]);
  });

  it('are reported opened and closed at once; a long connection is reported opened at the first 5 s report, closed when it closes, with its bytes', () => {
    const at = 1_000_000;
    expect(tcpEvents(failed[0]!, at).map((e) => [e.report.reporter, e.event, e.at - at, e.bytes])).toEqual([
      ['destination', 'opened', 0, undefined], ['destination', 'closed', 0, undefined], ['source', 'opened', 0, undefined], ['source', 'closed', 0, undefined],
    ]);
    const long = { ...rs.find((r) => !isFailure(r))!, latencyMs: 12_000 };
    expect(tcpEvents(long, at).filter((e) => e.report.reporter === 'destination').map((e) => [e.event, e.at - at, e.bytes])).toEqual([
      ['opened', TCP_REPORTING_MS, undefined], ['closed', 12_000, { received: 64, sent: 512 }],
    ]);
    const short = { ...long, latencyMs: 300 };
    expect(tcpEvents(short, at).filter((e) => e.report.reporter === 'destination').map((e) => [e.event, e.at - at])).toEqual([['opened', 300], ['closed', 300]]);
  });

  it("are exported with Istio's TCP metric names and labels (no response_code), the flags on both counters", async () => {
    const m = istioMetrics();
    for (const r of rs.slice(0, 400)) for (const e of tcpEvents(r, 0)) m.recordTcp(e.report, e.event, e.bytes);
    const text = await m.registry.metrics();
    const line = (name: string, flags: string) => text.split('\n').find((l) => l.startsWith(`${name}{reporter="destination"`) && l.includes(`response_flags="${flags}"`));
    const value = (l: string | undefined) => Number(l?.slice(l.lastIndexOf(' ') + 1));
    const failedIn400 = rs.slice(0, 400).filter(isFailure).length;
    expect(value(line('istio_tcp_connections_opened_total', 'UF,URX'))).toBe(failedIn400);
    expect(value(line('istio_tcp_connections_closed_total', 'UF,URX'))).toBe(failedIn400);
    expect(value(line('istio_tcp_connections_opened_total', '-'))).toBe(400 - failedIn400);
    expect(value(line('istio_tcp_sent_bytes_total', '-'))).toBe((400 - failedIn400) * 512);
    const opened = line('istio_tcp_connections_opened_total', '-')!;
    expect(opened).toContain('request_protocol="tcp"');
    expect(opened).toContain('connection_security_policy="mutual_tls"');
    expect(opened).toContain('destination_version="v2"');
    expect(opened).not.toContain('response_code');
    expect(opened).not.toContain('grpc_response_status');
  });

  it('the ledger adds up: connections per version equal what the stream opened, failures are the flagged ones', () => {
    const ledger = new Ledger(0);
    for (const r of rs) ledger.book({ service: serviceKey(r.outcome.service), version: r.version, second: 0, failed: isFailure(r) });
    expect(ledger.totals('shop/reviews')).toEqual({ v2: { requests: rs.length, failures: failed.length } });
  });
});
