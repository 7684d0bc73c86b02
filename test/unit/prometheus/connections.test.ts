import * as E from 'fp-ts/Either';
import { Fetch } from '../../../src/prometheus/client';
import { connectionsFromEnv, prometheusPool } from '../../../src/prometheus/connections';
import { analysis } from './fixtures';

describe('prometheusPool', () => {
  const connections = {
    default: { url: 'http://prom:9090', bearerToken: 'daemon-token' },
    others: [{ url: 'http://thanos:9090/', headers: { 'X-Scope-OrgID': 'a' }, namespaces: ['team-a'] }],
  };
  const recording = () => {
    const sent: { url: string; headers: Record<string, string> }[] = [];
    const fetchFn: Fetch = async (url, init) => {
      sent.push({ url, headers: init.headers });
      return { status: 200, text: async () => '{"status":"success","data":{"resultType":"vector","result":[]}}' };
    };
    return { sent, fetchFn };
  };

  it("sends a connection's credentials only for its own namespaces", async () => {
    const { sent, fetchFn } = recording();
    const pool = prometheusPool(connections, { fetchFn, allowUrls: ['http://thanos:9090'] });
    for (const ns of ['team-a', 'team-b']) {
      const route = pool.route(ns, 'http://thanos:9090', 'spec.analysis.prometheus.url');
      if (E.isLeft(route)) throw new Error(route.left);
      await pool.client(route.right).query('up')();
    }
    expect(sent.map((s) => [s.url, s.headers['X-Scope-OrgID'], s.headers['Authorization']])).toEqual([
      ['http://thanos:9090/api/v1/query', 'a', undefined],
      ['http://thanos:9090/api/v1/query', undefined, undefined],
    ]);
  });

  it("never gives the daemon's token to a URL written into a spec, and refuses one nobody allowed", () => {
    const pool = prometheusPool(connections, { allowUrls: ['http://*.example'] });
    expect(pool.route('shop', 'http://attacker.example', 'spec.analysis.prometheus.url')).toEqual(
      E.right({ id: 'allowed http://attacker.example', config: { url: 'http://attacker.example' } }),
    );
    expect(E.isLeft(prometheusPool(connections).route('shop', 'http://attacker.example', 'spec.analysis.prometheus.url'))).toBe(true);
  });

  it('says so when no URL is configured at all', () => {
    expect(prometheusPool({}).route('shop', '', '--prometheus-url')).toEqual(
      E.left("no Prometheus is configured: set spec.analysis.prometheus.url or the daemon's --prometheus-url"),
    );
  });

  it('refuses custom templates unless allowed', () => {
    const query = { requests: 'r', errors: 'e' };
    expect(prometheusPool(connections).queryRefusal(analysis({ query }))).toMatch(/^spec\.analysis\.query: custom query templates are off/);
    expect(prometheusPool(connections, { allowQueries: true }).queryRefusal(analysis({ query }))).toBeUndefined();
    expect(prometheusPool(connections).queryRefusal(analysis())).toBeUndefined();
  });
});

describe('connectionsFromEnv', () => {
  it('reads the default connection and further ones', () => {
    const env = {
      SLUICE_PROMETHEUS_URL: 'http://prom:9090',
      SLUICE_PROMETHEUS_TIMEOUT: '5s',
      SLUICE_PROMETHEUS_USERNAME: 'sluice',
      SLUICE_PROMETHEUS_PASSWORD: 'pw',
      SLUICE_PROMETHEUS_HEADERS: '{"X-Scope-OrgID":"team-a"}',
      SLUICE_PROMETHEUS_NAMESPACES: 'shop, pay',
      SLUICE_PROMETHEUS_CONNECTIONS: '[{"url":"http://thanos:9090","bearerToken":"t","namespaces":["team-a","*"]}]',
    };
    expect(connectionsFromEnv(env)).toEqual(
      E.right({
        default: { url: 'http://prom:9090', timeoutMs: 5000, basicAuth: { username: 'sluice', password: 'pw' }, headers: { 'X-Scope-OrgID': 'team-a' }, namespaces: ['shop', 'pay'] },
        others: [{ url: 'http://thanos:9090', bearerToken: 't', namespaces: ['team-a', '*'] }],
      }),
    );
  });

  it('is empty without any variable', () => {
    expect(connectionsFromEnv({})).toEqual(E.right({}));
  });

  it.each([
    [{ SLUICE_PROMETHEUS_URL: 'prom:9090 ' }, 'SLUICE_PROMETHEUS_URL: "prom:9090 " is not an http(s) URL'],
    [{ SLUICE_PROMETHEUS_TIMEOUT: '5' }, 'SLUICE_PROMETHEUS_TIMEOUT: "5" is not a duration (expected e.g. "10s")'],
    [{ SLUICE_PROMETHEUS_HEADERS: '{"a":1}' }, 'SLUICE_PROMETHEUS_HEADERS: is not a JSON object of strings (expected e.g. {"X-Scope-OrgID":"team-a"})'],
    [{ SLUICE_PROMETHEUS_USERNAME: 'x' }, 'SLUICE_PROMETHEUS_USERNAME and SLUICE_PROMETHEUS_PASSWORD must be set together'],
    [{ SLUICE_PROMETHEUS_CONNECTIONS: '[{"url":"http://t","timeoutMs":-1}]' }, 'SLUICE_PROMETHEUS_CONNECTIONS[0].timeoutMs: is not a positive integer'],
    [
      { SLUICE_PROMETHEUS_CONNECTIONS: '[{"url":"http://t","bearerToken":"x"}]' },
      'SLUICE_PROMETHEUS_CONNECTIONS[0].namespaces: missing; list the namespaces whose shifts may use this connection and its credentials (["*"] for every namespace)',
    ],
    [{ SLUICE_PROMETHEUS_CONNECTIONS: '[{"url":"http://t","namespaces":[]}]' }, 'SLUICE_PROMETHEUS_CONNECTIONS[0].namespaces: expected a non-empty list of namespaces (["*"] for every namespace)'],
    [{ SLUICE_PROMETHEUS_CONNECTIONS: '[{"url":"http://t","namespaces":["Team A"]}]' }, 'SLUICE_PROMETHEUS_CONNECTIONS[0].namespaces: "Team A" is not a namespace name or "*"'],
    [{ SLUICE_PROMETHEUS_URL: 'http://p', SLUICE_PROMETHEUS_NAMESPACES: 'ok,-bad' }, 'SLUICE_PROMETHEUS_NAMESPACES: "-bad" is not a namespace name or "*"'],
    [{ SLUICE_PROMETHEUS_CONNECTIONS: '{' }, 'SLUICE_PROMETHEUS_CONNECTIONS: "{" is not JSON'],
  ])('rejects %j with a sentence', (env, message) => {
    expect(connectionsFromEnv(env)).toEqual(E.left(message));
  });
});
