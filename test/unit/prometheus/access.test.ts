import * as E from 'fp-ts/Either';
import { ResolvedSpec } from '../../../src/api/spec';
import {
  PrometheusAccess, canonicalUrl, checkUrlPattern, matchesPattern, prometheusPolicy, routeFor,
} from '../../../src/prometheus/access';
import { analysis } from './fixtures';

const SPEC_URL = 'spec.analysis.prometheus.url';

/** A resolved spec with only the analysis mattering here. */
const spec = (over: Partial<ResolvedSpec['analysis']> = {}): ResolvedSpec => ({
  service: 'reviews', version: 'v1', hosts: [], gateways: [], versionLabel: 'version',
  strategy: { kind: 'canary', steps: [20], stepIntervalMs: 60_000 },
  analysis: analysis(over), manualPromotion: false, progressDeadlineMs: 600_000, route: {}, adopt: false,
});

/** Team A has a Mimir tenant; the default Prometheus serves everyone. */
const access = (over: Partial<PrometheusAccess> = {}): PrometheusAccess => ({
  connections: {
    default: { url: 'http://prometheus.monitoring:9090', bearerToken: 'daemon-token' },
    others: [
      { url: 'http://mimir.monitoring:8080/prometheus', headers: { 'X-Scope-OrgID': 'team-a' }, namespaces: ['team-a'] },
      { url: 'http://mimir.monitoring:8080/prometheus', headers: { 'X-Scope-OrgID': 'team-b' }, namespaces: ['team-b'] },
      { url: 'http://thanos.monitoring:9090', namespaces: ['*'] },
    ],
  },
  allowUrls: [],
  allowQueries: false,
  ...over,
});

describe('canonicalUrl', () => {
  it('lower-cases scheme and host, drops the default port and trailing slashes, and resolves dot segments', () => {
    expect(canonicalUrl('HTTP://Prom.Monitoring:80/a/../prefix//')).toEqual(E.right('http://prom.monitoring/prefix'));
    expect(canonicalUrl('https://thanos:443')).toEqual(E.right('https://thanos'));
    expect(canonicalUrl('http://[::1]:9090/')).toEqual(E.right('http://[::1]:9090'));
  });

  it('refuses what it cannot compare safely', () => {
    expect(canonicalUrl('file:///etc/passwd')).toEqual(E.left('is not http(s) ("file:")'));
    expect(canonicalUrl('prom:9090')).toEqual(E.left('is not http(s) ("prom:")'));
    expect(canonicalUrl('not a url')).toEqual(E.left('is not a URL'));
    expect(canonicalUrl('http://u:p@prom:9090')).toEqual(E.left('carries credentials; the operator configures those in a named connection'));
    expect(canonicalUrl('http://u:p@prom:9090', 'strip')).toEqual(E.right('http://prom:9090'));
    expect(canonicalUrl('http://prom:9090/?x=1')).toEqual(E.left('has a query or a fragment'));
  });
});

describe('URL patterns', () => {
  it('checks patterns with a sentence naming the flag', () => {
    expect(checkUrlPattern('http://prometheus.*.svc:9090/')).toEqual(E.right('http://prometheus.*.svc:9090'));
    expect(checkUrlPattern('HTTP://Prom:80')).toEqual(E.left('--allow-prometheus-url: "HTTP://Prom:80" is not an http(s) URL pattern without credentials, query or fragment (e.g. "http://prometheus.*.svc:9090")'));
    expect(checkUrlPattern('http://Prom:9090')).toEqual(E.left('--allow-prometheus-url: "http://Prom:9090" has upper-case letters in the host; write it lower-case (URLs are compared lower-case)'));
    expect(checkUrlPattern('http://*')).toEqual(E.left('--allow-prometheus-url: "http://*" allows every host; name the host (a "*" may stand for part of it)'));
    expect(checkUrlPattern('http://a@b')).toEqual(E.left('--allow-prometheus-url: "http://a@b" is not an http(s) URL pattern without credentials, query or fragment (e.g. "http://prometheus.*.svc:9090")'));
    expect(checkUrlPattern('https://thanos:443/')).toEqual(E.right('https://thanos'));
  });

  it('matches the whole canonical URL; "*" never crosses a "/"', () => {
    const p = 'http://prometheus.*.svc:9090';
    expect(matchesPattern(p, 'http://prometheus.team-a.svc:9090')).toBe(true);
    expect(matchesPattern(p, 'http://prometheus.team-a.svc:9091')).toBe(false);
    expect(matchesPattern(p, 'http://prometheus.x/y.svc:9090')).toBe(false);
    expect(matchesPattern(p, 'http://prometheus.team-a.svc:9090/api/v1/admin')).toBe(false);
    expect(matchesPattern('http://thanos:9090', 'http://thanos:9090')).toBe(true);
    expect(matchesPattern('http://thanos:9090', 'http://thanos:90901')).toBe(false);
    expect(matchesPattern('http://a.b', 'http://aXb')).toBe(false);
  });
});

