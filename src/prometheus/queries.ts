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
import { ShiftStatus } from '../api/status';
import { evidenceStart } from '../core/state';
import { versionServiceName } from '../gateway/names';
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
  /**
   * sequential: when the current period's evidence began (epoch ms, status.evidenceSince); the
   * counts are read over the time since then (rounded up to whole intervals). Default: the interval.
   */
  readonly evidenceSince?: number;
  /** compareTo: the version compared with (the stable one), read from the same answer. Default none. */
  readonly compareWith?: string;
  /**
   * spec.routing: gatewayAPI: the candidate's per-version Service. Its series count as the
   * candidate's whatever their destination_version (a waypoint reports none), next to the
   * Service's own series for the candidate version (a server sidecar names the oldest Service
   * that selects the pod). Default none: VirtualService routing.
   */
  readonly backend?: string;
  /** gatewayAPI with compareTo: the compared version's per-version Service, counted the same way. Default none. */
  readonly compareBackend?: string;
  /**
   * spec.protocol: tcp: counted on Istio's TCP metrics (TCP_METRICS: connections opened, and
   * closed with a response flag), in the same batch as the HTTP shifts. Default none: HTTP.
   */
  readonly protocol?: 'tcp';
}

/**
 * The target the daemon measures for a shift whose gate guards `candidate`: the sequential
 * method reads from the period's start in status (so a restarted daemon reads the same counts),
 * compareTo adds the stable version.
 */
export const gateTargetOf = (key: string, namespace: string, spec: ResolvedSpec, status: ShiftStatus, candidate: string): GateTarget => ({
  key,
  namespace,
  service: spec.service,
  version: candidate,
  analysis: spec.analysis,
  ...(spec.analysis.method === 'sequential' ? { evidenceSince: evidenceStart(status, 0) } : {}),
  ...(spec.analysis.compareTo === 'stable' && status.stableVersion !== undefined ? { compareWith: status.stableVersion } : {}),
  ...(spec.routing === 'gatewayAPI' ? { backend: versionServiceName(spec.service, candidate) } : {}),
  ...(spec.routing === 'gatewayAPI' && spec.analysis.compareTo === 'stable' && status.stableVersion !== undefined
    ? { compareBackend: versionServiceName(spec.service, status.stableVersion) }
    : {}),
  ...(spec.protocol === 'tcp' ? { protocol: 'tcp' as const } : {}),
});

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
  /**
   * The built-in Istio queries for many shifts at once. `windows` holds the count window of each
   * sequential shift (by key; its series carry WINDOW_LABEL); the others count over the interval.
   */
  | { readonly _tag: 'Batch'; readonly targets: readonly GateTarget[]; readonly queries: MetricQueries; readonly windows?: ReadonlyMap<string, number> }
  /** A shift's own templates, rendered with its escaped values; `windowMs` is what {{interval}} stood for. */
  | { readonly _tag: 'Single'; readonly target: GateTarget; readonly queries: MetricQueries; readonly windowMs?: number }
  /** A shift that cannot be queried (no URL, a template that does not render): Unavailable with `reason`. */
  | { readonly _tag: 'Unqueryable'; readonly target: GateTarget; readonly reason: string };

/** The labels the built-in queries group by, and the sample key built from them. */
export const BY_LABELS = ['destination_service_namespace', 'destination_service_name', 'destination_version'] as const;

/**
 * The label a batch puts on the series of a sequential window (its value: the window, "2m"), so
 * series of one Service over different windows stay apart in one answer.
 */
export const WINDOW_LABEL = 'sluice_window';

/**
 * The label a batch puts on the series of its TCP terms (its value: "tcp"), so a Service that
 * reports both HTTP and TCP metrics keeps them apart in one answer.
 */
export const PROTOCOL_LABEL = 'sluice_protocol';

