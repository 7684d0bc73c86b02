/**
 * Combining the blue-green preview match with spec.route.match. Istio ORs the entries of
 * `match` and ANDs the conditions inside one entry, so "preview AND (m1 OR m2)" is
 * "(preview AND m1) OR (preview AND m2)": one merged entry per route match.
 *
 * Merging two entries: maps (headers, queryParams, withoutHeaders, sourceLabels) are joined;
 * scalar conditions (uri, method, port, ...) are kept when only one side sets them or both
 * agree. When both set the same condition differently no single entry expresses the AND, so
 * that combination is left out — never widened, which would send requests outside the
 * route's match to the candidate. `name` is taken from the preview match, else the route match.
 */
import { sameJson } from './canonical';

type Match = Record<string, unknown>;

const MAP_FIELDS = new Set(['headers', 'queryParams', 'withoutHeaders', 'sourceLabels']);

const mergeMaps = (a: unknown, b: unknown): Record<string, unknown> | undefined => {
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [key, value] of Object.entries(b as Record<string, unknown>)) {
    if (key in out && !sameJson(out[key], value)) return undefined;
    out[key] = value;
  }
  return out;
};

/** The AND of two match entries, or undefined when one entry cannot express it. */
export const mergeMatch = (preview: Match, route: Match): Match | undefined => {
  const out: Match = { ...route };
  for (const [key, value] of Object.entries(preview)) {
    if (value === undefined) continue;
    if (key === 'name' || !(key in route) || route[key] === undefined) {
      out[key] = value;
    } else if (MAP_FIELDS.has(key)) {
      const merged = mergeMaps(route[key], value);
      if (merged === undefined) return undefined;
      out[key] = merged;
    } else if (!sameJson(route[key], value)) {
      return undefined;
    }
  }
  return out;
};

/**
 * The match list of the preview route: `[preview]` without route matches, else one merged entry
 * per route match. Undefined when no combination is expressible (the preview route is left out).
 */
export const previewMatches = (preview: Match, routeMatches: readonly Match[] | undefined): Match[] | undefined => {
  if (routeMatches === undefined || routeMatches.length === 0) return [preview];
  const merged = routeMatches.map((m) => mergeMatch(preview, m)).filter((m): m is Match => m !== undefined);
  return merged.length > 0 ? merged : undefined;
};
