/**
 * A scheduled start on the real local control plane: the daemon (`node dist/src/cli/main.js run`,
 * built by `npm run build`) holds a new version in Waiting and starts it at the cron time.
 *
 * Given a shift at v1 and a running daemon,
 * when spec.version becomes v2 with a start a few seconds ahead (6-field cron with seconds, in
 * Europe/Berlin, computed from the current time),
 * then the shift waits (status.nextStart is that instant) and begins within two seconds of it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { REPO_ROOT, kubeConfig, kubectlOk, waitFor } from './env';

const MAIN = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const CRD = path.join(REPO_ROOT, 'charts', 'sluice', 'crds', 'trafficshift.yaml');
const ZONE = 'Europe/Berlin';
const SHIFT = { group: 'sluice.dev', version: 'v1alpha1', plural: 'trafficshifts', name: 'reviews' };

const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ShiftStatus {
  phase?: string;
  stableVersion?: string;
  nextStart?: string;
  startedAt?: string;
}

// ---- Given ---------------------------------------------------------------------------------------

const givenNamespaceWithReviews = async (): Promise<string> => {
  const namespace = `schedule-${Math.random().toString(36).slice(2, 8)}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await core.createNamespacedService({
    namespace,
    body: { metadata: { name: 'reviews' }, spec: { selector: { app: 'reviews' }, ports: [{ name: 'http', port: 9080 }] } },
  });
  for (const version of ['v1', 'v2']) {
    const labels = { app: 'reviews', version };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: `reviews-${version}`, labels },
        spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'reviews', image: 'example.invalid/reviews:1' }] } } },
      },
    });
  }
  await waitFor(
    async () => {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=reviews' });
      return pods.items.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === 2;
    },
    { timeoutMs: 90_000, what: 'reviews-v1 and reviews-v2 Ready' },
  );
  return namespace;
};

/** The daemon under test, watching only `namespace`, with its own lease and an ephemeral metrics port. */
const givenDaemon = (namespace: string): { proc: ChildProcess; output: () => string } => {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" before the integration tests`);
  const args = [
    MAIN, 'run',
    '--namespace', namespace,
    '--prometheus-url', process.env.SLUICE_PROMETHEUS_URL ?? 'http://127.0.0.1:9090',
    '--lease-name', `sluice-${namespace}`, '--lease-namespace', namespace,
    '--metrics-addr', '127.0.0.1:0',
    '--log-format', 'text',
  ];
  const proc = spawn(process.execPath, args, { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, output: () => out.slice(-4000) };
};

const statusOf = async (namespace: string): Promise<ShiftStatus> => {
  const obj = (await custom.getNamespacedCustomObject({ ...SHIFT, namespace })) as { status?: ShiftStatus };
  return obj.status ?? {};
};

const patchSpec = (namespace: string, spec: Record<string, unknown>) =>
  custom.patchNamespacedCustomObject({ ...SHIFT, namespace, body: { spec } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));

/** A 6-field cron expression that fires once a day at `ms`'s wall-clock second in `zone`. */
const cronAt = (ms: number, zone: string): string => {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(ms));
  const n = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return `${n('second')} ${n('minute')} ${n('hour')} * * *`;
};

// ---- Scenario ------------------------------------------------------------------------------------

describe('scheduled start (daemon against the local control plane)', () => {
  let namespace = '';
  let daemon: ReturnType<typeof givenDaemon> | undefined;

  beforeAll(async () => {
    kubectlOk(['apply', '-f', CRD]);
    namespace = await givenNamespaceWithReviews();
    daemon = givenDaemon(namespace);
  });

  afterAll(async () => {
    daemon?.proc.kill('SIGTERM');
    if (namespace) {
      await custom.deleteNamespacedCustomObject({ ...SHIFT, namespace }).catch(() => undefined);
      await sleep(1000); // let the daemon release its finalizer before it stops
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    }
  });

  it('holds a new version in Waiting and starts it within two seconds of the cron time', () =>
    scenario().catch((e: Error) => {
      throw new Error(`${e.message}\n--- daemon output (last 4000 characters) ---\n${daemon?.output() ?? ''}`);
    }));

  const scenario = async (): Promise<void> => {
    // Given a shift serving v1
    await custom.createNamespacedCustomObject({
      group: SHIFT.group, version: SHIFT.version, plural: SHIFT.plural, namespace,
      body: {
        apiVersion: 'sluice.dev/v1alpha1', kind: 'TrafficShift', metadata: { name: SHIFT.name },
        spec: { service: 'reviews', version: 'v1', strategy: { canary: { steps: [20, 50] } } },
      },
    });
    await waitFor(async () => (await statusOf(namespace)).stableVersion === 'v1', { timeoutMs: 30_000, what: 'v1 adopted as stable' });

    // When v2 arrives with a start 12 s ahead, at a whole second, in Berlin time
    const start = Math.ceil((Date.now() + 12_000) / 1000) * 1000;
    await patchSpec(namespace, { version: 'v2', schedule: { start: cronAt(start, ZONE), timeZone: ZONE } });

    // Then it waits for exactly that start...
    const waiting = await waitFor(async () => {
      const s = await statusOf(namespace);
      return s.phase === 'Waiting' ? s : undefined;
    }, { timeoutMs: 8_000, intervalMs: 100, what: 'phase Waiting' });
    expect(waiting.nextStart).toBe(new Date(start).toISOString());

    // ...stays Waiting until it comes...
    let lastBefore: ShiftStatus = waiting;
    while (Date.now() < start - 500) {
      lastBefore = await statusOf(namespace);
      expect(lastBefore.phase).toBe('Waiting');
      await sleep(250);
    }

    // ...and begins within two seconds of it.
    const begun = await waitFor(async () => {
      const s = await statusOf(namespace);
      return s.phase !== 'Waiting' ? { status: s, seenAt: Date.now() } : undefined;
    }, { timeoutMs: 10_000, intervalMs: 100, what: 'phase leaving Waiting' });
    expect(begun.status.phase).toBe('Progressing');
    const startedAt = Date.parse(begun.status.startedAt ?? '');
    expect(startedAt).toBeGreaterThanOrEqual(start);
    expect(startedAt - start).toBeLessThanOrEqual(2_000);
    expect(begun.seenAt - start).toBeLessThanOrEqual(3_000);
  };
});
