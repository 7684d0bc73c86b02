/** The flags of `scripts/bench.sh scale` (pure parsing). */
import { FleetOptions } from './fleet';
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { parseDuration } from '../../src/api/duration';
import { badValue, flagValue, parseFlags, type FlagDef } from '../../src/cli/parseFlags';

export interface BenchOptions {
  readonly fleet: FleetOptions;
  /** Shift counts at which command latency is measured on the way up to N (N itself is always last). */
  readonly levels: readonly number[];
  /** Commands timed at each level. Default 200. */
  readonly commands: number;
  /** Commands per second while timing (Poisson arrivals). Default 5. */
  readonly commandRate: number;
  /** Length of the churn phase, ms. Default 10 min. */
  readonly churnMs: number;
  /** Commands and pod restarts per second during churn (each). Default 1. */
  readonly churnRate: number;
  /** Gate interval of every shift, s (its Prometheus tick). Default 30. */
  readonly intervalS: number;
  /** Lease duration of the failover pair, s. Default 15 (the chart's). */
  readonly leaseDurationS: number;
  /** How long memory is watched at each stage, ms. Default 20 s. */
  readonly settleMs: number;
  /** Shortest quiet window for the steady-state API and Prometheus counts, ms (at least two gate ticks). Default 60 s. */
  readonly quietMs: number;
  /** Requests in flight while creating objects. Default 32. */
  readonly parallel: number;
  readonly seed: number;
  readonly json?: string;
  /** Leave the namespaces in place. */
  readonly keep: boolean;
  /** Options for the daemon's node (default: none, as the chart runs it). */
  readonly nodeArgs: readonly string[];
}

export const USAGE = `usage: scripts/bench.sh scale [--shifts N] [--pods-per-version K] [--unrelated-pods M] [--json OUT] [flags]

  --shifts N               TrafficShifts, one Service with v1 and v2 each (default 2000)
  --pods-per-version K     pods per version behind each Service (default 1)
  --unrelated-pods M       pods in namespaces without shifts (default 20000)
  --levels A,B,...         also time commands at these shift counts on the way up (default 250,500,1000 below N)
  --commands C             commands timed at each level (default 200)
  --command-rate R         commands per second while timing (default 5)
  --churn DURATION         commands, pod restarts, shifts deleted and created (default 10m)
  --churn-rate R           commands and pod restarts per second during churn (default 1)
  --interval DURATION      gate interval of every shift (default 30s)
  --lease-duration DURATION  lease of the failover pair (default 15s)
  --settle DURATION        memory watched at each stage (default 20s)
  --quiet DURATION         shortest steady-state window for API and Prometheus counts (default 60s; at least two gate ticks)
  --prefix P               prefix of the benchmark's namespaces (default scale)
  --json OUT               write the figures as JSON
  --seed S                 seed of the random choices (default 1)
  --keep                   leave the benchmark's namespaces in place
  --node-options="..."     options for the daemon's node, given inline after "=" (default none)`;

const DEFAULT_LEVELS = [250, 500, 1000];

const FLAGS = {
  shifts: { names: ['--shifts'], kind: 'string', value: 'N' },
  podsPerVersion: { names: ['--pods-per-version'], kind: 'string', value: 'K' },
  unrelated: { names: ['--unrelated-pods'], kind: 'string', value: 'M' },
  levels: { names: ['--levels'], kind: 'string', value: 'A,B,...' },
  commands: { names: ['--commands'], kind: 'string', value: 'C' },
  commandRate: { names: ['--command-rate'], kind: 'string', value: 'R' },
  churn: { names: ['--churn'], kind: 'string', value: 'DURATION' },
  churnRate: { names: ['--churn-rate'], kind: 'string', value: 'R' },
  interval: { names: ['--interval'], kind: 'string', value: 'DURATION' },
  leaseDuration: { names: ['--lease-duration'], kind: 'string', value: 'DURATION' },
  settle: { names: ['--settle'], kind: 'string', value: 'DURATION' },
  quiet: { names: ['--quiet'], kind: 'string', value: 'DURATION' },
  prefix: { names: ['--prefix'], kind: 'string', value: 'P' },
  json: { names: ['--json'], kind: 'string', value: 'OUT' },
  seed: { names: ['--seed'], kind: 'string', value: 'S' },
  parallel: { names: ['--parallel'], kind: 'string', value: 'P' },
  keep: { names: ['--keep'], kind: 'switch' },
  // Node's options start with "-", so they are given inline: --node-options="--max-old-space-size=160".
  nodeOptions: { names: ['--node-options'], kind: 'string', value: 'OPTIONS (inline: --node-options="--max-old-space-size=160")' },
  help: { names: ['-h', '--help'], kind: 'switch' },
} as const satisfies Record<string, FlagDef>;

