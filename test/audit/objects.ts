/**
 * The objects of an audit log as the checker reads them: the metadata, the routes of
 * VirtualServices and HTTPRoutes, Services and Pods, and the TrafficShift status fields the rules
 * need (test/audit/audit.ts), and small pure readings of them.
 */
import { microsOf } from './log';

/** Object metadata, the fields the checker reads. */
export interface Meta {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly { readonly kind?: string; readonly name?: string }[];
  readonly deletionTimestamp?: string;
  readonly finalizers?: readonly string[];
}
/** An object as the audit log has it (responseObject of a write). */
export interface Obj {
  readonly kind?: string;
  readonly metadata?: Meta;
  readonly spec?: Record<string, unknown>;
  readonly status?: Record<string, unknown>;
  readonly items?: readonly Obj[];
}
/** TrafficShift status, the fields the rules read (src/api/status.ts has them all). */
export interface Status {
  readonly phase?: string;
  readonly stableVersion?: string;
  readonly candidateVersion?: string;
  readonly weights?: { readonly stable?: number; readonly candidate?: number };
  readonly startedAt?: string;
  readonly pausedFrom?: string;
  readonly lastGate?: { readonly result?: string; readonly version?: string; readonly time?: string; readonly message?: string };
  readonly history?: readonly { readonly time?: string; readonly event?: string; readonly message?: string }[];
}

export const isObject = (u: unknown): u is Obj => typeof u === 'object' && u !== null && !Array.isArray(u);
export const isRecord = (u: unknown): u is Record<string, unknown> => isObject(u);

// ------------------------------------------------------------------ routes

export interface Destination {
  readonly host?: string;
  /** The DestinationRule subset; for an HTTPRoute backend, subsetName() of the version its Service selects. */
  readonly subset?: string;
  readonly weight?: unknown;
  /** HTTPRoute: the backend Service's namespace and name. */
  readonly backend?: { readonly namespace: string; readonly name: string };
}
export interface Route {
  /** `spec.http[0] (primary)`, `spec.rules[1] (primary)` */
  readonly where: string;
  /** The field holding the destinations: `route` (VirtualService) or `backendRefs` (HTTPRoute). */
  readonly list: 'route' | 'backendRefs';
  readonly name?: string;
  readonly destinations: readonly Destination[];
  /** A redirect or direct response needs no destination. */
  readonly terminal: boolean;
}

export const ROUTE_KINDS = ['http', 'tcp', 'tls'] as const;

export const routesOf = (vs: Obj): Route[] =>
  ROUTE_KINDS.flatMap((kind) => {
    const list = vs.spec?.[kind];
    if (!Array.isArray(list)) return [];
    return list.map((raw: Record<string, unknown>, i: number): Route => {
      const name = typeof raw.name === 'string' ? raw.name : undefined;
      const dests = Array.isArray(raw.route) ? (raw.route as Record<string, unknown>[]) : [];
      return {
        where: `spec.${kind}[${i}]${name !== undefined ? ` (${name})` : ''}`,
        list: 'route',
        ...(name !== undefined ? { name } : {}),
        destinations: dests.map((d) => {
          const dest = isObject(d.destination) ? (d.destination as Record<string, unknown>) : {};
          return {
            ...(typeof dest.host === 'string' ? { host: dest.host } : {}),
            ...(typeof dest.subset === 'string' ? { subset: dest.subset } : {}),
            ...('weight' in d ? { weight: d.weight } : {}),
          };
        }),
        terminal: raw.redirect !== undefined || raw.directResponse !== undefined,
      };
    });
  });

/**
 * The rules of an HTTPRoute as routes: each backendRef a destination, its `subset` the one of the
 * version its Service selects (`versionOf`: the version of Service namespace/name as the replay
 * knows it, undefined when unknown), its weight as written. A rule with a RequestRedirect filter
 * needs no backend.
 */
