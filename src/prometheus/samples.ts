/**
 * From query answers to gate samples, purely. The three outcomes stay apart:
 *   - counts (Measured), which the core judges — a verdict when requests >= minRequests;
 *   - no data: a shift whose series is absent is Measured with 0 requests (the core says "no data");
 *   - Unavailable: any failed query of a batch makes every shift of that batch Unavailable.
 * Nothing here passes or fails a candidate; only the core judges.
 */
import * as E from 'fp-ts/Either';
import { formatDuration } from '../api/duration';
import { ComparedCounts, GateSample } from '../core/types';
import { PromError, Vector, describePromError } from './client';
import { GateQuery, GateTarget, PROTOCOL_LABEL, SCRAPED_LABEL, seriesKey, WINDOW_LABEL } from './queries';

/** The answers to one GateQuery's metric queries (p99 only when it was asked). */
export interface Answers {
  readonly requests: E.Either<PromError, Vector>;
  readonly errors: E.Either<PromError, Vector>;
  readonly p99?: E.Either<PromError, Vector>;
}

/** A sample for the shift stored under `key`. */
export interface KeyedSample {
  readonly key: string;
  readonly sample: GateSample;
}

const unavailable = (target: GateTarget, at: number, reason: string): KeyedSample => ({
  key: target.key,
  sample: { _tag: 'Unavailable', version: target.version, at, reason },
});

interface Counted {
  readonly requests: number;
  readonly errors: number;
  readonly p99?: number;
  /** The count window (ms); default the interval. */
  readonly windowMs?: number;
  readonly compared?: ComparedCounts;
}

const measured = (target: GateTarget, at: number, c: Counted): KeyedSample => ({
  key: target.key,
  sample: {
    _tag: 'Measured',
    version: target.version,
    at,
    windowMs: c.windowMs ?? target.analysis.intervalMs,
    requests: c.requests,
    errors: c.errors,
    ...(c.p99 !== undefined && target.analysis.maxP99LatencyMs !== undefined ? { p99LatencyMs: c.p99 } : {}),
    ...(c.compared !== undefined ? { compared: c.compared } : {}),
  },
});

/** The first failed answer, as a sentence naming the metric. */
const firstFailure = (answers: Answers): string | undefined => {
  for (const metric of ['requests', 'errors', 'p99'] as const) {
    const a = answers[metric];
    if (a && E.isLeft(a)) return `the ${metric} query failed: ${describePromError(a.left)}`;
  }
  return undefined;
};

/**
 * Whether a value is data. NaN (no traffic in a ratio or a quantile) and -Inf are not: both are
 * absent. +Inf is: histogram_quantile gives +Inf when the quantile falls in the top (+Inf) bucket,
 * i.e. the p99 is above the largest finite bucket, and the core judges it as over any limit.
 */
const isData = (v: number): boolean => !Number.isNaN(v) && v !== -Infinity;

/** Series value by (namespace, service, version, window label, protocol label); values that are not data count as absent. */
const bySeries = (vector: Vector): ReadonlyMap<string, number> => {
  const values = new Map<string, number>();
  for (const s of vector) {
    const l = s.labels;
    if (l[SCRAPED_LABEL] !== undefined) continue;
    const key = seriesKey(l['destination_service_namespace'] ?? '', l['destination_service_name'] ?? '', l['destination_version'] ?? '', l[WINDOW_LABEL] ?? '', l[PROTOCOL_LABEL] ?? '');
    if (isData(s.value)) values.set(key, (values.get(key) ?? 0) + s.value);
  }
  return values;
};

const ofService = (m: ReadonlyMap<string, number>, namespace: string, service: string, window = ''): number[] =>
  [...m.entries()].filter(([key]) => {
    const [ns, svc, , w, protocol] = JSON.parse(key) as [string, string, string, string, string?];
    return ns === namespace && svc === service && w === window && protocol === undefined;
  }).map(([, v]) => v);
/** The sum of a service's series of one window label over every destination_version. */
const sumOfService = (m: ReadonlyMap<string, number>, namespace: string, service: string, window = ''): number => ofService(m, namespace, service, window).reduce((a, b) => a + b, 0);
/** The largest of a service's series (a p99 cannot be summed; the worst one is judged), undefined when none. */
const maxOfService = (m: ReadonlyMap<string, number>, namespace: string, service: string): number | undefined => {
  const values = ofService(m, namespace, service);
  return values.length > 0 ? Math.max(...values) : undefined;
};

