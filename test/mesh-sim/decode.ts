/**
 * Kubernetes and Istio objects as the API server returns them (typed client objects or raw watch
 * JSON) -> the simulator's model. Tolerant: a malformed field reads as absent, as Envoy would
 * simply not get a route istiod could not translate.
 */
import { parseDuration } from '../../src/api/duration';
import type { FaultInjection, DestinationRule, GatewayHttpRoute, GatewayRouteMatch, HeaderOperations, HttpMatch, HttpRoute, MirrorPolicy, Pod, RouteDestination, Service, ServicePort, StringMatch, TcpMatch, TcpRoute, VirtualService } from './model';

type Obj = Record<string, unknown>;

const obj = (u: unknown): Obj => (typeof u === 'object' && u !== null && !Array.isArray(u) ? (u as Obj) : {});
const arr = (u: unknown): unknown[] => (Array.isArray(u) ? u : []);
const str = (u: unknown): string | undefined => (typeof u === 'string' ? u : undefined);
const strMap = (u: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(obj(u)).filter((e): e is [string, string] => typeof e[1] === 'string'));
/** Timestamps are Date objects from the typed client and strings in raw watch events. */
const time = (u: unknown): string | undefined => (u instanceof Date ? u.toISOString() : str(u));

const meta = (o: unknown) => {
  const m = obj(obj(o).metadata);
  return { namespace: str(m.namespace) ?? 'default', name: str(m.name) ?? '', m };
};

const stringMatch = (u: unknown): StringMatch => {
  const o = obj(u);
  return { exact: str(o.exact), prefix: str(o.prefix), regex: str(o.regex) };
};

const matchMap = (u: unknown, lowerCase: boolean): Record<string, StringMatch> =>
  Object.fromEntries(Object.entries(obj(u)).map(([k, v]) => [lowerCase ? k.toLowerCase() : k, stringMatch(v)]));
const optional = <A>(u: unknown, f: (u: unknown) => A): A | undefined => (u === undefined ? undefined : f(u));

const httpMatch = (u: unknown): HttpMatch => {
  const o = obj(u);
  return {
    headers: matchMap(o.headers, true),
    uri: optional(o.uri, stringMatch),
    withoutHeaders: optional(o.withoutHeaders, (w) => matchMap(w, true)),
    queryParams: optional(o.queryParams, (q) => matchMap(q, false)),
    method: optional(o.method, stringMatch),
    authority: optional(o.authority, stringMatch),
    ignoreUriCase: o.ignoreUriCase === true ? true : undefined,
    sourceLabels: optional(o.sourceLabels, strMap),
    sourceNamespace: str(o.sourceNamespace),
  };
};

/** `headers.response` of a route or destination: Istio's HeaderOperations (set, add, remove). */
const responseOps = (headers: unknown): HeaderOperations | undefined => {
  const r = obj(headers).response;
  if (r === undefined) return undefined;
  const o = obj(r);
  return { set: strMap(o.set), add: strMap(o.add), remove: arr(o.remove).filter((h): h is string => typeof h === 'string') };
};

const routeDestination = (u: unknown): RouteDestination => {
  const o = obj(u);
  const d = obj(o.destination);
  const responseHeaders = responseOps(o.headers);
  return {
    destination: { host: str(d.host) ?? '', subset: str(d.subset) },
    weight: typeof o.weight === 'number' ? o.weight : undefined,
    ...(responseHeaders !== undefined ? { responseHeaders } : {}),
  };
};

/** Istio's Percent `{value: 12.5}`; absent: 100 (istiod's MirrorPercent / MirrorPercentByPolicy default). */
const percentOf = (u: unknown): number => {
  const v = obj(u).value;
  return u === undefined ? 100 : typeof v === 'number' ? Math.min(100, Math.max(0, v)) : 0;
};

const destinationOf = (u: unknown) => ({ host: str(obj(u).host) ?? '', subset: str(obj(u).subset) });

/**
 * istiod (pilot/pkg/networking/core/route/route.go applyHTTPRouteDestination): `mirror` with
 * `mirrorPercentage` (absent: 100 %, 0: no mirror) becomes one request mirror policy, then each
 * entry of `mirrors` one more.
 */
