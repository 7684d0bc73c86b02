/**
 * The fallback benchmark's scenario files (bench/scenarios/*.yaml, format in docs/benchmarks.md):
 * codec, defaults, and each tool's settings for a scenario. Pure.
 *
 * A scenario describes the traffic and the two versions' behaviour; `settings` says whether each
 * tool runs with its own defaults or with the scenario's `gate` applied to both as closely as each
 * allows. Unknown fields and bad values are errors naming the field (`candidate.errorFracton: …`).
 */
import * as t from 'io-ts';
import { parse } from 'yaml';
import { formatDuration, parseDuration } from '../../src/api/duration';
import { formatErrors, intIn, listOf, numberIn, struct } from '../../test/mesh-sim/codecs';

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

/** A Go-style duration ("10s", "1m") of at least `minMs`, carried as milliseconds. */
const durationAtLeast = (minMs: number) =>
  new t.Type<number, number, unknown>(
    'Duration',
    (u): u is number => typeof u === 'number',
    (u, c) => {
      const ms = typeof u === 'string' ? parseDuration(u) : undefined;
      return ms !== undefined && ms >= minMs ? t.success(ms) : t.failure(u, c, `is not a duration of at least ${formatDuration(minMs)} (e.g. "10s", "1m")`);
    },
    (ms) => ms,
  );

const oneOf = <L extends string>(values: readonly L[]) =>
  new t.Type<L, L, unknown>(
    values.join(' | '),
    (u): u is L => values.includes(u as L),
    (u, c) => (values.includes(u as L) ? t.success(u as L) : t.failure(u, c, `is not one of ${values.join(', ')}`)),
    t.identity,
  );

/** Any YAML map, passed on to a tool as written (the tool's own schema validates it). */
const anyMap = new t.Type<Record<string, unknown>, Record<string, unknown>, unknown>(
  'map',
  isRecord,
  (u, c) => (isRecord(u) ? t.success(u) : t.failure(u, c, 'is not a map')),
  t.identity,
);

/** Ascending integer weights in 1..99. */
const stepWeights = new t.Type<number[], number[], unknown>(
  'StepWeights',
  (u): u is number[] => Array.isArray(u),
  (u, c) => {
    const ok = Array.isArray(u) && u.length > 0 && u.every((w, i) => Number.isInteger(w) && w >= 1 && w <= 99 && (i === 0 || w > (u[i - 1] as number)));
    return ok ? t.success(u as number[]) : t.failure(u, c, 'is not a non-empty list of ascending integers from 1 to 99');
  },
  t.identity,
);

const behaviourFields = { errorFraction: numberIn(0, 1) };
const latencyFields = { p50Ms: numberIn(0, 3_600_000), p99Ms: numberIn(0, 3_600_000) };

const versionCodec = struct('Version', behaviourFields, latencyFields);
const candidateCodec = struct('Candidate', behaviourFields, { ...latencyFields, badFromSeconds: numberIn(0, 86_400) });
const outageCodec = struct('PrometheusOutage', { fromSeconds: numberIn(0, 86_400), forSeconds: numberIn(1, 86_400) }, {});
const gateCodec = struct(
  'Gate',
  { interval: durationAtLeast(10_000), maxErrorRate: numberIn(0, 1), failureThreshold: intIn(1, 100), stepWeights },
  {},
);
const toolCodec = struct('ToolOverrides', {}, { analysis: anyMap });

export const SETTINGS = ['defaults', 'matched'] as const;
export type Settings = (typeof SETTINGS)[number];
export const EXPECTATIONS = ['promote', 'fallback', 'hold'] as const;
export type Expectation = (typeof EXPECTATIONS)[number];
export const TOOLS = ['sluice', 'flagger'] as const;
export type Tool = (typeof TOOLS)[number];

export const scenarioCodec = struct(
  'Scenario',
  { rps: numberIn(0.1, 10_000), stable: versionCodec, candidate: candidateCodec, expect: oneOf(EXPECTATIONS) },
  {
    description: t.string,
    settings: oneOf(SETTINGS),
    gate: gateCodec,
    prometheusOutage: outageCodec,
    runs: intIn(1, 200),
    timeoutSeconds: numberIn(30, 86_400),
    falseFailureRate: numberIn(1e-6, 0.5),
    sluice: toolCodec,
    flagger: toolCodec,
    tags: listOf(t.string, 'strings'),
  },
);

/** One version's behaviour. */
export interface Behaviour {
  /** Share of requests answered with a 500, 0..1. */
  readonly errorFraction: number;
  /** Median latency; default 20 ms. */
  readonly p50Ms: number;
  /** 99th percentile latency; default 100 ms. */
  readonly p99Ms: number;
}

