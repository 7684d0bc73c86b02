/**
 * From the Istio-shaped parts of a TrafficShift spec (HTTPMatchRequests, route options) to a
 * standard-channel Gateway API HTTPRoute, or the reasons it cannot be. Pure.
 *
 * What translates (Gateway API v1.6 standard channel, HTTPRoute v1):
 *   - uri exact -> path Exact; uri prefix "/" -> PathPrefix "/"; any other uri prefix -> path
 *     RegularExpression `<quoted prefix>.*` (Gateway API's PathPrefix matches whole path elements,
 *     "/foo" not matching "/foobar", unlike Istio's string prefix); uri regex -> RegularExpression;
 *   - headers and queryParams: exact -> Exact, regex -> RegularExpression, prefix ->
 *     RegularExpression `<quoted prefix>.*` (a cookie match is a header match on "cookie");
 *   - method exact (one of Gateway API's nine methods) -> method;
 *   - route.headers -> RequestHeaderModifier / ResponseHeaderModifier filters;
 *   - route.timeout -> timeouts.request.
 * Everything else has no standard-channel equivalent and is refused with the field named, never
 * dropped: match withoutHeaders, authority, ignoreUriCase, port, sourceLabels, sourceNamespace
 * and name; method prefix/regex; route.retries (retries are experimental-channel only) and
 * route.corsPolicy (not translated to Gateway API's CORS filter by this version of sluice).
 */
import { FieldError, fieldError } from '../api/fieldError';
import { HTTPRouteFilter, HTTPRouteMatch, HeaderModifier, ValueMatch } from './types';

type Json = Record<string, unknown>;

/** The refusal sentence for a field a Gateway API HTTPRoute cannot carry. */
export const NOT_EXPRESSIBLE = 'has no equivalent in a standard-channel Gateway API HTTPRoute (spec.routing: gatewayAPI); expected it left out, or spec.routing: virtualService';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);
/** Header and query parameter names Gateway API accepts (an RFC 7230 token). */
const TOKEN = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
/** Characters Gateway API allows in an Exact or PathPrefix path (its CRD's CEL rule). */
const PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$/;
const UNSUPPORTED_MATCH_FIELDS = ['withoutHeaders', 'authority', 'ignoreUriCase', 'port', 'sourceLabels', 'sourceNamespace', 'name'] as const;

/** RE2 metacharacters quoted, so a prefix is matched literally inside a regular expression. */
export const quoteRegex = (text: string): string => text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');

/** Why `value` cannot be an Exact or PathPrefix path value, or undefined (the CRD's CEL rules, as sentences). */
const pathProblem = (value: string): string | undefined => {
  if (!value.startsWith('/')) return 'does not start with "/"; Gateway API paths are absolute';
  if (!PATH_CHARS.test(value)) return 'holds characters Gateway API does not allow in a path';
  for (const bad of ['//', '/./', '/../', '%2f', '%2F', '#']) if (value.includes(bad)) return `contains "${bad}", which Gateway API does not allow in a path`;
  if (value.endsWith('/..') || value.endsWith('/.')) return 'ends with "/." or "/..", which Gateway API does not allow in a path';
  return undefined;
};

type Result<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly errors: readonly FieldError[] };
const ok = <A>(value: A): Result<A> => ({ ok: true, value });
const fail = <A>(errors: readonly FieldError[]): Result<A> => ({ ok: false, errors });

const stringKind = (m: unknown): { kind: 'exact' | 'prefix' | 'regex'; value: string } | undefined => {
  const o = (m ?? {}) as Json;
  for (const kind of ['exact', 'prefix', 'regex'] as const) if (typeof o[kind] === 'string') return { kind, value: o[kind] as string };
  return undefined;
};

