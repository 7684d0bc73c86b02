/**
 * Mirroring end to end (issue 13): `sluice run` as a child process against the real control
 * plane, Prometheus and the mesh simulator. A canary with `strategy.canary.mirror` first has
 * Istio copy stable's requests to the candidate (the VirtualService's mirror + mirrorPercentage);
 * the simulator answers the copies with the candidate's pods and discards the answers, as Envoy
 * does, and reports them at the destination like Istio, so the gate judges the candidate on them.
 * Ground truth: `received()` (what clients got, per version) and `mirroredTotals()` (the copies).
 *
 * Each test has its own namespace (deleted afterwards) and its own daemon watching only it.
 */
import { startMeshSim, type MeshSim } from '../mesh-sim/sim';
import {
  canarySpec, DaemonProcess, deleteNamespace, eventsFor, getIstio, getShift, givenReviews, givenShift, newNamespace, patchShift, sleep, startDaemon, waitForPhase,
  weightsOf,
} from './daemonFixtures';
import { waitFor } from './env';

jest.setTimeout(300_000);

type Http = { name?: string; mirror?: { subset?: string }; mirrorPercentage?: { value?: number } }[];
type Snapshot = { received: Readonly<Record<string, number>>; copies: number };

/** The primary route's mirror as "subset@percent", or undefined when it mirrors nothing. */
const mirrorOf = (vs: { spec: { http?: unknown } } | undefined): string | undefined => {
  const primary = ((vs?.spec.http ?? []) as Http).find((r) => r.name === 'primary');
  return primary?.mirror ? `${primary.mirror.subset}@${primary.mirrorPercentage?.value}` : undefined;
};

/** A canary (steps 50, 10s gate, 5 % limit, 2 failures) that first mirrors `percentage` % for `iterations` gate intervals. */
const mirrorCanary = (version: string, percentage: number, iterations: number) =>
  canarySpec(version, { strategy: { canary: { steps: [50], stepInterval: '10s', mirror: { percentage, iterations } } } });

