/**
 * Jest globalTeardown of the integration project: stops the environment only if globalSetup
 * started it and SLUICE_KEEP_ENV is not set (keep it for a faster next run or for debugging).
 */
import { spawnSync } from 'node:child_process';
import { CLUSTER_SH, envDir } from './env';
import { STARTED_FLAG } from './globalSetup';

export default async function globalTeardown(): Promise<void> {
  if (process.env[STARTED_FLAG] !== '1') return;
  if (process.env.SLUICE_KEEP_ENV) {
    process.stderr.write(`[integration] SLUICE_KEEP_ENV set: leaving the environment in ${envDir()} up (scripts/cluster.sh down stops it)\n`);
    return;
  }
  spawnSync('bash', [CLUSTER_SH, 'down'], { stdio: ['ignore', 2, 2], env: process.env });
}
