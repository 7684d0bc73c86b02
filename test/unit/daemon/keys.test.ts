import { keysFor } from '../../../src/daemon/keys';
import { PODS, SERVICES, TRAFFIC_SHIFTS, VIRTUAL_SERVICES } from '../../../src/kube/objects';
import { NS, pod, seedShift, world } from './fixtures';

describe('which shifts a change concerns', () => {
  const setup = () => {
    const w = world(['v1']);
    seedShift(w);
    seedShift(w, { name: 'other', spec: { service: 'ratings' } });
    return w;
  };

  it('a TrafficShift concerns itself', () => {
    const w = setup();
    expect(keysFor(w.mem.caches, { type: 'update', resource: TRAFFIC_SHIFTS, obj: { metadata: { name: 'x', namespace: NS } } })).toEqual([`${NS}/x`]);
  });

  it('a Pod concerns the shifts whose Service selects it', () => {
    const w = setup();
    expect(keysFor(w.mem.caches, { type: 'update', resource: PODS, obj: pod('p', 'v2') })).toEqual([`${NS}/reviews`]);
    expect(keysFor(w.mem.caches, { type: 'update', resource: PODS, obj: { metadata: { name: 'q', namespace: NS, labels: { app: 'x' } } } })).toEqual([]);
  });

  it('a Service or VirtualService concerns the shifts of the Service of that name', () => {
    const w = setup();
    expect(keysFor(w.mem.caches, { type: 'add', resource: VIRTUAL_SERVICES, obj: { metadata: { name: 'ratings', namespace: NS } } })).toEqual([`${NS}/other`]);
    expect(keysFor(w.mem.caches, { type: 'delete', resource: SERVICES, obj: { metadata: { name: 'reviews', namespace: NS } } })).toEqual([`${NS}/reviews`]);
  });
});
