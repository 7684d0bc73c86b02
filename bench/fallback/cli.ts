/** The flags of `scripts/bench.sh fallback` (pure parsing, through the one flag parser src/cli/parseFlags.ts). */
import * as E from 'fp-ts/Either';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseFlags, type FlagDef } from '../../src/cli/parseFlags';
import { SETTINGS, toolRunOf, type Settings, type ToolRun } from './scenario';

/** A bad command line: the message is one sentence for the usage line. */
export class UsageError extends Error {}

export interface Args {
  readonly scenarioFile: string;
  readonly tools: readonly ToolRun[];
  readonly runs?: number;
  readonly settings?: Settings;
  readonly json?: string;
  readonly logs: string;
  readonly keep: boolean;
}

export const USAGE = `usage: scripts/bench.sh fallback --scenario FILE [--tools sluice,flagger] [--runs N] [--settings defaults|matched] [--json OUT] [--logs DIR] [--keep]`;

const FLAGS = {
  scenario: { names: ['--scenario'], kind: 'string', value: 'FILE' },
  tools: { names: ['--tools'], kind: 'string', value: 'LIST' },
  runs: { names: ['--runs'], kind: 'string', value: 'N' },
  settings: { names: ['--settings'], kind: 'string', value: 'defaults|matched' },
  json: { names: ['--json'], kind: 'string', value: 'OUT' },
  logs: { names: ['--logs'], kind: 'string', value: 'DIR' },
  keep: { names: ['--keep'], kind: 'switch' },
} as const satisfies Record<string, FlagDef>;

/** The arguments, or a UsageError with one sentence naming the flag, the value and the expected form (src/cli/parseFlags.ts). */
export const parseCli = (argv: readonly string[]): Args => {
  const parsed = parseFlags(argv, FLAGS);
  if (E.isLeft(parsed)) throw new UsageError(parsed.left);
  if (parsed.right.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.right.positionals[0])}`);
  const values = { ...parsed.right.flags, tools: parsed.right.flags.tools ?? 'sluice,flagger', keep: parsed.right.flags.keep === true };
  if (!values.scenario) throw new UsageError('--scenario FILE is required');
  const labels = [...new Set(values.tools!.split(',').map((t) => t.trim()).filter((t) => t !== ''))];
  const unknown = labels.filter((t) => toolRunOf(t) === undefined);
  if (labels.length === 0 || unknown.length > 0) {
    throw new UsageError(`--tools: ${JSON.stringify(values.tools)} names ${unknown.join(', ') || 'no tool'} (expected a comma-separated list of sluice, flagger, sluice:<analysis method>)`);
  }
  if (labels.filter((l) => l === 'flagger').length > 1) throw new UsageError('--tools: flagger given twice');
  let runs: number | undefined;
  if (values.runs !== undefined) {
    runs = Number(values.runs);
    if (!Number.isInteger(runs) || runs < 1 || runs > 200) throw new UsageError(`--runs: ${values.runs} is not an integer from 1 to 200`);
  }
  if (values.settings !== undefined && !(SETTINGS as readonly string[]).includes(values.settings)) {
    throw new UsageError(`--settings: ${values.settings} is not one of ${SETTINGS.join(', ')}`);
  }
  return {
    scenarioFile: values.scenario,
    tools: labels.map((l) => toolRunOf(l)!),
    ...(runs !== undefined ? { runs } : {}),
    ...(values.settings !== undefined ? { settings: values.settings as Settings } : {}),
    ...(values.json !== undefined ? { json: values.json } : {}),
    logs: values.logs ?? path.join(os.tmpdir(), `sluice-bench-fallback-${process.pid}`),
    keep: values.keep!,
  };
};
