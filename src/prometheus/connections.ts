/**
 * Connection settings per Prometheus, and the pool the gate sampler gets its clients from.
 *
 * A TrafficShift may name its own Prometheus (spec.analysis.prometheus.url). Which URLs may be
 * asked, and for which namespaces a connection's credentials are used, is decided in access.ts:
 * the daemon's token never goes to a URL a user wrote into a spec, and one tenant's token or
 * X-Scope-OrgID never serves another tenant's shift.
 */
import * as E from 'fp-ts/Either';
import { parseDuration } from '../api/duration';
import { Fetch, PrometheusConfig, Prometheus, prometheusClient } from './client';
import { NO_URL, PrometheusAccess, Route, queryRefusal, routeFor } from './access';
import { ResolvedSpec } from '../api/spec';

/** A Prometheus the operator configured, and the namespaces whose shifts may use it. */
export interface PrometheusConnection extends PrometheusConfig {
  /**
   * Namespaces whose shifts use this connection and its credentials; "*" = every namespace.
   * Default: every namespace for the default connection; a named connection must list them.
   */
  readonly namespaces?: readonly string[];
}

export interface PrometheusConnections {
  /** The daemon's `--prometheus-url` with its settings; used by shifts that name no URL. Default none. */
  readonly default?: PrometheusConnection;
  /** Further connections, matched by canonical URL and namespace (access.ts). Default none. */
  readonly others?: readonly PrometheusConnection[];
}

/** What the gate sampler asks its pool: where a shift may send queries, and a client for it. */
export interface PrometheusPool {
  /** The route for a shift of `namespace` asking `url`; `field` names where the URL came from. Left: why not (a sentence). */
  readonly route: (namespace: string, url: string, field: string) => E.Either<string, Route>;
  /** Why a shift's own query templates may not run; undefined when they may. */
  readonly queryRefusal: (analysis: ResolvedSpec['analysis']) => string | undefined;
  /** A new client for a route; the sampler keeps one per group and drops it with the group. */
  readonly client: (route: Route) => Prometheus;
}

/** The daemon passes its config as is: `{ allowUrls: config.allowPrometheusUrls, allowQueries: config.allowPrometheusQueries }`. */
export interface PoolOptions {
  /** --allow-prometheus-url patterns (checked with checkUrlPattern). Default none. */
  readonly allowUrls?: readonly string[] | undefined;
  /** --allow-prometheus-queries. Default false. */
  readonly allowQueries?: boolean | undefined;
  /** Default Node's global fetch. */
  readonly fetchFn?: Fetch;
}

/**
 * The pool over the operator's connections and allow-list. It holds no clients itself: a client
 * lives as long as the sampler's group that uses it (so clients of URLs no shift names are gone).
 */
export const prometheusPool = (connections: PrometheusConnections, options: PoolOptions = {}): PrometheusPool => {
  const access: PrometheusAccess = { connections, allowUrls: options.allowUrls ?? [], allowQueries: options.allowQueries ?? false };
  return {
    route: (namespace, url, field) => (url === '' ? E.left(NO_URL) : routeFor(access, namespace, url, field)),
    queryRefusal: (analysis) => queryRefusal(access, analysis),
    client: (route) => prometheusClient(route.config, options.fetchFn),
  };
};

const ENV = {
  url: 'SLUICE_PROMETHEUS_URL',
  timeout: 'SLUICE_PROMETHEUS_TIMEOUT',
  token: 'SLUICE_PROMETHEUS_BEARER_TOKEN',
  username: 'SLUICE_PROMETHEUS_USERNAME',
  password: 'SLUICE_PROMETHEUS_PASSWORD',
  headers: 'SLUICE_PROMETHEUS_HEADERS',
  others: 'SLUICE_PROMETHEUS_CONNECTIONS',
  namespaces: 'SLUICE_PROMETHEUS_NAMESPACES',
} as const;

const isHttpUrl = (u: unknown): u is string => typeof u === 'string' && URL.canParse(u) && /^https?:$/.test(new URL(u).protocol);

const isStringMap = (u: unknown): u is Record<string, string> =>
  typeof u === 'object' && u !== null && !Array.isArray(u) && Object.values(u).every((v) => typeof v === 'string');

const parseJson = (name: string, text: string): E.Either<string, unknown> => {
  try {
    return E.right(JSON.parse(text));
  } catch {
    return E.left(`${name}: ${JSON.stringify(text.slice(0, 40))} is not JSON`);
  }
};

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A namespace list: namespace names or "*"; Left: a sentence naming `where`. */
const checkNamespaces = (where: string, u: unknown): E.Either<string, readonly string[]> => {
  if (!Array.isArray(u) || u.length === 0) return E.left(`${where}: expected a non-empty list of namespaces (["*"] for every namespace)`);
  const bad = u.find((n) => n !== '*' && !(typeof n === 'string' && n.length <= 63 && NAMESPACE.test(n)));
  return bad === undefined ? E.right(u as string[]) : E.left(`${where}: ${JSON.stringify(bad)} is not a namespace name or "*"`);
};