/** The options, 'help', or one sentence naming the flag, the value and the expected form (src/cli/parseFlags.ts). */
export const parseOptions = (argv: readonly string[]): BenchOptions | string | 'help' => {
  const parsed = parseFlags(argv, FLAGS);
  if (E.isLeft(parsed)) return parsed.left;
  const { flags, positionals } = parsed.right;
  if (flags.help) return 'help';
  if (positionals.length > 0) return `unexpected argument ${JSON.stringify(positionals[0])}`;
  const read = <A>(key: keyof typeof FLAGS, def: A, parse: (text: string) => A | undefined, expected: string): E.Either<string, A> => {
    const text = flags[key];
    return typeof text === 'string' ? flagValue(FLAGS[key].names[0], text, parse, expected) : E.right(def);
  };
  const int = (key: keyof typeof FLAGS, def: number, min: number) => read(key, def, (s) => (/^\d+$/.test(s) && Number(s) >= min ? Number(s) : undefined), `an integer >= ${min}`);
  const num = (key: keyof typeof FLAGS, def: number) => read(key, def, (s) => (Number(s) > 0 ? Number(s) : undefined), 'a positive number');
  const dur = (key: keyof typeof FLAGS, def: number) => read(key, def, parseDuration, 'a duration like 90s or 10m');
  const checked = pipe(
    E.Do,
    E.apS('shifts', int('shifts', 2000, 1)),
    E.apS('podsPerVersion', int('podsPerVersion', 1, 1)),
    E.apS('unrelated', int('unrelated', 20000, 0)),
    E.apS('commands', int('commands', 200, 1)),
    E.apS('commandRate', num('commandRate', 5)),
    E.apS('churnMs', dur('churn', 600_000)),
    E.apS('churnRate', num('churnRate', 1)),
    E.apS('intervalMs', dur('interval', 30_000)),
    E.apS('leaseMs', dur('leaseDuration', 15_000)),
    E.apS('settleMs', dur('settle', 20_000)),
    E.apS('quietMs', dur('quiet', 60_000)),
    E.apS('seed', int('seed', 1, 0)),
    E.apS('parallel', int('parallel', 32, 1)),
    E.apS('prefix', read('prefix', 'scale', (s) => (/^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/.test(s) ? s : undefined), 'a short DNS label (lower-case letters, digits, "-")')),
  );
  if (E.isLeft(checked)) return checked.left;
  const values = checked.right;
  const n = values.shifts;
  const levelsText = flags.levels;
  const levels = levelsText === undefined ? DEFAULT_LEVELS.filter((l) => l < n) : levelsText.split(',').filter((x) => x !== '').map(Number);
  if (levels.some((l) => !Number.isInteger(l) || l < 1 || l >= n)) return badValue('--levels', levelsText ?? '', `a list of shift counts below --shifts ${n}`);
  return {
    fleet: { shifts: n, podsPerVersion: values.podsPerVersion, unrelatedPods: values.unrelated, shiftsPerNamespace: 25, unrelatedPerNamespace: 1000, prefix: values.prefix },
    levels: [...[...new Set(levels)].sort((a, b) => a - b), n],
    commands: values.commands,
    commandRate: values.commandRate,
    churnMs: values.churnMs,
    churnRate: values.churnRate,
    intervalS: Math.round(values.intervalMs / 1000),
    leaseDurationS: Math.round(values.leaseMs / 1000),
    settleMs: values.settleMs,
    quietMs: values.quietMs,
    parallel: values.parallel,
    seed: values.seed,
    ...(flags.json !== undefined ? { json: flags.json } : {}),
    keep: flags.keep === true,
    nodeArgs: (flags.nodeOptions ?? '').split(/\s+/).filter((x) => x !== ''),
  };
};
