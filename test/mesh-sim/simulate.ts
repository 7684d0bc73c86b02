/**
 * One tick of simulated traffic, pure apart from advancing the seeded PRNG it is given:
 * streams -> arrivals -> route -> the serving version's behaviour -> reports.
 */
import { findService, podsOf } from './endpoints';
import { serviceKey } from './hosts';
import type { Report, SourceWorkload } from './labels';
import type { MeshSnapshot, Pod, Request, ServiceRef } from './model';
import type { Rng } from './prng';
import { profileOf, type ProfileTable } from './profiles';
import { meshRulesFor, routeByHttpRoute } from './httproute';
import { destinationRuleFor, routeTcp, routeWithMirrors, virtualServiceFor, type RouteOutcome, type Upstreams } from './route';
import { serviceProtocol } from './protocol';
import { arrivals, sampleLatencyMs, sampleStatus } from './traffic';
import { cookieHeader, receive, type Jar } from './cookies';
import { setCookiesOf } from './headers';
import { pathOf } from './match';

/** A steady stream of identical requests from the synthetic client to one host. */
export interface Stream {
  /** Unique name, e.g. `shop/reviews` or `shop/reviews#preview`. */
  readonly id: string;
  readonly target: ServiceRef;
  readonly rps: number;
  readonly request: Request;
  readonly source: SourceWorkload;
  /**
   * Distinct users sharing the stream's rps: each request is one user's, picked uniformly, and
   * carries that user's cookies (cookies.ts) after the stream's own `cookie` header; Set-Cookie
   * headers of its response go into that user's jar. Default none: one client without a jar.
   */
  readonly users?: number;
}

/** The key of one user's jar in EngineState.jars. */
export const jarKey = (stream: string, user: number): string => `${stream}@${user}`;

/** A request after the mesh and the workload have answered it. */
export interface SimulatedRequest {
  readonly stream: string;
  readonly source: SourceWorkload;
  readonly outcome: RouteOutcome;
  /** The serving pod's version label value; "unknown" when no pod answered. */
  readonly version: string;
  readonly status: number;
  /** Envoy response flags. */
  readonly flags: string;
  readonly latencyMs: number;
  /** Which of the stream's users sent it (Stream.users), from 0. */
  readonly user?: number;
  /**
   * A copy sent by a mirror policy: its answer goes nowhere, so the client, the ledger and the
   * per-stream counts never see it; only the server sidecar that answered it reports it.
   */
  readonly mirrored?: true;
  /**
   * A TCP connection (the Service's port is TCP for Istio, protocol.ts) instead of a request:
   * `status` is 0 (no response code), `flags` are the server sidecar's, `latencyMs` is how long
   * the connection stays open. Default: an HTTP request.
   */
  readonly protocol?: 'tcp';
  /** TCP: the client sidecar's flags when they differ from the server's (see answerTcp). */
  readonly sourceFlags?: string;
}

/** Whether the client saw a failure: a 5xx, or for a TCP connection any Envoy response flag. */
export const isFailure = (r: SimulatedRequest): boolean => (r.protocol === 'tcp' ? r.flags !== '-' : r.status >= 500);

/** What the data plane knows during a tick. */
export interface TickContext {
  readonly snapshot: MeshSnapshot;
  readonly profiles: ProfileTable;
  /** The label holding a pod's version, per Service (default `version`). */
  readonly versionLabel: (service: ServiceRef) => string;
  /** When the tick's requests are sent (epoch ms): the clock of cookie expiry. Default 0. */
  readonly nowMs?: number;
}

/** The request of one user: the stream's request with the user's cookies added to its `cookie` header. */
const withCookies = (request: Request, cookies: string): Request => {
  if (cookies === '') return request;
  const own = request.headers.cookie;
  return { ...request, headers: { ...request.headers, cookie: own === undefined || own === '' ? cookies : `${own}; ${cookies}` } };
};

/** Upstream lookups over a snapshot, memoized for the tick. */
export const upstreamsOf = (snapshot: MeshSnapshot): Upstreams => {
  const podCache = new Map<string, readonly Pod[]>();
  return {
    destinationRule: (s) => destinationRuleFor(snapshot.destinationRules, s),
    pods: (s) => {
      const key = serviceKey(s);
      const cached = podCache.get(key);
      if (cached) return cached;
      const svc = findService(snapshot.services, s);
      const pods = svc ? podsOf(svc, snapshot.pods) : [];
      podCache.set(key, pods);
      return pods;
    },
  };
};

