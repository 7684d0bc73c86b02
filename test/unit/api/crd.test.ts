import * as E from 'fp-ts/Either';
import { decodeTrafficShift, resolveSpec } from '../../../src/api/trafficShift';
import { applyDefaults, structuralProblems } from './structural';
import { CEL, codecErrors, crd, crdErrors, manifest, minimalCanary, minimalCanaryDefaulted, sampleDocuments, sampleShifts, schema } from './fixtures';

const resolved = (m: unknown) => {
  const d = decodeTrafficShift(m);
  if (E.isLeft(d)) throw new Error(JSON.stringify(d.left));
  return resolveSpec(d.right.spec);
};

describe('the TrafficShift CRD', () => {
  it('defines sluice.dev/v1alpha1 TrafficShift, namespaced, short name ts, with a status subresource', () => {
    expect(crd.metadata.name).toBe('trafficshifts.sluice.dev');
    expect(crd.spec).toMatchObject({ group: 'sluice.dev', scope: 'Namespaced', names: { kind: 'TrafficShift', plural: 'trafficshifts', shortNames: ['ts'] } });
    expect(crd.spec.versions).toHaveLength(1);
    expect(crd.spec.versions[0]).toMatchObject({ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } });
  });

  it('prints Service, Stable, Candidate, Weight, Phase and Age', () => {
    expect(crd.spec.versions[0].additionalPrinterColumns.map((c: { name: string; jsonPath: string }) => `${c.name}=${c.jsonPath}`)).toEqual([
      'Service=.spec.service', 'Stable=.status.stableVersion', 'Candidate=.status.candidateVersion',
      'Weight=.status.weights.candidate', 'Phase=.status.phase', 'Age=.metadata.creationTimestamp',
    ]);
  });

  it('has a structural schema whose defaults validate and whose CEL rules all have a tested meaning', () => {
    expect(structuralProblems(schema, CEL)).toEqual([]);
  });

  it('fills the same defaults resolveSpec does', () => {
    const defaulted = applyDefaults(schema, manifest(minimalCanary)) as { spec: unknown };
    expect(defaulted.spec).toEqual(minimalCanaryDefaulted);
    const blueGreen = applyDefaults(schema, manifest({ ...minimalCanary, strategy: { blueGreen: {} }, schedule: {} })) as { spec: Record<string, unknown> };
    expect(blueGreen.spec.strategy).toEqual({ blueGreen: { previewDuration: '0s', rollbackWindow: '10m' } });
    const mirrored = applyDefaults(schema, manifest({ ...minimalCanary, strategy: { canary: { steps: [10], mirror: { iterations: 3 } } } })) as { spec: Record<string, unknown> };
    expect(mirrored.spec.strategy).toEqual({ canary: { steps: [10], stepInterval: '1m', mirror: { iterations: 3, percentage: 100 } } });
    expect(resolved(mirrored)).toEqual(resolved(manifest({ ...minimalCanary, strategy: { canary: { steps: [10], mirror: { iterations: 3 } } } })));
    expect(resolved(mirrored).strategy).toMatchObject({ mirror: { percentage: 100, iterations: 3 } });
    expect(blueGreen.spec.schedule).toEqual({ timeZone: 'UTC' });
  });
});

describe('the samples', () => {
  it('are all readable, and the TrafficShifts are A/B, canary (sticky and mirrored too), blue-green, TCP canary, Gateway API (mesh canary, ingress blue-green), hooks, manual, scheduled and user routes', () => {
    expect(sampleShifts().map((s) => s.file)).toEqual(['ab-test.yaml', 'blue-green.yaml', 'canary-mirror.yaml', 'canary-sticky.yaml', 'canary-tcp.yaml', 'canary.yaml', 'gateway-api-canary.yaml', 'gateway-api-ingress.yaml', 'hooks-and-notifications.yaml', 'manual-promotion.yaml', 'scheduled-canary.yaml', 'user-routes.yaml']);
    expect(sampleDocuments().filter((d) => d.file === 'app.yaml').map((d) => `${d.doc.kind}`)).toEqual(['Namespace', 'Service', 'Deployment', 'Deployment']);
  });

  it.each(sampleShifts().map((s) => [s.file, s.doc] as const))('%s decodes with the codec and validates against the CRD', (_file, doc) => {
    expect(codecErrors(doc)).toEqual([]);
    expect(crdErrors(doc)).toEqual([]);
  });

  it.each(sampleShifts().map((s) => [s.file, s.doc] as const))('%s resolves the same before and after the API server fills defaults', (_file, doc) => {
    expect(resolved(applyDefaults(schema, doc))).toEqual(resolved(doc));
  });
});

