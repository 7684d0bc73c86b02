/**
 * What the informers keep of the objects sluice only reads (Pods, Services): the transform applied
 * to every listed object and every watch event before it is cached. Pods are the kind a cluster
 * has most of; the API server sends each with managedFields, its whole spec and container
 * statuses, several KB, of which sluice reads a few labels and one condition.
 */
import type { Watch } from '@kubernetes/client-node';
import { KubeObject, Metadata, Pod, PODS, Resource, Service, SERVICES } from './objects';

/** The metadata sluice reads of a Pod or Service: identity, labels, resourceVersion (the informer compares it), deletion. */
const slimMetadata = (m: Metadata): Metadata => ({
  name: m.name,
  ...(m.namespace !== undefined ? { namespace: m.namespace } : {}),
  ...(m.uid !== undefined ? { uid: m.uid } : {}),
  ...(m.resourceVersion !== undefined ? { resourceVersion: m.resourceVersion } : {}),
  ...(m.labels !== undefined ? { labels: m.labels } : {}),
  ...(m.deletionTimestamp !== undefined ? { deletionTimestamp: m.deletionTimestamp } : {}),
});

/**
 * A Pod as cached: what daemon/observe.ts and daemon/keys.ts read (labels, deletion, phase, the
 * Ready condition). Everything else (managedFields, spec, container statuses, ...) is dropped.
 * Reading another field of a Pod means keeping it here.
 */
export const slimPod = (o: KubeObject): Pod => {
  const status = (o as Pod).status;
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  return {
    ...(o.apiVersion !== undefined ? { apiVersion: o.apiVersion } : {}),
    ...(o.kind !== undefined ? { kind: o.kind } : {}),
    metadata: slimMetadata(o.metadata),
    status: {
      ...(status?.phase !== undefined ? { phase: status.phase } : {}),
      ...(ready ? { conditions: [{ type: ready.type, status: ready.status }] } : {}),
    },
  };
};

/**
 * A Service as cached: its selector (the pods behind it) and its ports (copied onto the
 * per-version Services of spec.routing: gatewayAPI). Reading another field of a Service means
 * keeping it here.
 */
export const slimService = (o: KubeObject): Service => {
  const selector = (o as Service).spec?.selector;
  const ports = (o as Service).spec?.ports;
  return {
    ...(o.apiVersion !== undefined ? { apiVersion: o.apiVersion } : {}),
    ...(o.kind !== undefined ? { kind: o.kind } : {}),
    metadata: slimMetadata(o.metadata),
    spec: { ...(selector !== undefined ? { selector } : {}), ...(ports !== undefined ? { ports } : {}) },
  };
};

/** What is cached of an object of `resource`. */
export const slimFor = (resource: Resource): ((o: KubeObject) => KubeObject) =>
  resource === PODS ? slimPod : resource === SERVICES ? slimService : (o) => o;

type WatchCallback = (phase: string, apiObj: unknown, watchObj?: unknown) => void;

/**
 * client-node's Watch with every event's object passed through `slim` before the informer caches
 * it; `watching` (if given) is told when a watch request starts (+1) and ends (-1).
 */
export const slimmingWatch = (watch: Pick<Watch, 'watch'>, slim: (o: KubeObject) => KubeObject, watching?: (delta: 1 | -1) => void): Watch =>
  ({
    watch: async (path: string, query: Record<string, string | number | boolean | undefined>, callback: WatchCallback, done: (err: unknown) => void) => {
      let open = true;
      const close = (): void => {
        if (open) watching?.(-1);
        open = false;
      };
      watching?.(1);
      try {
        return await watch.watch(path, query, (phase: string, obj: unknown, raw?: unknown) => {
          const isObject = (phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED') && typeof obj === 'object' && obj !== null && 'metadata' in obj;
          callback(phase, isObject ? slim(obj as KubeObject) : obj, raw);
        }, (err: unknown) => {
          close();
          done(err);
        });
      } catch (e) {
        close();
        throw e;
      }
    },
  }) as unknown as Watch;