/** A custom template's answer as one number: absent is 0 (or undefined for p99); more than one series is a mistake. */
const single = (metric: string, vector: Vector): E.Either<string, number | undefined> => {
  if (vector.length > 1)
    return E.left(`the ${metric} query returned ${vector.length} series; expected one number (wrap the template in sum())`);
  const value = vector[0]?.value;
  return E.right(value === undefined || !isData(value) ? undefined : value);
};

const rightOr = (a: E.Either<PromError, Vector> | undefined): Vector => (a && E.isRight(a) ? a.right : []);

/**
 * The newest scrape time (epoch ms) of a batch's sequential series, from its requests answer
 * (queries.ts SCRAPED_LABEL); undefined when the batch did not ask or nothing was scraped.
 */
export const lastScrapeOf = (answers: Answers): number | undefined => {
  const found = rightOr(answers.requests).find((s) => s.labels[SCRAPED_LABEL] !== undefined);
  return found !== undefined && Number.isFinite(found.value) ? Math.round(found.value * 1000) : undefined;
};

/** Stands in for the answers of an Unqueryable GateQuery (nothing was sent). */
export const NOTHING_ASKED: Answers = { requests: E.right([]), errors: E.right([]) };

/** The samples one GateQuery's answers give, at tick time `at` (epoch ms). */
export const assessAnswers = (query: GateQuery, answers: Answers, at: number): readonly KeyedSample[] => {
  switch (query._tag) {
    case 'Unqueryable':
      return [unavailable(query.target, at, query.reason)];
    case 'Batch': {
      const failure = firstFailure(answers);
      if (failure !== undefined) return query.targets.map((t) => unavailable(t, at, failure));
      const requests = bySeries(rightOr(answers.requests));
      const errors = bySeries(rightOr(answers.errors));
      const p99 = bySeries(rightOr(answers.p99));
      return query.targets.map((t) => {
        const windowMs = query.windows?.get(t.key);
        const tag = windowMs !== undefined ? formatDuration(windowMs) : '';
        // gatewayAPI: a version's own Service's series count too, whatever their version (a waypoint reports none).
        const protocol = t.protocol ?? '';
        const count = (m: ReadonlyMap<string, number>, version: string, backend: string | undefined): number =>
          (m.get(seriesKey(t.namespace, t.service, version, tag, protocol)) ?? 0) + (backend !== undefined ? sumOfService(m, t.namespace, backend, tag) : 0);
        const p99k = seriesKey(t.namespace, t.service, t.version);
        return measured(t, at, {
          requests: count(requests, t.version, t.backend),
          errors: count(errors, t.version, t.backend),
          // A latency is only read from one series: the sidecar's, else the worst of the per-version Service's.
          p99: p99.get(p99k) ?? (t.backend !== undefined ? maxOfService(p99, t.namespace, t.backend) : undefined),
          ...(windowMs !== undefined ? { windowMs } : {}),
          ...(t.compareWith !== undefined
            ? { compared: { version: t.compareWith, requests: count(requests, t.compareWith, t.compareBackend), errors: count(errors, t.compareWith, t.compareBackend) } }
            : {}),
        });
      });
    }
    case 'Single': {
      const failure = firstFailure(answers);
      if (failure !== undefined) return [unavailable(query.target, at, failure)];
      const requests = single('requests', rightOr(answers.requests));
      const errors = single('errors', rightOr(answers.errors));
      const p99 = single('p99', rightOr(answers.p99));
      for (const r of [requests, errors, p99]) if (E.isLeft(r)) return [unavailable(query.target, at, r.left)];
      const value = (r: E.Either<string, number | undefined>): number | undefined => (E.isRight(r) ? r.right : undefined);
      const p99Value = value(p99);
      return [measured(query.target, at, {
        requests: value(requests) ?? 0,
        errors: value(errors) ?? 0,
        ...(p99Value !== undefined ? { p99: p99Value } : {}),
        ...(query.windowMs !== undefined ? { windowMs: query.windowMs } : {}),
      })];
    }
  }
};
