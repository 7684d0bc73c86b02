/**
 * Fixture builders for the decision core: specs with resolved defaults, pods, gate samples at
 * given times, commands, and a `Shift` driver that feeds each Decision's status into the next
 * decide() the way the daemon does. No I/O, no mocks.
 */
import { HttpMatch, ResolvedSpec } from '../../../src/api/spec';
import { ShiftStatus } from '../../../src/api/status';
import { decide } from '../../../src/core/decide';
import { Command, CommandVerb, Decision, GateSample, Observations, ScheduleView, ShiftInput, VersionPods } from '../../../src/core/types';

export const T0 = Date.parse('2026-11-20T10:00:00.000Z');
export const SEC = 1000;
export const MIN = 60 * SEC;
export const iso = (ms: number): string => new Date(ms).toISOString();

type SpecChanges = Partial<Omit<ResolvedSpec, 'analysis'>> & { analysis?: Partial<ResolvedSpec['analysis']> };

const BASE: ResolvedSpec = {
  service: 'reviews',
  version: 'v1',
  hosts: ['reviews'],
  gateways: ['mesh'],
  versionLabel: 'version',
  strategy: { kind: 'canary', steps: [5, 25, 50], stepIntervalMs: MIN },
  analysis: { intervalMs: 30 * SEC, maxErrorRate: 0.01, minRequests: 20, failureThreshold: 2, noData: 'hold', method: 'threshold', falseFailureRate: 0.01 },
  manualPromotion: false,
  progressDeadlineMs: 10 * MIN,
  route: {},
  adopt: false,
};

/** A canary spec (steps 5/25/50, 1m dwell, 30s gate, 2 failures, 10m deadline) with changes. */
export const canarySpec = (changes: SpecChanges = {}): ResolvedSpec => ({
  ...BASE,
  ...changes,
  analysis: { ...BASE.analysis, ...changes.analysis },
});

/** Requests with the header x-preview: yes (as decoded: StringMatch is { kind, value }). */
export const PREVIEW_MATCH: HttpMatch = { headers: { 'x-preview': { kind: 'exact', value: 'yes' } } };

/** A blue-green spec (preview on header x-preview, 2m preview, 10m rollback window) with changes. */
export const blueGreenSpec = (changes: SpecChanges = {}): ResolvedSpec => {
  const strategy: ResolvedSpec['strategy'] = { kind: 'blueGreen', previewMatch: PREVIEW_MATCH, previewDurationMs: 2 * MIN, rollbackWindowMs: 10 * MIN };
  return canarySpec({ strategy, ...changes });
};

/** Requests with a cookie beta=1 (a regex on the Cookie header, as Istio matches cookies). */
export const BETA_COOKIE: HttpMatch = { headers: { cookie: { kind: 'regex', value: '^(.*?;)?(beta=1)(;.*)?$' } } };

/** An A/B spec (cookie beta=1 to the candidate, 4 gate intervals of 30s) with changes. */
export const abTestSpec = (changes: SpecChanges = {}): ResolvedSpec => {
  const strategy: ResolvedSpec['strategy'] = { kind: 'abTest', matches: [BETA_COOKIE], iterations: 4 };
  return canarySpec({ strategy, ...changes });
};

export const pods = (total: number, ready: number = total): VersionPods => ({ total, ready });

/** A Measured sample of `version` ending at `at`, over the 30s window. */
export const measured = (version: string, at: number, requests: number, errors: number, p99LatencyMs?: number): GateSample => ({
  _tag: 'Measured',
  version,
  at,
  windowMs: 30 * SEC,
  requests,
  errors,
  ...(p99LatencyMs !== undefined ? { p99LatencyMs } : {}),
});
export const passing = (version: string, at: number): GateSample => measured(version, at, 200, 1);
export const failing = (version: string, at: number): GateSample => measured(version, at, 200, 61);
export const noData = (version: string, at: number): GateSample => measured(version, at, 3, 0);
export const unavailable = (version: string, at: number, reason = 'connect ECONNREFUSED 10.0.0.9:9090'): GateSample => ({ _tag: 'Unavailable', version, at, reason });

export const command = (id: string, verb: CommandVerb, extra: { weight?: number; version?: string; by?: string } = {}): Command => ({
  _tag: 'Valid',
  id,
  verb,
  by: 'alice',
  ...extra,
});
export const invalid = (id: string, raw: string, reason: string): Command => ({ _tag: 'Invalid', id, raw, reason, by: 'alice' });

/** What a schedule says at one moment, as plain facts (default: the start is due, the window open). */
export interface ScheduleFacts {
  readonly startDue?: boolean;
  readonly nextStart?: number;
  readonly inWindow?: boolean;
  readonly nextWindowChange?: number;
}

/** A ScheduleView answering with `facts`, the way src/schedule's lazy view does. */
export const schedule = (facts: ScheduleFacts): ScheduleView => ({
  start: () => ({ due: facts.startDue ?? true, ...(facts.nextStart !== undefined ? { next: facts.nextStart } : {}) }),
  window: () => ({ open: facts.inWindow ?? true, ...(facts.nextWindowChange !== undefined ? { nextChange: facts.nextWindowChange } : {}) }),
});

export const input = (spec: ResolvedSpec, status: ShiftStatus = {}, generation = 1): ShiftInput => ({
  namespace: 'shop',
  name: 'reviews',
  generation,
  spec,
  status,
});

/**
 * Drives one shift through reconciles like the daemon: each decide() sees the previous Decision's
 * status. `pods` persist between reconciles; gate, command and schedule are per reconcile.
 */
export class Shift {
  now = T0;
  last!: Decision;
  constructor(
    public input: ShiftInput,
    public podsByVersion: Record<string, VersionPods> = { v1: pods(3) },
  ) {}

  /** A shift whose first version (spec.version) has been adopted at T0. */
  static adopted(spec: ResolvedSpec, podsByVersion?: Record<string, VersionPods>): Shift {
    const shift = new Shift(input(spec), podsByVersion);
    shift.reconcile();
    return shift;
  }

  get status(): ShiftStatus {
    return this.input.status;
  }

  advance(ms: number): this {
    this.now += ms;
    return this;
  }

  setPods(version: string, p: VersionPods): this {
    this.podsByVersion = { ...this.podsByVersion, [version]: p };
    return this;
  }

  /** Change spec.version (and bump generation) like a `kubectl apply` of a new version. */
  setVersion(version: string): this {
    this.input = { ...this.input, generation: this.input.generation + 1, spec: { ...this.input.spec, version } };
    return this;
  }

  reconcile(observed: Partial<Omit<Observations, 'pods'>> = {}): Decision {
    this.last = decide(this.input, { pods: this.podsByVersion, ...observed }, this.now);
    this.input = { ...this.input, status: this.last.status };
    return this.last;
  }

  /** Advance by `ms`, then reconcile with a sample taken at the new now. */
  checkAfter(ms: number, sample: (version: string, at: number) => GateSample, version = 'v2', observed: Partial<Omit<Observations, 'pods' | 'gate'>> = {}): Decision {
    this.advance(ms);
    return this.reconcile({ ...observed, gate: sample(version, this.now) });
  }

  /** Start a shift to `version` (ready pods) and bring it to the first step. */
  startShift(version = 'v2', p: VersionPods = pods(3)): this {
    this.setPods(version, p).setVersion(version);
    this.reconcile();
    this.advance(SEC).reconcile();
    return this;
  }

  historyEvents(): string[] {
    return (this.status.history ?? []).map((h) => h.event);
  }
}
