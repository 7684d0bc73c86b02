import * as E from 'fp-ts/Either';
import * as TE from 'fp-ts/TaskEither';
import { createElector, ElectorClock, fenceWrites, LeaderConfig, Leadership, NO_OBSERVATION, planLease } from '../../../src/daemon/leader';
import { notLeader, unavailable } from '../../../src/kube/errors';
import { Kube } from '../../../src/kube/kube';
import { KubeObject, LEASES, Lease, VIRTUAL_SERVICES } from '../../../src/kube/objects';
import { memoryKube, MemoryKube } from '../kube/memoryKube';

const timing = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
const config = (identity: string): LeaderConfig => ({ namespace: 'sluice-system', name: 'sluice-leader', identity, ...timing });

const settle = () => new Promise<void>((r) => setImmediate(r));

/** The memory store's clock as a monotonic clock, with timers that fire as time is advanced. */
const fakeClock = (mem: MemoryKube, earlyMs = 0) => {
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: ElectorClock = {
    now: mem.now,
    wallNow: mem.now,
    setTimeout: (fn, ms) => {
      timers.set(++seq, { at: mem.now() + ms - Math.min(earlyMs, ms / 2), fn });
      return seq;
    },
    clearTimeout: (h) => void timers.delete(h as number),
  };
  /** Move time forward by `ms`, firing due timers in order (and letting their promises settle). */
  const advance = async (ms: number): Promise<void> => {
    const end = mem.now() + ms;
    for (;;) {
      const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      mem.advance(due[1].at - mem.now());
      due[1].fn();
      await settle();
    }
    mem.advance(end - mem.now());
    await settle();
  };
  return { clock, advance };
};

const setup = (earlyMs = 0) => {
  const mem = memoryKube();
  const { clock, advance } = fakeClock(mem, earlyMs);
  const transitions: string[] = [];
  const elector = (id: string, kube: Kube = mem.kube) =>
    createElector(kube, config(id), { onStartedLeading: () => transitions.push(`${id} leads`), onStoppedLeading: () => transitions.push(`${id} stops`) }, clock);
  return { mem, elector, transitions, advance };
};

const leaseSpec = (mem: MemoryKube) => (mem.read(LEASES, 'sluice-system', 'sluice-leader') as Lease).spec;

