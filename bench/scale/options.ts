/** The flags of `scripts/bench.sh scale` (pure parsing). */
import { FleetOptions } from './fleet';
import { parseDuration } from '../../src/api/duration';

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
  --node-options "..."     options for the daemon's node (default none)`;

const DEFAULT_LEVELS = [250, 500, 1000];

export const parseOptions = (argv: readonly string[]): BenchOptions | string | 'help' => {
  const v = new Map<string, string>();
  let keep = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') return 'help';
    if (a === '--keep') { keep = true; continue; }
    if (!a.startsWith('--')) return `unexpected argument ${JSON.stringify(a)}`;
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) return `--${name} needs a value`;
    v.set(name, value);
  }
  const known = ['shifts', 'pods-per-version', 'unrelated-pods', 'levels', 'commands', 'command-rate', 'churn', 'churn-rate', 'interval', 'lease-duration', 'settle', 'json', 'seed', 'node-options', 'parallel', 'prefix', 'quiet'];
  const unknown = [...v.keys()].find((k) => !known.includes(k));
  if (unknown) return `unknown flag --${unknown}`;
  const int = (name: string, def: number, min: number): number | string => {
    const s = v.get(name);
    if (s === undefined) return def;
    return /^\d+$/.test(s) && Number(s) >= min ? Number(s) : `--${name}: ${JSON.stringify(s)} is not an integer >= ${min}`;
  };
  const num = (name: string, def: number): number | string => {
    const s = v.get(name);
    if (s === undefined) return def;
    return Number(s) > 0 ? Number(s) : `--${name}: ${JSON.stringify(s)} is not a positive number`;
  };
  const dur = (name: string, def: number): number | string => {
    const s = v.get(name);
    if (s === undefined) return def;
    const ms = parseDuration(s);
    return ms === undefined ? `--${name}: ${JSON.stringify(s)} is not a duration like 90s or 10m` : ms;
  };
  const values = {
    shifts: int('shifts', 2000, 1), podsPerVersion: int('pods-per-version', 1, 1), unrelated: int('unrelated-pods', 20000, 0),
    commands: int('commands', 200, 1), commandRate: num('command-rate', 5), churnMs: dur('churn', 600_000), churnRate: num('churn-rate', 1),
    intervalMs: dur('interval', 30_000), leaseMs: dur('lease-duration', 15_000), settleMs: dur('settle', 20_000), quietMs: dur('quiet', 60_000), seed: int('seed', 1, 0), parallel: int('parallel', 32, 1),
  };
  const bad = Object.values(values).find((x) => typeof x === 'string');
  if (bad !== undefined) return bad as string;
  const n = values.shifts as number;
  const levelsText = v.get('levels');
  const prefix = v.get('prefix') ?? 'scale';
  if (!/^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/.test(prefix)) return `--prefix: ${JSON.stringify(prefix)} is not a short DNS label (lower-case letters, digits, "-")`;
  const levels = levelsText === undefined ? DEFAULT_LEVELS.filter((l) => l < n) : levelsText.split(',').filter((x) => x !== '').map(Number);
  if (levels.some((l) => !Number.isInteger(l) || l < 1 || l >= n)) return `--levels: ${JSON.stringify(levelsText)} is not a list of shift counts below --shifts ${n}`;
  return {
    fleet: { shifts: n, podsPerVersion: values.podsPerVersion as number, unrelatedPods: values.unrelated as number, shiftsPerNamespace: 25, unrelatedPerNamespace: 1000, prefix },
    levels: [...[...new Set(levels)].sort((a, b) => a - b), n],
    commands: values.commands as number,
    commandRate: values.commandRate as number,
    churnMs: values.churnMs as number,
    churnRate: values.churnRate as number,
    intervalS: Math.round((values.intervalMs as number) / 1000),
    leaseDurationS: Math.round((values.leaseMs as number) / 1000),
    settleMs: values.settleMs as number,
    quietMs: values.quietMs as number,
    parallel: values.parallel as number,
    seed: values.seed as number,
    ...(v.has('json') ? { json: v.get('json')! } : {}),
    keep,
    nodeArgs: (v.get('node-options') ?? '').split(/\s+/).filter((x) => x !== ''),
  };
};