/** Broken manifests: each is refused by the CRD and by the codec, with exactly this text. */
const broken: [string, Record<string, unknown>, string[]][] = [
  ['steps out of order', { ...minimalCanary, strategy: { canary: { steps: [10, 50, 40] } } },
    ['shop/reviews: spec.strategy.canary.steps[2]: 40 is not greater than the previous step 50']],
  ['a repeated step', { ...minimalCanary, strategy: { canary: { steps: [10, 10] } } },
    ['shop/reviews: spec.strategy.canary.steps[1]: 10 is not greater than the previous step 10']],
  ['a step of 100', { ...minimalCanary, strategy: { canary: { steps: [50, 100] } } },
    ['shop/reviews: spec.strategy.canary.steps[1]: 100 is not an integer from 1 to 99']],
  ['no steps', { ...minimalCanary, strategy: { canary: { steps: [] } } },
    ['shop/reviews: spec.strategy.canary.steps: [] is empty; expected at least one step']],
  ['both strategies', { ...minimalCanary, strategy: { canary: { steps: [10] }, blueGreen: {} } },
    ['shop/reviews: spec.strategy: {"canary":{"steps":[10]},"blueGreen":{}} has canary and blueGreen; expected exactly one of canary, blueGreen, abTest']],
  ['no strategy', { ...minimalCanary, strategy: {} },
    ['shop/reviews: spec.strategy: {} has none; expected exactly one of canary, blueGreen, abTest']],
  ['a Service name with capitals', { ...minimalCanary, service: 'Reviews' },
    ['shop/reviews: spec.service: "Reviews" is not a valid name (expected lower-case letters, digits and "-", at most 63 characters)']],
  ['no version', { service: 'reviews', strategy: minimalCanary.strategy },
    ['shop/reviews: spec.version: (missing) is required']],
  ['a misspelt field', { ...minimalCanary, stepInterval: '1m' },
    ['shop/reviews: spec.stepInterval: "1m" is not a known field (known: service, version, strategy, hosts, gateways, versionLabel, analysis, manualPromotion, progressDeadline, route, schedule, adopt, hooks, notify, routing, protocol, routes)']],
  ['an error rate above 1', { ...minimalCanary, analysis: { maxErrorRate: 5 } },
    ['shop/reviews: spec.analysis.maxErrorRate: 5 is not a number from 0 to 1']],
  // The sequential gate (issue 11).
  ['an unknown gate method', { ...minimalCanary, analysis: { method: 'bayesian' } },
    ['shop/reviews: spec.analysis.method: "bayesian" is not one of threshold, sequential']],
  ['a false-failure rate of 0', { ...minimalCanary, analysis: { method: 'sequential', falseFailureRate: 0 } },
    ['shop/reviews: spec.analysis.falseFailureRate: 0 is not a number greater than 0 and less than 0.5']],
  ['a false-failure rate of 0.5', { ...minimalCanary, analysis: { method: 'sequential', falseFailureRate: 0.5 } },
    ['shop/reviews: spec.analysis.falseFailureRate: 0.5 is not a number greater than 0 and less than 0.5']],
  ['compareTo a version other than stable', { ...minimalCanary, analysis: { compareTo: 'v1' } },
    ['shop/reviews: spec.analysis.compareTo: "v1" is not one of stable']],
  ['noData fail with the sequential method', { ...minimalCanary, analysis: { method: 'sequential', noData: 'fail' } },
    ['shop/reviews: spec.analysis.noData: "fail" cannot be used with method sequential, which never counts missing data as evidence of failure; expected "hold" (the default), or method "threshold" to keep noData "fail"']],
  ['noData fail with the default method (sequential)', { ...minimalCanary, analysis: { noData: 'fail' } },
    ['shop/reviews: spec.analysis.noData: "fail" cannot be used with method sequential (the default), which never counts missing data as evidence of failure; expected "hold" (the default), or method "threshold" to keep noData "fail"']],
  ['compareTo with query templates', { ...minimalCanary, analysis: { compareTo: 'stable', query: { requests: 'sum(x)', errors: 'sum(y)' } } },
    ['shop/reviews: spec.analysis.compareTo: "stable" needs the built-in queries (the stable version is read from the same answer); expected no compareTo, or no analysis.query']],
  ['a step interval under a second', { ...minimalCanary, strategy: { canary: { steps: [10], stepInterval: '500ms' } } },
    ['shop/reviews: spec.strategy.canary.stepInterval: "500ms" is not a duration from 1s to 576h (expected e.g. "30s", "1m", "1h30m")']],
  ['a duration in days', { ...minimalCanary, analysis: { interval: '1d' } },
    ['shop/reviews: spec.analysis.interval: "1d" is not a duration from 1s to 24h (expected e.g. "30s", "1m", "1h30m")']],
  ['an unknown noData word', { ...minimalCanary, analysis: { noData: 'skip' } },
    ['shop/reviews: spec.analysis.noData: "skip" is not one of hold, fail']],
  ['a deadline shorter than the default interval', { ...minimalCanary, progressDeadline: '10s' },
    ['shop/reviews: spec.progressDeadline: "10s" is shorter than spec.analysis.interval 30s (the default); expected at least one gate interval']],
  ['an interval longer than the default deadline', { ...minimalCanary, analysis: { interval: '20m' } },
    ['shop/reviews: spec.analysis.interval: "20m" is longer than spec.progressDeadline 10m (the default); expected at most the progress deadline']],
  ['a preview match with two string matches', { ...minimalCanary, strategy: { blueGreen: { previewMatch: { uri: { exact: '/a', prefix: '/' } } } } },
    ['shop/reviews: spec.strategy.blueGreen.previewMatch.uri: {"exact":"/a","prefix":"/"} has exact and prefix; expected exactly one of exact, prefix, regex']],
  ['a zero route timeout', { ...minimalCanary, route: { timeout: '0s' } },
    ['shop/reviews: spec.route.timeout: "0s" is not a duration from 1ms to 24h (expected e.g. "30s", "1m", "1h30m")']],
  ['a window without days', { ...minimalCanary, schedule: { windows: [{ days: [], from: '02:00', to: '05:00' }] } },
    ['shop/reviews: spec.schedule.windows[0].days: [] is empty; expected at least one day']],
  ['a window of no length', { ...minimalCanary, schedule: { windows: [{ days: ['Mon'], from: '02:00', to: '02:00' }] } },
    ['shop/reviews: spec.schedule.windows[0].to: "02:00" equals from; expected a window of some length']],
  // Sticky canary (issue 13): the cookie name is an RFC 6265 token, maxAge a duration.
  ['a cookie name with a space', { ...minimalCanary, strategy: { canary: { steps: [10], sessionAffinity: { cookieName: 'my cookie' } } } },
    ['shop/reviews: spec.strategy.canary.sessionAffinity.cookieName: "my cookie" is not a cookie name (expected an RFC 6265 token of 1 to 64 letters, digits and !#$%&\'*+.^_`|~-, not starting with __Secure- or __Host-)']],
  ['a cookie name with the __Host- prefix', { ...minimalCanary, strategy: { canary: { steps: [10], sessionAffinity: { cookieName: '__Host-canary' } } } },
    ['shop/reviews: spec.strategy.canary.sessionAffinity.cookieName: "__Host-canary" is not a cookie name (expected an RFC 6265 token of 1 to 64 letters, digits and !#$%&\'*+.^_`|~-, not starting with __Secure- or __Host-)']],
  ['a session maxAge of 0s', { ...minimalCanary, strategy: { canary: { steps: [10], sessionAffinity: { cookieName: 'canary', maxAge: '0s' } } } },
    ['shop/reviews: spec.strategy.canary.sessionAffinity.maxAge: "0s" is not a duration from 1s to 576h (expected e.g. "30s", "1m", "1h30m")']],
  ['a session maxAge in days', { ...minimalCanary, strategy: { canary: { steps: [10], sessionAffinity: { cookieName: 'canary', maxAge: '7d' } } } },
    ['shop/reviews: spec.strategy.canary.sessionAffinity.maxAge: "7d" is not a duration from 1s to 576h (expected e.g. "30s", "1m", "1h30m")']],
  ['session affinity without a cookie name', { ...minimalCanary, strategy: { canary: { steps: [10], sessionAffinity: { maxAge: '1h' } } } },
    ['shop/reviews: spec.strategy.canary.sessionAffinity.cookieName: (missing) is required']],
  // Upper bounds of durations (issue 9 #7): no timer may exceed setTimeout's 2^31-1 ms.
  ['a gate interval over 24h', { ...minimalCanary, analysis: { interval: '597h' }, progressDeadline: '576h' },
    ['shop/reviews: spec.analysis.interval: "597h" is not a duration from 1s to 24h (expected e.g. "30s", "1m", "1h30m")']],
  ['a rollback window over 576h', { ...minimalCanary, strategy: { blueGreen: { rollbackWindow: '100000000h' } } },
    ['shop/reviews: spec.strategy.blueGreen.rollbackWindow: "100000000h" is not a duration of at most 576h (expected e.g. "30s", "1m", "1h30m")']],
  ['a preview over 576h', { ...minimalCanary, strategy: { blueGreen: { previewDuration: '577h' } } },
    ['shop/reviews: spec.strategy.blueGreen.previewDuration: "577h" is not a duration of at most 576h (expected e.g. "30s", "1m", "1h30m")']],
  ['a step interval over 576h', { ...minimalCanary, strategy: { canary: { steps: [10], stepInterval: '576h1ms' } } },
    ['shop/reviews: spec.strategy.canary.stepInterval: "576h1ms" is not a duration from 1s to 576h (expected e.g. "30s", "1m", "1h30m")']],
  ['a progress deadline over 576h', { ...minimalCanary, progressDeadline: '1000h' },
    ['shop/reviews: spec.progressDeadline: "1000h" is not a duration from 1s to 576h (expected e.g. "30s", "1m", "1h30m")']],
  ['a route timeout over 24h', { ...minimalCanary, route: { timeout: '25h' } },
    ['shop/reviews: spec.route.timeout: "25h" is not a duration from 1ms to 24h (expected e.g. "30s", "1m", "1h30m")']],
  ['a duration written too long', { ...minimalCanary, progressDeadline: '0h'.repeat(20) + '10m' },
    [`shop/reviews: spec.progressDeadline: "${'0h'.repeat(20)}10m" is not a duration from 1s to 576h (expected e.g. "30s", "1m", "1h30m")`]],
  // Sizes (issue 9 #13): nothing in the spec can grow the VirtualService or the status without bound.
  ['17 hosts', { ...minimalCanary, hosts: Array.from({ length: 17 }, (_, i) => `h${i}.example.com`) },
    ['shop/reviews: spec.hosts: ["h0.example.com","h1.example.com","h2.example.com","h3.e... has 17 items; expected at most 16']],
  ['a host of 254 characters', { ...minimalCanary, hosts: [`${'a'.repeat(63)}.`.repeat(3) + 'a'.repeat(62)] },
    [`shop/reviews: spec.hosts[0]: "${`${'a'.repeat(63)}.`.repeat(3)}${'a'.repeat(62)}" is not a host name (expected e.g. "reviews", "reviews.shop.svc.cluster.local" or "*.example.com", at most 253 characters)`]],
  ['a host with a space', { ...minimalCanary, hosts: ['x y'] },
    ['shop/reviews: spec.hosts[0]: "x y" is not a host name (expected e.g. "reviews", "reviews.shop.svc.cluster.local" or "*.example.com", at most 253 characters)']],
  ['a gateway with two slashes', { ...minimalCanary, gateways: ['a/b/c'] },
    ['shop/reviews: spec.gateways[0]: "a/b/c" is not a gateway (expected "mesh", "<name>" or "<namespace>/<name>", at most 317 characters)']],
  ['9 route matches', { ...minimalCanary, route: { match: Array.from({ length: 9 }, () => ({ uri: { prefix: '/' } })) } },
    ['shop/reviews: spec.route.match: [{"uri":{"prefix":"/"}},{"uri":{"prefix":"/"}},{"uri":{"p... has 9 items; expected at most 8']],
  ['a match on 9 headers', { ...minimalCanary, route: { match: [{ headers: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`x-h${i}`, { exact: '1' }])) }] } },
    ['shop/reviews: spec.route.match[0].headers: {"x-h0":{"exact":"1"},"x-h1":{"exact":"1"},"x-h2":{"exact... has 9 keys; expected at most 8']],
  ['a regex of 1025 characters', { ...minimalCanary, strategy: { blueGreen: { previewMatch: { uri: { regex: 'a'.repeat(1025) } } } } },
    [`shop/reviews: spec.strategy.blueGreen.previewMatch.uri.regex: "${'a'.repeat(1025)}" is not a string of at most 1024 characters`]],
  ['a query template of 4097 characters', { ...minimalCanary, analysis: { query: { requests: 'x'.repeat(4097), errors: 'y' } } },
    [`shop/reviews: spec.analysis.query.requests: "${'x'.repeat(4097)}" is not a non-empty string of at most 4096 characters`]],
  ['33 schedule windows', { ...minimalCanary, schedule: { windows: Array.from({ length: 33 }, () => ({ days: ['Mon'], from: '02:00', to: '05:00' })) } },
    ['shop/reviews: spec.schedule.windows: [{"days":["Mon"],"from":"02:00","to":"05:00"},{"days":["M... has 33 items; expected at most 32']],
  // Header operations (issue 10 #1): typed, bounded, and never Host.
  ['a request header operation on Host', { ...minimalCanary, route: { headers: { request: { set: { Host: 'payments.prod.svc.cluster.local' } } } } },
    ["shop/reviews: spec.route.headers.request.set: \"Host\" is not an HTTP header name other than Host (expected letters, digits and !#$%&'*+.^_`|~-; Host is not changed by sluice)"]],
  ['a request header operation on :authority', { ...minimalCanary, route: { headers: { request: { add: { ':authority': 'payments' } } } } },
    ["shop/reviews: spec.route.headers.request.add: \":authority\" is not an HTTP header name other than Host (expected letters, digits and !#$%&'*+.^_`|~-; Host is not changed by sluice)"]],
  ['removing Host', { ...minimalCanary, route: { headers: { request: { remove: ['HOST'] } } } },
    ['shop/reviews: spec.route.headers.request.remove: "HOST" is Host, which sluice does not change']],
  ['a header value with a line break', { ...minimalCanary, route: { headers: { response: { set: { 'x-a': 'b\r\nx-b: c' } } } } },
    ['shop/reviews: spec.route.headers.response.set.x-a: "b\\r\\nx-b: c" is not a header value (expected at most 4096 characters, no control characters)']],
  ['an unknown header operation', { ...minimalCanary, route: { headers: { request: { rewrite: {} } } } },
    ['shop/reviews: spec.route.headers.request.rewrite: {} is not a known field (known: set, add, remove)']],
  // versionLabel (issue 9 #15): the built-in queries see only what Istio reports as destination_version.
  ['a versionLabel Istio does not report, with the built-in queries', { ...minimalCanary, versionLabel: 'app.kubernetes.io/version' },
    ['shop/reviews: spec.versionLabel: "app.kubernetes.io/version" is not a label Istio reports as destination_version, which the built-in queries select the candidate by (Istio takes it from the pod label "version" only); expected "version", or spec.analysis.query with queries that select the candidate otherwise']],
  // A/B test (issue 13): the requests that reach the candidate, and how long the gate judges it.
  ['an A/B test without matches', { ...minimalCanary, strategy: { abTest: { match: [], iterations: 5 } } },
    ['shop/reviews: spec.strategy.abTest.match: [] is empty; expected at least one HTTP match (the requests that reach the candidate)']],
  ['an A/B test without iterations', { ...minimalCanary, strategy: { abTest: { match: [{ headers: { 'x-beta': { exact: 'true' } } }] } } },
    ['shop/reviews: spec.strategy.abTest.iterations: (missing) is required']],
  ['an A/B test of 0 iterations', { ...minimalCanary, strategy: { abTest: { match: [{ headers: { cookie: { regex: '.*beta=1.*' } } }], iterations: 0 } } },
    ['shop/reviews: spec.strategy.abTest.iterations: 0 is not an integer from 1 to 1000']],
  ['an A/B match on an unknown field', { ...minimalCanary, strategy: { abTest: { match: [{ cookie: { exact: 'beta' } }], iterations: 3 } } },
    ['shop/reviews: spec.strategy.abTest.match[0].cookie: {"exact":"beta"} is not a known field (known: name, uri, method, authority, headers, queryParams, withoutHeaders, ignoreUriCase, port, sourceLabels, sourceNamespace)']],
  ['an A/B test beside a canary', { ...minimalCanary, strategy: { canary: { steps: [10] }, abTest: { match: [{ method: { exact: 'GET' } }], iterations: 3 } } },
    ['shop/reviews: spec.strategy: {"canary":{"steps":[10]},"abTest":{"match":[{"method":{"e... has canary and abTest; expected exactly one of canary, blueGreen, abTest']],
  // spec.routes (issue 13): user routes sluice keeps around its own.
  ['a user route naming a subset', { ...minimalCanary, routes: { before: [{ match: [{ headers: { 'x-chaos': { exact: '1' } } }], route: [{ destination: { host: 'reviews', subset: 'v1' } }] }] } },
    ["shop/reviews: spec.routes.before[0].route[0].destination.subset: \"v1\" is refused: sluice owns the subsets of the Service it routes and removes them as versions leave, and cannot keep another Service's subsets alive; expected no subset (a destination naming the routed Service gets the split of sluice's primary route)"]],
  ['a user route with both route and redirect', { ...minimalCanary, routes: { before: [{ match: [{ uri: { prefix: '/old' } }], redirect: { uri: '/new' }, route: [{ destination: { host: 'reviews' } }] }] } },
    ['shop/reviews: spec.routes.before[0]: {"match":[{"uri":{"prefix":"/old"}}],"redirect":{"uri":"/... has route and redirect; expected exactly one of route, redirect, directResponse']],
  ['a user route with neither route, redirect nor directResponse', { ...minimalCanary, routes: { before: [{ match: [{ uri: { prefix: '/old' } }], fault: { abort: { httpStatus: 503 } } }] } },
    ['shop/reviews: spec.routes.before[0]: {"match":[{"uri":{"prefix":"/old"}}],"fault":{"abort":{"h... has none; expected exactly one of route, redirect, directResponse']],
  ['user route weights summing to 90', { ...minimalCanary, routes: { before: [{ match: [{ uri: { prefix: '/beta' } }], route: [{ destination: { host: 'reviews' }, weight: 80 }, { destination: { host: 'ratings' }, weight: 10 }] }] } },
    ['shop/reviews: spec.routes.before[0].route: [80,10] has weights summing to 90; expected 100']],
  ['a user route named primary', { ...minimalCanary, routes: { before: [{ name: 'primary', match: [{ uri: { prefix: '/beta' } }], route: [{ destination: { host: 'ratings' } }] }] } },
    ['shop/reviews: spec.routes.before[0].name: "primary" is a name sluice gives its own routes (primary, preview, ab-test, sticky, sticky-expire); expected another name']],
  ['a user route with a mirror (not a field sluice keeps)', { ...minimalCanary, routes: { before: [{ match: [{ uri: { prefix: '/beta' } }], route: [{ destination: { host: 'ratings' } }], mirror: { host: 'reviews' } }] } },
    ['shop/reviews: spec.routes.before[0].mirror: {"host":"reviews"} is not a known field (known: name, match, route, redirect, directResponse, rewrite, fault, timeout, retries, headers, corsPolicy)']],
  ['a fault abort with status 600', { ...minimalCanary, routes: { before: [{ match: [{ uri: { prefix: '/beta' } }], route: [{ destination: { host: 'reviews' } }], fault: { abort: { httpStatus: 600, percentage: { value: 100 } } } }] } },
    ['shop/reviews: spec.routes.before[0].fault.abort.httpStatus: 600 is not an integer from 200 to 599']],
  ['a fault percentage above 100', { ...minimalCanary, routes: { before: [{ match: [{ uri: { prefix: '/beta' } }], route: [{ destination: { host: 'reviews' } }], fault: { abort: { httpStatus: 503, percentage: { value: 101 } } } }] } },
    ['shop/reviews: spec.routes.before[0].fault.abort.percentage.value: 101 is not a number from 0 to 100']],
  ['a user route host with a space', { ...minimalCanary, routes: { before: [{ match: [{ uri: { prefix: '/beta' } }], route: [{ destination: { host: 'rat ings' } }] }] } },
    ['shop/reviews: spec.routes.before[0].route[0].destination.host: "rat ings" is not a host name (expected e.g. "reviews" or "ratings.shop.svc.cluster.local", at most 253 characters)']],
  ['user routes with routing gatewayAPI', { ...minimalCanary, routing: 'gatewayAPI', routes: { before: [{ match: [{ uri: { prefix: '/b' } }], route: [{ destination: { host: 'reviews' } }] }] } },
    ['shop/reviews: spec.routes: {"before":[{"match":[{"uri":{"prefix":"/b"}}],"route":[{"... is not supported with spec.routing: gatewayAPI (sluice writes user routes into its VirtualService only); expected no spec.routes, or routing virtualService']],
  ['user routes with protocol tcp', { ...minimalCanary, protocol: 'tcp', routes: { before: [{ match: [{ uri: { prefix: '/b' } }], route: [{ destination: { host: 'reviews' } }] }] } },
    ['shop/reviews: spec.routes: {"before":[{"match":[{"uri":{"prefix":"/b"}}],"route":[{"... is not supported with spec.protocol: tcp (user routes are HTTP routes); expected no spec.routes, or protocol http']],
  // Mirroring (issue 13): how much is copied to the candidate, and for how long it is judged on the copies.
  ['a mirror of 0 %', { ...minimalCanary, strategy: { canary: { steps: [10], mirror: { percentage: 0, iterations: 2 } } } },
    ['shop/reviews: spec.strategy.canary.mirror.percentage: 0 is not a percentage above 0 and at most 100']],
  ['a mirror of 150 %', { ...minimalCanary, strategy: { blueGreen: { mirror: { percentage: 150, iterations: 2 } } } },
    ['shop/reviews: spec.strategy.blueGreen.mirror.percentage: 150 is not a percentage above 0 and at most 100']],
  ['a mirror without iterations', { ...minimalCanary, strategy: { canary: { steps: [10], mirror: { percentage: 20 } } } },
    ['shop/reviews: spec.strategy.canary.mirror.iterations: (missing) is required']],
  ['a mirror percentage as text', { ...minimalCanary, strategy: { canary: { steps: [10], mirror: { percentage: '50%', iterations: 1 } } } },
    ['shop/reviews: spec.strategy.canary.mirror.percentage: "50%" is not a percentage above 0 and at most 100']],
  ['a mirror with an unknown field', { ...minimalCanary, strategy: { canary: { steps: [10], mirror: { iterations: 1, host: 'other' } } } },
    ['shop/reviews: spec.strategy.canary.mirror.host: "other" is not a known field (known: iterations, percentage)']],
  ['a window at 24:00', { ...minimalCanary, schedule: { windows: [{ days: ['Mon'], from: '24:00', to: '05:00' }] } },
    ['shop/reviews: spec.schedule.windows[0].from: "24:00" is not a time of day (expected "HH:MM", 00:00 to 23:59)']],
  // spec.protocol: tcp (issue 13): the HTTP-only fields are refused, each naming itself.
  ['a mirror over TCP', { ...minimalCanary, protocol: 'tcp', strategy: { canary: { steps: [10], mirror: { iterations: 2 } } } },
    ['shop/reviews: spec.strategy.canary.mirror: {"iterations":2} copies HTTP requests, which spec.protocol: tcp cannot do (an Istio TCP route carries only weighted destinations, chosen per connection, with no mirror); expected no mirror']],
  ['an unknown protocol', { ...minimalCanary, protocol: 'udp' },
    ['shop/reviews: spec.protocol: "udp" is not one of http, tcp']],
  ['an A/B test over TCP', { ...minimalCanary, protocol: 'tcp', strategy: { abTest: { match: [{ headers: { 'x-beta': { exact: '1' } } }], iterations: 2 } } },
    ['shop/reviews: spec.strategy.abTest: {"match":[{"headers":{"x-beta":{"exact":"1"}}}],"iteratio... is an A/B test by HTTP match, which spec.protocol: tcp cannot route (an Istio TCP route carries only weighted destinations, chosen per connection); expected canary or blueGreen']],
  ['a preview match over TCP', { ...minimalCanary, protocol: 'tcp', strategy: { blueGreen: { previewMatch: { headers: { 'x-preview': { exact: '1' } } } } } },
    ['shop/reviews: spec.strategy.blueGreen.previewMatch: {"headers":{"x-preview":{"exact":"1"}}} is an HTTP match, which spec.protocol: tcp cannot route (an Istio TCP route carries only weighted destinations, chosen per connection); expected no previewMatch']],
  ['a sticky canary over TCP', { ...minimalCanary, protocol: 'tcp', strategy: { canary: { steps: [10], sessionAffinity: { cookieName: 'canary' } } } },
    ['shop/reviews: spec.strategy.canary.sessionAffinity: {"cookieName":"canary"} pins users by an HTTP cookie, which spec.protocol: tcp cannot set or match (an Istio TCP route carries only weighted destinations, chosen per connection, and a connection already stays on its version until it closes); expected no sessionAffinity']],
  ['HTTP route options over TCP', { ...minimalCanary, protocol: 'tcp', route: { timeout: '5s' } },
    ['shop/reviews: spec.route: {"timeout":"5s"} holds HTTP route options, which spec.protocol: tcp cannot carry (an Istio TCP route carries only weighted destinations, chosen per connection); expected no spec.route']],
  ['a latency limit over TCP', { ...minimalCanary, protocol: 'tcp', analysis: { maxP99LatencyMs: 250 } },
    ['shop/reviews: spec.analysis.maxP99LatencyMs: 250 needs request durations, which Istio reports for HTTP only (istio_request_duration_milliseconds); expected no latency limit with spec.protocol: tcp']],
  ['Gateway API routing over TCP', { ...minimalCanary, protocol: 'tcp', routing: 'gatewayAPI' },
    ['shop/reviews: spec.routing: "gatewayAPI" routes by HTTPRoute, which carries HTTP only; expected virtualService (the default) with spec.protocol: tcp']],
];