/** The gate applied to both tools under `settings: matched`. */
export interface MatchedGate {
  /** Check period and query window (ms); also the time at each step. */
  readonly intervalMs: number;
  /** Highest acceptable candidate error rate. */
  readonly maxErrorRate: number;
  /** Failed checks that fall back. */
  readonly failureThreshold: number;
  /** Candidate weights in order; after the last, a passing check promotes. */
  readonly stepWeights: readonly number[];
}

/** A scenario with every default filled in. */
export interface Scenario {
  /** File name without `.yaml`. */
  readonly name: string;
  readonly description: string;
  /** Requests per second to the app, whatever the split. */
  readonly rps: number;
  readonly stable: Behaviour;
  /** The candidate's behaviour from `badFromSeconds` (default 0) after the shift starts; before that it behaves as `stable`. */
  readonly candidate: Behaviour & { readonly badFromSeconds: number };
  /** What a perfect detector does: promote a good candidate, fall back from a bad one, hold when the failure is not the candidate's. */
  readonly expect: Expectation;
  /** Default `matched` when `gate` is given, else `defaults`. */
  readonly settings: Settings;
  readonly gate?: MatchedGate;
  /** Prometheus unreachable for both tools, seconds after the shift starts. */
  readonly prometheusOutage?: { readonly fromSeconds: number; readonly forSeconds: number };
  /** Runs per tool (in parallel, one app each). Default 1. */
  readonly runs: number;
  /** A run that has not promoted or fallen back by then ends as `held`. Default: 900 s with `defaults`, 300 s with `matched` (timeoutOf). */
  readonly timeoutSeconds?: number;
  /** α of the limit and sluice's analysis.falseFailureRate where it has one. Default 0.01. */
  readonly falseFailureRate: number;
  /** Extra `spec.analysis` fields for sluice (e.g. `method`, `compareTo`), merged over the settings. */
  readonly sluiceAnalysis: Readonly<Record<string, unknown>>;
  /** Extra `spec.analysis` fields for Flagger's Canary, merged over the settings. */
  readonly flaggerAnalysis: Readonly<Record<string, unknown>>;
}

export type Decoded<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly errors: readonly string[] };

const behaviour = (v: { errorFraction: number; p50Ms?: number; p99Ms?: number }): Behaviour => ({
  errorFraction: v.errorFraction,
  p50Ms: v.p50Ms ?? 20,
  p99Ms: v.p99Ms ?? 100,
});

/** Validates a parsed scenario and fills in defaults; `name` is the file's base name. */
export const decodeScenario = (u: unknown, name: string): Decoded<Scenario> => {
  const r = scenarioCodec.decode(u);
  if (r._tag === 'Left') return { ok: false, errors: formatErrors(r.left) };
  const s = r.right;
  const settings = s.settings ?? (s.gate ? 'matched' : 'defaults');
  if (settings === 'matched' && s.gate === undefined) return { ok: false, errors: ['gate: is required with settings: matched'] };
  const gate = s.gate && { intervalMs: s.gate.interval, maxErrorRate: s.gate.maxErrorRate, failureThreshold: s.gate.failureThreshold, stepWeights: s.gate.stepWeights };
  return {
    ok: true,
    value: {
      name,
      description: s.description ?? name,
      rps: s.rps,
      stable: behaviour(s.stable),
      candidate: { ...behaviour(s.candidate), badFromSeconds: s.candidate.badFromSeconds ?? 0 },
      expect: s.expect,
      settings,
      ...(gate ? { gate } : {}),
      ...(s.prometheusOutage ? { prometheusOutage: s.prometheusOutage } : {}),
      runs: s.runs ?? 1,
      ...(s.timeoutSeconds !== undefined ? { timeoutSeconds: s.timeoutSeconds } : {}),
      falseFailureRate: s.falseFailureRate ?? 0.01,
      sluiceAnalysis: s.sluice?.analysis ?? {},
      flaggerAnalysis: s.flagger?.analysis ?? {},
    },
  };
};

/** Parses YAML text and decodes it; YAML syntax errors are reported as one line. */
export const parseScenario = (text: string, name: string): Decoded<Scenario> => {
  let u: unknown;
  try {
    u = parse(text);
  } catch (e) {
    return { ok: false, errors: [`(root): not valid YAML: ${(e as Error).message.split('\n')[0]}`] };
  }
  return decodeScenario(u, name);
};

/** The same scenario under other settings (the `--settings` flag); matched needs a gate. */
export const withSettings = (s: Scenario, settings: Settings): Decoded<Scenario> =>
  settings === 'matched' && s.gate === undefined
    ? { ok: false, errors: [`${s.name}: --settings matched needs a gate in the scenario`] }
    : { ok: true, value: { ...s, settings } };

