/**
 * Before the benchmark starts its cluster-wide daemon: wait until the cluster holds nothing else
 * that daemon would act on. Apart from setup.ts so a unit test can load it without the client.
 */
import type { Api } from './api';
import { waitFor } from './daemon';

/** Every TrafficShift in the cluster (list path). */
export const SHIFTS_PATH = '/apis/sluice.dev/v1alpha1/trafficshifts';

/** What a cluster-wide daemon would act on besides the benchmark's own shifts: terminating namespaces and foreign TrafficShifts. */
export const foreignWork = async (api: Api, prefix: string): Promise<string[]> => {
  const nss = await api.json<{ items: { metadata: { name: string }; status?: { phase?: string } }[] }>({ method: 'GET', path: '/api/v1/namespaces' });
  const terminating = nss.items.filter((n) => n.status?.phase === 'Terminating').map((n) => `namespace ${n.metadata.name} (Terminating)`);
  const foreign: string[] = [];
  let cont: string | undefined;
  do {
    const page = await api.json<{ items: { metadata: { namespace: string; name: string } }[]; metadata?: { continue?: string } }>({ method: 'GET', path: SHIFTS_PATH, query: { limit: '500', ...(cont ? { continue: cont } : {}) } });
    for (const s of page.items) if (!s.metadata.namespace.startsWith(`${prefix}-`)) foreign.push(`TrafficShift ${s.metadata.namespace}/${s.metadata.name}`);
    cont = page.metadata?.continue || undefined;
  } while (cont);
  return [...terminating, ...foreign];
};

/**
 * Wait until the daemon, which runs cluster-wide (the mode whose memory and API load the benchmark
 * measures), would find nothing but the benchmark's own shifts: no namespace being deleted and no
 * TrafficShift of someone else. In the integration suite the tests before it delete their
 * namespaces without waiting. After `timeoutMs` it returns what is still there instead of
 * failing: a shift whose finalizer no daemon will remove keeps its namespace Terminating for good
 * (a test's daemon was killed first), and the benchmark's daemon then finalizes it as any
 * cluster-wide replica would; its route writes check their subsets with the API server first
 * (src/daemon/reconcile.ts checkSubsets), so acting on a namespace being emptied is safe.
 */
export const waitQuietCluster = async (api: Api, prefix: string, timeoutMs: number): Promise<string[]> => {
  let left: string[] = [];
  await waitFor(async () => {
    left = await foreignWork(api, prefix);
    return left.length === 0 ? true : undefined;
  }, 'a cluster with nothing but the benchmark for its cluster-wide daemon', timeoutMs, 1000).catch(() => undefined);
  return left;
};
