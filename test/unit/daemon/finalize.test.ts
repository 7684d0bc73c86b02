import { pinVersion, planRelease } from '../../../src/daemon/finalize';
import { ORIGINAL_SPEC_ANNOTATION } from '../../../src/kube/objects';

const meta = (kind: string, annotations?: Record<string, string>) => ({
  name: 'reviews', namespace: 'shop', resourceVersion: '7',
  labels: { 'app.kubernetes.io/managed-by': 'sluice', 'sluice.dev/shift': 'reviews' },
  ...(annotations ? { annotations } : {}),
  ownerReferences: [{ apiVersion: 'sluice.dev/v1alpha1', kind: 'TrafficShift', name: 'reviews', uid: 'u1' }],
  kind,
});

describe('releasing a deleted shift', () => {
  it('pins to the candidate when it already has 100 %, else to stable', () => {
    expect(pinVersion({ stableVersion: 'v1', candidateVersion: 'v2', weights: { stable: 0, candidate: 100 } })).toBe('v2');
    expect(pinVersion({ stableVersion: 'v1', candidateVersion: 'v2', weights: { stable: 70, candidate: 30 } })).toBe('v1');
  });

  it('restoring adopted objects keeps every subset a route names at each write', () => {
    const originalVs = { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'blue' } }] }] };
    const originalDr = { host: 'reviews', subsets: [{ name: 'blue', labels: { color: 'blue' } }] };
    const vs = {
      apiVersion: 'networking.istio.io/v1', kind: 'VirtualService' as const,
      metadata: meta('VirtualService', { [ORIGINAL_SPEC_ANNOTATION]: JSON.stringify(originalVs) }),
      spec: { hosts: ['reviews'], http: [{ name: 'primary', route: [{ destination: { host: 'h', subset: 'v1' }, weight: 100 }] }] },
    };
    const dr = {
      apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule' as const,
      metadata: meta('DestinationRule', { [ORIGINAL_SPEC_ANNOTATION]: JSON.stringify(originalDr) }),
      spec: { host: 'h', subsets: [{ name: 'v1', labels: { version: 'v1' } }] },
    };
    const writes = planRelease({ namespace: 'shop', name: 'reviews', uid: 'u1', status: { stableVersion: 'v1' } }, { virtualService: vs as any, destinationRule: dr as any });
    expect(writes.map((w) => w.kind)).toEqual(['DestinationRule', 'VirtualService', 'DestinationRule']);
    const names = (o: any) => o.spec.subsets.map((s: any) => s.name).sort();
    expect(names(writes[0]!.object)).toEqual(['blue', 'v1']);
    expect(writes[1]!.object.spec).toEqual(originalVs);
    expect(writes[2]!.object.spec).toEqual(originalDr);
    expect(writes[2]!.object.metadata.labels).toBeUndefined();
    expect(writes[2]!.object.metadata.ownerReferences).toBeUndefined();
  });
});
