import * as E from 'fp-ts/Either';
import { parseRunConfig } from '../../../src/daemon/config';
import { prometheusPolicy } from '../../../src/prometheus/access';

const parse = (argv: string[], env: Record<string, string> = {}) => parseRunConfig(argv, env, { identity: 'host_1' });

describe('sluice run: the Prometheus allow-list flags', () => {
  it('are off by default: no patterns, no custom queries, no connections', () => {
    const config = parse([]);
    expect(E.isRight(config) && [config.right.allowPrometheusUrls, config.right.allowPrometheusQueries, config.right.prometheusConnections]).toEqual([undefined, undefined, undefined]);
  });

  it('read repeated --allow-prometheus-url (or the comma-separated variable), --allow-prometheus-queries and the connections', () => {
    const config = parse(['--allow-prometheus-url', 'http://prometheus.*.svc:9090', '--allow-prometheus-url=https://thanos.example:443/', '--allow-prometheus-queries', '--prometheus-url', 'http://prom:9090'], {
      SLUICE_PROMETHEUS_CONNECTIONS: '[{"url":"http://mimir:8080","headers":{"X-Scope-OrgID":"a"},"namespaces":["a"]}]',
      SLUICE_PROMETHEUS_URL: 'http://ignored:9090',
    });
    expect(config).toMatchObject(E.right({
      allowPrometheusUrls: ['http://prometheus.*.svc:9090', 'https://thanos.example'],
      allowPrometheusQueries: true,
      prometheusConnections: { default: { url: 'http://prom:9090' }, others: [{ url: 'http://mimir:8080', headers: { 'X-Scope-OrgID': 'a' }, namespaces: ['a'] }] },
    }));
    expect(parse([], { SLUICE_ALLOW_PROMETHEUS_URL: 'http://a:9090, http://b:9090', SLUICE_ALLOW_PROMETHEUS_QUERIES: 'false' })).toMatchObject(
      E.right({ allowPrometheusUrls: ['http://a:9090', 'http://b:9090'] }),
    );
  });

  it('give a DaemonConfig the policy reads as it is', () => {
    const config = parse(['--prometheus-url', 'http://prom:9090', '--allow-prometheus-url', 'http://thanos:9090']);
    if (E.isLeft(config)) throw new Error(config.left);
    const policy = prometheusPolicy(config.right);
    const spec = (prometheusUrl?: string) => ({ analysis: { intervalMs: 30_000, maxErrorRate: 0.01, minRequests: 20, failureThreshold: 2, noData: 'hold' as const, ...(prometheusUrl ? { prometheusUrl } : {}) } });
    expect(policy('shop', spec() as never)).toEqual([]);
    expect(policy('shop', spec('http://thanos:9090/') as never)).toEqual([]);
    expect(policy('shop', spec('http://elsewhere:9090') as never)).toHaveLength(1);
  });

  it('refuse bad values with one sentence', () => {
    const left = (argv: string[], env: Record<string, string> = {}) => {
      const r = parse(argv, env);
      return E.isLeft(r) ? r.left : 'accepted';
    };
    expect(left(['--allow-prometheus-url', 'ftp://x'])).toBe('--allow-prometheus-url: "ftp://x" is not an http(s) URL pattern without credentials, query or fragment (e.g. "http://prometheus.*.svc:9090")');
    expect(left(['--allow-prometheus-queries=maybe'])).toBe('--allow-prometheus-queries: "maybe" is not true or false');
    expect(left([], { SLUICE_PROMETHEUS_CONNECTIONS: '[{"url":"http://t"}]' })).toBe(
      'SLUICE_PROMETHEUS_CONNECTIONS[0].namespaces: missing; list the namespaces whose shifts may use this connection and its credentials (["*"] for every namespace)',
    );
  });
});
