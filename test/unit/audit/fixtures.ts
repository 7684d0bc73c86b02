/**
 * Builders for audit logs as the local kube-apiserver writes them (one audit.k8s.io/v1 Event per
 * write, stage ResponseComplete, RequestResponse level), for the checker's unit tests.
 */
import { AuditEvent } from '../../audit/audit';

export const NS = 'shop';
export const SHIFT = 'reviews';
export const HOST = 'reviews.shop.svc.cluster.local';
const T0 = Date.parse('2026-12-03T08:00:00Z');

/** An audit timestamp `seconds` after 08:00:00 UTC, with microseconds as the API server writes them. */
export const ts = (seconds: number): string => new Date(T0 + Math.round(seconds * 1000)).toISOString().replace(/Z$/, '000Z');

export const sluiceAgent = (replica: string): string => `sluice/0.1.0 (${replica})`;

type Resource = 'virtualservices' | 'destinationrules' | 'httproutes' | 'services' | 'pods' | 'trafficshifts' | 'leases';
const GROUPS: Record<Resource, string> = {
  virtualservices: 'networking.istio.io',
  destinationrules: 'networking.istio.io',
  httproutes: 'gateway.networking.k8s.io',
  services: '',
  pods: '',
  trafficshifts: 'sluice.dev',
  leases: 'coordination.k8s.io',
};

let seq = 0;

export interface WriteOptions {
  /** Seconds after 08:00:00. */
  readonly at: number;
  readonly verb?: string;
  /** User-Agent; default sluice replica "a". */
  readonly agent?: string;
  readonly code?: number;
  readonly subresource?: string;
  readonly namespace?: string;
}

/** One write of `object` (its metadata.name names it). */
export const write = (resource: Resource, object: Record<string, unknown> | undefined, o: WriteOptions & { readonly name?: string }): AuditEvent => {
  const meta = (object?.metadata ?? {}) as { name?: string };
  const code = o.code ?? (o.verb === 'create' ? 201 : 200);
  return {
    auditID: `audit-${++seq}`,
    stage: 'ResponseComplete',
    verb: o.verb ?? 'update',
    userAgent: o.agent ?? sluiceAgent('a'),
    objectRef: {
      resource,
      namespace: o.namespace ?? NS,
      name: o.name ?? meta.name ?? '',
      apiGroup: GROUPS[resource],
      ...(o.subresource !== undefined ? { subresource: o.subresource } : {}),
    },
    responseStatus: { code },
    ...(object !== undefined ? { requestObject: object } : {}),
    ...(code < 300 && object !== undefined ? { responseObject: object } : { responseObject: { kind: 'Status', code } }),
    requestReceivedTimestamp: ts(o.at - 0.001),
    stageTimestamp: ts(o.at),
  };
};

/** A VirtualService as sluice renders it: a `primary` route with these subset weights (undefined: no weight field). */
export const vs = (weights: Record<string, number | undefined | string>, extra: { preview?: string; abTest?: string; sticky?: string; name?: string } = {}): Record<string, unknown> => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: extra.name ?? SHIFT, namespace: NS, labels: { 'app.kubernetes.io/managed-by': 'sluice', 'sluice.dev/shift': SHIFT } },
  spec: {
    hosts: [SHIFT],
    gateways: ['mesh'],
    http: [
      ...(extra.preview !== undefined
        ? [{ name: 'preview', match: [{ headers: { 'x-preview': { exact: 'true' } } }], route: [{ destination: { host: HOST, subset: extra.preview }, weight: 100 }] }]
        : []),
      ...(extra.abTest !== undefined
        ? [{ name: 'ab-test', match: [{ headers: { cookie: { regex: '^(.*?;)?(user=beta)(;.*)?$' } } }], route: [{ destination: { host: HOST, subset: extra.abTest }, weight: 100 }] }]
        : []),
      ...(extra.sticky !== undefined
        ? [{ name: 'sticky', match: [{ headers: { cookie: { regex: '(.*;\\s*)?canary=v2(\\s*;.*)?' } } }], route: [{ destination: { host: HOST, subset: extra.sticky }, weight: 100 }] }]
        : []),
      {
        name: 'primary',
        route: Object.entries(weights).map(([subset, weight]) => ({ destination: { host: HOST, subset }, ...(weight !== undefined ? { weight } : {}) })),
      },
    ],
  },
});

export const dr = (subsets: readonly string[]): Record<string, unknown> => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: SHIFT, namespace: NS },
  spec: { host: HOST, subsets: subsets.map((name) => ({ name, labels: { version: name } })) },
});

export type Strategy = { canary: { steps: number[] } } | { blueGreen: Record<string, unknown> };
export const CANARY: Strategy = { canary: { steps: [25, 50] } };
export const BLUE_GREEN: Strategy = { blueGreen: { rollbackWindow: '1m' } };

