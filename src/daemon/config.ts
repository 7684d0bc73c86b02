/**
 * `sluice run` settings from flags and their environment equivalents (a flag wins over its
 * variable). Pure: argv and env in, a DaemonConfig or one sentence out.
 */
import * as E from 'fp-ts/Either';
import { parseDuration } from '../api/duration';
import { badValue, FlagDef, parseFlags } from '../cli/parseFlags';
import { DEFAULT_LEADER_TIMING } from './leader';
import { LOG_FORMATS, LOG_LEVELS, LogFormat, LogLevel } from './log';
import { parseAddr } from './server';
import { HostsPolicyConfig, parseHostsPolicyFlags } from '../istio/hostsPolicy';
import { PrometheusConnections } from '../prometheus/connections';
import { parsePrometheusFlags } from '../prometheus/flags';
import { DEFAULT_SCRAPE_INTERVAL_MS } from '../prometheus/sampler';
import { checkUrlPatterns } from '../net/urlPolicy';
import { FLAG_ALLOW_HOOK_URL } from '../hooks/policy';
import { NotifyDefault, parseNotifyDefault } from '../notify/config';

export interface DaemonConfig {
  /** Kubeconfig file. Default: $KUBECONFIG, then ~/.kube/config, then in-cluster. */
  readonly kubeconfig?: string;
  /** Namespaces to watch. Default (empty): all. */
  readonly namespaces: readonly string[];
  /** Prometheus for shifts that name none. Default none. */
  readonly prometheusUrl?: string;
  /** --scrape-interval: how often Prometheus scrapes the mesh; sequential gates read this often (at most their interval). Default 15 s (DEFAULT_SCRAPE_INTERVAL_MS). */
  readonly scrapeIntervalMs: number;
  /** Where /metrics, /healthz and /readyz are served. Default ":8080". */
  readonly metricsAddr: string;
  /** Act only while holding the lease. Default true. */
  readonly leaderElect: boolean;
  /** Lease name. Default "sluice-leader". */
  readonly leaseName: string;
  /** Lease namespace. Default: the pod's namespace, else "default". */
  readonly leaseNamespace: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  /** --kube-timeout: longest one Kubernetes call may take before it fails as Timeout (kube/client.ts). Default 10 s (DEFAULT_KUBE_TIMEOUT_MS). */
  readonly kubeTimeoutMs?: number;
  /** Period of the full resync. Default 5m. */
  readonly resyncMs: number;
  /** This replica's name in the lease. Default: $POD_NAME, else hostname_pid. */
  readonly identity: string;
  readonly logFormat: LogFormat;
  readonly logLevel: LogLevel;
  /**
   * sluice.dev/by is written by an admission policy from the authenticated user (the chart's
   * command-author policy; the chart sets $SLUICE_BY_VERIFIED with it). Default false: history
   * and Events mark each name "(unverified)".
   */
  readonly byVerified: boolean;
  // Tenancy: which hosts and gateways shifts may route (src/istio/hostsPolicy.ts).
  /** Cluster DNS domain of Service FQDNs. Default "cluster.local". */
  readonly clusterDomain: string;
  /** --allow-host rules: hosts beyond a shift's own Service. Default none. */
  readonly allowedHosts: Required<HostsPolicyConfig>['allowedHosts'];
  /** --allow-gateway rules: gateways besides mesh. Default none. */
  readonly allowedGateways: Required<HostsPolicyConfig>['allowedGateways'];
  // Prometheus allow-list (src/prometheus/access.ts, src/prometheus/flags.ts).
  /** Prometheus connections from $SLUICE_PROMETHEUS_* (the default one at --prometheus-url), with credentials and namespaces. Default none. */
  readonly prometheusConnections?: PrometheusConnections;
  /** --allow-prometheus-url patterns: further URLs any namespace may name, queried without credentials. Default none. */
  readonly allowPrometheusUrls?: readonly string[];
  /** --allow-prometheus-queries: spec.analysis.query templates may run. Default false. */
  readonly allowPrometheusQueries?: boolean;
  // Webhooks and notifications (src/hooks/policy.ts, src/notify).
  /** --allow-hook-url patterns: URLs shifts' hooks and notification Secrets may name. Default none. */
  readonly allowHookUrls?: readonly string[];
  /** The cluster-wide notification target (--notify-provider with $SLUICE_NOTIFY_URL). Default none. */
  readonly notifyDefault?: NotifyDefault;
  /** --gateway-api: watch HTTPRoutes and serve spec.routing: gatewayAPI (the Gateway API CRDs must be installed). Default false. */
  readonly gatewayAPI?: boolean;
}

