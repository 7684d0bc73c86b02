import type { Watch } from '@kubernetes/client-node';
import { slimFor, slimmingWatch, slimPod, slimService } from '../../../src/kube/slim';
import { KubeObject, PODS, SERVICES, VIRTUAL_SERVICES } from '../../../src/kube/objects';
import { podsByVersion } from '../../../src/daemon/observe';

/** A Pod as the API server sends it (trimmed from a real one), managedFields and all. */
const apiPod = (name: string, version: string, ready: boolean): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name, namespace: 'shop', uid: `uid-${name}`, resourceVersion: '4711', generateName: 'reviews-v2-5d8f-',
    labels: { app: 'reviews', version, 'pod-template-hash': '5d8f' },
    annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-12-01T10:00:00Z' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'reviews-v2-5d8f', uid: 'rs', controller: true }],
    managedFields: [{ manager: 'kube-controller-manager', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} } } }],
    creationTimestamp: '2026-12-01T10:00:00Z',
  },
  spec: { containers: [{ name: 'reviews', image: 'example/reviews:2', env: [{ name: 'A', value: 'x'.repeat(2000) }] }], nodeName: 'node-1' },
  status: {
    phase: 'Running', podIP: '10.0.0.7', hostIP: '10.1.0.1',
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-12-01T10:00:00Z' },
      { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: '2026-12-01T10:00:05Z' },
    ],
    containerStatuses: [{ name: 'reviews', ready, restartCount: 0, image: 'example/reviews:2', imageID: 'sha256:abc', state: { running: {} } }],
  },
});

describe('informer transforms', () => {
  it('a cached Pod keeps only what sluice reads: identity, labels, resourceVersion, phase and the Ready condition', () => {
    expect(slimPod(apiPod('p1', 'v2', true))).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p1', namespace: 'shop', uid: 'uid-p1', resourceVersion: '4711', labels: { app: 'reviews', version: 'v2', 'pod-template-hash': '5d8f' } },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    });
    const full = JSON.stringify(apiPod('p1', 'v2', true)).length;
    expect(JSON.stringify(slimPod(apiPod('p1', 'v2', true))).length).toBeLessThan(full / 10);
  });

  it('keeps a terminating pod terminating', () => {
    const pod = apiPod('p1', 'v2', true);
    expect(slimPod({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-12-01T11:00:00Z' } }).metadata.deletionTimestamp).toBe('2026-12-01T11:00:00Z');
  });

  it('slim pods count the same as whole ones behind a Service', () => {
    const pods = [apiPod('a', 'v1', true), apiPod('b', 'v2', true), apiPod('c', 'v2', false), { ...apiPod('d', 'v2', true), status: { phase: 'Succeeded' } }];
    const service = { metadata: { name: 'reviews', namespace: 'shop', managedFields: [{}] }, spec: { selector: { app: 'reviews' }, ports: [{ port: 9080 }], clusterIP: '10.96.0.9' } };
    const whole = podsByVersion(service, pods, 'version');
    expect(podsByVersion(slimService(service), pods.map(slimPod), 'version')).toEqual(whole);
    expect(whole).toEqual({ v1: { total: 1, ready: 1 }, v2: { total: 2, ready: 1 } });
  });

  it('a cached Service keeps its selector and drops the rest', () => {
    expect(slimService({ metadata: { name: 'reviews', namespace: 'shop', resourceVersion: '3', managedFields: [{}] }, spec: { selector: { app: 'reviews' }, clusterIP: '10.96.0.9' } })).toEqual({
      metadata: { name: 'reviews', namespace: 'shop', resourceVersion: '3' },
      spec: { selector: { app: 'reviews' } },
    });
  });

  it('objects sluice writes back are cached whole', () => {
    const vs = { metadata: { name: 'reviews', managedFields: [{}] }, spec: { http: [] } };
    expect(slimFor(VIRTUAL_SERVICES)(vs)).toBe(vs);
    expect(slimFor(PODS)).toBe(slimPod);
    expect(slimFor(SERVICES)).toBe(slimService);
  });

  it('every watch event is slimmed before the informer sees it; other events pass as they are', async () => {
    const events: [string, unknown][] = [];
    const upstream = {
      watch: async (_path: string, _q: unknown, cb: (phase: string, obj: unknown, raw?: unknown) => void) => {
        cb('ADDED', apiPod('p1', 'v2', true));
        cb('MODIFIED', apiPod('p1', 'v2', false));
        cb('DELETED', apiPod('p1', 'v2', false));
        cb('BOOKMARK', { metadata: { resourceVersion: '9' } });
        cb('ERROR', { code: 410 });
        return new AbortController();
      },
    } as unknown as Watch;
    await slimmingWatch(upstream, slimPod).watch('/api/v1/pods', {}, (phase, obj) => events.push([phase, obj]), () => undefined);
    expect(events.map(([p]) => p)).toEqual(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);
    for (const [, obj] of events.slice(0, 3)) expect(Object.keys(obj as object).sort()).toEqual(['apiVersion', 'kind', 'metadata', 'status']);
    expect((events[0]![1] as KubeObject).metadata.managedFields).toBeUndefined();
    expect(events[4]![1]).toEqual({ code: 410 });
  });
});
