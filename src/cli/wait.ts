/**
 * `--wait`: after writing a command, watch the shift until the daemon has answered it. The daemon
 * records every command (applied or rejected) in status.lastCommandId and in history, then
 * removes the annotations; a command is answered when both have happened.
 */
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import * as TE from 'fp-ts/TaskEither';
import { HistoryEntry } from '../api/status';
import { CommandVerb } from '../core/types';
import { ANNOTATION, commandAnnotationsPatch } from '../kube/annotations';
import { KubeError } from '../kube/errors';
import { KubeObject } from '../kube/objects';
import { CliIo, ShiftClient } from './cliDeps';
import { viewOf } from './shiftView';

export type Outcome =
  /** The daemon applied the command; `message` is its history entry. */
  | { readonly _tag: 'Applied'; readonly message?: string }
  /** The daemon rejected the command; `message` says why. */
  | { readonly _tag: 'Rejected'; readonly message: string }
  /** Someone wrote another command (`id`) before the daemon answered ours. */
  | { readonly _tag: 'Replaced'; readonly id: string }
  /** Not answered yet. */
  | { readonly _tag: 'Pending' };

/** Where the history stood when the command was written: the entries after it are new. */
export interface HistoryMark {
  readonly length: number;
  readonly last?: HistoryEntry;
}

export const markOf = (obj: KubeObject): HistoryMark => {
  const history = viewOf(obj).status.history ?? [];
  return { length: history.length, ...(history.length > 0 ? { last: history[history.length - 1]! } : {}) };
};

/**
 * Write one command (its sluice.dev/* annotations, one JSON merge patch): the one way both the
 * CLI and `sluice dashboard` command a shift. Right: where the history stood, for judgeCommand.
 */
export const writeCommand = (
  shifts: ShiftClient,
  where: { namespace: string; name: string },
  command: { verb: CommandVerb; value: string | number | undefined; by: string | undefined; id: string },
): TE.TaskEither<KubeError, HistoryMark> =>
  pipe(shifts.mergePatch(where.namespace, where.name, commandAnnotationsPatch(command.verb, command.value, command.by, command.id)), TE.map(markOf));

const same = (a: HistoryEntry, b: HistoryEntry): boolean => a.time === b.time && a.event === b.event && a.message === b.message;

/** History entries written after `mark` (the history is bounded, so the mark may have scrolled out). */
const entriesAfter = (history: readonly HistoryEntry[], mark: HistoryMark): readonly HistoryEntry[] => {
  if (mark.last === undefined) return history;
  for (let i = history.length - 1; i >= 0; i -= 1) if (same(history[i]!, mark.last)) return history.slice(i + 1);
  return history.filter((h) => h.time >= mark.last!.time && !same(h, mark.last!));
};

/** How the daemon answered command `id` (pure). */
export const judgeCommand = (obj: KubeObject, id: string, mark: HistoryMark): Outcome => {
  const view = viewOf(obj);
  const pendingId = view.annotations[ANNOTATION.commandId];
  if (view.status.lastCommandId !== id) return pendingId !== undefined && pendingId !== id ? { _tag: 'Replaced', id: pendingId } : { _tag: 'Pending' };
  if (pendingId === id) return { _tag: 'Pending' };
  const recorded = entriesAfter(view.status.history ?? [], mark).filter((h) => h.event === 'CommandApplied' || h.event === 'CommandRejected');
  const entry = recorded[recorded.length - 1];
  if (entry?.event === 'CommandRejected') return { _tag: 'Rejected', message: entry.message };
  return { _tag: 'Applied', ...(entry ? { message: entry.message } : {}) };
};

export const WAIT_POLL_MS = 1000;

/** Poll until the command is answered, `timeoutMs` passes (Pending), or the user interrupts (Pending). */
export const waitForAnswer = async (
  io: Pick<CliIo, 'now' | 'sleep' | 'signal'>,
  shifts: ShiftClient,
  where: { namespace: string; name: string },
  id: string,
  mark: HistoryMark,
  timeoutMs: number,
): Promise<E.Either<string, Outcome>> => {
  const deadline = io.now() + timeoutMs;
  for (;;) {
    const got = await shifts.get(where.namespace, where.name)();
    if (E.isLeft(got)) return E.left(got.left.message);
    const outcome = judgeCommand(got.right, id, mark);
    if (outcome._tag !== 'Pending' || io.now() >= deadline || io.signal?.aborted) return E.right(outcome);
    await io.sleep(Math.min(WAIT_POLL_MS, Math.max(0, deadline - io.now())));
  }
};
