/**
 * Deleting a TrafficShift never drops or splits live traffic (ADR 0004). While the finalizer
 * sluice.dev/finalizer holds the object, the daemon releases the Istio objects it manages:
 *   - an adopted object (it carries sluice.dev/original-spec) gets its original spec, labels and
 *     annotations back;
 *   - an object sluice created stays, pinned 100 % to the stable version (or to the candidate
 *     when it already has 100 %, so nothing moves), without sluice's ownerReference, so the
 *     garbage collector does not delete it once the shift is gone.
 * User routes (spec.routes) stay, their split pinned like the primary route's.
 * The VirtualService changes in ONE write. A subset is removed only after no route names it, so
 * the DestinationRule is written with the union of subsets before the VirtualService and with the
 * final ones after. Then the finalizer is removed.
 */
import * as E from 'fp-ts/Either';
import { decodeTrafficShift, resolveSpec } from '../api/trafficShift';
import { guardSpec } from './guardSpec';
import { ResolvedSpec } from '../api/spec';
import { ShiftStatus } from '../api/status';
import {
  ExistingDestinationRule, ExistingVirtualService, isManagedBySluice, owningShift, renderRoutes, RenderOptions, sameJson, MANAGED_BY_LABEL, SHIFT_LABEL,
} from '../istio';
import { DESTINATION_RULES, FINALIZER, KubeObject, ORIGINAL_SPEC_ANNOTATION, VIRTUAL_SERVICES, keyOf } from '../kube/objects';
import { releaseGateway } from './gatewayRoutes';
import { checkTargets, writtenKey } from './targets';
import { CurrentRoutes, renderOptions, currentRoutes, done, onShiftWrite, ORIGINAL_MANAGED_BY_ANNOTATION, Pass, ReconcileDeps, recordEvents, shiftRef, withLiveUserRoutes } from './reconcile';

type Spec = Record<string, unknown>;
interface Release {
  readonly kind: 'VirtualService' | 'DestinationRule';
  readonly object: KubeObject;
}

interface Subset { readonly name: string; readonly [k: string]: unknown }

const subsetsNamed = (vsSpec: Spec | undefined): Set<string> => {
  const names = new Set<string>();
  const routes = [...((vsSpec?.http ?? []) as unknown[]), ...((vsSpec?.tcp ?? []) as unknown[])] as { route?: { destination?: { subset?: string } }[] }[];
  for (const r of routes) for (const d of r.route ?? []) if (d.destination?.subset) names.add(d.destination.subset);
  return names;
};

/** `spec` with every subset in `needed` that `from` defines added (a route still names it). */
const withSubsets = (spec: Spec, needed: Set<string>, from: readonly Subset[]): Spec => {
  const subsets = [...((spec.subsets ?? []) as Subset[])];
  for (const s of from) if (needed.has(s.name) && !subsets.some((x) => x.name === s.name)) subsets.push(s);
  return { ...spec, subsets };
};

const originalOf = (o: { metadata: { annotations?: Readonly<Record<string, string>> } }): Spec | undefined => {
  const raw = o.metadata.annotations?.[ORIGINAL_SPEC_ANNOTATION];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as Spec;
  } catch {
    return undefined;
  }
};

/** The object's metadata without sluice's ownerReference; for a restored object also without sluice's labels and marks. */
const releasedMeta = (o: ExistingVirtualService | ExistingDestinationRule, uid: string, restore: boolean): KubeObject['metadata'] => {
  const { managedFields: _m, ownerReferences, labels, annotations, ...rest } = o.metadata as KubeObject['metadata'];
  const owners = (ownerReferences as { uid?: string }[] | undefined)?.filter((r) => r.uid !== uid) ?? [];
  const keptLabels: Record<string, string> = { ...labels };
  const keptAnnotations: Record<string, string> = { ...annotations };
  if (restore) {
    delete keptLabels[MANAGED_BY_LABEL];
    delete keptLabels[SHIFT_LABEL];
    const before = keptAnnotations[ORIGINAL_MANAGED_BY_ANNOTATION];
    if (before !== undefined) keptLabels[MANAGED_BY_LABEL] = before;
    delete keptAnnotations[ORIGINAL_SPEC_ANNOTATION];
    delete keptAnnotations[ORIGINAL_MANAGED_BY_ANNOTATION];
  }
  return {
    ...rest,
    ...(Object.keys(keptLabels).length > 0 ? { labels: keptLabels } : {}),
    ...(Object.keys(keptAnnotations).length > 0 ? { annotations: keptAnnotations } : {}),
    ...(owners.length > 0 ? { ownerReferences: owners } : {}),
  } as KubeObject['metadata'];
};

