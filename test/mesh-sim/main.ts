/**
 * CLI: `node dist/test/mesh-sim/main.js --config FILE` (JSON or YAML). Runs until SIGTERM/SIGINT,
 * then stops cleanly (ledger written, Prometheus target removed) and exits 0.
 */
import { promises as fs } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { MeshSimConfigError, startMeshSim } from './sim';

const USAGE = 'usage: mesh-sim --config FILE   (JSON or YAML; see docs/mesh-simulator.md)';

const configPath = (argv: readonly string[]): string | undefined => {
  const i = argv.indexOf('--config');
  if (i >= 0) return argv[i + 1];
  return argv.find((a) => a.startsWith('--config='))?.slice('--config='.length);
};

const readConfig = async (file: string): Promise<unknown> => {
  const text = await fs.readFile(file, 'utf8');
  return /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
};

const main = async (): Promise<number> => {
  const file = configPath(process.argv.slice(2));
  if (file === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
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
