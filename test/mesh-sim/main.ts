/**
 * CLI: `node dist/test/mesh-sim/main.js --config FILE` (JSON or YAML). Runs until SIGTERM/SIGINT,
 * then stops cleanly (ledger written, Prometheus target removed) and exits 0.
 */
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { promises as fs } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseFlags, type FlagDef } from '../../src/cli/parseFlags';
import { MeshSimConfigError, startMeshSim } from './sim';

const USAGE = 'usage: mesh-sim --config FILE   (JSON or YAML; see docs/mesh-simulator.md)';

const FLAGS = { config: { names: ['--config'], kind: 'string', value: 'FILE' } } as const satisfies Record<string, FlagDef>;

/** The config file, or one sentence naming what is wrong (the one flag parser, src/cli/parseFlags.ts). */
const configPath = (argv: readonly string[]): E.Either<string, string> =>
  pipe(
    parseFlags(argv, FLAGS),
    E.filterOrElse((p) => p.positionals.length === 0, (p) => `unexpected argument ${JSON.stringify(p.positionals[0])}`),
    E.chain((p) => E.fromNullable('--config FILE is required')(p.flags.config)),
  );

const readConfig = async (file: string): Promise<unknown> => {
  const text = await fs.readFile(file, 'utf8');
  return /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
};

const main = async (): Promise<number> => {
  const path = configPath(process.argv.slice(2));
  if (E.isLeft(path)) {
    process.stderr.write(`mesh-sim: ${path.left}\n${USAGE}\n`);
    return 2;
  }
  const file = path.right;
  let config: unknown;
  try {
    config = await readConfig(file);
  } catch (e) {
    process.stderr.write(`mesh-sim: cannot read ${file}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const sim = await startMeshSim(config);
  process.stdout.write(`${JSON.stringify({ port: sim.port, url: sim.url })}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await sim.stop();
  return 0;
};

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(e instanceof MeshSimConfigError ? `mesh-sim: ${e.message}\n` : `mesh-sim: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(e instanceof MeshSimConfigError ? 2 : 1);
  },
);
