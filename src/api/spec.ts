/**
 * The TrafficShift spec (sluice.dev/v1alpha1): io-ts codecs for what users write, and the
 * resolved form with every default filled that the core works on. The CRD schema in
 * charts/sluice/crds/ must agree with these codecs (test/unit/api/crd.test.ts proves it).
 */
import * as t from 'io-ts';
import {
  arrayOf, boolean, dnsLabel, duration, exactlyOneOf, intIn, jsonObject, labelKey, labelValue,
  nonEmptyString, numberIn, oneOfWords, stringMap, struct,
} from './codecs';

export const API_GROUP = 'sluice.dev';
export const API_VERSION = 'sluice.dev/v1alpha1';
export const KIND = 'TrafficShift';
export const PLURAL = 'trafficshifts';

/** Istio StringMatch: exactly one of exact, prefix, regex. */
export const StringMatch = exactlyOneOf('StringMatch', { exact: t.string, prefix: t.string, regex: t.string });

/** The subset of Istio's HTTPMatchRequest sluice validates; rendered back as written. */
export const HttpMatch = struct('HTTPMatchRequest', {}, {
  name: nonEmptyString,
  uri: StringMatch,
  method: StringMatch,
  authority: StringMatch,
  headers: t.record(t.string, StringMatch),
  queryParams: t.record(t.string, StringMatch),
  withoutHeaders: t.record(t.string, StringMatch),
  ignoreUriCase: boolean,
  port: intIn(1, 65535),
  sourceLabels: stringMap,
  sourceNamespace: nonEmptyString,
});
export type HttpMatch = t.TypeOf<typeof HttpMatch>;

export const CanaryStrategy = struct('CanaryStrategy', {
  /** Candidate weights in percent, ascending integers in 1..99. */
  steps: arrayOf(intIn(1, 99), 'integer weights from 1 to 99'),
}, {
  /** Minimum time at each step before a passing gate may advance it. Default 1m. */
  stepInterval: duration(1000),
});

export const BlueGreenStrategy = struct('BlueGreenStrategy', {}, {
  /** Requests matching this Istio HTTP match reach the candidate before the switch. Default none. */
  previewMatch: HttpMatch,
  /** Minimum time the candidate is previewed before the switch. Default 0s. */
  previewDuration: duration(0),
  /** After the switch, how long the stable version stays routable and a failing gate switches back. Default 10m. */
  rollbackWindow: duration(0),
});

export const Strategy = exactlyOneOf('Strategy', { canary: CanaryStrategy, blueGreen: BlueGreenStrategy });
export type Strategy = t.TypeOf<typeof Strategy>;

export const PrometheusRef = struct('PrometheusRef', { url: nonEmptyString }, {});

/** PromQL templates replacing the built-in queries. Placeholders: {{namespace}}, {{service}}, {{version}}, {{interval}}. */
export const QueryTemplates = struct('QueryTemplates', {
  /** Requests served by the candidate in the window (a single number). */
  requests: nonEmptyString,
  /** Failed (5xx) requests served by the candidate in the window. */
  errors: nonEmptyString,
}, {
  /** p99 latency of the candidate in milliseconds. */
  p99LatencyMs: nonEmptyString,
});

export const Analysis = struct('Analysis', {}, {
  /** How often the gate is checked, and the query window. Default 30s. */
  interval: duration(1000),
  /** Highest acceptable share of 5xx responses at the candidate, 0..1. Default 0.01. */
  maxErrorRate: numberIn(0, 1),
  /** Fewest requests in one interval for a verdict; fewer is "no data", never a pass. Default 20. */
  minRequests: intIn(1, 1_000_000_000),
  /** Consecutive failed checks that trigger fallback. Default 2. */
  failureThreshold: intIn(1, 100),
  /** What "no data" means: hold (wait, counts toward progressDeadline) or fail (counts as a failed check). Default hold. */
  noData: oneOfWords(['hold', 'fail'] as const),
  /** Highest acceptable p99 latency at the candidate in milliseconds. Default none. */
  maxP99LatencyMs: numberIn(1, 3_600_000),
  /** Prometheus to ask. Default: the daemon's --prometheus-url. */
  prometheus: PrometheusRef,
  /** Custom queries; a shift with these is queried on its own. Default: the built-in Istio queries. */
  query: QueryTemplates,
});

const RouteOptions = struct('RouteOptions', {}, {
  /** Istio HTTPRoute timeout. */
  timeout: duration(1),
  /** Istio HTTPRetry, copied as written. */
  retries: jsonObject,
  /** Istio Headers, copied as written. */
  headers: jsonObject,
  /** Istio CorsPolicy, copied as written. */
  corsPolicy: jsonObject,
  /** Only requests matching these reach the generated routes. Default: all requests. */
  match: arrayOf(HttpMatch, 'HTTP matches'),
});