describe('mirroring', () => {
  let namespace = '';
  let sim: MeshSim | undefined;
  const daemons: DaemonProcess[] = [];

  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.kill('SIGKILL');
    await sim?.stop();
    sim = undefined;
    await deleteNamespace(namespace);
  });

  /** v1 stable at 100 % under a daemon, and a simulator sending 40 requests a second. */
  const givenStableV1 = async (prefix: string, seed: number): Promise<{ sim: MeshSim; main: string }> => {
    namespace = await newNamespace(prefix);
    await givenReviews(namespace, ['v1', 'v2'], { replicas: 1 });
    daemons.push(await startDaemon(namespace, 'sluice-a'));
    await givenShift(namespace, mirrorCanary('v1', 50, 2));
    await waitForPhase(namespace, (st) => st.stableVersion === 'v1' && st.phase === 'Idle', 60_000);
    sim = await startMeshSim({ seed, propagationDelayMs: 500, services: [{ namespace, service: 'reviews', rps: 40 }] }, { log: () => undefined });
    return { sim, main: `${namespace}/reviews` };
  };

  /**
   * Reads the simulator, then the VirtualService, every 500 ms until `done` says stop; returns the
   * last reading taken while the primary route still mirrored to v2 at weight 0. The simulator only
   * acts on routes the API server already has, so a reading followed by a VirtualService that still
   * mirrors at 0 % was served entirely under routes that gave clients no v2.
   */
  const watchMirroring = async (s: MeshSim, main: string, done: () => Promise<boolean>): Promise<Snapshot | undefined> => {
    let last: Snapshot | undefined;
    for (;;) {
      const reading: Snapshot = { received: { ...(s.received()[main] ?? {}) }, copies: s.mirroredTotals(main).v2?.requests ?? 0 };
      const vs = await getIstio(namespace, 'virtualservices');
      if (mirrorOf(vs) === 'v2@50' && (weightsOf(vs).v2 ?? 0) === 0) last = reading;
      if (await done()) return last;
      await sleep(500);
    }
  };

  it('a good candidate: clients get only stable while the candidate answers copies and passes the gate on them, then it steps up and is promoted', async () => {
    // Given v1 stable and a canary that mirrors 50 % of requests to the candidate for 2 gate intervals.
    const { sim: s, main } = await givenStableV1('m-good', 21);

    // When v2 becomes the version, Then the primary route mirrors 50 % to v2 while v1 keeps 100 %.
    patchShift(namespace, { spec: { version: 'v2' } });
    await waitFor(async () => (mirrorOf(await getIstio(namespace, 'virtualservices')) === 'v2@50' ? true : undefined), { timeoutMs: 60_000, what: 'the mirror on the primary route' });
    const shift = await waitForPhase(namespace, (st) => st.candidateVersion === 'v2', 10_000);
    expect(shift).toMatchObject({ phase: 'Progressing', step: -1, weights: { stable: 100, candidate: 0 } });

    // And until the first step, every client answer came from v1 while v2 answered about half as many copies.
    let stepped: Record<string, any> | undefined;
    const mirrored = await watchMirroring(s, main, async () => {
      const st = (await getShift(namespace))?.status as Record<string, any> | undefined;
      stepped = st !== undefined && ((st.step ?? -1) >= 0 || st.phase !== 'Progressing') ? st : undefined;
      return stepped !== undefined;
    });
    expect(stepped).toMatchObject({ phase: 'Progressing', step: 0 });
    expect(mirrored).toBeDefined();
    expect(Object.keys(mirrored!.received)).toEqual(['v1']);
    expect(mirrored!.copies).toBeGreaterThan(100); // 20 copies a second for at least 2 intervals of 10s
    expect(mirrored!.copies / mirrored!.received.v1!).toBeGreaterThan(0.25);
    expect(mirrored!.copies / mirrored!.received.v1!).toBeLessThan(0.6);
    // The gate judged v2 on the copies (Prometheus at reporter="destination") and let the first step begin.
    const history = (stepped!.history as { event: string; message: string; weights: { candidate: number } }[]);
    const passed = history.find((h) => h.event === 'MirrorPassed');
    expect(passed?.message).toMatch(/^v2 passed 2 gate intervals on mirrored requests \(v2 passed: 0 of [\d.]+ requests failed/);
    expect(Number(/0 of ([\d.]+) requests/.exec(passed!.message)![1])).toBeGreaterThanOrEqual(5);
    expect((await eventsFor(namespace)).some((e) => e.reason === 'MirrorPassed')).toBe(true);

    // Then the first step stops mirroring and gives v2 real clients, and a passing gate promotes it.
    await waitFor(async () => {
      const vs = await getIstio(namespace, 'virtualservices');
      return mirrorOf(vs) === undefined && weightsOf(vs).v2 === 50 ? true : undefined;
    }, { timeoutMs: 30_000, what: 'the first step without mirror' });
    const promoted = await waitForPhase(namespace, 'Promoted', 120_000);
    expect(promoted.stableVersion).toBe('v2');
    expect(promoted.lastGate.result).toBe('Pass');
    const clients = s.received()[main]!;
    expect(clients.v2).toBeGreaterThan(0);
    // The per-stream counts add up to the ledger; the copies are in neither.
    expect(clients).toEqual(Object.fromEntries(Object.entries(s.totals(main)).map(([v, t]) => [v, t.requests])));
  });

  it('a bad candidate is caught while mirroring: fallback, no mirror any more, and not one client answer from it', async () => {
    // Given v1 stable, and v2 failing 60 % of its requests.
    const { sim: s, main } = await givenStableV1('m-bad', 22);
    s.setProfile({ namespace, service: 'reviews', version: 'v2', errorFraction: 0.6 });

    // When v2 becomes the version (mirroring 50 % for 2 intervals before any step),
    patchShift(namespace, { spec: { version: 'v2' } });
    await waitFor(async () => (mirrorOf(await getIstio(namespace, 'virtualservices')) === 'v2@50' ? true : undefined), { timeoutMs: 60_000, what: 'the mirror on the primary route' });

    // Then the gate fails v2 on the copies and falls back in one write, before any step.
    const back = await waitForPhase(namespace, 'RolledBack', 120_000);
    expect(back).toMatchObject({ stableVersion: 'v1', candidateVersion: 'v2', step: -1, weights: { stable: 100, candidate: 0 } });
    expect(back.lastGate.result).toBe('Fail');
    expect((back.history as { weights: { candidate: number } }[]).every((h) => h.weights.candidate === 0)).toBe(true);
    await waitFor(async () => (mirrorOf(await getIstio(namespace, 'virtualservices')) === undefined ? true : undefined), { timeoutMs: 30_000, what: 'the mirror to go' });
    const vs = await getIstio(namespace, 'virtualservices');
    expect(weightsOf(vs)).toEqual({ v1: 100, v2: 0 });
    expect((await eventsFor(namespace)).find((e) => e.reason === 'RolledBack')?.type).toBe('Warning');

    // And v2 answered copies (about 60 % of them failed), yet no client ever got an answer from it.
    await sleep(1500);
    const copies = s.mirroredTotals(main).v2!;
    expect(copies.requests).toBeGreaterThan(20);
    expect(copies.failures / copies.requests).toBeGreaterThan(0.4);
    const after = s.received()[main]!;
    await sleep(3000);
    expect(s.mirroredTotals(main).v2!.requests).toBe(copies.requests); // mirroring stopped
    expect(Object.keys(s.received()[main]!)).toEqual(['v1']);
    expect(s.received()[main]!.v1).toBeGreaterThan(after.v1!);
    expect(s.totals(main).v2).toBeUndefined();
  });
});
