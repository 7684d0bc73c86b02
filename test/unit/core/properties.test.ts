/**
 * Invariants of decide() over random histories: time passing, pods coming and going, gate samples
 * that pass, fail, have no data or cannot be taken, SRE commands (valid and not), spec.version
 * changes and schedule windows — each step fed the previous Decision's status, as the daemon does.
 */
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { ResolvedSpec } from '../../../src/api/spec';
import { ShiftStatus } from '../../../src/api/status';
import { decide } from '../../../src/core/decide';
import { Command, CommandVerb, Decision, GateSample, Observations, ScheduleView, VersionPods } from '../../../src/core/types';
import { abTestSpec, blueGreenSpec, canarySpec, input, measured, MIN, PREVIEW_MATCH, schedule, SEC, T0, unavailable } from './fixtures';

const VERSIONS = ['v1', 'v2', 'v3'] as const;
const VERBS: readonly CommandVerb[] = ['promote', 'abort', 'pause', 'resume', 'retry', 'set-weight', 'shift-to'];

type Action =
  | { readonly kind: 'tick'; readonly ms: number }
  | { readonly kind: 'pods'; readonly version: string; readonly total: number; readonly ready: number }
  | { readonly kind: 'sample'; readonly result: 'pass' | 'fail' | 'nodata' | 'unavailable'; readonly ofCandidate: boolean }
  | { readonly kind: 'command'; readonly verb: CommandVerb; readonly weight: number; readonly version: string }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'version'; readonly version: string }
  | { readonly kind: 'schedule'; readonly view: ScheduleView | undefined };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 3 * MIN }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('pods' as const), version: fc.constantFrom(...VERSIONS), total: fc.integer({ min: 0, max: 3 }), ready: fc.integer({ min: 0, max: 3 }) })
      .map((a) => ({ ...a, ready: Math.min(a.ready, a.total) })),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('sample' as const),
      result: fc.constantFrom('pass' as const, 'pass' as const, 'pass' as const, 'fail' as const, 'nodata' as const, 'unavailable' as const),
      ofCandidate: fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('command' as const), verb: fc.constantFrom(...VERBS), weight: fc.integer({ min: -10, max: 120 }), version: fc.constantFrom(...VERSIONS, 'v9') }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'invalid' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('version' as const), version: fc.constantFrom(...VERSIONS) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('schedule' as const), view: fc.option(fc.record({ startDue: fc.boolean(), inWindow: fc.boolean() }).map(schedule), { nil: undefined }) }),
  },
);

const specArb: fc.Arbitrary<ResolvedSpec> = fc
  .record({
    blueGreen: fc.boolean(),
    abTest: fc.boolean(),
    previewMatch: fc.boolean(),
    mirror: fc.boolean(),
    manualPromotion: fc.boolean(),
    noData: fc.constantFrom('hold' as const, 'fail' as const),
    failureThreshold: fc.integer({ min: 1, max: 3 }),
    steps: fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { minLength: 1, maxLength: 4 }).map((s) => [...s].sort((a, b) => a - b)),
  })
  .map((r) => {
    const analysis = { noData: r.noData, failureThreshold: r.failureThreshold };
    if (r.abTest) return abTestSpec({ manualPromotion: r.manualPromotion, analysis, strategy: { kind: 'abTest', matches: [PREVIEW_MATCH], iterations: r.steps.length } });
    const mirror = r.mirror ? { mirror: { percentage: 50, iterations: 2 } } : {};
    if (!r.blueGreen) return canarySpec({ manualPromotion: r.manualPromotion, analysis, strategy: { kind: 'canary', steps: r.steps, stepIntervalMs: MIN, ...mirror } });
    const strategy: ResolvedSpec['strategy'] = { kind: 'blueGreen', previewDurationMs: MIN, rollbackWindowMs: 3 * MIN, ...(r.previewMatch ? { previewMatch: PREVIEW_MATCH } : {}), ...mirror };
    return blueGreenSpec({ manualPromotion: r.manualPromotion, analysis, strategy });
  });

const sampleOf = (kind: 'pass' | 'fail' | 'nodata' | 'unavailable', version: string, at: number): GateSample => {
  switch (kind) {
    case 'pass':
      return measured(version, at, 100, 0);
    case 'fail':
      return measured(version, at, 100, 40);
    case 'nodata':
      return measured(version, at, 2, 0);
    case 'unavailable':
      return unavailable(version, at);
  }
};

/** One reconcile of the history: the observations it saw and the decision it made. */
interface Turn {
  readonly before: ShiftStatus;
  readonly observed: Observations;
  readonly decision: Decision;
  readonly spec: ResolvedSpec;
  readonly now: number;
}

