/**
 * Failover with a stalled leader (issue 9 #5): two `sluice run` replicas under leader election on
 * the real control plane; the leader's Lease requests stall (a proxy in front of it stops
 * forwarding them) while everything else it sends still flows. The API server's audit log is
 * the ground truth of writes (contract A: every write names its replica in the User-Agent).
 *
 * The proxy: the API server's traffic is TLS, so a byte-level TCP proxy cannot tell a Lease
 * request from the others. This one terminates the leader's TLS (a throwaway self-signed
 * certificate; the leader's kubeconfig points at the proxy and skips verification) and forwards
 * each request over TLS with the test's credentials, the User-Agent untouched; while "stalled" it
 * neither forwards nor answers requests for Leases.
 *
 * Before the fix the stalled renewal hung forever, the old leader went on "leading" and wrote
 * beside the new one. Now: it stops leading at its renew deadline, counted from when its last
 * successful renewal was sent, and no write of it reaches the API server after that.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuditEvent, checkWrites, readAuditEvents } from '../audit/audit';
import { microsOf } from '../audit/log';
import { DaemonProcess, deleteNamespace, getIstio, givenReviews, givenShift, canarySpec, newNamespace, patchShift, sleep, startDaemon, waitForPhase, weightsOf } from './daemonFixtures';
import { kubeConfig, waitFor } from './env';

jest.setTimeout(180_000);

/** startDaemon's leader-election timings (daemonFixtures.ts): lease 6 s, renew deadline 4 s, retry 1 s. */
const RENEW_DEADLINE_MS = 4_000;

const LEASE_PATH = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/[^/]+\/leases(\/|\?|$)/;

/** A forwarding proxy to the API server whose Lease requests can be stalled; `kubeconfig` points a daemon at it. */
const leaseStallingProxy = async (dir: string) => {
  const kc = kubeConfig();
  const cluster = kc.getCurrentCluster()!;
  const user = kc.getCurrentUser()!;
  const upstream = new URL(cluster.server);
  const b64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64') : undefined);
  const agent = new https.Agent({
    keepAlive: true,
    ca: b64(cluster.caData) ?? (cluster.caFile ? fs.readFileSync(cluster.caFile) : undefined),
    cert: b64(user.certData) ?? (user.certFile ? fs.readFileSync(user.certFile) : undefined),
    key: b64(user.keyData) ?? (user.keyFile ? fs.readFileSync(user.keyFile) : undefined),
  });
  let stalled = false;
  let held = 0;
  const hop = ['host', 'connection', 'keep-alive', 'proxy-connection', 'upgrade'];
  // A throwaway certificate for the proxy's own TLS (the leader skips verification).
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1',
    '-keyout', path.join(dir, 'proxy.key'), '-out', path.join(dir, 'proxy.crt')], { stdio: 'ignore' });
  const server = https.createServer({ key: fs.readFileSync(path.join(dir, 'proxy.key')), cert: fs.readFileSync(path.join(dir, 'proxy.crt')) }, (req, res) => {
    if (stalled && LEASE_PATH.test(req.url ?? '')) {
      held++;
      req.resume(); // read and drop: never forwarded, never answered
      return;
    }
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !hop.includes(k)));
    if (user.token) headers.authorization = `Bearer ${user.token}`;
    const up = https.request({ hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers, agent }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, Object.fromEntries(Object.entries(upRes.headers).filter(([k]) => !hop.includes(k))));
      upRes.pipe(res);
    });
    up.on('error', () => res.destroy());
    res.on('close', () => {
      if (!res.writableFinished) up.destroy(); // the daemon gave up (its timeout): so does the proxy
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const kubeconfig = path.join(dir, 'kubeconfig-through-proxy.json');
  fs.writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'proxy',
    clusters: [{ name: 'proxy', cluster: { server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'proxy', user: {} }],
    contexts: [{ name: 'proxy', context: { cluster: 'proxy', user: 'proxy', namespace: 'default' } }],
  }));
  return {
    kubeconfig,
    stallLeases: () => void (stalled = true),
    /** Lease requests the proxy has swallowed. */
    held: () => held,
    close: () => {
      server.closeAllConnections();
      agent.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
};

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete']);
const replicaOf = (e: AuditEvent) => /^sluice\/[^ ]+ \(([^)]*)\)/.exec(e.userAgent ?? '')?.[1];
const at = (e: AuditEvent) => microsOf(e.requestReceivedTimestamp) / 1000;
const isLease = (e: AuditEvent) => e.objectRef?.resource === 'leases';
const ok = (e: AuditEvent) => (e.responseStatus?.code ?? 0) < 300;

