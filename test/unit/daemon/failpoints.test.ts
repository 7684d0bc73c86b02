import * as E from 'fp-ts/Either';
import { clearCommandPatch } from '../../../src/kube/annotations';
import { unavailable } from '../../../src/kube/errors';
import { DESTINATION_RULES, KubeObject, TRAFFIC_SHIFTS, VIRTUAL_SERVICES } from '../../../src/kube/objects';
import { Failpoint, failpointsFromEnv, formatFailpoint, parseFailpoint, parseFailpoints, withFailpoints } from '../../../src/daemon/failpoints';
import { memoryKube } from '../kube/memoryKube';

const vs = (name: string): KubeObject => ({ metadata: { name, namespace: 'shop' }, spec: { hosts: [name] } });
const shiftRef = { resource: TRAFFIC_SHIFTS, namespace: 'shop', name: 'reviews' };

describe('parseFailpoint', () => {
  it('reads kind, operation and count', () => {
    expect(parseFailpoint('after:VirtualService:update:3')).toEqual(E.right({ kind: 'VirtualService', op: 'update', nth: 3 }));
    expect(parseFailpoint(' after:TrafficShift:clear-command:1 ')).toEqual(E.right({ kind: 'TrafficShift', op: 'clear-command', nth: 1 }));
    expect(formatFailpoint({ kind: 'DestinationRule', op: 'create', nth: 12 })).toBe('after:DestinationRule:create:12');
  });

  it.each([
    ['VirtualService:update:3', 'SLUICE_FAILPOINT: "VirtualService:update:3" is not a failpoint (expected after:<kind>:<op>:<n>, e.g. after:VirtualService:update:3)'],
    ['before:VirtualService:update:3', 'SLUICE_FAILPOINT: "before:VirtualService:update:3": "before" is not a moment (expected after)'],
    ['after:Virtualservice:update:3', 'SLUICE_FAILPOINT: "after:Virtualservice:update:3": "Virtualservice" is not a kind (expected DestinationRule, VirtualService, TrafficShift, Lease)'],
    ['after:VirtualService:replace:3', 'SLUICE_FAILPOINT: "after:VirtualService:replace:3": "replace" is not an operation (expected create, update, status, clear-command, patch)'],
    ['after:VirtualService:status:1', 'SLUICE_FAILPOINT: "after:VirtualService:status:1": status is an operation on a TrafficShift only, not on a VirtualService'],
    ['after:VirtualService:update:0', 'SLUICE_FAILPOINT: "after:VirtualService:update:0": "0" is not a count (expected an integer from 1)'],
    ['after:VirtualService:update:2.5', 'SLUICE_FAILPOINT: "after:VirtualService:update:2.5": "2.5" is not a count (expected an integer from 1)'],
    ['after:VirtualService:update:', 'SLUICE_FAILPOINT: "after:VirtualService:update:": "" is not a count (expected an integer from 1)'],
  ])('refuses %s with a sentence naming the part', (text, message) => {
    expect(parseFailpoint(text)).toEqual(E.left(message));
  });

  it('reads a comma-separated list and refuses it at its first bad item', () => {
    expect(parseFailpoints('after:DestinationRule:create:1,after:TrafficShift:status:2')).toEqual(
      E.right([{ kind: 'DestinationRule', op: 'create', nth: 1 }, { kind: 'TrafficShift', op: 'status', nth: 2 }]),
    );
    expect(parseFailpoints('after:DestinationRule:create:1,')).toEqual(E.left('SLUICE_FAILPOINT: "" is not a failpoint (expected after:<kind>:<op>:<n>, e.g. after:VirtualService:update:3)'));
  });
});

