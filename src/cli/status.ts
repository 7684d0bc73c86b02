/**
 * `sluice status NAME [-n NAMESPACE] [--watch]`: where one shift is and why — phase, weights as a
 * bar, the step, the last gate verdict with its numbers, the next scheduled start, a pending
 * command, and recent history. --watch redraws every 2 s until Ctrl-C.
 */
import * as E from 'fp-ts/Either';
import { KubeObject } from '../kube/objects';
import { describeInstant } from '../schedule';
import { CliCommand } from './cliDeps';
import { EXIT } from './output';
import { COMMON_FLAGS, FlagDef, parseFlags, splitName } from './parseFlags';
import { gateLine, historyLine, pendingLine, relative, shownCandidate, ShiftView, viewOf, weightBar } from './shiftView';

const FLAGS = { ...COMMON_FLAGS, watch: { names: ['-w', '--watch'], kind: 'switch' } } as const satisfies Record<string, FlagDef>;

export const STATUS_USAGE = 'status NAME [-n NAMESPACE] [--watch] [--kubeconfig FILE]';
export const WATCH_INTERVAL_MS = 2000;
const HISTORY_SHOWN = 8;

const field = (label: string, value: string): string => `${`${label}:`.padEnd(13)}${value}`;
const more = (value: string): string => `${' '.repeat(13)}${value}`;

const phaseText = (v: ShiftView): string => {
  const s = v.status;
  const phase = s.phase ?? 'not reconciled yet';
  if (v.strategy !== 'canary' || v.steps === undefined || s.step === undefined) return phase;
  if (s.step < 0) return `${phase}, before the first step`;
  return `${phase}, step ${s.step + 1} of ${v.steps.length} (${v.steps[s.step] ?? '?'}%)`;
};

/** spec.schedule.timeZone as written, UTC when absent. */
const timeZoneOf = (obj: KubeObject): string => {
  const zone = (obj.spec as { schedule?: { timeZone?: unknown } } | undefined)?.schedule?.timeZone;
  return typeof zone === 'string' && zone !== '' ? zone : 'UTC';
};

/** The status page of one shift (pure). */
export const renderStatus = (obj: KubeObject, now: number): string[] => {
  const v = viewOf(obj);
  const s = v.status;
  const lines = [field('Name', `${v.namespace}/${v.name}`), field('Service', v.service ?? '-')];
  lines.push(field('Version', `${v.version ?? '-'} (spec)${s.stableVersion ? `, stable ${s.stableVersion}` : ''}`));
  lines.push(field('Phase', phaseText(v)));
  if (s.weights) lines.push(field('Weights', weightBar(s.weights, s.stableVersion ?? 'stable', shownCandidate(s) ?? s.candidateVersion)));
  const ready = s.conditions?.find((c) => c.type === 'Ready');
  if (ready && ready.status !== 'True') lines.push(field('Ready', `${ready.status} (${ready.reason}): ${ready.message}`));
  if (s.lastGate) lines.push(field('Last gate', gateLine(s.lastGate)), more(s.lastGate.message));
  if (s.nextStart) lines.push(field('Next start', `${describeInstant(Date.parse(s.nextStart), timeZoneOf(obj))}, ${relative(s.nextStart, now)}`));
  const pending = pendingLine(v.annotations);
  if (pending) lines.push(field('Pending', pending));
  if (s.message) lines.push(field('Message', s.message));
  const history = s.history ?? [];
  if (history.length > 0) {
    lines.push('History:');
    for (const h of history.slice(-HISTORY_SHOWN)) lines.push(`  ${historyLine(h, now)}`);
  }
  return lines;
};

export const statusCommand: CliCommand = async (args, { io, connect }) => {
  const usage = (why: string): number => {
    io.err(`${io.program} status: ${why} (usage: ${io.program} ${STATUS_USAGE})`);
    return EXIT.usage;
  };
  const parsed = parseFlags(args, FLAGS);
  if (E.isLeft(parsed)) return usage(parsed.left);
  const { flags, positionals } = parsed.right;
  if (flags.help) {
    io.out(`usage: ${io.program} ${STATUS_USAGE}`);
    return EXIT.ok;
  }
  const [nameArg, extra] = positionals;
  if (nameArg === undefined) return usage('missing NAME');
  if (extra !== undefined) return usage(`unexpected argument ${JSON.stringify(extra)}`);
  const named = splitName(nameArg, flags.namespace);
  if (E.isLeft(named)) return usage(named.left);
  const { name } = named.right;
  const access = await connect(flags.kubeconfig);
  if (E.isLeft(access)) {
    io.err(`${io.program} status: ${access.left}`);
    return EXIT.failed;
  }
  const namespace = named.right.namespace ?? access.right.namespace;
  let shown = '';
  for (;;) {
    const got = await access.right.shifts.get(namespace, name)();
    if (E.isLeft(got) && (!flags.watch || got.left._tag === 'NotFound')) {
      io.err(`${io.program} status: ${got.left.message}`);
      return EXIT.failed;
    }
    const lines = E.isRight(got) ? renderStatus(got.right, io.now()) : [`${io.program} status: ${got.left.message}`];
    const text = lines.join('\n');
    if (!flags.watch) {
      for (const line of lines) io.out(line);
      return EXIT.ok;
    }
    if (io.isTty) io.out('\x1b[H\x1b[2J');
    if (io.isTty || text !== shown) {
      if (!io.isTty && shown !== '') io.out('');
      for (const line of lines) io.out(line);
      shown = text;
    }
    if (io.signal?.aborted) return EXIT.ok;
    await io.sleep(WATCH_INTERVAL_MS);
    if (io.signal?.aborted) return EXIT.ok;
  }
};
