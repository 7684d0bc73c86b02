import { destinationRuleFromK8s, podFromK8s, serviceFromK8s, virtualServiceFromK8s, workloadOf } from '../../mesh-sim/decode';

const readyPod = (overrides: Record<string, unknown> = {}) => ({
  metadata: {
    namespace: 'shop',
    name: 'reviews-v2-7f4669bdd9-x2x7q',
    labels: { app: 'reviews', version: 'v2', 'pod-template-hash': '7f4669bdd9' },
    ownerReferences: [{ kind: 'ReplicaSet', name: 'reviews-v2-7f4669bdd9', controller: true }],
    ...overrides,
  },
  spec: { serviceAccountName: 'bookinfo-reviews' },
  status: { conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }] },
});

describe('decoding cluster objects', () => {
  it('reads a pod: labels, readiness, Deployment name and service account', () => {
    expect(podFromK8s(readyPod())).toEqual({
      namespace: 'shop',
      name: 'reviews-v2-7f4669bdd9-x2x7q',
      labels: { app: 'reviews', version: 'v2', 'pod-template-hash': '7f4669bdd9' },
      ready: true,
      workload: 'reviews-v2',
      serviceAccount: 'bookinfo-reviews',
    });
  });

  it('treats a pod without Ready=True, or being deleted, as not ready', () => {
    expect(podFromK8s({ ...readyPod(), status: { conditions: [{ type: 'Ready', status: 'False' }] } }).ready).toBe(false);
    expect(podFromK8s({ ...readyPod(), status: {} }).ready).toBe(false);
    expect(podFromK8s(readyPod({ deletionTimestamp: '2026-11-22T00:00:00Z' })).ready).toBe(false);
  });

  it('names the workload after the owner, or the pod when it has none', () => {
    expect(workloadOf('db-0', {}, [{ kind: 'StatefulSet', name: 'db', controller: true }])).toBe('db');
    expect(workloadOf('solo', {}, [])).toBe('solo');
    expect(workloadOf('x-abc-1', { 'pod-template-hash': 'zzz' }, [{ kind: 'ReplicaSet', name: 'x-abc' }])).toBe('x-abc');
  });

  it('reads a Service selector', () => {
    expect(serviceFromK8s({ metadata: { namespace: 'shop', name: 'reviews' }, spec: { selector: { app: 'reviews' } } })).toEqual({
      namespace: 'shop',
      name: 'reviews',
      selector: { app: 'reviews' },
    });
  });

  it('reads a VirtualService, header names lower-cased, timestamps from Date or string', () => {
    const vs = virtualServiceFromK8s({
      metadata: { namespace: 'shop', name: 'reviews', creationTimestamp: new Date('2026-11-22T00:00:00Z') },
      spec: {
        hosts: ['reviews'],
        http: [
          { name: 'preview', match: [{ headers: { 'X-Preview': { exact: 'true' } } }], route: [{ destination: { host: 'reviews', subset: 'v2' } }] },
          { route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 80 }, { destination: { host: 'reviews', subset: 'v2' }, weight: 20 }] },
        ],
      },
    });
    expect(vs.creationTimestamp).toBe('2026-11-22T00:00:00.000Z');
    expect(vs.http[0].match?.[0].headers).toEqual({ 'x-preview': { exact: 'true', prefix: undefined, regex: undefined } });
    expect(vs.http[1].match).toBeUndefined();
    expect(vs.http[1].route?.map((r) => r.weight)).toEqual([80, 20]);
  });

  it("reads mirror + mirrorPercentage and mirrors[] as istiod translates them: no percentage is 100 %, 0 % mirrors nothing", () => {
    const route = (extra: Record<string, unknown>) =>
      virtualServiceFromK8s({ metadata: { namespace: 'shop', name: 'reviews' }, spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' } }], ...extra }] } }).http[0]!.mirrors;
    const v2 = { host: 'reviews', subset: 'v2' };
    expect(route({ mirror: v2, mirrorPercentage: { value: 12.5 } })).toEqual([{ destination: v2, percentage: 12.5 }]);
    expect(route({ mirror: v2 })).toEqual([{ destination: v2, percentage: 100 }]);
    expect(route({ mirror: v2, mirrorPercentage: { value: 0 } })).toBeUndefined();
    expect(route({ mirrors: [{ destination: v2, percentage: { value: 5 } }, { destination: { host: 'ratings' } }] })).toEqual([
      { destination: v2, percentage: 5 },
      { destination: { host: 'ratings', subset: undefined }, percentage: 100 },
    ]);
    expect(route({})).toBeUndefined();
  });

  it('reads DestinationRule subsets', () => {
    expect(destinationRuleFromK8s({ metadata: { namespace: 'shop', name: 'reviews' }, spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }] } })).toEqual({
      namespace: 'shop',
      name: 'reviews',
      host: 'reviews',
      subsets: [{ name: 'v1', labels: { version: 'v1' } }],
    });
  });

  it('reads a malformed object as empty rather than failing', () => {
    expect(virtualServiceFromK8s({ spec: { hosts: 'reviews', http: 'x' } })).toMatchObject({ hosts: [], http: [] });
  });
});
