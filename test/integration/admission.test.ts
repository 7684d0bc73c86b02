/**
 * Who, for real: the chart's command-author MutatingAdmissionPolicy on the real API server.
 *
 * Two users, alice and bob, authenticate with their own ServiceAccount tokens (TokenRequest API)
 * and hold only the chart's <release>-operator role in the namespace. Whatever name they type into
 * sluice.dev/by, the object, the status history and the Events carry the name the API server
 * authenticated; writes that leave the command alone keep its author, and the daemon's own writes
 * (an id for a command that has none, clearing a command) are not stamped. The chart is rendered as a namespaced install of this one
 * namespace, so its policy binding touches no other test's shifts.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyDocs, deleteClusterScoped, givenTokenUser, helmBinary, K8sDoc, randomSuffix, renderChart } from './chart';
import { canarySpec, DaemonProcess, deleteNamespace, eventsFor, getShift, givenReviews, givenShift, newNamespace, startDaemon, waitForPhase } from './daemonFixtures';
import { kubectl, kubectlOk, REPO_ROOT, waitFor } from './env';

jest.setTimeout(300_000);

const CLI = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const BY = 'sluice.dev/by';
const POLICY_KINDS = ['MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding'];

interface User { kubeconfig: string; username: string }

describe('the command-author admission policy on the real API server', () => {
  const release = `sluice-adm-${randomSuffix()}`;
  let ns = '';
  let tmp = '';
  let installed: K8sDoc[] = [];
  let alice: User;
  let bob: User;
  let daemon: DaemonProcess | undefined;

  /** `kubectl ARGS -n ns` as `user`; throws with stderr on failure. */
  const as = (user: User, args: string[]): string => kubectlOk(['--kubeconfig', user.kubeconfig, '-n', ns, ...args]);
  const annotations = async (): Promise<Record<string, string>> => (await getShift(ns))?.metadata.annotations ?? {};
  const commandAnnotations = async (): Promise<Record<string, string>> =>
    Object.fromEntries(Object.entries(await annotations()).filter(([k]) => k.startsWith('sluice.dev/')));

  beforeAll(async () => {
    const helm = helmBinary();
    ns = await newNamespace('adm');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-adm-'));
    const rendered = renderChart(helm, release, ns, { watchNamespaces: [ns] });
    installed = rendered.filter((d) => POLICY_KINDS.includes(d.kind) || (d.kind === 'ClusterRole' && d.metadata.name === `${release}-operator`));
    expect(installed.map((d) => d.kind).sort()).toEqual(['ClusterRole', ...POLICY_KINDS]);
    applyDocs(installed);

    // Given alice and bob, each with a token of their own and the operator role in the namespace
    alice = givenTokenUser(tmp, ns, 'alice');
    bob = givenTokenUser(tmp, ns, 'bob');
    for (const u of ['alice', 'bob'])
      kubectlOk(['-n', ns, 'create', 'rolebinding', `${u}-operator`, `--clusterrole=${release}-operator`, `--serviceaccount=${ns}:${u}`]);
    // and a shift at rest
    await givenReviews(ns, ['v1']);
    await givenShift(ns, canarySpec('v1'));
    // The API server loads new policies asynchronously: wait until it stamps a dry-run write.
    await waitFor(
      () => {
        const r = kubectl(['--kubeconfig', alice.kubeconfig, '-n', ns, 'annotate', 'trafficshift', 'reviews', 'sluice.dev/command=pause', `${BY}=nobody`, '--dry-run=server', '-o', 'json']);
        return r.status === 0 && JSON.parse(r.stdout).metadata.annotations[BY] === alice.username;
      },
      { timeoutMs: 30_000, what: 'the command-author policy to take effect' },
    );
  }, 35 * 60_000);

  afterAll(async () => {
    await daemon?.kill('SIGKILL');
    deleteClusterScoped(installed);
    await deleteNamespace(ns);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('is accepted by the API server as rendered, bound to the watched namespace only', () => {
    const binding = JSON.parse(kubectlOk(['get', 'mutatingadmissionpolicybinding', `${release}-command-author`, '-o', 'json']));
    expect(binding.spec.matchResources.namespaceSelector.matchExpressions).toEqual([{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [ns] }]);
  });

  it('writes the authenticated name into sluice.dev/by, whatever the caller typed', async () => {
    expect(alice.username).toBe(`system:serviceaccount:${ns}:alice`);
    // When alice writes a command signed as bob
    as(alice, ['annotate', 'trafficshift', 'reviews', 'sluice.dev/command=pause', `${BY}=${bob.username}`]);
    // Then the object says alice
    expect(await commandAnnotations()).toEqual({ 'sluice.dev/command': 'pause', [BY]: alice.username });

    // When bob edits something else while alice's command is pending, it stays alice's
    as(bob, ['label', 'trafficshift', 'reviews', 'team=payments']);
    expect((await annotations())[BY]).toBe(alice.username);

    // When bob replaces the command signed as alice, it is bob's
    as(bob, ['annotate', '--overwrite', 'trafficshift', 'reviews', 'sluice.dev/command=abort', `${BY}=${alice.username}`]);
    expect(await commandAnnotations()).toEqual({ 'sluice.dev/command': 'abort', [BY]: bob.username });

    // When alice takes over bob's pending command by rewriting only the name, the name is hers:
    // no two-step write leaves a typed name on a pending command
    as(alice, ['annotate', '--overwrite', 'trafficshift', 'reviews', `${BY}=${bob.username}-really`]);
    expect((await annotations())[BY]).toBe(alice.username);
    // nor does removing the name
    as(bob, ['annotate', 'trafficshift', 'reviews', `${BY}-`]);
    expect((await annotations())[BY]).toBe(bob.username);

    // When someone gives the pending command an id (as the daemon does with a plain `kubectl
    // annotate`), it is the same command: its author stays
    as(alice, ['annotate', 'trafficshift', 'reviews', 'sluice.dev/command-id=first']);
    expect((await annotations())[BY]).toBe(bob.username);
    // but replacing the id makes it a new command (an applied one would run again): whoever did is its author
    as(alice, ['annotate', '--overwrite', 'trafficshift', 'reviews', 'sluice.dev/command-id=second']);
    expect((await annotations())[BY]).toBe(alice.username);
    // and so does removing it
    as(bob, ['annotate', 'trafficshift', 'reviews', 'sluice.dev/command-id-']);
    expect((await annotations())[BY]).toBe(bob.username);

    // When the command is cleared (as the daemon does: every command annotation removed at once),
    // nothing is stamped back
    kubectlOk(['-n', ns, 'patch', 'trafficshift', 'reviews', '--type=merge', '-p', JSON.stringify({
      metadata: { annotations: { 'sluice.dev/command': null, 'sluice.dev/set-weight': null, 'sluice.dev/shift-to': null, [BY]: null, 'sluice.dev/command-id': null } },
    })]);
    expect(await commandAnnotations()).toEqual({});
    // and a name without a command is left as typed (it says nothing until a command comes)
    as(alice, ['annotate', 'trafficshift', 'reviews', `${BY}=${bob.username}`]);
    expect(await commandAnnotations()).toEqual({ [BY]: bob.username });
    as(alice, ['annotate', 'trafficshift', 'reviews', `${BY}-`]);
  });

  it('stamps a shift created with a command in it with its creator', () => {
    const me = kubectlOk(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    const shift = {
      apiVersion: 'sluice.dev/v1alpha1', kind: 'TrafficShift',
      metadata: { name: 'created', annotations: { 'sluice.dev/set-weight': '10', [BY]: alice.username } },
      spec: canarySpec('v1'),
    };
    const created = JSON.parse(kubectlOk(['-n', ns, 'create', '--dry-run=server', '-o', 'json', '-f', '-'], JSON.stringify(shift)));
    expect(created.metadata.annotations[BY]).toBe(me);
  });

  describe('with the daemon', () => {
    beforeAll(async () => {
      // As the chart runs it next to its policy (SLUICE_BY_VERIFIED=true): names recorded as they are
      process.env.SLUICE_BY_VERIFIED = 'true';
      try {
        daemon = await startDaemon(ns, `adm-${randomSuffix()}`);
      } finally {
        delete process.env.SLUICE_BY_VERIFIED;
      }
      await waitForPhase(ns, 'Idle', 60_000);
    });

    /** `sluice ARGS -n ns --wait` with `user`'s kubeconfig, as USER=`typed`. */
    const sluice = (user: User, typed: string, args: string[]): Promise<{ code: number | null; out: string }> =>
      new Promise((resolve) => {
        const env: NodeJS.ProcessEnv = { ...process.env, USER: typed };
        delete env.KUBECONFIG;
        const child = spawn(process.execPath, [CLI, ...args, '-n', ns, '--kubeconfig', user.kubeconfig, '--wait', '--timeout', '60s'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.on('close', (code) => resolve({ code, out }));
      });

    const historyBy = async (event: string): Promise<{ message: string; by?: string }[]> =>
      (((await getShift(ns))?.status?.history ?? []) as { event: string; message: string; by?: string }[]).filter((h) => h.event === event);

    it('records the authenticated user in history and Events: alice\'s command is alice\'s, bob cannot sign as alice', async () => {
      // When alice pauses through the CLI as --by bob (nothing to pause: the daemon rejects it, and records who asked)
      const a = await sluice(alice, 'oncall', ['pause', 'reviews', '--by', bob.username]);
      expect(a.out).toContain(`pause by ${alice.username} rejected`);
      // When bob aborts with kubectl, signing as alice
      as(bob, ['annotate', 'trafficshift', 'reviews', 'sluice.dev/command=abort', `${BY}=${alice.username}`]);

      // Then history names alice for the pause and bob for the abort
      const rejected = await waitFor(async () => {
        const h = await historyBy('CommandRejected');
        return h.length === 2 ? h : undefined;
      }, { timeoutMs: 30_000, what: 'two rejected commands in history' });
      expect(rejected.map((h) => [h.message.split(' rejected')[0], h.by])).toEqual([
        [`pause by ${alice.username}`, alice.username],
        [`abort by ${bob.username}`, bob.username],
      ]);
      // and so do the Events
      const events = await waitFor(async () => {
        const e = (await eventsFor(ns)).filter((x) => x.reason === 'CommandRejected');
        return e.length === 2 ? e : undefined;
      }, { timeoutMs: 30_000, what: 'two CommandRejected Events' });
      expect(events.map((e) => e.message.split(' rejected')[0]).sort()).toEqual([`abort by ${bob.username}`, `pause by ${alice.username}`]);
      // and the daemon's clearing of each command was left alone: no annotation remains
      await waitFor(async () => Object.keys(await commandAnnotations()).length === 0, { timeoutMs: 30_000, what: 'the commands to be cleared' });
    });
  });

  describe('without the policy', () => {
    let bare = '';
    let unguarded: DaemonProcess | undefined;
    afterAll(async () => {
      await unguarded?.kill('SIGKILL');
      await deleteNamespace(bare);
    });

    it('records the typed name marked unverified', async () => {
      // Given a namespace the policy's binding does not cover, and a daemon told of no policy
      bare = await newNamespace('adm-bare');
      await givenReviews(bare, ['v1']);
      await givenShift(bare, canarySpec('v1'));
      unguarded = await startDaemon(bare, `adm-bare-${randomSuffix()}`);
      await waitForPhase(bare, 'Idle', 60_000);
      // When a command arrives signed "alice"
      kubectlOk(['-n', bare, 'annotate', 'trafficshift', 'reviews', 'sluice.dev/command=pause', `${BY}=alice`]);
      // Then history and the Event say so, unverified
      const rejected = await waitFor(async () => {
        const h = ((await getShift(bare))?.status?.history ?? []) as { event: string; message: string; by?: string }[];
        return h.find((e) => e.event === 'CommandRejected');
      }, { timeoutMs: 30_000, what: 'the rejected command in history' });
      expect([rejected.message.split(' rejected')[0], rejected.by]).toEqual(['pause by alice (unverified)', 'alice (unverified)']);
      const event = await waitFor(async () => (await eventsFor(bare)).find((e) => e.reason === 'CommandRejected'), { timeoutMs: 30_000, what: 'a CommandRejected Event' });
      expect(event.message).toMatch(/^pause by alice \(unverified\) rejected/);
    });
  });
});
