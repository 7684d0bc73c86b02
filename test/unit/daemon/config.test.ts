import * as E from 'fp-ts/Either';
import { parseRunConfig } from '../../../src/daemon/config';
import { formatLine } from '../../../src/daemon/log';

const parse = (argv: string[], env: Record<string, string> = {}) => parseRunConfig(argv, env, { identity: 'host_1' });
const left = (argv: string[], env: Record<string, string> = {}) => {
  const r = parse(argv, env);
  return E.isLeft(r) ? r.left : 'accepted';
};

describe('sluice run flags', () => {
  it('defaults: all namespaces, :8080, leader election on sluice-leader in default, json logs at info', () => {
    expect(parse([])).toEqual(E.right({
      namespaces: [], metricsAddr: ':8080', leaderElect: true, leaseName: 'sluice-leader', leaseNamespace: 'default',
      leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, resyncMs: 300_000, identity: 'host_1', logFormat: 'json', logLevel: 'info', byVerified: false,
      clusterDomain: 'cluster.local', allowedHosts: [], allowedGateways: [], scrapeIntervalMs: 15_000,
    }));
  });

  it("reads Prometheus' scrape interval from --scrape-interval or SLUICE_SCRAPE_INTERVAL (what scripts/cluster.sh exports)", () => {
    expect(parse(['--scrape-interval', '5s'])).toMatchObject(E.right({ scrapeIntervalMs: 5_000 }));
    expect(parse([], { SLUICE_SCRAPE_INTERVAL: '1m' })).toMatchObject(E.right({ scrapeIntervalMs: 60_000 }));
    expect(left(['--scrape-interval', '5'])).toBe('--scrape-interval: "5" is not a duration (expected e.g. "15s")');
  });

  it('repeats --namespace, reads --flag=value and booleans, and flags win over the environment', () => {
    const r = parse(['--namespace', 'shop', '--namespace=web', '--leader-elect=false', '--metrics-addr', '127.0.0.1:0', '--log-format', 'text'], {
      SLUICE_NAMESPACE: 'ignored', SLUICE_LOG_LEVEL: 'debug', SLUICE_PROMETHEUS_URL: 'http://prom:9090', SLUICE_LEASE_NAME: 'mine',
    });
    expect(r).toMatchObject(E.right({ namespaces: ['shop', 'web'], leaderElect: false, metricsAddr: '127.0.0.1:0', logFormat: 'text', logLevel: 'debug', prometheusUrl: 'http://prom:9090', leaseName: 'mine' }));
  });

  it('reads --by-verified and SLUICE_BY_VERIFIED (the chart sets it with its command-author policy)', () => {
    expect(parse([], { SLUICE_BY_VERIFIED: 'true' })).toMatchObject(E.right({ byVerified: true }));
    expect(parse(['--by-verified'])).toMatchObject(E.right({ byVerified: true }));
    expect(left(['--by-verified=yes'])).toBe('--by-verified: "yes" is not true or false');
  });

  it('reads SLUICE_NAMESPACE as a comma-separated list', () => {
    expect(parse([], { SLUICE_NAMESPACE: 'a, b' })).toMatchObject(E.right({ namespaces: ['a', 'b'] }));
  });

  it('rejects bad flags with one sentence', () => {
    expect(left(['--namspace', 'x'])).toBe('unknown flag --namspace');
    expect(left(['--log-format', 'xml'])).toBe('--log-format: "xml" is not json or text');
    expect(left(['--metrics-addr', '8080'])).toBe('--metrics-addr: "8080" is not host:port (e.g. ":8080" or "127.0.0.1:0")');
    expect(left(['--prometheus-url'])).toBe('flag --prometheus-url needs a value (--prometheus-url URL)');
    expect(left(['--namespace', 'shop', 'extra'])).toBe('unexpected argument "extra"');
    expect(left(['--log-level', 'debug', '--log-level=info'])).toBe('flag --log-level given twice');
    expect(left(['--lease-duration', '5s'])).toBe('--retry-period (2000 ms) < --renew-deadline (10000 ms) < --lease-duration (5000 ms) must hold');
    expect(left(['--leader-elect=maybe'])).toBe('--leader-elect: "maybe" is not true or false');
    expect(left(['--namespace', 'Shop'])).toBe('--namespace: "Shop" is not a namespace name');
  });
});

describe('log lines', () => {
  it('json: one object per line, time level msg first', () => {
    expect(formatLine('json', 'T', 'info', 'decided', { shift: 'reviews', namespace: 'shop', phase: 'Progressing', reason: 'StepAdvanced', x: undefined })).toBe(
      '{"time":"T","level":"info","msg":"decided","shift":"reviews","namespace":"shop","phase":"Progressing","reason":"StepAdvanced"}',
    );
  });
  it('text: key=value with quoting only where needed', () => {
    expect(formatLine('text', 'T', 'warn', 'decided', { shift: 'reviews', message: 'two words', weights: { stable: 90 } })).toBe(
      'T WARN decided shift=reviews message="two words" weights={"stable":90}',
    );
  });
});
