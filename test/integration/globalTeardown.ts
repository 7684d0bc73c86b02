/**
 * Jest globalTeardown of the integration project. First it checks the API server's audit log of
 * the whole run with test/audit (every write sluice made, issue 9's ground truth) and prints how
 * many writes it checked; then it stops the environment only if globalSetup started it and
 * SLUICE_KEEP_ENV is not set (keep it for a faster next run or for debugging); then it fails the
 * run, listing every violation, if there were any.
 */
import { spawnSync } from 'node:child_process';
import { formatViolations, readAuditEvents, summarizeWrites } from '../audit/audit';
import { CLUSTER_SH, envDir } from './env';
import { STARTED_FLAG } from './globalSetup';

/** The audit check's failure, or undefined when every write passed. */
const checkAuditLog = (): string | undefined => {
  const log = process.env.SLUICE_AUDIT_LOG;
  if (log === undefined || log === '') return `SLUICE_AUDIT_LOG is not set: ${envDir()}/env.sh comes from an older scripts/cluster.sh (run scripts/cluster.sh down, then the tests again)`;
  const t0 = Date.now();
  let summary;
  try {
    summary = summarizeWrites(readAuditEvents(log));
  } catch (e) {
    return `audit log: ${(e as Error).message}`;
  }
  const { violations, sluiceWrites, sluiceRouteWrites, replayedWrites, replicas } = summary;
  process.stderr.write(
    `\n[integration] audit log ${log}: ${sluiceWrites} writes by sluice checked (${sluiceRouteWrites} route writes: VirtualServices and HTTPRoutes, ` +
      `${replicas.length} replicas) among ${replayedWrites} writes replayed, in ${Date.now() - t0} ms: ${violations.length} violations\n`,
  );
  if (violations.length === 0) return undefined;
  return `the audit log shows ${violations.length} writes by sluice that break a safety rule (test/audit/audit.ts RULES):\n${formatViolations(violations)}`;
};

export default async function globalTeardown(): Promise<void> {
  const failure = checkAuditLog();
  if (process.env[STARTED_FLAG] === '1') {
    if (process.env.SLUICE_KEEP_ENV) {
      process.stderr.write(`[integration] SLUICE_KEEP_ENV set: leaving the environment in ${envDir()} up (scripts/cluster.sh down stops it)\n`);
    } else {
      spawnSync('bash', [CLUSTER_SH, 'down'], { stdio: ['ignore', 2, 2], env: process.env });
    }
  }
  if (failure !== undefined) {
    process.stderr.write(`\n[integration] FAILED: ${failure}\n`);
    throw new Error(failure);
  }
}