describe('broken manifests', () => {
  it.each(broken)('%s: refused by the CRD and by the codec with exact text', (_what, spec, lines) => {
    expect(crdErrors(manifest(spec))).not.toEqual([]);
    expect(codecErrors(manifest(spec))).toEqual(lines);
  });

  it('a name longer than 63 characters is refused by both', () => {
    const name = 'r'.repeat(64);
    expect(crdErrors(manifest(minimalCanary, name))).not.toEqual([]);
    expect(codecErrors(manifest(minimalCanary, name))).toEqual([`shop/${name}: metadata.name: "${name}" is longer than 63 characters; expected a name that fits a label value`]);
  });

  it('cron syntax and time zones are checked by the codec only (no schema can)', () => {
    const spec = { ...minimalCanary, schedule: { start: 'at two', timeZone: 'Mars/Olympus' } };
    expect(crdErrors(manifest(spec))).toEqual([]);
    expect(codecErrors(manifest(spec))).toEqual([
      'shop/reviews: spec.schedule.start: "at two" is not a cron expression (expected 5 or 6 fields, e.g. "0 2 * * 1-5")',
      'shop/reviews: spec.schedule.timeZone: "Mars/Olympus" is not an IANA time zone (expected e.g. "Europe/Berlin" or "UTC")',
    ]);
  });

  it('route options over 4096 characters as JSON are refused by the codec only (a schema cannot bound a free-form object)', () => {
    const spec = { ...minimalCanary, route: { corsPolicy: { allowOrigins: [{ exact: 'x'.repeat(5000) }] } } };
    expect(crdErrors(manifest(spec))).toEqual([]);
    expect(codecErrors(manifest(spec))).toEqual([`shop/reviews: spec.route.corsPolicy: {"allowOrigins":[{"exact":"${'x'.repeat(30)}... is 5031 characters as JSON; expected at most 4096`]);
  });

  it('user routes that would shadow sluice\'s, never be reached or share a name are refused by the codec only (no schema can compare them with spec.route)', () => {
    const route = [{ destination: { host: 'reviews' } }];
    const cases: [object, string[]][] = [
      [{ ...minimalCanary, routes: { before: [{ route }] } },
        ['shop/reviews: spec.routes.before[0].match: (missing) matches every request, so sluice\'s route "primary" would get none; expected a match that leaves requests to sluice\'s routes']],
      [{ ...minimalCanary, routes: { before: [{ match: [{ headers: { 'x-a': { exact: '1' } } }, { uri: { prefix: '/' } }], route }] } },
        ['shop/reviews: spec.routes.before[0].match[1]: {"uri":{"prefix":"/"}} catches every request sluice\'s route "primary" would get, which would then get none; expected conditions that leave some of them to it (sluice\'s primary route takes every request: a prefix "/" is all of them)']],
      [{ ...minimalCanary, route: { match: [{ uri: { prefix: '/api/v1' } }] }, routes: { before: [{ match: [{ uri: { prefix: '/api' } }], route }] } },
        ['shop/reviews: spec.routes.before[0].match[0]: {"uri":{"prefix":"/api"}} catches every request sluice\'s route "primary" would get, which would then get none; expected conditions that leave some of them to it']],
      [{ ...minimalCanary, strategy: { blueGreen: { previewMatch: { headers: { 'x-preview': { exact: 'true' } } } } }, routes: { before: [{ match: [{ headers: { 'x-preview': { exact: 'true' } } }], route }] } },
        ['shop/reviews: spec.routes.before[0].match[0]: {"headers":{"x-preview":{"exact":"true"}}} catches every request sluice\'s route "preview" would get, which would then get none; expected conditions that leave some of them to it']],
      [{ ...minimalCanary, routes: { after: [{ name: 'rest', route }] } },
        ['shop/reviews: spec.routes.after: ["rest"] is never reached: sluice\'s primary route matches every request (spec.route.match is not set); expected spec.route.match narrowing sluice\'s routes, or these routes in spec.routes.before']],
      [{ ...minimalCanary, route: { match: [{ uri: { prefix: '/api' } }] }, routes: { before: [{ name: 'x', match: [{ uri: { prefix: '/b' } }], route }], after: [{ name: 'x', route }] } },
        ['shop/reviews: spec.routes.after[0].name: "x" is also the name of spec.routes.before[0]; expected one name per route']],
    ];
    for (const [spec, lines] of cases) {
      expect(crdErrors(manifest(spec as Record<string, unknown>))).toEqual([]);
      expect(codecErrors(manifest(spec as Record<string, unknown>))).toEqual(lines);
    }
  });

  it('user routes that leave requests to sluice\'s routes are accepted by both', () => {
    const spec = {
      ...minimalCanary,
      route: { match: [{ uri: { prefix: '/api' } }] },
      routes: {
        before: [
          { name: 'game-day', match: [{ headers: { 'x-chaos': { exact: 'abort' } } }], fault: { abort: { httpStatus: 503, percentage: { value: 100 } }, delay: { fixedDelay: '1s', percentage: { value: 5.5 } } }, route: [{ destination: { host: 'reviews' } }] },
          { name: 'legacy', match: [{ uri: { prefix: '/api/legacy' } }], rewrite: { uri: '/api' }, route: [{ destination: { host: 'ratings', port: { number: 9080 } }, weight: 100 }] },
          { name: 'moved', match: [{ uri: { exact: '/api/old' } }], redirect: { uri: '/api/new', redirectCode: 308 } },
        ],
        after: [{ name: 'maintenance', directResponse: { status: 503, body: { string: 'down for maintenance' } } }],
      },
    };
    expect(crdErrors(manifest(spec))).toEqual([]);
    expect(codecErrors(manifest(spec))).toEqual([]);
    expect(resolved(manifest(spec)).routes?.before.map((r) => r.name)).toEqual(['game-day', 'legacy', 'moved']);
  });

  it('an empty spec.routes holds no user route, so protocol tcp and routing gatewayAPI accept it in both (the property test once found them disagreeing)', () => {
    for (const extra of [{ protocol: 'tcp', routes: {} }, { protocol: 'tcp', routes: { before: [], after: [] } }, { routing: 'gatewayAPI', routes: {} }]) {
      const spec = { ...minimalCanary, ...extra };
      expect([crdErrors(manifest(spec)), codecErrors(manifest(spec))]).toEqual([[], []]);
    }
    const spec = { ...minimalCanary, protocol: 'tcp', routes: { before: [{ match: [{ uri: { prefix: '/x' } }], route: [{ destination: { host: 'ratings' } }] }] } };
    expect(crdErrors(manifest(spec))).not.toEqual([]);
    expect(codecErrors(manifest(spec))).not.toEqual([]);
  });

  it('a versionLabel other than "version" is accepted by both with custom queries', () => {
    const spec = { ...minimalCanary, versionLabel: 'app.kubernetes.io/version', analysis: { query: { requests: 'a', errors: 'b' } } };
    expect(crdErrors(manifest(spec))).toEqual([]);
    expect(codecErrors(manifest(spec))).toEqual([]);
    expect(resolved(manifest(spec)).versionLabel).toBe('app.kubernetes.io/version');
  });

  it('a document that is not a TrafficShift says so', () => {
    expect(codecErrors({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'reviews', namespace: 'shop' } })).toEqual(['shop/reviews: kind: "Service" is not TrafficShift']);
  });
});