describe('withFailpoints', () => {
  const armed = (failpoints: readonly Failpoint[]) => {
    const m = memoryKube();
    const fired: string[] = [];
    const kube = withFailpoints(m.kube, failpoints, (f, object) => fired.push(`${formatFailpoint(f)} after ${m.writes.length} writes (${object})`));
    return { m, kube, fired };
  };

  it('fires right after the nth successful write of its kind and operation, once', async () => {
    const { m, kube, fired } = armed([{ kind: 'VirtualService', op: 'update', nth: 2 }]);
    const created = await kube.create(VIRTUAL_SERVICES, vs('reviews'))();
    if (E.isLeft(created)) throw new Error(created.left.message);
    let current = created.right;
    await kube.create(DESTINATION_RULES, vs('reviews'))();
    expect(fired).toEqual([]);
    for (let i = 0; i < 3; i++) {
      const r = await kube.replace(VIRTUAL_SERVICES, current)();
      if (E.isLeft(r)) throw new Error(r.left.message);
      current = r.right;
      if (i === 0) expect(fired).toEqual([]);
    }
    // create VS, create DR, update 1, update 2 <- here; the 3rd update does not fire again.
    expect(fired).toEqual(['after:VirtualService:update:2 after 4 writes (VirtualService shop/reviews)']);
    expect(m.writes).toHaveLength(5);
  });

  it('does not count failed writes', async () => {
    const { m, kube, fired } = armed([{ kind: 'VirtualService', op: 'create', nth: 1 }]);
    m.failNext('create', (ref) => unavailable(ref, 'down'));
    expect(E.isLeft(await kube.create(VIRTUAL_SERVICES, vs('reviews'))())).toBe(true);
    expect(fired).toEqual([]);
    await kube.create(VIRTUAL_SERVICES, vs('reviews'))();
    expect(fired).toEqual(['after:VirtualService:create:1 after 1 writes (VirtualService shop/reviews)']);
  });

  it('tells a status write, a command clearing and any other patch of a TrafficShift apart', async () => {
    const { m, kube, fired } = armed([
      { kind: 'TrafficShift', op: 'clear-command', nth: 1 },
      { kind: 'TrafficShift', op: 'patch', nth: 2 },
      { kind: 'TrafficShift', op: 'status', nth: 1 },
    ]);
    m.seed(TRAFFIC_SHIFTS, { metadata: { name: 'reviews', namespace: 'shop', annotations: { 'sluice.dev/command': 'abort' } }, spec: {} });
    await kube.mergePatch(shiftRef, { metadata: { finalizers: ['sluice.dev/finalizer'] } })();
    expect(fired).toEqual([]);
    await kube.mergePatch(shiftRef, clearCommandPatch())();
    expect(fired).toEqual(['after:TrafficShift:clear-command:1 after 2 writes (TrafficShift shop/reviews)']);
    await kube.mergePatch(shiftRef, { spec: { version: 'v2' } })();
    expect(fired).toEqual(['after:TrafficShift:clear-command:1 after 2 writes (TrafficShift shop/reviews)', 'after:TrafficShift:patch:2 after 3 writes (TrafficShift shop/reviews)']);
    const fresh = m.read(TRAFFIC_SHIFTS, 'shop', 'reviews')!;
    await kube.replaceStatus(shiftRef, { ...fresh, status: { phase: 'Idle' } })();
    expect(fired).toHaveLength(3);
    expect(fired[2]).toBe('after:TrafficShift:status:1 after 4 writes (TrafficShift shop/reviews)');
  });

  it('passes reads and results through unchanged', async () => {
    const { m, kube } = armed([{ kind: 'Lease', op: 'create', nth: 5 }]);
    m.seed(VIRTUAL_SERVICES, vs('reviews'));
    const got = await kube.get({ resource: VIRTUAL_SERVICES, namespace: 'shop', name: 'reviews' })();
    expect(E.isRight(got) && got.right.spec).toEqual({ hosts: ['reviews'] });
  });
});

describe('failpointsFromEnv', () => {
  it('returns the Kube itself when SLUICE_FAILPOINT is unset or empty', () => {
    const m = memoryKube();
    expect(failpointsFromEnv(m.kube, {})).toBe(m.kube);
    expect(failpointsFromEnv(m.kube, { SLUICE_FAILPOINT: '' })).toBe(m.kube);
  });

  it('refuses a bad value with its sentence, so the daemon does not start', () => {
    const m = memoryKube();
    expect(() => failpointsFromEnv(m.kube, { SLUICE_FAILPOINT: 'after:VirtualService:update:many' })).toThrow(
      'SLUICE_FAILPOINT: "after:VirtualService:update:many": "many" is not a count (expected an integer from 1)',
    );
  });

  it('arms the failpoints it names', async () => {
    const m = memoryKube();
    const fired: Failpoint[] = [];
    const kube = failpointsFromEnv(m.kube, { SLUICE_FAILPOINT: 'after:VirtualService:create:1' }, (f) => fired.push(f));
    await kube.create(VIRTUAL_SERVICES, vs('reviews'))();
    expect(fired).toEqual([{ kind: 'VirtualService', op: 'create', nth: 1 }]);
  });
});
