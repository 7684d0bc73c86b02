/**
 * The mesh the benchmark builds, as plain data (pure): N routed services with two versions each,
 * `shiftsPerNamespace` to a namespace, and M unrelated pods in namespaces of their own. Every pod
 * carries Istio's recommended `app` and `version` labels, the unrelated ones too, so no label
 * filter on `version` alone could tell them apart.
 */

export interface FleetOptions {
  /** TrafficShifts (one Service each). */
  readonly shifts: number;
  /** Pods per version (v1 and v2) behind each Service. Default 1. */
  readonly podsPerVersion: number;
  /** Pods in namespaces without any TrafficShift. Default 0. */
  readonly unrelatedPods: number;
  /** Services (and shifts) per namespace. Default 25. */
  readonly shiftsPerNamespace: number;
  /** Unrelated pods per namespace. Default 1,000. */
  readonly unrelatedPerNamespace: number;
  /** Prefix of every namespace, so runs do not collide and cleanup finds them. Default "scale". */
  readonly prefix: string;
}

export interface Target {
  readonly namespace: string;
  /** The Service, the TrafficShift and the owned VirtualService / DestinationRule all carry this name. */
  readonly name: string;
}

export const VERSIONS = ['v1', 'v2'] as const;

export const shiftNamespaces = (o: FleetOptions): string[] =>
  Array.from({ length: Math.ceil(o.shifts / o.shiftsPerNamespace) }, (_, i) => `${o.prefix}-s${i}`);

export const unrelatedNamespaces = (o: FleetOptions): string[] =>
  Array.from({ length: Math.ceil(o.unrelatedPods / o.unrelatedPerNamespace) }, (_, i) => `${o.prefix}-u${i}`);

export const targets = (o: FleetOptions): Target[] =>
  Array.from({ length: o.shifts }, (_, i) => ({ namespace: `${o.prefix}-s${Math.floor(i / o.shiftsPerNamespace)}`, name: `svc-${i}` }));

export const namespace = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'bench.sluice.dev/scale': 'true' } } });

export const service = (t: Target) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: t.name, namespace: t.namespace },
  spec: { selector: { app: t.name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
});

/** A pod the pod simulator runs (bound, Running, Ready); never pulled, never sent traffic. */
export const pod = (namespace: string, name: string, app: string, version: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels: { app, version } },
  spec: {
    automountServiceAccountToken: false,
    terminationGracePeriodSeconds: 0,
    containers: [{ name: 'app', image: `example.invalid/${app}:${version}`, ports: [{ containerPort: 8080 }], resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
  },
});

export interface PodRef { readonly namespace: string; readonly name: string; readonly app: string; readonly version: string }

/** The pods behind each target: `<service>-<version>-<k>`. */
export const targetPods = (o: FleetOptions): PodRef[] =>
  targets(o).flatMap((t) => VERSIONS.flatMap((version) => Array.from({ length: o.podsPerVersion }, (_, k) => ({ namespace: t.namespace, name: `${t.name}-${version}-${k}`, app: t.name, version }))));

/** Pods nothing routes: 10 apps of `version: v1` per namespace. */
export const unrelatedPods = (o: FleetOptions): PodRef[] =>
  Array.from({ length: o.unrelatedPods }, (_, i) => {
    const ns = `${o.prefix}-u${Math.floor(i / o.unrelatedPerNamespace)}`;
    const app = `other-${i % 10}`;
    return { namespace: ns, name: `${app}-${i}`, app, version: 'v1' };
  });

/** Canary steps of the benchmark: the shift stays at the first step (the step interval is longer than any run). */
export const CANARY_STEPS = [10, 50] as const;

/**
 * A TrafficShift at `version` that, once moved to v2, stays Progressing at 10 % for the whole run:
 * the gate is asked every `intervalS` and, with no traffic, answers NoData, which holds (within a
 * day's progressDeadline).
 */
export const shift = (t: Target, version: string, intervalS: number) => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'TrafficShift',
  metadata: { name: t.name, namespace: t.namespace },
  spec: {
    service: t.name,
    version,
    strategy: { canary: { steps: [...CANARY_STEPS], stepInterval: '24h' } },
    analysis: { interval: `${intervalS}s`, minRequests: 20, maxErrorRate: 0.05, failureThreshold: 2, noData: 'hold' },
    progressDeadline: '24h',
  },
});
