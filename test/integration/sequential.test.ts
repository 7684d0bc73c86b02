/**
 * The sequential gate end to end (issue 11, ADR 0010): `sluice run` against the real control
 * plane, Prometheus and the mesh simulator. The daemon reads the candidate's counts since the step
 * began (status.evidenceSince) from Prometheus every interval; a bad candidate falls back on the
 * first decisive verdict, a healthy one promotes, and with compareTo a failure stable shares holds.
 */
import { startMeshSim, type MeshSim } from '../mesh-sim/sim';
import {
  canarySpec, DaemonProcess, deleteNamespace, eventsFor, getIstio, getShift, givenReviews, givenShift, newNamespace, patchShift,
  startDaemon, waitForPhase, weightsOf,
} from './daemonFixtures';
import { waitFor } from './env';

jest.setTimeout(300_000);

/** canarySpec's gate (10s interval, 5 % limit, 5 requests) judged sequentially. */
const sequential = (over: Record<string, unknown> = {}) =>
  canarySpec('v1', { analysis: { interval: '10s', minRequests: 5, maxErrorRate: 0.05, failureThreshold: 2, method: 'sequential', ...over } });

describe('sluice run with analysis.method: sequential', () => {
  let namespace = '';
  let sim: MeshSim | undefined;
  const daemons: DaemonProcess[] = [];

  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.kill('SIGKILL');
    await sim?.stop();
    sim = undefined;
    await deleteNamespace(namespace);
  });

  /** Given v1 and v2 pods, the daemon, and traffic at 30 rps with these error fractions; v1 Idle, then spec.version = v2. */
  const givenShiftToV2 = async (prefix: string, spec: Record<string, unknown>, errors: Record<string, number>) => {
    namespace = await newNamespace(prefix);
    await givenReviews(namespace, ['v1', 'v2']);
    daemons.push(await startDaemon(namespace, 'sluice-a'));
    sim = await startMeshSim(
      {
        seed: 7,
        propagationDelayMs: 500,
        services: [{ namespace, service: 'reviews', rps: 30 }],
        profiles: Object.entries(errors).map(([version, errorFraction]) => ({ namespace, service: 'reviews', version, errorFraction })),
      },
      { log: () => undefined },
    );
    await givenShift(namespace, spec);
    await waitForPhase(namespace, (s) => s.stableVersion === 'v1' && s.phase === 'Idle', 60_000);
    patchShift(namespace, { spec: { version: 'v2' } });
  };

  it('falls back from a candidate answering 30 % 5xx on the first decisive verdict, with the odds in status', async () => {
    await givenShiftToV2('seq-bad', sequential(), { v2: 0.3 });

    const status = await waitForPhase(namespace, 'RolledBack', 150_000);
    expect(status.lastGate).toMatchObject({ result: 'Fail', version: 'v2', threshold: 0.05 });
    // The verdict names the counts since the step began and the odds against the limit, which a
    // person can recompute: LR = (p1/p0)^errors · ((1-p1)/(1-p0))^(requests-errors).
    expect(status.lastGate.message).toMatch(/^v2 failed: [\d.]+ of [\d.]+ requests failed in \d+s; 1 : [\d.e+]+ against ≤ 5 % \(falls back at 1 : 200\)$/);
    const p0 = 0.05;
    const p1 = (3 * p0) / (1 - p0 + 3 * p0);
    const { requests, errors, logLikelihoodRatio } = status.lastGate;
    expect(logLikelihoodRatio).toBeCloseTo(errors * Math.log(p1 / p0) + (requests - errors) * Math.log((1 - p1) / (1 - p0)), 6);
    // 2 judged steps at falseFailureRate 0.01 (the default): the line is 2 / 0.01 = 200 (ADR 0010)
    expect(logLikelihoodRatio).toBeGreaterThanOrEqual(Math.log(200));
    // Decisive: one failed verdict was enough (failureThreshold 2 does not apply to it).
    expect(status.consecutiveFailures).toBe(1);
    expect(weightsOf(await getIstio(namespace, 'virtualservices'))).toMatchObject({ v1: 100 });
    const rolledBack = (await eventsFor(namespace)).find((e) => e.reason === 'RolledBack');
    expect(rolledBack?.message).toMatch(/^GateFailed: v2 failed: .*; v1 back at 100 %$/);
  });

  it('promotes a healthy candidate, each step passed on the counts since it began', async () => {
    await givenShiftToV2('seq-good', sequential(), {});

    const passes = new Set<string>();
    const status = await waitFor(
      async () => {
        const s = (await getShift(namespace))?.status;
        if (s?.lastGate?.result === 'Pass') passes.add(s.lastGate.message);
        if (s?.evidenceSince !== undefined) expect(Date.parse(s.evidenceSince)).toBeGreaterThanOrEqual(Date.parse(s.startedAt));
        return s?.phase === 'Promoted' ? s : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 500, what: 'the sequential canary to be promoted' },
    );
    expect(status.stableVersion).toBe('v2');
    expect(weightsOf(await getIstio(namespace, 'virtualservices'))).toMatchObject({ v2: 100 });
    expect([...passes].filter((m) => !/^v2 passed: 0 of [\d.]+ requests failed in \d+s; \S+ : \S+ for ≤ 5 %/.test(m))).toEqual([]);
    expect(passes.size).toBeGreaterThan(0);
    expect((await eventsFor(namespace)).map((e) => e.reason)).toEqual(expect.arrayContaining(['StepAdvanced', 'Promoted']));
  });

  it('with compareTo: stable, holds at the first step when both versions fail 20 % (a shared downstream failure)', async () => {
    await givenShiftToV2('seq-shared', sequential({ compareTo: 'stable' }), { v1: 0.2, v2: 0.2 });

    const held = await waitFor(
      async () => {
        const s = (await getShift(namespace))?.status;
        return s?.lastGate?.hold === 'SharedFailure' ? s : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500, what: 'the gate to hold on a shared failure' },
    );
    expect(held.phase).toBe('Progressing');
    expect(held.lastGate).toMatchObject({ result: 'NoData', compared: { version: 'v1' } });
    expect(held.lastGate.message).toMatch(/^v2 and v1 both fail: v2 [\d.]+ of [\d.]+ requests failed in \d+s; 1 : \S+ against ≤ 5 %; v1 [\d.]+ of [\d.]+ \(1 : \S+ against ≤ 5 %\): a shared failure, not blamed on v2; holding$/);
    // Three more checks: still held at the first step, never fallen back.
    await new Promise((r) => setTimeout(r, 30_000));
    const later = (await getShift(namespace))?.status;
    expect(later?.phase).toBe('Progressing');
    expect(later?.step).toBe(0);
    expect(later?.lastGate.hold).toBe('SharedFailure');
    expect(weightsOf(await getIstio(namespace, 'virtualservices'))).toMatchObject({ v1: 80, v2: 20 });
    expect((await eventsFor(namespace)).map((e) => e.reason)).not.toContain('RolledBack');
  });
});
