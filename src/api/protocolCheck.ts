/**
 * Which fields of a TrafficShift spec a TCP service cannot use, as field errors. Called by
 * checkSpec (trafficShift.ts) for `spec.protocol: tcp`, so a refusal is an invalid spec
 * everywhere: `sluice plan`, the Ready condition and an Event, nothing routed. The CRD carries
 * the same refusals as CEL rules (charts/sluice/crds/trafficshift.yaml).
 *
 * Why each is HTTP-only: an Istio TCPRoute has only `match` (L4: port, source labels, subnets)
 * and `route` (weighted destinations); Envoy's tcp_proxy picks a cluster per connection and sees
 * no requests, so there are no headers to match (A/B, preview), cookies to pin (sessionAffinity) or requests to mirror (mirror), no HTTP route options (timeout,
 * retries, headers, CORS), and Istio reports no request duration (istio_request_duration_* is
 * HTTP only), so no p99 latency to judge. Gateway API's HTTPRoute carries HTTP only.
 */
import { FieldError, fieldError } from './fieldError';
import { AbTestStrategy, HttpMatch, TrafficShiftSpec } from './spec';

const TCP_ROUTE = 'an Istio TCP route carries only weighted destinations, chosen per connection';

/** The spec's fields a TCP service cannot use; empty when it uses none (or is not tcp). */
export const tcpSpecErrors = (spec: TrafficShiftSpec): FieldError[] => {
  if (spec.protocol !== 'tcp') return [];
  const errors: FieldError[] = [];
  const s = spec.strategy;
  if (s.kind === 'abTest')
    errors.push(fieldError('spec.strategy.abTest', AbTestStrategy.encode(s.value), `is an A/B test by HTTP match, which spec.protocol: tcp cannot route (${TCP_ROUTE}); expected canary or blueGreen`));
  if (s.kind === 'canary' && s.value.sessionAffinity !== undefined)
    errors.push(fieldError('spec.strategy.canary.sessionAffinity', s.value.sessionAffinity, `pins users by an HTTP cookie, which spec.protocol: tcp cannot set or match (${TCP_ROUTE}, and a connection already stays on its version until it closes); expected no sessionAffinity`));
  if (s.kind === 'blueGreen' && s.value.previewMatch !== undefined)
    errors.push(fieldError('spec.strategy.blueGreen.previewMatch', HttpMatch.encode(s.value.previewMatch), `is an HTTP match, which spec.protocol: tcp cannot route (${TCP_ROUTE}); expected no previewMatch`));
  if (s.kind !== 'abTest' && s.value.mirror !== undefined)
    errors.push(fieldError(`spec.strategy.${s.kind}.mirror`, s.value.mirror, `copies HTTP requests, which spec.protocol: tcp cannot do (${TCP_ROUTE}, with no mirror); expected no mirror`));
  if (spec.route !== undefined)
    errors.push(fieldError('spec.route', spec.route, `holds HTTP route options, which spec.protocol: tcp cannot carry (${TCP_ROUTE}); expected no spec.route`));
  if (spec.analysis?.maxP99LatencyMs !== undefined)
    errors.push(fieldError('spec.analysis.maxP99LatencyMs', spec.analysis.maxP99LatencyMs, 'needs request durations, which Istio reports for HTTP only (istio_request_duration_milliseconds); expected no latency limit with spec.protocol: tcp'));
  if (spec.routing === 'gatewayAPI')
    errors.push(fieldError('spec.routing', spec.routing, 'routes by HTTPRoute, which carries HTTP only; expected virtualService (the default) with spec.protocol: tcp'));
  return errors;
};
