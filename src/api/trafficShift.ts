/**
 * A TrafficShift object: decoding a manifest (with field-level errors, including the checks a
 * schema cannot express) and resolving its spec to the defaulted form the core uses.
 */
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import * as t from 'io-ts';
import { toFieldErrors } from './codecs';
import { parseDuration } from './duration';
import { FieldError, fieldError } from './fieldError';
import { API_VERSION, DEFAULTS, Hook, HOOK_KINDS, KIND, Mirror, ResolvedHook, ResolvedHooks, ResolvedMirror, ResolvedSpec, TrafficShiftSpec, UserRoute, UserRouteJson } from './spec';
import { ShiftStatus } from './status';
import { checkSchedule } from './scheduleCheck';
import { gatewaySpecErrors } from '../gateway/check';
import { tcpSpecErrors } from './protocolCheck';
import { checkUserRoutes } from './routesCheck';

export interface ObjectMeta {
  readonly name: string;
  readonly namespace: string;
  readonly uid?: string;
  readonly generation?: number;
  readonly resourceVersion?: string;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
  readonly finalizers?: readonly string[];
  readonly deletionTimestamp?: string;
  readonly creationTimestamp?: string;
}

export interface TrafficShift {
  readonly apiVersion: typeof API_VERSION;
  readonly kind: typeof KIND;
  readonly metadata: ObjectMeta;
  readonly spec: TrafficShiftSpec;
  readonly status?: ShiftStatus;
}

/** A manifest that could not be decoded: where it is and every problem in it. */
export interface InvalidShift {
  readonly name: string;
  readonly namespace: string;
  readonly errors: readonly FieldError[];
}

const Envelope = t.type({
  apiVersion: t.literal(API_VERSION),
  kind: t.literal(KIND),
  metadata: t.type({ name: t.string }),
});

const metaOf = (u: unknown): { name: string; namespace: string } => {
  const m = (u as { metadata?: { name?: unknown; namespace?: unknown } } | null)?.metadata;
  return {
    name: typeof m?.name === 'string' ? m.name : '(unnamed)',
    namespace: typeof m?.namespace === 'string' ? m.namespace : 'default',
  };
};

/**
 * The only pod label Istio reports as `destination_version` for the server-side sidecar
 * (reporter="destination"), which the built-in queries group by: istio/proxy's stats filter takes
 * it from the proxy's LABELS["version"] (docs/mesh-simulator.md cites the source). Any other label
 * leaves the gate without data, so it is refused unless the analysis brings its own queries.
 */
export const ISTIO_VERSION_LABEL = 'version';
const VERSION_LABEL_REFUSED =
  'is not a label Istio reports as destination_version, which the built-in queries select the candidate by ' +
  '(Istio takes it from the pod label "version" only); expected "version", or spec.analysis.query with queries that select the candidate otherwise';

/** Checks that need more than one field or arithmetic: ordering of steps, windows, the version label. */
export const checkSpec = (spec: TrafficShiftSpec): FieldError[] => {
  const errors: FieldError[] = [];
  if (spec.strategy.kind === 'canary') {
    const steps = spec.strategy.value.steps;
    if (steps.length === 0) errors.push(fieldError('spec.strategy.canary.steps', steps, 'is empty; expected at least one step'));
    steps.forEach((w, i) => {
      const prev = steps[i - 1];
      if (i > 0 && prev !== undefined && w <= prev)
        errors.push(fieldError(`spec.strategy.canary.steps[${i}]`, w, `is not greater than the previous step ${prev}`));
    });
  }
  const a = spec.analysis;
  // Compared with defaults filled, as the API server does after defaulting (the CRD rule sees both).
  const interval = a?.interval ?? DEFAULTS.interval;
  const deadline = spec.progressDeadline ?? DEFAULTS.progressDeadline;
  if (parseDuration(deadline)! < parseDuration(interval)!) {
    if (spec.progressDeadline !== undefined)
      errors.push(fieldError('spec.progressDeadline', deadline, `is shorter than spec.analysis.interval ${interval}${a?.interval === undefined ? ' (the default)' : ''}; expected at least one gate interval`));
    else
      errors.push(fieldError('spec.analysis.interval', interval, `is longer than spec.progressDeadline ${deadline} (the default); expected at most the progress deadline`));
  }
  if (spec.strategy.kind === 'abTest' && spec.strategy.value.match.length === 0)
    errors.push(fieldError('spec.strategy.abTest.match', [], 'is empty; expected at least one HTTP match (the requests that reach the candidate)'));
  if (spec.versionLabel !== undefined && spec.versionLabel !== ISTIO_VERSION_LABEL && a?.query === undefined)
    errors.push(fieldError('spec.versionLabel', spec.versionLabel, VERSION_LABEL_REFUSED));
  if ((a?.method ?? DEFAULTS.method) === 'sequential' && a?.noData === 'fail')
    errors.push(fieldError('spec.analysis.noData', a.noData, `cannot be used with method sequential${a.method === undefined ? ' (the default)' : ''}, which never counts missing data as evidence of failure; expected "hold" (the default), or method "threshold" to keep noData "fail"`));
  if (a?.compareTo !== undefined && a.query !== undefined)
    errors.push(fieldError('spec.analysis.compareTo', a.compareTo, 'needs the built-in queries (the stable version is read from the same answer); expected no compareTo, or no analysis.query'));
  if (spec.schedule) errors.push(...checkSchedule(spec.schedule));
  for (const kind of HOOK_KINDS) {
    const hooks = spec.hooks?.[kind] ?? [];
    hooks.forEach((h, i) => {
      const first = hooks.findIndex((o) => o.name === h.name);
      if (first < i) errors.push(fieldError(`spec.hooks.${kind}[${i}].name`, h.name, `is also the name of spec.hooks.${kind}[${first}]; expected one name per hook of a kind`));
    });
  }
  if (spec.routing === 'gatewayAPI' && spec.protocol !== 'tcp') errors.push(...gatewaySpecErrors(spec));
  errors.push(...tcpSpecErrors(spec));
  if (spec.routes !== undefined) errors.push(...checkUserRoutes(spec));
  return errors;
};

