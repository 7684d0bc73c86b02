/**
 * Issue 10 on the real control plane, with a tenant that holds rights on TrafficShifts only (a
 * ServiceAccount token, no VirtualService rights): what the daemon's cluster-wide rights will and
 * will not do for it.
 *   - a shift may route only its own Service's hosts through the mesh gateway; another Service's
 *     host or an ingress gateway is refused (Ready=False/Refused + Event naming the field, the value
 *     and the flag that would allow it) and no VirtualService is written;
 *   - the operator's --allow-host / --allow-gateway let exactly that through.
 * Adoption that would drop parts of a VirtualService: test/integration/daemon.test.ts.
 * The Prometheus allow-list: test/integration/prometheus-tenancy.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { givenTokenUser } from './chart';
import { canarySpec, DaemonProcess, deleteNamespace, eventsFor, getIstio, givenReviews, newNamespace, startDaemon, waitForPhase, weightsOf } from './daemonFixtures';
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
    daemons.push(await startDaemon(namespace, 'sluice-a', ['--leader-elect=false']));
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
    daemons.push(await startDaemon(namespace, 'sluice-a', ['--leader-elect=false', `--allow-host=${namespace}=*.example.com`, `--allow-gateway=${namespace}=istio-system/ingressgateway`]));
    tenantCreates(canarySpec('v1', { hosts: ['reviews', 'shop.example.com'], gateways: ['mesh', 'istio-system/ingressgateway'] }));
    await waitForPhase(namespace, (s) => s.phase === 'Idle' && s.stableVersion === 'v1', 60_000);
    const vs = (await getIstio(namespace, 'virtualservices'))!;
    expect(vs.spec.hosts).toEqual(['reviews', 'shop.example.com']);
    expect(vs.spec.gateways).toEqual(['mesh', 'istio-system/ingressgateway']);
    expect(weightsOf(vs)).toEqual({ v1: 100 });
  });
});
