/** Fixture builders for daemon tests: a TrafficShift, its Service and pods, and reconcile deps over a memory Kube. */
import { decide } from '../../../src/core/decide';
import { makeEventRecorder } from '../../../src/kube/events';
import { KubeObject, PODS, SERVICES, TRAFFIC_SHIFTS } from '../../../src/kube/objects';
import { ReconcileDeps } from '../../../src/daemon/reconcile';
import { GateTarget } from '../../../src/prometheus/queries';
import { scheduleView } from '../../../src/schedule';
import { GateSample } from '../../../src/core/types';
import { parseCommand } from '../../../src/kube/annotations';
import { memoryKube, MemoryKube } from '../kube/memoryKube';

export const NS = 'shop';

export const shiftManifest = (over: { name?: string; version?: string; spec?: Record<string, unknown> } = {}): KubeObject => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'TrafficShift',
  metadata: { name: over.name ?? 'reviews', namespace: NS },
  spec: {
    service: 'reviews',
    version: over.version ?? 'v1',
    strategy: { canary: { steps: [10, 50], stepInterval: '10s' } },
    // The threshold gate, named: these tests count failed windows (failTwice); sequential is the default.
    analysis: { interval: '10s', minRequests: 10, failureThreshold: 2, method: 'threshold' },
    progressDeadline: '2m',
    ...over.spec,
  },
});

export const service = (): KubeObject => ({ metadata: { name: 'reviews', namespace: NS }, spec: { selector: { app: 'reviews' } } });

export const pod = (name: string, version: string, ready = true): KubeObject => ({
  metadata: { name, namespace: NS, labels: { app: 'reviews', version } },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

export interface World {
  readonly mem: MemoryKube;
  readonly deps: ReconcileDeps;
  readonly events: { type: string; reason: string; message: string }[];
  readonly tracked: Map<string, GateTarget>;
  readonly logs: { msg: string; fields: Record<string, unknown> }[];
  gate?: GateSample;
}

export const world = (versions: readonly string[] = ['v1']): World => {
  const mem = memoryKube();
  mem.seed(SERVICES, service());
  versions.forEach((v, i) => mem.seed(PODS, pod(`reviews-${v}-${i}`, v)));
  const events: World['events'] = [];
  const tracked = new Map<string, GateTarget>();
  const logs: World['logs'] = [];
  const recorder = makeEventRecorder(mem.kube, 'test', mem.now);
  const w: World = {
    mem,
    events,
    tracked,
    logs,
    deps: {
      kube: mem.kube,
      caches: mem.caches,
      events: {
        record: (ev) => {
          events.push({ type: ev.type, reason: ev.reason, message: ev.message });
          return recorder.record(ev);
        },
      },
      decide,
      latestGate: () => w.gate,
      trackGate: (key, target) => (target ? tracked.set(key, target) : tracked.delete(key)),
      parseCommand,
      troubles: new Map(),
      scheduleView: (s, status, now) => scheduleView(s, status, now),
      log: { info: (msg, fields) => logs.push({ msg, fields }), warn: (msg, fields) => logs.push({ msg, fields }) },
      now: mem.now,
    },
  };
  return w;
};

export const seedShift = (w: World, over: Parameters<typeof shiftManifest>[0] = {}): KubeObject => w.mem.seed(TRAFFIC_SHIFTS, shiftManifest(over));
