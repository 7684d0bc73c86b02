/**
 * Turning rendered routes into the ordered writes that reach them from what is in the cluster.
 * Pure: the daemon applies the list in order and stops at the first failure.
 *
 * The rule: a subset is added before any route references it and removed only after no route
 * does. Adding and removing at once (candidate v2 replaced by v3 while v1 is stable) takes three
 * writes: the DestinationRule with both old and new subsets, then the VirtualService, then the
 * DestinationRule without the old subset. An interrupted sequence leaves extra subsets, never a
 * route to a missing one; the next reconcile finishes it.
 */
import { sameJson } from './canonical';
import { ExistingDestinationRule, ExistingVirtualService, isManagedBySluice, owningShift } from './objects';
import { AnyRenderedRoutes, DestinationRule, TcpVirtualService, VirtualService } from './types';

export interface CurrentObjects {
  readonly destinationRule?: ExistingDestinationRule;
  readonly virtualService?: ExistingVirtualService;
}

/**
 * One write. `update` objects are the current object with sluice's fields replaced (everything
 * else kept) and carry the resourceVersion that was read; when a plan updates the same object
 * twice, the applier uses the resourceVersion returned by the first write.
 */
export interface Write {
  readonly op: 'create' | 'update';
  readonly kind: 'DestinationRule' | 'VirtualService';
  readonly name: string;
  readonly namespace: string;
  readonly object: Record<string, unknown>;
  /** Why this write, for logs and Events. */
  readonly why: string;
}

type Obj = Record<string, unknown> & { metadata?: Record<string, unknown>; spec?: Record<string, unknown> };

/**
 * Owner references with every TrafficShift's removed (sluice versions before 0.2 set one; the
 * garbage collector would delete live routes on a foreground deletion of the shift). Other
 * owners are kept; undefined when none is left.
 */
const withoutShiftOwners = (current: unknown): unknown[] | undefined => {
  type Ref = { kind?: unknown; apiVersion?: unknown };
  const kept = Array.isArray(current) ? current.filter((o: Ref) => !(o.kind === 'TrafficShift' && String(o.apiVersion).startsWith('sluice.dev/'))) : [];
  return kept.length > 0 ? kept : undefined;
};

/** `current` with sluice's labels and the given spec fields replaced, and no TrafficShift ownerReference. */
const mergeInto = (current: Obj, desired: DestinationRule | VirtualService | TcpVirtualService, spec: Record<string, unknown>): Record<string, unknown> => {
  const { ownerReferences, ...metadata } = current.metadata ?? {};
  const owners = withoutShiftOwners(ownerReferences);
  return {
    ...current,
    metadata: {
      ...metadata,
      labels: { ...(current.metadata?.labels as object | undefined), ...desired.metadata.labels },
      ...(owners ? { ownerReferences: owners } : {}),
    },
    spec: { ...current.spec, ...spec },
  };
};

/** Desired subsets, each keeping fields sluice does not manage (e.g. a subset trafficPolicy). */
const mergeSubsets = (current: ExistingDestinationRule, subsets: readonly { name: string }[]): unknown[] => {
  const before = new Map((current.spec.subsets ?? []).map((s) => [s.name, s]));
  return subsets.map((s) => ({ ...before.get(s.name), ...s }));
};

const subsetNames = (dr: { spec: { subsets?: readonly { name: string }[] } }): string[] => (dr.spec.subsets ?? []).map((s) => s.name);

const byName = <S extends { name: string }>(a: S, b: S): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The ordered writes from `current` to `desired`, leaving out writes that would change nothing. */
export const planWrites = (current: CurrentObjects, desired: AnyRenderedRoutes): Write[] => {
  const dr = desired.destinationRule;
  const vs = desired.virtualService;
  const meta = { name: dr.metadata.name, namespace: dr.metadata.namespace };
  const writes: Write[] = [];
  const drUpdate = (object: Record<string, unknown>, why: string): void => {
    if (current.destinationRule && !sameJson(object, current.destinationRule))
      writes.push({ op: 'update', kind: 'DestinationRule', ...meta, object, why });
  };
  const drFinal = (cur: ExistingDestinationRule) => mergeInto(cur, dr, { host: dr.spec.host, subsets: mergeSubsets(cur, dr.spec.subsets) });

  const cur = current.destinationRule;
  const before = cur ? subsetNames(cur) : [];
  const wanted = subsetNames(dr);
  const adds = wanted.filter((n) => !before.includes(n));
  const removes = before.filter((n) => !wanted.includes(n));

  if (!cur) {
    writes.push({ op: 'create', kind: 'DestinationRule', ...meta, object: dr as unknown as Record<string, unknown>, why: 'create subsets before any route names them' });
  } else if (adds.length > 0 && removes.length > 0) {
    const union = [...dr.spec.subsets, ...(cur.spec.subsets ?? []).filter((s) => removes.includes(s.name))].sort(byName);
    drUpdate(mergeInto(cur, dr, { host: dr.spec.host, subsets: mergeSubsets(cur, union) }), `add subsets ${adds.join(', ')} and keep ${removes.join(', ')} until routes move`);
  } else if (removes.length === 0) {
    drUpdate(drFinal(cur), adds.length > 0 ? `add subsets ${adds.join(', ')} before routes name them` : 'update DestinationRule');
  }

  const curVs = current.virtualService;
  if (!curVs) {
    writes.push({ op: 'create', kind: 'VirtualService', ...meta, object: vs as unknown as Record<string, unknown>, why: 'create routes' });
  } else {
    // The route kind of the shift's protocol is replaced; the other kind is kept as it is.
    const routes = 'tcp' in vs.spec ? { tcp: vs.spec.tcp } : { http: vs.spec.http };
    const object = mergeInto(curVs, vs, { hosts: vs.spec.hosts, gateways: vs.spec.gateways, ...routes });
    if (!sameJson(object, curVs)) writes.push({ op: 'update', kind: 'VirtualService', ...meta, object, why: 'set routes and weights' });
  }

  if (cur && removes.length > 0) drUpdate(drFinal(cur), `remove subsets ${removes.join(', ')} no route names any more`);
  return writes;
};

/**
 * Why sluice must not write over an existing object, or undefined when it may: an object not
 * labelled managed-by sluice is only taken over with spec.adopt, and one managed for another
 * TrafficShift never is.
 */
export const ownershipProblem = (
  current: CurrentObjects,
  shift: { readonly namespace: string; readonly name: string; readonly adopt: boolean },
): string | undefined => {
  for (const obj of [current.destinationRule, current.virtualService]) {
    if (obj === undefined) continue;
    const where = `${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`;
    if (!isManagedBySluice(obj)) {
      if (!shift.adopt) return `${where} exists and is not managed by sluice; set spec.adopt: true to take it over`;
    } else if (owningShift(obj) !== shift.name) {
      return `${where} is managed by TrafficShift ${obj.metadata.namespace}/${owningShift(obj) ?? '(unknown)'}, not ${shift.name}`;
    }
  }
  return undefined;
};
