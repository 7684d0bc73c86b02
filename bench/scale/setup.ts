/**
 * Building and removing the benchmark's mesh on the API server: namespaces, Services, pods (the
 * pod simulator binds them and reports them Running and Ready), TrafficShifts; all in parallel.
 */
import { Api, retrying } from './api';
import { FleetOptions, namespace, pod, PodRef, service, shift, shiftNamespaces, Target, targetPods, targets, unrelatedNamespaces, unrelatedPods } from './fleet';
import { waitFor } from './daemon';
import { SHIFTS_PATH } from './quiet';

export const shiftPath = (t: Target): string => `/apis/sluice.dev/v1alpha1/namespaces/${t.namespace}/trafficshifts/${t.name}`;
export const vsPath = (t: Target): string => `/apis/networking.istio.io/v1/namespaces/${t.namespace}/virtualservices/${t.name}`;
export const podPath = (p: Pick<PodRef, 'namespace' | 'name'>): string => `/api/v1/namespaces/${p.namespace}/pods/${p.name}`;

const ALREADY_EXISTS = [409];

export const createPod = (api: Api, p: PodRef): Promise<unknown> =>
  // A new namespace's "default" ServiceAccount appears a moment after it (admission refuses pods until then).
  retrying(() => api.json({ method: 'POST', path: `/api/v1/namespaces/${p.namespace}/pods`, body: pod(p.namespace, p.name, p.app, p.version) }, ALREADY_EXISTS));

/** Pods the simulator has not yet reported Running, cluster-wide (a page of them is enough to know). */
const pendingPods = async (api: Api): Promise<number> => {
  const list = await api.json<{ items: unknown[]; metadata?: { continue?: string } }>({ method: 'GET', path: '/api/v1/pods', query: { fieldSelector: 'status.phase=Pending', limit: '500' } });
  return list.items.length + (list.metadata?.continue ? 500 : 0);
};

export const waitPodsRunning = (api: Api, timeoutMs: number): Promise<true> =>
  waitFor(async () => ((await pendingPods(api)) === 0 ? true : undefined), 'every pod Running', timeoutMs, 1000);

export interface SetupTimes {
  /** Seconds to create namespaces, Services and pods. */
  readonly createS: number;
  /** Seconds until the simulator reported every pod Running. */
  readonly runningS: number;
  readonly pods: number;
}

/** Namespaces, Services and every pod (target and unrelated), then wait for them to run. */
export const createMesh = async (api: Api, o: FleetOptions, log: (m: string) => void): Promise<SetupTimes> => {
  const t0 = Date.now();
  const nss = [...shiftNamespaces(o), ...unrelatedNamespaces(o)];
  await api.each(nss, (n) => api.json({ method: 'POST', path: '/api/v1/namespaces', body: namespace(n) }, ALREADY_EXISTS));
  await api.each(targets(o), (t) => api.json({ method: 'POST', path: `/api/v1/namespaces/${t.namespace}/services`, body: service(t) }, ALREADY_EXISTS));
  const pods = [...targetPods(o), ...unrelatedPods(o)];
  let done = 0;
  await api.each(pods, async (p) => {
    await createPod(api, p);
    if (++done % 2000 === 0) log(`  ${done}/${pods.length} pods created (${Math.round((Date.now() - t0) / 1000)} s)`);
  });
  const created = Date.now();
  await waitPodsRunning(api, 30 * 60_000);
  return { createS: (created - t0) / 1000, runningS: (Date.now() - t0) / 1000, pods: pods.length };
};

export interface ShiftState {
  readonly phase?: string;
  readonly stableVersion?: string;
  readonly candidateVersion?: string;
  readonly weights?: { readonly stable: number; readonly candidate: number };
}

interface ShiftItem { metadata: { namespace: string; name: string; annotations?: Record<string, string> }; status?: ShiftState }

/** Every TrafficShift of the benchmark (by "namespace/name"), in pages. */
export const listShifts = async (api: Api, prefix: string): Promise<Map<string, ShiftItem>> => {
  const out = new Map<string, ShiftItem>();
  let cont: string | undefined;
  do {
    const page = await api.json<{ items: ShiftItem[]; metadata?: { continue?: string } }>({ method: 'GET', path: SHIFTS_PATH, query: { limit: '500', ...(cont ? { continue: cont } : {}) } });
    for (const s of page.items) if (s.metadata.namespace.startsWith(`${prefix}-`)) out.set(`${s.metadata.namespace}/${s.metadata.name}`, s);
    cont = page.metadata?.continue || undefined;
  } while (cont);
  return out;
};

/** Wait until `ok` holds for every target's status; the seconds it took. */
export const waitShifts = async (api: Api, o: FleetOptions, what: string, ok: (s: ShiftState | undefined) => boolean, timeoutMs: number): Promise<number> => {
  const t0 = Date.now();
  const all = targets(o);
  await waitFor(async () => {
    const shifts = await listShifts(api, o.prefix);
    return all.every((t) => ok(shifts.get(`${t.namespace}/${t.name}`)?.status)) ? true : undefined;
  }, what, timeoutMs, 1000);
  return (Date.now() - t0) / 1000;
};

export const isStableAt = (version: string) => (s: ShiftState | undefined): boolean => s?.stableVersion === version && (s.candidateVersion === undefined || s.weights?.candidate === 0) && s.phase !== 'Progressing';
export const isProgressing = (s: ShiftState | undefined): boolean => s?.phase === 'Progressing' && (s.weights?.candidate ?? 0) > 0;

/** TrafficShifts for the targets from index `from` on, at `version`. */
export const createShifts = (api: Api, o: FleetOptions, version: string, intervalS: number, from = 0): Promise<void> =>
  api.each(targets(o).slice(from), (t) => api.json({ method: 'POST', path: `/apis/sluice.dev/v1alpha1/namespaces/${t.namespace}/trafficshifts`, body: shift(t, version, intervalS) }, ALREADY_EXISTS));

export const mergePatch = (api: Api, path: string, patch: unknown): Promise<unknown> =>
  api.json({ method: 'PATCH', path, body: patch, contentType: 'application/merge-patch+json' });

export const setVersion = (api: Api, batch: readonly Target[], version: string): Promise<void> =>
  api.each(batch, (t) => mergePatch(api, shiftPath(t), { spec: { version } }));

/** Delete every namespace of the benchmark (their TrafficShifts' finalizers are removed first: the daemon may be gone). */
export const deleteMesh = async (api: Api, o: FleetOptions): Promise<void> => {
  const shifts = await listShifts(api, o.prefix);
  await api.each([...shifts.values()], (s) =>
    api.json({ method: 'PATCH', path: shiftPath({ namespace: s.metadata.namespace, name: s.metadata.name }), body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json' }, [404]));
  const nss = await api.json<{ items: { metadata: { name: string } }[] }>({ method: 'GET', path: '/api/v1/namespaces', query: { labelSelector: 'bench.sluice.dev/scale=true' } });
  await api.each(nss.items.filter((n) => n.metadata.name.startsWith(`${o.prefix}-`)), (n) => api.json({ method: 'DELETE', path: `/api/v1/namespaces/${n.metadata.name}` }, [404, 409]));
};
