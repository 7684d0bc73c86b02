import { HistoryEntry, ShiftStatus } from '../../../src/api/status';
import { OPERATOR_COMMANDS } from '../../../src/cli/commands';
import { ANNOTATION } from '../../../src/kube/annotations';
import { KubeObject } from '../../../src/kube/objects';
import { deps, memoryIo, memoryShifts, shift } from './commandsFixtures';

const progressing: ShiftStatus = {
  phase: 'Progressing', stableVersion: 'v1', candidateVersion: 'v2', weights: { stable: 90, candidate: 10 }, step: 0,
  history: [{ time: '2026-11-22T02:50:00Z', event: 'ShiftStarted', message: 'v2 started at 10 %' }],
};

const run = async (argv: string[], objects: KubeObject[] = [shift('shop', 'reviews', { status: progressing })], daemon?: Parameters<typeof memoryShifts>[1]) => {
  const api = memoryShifts(objects, daemon);
  const term = memoryIo();
  const kubeconfigs: (string | undefined)[] = [];
  const [command, ...args] = argv;
  const code = await OPERATOR_COMMANDS[command!]!.run(args, deps(term.io, api.client, kubeconfigs));
  return { code, ...term, ...api, kubeconfigs };
};

/** The daemon answering a command on the second read: records it, clears the annotations. */
const answers = (event: 'CommandApplied' | 'CommandRejected', message: string, extra: HistoryEntry[] = []) => (obj: KubeObject, reads: number) => {
  if (reads < 2) return undefined;
  const a = obj.metadata.annotations ?? {};
  const id = a[ANNOTATION.commandId];
  if (id === undefined) return undefined;
  const status = obj.status as ShiftStatus;
  const history = [...(status.history ?? []), { time: '2026-11-22T03:00:01Z', event, message }, ...extra];
  const rest = Object.fromEntries(Object.entries(a).filter(([k]) => !k.startsWith('sluice.dev/')));
  return { ...obj, metadata: { ...obj.metadata, annotations: rest }, status: { ...status, lastCommandId: id, history } };
};

