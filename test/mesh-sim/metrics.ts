/**
 * istio_requests_total and istio_request_duration_milliseconds on the simulator's own prom-client
 * Registry, with Istio's names, labels and default buckets.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { ISTIO_LABELS, istioLabels, type IstioLabels, type Report } from './labels';

/** Istio's default buckets for istio_request_duration_milliseconds. */
export const ISTIO_DURATION_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

type Label = (typeof ISTIO_LABELS)[number];

export interface IstioMetrics {
  readonly registry: Registry;
  /** Counts one report and observes its duration. */
  readonly record: (report: Report, durationMs: number) => void;
}

export const istioMetrics = (): IstioMetrics => {
  const registry = new Registry();
  const labelNames = [...ISTIO_LABELS];
  const requests = new Counter<Label>({ name: 'istio_requests_total', help: 'Requests handled by an Istio proxy (simulated).', labelNames, registers: [registry] });
  const duration = new Histogram<Label>({
    name: 'istio_request_duration_milliseconds',
    help: 'Duration of requests in milliseconds (simulated).',
    labelNames,
    buckets: ISTIO_DURATION_BUCKETS,
    registers: [registry],
  });
  // prom-client hashes the label set on every call; a child per distinct label set avoids that.
  const children = new Map<string, { inc: () => void; observe: (v: number) => void }>();
  const childFor = (labels: IstioLabels) => {
    const key = ISTIO_LABELS.map((l) => labels[l]).join('\u0000');
    let child = children.get(key);
    if (child === undefined) {
      const c = requests.labels(labels);
      const h = duration.labels(labels);
      child = { inc: () => c.inc(), observe: (v) => h.observe(v) };
      children.set(key, child);
    }
    return child;
  };
  return {
    registry,
    record: (report, durationMs) => {
      const child = childFor(istioLabels(report));
      child.inc();
      child.observe(durationMs);
    },
  };
};
