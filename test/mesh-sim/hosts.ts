/**
 * Host names as Istio resolves them inside the mesh: `reviews`, `reviews.shop`,
 * `reviews.shop.svc` and `reviews.shop.svc.cluster.local` all mean Service reviews in namespace
 * shop; a short name is relative to the namespace of the object that mentions it.
 */
import type { ServiceRef } from './model';

const CLUSTER_DOMAIN = 'svc.cluster.local';

/** The Service a host names, or undefined for a host outside the cluster (e.g. `example.com`). */
export const resolveHost = (host: string, relativeTo: string): ServiceRef | undefined => {
  const parts = host.toLowerCase().split('.');
  if (parts.some((p) => p === '')) return undefined;
  if (parts.length === 1) return { namespace: relativeTo, name: parts[0] };
  if (parts.length === 2) return { namespace: parts[1], name: parts[0] };
  if (parts.length === 3 && parts[2] === 'svc') return { namespace: parts[1], name: parts[0] };
  if (parts.length === 5 && parts.slice(2).join('.') === CLUSTER_DOMAIN) return { namespace: parts[1], name: parts[0] };
  return undefined;
};

/** `reviews.shop.svc.cluster.local`, the form Istio puts in `destination_service`. */
export const fqdn = (s: ServiceRef): string => `${s.name}.${s.namespace}.${CLUSTER_DOMAIN}`;

export const sameService = (a: ServiceRef, b: ServiceRef): boolean => a.namespace === b.namespace && a.name === b.name;

/** `shop/reviews`, the key used in the ledger and in profile tables. */
export const serviceKey = (s: ServiceRef): string => `${s.namespace}/${s.name}`;