/**
 * What the built-in queries count for a TCP shift (docs/tcp.md). Istio's stats filter
 * (istio/proxy istio_stats.cc, reportHelper) reports a TCP connection as opened once the peer's
 * metadata is read or when it closes, and computes its labels once at that moment, so
 * `response_flags` on a connection's closed count is the one it was opened with: "-" for a
 * connection that reached the workload, Envoy's flags ("UF,URX": the server sidecar could not
 * connect to the workload) for one that failed at once. Requests are connections opened; errors
 * are connections closed with a flag other than "-".
 */
export const TCP_METRICS = {
  requests: { metric: 'istio_tcp_connections_opened_total', extra: '' },
  errors: { metric: 'istio_tcp_connections_closed_total', extra: 'response_flags!="-", ' },
} as const;

/** Identifies one (namespace, service, version) series in a batched answer; `window` is its WINDOW_LABEL ('' for the interval), `protocol` its PROTOCOL_LABEL ('' for HTTP). */
export const seriesKey = (namespace: string, service: string, version: string, window = '', protocol = ''): string =>
  JSON.stringify(protocol === '' ? [namespace, service, version, window] : [namespace, service, version, window, protocol]);

/**
 * Where a sequential target's counts start (epoch ms): its evidenceSince rounded DOWN to whole
 * intervals, so every request of the period is counted (plus at most one interval before, of the
 * same candidate), the start stays put for the whole period however often it is read, and targets
 * of one group share few distinct starts, hence few terms in the batched query.
 */
export const countStartMs = (target: GateTarget): number | undefined => {
  if (target.evidenceSince === undefined) return undefined;
  const interval = target.analysis.intervalMs;
  return Math.floor(target.evidenceSince / interval) * interval;
};

/**
 * The count window of a target at tick time `at` (ms): the interval, or for a sequential target the
 * time since its count start (countStartMs); at least 1 ms.
 */
export const countWindowMs = (target: GateTarget, at: number): number => {
  const start = countStartMs(target);
  return start === undefined ? target.analysis.intervalMs : Math.max(1, at - start);
};

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

/**
 * VirtualService routing counts the server sidecars' reports (reporter="destination"). Gateway
 * API routing counts waypoints' reports too (reporter="waypoint", ambient mode, where the
 * per-version Service is the only sign of the version) and names the per-version Services.
 */
const selector = (targets: readonly GateTarget[], extra: string): string => {
  const gateway = targets.some((t) => t.backend !== undefined);
  const namespaces = promAlternation(targets.map((t) => t.namespace));
  const services = promAlternation(targets.flatMap((t) => (t.backend !== undefined ? [t.service, t.backend] : [t.service])));
  const reporter = gateway ? 'reporter=~"destination|waypoint"' : 'reporter="destination"';
  return `{${reporter}, ${extra}destination_service_namespace=~${namespaces}, destination_service_name=~${services}}`;
};

const sumBy = (metric: string, targets: readonly GateTarget[], extra: string, window: string): string =>
  `sum by (${BY_LABELS.join(', ')}) (increase(${metric}${selector(targets, extra)}[${window}]))`;

/**
 * The exact count since a sequential window began, per series, then summed (docs/adr/0010). With
 * X the selected series and w the window:
 *
 *   (last_over_time(X[w]) - X offset w >= 0 unless resets(X[w]) > 0)   the counter's growth since the
 *                                                                      last scrape at or before the start
 *   or (increase(X[w]) and resets(X[w]) > 0)                          a counter reset inside the window
 *                                                                      (a restarted proxy): increase()'s
 *                                                                      reset-aware estimate
 *   or last_over_time(X[w])                                           a series absent at the start, or
 *                                                                      reset at it: counted from zero
 *
 * `increase()` alone drops a series' first value (prometheus/prometheus#1673), and Istio creates a
 * response_code="503" series at the first such response, so a candidate's first errors would read
 * as 0 errors. Counts are whole numbers here (no extrapolation), so repeated reads between two
 * scrapes agree. `or` keeps the first term's series and adds only those the earlier terms lack.
 */
