import { createQueue, QueueTimers } from '../../../src/daemon/queue';

/** Manual clock: timers fire only when the test advances time. */
const fakeTimers = () => {
  let now = 0;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: QueueTimers = {
    setTimeout: (fn, ms) => {
      const id = ++seq;
      pending.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (h) => void pending.delete(h as number),
    now: () => now,
  };
  const advance = async (ms: number) => {
    const until = now + ms;
    await flush();
    for (;;) {
      const next = [...pending.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      pending.delete(next[0]);
      now = next[1].at;
      next[1].fn();
      await flush();
    }
    now = until;
    await flush();
  };
  return { timers, advance, pending };
};

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** A worker whose runs the test finishes by hand. */
const manualWorker = () => {
  const runs: { key: string; finish: (next?: number) => void; fail: (e: unknown) => void }[] = [];
  const worker = (key: string) =>
    new Promise<number | undefined>((resolve, reject) => runs.push({ key, finish: resolve, fail: reject }));
  return { worker, runs };
};

describe('work queue', () => {
  it('never runs the same key twice at once, and runs it once more after adds during a run', async () => {
    const { timers } = fakeTimers();
    const w = manualWorker();
    const q = createQueue({ worker: w.worker, timers });
    q.add('shop/a');
    q.add('shop/a');
    await flush();
    expect(w.runs.map((r) => r.key)).toEqual(['shop/a']);
    q.add('shop/a');
    q.add('shop/a');
    await flush();
    expect(w.runs).toHaveLength(1);
    w.runs[0]!.finish();
    await flush();
    expect(w.runs.map((r) => r.key)).toEqual(['shop/a', 'shop/a']);
    w.runs[1]!.finish();
    await flush();
    expect(w.runs).toHaveLength(2);
  });

  it('runs different keys concurrently', async () => {
    const { timers } = fakeTimers();
    const w = manualWorker();
    const q = createQueue({ worker: w.worker, timers });
    q.add('shop/a');
    q.add('shop/b');
    q.add('web/c');
    await flush();
    expect(w.runs.map((r) => r.key).sort()).toEqual(['shop/a', 'shop/b', 'web/c']);
  });

  it('keeps at most `concurrency` runs and reports the waiting depth', async () => {
    const { timers } = fakeTimers();
    const w = manualWorker();
    const depths: number[] = [];
    const q = createQueue({ worker: w.worker, timers, concurrency: 1, onDepth: (d) => depths.push(d) });
    q.add('a');
    q.add('b');
    q.add('c');
    await flush();
    expect(w.runs).toHaveLength(1);
    expect(q.depth()).toBe(2);
    w.runs[0]!.finish();
    await flush();
    expect(w.runs.map((r) => r.key)).toEqual(['a', 'b']);
    expect(q.depth()).toBe(1);
    expect(depths).toContain(2);
  });

  it('requeues after the time the run returned, and the earliest timer wins', async () => {
    const t = fakeTimers();
    const w = manualWorker();
    const q = createQueue({ worker: w.worker, timers: t.timers });
    q.add('k');
    await flush();
    w.runs[0]!.finish(10_000);
    await flush();
    q.addAfter('k', 3_000);
    q.addAfter('k', 20_000);
    await t.advance(2_999);
    expect(w.runs).toHaveLength(1);
    await t.advance(1);
    expect(w.runs).toHaveLength(2);
    w.runs[1]!.finish();
    await t.advance(60_000);
    expect(w.runs).toHaveLength(2); // the 10 s timer was replaced by the earlier 3 s one
  });

  it('retries a failing run with exponential backoff and resets it after a success', async () => {
    const t = fakeTimers();
    const w = manualWorker();
    const retries: number[] = [];
    const q = createQueue({ worker: w.worker, timers: t.timers, onError: (_k, _e, ms) => retries.push(ms) });
    q.add('k');
    await flush();
    w.runs[0]!.fail(new Error('boom'));
    await t.advance(1000);
    w.runs[1]!.fail(new Error('boom'));
    await t.advance(2000);
    w.runs[2]!.finish();
    await flush();
    q.add('k');
    await flush();
    w.runs[3]!.fail(new Error('boom'));
    await flush();
    expect(retries).toEqual([1000, 2000, 1000]);
    void q;
  });

  it('adds every known key on each resync', async () => {
    const t = fakeTimers();
    const seen: string[] = [];
    const q = createQueue({ worker: async (k) => void seen.push(k) as undefined, timers: t.timers, resyncMs: 60_000, keys: () => ['a', 'b'] });
    await t.advance(60_000);
    expect(seen.sort()).toEqual(['a', 'b']);
    await t.advance(60_000);
    expect(seen).toHaveLength(4);
    await q.stop();
  });

  it('stop takes no more work, drops timers and waits for the run in flight', async () => {
    const t = fakeTimers();
    const w = manualWorker();
    const q = createQueue({ worker: w.worker, timers: t.timers });
    q.add('a');
    await flush();
    q.addAfter('b', 1000);
    let stopped = false;
    const done = q.stop().then(() => (stopped = true));
    q.add('c');
    await flush();
    expect(stopped).toBe(false);
    w.runs[0]!.finish(500);
    await done;
    await t.advance(5000);
    expect(w.runs.map((r) => r.key)).toEqual(['a']);
    expect(t.pending.size).toBe(0);
  });

  it('forget drops a pending requeue', async () => {
    const t = fakeTimers();
    const w = manualWorker();
    const q = createQueue({ worker: w.worker, timers: t.timers });
    q.addAfter('gone', 1000);
    q.forget('gone');
    await t.advance(5000);
    expect(w.runs).toHaveLength(0);
  });
  describe('forgetting deleted keys frees them', () => {
    it('an idle key with a requeue timer or a backoff is freed at once', async () => {
      const t = fakeTimers();
      const w = manualWorker();
      const q = createQueue({ worker: w.worker, timers: t.timers });
      q.add('shop/failing');
      await flush();
      w.runs[0]!.fail(new Error('boom')); // backing off: a timer and a failure count
      q.addAfter('shop/later', 60_000);
      await flush();
      expect(q.size()).toBe(2);
      q.forget('shop/failing');
      q.forget('shop/later');
      expect(q.size()).toBe(0);
      expect(t.pending.size).toBe(0);
    });

    it('a key forgotten while it runs (reconcile found the shift gone) is freed when the run ends, its requeue dropped', async () => {
      const t = fakeTimers();
      const w = manualWorker();
      const q = createQueue({ worker: w.worker, timers: t.timers });
      q.add('shop/gone');
      await flush();
      q.forget('shop/gone');
      expect(q.size()).toBe(1); // still running
      w.runs[0]!.finish(30_000); // the run asks to come back later: it must not
      await flush();
      expect(q.size()).toBe(0);
      await t.advance(60_000);
      expect(w.runs).toHaveLength(1);
    });

    it('a key forgotten while it runs but added again meanwhile (re-created) runs again', async () => {
      const t = fakeTimers();
      const w = manualWorker();
      const q = createQueue({ worker: w.worker, timers: t.timers });
      q.add('shop/again');
      await flush();
      q.forget('shop/again');
      q.add('shop/again');
      w.runs[0]!.finish();
      await flush();
      expect(w.runs.map((r) => r.key)).toEqual(['shop/again', 'shop/again']);
    });

    it('churn of created and deleted keys leaves no state behind', async () => {
      const t = fakeTimers();
      const q = createQueue({ worker: async () => 10_000, timers: t.timers });
      for (let i = 0; i < 1_000; i++) {
        q.add(`shop/s${i}`);
        await flush();
        q.forget(`shop/s${i}`);
      }
      await t.advance(1);
      expect(q.size()).toBe(0);
      expect(t.pending.size).toBe(0);
    });
  });
});
