import { istioLabels, ISTIO_LABELS } from '../../mesh-sim/labels';
import { pod } from './fixtures';

const source = { workload: 'loadgen', namespace: 'shop', serviceAccount: 'loadgen' };
const reviews = { namespace: 'shop', name: 'reviews' };

describe('Istio standard labels', () => {
  it('labels a served request as the destination sidecar reports it', () => {
    const p = pod('reviews-v2-7f4669bdd9-abcde', 'v2', { workload: 'reviews-v2' });
    expect(istioLabels({ reporter: 'destination', source, service: reviews, peer: { pod: p }, responseCode: 200, responseFlags: '-' })).toEqual({
      reporter: 'destination',
      source_workload: 'loadgen',
      source_workload_namespace: 'shop',
      source_principal: 'spiffe://cluster.local/ns/shop/sa/loadgen',
      source_app: 'loadgen',
      source_version: 'unknown',
      source_canonical_service: 'loadgen',
      source_canonical_revision: 'latest',
      source_cluster: 'Kubernetes',
      destination_service: 'reviews.shop.svc.cluster.local',
      destination_service_name: 'reviews',
      destination_service_namespace: 'shop',
      destination_workload: 'reviews-v2',
      destination_workload_namespace: 'shop',
      destination_principal: 'spiffe://cluster.local/ns/shop/sa/reviews',
      destination_app: 'reviews',
      destination_version: 'v2',
      destination_canonical_service: 'reviews',
      destination_canonical_revision: 'v2',
      destination_cluster: 'Kubernetes',
      request_protocol: 'http',
      response_code: '200',
      response_flags: '-',
      grpc_response_status: '',
      connection_security_policy: 'mutual_tls',
    });
  });

  it('has exactly the label names the metrics declare', () => {
    const l = istioLabels({ reporter: 'source', source, service: reviews, responseCode: 503, responseFlags: 'UH' });
    expect(Object.keys(l).sort()).toEqual([...ISTIO_LABELS].sort());
  });

  it('reports the client side with an unknown connection security policy, as istio-proxy does', () => {
    const p = pod('a', 'v1');
    expect(istioLabels({ reporter: 'source', source, service: reviews, peer: { pod: p }, responseCode: 200, responseFlags: '-' }).connection_security_policy).toBe('unknown');
  });

  it('labels a 503 UH with an unknown destination peer but the known Service', () => {
    const l = istioLabels({ reporter: 'source', source, service: reviews, responseCode: 503, responseFlags: 'UH' });
    expect(l).toMatchObject({
      response_code: '503',
      response_flags: 'UH',
      destination_service: 'reviews.shop.svc.cluster.local',
      destination_service_name: 'reviews',
      destination_service_namespace: 'shop',
      destination_workload: 'unknown',
      destination_workload_namespace: 'unknown',
      destination_version: 'unknown',
      destination_app: 'unknown',
      destination_principal: 'unknown',
      destination_canonical_revision: 'latest',
    });
  });

  it('prefers the pod canonical-revision label, as the sidecar injector does', () => {
    const p = pod('a', 'v1', { labels: { app: 'reviews', version: 'v1', 'service.istio.io/canonical-revision': 'r7' } });
    expect(istioLabels({ reporter: 'destination', source, service: reviews, peer: { pod: p }, responseCode: 200, responseFlags: '-' }).destination_canonical_revision).toBe('r7');
  });
});

describe("which pod label becomes destination_version and destination_canonical_revision (Istio's rule)", () => {
  const labelsOf = (reporter: 'source' | 'destination', podLabels: Record<string, string>) => {
    const l = istioLabels({ reporter, source, service: reviews, peer: { pod: pod('a', 'x', { labels: podLabels }) }, responseCode: 200, responseFlags: '-' });
    return [l.destination_version, l.destination_canonical_revision, l.destination_app, l.destination_canonical_service];
  };

  it.each([
    // pod labels                                                                   destination reporter: version, revision, app, canonical service
    [{ app: 'reviews', version: 'v2' }, ['v2', 'v2', 'reviews', 'reviews']],
    [{ app: 'reviews', 'app.kubernetes.io/version': '1.3.0' }, ['', '1.3.0', 'reviews', 'reviews']],
    [{ app: 'reviews', version: 'v2', 'app.kubernetes.io/version': '1.3.0' }, ['v2', '1.3.0', 'reviews', 'reviews']],
    [{ app: 'reviews', track: 'canary' }, ['', 'latest', 'reviews', 'reviews']],
    [{ 'app.kubernetes.io/name': 'rv', version: 'v2', 'service.istio.io/canonical-revision': 'r9' }, ['v2', 'r9', '', 'rv']],
  ])('server side (reporter="destination", what sluice queries) for pod labels %j', (podLabels, expected) => {
    expect(labelsOf('destination', podLabels)).toEqual(expected);
  });

  it.each([
    [{ app: 'reviews', version: 'v2' }, ['v2', 'v2', 'reviews', 'reviews']],
    [{ app: 'reviews', 'app.kubernetes.io/version': '1.3.0', version: 'v2' }, ['1.3.0', '1.3.0', 'reviews', 'reviews']],
    [{ app: 'reviews', track: 'canary' }, ['unknown', 'latest', 'reviews', 'reviews']],
    [{ 'app.kubernetes.io/name': 'rv', app: 'reviews' }, ['unknown', 'latest', 'rv', 'rv']],
  ])('client side (reporter="source") for pod labels %j', (podLabels, expected) => {
    expect(labelsOf('source', podLabels)).toEqual(expected);
  });

  it('ignores the label a TrafficShift keys subsets by: a pod labelled only track=canary reports no version', () => {
    expect(labelsOf('destination', { app: 'reviews', track: 'canary' })[0]).toBe('');
  });
});