describe('routeFor', () => {
  const route = (namespace: string, url: string, a = access()) => routeFor(a, namespace, url, SPEC_URL);

  it("gives each tenant its own connection of a shared URL, never another tenant's", () => {
    expect(route('team-a', 'http://mimir.monitoring:8080/prometheus/')).toEqual(E.right({ id: 'SLUICE_PROMETHEUS_CONNECTIONS[0]', config: access().connections.others![0] }));
    expect(route('team-b', 'http://MIMIR.monitoring:8080/prometheus')).toEqual(E.right({ id: 'SLUICE_PROMETHEUS_CONNECTIONS[1]', config: access().connections.others![1] }));
    expect(route('team-c', 'http://mimir.monitoring:8080/prometheus')).toEqual(
      E.left(
        'spec.analysis.prometheus.url: "http://mimir.monitoring:8080/prometheus" is a connection of other namespaces, not of "team-c"; ' +
          'list the namespace in its entry in $SLUICE_PROMETHEUS_CONNECTIONS, or allow it without credentials with --allow-prometheus-url=http://mimir.monitoring:8080/prometheus',
      ),
    );
  });

  it('queries a URL of other namespaces without their credentials when a pattern allows it', () => {
    expect(route('team-c', 'http://mimir.monitoring:8080/prometheus', access({ allowUrls: ['http://mimir.*:8080/prometheus'] }))).toEqual(
      E.right({ id: 'allowed http://mimir.monitoring:8080/prometheus', config: { url: 'http://mimir.monitoring:8080/prometheus' } }),
    );
  });

  it('uses the default connection for every namespace, and a "*" connection too', () => {
    expect(routeFor(access(), 'anyone', 'http://prometheus.monitoring:9090', '--prometheus-url')).toEqual(E.right({ id: 'default', config: access().connections.default }));
    expect(route('anyone', 'http://prometheus.monitoring:9090/')).toEqual(E.right({ id: 'default', config: access().connections.default }));
    expect(route('anyone', 'http://thanos.monitoring:9090')).toMatchObject(E.right({ id: 'SLUICE_PROMETHEUS_CONNECTIONS[2]' }));
  });

  it('keeps the default connection to the namespaces of $SLUICE_PROMETHEUS_NAMESPACES when set', () => {
    const limited = access({ connections: { default: { url: 'http://prom:9090', bearerToken: 't', namespaces: ['shop'] } } });
    expect(routeFor(limited, 'shop', 'http://prom:9090', '--prometheus-url')).toMatchObject(E.right({ id: 'default' }));
    expect(routeFor(limited, 'web', 'http://prom:9090', '--prometheus-url')).toEqual(
      E.left('--prometheus-url: "http://prom:9090" is a connection of other namespaces, not of "web"; list the namespace in $SLUICE_PROMETHEUS_NAMESPACES, or allow it without credentials with --allow-prometheus-url=http://prom:9090'),
    );
  });

  it('refuses every URL nobody configured or allowed, naming the flag that would allow it', () => {
    for (const url of ['http://kubernetes.default.svc', 'http://169.254.169.254/latest', 'http://prometheus.monitoring:9090/api/v1/admin', 'http://prometheus.monitoring:9091']) {
      const canonical = E.getOrElse(() => url)(canonicalUrl(url));
      expect(route('shop', url)).toEqual(
        E.left(`spec.analysis.prometheus.url: "${canonical}" is not an allowed Prometheus (not --prometheus-url, not in $SLUICE_PROMETHEUS_CONNECTIONS, no --allow-prometheus-url pattern matches); allow it without credentials with --allow-prometheus-url=${canonical}`),
      );
    }
    expect(route('shop', 'http://u:p@prometheus.monitoring:9090')).toEqual(
      E.left('spec.analysis.prometheus.url: "http://u:p@prometheus.monitoring:9090" carries credentials; the operator configures those in a named connection'),
    );
  });

  it('sends to the canonical form it checked, never to the text of the spec', () => {
    const r = route('shop', 'http://Prom.Example:80/x/../', access({ allowUrls: ['http://prom.example'] }));
    expect(r).toEqual(E.right({ id: 'allowed http://prom.example', config: { url: 'http://prom.example' } }));
  });
});

