/**
 * Adopt only what can be kept. Taking over an unmanaged VirtualService (spec.adopt) replaces its
 * `hosts`, `gateways` and `http` with sluice's (planWrites); everything else in it is kept. So a
 * VirtualService is adoptable only when that replacement loses nothing:
 *   - every host it has is in spec.hosts (names of the shift's own Service count as one another:
 *     `reviews` and `reviews.shop.svc.cluster.local` route the same Service);
 *   - every gateway it binds (none means `mesh`) is in spec.gateways;
 *   - every http route is one sluice writes back equivalently: destinations only of the shift's
 *     own Service (any subset, any weight), with no per-destination fields (port, headers), and
 *     match, timeout, retries, headers and corsPolicy as the spec renders them, nothing else
 *     (rewrite, redirect, mirror, fault, delegate, ...).
 * For spec.protocol: tcp it replaces `tcp` instead of `http` (http routes are kept): every tcp
 * route must be only weighted destinations of the shift's own Service (no match).
 * Anything else would be silently dropped, so adoption is refused with a sentence naming it.
 */
import { sameJson } from './canonical';
import { MESH_GATEWAY, ownHosts, qualifiedGateway } from './hostsPolicy';
import { ExistingVirtualService, isManagedBySluice } from './objects';
import { DEFAULT_CLUSTER_DOMAIN, HttpRoute, TcpVirtualService, UserHttpRoute, VirtualService } from './types';

/** Route fields sluice writes; an existing route with others loses them. */
const ROUTE_FIELDS = ['name', 'match', 'route', 'timeout', 'retries', 'headers', 'corsPolicy'] as const;
const COMPARED: readonly (keyof HttpRoute)[] = ['match', 'timeout', 'retries', 'headers', 'corsPolicy'];

type Route = Record<string, unknown>;

/** Why sluice's destinations would not reproduce those of `route`, or undefined when they would. */
const destinationLoss = (route: Route, own: ReadonlySet<string>): string | undefined => {
  const destinations = Array.isArray(route.route) ? (route.route as Route[]) : [];
  for (const d of destinations) {
    const destination = (d.destination ?? {}) as Route;
    const host = String(destination.host ?? '').toLowerCase();
    if (!own.has(host)) return `routes to ${JSON.stringify(destination.host)}, not this Service`;
    const fields = [...Object.keys(d).filter((k) => k !== 'destination' && k !== 'weight'), ...Object.keys(destination).filter((k) => k !== 'host' && k !== 'subset')];
    if (fields.length > 0) return `sets ${fields.join(', ')} on a destination`;
  }
  return undefined;
};

/** Why sluice's primary route would not reproduce `route`, or undefined when it would. */
const routeLoss = (route: Route, primary: HttpRoute, own: ReadonlySet<string>): string | undefined => {
  const extra = Object.keys(route).filter((k) => route[k] !== undefined && !(ROUTE_FIELDS as readonly string[]).includes(k));
  if (extra.length > 0) return `has ${extra.join(', ')}`;
  const lost = destinationLoss(route, own);
  if (lost !== undefined) return lost;
  const differs = COMPARED.filter((k) => !sameJson(route[k] ?? null, primary[k] ?? null));
  return differs.length > 0 ? `has ${differs.join(', ')} other than spec.route gives` : undefined;
};

const quoted = (xs: readonly string[]): string => xs.map((x) => JSON.stringify(x)).join(', ');

const lostHttpRoutes = (current: ExistingVirtualService, desired: readonly (HttpRoute | UserHttpRoute)[], own: ReadonlySet<string>): string[] => {
  const primary = (desired.find((r) => r.name === 'primary') ?? desired[desired.length - 1]!) as HttpRoute;
  return (current.spec.http ?? []).flatMap((r, i) => {
    const loss = routeLoss(r as Route, primary, own);
    return loss === undefined ? [] : [`http[${i}]${r.name ? ` (${r.name})` : ''} ${loss}`];
  });
};

/** A TCP shift writes one tcp route of weighted destinations: any other field (match) is lost. */
const lostTcpRoutes = (current: ExistingVirtualService, own: ReadonlySet<string>): string[] => {
  const raw = (current.spec as Record<string, unknown>)['tcp'];
  const tcp = Array.isArray(raw) ? (raw as Route[]) : [];
  return tcp.flatMap((r, i) => {
    const extra = Object.keys(r).filter((k) => r[k] !== undefined && k !== 'route');
    const loss = extra.length > 0 ? `has ${extra.join(', ')}` : destinationLoss(r, own);
    return loss === undefined ? [] : [`tcp[${i}] ${loss}`];
  });
};

/**
 * Why adopting `current` would lose part of it, or undefined when nothing is lost (or when it is
 * not an adoption: no VirtualService, or one sluice already manages). `desired` is the rendered
 * VirtualService for the shift.
 */
export const adoptionProblem = (
  current: ExistingVirtualService | undefined,
  desired: VirtualService | TcpVirtualService,
  clusterDomain = DEFAULT_CLUSTER_DOMAIN,
): string | undefined => {
  if (current === undefined || isManagedBySluice(current)) return undefined;
  const namespace = current.metadata.namespace;
  const own = new Set(ownHosts(desired.metadata.name, desired.metadata.namespace, clusterDomain));
  const wantedHosts = new Set(desired.spec.hosts.map((h) => h.toLowerCase()));
  const ownWanted = [...wantedHosts].some((h) => own.has(h));
  const lostHosts = (current.spec.hosts ?? []).filter((h) => {
    const host = h.toLowerCase();
    return !wantedHosts.has(host) && !(own.has(host) && ownWanted);
  });
  const wantedGateways = new Set(desired.spec.gateways.map((g) => qualifiedGateway(g, namespace)));
  const lostGateways = (current.spec.gateways ?? [MESH_GATEWAY]).filter((g) => !wantedGateways.has(qualifiedGateway(g, namespace)));
  const lostRoutes = 'tcp' in desired.spec ? lostTcpRoutes(current, own) : lostHttpRoutes(current, desired.spec.http, own);
  const parts = [
    ...(lostHosts.length > 0 ? [`hosts ${quoted(lostHosts)} (not in spec.hosts)`] : []),
    ...(lostGateways.length > 0 ? [`gateways ${quoted(lostGateways)} (not in spec.gateways)`] : []),
    ...lostRoutes,
  ];
  if (parts.length === 0) return undefined;
  return `VirtualService ${namespace}/${current.metadata.name} cannot be adopted without dropping what sluice does not write: ${parts.join('; ')}; ` +
    'add the hosts and gateways to the spec, or move those routes to another VirtualService';
};
