/**
 * Which PromQL sluice sends, as pure builders. Shifts are grouped by (destination, interval), where
 * the destination is the connection a shift may use (access.ts) or the reason it may use none;
 * per group and tick, every shift on the built-in Istio queries shares ONE query per metric
 * (requests, 5xx errors, and p99 latency when any of them sets a latency limit). A shift with
 * custom templates is queried on its own, so its values never reach another shift's query.
 * docs/prometheus-queries.md shows the exact text.
 */
import * as E from 'fp-ts/Either';
import { formatDuration } from '../api/duration';
import { ResolvedSpec } from '../api/spec';
import { promAlternation, renderTemplate } from './promql';

/** A shift whose candidate the gate should measure (the daemon's view of one active shift). */
export interface GateTarget {
  /** The shift's queue key, "namespace/name"; samples are stored and reported under it. */
  readonly key: string;
  /** Namespace of the shift and its Service (destination_service_namespace). */
  readonly namespace: string;
  /** The Service whose traffic is shifted (destination_service_name). */
  readonly service: string;
  /** The version measured: the candidate (destination_version). */
  readonly version: string;
  /** The shift's resolved analysis: interval, optional URL, latency limit and templates. */
  readonly analysis: ResolvedSpec['analysis'];
}

/** Where a shift's queries go: a connection (access.ts Route id), or nowhere, with the reason. */
export type Destination =
  | { readonly _tag: 'Connection'; readonly id: string }
  | { readonly _tag: 'Refused'; readonly reason: string };

/** Shifts that share a destination and an interval: queried together on one timer. */
export interface GateGroup {
  readonly destination: Destination;
  readonly intervalMs: number;
  readonly targets: readonly GateTarget[];
}

/** The queries of one metric set: requests and errors always, p99 when a latency limit is set. */
export interface MetricQueries {
  readonly requests: string;
  readonly errors: string;
  readonly p99?: string;
}

/** One unit of querying inside a group. */
export type GateQuery =
  /** The built-in Istio queries for many shifts at once. */
  | { readonly _tag: 'Batch'; readonly targets: readonly GateTarget[]; readonly queries: MetricQueries }
  /** A shift's own templates, rendered with its escaped values. */
  | { readonly _tag: 'Single'; readonly target: GateTarget; readonly queries: MetricQueries }
  /** A shift that cannot be queried (no URL, a template that does not render): Unavailable with `reason`. */
  | { readonly _tag: 'Unqueryable'; readonly target: GateTarget; readonly reason: string };

/** The labels the built-in queries group by, and the sample key built from them. */
export const BY_LABELS = ['destination_service_namespace', 'destination_service_name', 'destination_version'] as const;

/** Identifies one (namespace, service, version) series in a batched answer. */
export const seriesKey = (namespace: string, service: string, version: string): string => JSON.stringify([namespace, service, version]);

/** The URL a target is queried at (its own, else the daemon's default, else ""), and the field it came from. */
export const urlOf = (target: GateTarget, defaultUrl: string | undefined): { readonly url: string; readonly field: string } =>
  target.analysis.prometheusUrl !== undefined
    ? { url: target.analysis.prometheusUrl, field: 'spec.analysis.prometheus.url' }
    : { url: defaultUrl ?? '', field: '--prometheus-url' };

/** A group's identity (its timer and client are kept while this stays the same). */
export const groupId = (destination: Destination, intervalMs: number): string =>
  `${intervalMs} ${destination._tag === 'Connection' ? `to ${destination.id}` : `refused ${destination.reason}`}`;

/** Group targets by (destination, interval), in a stable order. */
export const groupTargets = (targets: readonly GateTarget[], destinationOf: (t: GateTarget) => Destination): readonly GateGroup[] => {
  const groups = new Map<string, { destination: Destination; intervalMs: number; targets: GateTarget[] }>();
  for (const target of [...targets].sort((a, b) => a.key.localeCompare(b.key))) {
    const destination = destinationOf(target);
    const id = groupId(destination, target.analysis.intervalMs);
    const group = groups.get(id) ?? { destination, intervalMs: target.analysis.intervalMs, targets: [] };
    group.targets.push(target);
    groups.set(id, group);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, g]) => g);
};

const selector = (targets: readonly GateTarget[], extra: string): string => {
  const namespaces = promAlternation(targets.map((t) => t.namespace));
  const services = promAlternation(targets.map((t) => t.service));
  return `{reporter="destination", ${extra}destination_service_namespace=~${namespaces}, destination_service_name=~${services}}`;
};

/** The built-in batched queries for `targets` over `interval` ("30s"). */
export const builtinQueries = (targets: readonly GateTarget[], interval: string): MetricQueries => {
  const by = BY_LABELS.join(', ');
  const latency = targets.filter((t) => t.analysis.maxP99LatencyMs !== undefined);
  return {
    requests: `sum by (${by}) (increase(istio_requests_total${selector(targets, '')}[${interval}]))`,
    errors: `sum by (${by}) (increase(istio_requests_total${selector(targets, 'response_code=~"5..", ')}[${interval}]))`,
    ...(latency.length > 0
      ? { p99: `histogram_quantile(0.99, sum by (${by}, le) (rate(istio_request_duration_milliseconds_bucket${selector(latency, '')}[${interval}])))` }
      : {}),
  };
};

/** A target's own templates, rendered; Left: why they cannot be. */
export const templateQueries = (target: GateTarget, interval: string): E.Either<string, MetricQueries> => {
  const templates = target.analysis.query!;
  const values = { namespace: target.namespace, service: target.service, version: target.version, interval };
  const requests = renderTemplate(templates.requests, values);
  if (E.isLeft(requests)) return E.left(`spec.analysis.query.requests: ${requests.left}`);
  const errors = renderTemplate(templates.errors, values);
  if (E.isLeft(errors)) return E.left(`spec.analysis.query.errors: ${errors.left}`);
  if (templates.p99LatencyMs === undefined || target.analysis.maxP99LatencyMs === undefined)
    return E.right({ requests: requests.right, errors: errors.right });
  const p99 = renderTemplate(templates.p99LatencyMs, values);
  if (E.isLeft(p99)) return E.left(`spec.analysis.query.p99LatencyMs: ${p99.left}`);
  return E.right({ requests: requests.right, errors: errors.right, p99: p99.right });
};

/**
 * What to send for one group at one tick. `templateRefusal` says why a shift's own templates may
 * not run (default: they may); such a shift is Unqueryable, as is every shift of a Refused group.
 */
export const planQueries = (group: GateGroup, templateRefusal: (t: GateTarget) => string | undefined = () => undefined): readonly GateQuery[] => {
  const { destination } = group;
  if (destination._tag === 'Refused') return group.targets.map((target) => ({ _tag: 'Unqueryable', target, reason: destination.reason }));
  const interval = formatDuration(group.intervalMs);
  const builtin = group.targets.filter((t) => t.analysis.query === undefined);
  const own: GateQuery[] = group.targets
    .filter((t) => t.analysis.query !== undefined)
    .map((target) => {
      const refused = templateRefusal(target);
      if (refused !== undefined) return { _tag: 'Unqueryable', target, reason: refused };
      const rendered = templateQueries(target, interval);
      return E.isLeft(rendered)
        ? { _tag: 'Unqueryable', target, reason: rendered.left }
        : { _tag: 'Single', target, queries: rendered.right };
    });
  return [...(builtin.length > 0 ? [{ _tag: 'Batch' as const, targets: builtin, queries: builtinQueries(builtin, interval) }] : []), ...own];
};
