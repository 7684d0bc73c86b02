/**
 * Which Prometheus a shift may ask, and with whose credentials: the operator's allow-list.
 *
 * A TrafficShift names its Prometheus in spec.analysis.prometheus.url, and the daemon sends the
 * request. Without a list, anyone who may create a TrafficShift could make the daemon fetch any
 * in-cluster URL (SSRF) or borrow another tenant's token. So, purely:
 *   - a URL is queried only when it is the daemon's `--prometheus-url`, a named connection
 *     ($SLUICE_PROMETHEUS_CONNECTIONS), or matches an `--allow-prometheus-url` pattern;
 *   - a connection's credentials (token, basic auth, headers such as X-Scope-OrgID) are used only
 *     for shifts in the namespaces it lists (the default connection: every namespace unless
 *     $SLUICE_PROMETHEUS_NAMESPACES lists some; a named connection must list them, "*" = all);
 *   - a URL allowed only by a pattern is queried without any credentials;
 *   - custom query templates (spec.analysis.query) run only with `--allow-prometheus-queries`.
 * URLs are compared in one canonical form (lower-case scheme and host, no default port, no
 * trailing "/"), and the request goes to that same form, so what is checked is what is fetched.
 */
import * as E from 'fp-ts/Either';
import { ResolvedSpec } from '../api/spec';
import type { PrometheusConnection, PrometheusConnections } from './connections';
import type { PrometheusConfig } from './client';
import { canonicalUrl, checkUrlPattern as checkPattern, matchesPattern, quoted } from '../net/urlPolicy';

/** The operator's Prometheus settings, as the daemon was started with them. */
export interface PrometheusAccess {
  /** The default connection (--prometheus-url) and the named ones. Default none. */
  readonly connections: PrometheusConnections;
  /** Canonical URL patterns any namespace may name, queried without credentials; `*` matches any run of characters but "/". Default none. */
  readonly allowUrls: readonly string[];
  /** Whether spec.analysis.query templates may run. Default false. */
  readonly allowQueries: boolean;
}

/** Where one shift's queries go: a connection (with its credentials) or an allowed URL (without). */
export interface Route {
  /** Identity of the client: "default", "SLUICE_PROMETHEUS_CONNECTIONS[2]" or "allowed <url>". */
  readonly id: string;
  /** What the client is built from; for an allowed URL only `url` (canonical) and the default timeout. */
  readonly config: PrometheusConfig;
}

export const FLAG_ALLOW_URL = '--allow-prometheus-url';
export const FLAG_ALLOW_QUERIES = '--allow-prometheus-queries';
const CONNECTIONS_ENV = 'SLUICE_PROMETHEUS_CONNECTIONS';
const NAMESPACES_ENV = 'SLUICE_PROMETHEUS_NAMESPACES';

/** The URL rules are shared with hooks and notifications (src/net/urlPolicy.ts); re-exported for the Prometheus side. */
export { canonicalUrl, matchesPattern, quoted };

/** An --allow-prometheus-url pattern as the matcher keeps it; Left: a sentence naming the flag and the value. */
export const checkUrlPattern = (pattern: string): E.Either<string, string> => checkPattern(pattern, FLAG_ALLOW_URL);

/** Whether a connection serves `namespace`: listed explicitly ("exact"), through "*" or as the unlisted default ("any"), or not at all. */
const serves = (c: PrometheusConnection, isDefault: boolean, namespace: string): 'exact' | 'any' | 'no' => {
  if (c.namespaces === undefined) return isDefault ? 'any' : 'no';
  if (c.namespaces.includes(namespace)) return 'exact';
  return c.namespaces.includes('*') ? 'any' : 'no';
};

const sameUrl = (configured: string, canonical: string): boolean => {
  const c = canonicalUrl(configured, 'strip');
  return E.isRight(c) && c.right === canonical;
};

/**
 * The route for a shift of `namespace` asking `url` (its spec's, or the default connection's);
 * `field` names where the URL came from, for the sentence. Left: why nothing may be sent there.
 */
