import { renderGateway, versionServiceName, httpRouteProblems } from '../../../src/gateway';
import { gatewayShift, parent } from './fixtures';

describe('renderGateway', () => {
  it('routes mesh traffic of the Service itself to weighted per-version Services', () => {
    const r = renderGateway(gatewayShift(), { stable: 'v1', candidate: 'v2', weights: { stable: 90, candidate: 10 }, preview: false }, parent);
    expect(r.httpRoute).toEqual({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'reviews', namespace: 'shop', labels: { 'app.kubernetes.io/managed-by': 'sluice', 'sluice.dev/shift': 'reviews' } },
      spec: {
        parentRefs: [{ group: '', kind: 'Service', name: 'reviews' }],
        rules: [{
          name: 'primary',
          backendRefs: [
            { group: '', kind: 'Service', name: 'reviews-v1', port: 9080, weight: 90 },
            { group: '', kind: 'Service', name: 'reviews-v2', port: 9080, weight: 10 },
          ],
        }],
      },
    });
    expect(r.services.map((s) => [s.metadata.name, s.spec.selector, s.spec.ports])).toEqual([
      ['reviews-v1', { app: 'reviews', version: 'v1' }, [{ name: 'http', port: 9080, targetPort: 9080, protocol: 'TCP' }]],
      ['reviews-v2', { app: 'reviews', version: 'v2' }, [{ name: 'http', port: 9080, targetPort: 9080, protocol: 'TCP' }]],
    ]);
    expect(r.services[0]!.metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'sluice', 'sluice.dev/shift': 'reviews', 'sluice.dev/service': 'reviews', 'sluice.dev/version': 'v1',
    });
  });

  it('keeps one backend and one Service when no candidate is routed', () => {
    const r = renderGateway(gatewayShift(), { stable: 'v1', weights: { stable: 100, candidate: 0 }, preview: false }, parent);
    expect(r.httpRoute.spec.rules.map((x) => x.backendRefs.map((b) => [b.name, b.weight]))).toEqual([[['reviews-v1', 100]]]);
    expect(r.services.map((s) => s.metadata.name)).toEqual(['reviews-v1']);
  });

  it('clamps and rounds the candidate weight so every rule sums to 100', () => {
    for (const candidate of [-5, 0, 33.4, 99.6, 140, Number.NaN]) {
      const r = renderGateway(gatewayShift(), { stable: 'v1', candidate: 'v2', weights: { stable: 0, candidate }, preview: false }, parent);
      expect(httpRouteProblems(r.httpRoute, new Set(r.services.map((s) => s.metadata.name)))).toEqual([]);
    }
  });

  it('adds an ab-test rule for an A/B test: each of its matches (ORed) sends the candidate 100 %, everyone else stays on stable', () => {
    const shift = gatewayShift({ strategy: { abTest: { match: [{ headers: { 'x-group': { exact: 'b' } } }, { queryParams: { beta: { exact: '1' } } }], iterations: 3 } } });
    const r = renderGateway(shift, { stable: 'v1', candidate: 'v2', weights: { stable: 100, candidate: 0 }, preview: true }, parent);
    expect(r.httpRoute.spec.rules.map((x) => [x.name, x.matches, x.backendRefs.map((b) => [b.name, b.weight])])).toEqual([
      ['ab-test', [
        { headers: [{ type: 'Exact', name: 'x-group', value: 'b' }] },
        { queryParams: [{ type: 'Exact', name: 'beta', value: '1' }] },
      ], [['reviews-v2', 100]]],
      ['primary', undefined, [['reviews-v1', 100], ['reviews-v2', 0]]],
    ]);
    const promoted = renderGateway(shift, { stable: 'v1', candidate: 'v2', weights: { stable: 0, candidate: 100 }, preview: false }, parent);
    expect(promoted.httpRoute.spec.rules.map((x) => x.name)).toEqual(['primary']);
  });

  it('adds a preview rule for blue-green whose matches are the primary ones plus the preview headers', () => {
    const shift = gatewayShift({
      strategy: { blueGreen: { previewMatch: { headers: { cookie: { regex: '.*preview=1.*' } } } } },
      route: { match: [{ uri: { prefix: '/api' } }], timeout: '1500ms', headers: { request: { set: { 'x-shift': 'reviews' } } } },
    });
    const r = renderGateway(shift, { stable: 'v1', candidate: 'v2', weights: { stable: 100, candidate: 0 }, preview: true }, parent);
    const [preview, primary] = r.httpRoute.spec.rules;
    expect(preview).toEqual({
      name: 'preview',
      matches: [{ path: { type: 'RegularExpression', value: '/api.*' }, headers: [{ type: 'RegularExpression', name: 'cookie', value: '.*preview=1.*' }] }],
      filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-shift', value: 'reviews' }] } }],
      timeouts: { request: '1s500ms' },
      backendRefs: [{ group: '', kind: 'Service', name: 'reviews-v2', port: 9080, weight: 100 }],
    });
    expect(primary!.matches).toEqual([{ path: { type: 'RegularExpression', value: '/api.*' } }]);
    expect(primary!.backendRefs.map((b) => [b.name, b.weight])).toEqual([['reviews-v1', 100], ['reviews-v2', 0]]);
  });

  it('attaches to Gateways named in spec.gateways, with hostnames other than the Service\'s own', () => {
    const shift = gatewayShift({ gateways: ['mesh', 'istio-ingress/public', 'edge'], hosts: ['reviews', 'reviews.example.com'] });
    const r = renderGateway(shift, { stable: 'v1', weights: { stable: 100, candidate: 0 }, preview: false }, parent);
    expect(r.httpRoute.spec.parentRefs).toEqual([
      { group: '', kind: 'Service', name: 'reviews' },
      { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'istio-ingress', name: 'public' },
      { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'edge' },
    ]);
    expect(r.httpRoute.spec.hostnames).toEqual(['reviews.example.com']);
  });

  it('names per-version Services within 63 characters, distinct for distinct versions', () => {
    const service = 's'.repeat(60);
    const a = versionServiceName(service, 'v1.2.0');
    const b = versionServiceName(service, 'v1.2.1');
    expect(a.length).toBeLessThanOrEqual(63);
    expect(a).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
    expect(a).not.toBe(b);
    expect(versionServiceName('reviews', 'V2_rc')).toMatch(/^reviews-v2-rc-[0-9a-f]{8}$/);
  });
});
