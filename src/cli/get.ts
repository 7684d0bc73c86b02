/**
 * `sluice get [-n NAMESPACE | -A]`: one line per TrafficShift.
 *
 *   NAMESPACE   NAME      SERVICE   STABLE   CANDIDATE   WEIGHT   PHASE         AGE
 *   shop        reviews   reviews   v1       v2          90/10    Progressing   3h12m
 */
import * as E from 'fp-ts/Either';
import { KubeObject } from '../kube/objects';
import { CliCommand } from './cliDeps';
import { EXIT } from './output';
import { COMMON_FLAGS, FlagDef, parseFlags } from './parseFlags';
import { ageOf, shownCandidate, table, viewOf, weightPair } from './shiftView';

const FLAGS = { ...COMMON_FLAGS, all: { names: ['-A', '--all-namespaces'], kind: 'switch' } } as const satisfies Record<string, FlagDef>;

export const GET_USAGE = 'get [-n NAMESPACE | -A] [--kubeconfig FILE]';

export const HEADER = ['NAMESPACE', 'NAME', 'SERVICE', 'STABLE', 'CANDIDATE', 'WEIGHT', 'PHASE', 'AGE'] as const;

/** The table for `get`, sorted by namespace and name (pure). */
export const renderShiftTable = (objects: readonly KubeObject[], now: number): string[] => {
  const rows = objects
    .map(viewOf)
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
    .map((v) => [
      v.namespace,
      v.name,
      v.service ?? '-',
      v.status.stableVersion ?? '-',
      shownCandidate(v.status) ?? '-',
      weightPair(v.status.weights),
      v.status.phase ?? '-',
      ageOf(v.createdAt, now),
    ]);
  return table([[...HEADER], ...rows]);
};

export const getCommand: CliCommand = async (args, { io, connect }) => {
  const usage = (why: string): number => {
    io.err(`${io.program} get: ${why} (usage: ${io.program} ${GET_USAGE})`);
    return EXIT.usage;
  };
  const parsed = parseFlags(args, FLAGS);
  if (E.isLeft(parsed)) return usage(parsed.left);
  const { flags, positionals } = parsed.right;
  if (flags.help) {
    io.out(`usage: ${io.program} ${GET_USAGE}`);
    return EXIT.ok;
  }
  if (positionals.length > 0) return usage(`unexpected argument ${JSON.stringify(positionals[0])}`);
  if (flags.all && flags.namespace) return usage('-n and -A cannot be used together');
  const access = await connect(flags.kubeconfig);
  if (E.isLeft(access)) {
    io.err(`${io.program} get: ${access.left}`);
    return EXIT.failed;
  }
  const namespace = flags.all ? undefined : (flags.namespace ?? access.right.namespace);
  const listed = await access.right.shifts.list(namespace)();
  if (E.isLeft(listed)) {
    io.err(`${io.program} get: ${listed.left.message}`);
    return EXIT.failed;
  }
  if (listed.right.length === 0) {
    io.err(namespace === undefined ? 'No TrafficShifts found.' : `No TrafficShifts found in namespace ${namespace}.`);
    return EXIT.ok;
  }
  for (const line of renderShiftTable(listed.right, io.now())) io.out(line);
  return EXIT.ok;
};
