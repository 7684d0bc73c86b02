/**
 * istio_requests_total and istio_request_duration_milliseconds on the simulator's own prom-client
 * Registry, with Istio's names, labels and default buckets; and Istio's TCP metrics
 * (istio_tcp_connections_opened_total, istio_tcp_connections_closed_total,
 * istio_tcp_sent_bytes_total, istio_tcp_received_bytes_total) for connections (tcp.ts).
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { ISTIO_LABELS, ISTIO_TCP_LABELS, istioLabels, istioTcpLabels, type IstioLabels, type IstioTcpLabels, type Report } from './labels';

/** Istio's default buckets for istio_request_duration_milliseconds. */
export const ISTIO_DURATION_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

type Label = (typeof ISTIO_LABELS)[number];

export interface IstioMetrics {
  readonly registry: Registry;
  /** Counts one report and observes its duration. */
  readonly record: (report: Report, durationMs: number) => void;
  /** Counts one TCP connection report: opened, or closed with the bytes it moved (istio_tcp_*). */
  readonly recordTcp: (report: Report, event: 'opened' | 'closed', bytes?: { readonly sent: number; readonly received: number }) => void;
}

type TcpLabel = (typeof ISTIO_TCP_LABELS)[number];
type TcpCounts = { opened: number; closed: number; sent: number; received: number };

/** A counter whose value per label set is added up in `series` and handed over when Prometheus scrapes. */
const pendingCounter = (registry: Registry, name: string, help: string, series: Map<string, { labels: IstioTcpLabels; pending: TcpCounts }>, field: keyof TcpCounts): void => {
  new Counter<TcpLabel>({
    name,
    help,
    labelNames: [...ISTIO_TCP_LABELS],
    registers: [registry],
    collect() {
      for (const s of series.values()) {
        if (s.pending[field] > 0) this.inc(s.labels, s.pending[field]);
        s.pending[field] = 0;
      }
    },
  });
};

/** Everything that can make two reports' label sets differ, cheap to compute per request. */
const reportKey = (r: Report): string =>
  [r.reporter, r.source.namespace, r.source.workload, r.source.serviceAccount, r.service.namespace, r.service.name,
    r.peer?.pod.namespace, r.peer?.pod.name,
    // A pod relabelled in place (its version labels) must start a new series.
    r.peer?.pod.labels['version'], r.peer?.pod.labels['app.kubernetes.io/version'], r.peer?.pod.labels['service.istio.io/canonical-revision'], r.responseCode, r.responseFlags].join('\u0000');

export const istioMetrics = (): IstioMetrics => {
  const registry = new Registry();
  const labelNames = [...ISTIO_LABELS];
  // prom-client validates and hashes the label set on every call, which dominated the simulator's
  // CPU; so each distinct report gets its labels once, counts are added up here and handed to the
  // counter when Prometheus scrapes (`collect`), and observations go to a bound histogram child.
  const series = new Map<string, { labels: IstioLabels; pending: number; observe: (v: number) => void }>();
  new Counter<Label>({
    name: 'istio_requests_total',
    help: 'Requests handled by an Istio proxy (simulated).',
    labelNames,
    registers: [registry],
    collect() {
      for (const s of series.values()) {
        if (s.pending > 0) this.inc(s.labels, s.pending);
        s.pending = 0;
      }
    },
  });
  const duration = new Histogram<Label>({
    name: 'istio_request_duration_milliseconds',
    help: 'Duration of requests in milliseconds (simulated).',
    labelNames,
    buckets: ISTIO_DURATION_BUCKETS,
    registers: [registry],
  });
  const tcp = new Map<string, { labels: IstioTcpLabels; pending: TcpCounts }>();
  pendingCounter(registry, 'istio_tcp_connections_opened_total', 'TCP connections opened (simulated).', tcp, 'opened');
  pendingCounter(registry, 'istio_tcp_connections_closed_total', 'TCP connections closed (simulated).', tcp, 'closed');
  pendingCounter(registry, 'istio_tcp_sent_bytes_total', 'Bytes sent during the response of TCP connections (simulated).', tcp, 'sent');
  pendingCounter(registry, 'istio_tcp_received_bytes_total', 'Bytes received during the request of TCP connections (simulated).', tcp, 'received');
  return {
    registry,
    recordTcp: (report, event, bytes) => {
      const key = reportKey(report);
      let s = tcp.get(key);
      if (s === undefined) {
        s = { labels: istioTcpLabels(report), pending: { opened: 0, closed: 0, sent: 0, received: 0 } };
        tcp.set(key, s);
      }
      s.pending[event] += 1;
      s.pending.sent += bytes?.sent ?? 0;
      s.pending.received += bytes?.received ?? 0;
    },
    record: (report, durationMs) => {
      const key = reportKey(report);
      let s = series.get(key);
      if (s === undefined) {
        const labels = istioLabels(report);
        const child = duration.labels(labels);
        s = { labels, pending: 0, observe: (v) => child.observe(v) };
        series.set(key, s);
      }
      s.pending += 1;
      s.observe(durationMs);
    },
  };
};
