/**
 * Istio HTTP match semantics: within one HttpMatch all conditions must hold; a route matches when
 * any of its HttpMatch entries holds, or when it has none. Regexes are full matches (RE2 in Envoy).
 */
import type { HttpMatch, HttpRoute, Request, StringMatch } from './model';

const fullMatch = (pattern: string, value: string): boolean => {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return false; // Istio rejects an invalid regex; a route that cannot be compiled matches nothing
  }
};

/** Whether `value` satisfies a StringMatch; a missing value never does. */
export const matchesString = (m: StringMatch, value: string | undefined): boolean => {
  if (value === undefined) return false;
  if (m.exact !== undefined) return value === m.exact;
  if (m.prefix !== undefined) return value.startsWith(m.prefix);
  if (m.regex !== undefined) return fullMatch(m.regex, value);
  return true; // an empty StringMatch only asks for presence
};

/** Whether every condition of one HttpMatch holds for the request. Header names are case-insensitive. */
export const matchesOne = (m: HttpMatch, req: Request): boolean => {
  if (m.uri !== undefined && !matchesString(m.uri, req.uri)) return false;
  return Object.entries(m.headers ?? {}).every(([name, sm]) => matchesString(sm, req.headers[name.toLowerCase()]));
};

/** Whether an http route applies to the request. */
export const routeMatches = (route: HttpRoute, req: Request): boolean =>
  route.match === undefined || route.match.length === 0 || route.match.some((m) => matchesOne(m, req));
