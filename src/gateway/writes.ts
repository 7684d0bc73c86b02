/**
 * From rendered Gateway API objects to the ordered writes that reach them. Pure: the daemon
 * applies the list in order and stops at the first failure.
 *
 * The rule is the DestinationRule-before-VirtualService rule of ADR 0003, with Services for
 * subsets: a per-version Service exists, and has ready endpoints, before the HTTPRoute gives it
 * weight; it is deleted only after no route names it.
 *   1. create or update the per-version Services the route will name;
 *   2. write the HTTPRoute, unless a backend it gives weight was created or changed in this plan
 *      or has no ready endpoint yet: then the route waits (the plan says which backends), and
 *      the next pass, which sees the Service in its cache, writes it. Gateway API answers a
 *      request for a backend Service without endpoints with an error, Envoy with 503 UH;
 *   3. delete this shift's per-version Services that no route names any more (guarded by the
 *      resourceVersion read, so a Service changed meanwhile is not deleted).
 * An interrupted sequence leaves an extra Service, never a route to a missing one.
 */
import { sameJson } from '../istio/canonical';
import { isManagedBySluice, owningShift } from '../istio/objects';
import { backendNames, ExistingHTTPRoute, ExistingService } from './objects';
import { FOR_SERVICE_LABEL } from './render';
import { RenderedGateway, VersionService } from './types';

/** What exists now: the HTTPRoute named after the Service, and the Services the plan may touch, by name. */
export interface GatewayCurrent {
  readonly httpRoute?: ExistingHTTPRoute;
  /** Every Service named like a desired per-version Service, and every per-version Service this shift owns for the shifted Service. */
  readonly services: ReadonlyMap<string, ExistingService>;
}

export type GatewayWrite =
  | {
      readonly op: 'create' | 'update';
      readonly kind: 'HTTPRoute';
      readonly name: string;
      readonly namespace: string;
      readonly object: Record<string, unknown>;
      readonly why: string;
    }
  | {
      readonly op: 'create';
      readonly kind: 'Service';
      readonly name: string;
      readonly namespace: string;
      readonly object: Record<string, unknown>;
      readonly why: string;
    }
  | {
      /** A JSON merge patch guarded by the resourceVersion in it: ports, selector and sluice's labels. */
      readonly op: 'patch';
      readonly kind: 'Service';
      readonly name: string;
      readonly namespace: string;
      readonly patch: Record<string, unknown>;
      readonly why: string;
    }
  | {
      readonly op: 'delete';
      readonly kind: 'Service';
      readonly name: string;
      readonly namespace: string;
      /** Precondition: deleted only if still at this resourceVersion. */
      readonly resourceVersion: string;
      readonly why: string;
    };

export interface GatewayPlan {
  readonly writes: readonly GatewayWrite[];
  /** Backends the HTTPRoute would give weight that are new, changed or without a ready endpoint: the route write waits for them. */
  readonly waitingFor: readonly string[];
}

/** Whether a per-version Service is this shift's, for the shifted Service `service`. */
export const ownsService = (s: ExistingService, shift: string, service: string): boolean =>
  isManagedBySluice(s) && owningShift(s) === shift && s.metadata.labels?.[FOR_SERVICE_LABEL] === service;

/** Whether the Service in the cluster already has the desired ports, selector and sluice's labels. */
const serviceUpToDate = (cur: ExistingService, want: VersionService): boolean => {
  const labels = cur.metadata.labels ?? {};
  if (Object.entries(want.metadata.labels).some(([k, v]) => labels[k] !== v)) return false;
  if (!sameJson(cur.spec.selector ?? {}, want.spec.selector)) return false;
  const ports = cur.spec.ports ?? [];
  return ports.length === want.spec.ports.length && want.spec.ports.every((p, i) => {
    const c = ports[i]!;
    return c.port === p.port && c.name === p.name && (c.protocol ?? 'TCP') === p.protocol && String(c.targetPort ?? c.port) === String(p.targetPort ?? p.port) && c.appProtocol === p.appProtocol;
  });
};

/** The HTTPRoute as it will be written: the current object with sluice's labels and spec fields replaced, everything else kept. */
const routeObject = (current: ExistingHTTPRoute | undefined, desired: RenderedGateway['httpRoute']): Record<string, unknown> => {
  if (!current) return desired as unknown as Record<string, unknown>;
  const { hostnames: _dropped, ...rest } = current.spec as Record<string, unknown>;
  return {
    ...current,
    metadata: { ...current.metadata, labels: { ...current.metadata.labels, ...desired.metadata.labels } },
    spec: { ...rest, parentRefs: desired.spec.parentRefs, ...(desired.spec.hostnames ? { hostnames: desired.spec.hostnames } : {}), rules: desired.spec.rules },
  };
};

/**
 * The ordered writes from `current` to `desired`, leaving out writes that would change nothing.
 * `ready(name)` says whether the per-version Service `name` has a ready endpoint now.
 */
