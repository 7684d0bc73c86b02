/**
 * checkTargets (src/daemon/targets.ts): what a route write names is read from the API server
 * unless the same plan wrote it, and anything missing or being deleted is reported.
 */
import { checkTargets, writtenKey } from '../../../src/daemon/targets';
import { unavailable } from '../../../src/kube/errors';
import { DESTINATION_RULES, KubeObject, SERVICES } from '../../../src/kube/objects';
import { memoryKube } from '../kube/memoryKube';

const NS = 'shop';
const route = (backends: readonly [string, number][]): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'reviews', namespace: NS },
  spec: { rules: [{ name: 'primary', backendRefs: backends.map(([name, weight]) => ({ group: '', kind: 'Service', name, port: 9080, weight })) }] },
});
const virtualService = (subsets: readonly string[]): KubeObject => ({
  metadata: { name: 'reviews', namespace: NS },
  spec: { http: [{ name: 'primary', route: subsets.map((subset, i) => ({ destination: { host: 'reviews', subset }, weight: i === 0 ? 100 : 0 })) }] },
});
const svc = (name: string, deleting = false): KubeObject => ({
  metadata: { name, namespace: NS, ...(deleting ? { deletionTimestamp: '2026-11-22T10:00:00Z', finalizers: ['example.com/hold'] } : {}) },
  spec: {},
});

describe('checkTargets', () => {
  it('finds an HTTPRoute\'s backends present, weighted or not', async () => {
    const mem = memoryKube();
    mem.seed(SERVICES, svc('reviews-v1'));
    mem.seed(SERVICES, svc('reviews-v2'));
    expect(await checkTargets(mem.kube, { kind: 'HTTPRoute', object: route([['reviews-v1', 100], ['reviews-v2', 0]]) }, new Set())).toEqual({ _tag: 'Present' });
  });

  it('reports a missing backend even at weight 0, and Gone when no backend is left', async () => {
    const mem = memoryKube();
    mem.seed(SERVICES, svc('reviews-v1'));
    expect(await checkTargets(mem.kube, { kind: 'HTTPRoute', object: route([['reviews-v1', 100], ['reviews-v2', 0]]) }, new Set())).toEqual({
      _tag: 'Missing', missing: ['backend Service shop/reviews-v2 does not exist'],
    });
    expect(await checkTargets(mem.kube, { kind: 'HTTPRoute', object: route([['reviews-v3', 100]]) }, new Set())).toEqual({
      _tag: 'Gone', missing: ['backend Service shop/reviews-v3 does not exist'],
    });
  });

  it('counts a Service being deleted as gone', async () => {
    const mem = memoryKube();
    mem.seed(SERVICES, svc('reviews-v1', true));
    expect((await checkTargets(mem.kube, { kind: 'HTTPRoute', object: route([['reviews-v1', 100]]) }, new Set()))._tag).toBe('Gone');
  });

  it('does not read again what the same plan wrote, and reads the rest', async () => {
    const mem = memoryKube();
    mem.seed(SERVICES, svc('reviews-v1'));
    // reviews-v2 was created by this plan (the memory store does not hold it): not read
    expect(await checkTargets(mem.kube, { kind: 'HTTPRoute', object: route([['reviews-v1', 90], ['reviews-v2', 10]]) }, new Set([writtenKey('Service', 'reviews-v2')]))).toEqual({ _tag: 'Present' });
    mem.failNext('get', (ref) => unavailable(ref, 'etcd is away'));
    const r = await checkTargets(mem.kube, { kind: 'HTTPRoute', object: route([['reviews-v1', 90], ['reviews-v2', 10]]) }, new Set([writtenKey('Service', 'reviews-v2')]));
    expect(r._tag).toBe('Unreadable');
  });

  it('checks a VirtualService against its DestinationRule: Gone without it, Missing for a subset it lacks', async () => {
    const mem = memoryKube();
    const vs = { kind: 'VirtualService' as const, object: virtualService(['v1', 'v2']) };
    expect(await checkTargets(mem.kube, vs, new Set())).toEqual({ _tag: 'Gone', missing: ['DestinationRule shop/reviews does not exist'] });
    expect(await checkTargets(mem.kube, vs, new Set([writtenKey('DestinationRule', 'reviews')]))).toEqual({ _tag: 'Present' });
    mem.seed(DESTINATION_RULES, { metadata: { name: 'reviews', namespace: NS }, spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }] } });
    const r = await checkTargets(mem.kube, vs, new Set());
    expect(r._tag).toBe('Missing');
    expect(r._tag === 'Missing' && r.missing).toEqual(['spec.http[0] (primary).route[1].destination.subset: "v2" is not a subset of the DestinationRule']);
  });
});
