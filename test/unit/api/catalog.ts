/**
 * Values for each spec field, valid and invalid, the first of each list valid. Manifests built
 * from these are judged by both the codec and the CRD (crd.property.test.ts). Cron syntax and
 * time zones are left out: only the codec can check them.
 */
const u = undefined;
export const CATALOG: Record<string, readonly unknown[]> = {
  service: ['reviews', 're-views', 'Reviews', '', 'r'.repeat(64), '-r', 7],
  version: ['v2', '1.2.0', 'V2_rc', 'v2_', '', 'v 2', u],
  hosts: [u, ['reviews'], [], [''], 'reviews'],
  gateways: [u, ['mesh'], [], [''], ['istio-system/public']],
  versionLabel: [u, 'version', 'app.kubernetes.io/version', 'Bad Label', 'a/b/c', ''],
  strategy: [
    { canary: { steps: [10, 20] } }, u, {}, { canary: { steps: [10, 20] } }, { canary: { steps: [20, 10] } }, { canary: { steps: [] } }, { canary: { steps: [10, 10] } },
    { canary: { steps: [0] } }, { canary: { steps: [99] } }, { canary: { steps: [1.5] } }, { canary: { steps: [10], stepInterval: '999ms' } },
    { canary: { steps: [10], stepInterval: '1s' } }, { canary: { steps: [5], extra: 1 } }, { canary: {} }, { canary: { steps: 10 } },
    { blueGreen: {} }, { blueGreen: { previewMatch: { headers: { 'x-preview': { exact: '1' } } } } }, { blueGreen: { previewMatch: { uri: {} } } },
    { blueGreen: { previewMatch: { uri: { exact: 'a', prefix: 'b' } } } }, { blueGreen: { previewMatch: { port: 0 } } },
    { blueGreen: { previewMatch: { port: 8080, ignoreUriCase: true, sourceLabels: { app: 'x' } } } }, { blueGreen: { previewMatch: { name: '' } } },
    { blueGreen: { previewMatch: { headers: { a: { regex: 'x' } }, withoutHeaders: { b: { prefix: '' } }, queryParams: { c: {} } } } },
    { blueGreen: { rollbackWindow: '0s', previewDuration: '1h30m' } }, { blueGreen: { previewDuration: '5' } }, { blueGreen: { bogus: true } },
    { canary: { steps: [1] }, blueGreen: {} },
  ],
  analysis: [
    u, {}, { interval: '1s' }, { interval: '900ms' }, { interval: '20m' }, { interval: '10m' }, { maxErrorRate: 0 }, { maxErrorRate: 1.5 },
    { maxErrorRate: '0.1' }, { minRequests: 0 }, { minRequests: 2.5 }, { failureThreshold: 101 }, { failureThreshold: 1 }, { noData: 'fail' },
    { noData: 'skip' }, { maxP99LatencyMs: 0.5 }, { maxP99LatencyMs: 250.5 }, { prometheus: { url: 'http://prometheus:9090' } },
    { prometheus: {} }, { query: { requests: 'a', errors: 'b' } }, { query: { requests: 'a' } }, { query: { requests: 'a', errors: 'b', p99LatencyMs: '' } },
  ],
  manualPromotion: [u, true, false, 'yes'],
  progressDeadline: [u, '10m', '5s', '30s', '0s', '1h', 'soon'],
  route: [
    u, {}, { timeout: '0s' }, { timeout: '1ms' }, { retries: { attempts: 2 } }, { retries: 'x' }, { match: [{ uri: { prefix: '/' } }] },
    { match: [{ bogus: 1 }] }, { match: {} }, { match: [] }, { headers: { request: { set: { a: 'b' } } } }, { corsPolicy: { allowOrigins: [] } },
  ],
  schedule: [
    u, {}, { timeZone: 'Europe/Berlin', start: '0 2 * * 1-5' }, { windows: [{ days: ['Mon'], from: '02:00', to: '05:00' }] },
    { windows: [{ days: [], from: '02:00', to: '05:00' }] }, { windows: [{ days: ['Mon'], from: '02:00', to: '02:00' }] },
    { windows: [{ days: ['Monday'], from: '02:00', to: '05:00' }] }, { windows: [{ days: ['Sun'], from: '23:00', to: '01:00' }] },
    { windows: [{ days: ['Mon'], from: '2:00', to: '05:00' }] }, { windows: [{ days: ['Mon'], from: '02:00' }] }, { start: '' }, { timeZone: '' },
  ],
  adopt: [u, false, true, 1],
  unknownField: [u, u, u, 1],
};