export const planGatewayWrites = (
  current: GatewayCurrent,
  desired: RenderedGateway,
  shift: { readonly name: string; readonly service: string },
  ready: (serviceName: string) => boolean,
): GatewayPlan => {
  const writes: GatewayWrite[] = [];
  const changed = new Set<string>();
  for (const s of desired.services) {
    const cur = current.services.get(s.metadata.name);
    const meta = { name: s.metadata.name, namespace: s.metadata.namespace };
    if (!cur) {
      writes.push({ op: 'create', kind: 'Service', ...meta, object: s as unknown as Record<string, unknown>, why: `create Service ${s.metadata.name} before a route names it` });
      changed.add(s.metadata.name);
    } else if (!serviceUpToDate(cur, s)) {
      writes.push({
        op: 'patch', kind: 'Service', ...meta,
        patch: { metadata: { resourceVersion: cur.metadata.resourceVersion, labels: s.metadata.labels }, spec: { ports: s.spec.ports, selector: s.spec.selector } },
        why: `set the ports and selector of Service ${s.metadata.name}`,
      });
      changed.add(s.metadata.name);
    }
  }
  const route = desired.httpRoute;
  const weighted = route.spec.rules.flatMap((r) => r.backendRefs.filter((b) => b.weight > 0).map((b) => b.name));
  const waitingFor = [...new Set(weighted.filter((n) => changed.has(n) || !ready(n)))].sort();
  if (waitingFor.length === 0) {
    const object = routeObject(current.httpRoute, route);
    const meta = { name: route.metadata.name, namespace: route.metadata.namespace };
    if (!current.httpRoute) writes.push({ op: 'create', kind: 'HTTPRoute', ...meta, object, why: 'create the HTTPRoute' });
    else if (!sameJson(object, current.httpRoute)) writes.push({ op: 'update', kind: 'HTTPRoute', ...meta, object, why: 'set backends and weights' });
  }
  // A Service goes only when neither the route in place nor the one written names it.
  const named = new Set([...desired.services.map((s) => s.metadata.name), ...(waitingFor.length > 0 ? backendNames(current.httpRoute) : backendNames({ spec: route.spec } as unknown as ExistingHTTPRoute))]);
  for (const [name, s] of [...current.services.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (named.has(name) || !ownsService(s, shift.name, shift.service) || s.metadata.resourceVersion === undefined) continue;
    writes.push({ op: 'delete', kind: 'Service', name, namespace: s.metadata.namespace, resourceVersion: s.metadata.resourceVersion, why: `delete Service ${name}: no route names it any more` });
  }
  return { writes, waitingFor };
};

/**
 * Why sluice must not write the Gateway API objects of a shift, or undefined when it may: an
 * HTTPRoute or a Service it would write that is not labelled managed-by sluice (sluice adopts
 * neither), or that another TrafficShift manages. `shiftExists` lets a deleted shift's leftovers
 * (pinned, ADR 0004) be taken over.
 */
export const gatewayOwnershipProblem = (
  current: GatewayCurrent,
  desiredServices: readonly string[],
  shift: { readonly namespace: string; readonly name: string },
  shiftExists: (name: string) => boolean,
): string | undefined => {
  const objects = [
    ...(current.httpRoute ? [{ kind: 'HTTPRoute', obj: current.httpRoute }] : []),
    ...desiredServices.flatMap((n) => {
      const s = current.services.get(n);
      return s ? [{ kind: 'Service', obj: s }] : [];
    }),
  ];
  for (const { kind, obj } of objects) {
    const where = `${kind} ${obj.metadata.namespace}/${obj.metadata.name}`;
    if (!isManagedBySluice(obj)) return `${where} exists and is not managed by sluice (with spec.routing: gatewayAPI sluice adopts no objects)`;
    const owner = owningShift(obj);
    if (owner !== shift.name && owner !== undefined && shiftExists(owner)) return `${where} is managed by TrafficShift ${shift.namespace}/${owner}, not ${shift.name}`;
  }
  return undefined;
};

/**
 * The writes that release a deleted shift's Gateway API objects (ADR 0004): the HTTPRoute is
 * pinned in ONE write to `pin` at 100 % (its preview or ab-test rule dropped, every other rule keeping its
 * matches and filters), then the per-version Services the pinned route no longer names are
 * deleted. Without a pin version, or when the pin's Service is gone, the route is left as it is.
 * `current` holds only objects this shift owns.
 */
export const planGatewayRelease = (current: GatewayCurrent, pinService: string | undefined, shift: { readonly name: string; readonly service: string }): GatewayWrite[] => {
  const writes: GatewayWrite[] = [];
  const route = current.httpRoute;
  let finalRoute: ExistingHTTPRoute | undefined = route;
  if (route && pinService !== undefined && current.services.has(pinService)) {
    const rules = (route.spec.rules ?? [])
      .filter((r) => r.name !== 'preview' && r.name !== 'ab-test')
      .map((r) => {
        const first = (r.backendRefs ?? [])[0];
        return { ...r, backendRefs: [{ ...(first ?? { group: '', kind: 'Service' }), name: pinService, weight: 100 }] };
      });
    const pinned = { ...route, metadata: { ...route.metadata }, spec: { ...route.spec, rules } } as ExistingHTTPRoute;
    if (!sameJson(pinned, route))
      writes.push({ op: 'update', kind: 'HTTPRoute', name: route.metadata.name, namespace: route.metadata.namespace, object: pinned, why: `pin 100 % to ${pinService}` });
    finalRoute = pinned;
  }
  const named = backendNames(finalRoute);
  for (const [name, s] of [...current.services.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (named.has(name) || !ownsService(s, shift.name, shift.service) || s.metadata.resourceVersion === undefined) continue;
    writes.push({ op: 'delete', kind: 'Service', name, namespace: s.metadata.namespace, resourceVersion: s.metadata.resourceVersion, why: `delete Service ${name}: the released route does not name it` });
  }
  return writes;
};
