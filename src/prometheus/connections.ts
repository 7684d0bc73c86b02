/**
 * Connection settings per Prometheus URL, and one cached client per URL.
 *
 * A TrafficShift may name its own Prometheus (spec.analysis.prometheus.url). Credentials are sent
 * only to the URL they are configured for: the daemon's default token never goes to a URL a
 * user wrote into a spec, or anyone allowed to create a TrafficShift could collect it.
 */
import * as E from 'fp-ts/Either';
import { parseDuration } from '../api/duration';
import { Fetch, PrometheusConfig, Prometheus, prometheusClient } from './client';

export interface PrometheusConnections {
  /** The daemon's `--prometheus-url` with its settings; used by shifts that name no URL. Default none. */
  readonly default?: PrometheusConfig;
  /** Settings for further URLs named in specs, matched exactly (a trailing "/" ignored). Default none. */
  readonly others?: readonly PrometheusConfig[];
}

const same = (a: string, b: string): boolean => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/** The settings for `url`: its own entry, or only the URL (no credentials, default timeout). */
export const configFor = (connections: PrometheusConnections, url: string): PrometheusConfig => {
  const candidates = [...(connections.default ? [connections.default] : []), ...(connections.others ?? [])];
  return candidates.find((c) => same(c.url, url)) ?? { url };
};

/** One client per URL, created on first use. */
export const prometheusPool = (connections: PrometheusConnections, fetchFn?: Fetch): ((url: string) => Prometheus) => {
  const clients = new Map<string, Prometheus>();
  return (url) => {
    const known = clients.get(url);
    if (known) return known;
    const client = prometheusClient(configFor(connections, url), fetchFn);
    clients.set(url, client);
    return client;
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
} as const;

/** The environment variables read by `connectionsFromEnv`, for `--help` texts. */
export const PROMETHEUS_ENV = ENV;

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

const checkOther = (u: unknown, i: number): E.Either<string, PrometheusConfig> => {
  const c = u as Partial<Record<keyof PrometheusConfig, unknown>> | null;
  const where = `${ENV.others}[${i}]`;
  if (typeof c !== 'object' || c === null || !isHttpUrl(c.url))
    return E.left(`${where}: expected an object with a "url" (e.g. {"url":"http://thanos:9090","bearerToken":"…"})`);
  if (c.timeoutMs !== undefined && !(Number.isInteger(c.timeoutMs) && (c.timeoutMs as number) > 0)) return E.left(`${where}.timeoutMs: is not a positive integer`);
  if (c.bearerToken !== undefined && typeof c.bearerToken !== 'string') return E.left(`${where}.bearerToken: is not a string`);
  if (c.headers !== undefined && !isStringMap(c.headers)) return E.left(`${where}.headers: is not a map of strings to strings`);
  const b = c.basicAuth as { username?: unknown; password?: unknown } | undefined;
  if (b !== undefined && (typeof b?.username !== 'string' || typeof b?.password !== 'string'))
    return E.left(`${where}.basicAuth: expected {"username": "…", "password": "…"}`);
  return E.right(c as PrometheusConfig);
};

/**
 * Connections from the environment:
 *   SLUICE_PROMETHEUS_URL, _TIMEOUT ("10s"), _BEARER_TOKEN, _USERNAME + _PASSWORD,
 *   _HEADERS (JSON object), _CONNECTIONS (JSON list of PrometheusConfig for other URLs).
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
  const others: PrometheusConfig[] = [];
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
  const base: PrometheusConfig | undefined = url
    ? {
        url,
        ...(timeoutMs ? { timeoutMs } : {}),
        ...(env[ENV.token] ? { bearerToken: env[ENV.token]! } : {}),
        ...(username !== undefined ? { basicAuth: { username, password: password! } } : {}),
        ...(headers ? { headers } : {}),
      }
    : undefined;
  return E.right({ ...(base ? { default: base } : {}), ...(others.length ? { others } : {}) });
};
