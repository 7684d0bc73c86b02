import { parseCli } from '../../../../bench/fallback/cli';

describe('scripts/bench.sh fallback flags (the one flag parser, src/cli/parseFlags.ts)', () => {
  it('reads the flags, with sluice and flagger as the default tools', () => {
    const args = parseCli(['--scenario', 'bench/scenarios/bad.yaml', '--runs=3', '--settings', 'matched', '--json', 'out.json', '--keep']);
    expect(args).toMatchObject({ scenarioFile: 'bench/scenarios/bad.yaml', runs: 3, settings: 'matched', json: 'out.json', keep: true });
    expect(args.tools.map((t) => t.label)).toEqual(['sluice', 'flagger']);
    expect(parseCli(['--scenario', 'x.yaml']).keep).toBe(false);
  });

  it.each([
    [[], '--scenario FILE is required'],
    [['--scenario'], 'flag --scenario needs a value (--scenario FILE)'],
    [['--scenario', 'x.yaml', '--runs', '0'], '--runs: 0 is not an integer from 1 to 200'],
    [['--scenario', 'x.yaml', '--settings', 'best'], '--settings: best is not one of defaults, matched'],
    [['--scenario', 'x.yaml', '--tools', 'argo'], '--tools: "argo" names argo (expected a comma-separated list of sluice, flagger, sluice:<analysis method>)'],
    [['--scenario', 'x.yaml', '--senario', 'y.yaml'], 'unknown flag --senario'],
    [['--scenario', 'x.yaml', 'extra'], 'unexpected argument "extra"'],
  ])('refuses %j with one sentence', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(message);
  });
});
