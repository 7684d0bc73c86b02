/**
 * The chart's RBAC on the real RBAC authorizer: rendered by a real helm (scripts/lib/helm.sh),
 * applied into a fresh release namespace, then checked three ways:
 *   1. `kubectl auth can-i --as=system:serviceaccount:<ns>:<sa>` allows every call `sluice run`
 *      makes and denies the dangerous ones it never makes;
 *   2. the authorizer's full list of rules for that ServiceAccount (SelfSubjectRulesReview) is
 *      exactly what the daemon needs plus a named list of grants it does not use, so any new
 *      grant in the chart fails here;
 *   3. `sluice run` with a token of that ServiceAccount (TokenRequest API, `kubectl create
 *      token`) and nothing else adopts a shift: status Idle, VirtualService and DestinationRule
 *      written, lease held, no Forbidden in its log.
 * Cluster-scoped objects get a per-run release name, so runs against a shared env don't collide.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { canarySpec, collectJsonLines, deleteNamespace, eventsFor, getIstio, givenReviews, givenShift, waitForPhase, weightsOf } from './daemonFixtures';
import { kubectl, kubectlOk, REPO_ROOT, waitFor } from './env';

jest.setTimeout(300_000);

const HELM_SH = path.join(REPO_ROOT, 'scripts', 'lib', 'helm.sh');
const CHART = path.join(REPO_ROOT, 'charts', 'sluice');
const CLI = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const RBAC_KINDS = ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'];

interface K8sDoc { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: any }

/** helm from the cache, built on first use (progress on stderr; a cold build takes minutes). */
const helmBinary = (): string => {
  const r = spawnSync('bash', [HELM_SH], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 });
  if (r.status !== 0) throw new Error(`scripts/lib/helm.sh failed (${r.status ?? r.signal})`);
  return r.stdout.trim();
};

const randomSuffix = () => Math.random().toString(36).slice(2, 8);

/** One rule of the rules review, flattened: `verb group/resource`, `[name]` when limited to one name. */
type Grant = string;
const grant = (verb: string, resource: string, name?: string): Grant => `${verb} ${resource}${name ? ` [${name}]` : ''}`;
const grants = (verbs: readonly string[], resources: readonly string[], name?: string): Grant[] =>
  resources.flatMap((r) => verbs.map((v) => grant(v, r, name)));

const SHIFTS = 'sluice.dev/trafficshifts';
const ISTIO = ['networking.istio.io/virtualservices', 'networking.istio.io/destinationrules'];

/** What `sluice run` calls in any namespace it watches (src/kube/client.ts, informers.ts, events.ts). */
const NEEDED_IN_EVERY_NAMESPACE: Grant[] = [
  // informer list/watch; a direct get after a 409 on status; merge patches (finalizer, command annotations)
  ...grants(['get', 'list', 'watch', 'update', 'patch'], [SHIFTS]),
  ...grants(['update', 'patch'], [`${SHIFTS}/status`]),
  ...grants(['update'], [`${SHIFTS}/finalizers`]),
  ...grants(['get', 'list', 'watch', 'create', 'update', 'patch'], ISTIO),
  ...grants(['list', 'watch'], ['core/pods', 'core/services']),
  ...grants(['create', 'patch'], ['core/events']),
];
/** Leader election (src/daemon/leader.ts): create the Lease once, then get and update that one Lease. */
const neededInReleaseNamespace = (leaseName: string): Grant[] => [
  grant('create', 'coordination.k8s.io/leases'),
  ...grants(['get', 'update'], ['coordination.k8s.io/leases'], leaseName),
];
/**
 * Granted by the chart but used by no code path. Empty: the chart dropped `delete` on Istio objects
 * and `get` on trafficshifts/status once this test showed them unused. A grant added to the chart
 * without a use fails the exact-rules test below.
 */
const GRANTED_BUT_UNUSED: Grant[] = [];
/** Every authenticated user may ask what it may do (system:basic-user), not the chart's doing. */
const SELF_REVIEWS: Grant[] = grants(['create'], [
  'authorization.k8s.io/selfsubjectaccessreviews', 'authorization.k8s.io/selfsubjectrulesreviews', 'authentication.k8s.io/selfsubjectreviews',
]);

