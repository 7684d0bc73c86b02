/**
 * Every SRE command through the CLI (`node dist/src/cli/main.js`, also as the kubectl plugin)
 * against a running daemon (`… run --leader-elect=false --metrics-addr 127.0.0.1:0`) on the local
 * control plane. Build first: `npm run build`.
 *
 * Given a canary shift from v1 to v2 held at its first step (long step interval, no traffic),
 * when an operator pauses, sets a weight, resumes, aborts, retries, promotes and shifts it — and
 * repeats commands that no longer make sense —
 * then each valid command is applied (exit 0, its history entry printed), each invalid one is
 * rejected by the daemon with its reason (exit 1), usage errors are one line (exit 2), and a
 * command nobody answers times out (exit 1).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT, kubectl, kubectlOk, waitFor } from './env';

// The project's testTimeout is not applied per project by jest; hooks and tests here take minutes.
jest.setTimeout(300_000);

const MAIN = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const CRD = path.join(REPO_ROOT, 'charts', 'sluice', 'crds', 'trafficshift.yaml');
const NS = `cli-${Math.random().toString(36).slice(2, 8)}`;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `file args` to completion without blocking the event loop (the daemon's pipes keep flowing). */
const exec = (file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Ran> =>
  new Promise((resolve) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

/** `sluice ARGS -n NS --kubeconfig $KUBECONFIG` as USER=oncall. */
const sluice = (...args: string[]): Promise<Ran> =>
  exec(process.execPath, [MAIN, ...args, '-n', NS, '--kubeconfig', process.env.KUBECONFIG ?? ''], { ...process.env, USER: 'oncall' });

const shiftJson = (): { metadata: { annotations?: Record<string, string> }; spec: { version: string }; status?: Record<string, unknown> } =>
  JSON.parse(kubectlOk(['get', 'trafficshift', 'reviews', '-n', NS, '-o', 'json']));

const statusOf = () => (shiftJson().status ?? {}) as { phase?: string; stableVersion?: string; candidateVersion?: string; weights?: { stable: number; candidate: number }; history?: { event: string; message: string }[] };

const phaseIs = (phase: string, candidate?: string) =>
  waitFor(() => {
    const s = statusOf();
    return s.phase === phase && (candidate === undefined || s.candidateVersion === candidate) ? s : undefined;
  }, { timeoutMs: 30_000, what: `phase ${phase}` });

// ---- Given ---------------------------------------------------------------------------------------

const givenReviews = async (): Promise<void> => {
  kubectlOk(['create', 'namespace', NS]);
  const deployment = (version: string) => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `reviews-${version}`, namespace: NS, labels: { app: 'reviews', version } },
    spec: {
      replicas: 1, selector: { matchLabels: { app: 'reviews', version } },
      template: { metadata: { labels: { app: 'reviews', version } }, spec: { containers: [{ name: 'reviews', image: 'example.invalid/reviews:1' }] } },
    },
  });
  const items = [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'reviews', namespace: NS }, spec: { selector: { app: 'reviews' }, ports: [{ name: 'http', port: 9080 }] } },
    deployment('v1'),
    deployment('v2'),
    {
      apiVersion: 'sluice.dev/v1alpha1', kind: 'TrafficShift', metadata: { name: 'reviews', namespace: NS },
      spec: { service: 'reviews', version: 'v1', progressDeadline: '1h', strategy: { canary: { steps: [20, 50], stepInterval: '1h' } } },
    },
  ];
  kubectlOk(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  await waitFor(() => {
    const pods = JSON.parse(kubectlOk(['get', 'pods', '-n', NS, '-l', 'app=reviews', '-o', 'json'])) as { items: { status?: { conditions?: { type: string; status: string }[] } }[] };
    return pods.items.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === 2;
  }, { timeoutMs: 90_000, what: 'reviews-v1 and reviews-v2 Ready' });
};

