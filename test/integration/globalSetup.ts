/**
 * Jest globalSetup of the integration project: brings the local environment up with
 * `scripts/cluster.sh up` (builds sluice-testenv on first use: progress shows on stderr) and
 * exports its env.sh into process.env, so every test (and worker) sees KUBECONFIG, PATH,
 * SLUICE_PROMETHEUS_URL, SLUICE_PROM_TARGETS_DIR, SLUICE_ENV_DIR and SLUICE_SCRAPE_INTERVAL.
 * Remembers whether it started the environment, for globalTeardown.ts.
 */
import { spawnSync } from 'node:child_process';
import { CLUSTER_SH, envDir, readEnvFile } from './env';

export const STARTED_FLAG = 'SLUICE_TESTENV_STARTED_BY_JEST';

export default async function globalSetup(): Promise<void> {
  process.env.SLUICE_ENV_DIR = envDir();
  const wasUp = spawnSync('bash', [CLUSTER_SH, 'status'], { stdio: 'ignore', env: process.env }).status === 0;
  process.stderr.write(`\n[integration] ${wasUp ? 'reusing' : 'starting'} the local environment in ${envDir()}\n`);
  // stdout of the script goes to our stderr as well: progress is visible, jest's output stays clean
  const up = spawnSync('bash', [CLUSTER_SH, 'up'], { stdio: ['ignore', 2, 2], env: process.env });
  if (up.status !== 0) {
    throw new Error(`scripts/cluster.sh up failed (exit ${up.status ?? up.signal}); see the output above and ${envDir()}/logs`);
  }
  Object.assign(process.env, readEnvFile());
  process.env[STARTED_FLAG] = wasUp ? '' : '1';
}