/** Seconds a run may take before it counts as held. */
export const timeoutOf = (s: Scenario): number => s.timeoutSeconds ?? (s.settings === 'defaults' ? 900 : 300);

/**
 * A tool as `--tools` names it: `sluice`, `flagger`, or `sluice:<method>` (sluice with
 * `analysis.method: <method>`, e.g. `sluice:threshold` and `sluice:sequential` side by side).
 */
export interface ToolRun {
  /** As written, and as the JSON's `tool` field shows it. */
  readonly label: string;
  readonly kind: Tool;
  /** sluice's analysis.method, when the label names one. */
  readonly method?: string;
}

/** Parses one `--tools` entry; undefined when it names no tool. */
export const toolRunOf = (label: string): ToolRun | undefined => {
  if (label === 'sluice' || label === 'flagger') return { label, kind: label };
  const m = /^sluice:([a-z][a-z0-9-]*)$/.exec(label);
  return m ? { label, kind: 'sluice', method: m[1]! } : undefined;
};

// ------------------------------------------------------------------ each tool's settings

/**
 * sluice's defaults: every analysis field at its default (interval 30s, maxErrorRate 0.01,
 * minRequests 20, failureThreshold 2, and whatever method the code defaults to), stepInterval at
 * its default 1m; `steps` has no default, so the README's sample (istio/samples/canary.yaml).
 */
export const SLUICE_DEFAULT_STEPS: readonly number[] = [10, 25, 50];

/**
 * Flagger's defaults: the Istio tutorial's Canary (docs/gitbook/tutorials/istio-progressive-delivery.md
 * in the v1.44.0 module), since Flagger has no default step weight: interval 1m, threshold 5,
 * maxWeight 50, stepWeight 10, request-success-rate ≥ 99 % over 1m. Its request-duration check and
 * webhooks are left out (sluice's gate here judges errors only).
 */
export const FLAGGER_DEFAULT_ANALYSIS = {
  interval: '1m',
  threshold: 5,
  maxWeight: 50,
  stepWeight: 10,
  metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' }],
} as const;

/** What one tool is given: sluice's `spec.strategy` + `spec.analysis`, or Flagger's `spec.analysis`. */
export interface ToolSettings {
  readonly sluice: { readonly strategy: { readonly canary: Record<string, unknown> }; readonly analysis: Record<string, unknown> };
  readonly flagger: { readonly analysis: Record<string, unknown> };
}

/** Flagger's request-success-rate minimum (percent) for an error-rate limit, e.g. 0.01 -> 99. */
export const successRateMin = (maxErrorRate: number): number => Number((100 * (1 - maxErrorRate)).toFixed(6));

/** Both tools' settings for a scenario (see docs/benchmarks.md for the mapping). */
export const toolSettings = (s: Scenario): ToolSettings => {
  if (s.settings === 'defaults' || s.gate === undefined) {
    return {
      sluice: { strategy: { canary: { steps: [...SLUICE_DEFAULT_STEPS] } }, analysis: { ...s.sluiceAnalysis } },
      flagger: { analysis: { ...JSON.parse(JSON.stringify(FLAGGER_DEFAULT_ANALYSIS)), ...s.flaggerAnalysis } },
    };
  }
  const g = s.gate;
  const interval = formatDuration(g.intervalMs);
  return {
    sluice: {
      strategy: { canary: { steps: [...g.stepWeights], stepInterval: interval } },
      analysis: { interval, maxErrorRate: g.maxErrorRate, failureThreshold: g.failureThreshold, ...s.sluiceAnalysis },
    },
    flagger: {
      analysis: {
        interval,
        threshold: g.failureThreshold,
        stepWeights: [...g.stepWeights],
        metrics: [{ name: 'request-success-rate', thresholdRange: { min: successRateMin(g.maxErrorRate) }, interval }],
        ...s.flaggerAnalysis,
      },
    },
  };
};

/** The candidate's error limit the scenario judges against: the matched gate's, else both tools' default (1 %). */
export const maxErrorRateOf = (s: Scenario): number => (s.settings === 'matched' && s.gate ? s.gate.maxErrorRate : 0.01);

/** The candidate's first weight under the scenario's settings, per tool. */
export const firstWeight = (s: Scenario, tool: Tool): number => {
  if (s.settings === 'matched' && s.gate) return s.gate.stepWeights[0]!;
  return tool === 'sluice' ? SLUICE_DEFAULT_STEPS[0]! : FLAGGER_DEFAULT_ANALYSIS.stepWeight;
};
