/**
 * Acceptance tests of the local test environment itself (scripts/cluster.sh): a real
 * kube-apiserver + etcd + kube-controller-manager with the pod simulator, Istio's real CRDs,
 * RBAC, and a real Prometheus fed through file_sd target files. Each test uses its own
 * namespace and deletes it afterwards.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import {
  apps, core, deleteNamespace, deployment, getIstio, givenDestinationRule, givenVirtualService, newNamespace, sleep, virtualService,
} from './daemonFixtures';
import { CLUSTER_SH, kubeConfig, kubectl, promQuery, readEnvFile, UNREADY_ANNOTATION, waitFor } from './env';

// jest ignores testTimeout inside a `projects` entry, so set it here: waits below are bounded
// by their own timeouts, this is only the outer limit.
jest.setTimeout(300_000);

const kc = kubeConfig();

/** The namespace of the running test ("" for none); the namespace controller (a real one) removes everything inside. */
let namespace = '';
afterEach(async () => {
  await deleteNamespace(namespace);
  namespace = '';
});
const condition = (d: V1Deployment, type: string) => d.status?.conditions?.find((c) => c.type === type);
const podReady = (p: V1Pod) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status;

/** The API error message of a rejected request (client-node's ApiException carries the Status body). */
const rejection = async (p: Promise<unknown>): Promise<{ code: number; message: string }> => {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: number; body?: unknown };
    const body = typeof err.body === 'string' ? (JSON.parse(err.body) as { message?: string }) : (err.body as { message?: string });
    return { code: err.code ?? 0, message: body?.message ?? String(e) };
  }
  throw new Error('expected the API server to reject the request, but it was accepted');
};

describe('local control plane', () => {
  it('Given a 3-replica Deployment, When it is created, Then it becomes Available with 3 Running, Ready pods on the simulated node', async () => {
    namespace = await newNamespace('env-avail');
    await apps.createNamespacedDeployment({ namespace, body: deployment('web', { app: 'web' }, 3) });

    const d = await waitFor(
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'web', namespace });
        return condition(d, 'Available')?.status === 'True' && d.status?.readyReplicas === 3 ? d : undefined;
      },
      { timeoutMs: 60_000, what: 'Deployment web Available with 3 ready replicas' },
    );
    expect(d.status?.availableReplicas).toBe(3);
    const pods = (await core.listNamespacedPod({ namespace, labelSelector: 'app=web' })).items;
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.spec?.nodeName).toBe('sim-node');
      expect(p.status?.phase).toBe('Running');
      expect(podReady(p)).toBe('True');
      expect(p.status?.podIP).toMatch(/^127\./);
    }
  });

  it('Given a pod template annotated unready, When the Deployment is created, Then pods run but stay unready and it never becomes Available', async () => {
    namespace = await newNamespace('env-unready');
    await apps.createNamespacedDeployment({ namespace, body: deployment('stuck', { app: 'stuck' }, 2, { unready: true }) });

    const pods = await waitFor(
      async () => {
        const items = (await core.listNamespacedPod({ namespace, labelSelector: 'app=stuck' })).items;
        return items.length === 2 && items.every((p) => p.status?.phase === 'Running') ? items : undefined;
      },
      { timeoutMs: 60_000, what: '2 Running pods' },
    );
    for (const p of pods) expect(podReady(p)).toBe('False');
    await sleep(3000); // give the deployment controller time to (wrongly) report progress
    const d = await apps.readNamespacedDeployment({ name: 'stuck', namespace });
    expect(condition(d, 'Available')?.status).toBe('False');
    expect(d.status?.readyReplicas ?? 0).toBe(0);

    // And when the annotation is removed from one pod, that pod becomes Ready (re-evaluated live)
    const name = pods[0].metadata!.name!;
    const r = kubectl(['-n', namespace, 'annotate', 'pod', name, `${UNREADY_ANNOTATION}-`]);
    expect(r.stderr).toBe('');
    await waitFor(async () => podReady(await core.readNamespacedPod({ name, namespace })) === 'True', {
      timeoutMs: 30_000,
      what: `pod ${name} Ready after removing the annotation`,
    });
  });

  it('Given RBAC authorization, When an unprivileged service account acts, Then it is forbidden, and a new namespace gets its default service account', async () => {
    namespace = await newNamespace('env-rbac');
    const r = kubectl(['auth', 'can-i', 'list', 'pods', '-n', namespace, `--as=system:serviceaccount:${namespace}:default`]);
    expect(r.stdout.trim()).toBe('no');
    const get = kubectl(['get', 'pods', '-n', namespace, `--as=system:serviceaccount:${namespace}:default`]);
    expect(get.status).not.toBe(0);
    expect(get.stderr).toMatch(/forbidden/i);
    await waitFor(() => core.readNamespacedServiceAccount({ name: 'default', namespace }), { timeoutMs: 30_000, what: 'default service account' });
  });

  it('Given kubectl from env.sh, When asked for versions, Then client and server are the same Kubernetes version', () => {
    const r = kubectl(['version', '-o', 'json']);
    expect(r.status).toBe(0);
    const v = JSON.parse(r.stdout) as { clientVersion: { gitVersion: string }; serverVersion: { gitVersion: string } };
    expect(v.serverVersion.gitVersion).toMatch(/^v1\.\d+\.\d+$/);
    expect(v.clientVersion.gitVersion).toBe(v.serverVersion.gitVersion);
  });
});