/** Decode any JSON value as a TrafficShift, or say precisely what is wrong with it. */
export const decodeTrafficShift = (u: unknown): E.Either<InvalidShift, TrafficShift> => {
  const where = metaOf(u);
  const fail = (errors: FieldError[]): E.Either<InvalidShift, TrafficShift> => E.left({ ...where, errors });
  if (typeof u !== 'object' || u === null || Array.isArray(u)) return fail([fieldError('(document)', u, 'is not a Kubernetes object')]);
  const env = Envelope.decode(u);
  if (E.isLeft(env)) {
    const obj = u as Record<string, unknown>;
    if (obj.kind !== KIND) return fail([fieldError('kind', obj.kind, `is not ${KIND}`)]);
    if (obj.apiVersion !== API_VERSION) return fail([fieldError('apiVersion', obj.apiVersion, `is not ${API_VERSION}`)]);
    return fail([fieldError('metadata.name', undefined, 'is required')]);
  }
  const obj = u as Record<string, unknown> & { metadata: Record<string, unknown> };
  // The name becomes the value of the sluice.dev/shift label on the Istio objects.
  if (where.name.length > 63) return fail([fieldError('metadata.name', where.name, 'is longer than 63 characters; expected a name that fits a label value')]);
  return pipe(
    TrafficShiftSpec.decode(obj.spec),
    E.mapLeft((errs) => toFieldErrors(errs, 'spec')),
    E.chain((spec) => {
      const errors = checkSpec(spec);
      return errors.length > 0 ? E.left(errors) : E.right(spec);
    }),
    E.bimap(
      (errors) => ({ ...where, errors }),
      (spec) => ({
        apiVersion: API_VERSION,
        kind: KIND,
        metadata: { ...(obj.metadata as object), ...where } as ObjectMeta,
        spec,
        ...(obj.status ? { status: obj.status as ShiftStatus } : {}),
      }),
    ),
  );
};

const ms = (d: string | undefined, fallback: string): number => parseDuration(d ?? fallback)!;

const resolveMirror = (m: Mirror | undefined): { mirror?: ResolvedMirror } =>
  m === undefined ? {} : { mirror: { percentage: m.percentage ?? DEFAULTS.mirrorPercentage, iterations: m.iterations } };