const valueMatches = (map: unknown, path: string): Result<ValueMatch[]> => {
  const out: ValueMatch[] = [];
  const errors: FieldError[] = [];
  for (const [name, m] of Object.entries((map ?? {}) as Json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const where = `${path}.${name}`;
    if (!TOKEN.test(name)) {
      errors.push(fieldError(where, name, `is not a name Gateway API can match (expected letters, digits and !#$%&'*+.^_\`|~-)`));
      continue;
    }
    const s = stringKind(m);
    if (s === undefined) errors.push(fieldError(where, m, 'is not one of exact, prefix, regex'));
    else if (s.kind === 'exact') out.push({ type: 'Exact', name, value: s.value });
    else if (s.kind === 'regex') out.push({ type: 'RegularExpression', name, value: s.value });
    else out.push({ type: 'RegularExpression', name, value: `${quoteRegex(s.value)}.*` });
  }
  return errors.length > 0 ? fail(errors) : ok(out);
};

/** One Istio HTTPMatchRequest (its JSON) as a Gateway API HTTPRouteMatch; `path` names it in errors. */
export const toRouteMatch = (m: Json, path: string): Result<HTTPRouteMatch> => {
  const errors: FieldError[] = [];
  for (const field of UNSUPPORTED_MATCH_FIELDS) if (m[field] !== undefined) errors.push(fieldError(`${path}.${field}`, m[field], NOT_EXPRESSIBLE));
  let pathMatch: HTTPRouteMatch['path'];
  if (m.uri !== undefined) {
    const s = stringKind(m.uri);
    if (s === undefined) errors.push(fieldError(`${path}.uri`, m.uri, 'is not one of exact, prefix, regex'));
    else if (s.kind === 'regex') pathMatch = { type: 'RegularExpression', value: s.value };
    else if (s.kind === 'prefix' && s.value === '/') pathMatch = { type: 'PathPrefix', value: '/' };
    else {
      const problem = pathProblem(s.value);
      if (problem !== undefined) errors.push(fieldError(`${path}.uri.${s.kind}`, s.value, problem));
      else pathMatch = s.kind === 'exact' ? { type: 'Exact', value: s.value } : { type: 'RegularExpression', value: `${quoteRegex(s.value)}.*` };
    }
  }
  let method: string | undefined;
  if (m.method !== undefined) {
    const s = stringKind(m.method);
    if (s?.kind !== 'exact') errors.push(fieldError(`${path}.method`, m.method, 'is not an exact method; Gateway API matches methods exactly (spec.routing: gatewayAPI); expected {exact: ...}, or spec.routing: virtualService'));
    else if (!METHODS.has(s.value)) errors.push(fieldError(`${path}.method.exact`, s.value, `is not a method Gateway API can match (expected one of ${[...METHODS].join(', ')})`));
    else method = s.value;
  }
  const headers = valueMatches(m.headers, `${path}.headers`);
  const queryParams = valueMatches(m.queryParams, `${path}.queryParams`);
  if (!headers.ok) errors.push(...headers.errors);
  if (!queryParams.ok) errors.push(...queryParams.errors);
  if (errors.length > 0 || !headers.ok || !queryParams.ok) return fail(errors);
  return ok({
    ...(pathMatch ? { path: pathMatch } : {}),
    ...(headers.value.length > 0 ? { headers: headers.value } : {}),
    ...(queryParams.value.length > 0 ? { queryParams: queryParams.value } : {}),
    ...(method ? { method } : {}),
  });
};

/** A list of Istio matches; `path` is the list's field path. */
export const toRouteMatches = (matches: readonly Json[], path: string): Result<HTTPRouteMatch[]> => {
  const results = matches.map((m, i) => toRouteMatch(m, `${path}[${i}]`));
  const errors = results.flatMap((r) => (r.ok ? [] : r.errors));
  return errors.length > 0 ? fail(errors) : ok(results.map((r) => (r as { value: HTTPRouteMatch }).value));
};

const headerModifier = (ops: unknown): HeaderModifier | undefined => {
  const o = (ops ?? {}) as { set?: Record<string, string>; add?: Record<string, string>; remove?: string[] };
  const pairs = (m: Record<string, string> | undefined) => Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => ({ name, value }));
  const set = pairs(o.set);
  const add = pairs(o.add);
  const remove = o.remove ?? [];
  if (set.length === 0 && add.length === 0 && remove.length === 0) return undefined;
  return { ...(set.length > 0 ? { set } : {}), ...(add.length > 0 ? { add } : {}), ...(remove.length > 0 ? { remove: [...remove] } : {}) };
};

/** The filters for Istio `headers` (request and response operations). */
export const toFilters = (headers: Json | undefined): HTTPRouteFilter[] => {
  const request = headerModifier(headers?.request);
  const response = headerModifier(headers?.response);
  return [
    ...(request ? [{ type: 'RequestHeaderModifier' as const, requestHeaderModifier: request }] : []),
    ...(response ? [{ type: 'ResponseHeaderModifier' as const, responseHeaderModifier: response }] : []),
  ];
};

/** Route options Gateway API cannot carry, as field errors (spec.route.retries, spec.route.corsPolicy). */
export const routeOptionErrors = (route: { readonly retries?: unknown; readonly corsPolicy?: unknown } | undefined): FieldError[] => [
  ...(route?.retries !== undefined ? [fieldError('spec.route.retries', route.retries, `${NOT_EXPRESSIBLE} (HTTPRoute retries are experimental-channel only)`)] : []),
  ...(route?.corsPolicy !== undefined ? [fieldError('spec.route.corsPolicy', route.corsPolicy, `${NOT_EXPRESSIBLE} (sluice does not translate it to Gateway API's CORS filter)`)] : []),
];
