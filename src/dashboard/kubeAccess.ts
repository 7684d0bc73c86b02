/**
 * The dashboard's Kubernetes access, production version: the CLI's ShiftClient (the same list,
 * get and merge patch `sluice get/status/promote` use) plus what only the dashboard needs — a
 * watch of TrafficShifts and reads of the rendered VirtualService and DestinationRule. Every call
 * carries the kubeconfig user's own credentials.
 */
import { CustomObjectsApi, KubeConfig, Watch } from '@kubernetes/client-node';
import * as TE from 'fp-ts/TaskEither';
import { shiftClient } from '../cli/kubeShifts';
import { collectionPath, KubeObject, Resource, TRAFFIC_SHIFTS } from '../kube/objects';
import { DashboardKube } from './server';
import { kubeProblem } from './problems';

const plain = (o: unknown): KubeObject => JSON.parse(JSON.stringify(o)) as KubeObject;

export const dashboardKube = (kc: KubeConfig): DashboardKube => {
  const api = kc.makeApiClient(CustomObjectsApi);
  return {
    shifts: shiftClient(kc),
    watch: async (namespace, onEvent, onEnd) => {
      const where = namespace === undefined ? 'in any namespace' : `in namespace ${namespace}`;
      const controller = await new Watch(kc).watch(
        collectionPath(TRAFFIC_SHIFTS, namespace),
        { allowWatchBookmarks: true },
        (type, obj) => {
          if (type === 'ERROR') onEnd(kubeProblem(`watch TrafficShifts ${where}`, { statusCode: (obj as { code?: number }).code, body: obj }));
          else if (type !== 'BOOKMARK') onEvent(type, obj as KubeObject);
        },
        (err) => {
          // A watch ends normally after a while (no error, or client-node's inactivity timeout).
          const normal = err === null || err === undefined || (err as { name?: string }).name === 'TimeoutError' || (err as { name?: string }).name === 'AbortError';
          onEnd(normal ? undefined : kubeProblem(`watch TrafficShifts ${where}`, err));
        },
      ).catch((e: unknown) => {
        onEnd(kubeProblem(`watch TrafficShifts ${where}`, e));
        return undefined;
      });
      return () => controller?.abort();
    },
    read: (resource: Resource, namespace: string, name: string) =>
      TE.tryCatch(
        async () => plain(await api.getNamespacedCustomObject({ group: resource.group, version: resource.version, plural: resource.plural, namespace, name })),
        (e) => kubeProblem(`read ${resource.kind} ${namespace}/${name}`, e),
      ),
  };
};
