/**
 * The objects of an audit log as the checker reads them: the metadata, VirtualService routes and
 * TrafficShift status fields the rules need (test/audit/audit.ts), and small pure readings of them.
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
  readonly subset?: string;
  readonly weight?: unknown;
}
export interface Route {
  /** `spec.http[0] (primary)` */
  readonly where: string;
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

/** A lone destination without a weight gets all traffic (Istio); beside others a missing weight counts as 0. */
export const weightOf = (route: Route, d: Destination): unknown =>
  d.weight === undefined ? (route.destinations.length === 1 ? 100 : 0) : d.weight;

/** The share (percent) `subset` gets in `route`. */
export const shareIn = (route: Route, subset: string): number =>
  route.destinations.reduce((sum, d) => {
    const w = weightOf(route, d);
    return d.subset === subset && typeof w === 'number' ? sum + w : sum;
  }, 0);

/** The highest share `subset` gets in any route of `vs` (0 when absent or no VirtualService). */
export const maxShare = (vs: Obj | undefined, subset: string): number =>
  vs === undefined ? 0 : Math.max(0, ...routesOf(vs).map((r) => shareIn(r, subset)));

/**
 * The audience routes sluice renders (src/istio/render.ts): `preview` (blue-green's
 * previewMatch), `ab-test` (strategy.abTest.match), and the sticky canary's `sticky` (requests
 * with the cookie, to the candidate while it has weight) and `sticky-expire` (the same cookie to
 * stable when no candidate has weight). Only matching requests take them, so 100 % there is not
 * all traffic; fallback-sticks still counts them (maxShare reads every route).
 */
export const AUDIENCE_ROUTES: ReadonlySet<string | undefined> = new Set(['preview', 'ab-test', 'sticky', 'sticky-expire']);

/** Subsets given 100 % by a route that is not an audience route. */
export const fullSubsets = (vs: Obj): Set<string> =>
  new Set(routesOf(vs).filter((r) => !AUDIENCE_ROUTES.has(r.name)).flatMap((r) => r.destinations.filter((d) => d.subset !== undefined && shareIn(r, d.subset) === 100).map((d) => d.subset as string)));

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
