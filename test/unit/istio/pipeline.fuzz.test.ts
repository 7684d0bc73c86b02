/**
 * Fuzzing the whole pure pipeline (issue 10): 10,000 TrafficShift manifests and command
 * annotations — valid, near-valid and hostile (huge, unicode, control characters, PromQL and YAML
 * injection, wrong types) — go through decode -> policy -> decide -> render. Asserted for every
 * case:
 *   - nothing throws;
 *   - every refusal names a field (a path under spec, metadata, kind or apiVersion), and every
 *     policy refusal names spec.hosts[i] or spec.gateways[i] and the flag that would allow it;
 *   - every rendered VirtualService passes routeProblems (weights integers summing to 100, every
 *     subset in the DestinationRule), routes only to the shift's own Service, never rewrites Host,
 *     and stays far below etcd's object size limit.
 * The cases are counted by outcome so the suite cannot pass vacuously.
 */
import fc from 'fast-check';
import * as E from 'fp-ts/Either';
import { formatFor } from '../../../src/api/fieldError';
import { ResolvedSpec } from '../../../src/api/spec';
import { ShiftStatus } from '../../../src/api/status';
import { decodeTrafficShift, resolveSpec } from '../../../src/api/trafficShift';
import { decide } from '../../../src/core/decide';
import { Decision, GateSample, Observations } from '../../../src/core/types';
import { hostsPolicy } from '../../../src/istio/hostsPolicy';
import { serviceFqdn } from '../../../src/istio/names';
import { render } from '../../../src/istio/render';
import { routeProblems } from '../../../src/istio/safety';
import { parseCommand } from '../../../src/kube/annotations';
import { CATALOG } from '../api/catalog';

const NS = 'shop';
const T0 = Date.parse('2026-11-20T10:00:00.000Z');

