import { makeEventRecorder } from '../../../src/kube/events';
import { EVENTS } from '../../../src/kube/objects';
import { memoryKube } from './memoryKube';

const involved = { apiVersion: 'sluice.dev/v1alpha1', kind: 'TrafficShift', name: 'reviews', namespace: 'shop', uid: 'u1' };
const event = (message: string) => ({ namespace: 'shop', involved, type: 'Normal' as const, reason: 'StepAdvanced', message });

describe('event recorder', () => {
  it('writes a core/v1 Event reported by sluice.dev/controller', async () => {
    const mem = memoryKube();
    await makeEventRecorder(mem.kube, 'pod-a', mem.now).record(event('v2 at 20 %'))();
    const [created] = mem.writes;
    expect(created).toMatchObject({ verb: 'create', kind: 'Event' });
    expect(created!.object).toMatchObject({
      involvedObject: involved, type: 'Normal', reason: 'StepAdvanced', message: 'v2 at 20 %', count: 1,
      reportingComponent: 'sluice.dev/controller', reportingInstance: 'pod-a', source: { component: 'sluice' },
      firstTimestamp: '2026-11-22T10:00:00Z',
    });
  });

  it('folds the same event within 10 minutes into a count, and writes a new one after', async () => {
    const mem = memoryKube();
    const rec = makeEventRecorder(mem.kube, 'pod-a', mem.now);
    await rec.record(event('same'))();
    mem.advance(60_000);
    await rec.record(event('same'))();
    await rec.record(event('other'))();
    const events = [...mem.store.entries()].filter(([k]) => k.startsWith(`${EVENTS.plural}/`)).map(([, o]) => o as any);
    expect(events.map((e) => [e.message, e.count]).sort()).toEqual([['other', 1], ['same', 2]]);
    mem.advance(11 * 60_000);
    await rec.record(event('same'))();
    expect([...mem.store.keys()].filter((k) => k.startsWith('events/'))).toHaveLength(3);
  });
});