/** The version deletion pins to: the candidate if it already has 100 %, else the stable version. */
export const pinVersion = (status: ShiftStatus): string | undefined =>
  status.candidateVersion !== undefined && status.weights?.candidate === 100 ? status.candidateVersion : status.stableVersion;

/** The ordered writes that release a deleted shift's objects (pure). Objects not managed by this shift are not in `current`. */
export const planRelease = (
  shift: { readonly namespace: string; readonly name: string; readonly uid: string; readonly spec?: ResolvedSpec; readonly status: ShiftStatus },
  current: CurrentRoutes,
  options: RenderOptions = {},
): Release[] => {
  const { virtualService: vs, destinationRule: dr } = current;
  const pin = pinVersion(shift.status);
  const pinned =
    shift.spec && pin !== undefined
      ? renderRoutes({ namespace: shift.namespace, name: shift.name, uid: shift.uid, spec: shift.spec }, { stable: pin, weights: { stable: 100, candidate: 0 }, preview: false }, options)
      : undefined;
  const vsOriginal = vs ? originalOf(vs) : undefined;
  const drOriginal = dr ? originalOf(dr) : undefined;
  const finalVs: Spec | undefined = vs
    ? (vsOriginal ?? (pinned ? { ...vs.spec, ...pinned.virtualService.spec } : vs.spec))
    : undefined;
  const writes: Release[] = [];
  const drSubsets = (dr?.spec.subsets ?? []) as Subset[];
  const stillNamed = new Set([...subsetsNamed(vs?.spec), ...subsetsNamed(finalVs)]);
  const finalNamed = subsetsNamed(finalVs);
  const finalDr: Spec | undefined = dr
    ? (drOriginal ?? (pinned ? { ...dr.spec, host: pinned.destinationRule.spec.host, subsets: pinned.destinationRule.spec.subsets.map((s) => ({ ...drSubsets.find((x) => x.name === s.name), ...s })) } : dr.spec))
    : undefined;
  const push = (kind: Release['kind'], cur: ExistingVirtualService | ExistingDestinationRule, object: KubeObject) => {
    if (!sameJson(object, cur)) writes.push({ kind, object });
  };
  if (dr && finalDr) {
    // Before the routes move: every subset a route names now or will name.
    const union = withSubsets(finalDr, stillNamed, drSubsets);
    const object = { ...dr, metadata: dr.metadata, spec: union } as KubeObject;
    if (!sameJson(union, dr.spec)) push('DestinationRule', dr, object);
  }
  if (vs && finalVs) push('VirtualService', vs, { ...vs, metadata: releasedMeta(vs, shift.uid, vsOriginal !== undefined), spec: finalVs } as KubeObject);
  if (dr && finalDr)
    push('DestinationRule', dr, { ...dr, metadata: releasedMeta(dr, shift.uid, drOriginal !== undefined), spec: withSubsets(finalDr, finalNamed, drSubsets) } as KubeObject);
  return writes;
};

/** The objects named after `service` that this shift manages (labels), from the caches. */
const ownedRoutes = (deps: ReconcileDeps, namespace: string, name: string, service: string): CurrentRoutes => {
  const mine = <T extends ExistingVirtualService | ExistingDestinationRule>(o: T | undefined): T | undefined =>
    o && isManagedBySluice(o) && owningShift(o) === name ? o : undefined;
  const current = currentRoutes(deps.caches, namespace, service);
  if (E.isLeft(current)) return {};
  const vs = mine(current.right.virtualService);
  const dr = mine(current.right.destinationRule);
  return { ...(vs ? { virtualService: vs } : {}), ...(dr ? { destinationRule: dr } : {}) };
};

/**
 * Release what the shift manages for `service`: an adopted object gets its original back, one
 * sluice created is pinned 100 % to pinVersion(status), keeping its hosts and gateways. Used on
 * deletion and when spec.service moves to another Service (the old routes must not stay split
 * and unguarded). Returns the objects that were owned, or how the writes failed.
 */