describe("Istio's real CRDs", () => {
  it('Given a VirtualService whose route weight is a string, When it is created, Then the CRD schema rejects it', async () => {
    namespace = await newNamespace('env-vs-bad');
    const err = await rejection(
      givenVirtualService(namespace, { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' }, weight: 'eighty' }] }] }),
    );
    expect(err.code).toBe(422);
    expect(err.message).toMatch(/spec\.http\[0\]\.route\[0\]\.weight/);
    expect(err.message).toMatch(/must be of type integer/);
  });

  it('Given a VirtualService route without a destination host, When it is applied with kubectl, Then it is rejected', async () => {
    namespace = await newNamespace('env-vs-nohost');
    const r = kubectl(
      ['apply', '-n', namespace, '-f', '-'],
      JSON.stringify(virtualService({ hosts: ['reviews'], http: [{ route: [{ destination: { subset: 'v1' }, weight: 100 }] }] })),
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/spec\.http\[0\]\.route\[0\]\.destination\.host: Required value/);
  });

  it('Given a valid VirtualService and a DestinationRule with subsets, When they are created, Then both are stored as sent', async () => {
    namespace = await newNamespace('env-vs-good');
    await givenDestinationRule(namespace, { stable: 'v1', canary: 'v2' });
    await givenVirtualService(namespace, {
      hosts: ['reviews'],
      http: [{ route: [{ destination: { host: 'reviews', subset: 'stable' }, weight: 90 }, { destination: { host: 'reviews', subset: 'canary' }, weight: 10 }] }],
    });
    const dr = await getIstio(namespace, 'destinationrules');
    expect(dr?.spec.subsets.map((s: { name: string }) => s.name)).toEqual(['stable', 'canary']);
    const vs = await getIstio(namespace, 'virtualservices');
    expect(vs?.spec.http[0].route.map((r: { weight: number }) => r.weight)).toEqual([90, 10]);
  });
});

describe('Prometheus', () => {
  it('Given a target file for a small metrics server, When Prometheus picks it up, Then `up` is 1 and the metric is queryable', async () => {
    const job = `env-probe-${Math.random().toString(36).slice(2, 8)}`;
    const server = http.createServer((req, res) => {
      if (req.url === '/metrics') {
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
        res.end('# TYPE sluice_env_probe_total counter\nsluice_env_probe_total 42\n');
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const file = path.join(process.env.SLUICE_PROM_TARGETS_DIR!, `${job}.json`);
    try {
      fs.writeFileSync(file, JSON.stringify([{ targets: [`127.0.0.1:${port}`], labels: { job } }]));
      const up = await waitFor(async () => (await promQuery(`up{job="${job}"}`))[0], { timeoutMs: 60_000, intervalMs: 1000, what: `up{job="${job}"}` });
      expect(up.value[1]).toBe('1');
      const m = await waitFor(async () => (await promQuery(`sluice_env_probe_total{job="${job}"}`))[0], { timeoutMs: 30_000, intervalMs: 1000, what: 'probe metric' });
      expect(m.value[1]).toBe('42');
      expect(m.metric.instance).toBe(`127.0.0.1:${port}`);
    } finally {
      fs.rmSync(file, { force: true });
      await new Promise((r) => server.close(r));
    }
  });
});

describe('scripts/cluster.sh lifecycle (a second environment beside the first)', () => {
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-env-second-'));
  });
  const run = (cmd: string) =>
    spawnSync('bash', [CLUSTER_SH, cmd], { encoding: 'utf8', env: { ...process.env, SLUICE_ENV_DIR: dir }, timeout: 240_000 });
  const listening = (port: number) =>
    ['/proc/net/tcp', '/proc/net/tcp6'].some((f) =>
      fs.existsSync(f) && fs.readFileSync(f, 'utf8').split('\n').slice(1).some((l) => {
        const c = l.trim().split(/\s+/);
        return c[3] === '0A' && parseInt(c[1]?.split(':')[1] ?? '', 16) === port;
      }),
    );
  const portsOf = () => {
    const env = readEnvFile(path.join(dir, 'env.sh'));
    const server = fs.readFileSync(env.KUBECONFIG, 'utf8').match(/server: https:\/\/127\.0\.0\.1:(\d+)/)![1];
    return { api: Number(server), prom: Number(new URL(env.SLUICE_PROMETHEUS_URL).port), env };
  };
  const pidsOf = () => ['controlplane', 'prometheus'].map((n) => Number(fs.readFileSync(path.join(dir, 'pids', `${n}.pid`), 'utf8')));
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const aliveAfter5s = (pid: number) => {
    for (let i = 0; i < 50 && alive(pid); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    return alive(pid);
  };
  afterAll(() => {
    if (!dir) return;
    run('down');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(`${dir}.lock`, { force: true });
  });

  it('Given a second SLUICE_ENV_DIR, When it goes up, down and up again, Then it works each time and down leaves no process or port behind', () => {
    for (const round of [1, 2]) {
      const up = run('up');
      expect({ round, status: up.status, stderr: up.status === 0 ? '' : up.stderr }).toEqual({ round, status: 0, stderr: '' });
      expect(up.stdout).toContain(`export KUBECONFIG=${dir}/kubeconfig`);
      expect(run('status').status).toBe(0);
      const { api, prom, env } = portsOf();
      expect(api).not.toBe(Number(new URL(kc.getCurrentCluster()!.server).port)); // not the first env's
      const get = spawnSync('kubectl', ['get', 'crd', 'virtualservices.networking.istio.io', '-o', 'name'], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
      expect(get.stdout.trim()).toBe('customresourcedefinition.apiextensions.k8s.io/virtualservices.networking.istio.io');
      const pids = pidsOf();

      const down = run('down');
      expect(down.status).toBe(0);
      expect(run('status').status).toBe(1);
      // A process that ended is gone once the machine's init has reaped it (until then
      // kill(pid, 0) still finds the zombie): give that 5 s, so only a process left running fails.
      expect(pids.filter(aliveAfter5s)).toEqual([]);
      expect([api, prom].filter(listening)).toEqual([]);
      expect(fs.existsSync(path.join(dir, 'env.sh'))).toBe(false);
    }
  });
});
