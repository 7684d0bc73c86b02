/**
 * Issue 10 on the real control plane, with a tenant that holds rights on TrafficShifts only (a
 * ServiceAccount token, no VirtualService rights): what the daemon's cluster-wide rights will and
 * will not do for it.
 *   - a shift may route only its own Service's hosts through the mesh gateway; another Service's
 *     host or an ingress gateway is refused (Ready=False/Refused + Event naming the field, the value
 *     and the flag that would allow it) and no VirtualService is written;
 *   - the operator's --allow-host / --allow-gateway let exactly that through.
 *   - 200 fuzzed manifests and command annotations (hostile values too) go through the real API
 *     server and the daemon: it never crashes, every shift gets a verdict, every refusal names a
 *     field, every VirtualService it writes has integer weights summing to 100.
 * Adoption that would drop parts of a VirtualService: test/integration/daemon.test.ts.
 * The Prometheus allow-list: test/integration/prometheus-tenancy.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { manifestArb } from '../unit/istio/fuzzManifests';
import { givenTokenUser } from './chart';
import { canarySpec, custom, DaemonProcess, deleteNamespace, eventsFor, getIstio, givenReviews, newNamespace, startDaemon, waitForPhase, weightsOf } from './daemonFixtures';
import { kubectl, kubectlOk, waitFor } from './env';

jest.setTimeout(300_000);

const readyOf = (s: Record<string, any>) => s.conditions?.find((c: { type: string }) => c.type === 'Ready');

describe('a tenant with rights on TrafficShifts only', () => {
  let namespace = '';
  let tmp = '';
  let tenant = { kubeconfig: '', username: '' };
  const daemons: DaemonProcess[] = [];

  beforeEach(async () => {
    namespace = await newNamespace('t-hosts');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-tenancy-'));
    await givenReviews(namespace, ['v1'], { replicas: 1 });
    tenant = givenTokenUser(tmp, namespace, 'tenant');
    kubectlOk(['-n', namespace, 'create', 'role', 'shifts-only', '--verb=get,list,watch,create,update,patch', '--resource=trafficshifts.sluice.dev']);
    kubectlOk(['-n', namespace, 'create', 'rolebinding', 'tenant-shifts', '--role=shifts-only', `--serviceaccount=${namespace}:tenant`]);
  });

  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.kill('SIGKILL');
    await deleteNamespace(namespace);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** The tenant creates the shift with its own token. */
  const tenantCreates = (spec: Record<string, unknown>) =>
    kubectlOk(['--kubeconfig', tenant.kubeconfig, '-n', namespace, 'apply', '-f', '-'], JSON.stringify({ apiVersion: 'sluice.dev/v1alpha1', kind: 'TrafficShift', metadata: { name: 'reviews' }, spec }));

  it('cannot write a VirtualService itself, nor make sluice route another Service\'s host or an ingress gateway', async () => {
    expect(kubectl(['--kubeconfig', tenant.kubeconfig, '-n', namespace, 'auth', 'can-i', 'create', 'virtualservices.networking.istio.io']).stdout.trim()).toBe('no');
    daemons.push(await startDaemon(namespace, 'sluice-tenancy', ['--leader-elect=false']));
    tenantCreates(canarySpec('v1', { hosts: ['reviews', 'payments.prod.svc.cluster.local'], gateways: ['istio-system/ingressgateway'] }));

    const refused = await waitForPhase(namespace, (s) => readyOf(s)?.reason === 'Refused', 60_000);
    const message: string = readyOf(refused).message;
    expect(message).toContain(`${namespace}/reviews: spec.hosts[1]: "payments.prod.svc.cluster.local" is not a name of Service ${namespace}/reviews`);
    expect(message).toContain(`--allow-host=${namespace}=payments.prod.svc.cluster.local`);
    expect(message).toContain('spec.gateways[0]');
    expect(message).toContain('--allow-gateway=');
    expect(refused.stableVersion).toBeUndefined();
    const event = await waitFor(async () => (await eventsFor(namespace)).find((e) => e.reason === 'Refused'), { what: 'a Refused Event' });
    expect(event.type).toBe('Warning');
    expect(await getIstio(namespace, 'virtualservices')).toBeUndefined();
  });

  it('routes exactly what the operator allows with --allow-host and --allow-gateway', async () => {
    daemons.push(await startDaemon(namespace, 'sluice-tenancy', ['--leader-elect=false', `--allow-host=${namespace}=*.example.com`, `--allow-gateway=${namespace}=istio-system/ingressgateway`]));
    tenantCreates(canarySpec('v1', { hosts: ['reviews', 'shop.example.com'], gateways: ['mesh', 'istio-system/ingressgateway'] }));
    await waitForPhase(namespace, (s) => s.phase === 'Idle' && s.stableVersion === 'v1', 60_000);
    const vs = (await getIstio(namespace, 'virtualservices'))!;
    expect(vs.spec.hosts).toEqual(['reviews', 'shop.example.com']);
    expect(vs.spec.gateways).toEqual(['mesh', 'istio-system/ingressgateway']);
    expect(weightsOf(vs)).toEqual({ v1: 100 });
  });

  it('200 fuzzed manifests through the API server and the daemon: no crash, a verdict for each, refusals name a field, routes stay safe', async () => {
    type Manifest = { metadata: Record<string, unknown>; spec?: unknown };
    const samples = fc
      .sample(manifestArb, { seed: 20261203, numRuns: 400 })
      .filter((s): s is { manifest: Manifest; annotations: Record<string, string> } => typeof s.manifest === 'object' && s.manifest !== null && !Array.isArray(s.manifest) && typeof (s.manifest as Manifest).metadata === 'object')
      .slice(0, 200);
    expect(samples).toHaveLength(200);
    const created: string[] = [];
    for (const [i, s] of samples.entries()) {
      const name = `f-${i}`;
      // Each shift its own Service (when it names one), so ownership does not decide them all.
      const spec = typeof s.manifest.spec === 'object' && s.manifest.spec !== null && typeof (s.manifest.spec as { service?: unknown }).service === 'string' ? { ...(s.manifest.spec as object), service: `svc-${i}` } : s.manifest.spec;
      const body = { ...s.manifest, spec, apiVersion: 'sluice.dev/v1alpha1', kind: 'TrafficShift', metadata: { name, annotations: s.annotations } };
      const ok = await custom.createNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace, plural: 'trafficshifts', body }).then(() => true, () => false);
      if (ok) created.push(name);
    }
    expect(created.length).toBeGreaterThan(50);
    // An operator who allows templates: more shifts get as far as routes.
    const d = await startDaemon(namespace, 'sluice-tenancy', ['--leader-elect=false', '--allow-prometheus-queries']);
    daemons.push(d);
    type Listed = { items: { metadata: { name: string; generation: number }; status?: Record<string, any> }[] };
    const list = async () => ((await custom.listNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace, plural: 'trafficshifts' })) as Listed).items;
    const judged = await waitFor(async () => {
      const items = await list();
      const done = items.filter((o) => readyOf(o.status ?? {})?.observedGeneration === o.metadata.generation);
      return done.length === created.length ? items : undefined;
    }, { timeoutMs: 240_000, intervalMs: 2000, what: `a Ready condition on each of ${created.length} shifts` });
    expect(d.proc.exitCode).toBeNull();
    const reasons: Record<string, number> = {};
    for (const o of judged) {
      const ready = readyOf(o.status ?? {});
      reasons[ready.reason] = (reasons[ready.reason] ?? 0) + 1;
      if (['InvalidSpec', 'Refused'].includes(ready.reason)) expect(ready.message).toMatch(new RegExp(`^${namespace}/${o.metadata.name}: (spec|metadata)\\.`));
    }
    expect(Object.keys(reasons).length).toBeGreaterThan(1);
    const vsList = ((await custom.listNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1', namespace, plural: 'virtualservices' })) as { items: { spec: { http?: { route?: { weight?: number }[] }[] } }[] }).items;
    for (const vs of vsList)
      for (const r of vs.spec.http ?? []) {
        const weights = (r.route ?? []).map((x) => x.weight ?? ((r.route ?? []).length === 1 ? 100 : 0));
        expect(weights.every(Number.isInteger) && weights.reduce((a, b) => a + b, 0) === 100).toBe(true);
      }
    process.stderr.write(`[tenancy fuzz] ${created.length} of 200 stored by the API server; verdicts: ${JSON.stringify(reasons)}; ${vsList.length} VirtualService(s) written\n`);
  });
});