const givenDaemon = (): { proc: ChildProcess; output: () => string } => {
  const args = [MAIN, 'run', '--kubeconfig', process.env.KUBECONFIG ?? '', '--leader-elect=false', '--metrics-addr', '127.0.0.1:0', '--namespace', NS];
  if (process.env.SLUICE_PROMETHEUS_URL) args.push('--prometheus-url', process.env.SLUICE_PROMETHEUS_URL);
  const proc = spawn(process.execPath, args, { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8000)));
  proc.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8000)));
  return { proc, output: () => out };
};

/** Expect `ran` to have exited with `code`; show both streams (and the daemon's) when not. */
const expectExit = (ran: Ran, code: number): void => {
  if (ran.code !== code) throw new Error(`exit ${ran.code}, expected ${code}\nstdout: ${ran.stdout}\nstderr: ${ran.stderr}\n--- daemon ---\n${daemon?.output()}`);
};

let daemon: ReturnType<typeof givenDaemon> | undefined;

// ---- the scenario --------------------------------------------------------------------------------

describe('SRE commands through the CLI against a running daemon', () => {
  beforeAll(async () => {
    if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" before the integration tests`);
    kubectlOk(['apply', '-f', CRD]);
    await givenReviews();
    daemon = givenDaemon();
    await waitFor(() => statusOf().stableVersion === 'v1', { timeoutMs: 60_000, what: `the daemon to adopt v1\n${daemon?.output()}` });
    kubectlOk(['patch', 'trafficshift', 'reviews', '-n', NS, '--type=merge', '-p', '{"spec":{"version":"v2"}}']);
    await phaseIs('Progressing', 'v2');
  });

  afterAll(async () => {
    kubectl(['delete', 'trafficshift', 'reviews', '-n', NS, '--wait=false']);
    // The daemon releases its finalizer; if it has not within 30 s, the finalizer goes by hand, so
    // the namespace does not stay Terminating for the tests after this one.
    kubectl(['wait', '--for=delete', 'trafficshift/reviews', '-n', NS, '--timeout=30s']);
    kubectl(['patch', 'trafficshift', 'reviews', '-n', NS, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    daemon?.proc.kill('SIGTERM');
    kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  it('lists the shift and shows its status', async () => {
    const get = await sluice('get');
    expectExit(get, 0);
    expect(get.stdout).toMatch(/^NAMESPACE +NAME +SERVICE +STABLE +CANDIDATE +WEIGHT +PHASE +AGE\n/);
    expect(get.stdout).toMatch(new RegExp(`\\n${NS} +reviews +reviews +v1 +v2 +80/20 +Progressing +\\S+\\n$`));
    const status = await sluice('status', 'reviews');
    expectExit(status, 0);
    expect(status.stdout).toContain('Phase:       Progressing, step 1 of 2 (20%)');
    expect(status.stdout).toContain('Weights:     v1 80% [████████████████░░░░] 20% v2');
  });

  it('pauses, and rejects a second pause with the daemon\'s reason', async () => {
    const pause = await sluice('pause', 'reviews', '--wait');
    expectExit(pause, 0);
    expect(pause.stdout).toMatch(new RegExp(`^${NS}/reviews: asked to pause the shift \\(command [0-9a-f]{12}, by oncall\\)\\n${NS}/reviews: applied: pause by oncall \\(unverified\\): `));
    expect(statusOf().phase).toBe('Paused');
    const again = await sluice('pause', 'reviews', '--wait');
    expectExit(again, 1);
    expect(again.stderr).toBe(`sluice pause: ${NS}/reviews: rejected: pause by oncall (unverified) rejected: already paused\n`);
  });

  it('sets a weight and holds it, then resumes; a second resume is rejected', async () => {
    expectExit(await sluice('set-weight', 'reviews', '40', '--wait'), 0);
    expect(statusOf()).toMatchObject({ phase: 'Paused', weights: { stable: 60, candidate: 40 } });
    const resume = await sluice('resume', 'reviews', '--wait', '--by', 'alice');
    expectExit(resume, 0);
    expect(resume.stdout).toContain('applied: resume by alice (unverified): Progressing again at v2 20 %');
    expectExit(await sluice('resume', 'reviews', '--wait'), 1);
  });

  it('aborts to the stable version, then retries the rolled-back candidate', async () => {
    expectExit(await sluice('abort', 'reviews', '--wait'), 0);
    expect(statusOf()).toMatchObject({ phase: 'RolledBack', weights: { stable: 100, candidate: 0 } });
    expectExit(await sluice('retry', 'reviews', '--wait'), 0);
    expect(statusOf()).toMatchObject({ phase: 'Progressing', candidateVersion: 'v2' });
  });

  it('promotes, and rejects a promote with nothing to promote', async () => {
    expectExit(await sluice('promote', `${NS}/reviews`, '--wait'), 0);
    await phaseIs('Promoted');
    expect(statusOf().stableVersion).toBe('v2');
    const again = await sluice('promote', 'reviews', '--wait');
    expectExit(again, 1);
    expect(again.stderr).toContain('rejected: promote by oncall (unverified) rejected: nothing to promote: no shift in progress');
  });

  it('shifts to an existing version and rejects one without pods', async () => {
    const missing = await sluice('shift', 'reviews', '--to', 'v9', '--wait');
    expectExit(missing, 1);
    expect(missing.stderr).toContain('rejected: shift-to by oncall (unverified) rejected: no pods with version=v9 behind reviews');
    expectExit(await sluice('shift', 'reviews', '--to', 'v1', '--wait'), 0);
    expect(shiftJson().spec.version).toBe('v1');
  });

  it('has the daemon reject an invalid annotation written with kubectl, and clear it', async () => {
    kubectlOk(['annotate', 'trafficshift', 'reviews', '-n', NS, 'sluice.dev/set-weight=140']);
    const rejected = await waitFor(() => statusOf().history?.find((h) => h.event === 'CommandRejected' && h.message.includes('140')), { timeoutMs: 30_000, what: 'the rejection' });
    expect(rejected.message).toContain('sluice.dev/set-weight: "140" is not an integer from 0 to 100');
    await waitFor(() => shiftJson().metadata.annotations?.['sluice.dev/set-weight'] === undefined, { timeoutMs: 30_000, what: 'the annotation to be cleared' });
  });

  it.each([
    [['set-weight', 'reviews', '140'], 'sluice set-weight: WEIGHT "140" is not an integer from 0 to 100'],
    [['shift', 'reviews'], 'sluice shift: missing --to VERSION'],
    [['promote'], 'sluice promote: missing NAME'],
    [['pause', 'reviews', '--now'], 'sluice pause: unknown flag --now'],
  ])('refuses %j with one usage line and exit 2', async (args, start) => {
    const ran = await sluice(...args);
    expectExit(ran, 2);
    expect(ran.stderr.startsWith(start)).toBe(true);
    expect(ran.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('fails with one line for a shift that does not exist', async () => {
    const ran = await sluice('abort', 'nope');
    expectExit(ran, 1);
    expect(ran.stderr).toMatch(new RegExp(`^sluice abort: patch TrafficShift ${NS}/nope: not found \\(404\\)`));
  });

  it('works as the kubectl plugin', async () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-plugin-'));
    fs.symlinkSync(MAIN, path.join(bin, 'kubectl-sluice'));
    fs.chmodSync(MAIN, 0o755);
    const PATH = [bin, path.dirname(process.execPath), process.env.PATH].join(path.delimiter);
    const ran = await exec('kubectl', ['sluice', 'get', '-n', NS, '--kubeconfig', process.env.KUBECONFIG ?? ''], { ...process.env, PATH });
    expectExit(ran, 0);
    expect(ran.stdout).toContain(`${NS}   reviews`);
    fs.rmSync(bin, { recursive: true, force: true });
  });

  it('times out with exit 1 when no daemon answers', async () => {
    daemon?.proc.kill('SIGTERM');
    await new Promise((r) => daemon?.proc.once('exit', r));
    const ran = await sluice('pause', 'reviews', '--wait', '--timeout', '3s');
    expectExit(ran, 1);
    expect(ran.stderr).toMatch(/no answer from the daemon within 3s; command [0-9a-f]{12} is still pending/);
    daemon = givenDaemon(); // so afterAll's delete can release the finalizer
  });
});