describe('prometheusPolicy (contract D)', () => {
  const config = {
    prometheusConnections: access().connections,
    allowPrometheusUrls: ['http://prometheus.*.svc:9090'],
  };

  it('admits a spec naming no URL, the default one, its tenant connection or an allowed pattern', () => {
    const policy = prometheusPolicy(config);
    expect(policy('team-a', spec())).toEqual([]);
    expect(policy('team-a', spec({ prometheusUrl: 'http://prometheus.monitoring:9090' }))).toEqual([]);
    expect(policy('team-a', spec({ prometheusUrl: 'http://mimir.monitoring:8080/prometheus' }))).toEqual([]);
    expect(policy('team-a', spec({ prometheusUrl: 'http://prometheus.team-a.svc:9090' }))).toEqual([]);
    expect(prometheusPolicy({})('shop', spec())).toEqual([]);
  });

  it("refuses another tenant's connection and unknown URLs with one sentence each, prefixed by the shift when named", () => {
    const policy = prometheusPolicy(config);
    expect(policy('team-c', spec({ prometheusUrl: 'http://mimir.monitoring:8080/prometheus' }), 'reviews')).toEqual([
      'team-c/reviews: spec.analysis.prometheus.url: "http://mimir.monitoring:8080/prometheus" is a connection of other namespaces, not of "team-c"; ' +
        'list the namespace in its entry in $SLUICE_PROMETHEUS_CONNECTIONS, or allow it without credentials with --allow-prometheus-url=http://mimir.monitoring:8080/prometheus',
    ]);
    expect(policy('shop', spec({ prometheusUrl: 'http://10.0.0.1:8080/' }))).toEqual([
      'spec.analysis.prometheus.url: "http://10.0.0.1:8080" is not an allowed Prometheus (not --prometheus-url, not in $SLUICE_PROMETHEUS_CONNECTIONS, no --allow-prometheus-url pattern matches); allow it without credentials with --allow-prometheus-url=http://10.0.0.1:8080',
    ]);
  });

  it('refuses custom query templates unless --allow-prometheus-queries, naming the field', () => {
    const query = { requests: 'sum(up)', errors: 'vector(0)' };
    expect(prometheusPolicy(config)('shop', spec({ query }))).toEqual([
      'spec.analysis.query: custom query templates are off on this daemon (they would run with its Prometheus credentials); allow them with --allow-prometheus-queries',
    ]);
    expect(prometheusPolicy({ ...config, allowPrometheusQueries: true })('shop', spec({ query }))).toEqual([]);
  });

  it('clips a huge URL in its sentence', () => {
    const [sentence] = prometheusPolicy(config)('shop', spec({ prometheusUrl: `http://x/${'a'.repeat(100_000)}` }));
    expect(sentence!.length).toBeLessThan(400);
  });
});