interface Flag {
  /** The environment variable read when the flag is absent. */
  readonly env?: string;
  /** May be given more than once (the variable: comma-separated). */
  readonly repeat?: boolean;
  /** true or false: `--flag` alone is true. */
  readonly bool?: boolean;
  /** The form of the value, for usage and messages (e.g. DURATION); none for a bool. */
  readonly value?: string;
  readonly help: string;
}

export const RUN_FLAGS: Readonly<Record<string, Flag>> = {
  kubeconfig: { env: 'SLUICE_KUBECONFIG', value: 'FILE', help: 'kubeconfig file (default $KUBECONFIG, then in-cluster)' },
  namespace: { env: 'SLUICE_NAMESPACE', repeat: true, value: 'NAMESPACE', help: 'namespace to watch, repeatable; $SLUICE_NAMESPACE is comma-separated (default all)' },
  'prometheus-url': { env: 'SLUICE_PROMETHEUS_URL', value: 'URL', help: 'Prometheus for shifts that name none' },
  'scrape-interval': { env: 'SLUICE_SCRAPE_INTERVAL', value: 'DURATION', help: "how often Prometheus scrapes the mesh's metrics (its scrape_interval); sequential gates read the evidence this often, or every analysis.interval when shorter (default 15s)" },
  'metrics-addr': { env: 'SLUICE_METRICS_ADDR', value: 'HOST:PORT', help: 'host:port for /metrics, /healthz, /readyz (default :8080)' },
  'leader-elect': { env: 'SLUICE_LEADER_ELECT', bool: true, help: 'act only while holding the lease (default true)' },
  'lease-name': { env: 'SLUICE_LEASE_NAME', value: 'NAME', help: 'Lease name (default sluice-leader)' },
  'lease-namespace': { env: 'SLUICE_LEASE_NAMESPACE', value: 'NAMESPACE', help: "Lease namespace (default the pod's namespace, else default)" },
  'lease-duration': { env: 'SLUICE_LEASE_DURATION', value: 'DURATION', help: 'how long a lease lasts unrenewed (default 15s)' },
  'renew-deadline': { env: 'SLUICE_RENEW_DEADLINE', value: 'DURATION', help: 'a leader that cannot renew for this long stops (default 10s)' },
  'retry-period': { env: 'SLUICE_RETRY_PERIOD', value: 'DURATION', help: 'time between lease attempts (default 2s)' },
  'resync-period': { env: 'SLUICE_RESYNC_PERIOD', value: 'DURATION', help: 'full resync of every shift (default 5m)' },
  'kube-timeout': { env: 'SLUICE_KUBE_TIMEOUT', value: 'DURATION', help: 'longest one Kubernetes call may take; a call with no answer by then is abandoned and retried with backoff (default 10s)' },
  identity: { env: 'SLUICE_IDENTITY', value: 'NAME', help: 'name of this replica in the lease (default $POD_NAME, else host_pid)' },
  'log-format': { env: 'SLUICE_LOG_FORMAT', value: 'FORMAT', help: 'json or text (default json)' },
  'log-level': { env: 'SLUICE_LOG_LEVEL', value: 'LEVEL', help: 'debug, info, warn or error (default info)' },
  'by-verified': { env: 'SLUICE_BY_VERIFIED', bool: true, help: 'sluice.dev/by is set by an admission policy from the authenticated user; otherwise history marks names unverified (default false)' },
  // Tenancy (src/istio/hostsPolicy.ts).
  'cluster-domain': { env: 'SLUICE_CLUSTER_DOMAIN', value: 'DOMAIN', help: 'cluster DNS domain of Service FQDNs (default cluster.local)' },
  'allow-host': { env: 'SLUICE_ALLOW_HOST', repeat: true, value: 'NAMESPACE=PATTERN', help: 'NAMESPACE=PATTERN: shifts in NAMESPACE ("*": all) may route hosts matching PATTERN (e.g. *.example.com), repeatable (default: only their own Service)' },
  'allow-gateway': { env: 'SLUICE_ALLOW_GATEWAY', repeat: true, value: 'NAMESPACE=GW_NAMESPACE/GW_NAME', help: 'NAMESPACE=GW_NAMESPACE/GW_NAME: shifts in NAMESPACE ("*": all) may bind this Gateway, repeatable (default: mesh only)' },
  // Prometheus allow-list (src/prometheus/access.ts).
  'allow-prometheus-url': { env: 'SLUICE_ALLOW_PROMETHEUS_URL', repeat: true, value: 'PATTERN', help: 'URL PATTERN a shift may name as its Prometheus, queried without credentials ("*": any run of characters but "/"), repeatable (default: only --prometheus-url and $SLUICE_PROMETHEUS_CONNECTIONS)' },
  'allow-prometheus-queries': { env: 'SLUICE_ALLOW_PROMETHEUS_QUERIES', bool: true, help: 'let shifts use custom query templates, spec.analysis.query (default false)' },
  // Webhooks and notifications (src/hooks/policy.ts, src/notify).
  'allow-hook-url': { env: 'SLUICE_ALLOW_HOOK_URL', repeat: true, value: 'PATTERN', help: 'URL PATTERN shifts may name as a webhook (spec.hooks) or in a notification Secret (spec.notify), same rules as --allow-prometheus-url, repeatable (default: none)' },
  'notify-provider': { env: 'SLUICE_NOTIFY_PROVIDER', value: 'PROVIDER', help: 'format of the cluster-wide notification target whose URL is $SLUICE_NOTIFY_URL: slack, teams, googleChat or generic (default: none)' },
  'notify-severity': { env: 'SLUICE_NOTIFY_SEVERITY', value: 'SEVERITY', help: 'lowest severity sent to the cluster-wide target: info, warning or error (default info)' },
  // spec.routing: gatewayAPI (src/gateway).
  'gateway-api': { env: 'SLUICE_GATEWAY_API', bool: true, help: 'watch HTTPRoutes and serve spec.routing: gatewayAPI; needs the Gateway API CRDs (default false)' },
};