const exactSumBy = (metric: string, targets: readonly GateTarget[], extra: string, window: string): string => {
  const x = `${metric}${selector(targets, extra)}`;
  const grew = `last_over_time(${x}[${window}]) - ${x} offset ${window} >= 0 unless resets(${x}[${window}]) > 0`;
  const reset = `increase(${x}[${window}]) and resets(${x}[${window}]) > 0`;
  return `sum by (${BY_LABELS.join(', ')}) ((${grew}) or (${reset}) or last_over_time(${x}[${window}]))`;
};

/**
 * The label of the one extra series a batch with sequential targets adds to its requests query:
 * its value is the time (epoch seconds) of the newest scrape of the selected series, so the sampler
 * can read soon after each scrape (sampler.ts).
 */
export const SCRAPED_LABEL = 'sluice_scraped';

const scrapedTerm = (metric: string, targets: readonly GateTarget[]): string =>
  `label_replace(max(timestamp(${metric}${selector(targets, '')})), "${SCRAPED_LABEL}", "last", "", "")`;

/**
 * One metric's batched expression: the interval term for the threshold shifts, then one term per
 * distinct sequential window (exact counts since its start, exactSumBy), each labelled with
 * WINDOW_LABEL, and with `scraped` the SCRAPED_LABEL series; joined by `or` (the label sets
 * differ, so no term hides another's series).
 */
const countQuery = (metric: string, extra: string, targets: readonly GateTarget[], interval: string, windows: ReadonlyMap<string, number>, scraped = false): string => {
  const plain = targets.filter((t) => !windows.has(t.key));
  const byWindow = new Map<number, GateTarget[]>();
  for (const t of targets) {
    const w = windows.get(t.key);
    if (w !== undefined) byWindow.set(w, [...(byWindow.get(w) ?? []), t]);
  }
  const terms = [
    ...(plain.length > 0 ? [sumBy(metric, plain, extra, interval)] : []),
    ...[...byWindow.entries()].sort(([a], [b]) => a - b).map(([w, ts]) => {
      const window = formatDuration(w);
      return `label_replace(${exactSumBy(metric, ts, extra, window)}, "${WINDOW_LABEL}", "${window}", "destination_version", ".*")`;
    }),
    ...(scraped && byWindow.size > 0 ? [scrapedTerm(metric, targets.filter((t) => windows.has(t.key)))] : []),
  ];
  return terms.join(' or ');
};

/** A count query over HTTP targets (`http` metric) and TCP targets (`tcp` metric, every term labelled PROTOCOL_LABEL="tcp"), joined by `or`. */
const countQueryByProtocol = (
  http: { readonly metric: string; readonly extra: string },
  tcp: { readonly metric: string; readonly extra: string },
  targets: readonly GateTarget[],
  interval: string,
  windows: ReadonlyMap<string, number>,
  scraped = false,
): string => {
  const plain = targets.filter((t) => t.protocol !== 'tcp');
  const tcpTargets = targets.filter((t) => t.protocol === 'tcp');
  return [
    ...(plain.length > 0 ? [countQuery(http.metric, http.extra, plain, interval, windows, scraped)] : []),
    ...(tcpTargets.length > 0
      ? [`label_replace(${countQuery(tcp.metric, tcp.extra, tcpTargets, interval, windows, scraped)}, "${PROTOCOL_LABEL}", "tcp", "destination_version", ".*")`]
      : []),
  ].join(' or ');
};

/**
 * The built-in batched queries for `targets` (of one routing kind): counts over `interval`
 * ("30s"), or exactly over `windows.get(key)` ms for a sequential shift (its requests query also
 * carries the newest scrape time); p99 always over the interval.
 */