const mirrorsOf = (o: Obj): MirrorPolicy[] => [
  ...(o.mirror === undefined ? [] : [{ destination: destinationOf(o.mirror), percentage: percentOf(o.mirrorPercentage) }]),
  ...arr(o.mirrors).map((m) => ({ destination: destinationOf(obj(m).destination), percentage: percentOf(obj(m).percentage) })),
].filter((m) => m.percentage > 0 && m.destination.host !== '');

/** A fault's Percent `{value: 12.5}`; absent: 0 (Envoy's unset FractionalPercent, numerator 0). */
const faultPercent = (u: unknown): number => {
  const v = obj(u).value;
  return typeof v === 'number' ? Math.min(100, Math.max(0, v)) : 0;
};

/**
 * istiod (pilot/pkg/networking/core/route/route.go TranslateFault): `fault.delay` (fixedDelay) and
 * `fault.abort` (httpStatus) become Envoy's per-route HTTPFault, each with its percentage.
 */
const faultOf = (u: unknown): FaultInjection | undefined => {
  if (u === undefined) return undefined;
  const delay = obj(obj(u).delay);
  const abort = obj(obj(u).abort);
  const delayMs = typeof delay.fixedDelay === 'string' ? parseDuration(delay.fixedDelay) : undefined;
  return {
    ...(delayMs !== undefined ? { delay: { fixedDelayMs: delayMs, percentage: faultPercent(delay.percentage) } } : {}),
    ...(typeof abort.httpStatus === 'number' ? { abort: { httpStatus: abort.httpStatus, percentage: faultPercent(abort.percentage) } } : {}),
  };
};

const httpRoute = (u: unknown): HttpRoute => {
  const o = obj(u);
  const mirrors = mirrorsOf(o);
  return {
    name: str(o.name),
    match: o.match === undefined ? undefined : arr(o.match).map(httpMatch),
    route: arr(o.route).map(routeDestination),
    ...(mirrors.length > 0 ? { mirrors } : {}),
    ...(o.fault !== undefined ? { fault: faultOf(o.fault) } : {}),
    // istiod's HTTPRedirect default: 301 Moved Permanently.
    ...(o.redirect !== undefined ? { redirect: { status: typeof obj(o.redirect).redirectCode === 'number' ? (obj(o.redirect).redirectCode as number) : 301 } } : {}),
    ...(o.directResponse !== undefined ? { directResponse: { status: typeof obj(o.directResponse).status === 'number' ? (obj(o.directResponse).status as number) : 200 } } : {}),
    ...(responseOps(o.headers) !== undefined ? { responseHeaders: responseOps(o.headers) } : {}),
  };
};

const strings = (u: unknown): string[] | undefined => (Array.isArray(u) ? u.filter((x): x is string => typeof x === 'string') : undefined);

const tcpMatch = (u: unknown): TcpMatch => {
  const o = obj(u);
  return {
    port: typeof o.port === 'number' ? o.port : undefined,
    sourceLabels: optional(o.sourceLabels, strMap),
    sourceNamespace: str(o.sourceNamespace),
    destinationSubnets: strings(o.destinationSubnets),
    gateways: strings(o.gateways),
  };
};

const tcpRoute = (u: unknown): TcpRoute => {
  const o = obj(u);
  return { match: o.match === undefined ? undefined : arr(o.match).map(tcpMatch), route: arr(o.route).map(routeDestination) };
};

export const virtualServiceFromK8s = (o: unknown): VirtualService => {
  const { namespace, name, m } = meta(o);
  const spec = obj(obj(o).spec);
  return {
    namespace,
    name,
    hosts: arr(spec.hosts).filter((h): h is string => typeof h === 'string'),
    gateways: spec.gateways === undefined ? undefined : arr(spec.gateways).filter((g): g is string => typeof g === 'string'),
    http: arr(spec.http).map(httpRoute),
    ...(spec.tcp !== undefined ? { tcp: arr(spec.tcp).map(tcpRoute) } : {}),
    creationTimestamp: time(m.creationTimestamp),
  };
};

