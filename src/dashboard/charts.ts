/**
 * The data behind a shift page's Prometheus charts: the error rate (and p99 when a latency limit
 * is set) of each version over the shift's life, from the same PromQL the gate sends
 * (src/prometheus/queries.ts), evaluated as range queries with the gate's window.
 */
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import * as TE from 'fp-ts/TaskEither';
import { formatDuration } from '../api/duration';
import { ResolvedSpec } from '../api/spec';
import { describePromError, displayUrl } from '../prometheus/client';
import { builtinQueries, GateTarget, MetricQueries, templateQueries } from '../prometheus/queries';
import { Problem, problem } from './problems';
import { queryRange, RangeQuery, RangeSeries } from './range';

/** A line of a chart: a version's values over time. */
export interface Line {
  /** The version, e.g. "v2". */
  readonly label: string;
  /** [epoch ms, value]. */
  readonly points: readonly (readonly [number, number])[];
}

export interface ShiftCharts {
  /** Prometheus the numbers came from (without credentials). */
  readonly prometheus: string;
  readonly start: number;
  readonly end: number;
  readonly stepMs: number;
  /** Share of 5xx responses (0..1) per version, over the gate's window at each point. */
  readonly errorRate: readonly Line[];
  /** p99 latency in ms per version, when the shift sets maxP99LatencyMs. */
  readonly p99?: readonly Line[];
  /** The PromQL sent, for the curious. */
  readonly queries: MetricQueries;
}

/** At most this many points per line. */
export const MAX_POINTS = 240;
/** The charts look back at least this far, and at most `MAX_RANGE_MS`. */
export const MIN_RANGE_MS = 2 * 60_000;
export const MAX_RANGE_MS = 6 * 3600_000;

/** The window shown: from 30 s before `since` (within limits) to now, and a step giving ≤ MAX_POINTS points. */
export const rangeOf = (since: string | undefined, now: number): { start: number; end: number; stepMs: number } => {
  const t = since === undefined ? NaN : Date.parse(since);
  const start = Math.max(now - MAX_RANGE_MS, Math.min(now - MIN_RANGE_MS, Number.isNaN(t) ? now - MIN_RANGE_MS : t - 30_000));
  const stepMs = Math.max(1000, Math.ceil((now - start) / MAX_POINTS / 1000) * 1000);
  return { start, end: now, stepMs };
};

/** The gate's queries for this shift, every version of its Service (the gate picks the candidate's series). */
export const queriesFor = (namespace: string, name: string, candidate: string, spec: ResolvedSpec): E.Either<string, MetricQueries> => {
  const target: GateTarget = { key: `${namespace}/${name}`, namespace, service: spec.service, version: candidate, analysis: spec.analysis };
  const interval = formatDuration(spec.analysis.intervalMs);
  return spec.analysis.query !== undefined ? templateQueries(target, interval) : E.right(builtinQueries([target], interval));
};

const versionOf = (s: RangeSeries, fallback: string): string => s.labels['destination_version'] ?? fallback;

/** errors / requests per version and timestamp (pure); a point without requests has no rate. */
export const errorRates = (requests: readonly RangeSeries[], errors: readonly RangeSeries[], fallback: string): readonly Line[] => {
  const errorsAt = new Map<string, Map<number, number>>();
  for (const s of errors) errorsAt.set(versionOf(s, fallback), new Map(s.points.map(([t, v]) => [t, v])));
  return requests
    .map((s) => {
      const version = versionOf(s, fallback);
      const errs = errorsAt.get(version);
      const points = s.points.filter(([, n]) => n > 0).map(([t, n]) => [t, Math.min(1, (errs?.get(t) ?? 0) / n)] as const);
      return { label: version, points };
    })
    .filter((l) => l.points.length > 0)
    .sort((a, b) => a.label.localeCompare(b.label));
};

const lines = (series: readonly RangeSeries[], fallback: string): readonly Line[] =>
  series.map((s) => ({ label: versionOf(s, fallback), points: s.points })).filter((l) => l.points.length > 0).sort((a, b) => a.label.localeCompare(b.label));

/** Ask Prometheus at `url` for a shift's chart data. */
export const fetchCharts = (
  url: string,
  where: { namespace: string; name: string; candidate: string; since?: string },
  spec: ResolvedSpec,
  now: number,
): TE.TaskEither<Problem, ShiftCharts> => {
  const queries = queriesFor(where.namespace, where.name, where.candidate, spec);
  if (E.isLeft(queries)) return TE.left(problem('BadRequest', `${where.namespace}/${where.name}: ${queries.left}`));
  const range = rangeOf(where.since, now);
  const run = (expr: string) =>
    pipe(
      queryRange(url, { expr, ...range } satisfies RangeQuery),
      TE.mapLeft((e) => problem('PrometheusUnavailable', describePromError(e))),
    );
  const q = queries.right;
  return pipe(
    TE.Do,
    TE.bind('requests', () => run(q.requests)),
    TE.bind('errors', () => run(q.errors)),
    TE.bind('p99', () => (q.p99 !== undefined ? pipe(run(q.p99), TE.map((s): readonly RangeSeries[] | undefined => s)) : TE.right(undefined))),
    TE.map(({ requests, errors, p99 }) => ({
      prometheus: displayUrl(url),
      ...range,
      errorRate: errorRates(requests, errors, where.candidate),
      ...(p99 !== undefined ? { p99: lines(p99, where.candidate) } : {}),
      queries: q,
    })),
  );
};
