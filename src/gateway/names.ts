/**
 * Names sluice derives for the Gateway API objects. The HTTPRoute carries the Service's name, like
 * the VirtualService. Each version gets a Service `<service>-<subset>` (subset as in
 * istio/names.ts: the version itself when it is a DNS label): HTTPRoute weights address Services,
 * not subsets. Service names are DNS-1035 labels of at most 63 characters; a longer name is cut
 * and given 8 hex digits of a hash of the Service and the raw version, so it stays unique.
 */
import { fnv1a, subsetName } from '../istio/names';

const MAX = 63;

/** The Service sluice owns for `version` of `service`. */
export const versionServiceName = (service: string, version: string): string => {
  const full = `${service}-${subsetName(version)}`;
  if (full.length <= MAX) return full;
  const cut = full.slice(0, MAX - 9).replace(/-+$/, '');
  return `${cut}-${fnv1a(`${service}/${version}`)}`;
};