const DAY_WORDS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
export type Day = (typeof DAY_WORDS)[number];
export const DAYS: readonly Day[] = DAY_WORDS;

const HHMM = new t.Type<string, string, unknown>(
  'HH:MM',
  (u): u is string => typeof u === 'string',
  (u, c) => (typeof u === 'string' && /^([01]\d|2[0-3]):[0-5]\d$/.test(u) ? t.success(u) : t.failure(u, c, 'is not a time of day (expected "HH:MM", 00:00 to 23:59)')),
  t.identity,
);

export const Window = struct('Window', {
  /** Days the window opens on. */
  days: arrayOf(oneOfWords(DAY_WORDS), 'days (Mon, Tue, Wed, Thu, Fri, Sat, Sun)'),
  /** Opening time, "HH:MM" in the schedule's time zone. */
  from: HHMM,
  /** Closing time, "HH:MM"; earlier than `from` means the window runs past midnight. */
  to: HHMM,
}, {});
export type Window = t.TypeOf<typeof Window>;

export const Schedule = struct('Schedule', {}, {
  /** Cron expression (node-cron syntax) for when a new version may start shifting. Default: at once. */
  start: nonEmptyString,
  /** IANA time zone for `start` and `windows`. Default UTC. */
  timeZone: nonEmptyString,
  /** Periods in which steps may advance. Default: always. */
  windows: arrayOf(Window, 'windows'),
});
export type Schedule = t.TypeOf<typeof Schedule>;

export const TrafficShiftSpec = struct('TrafficShiftSpec', {
  /** The Kubernetes Service whose traffic is shifted; the owned VirtualService and DestinationRule carry this name. */
  service: dnsLabel,
  /** The version that should serve all traffic. */
  version: labelValue,
  strategy: Strategy,
}, {
  /** VirtualService hosts. Default [service]. */
  hosts: arrayOf(nonEmptyString, 'host names'),
  /** VirtualService gateways. Default ["mesh"]. */
  gateways: arrayOf(nonEmptyString, 'gateway names'),
  /** Pod label whose values key the DestinationRule subsets. Default "version". */
  versionLabel: labelKey,
  analysis: Analysis,
  /** Stop before 100 % and wait for a promote command. Default false. */
  manualPromotion: boolean,
  /** How long the candidate may stay unready, or the gate without data, before falling back. Default 10m. */
  progressDeadline: duration(1000),
  route: RouteOptions,
  schedule: Schedule,
  /** Take over an existing unmanaged VirtualService/DestinationRule, restoring it on deletion. Default false. */
  adopt: boolean,
});
export type TrafficShiftSpec = t.TypeOf<typeof TrafficShiftSpec>;

/** The spec with every default filled and durations in milliseconds: what the core decides on. */
export interface ResolvedSpec {
  readonly service: string;
  readonly version: string;
  readonly hosts: readonly string[];
  readonly gateways: readonly string[];
  readonly versionLabel: string;
  readonly strategy:
    | { readonly kind: 'canary'; readonly steps: readonly number[]; readonly stepIntervalMs: number }
    | { readonly kind: 'blueGreen'; readonly previewMatch?: HttpMatch; readonly previewDurationMs: number; readonly rollbackWindowMs: number };
  readonly analysis: GateRule & {
    readonly intervalMs: number;
    readonly prometheusUrl?: string;
    readonly query?: { readonly requests: string; readonly errors: string; readonly p99LatencyMs?: string };
  };
  readonly manualPromotion: boolean;
  readonly progressDeadlineMs: number;
  readonly route: {
    readonly timeout?: string;
    readonly retries?: Record<string, unknown>;
    readonly headers?: Record<string, unknown>;
    readonly corsPolicy?: Record<string, unknown>;
    readonly match?: readonly HttpMatch[];
  };
  readonly schedule?: { readonly start?: string; readonly timeZone: string; readonly windows?: readonly Window[] };
  readonly adopt: boolean;
}

/** What the gate judges against (see core/gate.ts). */
export interface GateRule {
  readonly maxErrorRate: number;
  readonly minRequests: number;
  readonly failureThreshold: number;
  readonly noData: 'hold' | 'fail';
  readonly maxP99LatencyMs?: number;
}

export const DEFAULTS = {
  stepInterval: '1m',
  previewDuration: '0s',
  rollbackWindow: '10m',
  interval: '30s',
  maxErrorRate: 0.01,
  minRequests: 20,
  failureThreshold: 2,
  noData: 'hold',
  progressDeadline: '10m',
  versionLabel: 'version',
  gateways: ['mesh'],
  timeZone: 'UTC',
} as const;
