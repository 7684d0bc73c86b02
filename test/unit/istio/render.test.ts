import { canonicalJson } from '../../../src/istio/canonical';
import { render } from '../../../src/istio/render';
import { routeProblems } from '../../../src/istio/safety';
import { HttpRoute } from '../../../src/istio/types';
import { abTestSpec, blueGreenSpec, canarySpec, intent, shiftRef } from './fixtures';

const FQDN = 'reviews.shop.svc.cluster.local';

/** Custom queries: what a versionLabel other than "version" needs (Istio does not report it as destination_version). */
const customQueries = { requests: 'sum(requests{v="{{version}}"})', errors: 'sum(errors{v="{{version}}"})' };

describe('render snapshots', () => {
  it('canary at the second step: 75 % stable, 25 % candidate', () => {
    expect(render(shiftRef(canarySpec), intent('v1', 'v2', 25))).toMatchSnapshot();
  });
  it('blue-green with preview: preview header to the candidate first, everything else to stable', () => {
    expect(render(shiftRef(blueGreenSpec), intent('v1', 'v2', 0, true))).toMatchSnapshot();
  });
  it('after promotion: one subset, the new stable at 100 %', () => {
    expect(render(shiftRef(canarySpec), intent('v2', undefined, 0))).toMatchSnapshot();
  });
  it('after fallback: candidate kept at weight 0 so its subset stays referenced', () => {
    expect(render(shiftRef(canarySpec), intent('v1', 'v2', 0))).toMatchSnapshot();
  });
});