export const destinationRuleFromK8s = (o: unknown): DestinationRule => {
  const { namespace, name } = meta(o);
  const spec = obj(obj(o).spec);
  return {
    namespace,
    name,
    host: str(spec.host) ?? '',
    subsets: arr(spec.subsets).map((s) => ({ name: str(obj(s).name) ?? '', labels: strMap(obj(s).labels) })),
  };
};

export const serviceFromK8s = (o: unknown): Service => {
  const { namespace, name, m } = meta(o);
  const ports = arr(obj(obj(o).spec).ports).map((p): ServicePort => ({
    port: typeof obj(p).port === 'number' ? (obj(p).port as number) : 0,
    name: str(obj(p).name),
    appProtocol: str(obj(p).appProtocol),
  }));
  return { namespace, name, selector: strMap(obj(obj(o).spec).selector), ...(ports.length > 0 ? { ports } : {}), creationTimestamp: time(m.creationTimestamp) };
};

/**
 * The workload name Istio reports: for a ReplicaSet owner its name without the pod-template-hash
 * suffix (the Deployment name); any other controller as named; without an owner, the pod name.
 */
export const workloadOf = (podName: string, labels: Readonly<Record<string, string>>, owners: readonly Obj[]): string => {
  const owner = owners.find((r) => r.controller === true) ?? owners[0];
  const ownerName = str(owner?.name);
  if (owner === undefined || ownerName === undefined) return podName;
  const hash = labels['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash !== undefined && ownerName.endsWith(`-${hash}`)) return ownerName.slice(0, -(hash.length + 1));
  return ownerName;
};

const isReady = (status: Obj): boolean =>
  arr(status.conditions).some((c) => obj(c).type === 'Ready' && obj(c).status === 'True');

export const podFromK8s = (o: unknown): Pod => {
  const { namespace, name, m } = meta(o);
  const labels = strMap(m.labels);
  return {
    namespace,
    name,
    labels,
    ready: isReady(obj(obj(o).status)) && m.deletionTimestamp == null,
    workload: workloadOf(name, labels, arr(m.ownerReferences).map(obj)),
    serviceAccount: str(obj(obj(o).spec).serviceAccountName) ?? 'default',
  };
};

const valueMatches = (u: unknown) =>
  arr(u).map((v) => ({ type: obj(v).type === 'RegularExpression' ? 'RegularExpression' as const : 'Exact' as const, name: str(obj(v).name) ?? '', value: str(obj(v).value) ?? '' }));

const gatewayRouteMatch = (u: unknown): GatewayRouteMatch => {
  const o = obj(u);
  const p = obj(o.path);
  const type = p.type === 'Exact' || p.type === 'RegularExpression' ? p.type : 'PathPrefix';
  return {
    path: { type, value: str(p.value) ?? '/' },
    headers: valueMatches(o.headers),
    queryParams: valueMatches(o.queryParams),
    method: str(o.method),
  };
};

/** gateway.networking.k8s.io/v1 HTTPRoute; omitted group/kind default as the API does (Service backends, Gateway parents). */
export const httpRouteFromK8s = (o: unknown): GatewayHttpRoute => {
  const { namespace, name, m } = meta(o);
  const spec = obj(obj(o).spec);
  return {
    namespace,
    name,
    parentRefs: arr(spec.parentRefs).map((p) => ({
      group: str(obj(p).group) ?? 'gateway.networking.k8s.io',
      kind: str(obj(p).kind) ?? 'Gateway',
      name: str(obj(p).name) ?? '',
      namespace: str(obj(p).namespace),
    })),
    rules: arr(spec.rules).map((r) => ({
      matches: obj(r).matches === undefined ? undefined : arr(obj(r).matches).map(gatewayRouteMatch),
      backendRefs: arr(obj(r).backendRefs).map((b) => ({
        kind: str(obj(b).kind) ?? 'Service',
        name: str(obj(b).name) ?? '',
        namespace: str(obj(b).namespace),
        weight: typeof obj(b).weight === 'number' ? (obj(b).weight as number) : undefined,
      })),
    })),
    creationTimestamp: time(m.creationTimestamp),
  };
};
