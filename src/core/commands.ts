/**
 * SRE commands (promote, abort, pause, resume, set-weight, retry, shift-to). A command is applied
 * at most once (status.lastCommandId), is recorded in history and as an Event whether applied or
 * rejected, and a rejected command changes nothing else. A command is the only change of its
 * reconcile; the next reconcile (1 s later) continues from its result.
 */
import { ShiftStatus } from '../api/status';
import {
  ALL_CANDIDATE, ALL_STABLE, activeCandidate, canaryWeights, Ctx, inWindow, iso, msOf, Note, patch, podsOf, podsSentence,
  runningPhase, Step, stepWeight,
} from './state';
import { fallback, promote, start, switchOver } from './transitions';
import { Command, CommandVerb } from './types';

type Valid = Extract<Command, { _tag: 'Valid' }>;

/** The observed command unless it was already applied (its id is status.lastCommandId). */
export const pendingCommand = (ctx: Ctx): Command | undefined => {
  const command = ctx.observed.command;
  return command !== undefined && command.id !== ctx.input.status.lastCommandId ? command : undefined;
};

const who = (by: string | undefined): string => by ?? 'an unnamed user';

/** Refuse a command with a sentence: recorded in history and as a Warning Event; nothing else changes. */
export const rejectCommand = (status: ShiftStatus, command: Command, reason: string): Step => {
  const what = command._tag === 'Valid' ? command.verb : JSON.stringify(command.raw);
  return {
    status: patch(status, { lastCommandId: command.id }),
    notes: [{ event: 'CommandRejected', message: `${what} by ${who(command.by)} rejected: ${reason}`, by: command.by, warning: true }],
    soon: true,
  };
};

/** Prefix the command's own record to the transition it caused. */
const applied = (command: Valid, effect: string, step: Step): Step => {
  const note: Note = { event: 'CommandApplied', message: `${command.verb} by ${who(command.by)}: ${effect}`, ...(command.by !== undefined ? { by: command.by } : {}) };
  return { ...step, status: patch(step.status, { lastCommandId: command.id }), notes: [note, ...step.notes], soon: true };
};

const NO_SHIFT = 'no shift in progress';

/** Outside the schedule's windows a promote is an explicit override, and the record says so. */
const overrideNote = (ctx: Ctx): string => (inWindow(ctx) ? '' : " (outside the schedule's windows: explicit override)");

const promoteCommand = (ctx: Ctx, status: ShiftStatus, c: Valid): Step => {
  const candidate = activeCandidate(status);
  if (candidate === undefined) return rejectCommand(status, c, `nothing to promote: ${NO_SHIFT}`);
  const pods = podsOf(ctx, candidate);
  if (pods.ready === 0) return rejectCommand(status, c, `cannot promote: ${podsSentence(candidate, pods)}`);
  const override = overrideNote(ctx);
  const s = override === '' ? status : patch(status, { message: `promote by ${who(c.by)}${override}` });
  const why = `promoted by ${who(c.by)}${override}`;
  const switching = ctx.spec.strategy.kind === 'blueGreen' && runningPhase(status) === 'Progressing';
  if (switching) return applied(c, `switch to ${candidate} now${override}`, switchOver(ctx, s, why));
  return applied(c, `${candidate} to 100 % now${override}`, promote(ctx, s, why));
};

const abortCommand = (ctx: Ctx, status: ShiftStatus, c: Valid): Step => {
  const candidate = activeCandidate(status);
  if (candidate === undefined) return rejectCommand(status, c, `nothing to abort: ${NO_SHIFT}`);
  return applied(c, `${candidate} to 0 %`, fallback(ctx, status, 'Aborted', `aborted by ${who(c.by)}`));
};

const pauseCommand = (ctx: Ctx, status: ShiftStatus, c: Valid): Step => {
  const candidate = activeCandidate(status);
  if (candidate === undefined) return rejectCommand(status, c, `nothing to pause: ${NO_SHIFT}`);
  if (status.phase === 'Paused') return rejectCommand(status, c, 'already paused');
  const message = `paused by ${who(c.by)} at ${candidate} ${status.weights?.candidate ?? 0} %; the gate still guards`;
  const s = patch(status, { phase: 'Paused', pausedAt: iso(ctx.now), pausedFrom: status.phase === 'Promoting' ? 'Promoting' : 'Progressing' });
  return applied(c, message, { status: s, notes: [], progressing: { status: 'True', reason: 'Paused', message } });
};