const checkOther = (u: unknown, i: number): E.Either<string, PrometheusConnection> => {
  const c = u as Partial<Record<keyof PrometheusConnection, unknown>> | null;
  const where = `${ENV.others}[${i}]`;
  if (typeof c !== 'object' || c === null || !isHttpUrl(c.url))
    return E.left(`${where}: expected an object with a "url" (e.g. {"url":"http://thanos:9090","bearerToken":"…"})`);
  if (c.timeoutMs !== undefined && !(Number.isInteger(c.timeoutMs) && (c.timeoutMs as number) > 0)) return E.left(`${where}.timeoutMs: is not a positive integer`);
  if (c.bearerToken !== undefined && typeof c.bearerToken !== 'string') return E.left(`${where}.bearerToken: is not a string`);
  if (c.headers !== undefined && !isStringMap(c.headers)) return E.left(`${where}.headers: is not a map of strings to strings`);
  const b = c.basicAuth as { username?: unknown; password?: unknown } | undefined;
  if (b !== undefined && (typeof b?.username !== 'string' || typeof b?.password !== 'string'))
    return E.left(`${where}.basicAuth: expected {"username": "…", "password": "…"}`);
  if (c.namespaces === undefined)
    return E.left(`${where}.namespaces: missing; list the namespaces whose shifts may use this connection and its credentials (["*"] for every namespace)`);
  const namespaces = checkNamespaces(`${where}.namespaces`, c.namespaces);
  if (E.isLeft(namespaces)) return namespaces;
  return E.right(c as PrometheusConnection);
};

/**
 * Connections from the environment:
 *   SLUICE_PROMETHEUS_URL, _TIMEOUT ("10s"), _BEARER_TOKEN, _USERNAME + _PASSWORD,
 *   _HEADERS (JSON object), _NAMESPACES (comma-separated: the namespaces the default connection
 *   serves; default all), _CONNECTIONS (JSON list of PrometheusConnection, each with "namespaces").
 */
export const connectionsFromEnv = (env: Readonly<Record<string, string | undefined>>): E.Either<string, PrometheusConnections> => {
  const url = env[ENV.url];
  if (url !== undefined && url !== '' && !isHttpUrl(url)) return E.left(`${ENV.url}: ${JSON.stringify(url)} is not an http(s) URL`);
  const timeoutText = env[ENV.timeout];
  const timeoutMs = timeoutText ? parseDuration(timeoutText) : undefined;
  if (timeoutText && !timeoutMs) return E.left(`${ENV.timeout}: ${JSON.stringify(timeoutText)} is not a duration (expected e.g. "10s")`);
  let headers: Record<string, string> | undefined;
  if (env[ENV.headers]) {
    const parsed = parseJson(ENV.headers, env[ENV.headers]!);
    if (E.isLeft(parsed)) return parsed;
    if (!isStringMap(parsed.right)) return E.left(`${ENV.headers}: is not a JSON object of strings (expected e.g. {"X-Scope-OrgID":"team-a"})`);
    headers = parsed.right;
  }
  const username = env[ENV.username];
  const password = env[ENV.password];
  if ((username === undefined) !== (password === undefined)) return E.left(`${ENV.username} and ${ENV.password} must be set together`);
  const namespaceText = env[ENV.namespaces];
  const listed = namespaceText ? namespaceText.split(',').map((n) => n.trim()).filter((n) => n !== '') : undefined;
  const namespaces = listed === undefined ? undefined : checkNamespaces(ENV.namespaces, listed);
  if (namespaces && E.isLeft(namespaces)) return namespaces;
  const others: PrometheusConnection[] = [];
  if (env[ENV.others]) {
    const parsed = parseJson(ENV.others, env[ENV.others]!);
    if (E.isLeft(parsed)) return parsed;
    if (!Array.isArray(parsed.right)) return E.left(`${ENV.others}: is not a JSON list`);
    for (const [i, item] of parsed.right.entries()) {
      const checked = checkOther(item, i);
      if (E.isLeft(checked)) return checked;
      others.push(checked.right);
    }
  }
  const base: PrometheusConnection | undefined = url
    ? {
        url,
        ...(timeoutMs ? { timeoutMs } : {}),
        ...(env[ENV.token] ? { bearerToken: env[ENV.token]! } : {}),
        ...(username !== undefined ? { basicAuth: { username, password: password! } } : {}),
        ...(headers ? { headers } : {}),
        ...(namespaces ? { namespaces: namespaces.right } : {}),
      }
    : undefined;
  return E.right({ ...(base ? { default: base } : {}), ...(others.length ? { others } : {}) });
};
