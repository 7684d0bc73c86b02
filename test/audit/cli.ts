/**
 * Check an audit log from a terminal: `scripts/cluster.sh audit` compiles and runs this over the
 * environment's $SLUICE_AUDIT_LOG. Prints the counts and one line per violation; exits 1 when
 * there are violations, 2 when the log cannot be read.
 *
 *   node cli.js [--agent-prefix sluice/] <audit.log>
 */
import * as E from 'fp-ts/Either';
import { parseFlags, type FlagDef } from '../../src/cli/parseFlags';
import { formatViolations, readAuditEvents, summarizeWrites } from './audit';

const USAGE = 'usage: cli [--agent-prefix PREFIX] <audit.log>  (or set SLUICE_AUDIT_LOG)';
const FLAGS = { agentPrefix: { names: ['--agent-prefix'], kind: 'string', value: 'PREFIX' } } as const satisfies Record<string, FlagDef>;

const main = (args: readonly string[]): number => {
  const parsed = parseFlags(args, FLAGS);
  if (E.isLeft(parsed) || parsed.right.positionals.length > 1) {
    process.stderr.write(`${E.isLeft(parsed) ? parsed.left : `unexpected argument ${JSON.stringify(parsed.right.positionals[1])}`}\n${USAGE}\n`);
    return 2;
  }
  const agentPrefix = parsed.right.flags.agentPrefix;
  const file = parsed.right.positionals[0] ?? process.env.SLUICE_AUDIT_LOG;
  if (file === undefined || file === '') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let summary;
  try {
    summary = summarizeWrites(readAuditEvents(file), agentPrefix !== undefined ? { agentPrefix } : {});
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  const { violations, sluiceWrites, sluiceRouteWrites, replayedWrites, replicas, racedNamespaceDeletion } = summary;
  process.stdout.write(
    `${file}: ${replayedWrites} writes replayed; ${sluiceWrites} by sluice (${sluiceRouteWrites} VirtualService and HTTPRoute writes) ` +
      `from ${replicas.length} replicas checked; ${violations.length} violations` +
      `${racedNamespaceDeletion > 0 ? `; ${racedNamespaceDeletion} route writes raced a namespace deletion (counted, not judged)` : ''}\n`,
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
