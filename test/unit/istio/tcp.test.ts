/** spec.protocol: tcp — the routes sluice renders and writes for a TCP service (issue 13). */
import { adoptionProblem } from '../../../src/istio/adopt';
import { planRoutes } from '../../../src/cli/planRoutes';
import type { TcpVirtualService, VirtualService } from '../../../src/istio/types';
import { declaredProtocol, protocolMismatch } from '../../../src/istio/protocol';
import { render, renderRoutes, renderTcp } from '../../../src/istio/render';
import { routeProblems } from '../../../src/istio/safety';
import { planWrites } from '../../../src/istio/writes';
import { decodeDestinationRule, decodeVirtualService } from '../../../src/istio/objects';
import { canarySpec, intent, right, shiftRef } from './fixtures';

const tcpSpec = { ...canarySpec, protocol: 'tcp' };
const host = 'reviews.shop.svc.cluster.local';

describe('TCP routes', () => {
  it('a tcp shift gets one tcp route with the weighted destinations and no http routes; its DestinationRule is the HTTP one', () => {
    const tcp = renderTcp(shiftRef(tcpSpec), intent('v1', 'v2', 25));
    expect(tcp.virtualService.spec).toEqual({
      hosts: ['reviews'],
      gateways: ['mesh'],
      tcp: [{ route: [{ destination: { host, subset: 'v1' }, weight: 75 }, { destination: { host, subset: 'v2' }, weight: 25 }] }],
    });
    expect(tcp.destinationRule).toEqual(render(shiftRef(canarySpec), intent('v1', 'v2', 25)).destinationRule);
  });

  it('renderRoutes picks the kind by spec.protocol (default http)', () => {
    expect(Object.keys(renderRoutes(shiftRef(tcpSpec), intent('v1', 'v2', 10)).virtualService.spec)).toEqual(['hosts', 'gateways', 'tcp']);
    expect(Object.keys(renderRoutes(shiftRef(canarySpec), intent('v1', 'v2', 10)).virtualService.spec)).toEqual(['hosts', 'gateways', 'http']);
  });

  it('weights stay integers summing to 100 whatever the intent says, and the promoted version stands alone', () => {
    for (const w of [-5, 0, 33.4, 50, 99.6, 100, 250, Number.NaN]) {
      const r = renderTcp(shiftRef(tcpSpec), intent('v1', 'v2', w));
      expect([w, routeProblems(r.virtualService, r.destinationRule)]).toEqual([w, []]);
    }
    expect(renderTcp(shiftRef(tcpSpec), intent('v2', undefined, 0)).virtualService.spec.tcp).toEqual([{ route: [{ destination: { host, subset: 'v2' }, weight: 100 }] }]);
  });

  it('route safety reads tcp routes too: bad weights and missing subsets are named by their place', () => {
    const vs = { spec: { tcp: [{ route: [{ destination: { subset: 'v1' }, weight: 70 }, { destination: { subset: 'v9' }, weight: 20 }] }] } };
    expect(routeProblems(vs, { spec: { subsets: [{ name: 'v1' }] } })).toEqual([
      'spec.tcp[0]: weights sum to 90, expected 100',
      'spec.tcp[0].route[1].destination.subset: "v9" is not a subset of the DestinationRule',
    ]);
  });

  it('an update replaces tcp and keeps what sluice does not write (http routes, exportTo)', () => {
    const desired = renderTcp(shiftRef(tcpSpec), intent('v1', 'v2', 50));
    const meta = { name: 'reviews', namespace: 'shop', resourceVersion: '7', labels: desired.virtualService.metadata.labels };
    const current = {
      virtualService: right(decodeVirtualService({
        apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: meta,
        spec: { hosts: ['reviews'], gateways: ['mesh'], exportTo: ['.'], http: [{ name: 'admin', route: [{ destination: { host: 'admin' } }] }], tcp: [{ route: [{ destination: { host, subset: 'v1' }, weight: 100 }] }] },
      })),
      destinationRule: right(decodeDestinationRule({ ...desired.destinationRule, metadata: { ...meta } })),
    };
    const writes = planWrites(current, desired);
    expect(writes.map((w) => `${w.op} ${w.kind}`)).toEqual(['update VirtualService']);
    expect(writes[0]!.object['spec']).toEqual({
      hosts: ['reviews'], gateways: ['mesh'], exportTo: ['.'],
      http: [{ name: 'admin', route: [{ destination: { host: 'admin' } }] }],
      tcp: desired.virtualService.spec.tcp,
    });
  });

  it('adopting a VirtualService is refused when a tcp route has a match or routes elsewhere, allowed when only its weights change', () => {
    const desired = renderTcp(shiftRef({ ...tcpSpec, adopt: true }), intent('v1', 'v2', 0)).virtualService;
    const user = (tcp: unknown[]) => right(decodeVirtualService({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews', namespace: 'shop' }, spec: { hosts: ['reviews'], tcp } }));
    expect(adoptionProblem(user([{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 100 }] }]), desired)).toBeUndefined();
    expect(adoptionProblem(user([{ match: [{ port: 5432 }], route: [{ destination: { host: 'reviews' } }] }]), desired)).toBe(
      'VirtualService shop/reviews cannot be adopted without dropping what sluice does not write: tcp[0] has match; add the hosts and gateways to the spec, or move those routes to another VirtualService',
    );
    expect(adoptionProblem(user([{ route: [{ destination: { host: 'ratings' } }] }]), desired)).toContain('tcp[0] routes to "ratings", not this Service');
  });
});

describe("spec.protocol against the Service's ports", () => {
  it('refuses a protocol no port of the Service takes, naming the port and what declared it', () => {
    expect(protocolMismatch('shop', 'db', 'http', false, [{ port: 5432, name: 'tcp-postgres' }])).toBe(
      'spec.protocol: "http" (the default) cannot route Service shop/db: Istio routes its port 5432 (name "tcp-postgres") as TCP, so only tcp routes apply to it and sluice\'s http routes would move no traffic; expected spec.protocol: tcp',
    );
    expect(protocolMismatch('shop', 'db', 'tcp', true, [{ port: 80, name: 'web', appProtocol: 'http' }, { port: 8080, name: 'http-alt' }])).toBe(
      'spec.protocol: "tcp" cannot route Service shop/db: Istio routes all 2 of its ports (port 80: appProtocol "http") as HTTP, so only http routes apply to it and sluice\'s tcp routes would move no traffic; expected spec.protocol: http',
    );
  });

  it('accepts a Service with a port of the protocol, a port left to detection, no ports, or none known', () => {
    expect(protocolMismatch('shop', 'db', 'tcp', true, [{ port: 5432, name: 'tcp' }])).toBeUndefined();
    expect(protocolMismatch('shop', 'db', 'tcp', true, [{ port: 5432, name: 'postgres' }])).toBeUndefined();
    expect(protocolMismatch('shop', 'db', 'http', false, [{ port: 5432, name: 'tcp' }, { port: 80, name: 'http' }])).toBeUndefined();
    expect(protocolMismatch('shop', 'db', 'http', false, [{ port: 5432, appProtocol: 'HTTP', name: 'tcp' }])).toBeUndefined();
    expect(protocolMismatch('shop', 'db', 'http', false, [])).toBeUndefined();
    expect(protocolMismatch('shop', 'db', 'http', false, undefined)).toBeUndefined();
  });

  it("reads ports as Istio does: appProtocol over the name, the name's prefix, any case; tls, https, mongo, mysql, redis are opaque TCP", () => {
    expect(['tcp', 'TLS-x', 'https', 'mongo', 'mysql', 'redis', 'http', 'http2', 'grpc-web', 'GRPC', 'web', ''].map((name) => declaredProtocol({ name })?.protocol)).toEqual([
      'tcp', 'tcp', 'tcp', 'tcp', 'tcp', 'tcp', 'http', 'http', 'http', 'http', undefined, undefined,
    ]);
    expect(declaredProtocol({ name: 'http', appProtocol: 'tcp' })).toEqual({ protocol: 'tcp', by: 'appProtocol "tcp"' });
  });
});

describe('TCP shifts in every state sluice plans', () => {
  it.each([
    ['canary', { ...canarySpec, protocol: 'tcp' }, ['start', 'step 1', 'step 2', 'step 3', 'promoting', 'promoted', 'fallback']],
    ['blue-green', { service: 'reviews', version: 'v2', protocol: 'tcp', strategy: { blueGreen: { rollbackWindow: '5m' } } }, ['preview', 'promoting', 'promoted', 'fallback']],
  ] as const)('%s: one tcp route per state, no http route, weights as for HTTP, every state safe', (_, spec, states) => {
    const planned = planRoutes(shiftRef(spec), 'v1');
    const http = planRoutes(shiftRef({ ...spec, protocol: 'http' }), 'v1');
    expect(planned.map((p) => p.state)).toEqual(states);
    planned.forEach((p, i) => {
      const vs = p.virtualService as TcpVirtualService;
      expect(Object.keys(vs.spec)).toEqual(['hosts', 'gateways', 'tcp']);
      const httpPrimary = (http[i]!.virtualService as VirtualService).spec.http.find((r) => r.name === 'primary')!;
      expect([p.state, vs.spec.tcp]).toEqual([p.state, [{ route: httpPrimary.route }]]);
      expect(p.destinationRule).toEqual(http[i]!.destinationRule);
      expect([p.state, routeProblems(vs, p.destinationRule)]).toEqual([p.state, []]);
    });
  });
});
