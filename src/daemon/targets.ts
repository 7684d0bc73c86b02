/**
 * One rule for every route write sluice plans from its caches, VirtualService and HTTPRoute alike:
 * what the route names must exist on the API server at the moment of the write.
 *
 * Plans are made from the informer caches, which can lag a deletion: a namespace being deleted
 * (the namespace controller may remove a DestinationRule or a Service before the TrafficShift,
 * which waits on sluice's finalizer), or a person deleting one by hand. A route written from such
 * a cache sends traffic to a subset that no longer exists (Envoy answers 503 NC) or to a backend
 * Service that no longer exists (Gateway API and Istio answer 500). So before a route write that
 * its plan did not precede with the writes of what it names (a write that succeeded proves the
 * object is there), the daemon reads those objects from the API server:
 *   - VirtualService: the DestinationRule of the same name, and every subset its routes name;
 *   - HTTPRoute: every Service its backendRefs name, weighted or not.
 * An object being deleted (deletionTimestamp set) counts as gone. Anything missing means "wait
 * for the cache and plan again", never a write; on release (deletion, spec.service moving) the
 * callers let a shift go when everything it routed to is gone, so a namespace deletion is never
 * held up (finalize.ts releaseRoutes, gatewayRoutes.ts releaseGateway).
 */
import * as E from 'fp-ts/Either';
import { backendNames, ExistingHTTPRoute } from '../gateway';
import { missingSubsets, RoutesLike, SubsetsLike } from '../istio';
import { KubeError } from '../kube/errors';
import { Kube } from '../kube/kube';
import { DESTINATION_RULES, KubeObject, ObjectRef, SERVICES } from '../kube/objects';

/** A route write about to be made: the object as it will be written. */
export type RouteWrite =
  | { readonly kind: 'VirtualService'; readonly object: KubeObject }
  | { readonly kind: 'HTTPRoute'; readonly object: KubeObject };

/** What the API server holds of the objects a route write names. */
export type TargetCheck =
  | { readonly _tag: 'Present' }
  /** Nothing the route needs is left (the DestinationRule, or every backend Service): it cannot be served at all. */
  | { readonly _tag: 'Gone'; readonly missing: readonly string[] }
  /** Some of what the route names is missing, as sentences. */
  | { readonly _tag: 'Missing'; readonly missing: readonly string[] }
  | { readonly _tag: 'Unreadable'; readonly error: KubeError };

/** `Kind/name` of an object a plan wrote, for `written` below. */
export const writtenKey = (kind: 'DestinationRule' | 'Service', name: string): string => `${kind}/${name}`;

/** The object from the API server; undefined when it is not there or being deleted. */
const readFresh = async (kube: Kube, ref: ObjectRef): Promise<E.Either<KubeError, KubeObject | undefined>> => {
  const fresh = await kube.get(ref)();
  if (E.isLeft(fresh)) return fresh.left._tag === 'NotFound' ? E.right(undefined) : fresh;
  return E.right(fresh.right.metadata.deletionTimestamp !== undefined ? undefined : fresh.right);
};

/**
 * Check a route write against the API server (see the top of this file). `written` holds
 * writtenKey()s of the objects the same plan wrote before it: those are not read again.
 */
export const checkTargets = async (kube: Kube, write: RouteWrite, written: ReadonlySet<string>): Promise<TargetCheck> => {
  const namespace = write.object.metadata.namespace ?? '';
  switch (write.kind) {
    case 'VirtualService': {
      const name = write.object.metadata.name;
      if (written.has(writtenKey('DestinationRule', name))) return { _tag: 'Present' };
      const rule = await readFresh(kube, { resource: DESTINATION_RULES, namespace, name });
      if (E.isLeft(rule)) return { _tag: 'Unreadable', error: rule.left };
      if (rule.right === undefined) return { _tag: 'Gone', missing: [`DestinationRule ${namespace}/${name} does not exist`] };
      const missing = missingSubsets(write.object as RoutesLike, rule.right as SubsetsLike);
      return missing.length > 0 ? { _tag: 'Missing', missing } : { _tag: 'Present' };
    }
    case 'HTTPRoute': {
      const names = [...backendNames(write.object as unknown as ExistingHTTPRoute)].sort();
      const missing: string[] = [];
      for (const name of names) {
        if (written.has(writtenKey('Service', name))) continue;
        const service = await readFresh(kube, { resource: SERVICES, namespace, name });
        if (E.isLeft(service)) return { _tag: 'Unreadable', error: service.left };
        if (service.right === undefined) missing.push(`backend Service ${namespace}/${name} does not exist`);
      }
      if (missing.length === 0) return { _tag: 'Present' };
      return missing.length === names.length ? { _tag: 'Gone', missing } : { _tag: 'Missing', missing };
    }
  }
};
