/**
 * Istio HTTP match semantics as istiod hands them to Envoy (istio/istio
 * pilot/pkg/networking/core/route/route.go: TranslateRouteMatch, translateHeaderMatch,
 * translateQueryParamMatch, sourceMatchHTTP): within one HttpMatch all conditions must hold; a
 * route matches when any of its HttpMatch entries holds, or when it has none. Regexes are full
 * matches (RE2 in Envoy). An empty StringMatch, or the regex "*", only asks for presence.
 */
import type { HttpMatch, HttpRoute, Request, StringMatch } from './model';

const fullMatch = (pattern: string, value: string): boolean => {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return false; // Istio rejects an invalid regex; a route that cannot be compiled matches nothing
  }
};

/** Istio's canBeConvertedToPresentMatch: no match type, or the regex "*", becomes Envoy's present_match. */
const isPresenceOnly = (m: StringMatch): boolean => (m.exact === undefined && m.prefix === undefined && m.regex === undefined) || m.regex === '*';

/** Whether `value` satisfies a StringMatch; a missing value never does. */
export const matchesString = (m: StringMatch, value: string | undefined): boolean => {
  if (value === undefined) return false;
  if (isPresenceOnly(m)) return true;
  if (m.exact !== undefined) return value === m.exact;
  if (m.prefix !== undefined) return value.startsWith(m.prefix);
  return fullMatch(m.regex ?? '', value);
};

/**
 * withoutHeaders: Envoy's `invert_match`. A presence-only condition holds when the header is
 * absent; any other holds when the value (a missing header read as "", Istio sets
 * `treat_missing_header_as_empty`) does not match.
 */
const matchesAbsent = (m: StringMatch, value: string | undefined): boolean =>
  isPresenceOnly(m) ? value === undefined : !matchesString(m, value ?? '');

/** The path without query and fragment: what Envoy's path matchers look at. */
export const pathOf = (uri: string): string => uri.split(/[?#]/, 1)[0];

/** Query parameters of the `:path`, first value of each name (a name without `=` has the value ""). */
export const queryOf = (uri: string): ReadonlyMap<string, string> => {
  const q = uri.indexOf('?');
  const out = new Map<string, string>();
  if (q < 0) return out;
  for (const part of uri.slice(q + 1).split('#', 1)[0].split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const [name, value] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    if (!out.has(name)) out.set(name, value);
  }
  return out;
};

/** The uri condition: exact / prefix honour ignoreUriCase (Envoy `case_sensitive`), a regex ignores it. */
const matchesUri = (m: StringMatch, path: string, ignoreCase: boolean): boolean => {
  if (!ignoreCase || m.regex !== undefined) return matchesString(m, path);
  const lower = (s: string | undefined) => s?.toLowerCase();
  return matchesString({ exact: lower(m.exact), prefix: lower(m.prefix), regex: m.regex }, path.toLowerCase());
};

const hasLabels = (wanted: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean =>
  Object.entries(wanted).every(([k, v]) => labels[k] === v);

/** Whether every condition of one HttpMatch holds for the request. Header names are case-insensitive. */
export const matchesOne = (m: HttpMatch, req: Request): boolean => {
  if (m.sourceLabels !== undefined && !hasLabels(m.sourceLabels, req.source?.labels ?? {})) return false;
  if (m.sourceNamespace !== undefined && m.sourceNamespace !== req.source?.namespace) return false;
  if (m.uri !== undefined && !matchesUri(m.uri, pathOf(req.uri), m.ignoreUriCase === true)) return false;
  if (m.method !== undefined && !matchesString(m.method, req.method ?? 'GET')) return false;
  if (m.authority !== undefined && !matchesString(m.authority, req.authority)) return false;
  const header = (name: string) => req.headers[name.toLowerCase()];
  if (!Object.entries(m.headers ?? {}).every(([name, sm]) => matchesString(sm, header(name)))) return false;
  if (!Object.entries(m.withoutHeaders ?? {}).every(([name, sm]) => matchesAbsent(sm, header(name)))) return false;
  const query = m.queryParams === undefined ? undefined : queryOf(req.uri);
  return Object.entries(m.queryParams ?? {}).every(([name, sm]) => matchesString(sm, query?.get(name)));
};

/** Whether an http route applies to the request. */
export const routeMatches = (route: HttpRoute, req: Request): boolean =>
  route.match === undefined || route.match.length === 0 || route.match.some((m) => matchesOne(m, req));