/** The weights a phase routes by itself: the step's weight, the preview's 0 %, or the switch's 100 %. */
const ownWeights = (ctx: Ctx, status: ShiftStatus, phase: 'Progressing' | 'Promoting') => {
  if (phase === 'Promoting') return ALL_CANDIDATE;
  return ctx.spec.strategy.kind === 'canary' ? canaryWeights(stepWeight(ctx.spec, status.step ?? -1)) : ALL_STABLE;
};

const resumeCommand = (ctx: Ctx, status: ShiftStatus, c: Valid): Step => {
  if (status.phase !== 'Paused') return rejectCommand(status, c, 'not paused');
  const phase = status.pausedFrom ?? 'Progressing';
  const pausedFor = Math.max(0, ctx.now - msOf(status.pausedAt, ctx.now));
  const weights = ownWeights(ctx, status, phase);
  const stepStartedAt = iso(msOf(status.stepStartedAt, ctx.now) + pausedFor);
  const message = `${phase} again at ${status.candidateVersion} ${weights.candidate} %; clocks moved ${Math.round(pausedFor / 1000)}s forward`;
  const s = patch(status, { phase, weights, stepStartedAt, pausedAt: undefined, pausedFrom: undefined });
  return applied(c, message, { status: s, notes: [], progressing: { status: 'True', reason: 'Resumed', message } });
};

const setWeightCommand = (ctx: Ctx, status: ShiftStatus, c: Valid): Step => {
  const n = c.weight;
  if (n === undefined || !Number.isInteger(n) || n < 0 || n > 100) return rejectCommand(status, c, `weight must be a whole number from 0 to 100, got ${String(n)}`);
  const candidate = activeCandidate(status);
  if (candidate === undefined) return rejectCommand(status, c, `no candidate to set a weight for: ${NO_SHIFT}`);
  const pods = podsOf(ctx, candidate);
  if (n > 0 && pods.ready === 0) return rejectCommand(status, c, `${podsSentence(candidate, pods)}; its traffic would fail`);
  const message = `${candidate} set to ${n} % by ${who(c.by)}; held until resume`;
  const s = patch(status, {
    phase: 'Paused',
    weights: canaryWeights(n),
    pausedAt: status.pausedAt ?? iso(ctx.now),
    pausedFrom: status.phase === 'Paused' ? status.pausedFrom : status.phase === 'Promoting' ? 'Promoting' : 'Progressing',
  });
  return applied(c, message, { status: s, notes: [], progressing: { status: 'True', reason: 'ManualWeight', message } });
};

const retryCommand = (ctx: Ctx, status: ShiftStatus, c: Valid): Step => {
  const candidate = status.candidateVersion;
  if (status.phase !== 'RolledBack' || candidate === undefined) return rejectCommand(status, c, 'retry needs a rolled-back shift');
  if (ctx.spec.version !== candidate) return rejectCommand(status, c, `spec.version is ${ctx.spec.version}, not the rolled-back ${candidate}`);
  return applied(c, `${candidate} restarts from the beginning`, start(ctx, status, candidate));
};

const shiftToCommand = (ctx: Ctx, status: ShiftStatus, c: Valid): Step => {
  const version = c.version;
  if (version === undefined || version === '') return rejectCommand(status, c, 'shift-to needs a version');
  if (podsOf(ctx, version).total === 0) return rejectCommand(status, c, `no pods with ${ctx.spec.versionLabel}=${version} behind ${ctx.spec.service}`);
  return { ...applied(c, `spec.version ${ctx.spec.version} -> ${version}`, { status, notes: [] }), setSpecVersion: version };
};

const HANDLERS: Record<CommandVerb, (ctx: Ctx, status: ShiftStatus, c: Valid) => Step> = {
  promote: promoteCommand,
  abort: abortCommand,
  pause: pauseCommand,
  resume: resumeCommand,
  'set-weight': setWeightCommand,
  retry: retryCommand,
  'shift-to': shiftToCommand,
};

export const applyCommand = (ctx: Ctx, status: ShiftStatus, command: Command): Step => {
  switch (command._tag) {
    case 'Invalid':
      return rejectCommand(status, command, command.reason);
    case 'Valid':
      return HANDLERS[command.verb](ctx, status, command);
  }
};
