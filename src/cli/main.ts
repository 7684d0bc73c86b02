#!/usr/bin/env node
/**
 * The `sluice` (and `kubectl sluice`) command line: a table of commands, each a function of the
 * arguments after its name resolving to an exit code. A command gets its I/O when the table is
 * built, so tests build a table with in-memory I/O. Add a command by adding a row to commandTable.
 */
import { describeError, EXIT, FileIo, nodeFileIo } from './output';
import { operatorRows } from './commands';
import { runPlan } from './plan';

export interface Command {
  /** One line for `sluice help`. */
  readonly summary: string;
  /** Runs with the arguments after the command name; the exit code. */
  readonly run: (args: readonly string[]) => number | Promise<number>;
}

export type CommandTable = Readonly<Record<string, Command>>;

/** Every command, wired to `io` (files, stdout, stderr). */
export const commandTable = (io: FileIo): CommandTable => ({
  plan: { summary: 'check TrafficShift manifests offline and show how each would roll out', run: (args) => runPlan(args, io) },
  ...operatorRows(io),
  // Loaded on use: the daemon pulls in @kubernetes/client-node (ESM), which offline commands and
  // their tests should not need to load.
  dashboard: {
    summary: 'a local web UI: every shift live, its charts and history, and the SRE commands',
    run: async (args) => (await import('../dashboard/command')).runDashboard(args, io),
  },
  run: {
    summary: 'run the controller daemon (watches TrafficShifts, shifts traffic, serves /metrics)',
    run: async (args) => (await import('./run')).runDaemon(args, io),
  },
});

export const usage = (table: CommandTable): string => {
  const width = Math.max(...Object.keys(table).map((name) => name.length));
  const rows = Object.entries(table).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: sluice COMMAND [ARGS]\n\ncommands:\n${rows.join('\n')}\n\nRun "sluice COMMAND --help" for a command's arguments.\n`;
};

/** Dispatches argv (without node and script) to a command; never throws, never prints a stack trace. */
export const main = async (argv: readonly string[], io: FileIo, table: CommandTable = commandTable(io)): Promise<number> => {
  const [name, ...args] = argv;
  if (name === undefined) {
    io.stderr(usage(table));
    return EXIT.usage;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    io.stdout(usage(table));
    return EXIT.ok;
  }
  const command = Object.hasOwn(table, name) ? table[name] : undefined;
  if (command === undefined) {
    io.stderr(`sluice: unknown command "${name}"\n${usage(table)}`);
    return EXIT.usage;
  }
  try {
    return await command.run(args);
  } catch (e) {
    io.stderr(`sluice ${name}: ${describeError(e)}\n`);
    if (process.env.SLUICE_DEBUG) io.stderr(`${(e as Error)?.stack ?? ''}\n`);
    return EXIT.failed;
  }
};

if (require.main === module) {
  // `sluice status x | head` closes the pipe early: stop quietly, as other CLIs do, instead of an
  // unhandled EPIPE stack trace.
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  void main(process.argv.slice(2), nodeFileIo()).then((code) => {
    process.exitCode = code;
  });
}
