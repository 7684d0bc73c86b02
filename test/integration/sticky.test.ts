/**
 * Sticky canary end to end (issue 13, strategy.canary.sessionAffinity): `sluice run` against the
 * real control plane and Prometheus, and the mesh simulator routing a population of users, each
 * with a cookie jar, the way Envoy would with the VirtualService sluice wrote (Set-Cookie from the
 * route's destination headers, the cookie sent back on later requests, expired by Max-Age=0).
 * The simulator's per-user histories (`users()`) are the ground truth of who got which version.
 *
 * Each test has its own namespace (deleted afterwards) and its own daemon watching only it.
 */
import { startMeshSim, type MeshSim, type UserHistory } from '../mesh-sim/sim';
import {
  canarySpec, DaemonProcess, deleteNamespace, eventsFor, getIstio, givenReviews, givenShift, newNamespace, patchShift, sleep, startDaemon,
  waitForPhase, weightsOf,
} from './daemonFixtures';
import { waitFor } from './env';

jest.setTimeout(300_000);

/** Time for a route write to reach the simulated data plane (propagationDelayMs 500) plus a tick. */
const PROPAGATION_MS = 1500;
const COOKIE = 'reviews-canary';
const USERS = 60;

const stickySpec = (version: string) =>
  canarySpec(version, { strategy: { canary: { steps: [20, 50], stepInterval: '10s', sessionAffinity: { cookieName: COOKIE, maxAge: '1h' } } } });

type Route = { name: string; route: { destination: { subset: string }; weight: number; headers?: { response?: { add?: Record<string, string> } } }[] };
const routesOf = async (namespace: string): Promise<Route[]> => ((await getIstio(namespace, 'virtualservices'))?.spec.http ?? []) as Route[];
/** The sequence of versions that served a user, runs collapsed: "v1 v2". */
const shape = (h: UserHistory): string => h.runs.map((r) => r.version).join(' ');
/** The simulator's current second since it started (the unit of `runs`). */
const secondNow = (sim: MeshSim): number => Math.floor((Date.now() - sim.ledger().startedAtMs) / 1000);