describe('SRE commands', () => {
  it.each([
    ['promote', 'promote the candidate now'],
    ['abort', 'abort the shift and send all traffic to the stable version'],
    ['pause', 'pause the shift'],
    ['resume', 'resume the shift'],
    ['retry', 'retry the rolled-back version'],
  ])('%s writes the command with who asked and a fresh id, and says so', async (verb, says) => {
    const r = await run([verb, 'reviews']);
    expect(r.code).toBe(0);
    expect(r.patches).toEqual([
      {
        namespace: 'shop', name: 'reviews',
        patch: { metadata: { annotations: { [ANNOTATION.command]: verb, [ANNOTATION.setWeight]: null, [ANNOTATION.shiftTo]: null, [ANNOTATION.by]: 'alice', [ANNOTATION.commandId]: 'c0ffee000001' } } },
      },
    ]);
    expect(r.out).toEqual([`shop/reviews: asked to ${says} (command c0ffee000001, by alice)`]);
  });

  it('set-weight writes sluice.dev/set-weight', async () => {
    const r = await run(['set-weight', 'reviews', '30', '-n', 'shop', '--by', 'oncall-bob']);
    expect(r.patches[0]?.patch).toMatchObject({ metadata: { annotations: { [ANNOTATION.setWeight]: '30', [ANNOTATION.command]: null, [ANNOTATION.by]: 'oncall-bob' } } });
    expect(r.out).toEqual(['shop/reviews: asked to set the candidate weight to 30% (command c0ffee000001, by oncall-bob)']);
  });

  it('shift --to writes sluice.dev/shift-to', async () => {
    const r = await run(['shift', 'reviews', '--to=v3']);
    expect(r.patches[0]?.patch).toMatchObject({ metadata: { annotations: { [ANNOTATION.shiftTo]: 'v3' } } });
    expect(r.out).toEqual(['shop/reviews: asked to shift to version v3 (command c0ffee000001, by alice)']);
  });

  it('uses the namespace and kubeconfig given on the command line', async () => {
    const r = await run(['pause', 'ledger', '--namespace', 'pay', '--kubeconfig', '/tmp/kc'], [shift('pay', 'ledger')]);
    expect(r.code).toBe(0);
    expect(r.kubeconfigs).toEqual(['/tmp/kc']);
    expect(r.patches[0]).toMatchObject({ namespace: 'pay', name: 'ledger' });
  });

  it('accepts NAMESPACE/NAME as the samples write it', async () => {
    const r = await run(['promote', 'pay/ledger'], [shift('pay', 'ledger')]);
    expect(r.code).toBe(0);
    expect(r.patches[0]).toMatchObject({ namespace: 'pay', name: 'ledger' });
  });

  it.each([
    [['promote', 'pay/ledger', '-n', 'shop'], 'sluice promote: NAME "pay/ledger" is in namespace pay, but -n says shop (usage: sluice promote NAME [-n NAMESPACE] [--by WHO] [--wait [--timeout 60s]] [--kubeconfig FILE])'],
    [['promote', 'a/b/c'], 'sluice promote: NAME "a/b/c" is not NAME or NAMESPACE/NAME (usage: sluice promote NAME [-n NAMESPACE] [--by WHO] [--wait [--timeout 60s]] [--kubeconfig FILE])'],
    [['promote'], 'sluice promote: missing NAME (usage: sluice promote NAME [-n NAMESPACE] [--by WHO] [--wait [--timeout 60s]] [--kubeconfig FILE])'],
    [['promote', 'reviews', 'now'], 'sluice promote: unexpected argument "now" (usage: sluice promote NAME [-n NAMESPACE] [--by WHO] [--wait [--timeout 60s]] [--kubeconfig FILE])'],
    [['pause', 'reviews', '--namspace', 'x'], 'sluice pause: unknown flag --namspace (usage: sluice pause NAME [-n NAMESPACE] [--by WHO] [--wait [--timeout 60s]] [--kubeconfig FILE])'],
    [['set-weight', 'reviews', '140'], 'sluice set-weight: WEIGHT "140" is not an integer from 0 to 100 (usage: sluice set-weight NAME WEIGHT [-n NAMESPACE] [--by WHO] [--wait [--timeout 60s]] [--kubeconfig FILE])'],
    [['set-weight', 'reviews'], 'sluice set-weight: missing WEIGHT (an integer from 0 to 100) (usage: sluice set-weight NAME WEIGHT [-n NAMESPACE] [--by WHO] [--wait [--timeout 60s]] [--kubeconfig FILE])'],
    [['shift', 'reviews'], 'sluice shift: missing --to VERSION (usage: sluice shift NAME --to VERSION [-n NAMESPACE] [--by WHO] [--wait [--timeout 60s]] [--kubeconfig FILE])'],
    [['shift', 'reviews', '--to', 'v 3'], 'sluice shift: --to "v 3" is not a valid label value (expected letters, digits, "-", "_" or ".", at most 63 characters) (usage: sluice shift NAME --to VERSION [-n NAMESPACE] [--by WHO] [--wait [--timeout 60s]] [--kubeconfig FILE])'],
    [['abort', 'reviews', '-n'], 'sluice abort: flag -n needs a value (-n NAMESPACE) (usage: sluice abort NAME [-n NAMESPACE] [--by WHO] [--wait [--timeout 60s]] [--kubeconfig FILE])'],
    [['retry', 'reviews', '--wait', '--timeout', '1d'], 'sluice retry: --timeout: "1d" is not a duration (expected e.g. "30s", "2m") (usage: sluice retry NAME [-n NAMESPACE] [--by WHO] [--wait [--timeout 60s]] [--kubeconfig FILE])'],
  ])('%j is a usage error with one line, exit 2, and writes nothing', async (argv, message) => {
    const r = await run(argv);
    expect([r.code, r.err, r.out, r.patches]).toEqual([2, [message], [], []]);
  });

  it('fails with the API server\'s sentence when the shift does not exist', async () => {
    const r = await run(['promote', 'nope']);
    expect([r.code, r.err]).toEqual([1, ['sluice promote: patch TrafficShift shop/nope: not found (404): trafficshifts.sluice.dev "nope" not found']]);
  });
});

describe('SRE commands with --wait', () => {
  it('waits until the daemon applied the command and prints its record', async () => {
    const r = await run(['promote', 'reviews', '--wait'], undefined, answers('CommandApplied', 'promote by alice: v2 to 100 % now', [
      { time: '2026-11-22T03:00:01Z', event: 'Promoted', message: 'v2 is stable' },
    ]));
    expect(r.code).toBe(0);
    expect(r.out).toEqual(['shop/reviews: asked to promote the candidate now (command c0ffee000001, by alice)', 'shop/reviews: applied: promote by alice: v2 to 100 % now']);
    expect(r.sleeps).toEqual([1000]);
  });

  it('exits 1 with the daemon\'s reason when it rejects the command', async () => {
    const r = await run(['resume', 'reviews', '--wait'], undefined, answers('CommandRejected', 'resume by alice rejected: not paused'));
    expect([r.code, r.err]).toEqual([1, ['sluice resume: shop/reviews: rejected: resume by alice rejected: not paused']]);
  });

  it('exits 1 when the daemon does not answer within the timeout', async () => {
    const r = await run(['pause', 'reviews', '--wait', '--timeout', '5s']);
    expect(r.code).toBe(1);
    expect(r.err).toEqual(['sluice pause: shop/reviews: no answer from the daemon within 5s; command c0ffee000001 is still pending (is "sluice run" running?)']);
    expect(r.sleeps.reduce((a, b) => a + b, 0)).toBe(5000);
  });

  it('exits 1 when someone else replaces the command before the daemon answers', async () => {
    const other = (obj: KubeObject) => ({ ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata.annotations, [ANNOTATION.commandId]: 'd00d' } } });
    const r = await run(['abort', 'reviews', '--wait'], undefined, other);
    expect(r.err).toEqual(['sluice abort: shop/reviews: command c0ffee000001 was replaced by command d00d before the daemon answered it']);
  });
});