/** A TrafficShift with this status. */
export const shift = (status: Record<string, unknown>, strategy: Strategy = CANARY, uid = 'uid-1'): Record<string, unknown> => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'TrafficShift',
  metadata: { name: SHIFT, namespace: NS, uid, finalizers: ['sluice.dev/finalizer'] },
  spec: { service: SHIFT, version: status.candidateVersion ?? status.stableVersion, strategy },
  status,
});

export const STARTED = ts(-100);

/** Status of a canary from v1 to v2 at `weight` %. */
export const progressing = (weight: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  phase: 'Progressing',
  stableVersion: 'v1',
  candidateVersion: 'v2',
  weights: { stable: 100 - weight, candidate: weight },
  startedAt: STARTED,
  ...extra,
});

export const gate = (result: string, at: number, version = 'v2'): Record<string, unknown> => ({
  result, version, threshold: 0.01, window: '30s', time: ts(at), message: `${result} for ${version}`,
});

export const lease = (holder: string, durationSeconds = 6, name = 'sluice-leader'): Record<string, unknown> => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name, namespace: NS },
  spec: { holderIdentity: holder, leaseDurationSeconds: durationSeconds },
});

/** The routes and the status of one reconcile: DestinationRule, VirtualService, then status (sluice's order). */
export const reconcileWrites = (at: number, subsets: readonly string[], weights: Record<string, number>, status: Record<string, unknown>, agent = sluiceAgent('a'), strategy: Strategy = CANARY): AuditEvent[] => [
  write('destinationrules', dr(subsets), { at, agent }),
  write('virtualservices', vs(weights), { at: at + 0.01, agent }),
  write('trafficshifts', shift(status, strategy), { at: at + 0.02, agent, subresource: 'status' }),
];

// ------------------------------------------------------------------ spec.routing: gatewayAPI

const SLUICE_LABELS = { 'app.kubernetes.io/managed-by': 'sluice', 'sluice.dev/shift': SHIFT };

/** The per-version Service sluice writes for `version` (src/gateway/render.ts versionService). */
export const versionService = (version: string): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: `${SHIFT}-${version}`, namespace: NS, labels: { ...SLUICE_LABELS, 'sluice.dev/service': SHIFT, 'sluice.dev/version': version } },
  spec: { type: 'ClusterIP', ports: [{ name: 'http', port: 9080, protocol: 'TCP' }], selector: { app: SHIFT, version } },
});

/** A Pod of `version` behind the shifted Service, Ready or not (as the pod simulator writes its status). */
export const pod = (name: string, version: string, ready = true): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: NS, labels: { app: SHIFT, version } },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

/** An HTTPRoute as sluice renders it: a `primary` rule with these per-version Service weights (undefined: no weight field). */
export const httpRoute = (weights: Record<string, number | undefined>, extra: { preview?: string } = {}): Record<string, unknown> => {
  const ref = (version: string, weight: number | undefined) => ({ group: '', kind: 'Service', name: `${SHIFT}-${version}`, port: 9080, ...(weight !== undefined ? { weight } : {}) });
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: SHIFT, namespace: NS, labels: SLUICE_LABELS },
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: SHIFT }],
      rules: [
        ...(extra.preview !== undefined ? [{ name: 'preview', matches: [{ headers: [{ type: 'Exact', name: 'x-preview', value: 'true' }] }], backendRefs: [ref(extra.preview, 100)] }] : []),
        { name: 'primary', backendRefs: Object.entries(weights).map(([version, weight]) => ref(version, weight)) },
      ],
    },
  };
};

/** What a user and the cluster write before sluice routes: the pods of `versions` (Ready), and sluice's Services for them. */
export const gatewayWorld = (at: number, versions: readonly string[], agent = sluiceAgent('a')): AuditEvent[] => [
  ...versions.map((v, i) => write('pods', pod(`${SHIFT}-${v}-${i}`, v), { at: at + i * 0.001, verb: 'create', agent: 'kube-controller-manager/v1.36.3' })),
  ...versions.map((v, i) => write('services', versionService(v), { at: at + 0.01 + i * 0.001, verb: 'create', agent })),
];

/** One gatewayAPI reconcile: the status, then the HTTPRoute (the daemon's order, ADR 0005). */
export const gatewayReconcile = (at: number, weights: Record<string, number>, status: Record<string, unknown>, agent = sluiceAgent('a'), strategy: Strategy = CANARY): AuditEvent[] => [
  write('trafficshifts', shift(status, strategy), { at, agent, subresource: 'status' }),
  write('httproutes', httpRoute(weights), { at: at + 0.01, agent }),
];
