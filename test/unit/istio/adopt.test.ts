import { adoptionProblem } from '../../../src/istio/adopt';
import { decodeVirtualService } from '../../../src/istio/objects';
import { render } from '../../../src/istio/render';
import { canarySpec, intent, right, shiftRef } from './fixtures';

const desiredFor = (spec: object) => render(shiftRef({ ...canarySpec, ...spec }), intent('v1', 'v2', 0)).virtualService;
const existing = (spec: object, labels: Record<string, string> = {}) =>
  right(decodeVirtualService({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews', namespace: 'shop', labels }, spec }));
const plainRoute = { route: [{ destination: { host: 'reviews.shop.svc.cluster.local', subset: 'v1' }, weight: 100 }] };
const prefix = 'VirtualService shop/reviews cannot be adopted without dropping what sluice does not write: ';
const suffix = '; add the hosts and gateways to the spec, or move those routes to another VirtualService';

describe('adoptionProblem', () => {
  it('adopts a VirtualService that routes only this Service plainly, whatever name form its host uses', () => {
    expect(adoptionProblem(existing({ hosts: ['reviews.shop.svc.cluster.local'], http: [plainRoute] }), desiredFor({}))).toBeUndefined();
    expect(adoptionProblem(existing({ hosts: ['reviews'], gateways: ['mesh'], http: [{ name: 'default', route: [{ destination: { host: 'reviews' } }] }] }), desiredFor({}))).toBeUndefined();
    expect(adoptionProblem(existing({ hosts: ['reviews'] }), desiredFor({}))).toBeUndefined();
  });

  it('has nothing to say when there is nothing to adopt, or the object is already sluice-managed', () => {
    expect(adoptionProblem(undefined, desiredFor({}))).toBeUndefined();
    const managed = existing({ hosts: ['other.example.com'], http: [{ match: [{ uri: { prefix: '/x' } }], ...plainRoute }] }, { 'app.kubernetes.io/managed-by': 'sluice' });
    expect(adoptionProblem(managed, desiredFor({}))).toBeUndefined();
  });

  it('refuses to drop an ingress host and gateway, naming them', () => {
    const vs = existing({ hosts: ['reviews', 'reviews.example.com'], gateways: ['istio-system/public', 'mesh'], http: [plainRoute] });
    expect(adoptionProblem(vs, desiredFor({}))).toBe(`${prefix}hosts "reviews.example.com" (not in spec.hosts); gateways "istio-system/public" (not in spec.gateways)${suffix}`);
    expect(adoptionProblem(vs, desiredFor({ hosts: ['reviews', 'reviews.example.com'], gateways: ['mesh', 'istio-system/public'] }))).toBeUndefined();
  });

  it('treats a VirtualService without gateways as bound to mesh', () => {
    expect(adoptionProblem(existing({ hosts: ['reviews'], http: [plainRoute] }), desiredFor({ gateways: ['istio-system/public'] }))).toBe(
      `${prefix}gateways "mesh" (not in spec.gateways)${suffix}`,
    );
  });

  it('refuses to drop routes it does not write: matches, other hosts, rewrites, destination ports', () => {
    const vs = existing({
      hosts: ['reviews'],
      http: [
        { name: 'api', match: [{ uri: { prefix: '/api' } }], ...plainRoute },
        { route: [{ destination: { host: 'ratings' } }] },
        { rewrite: { uri: '/' }, ...plainRoute },
        { route: [{ destination: { host: 'reviews', port: { number: 9080 } } }] },
        plainRoute,
      ],
    });
    expect(adoptionProblem(vs, desiredFor({}))).toBe(
      `${prefix}http[0] (api) has match other than spec.route gives; http[1] routes to "ratings", not this Service; http[2] has rewrite; http[3] sets port on a destination${suffix}`,
    );
  });

  it('keeps a route whose options equal what spec.route renders', () => {
    const route = { timeout: '5s', retries: { attempts: 2 } };
    const vs = existing({ hosts: ['reviews'], http: [{ ...plainRoute, ...route, match: [{ uri: { prefix: '/' } }] }] });
    expect(adoptionProblem(vs, desiredFor({ route: { ...route, match: [{ uri: { prefix: '/' } }] } }))).toBeUndefined();
    expect(adoptionProblem(vs, desiredFor({}))).toBe(`${prefix}http[0] has match, timeout, retries other than spec.route gives${suffix}`);
  });
});
