/**
 * The SRE commands: promote, abort, pause, resume, retry, set-weight, shift. Each writes the
 * sluice.dev/* annotations (one JSON merge patch, with sluice.dev/by and a fresh command-id) and
 * says what it asked; with --wait it blocks until the daemon applied or rejected it.
 * Exit codes: 0 done, 1 rejected / failed / timed out, 2 usage error.
 */
import * as E from 'fp-ts/Either';
import { parseDuration } from '../api/duration';
import { CommandVerb } from '../core/types';
import { isVersion, parseWeight, VERSION_EXPECTED, WEIGHT_EXPECTED } from '../kube/annotations';
import { CliCommand, depsFor, TextIo } from './cliDeps';
import { getCommand, GET_USAGE } from './get';
import { EXIT } from './output';
import { COMMON_FLAGS, FlagDef, flagValue, Parsed, parseFlags, splitName } from './parseFlags';
import { statusCommand, STATUS_USAGE } from './status';
import { waitForAnswer, writeCommand } from './wait';

const FLAGS = {
  ...COMMON_FLAGS,
  by: { names: ['--by'], kind: 'string', value: 'WHO' },
  wait: { names: ['--wait'], kind: 'switch' },
  timeout: { names: ['--timeout'], kind: 'string', value: 'DURATION' },
  to: { names: ['--to'], kind: 'string', value: 'VERSION' },
} as const satisfies Record<string, FlagDef>;
type Flags = Parsed<typeof FLAGS>['flags'];

export const DEFAULT_WAIT = '60s';
const COMMON_USAGE = `[-n NAMESPACE] [--by WHO] [--wait [--timeout ${DEFAULT_WAIT}]] [--kubeconfig FILE]`;

/** What one SRE command needs besides the shared flow: its verb, its value, and words for the user. */
interface Sre {
  readonly verb: CommandVerb;
  readonly usage: string;
  /** The value written with the verb (weight, version), from the positionals after NAME and the flags. */
  readonly value: (rest: readonly string[], flags: Flags) => E.Either<string, string | number | undefined>;
  /** "promote the candidate now", for "asked to …". */
  readonly says: (value: string | number | undefined) => string;
}

const noValue = (rest: readonly string[], flags: Flags): E.Either<string, undefined> =>
  rest.length > 0 ? E.left(`unexpected argument ${JSON.stringify(rest[0])}`) : flags.to ? E.left('flag --to is only for shift') : E.right(undefined);

const simple = (verb: CommandVerb, says: string): Sre => ({ verb, usage: `${verb} NAME ${COMMON_USAGE}`, value: noValue, says: () => says });

const SRE: Readonly<Record<string, Sre>> = {
  promote: simple('promote', 'promote the candidate now'),
  abort: simple('abort', 'abort the shift and send all traffic to the stable version'),
  pause: simple('pause', 'pause the shift'),
  resume: simple('resume', 'resume the shift'),
  retry: simple('retry', 'retry the rolled-back version'),
  'set-weight': {
    verb: 'set-weight',
    usage: `set-weight NAME WEIGHT ${COMMON_USAGE}`,
    value: (rest, flags) => {
      if (flags.to) return E.left('flag --to is only for shift');
      if (rest.length === 0) return E.left('missing WEIGHT (an integer from 0 to 100)');
      if (rest.length > 1) return E.left(`unexpected argument ${JSON.stringify(rest[1])}`);
      const weight = parseWeight(rest[0]!);
      return weight === undefined ? E.left(`WEIGHT ${JSON.stringify(rest[0])} ${WEIGHT_EXPECTED}`) : E.right(weight);
    },
    says: (w) => `set the candidate weight to ${w}%`,
  },
  shift: {
    verb: 'shift-to',
    usage: `shift NAME --to VERSION ${COMMON_USAGE}`,
    value: (rest, flags) => {
      if (rest.length > 0) return E.left(`unexpected argument ${JSON.stringify(rest[0])}`);
      const to = flags.to;
      if (to === undefined) return E.left('missing --to VERSION');
      return isVersion(to) ? E.right(to) : E.left(`--to ${JSON.stringify(to)} ${VERSION_EXPECTED}`);
    },
    says: (v) => `shift to version ${v}`,
  },
};

