/**
 * The chart's RBAC on the real RBAC authorizer: rendered by a real helm (scripts/lib/helm.sh),
 * applied into a fresh release namespace, in both install modes — cluster-wide (default) and
 * namespaced (`watchNamespaces`: Roles only) — then checked three ways:
 *   1. SubjectAccessReviews for system:serviceaccount:<ns>:<sa> (what `kubectl auth can-i --as`
 *      asks, all in one request) allow every call `sluice run` makes and deny the dangerous ones
 *      it never makes (and, namespaced, everything outside the watched namespaces);
 *   2. the authorizer's full list of rules for that ServiceAccount (SelfSubjectRulesReview) is
 *      exactly what the daemon needs plus a named list of grants it does not use, so any new
 *      grant in the chart fails here;
 *   3. `sluice run` with a token of that ServiceAccount (TokenRequest API, `kubectl create
 *      token`) and nothing else adopts a shift: status Idle, VirtualService and DestinationRule
 *      written, lease held, no Forbidden in its log.
 * Then the roles for people (<release>-view, <release>-operator) through the built-in view, edit
 * and admin roles they are aggregated into, and the /metrics NetworkPolicy as the API server
 * validates it. Cluster-scoped objects get a per-run release name, so runs against a shared env
 * don't collide.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { parseRunConfig } from '../../src/daemon/config';
import { applyDocs, deleteClusterScoped, helmBinary, K8sDoc, randomSuffix, renderChart, tokenKubeconfig } from './chart';
import { canarySpec, collectJsonLines, deleteNamespace, eventsFor, getIstio, givenReviews, givenShift, newNamespace, waitForPhase, weightsOf } from './daemonFixtures';
import { kubectl, kubectlOk, REPO_ROOT, waitFor } from './env';

jest.setTimeout(300_000);

const CLI = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const RBAC_KINDS = ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'];
/** Rendered besides RBAC by the default values (not applied by this test: see admission.test.ts). */
const OTHER_KINDS = ['Deployment', 'NetworkPolicy', 'MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding', 'ConfigMap'];

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
/** With gatewayAPI.enabled (--gateway-api, src/daemon/gatewayRoutes.ts): the HTTPRoute and the per-version Services. */
const NEEDED_FOR_GATEWAY_API: Grant[] = [
  ...grants(['list', 'watch', 'create', 'update'], ['gateway.networking.k8s.io/httproutes']),
  // get: the backend Services read from the API server before a route write (src/daemon/targets.ts)
  ...grants(['get', 'create', 'patch', 'delete'], ['core/services']),
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

/**
 * Which of `checks` the real authorizer allows `user` (in `groups`): each check is written as for
 * `kubectl auth can-i` (`VERB RESOURCE[.GROUP][/NAME] [-n NS | -A] [--subresource=S]`) and all of
 * them go to the API server as one List of SubjectAccessReviews (one kubectl call, not one each).
 */
const allowed = (user: string, groups: readonly string[], checks: readonly (readonly string[])[]): boolean[] => {
  const items = checks.map(([verb, what, ...flags]) => {
    const [typed, name] = what!.split('/') as [string, string | undefined];
    const dot = typed.indexOf('.');
    const ns = flags.includes('-n') ? flags[flags.indexOf('-n') + 1] : undefined;
    const subresource = flags.find((f) => f.startsWith('--subresource='))?.slice('--subresource='.length);
    return {
      apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview',
      spec: {
        user, groups,
        resourceAttributes: {
          verb, resource: dot < 0 ? typed : typed.slice(0, dot), group: dot < 0 ? '' : typed.slice(dot + 1),
          ...(name ? { name } : {}), ...(ns ? { namespace: ns } : {}), ...(subresource ? { subresource } : {}),
        },
      },
    };
  });
  // kubectl prints each created review in turn: one line per check, in order
  const out = kubectlOk(['create', '-o', 'jsonpath={.status.allowed}{"\\n"}', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  const lines = out.trim().split('\n');
  if (lines.length !== checks.length || lines.some((l) => l !== 'true' && l !== 'false')) throw new Error(`expected ${checks.length} answers, got: ${out}`);
  return lines.map((l) => l === 'true');
};
/** The groups the API server gives a ServiceAccount's token. */
const serviceAccountGroups = (namespace: string) => ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'];

/** The calls `sluice run` makes in watched namespace `ns` (`scope`: `-A` cluster-wide, else `-n ns`). */
const daemonCallsIn = (ns: string, scope: readonly string[]): string[][] => {
  const w = ['-n', ns];
  return [
    ['list', 'trafficshifts.sluice.dev', ...scope], ['watch', 'trafficshifts.sluice.dev', ...scope],
    ['get', 'trafficshifts.sluice.dev', ...w], ['update', 'trafficshifts.sluice.dev', ...w], ['patch', 'trafficshifts.sluice.dev', ...w],
    ['update', 'trafficshifts.sluice.dev', '--subresource=status', ...w], ['patch', 'trafficshifts.sluice.dev', '--subresource=status', ...w],
    ['update', 'trafficshifts.sluice.dev', '--subresource=finalizers', ...w],
    ...['virtualservices.networking.istio.io', 'destinationrules.networking.istio.io'].flatMap((res) => [
      ['list', res, ...scope], ['watch', res, ...scope], ...['get', 'create', 'update', 'patch'].map((v) => [v, res, ...w]),
    ]),
    ['list', 'pods', ...scope], ['watch', 'pods', ...scope], ['list', 'services', ...scope], ['watch', 'services', ...scope],
    ['create', 'events', ...w], ['patch', 'events', ...w],
  ];
};

/** The calls `sluice run --gateway-api` adds in watched namespace `ns`. */
const gatewayCallsIn = (ns: string, scope: readonly string[]): string[][] => {
  const w = ['-n', ns];
  return [
    ['list', 'httproutes.gateway.networking.k8s.io', ...scope], ['watch', 'httproutes.gateway.networking.k8s.io', ...scope],
    ['create', 'httproutes.gateway.networking.k8s.io', ...w], ['update', 'httproutes.gateway.networking.k8s.io', ...w],
    ['get', 'services', ...w], ['create', 'services', ...w], ['patch', 'services', ...w], ['delete', 'services', ...w],
  ];
};

/** `gateway-api`: cluster-wide with gatewayAPI.enabled (spec.routing: gatewayAPI). */
type Mode = 'cluster-wide' | 'namespaced' | 'gateway-api';

const describeInstall = (mode: Mode) =>
  describe(`the chart's RBAC on the real RBAC authorizer, ${mode} install`, () => {
    const release = `sluice-rbac-${randomSuffix()}`;
    let releaseNs = '';
    /** Watched by the daemon in both modes; shifts live here. */
    let workloadNs = '';
    /** Namespaced mode: a second watched namespace (nothing in it). */
    let otherWatchedNs = '';
    /** Namespaced mode: a namespace the daemon does not watch. */
    let unwatchedNs = '';
    let rendered: K8sDoc[] = [];
    let serviceAccount = '';
    let as = '';

    beforeAll(async () => {
      const helm = helmBinary();
      releaseNs = await newNamespace('rbac');
      workloadNs = await newNamespace('rbac-w');
      if (mode === 'namespaced') {
        otherWatchedNs = await newNamespace('rbac-w2');
        unwatchedNs = await newNamespace('rbac-u');
      }
      rendered = renderChart(helm, release, releaseNs, mode === 'namespaced' ? { watchNamespaces: [workloadNs, otherWatchedNs] } : mode === 'gateway-api' ? { gatewayAPI: { enabled: true } } : {});
      applyDocs(rendered.filter((d) => RBAC_KINDS.includes(d.kind)));
      serviceAccount = rendered.find((d) => d.kind === 'ServiceAccount')!.metadata.name;
      as = `system:serviceaccount:${releaseNs}:${serviceAccount}`;
    }, 35 * 60_000);

    afterAll(async () => {
      deleteClusterScoped(rendered.filter((d) => RBAC_KINDS.includes(d.kind)));
      for (const ns of [workloadNs, otherWatchedNs, unwatchedNs]) await deleteNamespace(ns);
      if (releaseNs) kubectl(['delete', 'namespace', releaseNs, '--wait=false']);
    });

    const deployment = () => rendered.find((d) => d.kind === 'Deployment')!;
    const containerArgs = () => deployment().spec.template.spec.containers[0].args as string[];
    const leaseName = () => containerArgs().find((a) => a.startsWith('--lease-name='))!.slice('--lease-name='.length);
    const userRoles = () => [`${release}-view`, `${release}-operator`];

    it('binds only the Deployment\'s ServiceAccount; cluster-wide ClusterRole or one Role per watched namespace', () => {
      const kinds = (k: string) => rendered.filter((d) => d.kind === k);
      expect(deployment().spec.template.spec.serviceAccountName).toBe(serviceAccount);
      for (const b of rendered.filter((d) => d.kind.endsWith('Binding') && RBAC_KINDS.includes(d.kind)))
        expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: serviceAccount, namespace: releaseNs }]);
      expect(rendered.map((d) => d.kind).filter((k) => !RBAC_KINDS.includes(k)).sort()).toEqual([...OTHER_KINDS].sort());
      const roles = kinds('Role').map((d) => `${d.metadata.namespace}/${d.metadata.name}`).sort();
      if (mode !== 'namespaced') {
        expect(kinds('ClusterRole').map((d) => d.metadata.name).sort()).toEqual([release, ...userRoles()].sort());
        expect(kinds('ClusterRoleBinding').map((d) => d.roleRef.name)).toEqual([release]);
        expect(roles).toEqual([`${releaseNs}/${release}-leader`]);
        expect(containerArgs().filter((a) => a.startsWith('--namespace'))).toEqual([]);
      } else {
        // no cluster-wide rights for the daemon: the only ClusterRoles are the unbound ones for people
        expect(kinds('ClusterRole').map((d) => d.metadata.name).sort()).toEqual(userRoles().sort());
        expect(kinds('ClusterRoleBinding')).toEqual([]);
        expect(roles).toEqual([`${releaseNs}/${release}-leader`, `${workloadNs}/${release}`, `${otherWatchedNs}/${release}`].sort());
        // the daemon watches exactly the namespaces it has Roles in
        expect(containerArgs().filter((a) => a.startsWith('--namespace'))).toEqual([`--namespace=${workloadNs}`, `--namespace=${otherWatchedNs}`]);
      }
    });

    it('allows every call sluice run makes (SubjectAccessReviews for the ServiceAccount)', () => {
      const r = ['-n', releaseNs];
      const needed: string[][] = [
        ...(mode !== 'namespaced' ? daemonCallsIn(workloadNs, ['-A']) : [workloadNs, otherWatchedNs].flatMap((ns) => daemonCallsIn(ns, ['-n', ns]))),
        ...(mode === 'gateway-api' ? gatewayCallsIn(workloadNs, ['-A']) : []),
        ['create', 'leases.coordination.k8s.io', ...r],
        ['get', `leases.coordination.k8s.io/${leaseName()}`, ...r], ['update', `leases.coordination.k8s.io/${leaseName()}`, ...r],
      ];
      const ok = allowed(as, serviceAccountGroups(releaseNs), needed);
      expect(needed.filter((_, i) => !ok[i]).map((a) => a.join(' '))).toEqual([]);
    });

    it('denies what sluice run must not do (SubjectAccessReviews for the ServiceAccount)', () => {
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
        // Namespaced: nothing cluster-wide, nothing in a namespace it does not watch
        ...(mode === 'namespaced' ? [...daemonCallsIn(unwatchedNs, ['-n', unwatchedNs]), ...daemonCallsIn(workloadNs, ['-A']).filter((a) => a.includes('-A'))] : []),
        // Without gatewayAPI.enabled no HTTPRoute or Service write; with it, never an HTTPRoute delete
        ...(mode !== 'gateway-api' ? gatewayCallsIn(workloadNs, ['-A']) : [['delete', 'httproutes.gateway.networking.k8s.io', ...w], ['patch', 'httproutes.gateway.networking.k8s.io', ...w]]),
      ];
      const ok = allowed(as, serviceAccountGroups(releaseNs), forbidden);
      expect(forbidden.filter((_, i) => ok[i]).map((a) => a.join(' '))).toEqual([]);
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
      const watched = [...NEEDED_IN_EVERY_NAMESPACE, ...GRANTED_BUT_UNUSED, ...(mode === 'gateway-api' ? NEEDED_FOR_GATEWAY_API : [])];
      expect(rulesIn(workloadNs)).toEqual([...watched].sort());
      if (mode !== 'namespaced') {
        expect(rulesIn(releaseNs)).toEqual([...watched, ...neededInReleaseNamespace(leaseName())].sort());
      } else {
        expect(rulesIn(otherWatchedNs)).toEqual([...watched].sort());
        // the release namespace is not watched: its Lease only
        expect(rulesIn(releaseNs)).toEqual(neededInReleaseNamespace(leaseName()).sort());
        expect(rulesIn(unwatchedNs)).toEqual([]);
      }
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

      /** The rendered container args, with what the kubelet and the cluster would fill in. */
      const daemonArgs = (kubeconfig: string, identity: string): string[] => {
        const args = containerArgs().map((a) =>
          a === '--lease-namespace=$(POD_NAMESPACE)' ? `--lease-namespace=${releaseNs}`
            : a.startsWith('--metrics-addr=') ? '--metrics-addr=127.0.0.1:0'
              : a.startsWith('--prometheus-url=') ? `--prometheus-url=${process.env.SLUICE_PROMETHEUS_URL}`
                : a);
        // Cluster-wide, watch only this test's namespace (other tests' shifts are not ours; the
        // namespaced chart already says which). Short lease timings: no waiting out a 15 s lease.
        return [...args, ...(mode !== 'namespaced' ? [`--namespace=${workloadNs}`] : []), `--kubeconfig=${kubeconfig}`, `--identity=${identity}`, '--lease-duration=6s', '--renew-deadline=4s', '--retry-period=1s'];
      };

      it('is enough for sluice run with a TokenRequest token of the ServiceAccount: it adopts a shift', async () => {
        if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-rbac-'));

        // Given a Service with v1 pods and a shift naming v1, created by an admin
        await givenReviews(workloadNs, ['v1']);
        await givenShift(workloadNs, { ...canarySpec('v1'), ...(mode === 'gateway-api' ? { routing: 'gatewayAPI' } : {}) });
        // and a kubeconfig holding only a token the API server issued for the ServiceAccount
        const token = kubectlOk(['create', 'token', serviceAccount, '-n', releaseNs, '--duration=1h']).trim();
        const kubeconfig = tokenKubeconfig(tmp, serviceAccount, token);
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
        if (mode === 'gateway-api') {
          // the per-version Service, then the HTTPRoute naming it, written as the ServiceAccount
          const route = await waitFor(async () => {
            const r = JSON.parse(kubectlOk(['-n', workloadNs, 'get', 'httproutes.gateway.networking.k8s.io', '-o', 'json'])).items[0];
            return r?.spec.rules.some((x: { backendRefs: { name: string }[] }) => x.backendRefs.some((b) => b.name === 'reviews-v1')) ? r : undefined;
          }, { timeoutMs: 30_000, what: 'the HTTPRoute naming reviews-v1' });
          expect(route.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'sluice' });
          expect(JSON.parse(kubectlOk(['-n', workloadNs, 'get', 'service', 'reviews-v1', '-o', 'json'])).spec.selector).toEqual({ app: 'reviews', version: 'v1' });
        } else {
          const vs = await getIstio(workloadNs, 'virtualservices');
          const dr = await getIstio(workloadNs, 'destinationrules');
          expect(weightsOf(vs)).toEqual({ v1: 100 });
          expect(dr?.spec.subsets.map((s: { name: string }) => s.name)).toContain('v1');
        }
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

describeInstall('cluster-wide');
describeInstall('namespaced');
describeInstall('gateway-api');

describe('roles for people: <release>-view and <release>-operator through the built-in view, edit and admin roles', () => {
  const release = `sluice-people-${randomSuffix()}`;
  let ns = '';
  let elsewhere = '';
  let roles: K8sDoc[] = [];
  /** People bound to a built-in role in `ns` (impersonated: the real RBAC authorizer decides). */
  const viewer = 'jane';
  const editor = 'omar';
  const admin = 'ada';
  const nobody = 'sam';

  beforeAll(async () => {
    const helm = helmBinary();
    ns = await newNamespace('people');
    elsewhere = await newNamespace('people-x');
    roles = renderChart(helm, release, ns).filter((d) => d.kind === 'ClusterRole' && d.metadata.name.startsWith(`${release}-`));
    applyDocs(roles);
    for (const [user, role] of [[viewer, 'view'], [editor, 'edit'], [admin, 'admin']] as const)
      kubectlOk(['-n', ns, 'create', 'rolebinding', `${user}-${role}`, `--clusterrole=${role}`, `--user=${user}`]);
  }, 35 * 60_000);

  afterAll(async () => {
    deleteClusterScoped(roles);
    await deleteNamespace(ns);
    await deleteNamespace(elsewhere);
  });

  const VERBS = ['get', 'list', 'watch', 'patch', 'update', 'create', 'delete'] as const;
  /** The verbs on trafficshifts `user` may use in `namespace`, and whether it may write their status. */
  const powers = (user: string, namespace: string): string[] => {
    const checks = [
      ...VERBS.map((v) => [v, 'trafficshifts.sluice.dev', '-n', namespace]),
      ['update', 'trafficshifts.sluice.dev', '--subresource=status', '-n', namespace],
      ['patch', 'trafficshifts.sluice.dev', '--subresource=status', '-n', namespace],
    ];
    const names = [...VERBS, 'update status', 'patch status'];
    const ok = allowed(user, ['system:authenticated'], checks);
    return names.filter((_, i) => ok[i]);
  };

  it('renders two ClusterRoles labelled for aggregation into view and edit', () => {
    expect(roles.map((r) => [r.metadata.name, r.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-view'], r.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-edit']])).toEqual([
      [`${release}-view`, 'true', undefined],
      [`${release}-operator`, undefined, 'true'],
    ]);
  });

  it('lets viewers read shifts, editors and admins command them, and nobody but the daemon write status', async () => {
    // The controller-manager's clusterrole-aggregation controller copies the rules in shortly after.
    await waitFor(() => powers(editor, ns).includes('patch') && powers(viewer, ns).includes('get'), { timeoutMs: 60_000, what: 'the roles to be aggregated into view and edit' });
    expect(powers(viewer, ns)).toEqual(['get', 'list', 'watch']);
    expect(powers(editor, ns)).toEqual(['get', 'list', 'watch', 'patch', 'update']);
    expect(powers(admin, ns)).toEqual(['get', 'list', 'watch', 'patch', 'update']);
    // only where they are bound
    for (const user of [viewer, editor, admin]) expect(powers(user, elsewhere)).toEqual([]);
    expect(powers(nobody, ns)).toEqual([]);
  });

  it('aggregates nothing when userRoles.aggregate is false', () => {
    const plain = renderChart(helmBinary(), release, ns, { 'userRoles.aggregate': false }).filter((d) => d.kind === 'ClusterRole' && d.metadata.name.startsWith(`${release}-`));
    expect(plain.map((r) => Object.keys(r.metadata.labels ?? {}).filter((k) => k.startsWith('rbac.authorization.k8s.io/')))).toEqual([[], []]);
  });
});

describe('the /metrics NetworkPolicy as the API server validates it', () => {
  const release = `sluice-np-${randomSuffix()}`;
  let ns = '';
  let helm = '';
  beforeAll(async () => {
    helm = helmBinary();
    ns = await newNamespace('np');
  }, 35 * 60_000);
  afterAll(() => deleteNamespace(ns));

  /** The chart's NetworkPolicy for `values`, after a server-side dry-run create (undefined if none is rendered). */
  const policyFor = (values: Record<string, unknown>): { spec: Record<string, any> } | undefined => {
    const rendered = renderChart(helm, release, ns, values);
    const policy = rendered.find((d) => d.kind === 'NetworkPolicy');
    if (policy === undefined) return undefined;
    const labels = rendered.find((d) => d.kind === 'Deployment')!.spec.template.metadata.labels as Record<string, string>;
    // it selects the sluice pods
    expect(Object.entries(policy.spec.podSelector.matchLabels as Record<string, string>).every(([k, v]) => labels[k] === v)).toBe(true);
    return JSON.parse(kubectlOk(['-n', ns, 'create', '--dry-run=server', '-o', 'json', '-f', '-'], JSON.stringify(policy)));
  };
  const fromNamespaces = (values: readonly string[]) => ({ namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values }] } });

  it('is on by default: ingress to the sluice pods only on the metrics port, only from the configured namespaces', () => {
    const p = policyFor({});
    expect(p?.spec.policyTypes).toEqual(['Ingress']);
    expect(p?.spec.ingress).toEqual([{ from: [fromNamespaces(['monitoring', 'istio-system'])], ports: [{ port: 'metrics', protocol: 'TCP' }] }]);
  });

  it('narrows to labelled pods in those namespaces, denies all ingress for an empty list, and can be turned off', () => {
    const labelled = policyFor({ 'networkPolicy.metrics.namespaces': ['obs'], 'networkPolicy.metrics.podLabels': { 'app.kubernetes.io/name': 'prometheus' } });
    // one peer with both selectors: pods with the label AND in the namespace (two peers would be OR)
    expect(labelled?.spec.ingress[0].from).toEqual([{ ...fromNamespaces(['obs']), podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }]);
    const closed = policyFor({ 'networkPolicy.metrics.namespaces': [] });
    expect(closed?.spec.policyTypes).toEqual(['Ingress']);
    expect(closed?.spec.ingress ?? []).toEqual([]);
    expect(policyFor({ 'networkPolicy.enabled': false })).toBeUndefined();
  });
});

