/**
 * Names sluice derives for Istio. Istio requires subset names to be DNS-1123 labels
 * (validateSubsetName in istio/pkg/config/validation), but a version label value may hold
 * upper case, "." or "_" ("1.2.0", "V2_rc"). Such values get a readable, collision-free name:
 * lower-cased, other characters replaced by "-", plus 8 hex digits of a hash of the raw value.
 */
import { DEFAULT_CLUSTER_DOMAIN } from './types';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** FNV-1a, 32 bit, as 8 hex digits: short, stable across runs and platforms. */
export const fnv1a = (text: string): string => {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
};

/** The DestinationRule subset name for a version: the version itself when it is a DNS-1123 label. */
export const subsetName = (version: string): string => {
  if (version.length <= 63 && DNS_LABEL.test(version)) return version;
  const readable = version.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50).replace(/-+$/, '');
  const hash = fnv1a(version);
  return readable === '' ? `v-${hash}` : `${readable}-${hash}`;
};

/** `<service>.<namespace>.svc.<clusterDomain>`: the host Istio resolves the same from any namespace. */
export const serviceFqdn = (service: string, namespace: string, clusterDomain = DEFAULT_CLUSTER_DOMAIN): string =>
  `${service}.${namespace}.svc.${clusterDomain}`;
