/**
 * What spec.routes (user routes) must satisfy beyond their shapes, as field errors (called by
 * checkSpec, so a refusal is an invalid spec everywhere: `sluice plan`, the Ready condition and an
 * Event, no route written):
 *   - exactly one of route, redirect, directResponse, and no rewrite beside a redirect (Istio's own
 *     validation refuses both);
 *   - weights: a lone destination 100 or none, several ones integers summing to 100;
 *   - no subset: sluice owns the routed Service's subsets and removes them as versions leave, and it
 *     cannot keep another Service's alive; a destination naming the routed Service gets sluice's
 *     split instead (docs/adr/0011);
 *   - names: not sluice's own (primary, preview, ab-test: the audit and the dashboard read them),
 *     one name per route;
 *   - a `before` route must leave requests to each of sluice's routes: no match, or a match entry
 *     that catches every request one of them would get, shadows it entirely;
 *   - an `after` route is reached only when spec.route.match narrows sluice's primary route;
 *   - not with spec.routing: gatewayAPI (an HTTPRoute carries none of these fields), nor with
 *     spec.protocol: tcp (they are HTTP routes).
 * Shadowing is judged one user route against one of sluice's routes at a time; several `before`
 * routes that only together cover a managed route are not detected (docs/adr/0011).
 */
import { mergeMatch } from '../istio/match';
import { FieldError, fieldError } from './fieldError';
import { HttpMatch, Rewrite, TrafficShiftSpec, UserRoute, UserRoutes } from './spec';

type Match = Record<string, unknown>;

/** Names sluice gives its own routes (src/istio/render.ts). */
export const MANAGED_ROUTE_NAMES = ['primary', 'preview', 'ab-test', 'sticky', 'sticky-expire'] as const;

const MAP_FIELDS = ['headers', 'queryParams', 'withoutHeaders', 'sourceLabels'] as const;
/** Conditions that hold for every request: a path always starts with "/", every request has a method. */
const TRIVIAL: Readonly<Record<string, readonly unknown[]>> = {
  uri: [{ prefix: '' }, { prefix: '/' }, { regex: '.*' }, { regex: '/.*' }, { regex: '.+' }],
  method: [{ regex: '.*' }, { regex: '.+' }],
  authority: [{ regex: '.*' }, { regex: '.+' }],
};

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** True when every request matching `managed` also matches `user`, judged condition by condition (false when unsure). */
export const covers = (user: Match, managed: Match): boolean =>
  Object.entries(user).every(([key, value]) => {
    if (value === undefined || key === 'name' || key === 'ignoreUriCase') return true;
    if ((TRIVIAL[key] ?? []).some((t) => same(t, value))) return true;
    const theirs = managed[key];
    if (theirs === undefined) return false;
    if ((MAP_FIELDS as readonly string[]).includes(key))
      return Object.entries(value as Match).every(([k, v]) => same((theirs as Match)[k], v));
    // A case-sensitive uri does not cover one matched ignoring case.
    if (key === 'uri' && managed.ignoreUriCase === true && user.ignoreUriCase !== true) return false;
    const prefix = key === 'uri' ? (value as { prefix?: string }).prefix : undefined;
    if (prefix !== undefined) {
      const t = theirs as { exact?: string; prefix?: string };
      return (t.prefix ?? t.exact)?.startsWith(prefix) === true;
    }
    return same(value, theirs);
  });

/** The requests the candidate's own route takes (blue-green preview, A/B test), as candidateMatches reads them from the resolved spec. */
const audienceOf = (s: TrafficShiftSpec['strategy']): readonly HttpMatch[] =>
  s.kind === 'abTest' ? s.value.match : s.kind === 'blueGreen' && s.value.previewMatch !== undefined ? [s.value.previewMatch] : [];

const istio = (m: HttpMatch): Match => JSON.parse(JSON.stringify(HttpMatch.encode(m))) as Match;

/** sluice's routes as `decide` may render them, each with its match entries (an empty entry: every request). */
const managedRoutes = (spec: TrafficShiftSpec): { name: string; entries: Match[] }[] => {
  const routeMatch = spec.route?.match?.map(istio);
  const primary = routeMatch !== undefined && routeMatch.length > 0 ? routeMatch : [{}];
  const audienceEntries = audienceOf(spec.strategy).flatMap((m) => primary.map((p) => mergeMatch(istio(m), p)).filter((x): x is Match => x !== undefined));
  return [
    ...(audienceEntries.length > 0 ? [{ name: spec.strategy.kind === 'abTest' ? 'ab-test' : 'preview', entries: audienceEntries }] : []),
    { name: 'primary', entries: primary },
  ];
};

const ROUTE_KINDS = ['route', 'redirect', 'directResponse'] as const;

