import { ShiftStatus } from '../../../src/api/status';
import { OPERATOR_COMMANDS } from '../../../src/cli/commands';
import { renderShiftTable } from '../../../src/cli/get';
import { renderStatus } from '../../../src/cli/status';
import { ANNOTATION } from '../../../src/kube/annotations';
import { KubeObject } from '../../../src/kube/objects';
import { deps, memoryIo, memoryShifts, NOW, shift } from './commandsFixtures';

const progressing: ShiftStatus = {
  phase: 'Progressing', stableVersion: 'v1', candidateVersion: 'v2', weights: { stable: 75, candidate: 25 }, step: 1,
  lastGate: {
    result: 'Pass', version: 'v2', requests: 412, errors: 1, errorRate: 1 / 412, threshold: 0.01, window: '30s',
    time: '2026-11-22T02:59:30Z', message: '0.24 % errors in 412 requests is within 1 %',
  },
  history: [
    { time: '2026-11-22T02:50:00Z', event: 'ShiftStarted', message: 'v2 started at 10 %', weights: { stable: 90, candidate: 10 } },
    { time: '2026-11-22T02:55:00Z', event: 'StepAdvanced', message: 'v2 to 25 % after a passing gate', weights: { stable: 75, candidate: 25 } },
  ],
};

const objects: KubeObject[] = [
  shift('shop', 'reviews', { status: progressing }),
  shift('pay', 'ledger', { created: '2026-11-19T03:00:00Z', status: { phase: 'Idle', stableVersion: 'v7', candidateVersion: 'v7', weights: { stable: 100, candidate: 0 } } }),
  shift('shop', 'cart', { created: '2026-11-22T02:59:15Z' }),
];

const run = async (argv: string[], objs = objects) => {
  const term = memoryIo();
  const api = memoryShifts(objs);
  const [command, ...args] = argv;
  const code = await OPERATOR_COMMANDS[command!]!.run(args, deps(term.io, api.client));
  return { code, ...term };
};

describe('sluice get', () => {
  it('lists the shifts of the context namespace as a table', async () => {
    const r = await run(['get']);
    expect(r.code).toBe(0);
    expect(r.out).toEqual([
      'NAMESPACE   NAME      SERVICE   STABLE   CANDIDATE   WEIGHT   PHASE         AGE',
      'shop        cart      cart      -        -           -        -             45s',
      'shop        reviews   reviews   v1       v2          75/25    Progressing   3h12m',
    ]);
  });

  it('lists every namespace with -A, and hides a candidate equal to the stable version', async () => {
    const r = await run(['get', '-A']);
    expect(r.out[1]).toBe('pay         ledger    ledger    v7       -           100/0    Idle          3d');
    expect(r.out).toHaveLength(4);
  });

  it('says so when a namespace has no shifts', async () => {
    const r = await run(['get', '-n', 'empty']);
    expect([r.code, r.out, r.err]).toEqual([0, [], ['No TrafficShifts found in namespace empty.']]);
  });

  it.each([
    [['get', '-n', 'shop', '-A'], 'sluice get: -n and -A cannot be used together (usage: sluice get [-n NAMESPACE | -A] [--kubeconfig FILE])'],
    [['get', 'reviews'], 'sluice get: unexpected argument "reviews" (usage: sluice get [-n NAMESPACE | -A] [--kubeconfig FILE])'],
  ])('%j is a usage error', async (argv, message) => {
    const r = await run(argv);
    expect([r.code, r.err]).toEqual([2, [message]]);
  });

  it('sorts by namespace, then name', () => {
    expect(renderShiftTable([shift('b', 'x'), shift('a', 'z'), shift('a', 'y')], NOW).slice(1).map((l) => l.split(/\s+/).slice(0, 2).join('/'))).toEqual(['a/y', 'a/z', 'b/x']);
  });
});

describe('sluice status', () => {
  it('shows phase, step, weights as a bar, the last verdict with its numbers and recent history', () => {
    expect(renderStatus(shift('shop', 'reviews', { status: progressing }), NOW)).toEqual([
      'Name:        shop/reviews',
      'Service:     reviews',
      'Version:     v2 (spec), stable v1',
      'Phase:       Progressing, step 2 of 3 (25%)',
      'Weights:     v1 75% [███████████████░░░░░] 25% v2',
      'Last gate:   Pass for v2: 412 requests, 1 errors, error rate 0.24% (limit 1.00%) over 30s at 2026-11-22T02:59:30Z',
      '             0.24 % errors in 412 requests is within 1 %',
      'History:',
      '  10m ago    ShiftStarted     v2 started at 10 % [90/10]',
      '  5m ago     StepAdvanced     v2 to 25 % after a passing gate [75/25]',
    ]);
  });

  it('shows the next scheduled start in UTC when the schedule names no zone, and a command the daemon has not applied yet', () => {
    const waiting = shift('shop', 'reviews', {
      status: { phase: 'Waiting', stableVersion: 'v1', candidateVersion: 'v2', weights: { stable: 100, candidate: 0 }, nextStart: '2026-11-22T03:32:00Z' },
      annotations: { [ANNOTATION.command]: 'promote', [ANNOTATION.by]: 'bob', [ANNOTATION.commandId]: 'abc' },
    });
    const lines = renderStatus(waiting, NOW);
    expect(lines).toContain('Next start:  2026-11-22 03:32 UTC (2026-11-22T03:32:00Z), in 32m');
    expect(lines).toContain('Pending:     promote (command abc, by bob), not yet applied');
  });

  it("shows the next scheduled start in the shift's time zone and in UTC", () => {
    const waiting = shift('shop', 'reviews', {
      spec: { service: 'reviews', version: 'v2', strategy: { canary: { steps: [10] } }, schedule: { start: '0 2 * * 1-5', timeZone: 'Europe/Berlin' } },
      status: { phase: 'Waiting', stableVersion: 'v1', candidateVersion: 'v2', weights: { stable: 100, candidate: 0 }, nextStart: '2026-11-23T01:00:00Z' },
    });
    expect(renderStatus(waiting, NOW)).toContain('Next start:  2026-11-23 02:00 Europe/Berlin (2026-11-23T01:00:00Z), in 22h');
  });

  it('prints the page for `status NAME`', async () => {
    const r = await run(['status', 'reviews']);
    expect(r.code).toBe(0);
    expect(r.out[3]).toBe('Phase:       Progressing, step 2 of 3 (25%)');
  });

  it('fails with one line for a shift that does not exist', async () => {
    const r = await run(['status', 'nope']);
    expect([r.code, r.err]).toEqual([1, ['sluice status: read TrafficShift shop/nope: not found (404): trafficshifts.sluice.dev "nope" not found']]);
  });

  it('--watch redraws until interrupted, printing a page only when it changed', async () => {
    const abort = new AbortController();
    const term = memoryIo({ signal: abort.signal });
    let sleeps = 0;
    const io = { ...term.io, sleep: async () => void (++sleeps === 3 && abort.abort()) };
    const api = memoryShifts(objects);
    const code = await OPERATOR_COMMANDS['status']!.run(['reviews', '--watch'], deps(io, api.client));
    expect(code).toBe(0);
    expect(sleeps).toBe(3);
    expect(term.out.filter((l) => l.startsWith('Name:'))).toHaveLength(1);
  });

  it('is a usage error without NAME', async () => {
    const r = await run(['status']);
    expect([r.code, r.err]).toEqual([2, ['sluice status: missing NAME (usage: sluice status NAME [-n NAMESPACE] [--watch] [--kubeconfig FILE])']]);
  });
});