/** Play a history and return every reconcile. */
const play = (spec0: ResolvedSpec, actions: readonly Action[]): Turn[] => {
  let spec = spec0;
  let status: ShiftStatus = {};
  let now = T0;
  let pods: Record<string, VersionPods> = { v1: { total: 3, ready: 3 }, v2: { total: 3, ready: 3 }, v3: { total: 2, ready: 2 } };
  let sched: ScheduleView | undefined;
  const turns: Turn[] = [];
  actions.forEach((a, i) => {
    let gate: GateSample | undefined;
    let command: Command | undefined;
    switch (a.kind) {
      case 'tick': now += a.ms; break;
      case 'pods': pods = { ...pods, [a.version]: { total: a.total, ready: a.ready } }; break;
      case 'sample': gate = sampleOf(a.result, a.ofCandidate ? (status.candidateVersion ?? 'v2') : 'v1', now); break;
      case 'command': command = { _tag: 'Valid', id: `c${i}`, verb: a.verb, weight: a.weight, version: a.version, by: 'prop' }; break;
      case 'invalid': command = { _tag: 'Invalid', id: `c${i}`, raw: 'nonsense', reason: 'unknown command', by: 'prop' }; break;
      case 'version': spec = { ...spec, version: a.version }; break;
      case 'schedule': sched = a.view; break;
    }
    now += SEC;
    const observed: Observations = { pods, ...(gate ? { gate } : {}), ...(command ? { command } : {}), ...(sched ? { schedule: sched } : {}) };
    const decision = decide(input(spec, status), observed, now);
    turns.push({ before: status, observed, decision, spec, now });
    // Most histories are about a shift: after adopting v1, the spec asks for v2.
    if (i === 0) spec = { ...spec, version: 'v2' };
    if (decision.setSpecVersion !== undefined) spec = { ...spec, version: decision.setSpecVersion };
    status = decision.status;
  });
  return turns;
};

const historyArb = fc.tuple(specArb, fc.array(actionArb, { minLength: 1, maxLength: 100, size: 'max' }));
const RUNS = { numRuns: 300 };

const appliedVerb = (t: Turn): CommandVerb | undefined => {
  const c = t.observed.command;
  const applied = t.decision.events.some((e) => e.reason === 'CommandApplied');
  return c !== undefined && c._tag === 'Valid' && applied ? c.verb : undefined;
};

/** A failed invariant, with the turn that broke it (fast-check shrinks the history around it). */
const check = (ok: boolean, what: string, t: Turn): void => {
  if (!ok) throw new Error(`${what}\nbefore: ${JSON.stringify(t.before)}\nobserved: ${JSON.stringify(t.observed)}\ndecision: ${JSON.stringify(t.decision)}`);
};

/** Assert `invariant` on every reconcile of random histories. */
const everyTurn = (invariant: (t: Turn) => void, runs = RUNS): void =>
  fc.assert(fc.property(historyArb, ([spec, actions]) => play(spec, actions).forEach(invariant)), runs);

