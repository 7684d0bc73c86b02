import { keepWatching, Startable } from '../../../src/kube/restart';

/** An informer that fails its first `failures` starts, and can report a watch error later. */
const fakeInformer = (failures: number) => {
  let errorCb: ((e?: unknown) => void) | undefined;
  const informer: Startable & { starts: number; stopped: boolean; fail: (e: unknown) => void } = {
    starts: 0,
    stopped: false,
    start: async () => {
      informer.starts++;
      if (informer.starts <= failures) throw new Error('connect ECONNREFUSED');
    },
    stop: async () => void (informer.stopped = true),
    on: (_verb, cb) => void (errorCb = cb),
    fail: (e) => errorCb?.(e),
  };
  return informer;
};

const timers = () => {
  const pending: { fn: () => void; ms: number }[] = [];
  return {
    pending,
    t: { setTimeout: (fn: () => void, ms: number) => pending.push({ fn, ms }), clearTimeout: () => void pending.splice(0) },
    fire: async () => {
      const next = pending.shift();
      next?.fn();
      for (let i = 0; i < 5; i++) await Promise.resolve();
      return next?.ms;
    },
  };
};

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};
const quiet = { info: () => undefined, warn: () => undefined };

describe('keeping a watch running', () => {
  it('restarts a failed start with exponential backoff until it syncs', async () => {
    const inf = fakeInformer(3);
    const clock = timers();
    const w = keepWatching(inf, '/api/v1/pods', quiet, clock.t);
    await flush();
    expect(w.synced()).toBe(false);
    expect(await clock.fire()).toBe(500);
    expect(await clock.fire()).toBe(1000);
    expect(await clock.fire()).toBe(2000);
    expect(inf.starts).toBe(4);
    expect(w.synced()).toBe(true);
  });

  it('restarts after a watch error reported later (client-node stops on errors), with the backoff reset', async () => {
    const inf = fakeInformer(0);
    const clock = timers();
    const w = keepWatching(inf, '/api/v1/pods', quiet, clock.t);
    await flush();
    expect(w.synced()).toBe(true);
    inf.fail(Object.assign(new Error('Forbidden'), { statusCode: 403 }));
    expect(clock.pending.map((p) => p.ms)).toEqual([500]);
    await clock.fire();
    expect(inf.starts).toBe(2);
  });

  it('stop cancels a pending restart and stops the informer', async () => {
    const inf = fakeInformer(1);
    const clock = timers();
    const w = keepWatching(inf, '/api/v1/pods', quiet, clock.t);
    await flush();
    await w.stop();
    expect(clock.pending).toEqual([]);
    expect(inf.stopped).toBe(true);
    inf.fail(new Error('late'));
    expect(clock.pending).toEqual([]);
  });
});