/** Values an attacker or a careless hand might write anywhere. */
const HOSTILE_TEXT = [
  '"} or vector(1) #', '{{version}}', '{{namespace}}"} or up{a="', 'a\nb: c', '- x\n- y', '&anchor *anchor', '!!python/object:os.system',
  '\u0000', '\r\n', 'x\u2028y', 'reviews\n', '*', '..', '.', 'Host', ':authority', 'HOST', 'payments.prod.svc.cluster.local', 'istio-system/ingressgateway',
  '1h'.repeat(100), '99999999999999999999h', '-1s', '1e9h', 'NaN', 'é'.repeat(300), '\ud800', '🦄'.repeat(70), ' ', '',
];
const hostileText = fc.oneof(
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

const manifestArb = fc
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

const sampleArb: fc.Arbitrary<(version: string, at: number) => GateSample | undefined> = fc.oneof(
  fc.constant(() => undefined),
  fc.record({ requests: fc.oneof(fc.nat(10_000), fc.double()), errors: fc.oneof(fc.nat(10_000), fc.double()), p99: fc.option(fc.double()) }).map(
    ({ requests, errors, p99 }) => (version: string, at: number): GateSample => ({ _tag: 'Measured', version, at, windowMs: 30_000, requests, errors, ...(p99 !== null ? { p99LatencyMs: p99 } : {}) }),
  ),
  hostileText.map((reason) => (version: string, at: number): GateSample => ({ _tag: 'Unavailable', version, at, reason })),
);

const policy = hostsPolicy({ allowedHosts: [{ namespace: NS, pattern: '*.example.com' }], allowedGateways: [{ namespace: NS, gateway: 'istio-system/public' }] });
const FIELD = /^(spec(\.|\[|$)|metadata\.|kind$|apiVersion$|\(document\)$)/;
const MAX_VS_CHARS = 1_000_000;

/** Every invariant of rendered routes; a sentence per broken one. */
const renderProblems = (spec: ResolvedSpec, decision: Decision, current: unknown): string[] => {
  if (decision.routes === undefined) return [];
  const rendered = render({ namespace: NS, name: 'reviews', uid: 'u', spec }, decision.routes, current as Parameters<typeof render>[2]);
  const problems = routeProblems(rendered.virtualService, rendered.destinationRule);
  const own = serviceFqdn(spec.service, NS);
  for (const route of rendered.virtualService.spec.http) {
    for (const d of route.route) if (d.destination.host !== own) problems.push(`routes to ${d.destination.host}`);
    const request = (route.headers as { request?: { set?: object; add?: object; remove?: string[] } } | undefined)?.request;
    const names = [...Object.keys(request?.set ?? {}), ...Object.keys(request?.add ?? {}), ...(request?.remove ?? [])];
    if (names.some((n) => n.toLowerCase() === 'host' || n.startsWith(':'))) problems.push(`rewrites Host: ${names.join(', ')}`);
  }
  const size = JSON.stringify(rendered.virtualService).length;
  if (size > MAX_VS_CHARS) problems.push(`VirtualService of ${size} characters`);
  return problems;
};

describe('decode -> policy -> decide -> render over 10,000 valid, near-valid and hostile manifests (fuzz)', () => {
  it('never throws, names the field of every refusal, and renders only safe routes to the Service itself', () => {
    const counts = { refused: 0, policyRefused: 0, policyAllowedOther: 0, decided: 0, rendered: 0, commands: 0 };
    fc.assert(
      fc.property(manifestArb, sampleArb, fc.nat(3), ({ manifest, annotations: a }, sample, readyCandidate) => {
        const decoded = decodeTrafficShift(manifest);
        if (E.isLeft(decoded)) {
          counts.refused++;
          const { namespace, name, errors } = decoded.left;
          if (errors.length === 0) throw new Error('refused without a reason');
          for (const e of errors) {
            if (!FIELD.test(e.path)) throw new Error(`refusal without a field: ${JSON.stringify(e)}`);
            const line = formatFor(namespace, name, e);
            if (!line.includes(`${e.path}: `) || e.message.length === 0) throw new Error(`refusal does not read as field: value message: ${line}`);
          }
          return;
        }
        const spec = resolveSpec(decoded.right.spec);
        const refusals = policy(NS, spec, 'reviews');
        for (const r of refusals) {
          if (!/^shop\/reviews: spec\.(hosts|gateways)\[\d+\]: .* allow it with --allow-(host|gateway)=shop=/s.test(r)) throw new Error(`policy refusal without field or flag: ${r}`);
        }
        if (refusals.length > 0) {
          counts.policyRefused++;
          return; // the daemon writes nothing for a refused spec
        }
        if (spec.hosts.some((h) => h.includes('example.com')) || spec.gateways.some((g) => g !== 'mesh')) counts.policyAllowedOther++;
        const command = parseCommand({ annotations: a, resourceVersion: '7' });
        if (command?._tag === 'Invalid' && command.reason.length === 0) throw new Error('invalid command without a reason');
        if (command !== undefined) counts.commands++;

        // Adopt the stable version, start a shift to a candidate, then reconcile with a sample and the command.
        const stable = 'v1';
        let status: ShiftStatus = {};
        let current: unknown;
        const steps: { version: string; observed: Observations; at: number }[] = [
          { version: stable, observed: { pods: { [stable]: { total: 3, ready: 3 } } }, at: T0 },
          { version: spec.version, observed: { pods: { [stable]: { total: 3, ready: 3 }, [spec.version]: { total: 3, ready: readyCandidate } }, servingReady: true }, at: T0 + 1000 },
        ];
        const gate = sample(spec.version, T0 + 120_000);
        steps.push({
          version: spec.version,
          observed: { ...steps[1]!.observed, ...(gate ? { gate } : {}), ...(command ? { command } : {}) },
          at: T0 + 120_000,
        });
        for (const step of steps) {
          const s = { ...spec, version: step.version };
          const decision = decide({ namespace: NS, name: 'reviews', generation: 1, spec: s, status }, step.observed, step.at);
          counts.decided++;
          const problems = renderProblems(s, decision, current);
          if (problems.length > 0) throw new Error(`unsafe render: ${problems.join('; ')}`);
          if (decision.routes) {
            counts.rendered++;
            const r = render({ namespace: NS, name: 'reviews', uid: 'u', spec: s }, decision.routes);
            current = { destinationRule: r.destinationRule };
          }
          status = decision.status;
        }
      }),
      { numRuns: 10_000 },
    );
    // Every kind of case is well represented, so the assertions are not vacuous.
    expect(counts.refused).toBeGreaterThan(2000);
    expect(counts.policyRefused).toBeGreaterThan(1000);
    expect(counts.policyAllowedOther).toBeGreaterThan(100);
    expect(counts.rendered).toBeGreaterThan(5000);
    expect(counts.commands).toBeGreaterThan(500);
  });
});