export const httpRouteRoutesOf = (route: Obj, versionOf: (namespace: string, name: string) => string | undefined, subsetOf: (version: string) => string): Route[] => {
  const rules = route.spec?.rules;
  if (!Array.isArray(rules)) return [];
  const namespace = route.metadata?.namespace ?? '';
  return rules.map((raw: Record<string, unknown>, i: number): Route => {
    const name = typeof raw.name === 'string' ? raw.name : undefined;
    const refs = Array.isArray(raw.backendRefs) ? (raw.backendRefs as Record<string, unknown>[]) : [];
    const filters = Array.isArray(raw.filters) ? (raw.filters as Record<string, unknown>[]) : [];
    return {
      where: `spec.rules[${i}]${name !== undefined ? ` (${name})` : ''}`,
      list: 'backendRefs',
      ...(name !== undefined ? { name } : {}),
      destinations: refs.map((b) => {
        const backend = { namespace: typeof b.namespace === 'string' ? b.namespace : namespace, name: typeof b.name === 'string' ? b.name : '' };
        const version = versionOf(backend.namespace, backend.name);
        return { backend, ...(version !== undefined ? { subset: subsetOf(version) } : {}), ...('weight' in b ? { weight: b.weight } : {}) };
      }),
      terminal: filters.some((f) => f.type === 'RequestRedirect'),
    };
  });
};

/**
 * The weight a destination has as its route's data plane reads it. VirtualService: a lone
 * destination without a weight gets all traffic, beside others a missing weight counts as 0.
 * HTTPRoute: a missing weight is 1 (Gateway API's default).
 */
export const weightOf = (route: Route, d: Destination): unknown =>
  d.weight !== undefined ? d.weight : route.list === 'backendRefs' ? 1 : route.destinations.length === 1 ? 100 : 0;

/**
 * The share (percent) `subset` gets in `route`. VirtualService weights are percentages; HTTPRoute
 * weights are proportions (Gateway API: weight / the sum of the rule's weights), so the share is
 * scaled to the sum.
 */
export const shareIn = (route: Route, subset: string): number => {
  const numbers = route.destinations.map((d) => weightOf(route, d)).map((w) => (typeof w === 'number' ? w : 0));
  const mine = route.destinations.reduce((sum, d, j) => (d.subset === subset ? sum + numbers[j]! : sum), 0);
  if (route.list === 'route') return mine;
  const total = numbers.reduce((a, b) => a + b, 0);
  return total > 0 ? (mine * 100) / total : 0;
};

/** The highest share `subset` gets in any of `routes` (0 when absent or no routes). */
export const maxShare = (routes: readonly Route[] | undefined, subset: string): number =>
  routes === undefined ? 0 : Math.max(0, ...routes.map((r) => shareIn(r, subset)));

/**
 * The audience routes sluice renders (src/istio/render.ts): `preview` (blue-green's
 * previewMatch), `ab-test` (strategy.abTest.match), and the sticky canary's `sticky` (requests
 * with the cookie, to the candidate while it has weight) and `sticky-expire` (the same cookie to
 * stable when no candidate has weight). Only matching requests take them, so 100 % there is not
 * all traffic; fallback-sticks still counts them (maxShare reads every route).
 */
export const AUDIENCE_ROUTES: ReadonlySet<string | undefined> = new Set(['preview', 'ab-test', 'sticky', 'sticky-expire']);

/** Subsets given 100 % by a route that is not an audience route. */
export const fullSubsets = (routes: readonly Route[]): Set<string> =>
  new Set(routes.filter((r) => !AUDIENCE_ROUTES.has(r.name)).flatMap((r) => r.destinations.filter((d) => d.subset !== undefined && shareIn(r, d.subset) === 100).map((d) => d.subset as string)));

