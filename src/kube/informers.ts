/**
 * Watches (list, then watch from the list's resourceVersion) for every kind sluice reads, kept
 * in memory so that a reconcile reads caches, never the API server. Each is kept running after
 * errors by kube/restart.ts (client-node's informer stops on the first error otherwise).
 *
 * Memory: Pods and Services are the kinds a cluster has many of, and sluice reads little of them.
 * Each is slimmed before it is cached (kube/slim.ts: managedFields, spec and most of status
 * dropped), in the list and in every watch event. VirtualServices, DestinationRules and
 * TrafficShifts are cached whole: sluice writes them back from what it read.
 * Lookups by namespace read the informer's own per-namespace map; no call copies the whole cache.
 */
import { KubernetesListObject, KubernetesObject, ListWatch, Watch } from '@kubernetes/client-node';
import { Connection } from './client';
import { DESTINATION_RULES, HTTP_ROUTES, KubeObject, PODS, Resource, SERVICES, TRAFFIC_SHIFTS, VIRTUAL_SERVICES, collectionPath } from './objects';
import { slimFor, slimmingWatch } from './slim';
import { Caches, CacheChange } from './caches';
import { keepWatching } from './restart';

export interface WatchLog {
  readonly warn: (msg: string, fields?: Record<string, unknown>) => void;
  readonly info: (msg: string, fields?: Record<string, unknown>) => void;
  /** Told when a watch request opens (+1) and ends (-1), so /metrics can show the watches held. Default none. */
  readonly watching?: (delta: 1 | -1) => void;
}

/** A list may take longer than one object's call (a cluster-wide pod list): at least this long, ms. */
export const MIN_LIST_TIMEOUT_MS = 60_000;

/** The watch path of a resource, cluster-wide or in one namespace. */
export const watchPath = (r: Resource, namespace?: string): string => collectionPath(r, namespace);

interface RunningWatch {
  readonly list: (namespace?: string) => KubeObject[];
  readonly get: (namespace: string, name: string) => KubeObject | undefined;
  readonly synced: () => boolean;
  readonly stop: () => Promise<void>;
}

const startWatch = (
  connection: Connection,
  resource: Resource,
  namespace: string | undefined,
  onChange: (c: CacheChange) => void,
  log: WatchLog,
): RunningWatch => {
  const path = watchPath(resource, namespace);
  const slim = slimFor(resource);
  const listFn = async (): Promise<KubernetesListObject<KubernetesObject>> => {
    const res = await connection.send({ method: 'GET', path }, { timeoutMs: Math.max(connection.timeoutMs, MIN_LIST_TIMEOUT_MS) });
    if (res.status < 200 || res.status > 299) throw Object.assign(new Error(`list ${path}: HTTP ${res.status}: ${res.text.slice(0, 500)}`), { statusCode: res.status });
    const list = JSON.parse(res.text) as { metadata?: KubernetesListObject<KubernetesObject>['metadata']; items?: KubeObject[] };
    return { ...(list.metadata ? { metadata: list.metadata } : {}), items: (list.items ?? []).map(slim) } as unknown as KubernetesListObject<KubernetesObject>;
  };
  const informer = new ListWatch<KubernetesObject>(path, slimmingWatch(new Watch(connection.watchConfig), slim, log.watching), listFn, false);
  const emit = (type: CacheChange['type']) => (obj: KubernetesObject) => onChange({ type, resource, obj: obj as unknown as KubeObject });
  informer.on('add', emit('add'));
  informer.on('update', emit('update'));
  informer.on('delete', emit('delete'));
  const watching = keepWatching(informer, path, log);

  return {
    list: (ns) => informer.list(ns) as unknown as KubeObject[],
    get: (ns, name) => informer.get(name, ns) as unknown as KubeObject | undefined,
    synced: watching.synced,
    stop: watching.stop,
  };
};

export interface Informers {
  readonly caches: Caches;
  readonly stop: () => Promise<void>;
}

/**
 * Start watching TrafficShifts, Services, Pods, VirtualServices and DestinationRules (in
 * `namespaces`, or all when empty), and HTTPRoutes with `gatewayAPI` (their CRDs must exist).
 */
export const startInformers = (
  connection: Connection, namespaces: readonly string[], onChange: (c: CacheChange) => void, log: WatchLog, options: { readonly gatewayAPI?: boolean } = {},
): Informers => {
  const scopes: (string | undefined)[] = namespaces.length > 0 ? [...namespaces] : [undefined];
  const watches = new Map<Resource, RunningWatch[]>();
  for (const r of [TRAFFIC_SHIFTS, SERVICES, PODS, VIRTUAL_SERVICES, DESTINATION_RULES, ...(options.gatewayAPI ? [HTTP_ROUTES] : [])])
    watches.set(r, scopes.map((ns) => startWatch(connection, r, ns, onChange, log)));
  const of = (r: Resource): RunningWatch[] => watches.get(r) ?? [];
  const get = (r: Resource) => (ns: string, name: string): KubeObject | undefined => {
    for (const w of of(r)) {
      const o = w.get(ns, name);
      if (o) return o;
    }
    return undefined;
  };
  // Each watch keeps a map per namespace: one namespace's objects are read from it, not filtered from all.
  const list = (r: Resource) => (ns?: string): KubeObject[] => {
    const ws = of(r);
    return ws.length === 1 ? ws[0]!.list(ns) : ws.flatMap((w) => w.list(ns));
  };
  const all = [...watches.values()].flat();
  const caches: Caches = {
    shift: get(TRAFFIC_SHIFTS),
    shifts: list(TRAFFIC_SHIFTS),
    service: get(SERVICES),
    pods: list(PODS),
    virtualService: get(VIRTUAL_SERVICES),
    destinationRule: get(DESTINATION_RULES),
    services: (ns) => list(SERVICES)(ns),
    ...(options.gatewayAPI ? { httpRoute: get(HTTP_ROUTES) } : {}),
    synced: () => all.every((w) => w.synced()),
  };
  return { caches, stop: async () => void (await Promise.all(all.map((w) => w.stop()))) };
};
