import { parseOptions, type BenchOptions } from '../../../bench/scale/options';

const ok = (argv: readonly string[]): BenchOptions => {
  const parsed = parseOptions(argv);
  if (typeof parsed === 'string') throw new Error(`expected options, got ${parsed}`);
  return parsed;
};

describe('scripts/bench.sh scale flags (the one flag parser, src/cli/parseFlags.ts)', () => {
  it('gives the documented defaults, with levels below N and N last', () => {
    const o = ok([]);
    expect(o.fleet).toMatchObject({ shifts: 2000, podsPerVersion: 1, unrelatedPods: 20000, prefix: 'scale' });
    expect(o.levels).toEqual([250, 500, 1000, 2000]);
    expect([o.commands, o.commandRate, o.churnMs, o.churnRate, o.intervalS, o.leaseDurationS, o.settleMs, o.quietMs, o.parallel, o.seed]).toEqual([200, 5, 600_000, 1, 30, 15, 20_000, 60_000, 32, 1]);
    expect(o.keep).toBe(false);
    expect(o.nodeArgs).toEqual([]);
    expect(o.json).toBeUndefined();
  });

  it('reads every flag, in both spellings of a value', () => {
    const o = ok(['--shifts', '50', '--unrelated-pods=100', '--levels', '10,20,10', '--churn', '20s', '--interval', '5s', '--prefix', 'scale-t', '--json', '/tmp/x.json', '--keep', '--node-options=--max-old-space-size=160 --max-semi-space-size=4']);
    expect(o.fleet).toMatchObject({ shifts: 50, unrelatedPods: 100, prefix: 'scale-t' });
    expect(o.levels).toEqual([10, 20, 50]);
    expect([o.churnMs, o.intervalS, o.keep, o.json]).toEqual([20_000, 5, true, '/tmp/x.json']);
    expect(o.nodeArgs).toEqual(['--max-old-space-size=160', '--max-semi-space-size=4']);
  });

  it.each([
    [['--shifts', '0'], '--shifts: "0" is not an integer >= 1'],
    [['--churn', 'soon'], '--churn: "soon" is not a duration like 90s or 10m'],
    [['--command-rate', '-1'], 'flag --command-rate needs a value (--command-rate R)'],
    [['--command-rate=0'], '--command-rate: "0" is not a positive number'],
    [['--prefix', 'Scale_1'], '--prefix: "Scale_1" is not a short DNS label (lower-case letters, digits, "-")'],
    [['--shifts', '100', '--levels', '50,100'], '--levels: "50,100" is not a list of shift counts below --shifts 100'],
    [['--shfits', '10'], 'unknown flag --shfits'],
    [['--keep=yes'], 'flag --keep takes no value (got "yes")'],
    [['--shifts', '1', '--shifts', '2'], 'flag --shifts given twice'],
    [['200'], 'unexpected argument "200"'],
  ])('refuses %j with one sentence', (argv, message) => {
    expect(parseOptions(argv)).toBe(message);
  });

  it('answers help', () => {
    expect(parseOptions(['-h'])).toBe('help');
  });
});