export const releaseRoutes = async (
  deps: ReconcileDeps, obj: KubeObject, service: string, spec: ResolvedSpec | undefined, status: ShiftStatus, lenient = false,
): Promise<{ readonly _tag: 'Released'; readonly owned: CurrentRoutes } | Pass> => {
  const namespace = obj.metadata.namespace ?? '';
  const name = obj.metadata.name;
  const owned = ownedRoutes(deps, namespace, name, service);
  const vs = owned.virtualService?.spec;
  const read = spec && { ...spec, service, hosts: vs?.hosts ?? (spec.service === service ? spec.hosts : [service]), gateways: vs?.gateways ?? spec.gateways };
  // A spec read leniently, or one that moved to another Service, pins the user routes that are live.
  const forService = read && (lenient || spec.service !== service ? withLiveUserRoutes(deps, read, namespace, owned) : read);
  const writes = planRelease({ namespace, name, uid: obj.metadata.uid ?? '', ...(forService ? { spec: forService } : {}), status }, owned, renderOptions(deps));
  const versions = new Map<string, string>();
  for (const w of writes) {
    const rv = versions.get(w.kind);
    const object = rv ? { ...w.object, metadata: { ...w.object.metadata, resourceVersion: rv } } : w.object;
    // Pinned routes name subsets as the cache saw them (an original put back is the user's own).
    // With the rule gone (its namespace being deleted) no route to a subset can be served: the
    // routes are left as they are rather than pinned to a subset that does not exist.
    if (w.kind === 'VirtualService' && isManagedBySluice(object)) {
      const targets = await checkTargets(deps.kube, { kind: 'VirtualService', object }, new Set(versions.has('DestinationRule') ? [writtenKey('DestinationRule', object.metadata.name)] : []));
      if (targets._tag === 'Unreadable') return { _tag: 'Error', error: targets.error };
      if (targets._tag === 'Missing') return done(500);
      if (targets._tag === 'Gone') {
        deps.log.warn('routes not pinned: their DestinationRule is gone', { namespace, shift: name, virtualService: object.metadata.name });
        continue;
      }
    }
    const r = await deps.kube.replace(w.kind === 'VirtualService' ? VIRTUAL_SERVICES : DESTINATION_RULES, object)();
    if (E.isLeft(r)) return r.left._tag === 'Conflict' ? done(500) : { _tag: 'Error', error: r.left };
    if (r.right.metadata.resourceVersion) versions.set(w.kind, r.right.metadata.resourceVersion);
  }
  return { _tag: 'Released', owned };
};

/** Release the shift's objects (for spec.service and for the Service it last routed), then remove the finalizer. */
export const finalize = async (deps: ReconcileDeps, obj: KubeObject): Promise<Pass> => {
  const namespace = obj.metadata.namespace ?? '';
  const name = obj.metadata.name;
  deps.trackGate(keyOf(namespace, name), undefined);
  if (!(obj.metadata.finalizers ?? []).includes(FINALIZER)) return done();
  const decoded = decodeTrafficShift(obj);
  // An invalid spec is read leniently, so the routes are still pinned (not left split).
  const spec = E.isRight(decoded) ? resolveSpec(decoded.right.spec) : guardSpec(obj);
  const raw = spec?.service ?? (obj.spec as { service?: unknown } | undefined)?.service;
  const status = (obj.status ?? {}) as ShiftStatus;
  const services = [...new Set([status.routedService, typeof raw === 'string' ? raw : undefined].filter((x): x is string => x !== undefined))];
  const messages: string[] = [];
  for (const service of services) {
    const released = await releaseRoutes(deps, obj, service, spec, status, E.isLeft(decoded));
    if (released._tag !== 'Released') return released;
    const gateway = await releaseGateway(deps.kube, deps.caches, namespace, name, service, pinVersion(status));
    if (gateway._tag === 'Stale') return done(500);
    if (gateway._tag === 'Failed') return { _tag: 'Error', error: gateway.error };
    if (gateway.owned.httpRoute)
      messages.push(`HTTPRoute ${service} left pinned 100 % to ${pinVersion(status) ?? 'the current version'} and released from the shift (delete the HTTPRoute and the Service it names to remove them)`);
    const { owned } = released;
    const restored = [owned.virtualService, owned.destinationRule].filter((o) => o && originalOf(o)).map((o) => `${o!.kind} ${o!.metadata.name}`);
    const pin = pinVersion(status);
    if (owned.virtualService || owned.destinationRule)
      messages.push(restored.length > 0
        ? `restored the original ${restored.join(' and ')}`
        : `routes left pinned 100 % to ${pin ?? 'the current version'} and released from the shift (delete the VirtualService and DestinationRule ${service} to remove them)`);
  }
  const message = `${namespace}/${name} deleted: ${messages.length > 0 ? messages.join('; ') : 'no routing objects to release'}`;
  await recordEvents(deps, obj, [{ type: 'Normal', reason: 'Released', message }]);
  const removed = await deps.kube.mergePatch(shiftRef(namespace, name), {
    metadata: { resourceVersion: obj.metadata.resourceVersion, finalizers: (obj.metadata.finalizers ?? []).filter((f) => f !== FINALIZER) },
  })();
  if (E.isLeft(removed)) return removed.left._tag === 'NotFound' ? done() : onShiftWrite(removed.left);
  deps.log.info('released', { shift: name, namespace, phase: 'Deleted', reason: 'Released', message });
  return done();
};
