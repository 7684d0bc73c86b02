/**
 * decide(shift, observed, now) -> Decision: the whole state machine of a TrafficShift as one pure
 * function (docs/state-machine.md, docs/adr/0001-pure-decision-core.md). No I/O, no clock reads,
 * no randomness: the same inputs always give the same Decision.
 *
 * The order of concerns, each in its own function:
 *   1. adoption (no stable version yet)
 *   2. a pending SRE command (commands.ts) — the only change of its reconcile
 *   3. a running shift: spec.version reverted or superseded, else the phase's handler (phases.ts)
 *   4. a resting shift: steady, RolledBack waiting, a scheduled wait, or the start of a new shift
 * and finally finish.ts derives routes, conditions, history, Events and the requeue.
 */
import { ShiftStatus } from '../api/status';
import { applyCommand, pendingCommand, rejectCommand } from './commands';
import { finish } from './finish';
import { afterTheFact } from './hooks';
import { runShift } from './phases';
import { ALL_STABLE, Ctx, isActive, keepCondition, Note, patch, Step } from './state';
import { adopt, revert, start, supersede, wait } from './transitions';
import { Decision, Observations, Problem, ShiftInput } from './types';

const startIsDue = (ctx: Ctx): boolean => ctx.observed.schedule?.start().due ?? true;

/** spec.version names the candidate, the stable version (revert), or a third one (supersede). */
const running = (ctx: Ctx, status: ShiftStatus): Step => {
  const version = ctx.spec.version;
  if (version === status.stableVersion) return revert(ctx, status);
  if (version === status.candidateVersion) return runShift(ctx, status);
  if (startIsDue(ctx)) return supersede(ctx, status);
  const note: Note = { event: 'Superseded', message: `${version} superseded ${status.candidateVersion}; ${status.stableVersion} back at 100 % until ${version}'s scheduled start` };
  const waiting = wait(ctx, patch(status, { candidateVersion: undefined, message: note.message }));
  return { ...waiting, notes: [note, ...waiting.notes] };
};

/** Nothing to do: stable at 100 %, status untouched so the daemon can skip the write. */
const steady = (status: ShiftStatus): Step => ({ status: patch(status, { weights: ALL_STABLE }), notes: [] });

/** After a fallback: hold stable 100 % / candidate 0 % until retry or a new version; keep the fallback's words. */
const rolledBack = (status: ShiftStatus): Step => {
  const kept = keepCondition(status, 'Progressing');
  return { status, notes: [], ...(kept && kept.status !== 'Unknown' ? { progressing: { status: kept.status, reason: kept.reason, message: kept.message } } : {}) };
};

const resting = (ctx: Ctx, status: ShiftStatus): Step => {
  const version = ctx.spec.version;
  if (version === status.stableVersion) {
    if (status.phase === 'Waiting' || status.phase === 'RolledBack') return revert(ctx, status);
    return steady(status.phase === 'Idle' || status.phase === 'Promoted' ? status : patch(status, { phase: 'Idle' }));
  }
  if (status.phase === 'RolledBack' && version === status.candidateVersion) return rolledBack(status);
  if (!startIsDue(ctx)) return wait(ctx, status);
  return start(ctx, status, version);
};

/** Commands that only take traffic away from a candidate or freeze it: allowed whatever problem the daemon met. */
const SAFE_UNDER_PROBLEM: readonly string[] = ['abort', 'pause'];

/**
 * The daemon met a problem (ctx.observed.problem): nothing starts, advances or is adopted; a
 * running shift is still guarded (runShift holds it); a reverted spec.version still ends the
 * shift; abort and pause are applied, other commands are refused with the problem's words.
 */
const troubled = (ctx: Ctx, status: ShiftStatus, problem: Problem): Step => {
  if (status.stableVersion === undefined) return { status, notes: [] };
  const command = pendingCommand(ctx);
  if (command !== undefined) {
    if (command._tag === 'Valid' && SAFE_UNDER_PROBLEM.includes(command.verb)) return applyCommand(ctx, status, command);
    return rejectCommand(status, command, `${problem.message}; give the command again once that is fixed`);
  }
  if (!isActive(status.phase)) return { status, notes: [] };
  if (ctx.spec.version === status.stableVersion) return revert(ctx, status);
  return runShift(ctx, status);
};

const route = (ctx: Ctx): Step => {
  const status = ctx.input.status;
  if (ctx.observed.problem !== undefined) return troubled(ctx, status, ctx.observed.problem);
  if (status.stableVersion === undefined) return adopt(ctx, status);
  const command = pendingCommand(ctx);
  if (command !== undefined) return applyCommand(ctx, status, command);
  return isActive(status.phase) ? running(ctx, status) : resting(ctx, status);
};

/** The next desired state of one TrafficShift. `now` is epoch ms and the only source of time. */
export const decide = (input: ShiftInput, observed: Observations, now: number): Decision => {
  const ctx: Ctx = { input, spec: input.spec, observed, now };
  return finish(ctx, afterTheFact(ctx, route(ctx)));
};
