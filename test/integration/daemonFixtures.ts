/**
 * Given/When/Then helpers for the integration tests (daemon, schedule, RBAC, mesh simulator, the
 * environment itself): namespaces, Deployments the pod simulator runs, a `reviews` Service with
 * v1/v2 Deployments, Istio objects, TrafficShifts, the daemon as a child process (`node
 * dist/src/cli/main.js run`, so it can be SIGKILLed), and readers for status, routes, Events and
 * metrics.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, type V1Deployment } from '@kubernetes/client-node';
import { kubeConfig, kubectlOk, REPO_ROOT, sleep, UNREADY_ANNOTATION, waitFor } from './env';

const kc = kubeConfig();
export const core = kc.makeApiClient(CoreV1Api);
export const apps = kc.makeApiClient(AppsV1Api);
export const custom = kc.makeApiClient(CustomObjectsApi);

export { sleep };

/** Istio's API group and version, for the CustomObjectsApi calls. */
export const ISTIO = { group: 'networking.istio.io', version: 'v1' } as const;

// ---- Given ------------------------------------------------------------------------------------

export const newNamespace = async (prefix: string): Promise<string> => {
  const name = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
};

/** Deletes the namespace; TrafficShift finalizers are stripped first in case no daemon runs any more. */
export const deleteNamespace = async (namespace: string): Promise<void> => {
  if (!namespace) return;
  const list = (await custom.listNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace, plural: 'trafficshifts' }).catch(() => ({ items: [] }))) as { items: { metadata: { name: string } }[] };
  for (const s of list.items)
    await custom
      .patchNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace, plural: 'trafficshifts', name: s.metadata.name, body: [{ op: 'remove', path: '/metadata/finalizers' }] })
      .catch(() => undefined);
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
};

/**
 * A Deployment the pod simulator runs: `labels` on it, its selector and its pods, one container
 * `container` (image example.invalid/<container>:1, never pulled). Pods of an `unready` one run but
 * never become Ready (UNREADY_ANNOTATION).
 */
export const deployment = (
  name: string,
  labels: Record<string, string>,
  replicas: number,
  opts: { unready?: boolean; container?: string } = {},
): V1Deployment => {
  const container = opts.container ?? 'app';
  return {
    metadata: { name, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, ...(opts.unready ? { annotations: { [UNREADY_ANNOTATION]: 'true' } } : {}) },
        spec: { containers: [{ name: container, image: `example.invalid/${container}:1` }] },
      },
    },
  };
};

/** Service `reviews` (one port, default `http` 9080) and Deployments reviews-<version> (`replicas` each, default 2); waits for the pods. */
export const givenReviews = async (
  namespace: string,
  versions: readonly string[],
  opts: { unready?: readonly string[]; replicas?: number; port?: { name: string; port: number; appProtocol?: string } } = {},
): Promise<void> => {
  const replicas = opts.replicas ?? 2;
  await core.createNamespacedService({
    namespace,
    body: { metadata: { name: 'reviews' }, spec: { selector: { app: 'reviews' }, ports: [opts.port ?? { name: 'http', port: 9080 }] } },
  });
  for (const version of versions) {
    const body = deployment(`reviews-${version}`, { app: 'reviews', version }, replicas, { unready: opts.unready?.includes(version), container: 'reviews' });
    await apps.createNamespacedDeployment({ namespace, body });
  }
  const expectedPods = replicas * versions.length;
  const expectedReady = replicas * (versions.length - (opts.unready?.length ?? 0));
  await waitFor(
    async () => {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=reviews' });
      const ready = pods.items.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return pods.items.length === expectedPods && ready.length === expectedReady;
    },
    { timeoutMs: 90_000, what: `${expectedPods} reviews pods, ${expectedReady} of them Ready` },
  );
};

/**
 * A canary TrafficShift `reviews` with short intervals. The gate is the threshold method, named:
 * these tests' traffic, windows and counts (5 requests a window, 2 failed windows) were written for
 * it; the default, sequential, has its own file (sequential.test.ts).
 */
export const canarySpec = (version: string, over: Record<string, unknown> = {}) => ({
  service: 'reviews',
  version,
  strategy: { canary: { steps: [20, 60], stepInterval: '10s' } },
  analysis: { interval: '10s', minRequests: 5, maxErrorRate: 0.05, failureThreshold: 2, method: 'threshold' },
  progressDeadline: '60s',
  ...over,
});