/** Istio's short host names resolve in the VirtualService's namespace. */
export const fqdn = (host: string, namespace: string): string => {
  const parts = host.split('.');
  if (parts.length === 1) return `${host}.${namespace}.svc.cluster.local`;
  if (parts.length === 2) return `${host}.svc.cluster.local`;
  if (parts.length === 3 && parts[2] === 'svc') return `${host}.cluster.local`;
  return host;
};

/** The namespace a `name.namespace.svc...` host lives in. */
export const hostNamespace = (host: string): string | undefined => {
  const parts = host.split('.');
  return parts.length >= 3 && parts[2] === 'svc' ? parts[1] : undefined;
};

// ------------------------------------------------------------------ statuses

export const statusOf = (o: Obj | undefined): Status => (o?.status ?? {}) as Status;
export const ACTIVE = new Set(['Progressing', 'Paused', 'Promoting']);

/**
 * The version a status says gets all traffic: the candidate when its weight is 100, the stable
 * when no candidate has weight, else none.
 */
export const fullVersionOf = (s: Status): string | undefined => {
  const candidate = s.candidateVersion;
  const weight = s.weights?.candidate ?? 0;
  if (candidate !== undefined && candidate !== s.stableVersion && ACTIVE.has(s.phase ?? '') && weight === 100) return candidate;
  if (candidate === undefined || candidate === s.stableVersion || !ACTIVE.has(s.phase ?? '') || weight === 0) return s.stableVersion;
  return undefined;
};

export const describeStatus = (s: Status | undefined): string => {
  if (s === undefined) return 'none';
  if (s.phase === undefined && s.stableVersion === undefined) return 'empty';
  const split = s.candidateVersion !== undefined && s.candidateVersion !== s.stableVersion
    ? `${s.stableVersion} ${s.weights?.stable ?? '?'} % / ${s.candidateVersion} ${s.weights?.candidate ?? '?'} %`
    : `${s.stableVersion} 100 %`;
  return `phase ${s.phase ?? '-'}, ${split}`;
};

/** The lastGate of `s` if it judged `version` in this run (at or after status.startedAt). */
export const gateOfRun = (s: Status, version: string) => {
  const gate = s.lastGate;
  if (gate === undefined || gate.version !== version) return undefined;
  if (s.startedAt !== undefined && !(microsOf(gate.time) >= microsOf(s.startedAt))) return undefined;
  return gate;
};

export const isBlueGreen = (shift: Obj | undefined): boolean => {
  const strategy = shift?.spec?.strategy;
  return isRecord(strategy) && isRecord(strategy.blueGreen);
};

/** The history entries `after` has that `before` had not (history is append-only, bounded). */
export const newEntries = (before: Status, after: Status) => {
  const seen = new Set((before.history ?? []).map((h) => JSON.stringify(h)));
  return (after.history ?? []).filter((h) => !seen.has(JSON.stringify(h)));
};

// ------------------------------------------------------------------ Services and Pods

/** A Service's selector (empty when it has none: it selects no Pod). */
export const selectorOf = (service: Obj): Readonly<Record<string, string>> => {
  const selector = service.spec?.selector;
  return isRecord(selector) ? (selector as Record<string, string>) : {};
};

/** Whether `service` selects `pod`, as the endpoints controller matches them (a Service without a selector selects none). */
export const selects = (service: Obj, pod: Obj): boolean => {
  const selector = Object.entries(selectorOf(service));
  return selector.length > 0 && selector.every(([k, v]) => pod.metadata?.labels?.[k] === v);
};

/** A Pod that serves: condition Ready=True, not Succeeded or Failed, not being deleted. */
export const isReadyPod = (pod: Obj): boolean => {
  const status = (pod.status ?? {}) as { phase?: string; conditions?: { type?: string; status?: string }[] };
  if (pod.metadata?.deletionTimestamp !== undefined || status.phase === 'Succeeded' || status.phase === 'Failed') return false;
  return Array.isArray(status.conditions) && status.conditions.some((c) => c.type === 'Ready' && c.status === 'True');
};