const resolveStrategy = (s: TrafficShiftSpec['strategy']): ResolvedSpec['strategy'] => {
  switch (s.kind) {
    case 'canary':
      return {
        kind: 'canary',
        steps: s.value.steps,
        stepIntervalMs: ms(s.value.stepInterval, DEFAULTS.stepInterval),
        ...(s.value.sessionAffinity !== undefined
          ? { sessionAffinity: { cookieName: s.value.sessionAffinity.cookieName, maxAgeMs: ms(s.value.sessionAffinity.maxAge, DEFAULTS.sessionMaxAge) } }
          : {}),
        ...resolveMirror(s.value.mirror),
      };
    case 'blueGreen':
      return {
        kind: 'blueGreen',
        ...(s.value.previewMatch ? { previewMatch: s.value.previewMatch } : {}),
        previewDurationMs: ms(s.value.previewDuration, DEFAULTS.previewDuration),
        rollbackWindowMs: ms(s.value.rollbackWindow, DEFAULTS.rollbackWindow),
        ...resolveMirror(s.value.mirror),
      };
    case 'abTest':
      return { kind: 'abTest', matches: s.value.match, iterations: s.value.iterations };
  }
};

const resolveHook = (h: Hook): ResolvedHook => ({
  name: h.name,
  url: h.url,
  timeoutMs: ms(h.timeout, DEFAULTS.hookTimeout),
  retries: h.retries ?? DEFAULTS.hookRetries,
  metadata: h.metadata ?? {},
});

const resolveHooks = (hooks: NonNullable<TrafficShiftSpec['hooks']>): ResolvedHooks => ({
  signingSecret: hooks.signingSecret,
  preStart: (hooks.preStart ?? []).map(resolveHook),
  preStep: (hooks.preStep ?? []).map(resolveHook),
  during: (hooks.during ?? []).map(resolveHook),
  confirmPromotion: (hooks.confirmPromotion ?? []).map(resolveHook),
  postPromotion: (hooks.postPromotion ?? []).map(resolveHook),
  onFallback: (hooks.onFallback ?? []).map(resolveHook),
});

/** A decoded user route back as the Istio JSON the user wrote (matches as { exact: ... }). */
const userRouteJson = (r: UserRoute): UserRouteJson => JSON.parse(JSON.stringify(UserRoute.encode(r))) as UserRouteJson;

/** Fill every default; the one place defaults are applied (the CRD carries the same ones). */
export const resolveSpec = (spec: TrafficShiftSpec): ResolvedSpec => {
  const a = spec.analysis ?? {};
  const strategy = resolveStrategy(spec.strategy);
  return {
    service: spec.service,
    version: spec.version,
    hosts: spec.hosts ?? [spec.service],
    gateways: spec.gateways ?? DEFAULTS.gateways,
    versionLabel: spec.versionLabel ?? DEFAULTS.versionLabel,
    strategy,
    analysis: {
      intervalMs: ms(a.interval, DEFAULTS.interval),
      maxErrorRate: a.maxErrorRate ?? DEFAULTS.maxErrorRate,
      minRequests: a.minRequests ?? DEFAULTS.minRequests,
      failureThreshold: a.failureThreshold ?? DEFAULTS.failureThreshold,
      noData: a.noData ?? DEFAULTS.noData,
      ...(a.maxP99LatencyMs !== undefined ? { maxP99LatencyMs: a.maxP99LatencyMs } : {}),
      ...(a.prometheus ? { prometheusUrl: a.prometheus.url } : {}),
      ...(a.query ? { query: a.query } : {}),
      method: a.method ?? DEFAULTS.method,
      falseFailureRate: a.falseFailureRate ?? DEFAULTS.falseFailureRate,
      ...(a.compareTo ? { compareTo: a.compareTo } : {}),
    },
    manualPromotion: spec.manualPromotion ?? false,
    progressDeadlineMs: ms(spec.progressDeadline, DEFAULTS.progressDeadline),
    route: spec.route ?? {},
    ...(spec.schedule
      ? { schedule: { timeZone: spec.schedule.timeZone ?? DEFAULTS.timeZone, ...(spec.schedule.start ? { start: spec.schedule.start } : {}), ...(spec.schedule.windows ? { windows: spec.schedule.windows } : {}) } }
      : {}),
    adopt: spec.adopt ?? false,
    ...(spec.hooks ? { hooks: resolveHooks(spec.hooks) } : {}),
    ...(spec.notify && spec.notify.length > 0
      ? { notify: spec.notify.map((n) => ({ provider: n.provider, urlSecret: n.urlSecret, severity: n.severity ?? DEFAULTS.notifySeverity })) }
      : {}),
    routing: spec.routing ?? DEFAULTS.routing,
    protocol: spec.protocol ?? DEFAULTS.protocol,
    ...((spec.routes?.before?.length ?? 0) + (spec.routes?.after?.length ?? 0) > 0
      ? { routes: { before: (spec.routes?.before ?? []).map(userRouteJson), after: (spec.routes?.after ?? []).map(userRouteJson) } }
      : {}),
  };
};
