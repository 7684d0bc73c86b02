import * as E from 'fp-ts/Either';
import { parseRunConfig } from '../../../src/daemon/config';
import { hostCovered, hostsPolicy, parseGatewayRule, parseHostRule, parseHostsPolicyFlags } from '../../../src/istio/hostsPolicy';
import { canarySpec, right, shiftRef } from './fixtures';

const spec = (extra: object) => shiftRef({ ...canarySpec, ...extra }).spec;
const strict = hostsPolicy({});

describe('hostsPolicy: by default a shift routes only its own Service through the mesh', () => {
  it('allows every name of its own Service, in any case, through mesh', () => {
    const s = spec({ hosts: ['reviews', 'reviews.shop', 'reviews.shop.svc', 'Reviews.Shop.svc.cluster.local'], gateways: ['mesh'] });
    expect(strict('shop', s)).toEqual([]);
  });

  it('allows the defaults (hosts [service], gateways [mesh])', () => {
    expect(strict('shop', spec({}))).toEqual([]);
  });

  it("refuses another namespace's Service and names the flag that would allow it", () => {
    expect(strict('shop', spec({ hosts: ['reviews', 'payments.prod.svc.cluster.local'] }), 'reviews')).toEqual([
      'shop/reviews: spec.hosts[1]: "payments.prod.svc.cluster.local" is not a name of Service shop/reviews (expected one of reviews, reviews.shop, reviews.shop.svc, reviews.shop.svc.cluster.local); allow it with --allow-host=shop=payments.prod.svc.cluster.local',
    ]);
  });

  it('refuses a Service of the same namespace that is not its own (short names resolve in the shift namespace)', () => {
    expect(strict('shop', spec({ hosts: ['ratings'] }))).toHaveLength(1);
    expect(strict('shop', spec({ hosts: ['reviews.other'] }))).toHaveLength(1);
  });

  it('refuses wildcards, even ones that would include its own Service', () => {
    expect(strict('shop', spec({ hosts: ['*'] }))).toHaveLength(1);
    expect(strict('shop', spec({ hosts: ['*.shop.svc.cluster.local'] }))).toHaveLength(1);
  });

  it('uses the configured cluster domain', () => {
    expect(hostsPolicy({ clusterDomain: 'corp.internal' })('shop', spec({ hosts: ['reviews.shop.svc.corp.internal'] }))).toEqual([]);
    expect(hostsPolicy({ clusterDomain: 'corp.internal' })('shop', spec({ hosts: ['reviews.shop.svc.cluster.local'] }))).toHaveLength(1);
  });

  it('refuses a gateway, qualifying a short name with the shift namespace, and names the flag', () => {
    expect(strict('shop', spec({ gateways: ['mesh', 'istio-system/ingressgateway', 'public'] }), 'reviews')).toEqual([
      'shop/reviews: spec.gateways[1]: "istio-system/ingressgateway" is not an allowed gateway (expected "mesh"); allow it with --allow-gateway=shop=istio-system/ingressgateway',
      'shop/reviews: spec.gateways[2]: "public" is not an allowed gateway (expected "mesh"); allow it with --allow-gateway=shop=shop/public',
    ]);
  });

  it('reports every refused host and gateway at once, without a prefix when no name is given', () => {
    const problems = strict('shop', spec({ hosts: ['a.example.com', 'reviews', 'b.example.com'], gateways: ['istio-system/public'] }));
    expect(problems.map((p) => p.split(':')[0])).toEqual(['spec.hosts[0]', 'spec.hosts[2]', 'spec.gateways[0]']);
  });
});

describe('hostsPolicy: operator allow-lists', () => {
  const policy = hostsPolicy({
    allowedHosts: [
      { namespace: 'shop', pattern: '*.shop.example.com' },
      { namespace: '*', pattern: '{namespace}.example.org' },
      { namespace: 'edge', pattern: '*' },
    ],
    allowedGateways: [{ namespace: 'shop', gateway: 'istio-system/public' }, { namespace: '*', gateway: 'gw/shared' }],
  });

  it('allows hosts matching a pattern of the shift namespace, including wildcard hosts the pattern covers', () => {
    expect(policy('shop', spec({ hosts: ['reviews', 'www.shop.example.com', '*.api.shop.example.com', 'shop.example.org'] }))).toEqual([]);
  });

  it('does not let a pattern of one namespace serve another', () => {
    expect(policy('books', spec({ hosts: ['www.shop.example.com'] }))).toHaveLength(1);
    expect(policy('books', spec({ hosts: ['shop.example.org'] }))).toHaveLength(1);
    expect(policy('books', spec({ hosts: ['books.example.org'] }))).toEqual([]);
  });

  it('does not let "*.example.com" cover the bare domain or a wider wildcard', () => {
    expect(policy('shop', spec({ hosts: ['shop.example.com'] }))).toHaveLength(1);
    expect(policy('shop', spec({ hosts: ['*.example.com'] }))).toHaveLength(1);
    expect(policy('shop', spec({ hosts: ['*'] }))).toHaveLength(1);
  });

  it('allows any host in a namespace with the "*" pattern', () => {
    expect(policy('edge', spec({ hosts: ['*', 'payments.prod.svc.cluster.local'] }))).toEqual([]);
  });

  it('allows listed gateways per namespace, and "*" rules in every namespace', () => {
    expect(policy('shop', spec({ gateways: ['mesh', 'istio-system/public', 'gw/shared'] }))).toEqual([]);
    expect(policy('books', spec({ gateways: ['istio-system/public'] }))).toHaveLength(1);
    expect(policy('books', spec({ gateways: ['gw/shared'] }))).toEqual([]);
  });
});

