import { decodeDestinationRule, decodeVirtualService } from '../../../src/istio/objects';
import { render } from '../../../src/istio/render';
import { CurrentObjects, ownershipProblem, planWrites } from '../../../src/istio/writes';
import { canarySpec, intent, right, shiftRef } from './fixtures';

const shift = shiftRef(canarySpec);
/** What the API server would return for a rendered pair: the objects plus server fields. */
const inCluster = (stable: string, candidate: string | undefined, weight: number): CurrentObjects => {
  const r = render(shift, intent(stable, candidate, weight));
  const server = { resourceVersion: '41', uid: 'u-1' };
  return {
    destinationRule: right(decodeDestinationRule({ ...r.destinationRule, metadata: { ...r.destinationRule.metadata, ...server } })),
    virtualService: right(decodeVirtualService({ ...r.virtualService, metadata: { ...r.virtualService.metadata, ...server } })),
  };
};
const summary = (current: CurrentObjects, stable: string, candidate: string | undefined, weight: number) =>
  planWrites(current, render(shift, intent(stable, candidate, weight))).map((w) => `${w.op} ${w.kind}: ${w.why}`);

describe('planWrites', () => {
  it('creates the DestinationRule before the VirtualService when neither exists', () => {
    expect(summary({}, 'v1', 'v2', 0)).toEqual(['create DestinationRule: create subsets before any route names them', 'create VirtualService: create routes']);
  });

  it('skips every write when nothing changed', () => {
    expect(summary(inCluster('v1', 'v2', 10), 'v1', 'v2', 10)).toEqual([]);
  });

  it('changes only the VirtualService for a weight step', () => {
    expect(summary(inCluster('v1', 'v2', 10), 'v1', 'v2', 25)).toEqual(['update VirtualService: set routes and weights']);
  });

  it('adds the candidate subset before the routes name it', () => {
    expect(summary(inCluster('v1', undefined, 0), 'v1', 'v2', 0)).toEqual([
      'update DestinationRule: add subsets v2 before routes name them',
      'update VirtualService: set routes and weights',
    ]);
  });

  it('removes the old stable subset only after the routes stop naming it', () => {
    expect(summary(inCluster('v1', 'v2', 100), 'v2', undefined, 0)).toEqual([
      'update VirtualService: set routes and weights',
      'update DestinationRule: remove subsets v1 no route names any more',
    ]);
  });

  it('replaces a candidate in three writes: union of subsets, routes, then the final subsets', () => {
    const current = inCluster('v1', 'v2', 10);
    const writes = planWrites(current, render(shift, intent('v1', 'v3', 0)));
    expect(writes.map((w) => `${w.op} ${w.kind}: ${w.why}`)).toEqual([
      'update DestinationRule: add subsets v3 and keep v2 until routes move',
      'update VirtualService: set routes and weights',
      'update DestinationRule: remove subsets v2 no route names any more',
    ]);
    const subsets = (i: number) => ((writes[i]!.object.spec as { subsets: { name: string }[] }).subsets).map((s) => s.name);
    expect(subsets(0)).toEqual(['v1', 'v2', 'v3']);
    expect(subsets(2)).toEqual(['v1', 'v3']);
  });

  it('keeps fields sluice does not manage and the resourceVersion it read', () => {
    const base = inCluster('v1', undefined, 0);
    const dr = right(decodeDestinationRule({
      ...base.destinationRule,
      metadata: { ...base.destinationRule!.metadata, annotations: { note: 'kept' }, labels: { team: 'shop', 'app.kubernetes.io/managed-by': 'sluice', 'sluice.dev/shift': 'reviews' } },
      spec: { ...base.destinationRule!.spec, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } }, subsets: [{ name: 'v1', labels: { version: 'v1' }, trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } } }] },
    }));
    const [write] = planWrites({ ...base, destinationRule: dr }, render(shift, intent('v1', 'v2', 0)));
    expect(write!.object).toMatchObject({
      metadata: { resourceVersion: '41', annotations: { note: 'kept' }, labels: { team: 'shop', 'app.kubernetes.io/managed-by': 'sluice' } },
      spec: {
        trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } },
        subsets: [
          { name: 'v1', labels: { version: 'v1' }, trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } } },
          { name: 'v2', labels: { version: 'v2' } },
        ],
      },
    });
  });

  it('removes the TrafficShift owner references older versions set, keeping other owners', () => {
    const base = inCluster('v1', 'v2', 10);
    const staleOwner = { apiVersion: 'sluice.dev/v1alpha1', kind: 'TrafficShift', name: 'reviews', uid: 'old-uid', controller: true, blockOwnerDeletion: false };
    const other = { apiVersion: 'v1', kind: 'ConfigMap', name: 'keep', uid: 'cm-uid' };
    const vs = right(decodeVirtualService({ ...base.virtualService, metadata: { ...base.virtualService!.metadata, ownerReferences: [staleOwner, other] } }));
    const writes = planWrites({ ...base, virtualService: vs }, render(shift, intent('v1', 'v2', 10)));
    expect(writes.map((w) => w.kind)).toEqual(['VirtualService']);
    expect((writes[0]!.object.metadata as { ownerReferences: { uid: string }[] }).ownerReferences.map((o) => o.uid)).toEqual(['cm-uid']);
  });
});

describe('ownershipProblem', () => {
  const foreign = (labels: Record<string, string>): CurrentObjects => ({
    virtualService: right(decodeVirtualService({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews', namespace: 'shop', labels }, spec: {} })),
  });

  it('allows objects sluice manages for this shift, and none at all', () => {
    expect(ownershipProblem(inCluster('v1', undefined, 0), { namespace: 'shop', name: 'reviews', adopt: false })).toBeUndefined();
    expect(ownershipProblem({}, { namespace: 'shop', name: 'reviews', adopt: false })).toBeUndefined();
  });

  it('refuses an unmanaged object unless adopt is set', () => {
    expect(ownershipProblem(foreign({}), { namespace: 'shop', name: 'reviews', adopt: false })).toBe(
      'VirtualService shop/reviews exists and is not managed by sluice; set spec.adopt: true to take it over',
    );
    expect(ownershipProblem(foreign({}), { namespace: 'shop', name: 'reviews', adopt: true })).toBeUndefined();
  });

  it('refuses an object another TrafficShift manages, even with adopt', () => {
    const other = foreign({ 'app.kubernetes.io/managed-by': 'sluice', 'sluice.dev/shift': 'reviews-old' });
    expect(ownershipProblem(other, { namespace: 'shop', name: 'reviews', adopt: true })).toBe(
      'VirtualService shop/reviews is managed by TrafficShift shop/reviews-old, not reviews',
    );
  });
});
