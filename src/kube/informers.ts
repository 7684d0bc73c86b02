/**
 * Watches (list, then watch from the list's resourceVersion) for every kind sluice reads, kept
 * in memory so that a reconcile reads caches, never the API server. Each is kept running after
 * errors by kube/restart.ts (client-node's informer stops on the first error otherwise).
 */
import { KubeConfig, KubernetesListObject, KubernetesObject, KubernetesObjectApi, makeInformer } from '@kubernetes/client-node';
import { DESTINATION_RULES, KubeObject, PODS, Resource, SERVICES, TRAFFIC_SHIFTS, VIRTUAL_SERVICES, apiVersionOf } from './objects';
import { Caches, CacheChange } from './caches';
import { keepWatching } from './restart';

export interface WatchLog {
  readonly warn: (msg: string, fields?: Record<string, unknown>) => void;
  readonly info: (msg: string, fields?: Record<string, unknown>) => void;
}


/** The watch path of a resource, cluster-wide or in one namespace. */
export const watchPath = (r: Resource, namespace?: string): string => {
  const prefix = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  return namespace ? `${prefix}/namespaces/${namespace}/${r.plural}` : `${prefix}/${r.plural}`;
};

interface RunningWatch {
  readonly resource: Resource;
  readonly list: () => KubeObject[];
  readonly get: (namespace: string, name: string) => KubeObject | undefined;
  readonly synced: () => boolean;
  readonly stop: () => Promise<void>;
}

const startWatch = (
  kc: KubeConfig,
  objects: KubernetesObjectApi,
  resource: Resource,
  namespace: string | undefined,
  onChange: (c: CacheChange) => void,
  log: WatchLog,
): RunningWatch => {
  const path = watchPath(resource, namespace);
  const listFn = async (): Promise<KubernetesListObject<KubernetesObject>> => {
    const list = await objects.list(apiVersionOf(resource), resource.kind, namespace);
    // Typed models carry Dates; watch events carry strings. Keep the cache plain JSON.
    return JSON.parse(JSON.stringify(list)) as KubernetesListObject<KubernetesObject>;
  };
  const informer = makeInformer<KubernetesObject>(kc, path, listFn);
  const emit = (type: CacheChange['type']) => (obj: KubernetesObject) => onChange({ type, resource, obj: obj as unknown as KubeObject });
  informer.on('add', emit('add'));
  informer.on('update', emit('update'));
  informer.on('delete', emit('delete'));
  const watching = keepWatching(informer, path, log);

  return {
    resource,
    list: () => informer.list() as unknown as KubeObject[],
    get: (ns, name) => informer.get(name, ns) as unknown as KubeObject | undefined,
    synced: watching.synced,
    stop: watching.stop,
  };
};

export interface Informers {
  readonly caches: Caches;
  readonly stop: () => Promise<void>;
}

/** Start watching TrafficShifts, Services, Pods, VirtualServices and DestinationRules (in `namespaces`, or all when empty). */
export const startInformers = (kc: KubeConfig, namespaces: readonly string[], onChange: (c: CacheChange) => void, log: WatchLog): Informers => {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const scopes: (string | undefined)[] = namespaces.length > 0 ? [...namespaces] : [undefined];
  const watches = new Map<Resource, RunningWatch[]>();
  for (const r of [TRAFFIC_SHIFTS, SERVICES, PODS, VIRTUAL_SERVICES, DESTINATION_RULES])
    watches.set(r, scopes.map((ns) => startWatch(kc, objects, r, ns, onChange, log)));
  const of = (r: Resource): RunningWatch[] => watches.get(r) ?? [];
  const get = (r: Resource) => (ns: string, name: string): KubeObject | undefined => {
    for (const w of of(r)) {
      const o = w.get(ns, name);
      if (o) return o;
    }
    return undefined;
  };
  const list = (r: Resource) => (ns?: string): KubeObject[] =>
    of(r).flatMap((w) => w.list()).filter((o) => ns === undefined || o.metadata.namespace === ns);
  const all = [...watches.values()].flat();
  const caches: Caches = {
    shift: get(TRAFFIC_SHIFTS),
    shifts: list(TRAFFIC_SHIFTS),
    service: get(SERVICES),
    pods: list(PODS),
    virtualService: get(VIRTUAL_SERVICES),
    destinationRule: get(DESTINATION_RULES),
    synced: () => all.every((w) => w.synced()),
  };
  return { caches, stop: async () => void (await Promise.all(all.map((w) => w.stop()))) };
};
