/**
 * A scheduled start on the real local control plane: the daemon (`node dist/src/cli/main.js run`,
 * built by `npm run build`) holds a new version in Waiting and starts it at the cron time.
 *
 * Given a shift at v1 and a running daemon,
 * when spec.version becomes v2 with a start a few seconds ahead (6-field cron with seconds, in
 * Europe/Berlin, computed from the current time),
 * then the shift waits (status.nextStart is that instant) and begins within two seconds of it.
 */
import { DaemonProcess, canarySpec, deleteNamespace, getShift, givenReviews, givenShift, newNamespace, patchShift, sleep, startDaemon, waitForPhase } from './daemonFixtures';
import { waitFor } from './env';

jest.setTimeout(300_000); // the project-level testTimeout in jest.config.js is not applied per project

const ZONE = 'Europe/Berlin';

/** A 6-field cron expression that fires once a day at `ms`'s wall-clock second in `zone`. */
const cronAt = (ms: number, zone: string): string => {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(ms));
  const n = (type: string): number => Number(parts.find((p) => p.type === type)!.value);
  return `${n('second')} ${n('minute')} ${n('hour')} * * *`;
};

describe('scheduled start (daemon against the local control plane)', () => {
  let namespace = '';
  let daemon: DaemonProcess | undefined;

  afterEach(async () => {
    await daemon?.kill('SIGTERM');
    await deleteNamespace(namespace);
  });

  it('holds a new version in Waiting and starts it within two seconds of the cron time', async () => {
    // Given a shift serving v1, watched by a daemon
    namespace = await newNamespace('schedule');
    await givenReviews(namespace, ['v1', 'v2']);
    daemon = await startDaemon(namespace, 'schedule-0');
    await givenShift(namespace, canarySpec('v1'));
    await waitForPhase(namespace, (s) => s.stableVersion === 'v1', 30_000);

    // When v2 arrives with a start 12 s ahead, on a whole second, written in Berlin time
    const start = Math.ceil((Date.now() + 12_000) / 1000) * 1000;
    patchShift(namespace, { spec: { version: 'v2', schedule: { start: cronAt(start, ZONE), timeZone: ZONE } } });

    // Then it waits for exactly that start...
    const waiting = await waitFor(async () => {
      const s = (await getShift(namespace))?.status;
      return s?.phase === 'Waiting' ? s : undefined;
    }, { timeoutMs: 8_000, intervalMs: 100, what: 'phase Waiting' });
    expect(waiting.nextStart).toBe(new Date(start).toISOString());
    expect(waiting.weights).toEqual({ stable: 100, candidate: 0 });

    // ...stays Waiting until it comes...
    while (Date.now() < start - 500) {
      expect((await getShift(namespace))?.status?.phase).toBe('Waiting');
      await sleep(250);
    }

    // ...and begins within two seconds of it.
    const begun = await waitFor(async () => {
      const s = (await getShift(namespace))?.status;
      return s && s.phase !== 'Waiting' ? { status: s, seenAt: Date.now() } : undefined;
    }, { timeoutMs: 10_000, intervalMs: 100, what: 'phase leaving Waiting' });
    expect(begun.status.phase).toBe('Progressing');
    const startedAt = Date.parse(begun.status.startedAt as string);
    expect(startedAt).toBeGreaterThanOrEqual(start);
    expect(startedAt - start).toBeLessThanOrEqual(2_000);
    expect(begun.seenAt - start).toBeLessThanOrEqual(3_000);
  });
});