describe('hostCovered', () => {
  it.each([
    ['a.example.com', 'a.example.com', true],
    ['a.example.com', '*.example.com', true],
    ['*.a.example.com', '*.example.com', true],
    ['example.com', '*.example.com', false],
    ['aexample.com', '*.example.com', false],
    ['*.example.com', 'a.example.com', false],
    ['anything', '*', true],
  ])('%s within %s: %s', (host, pattern, covered) => {
    expect(hostCovered(host, pattern)).toBe(covered);
  });
});

describe('the policy flags', () => {
  it('parse namespace=pattern and namespace=gw-namespace/name', () => {
    expect(right(parseHostRule('shop=*.Shop.example.com'))).toEqual({ namespace: 'shop', pattern: '*.shop.example.com' });
    expect(right(parseHostRule('*=*.{namespace}.example.com'))).toEqual({ namespace: '*', pattern: '*.{namespace}.example.com' });
    expect(right(parseGatewayRule('shop=istio-system/public'))).toEqual({ namespace: 'shop', gateway: 'istio-system/public' });
  });

  it.each([
    [parseHostRule('example.com'), '--allow-host: "example.com" does not start with a namespace (expected <namespace>=..., "*" for every namespace)'],
    [parseHostRule('shop=exa mple.com'), '--allow-host: "exa mple.com" is not a host pattern (expected e.g. "api.example.com", "*.example.com", "*.{namespace}.example.com" or "*")'],
    [parseHostRule('shop=a.*.com'), '--allow-host: "a.*.com" is not a host pattern (expected e.g. "api.example.com", "*.example.com", "*.{namespace}.example.com" or "*")'],
    [parseHostRule('shop={ns}.com'), '--allow-host: "{ns}.com" is not a host pattern (expected e.g. "api.example.com", "*.example.com", "*.{namespace}.example.com" or "*")'],
    [parseGatewayRule('shop=public'), '--allow-gateway: "public" is not a gateway (expected <gateway-namespace>/<gateway-name>, e.g. istio-system/public)'],
    [parseGatewayRule('Shop=a/b'), '--allow-gateway: "Shop=a/b" does not start with a namespace (expected <namespace>=..., "*" for every namespace)'],
    [parseHostsPolicyFlags({ allowHost: [], allowGateway: [], clusterDomain: 'Cluster Local' }), '--cluster-domain: "Cluster Local" is not a DNS domain (expected e.g. "cluster.local")'],
  ])('refuse a malformed rule with a sentence (%#)', (result, sentence) => {
    expect(result).toEqual(E.left(sentence));
  });

  it('come from sluice run flags and their environment variables, defaulting to none and cluster.local', () => {
    const defaults = right(parseRunConfig([], {}, { identity: 'h' }));
    expect([defaults.clusterDomain, defaults.allowedHosts, defaults.allowedGateways]).toEqual(['cluster.local', [], []]);
    const flags = right(parseRunConfig(['--allow-host', 'shop=*.example.com', '--allow-host=*=a.example.org', '--allow-gateway=shop=gw/public', '--cluster-domain=corp.internal'], {}, { identity: 'h' }));
    expect(flags.allowedHosts).toEqual([{ namespace: 'shop', pattern: '*.example.com' }, { namespace: '*', pattern: 'a.example.org' }]);
    expect(flags.allowedGateways).toEqual([{ namespace: 'shop', gateway: 'gw/public' }]);
    expect(flags.clusterDomain).toBe('corp.internal');
    const env = right(parseRunConfig([], { SLUICE_ALLOW_HOST: 'shop=a.example.com, books=b.example.com', SLUICE_ALLOW_GATEWAY: '*=gw/shared' }, { identity: 'h' }));
    expect(env.allowedHosts.map((r) => r.namespace)).toEqual(['shop', 'books']);
    expect(env.allowedGateways).toEqual([{ namespace: '*', gateway: 'gw/shared' }]);
    expect(parseRunConfig(['--allow-gateway=shop=public'], {}, { identity: 'h' })).toEqual(E.left('--allow-gateway: "public" is not a gateway (expected <gateway-namespace>/<gateway-name>, e.g. istio-system/public)'));
  });
});
