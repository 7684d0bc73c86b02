/**
 * Which fields of a TrafficShift spec a Gateway API HTTPRoute cannot express, as field errors.
 * Called by checkSpec (src/api/trafficShift.ts) for `spec.routing: gatewayAPI`, so a refusal is
 * an invalid spec everywhere: `sluice plan`, the Ready condition and an Event, nothing routed.
 */
import { FieldError, fieldError } from '../api/fieldError';
import { HttpMatch, TrafficShiftSpec } from '../api/spec';
import { routeOptionErrors, toRouteMatch, toRouteMatches } from './translate';

/** A hostname as Gateway API's HTTPRoute accepts it: lower case, "*." only as a leading label. */
const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const isMesh = (gateway: string): boolean => gateway === 'mesh';

/** Whether a host is a name of the shift's own Service (any namespace-qualified form). */
const ownName = (host: string, service: string): boolean => host === service || host.startsWith(`${service}.`);

const istioJson = (m: HttpMatch): Record<string, unknown> => HttpMatch.encode(m) as Record<string, unknown>;

/** The spec's fields a Gateway API HTTPRoute cannot carry; empty when it can carry all of them. */
export const gatewaySpecErrors = (spec: TrafficShiftSpec): FieldError[] => {
  const errors: FieldError[] = [...routeOptionErrors(spec.route)];
  const routeMatch = spec.route?.match;
  if (routeMatch !== undefined) {
    const r = toRouteMatches(routeMatch.map(istioJson), 'spec.route.match');
    if (!r.ok) errors.push(...r.errors);
  }
  if (spec.strategy.kind === 'blueGreen' && spec.strategy.value.previewMatch !== undefined) {
    const r = toRouteMatch(istioJson(spec.strategy.value.previewMatch), 'spec.strategy.blueGreen.previewMatch');
    if (!r.ok) errors.push(...r.errors);
  }
  if (spec.strategy.kind === 'abTest') {
    const r = toRouteMatches(spec.strategy.value.match.map(istioJson), 'spec.strategy.abTest.match');
    if (!r.ok) errors.push(...r.errors);
  }
  if (spec.strategy.kind === 'canary' && spec.strategy.value.sessionAffinity !== undefined)
    errors.push(fieldError('spec.strategy.canary.sessionAffinity', spec.strategy.value.sessionAffinity, 'is not supported with spec.routing: gatewayAPI (sluice renders the sticky cookie routes as VirtualService routes only); expected no sessionAffinity, or spec.routing: virtualService'));
  if (spec.strategy.kind !== 'abTest' && spec.strategy.value.mirror !== undefined)
    errors.push(fieldError(`spec.strategy.${spec.strategy.kind}.mirror`, spec.strategy.value.mirror, 'is not supported with spec.routing: gatewayAPI (sluice renders no HTTPRoute RequestMirror filter); expected no mirror, or spec.routing: virtualService'));
  if (spec.adopt === true) errors.push(fieldError('spec.adopt', true, 'is not supported with spec.routing: gatewayAPI (sluice adopts no HTTPRoute or Service); expected false'));
  const gateways = spec.gateways ?? ['mesh'];
  const viaGateway = gateways.some((g) => !isMesh(g));
  (spec.hosts ?? []).forEach((host, i) => {
    if (!HOSTNAME.test(host))
      errors.push(fieldError(`spec.hosts[${i}]`, host, 'is not a Gateway API hostname (expected lower case, "*." only as the first label, no lone "*")'));
    else if (!viaGateway && !ownName(host, spec.service))
      errors.push(fieldError(`spec.hosts[${i}]`, host, `is not a name of Service ${spec.service}; with spec.routing: gatewayAPI only a Gateway in spec.gateways routes other hosts`));
  });
  return errors;
};