export const routeFor = (access: PrometheusAccess, namespace: string, url: string, field: string): E.Either<string, Route> => {
  const canonical = canonicalUrl(url, field === 'spec.analysis.prometheus.url' ? 'refuse' : 'strip');
  if (E.isLeft(canonical)) return E.left(`${field}: ${quoted(url)} ${canonical.left}`);
  const { default: def, others = [] } = access.connections;
  const candidates = [
    ...others.map((c, i) => ({ id: `${CONNECTIONS_ENV}[${i}]`, c, fit: serves(c, false, namespace) })),
    ...(def ? [{ id: 'default', c: def, fit: serves(def, true, namespace) }] : []),
  ].filter((x) => sameUrl(x.c.url, canonical.right));
  const chosen = candidates.find((x) => x.fit === 'exact') ?? candidates.find((x) => x.fit === 'any');
  if (chosen) return E.right({ id: chosen.id, config: chosen.c });
  if (access.allowUrls.some((p) => matchesPattern(p, canonical.right)))
    return E.right({ id: `allowed ${canonical.right}`, config: { url: canonical.right, ...(def?.timeoutMs ? { timeoutMs: def.timeoutMs } : {}) } });
  const allow = `allow it without credentials with ${FLAG_ALLOW_URL}=${canonical.right.length <= 200 ? canonical.right : '<pattern>'}`;
  if (candidates.length > 0) {
    const where = candidates.some((x) => x.id === 'default') ? `$${NAMESPACES_ENV}` : `its entry in $${CONNECTIONS_ENV}`;
    return E.left(`${field}: ${quoted(canonical.right)} is a connection of other namespaces, not of ${quoted(namespace, 63)}; list the namespace in ${where}, or ${allow}`);
  }
  return E.left(`${field}: ${quoted(canonical.right)} is not an allowed Prometheus (not --prometheus-url, not in $${CONNECTIONS_ENV}, no ${FLAG_ALLOW_URL} pattern matches); ${allow}`);
};

export const NO_URL = "no Prometheus is configured: set spec.analysis.prometheus.url or the daemon's --prometheus-url";

/** Why a shift's templates may not run, or undefined when they may (or it has none). */
export const queryRefusal = (access: Pick<PrometheusAccess, 'allowQueries'>, analysis: ResolvedSpec['analysis']): string | undefined =>
  analysis.query === undefined || access.allowQueries
    ? undefined
    : `spec.analysis.query: custom query templates are off on this daemon (they would run with its Prometheus credentials); allow them with ${FLAG_ALLOW_QUERIES}`;

/** Contract D's admission function; with `name` each sentence starts `<namespace>/<name>: ` (as hostsPolicy's). */
export type PrometheusPolicy = (namespace: string, spec: ResolvedSpec, name?: string) => readonly string[];

/**
 * Admission by the operator's Prometheus policy (contract D): the sentences saying why a spec of
 * `namespace` may not be measured as written; empty = allowed. A shift naming no URL while the
 * daemon has no --prometheus-url is not refused here (it is Unavailable until one is set).
 */
export const admitPrometheus =
  (access: PrometheusAccess): PrometheusPolicy =>
  (namespace, spec, name) => {
    const url = spec.analysis.prometheusUrl ?? access.connections.default?.url;
    const field = spec.analysis.prometheusUrl !== undefined ? 'spec.analysis.prometheus.url' : '--prometheus-url';
    const route = url === undefined ? E.right(undefined) : routeFor(access, namespace, url, field);
    const query = queryRefusal(access, spec.analysis);
    const prefix = name === undefined ? '' : `${namespace}/${name}: `;
    return [...(E.isLeft(route) ? [route.left] : []), ...(query !== undefined ? [query] : [])].map((s) => `${prefix}${s}`);
  };

/** The daemon settings the policy reads (DaemonConfig has them; see src/daemon/config.ts). */
export interface PrometheusPolicyConfig {
  /** The Prometheus connections from the environment, the default one included. Default none. */
  readonly prometheusConnections?: PrometheusConnections;
  /** --allow-prometheus-url patterns, checked. Default none. */
  readonly allowPrometheusUrls?: readonly string[];
  /** --allow-prometheus-queries. Default false. */
  readonly allowPrometheusQueries?: boolean;
}

/** The access settings of a daemon configuration. */
export const prometheusAccess = (config: PrometheusPolicyConfig): PrometheusAccess => ({
  connections: config.prometheusConnections ?? {},
  allowUrls: config.allowPrometheusUrls ?? [],
  allowQueries: config.allowPrometheusQueries ?? false,
});

/** Contract D: `prometheusPolicy(config)(namespace, spec, name?)` -> refusal sentences (empty = allowed). */
export const prometheusPolicy = (config: PrometheusPolicyConfig): PrometheusPolicy =>
  admitPrometheus(prometheusAccess(config));