export const givenShift = (namespace: string, spec: Record<string, unknown>, name = 'reviews') =>
  custom.createNamespacedCustomObject({
    group: 'sluice.dev', version: 'v1alpha1', namespace, plural: 'trafficshifts',
    body: { apiVersion: 'sluice.dev/v1alpha1', kind: 'TrafficShift', metadata: { name }, spec },
  });

export const patchShift = (namespace: string, patch: Record<string, unknown>, name = 'reviews'): void =>
  void kubectlOk(['-n', namespace, 'patch', 'trafficshift', name, '--type=merge', '-p', JSON.stringify(patch)]);

/** A VirtualService `reviews` as sent to the API server (or to kubectl apply). */
export const virtualService = (spec: Record<string, unknown>, labels: Record<string, string> = {}) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'reviews', labels },
  spec,
});

export const givenVirtualService = (namespace: string, spec: Record<string, unknown>, labels: Record<string, string> = {}) =>
  custom.createNamespacedCustomObject({ ...ISTIO, namespace, plural: 'virtualservices', body: virtualService(spec, labels) });

/** DestinationRule `reviews` with one subset per entry of `subsets` (subset name -> version label). */
export const givenDestinationRule = (namespace: string, subsets: Record<string, string> = { v1: 'v1', v2: 'v2' }) =>
  custom.createNamespacedCustomObject({
    ...ISTIO, namespace, plural: 'destinationrules',
    body: {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'reviews' },
      spec: { host: 'reviews', subsets: Object.entries(subsets).map(([name, version]) => ({ name, labels: { version } })) },
    },
  });

// ---- Then -------------------------------------------------------------------------------------

export interface ShiftObject {
  metadata: { name: string; resourceVersion: string; finalizers?: string[]; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: Record<string, any>;
}

export const getShift = async (namespace: string, name = 'reviews'): Promise<ShiftObject | undefined> =>
  (await custom.getNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace, plural: 'trafficshifts', name }).catch(() => undefined)) as ShiftObject | undefined;

export interface IstioObject {
  metadata: { name: string; resourceVersion: string; generation: number; labels?: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: unknown[] };
  spec: Record<string, any>;
}

export const getIstio = async (namespace: string, plural: 'virtualservices' | 'destinationrules'): Promise<IstioObject | undefined> =>
  (await custom.getNamespacedCustomObject({ ...ISTIO, namespace, plural, name: 'reviews' }).catch(() => undefined)) as IstioObject | undefined;

/** The primary route's weights as `{ subset: weight }` (a TCP shift's: its tcp route's). */
export const weightsOf = (vs: IstioObject | undefined): Record<string, number> => {
  const http = (vs?.spec.http ?? vs?.spec.tcp ?? []) as { name?: string; route?: { destination: { subset?: string }; weight?: number }[] }[];
  const primary = http.find((r) => r.name === 'primary') ?? http[http.length - 1];
  return Object.fromEntries((primary?.route ?? []).map((d) => [d.destination.subset ?? '', d.weight ?? 100]));
};

/** Whether the VirtualService carries the weights status records (subsets named like the versions). */
const routesMatch = (status: Record<string, any>, vs: IstioObject | undefined): boolean => {
  if (status.stableVersion === undefined || status.weights === undefined) return true;
  if (vs === undefined) return false;
  const weights = weightsOf(vs);
  const want: Record<string, number> = { [status.stableVersion]: status.weights.stable };
  if (status.candidateVersion !== undefined && status.candidateVersion !== status.stableVersion && ['Progressing', 'Paused', 'Promoting', 'RolledBack'].includes(status.phase))
    want[status.candidateVersion] = status.weights.candidate;
  return Object.entries(want).every(([v, w]) => (weights[v] ?? 0) === w || (w === 0 && weights[v] === undefined));
};

/**
 * Wait until the shift's status satisfies `phase`, then (for up to 5 s) until its VirtualService
 * carries the weights that status records: status is written before the routes it decides
 * (ADR 0005), so a test reading routes right after status would race the route write. Routes
 * held on purpose (Ready=False) do not match; the status is returned after the 5 s anyway.
 */
