import * as E from 'fp-ts/Either';
import { decodeTrafficShift } from '../../../src/api/trafficShift';
import { formatFor } from '../../../src/api/fieldError';

const lines = (spec: Record<string, unknown>): string[] => {
  const d = decodeTrafficShift({ apiVersion: 'sluice.dev/v1alpha1', kind: 'TrafficShift', metadata: { name: 'reviews', namespace: 'shop' }, spec: { service: 'reviews', version: 'v2', strategy: { canary: { steps: [10] } }, ...spec } });
  return E.isLeft(d) ? d.left.errors.map((e) => formatFor('shop', 'reviews', e)) : [];
};
const TAIL = 'has no equivalent in a standard-channel Gateway API HTTPRoute (spec.routing: gatewayAPI); expected it left out, or spec.routing: virtualService';

describe('spec.routing: gatewayAPI refuses what an HTTPRoute cannot carry, naming the field', () => {
  it('accepts matches, header operations and a timeout that translate', () => {
    expect(lines({
      routing: 'gatewayAPI',
      route: { timeout: '2s', headers: { request: { set: { 'x-a': '1' }, remove: ['x-b'] } }, match: [{ uri: { prefix: '/api' }, method: { exact: 'GET' }, headers: { cookie: { regex: '.*beta.*' } }, queryParams: { v: { exact: '2' } } }] },
    })).toEqual([]);
  });

  it('refuses retries and CORS, which virtualService routing accepts', () => {
    const route = { retries: { attempts: 3 }, corsPolicy: { allowOrigins: [{ exact: 'https://a.example' }] } };
    expect(lines({ route })).toEqual([]);
    expect(lines({ routing: 'gatewayAPI', route })).toEqual([
      `shop/reviews: spec.route.retries: {"attempts":3} ${TAIL} (HTTPRoute retries are experimental-channel only)`,
      `shop/reviews: spec.route.corsPolicy: {"allowOrigins":[{"exact":"https://a.example"}]} ${TAIL} (sluice does not translate it to Gateway API's CORS filter)`,
    ]);
  });

  it('refuses match conditions without an equivalent, in route.match and the preview match', () => {
    expect(lines({
      routing: 'gatewayAPI',
      strategy: { blueGreen: { previewMatch: { withoutHeaders: { 'x-a': { exact: '1' } }, method: { prefix: 'G' } } } },
      route: { match: [{ uri: { exact: 'no-slash' } }, { ignoreUriCase: true, sourceNamespace: 'web' }] },
    })).toEqual([
      'shop/reviews: spec.route.match[0].uri.exact: "no-slash" does not start with "/"; Gateway API paths are absolute',
      `shop/reviews: spec.route.match[1].ignoreUriCase: true ${TAIL}`,
      `shop/reviews: spec.route.match[1].sourceNamespace: "web" ${TAIL}`,
      `shop/reviews: spec.strategy.blueGreen.previewMatch.withoutHeaders: {"x-a":{"exact":"1"}} ${TAIL}`,
      'shop/reviews: spec.strategy.blueGreen.previewMatch.method: {"prefix":"G"} is not an exact method; Gateway API matches methods exactly (spec.routing: gatewayAPI); expected {exact: ...}, or spec.routing: virtualService',
    ]);
  });

  it('refuses A/B test matches without an equivalent, naming their index', () => {
    expect(lines({
      routing: 'gatewayAPI',
      strategy: { abTest: { match: [{ headers: { 'x-group': { exact: 'b' } } }, { sourceLabels: { app: 'web' } }], iterations: 3 } },
    })).toEqual([`shop/reviews: spec.strategy.abTest.match[1].sourceLabels: {"app":"web"} ${TAIL}`]);
  });

  it('refuses adopt, hosts Gateway API cannot name, and foreign hosts without a Gateway parent', () => {
    expect(lines({ routing: 'gatewayAPI', adopt: true, hosts: ['*', 'Reviews', 'api.example.com'] })).toEqual([
      'shop/reviews: spec.adopt: true is not supported with spec.routing: gatewayAPI (sluice adopts no HTTPRoute or Service); expected false',
      'shop/reviews: spec.hosts[0]: "*" is not a Gateway API hostname (expected lower case, "*." only as the first label, no lone "*")',
      'shop/reviews: spec.hosts[1]: "Reviews" is not a Gateway API hostname (expected lower case, "*." only as the first label, no lone "*")',
      'shop/reviews: spec.hosts[2]: "api.example.com" is not a name of Service reviews; with spec.routing: gatewayAPI only a Gateway in spec.gateways routes other hosts',
    ]);
    expect(lines({ routing: 'gatewayAPI', hosts: ['reviews', 'api.example.com'], gateways: ['mesh', 'istio-ingress/public'] })).toEqual([]);
  });

  it('refuses a sticky canary (sessionAffinity), which only VirtualService routes render', () => {
    const strategy = { canary: { steps: [10], sessionAffinity: { cookieName: 'canary' } } };
    expect(lines({ strategy })).toEqual([]);
    expect(lines({ routing: 'gatewayAPI', strategy })).toEqual([
      'shop/reviews: spec.strategy.canary.sessionAffinity: {"cookieName":"canary"} is not supported with spec.routing: gatewayAPI (sluice renders the sticky cookie routes as VirtualService routes only); expected no sessionAffinity, or spec.routing: virtualService',
    ]);
  });

  it('refuses mirroring (sluice renders no RequestMirror filter), naming the strategy', () => {
    expect(lines({ routing: 'gatewayAPI', strategy: { canary: { steps: [10], mirror: { iterations: 2 } } } })).toEqual([
      'shop/reviews: spec.strategy.canary.mirror: {"iterations":2} is not supported with spec.routing: gatewayAPI (sluice renders no HTTPRoute RequestMirror filter); expected no mirror, or spec.routing: virtualService',
    ]);
    expect(lines({ routing: 'gatewayAPI', strategy: { blueGreen: { mirror: { iterations: 2, percentage: 10 } } } })).toHaveLength(1);
    expect(lines({ strategy: { canary: { steps: [10], mirror: { iterations: 2 } } } })).toEqual([]);
  });

  it('refuses an unknown routing kind', () => {
    expect(lines({ routing: 'linkerd' })).toEqual(['shop/reviews: spec.routing: "linkerd" is not one of virtualService, gatewayAPI']);
  });
});