const sreCommand = (command: string, sre: Sre): CliCommand => async (args, { io, connect }) => {
  const usage = (why: string): number => {
    io.err(`${io.program} ${command}: ${why} (usage: ${io.program} ${sre.usage})`);
    return EXIT.usage;
  };
  const failed = (why: string): number => {
    io.err(`${io.program} ${command}: ${why}`);
    return EXIT.failed;
  };

  const parsed = parseFlags(args, FLAGS);
  if (E.isLeft(parsed)) return usage(parsed.left);
  const { flags, positionals } = parsed.right;
  if (flags.help) {
    io.out(`usage: ${io.program} ${sre.usage}`);
    return EXIT.ok;
  }
  const [nameArg, ...rest] = positionals;
  if (nameArg === undefined) return usage('missing NAME');
  const named = splitName(nameArg, flags.namespace);
  if (E.isLeft(named)) return usage(named.left);
  const { name } = named.right;
  const value = sre.value(rest, flags);
  if (E.isLeft(value)) return usage(value.left);
  const timeoutMs = flagValue('--timeout', flags.timeout ?? DEFAULT_WAIT, parseDuration, 'a duration (expected e.g. "30s", "2m")');
  if (E.isLeft(timeoutMs)) return usage(timeoutMs.left);
  if (flags.timeout && !flags.wait) return usage('--timeout needs --wait');

  const access = await connect(flags.kubeconfig);
  if (E.isLeft(access)) return failed(access.left);
  const { shifts } = access.right;
  const namespace = named.right.namespace ?? access.right.namespace;
  const by = flags.by ?? (io.env['USER'] || io.env['USERNAME'] || undefined);
  const id = io.newId();
  const written = await writeCommand(shifts, { namespace, name }, { verb: sre.verb, value: value.right, by, id })();
  if (E.isLeft(written)) return failed(written.left.message);
  const where = `${namespace}/${name}`;
  io.out(`${where}: asked to ${sre.says(value.right)} (command ${id}${by ? `, by ${by}` : ''})`);
  if (!flags.wait) return EXIT.ok;

  const answered = await waitForAnswer(io, shifts, { namespace, name }, id, written.right, timeoutMs.right);
  if (E.isLeft(answered)) return failed(answered.left);
  const outcome = answered.right;
  switch (outcome._tag) {
    case 'Applied':
      io.out(`${where}: applied${outcome.message ? `: ${outcome.message}` : ''}`);
      return EXIT.ok;
    case 'Rejected':
      return failed(`${where}: rejected: ${outcome.message}`);
    case 'Replaced':
      return failed(`${where}: command ${id} was replaced by command ${outcome.id} before the daemon answered it`);
    case 'Pending':
      return failed(
        io.signal?.aborted
          ? `${where}: stopped waiting; command ${id} is still pending`
          : `${where}: no answer from the daemon within ${flags.timeout ?? DEFAULT_WAIT}; command ${id} is still pending (is "sluice run" running?)`,
      );
  }
};

/** An entry of the command table in main.ts. */
export interface CommandEntry {
  /** One line for the top-level help. */
  readonly summary: string;
  /** The usage line after the program name. */
  readonly usage: string;
  readonly run: CliCommand;
}

const sreEntry = (command: string, summary: string): CommandEntry => ({ summary, usage: SRE[command]!.usage, run: sreCommand(command, SRE[command]!) });

/** get, status and the SRE commands, keyed by the word that selects them. */
export const OPERATOR_COMMANDS: Readonly<Record<string, CommandEntry>> = {
  get: { summary: 'list TrafficShifts with their versions, weights and phase', usage: GET_USAGE, run: getCommand },
  status: { summary: 'show one shift: phase, weights, step, last gate verdict, history', usage: STATUS_USAGE, run: statusCommand },
  promote: sreEntry('promote', 'promote the candidate to 100 % now'),
  abort: sreEntry('abort', 'fall back to the stable version now'),
  pause: sreEntry('pause', 'freeze weights and step clocks (the gate still guards)'),
  resume: sreEntry('resume', 'continue a paused shift'),
  retry: sreEntry('retry', 'start the rolled-back version again'),
  'set-weight': sreEntry('set-weight', 'set the candidate weight and hold it there'),
  shift: sreEntry('shift', 'shift to another version (sets spec.version)'),
};

/** Rows for main.ts's command table: every operator command, with the production Kubernetes client, writing to `io`. */
export const operatorRows = (io: TextIo): Readonly<Record<string, { summary: string; run: (args: readonly string[]) => Promise<number> }>> =>
  Object.fromEntries(
    Object.entries(OPERATOR_COMMANDS).map(([name, entry]) => [name, { summary: entry.summary, run: (args: readonly string[]) => entry.run(args, depsFor(io)) }]),
  );