describe('leader election', () => {
  it('with two replicas exactly one leads', async () => {
    const { elector } = setup();
    const a = elector('a');
    const b = elector('b');
    const results = await Promise.all([a.tryAcquireOrRenew(), b.tryAcquireOrRenew()]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(await b.tryAcquireOrRenew()).toBe(false);
  });

  it('a standby takes over once the leader has not renewed for the lease duration', async () => {
    const { elector, transitions, advance } = setup();
    const a = elector('a');
    const b = elector('b');
    await a.tryAcquireOrRenew();
    await b.tryAcquireOrRenew(); // b observes a's record now
    await advance(14_000);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    await advance(1_000);
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(transitions).toEqual(['a leads', 'a stops', 'b leads']); // a stopped at its renew deadline, 10 s in
  });

  it('a leader keeps the lease while it renews', async () => {
    const { elector, advance, transitions } = setup();
    const a = elector('a');
    const b = elector('b');
    await a.tryAcquireOrRenew();
    for (let t = 0; t < 60_000; t += 2_000) {
      await advance(2_000);
      expect(await a.tryAcquireOrRenew()).toBe(true);
      expect(await b.tryAcquireOrRenew()).toBe(false);
    }
    expect(transitions).toEqual(['a leads']);
  });

  it('a leader whose renewals fail stops leading at its renew deadline, not at the next attempt', async () => {
    const { mem, elector, transitions, advance } = setup();
    const a = elector('a');
    await a.tryAcquireOrRenew(); // sent at t0: leads until t0 + 10 s
    for (let i = 0; i < 4; i++) {
      mem.failNext('get', (ref) => unavailable(ref, 'down'));
      await advance(2_000);
      expect(await a.tryAcquireOrRenew()).toBe(true);
    }
    await advance(1_999); // t0 + 9.999 s
    expect(a.isLeader()).toBe(true);
    await advance(1); // t0 + 10 s: the expiry timer fires, no attempt needed
    expect(a.isLeader()).toBe(false);
    expect(transitions).toEqual(['a leads', 'a stops']);
  });

  it('a deadline timer that fires early (as real timers may) still ends leadership at the deadline', async () => {
    const { elector, transitions, advance } = setup(1); // timers fire up to 1 ms early
    const a = elector('a');
    await a.tryAcquireOrRenew();
    await advance(9_999); // the expiry timer fired at 9.999 s: too early, it waits the rest
    expect(a.isLeader()).toBe(true);
    await advance(1);
    expect(transitions).toEqual(['a leads', 'a stops']);
  });

  it('isLeader reads the clock: past the deadline it is false even before any timer has run', async () => {
    const { mem, elector } = setup();
    const a = elector('a');
    await a.tryAcquireOrRenew();
    const term = a.leadership();
    mem.advance(9_999); // time moves, no timers fire
    expect(a.isLeader()).toBe(true);
    expect(term.remainingMs()).toBe(1);
    mem.advance(1);
    expect(a.isLeader()).toBe(false);
    expect(term.remainingMs()).toBe(0);
  });

  it('a renewal that hangs ends leadership at the renew deadline counted from when the last successful renewal was sent', async () => {
    const { mem, elector, transitions, advance } = setup();
    const a = elector('a');
    await a.tryAcquireOrRenew(); // t0
    await advance(2_000);
    expect(await a.tryAcquireOrRenew()).toBe(true); // sent at t0 + 2 s: leads until t0 + 12 s
    await advance(2_000);
    const release = mem.hangNext('replace');
    const hung = a.tryAcquireOrRenew(); // t0 + 4 s, never answered in time
    let answered: boolean | undefined;
    void hung.then((v) => (answered = v));
    await advance(7_999);
    expect(answered).toBeUndefined();
    expect(a.isLeader()).toBe(true);
    await advance(1); // t0 + 12 s
    expect(a.isLeader()).toBe(false);
    expect(answered).toBe(false); // the attempt was abandoned at the deadline
    expect(transitions).toEqual(['a leads', 'a stops']);
    // The renewal lands late (it was sent at t0 + 4 s, so the lease record is a's): its answer is dropped.
    release();
    await settle();
    expect(a.isLeader()).toBe(false);
    expect(leaseSpec(mem)?.holderIdentity).toBe('a');
    // The next attempt renews a's own lease and a leads again, in a new term.
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(transitions).toEqual(['a leads', 'a stops', 'a leads']);
  });

  it('when the leader is cut off, it stops leading before the standby can take over', async () => {
    const { mem, elector, advance } = setup();
    let cut = false;
    // a's lease calls hang once it is cut off (a stalled connection).
    const kubeOfA: Kube = { ...mem.kube, get: (ref) => (cut ? () => new Promise(() => undefined) : mem.kube.get(ref)) };
    const a = elector('a', kubeOfA);
    const b = elector('b');
    await a.tryAcquireOrRenew();
    await b.tryAcquireOrRenew(); // b sees a's record now
    const aUntil = mem.now() + timing.renewDeadlineMs;
    cut = true;
    void a.tryAcquireOrRenew();
    let bLeadsAt: number | undefined;
    let aLeadingThen: boolean | undefined;
    for (let i = 0; i < 30 && bLeadsAt === undefined; i++) {
      await advance(1_000);
      if (await b.tryAcquireOrRenew()) {
        bLeadsAt = mem.now();
        aLeadingThen = a.isLeader();
      }
    }
    expect(bLeadsAt).toBe(aUntil + timing.leaseDurationMs - timing.renewDeadlineMs);
    expect(aLeadingThen).toBe(false);
  });

  it("release hands the lease over at the standby's next retry", async () => {
    const { mem, elector, advance } = setup();
    const a = elector('a');
    const b = elector('b');
    await a.tryAcquireOrRenew();
    await b.tryAcquireOrRenew();
    await a.release();
    expect(leaseSpec(mem)).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    await advance(2_000);
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(a.isLeader()).toBe(false);
  });

  it('a term ends for good: leading again is a new term, and the old term has no time left', async () => {
    const { elector, advance } = setup();
    const a = elector('a');
    await a.tryAcquireOrRenew();
    const first = a.leadership();
    expect(first.remainingMs()).toBe(10_000);
    await advance(10_000);
    expect(first.remainingMs()).toBe(0);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(a.leadership().remainingMs()).toBe(10_000);
    expect(first.remainingMs()).toBe(0);
  });
});

describe('planLease (pure)', () => {
  const c = config('a');
  const lease = (spec: Lease['spec']): Lease => ({ metadata: { name: 'sluice-leader', namespace: 'sluice-system', resourceVersion: '7' }, spec });
  const wall = Date.parse('2026-12-03T08:00:00Z');

  it('creates the Lease holding it when there is none', () => {
    expect(planLease(undefined, NO_OBSERVATION, c, 5, wall).action).toEqual({
      _tag: 'Create',
      spec: { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: '2026-12-03T08:00:00.000000Z', renewTime: '2026-12-03T08:00:00.000000Z', leaseTransitions: 0 },
    });
  });

  it("waits while another holder's record is younger than its duration on this replica's clock", () => {
    const held = lease({ holderIdentity: 'b', renewTime: '2020-01-01T00:00:00.000000Z', leaseDurationSeconds: 15, leaseTransitions: 3 });
    const first = planLease(held, NO_OBSERVATION, c, 1_000, wall);
    expect(first.action).toEqual({ _tag: 'Wait', holder: 'b', expiresInMs: 15_000 }); // renewTime from another clock is ignored
    const later = planLease(held, first.seen, c, 15_999, wall);
    expect(later.action).toEqual({ _tag: 'Wait', holder: 'b', expiresInMs: 1 });
    const expired = planLease(held, later.seen, c, 16_000, wall);
    expect(expired.action).toMatchObject({ _tag: 'Update', takeover: true, spec: { holderIdentity: 'a', leaseTransitions: 4 } });
  });

  it('a changed record restarts the wait', () => {
    const before = planLease(lease({ holderIdentity: 'b', renewTime: 'r1', leaseDurationSeconds: 15 }), NO_OBSERVATION, c, 0, wall);
    const renewed = planLease(lease({ holderIdentity: 'b', renewTime: 'r2', leaseDurationSeconds: 15 }), before.seen, c, 14_000, wall);
    expect(renewed.action).toEqual({ _tag: 'Wait', holder: 'b', expiresInMs: 15_000 });
  });

  it('renews its own lease keeping acquireTime and transitions', () => {
    const own = lease({ holderIdentity: 'a', acquireTime: 'then', renewTime: 'r1', leaseDurationSeconds: 15, leaseTransitions: 2 });
    expect(planLease(own, NO_OBSERVATION, c, 0, wall).action).toEqual({
      _tag: 'Update', takeover: false,
      spec: { holderIdentity: 'a', acquireTime: 'then', renewTime: '2026-12-03T08:00:00.000000Z', leaseDurationSeconds: 15, leaseTransitions: 2 },
    });
  });

  it('takes a released lease at once', () => {
    expect(planLease(lease({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 1 }), NO_OBSERVATION, c, 0, wall).action).toMatchObject({
      _tag: 'Update', takeover: true, spec: { holderIdentity: 'a', leaseTransitions: 2 },
    });
  });
});

describe('fenceWrites', () => {
  const vs: KubeObject = { metadata: { name: 'reviews', namespace: 'shop', resourceVersion: '1' }, spec: {} };
  const term = (ms: number): Leadership => ({ remainingMs: () => ms });

  it('refuses a write when the term has no time left, without sending it', async () => {
    const mem = memoryKube();
    mem.seed(VIRTUAL_SERVICES, vs);
    const r = await fenceWrites(mem.kube, term(0)).replace(VIRTUAL_SERVICES, mem.read(VIRTUAL_SERVICES, 'shop', 'reviews')!)();
    expect(r).toEqual(E.left(notLeader(
      { resource: VIRTUAL_SERVICES, namespace: 'shop', name: 'reviews' },
      'update VirtualService shop/reviews: refused: this replica does not hold the leader lease (lost, or not renewed within --renew-deadline)',
    )));
    expect(mem.writes).toEqual([]);
  });

  it('checks leadership when the write runs, not when it was built', async () => {
    const mem = memoryKube();
    mem.seed(VIRTUAL_SERVICES, vs);
    let left = 5_000;
    const write = fenceWrites(mem.kube, { remainingMs: () => left }).mergePatch({ resource: VIRTUAL_SERVICES, namespace: 'shop', name: 'reviews' }, { spec: { x: 1 } });
    left = 0;
    expect(E.isLeft(await write())).toBe(true);
    left = 5_000;
    expect(E.isRight(await write())).toBe(true);
    expect(mem.writes.map((w) => w.verb)).toEqual(['mergePatch']);
  });

  it('lets reads through and writes while leading', async () => {
    const mem = memoryKube();
    mem.seed(VIRTUAL_SERVICES, vs);
    const fenced = fenceWrites(mem.kube, term(0));
    expect(E.isRight(await fenced.get({ resource: VIRTUAL_SERVICES, namespace: 'shop', name: 'reviews' })())).toBe(true);
    expect(E.isRight(await fenceWrites(mem.kube, term(5_000)).create(VIRTUAL_SERVICES, { metadata: { name: 'other', namespace: 'shop' } })())).toBe(true);
  });

  it('aborts a write in flight when the term ends', async () => {
    const signals: (AbortSignal | undefined)[] = [];
    // A Kube whose writes answer only when their signal aborts (an API server that hangs).
    const hanging: Kube = {
      get: () => TE.left(unavailable({ resource: VIRTUAL_SERVICES, namespace: '', name: '' }, 'unused')),
      create: () => TE.left(unavailable({ resource: VIRTUAL_SERVICES, namespace: '', name: '' }, 'unused')),
      replace: (resource, obj, options) => () => {
        signals.push(options?.signal);
        return new Promise((resolve) =>
          options?.signal?.addEventListener('abort', () => resolve(E.left(notLeader({ resource, namespace: 'shop', name: obj.metadata.name }, 'abandoned in flight')))));
      },
      mergePatch: () => TE.left(unavailable({ resource: VIRTUAL_SERVICES, namespace: '', name: '' }, 'unused')),
      replaceStatus: () => TE.left(unavailable({ resource: VIRTUAL_SERVICES, namespace: '', name: '' }, 'unused')),
    };
    const started = Date.now();
    const r = await fenceWrites(hanging, term(50)).replace(VIRTUAL_SERVICES, vs)();
    expect(E.isLeft(r) && r.left._tag).toBe('NotLeader');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);
  });
});
