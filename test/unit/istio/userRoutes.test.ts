/** spec.routes: user routes kept around sluice's routes, with the routed Service's destinations given sluice's split. */
import { render } from '../../../src/istio/render';
import { routeProblems } from '../../../src/istio/safety';
import { blueGreenSpec, canarySpec, intent, shiftRef } from './fixtures';

const FQDN = 'reviews.shop.svc.cluster.local';

/** A game-day fault for one header stream, a legacy path to another Service, and a catch-the-rest redirect. */
const gameDay = {
  name: 'game-day',
  match: [{ headers: { 'x-chaos': { exact: 'abort' } } }],
  fault: { abort: { httpStatus: 503, percentage: { value: 50 } }, delay: { fixedDelay: '2s', percentage: { value: 10 } } },
  route: [{ destination: { host: 'reviews' } }],
};
const legacy = { name: 'legacy', match: [{ uri: { prefix: '/legacy' } }], rewrite: { uri: '/' }, route: [{ destination: { host: 'ratings.shop.svc.cluster.local', port: { number: 9080 } } }] };
const withRoutes = { ...canarySpec, route: { match: [{ uri: { prefix: '/api' } }] }, routes: { before: [gameDay, legacy], after: [{ name: 'elsewhere', redirect: { uri: '/api', redirectCode: 302 } }] } };

const http = (spec: object, stable: string, candidate: string | undefined, weight: number, preview = false) =>
  render(shiftRef(spec), intent(stable, candidate, weight, preview)).virtualService.spec.http as Record<string, unknown>[];

describe('user routes in the rendered VirtualService', () => {
  it('puts spec.routes.before first and spec.routes.after last, around sluice\'s primary route', () => {
    expect(http(withRoutes, 'v1', 'v2', 25).map((r) => r.name)).toEqual(['game-day', 'legacy', 'primary', 'elsewhere']);
  });

  it('keeps match, fault, rewrite, redirect and a destination to another Service as written', () => {
    const [fault, path, , redirect] = http(withRoutes, 'v1', 'v2', 25);
    expect(fault!.match).toEqual(gameDay.match);
    expect(fault!.fault).toEqual(gameDay.fault);
    expect(path!.rewrite).toEqual({ uri: '/' });
    expect(path!.route).toEqual(legacy.route);
    expect(redirect).toEqual({ name: 'elsewhere', redirect: { redirectCode: 302, uri: '/api' } });
  });

  it('gives a destination naming the routed Service the primary route\'s split at every step', () => {
    for (const weight of [0, 10, 25, 50, 100]) {
      const [fault, , primary] = http(withRoutes, 'v1', 'v2', weight);
      expect(fault!.route).toEqual([
        { destination: { host: FQDN, subset: 'v1' }, weight: 100 - weight },
        { destination: { host: FQDN, subset: 'v2' }, weight },
      ]);
      expect(fault!.route).toEqual(primary!.route);
    }
  });

  it('follows a promotion and the pin on deletion: one subset at 100 %', () => {
    const [fault] = http(withRoutes, 'v2', undefined, 0);
    expect(fault!.route).toEqual([{ destination: { host: FQDN, subset: 'v2' }, weight: 100 }]);
  });

  it('divides a weighted destination to the routed Service in the primary route\'s proportion, keeping its port and the others', () => {
    const split = { ...canarySpec, routes: { before: [{ match: [{ uri: { prefix: '/beta' } }], route: [{ destination: { host: 'reviews.shop', port: { number: 9080 } }, weight: 90 }, { destination: { host: 'ratings' }, weight: 10 }] }] } };
    const [r] = http(split, 'v1', 'v2', 25);
    expect(r!.route).toEqual([
      { destination: { host: FQDN, port: { number: 9080 }, subset: 'v1' }, weight: 67 },
      { destination: { host: FQDN, port: { number: 9080 }, subset: 'v2' }, weight: 23 },
      { destination: { host: 'ratings' }, weight: 10 },
    ]);
  });

  it('passes the safety check (integer weights summing to 100, subsets of the DestinationRule) at every weight', () => {
    for (let weight = 0; weight <= 100; weight++) {
      const rendered = render(shiftRef(withRoutes), intent('v1', 'v2', weight));
      expect(routeProblems(rendered.virtualService, rendered.destinationRule)).toEqual([]);
    }
  });

  it('comes before the blue-green preview route too', () => {
    const spec = { ...blueGreenSpec, routes: { before: [gameDay] } };
    expect(http(spec, 'v1', 'v2', 0, true).map((r) => r.name)).toEqual(['game-day', 'preview', 'primary']);
  });

  it('leaves a shift without spec.routes exactly as before', () => {
    expect(http(canarySpec, 'v1', 'v2', 25).map((r) => r.name)).toEqual(['primary']);
  });
});