/** Status, flags and latency for one routed request. */
export const answer = (outcome: RouteOutcome, ctx: TickContext, rng: Rng): Omit<SimulatedRequest, 'stream' | 'source' | 'outcome'> => {
  switch (outcome.kind) {
    case 'served': {
      const version = outcome.pod.labels[ctx.versionLabel(outcome.service)] ?? 'unknown';
      const profile = profileOf(ctx.profiles, outcome.service.namespace, outcome.service.name, version);
      return { version, status: sampleStatus(profile, rng), flags: '-', latencyMs: sampleLatencyMs(profile, rng) };
    }
    case 'noHealthyUpstream':
      return { version: 'unknown', status: 503, flags: 'UH', latencyMs: 0 };
    case 'noClusterFound':
      return { version: 'unknown', status: 503, flags: 'NC', latencyMs: 0 };
    case 'noRoute':
      return { version: 'unknown', status: 404, flags: 'NR', latencyMs: 0 };
    case 'invalidBackend':
      return { version: 'unknown', status: 500, flags: '-', latencyMs: 0 };
    case 'faultAbort':
      return { version: 'unknown', status: outcome.status, flags: 'FI', latencyMs: 0 };
    case 'localReply':
      return { version: 'unknown', status: outcome.status, flags: '-', latencyMs: 0 };
  }
};

/** `answered` after a fault's delay: the time added, and Envoy's flag DI beside any other. */
const delayed = <A extends { readonly flags: string; readonly latencyMs: number }>(answered: A, delayMs: number | undefined): A =>
  delayMs === undefined || delayMs <= 0 ? answered : { ...answered, latencyMs: answered.latencyMs + delayMs, flags: answered.flags === '-' ? 'DI' : `DI,${answered.flags}` };

/**
 * What happens to one TCP connection. A pod that served it fails it with the version's
 * errorFraction as a workload that refuses or drops connections does: its server sidecar cannot
 * connect to it and closes the connection at once with Envoy's flags "UF,URX" (upstream
 * connection failure, connect attempts exhausted: istio/istio#31555 shows them on an inbound
 * cluster), while the client sidecar, whose own connection to the server sidecar succeeded, sees
 * a connection closed by its peer and no flag. Otherwise the connection stays open for a
 * log-normal time with the version's p50Ms / p99Ms. No endpoint: the client sidecar's flag (UH,
 * NC) and nothing else.
 */
export const answerTcp = (outcome: RouteOutcome, ctx: TickContext, rng: Rng): Omit<SimulatedRequest, 'stream' | 'source' | 'outcome'> => {
  const tcp = { protocol: 'tcp' as const, status: 0 };
  switch (outcome.kind) {
    case 'served': {
      const version = outcome.pod.labels[ctx.versionLabel(outcome.service)] ?? 'unknown';
      const profile = profileOf(ctx.profiles, outcome.service.namespace, outcome.service.name, version);
      if (rng() < profile.errorFraction) return { ...tcp, version, flags: 'UF,URX', sourceFlags: '-', latencyMs: 0 };
      return { ...tcp, version, flags: '-', latencyMs: sampleLatencyMs(profile, rng) };
    }
    case 'noHealthyUpstream':
      return { ...tcp, version: 'unknown', flags: 'UH', latencyMs: 0 };
    case 'noClusterFound':
      return { ...tcp, version: 'unknown', flags: 'NC', latencyMs: 0 };
    case 'noRoute':
    case 'invalidBackend':
    // http-only outcomes (a fault, a redirect or direct response): routeTcp never gives them
    case 'faultAbort':
    case 'localReply':
      return { ...tcp, version: 'unknown', flags: 'NR', latencyMs: 0 };
  }
};

/**
 * The connections a stream to a TCP Service opens in a tick: each picks its route once
 * (routeTcp); headers, cookies, users and HTTPRoutes play no part.
 */
const simulateConnections = (stream: Stream, count: number, ctx: TickContext, upstreams: Upstreams, rng: Rng, port: number | undefined): SimulatedRequest[] => {
  const vs = virtualServiceFor(ctx.snapshot.virtualServices, stream.target);
  const out: SimulatedRequest[] = [];
  for (let i = 0; i < count; i++) {
    const outcome = routeTcp(stream.target, vs, upstreams, stream.request.source, port, rng);
    out.push({ stream: stream.id, source: stream.source, outcome, ...answerTcp(outcome, ctx, rng) });
  }
  return out;
};

/**
 * The requests one stream sends in a tick of `dtMs`, and the carry for the next tick. With
 * `stream.users`, `jars` (keyed by jarKey) is read and updated in place: the caller owns it.
 */
