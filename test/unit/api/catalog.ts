/**
 * Values for each spec field, valid and invalid, the first of each list valid. Manifests built
 * from these are judged by both the codec and the CRD (crd.property.test.ts). Cron syntax and
 * time zones are left out: only the codec can check them.
 */
const u = undefined;
export const CATALOG: Record<string, readonly unknown[]> = {
  service: ['reviews', 're-views', 'Reviews', '', 'r'.repeat(64), '-r', 7],
  version: ['v2', '1.2.0', 'V2_rc', 'v2_', '', 'v 2', u],
  hosts: [u, ['reviews'], [], [''], 'reviews', Array.from({ length: 16 }, (_, i) => `h${i}`), Array.from({ length: 17 }, (_, i) => `h${i}`), [`${'a'.repeat(63)}.`.repeat(3) + 'a'.repeat(61)], [`${'a'.repeat(63)}.`.repeat(3) + 'a'.repeat(62)], ['a'.repeat(64)], ['\u00e9'], ['*.example.com'], ['*'], ['a.*.com'], ['Reviews.Shop'], ['x y']],
  gateways: [u, ['mesh'], [], [''], ['istio-system/public'], Array.from({ length: 17 }, () => 'mesh'), ['public'], ['a/b/c'], ['Istio-System/x'], ['mesh', 'ns/gw.v1']],
  versionLabel: [u, 'version', 'app.kubernetes.io/version', 'Bad Label', 'a/b/c', '', 'service.istio.io/canonical-revision'],
  strategy: [
    { canary: { steps: [10, 20] } }, u, {}, { canary: { steps: [10, 20] } }, { canary: { steps: [20, 10] } }, { canary: { steps: [] } }, { canary: { steps: [10, 10] } },
    { canary: { steps: [0] } }, { canary: { steps: [99] } }, { canary: { steps: [1.5] } }, { canary: { steps: [10], stepInterval: '999ms' } },
    { canary: { steps: [10], stepInterval: '1s' } }, { canary: { steps: [5], extra: 1 } }, { canary: {} }, { canary: { steps: 10 } },
    { blueGreen: {} }, { blueGreen: { previewMatch: { headers: { 'x-preview': { exact: '1' } } } } }, { blueGreen: { previewMatch: { uri: {} } } },
    { blueGreen: { previewMatch: { uri: { exact: 'a', prefix: 'b' } } } }, { blueGreen: { previewMatch: { port: 0 } } },
    { blueGreen: { previewMatch: { port: 8080, ignoreUriCase: true, sourceLabels: { app: 'x' } } } }, { blueGreen: { previewMatch: { name: '' } } },
    { blueGreen: { previewMatch: { headers: { a: { regex: 'x' } }, withoutHeaders: { b: { prefix: '' } }, queryParams: { c: {} } } } },
    { blueGreen: { rollbackWindow: '0s', previewDuration: '1h30m' } }, { blueGreen: { previewDuration: '5' } }, { blueGreen: { bogus: true } },
    { blueGreen: { rollbackWindow: '576h' } }, { blueGreen: { rollbackWindow: '576h1ms' } }, { blueGreen: { previewDuration: '99999999999h' } },
    { canary: { steps: [10], stepInterval: '576h' } }, { canary: { steps: [10], stepInterval: '577h' } }, { blueGreen: { rollbackWindow: `${'0h'.repeat(15)}1m` } },
    { blueGreen: { previewMatch: { uri: { regex: 'a'.repeat(1024) } } } }, { blueGreen: { previewMatch: { uri: { regex: 'a'.repeat(1025) } } } },
    { blueGreen: { previewMatch: { headers: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`h${i}`, { exact: '1' }])) } } },
    { blueGreen: { previewMatch: { headers: { ['h'.repeat(129)]: { exact: '1' } } } } }, { blueGreen: { previewMatch: { sourceNamespace: 'Bad_NS' } } },
    { canary: { steps: [1] }, blueGreen: {} },
  ],
  analysis: [
    u, {}, { interval: '1s' }, { interval: '900ms' }, { interval: '20m' }, { interval: '10m' }, { maxErrorRate: 0 }, { maxErrorRate: 1.5 },
    { maxErrorRate: '0.1' }, { minRequests: 0 }, { minRequests: 2.5 }, { failureThreshold: 101 }, { failureThreshold: 1 }, { noData: 'fail' },
    { noData: 'skip' }, { maxP99LatencyMs: 0.5 }, { maxP99LatencyMs: 250.5 }, { prometheus: { url: 'http://prometheus:9090' } },
    { prometheus: {} }, { interval: '24h' }, { interval: '24h1s' }, { prometheus: { url: 'h'.repeat(2049) } }, { query: { requests: 'a'.repeat(4097), errors: 'b' } }, { query: { requests: 'a', errors: 'b' } }, { query: { requests: 'a' } }, { query: { requests: 'a', errors: 'b', p99LatencyMs: '' } },
  ],
  manualPromotion: [u, true, false, 'yes'],
  progressDeadline: [u, '10m', '5s', '30s', '0s', '1h', 'soon', '576h', '577h'],
  route: [
    u, {}, { timeout: '0s' }, { timeout: '1ms' }, { retries: { attempts: 2 } }, { retries: 'x' }, { match: [{ uri: { prefix: '/' } }] },
    { match: [{ bogus: 1 }] }, { match: {} }, { match: [] }, { headers: { request: { set: { a: 'b' } } } }, { corsPolicy: { allowOrigins: [] } },
    { timeout: '24h' }, { timeout: '24h1ms' }, { match: Array.from({ length: 8 }, () => ({ uri: { prefix: '/' } })) }, { match: Array.from({ length: 9 }, () => ({ uri: { prefix: '/' } })) },
    { headers: { request: { set: { Host: 'x' } } } }, { headers: { request: { add: { ':authority': 'x' } } } }, { headers: { request: { remove: ['host'] } } },
    { headers: { response: { set: { Host: 'x' } } } }, { headers: { response: { set: { 'x-a': 'b\nc' } } } }, { headers: { request: { set: { 'bad name': 'x' } } } },
    { headers: { request: { remove: Array.from({ length: 17 }, (_, i) => `x-${i}`) } } }, { headers: { bogus: {} } }, { headers: 'x' },
    { retries: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 1])) },
  ],
  schedule: [
    u, {}, { timeZone: 'Europe/Berlin', start: '0 2 * * 1-5' }, { windows: [{ days: ['Mon'], from: '02:00', to: '05:00' }] },
    { windows: [{ days: [], from: '02:00', to: '05:00' }] }, { windows: [{ days: ['Mon'], from: '02:00', to: '02:00' }] },
    { windows: [{ days: ['Monday'], from: '02:00', to: '05:00' }] }, { windows: [{ days: ['Sun'], from: '23:00', to: '01:00' }] },
    { windows: [{ days: ['Mon'], from: '2:00', to: '05:00' }] }, { windows: [{ days: ['Mon'], from: '02:00' }] }, { start: '' }, { timeZone: '' },
    { windows: Array.from({ length: 33 }, () => ({ days: ['Mon'], from: '02:00', to: '05:00' })) }, { timeZone: 'x'.repeat(65) },
    { windows: [{ days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun', 'Mon'], from: '02:00', to: '05:00' }] },
  ],
  adopt: [u, false, true, 1],
  unknownField: [u, u, u, 1],
};