describe('failover with a stalled leader', () => {
  let namespace = '';
  const daemons: DaemonProcess[] = [];
  let proxy: Awaited<ReturnType<typeof leaseStallingProxy>> | undefined;
  let dir = '';

  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.kill('SIGKILL');
    await proxy?.close();
    await deleteNamespace(namespace);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the old leader writes nothing after its renew deadline; the standby takes over and applies the pending command", async () => {
    const auditLog = process.env.SLUICE_AUDIT_LOG;
    expect(auditLog).toBeTruthy();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-failover-'));
    namespace = await newNamespace('failover');
    await givenReviews(namespace, ['v1', 'v2']);
    proxy = await leaseStallingProxy(dir);

    // Given failover-a leading through the proxy and failover-b on standby,
    const a = await startDaemon(namespace, 'failover-a', ['--kubeconfig', proxy.kubeconfig]);
    daemons.push(a);
    await waitFor(async () => (await a.metric('sluice_leader')) === 1, { what: 'failover-a to lead' });
    const b = await startDaemon(namespace, 'failover-b');
    daemons.push(b);
    await waitFor(async () => (await fetch(`${b.metricsUrl}/readyz`)).status === 200, { what: 'the standby to be ready' });
    // and a shift failover-a has made Idle at v1 (its writes go through the proxy),
    await givenShift(namespace, canarySpec('v1'));
    await waitForPhase(namespace, (s) => s.phase === 'Idle' && s.stableVersion === 'v1', 60_000);

    // When failover-a's Lease requests stall,
    proxy.stallLeases();
    await waitFor(async () => (await b.metric('sluice_leader')) === 1, { timeoutMs: 30_000, intervalMs: 200, what: 'failover-b to take over' });
    expect(await a.metric('sluice_leader')).toBe(0);
    expect(proxy.held()).toBeGreaterThan(0);

    // and an SRE command arrives (both replicas see it: failover-a's watches still flow),
    const commandAt = Date.now();
    patchShift(namespace, { metadata: { annotations: { 'sluice.dev/shift-to': 'v2', 'sluice.dev/by': 'failover-test', 'sluice.dev/command-id': 'failover-1' } } });

    // Then the new leader applies it,
    await waitFor(async () => ((weightsOf(await getIstio(namespace, 'virtualservices')).v2 ?? 0) > 0 ? true : undefined), {
      timeoutMs: 30_000, what: 'the command to reach the VirtualService',
    });
    await sleep(3_000); // time for the old leader to write too, were it still acting

    // and the API server's audit log shows no write of failover-a later than its renew deadline.
    const events = readAuditEvents(auditLog!).filter((e) => e.objectRef?.namespace === namespace);
    const byA = events.filter((e) => replicaOf(e) === 'failover-a' && WRITE_VERBS.has(e.verb));
    const renewals = byA.filter((e) => isLease(e) && ok(e));
    expect(renewals.length).toBeGreaterThan(0);
    const lastRenewal = Math.max(...renewals.map(at));
    const deadline = lastRenewal + RENEW_DEADLINE_MS;
    const writesOfA = byA.filter((e) => !isLease(e));
    expect(writesOfA.length).toBeGreaterThan(0); // failover-a did write while it led (the audit log attributes its writes)
    const late = writesOfA.filter((e) => at(e) > deadline).map((e) => `${e.verb} ${e.objectRef?.resource}/${e.objectRef?.name} at ${e.requestReceivedTimestamp}`);
    expect(late).toEqual([]);

    const routeWritesOfB = events.filter((e) => replicaOf(e) === 'failover-b' && e.objectRef?.resource === 'virtualservices' && WRITE_VERBS.has(e.verb) && ok(e));
    expect(routeWritesOfB.filter((e) => at(e) >= commandAt).length).toBeGreaterThan(0);
    expect(checkWrites(events, { renewDeadlineMs: RENEW_DEADLINE_MS })).toEqual([]); // the audit checker's leader-only rule, bounded by the renew deadline

    // failover-a says why it stopped.
    expect(a.lines.find((l) => l.msg === 'stopped leading')).toMatchObject({ reason: `the lease was not renewed within the renew deadline (${RENEW_DEADLINE_MS} ms)` });
  });
});
