import * as E from 'fp-ts/Either';
import { badValue, FlagDef, flagValue, parseFlags, parsePort } from '../../../src/cli/parseFlags';

const defs = {
  ns: { names: ['-n', '--namespace'], kind: 'string', value: 'NAMESPACE' },
  wait: { names: ['-w', '--wait'], kind: 'switch' },
  all: { names: ['-A'], kind: 'switch' },
  elect: { names: ['--leader-elect'], kind: 'bool' },
  file: { names: ['-f'], kind: 'string', value: 'FILE', repeat: true },
} as const satisfies Record<string, FlagDef>;

describe('parseFlags (the one command-line parser)', () => {
  it('reads values in every spelling, switches, positionals and --', () => {
    expect(parseFlags(['a', '-n', 'x', '--wait', '--namespace=y', '--', '--wait'], defs)).toEqual(E.left('flag --namespace given twice (as -n and --namespace)'));
    expect(parseFlags(['a', '--namespace=y', '--wait', 'b', '--', '--wait', '-n'], defs)).toEqual(
      E.right({ flags: { ns: 'y', wait: true }, positionals: ['a', 'b', '--wait', '-n'] }),
    );
    expect(parseFlags(['-nshop'], defs)).toEqual(E.right({ flags: { ns: 'shop' }, positionals: [] }));
    expect(parseFlags(['-n=shop'], defs)).toEqual(E.right({ flags: { ns: 'shop' }, positionals: [] }));
    expect(parseFlags(['-Aw'], defs)).toEqual(E.right({ flags: { all: true, wait: true }, positionals: [] }));
  });

  it('collects a repeatable flag in order and takes "-" (stdin) as a value', () => {
    expect(parseFlags(['-f', 'a.yaml', '-f=b.yaml', '-f', '-'], defs)).toEqual(E.right({ flags: { file: ['a.yaml', 'b.yaml', '-'] }, positionals: [] }));
  });

  it('reads a bool alone as true and =true / =false, never the next argument', () => {
    expect(parseFlags(['--leader-elect'], defs)).toEqual(E.right({ flags: { elect: true }, positionals: [] }));
    expect(parseFlags(['--leader-elect=false'], defs)).toEqual(E.right({ flags: { elect: false }, positionals: [] }));
    expect(parseFlags(['--leader-elect', 'false'], defs)).toEqual(E.right({ flags: { elect: true }, positionals: ['false'] }));
  });

  it('keeps a negative number as one positional', () => {
    expect(parseFlags(['-5'], defs)).toEqual(E.right({ flags: {}, positionals: ['-5'] }));
    expect(parseFlags(['x', '-12', '-w'], defs)).toEqual(E.right({ flags: { wait: true }, positionals: ['x', '-12'] }));
  });

  it.each([
    [['--wait=yes'], 'flag --wait takes no value (got "yes")'],
    [['-n', '--wait'], 'flag -n needs a value (-n NAMESPACE)'],
    [['--namespace'], 'flag --namespace needs a value (--namespace NAMESPACE)'],
    [['--namespace='], 'flag --namespace needs a non-empty value (--namespace NAMESPACE)'],
    [['--leader-elect=yes'], '--leader-elect: "yes" is not true or false'],
    [['-w', '--wait'], 'flag --wait given twice (as -w and --wait)'],
    [['-x'], 'unknown flag -x'],
    [['-Ax'], 'unknown flag -x'],
    [['--namspace=x'], 'unknown flag --namspace'],
  ])('rejects %j with one sentence naming the flag', (args, message) => {
    expect(parseFlags(args, defs)).toEqual(E.left(message));
  });
});

describe('flagValue', () => {
  it('converts a value or names the flag, the value and the expected form', () => {
    expect(flagValue('--port', '8080', parsePort, 'a port number')).toEqual(E.right(8080));
    expect(flagValue('--port', '65536', parsePort, 'a port number (expected 0..65535)')).toEqual(E.left('--port: "65536" is not a port number (expected 0..65535)'));
    expect(badValue('--timeout', 'soon', 'a duration')).toBe('--timeout: "soon" is not a duration');
  });

  it('parsePort takes 0..65535 written as digits only', () => {
    expect(['0', '3100', '65535'].map(parsePort)).toEqual([0, 3100, 65535]);
    expect(['65536', '-1', '1e3', ' 80', '0x50', ''].map(parsePort)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
  });
});