describe('the chart\'s RBAC on the real RBAC authorizer', () => {
  const release = `sluice-rbac-${randomSuffix()}`;
  let releaseNs = '';
  let workloadNs = '';
  let rendered: K8sDoc[] = [];
  let serviceAccount = '';
  let as = '';

  beforeAll(async () => {
    const helm = helmBinary();
    releaseNs = `rbac-${randomSuffix()}`;
    workloadNs = `rbac-w-${randomSuffix()}`;
    kubectlOk(['create', 'namespace', releaseNs]);
    kubectlOk(['create', 'namespace', workloadNs]);
    // Rendered for the server under test, as `helm install` would see it.
    const server = JSON.parse(kubectlOk(['version', '-o', 'json'])).serverVersion.gitVersion as string;
    const out = spawnSync(helm, ['template', release, CHART, '--namespace', releaseNs, '--kube-version', server], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`helm template failed: ${out.stderr}`);
    rendered = parseAllDocuments(out.stdout).map((d) => d.toJSON() as K8sDoc).filter((d) => d !== null);
    const rbac = rendered.filter((d) => RBAC_KINDS.includes(d.kind));
    kubectlOk(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: rbac }));
    serviceAccount = rendered.find((d) => d.kind === 'ServiceAccount')!.metadata.name;
    as = `system:serviceaccount:${releaseNs}:${serviceAccount}`;
  }, 35 * 60_000);

  afterAll(async () => {
    for (const d of rendered.filter((x) => x.kind === 'ClusterRole' || x.kind === 'ClusterRoleBinding'))
      kubectl(['delete', d.kind, d.metadata.name, '--ignore-not-found', '--wait=false']);
    await deleteNamespace(workloadNs);
    if (releaseNs) kubectl(['delete', 'namespace', releaseNs, '--wait=false']);
  });

  const deployment = () => rendered.find((d) => d.kind === 'Deployment')!;
  const leaseName = () => {
    const arg = (deployment().spec.template.spec.containers[0].args as string[]).find((a) => a.startsWith('--lease-name='));
    return arg!.slice('--lease-name='.length);
  };

  it('renders a ServiceAccount, a ClusterRole and binding, a leases Role and binding, all for the Deployment\'s ServiceAccount', () => {
    expect(rendered.map((d) => d.kind).sort()).toEqual([...RBAC_KINDS, 'Deployment'].sort());
    expect(deployment().spec.template.spec.serviceAccountName).toBe(serviceAccount);
    for (const b of rendered.filter((d) => d.kind.endsWith('Binding')))
      expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: serviceAccount, namespace: releaseNs }]);
  });

  /** `kubectl auth can-i VERB RESOURCE... --as SA`: true for yes, false for no, throws otherwise. */
  const canI = (args: readonly string[]): boolean => {
    const r = kubectl(['auth', 'can-i', ...args, `--as=${as}`]);
    if (r.status !== 0 && r.status !== 1) throw new Error(`kubectl auth can-i ${args.join(' ')}: ${r.stderr}`);
    return r.status === 0;
  };

  it('allows every call sluice run makes (kubectl auth can-i as the ServiceAccount)', () => {
    const w = ['-n', workloadNs];
    const r = ['-n', releaseNs];
    const needed: string[][] = [
      ['list', 'trafficshifts.sluice.dev', '-A'], ['watch', 'trafficshifts.sluice.dev', '-A'],
      ['get', 'trafficshifts.sluice.dev', ...w], ['update', 'trafficshifts.sluice.dev', ...w], ['patch', 'trafficshifts.sluice.dev', ...w],
      ['update', 'trafficshifts.sluice.dev', '--subresource=status', ...w], ['patch', 'trafficshifts.sluice.dev', '--subresource=status', ...w],
      ['update', 'trafficshifts.sluice.dev', '--subresource=finalizers', ...w],
      ...['virtualservices.networking.istio.io', 'destinationrules.networking.istio.io'].flatMap((res) => [
        ['list', res, '-A'], ['watch', res, '-A'], ...['get', 'create', 'update', 'patch'].map((v) => [v, res, ...w]),
      ]),
      ['list', 'pods', '-A'], ['watch', 'pods', '-A'], ['list', 'services', '-A'], ['watch', 'services', '-A'],
      ['create', 'events', ...w], ['patch', 'events', ...w],
      ['create', 'leases.coordination.k8s.io', ...r],
      ['get', `leases.coordination.k8s.io/${leaseName()}`, ...r], ['update', `leases.coordination.k8s.io/${leaseName()}`, ...r],
    ];
    expect(needed.filter((a) => !canI(a)).map((a) => a.join(' '))).toEqual([]);
  });

  it('denies what sluice run must not do (kubectl auth can-i as the ServiceAccount)', () => {
    const w = ['-n', workloadNs];
    const r = ['-n', releaseNs];
    const forbidden: string[][] = [
      ['delete', 'pods', ...w], ['create', 'pods', ...w], ['update', 'deployments.apps', ...w], ['patch', 'deployments.apps', ...w],
      ['get', 'secrets', ...w], ['list', 'secrets', '-A'], ['get', 'secrets', ...r],
      ['create', 'clusterroles.rbac.authorization.k8s.io'], ['bind', 'clusterroles.rbac.authorization.k8s.io'], ['create', 'rolebindings.rbac.authorization.k8s.io', ...r],
      ['create', 'trafficshifts.sluice.dev', ...w], ['delete', 'trafficshifts.sluice.dev', ...w],
      ['create', 'serviceaccounts/token', ...r],
      // Leases only in the release namespace, and only its own
      ['create', 'leases.coordination.k8s.io', ...w], ['get', 'leases.coordination.k8s.io/kube-controller-manager', '-n', 'kube-system'],
      ['update', 'leases.coordination.k8s.io/someone-else', ...r], ['delete', `leases.coordination.k8s.io/${leaseName()}`, ...r], ['list', 'leases.coordination.k8s.io', ...r],
    ];
    expect(forbidden.filter((a) => canI(a)).map((a) => a.join(' '))).toEqual([]);
  });

  /** Everything the authorizer lets the ServiceAccount do in `namespace` (and cluster-wide). */
  const rulesIn = (namespace: string): Grant[] => {
    const review = { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } };
    // --validate=false: client-side validation would list CRDs, which the ServiceAccount may not.
    const out = JSON.parse(kubectlOk(['create', '--validate=false', `--as=${as}`, '-f', '-', '-o', 'json'], JSON.stringify(review)));
    expect(out.status.incomplete).toBe(false);
    const rules = out.status.resourceRules as { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }[];
    return rules
      .flatMap((rule) =>
        (rule.apiGroups ?? []).flatMap((g) =>
          (rule.resources ?? []).flatMap((res) =>
            rule.verbs.flatMap((v) => (rule.resourceNames?.length ? rule.resourceNames.map((n) => grant(v, `${g || 'core'}/${res}`, n)) : [grant(v, `${g || 'core'}/${res}`)])),
          ),
        ),
      )
      .filter((g) => !SELF_REVIEWS.includes(g))
      .sort();
  };

  it('grants nothing beyond that: the authorizer\'s rules for the ServiceAccount are the needed ones plus a known unused few', () => {
    expect(rulesIn(workloadNs)).toEqual([...NEEDED_IN_EVERY_NAMESPACE, ...GRANTED_BUT_UNUSED].sort());
    expect(rulesIn(releaseNs)).toEqual([...NEEDED_IN_EVERY_NAMESPACE, ...GRANTED_BUT_UNUSED, ...neededInReleaseNamespace(leaseName())].sort());
  });

  describe('end to end', () => {
    let daemon: ChildProcess | undefined;
    let tmp = '';
    afterAll(async () => {
      if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
        const exited = new Promise((r) => daemon!.once('exit', r));
        daemon.kill('SIGKILL');
        await exited;
      }
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    /** A kubeconfig for the local API server that authenticates with `token` only. */
    const tokenKubeconfig = (token: string): string => {
      const admin = JSON.parse(kubectlOk(['config', 'view', '--raw', '--minify', '-o', 'json']));
      const cluster = admin.clusters[0].cluster as Record<string, string>;
      const ca = cluster['certificate-authority-data'] ?? fs.readFileSync(cluster['certificate-authority']!).toString('base64');
      const config = {
        apiVersion: 'v1', kind: 'Config', 'current-context': 'sluice',
        clusters: [{ name: 'local', cluster: { server: cluster.server, 'certificate-authority-data': ca } }],
        users: [{ name: serviceAccount, user: { token } }],
        contexts: [{ name: 'sluice', context: { cluster: 'local', user: serviceAccount } }],
      };
      const file = path.join(tmp, 'kubeconfig');
      fs.writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
      return file;
    };

    /** The rendered container args, with what the kubelet and the cluster would fill in. */
    const daemonArgs = (kubeconfig: string, identity: string): string[] => {
      const args = (deployment().spec.template.spec.containers[0].args as string[]).map((a) =>
        a === '--lease-namespace=$(POD_NAMESPACE)' ? `--lease-namespace=${releaseNs}`
          : a.startsWith('--metrics-addr=') ? '--metrics-addr=127.0.0.1:0'
            : a.startsWith('--prometheus-url=') ? `--prometheus-url=${process.env.SLUICE_PROMETHEUS_URL}`
              : a);
      // Watch only this test's namespace (the chart watches all; other tests' shifts are not ours),
      // with short lease timings so the test does not wait out a 15 s lease.
      return [...args, `--kubeconfig=${kubeconfig}`, `--namespace=${workloadNs}`, `--identity=${identity}`, '--lease-duration=6s', '--renew-deadline=4s', '--retry-period=1s'];
    };

    it('is enough for sluice run with a TokenRequest token of the ServiceAccount: it adopts a shift', async () => {
      if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-rbac-'));

      // Given a Service with v1 pods and a shift naming v1, created by an admin
      await givenReviews(workloadNs, ['v1']);
      await givenShift(workloadNs, canarySpec('v1'));
      // and a kubeconfig holding only a token the API server issued for the ServiceAccount
      const token = kubectlOk(['create', 'token', serviceAccount, '-n', releaseNs, '--duration=1h']).trim();
      const kubeconfig = tokenKubeconfig(token);
      expect(kubectlOk(['auth', 'whoami', '--kubeconfig', kubeconfig, '-o', 'jsonpath={.status.userInfo.username}'])).toBe(as);

      // When sluice run starts with the Deployment's arguments and that kubeconfig
      const identity = `rbac-${randomSuffix()}`;
      const env = { ...process.env };
      delete env.KUBECONFIG;
      delete env.SLUICE_KUBECONFIG;
      const lines: Record<string, any>[] = [];
      let stderr = '';
      daemon = spawn(process.execPath, [CLI, ...daemonArgs(kubeconfig, identity)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      collectJsonLines(daemon.stdout!, lines);
      daemon.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));

      // Then it takes the lease in the release namespace and adopts v1 as stable
      const status = await waitForPhase(workloadNs, (s) => s.phase === 'Idle' && s.stableVersion === 'v1', 90_000).catch((e: Error) => {
        throw new Error(`${e.message}\ndaemon exit ${daemon?.exitCode}; stderr: ${stderr}\nlog:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`);
      });
      expect(status.weights).toEqual({ stable: 100, candidate: 0 });
      const vs = await getIstio(workloadNs, 'virtualservices');
      const dr = await getIstio(workloadNs, 'destinationrules');
      expect(weightsOf(vs)).toEqual({ v1: 100 });
      expect(dr?.spec.subsets.map((s: { name: string }) => s.name)).toContain('v1');
      const lease = JSON.parse(kubectlOk(['-n', releaseNs, 'get', 'lease', leaseName(), '-o', 'json']));
      expect(lease.spec.holderIdentity).toBe(identity);
      // its Events were written as the ServiceAccount
      const events = await waitFor(async () => ((await eventsFor(workloadNs)).length > 0 ? eventsFor(workloadNs) : undefined), { timeoutMs: 30_000, what: 'an Event for the shift' });
      expect(events.every((e) => e.reportingComponent === 'sluice.dev/controller')).toBe(true);
      // and nothing it tried was refused
      expect(lines.filter((l) => /forbidden|cannot (get|list|watch|create|update|patch)/i.test(JSON.stringify(l)))).toEqual([]);
      expect(stderr).not.toMatch(/forbidden/i);
    });
  });
});