describe('render', () => {
  it('is byte-identical for the same input', () => {
    const a = render(shiftRef(blueGreenSpec), intent('v1', 'v2', 0, true));
    const b = render(shiftRef(blueGreenSpec), intent('v1', 'v2', 0, true));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('names both objects after the service, owned by the shift through labels only (no ownerReference the garbage collector could follow)', () => {
    const { destinationRule, virtualService } = render(shiftRef(canarySpec, 'reviews-shift'), intent('v1', 'v2', 10));
    for (const obj of [destinationRule, virtualService]) {
      expect(obj.metadata.name).toBe('reviews');
      expect(obj.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'sluice', 'sluice.dev/shift': 'reviews-shift' });
      expect(Object.keys(obj.metadata)).toEqual(['name', 'namespace', 'labels']);
    }
  });

  it('uses the FQDN for the DestinationRule host and every destination, the cluster domain configurable', () => {
    const { destinationRule, virtualService } = render(shiftRef(canarySpec), intent('v1', 'v2', 10));
    expect(destinationRule.spec.host).toBe(FQDN);
    expect(virtualService.spec.http[0]!.route!.map((d) => d.destination.host)).toEqual([FQDN, FQDN]);
    const other = render(shiftRef(canarySpec), intent('v1', 'v2', 10), { clusterDomain: 'corp.example' });
    expect(other.destinationRule.spec.host).toBe('reviews.shop.svc.corp.example');
  });

  it('writes default hosts and gateways, and custom ones as given', () => {
    expect(render(shiftRef(canarySpec), intent('v1', 'v2', 10)).virtualService.spec).toMatchObject({ hosts: ['reviews'], gateways: ['mesh'] });
    const custom = shiftRef({ ...canarySpec, hosts: ['reviews.example.com'], gateways: ['istio-system/public', 'mesh'] });
    expect(render(custom, intent('v1', 'v2', 10)).virtualService.spec).toMatchObject({ hosts: ['reviews.example.com'], gateways: ['istio-system/public', 'mesh'] });
  });

  it('copies timeout, retries, headers and corsPolicy onto every generated route', () => {
    const route = {
      timeout: '3s',
      retries: { attempts: 2, perTryTimeout: '1s' },
      headers: { request: { set: { 'x-via': 'sluice' } } },
      corsPolicy: { allowOrigins: [{ exact: 'https://shop.example' }] },
    };
    const { virtualService } = render(shiftRef({ ...blueGreenSpec, route }), intent('v1', 'v2', 0, true));
    expect(virtualService.spec.http).toHaveLength(2);
    for (const r of virtualService.spec.http) expect(r).toMatchObject(route);
  });

  it('combines the preview match with spec.route.match (AND), and keeps route.match on primary', () => {
    const spec = { ...blueGreenSpec, route: { match: [{ uri: { prefix: '/api' } }, { uri: { prefix: '/v2' }, headers: { 'x-tenant': { exact: 'a' } } }] } };
    const [preview, primary] = render(shiftRef(spec), intent('v1', 'v2', 0, true)).virtualService.spec.http;
    expect(preview!.match).toEqual([
      { uri: { prefix: '/api' }, headers: { 'x-preview': { exact: 'true' } } },
      { uri: { prefix: '/v2' }, headers: { 'x-tenant': { exact: 'a' }, 'x-preview': { exact: 'true' } } },
    ]);
    expect(primary!.match).toEqual([{ uri: { prefix: '/api' } }, { uri: { prefix: '/v2' }, headers: { 'x-tenant': { exact: 'a' } } }]);
  });

  it('leaves out the preview route when no combination with route.match is expressible', () => {
    const spec = { ...blueGreenSpec, route: { match: [{ headers: { 'x-preview': { exact: 'false' } } }] } };
    const http = render(shiftRef(spec), intent('v1', 'v2', 0, true)).virtualService.spec.http;
    expect(http.map((r) => r.name)).toEqual(['primary']);
  });

  it('has no preview route without preview, without a candidate, or without a previewMatch', () => {
    expect(render(shiftRef(blueGreenSpec), intent('v1', 'v2', 0, false)).virtualService.spec.http.map((r) => r.name)).toEqual(['primary']);
    expect(render(shiftRef(blueGreenSpec), intent('v1', undefined, 0, true)).virtualService.spec.http.map((r) => r.name)).toEqual(['primary']);
    const noMatch = shiftRef({ ...blueGreenSpec, strategy: { blueGreen: {} } });
    expect(render(noMatch, intent('v1', 'v2', 0, true)).virtualService.spec.http.map((r) => r.name)).toEqual(['primary']);
  });

  it('gives versions that are not DNS labels a valid, distinct subset name and keeps the label value', () => {
    const { destinationRule, virtualService } = render(shiftRef({ ...canarySpec, versionLabel: 'app.kubernetes.io/version', analysis: { query: customQueries } }), intent('1.2.0', '1.3.0', 10));
    const names = destinationRule.spec.subsets.map((s) => s.name);
    for (const n of names) expect(n).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(new Set(names).size).toBe(2);
    expect(destinationRule.spec.subsets.map((s) => s.labels)).toEqual([{ 'app.kubernetes.io/version': '1.2.0' }, { 'app.kubernetes.io/version': '1.3.0' }]);
    expect(routeProblems(virtualService, destinationRule)).toEqual([]);
  });

  it('takes the candidate weight as authoritative: clamps it and gives stable the rest', () => {
    const route = (w: number) => render(shiftRef(canarySpec), intent('v1', 'v2', w)).virtualService.spec.http[0]!.route!.map((d) => d.weight);
    expect(route(140)).toEqual([0, 100]);
    expect(route(-5)).toEqual([100, 0]);
    expect(route(33.4)).toEqual([67, 33]);
  });

  it('treats a candidate equal to stable as no candidate', () => {
    const { destinationRule, virtualService } = render(shiftRef(canarySpec), intent('v1', 'v1', 40));
    expect(destinationRule.spec.subsets.map((s) => s.name)).toEqual(['v1']);
    expect(virtualService.spec.http[0]!.route).toEqual([{ destination: { host: FQDN, subset: 'v1' }, weight: 100 }]);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: undefined, x: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[{"x":2,"z":1}]},"b":1}');
  });
});