export const waitForPhase = async (namespace: string, phase: string | ((s: Record<string, any>) => boolean), timeoutMs = 120_000, name = 'reviews') => {
  const status = await waitFor(
    async () => {
      const s = (await getShift(namespace, name))?.status;
      if (!s) return undefined;
      return (typeof phase === 'string' ? s.phase === phase : phase(s)) ? s : undefined;
    },
    { timeoutMs, intervalMs: 500, what: `TrafficShift ${namespace}/${name} to reach ${typeof phase === 'string' ? phase : 'the expected status'}` },
  );
  const service = (status.routedService as string | undefined) ?? name;
  const until = Date.now() + 5000;
  while (Date.now() < until) {
    const vs = (await custom.getNamespacedCustomObject({ ...ISTIO, namespace, plural: 'virtualservices', name: service }).catch(() => undefined)) as IstioObject | undefined;
    if (routesMatch(status, vs)) break;
    await sleep(200);
  }
  return status;
};

export interface EventRow { reason: string; type: string; message: string; count?: number; reportingComponent?: string }

export const eventsFor = async (namespace: string, name = 'reviews'): Promise<EventRow[]> => {
  const list = await core.listNamespacedEvent({ namespace });
  return list.items
    .filter((e) => e.involvedObject.kind === 'TrafficShift' && e.involvedObject.name === name)
    .map((e) => ({ reason: e.reason ?? '', type: e.type ?? '', message: e.message ?? '', count: e.count, reportingComponent: e.reportingComponent }));
};

// ---- the daemon -------------------------------------------------------------------------------

export interface DaemonProcess {
  readonly proc: ChildProcess;
  readonly lines: Record<string, any>[];
  readonly metricsUrl: string;
  readonly identity: string;
  readonly exited: Promise<number | null>;
  /** The value of a metric sample `name{labels}` (labels matched as a subset), or undefined. */
  readonly metric: (name: string, labels?: Record<string, string>) => Promise<number | undefined>;
  readonly kill: (signal: NodeJS.Signals) => Promise<number | null>;
}

const CLI = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

/** Push every line of the daemon's JSON log on `stream` into `lines` (a non-JSON line as `{msg}`). */
export const collectJsonLines = (stream: NodeJS.ReadableStream, lines: Record<string, any>[]): void => {
  let buffer = '';
  stream.on('data', (d: Buffer) => {
    buffer += d.toString();
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, any>);
      } catch {
        lines.push({ msg: line });
      }
    }
  });
};

/**
 * Start `sluice run` watching `namespace`, with fast leader-election timings and its lease in that
 * namespace. `env` is added to the test's environment (e.g. SLUICE_FAILPOINT for the chaos suite).
 */
export const startDaemon = async (namespace: string, identity: string, extra: readonly string[] = [], env: Readonly<Record<string, string>> = {}): Promise<DaemonProcess> => {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const args = [
    CLI, 'run', '--namespace', namespace, '--metrics-addr', '127.0.0.1:0', '--lease-namespace', namespace, '--lease-name', 'sluice-leader',
    '--lease-duration', '6s', '--renew-deadline', '4s', '--retry-period', '1s', '--identity', identity, ...extra,
  ];
  const proc = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, any>[] = [];
  collectJsonLines(proc.stdout!, lines);
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  if (process.env.SLUICE_DAEMON_LOGS) proc.stdout!.pipe(process.stderr);
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const started = await waitFor(() => lines.find((l) => l.msg === 'sluice daemon started') ?? (proc.exitCode !== null ? Promise.reject(new Error(`daemon exited: ${stderr}`)) : undefined), {
    timeoutMs: 30_000,
    what: 'the daemon to start',
  });
  const metricsUrl = `http://${started.metricsAddr as string}`;
  const metric = async (name: string, labels: Record<string, string> = {}): Promise<number | undefined> => {
    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    for (const line of text.split('\n')) {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
      if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
    }
    return undefined;
  };
  return {
    proc, lines, metricsUrl, identity, exited, metric,
    kill: async (signal) => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
};

/** Lines of the daemon's log that recorded a decision for the shift. */
export const decisions = (d: DaemonProcess, name = 'reviews') => d.lines.filter((l) => l.msg === 'decided' && l.shift === name);
