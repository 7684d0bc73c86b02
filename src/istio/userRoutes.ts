/**
 * User routes (spec.routes) as sluice writes them around its own (docs/adr/0011). Each is the
 * user's Istio JSON as written (keys sorted, as every rendered object), except that a destination
 * naming the routed Service — in any of its host forms — becomes the split of sluice's primary
 * route: the stable and candidate subsets with the destination's weight divided between them in
 * the primary route's proportion (integers, the pair summing to the destination's weight). So a
 * user route never names a subset sluice is about to remove, follows every step, a fallback and
 * the pin on deletion, and its weights still sum to 100.
 *
 * While a shift's spec does not decode (a user route edited into one that would shadow sluice's),
 * the daemon keeps the user routes that are live (liveUserRoutes) instead of writing the new ones
 * or dropping them: bad input never changes the routes (only a fallback moves their split).
 */
import { ResolvedUserRoutes } from '../api/spec';
import { sortKeys } from './canonical';
import { subsetName } from './names';
import { UserHttpRoute } from './types';

/** One version's share of the primary route, as render's `split` gives it. */
export interface Share {
  readonly version: string;
  readonly weight: number;
}

type Destination = NonNullable<UserHttpRoute['route']>[number];

/** Names of the routes sluice renders itself (render.ts); every other route of its VirtualService is a user route. */
const MANAGED = new Set(['primary', 'preview', 'ab-test', 'sticky', 'sticky-expire']);

/** `weight` divided as the primary route divides 100: the candidate's part rounded, the stable version gets the rest. */
const divide = (weight: number, split: readonly Share[]): number[] => {
  if (split.length === 1) return [weight];
  const candidate = Math.round((weight * split[1]!.weight) / 100);
  return [weight - candidate, candidate];
};

/**
 * `route` as written, its destinations naming the routed Service (`own`: lower-case host forms)
 * replaced by the split to `host` (the Service's FQDN, as sluice's own routes name it).
 */
export const renderUserRoute = (route: UserHttpRoute, own: ReadonlySet<string>, host: string, split: readonly Share[]): UserHttpRoute => {
  // name and match first, as in sluice's own routes, then the rest in key order: the bytes do not depend on the user's order.
  const { name, match, ...rest } = sortKeys(route) as UserHttpRoute;
  const written: UserHttpRoute = { ...(name !== undefined ? { name } : {}), ...(match !== undefined ? { match } : {}), ...rest };
  if (written.route === undefined) return written;
  const lone = written.route.length === 1;
  const destinations = written.route.flatMap((d): Destination[] => {
    if (!own.has(d.destination.host.toLowerCase())) return [d];
    const weights = divide(d.weight ?? (lone ? 100 : 0), split);
    return split.map((s, i) => sortKeys({ ...d, destination: { ...d.destination, host, subset: subsetName(s.version) }, weight: weights[i] }) as Destination);
  });
  return { ...written, route: destinations };
};

/**
 * A rendered user route back to what the user wrote, as far as rendering needs it: the split
 * destinations to `host` (the routed Service's FQDN) merged into one without a subset, weighing
 * what they weighed together.
 */
const unsplit = (route: UserHttpRoute, host: string): UserHttpRoute => {
  if (route.route === undefined) return route;
  const mine = route.route.filter((d) => d.destination.host === host && d.destination.subset !== undefined);
  if (mine.length === 0) return route;
  const { subset: _subset, ...destination } = mine[0]!.destination;
  const merged: Destination = { ...mine[0]!, destination, weight: mine.reduce((sum, d) => sum + (d.weight ?? 0), 0) };
  const others = route.route.filter((d) => !mine.includes(d));
  const at = route.route.indexOf(mine[0]!);
  return { ...route, route: [...others.slice(0, at), merged, ...others.slice(at)] };
};

/**
 * The user routes of a VirtualService sluice wrote (routes before its first own route, and after
 * its primary route), as renderUserRoute's input; undefined when it has none. What the daemon
 * keeps while the spec does not decode.
 */
export const liveUserRoutes = (http: readonly UserHttpRoute[] | undefined, host: string): ResolvedUserRoutes | undefined => {
  const routes = http ?? [];
  const first = routes.findIndex((r) => MANAGED.has(r.name ?? ''));
  const primary = routes.findIndex((r) => r.name === 'primary');
  if (first < 0 || primary < 0) return undefined;
  const before = routes.slice(0, first).map((r) => unsplit(r, host));
  const after = routes.slice(primary + 1).map((r) => unsplit(r, host));
  return before.length + after.length > 0 ? { before, after } : undefined;
};
