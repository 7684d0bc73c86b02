import * as E from 'fp-ts/Either';
import { configFor, connectionsFromEnv } from '../../../src/prometheus/connections';

describe('configFor', () => {
  const connections = {
    default: { url: 'http://prom:9090', bearerToken: 'daemon-token' },
    others: [{ url: 'http://thanos:9090/', headers: { 'X-Scope-OrgID': 'a' } }],
  };

  it('uses the settings configured for the URL, ignoring a trailing slash', () => {
    expect(configFor(connections, 'http://prom:9090/')).toBe(connections.default);
    expect(configFor(connections, 'http://thanos:9090')).toBe(connections.others[0]);
  });

  it('sends no credentials to a URL nobody configured (a URL written into a spec)', () => {
    expect(configFor(connections, 'http://attacker.example')).toEqual({ url: 'http://attacker.example' });
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
      SLUICE_PROMETHEUS_CONNECTIONS: '[{"url":"http://thanos:9090","bearerToken":"t"}]',
    };
    expect(connectionsFromEnv(env)).toEqual(
      E.right({
        default: { url: 'http://prom:9090', timeoutMs: 5000, basicAuth: { username: 'sluice', password: 'pw' }, headers: { 'X-Scope-OrgID': 'team-a' } },
        others: [{ url: 'http://thanos:9090', bearerToken: 't' }],
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
    [{ SLUICE_PROMETHEUS_CONNECTIONS: '{' }, 'SLUICE_PROMETHEUS_CONNECTIONS: "{" is not JSON'],
  ])('rejects %j with a sentence', (env, message) => {
    expect(connectionsFromEnv(env)).toEqual(E.left(message));
  });
});
