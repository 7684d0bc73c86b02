/**
 * Watches what Envoy would be told about: Pods, Services, VirtualServices, DestinationRules and
 * Gateway API HTTPRoutes, cluster-wide, through the real API server (KUBECONFIG). client-node's
 * informer stops for good on a watch error, so each one is restarted with backoff until `stop`.
 */
import { CoreV1Api, CustomObjectsApi, KubeConfig, makeInformer, type Informer, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import { destinationRuleFromK8s, httpRouteFromK8s, podFromK8s, serviceFromK8s, virtualServiceFromK8s } from './decode';
import type { MeshSnapshot } from './model';

/** A live view of the mesh objects. */
export interface MeshWatch {
  /** The objects as last seen. */
  readonly snapshot: () => MeshSnapshot;
  /** Stops every informer; no restarts after this. */
  readonly stop: () => Promise<void>;
}

type Log = (message: string) => void;
type Watched = Informer<KubernetesObject> & ObjectCache<KubernetesObject>;

const ISTIO = { group: 'networking.istio.io', version: 'v1' };
const GATEWAY_API = { group: 'gateway.networking.k8s.io', version: 'v1' };
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 10_000;
/** An error this long after the previous one starts the backoff afresh. */
const CALM_MS = 30_000;

/** Starts an informer and restarts it after every error, with backoff, until `isStopped()`. */
const keepRunning = (name: string, informer: Watched, isStopped: () => boolean, log: Log): Promise<void> => {
  let backoffMs = FIRST_BACKOFF_MS;
  let lastErrorAt = 0;
  informer.on('error', (err: unknown) => {
    if (isStopped()) return;
    const now = Date.now();
    if (now - lastErrorAt > CALM_MS) backoffMs = FIRST_BACKOFF_MS;
    lastErrorAt = now;
    log(`watch ${name} failed (${err instanceof Error ? err.message : String(err)}); restarting in ${backoffMs} ms`);
    const delay = backoffMs;
    backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    setTimeout(() => {
      if (!isStopped()) informer.start().catch((e: unknown) => log(`watch ${name} restart failed: ${String(e)}`));
    }, delay).unref();
  });
  return informer.start();
};

/**
 * Watches the four kinds; `onChange` runs after every add, update or delete (the initial list
 * included). Resolves once every informer has made its first list attempt.
 */
export const watchMesh = async (kc: KubeConfig, onChange: () => void, log: Log): Promise<MeshWatch> => {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  let stopped = false;
  const istioList = (plural: string) => () => custom.listClusterCustomObject({ ...ISTIO, plural });
  const informers: Record<string, Watched> = {
    pods: makeInformer(kc, '/api/v1/pods', () => core.listPodForAllNamespaces()),
    services: makeInformer(kc, '/api/v1/services', () => core.listServiceForAllNamespaces()),
    virtualservices: makeInformer(kc, `/apis/${ISTIO.group}/${ISTIO.version}/virtualservices`, istioList('virtualservices')),
    destinationrules: makeInformer(kc, `/apis/${ISTIO.group}/${ISTIO.version}/destinationrules`, istioList('destinationrules')),
  };
  // HTTPRoutes when the Gateway API CRDs are installed; without them the watch fails, is retried
  // with backoff, and the simulator routes by VirtualServices alone.
  const httpRoutes: Watched = makeInformer(kc, `/apis/${GATEWAY_API.group}/${GATEWAY_API.version}/httproutes`,
    () => custom.listClusterCustomObject({ ...GATEWAY_API, plural: 'httproutes' }));
  for (const informer of [...Object.values(informers), httpRoutes]) informer.on('change', () => onChange());
  await Promise.all([
    ...Object.entries(informers).map(([name, inf]) => keepRunning(name, inf, () => stopped, log)),
    keepRunning('httproutes', httpRoutes, () => stopped, log).catch((e: unknown) => log(`watch httproutes: ${String(e)} (no Gateway API CRDs?)`)),
  ]);
  return {
    snapshot: () => ({
      pods: informers.pods.list().map(podFromK8s),
      services: informers.services.list().map(serviceFromK8s),
      virtualServices: informers.virtualservices.list().map(virtualServiceFromK8s),
      destinationRules: informers.destinationrules.list().map(destinationRuleFromK8s),
      httpRoutes: httpRoutes.list().map(httpRouteFromK8s),
    }),
    stop: async () => {
      stopped = true;
      await Promise.all([...Object.values(informers), httpRoutes].map((i) => i.stop()));
    },
  };
};

/** The kubeconfig from KUBECONFIG (or the usual defaults). */
export const defaultKubeConfig = (): KubeConfig => {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
};
