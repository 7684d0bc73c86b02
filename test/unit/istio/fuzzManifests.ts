/**
 * Generators of TrafficShift manifests and command annotations for the fuzz suites (issue 10):
 * valid bases with up to three fields replaced by catalog values or hostile ones (huge, unicode,
 * control characters, PromQL and YAML injection, wrong types), tenants' attempts at other hosts and
 * gateways, and now and then a whole document that is not a manifest at all.
 * Used by test/unit/istio/pipeline.fuzz.test.ts and test/integration/crd.test.ts.
 */
import fc from 'fast-check';
import { CATALOG } from '../api/catalog';

export const NS = 'shop';

/** Values an attacker or a careless hand might write anywhere. */
const HOSTILE_TEXT = [
  '"} or vector(1) #', '{{version}}', '{{namespace}}"} or up{a="', 'a\nb: c', '- x\n- y', '&anchor *anchor', '!!python/object:os.system',
  '\u0000', '\r\n', 'x\u2028y', 'reviews\n', '*', '..', '.', 'Host', ':authority', 'HOST', 'payments.prod.svc.cluster.local', 'istio-system/ingressgateway',
  '1h'.repeat(100), '99999999999999999999h', '-1s', '1e9h', 'NaN', 'é'.repeat(300), '\ud800', '🦄'.repeat(70), ' ', '',
];
export const hostileText = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_TEXT) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 254, max: 20_000 }).map((n) => 'a'.repeat(n)) },
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileText },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, true, 0, -1, 1.5, 1e308, Number.MAX_SAFE_INTEGER, [], {}, [''], { '': '' }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(hostileText, { maxLength: 20 }) },
  { weight: 1, arbitrary: fc.dictionary(hostileText, hostileText, { maxKeys: 20 }) },
);

/** Where a mutation may land: every spec field and the nested ones the codecs type. */
const PATHS = [
  'service', 'version', 'hosts', 'gateways', 'versionLabel', 'strategy', 'strategy.canary.steps', 'strategy.canary.stepInterval',
  'strategy.blueGreen.previewMatch', 'strategy.blueGreen.previewMatch.headers', 'strategy.blueGreen.rollbackWindow', 'analysis', 'analysis.interval',
  'analysis.maxErrorRate', 'analysis.minRequests', 'analysis.query', 'analysis.query.requests', 'analysis.prometheus.url', 'manualPromotion',
  'progressDeadline', 'route', 'route.timeout', 'route.retries', 'route.headers', 'route.headers.request.set', 'route.headers.request.remove',
  'route.corsPolicy', 'route.match', 'schedule', 'schedule.start', 'schedule.timeZone', 'schedule.windows', 'adopt', 'bogus',
  'strategy.canary.sessionAffinity', 'strategy.canary.sessionAffinity.cookieName', 'strategy.canary.sessionAffinity.maxAge',
] as const;

const setPath = (obj: Record<string, unknown>, path: string, value: unknown): void => {
  const keys = path.split('.');
  let at: Record<string, unknown> = obj;
  for (const k of keys.slice(0, -1)) {
    const next = at[k];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) at[k] = {};
    at = at[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete at[last];
  else at[last] = value;
};

const BASES: readonly Record<string, unknown>[] = [
  { service: 'reviews', version: 'v2', strategy: { canary: { steps: [10, 50] } } },
  { service: 'reviews', version: 'v2', hosts: ['reviews', 'reviews.shop.svc.cluster.local'], strategy: { canary: { steps: [5, 25, 50], stepInterval: '30s' } }, route: { match: [{ uri: { prefix: '/' } }], headers: { request: { set: { 'x-a': 'b' } } } } },
  { service: 'reviews', version: 'v2', strategy: { blueGreen: { previewMatch: { headers: { 'x-preview': { exact: 'true' } } }, previewDuration: '1m' } }, route: { match: [{ uri: { prefix: '/api' } }, { uri: { prefix: '/v2' } }] } },
  { service: 'reviews', version: 'v2.1_rc', strategy: { canary: { steps: [20, 60], sessionAffinity: { cookieName: 'reviews-canary', maxAge: '2h' } } }, route: { match: [{ uri: { prefix: '/api' } }] } },
  { service: 'reviews', version: 'V2_rc.1', versionLabel: 'app.kubernetes.io/version', strategy: { canary: { steps: [50] } }, analysis: { query: { requests: 'sum(a{v="{{version}}"})', errors: 'sum(b)' } } },
];

const mutation = fc.tuple(
  fc.constantFrom(...PATHS),
  fc.oneof(
    { weight: 2, arbitrary: hostileValue },
    { weight: 2, arbitrary: fc.constantFrom(...Object.values(CATALOG).flat()) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ),
);

/** Hosts and gateways a tenant might try: other Services, wildcards, ingress gateways, and allowed ones. */
const HOSTS = ['reviews', 'reviews.shop', 'REVIEWS.shop.svc', 'ratings', 'reviews.other', 'payments.prod.svc.cluster.local', '*', '*.shop.svc.cluster.local', 'www.example.com', '*.api.example.com', 'example.com'];
const GATEWAYS = ['mesh', 'istio-system/ingressgateway', 'public', 'istio-system/public', 'shop/public'];
const routing = fc.record(
  { hosts: fc.array(fc.constantFrom(...HOSTS), { minLength: 1, maxLength: 4 }), gateways: fc.array(fc.constantFrom(...GATEWAYS), { minLength: 1, maxLength: 3 }) },
  { requiredKeys: [] },
);

const COMMAND_KEYS = ['sluice.dev/command', 'sluice.dev/set-weight', 'sluice.dev/shift-to', 'sluice.dev/by', 'sluice.dev/command-id'] as const;
const annotations = fc.dictionary(
  fc.constantFrom(...COMMAND_KEYS),
  fc.oneof(fc.constantFrom('promote', 'abort', 'pause', 'resume', 'retry', 'set-weight', '50', '100', '101', 'v3', 'alice'), hostileText),
  { maxKeys: 3 },
);

/** A manifest (usually a TrafficShift in shop) and the annotations on it. */
export const manifestArb = fc
  .record({
    base: fc.constantFrom(...BASES),
    mutations: fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, { weight: 3, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) }),
    routing: fc.option(routing, { freq: 3 }),
    annotations,
    name: fc.oneof({ weight: 9, arbitrary: fc.constant('reviews') }, { weight: 1, arbitrary: hostileText }),
    whole: fc.oneof({ weight: 30, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: hostileValue }),
  })
  .map(({ base, mutations, routing: r, annotations: a, name, whole }) => {
    if (whole !== undefined) return { manifest: whole, annotations: a };
    const spec = { ...structuredClone(base), ...r } as Record<string, unknown>;
    for (const [path, value] of mutations) setPath(spec, path, structuredClone(value)); // never mutate shared catalog values
    return { manifest: { apiVersion: 'sluice.dev/v1alpha1', kind: 'TrafficShift', metadata: { name, namespace: NS, annotations: a }, spec }, annotations: a };
  });