export const builtinQueries = (targets: readonly GateTarget[], interval: string, windows: ReadonlyMap<string, number> = new Map()): MetricQueries => {
  const by = BY_LABELS.join(', ');
  const latency = targets.filter((t) => t.analysis.maxP99LatencyMs !== undefined);
  return {
    requests: countQueryByProtocol({ metric: 'istio_requests_total', extra: '' }, TCP_METRICS.requests, targets, interval, windows, true),
    errors: countQueryByProtocol({ metric: 'istio_requests_total', extra: 'response_code=~"5..", ' }, TCP_METRICS.errors, targets, interval, windows),
    ...(latency.length > 0
      ? { p99: `histogram_quantile(0.99, sum by (${by}, le) (rate(istio_request_duration_milliseconds_bucket${selector(latency, '')}[${interval}])))` }
      : {}),
  };
};

/**
 * A target's own templates, rendered; Left: why they cannot be. {{interval}} is `countWindow` in
 * the requests and errors templates (a sequential shift's window; default the interval) and the
 * interval in the p99 template.
 */
export const templateQueries = (target: GateTarget, interval: string, countWindow = interval): E.Either<string, MetricQueries> => {
  const templates = target.analysis.query!;
  const values = { namespace: target.namespace, service: target.service, version: target.version, interval };
  const counts = { ...values, interval: countWindow };
  const requests = renderTemplate(templates.requests, counts);
  if (E.isLeft(requests)) return E.left(`spec.analysis.query.requests: ${requests.left}`);
  const errors = renderTemplate(templates.errors, counts);
  if (E.isLeft(errors)) return E.left(`spec.analysis.query.errors: ${errors.left}`);
  if (templates.p99LatencyMs === undefined || target.analysis.maxP99LatencyMs === undefined)
    return E.right({ requests: requests.right, errors: errors.right });
  const p99 = renderTemplate(templates.p99LatencyMs, values);
  if (E.isLeft(p99)) return E.left(`spec.analysis.query.p99LatencyMs: ${p99.left}`);
  return E.right({ requests: requests.right, errors: errors.right, p99: p99.right });
};

/**
 * What to send for one group at one tick `at` (epoch ms; places sequential windows). `templateRefusal`
 * says why a shift's own templates may not run (default: they may); such a shift is Unqueryable, as
 * is every shift of a Refused group.
 */
export const planQueries = (
  group: GateGroup,
  templateRefusal: (t: GateTarget) => string | undefined = () => undefined,
  at = 0,
): readonly GateQuery[] => {
  const { destination } = group;
  if (destination._tag === 'Refused') return group.targets.map((target) => ({ _tag: 'Unqueryable', target, reason: destination.reason }));
  const interval = formatDuration(group.intervalMs);
  const builtin = group.targets.filter((t) => t.analysis.query === undefined);
  const windows = new Map(builtin.filter((t) => t.evidenceSince !== undefined).map((t) => [t.key, countWindowMs(t, at)]));
  const own: GateQuery[] = group.targets
    .filter((t) => t.analysis.query !== undefined)
    .map((target) => {
      const refused = templateRefusal(target);
      if (refused !== undefined) return { _tag: 'Unqueryable', target, reason: refused };
      const windowMs = countWindowMs(target, at);
      const rendered = templateQueries(target, interval, formatDuration(windowMs));
      if (E.isLeft(rendered)) return { _tag: 'Unqueryable', target, reason: rendered.left };
      return { _tag: 'Single', target, queries: rendered.right, ...(target.evidenceSince !== undefined ? { windowMs } : {}) };
    });
  // One batch per routing kind, so a VirtualService shift's query stays what it was.
  const batches: GateQuery[] = [builtin.filter((t) => t.backend === undefined), builtin.filter((t) => t.backend !== undefined)]
    .filter((ts) => ts.length > 0)
    .map((ts) => {
      const kindWindows = new Map([...windows].filter(([key]) => ts.some((t) => t.key === key)));
      return { _tag: 'Batch', targets: ts, queries: builtinQueries(ts, interval, kindWindows), ...(kindWindows.size > 0 ? { windows: kindWindows } : {}) };
    });
  return [...batches, ...own];
};
