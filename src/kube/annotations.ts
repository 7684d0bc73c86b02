/**
 * SRE commands travel as annotations on the TrafficShift, so `kubectl annotate` works as well as
 * the CLI, and RBAC on `patch trafficshifts` decides who may command:
 *
 *   sluice.dev/command     promote | abort | pause | resume | retry
 *   sluice.dev/set-weight  candidate weight, an integer 0..100
 *   sluice.dev/shift-to    a version (label value) to shift to
 *   sluice.dev/by          who asked (the CLI writes $USER or --by)
 *   sluice.dev/command-id  unique per command (the CLI writes a fresh one)
 *
 * Pure: parsing into a core Command, and the JSON merge patches that write and clear them.
 */
import { createHash } from 'node:crypto';
import { Command, CommandVerb } from '../core/types';

export const ANNOTATION = {
  command: 'sluice.dev/command',
  setWeight: 'sluice.dev/set-weight',
  shiftTo: 'sluice.dev/shift-to',
  by: 'sluice.dev/by',
  commandId: 'sluice.dev/command-id',
} as const;

/** The verbs written to sluice.dev/command (set-weight and shift-to have their own annotations). */
export const COMMAND_WORDS = ['promote', 'abort', 'pause', 'resume', 'retry'] as const;
export type CommandWord = (typeof COMMAND_WORDS)[number];
const isCommandWord = (s: string): s is CommandWord => (COMMAND_WORDS as readonly string[]).includes(s);

const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Whether `text` is a weight the set-weight command accepts: an integer 0..100 in decimal digits. */
export const parseWeight = (text: string): number | undefined => {
  const t = text.trim();
  return /^\d{1,3}$/.test(t) && Number(t) <= 100 ? Number(t) : undefined;
};

export const WEIGHT_EXPECTED = 'is not an integer from 0 to 100';
export const VERSION_EXPECTED = 'is not a valid label value (expected letters, digits, "-", "_" or ".", at most 63 characters)';

/** Whether `text` can be a version: a non-empty Kubernetes label value. */
export const isVersion = (text: string): boolean => text.length <= 63 && LABEL_VALUE.test(text);

const listWords = (words: readonly string[]): string => `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
const joinAnd = (words: readonly string[]): string => (words.length === 2 ? words.join(' and ') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`);

/**
 * The command-id to use when the annotation has none (written by `kubectl annotate`): a hash of
 * the command annotations and the object's resourceVersion, stable across reconciles of the same
 * write, different for the same command written again later.
 */
export const deriveCommandId = (annotations: Readonly<Record<string, string>>, resourceVersion: string | undefined): string => {
  const parts = [ANNOTATION.command, ANNOTATION.setWeight, ANNOTATION.shiftTo, ANNOTATION.by].map((k) => annotations[k] ?? null);
  return `rv-${createHash('sha256').update(JSON.stringify([...parts, resourceVersion ?? null])).digest('hex').slice(0, 16)}`;
};

/**
 * Annotation text copied into status history and Events is bounded, so a few huge values cannot
 * push the status past etcd's object size limit and wedge the shift (issue 9 #13).
 */
const MAX_BY = 253;
const MAX_RAW = 200;
const clipped = (text: string | undefined, max: number): string | undefined =>
  text === undefined || text.length <= max ? text : `${text.slice(0, max)}... (${text.length} characters)`;

/** A value quoted for a sentence, clipped. */
const shown = (value: string): string => clipped(JSON.stringify(value), 80)!;

/** The object fields the parser reads. */
export interface CommandSource {
  readonly annotations?: Readonly<Record<string, string>>;
  readonly resourceVersion?: string;
}

/**
 * The pending command on an object, or undefined when none of sluice.dev/command,
 * sluice.dev/set-weight, sluice.dev/shift-to is set. Invalid (with a sentence) for an unknown
 * word, a weight outside 0..100, a version that is not a label value, or several commands at once.
 */
