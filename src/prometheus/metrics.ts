/**
 * The gate sampler's own metric. It is created without a registry so importing this module has no
 * side effect; the daemon adds it to its registry (src/daemon/metrics.ts) with
 * `registry.registerMetric(prometheusQueryDuration)`.
 */
import { Histogram } from 'prom-client';

/** Which query (requests | errors | p99) and how it ended (ok | Network | Timeout | Http | Redirect | TooLarge | PromQL | Decode). */
export type QueryDurationLabels = 'query' | 'outcome';

export const prometheusQueryDuration = new Histogram<QueryDurationLabels>({
  name: 'sluice_prometheus_query_duration_seconds',
  help: 'Duration of the gate queries sent to Prometheus, by query (requests, errors, p99) and outcome (ok or the error kind).',
  labelNames: ['query', 'outcome'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [],
});
