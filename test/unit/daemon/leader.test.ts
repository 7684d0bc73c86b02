import { createElector, LeaderConfig } from '../../../src/daemon/leader';
import { LEASES } from '../../../src/kube/objects';
import { unavailable } from '../../../src/kube/errors';
import { memoryKube } from '../kube/memoryKube';

const timing = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
const config = (identity: string): LeaderConfig => ({ namespace: 'sluice-system', name: 'sluice-leader', identity, ...timing });

const setup = () => {
  const mem = memoryKube();
  const clock = { now: mem.now, setTimeout: () => 0, clearTimeout: () => undefined };
  const transitions: string[] = [];
  const elector = (id: string) =>
    createElector(mem.kube, config(id), { onStartedLeading: () => transitions.push(`${id} leads`), onStoppedLeading: () => transitions.push(`${id} stops`) }, clock);
  return { mem, elector, transitions };
};

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
    const { mem, elector, transitions } = setup();
    const a = elector('a');
    const b = elector('b');
    await a.tryAcquireOrRenew();
    await b.tryAcquireOrRenew(); // b observes a's record now
    mem.advance(14_000);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    mem.advance(1_000);
    expect(await b.tryAcquireOrRenew()).toBe(true);
    const lease = mem.read(LEASES, 'sluice-system', 'sluice-leader')!.spec as Record<string, unknown>;
    expect(lease).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1, leaseDurationSeconds: 15 });
    expect(transitions).toEqual(['a leads', 'b leads']);
  });

  it('a leader keeps the lease while it renews', async () => {
    const { mem, elector } = setup();
    const a = elector('a');
    const b = elector('b');
    await a.tryAcquireOrRenew();
    for (let t = 0; t < 60_000; t += 2_000) {
      mem.advance(2_000);
      expect(await a.tryAcquireOrRenew()).toBe(true);
      expect(await b.tryAcquireOrRenew()).toBe(false);
    }
  });

  it('a leader that cannot renew for the renew deadline stops leading', async () => {
    const { mem, elector, transitions } = setup();
    const a = elector('a');
    await a.tryAcquireOrRenew();
    for (let i = 0; i < 5; i++) {
      mem.failNext('get', (ref) => unavailable(ref, 'down'));
      mem.advance(2_000);
      await a.tryAcquireOrRenew();
    }
    expect(a.isLeader()).toBe(false);
    expect(transitions).toEqual(['a leads', 'a stops']);
  });

  it('release hands the lease over at the standby\'s next retry', async () => {
    const { mem, elector } = setup();
    const a = elector('a');
    const b = elector('b');
    await a.tryAcquireOrRenew();
    await b.tryAcquireOrRenew();
    await a.release();
    expect(mem.read(LEASES, 'sluice-system', 'sluice-leader')!.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    mem.advance(2_000);
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(a.isLeader()).toBe(false);
  });
});
