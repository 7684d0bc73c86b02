/**
 * The daemon end to end: `sluice run` as a child process against the real control plane,
 * Prometheus and the mesh simulator (started by the integration globalSetup). Each test has its
 * own namespace (deleted afterwards) and its own daemon(s) watching only that namespace.
 * Short intervals keep each test within about a minute: analysis.interval 10s, stepInterval 10s.
 */
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { startMeshSim, type MeshSim } from '../mesh-sim/sim';
import {
  canarySpec, DaemonProcess, decisions, deleteNamespace, eventsFor, getIstio, getShift, givenReviews, givenShift, givenVirtualService,
  newNamespace, patchShift, sleep, startDaemon, waitForPhase, weightsOf,
} from './daemonFixtures';
import { kubectlOk, waitFor } from './env';

jest.setTimeout(300_000);

describe('sluice run', () => {
  let namespace = '';
  let sim: MeshSim | undefined;
  const daemons: DaemonProcess[] = [];

  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.kill('SIGKILL');
    await sim?.stop();
    sim = undefined;
    await deleteNamespace(namespace);
  });

  const daemon = async (identity = 'sluice-a', extra: string[] = []) => {
    const d = await startDaemon(namespace, identity, extra);
    daemons.push(d);
    return d;
  };
  const traffic = async (profiles: { version: string; errorFraction: number }[] = [], extra: Record<string, unknown> = {}) => {
    sim = await startMeshSim(
      { seed: 11, propagationDelayMs: 500, services: [{ namespace, service: 'reviews', rps: 30, ...extra }], profiles: profiles.map((p) => ({ namespace, service: 'reviews', ...p })) },
      { log: () => undefined },
    );
    return sim;
  };
  /** Given v1 stable and Idle, when spec.version becomes v2. */
  const startShiftToV2 = async (spec: Record<string, unknown>) => {
    await givenShift(namespace, spec);
    await waitForPhase(namespace, (s) => s.stableVersion === 'v1' && s.phase === 'Idle', 60_000);
    patchShift(namespace, { spec: { version: 'v2' } });
  };

  it('promotes a healthy canary through every step; status, Events and metrics agree', async () => {
    namespace = await newNamespace('d-healthy');
    await givenReviews(namespace, ['v1', 'v2']);
    const d = await daemon();
    await traffic();
    await startShiftToV2(canarySpec('v1'));

    const seen = new Set<string>();
    const status = await waitFor(
      async () => {
        const vs = await getIstio(namespace, 'virtualservices');
        seen.add(JSON.stringify(weightsOf(vs)));
        const s = (await getShift(namespace))?.status;
        return s?.phase === 'Promoted' ? s : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 300, what: 'the canary to be promoted' },
    );
    expect(status.stableVersion).toBe('v2');
    expect(status.lastGate.result).toBe('Pass');
    expect(weightsOf(await getIstio(namespace, 'virtualservices'))).toMatchObject({ v2: 100 });
    // Every step was taken, in order.
    expect([...seen]).toEqual(expect.arrayContaining([JSON.stringify({ v1: 80, v2: 20 }), JSON.stringify({ v1: 40, v2: 60 })]));

    const events = await eventsFor(namespace);
    const reasons = events.map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['ShiftStarted', 'StepAdvanced', 'Promoted']));
    expect(events.every((e) => e.reportingComponent === 'sluice.dev/controller')).toBe(true);

    const labels = { namespace, name: 'reviews' };
    expect(await d.metric('sluice_promotions_total', labels)).toBe(1);
    expect(await d.metric('sluice_shift_phase', { ...labels, phase: 'Promoted' })).toBe(1);
    expect(await d.metric('sluice_shift_weight', { ...labels, version: 'v2' })).toBe(100);
    expect(await d.metric('sluice_leader')).toBe(1);
    expect(await d.metric('sluice_gate_verdicts_total', { result: 'Pass' })).toBeGreaterThanOrEqual(2);
    expect(await d.metric('sluice_reconcile_duration_seconds_count', { result: 'ok' })).toBeGreaterThan(0);
    expect(decisions(d).some((l) => l.phase === 'Promoted' && l.namespace === namespace)).toBe(true);
  });

  it('falls back from a canary answering 30 % 5xx, with the verdict numbers in status', async () => {
    namespace = await newNamespace('d-bad');
    await givenReviews(namespace, ['v1', 'v2']);
    const d = await daemon();
    await traffic([{ version: 'v2', errorFraction: 0.3 }]);
    await startShiftToV2(canarySpec('v1'));

    const status = await waitForPhase(namespace, 'RolledBack', 150_000);
    expect(status.stableVersion).toBe('v1');
    expect(status.lastGate.result).toBe('Fail');
    expect(status.lastGate.errorRate).toBeGreaterThan(0.15);
    expect(status.lastGate.errorRate).toBeLessThan(0.45);
    expect(status.lastGate.requests).toBeGreaterThanOrEqual(5);
    expect(status.lastGate.threshold).toBe(0.05);
    expect(weightsOf(await getIstio(namespace, 'virtualservices'))).toMatchObject({ v1: 100 });
    const events = await eventsFor(namespace);
    expect(events.find((e) => e.reason === 'RolledBack')?.type).toBe('Warning');
    expect(await d.metric('sluice_rollbacks_total', { namespace, name: 'reviews' })).toBe(1);
  });

  it('falls back at progressDeadline when the candidate never becomes ready, and never routes to it', async () => {
    namespace = await newNamespace('d-unready');
    await givenReviews(namespace, ['v1', 'v2'], { unready: ['v2'] });
    await daemon();
    const s = await traffic();
    await startShiftToV2(canarySpec('v1', { progressDeadline: '20s' }));

    let routedToV2 = false;
    const status = await waitFor(
      async () => {
        if ((weightsOf(await getIstio(namespace, 'virtualservices')).v2 ?? 0) > 0) routedToV2 = true;
        const st = (await getShift(namespace))?.status;
        return st?.phase === 'RolledBack' ? st : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 300, what: 'the unready candidate to fall back' },
    );
    expect(routedToV2).toBe(false);
    expect(status.stableVersion).toBe('v1');
    expect(s.totals(`${namespace}/reviews`).v2?.requests ?? 0).toBe(0);
  });

  it('never touches an unmanaged VirtualService; adopt: true takes it over and deletion restores it', async () => {
    namespace = await newNamespace('d-adopt');
    await givenReviews(namespace, ['v1']);
    const original = { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' } }], timeout: '3s' }] };
    await givenVirtualService(namespace, original, { team: 'a' });
    const before = await getIstio(namespace, 'virtualservices');
    await daemon();
    await givenShift(namespace, canarySpec('v1'));

    const refused = await waitForPhase(namespace, (st) => st.conditions?.some((c: { type: string; reason: string }) => c.type === 'Ready' && c.reason === 'NotOwned'), 60_000);
    const ready = refused.conditions.find((c: { type: string }) => c.type === 'Ready');
    expect(refused.phase).toBeUndefined();
    expect(ready.message).toBe(`${namespace}/reviews: VirtualService ${namespace}/reviews exists and is not managed by sluice; set spec.adopt: true to take it over, or delete or rename it`);
    await waitFor(async () => (await eventsFor(namespace)).some((e) => e.reason === 'NotOwned' && e.type === 'Warning'), { what: 'a NotOwned Event' });
    expect((await getIstio(namespace, 'virtualservices'))!.metadata.resourceVersion).toBe(before!.metadata.resourceVersion);

    // Adopting would drop the route's timeout: refused, saying what would be lost; keeping it in spec.route allows it.
    patchShift(namespace, { spec: { adopt: true } });
    const lossy = await waitForPhase(namespace, (st) => st.conditions?.some((c: { type: string; message: string }) => c.type === 'Ready' && c.message.includes('timeout')), 60_000);
    expect(lossy.stableVersion).toBeUndefined();
    expect((await getIstio(namespace, 'virtualservices'))!.metadata.resourceVersion).toBe(before!.metadata.resourceVersion);
    patchShift(namespace, { spec: { route: { timeout: '3s' } } });
    await waitForPhase(namespace, (s) => s.phase === 'Idle' && s.stableVersion === 'v1', 60_000);
    // Status is written before the routes it decides (ADR 0005): wait for the write.
    const adopted = await waitFor(async () => {
      const vs = await getIstio(namespace, 'virtualservices');
      return vs?.metadata.labels?.['app.kubernetes.io/managed-by'] === 'sluice' ? vs : undefined;
    }, { what: 'the adopted VirtualService' });
    expect(adopted.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'sluice', team: 'a' });
    expect(JSON.parse(adopted.metadata.annotations!['sluice.dev/original-spec']!)).toEqual(original);
    expect(weightsOf(adopted)).toMatchObject({ v1: 100 });

    kubectlDelete(namespace);
    await waitFor(async () => (await getShift(namespace)) === undefined, { timeoutMs: 60_000, what: 'the shift to be gone' });
    const restored = (await getIstio(namespace, 'virtualservices'))!;
    expect(restored.spec).toEqual(original);
    expect(restored.metadata.labels).toEqual({ team: 'a' });
    expect(restored.metadata.annotations?.['sluice.dev/original-spec']).toBeUndefined();
  });

  it('reports a spec the schema accepts but sluice cannot use, field by field, and changes no traffic', async () => {
    namespace = await newNamespace('d-invalid');
    await givenReviews(namespace, ['v1']);
    const d = await daemon();
    await givenShift(namespace, canarySpec('v1', { schedule: { start: '0 25 * * *' } }));

    const readyOf = (st: Record<string, any>) => st.conditions?.find((c: { type: string }) => c.type === 'Ready');
    const invalid = await waitForPhase(namespace, (st) => readyOf(st)?.reason === 'InvalidSpec', 60_000);
    const sentence = `${namespace}/reviews: spec.schedule.start: "0 25 * * *" is not a cron expression (expected 5 or 6 fields, e.g. "0 2 * * 1-5")`;
    expect(readyOf(invalid)).toMatchObject({ status: 'False', reason: 'InvalidSpec', message: sentence });
    // A problem is a condition, never a phase: nothing was adopted, so there is no phase yet.
    expect(invalid.phase).toBeUndefined();
    const event = await waitFor(async () => (await eventsFor(namespace)).find((e) => e.reason === 'InvalidSpec'), { what: 'an InvalidSpec Event' });
    expect(event).toMatchObject({ type: 'Warning', message: sentence });
    expect(await getIstio(namespace, 'virtualservices')).toBeUndefined();
    expect(await getIstio(namespace, 'destinationrules')).toBeUndefined();
    expect(d.lines.some((l) => l.msg === 'decided' && l.reason === 'InvalidSpec')).toBe(true);

    // Fixing it lets the shift start from where it was.
    patchShift(namespace, { spec: { schedule: null } });
    await waitForPhase(namespace, (st) => st.phase === 'Idle' && st.stableVersion === 'v1', 60_000);
    expect(weightsOf(await getIstio(namespace, 'virtualservices'))).toMatchObject({ v1: 100 });
  });

  it("reports routes Istio's schema refuses with the server's message, and keeps traffic as it was", async () => {
    namespace = await newNamespace('d-rejected');
    await givenReviews(namespace, ['v1']);
    await daemon();
    await givenShift(namespace, canarySpec('v1'));
    await waitForPhase(namespace, (st) => st.phase === 'Idle' && st.stableVersion === 'v1', 60_000);
    const before = (await getIstio(namespace, 'virtualservices'))!;

    // spec.route.retries is copied as written; only Istio's CRD schema knows attempts is an integer.
    patchShift(namespace, { spec: { route: { retries: { attempts: 'three' } } } });
    const refused = await waitForPhase(namespace, (st) => st.conditions?.some((c: { type: string; reason: string }) => c.type === 'Ready' && c.reason === 'RoutesNotApplied'), 60_000);
    const ready = refused.conditions.find((c: { type: string }) => c.type === 'Ready');
    expect(refused.phase).toBe('Idle');
    expect(ready).toMatchObject({ status: 'False', reason: 'RoutesNotApplied' });
    expect(ready.message).toContain('retries.attempts');
    const event = await waitFor(async () => (await eventsFor(namespace)).find((e) => e.reason === 'RoutesNotApplied'), { what: 'a RoutesNotApplied Event' });
    expect(event).toMatchObject({ type: 'Warning', message: ready.message });
    const after = (await getIstio(namespace, 'virtualservices'))!;
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);

    // Fixing the field lets sluice write its routes again.
    patchShift(namespace, { spec: { route: { retries: { attempts: 3 } } } });
    await waitForPhase(namespace, (st) => st.phase === 'Idle' && st.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True'), 60_000);
    await waitFor(async () => ((await getIstio(namespace, 'virtualservices'))!.spec as any).http.at(-1).retries?.attempts === 3 || undefined, { what: 'the retries written' });
  });

  it('deleting a shift mid-canary pins 100 % to stable in one write and keeps the routes', async () => {
    namespace = await newNamespace('d-delete');
    await givenReviews(namespace, ['v1', 'v2']);
    await daemon();
    await traffic();
    await startShiftToV2(canarySpec('v1', { strategy: { canary: { steps: [20, 60], stepInterval: '5m' } } }));
    await waitForPhase(namespace, (s) => s.phase === 'Progressing' && s.weights?.candidate === 20, 60_000);
    const before = (await getIstio(namespace, 'virtualservices'))!;

    kubectlDelete(namespace);
    await waitFor(async () => (await getShift(namespace)) === undefined, { timeoutMs: 60_000, what: 'the shift to be gone' });
    await sleep(3000); // the garbage collector would have acted by now
    const vs = (await getIstio(namespace, 'virtualservices'))!;
    expect(vs).toBeDefined();
    expect(weightsOf(vs)).toEqual({ v1: 100 });
    expect(vs.metadata.generation).toBe(before.metadata.generation + 1);
    expect(vs.metadata.ownerReferences ?? []).toEqual([]);
    expect(await getIstio(namespace, 'destinationrules')).toBeDefined();
  });

  it('resumes at the same step after SIGKILL, without an extra weight change', async () => {
    namespace = await newNamespace('d-kill');
    await givenReviews(namespace, ['v1', 'v2']);
    const first = await daemon('sluice-a');
    await traffic();
    await startShiftToV2(canarySpec('v1', { strategy: { canary: { steps: [20, 60], stepInterval: '20s' } } }));
    const atStep = await waitForPhase(namespace, (s) => s.phase === 'Progressing' && s.weights?.candidate === 20, 60_000);
    const vsBefore = (await getIstio(namespace, 'virtualservices'))!;

    await first.kill('SIGKILL');
    const second = await daemon('sluice-b');
    // The new daemon waits out the dead leader's lease, then reconciles: same step, no write.
    await waitFor(() => decisions(second).some((l) => l.namespace === namespace), { timeoutMs: 30_000, what: 'the restarted daemon to decide' });
    const resumed = (await getShift(namespace))!.status!;
    expect(resumed.step).toBe(atStep.step);
    expect(resumed.startedAt).toBe(atStep.startedAt);
    const vsAfter = (await getIstio(namespace, 'virtualservices'))!;
    expect(vsAfter.metadata.generation).toBe(vsBefore.metadata.generation);

    const next = await waitForPhase(namespace, (s) => s.weights?.candidate === 60 || s.phase === 'Promoted', 90_000);
    expect(next.weights.candidate).toBe(60);
    expect((await getIstio(namespace, 'virtualservices'))!.metadata.generation).toBe(vsBefore.metadata.generation + 1);
  });

  it('holds while Prometheus is unreachable, never promotes, and falls back at progressDeadline', async () => {
    // "Prometheus stopped" without stopping the shared one: this shift asks Prometheus through a
    // proxy of its own, and the test closes the proxy (connections refused from then on).
    namespace = await newNamespace('d-promdown');
    await givenReviews(namespace, ['v1', 'v2']);
    const proxy = await startProxy(process.env.SLUICE_PROMETHEUS_URL!);
    try {
      // The operator allows the proxy's URL (only configured Prometheus URLs are queried otherwise).
      await daemon('sluice-a', ['--allow-prometheus-url=http://127.0.0.1:*']);
      await traffic();
      await startShiftToV2(canarySpec('v1', { progressDeadline: '30s', analysis: { interval: '10s', minRequests: 5, maxErrorRate: 0.05, prometheus: { url: proxy.url } } }));
      await waitForPhase(namespace, (st) => st.phase === 'Progressing' && st.weights?.candidate === 20, 60_000);
      await proxy.close();

      let maxCandidate = 0;
      const status = await waitFor(
        async () => {
          maxCandidate = Math.max(maxCandidate, weightsOf(await getIstio(namespace, 'virtualservices')).v2 ?? 0);
          const st = (await getShift(namespace))?.status;
          return st?.phase === 'RolledBack' || st?.phase === 'Promoted' ? st : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 300, what: 'the shift to fall back' },
      );
      expect(status.phase).toBe('RolledBack');
      expect(maxCandidate).toBe(20);
      expect(weightsOf(await getIstio(namespace, 'virtualservices'))).toMatchObject({ v1: 100 });
      expect((await eventsFor(namespace)).map((e) => e.reason)).not.toContain('Promoted');
    } finally {
      await proxy.close();
    }
  });

  it('with two replicas only the leader acts; killing it hands over within the lease duration', async () => {
    namespace = await newNamespace('d-leader');
    await givenReviews(namespace, ['v1']);
    const a = await daemon('sluice-a');
    await waitFor(async () => (await a.metric('sluice_leader')) === 1, { what: 'sluice-a to lead' });
    const b = await daemon('sluice-b');
    await waitFor(async () => (await fetch(`${b.metricsUrl}/readyz`)).status === 200, { what: 'the standby to be ready' });
    await givenShift(namespace, canarySpec('v1'));
    await waitForPhase(namespace, 'Idle', 60_000);
    expect(await b.metric('sluice_leader')).toBe(0);
    expect(decisions(b)).toEqual([]);
    expect(decisions(a).length).toBeGreaterThan(0);

    await a.kill('SIGKILL');
    const killedAt = Date.now();
    await waitFor(async () => (await b.metric('sluice_leader')) === 1, { timeoutMs: 20_000, intervalMs: 200, what: 'sluice-b to take over' });
    expect(Date.now() - killedAt).toBeLessThan(6_000 + 2_000);
    patchShift(namespace, { spec: { strategy: { canary: { steps: [30, 60], stepInterval: '10s' } } } });
    await waitFor(() => decisions(b).length > 0, { timeoutMs: 20_000, what: 'sluice-b to reconcile' });
  });

  it('on SIGTERM finishes, releases the lease at once and exits 0', async () => {
    namespace = await newNamespace('d-term');
    await givenReviews(namespace, ['v1']);
    const a = await daemon('sluice-a');
    await waitFor(async () => (await a.metric('sluice_leader')) === 1, { what: 'sluice-a to lead' });
    const b = await daemon('sluice-b');
    await givenShift(namespace, canarySpec('v1'));
    await waitForPhase(namespace, 'Idle', 60_000);
    expect(await a.kill('SIGTERM')).toBe(0);
    const stoppedAt = Date.now();
    await waitFor(async () => (await b.metric('sluice_leader')) === 1, { timeoutMs: 10_000, intervalMs: 100, what: 'sluice-b to take over' });
    expect(Date.now() - stoppedAt).toBeLessThan(3_000);
  });

  it('blue-green: preview reaches only the candidate, the switch is 0 -> 100, and a failure in the rollback window switches back in one write', async () => {
    namespace = await newNamespace('d-bluegreen');
    await givenReviews(namespace, ['v1', 'v2']);
    await daemon();
    const spec = canarySpec('v1', {
      strategy: { blueGreen: { previewMatch: { headers: { 'x-preview': { exact: 'true' } } }, previewDuration: '15s', rollbackWindow: '5m' } },
    });
    await givenShift(namespace, spec);
    await waitForPhase(namespace, (st) => st.stableVersion === 'v1' && st.phase === 'Idle', 60_000);
    // Traffic starts once v1 has all of it, so every request v2 ever serves came through the preview.
    const s = await traffic([], { preview: { headers: { 'x-preview': 'true' }, rps: 10 } });
    await sleep(2000);
    patchShift(namespace, { spec: { version: 'v2' } });
    await waitForPhase(namespace, (st) => st.phase === 'Progressing' && st.candidateVersion === 'v2', 60_000);
    await sleep(5000);
    const sent = s.sent();
    const truth = s.totals(`${namespace}/reviews`);
    expect(weightsOf(await getIstio(namespace, 'virtualservices'))).toMatchObject({ v1: 100 });
    expect((truth.v2?.requests ?? 0)).toBeGreaterThan(0);
    expect(truth.v2!.requests).toBeLessThanOrEqual(sent[`${namespace}/reviews#preview`] ?? 0);

    const promoting = await waitForPhase(namespace, 'Promoting', 120_000);
    expect(promoting.weights).toEqual({ stable: 0, candidate: 100 });
    expect(weightsOf(await getIstio(namespace, 'virtualservices'))).toMatchObject({ v2: 100 });
    const generation = (await getIstio(namespace, 'virtualservices'))!.metadata.generation;

    s.setProfile({ namespace, service: 'reviews', version: 'v2', errorFraction: 0.5 });
    const back = await waitForPhase(namespace, 'RolledBack', 120_000);
    expect(back.stableVersion).toBe('v1');
    const vs = (await getIstio(namespace, 'virtualservices'))!;
    expect(weightsOf(vs)).toMatchObject({ v1: 100 });
    expect(vs.metadata.generation).toBe(generation + 1);
  });
});

/** A pass-through HTTP proxy to `target`; close() refuses connections from then on. */
const startProxy = (target: string): Promise<{ url: string; close: () => Promise<void> }> =>
  new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      const upstream = http.request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    let closed = false;
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          closed
            ? Promise.resolve()
            : new Promise<void>((r) => {
                closed = true;
                server.closeAllConnections();
                server.close(() => r());
              }),
      });
    });
  });

const kubectlDelete = (namespace: string): void => {
  // --wait=false: the finalizer holds the object until the daemon has released its routes.
  kubectlOk(['-n', namespace, 'delete', 'trafficshift', 'reviews', '--wait=false']);
};
