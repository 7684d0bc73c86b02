/**
 * The objects Flagger v1.44.0's Istio router writes (pkg/router/istio.go, pkg/router/kubernetes_default.go)
 * route and report as Istio would, so Flagger's own request-success-rate query works unchanged
 * (docs/mesh-simulator.md, "Flagger's objects").
 */
import { destinationRuleFromK8s, podFromK8s, serviceFromK8s, virtualServiceFromK8s } from '../../mesh-sim/decode';
import { istioLabels } from '../../mesh-sim/labels';
import { seededRng } from '../../mesh-sim/prng';
import { route, virtualServiceFor } from '../../mesh-sim/route';
import { upstreamsOf } from '../../mesh-sim/simulate';
import type { MeshSnapshot } from '../../mesh-sim/model';

const ns = 'test';
const podinfo = { namespace: ns, name: 'podinfo' };

/** A pod as the controller-manager and pod simulator leave it: owned by its Deployment's ReplicaSet, Ready. */
const k8sPod = (deployment: string, hash: string, labels: Record<string, string>) => ({
  metadata: {
    namespace: ns,
    name: `${deployment}-${hash}-abcde`,
    labels: { ...labels, 'pod-template-hash': hash },
    ownerReferences: [{ kind: 'ReplicaSet', name: `${deployment}-${hash}`, controller: true }],
  },
  spec: {},
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
});

/** Flagger's VirtualService for podinfo at a canary weight: two host destinations, no subsets, weight 0 written out. */
const flaggerVs = (canaryWeight: number) => ({
  metadata: { namespace: ns, name: 'podinfo', creationTimestamp: '2026-12-03T10:00:00Z' },
  spec: {
    hosts: ['podinfo'],
    gateways: ['mesh'],
    http: [{ route: [{ destination: { host: 'podinfo-primary' }, weight: 100 - canaryWeight }, { destination: { host: 'podinfo-canary' }, weight: canaryWeight }] }],
  },
});

const snapshotAt = (canaryWeight: number): MeshSnapshot => ({
  virtualServices: [virtualServiceFromK8s(flaggerVs(canaryWeight))],
  // Flagger's DestinationRules name a host and carry no subsets
  destinationRules: ['podinfo-primary', 'podinfo-canary'].map((h) => destinationRuleFromK8s({ metadata: { namespace: ns, name: h }, spec: { host: h } })),
  services: [
    serviceFromK8s({ metadata: { namespace: ns, name: 'podinfo' }, spec: { selector: { app: 'podinfo-primary' } } }),
    serviceFromK8s({ metadata: { namespace: ns, name: 'podinfo-primary' }, spec: { selector: { app: 'podinfo-primary' } } }),
    serviceFromK8s({ metadata: { namespace: ns, name: 'podinfo-canary' }, spec: { selector: { app: 'podinfo' } } }),
  ],
  pods: [
    podFromK8s(k8sPod('podinfo-primary', '7d889847f4', { app: 'podinfo-primary', version: 'v1' })),
    podFromK8s(k8sPod('podinfo', '78488dd768', { app: 'podinfo', version: 'v2' })),
  ],
});

const shares = (snap: MeshSnapshot, n: number): Record<string, number> => {
  const rng = seededRng(3);
  const vs = virtualServiceFor(snap.virtualServices, podinfo);
  const upstreams = upstreamsOf(snap);
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const o = route(podinfo, vs, upstreams, { uri: '/', headers: {} }, rng);
    const k = o.kind === 'served' ? `${o.service.name}/${o.pod.workload}` : o.kind;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).map(([k, c]) => [k, c / n]));
};

describe("Flagger's Istio objects in the mesh simulator", () => {
  it('splits requests to the apex host between the -primary and -canary Services by weight', () => {
    const got = shares(snapshotAt(10), 20_000);
    expect(Object.keys(got).sort()).toEqual(['podinfo-canary/podinfo', 'podinfo-primary/podinfo-primary']);
    expect(got['podinfo-canary/podinfo']).toBeGreaterThan(0.09);
    expect(got['podinfo-canary/podinfo']).toBeLessThan(0.11);
  });

  it('sends nothing to the canary at weight 0 and everything at 100', () => {
    expect(shares(snapshotAt(0), 2000)).toEqual({ 'podinfo-primary/podinfo-primary': 1 });
    expect(shares(snapshotAt(100), 2000)).toEqual({ 'podinfo-canary/podinfo': 1 });
  });

  it("labels the canary's requests with the Deployment Flagger watches, which its query selects by destination_workload", () => {
    const snap = snapshotAt(100);
    const o = route(podinfo, virtualServiceFor(snap.virtualServices, podinfo), upstreamsOf(snap), { uri: '/', headers: {} }, seededRng(1));
    if (o.kind !== 'served') throw new Error(`not served: ${o.kind}`);
    const l = istioLabels({ reporter: 'destination', source: { workload: 'loadgen', namespace: ns, serviceAccount: 'loadgen' }, service: o.service, peer: { pod: o.pod }, responseCode: 500, responseFlags: '-' });
    expect({
      destination_workload: l.destination_workload,
      destination_workload_namespace: l.destination_workload_namespace,
      destination_service: l.destination_service,
      destination_version: l.destination_version,
      response_code: l.response_code,
    }).toEqual({ destination_workload: 'podinfo', destination_workload_namespace: 'test', destination_service: 'podinfo-canary.test.svc.cluster.local', destination_version: 'v2', response_code: '500' });
    // Flagger's query: destination_workload=~"podinfo" — Prometheus anchors the regex, so the primary's "podinfo-primary" is not counted
    expect(/^(?:podinfo)$/.test(l.destination_workload)).toBe(true);
    expect(/^(?:podinfo)$/.test(snap.pods[0]!.workload)).toBe(false);
  });
});