describe('sticky canary', () => {
  let namespace = '';
  let sim: MeshSim | undefined;
  const daemons: DaemonProcess[] = [];

  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.kill('SIGKILL');
    await sim?.stop();
    sim = undefined;
    await deleteNamespace(namespace);
  });

  /** v1 stable under a sticky canary shift, a daemon, and the simulator: 60 users with jars, plus anonymous clients. */
  const given = async (prefix: string): Promise<{ sim: MeshSim; users: string; anonymous: string }> => {
    namespace = await newNamespace(prefix);
    await givenReviews(namespace, ['v1', 'v2'], { replicas: 1 });
    daemons.push(await startDaemon(namespace, 'sluice-a'));
    await givenShift(namespace, stickySpec('v1'));
    await waitForPhase(namespace, (st) => st.stableVersion === 'v1' && st.phase === 'Idle', 60_000);
    sim = await startMeshSim(
      { seed: 17, propagationDelayMs: 500, services: [{ namespace, service: 'reviews', rps: 4, streams: [{ name: 'users', rps: 30, users: USERS }] }] },
      { log: () => undefined },
    );
    return { sim, users: `${namespace}/reviews#users`, anonymous: `${namespace}/reviews` };
  };

  /** Every stream's per-version counts add up to the ledger, and every user's to its stream's. */
  const expectLedgerAddsUp = (s: MeshSim, users: string) => {
    const perVersion: Record<string, number> = {};
    for (const versions of Object.values(s.received())) for (const [v, n] of Object.entries(versions)) perVersion[v] = (perVersion[v] ?? 0) + n;
    expect(perVersion).toEqual(Object.fromEntries(Object.entries(s.totals(`${namespace}/reviews`)).map(([v, t]) => [v, t.requests])));
    const perUser: Record<string, number> = {};
    for (const h of Object.values(s.users(users))) for (const [v, n] of Object.entries(h.versions)) perUser[v] = (perUser[v] ?? 0) + n;
    expect(perUser).toEqual(s.received()[users]);
  };

  it('keeps every user the candidate served on it through the steps and the promotion; the cookie is expired afterwards', async () => {
    const { sim: s, users } = await given('st-promote');

    // When v2 is the new version
    patchShift(namespace, { spec: { version: 'v2' } });
    await waitForPhase(namespace, (st) => st.phase === 'Progressing' && st.candidateVersion === 'v2', 60_000);
    // Status is written before the routes (ADR 0005): wait for the sticky route itself.
    await waitFor(async () => ((await routesOf(namespace)).some((r) => r.name === 'sticky') ? true : undefined), { timeoutMs: 30_000, what: 'the sticky route' });
    const atFirstStep = await routesOf(namespace);
    expect(atFirstStep.map((r) => r.name)).toEqual(['sticky', 'primary']);
    expect(atFirstStep[1]!.route.find((d) => d.destination.subset === 'v2')?.headers?.response?.add?.['Set-Cookie']).toBe(`${COOKIE}=v2; Max-Age=3600; Path=/`);
    await waitFor(async () => (weightsOf(await getIstio(namespace, 'virtualservices')).v2 === 50 ? true : undefined), { timeoutMs: 90_000, what: 'the second step (50 %)' });
    const secondStep = secondNow(s);
    const promoted = await waitForPhase(namespace, 'Promoted', 120_000);
    expect(promoted.stableVersion).toBe('v2');
    expect(promoted.lastGate.result).toBe('Pass');
    await waitFor(async () => ((await routesOf(namespace)).some((r) => r.name === 'sticky-expire') ? true : undefined), { timeoutMs: 30_000, what: 'the sticky-expire route' });
    const promotedAt = secondNow(s);
    await sleep(PROPAGATION_MS + 6000);

    // Then every user's history is v1 until v2 first served them, and v2 ever after: no way back through the steps and the promotion.
    const histories = Object.values(s.users(users));
    expect(histories.length).toBe(USERS);
    const shapes = histories.map(shape);
    expect(shapes.filter((x) => x !== 'v1 v2' && x !== 'v2')).toEqual([]);
    // Many were pinned at the first step, before the promotion, and kept v2 across the step to 50 %.
    const pinnedEarly = histories.filter((h) => h.runs.some((r) => r.version === 'v2' && r.fromSecond < secondStep && r.toSecond > secondStep));
    expect(pinnedEarly.length).toBeGreaterThan(USERS / 3);
    // After the promotion the expiring route removed the cookie of everyone who came back.
    const cameBack = histories.filter((h) => h.runs[h.runs.length - 1]!.toSecond > promotedAt + 2);
    expect(cameBack.length).toBeGreaterThan(USERS / 2);
    expect(cameBack.filter((h) => h.cookie !== '').map((h) => h.cookie)).toEqual([]);
    expectLedgerAddsUp(s, users);
  });

  it('sends every pinned user back to stable after a fallback, and no route takes the cookie to the candidate', async () => {
    const { sim: s, users, anonymous } = await given('st-fallback');

    // When v2 answers half its requests with 500 and becomes the new version
    s.setProfile({ namespace, service: 'reviews', version: 'v2', errorFraction: 0.5 });
    patchShift(namespace, { spec: { version: 'v2' } });
    await waitForPhase(namespace, (st) => st.phase === 'Progressing' && st.candidateVersion === 'v2', 60_000);
    const back = await waitForPhase(namespace, 'RolledBack', 120_000);
    expect(back.lastGate.result).toBe('Fail');
    await waitFor(async () => ((await routesOf(namespace)).some((r) => r.name === 'sticky-expire') ? true : undefined), { timeoutMs: 30_000, what: 'the sticky-expire route' });
    const fallbackAt = secondNow(s);

    // Then the routes name v2 nowhere with weight, and the cookie goes to v1 with Max-Age=0.
    const routes = await routesOf(namespace);
    expect(routes.map((r) => r.name)).toEqual(['sticky-expire', 'primary']);
    expect(routes.flatMap((r) => r.route.filter((d) => d.destination.subset === 'v2' && d.weight > 0))).toEqual([]);
    expect(routes[0]!.route).toEqual([expect.objectContaining({ destination: expect.objectContaining({ subset: 'v1' }), weight: 100, headers: { response: { add: { 'Set-Cookie': `${COOKIE}=; Max-Age=0; Path=/` } } } })]);
    expect((await eventsFor(namespace)).find((e) => e.reason === 'RolledBack')?.type).toBe('Warning');
    await sleep(PROPAGATION_MS);
    const settled = secondNow(s);
    const before = s.received();
    await sleep(8000);

    // And every user v2 had pinned is back on v1, with the cookie gone; nobody gets v2 any more.
    const histories = Object.values(s.users(users));
    const pinned = histories.filter((h) => h.runs.some((r) => r.version === 'v2' && r.toSecond < fallbackAt));
    expect(pinned.length).toBeGreaterThan(USERS / 3);
    // While the shift ran, a pinned user never went back to v1: v1 until v2, then v2 until the fallback.
    for (const h of pinned) {
      const during = h.runs.filter((r) => r.toSecond < fallbackAt).map((r) => r.version).join(' ');
      expect(['v1 v2', 'v2']).toContain(during);
    }
    const afterwards = pinned.filter((h) => h.runs[h.runs.length - 1]!.toSecond > settled + 1);
    expect(afterwards.length).toBeGreaterThan(pinned.length / 2);
    expect(afterwards.map((h) => h.runs[h.runs.length - 1]!.version)).toEqual(afterwards.map(() => 'v1'));
    expect(afterwards.filter((h) => h.cookie !== '').map((h) => h.cookie)).toEqual([]);
    const after = s.received();
    expect((after[users]?.v2 ?? 0) - (before[users]?.v2 ?? 0)).toBe(0);
    expect((after[anonymous]?.v2 ?? 0) - (before[anonymous]?.v2 ?? 0)).toBe(0);
    expectLedgerAddsUp(s, users);
  });

  it('refuses sessionAffinity with spec.routing gatewayAPI as a condition and an Event naming the field, and writes no route', async () => {
    namespace = await newNamespace('st-invalid');
    await givenReviews(namespace, ['v1'], { replicas: 1 });
    daemons.push(await startDaemon(namespace, 'sluice-a'));
    await givenShift(namespace, { ...stickySpec('v1'), routing: 'gatewayAPI' });
    const readyOf = (st: Record<string, any>) => st.conditions?.find((c: { type: string }) => c.type === 'Ready');
    const sentence = `${namespace}/reviews: spec.strategy.canary.sessionAffinity: {"cookieName":"${COOKIE}","maxAge":"1h"} is not supported with spec.routing: gatewayAPI (sluice renders the sticky cookie routes as VirtualService routes only); expected no sessionAffinity, or spec.routing: virtualService`;
    const invalid = await waitForPhase(namespace, (st) => readyOf(st)?.reason === 'InvalidSpec', 60_000);
    expect(readyOf(invalid)).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(readyOf(invalid).message).toContain(sentence);
    const event = await waitFor(async () => (await eventsFor(namespace)).find((e) => e.reason === 'InvalidSpec'), { what: 'an InvalidSpec Event' });
    expect(event.type).toBe('Warning');
    expect(event.message).toContain(sentence);
    expect(await getIstio(namespace, 'virtualservices')).toBeUndefined();
    expect(await getIstio(namespace, 'destinationrules')).toBeUndefined();
  });
});