describe('decide: invariants over random histories', () => {
  it('weights are integers from 0 to 100 that sum to 100, in routes and status', () => {
    everyTurn((t) => {
      for (const w of [t.decision.routes?.weights, t.decision.status.weights]) {
        check(w !== undefined && Number.isInteger(w.stable) && Number.isInteger(w.candidate), 'weights are integers', t);
        check(w!.stable >= 0 && w!.candidate >= 0 && w!.stable + w!.candidate === 100, 'weights sum to 100', t);
      }
    });
  });

  it('routes name only the stable version and the current candidate, never two candidates', () => {
    everyTurn((t) => {
      const r = t.decision.routes!;
      check(r.stable === t.decision.status.stableVersion, 'routes.stable is status.stableVersion', t);
      check(r.candidate === undefined || (r.candidate === t.decision.status.candidateVersion && r.candidate !== r.stable), 'routes.candidate is the candidate', t);
    });
  });

  it("a canary candidate never gets more than its step's weight unless set-weight put it there", () => {
    everyTurn((t) => {
      const { spec, decision } = t;
      // Paused: set-weight; Promoting: a promotion was decided (see the next property).
      if (spec.strategy.kind !== 'canary' || decision.status.phase === 'Paused' || decision.status.phase === 'Promoting') return;
      const step = decision.status.step ?? -1;
      const steps = spec.strategy.steps;
      const allowed = step < 0 ? 0 : steps[Math.min(step, steps.length - 1)]!;
      check(decision.routes!.weights.candidate <= allowed, `candidate weight at most ${allowed}`, t);
    });
  });

  it('the stable version changes only on a Pass verdict for the candidate or an explicit promote', () => {
    let promoted = 0;
    everyTurn((t) => {
      const { before, decision } = t;
      if (before.stableVersion === undefined || decision.status.stableVersion === before.stableVersion) return;
      promoted++;
      const gate = decision.status.lastGate;
      const passed = gate?.result === 'Pass' && gate.version === decision.status.stableVersion;
      // A canary's or A/B test's promotion was decided when it entered Promoting (checked below); this ends it.
      const decided = t.spec.strategy.kind !== 'blueGreen' && before.phase === 'Promoting';
      check(passed || appliedVerb(t) === 'promote' || decided, 'promotion needs a Pass or a promote', t);
    });
    // The histories do promote: a decide that never changed the stable version would pass vacuously.
    expect(promoted).toBeGreaterThan(0);
  });

  it('a canary or A/B candidate reaches 100 % (Promoting) only on a Pass verdict for it or an explicit promote', () => {
    let entered = 0;
    let enteredAb = 0;
    everyTurn((t) => {
      const { before, decision, spec } = t;
      if (spec.strategy.kind === 'blueGreen' || before.phase === 'Promoting' || decision.status.phase !== 'Promoting') return;
      // resume returns a shift paused while Promoting to where it was; its entry was judged then.
      if (before.phase === 'Paused' && before.pausedFrom === 'Promoting' && appliedVerb(t) === 'resume') return;
      entered++;
      if (spec.strategy.kind === 'abTest') enteredAb++;
      const gate = decision.status.lastGate;
      const passed = gate?.result === 'Pass' && gate.version === decision.status.candidateVersion;
      check(passed || appliedVerb(t) === 'promote', 'reaching 100 % needs a Pass or a promote', t);
    });
    expect(entered).toBeGreaterThan(0);
    expect(enteredAb).toBeGreaterThan(0);
  });

  it('every fallback reaches stable 100 % in one decision, and only a failed check (never Unavailable) is GateFailed', () => {
    let fellBack = 0;
    let gateFailures = 0;
    everyTurn((t) => {
      const { before, decision, observed } = t;
      if (decision.status.phase !== 'RolledBack') return;
      check(decision.routes!.weights.stable === 100 && decision.routes!.weights.candidate === 0, 'RolledBack routes stable 100 %', t);
      if (before.phase === 'RolledBack') return;
      fellBack++;
      const gateFailed = decision.events.some((e) => e.reason === 'RolledBack' && e.message.startsWith('GateFailed'));
      if (gateFailed) gateFailures++;
      check(!gateFailed || observed.gate?._tag === 'Measured', 'GateFailed only on a measured sample', t);
    });
    // The histories do fall back, on failed checks too: the property is not vacuous.
    expect(fellBack).toBeGreaterThan(0);
    expect(gateFailures).toBeGreaterThan(0);
  });

  it('mirrors only to a ready candidate that serves no client, in a shift that asks for it, before its first step or switch', () => {
    let mirrored = 0;
    everyTurn((t) => {
      const r = t.decision.routes;
      if (r?.mirror !== true) return;
      mirrored++;
      const s = t.spec.strategy;
      check(s.kind !== 'abTest' && s.mirror !== undefined, 'mirror only when the spec asks for it', t);
      check(r.candidate !== undefined && r.weights.candidate === 0, 'a mirrored candidate has weight 0', t);
      check((t.observed.pods[r.candidate!]?.ready ?? 0) > 0, 'mirror only to a ready candidate', t);
      check(s.kind !== 'canary' || (t.decision.status.step ?? -1) < 0, 'a canary mirrors only before its first step', t);
      check(t.decision.status.phase === 'Progressing' || t.decision.status.phase === 'Paused', 'mirror only in a running shift before promotion', t);
      check(t.decision.gateActive, 'the gate samples while mirroring', t);
    });
    expect(mirrored).toBeGreaterThan(0);
  });

  it('a mirroring canary enters its first step only after the iterations, on a Pass for the candidate (or a promote)', () => {
    let stepped = 0;
    everyTurn((t) => {
      const { before, decision, spec } = t;
      const s = spec.strategy;
      if (s.kind !== 'canary' || s.mirror === undefined) return;
      if (before.phase !== 'Progressing' || (before.step ?? -1) >= 0 || before.candidateVersion !== decision.status.candidateVersion) return;
      if (decision.status.phase !== 'Progressing' || (decision.status.step ?? -1) < 0) return;
      stepped++;
      const gate = decision.status.lastGate;
      check(gate?.result === 'Pass' && gate.version === decision.status.candidateVersion, 'the first step needs a Pass', t);
      const since = t.now - Date.parse(before.startedAt ?? '');
      check(since >= s.mirror.iterations * spec.analysis.intervalMs, 'the first step waits for the iterations', t);
    });
    expect(stepped).toBeGreaterThan(0);
  });

  it('is deterministic and keeps its bounds: same input twice gives deep-equal output; requeue >= 1s; history <= 50', () => {
    everyTurn((t) => {
      check(isDeepStrictEqual(decide(input(t.spec, t.before), t.observed, t.now), t.decision), 'same input, same decision', t);
      check(t.decision.requeueAfterMs >= 1000, 'requeue at least 1s', t);
      check((t.decision.status.history ?? []).length <= 50, 'history bounded', t);
    });
  });
});