export const runUsage = (): string =>
  `usage: sluice run [flags]\n\nflags:\n${Object.entries(RUN_FLAGS)
    .map(([name, f]) => `  --${name.padEnd(16)} ${f.help}${f.env ? ` [$${f.env}]` : ''}`)
    .join('\n')}\n`;

/** run's flags in the one parser's terms (src/cli/parseFlags.ts). */
const RUN_FLAG_DEFS: Readonly<Record<string, FlagDef>> = Object.fromEntries(
  Object.entries(RUN_FLAGS).map(([name, f]): [string, FlagDef] => [
    name,
    f.bool ? { names: [`--${name}`], kind: 'bool' } : { names: [`--${name}`], kind: 'string', value: f.value ?? 'VALUE', ...(f.repeat ? { repeat: true } : {}) },
  ]),
);

/** Raw values: flags over env. Booleans as "true" / "false", checked below with their variables. */
const collect = (argv: readonly string[], env: Readonly<Record<string, string | undefined>>): E.Either<string, Map<string, string[]>> => {
  const parsed = parseFlags(argv, RUN_FLAG_DEFS);
  if (E.isLeft(parsed)) return parsed;
  const { flags, positionals } = parsed.right;
  if (positionals.length > 0) return E.left(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const values = new Map<string, string[]>();
  for (const [name, value] of Object.entries(flags)) values.set(name, Array.isArray(value) ? [...value] : [String(value)]);
  for (const [name, flag] of Object.entries(RUN_FLAGS)) {
    const v = flag.env ? env[flag.env] : undefined;
    if (values.has(name) || v === undefined || v === '') continue;
    values.set(name, flag.repeat ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : [v]);
  }
  return E.right(values);
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const parseRunConfig = (
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  defaults: { readonly podNamespace?: string; readonly identity: string },
): E.Either<string, DaemonConfig> => {
  const collected = collect(argv, env);
  if (E.isLeft(collected)) return collected;
  const v = collected.right;
  const one = (name: string): string | undefined => v.get(name)?.[0];
  const duration = (name: string, fallback: number): E.Either<string, number> => {
    const text = one(name);
    if (text === undefined) return E.right(fallback);
    const ms = parseDuration(text);
    return ms !== undefined && ms > 0 ? E.right(ms) : E.left(badValue(`--${name}`, text, 'a duration (expected e.g. "15s")'));
  };
  const namespaces = v.get('namespace') ?? [];
  const badNs = namespaces.find((n) => !DNS_LABEL.test(n) || n.length > 63);
  if (badNs !== undefined) return E.left(badValue('--namespace', badNs, 'a namespace name'));
  const url = one('prometheus-url');
  if (url !== undefined && !(URL.canParse(url) && /^https?:$/.test(new URL(url).protocol))) return E.left(badValue('--prometheus-url', url, 'an http(s) URL'));
  const metricsAddr = one('metrics-addr') ?? ':8080';
  if (!parseAddr(metricsAddr)) return E.left(badValue('--metrics-addr', metricsAddr, 'host:port (e.g. ":8080" or "127.0.0.1:0")'));
  const elect = one('leader-elect') ?? 'true';
  if (elect !== 'true' && elect !== 'false') return E.left(badValue('--leader-elect', elect, 'true or false'));
  const logFormat = one('log-format') ?? 'json';
  if (!(LOG_FORMATS as readonly string[]).includes(logFormat)) return E.left(badValue('--log-format', logFormat, 'json or text'));
  const logLevel = one('log-level') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) return E.left(badValue('--log-level', logLevel, 'debug, info, warn or error'));
  const byVerified = one('by-verified') ?? 'false';
  if (byVerified !== 'true' && byVerified !== 'false') return E.left(badValue('--by-verified', byVerified, 'true or false'));
  const gatewayApi = one('gateway-api') ?? 'false';
  if (gatewayApi !== 'true' && gatewayApi !== 'false') return E.left(badValue('--gateway-api', gatewayApi, 'true or false'));
  const leaseName = one('lease-name') ?? 'sluice-leader';
  if (!DNS_LABEL.test(leaseName)) return E.left(badValue('--lease-name', leaseName, 'a valid name'));
  const timing = [
    duration('lease-duration', DEFAULT_LEADER_TIMING.leaseDurationMs),
    duration('renew-deadline', DEFAULT_LEADER_TIMING.renewDeadlineMs),
    duration('retry-period', DEFAULT_LEADER_TIMING.retryPeriodMs),
    duration('resync-period', 300_000),
    duration('scrape-interval', DEFAULT_SCRAPE_INTERVAL_MS),
  ];
  const bad = timing.find(E.isLeft);
  if (bad && E.isLeft(bad)) return bad;
  const [leaseDurationMs, renewDeadlineMs, retryPeriodMs, resyncMs, scrapeIntervalMs] = timing.map((t) => (E.isRight(t) ? t.right : 0)) as [number, number, number, number, number];
  if (!(retryPeriodMs < renewDeadlineMs && renewDeadlineMs < leaseDurationMs))
    return E.left(`--retry-period (${retryPeriodMs} ms) < --renew-deadline (${renewDeadlineMs} ms) < --lease-duration (${leaseDurationMs} ms) must hold`);
  const tenancy = parseHostsPolicyFlags({ allowHost: v.get('allow-host') ?? [], allowGateway: v.get('allow-gateway') ?? [], ...(one('cluster-domain') ? { clusterDomain: one('cluster-domain') } : {}) });
  if (E.isLeft(tenancy)) return tenancy;
  const prometheus = parsePrometheusFlags({ allowUrls: v.get('allow-prometheus-url') ?? [], allowQueries: one('allow-prometheus-queries'), prometheusUrl: url, env });
  if (E.isLeft(prometheus)) return prometheus;
  const hookUrls = checkUrlPatterns(v.get('allow-hook-url') ?? [], FLAG_ALLOW_HOOK_URL);
  if (E.isLeft(hookUrls)) return hookUrls;
  const notify = parseNotifyDefault(one('notify-provider'), one('notify-severity'), env['SLUICE_NOTIFY_URL']);
  if (E.isLeft(notify)) return notify;
  const kubeTimeout = duration('kube-timeout', 0); // absent: kube/client.ts's default
  if (E.isLeft(kubeTimeout)) return kubeTimeout;
  const kubeconfig = one('kubeconfig');
  return E.right({
    ...(kubeconfig ? { kubeconfig } : {}),
    namespaces,
    ...(url ? { prometheusUrl: url } : {}),
    scrapeIntervalMs,
    metricsAddr,
    leaderElect: elect === 'true',
    leaseName,
    leaseNamespace: one('lease-namespace') ?? defaults.podNamespace ?? 'default',
    leaseDurationMs, renewDeadlineMs, retryPeriodMs, resyncMs,
    ...(one('kube-timeout') !== undefined ? { kubeTimeoutMs: kubeTimeout.right } : {}),
    identity: one('identity') ?? defaults.identity,
    logFormat: logFormat as LogFormat,
    logLevel: logLevel as LogLevel,
    byVerified: byVerified === 'true',
    ...(gatewayApi === 'true' ? { gatewayAPI: true } : {}),
    ...tenancy.right,
    ...prometheus.right,
    ...(hookUrls.right.length > 0 ? { allowHookUrls: hookUrls.right } : {}),
    ...(notify.right !== undefined ? { notifyDefault: notify.right } : {}),
  });
};
