/**
 * Pure readings of the informer caches: which pods serve a shift's Service, per version.
 * Pods are matched to the Service through its selector (like the endpoints controller), then
 * grouped by the shift's version label.
 */
import { VersionPods } from '../core/types';
import { KubeObject, Pod, Service } from '../kube/objects';

const matches = (selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>> | undefined): boolean =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

const isReady = (pod: Pod): boolean => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/**
 * Pods per version behind `service`: not terminating, selected by the Service's selector (a
 * Service without a selector selects nothing), grouped by `versionLabel`.
 */
export const podsByVersion = (service: KubeObject | undefined, pods: readonly KubeObject[], versionLabel: string): Record<string, VersionPods> => {
  const selector = (service as Service | undefined)?.spec?.selector;
  const out: Record<string, { total: number; ready: number }> = {};
  if (!selector || Object.keys(selector).length === 0) return out;
  for (const p of pods as readonly Pod[]) {
    if (p.metadata.deletionTimestamp) continue;
    if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    const labels = p.metadata.labels;
    if (!matches(selector, labels)) continue;
    const version = labels?.[versionLabel];
    if (version === undefined) continue;
    const v = (out[version] ??= { total: 0, ready: 0 });
    v.total++;
    if (isReady(p)) v.ready++;
  }
  return out;
};