describe('the Deployment\'s arguments for the operator\'s values are flags sluice run accepts', () => {
  /** `sluice run`'s parse of the rendered container args (after "run"), as the pod would start. */
  const parsedArgs = (values: Record<string, unknown>) => {
    const deployment = renderChart(helmBinary(), 'sluice', 'sluice-system', values).find((d) => d.kind === 'Deployment')!;
    const container = deployment.spec.template.spec.containers[0];
    const args = (container.args as string[]).slice(1).map((a) => a.replace('$(POD_NAMESPACE)', 'sluice-system'));
    const env = Object.fromEntries((container.env as { name: string; value?: string }[]).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
    return parseRunConfig(args, env, { identity: 'pod-0' });
  };

  it('passes watched namespaces, allowed hosts, gateways, Prometheus URLs and query templates through', () => {
    const parsed = parsedArgs({
      watchNamespaces: ['shop', 'pay'],
      'routing.allowHosts': ['shop=*.shop.example.com'], 'routing.allowGateways': ['*=istio-system/ingressgateway'], 'routing.clusterDomain': 'corp.local',
      'prometheus.allowUrls': ['http://prom-*.monitoring.svc:9090'], 'prometheus.allowQueries': true,
    });
    expect(parsed).toMatchObject(E.right({
      namespaces: ['shop', 'pay'], clusterDomain: 'corp.local', leaseNamespace: 'sluice-system',
      allowPrometheusUrls: ['http://prom-*.monitoring.svc:9090'], allowPrometheusQueries: true,
    }));
    if (E.isRight(parsed)) expect([parsed.right.allowedHosts.length, parsed.right.allowedGateways.length]).toEqual([1, 1]);
  });

  it('tells the daemon names are verified exactly when the command-author policy is rendered (Kubernetes 1.36+, enabled)', () => {
    const rendered = (kubeVersion: string, values: Record<string, unknown> = {}) => {
      const docs = renderChart(helmBinary(), 'sluice', 'sluice-system', values, kubeVersion);
      const env = (docs.find((d) => d.kind === 'Deployment')!.spec.template.spec.containers[0].env as { name: string; value?: string }[]);
      return [docs.filter((d) => d.kind.startsWith('MutatingAdmissionPolicy')).length, env.find((e) => e.name === 'SLUICE_BY_VERIFIED')?.value];
    };
    expect(rendered('v1.36.3')).toEqual([2, 'true']);
    expect(rendered('v1.35.2')).toEqual([0, undefined]);
    expect(rendered('v1.36.3', { 'commandAuthorPolicy.enabled': false })).toEqual([0, undefined]);
  });

  it('renders defaults the daemon accepts, and a bad entry fails at the pod\'s start with the flag named', () => {
    expect(E.isRight(parsedArgs({}))).toBe(true);
    expect(parsedArgs({ 'routing.allowGateways': ['ingressgateway'] })).toMatchObject(E.left(expect.stringContaining('--allow-gateway')));
  });
});
