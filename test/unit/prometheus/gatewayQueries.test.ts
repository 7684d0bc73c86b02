/**
 * The built-in queries find a gatewayAPI shift's candidate: a server sidecar reports the request
 * under the oldest Service selecting the pod (the shifted Service) with the pod's version label, a
 * waypoint (ambient) under the per-version Service with no version (docs/prometheus-queries.md).
 */
import { GateQuery, planQueries, GateTarget } from '../../../src/prometheus/queries';
import { assessAnswers } from '../../../src/prometheus/samples';
import { ok, series, target } from './fixtures';

const AT = Date.UTC(2026, 11, 3, 12, 0, 0);
const gw: GateTarget = { ...target('shop', 'reviews', 'v2'), backend: 'reviews-v2' };
const vs = target('pay', 'ledger', 'v7');
const BY = 'destination_service_namespace, destination_service_name, destination_version';

describe('built-in queries under spec.routing: gatewayAPI', () => {
  const plan = planQueries({ destination: { _tag: 'Connection', id: 'default' }, intervalMs: 30_000, targets: [gw, vs] });

  it('keeps VirtualService shifts in their own batch, with their query unchanged, and asks waypoints too for the others', () => {
    expect(plan.map((q) => (q._tag === 'Batch' ? [q.targets.map((t) => t.key), q.queries.requests] : q._tag))).toEqual([
      [['pay/ledger'], `sum by (${BY}) (increase(istio_requests_total{reporter="destination", destination_service_namespace=~"pay", destination_service_name=~"ledger"}[30s]))`],
      [['shop/reviews'], `sum by (${BY}) (increase(istio_requests_total{reporter=~"destination|waypoint", destination_service_namespace=~"shop", destination_service_name=~"reviews|reviews-v2"}[30s]))`],
    ]);
  });

  it('counts the sidecar series of the candidate version and the per-version Service\'s series, not the stable version', () => {
    const query = plan[1] as GateQuery;
    const samples = assessAnswers(query, {
      requests: ok([series('shop', 'reviews', 'v1', 900), series('shop', 'reviews', 'v2', 60), series('shop', 'reviews-v2', '', 40), series('shop', 'reviews-v1', '', 500)]),
      errors: ok([series('shop', 'reviews', 'v2', 2), series('shop', 'reviews-v2', '', 5)]),
    }, AT);
    expect(samples).toEqual([{ key: 'shop/reviews', sample: { _tag: 'Measured', version: 'v2', at: AT, windowMs: 30_000, requests: 100, errors: 7 } }]);
  });

  it('without the backend, the same answer gives only the sidecar series (what VirtualService routing measures)', () => {
    const [only] = assessAnswers({ _tag: 'Batch', targets: [target('shop', 'reviews', 'v2')], queries: { requests: '', errors: '' } }, {
      requests: ok([series('shop', 'reviews', 'v2', 60), series('shop', 'reviews-v2', '', 40)]),
      errors: ok([]),
    }, AT);
    expect(only?.sample).toMatchObject({ requests: 60 });
  });
});
