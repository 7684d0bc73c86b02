/**
 * Which TrafficShifts a cache change concerns, so the informers enqueue only those: the shift
 * itself; for a Pod, the shifts whose Service selects it; for a Service, VirtualService or
 * DestinationRule, the shifts of the Service of that name (sluice names its objects after it).
 */
import { CacheChange, Caches } from '../kube/caches';
import { keyOf, KubeObject, TRAFFIC_SHIFTS } from '../kube/objects';
import { SHIFT_LABEL } from '../istio/types';

/** Which shift keys a cache change concerns. */
export const keysFor = (caches: Caches, change: CacheChange): string[] => {
  const ns = change.obj.metadata.namespace ?? '';
  if (change.resource === TRAFFIC_SHIFTS) return [keyOf(ns, change.obj.metadata.name)];
  const shifts = caches.shifts(ns);
  const serviceOf = (s: KubeObject) => (s.spec as { service?: unknown } | undefined)?.service;
  if (change.resource.kind === 'Pod') {
    const labels = change.obj.metadata.labels ?? {};
    return shifts
      .filter((s) => {
        const svc = serviceOf(s);
        const selector = typeof svc === 'string' ? (caches.service(ns, svc)?.spec as { selector?: Record<string, string> } | undefined)?.selector : undefined;
        return selector !== undefined && Object.entries(selector).every(([k, v]) => labels[k] === v);
      })
      .map((s) => keyOf(ns, s.metadata.name));
  }
  // Service, VirtualService, DestinationRule, HTTPRoute: named after the shift's Service; a
  // per-version Service (spec.routing: gatewayAPI) names its shift in a label.
  const owner = change.obj.metadata.labels?.[SHIFT_LABEL];
  const named = shifts.filter((s) => serviceOf(s) === change.obj.metadata.name).map((s) => keyOf(ns, s.metadata.name));
  return owner !== undefined && caches.shift(ns, owner) !== undefined && !named.includes(keyOf(ns, owner)) ? [...named, keyOf(ns, owner)] : named;
};

