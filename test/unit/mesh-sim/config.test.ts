import { decodeConfig, decodeProfileChange } from '../../mesh-sim/config';

const minimal = { services: [{ namespace: 'shop', service: 'reviews', rps: 50 }] };

describe('mesh-sim configuration', () => {
  it('fills in every default', () => {
    const r = decodeConfig(minimal, { SLUICE_PROM_TARGETS_DIR: '/tmp/targets' });
    expect(r).toEqual({
      ok: true,
      value: {
        port: 0,
        seed: 1,
        tickMs: 100,
        propagationDelayMs: 1000,
        ledgerPath: undefined,
        ledgerFlushMs: 5000,
        promTargetsDir: '/tmp/targets',
        client: { workload: 'loadgen', namespace: undefined, serviceAccount: 'loadgen', labels: { app: 'loadgen' } },
        services: [{ namespace: 'shop', service: 'reviews', rps: 50, versionLabel: 'version', uri: '/', method: 'GET', headers: {}, preview: undefined, streams: [] }],
        profiles: [],
        schedule: [],
      },
    });
  });

  it('lower-cases preview header names and inherits the uri', () => {
    const r = decodeConfig({ services: [{ ...minimal.services[0], uri: '/api', preview: { headers: { 'X-Preview': 'true' }, rps: 2 } }] });
    expect(r.ok && r.value.services[0].preview).toEqual({ headers: { 'x-preview': 'true' }, rps: 2, uri: '/api' });
  });

  it('gives named streams the service uri and method unless they set their own, header names lower-cased', () => {
    const r = decodeConfig({ services: [{ ...minimal.services[0], uri: '/api', method: 'POST', streams: [{ name: 'beta', rps: 3, headers: { Cookie: 'user=beta' } }, { name: 'q', rps: 1, uri: '/q?x=1', method: 'GET' }] }] });
    expect(r.ok && r.value.services[0].streams).toEqual([
      { name: 'beta', rps: 3, uri: '/api', method: 'POST', headers: { cookie: 'user=beta' } },
      { name: 'q', rps: 1, uri: '/q?x=1', method: 'GET', headers: {} },
    ]);
  });

  it('takes a population of users with cookie jars on a named stream, and names a bad count', () => {
    const r = decodeConfig({ services: [{ ...minimal.services[0], streams: [{ name: 'users', rps: 40, users: 200 }] }] });
    expect(r.ok && r.value.services[0].streams).toEqual([{ name: 'users', rps: 40, uri: '/', method: 'GET', headers: {}, users: 200 }]);
    expect(decodeConfig({ services: [{ ...minimal.services[0], streams: [{ name: 'users', rps: 40, users: 0 }] }] })).toEqual({
      ok: false, errors: ['services[0].streams[0].users: 0 is not an integer from 1 to 100000'],
    });
  });

  it('names the field, the value and the expectation for each error', () => {
    const r = decodeConfig({
      tickMs: 5,
      services: [{ namespace: 'shop', rps: 'fast' }],
      schedule: [{ atSeconds: 20, namespace: 'shop', service: 'reviews', version: 'v3', errorFracton: 0.3 }],
    });
    expect(r).toEqual({
      ok: false,
      errors: [
        'services[0].service: is required',
        'services[0].rps: "fast" is not a number from 0 to 100000',
        'tickMs: 5 is not an integer from 10 to 10000',
        'schedule[0].errorFracton: 0.3 is not a known field (expected one of namespace, service, version, atSeconds, errorFraction, p50Ms, p99Ms)',
      ],
    });
  });

  it('rejects a non-object and a services field that is not a list', () => {
    expect(decodeConfig(42)).toEqual({ ok: false, errors: ['(root): 42 is not an object'] });
    expect(decodeConfig({ services: {} })).toEqual({ ok: false, errors: ['services: {} is not a list of services'] });
  });

  it('decodes a profile change as POST /profiles takes it', () => {
    expect(decodeProfileChange({ namespace: 'shop', service: 'reviews', version: 'v2', errorFraction: 0.5 })).toEqual({
      ok: true,
      value: { namespace: 'shop', service: 'reviews', version: 'v2', errorFraction: 0.5 },
    });
    expect(decodeProfileChange({ namespace: 'shop', service: 'reviews', version: 'v2', errorFraction: 2 })).toEqual({
      ok: false,
      errors: ['errorFraction: 2 is not a number from 0 to 1'],
    });
  });
});