describe('render: A/B test', () => {
  it('while testing, sends the matching requests (each ANDed with spec.route.match) to the candidate in an ab-test route before the primary', () => {
    const spec = { ...abTestSpec, route: { match: [{ uri: { prefix: '/api' } }] } };
    const { virtualService, destinationRule } = render(shiftRef(spec), intent('v1', 'v2', 0, true));
    expect(virtualService.spec.http.map((r) => r.name)).toEqual(['ab-test', 'primary']);
    expect(virtualService.spec.http[0]).toEqual({
      name: 'ab-test',
      match: [
        { uri: { prefix: '/api' }, headers: { cookie: { regex: '^(.*?;)?(beta=1)(;.*)?$' } } },
        { uri: { prefix: '/api' }, queryParams: { beta: { exact: '1' } }, method: { exact: 'GET' } },
      ],
      route: [{ destination: { host: FQDN, subset: 'v2' }, weight: 100 }],
    });
    expect(virtualService.spec.http[1]!.route).toEqual([
      { destination: { host: FQDN, subset: 'v1' }, weight: 100 },
      { destination: { host: FQDN, subset: 'v2' }, weight: 0 },
    ]);
    expect(routeProblems(virtualService, destinationRule)).toEqual([]);
  });

  it('after a fallback (preview off) has no ab-test route', () => {
    expect(render(shiftRef(abTestSpec), intent('v1', 'v2', 0, false)).virtualService.spec.http.map((r) => r.name)).toEqual(['primary']);
  });
});

describe('render: mirroring', () => {
  const mirrorCanary = { ...canarySpec, strategy: { canary: { steps: [10, 50], mirror: { percentage: 25, iterations: 3 } } } };
  const mirroring = { ...intent('v1', 'v2', 0), mirror: true };

  it('puts mirror + mirrorPercentage on the primary route, the candidate subset kept in the DestinationRule', () => {
    const { virtualService, destinationRule } = render(shiftRef(mirrorCanary), mirroring);
    expect(virtualService.spec.http).toEqual([{
      name: 'primary',
      route: [{ destination: { host: FQDN, subset: 'v1' }, weight: 100 }, { destination: { host: FQDN, subset: 'v2' }, weight: 0 }],
      mirror: { host: FQDN, subset: 'v2' },
      mirrorPercentage: { value: 25 },
    }]);
    expect(destinationRule.spec.subsets.map((s) => s.name)).toEqual(['v1', 'v2']);
    expect(routeProblems(virtualService, destinationRule)).toEqual([]);
  });

  it('mirrors 100 % by default, and nothing once the intent stops mirroring, without a candidate, or without spec.mirror', () => {
    const full = { ...canarySpec, strategy: { canary: { steps: [10], mirror: { iterations: 1 } } } };
    expect(render(shiftRef(full), mirroring).virtualService.spec.http[0]!.mirrorPercentage).toEqual({ value: 100 });
    expect(render(shiftRef(mirrorCanary), intent('v1', 'v2', 10)).virtualService.spec.http[0]!.mirror).toBeUndefined();
    expect(render(shiftRef(mirrorCanary), { ...intent('v1', undefined, 0), mirror: true }).virtualService.spec.http[0]!.mirror).toBeUndefined();
    expect(render(shiftRef(canarySpec), mirroring).virtualService.spec.http[0]!.mirror).toBeUndefined();
  });

  it('blue-green: the preview route sends its requests to the candidate; only the primary route mirrors', () => {
    const spec = { ...blueGreenSpec, strategy: { blueGreen: { ...blueGreenSpec.strategy.blueGreen, mirror: { iterations: 2, percentage: 10 } } } };
    const http = render(shiftRef(spec), { ...intent('v1', 'v2', 0, true), mirror: true }).virtualService.spec.http as readonly HttpRoute[];
    expect(http.map((r) => [r.name, r.mirror?.subset, r.mirrorPercentage?.value])).toEqual([['preview', undefined, undefined], ['primary', 'v2', 10]]);
  });

  it('a mirror to a subset the DestinationRule lacks is a route problem, named by its field', () => {
    const { virtualService } = render(shiftRef(mirrorCanary), mirroring);
    expect(routeProblems(virtualService, { spec: { subsets: [{ name: 'v1' }] } })).toEqual([
      'spec.http[0] (primary).route[1].destination.subset: "v2" is not a subset of the DestinationRule',
      'spec.http[0] (primary).mirror.subset: "v2" is not a subset of the DestinationRule',
    ]);
  });
});