export const simulateStream = (
  stream: Stream,
  carry: number,
  dtMs: number,
  ctx: TickContext,
  upstreams: Upstreams,
  rng: Rng,
  jars: Map<string, Jar> = new Map(),
): { readonly requests: readonly SimulatedRequest[]; readonly carry: number } => {
  const due = arrivals(carry, stream.rps, dtMs);
  const service = findService(ctx.snapshot.services, stream.target);
  if (serviceProtocol(service) === 'tcp') return { requests: simulateConnections(stream, due.count, ctx, upstreams, rng, service?.ports?.[0]?.port), carry: due.carry };
  const vs = virtualServiceFor(ctx.snapshot.virtualServices, stream.target);
  // An HTTPRoute bound to the Service (GAMMA) takes the Service's traffic (httproute.ts).
  const gatewayRules = meshRulesFor(ctx.snapshot.httpRoutes ?? [], stream.target);
  const now = ctx.nowMs ?? 0;
  const path = pathOf(stream.request.uri);
  const requests: SimulatedRequest[] = [];
  for (let i = 0; i < due.count; i++) {
    const user = stream.users !== undefined && stream.users > 0 ? Math.min(stream.users - 1, Math.floor(rng() * stream.users)) : undefined;
    const key = user === undefined ? undefined : jarKey(stream.id, user);
    const jar = key === undefined ? undefined : jars.get(key) ?? [];
    const request = jar === undefined ? stream.request : withCookies(stream.request, cookieHeader(jar, path, now));
    const { outcome, mirrored, responseHeaders, delayMs } = gatewayRules.length > 0
      ? { outcome: routeByHttpRoute(stream.target, gatewayRules, ctx.snapshot, upstreams, request, rng), mirrored: [], responseHeaders: [], delayMs: undefined }
      : routeWithMirrors(stream.target, vs, upstreams, request, rng);
    if (key !== undefined && jar !== undefined) jars.set(key, receive(jar, setCookiesOf(responseHeaders), path, now));
    requests.push({ stream: stream.id, source: stream.source, outcome, ...delayed(answer(outcome, ctx, rng), delayMs), ...(user !== undefined ? { user } : {}) });
    // A copy no pod answered (no cluster, no healthy upstream) is reported by no one (istio/istio#23496: no client-side report of mirrored requests).
    for (const copy of mirrored) if (copy.kind === 'served') requests.push({ stream: stream.id, source: stream.source, outcome: copy, ...answer(copy, ctx, rng), mirrored: true });
  }
  return { requests, carry: due.carry };
};

/** The service a request is booked and labelled under. */
export const serviceOf = (r: SimulatedRequest): ServiceRef => r.outcome.service;

/**
 * What Istio's sidecars report: both sidecars for a served request, only the client's otherwise,
 * only the server's for a mirrored copy (istio/istio#23496: mirrored requests get reporter=
 * "destination" metrics and none at the source). The server side names the Service the pod
 * belongs to, not the `-shadow` host Envoy writes into the copy's :authority: istio/proxy's stats
 * filter (istio_stats.cc, populatePeerInfo) takes destination_service from the inbound cluster's
 * `istio.services` metadata, which istiod adds to inbound clusters (addTelemetryMetadata), and
 * falls back to the Host header only without it. Routed by an HTTPRoute, the client names the
 * backendRef's Service (its upstream cluster) and the server the oldest Service selecting its pod
 * (docs/mesh-simulator.md).
 */
export const reportsOf = (r: SimulatedRequest): readonly Report[] => {
  const o = r.outcome;
  const via = o.kind === 'served' || o.kind === 'noHealthyUpstream' || o.kind === 'invalidBackend' ? o.via : undefined;
  const common = { source: r.source, service: via?.backend ?? serviceOf(r), responseCode: r.status, responseFlags: r.flags, ...(r.protocol === 'tcp' ? { protocol: 'tcp' as const } : {}) };
  if (o.kind !== 'served') return r.mirrored ? [] : [{ reporter: 'source', ...common }];
  const peer = { pod: o.pod };
  if (r.protocol === 'tcp') return [{ reporter: 'destination', ...common, peer }, { reporter: 'source', ...common, responseFlags: r.sourceFlags ?? r.flags, peer }];
  if (r.mirrored) return [{ reporter: 'destination', ...common, peer }];
  return [
    { reporter: 'destination', ...common, service: via?.server ?? common.service, peer },
    { reporter: 'source', ...common, peer },
  ];
};
