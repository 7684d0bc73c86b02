/**
 * Check an audit log from a terminal: `scripts/cluster.sh audit` compiles and runs this over the
 * environment's $SLUICE_AUDIT_LOG. Prints the counts and one line per violation; exits 1 when
 * there are violations, 2 when the log cannot be read.
 *
 *   node cli.js [--agent-prefix sluice/] <audit.log>
 */
import { formatViolations, readAuditEvents, summarizeWrites } from './audit';

const main = (args: readonly string[]): number => {
  const prefixAt = args.indexOf('--agent-prefix');
  const agentPrefix = prefixAt >= 0 ? args[prefixAt + 1] : undefined;
  const rest = prefixAt >= 0 ? args.filter((_, i) => i !== prefixAt && i !== prefixAt + 1) : args;
  const file = rest[0] ?? process.env.SLUICE_AUDIT_LOG;
  if (file === undefined || file === '') {
    process.stderr.write('usage: cli [--agent-prefix PREFIX] <audit.log>  (or set SLUICE_AUDIT_LOG)\n');
    return 2;
  }
  let summary;
  try {
    summary = summarizeWrites(readAuditEvents(file), agentPrefix !== undefined ? { agentPrefix } : {});
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  const { violations, sluiceWrites, sluiceRouteWrites, replayedWrites, replicas } = summary;
  process.stdout.write(
    `${file}: ${replayedWrites} writes replayed; ${sluiceWrites} by sluice (${sluiceRouteWrites} VirtualService writes) ` +
      `from ${replicas.length} replicas checked; ${violations.length} violations\n`,
  );
  if (violations.length > 0) process.stdout.write(`${formatViolations(violations)}\n`);
  return violations.length > 0 ? 1 : 0;
};

// a closed pipe (cli ... | head) ends quietly
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
process.exitCode = main(process.argv.slice(2));