export const parseCommand = (meta: CommandSource): Command | undefined => {
  const a = meta.annotations ?? {};
  const present = [ANNOTATION.command, ANNOTATION.setWeight, ANNOTATION.shiftTo].filter((k) => a[k] !== undefined);
  if (present.length === 0) return undefined;
  const by = clipped(a[ANNOTATION.by]?.trim() || undefined, MAX_BY);
  const id = a[ANNOTATION.commandId]?.trim() || deriveCommandId(a, meta.resourceVersion);
  const common = { id, ...(by !== undefined ? { by } : {}) };
  const raw = clipped(present.map((k) => `${k}=${a[k]}`).join(', '), MAX_RAW)!;
  const invalid = (reason: string): Command => ({ _tag: 'Invalid', ...common, raw, reason });
  if (present.length > 1)
    return invalid(`${joinAnd(present)} are ${present.length === 2 ? 'both' : 'all'} set; expected one command at a time`);
  const key = present[0]!;
  const value = a[key]!.trim();
  switch (key) {
    case ANNOTATION.command: {
      if (isCommandWord(value)) return { _tag: 'Valid', ...common, verb: value };
      if (value === 'set-weight' || value === 'shift-to')
        return invalid(`${key}: ${shown(value)} needs a value; write it as the sluice.dev/${value} annotation instead`);
      return invalid(`${key}: ${shown(value)} is not a command (expected ${listWords(COMMAND_WORDS)})`);
    }
    case ANNOTATION.setWeight: {
      const weight = parseWeight(value);
      return weight === undefined ? invalid(`${key}: ${shown(value)} ${WEIGHT_EXPECTED}`) : { _tag: 'Valid', ...common, verb: 'set-weight', weight };
    }
    case ANNOTATION.shiftTo:
      return isVersion(value) ? { _tag: 'Valid', ...common, verb: 'shift-to', version: value } : invalid(`${key}: ${shown(value)} ${VERSION_EXPECTED}`);
  }
};

/** Appended to a sluice.dev/by no admission policy vouches for: "pause by alice (unverified)". */
export const UNVERIFIED = ' (unverified)';

/**
 * The command with its `by` marked unverified unless `verified` (an admission policy wrote it from
 * the authenticated user: DaemonConfig.byVerified). A command without a name is left as it is.
 */
export const markAuthor = (command: Command | undefined, verified: boolean): Command | undefined =>
  verified || command?.by === undefined ? command : { ...command, by: `${command.by}${UNVERIFIED}` };

type Annotations = Record<string, string | null>;

/**
 * JSON merge patch writing one command. The other command annotations are removed so exactly one
 * command is pending: a newer command replaces one the daemon has not applied yet.
 * `value`: the weight for set-weight, the version for shift-to, ignored otherwise.
 */
export const commandAnnotationsPatch = (
  verb: CommandVerb,
  value: string | number | undefined,
  by: string | undefined,
  id: string,
): { metadata: { annotations: Annotations } } => ({
  metadata: {
    annotations: {
      [ANNOTATION.command]: isCommandWord(verb) ? verb : null,
      [ANNOTATION.setWeight]: verb === 'set-weight' ? String(value) : null,
      [ANNOTATION.shiftTo]: verb === 'shift-to' ? String(value) : null,
      [ANNOTATION.by]: by ?? null,
      [ANNOTATION.commandId]: id,
    },
  },
});

/**
 * JSON merge patch removing every command annotation. With `resourceVersion`, the API server
 * refuses it (409) if the object changed since, so a command written meanwhile is not lost.
 */
export const clearCommandPatch = (resourceVersion?: string): { metadata: { annotations: Annotations; resourceVersion?: string } } => ({
  metadata: {
    annotations: Object.fromEntries(Object.values(ANNOTATION).map((k) => [k, null])),
    ...(resourceVersion !== undefined ? { resourceVersion } : {}),
  },
});
