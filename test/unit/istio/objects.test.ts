import * as E from 'fp-ts/Either';
import { decodeDestinationRule, decodeVirtualService, isManagedBySluice } from '../../../src/istio/objects';
import { routeProblems } from '../../../src/istio/safety';
import { right } from './fixtures';

const userVs = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'reviews', namespace: 'shop', resourceVersion: '7', managedFields: [{ manager: 'kubectl' }] },
  spec: { hosts: ['reviews'], exportTo: ['.'], tcp: [{ route: [{ destination: { host: 'db' } }] }], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' } }], fault: { delay: {} } }] },
};

describe('decoding existing Istio objects', () => {
  it('keeps every field it does not manage', () => {
    expect(right(decodeVirtualService(userVs))).toEqual(userVs);
  });

  it('says in one line what makes an object unusable', () => {
    expect(decodeVirtualService({ ...userVs, spec: { http: [{ route: [{ destination: { subset: 'v1' } }] }] } })).toEqual(
      E.left('VirtualService shop/reviews: spec.http[0].route[0].destination.host: (missing) is not a valid string'),
    );
    expect(decodeDestinationRule({ ...userVs, kind: 'DestinationRule', spec: { subsets: 'v1' } })).toEqual(
      E.left('DestinationRule shop/reviews: spec.subsets: "v1" is not a valid list of subsets'),
    );
  });

  it('knows sluice objects by the managed-by label', () => {
    expect(isManagedBySluice(userVs)).toBe(false);
    expect(isManagedBySluice({ metadata: { labels: { 'app.kubernetes.io/managed-by': 'sluice' } } })).toBe(true);
    expect(isManagedBySluice({ metadata: { labels: { 'app.kubernetes.io/managed-by': 'Helm' } } })).toBe(false);
  });
});

describe('route safety', () => {
  const dr = { spec: { subsets: [{ name: 'v1' }] } };
  it('accepts a lone destination without weight (Istio gives it 100)', () => {
    expect(routeProblems(userVs, dr)).toEqual([]);
  });
  it('reports weights that do not sum to 100, fractional weights and unknown subsets', () => {
    const vs = { spec: { http: [{ name: 'primary', route: [{ destination: { subset: 'v1' }, weight: 90.5 }, { destination: { subset: 'v9' }, weight: 5 }] }] } };
    expect(routeProblems(vs, dr)).toEqual([
      'spec.http[0] (primary).route[0].weight: 90.5 is not an integer from 0 to 100',
      'spec.http[0] (primary): weights sum to 95.5, expected 100',
      'spec.http[0] (primary).route[1].destination.subset: "v9" is not a subset of the DestinationRule',
    ]);
  });
});
