/**
 * The daemon's Prometheus metrics, in its own registry (served at --metrics-addr /metrics).
 * Other modules register their metrics here: the gate sampler's
 * sluice_prometheus_query_duration_seconds (prometheus/metrics.ts) is added below.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PHASES, ShiftStatus } from '../api/status';
import { Decision } from '../core/types';
import { prometheusQueryDuration } from '../prometheus/metrics';
import { hookCalls, hookDuration, notificationsDropped, notificationsSent } from '../hooks/metrics';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });
registry.registerMetric(prometheusQueryDuration);
registry.registerMetric(hookCalls);
registry.registerMetric(hookDuration);
registry.registerMetric(notificationsSent);
registry.registerMetric(notificationsDropped);

const shiftLabels = ['namespace', 'name'] as const;

export const metrics = {
  shiftPhase: new Gauge({ name: 'sluice_shift_phase', help: '1 for the phase each TrafficShift is in, 0 for the others.', labelNames: [...shiftLabels, 'phase'], registers: [registry] }),
  shiftWeight: new Gauge({ name: 'sluice_shift_weight', help: 'Percent of traffic routed to each version of a TrafficShift.', labelNames: [...shiftLabels, 'version'], registers: [registry] }),
  shiftStep: new Gauge({ name: 'sluice_shift_step', help: 'Canary step index the candidate is at (-1 before the first step).', labelNames: shiftLabels, registers: [registry] }),
  gateErrorRate: new Gauge({ name: 'sluice_gate_error_rate', help: 'Candidate 5xx share in the last gate check.', labelNames: shiftLabels, registers: [registry] }),
  gateRequests: new Gauge({ name: 'sluice_gate_requests', help: 'Candidate requests in the last gate check window.', labelNames: shiftLabels, registers: [registry] }),
  gateVerdicts: new Counter({ name: 'sluice_gate_verdicts_total', help: 'Gate checks recorded in status.lastGate, by result (Pass, Fail, NoData, Unavailable); a hold repeating the last record is not recorded again.', labelNames: ['result'], registers: [registry] }),
  rollbacks: new Counter({ name: 'sluice_rollbacks_total', help: 'Candidates fallen back to the stable version.', labelNames: shiftLabels, registers: [registry] }),
  promotions: new Counter({ name: 'sluice_promotions_total', help: 'Candidates promoted to stable.', labelNames: shiftLabels, registers: [registry] }),
  reconcileDuration: new Histogram({
    name: 'sluice_reconcile_duration_seconds', help: 'Duration of one reconcile of one TrafficShift.', labelNames: ['result'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
  }),
  workqueueDepth: new Gauge({ name: 'sluice_workqueue_depth', help: 'TrafficShifts waiting to be reconciled.', registers: [registry] }),
  leader: new Gauge({ name: 'sluice_leader', help: '1 while this replica holds the leader lease.', registers: [registry] }),
  kubeRequests: new Counter({ name: 'sluice_kube_requests_total', help: 'Requests sent to the Kubernetes API server (watches not included), by method and HTTP status ("error": no answer).', labelNames: ['method', 'code'], registers: [registry] }),
  kubeWatches: new Gauge({ name: 'sluice_kube_watches', help: 'Watch requests open on the Kubernetes API server.', registers: [registry] }),
};

/** Versions each shift has a weight series for, so they can be removed. */
const weightVersions = new Map<string, string[]>();
const removeWeights = (namespace: string, name: string): void => {
  for (const version of weightVersions.get(`${namespace}/${name}`) ?? []) metrics.shiftWeight.remove({ namespace, name, version });
  weightVersions.delete(`${namespace}/${name}`);
};

/** Update the per-shift metrics from a decision that was written, given the status before it. */
export const observeDecision = (namespace: string, name: string, before: ShiftStatus, decision: Decision): void => {
  const s = decision.status;
  for (const phase of PHASES) metrics.shiftPhase.set({ namespace, name, phase }, s.phase === phase ? 1 : 0);
  removeWeights(namespace, name);
  if (s.stableVersion !== undefined) {
    const weights = s.weights ?? { stable: 100, candidate: 0 };
    const versions = new Map([[s.stableVersion, weights.stable]]);
    if (s.candidateVersion !== undefined && s.candidateVersion !== s.stableVersion) versions.set(s.candidateVersion, weights.candidate);
    for (const [version, weight] of versions) metrics.shiftWeight.set({ namespace, name, version }, weight);
    weightVersions.set(`${namespace}/${name}`, [...versions.keys()]);
  }
  metrics.shiftStep.set({ namespace, name }, s.step ?? -1);
  const gate = s.lastGate;
  if (gate && gate.time !== before.lastGate?.time) {
    metrics.gateVerdicts.inc({ result: gate.result });
    if (gate.errorRate !== undefined) metrics.gateErrorRate.set({ namespace, name }, gate.errorRate);
    if (gate.requests !== undefined) metrics.gateRequests.set({ namespace, name }, gate.requests);
  }
  for (const ev of decision.events) {
    if (ev.reason === 'RolledBack') metrics.rollbacks.inc({ namespace, name });
    if (ev.reason === 'Promoted') metrics.promotions.inc({ namespace, name });
  }
};

/** Drop every series of a deleted shift (gauges and its counters), so deleted shifts do not grow /metrics. */
export const forgetShift = (namespace: string, name: string): void => {
  for (const phase of PHASES) metrics.shiftPhase.remove({ namespace, name, phase });
  removeWeights(namespace, name);
  for (const g of [metrics.shiftStep, metrics.gateErrorRate, metrics.gateRequests]) g.remove({ namespace, name });
  for (const c of [metrics.rollbacks, metrics.promotions]) c.remove({ namespace, name });
};