/** Errors of one user route at `path` that do not depend on its neighbours. */
const routeShapeErrors = (r: UserRoute, path: string): FieldError[] => {
  const errors: FieldError[] = [];
  const kinds = ROUTE_KINDS.filter((k) => r[k] !== undefined);
  if (kinds.length !== 1)
    errors.push(fieldError(path, UserRoute.encode(r), `has ${kinds.length === 0 ? 'none' : kinds.join(' and ')}; expected exactly one of route, redirect, directResponse`));
  if (r.rewrite !== undefined && r.redirect !== undefined)
    errors.push(fieldError(`${path}.rewrite`, Rewrite.encode(r.rewrite), 'cannot be used with redirect (Istio refuses both on one route); expected one of them'));
  if (r.name !== undefined && (MANAGED_ROUTE_NAMES as readonly string[]).includes(r.name))
    errors.push(fieldError(`${path}.name`, r.name, `is a name sluice gives its own routes (${MANAGED_ROUTE_NAMES.join(', ')}); expected another name`));
  const dests = r.route ?? [];
  if (r.route !== undefined && dests.length === 0) errors.push(fieldError(`${path}.route`, dests, 'is empty; expected at least one destination'));
  // Reported at the list, where the CRD's rule on it points too.
  const weights = dests.map((d) => d.weight ?? null);
  if (dests.length === 1 && dests[0]!.weight !== undefined && dests[0]!.weight !== 100)
    errors.push(fieldError(`${path}.route`, weights, `has one destination weighing ${dests[0]!.weight}; expected 100 or no weight`));
  if (dests.length > 1) {
    const sum = dests.reduce((s, d) => s + (d.weight ?? 0), 0);
    if (dests.some((d) => d.weight === undefined))
      errors.push(fieldError(`${path}.route`, weights, 'has a destination without a weight beside others; expected integer weights summing to 100'));
    else if (sum !== 100) errors.push(fieldError(`${path}.route`, weights, `has weights summing to ${sum}; expected 100`));
  }
  dests.forEach((d, j) => {
    if (d.destination.subset !== undefined)
      errors.push(fieldError(`${path}.route[${j}].destination.subset`, d.destination.subset,
        'is refused: sluice owns the subsets of the Service it routes and removes them as versions leave, and cannot keep another Service\'s subsets alive; ' +
        'expected no subset (a destination naming the routed Service gets the split of sluice\'s primary route)'));
  });
  return errors;
};

/** Every problem of spec.routes, as field errors (empty when sluice can keep them as written). */
export const checkUserRoutes = (spec: TrafficShiftSpec): FieldError[] => {
  const before = spec.routes?.before ?? [];
  const after = spec.routes?.after ?? [];
  if (before.length + after.length === 0) return [];
  if (spec.protocol === 'tcp')
    return [fieldError('spec.routes', UserRoutes.encode(spec.routes!), 'is not supported with spec.protocol: tcp (user routes are HTTP routes); expected no spec.routes, or protocol http')];
  if (spec.routing === 'gatewayAPI')
    return [fieldError('spec.routes', UserRoutes.encode(spec.routes!), 'is not supported with spec.routing: gatewayAPI (sluice writes user routes into its VirtualService only); expected no spec.routes, or routing virtualService')];
  const errors: FieldError[] = [];
  const named = new Map<string, string>();
  const all = [...before.map((r, i) => [r, `spec.routes.before[${i}]`] as const), ...after.map((r, i) => [r, `spec.routes.after[${i}]`] as const)];
  for (const [r, path] of all) {
    errors.push(...routeShapeErrors(r, path));
    if (r.name === undefined) continue;
    const first = named.get(r.name);
    if (first !== undefined) errors.push(fieldError(`${path}.name`, r.name, `is also the name of ${first}; expected one name per route`));
    else named.set(r.name, path);
  }
  const managed = managedRoutes(spec);
  before.forEach((r, i) => {
    const path = `spec.routes.before[${i}]`;
    if (r.match === undefined || r.match.length === 0) {
      errors.push(fieldError(`${path}.match`, r.match, `matches every request, so sluice's route "${managed[0]!.name}" would get none; expected a match that leaves requests to sluice's routes`));
      return;
    }
    for (const m of managed) {
      const j = r.match.findIndex((entry) => m.entries.every((e) => covers(istio(entry), e)));
      if (j < 0) continue;
      errors.push(fieldError(`${path}.match[${j}]`, istio(r.match[j]!),
        `catches every request sluice's route "${m.name}" would get, which would then get none; expected conditions that leave some of them to it${m.name === 'primary' && spec.route?.match === undefined ? ' (sluice\'s primary route takes every request: a prefix "/" is all of them)' : ''}`));
      return;
    }
  });
  if (after.length > 0 && (spec.route?.match === undefined || spec.route.match.length === 0))
    errors.push(fieldError('spec.routes.after', after.map((r) => r.name ?? '(unnamed)'),
      'is never reached: sluice\'s primary route matches every request (spec.route.match is not set); expected spec.route.match narrowing sluice\'s routes, or these routes in spec.routes.before'));
  return errors;
};
